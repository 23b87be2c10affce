"""The ``caseload-sim`` command line: exit codes, messages and the files it writes.

Most tests drive the CLI in-process with typer's ``CliRunner`` and the fake model from
``conftest.py``; a few run the installed ``caseload-sim`` executable in a subprocess,
as a user would, to check what really reaches the terminal.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from caseload_sim import __version__
from caseload_sim.cli import app
from caseload_sim.experiment import CURVE_TABLE_COLUMNS, SERIES_TABLE_COLUMNS, SUMMARY_COLUMNS
from caseload_sim.manifest import (
    REPORT_MARKER,
    build_manifest,
    dependency_versions,
    publish,
    reports_made_from,
    results_digest,
    utc_now,
)
from caseload_sim.metrics import SERIES_VARIABLES
from caseload_sim.scenario import load_scenario

if TYPE_CHECKING:
    from conftest import FakeEngine

REPO = Path(__file__).resolve().parents[1]
EXECUTABLE = Path(sys.executable).with_name("caseload-sim")
OUR_FILES = {
    "replications.csv",
    "summary.csv",
    "series.parquet",
    "employment_curve.parquet",
    "manifest.json",
}

runner = CliRunner()


def invoke(*args: str | Path) -> Any:
    """Run the CLI in this process; the result has exit_code, stdout, stderr, exception."""
    return runner.invoke(app, [str(a) for a in args])


def leftovers(folder: Path) -> list[str]:
    """Staging folders that should have been cleaned up."""
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# --- version and validate -------------------------------------------------------------


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"caseload-sim {__version__}"


def test_validate_accepts_good_and_names_every_problem(tiny_yaml: Path, bad_yaml: Path) -> None:
    ok = invoke("validate", tiny_yaml)
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout.strip() == f"OK {tiny_yaml}"

    mixed = invoke("validate", tiny_yaml, bad_yaml)
    assert mixed.exit_code == 2
    assert f"OK {tiny_yaml}" in mixed.stdout
    lines = mixed.stderr.splitlines()
    assert any(line.startswith(f"{bad_yaml}: teams.0.specialists: got 0") for line in lines), lines
    assert any(line.startswith(f"{bad_yaml}: teams.0.referals_per_week: unknown key") for line in lines), (
        lines
    )
    assert lines[-1] == "1 of 2 scenario file(s) invalid"


def test_validate_missing_file_and_invalid_yaml(tmp_path: Path) -> None:
    broken = tmp_path / "broken_yaml.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    result = invoke("validate", tmp_path / "missing.yaml", broken)
    assert result.exit_code == 2
    assert f"{tmp_path / 'missing.yaml'}: file not found" in result.stderr
    assert f"{broken}: not valid YAML" in result.stderr
    assert result.stdout == ""


def test_every_shipped_scenario_is_valid() -> None:
    files = sorted((REPO / "scenarios").glob("*.yaml"))
    assert files, "the repository ships example scenarios"
    result = invoke("validate", *files)
    assert result.exit_code == 0, result.stderr


# --- run: output files ----------------------------------------------------------------


def test_run_writes_tables_and_manifest(tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine) -> None:
    out = tmp_path / "results"
    result = invoke("run", tiny_yaml, "-n", "4", "--seed", "3", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in out.iterdir()} == OUR_FILES
    assert leftovers(tmp_path) == []

    reps = pd.read_csv(out / "replications.csv")
    assert list(reps.columns) == ["replication", "seed", *fake_engine.kpi_names]
    assert reps["replication"].tolist() == [0, 1, 2, 3] and (reps["seed"] == 3).all()
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary["kpi"].tolist() == list(fake_engine.kpi_names)

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    scenario = load_scenario(tiny_yaml)
    assert manifest["scenario_sha256"] == scenario.digest()
    assert manifest["scenario"] == scenario.model_dump(mode="json")
    assert (manifest["seed"], manifest["replications"], manifest["workers"]) == (3, 4, 1)
    assert manifest["package"]["version"] == __version__
    assert set(manifest["dependencies"]) >= {"simpy", "numpy", "pandas", "scipy", "pydantic", "pyarrow"}
    started = datetime.fromisoformat(manifest["started"])
    assert started.utcoffset() == timedelta(0), "times are in UTC"
    assert datetime.fromisoformat(manifest["finished"]) >= started
    assert manifest["files"] == [
        "replications.csv",
        "summary.csv",
        "series.parquet",
        "employment_curve.parquet",
        "manifest.json",
    ]

    # Every replication's weekly series, in one tidy table of compact types.
    series = pd.read_parquet(out / "series.parquet")
    assert list(series.columns) == list(SERIES_TABLE_COLUMNS)
    assert str(series["replication"].dtype) == "int32" and str(series["value"].dtype) == "float32"
    assert list(series["variable"].cat.categories) == list(SERIES_VARIABLES)
    assert set(series["scenario"].astype(str)) == {"tiny"}
    weeks = np.arange(1, 60 // 7 + 1) * 7.0  # the tiny run lasts 60 days: 8 whole weeks
    for rep in range(4):
        mine = series[(series["replication"] == rep) & (series["variable"] == "caseload")]
        assert mine["time_days"].tolist() == weeks.tolist()

    # Every replication's employment curve by month since intake (a 60-day run: empty cohorts).
    curve = pd.read_parquet(out / "employment_curve.parquet")
    assert list(curve.columns) == list(CURVE_TABLE_COLUMNS)
    assert curve.groupby("replication")["month"].apply(list).tolist() == [list(range(25))] * 4
    assert curve["employed"].isna().all() and (curve["n"] == 0).all()

    # The printed table: one row per KPI, a short label with its unit, its mean and interval;
    # the machine names with --wide.
    from caseload_sim.report.kpis import short_label

    assert "95 % CI" in result.stdout
    for name in fake_engine.kpi_names:
        assert short_label(name) in result.stdout and f" {name} " not in result.stdout
    wide = invoke("run", tiny_yaml, "-n", "4", "--seed", "3", "--out", out, "--wide")
    assert wide.exit_code == 0, wide.stderr
    for name in fake_engine.kpi_names:
        assert name in wide.stdout
    assert "warning: only 4 replications" in result.stderr


def test_run_and_compare_fit_an_80_column_terminal_with_units(tmp_path: Path, real_engine: Any) -> None:
    """The real KPIs in an 80-column terminal: no line longer than 80, a share shown in % with its
    change in pp, days named; a share's interval never beyond 0-100 % even with 2 replications."""
    root = Path(__file__).resolve().parents[1]
    base, alt = tmp_path / "short.yaml", tmp_path / "cap10.yaml"
    base.write_text(
        f"extends: {root / 'scenarios' / 'startup.yaml'}\nname: short\nrun:\n  horizon_days: 800\n"
    )
    alt.write_text(f"extends: {base}\nname: cap10\nregulation:\n  caseload_cap: 10\n")
    got = runner.invoke(
        app,
        [
            "--extends-root",
            str(root),
            "compare",
            str(base),
            str(alt),
            "-n",
            "2",
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert got.exit_code == 0, got.stderr
    lines = got.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert any(line.lstrip().startswith("In work within 12 mo (%)") and " pp " in line for line in lines)
    assert "Wait (mean) (days)" in got.stdout
    assert "In short, cap10:" in got.stdout, "the trade-off in words follows the tables"
    assert "warning: only 2 replications" in got.stderr
    summary = pd.read_csv(tmp_path / "c" / "comparison.csv")
    shares = summary[summary["kpi"].str.endswith("_share") | summary["kpi"].str.startswith("employed_")]
    assert (shares["ci_low"].dropna() >= 0).all() and (shares["ci_high"].dropna() <= 1).all()
    assert (shares["diff_ci_low"].dropna() >= -1).all() and (shares["diff_ci_high"].dropna() <= 1).all()


def test_run_defaults_to_out_scenario_name(
    tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run", tiny_yaml, "-n", "2")
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in (tmp_path / "out" / "tiny").iterdir()} == OUR_FILES
    assert pd.read_csv(tmp_path / "out" / "tiny" / "replications.csv")["seed"].eq(1).all(), "default seed 1"


def test_a_run_with_changed_parameters_never_lands_in_the_unchanged_scenarios_folder(
    tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("run", tiny_yaml, "-n", "2").exit_code == 0
    before = (tmp_path / "out" / "tiny" / "replications.csv").read_bytes()
    changed = invoke("run", tiny_yaml, "-n", "2", "--set", "regulation.caseload_cap=12")
    assert changed.exit_code == 0, changed.stderr
    folders = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert folders[0] == "tiny" and re.fullmatch(r"tiny-set-[0-9a-f]{8}", folders[1]) and len(folders) == 2
    assert (tmp_path / "out" / "tiny" / "replications.csv").read_bytes() == before, (
        "the plain run's results stay"
    )
    again = invoke("run", tiny_yaml, "-n", "2", "--set", "regulation.caseload_cap=12")
    assert again.exit_code == 0 and len(list((tmp_path / "out").iterdir())) == 2, (
        "the same changes, the same folder"
    )
    other = tmp_path / "other.yaml"
    other.write_text(
        tiny_yaml.read_text(encoding="utf-8").replace("name: tiny", "name: other"), encoding="utf-8"
    )
    compared = invoke("compare", tiny_yaml, other, "-n", "2", "--set", "regulation.caseload_cap=12")
    assert compared.exit_code == 0, compared.stderr
    assert any(
        re.fullmatch(r"compare-tiny-other-set-[0-9a-f]{8}", p.name) for p in (tmp_path / "out").iterdir()
    )


def test_compare_of_many_alternatives_prints_one_headline_table_unless_all_are_asked_for(
    tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine
) -> None:
    files = [tiny_yaml]
    for k in range(5):
        alt = tmp_path / f"alt{k}.yaml"
        alt.write_text(
            tiny_yaml.read_text(encoding="utf-8").replace("name: tiny", f"name: alt{k}"), encoding="utf-8"
        )
        files.append(alt)
    few = invoke("compare", *files, "-n", "2", "--out", tmp_path / "c")
    assert few.exit_code == 0, few.stderr
    assert "5 alternatives vs tiny: headline results" in few.stdout
    assert "alt0 vs tiny: 2 paired replications" not in few.stdout, "five alternatives: no full table each"
    assert "--all-tables prints them here too" in " ".join(few.stdout.split())
    every = invoke("compare", *files, "-n", "2", "--out", tmp_path / "c", "--all-tables")
    assert every.exit_code == 0, every.stderr
    assert all(f"alt{k} vs tiny: 2 paired replications" in every.stdout for k in range(5))
    assert "5 alternatives vs tiny: headline results" in every.stdout, "the overview still comes last"


def test_run_events_parquet_holds_every_replication(
    tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine
) -> None:
    out = tmp_path / "o"
    result = invoke("run", tiny_yaml, "-n", "3", "--out", out, "--events")
    assert result.exit_code == 0, result.stderr
    events = pd.read_parquet(out / "events.parquet")
    assert events.columns[0] == "replication"
    assert sorted(events["replication"].unique()) == [0, 1, 2]
    assert {"time", "kind", "candidate"} <= set(events.columns)
    assert set(events["kind"].astype(str)) == {"referral", "intake"}
    for table in ("candidates", "specialists", "weeks"):
        frame = pd.read_parquet(out / f"{table}.parquet")
        assert frame.columns[0] == "replication", f"{table}.parquet starts with the replication"


def test_rerun_replaces_only_our_files(tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert invoke("run", tiny_yaml, "-n", "2", "--seed", "1", "--out", out, "--events").exit_code == 0
    assert (out / "events.parquet").exists()

    result = invoke("run", tiny_yaml, "-n", "2", "--seed", "9", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine", "a user's file is never touched"
    assert not (out / "events.parquet").exists(), "our stale events from the earlier run are removed"
    assert pd.read_csv(out / "replications.csv")["seed"].eq(9).all()
    assert leftovers(tmp_path) == []


def test_a_user_file_with_our_name_is_kept_without_our_manifest(
    tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine
) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "events.parquet").write_bytes(b"not ours")
    assert invoke("run", tiny_yaml, "-n", "1", "--out", out).exit_code == 0
    assert (out / "events.parquet").read_bytes() == b"not ours"


def _report_of(folder: Path) -> str:
    """A stand-in for a report made by `caseload-sim report` from the folder's current results."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>\n<meta name='{REPORT_MARKER}' content='{results_digest(manifest)}'>"


@pytest.mark.parametrize("command", ["run", "compare"])
def test_rerun_removes_the_report_of_the_results_it_replaces(
    tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine, command: str
) -> None:
    out = tmp_path / "o"
    other = tmp_path / "roomy.yaml"
    other.write_text("extends: tiny.yaml\nname: roomy\nregulation:\n  caseload_cap: 20\n", encoding="utf-8")
    args = ["run", tiny_yaml] if command == "run" else ["compare", tiny_yaml, other]
    assert invoke(*args, "-n", "2", "--out", out).exit_code == 0
    (out / "report.html").write_text(_report_of(out), encoding="utf-8")
    (out / "for-the-board.html").write_text(_report_of(out), encoding="utf-8")  # made with --out
    (out / "notes.html").write_text("<html>my own notes</html>", encoding="utf-8")
    assert reports_made_from(out) == ["for-the-board.html", "report.html"]

    result = invoke(*args, "-n", "2", "--seed", "7", "--out", out)
    assert result.exit_code == 0, result.stderr
    names = {p.name for p in out.iterdir()}
    assert "report.html" not in names and "for-the-board.html" not in names, "the old reports are gone"
    assert (out / "notes.html").read_text(encoding="utf-8") == "<html>my own notes</html>", (
        "a user's page stays"
    )
    for name in ("report.html", "for-the-board.html"):
        assert (
            f"removed {out / name}: it was the report of the results this run replaced; "
            f"make a new one with: caseload-sim report {out}"
        ) in " ".join(result.stdout.split())
    assert "note: kept" not in result.stderr
    assert leftovers(tmp_path) == []


def test_rerun_keeps_a_report_it_cannot_tell_is_stale_and_says_so(
    tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine
) -> None:
    out = tmp_path / "o"
    assert invoke("run", tiny_yaml, "-n", "2", "--out", out).exit_code == 0
    older = _report_of(out)
    assert invoke("run", tiny_yaml, "-n", "2", "--out", out).exit_code == 0
    assert older != _report_of(out)
    (out / "report.html").write_text(older, encoding="utf-8")  # a report of the run before last
    result = invoke("run", tiny_yaml, "-n", "2", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "report.html").read_text(encoding="utf-8") == older, "not provably ours: kept"
    said = " ".join(result.stderr.split())
    assert f"note: kept {out / 'report.html'}: it was not made from the results this run replaced" in said
    assert f"caseload-sim report {out}" in said and "removed" not in result.stdout


# --- run: bad input writes nothing ----------------------------------------------------


def test_bad_scenario_is_refused_before_running(
    bad_yaml: Path, tmp_path: Path, fake_engine: FakeEngine
) -> None:
    out = tmp_path / "o"
    result = invoke("run", bad_yaml, "--out", out)
    assert result.exit_code == 2
    assert f"{bad_yaml}: teams.0.specialists: got 0" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists() and fake_engine.calls == []


def test_bad_options_are_all_reported(tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine) -> None:
    out = tmp_path / "o"
    result = invoke("run", tiny_yaml, "-n", "0", "--workers", "0", "--seed", "-1", "--out", out)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "-n/--replications: got 0; allowed: an integer >= 1",
        f"--seed: got -1; allowed: an integer from 0 to {2**63 - 1}",
        "--workers: got 0; allowed: an integer >= 1",
    ]
    assert not out.exists() and fake_engine.calls == []


def test_out_must_be_a_folder(tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine) -> None:
    taken = tmp_path / "taken"
    taken.write_text("a file", encoding="utf-8")
    result = invoke("run", tiny_yaml, "--out", taken)
    assert result.exit_code == 2
    assert "exists and is not a directory" in result.stderr
    assert taken.read_text(encoding="utf-8") == "a file" and fake_engine.calls == []


def test_failed_write_leaves_folder_untouched(
    tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o"
    assert invoke("run", tiny_yaml, "-n", "2", "--out", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("caseload_sim.manifest.write_manifest", disk_full)
    result = invoke("run", tiny_yaml, "-n", "2", "--seed", "5", "--out", out)
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_model_failure_writes_nothing(tiny_yaml: Path, tmp_path: Path, fake_engine: FakeEngine) -> None:
    fake_engine.fail_on = 1
    out = tmp_path / "o"
    result = invoke("run", tiny_yaml, "-n", "3", "--out", out)
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
    assert not out.exists()


# --- manifest and publication --------------------------------------------------------


def test_manifest_refuses_naive_times_and_clashing_extras(tiny_yaml: Path) -> None:
    scenario = load_scenario(tiny_yaml)
    now = utc_now()
    with pytest.raises(ValueError, match="started: got a naive datetime"):
        build_manifest(scenario, 1, 2, datetime(2025, 1, 1), now)
    with pytest.raises(ValueError, match="'seed' would replace"):
        build_manifest(scenario, 1, 2, now, now, extra={"seed": 3})
    # Times are stored in UTC whatever zone they were given in.
    oslo = timezone(timedelta(hours=1))
    m = build_manifest(scenario, 1, 2, datetime(2025, 1, 1, 13, 0, tzinfo=oslo), now)
    assert m["started"] == "2025-01-01T12:00:00+00:00"
    assert dependency_versions(["numpy", "no-such-distribution"]) == {
        "numpy": np.__version__,
        "no-such-distribution": None,
    }


def test_publish_accepts_only_bare_file_names(tmp_path: Path) -> None:
    def write_x(path: Path) -> None:
        path.write_text("x", encoding="utf-8")

    for name in ("../escape.csv", "manifest.json"):
        with pytest.raises(ValueError, match="bare file name"):
            publish(tmp_path / "o", {name: write_x}, {})
    for name in ("../report.html", "manifest.json", "a.csv", ""):
        with pytest.raises(ValueError, match="remove: .* is not a bare file name"):
            publish(tmp_path / "o", {"a.csv": write_x}, {}, remove=[name])
    assert not (tmp_path / "o").exists()
    assert reports_made_from(tmp_path / "o") == [], "no folder, no manifest: no reports of it"


# --- the installed executable ---------------------------------------------------------


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert EXECUTABLE.exists(), f"{EXECUTABLE} is missing: run `make install`"
    return subprocess.run(
        [str(EXECUTABLE), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_executable_refuses_bad_input_without_traceback(bad_yaml: Path, tmp_path: Path) -> None:
    missing = cli("validate", "missing.yaml", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[0] == "missing.yaml: file not found: missing.yaml"

    bad = cli("run", bad_yaml, cwd=tmp_path)
    assert bad.returncode == 2
    assert "teams.0.specialists: got 0" in bad.stderr
    assert not (tmp_path / "out").exists()

    parse_error = cli("run", bad_yaml, "-n", "many", cwd=tmp_path)
    assert parse_error.returncode == 2
    assert "Invalid value for '-n'" in parse_error.stderr

    for proc in (missing, bad, parse_error):
        assert "Traceback" not in proc.stderr + proc.stdout


def test_executable_runs_the_real_model_identically_on_two_workers(
    tiny_yaml: Path, tmp_path: Path, real_engine: tuple[str, ...]
) -> None:
    one = cli("run", tiny_yaml, "-n", "4", "--seed", "8", "--out", "w1", cwd=tmp_path)
    two = cli(
        "run", tiny_yaml, "-n", "4", "--seed", "8", "--out", "w2", "--workers", "2", "--events", cwd=tmp_path
    )
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    for name in ("replications.csv", "summary.csv", "series.parquet", "employment_curve.parquet"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes(), name
    reps = pd.read_csv(tmp_path / "w2" / "replications.csv")
    assert list(reps.columns) == ["replication", "seed", *real_engine]
    events = pd.read_parquet(tmp_path / "w2" / "events.parquet")
    assert sorted(events["replication"].unique()) == [0, 1, 2, 3]
    assert "replications" in two.stderr, "progress is shown on stderr"


# --- the README stays true ------------------------------------------------------------


def readme_commands() -> list[str]:
    """Every line of the README's ``sh`` code blocks."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_commands_exist() -> None:
    lines = readme_commands()
    targets = set(re.findall(r"^([a-z][\w-]*):", (REPO / "Makefile").read_text(encoding="utf-8"), re.M))
    commands = [line.split() for line in lines if line.startswith("caseload-sim ")]
    assert commands, "the tour shows caseload-sim commands"
    for words in commands:
        help_text = invoke(words[1], "--help")
        assert help_text.exit_code == 0, f"README uses unknown command: {' '.join(words)}"
        for option in (w for w in words[2:] if w.startswith("-")):
            assert option in help_text.stdout, f"README uses unknown option {option}: {' '.join(words)}"
    for line in lines:
        if line.startswith("make "):
            assert line.split()[1] in targets, f"README uses a missing make target: {line}"
    for scenario in {w for line in lines for w in line.split() if w.endswith(".yaml") and "*" not in w}:
        assert (REPO / scenario).is_file(), f"README runs a scenario that does not exist: {scenario}"
