"""`caseload-sim diff`: what differs between two resolved scenarios, in words."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caseload_sim.cli import app
from caseload_sim.diff import format_value, scenario_changes, scenario_diff
from caseload_sim.scenario import load_scenario, parameter_table

REPO = Path(__file__).resolve().parents[1]
EXECUTABLE = Path(sys.executable).with_name("caseload-sim")
MEANING = {row["parameter"]: row["meaning"] for row in parameter_table()}
runner = CliRunner()

BASE = """\
name: small
description: Two specialists, one staffing change.
teams:
  - name: solo
    specialists: 2
    referrals_per_week: 0.5
    changes:
      - {at_days: 100, specialists: 1}
regulation:
  caseload_cap: 15
run:
  warmup_days: 0
  horizon_days: 60
"""

# Extends the base: a lever, a team change, a staffing change moved, a team added.
GROWN = """\
extends: small.yaml
name: grown
description: Something else entirely.
regulation:
  caseload_cap: 20
  time_limit: none
teams:
  - name: solo
    specialists: 4
    referrals_per_week: 0.5
    changes:
      - {at_days: 200, specialists: 1}
  - name: north
    specialists: 3
    referrals_per_week: 1.5
"""


def invoke(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "small.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "grown.yaml").write_text(GROWN, encoding="utf-8")
    return tmp_path / "small.yaml", tmp_path / "grown.yaml"


def test_every_change_in_words_in_schema_order(files: tuple[Path, Path]) -> None:
    small, grown = (load_scenario(p) for p in files)
    assert scenario_diff(small, grown) == [
        "team 1 (solo): specialists 2 → 4 (persons) — " + MEANING["teams[].specialists"],
        "team 1 (solo): change 1: at_days 100 → 200 (days) — " + MEANING["teams[].changes[].at_days"],
        "team 2 (north): added (specialists 3, fte_per_specialist 1, referrals_per_week 1.5, copies 1, "
        "initial_tenure_months 36, opens_at_days 0, changes [], referral_changes [], quits [])",
        "regulation.caseload_cap: 15 → 20 (candidates per FTE) — " + MEANING["regulation.caseload_cap"],
        "regulation.time_limit: reduced_capacity_3y → none — "
        + MEANING["regulation.time_limit"].removesuffix(" [S]"),
    ]
    # The other way round: values swap, and the team is removed.
    back = scenario_diff(grown, small)
    assert back[0] == "team 1 (solo): specialists 4 → 2 (persons) — " + MEANING["teams[].specialists"]
    assert back[2].startswith("team 2 (north): removed (specialists 3, ")


def test_the_changes_as_records_say_the_same_as_the_lines(files: tuple[Path, Path]) -> None:
    small, grown = (load_scenario(p) for p in files)
    changes = scenario_changes(small, grown)
    assert [c.line for c in changes] == scenario_diff(small, grown)
    cap = next(c for c in changes if c.label == "regulation.caseload_cap")
    assert (cap.before, cap.after, cap.unit) == ("15", "20", "candidates per FTE")
    assert cap.about == "regulation.caseload_cap (candidates per FTE) — " + MEANING["regulation.caseload_cap"]
    added = next(c for c in changes if c.label == "team 2 (north)")
    assert (added.schema_path, added.before) == ("", "") and added.after.startswith("added (")
    assert added.about == "team 2 (north)"


def test_the_resolved_worlds_are_compared_not_the_files(files: tuple[Path, Path], tmp_path: Path) -> None:
    # Spelling out a default, renaming and re-describing change nothing.
    same = tmp_path / "same.yaml"
    same.write_text(
        "extends: small.yaml\nname: renamed\ndescription: other words\nteams:\n"
        "  - {name: solo, specialists: 2, referrals_per_week: 0.5, fte_per_specialist: 1.0,"
        " changes: [{at_days: 100, specialists: 1}]}\n",
        encoding="utf-8",
    )
    assert scenario_diff(load_scenario(files[0]), load_scenario(same)) == []
    renamed_team = tmp_path / "renamed_team.yaml"
    renamed_team.write_text(
        "extends: small.yaml\nteams:\n  - {name: east, specialists: 2, referrals_per_week: 0.5, "
        "changes: [{at_days: 100, specialists: 1}]}\n",
        encoding="utf-8",
    )
    assert scenario_diff(load_scenario(files[0]), load_scenario(renamed_team)) == [
        "team 1 (solo): name solo → east"
    ]


def test_shipped_scenarios_say_their_one_lever() -> None:
    base, cap12 = (load_scenario(REPO / "scenarios" / f"{n}.yaml") for n in ("baseline", "cap12"))
    assert scenario_diff(base, cap12) == [
        "regulation.caseload_cap: 15 → 12 (candidates per FTE) — " + MEANING["regulation.caseload_cap"]
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1095.0, "1095"),
        (0.35, "0.35"),
        (1e-7, "1e-07"),
        (12, "12"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ("none", "none"),
        ([1.0, 2.5], "[1, 2.5]"),
        ({"at_days": 5.0, "specialists": -1}, "(at_days 5, specialists -1)"),
    ],
)
def test_values_read_as_a_planner_writes_them(value: object, shown: str) -> None:
    assert format_value(value) == shown


def test_diff_cli_prints_lines_or_no_differences(files: tuple[Path, Path]) -> None:
    result = invoke("diff", *files)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5 and lines[0].startswith("team 1 (solo): specialists 2 → 4 (persons)")
    same = invoke("diff", files[0], files[0])
    assert same.exit_code == 0 and same.stdout == "no differences\n"


def test_diff_cli_refuses_bad_input(files: tuple[Path, Path], bad_yaml: Path, tmp_path: Path) -> None:
    result = invoke("diff", bad_yaml, tmp_path / "missing.yaml")
    assert result.exit_code == 2
    assert f"{bad_yaml}: teams.0.specialists: got 0" in result.stderr
    assert f"{tmp_path / 'missing.yaml'}: file not found" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert invoke("diff", files[0]).exit_code == 2, "two files are needed"

    assert EXECUTABLE.exists(), f"{EXECUTABLE} is missing: run `make install`"
    proc = subprocess.run(
        [str(EXECUTABLE), "diff", str(files[0]), str(bad_yaml)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and "teams.0.specialists: got 0" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
