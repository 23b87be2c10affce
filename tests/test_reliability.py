"""Output folders that cannot be mixed (issue 9, scope 4).

- a run holds its output folder's lock for as long as it runs: a second run into the
  same folder is refused at once (exit 2, a clear message, nothing written), and two
  runs started together into one folder leave it whole — every file from one run;
- the manifest records a SHA-256 of every file it lists; ``report`` says loudly when a
  file no longer matches;
- a staging folder left by a dead run is removed by the next run into that folder;
- an ``--out`` that cannot work (a dangling symlink) is refused before anything runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from caseload_sim.cli import app
from caseload_sim.manifest import changed_files, file_digest, lock_folder

runner = CliRunner()
TINY = "name: tiny\nteams:\n  - {name: t, specialists: 1, referrals_per_week: 0.5}\nrun: {warmup_days: 0, horizon_days: 200}\n"


def _scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_a_second_run_into_a_folder_in_use_is_refused_at_once(tmp_path: Path) -> None:
    scenario, out = _scenario(tmp_path), tmp_path / "out"
    held = lock_folder(out)  # as if another run were writing it
    try:
        result = runner.invoke(app, ["run", str(scenario), "-n", "1", "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert "is being written by another run" in result.stderr and f"pid {os.getpid()}" in result.stderr
        assert not out.exists(), "nothing written"
    finally:
        held.close()
    assert runner.invoke(app, ["run", str(scenario), "-n", "1", "--out", str(out)]).exit_code == 0


def test_two_runs_started_together_leave_the_folder_whole(tmp_path: Path) -> None:
    scenario, out = _scenario(tmp_path), tmp_path / "out"
    exe = str(Path(sys.executable).with_name("caseload-sim"))  # the installed entry point
    cmd = [exe, "run", str(scenario), "-n", "2", "--out", str(out)]
    procs = [
        subprocess.Popen([*cmd, "--seed", str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for seed in (1, 2)
    ]
    codes = [p.wait(timeout=120) for p in procs]
    errors = [p.stderr.read().decode() for p in procs if p.stderr is not None]
    assert all(c in (0, 2) for c in codes) and 0 in codes, (codes, errors)
    for code, err in zip(codes, errors, strict=True):
        assert code == 0 or "being written by another run" in err, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert changed_files(out, manifest) == [], "every file is the one the manifest's run wrote"
    assert set(manifest["sha256"]) == set(manifest["files"]) - {"manifest.json"}


def test_report_says_loudly_when_a_file_changed_after_the_run(tmp_path: Path) -> None:
    scenario, out = _scenario(tmp_path), tmp_path / "out"
    assert runner.invoke(app, ["run", str(scenario), "-n", "3", "--out", str(out)]).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sha256"]["summary.csv"] == file_digest(out / "summary.csv")
    with (out / "replications.csv").open("a", encoding="utf-8") as f:
        f.write("\n")  # a harmless edit: the numbers read the same, the bytes do not
    assert changed_files(out, manifest) == ["replications.csv"]
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "Files changed after the run: replications.csv" in result.stderr
    assert "Files changed after the run" in (out / "report.html").read_text(encoding="utf-8")


def test_a_dead_runs_staging_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    scenario, out = _scenario(tmp_path), tmp_path / "out"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.{dead.pid}.0badc0de.tmp"
    stale.mkdir()
    (stale / "summary.csv").write_text("half written", encoding="utf-8")
    alive = tmp_path / f".out.{os.getpid()}.0badc0df.tmp"  # this process: alive, left alone
    alive.mkdir()
    assert runner.invoke(app, ["run", str(scenario), "-n", "1", "--out", str(out)]).exit_code == 0
    assert not stale.exists(), "the dead run's staging folder is gone"
    assert alive.exists()


def test_a_dangling_symlink_as_out_is_refused_before_the_run(tmp_path: Path) -> None:
    scenario, out = _scenario(tmp_path), tmp_path / "out"
    out.symlink_to(tmp_path / "nowhere")
    result = runner.invoke(app, ["run", str(scenario), "-n", "1", "--out", str(out)])
    assert result.exit_code == 2 and "a symlink to nothing" in result.stderr


# ------------------------------------------------------------- damaged folders (scope 6)


def _folder(tmp_path: Path) -> Path:
    scenario, out = _scenario(tmp_path), tmp_path / "out"
    assert runner.invoke(app, ["run", str(scenario), "-n", "3", "--out", str(out)]).exit_code == 0
    return out


def _damage_parquet(path: Path, change: Callable[[pd.DataFrame], None]) -> None:
    frame = pd.read_parquet(path)
    change(frame)
    frame.to_parquet(path)


def _stress_of_43(frame: pd.DataFrame) -> None:
    frame.loc[frame.index[frame["variable"] == "stress_mean"][0], "value"] = 43.0


def _no_scenario(frame: pd.DataFrame) -> None:
    frame["scenario"] = frame["scenario"].astype(object)
    frame.loc[frame.index[0], "scenario"] = None


def _share_above_one(frame: pd.DataFrame) -> None:
    frame.loc[frame.index[0], "employed"] = 1.5


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("series.parquet", _stress_of_43, "column value (stress_mean), row"),
        ("series.parquet", _no_scenario, "column scenario, row 0: no value"),
        ("employment_curve.parquet", _share_above_one, "column employed, row 0: got 1.5; allowed: 0 to 1"),
    ],
)
def test_a_damaged_file_is_refused_naming_file_column_and_row(
    tmp_path: Path, file: str, change: Callable[[pd.DataFrame], None], expected: str
) -> None:
    out = _folder(tmp_path)
    _damage_parquet(out / file, change)
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and str(out / file) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (out / "report.html").exists()


def test_a_manifest_with_a_null_precision_list_still_reports(tmp_path: Path) -> None:
    out = _folder(tmp_path)
    path = out / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["precision"] = {"rule": "x", "kpis": None, "reached": False, "replications": 3}
    path.write_text(json.dumps(manifest), encoding="utf-8")
    result = runner.invoke(app, ["report", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output


def test_a_share_out_of_range_in_replications_is_refused(tmp_path: Path) -> None:
    out = _folder(tmp_path)
    reps = pd.read_csv(out / "replications.csv")
    reps.loc[1, "work_12m"] = 1.7
    reps.to_csv(out / "replications.csv", index=False)
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2, result.output
    assert "column work_12m, row 1: got 1.7; allowed: 0 to 1" in result.stderr, result.stderr


def _csv_damage(column: str, kpi: str, value: float) -> Callable[[pd.DataFrame], None]:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[frame.index[frame["kpi"] == kpi][0], column] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_csv_damage("mean", "stress_mean", 4.3), "column mean (stress_mean), row"),
        (_csv_damage("ci_low", "stress_mean", 0.99), "column ci_low (stress_mean), row"),
        (_csv_damage("n", "stress_mean", -3), "column n (stress_mean), row"),
    ],
)
def test_a_damaged_summary_is_refused_naming_file_column_and_row(
    tmp_path: Path, change: Callable[[pd.DataFrame], None], expected: str
) -> None:
    out = _folder(tmp_path)
    summary = pd.read_csv(out / "summary.csv")
    change(summary)
    summary.to_csv(out / "summary.csv", index=False)
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and str(out / "summary.csv") in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (out / "report.html").exists()


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("p_better", 1.5, "column p_better"),
        ("risk_ratio", -0.2, "column risk_ratio"),
        ("diff_ci_high", -9.0, "column diff_ci_high"),
    ],
)
def test_a_damaged_comparison_is_refused_naming_file_column_and_row(
    tmp_path: Path, column: str, value: float, expected: str
) -> None:
    scenario, out = _scenario(tmp_path), tmp_path / "cmp"
    other = tmp_path / "other.yaml"
    other.write_text("extends: tiny.yaml\nname: other\nregulation: {caseload_cap: 10}\n", encoding="utf-8")
    done = runner.invoke(app, ["compare", str(scenario), str(other), "-n", "3", "--out", str(out)])
    assert done.exit_code == 0, done.output
    comparison = pd.read_csv(out / "comparison.csv")
    rows = comparison.index[comparison[column].notna()]
    assert len(rows), f"the comparison has a {column} to damage"
    comparison.loc[rows[0], column] = value
    comparison.to_csv(out / "comparison.csv", index=False)
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and str(out / "comparison.csv") in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
