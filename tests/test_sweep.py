"""Sweeps (issue 10): experiment files, key paths, designs, the plan, the store, resume.

The runs here use a small scenario (one team, a year) and the real model; the
executor identity test compares serial, two local processes and a Dask LocalCluster
row for row, and the kill-and-resume tests kill a real ``caseload-sim sweep`` with
SIGINT and SIGKILL and check that resuming gives exactly the rows of an uninterrupted
sweep: none lost, none twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from caseload_sim.cli import app
from caseload_sim.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor
from caseload_sim.keypaths import KeyPathError, apply_settings, get_value, parse_assignment, parse_path
from caseload_sim.scenario import resolve_document, scenario_from_dict
from caseload_sim.sweep.designs import design_points
from caseload_sim.sweep.plan import make_plan
from caseload_sim.sweep.runner import run_sweep
from caseload_sim.sweep.spec import ExperimentError, ExperimentFile, load_experiment
from caseload_sim.sweep.store import read_results

EXECUTABLE = Path(sys.executable).with_name("caseload-sim")
SMALL = """\
name: small
teams:
  - {name: a, specialists: 2, referrals_per_week: 0.6}
run: {warmup_days: 60, horizon_days: 365}
"""


def ctrl_c_as_in_a_terminal() -> None:
    """In the child: SIGINT as a terminal's foreground process has it. A test run started in
    the background by a shell (as CI may be) inherits SIGINT ignored, and Python then never
    raises KeyboardInterrupt; Ctrl-C is what these tests emulate."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def experiment_yaml(design: str, replications: int = 3, extra: str = "") -> str:
    return f"""\
name: exp
scenario: small.yaml
factors:
  - path: regulation.caseload_cap
    name: cap
    {"levels: [10, 15, 20]" if "grid" in design or "oat" in design else "range: [8, 20]" + chr(10) + "    integer: true"}
  - path: teams[*].referrals_per_week
    name: referrals
    {"levels: [0.4, 0.8]" if "grid" in design or "oat" in design else "range: [0.3, 1.2]" + chr(10) + "    scale: log"}
design:
{design}
replications: {replications}
seed: 7
kpis: [work_12m, wait_days_mean, stress_mean]
{extra}"""


GRID = "  kind: grid"
SOBOL = "  kind: sobol\n  base_samples: 8"
MORRIS = "  kind: morris\n  trajectories: 4\n  levels: 4"
LHS = "  kind: lhs\n  samples: 10"
OAT = "  kind: oat"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "small.yaml").write_text(SMALL, encoding="utf-8")
    return tmp_path


def write_experiment(folder: Path, design: str, replications: int = 3, extra: str = "") -> Path:
    path = folder / "exp.yaml"
    path.write_text(experiment_yaml(design, replications, extra), encoding="utf-8")
    return path


# --- key paths -------------------------------------------------------------------------


def test_key_paths_are_checked_against_the_schema() -> None:
    assert parse_path("teams[*].referrals_per_week").column == "teams_referrals_per_week"
    cases = {
        "regulation.cap": "did you mean 'caseload_cap'",
        "teams.specialists": "is a list; allowed: teams[N].specialists",
        "regulation": "names a section",
        "teams": "names a list",
        "regulation.caseload_cap.x": "is a value",
        "run.warmup_days[0]": "is not a list",
        "a..b": "is not a key",
    }
    for text, expected in cases.items():
        with pytest.raises(KeyPathError, match=expected.replace("[", r"\[").replace("]", r"\]")):
            parse_path(text)


def test_set_changes_every_element_with_star_and_one_with_an_index(folder: Path) -> None:
    doc = resolve_document(folder / "small.yaml")
    doc["teams"].append({"name": "b", "specialists": 1})
    both = scenario_from_dict(apply_settings(doc, [parse_assignment("teams[*].referrals_per_week=1.5")]))
    assert [t.referrals_per_week for t in both.teams] == [1.5, 1.5]
    one = scenario_from_dict(apply_settings(doc, [parse_assignment("teams[1].specialists=4")]))
    assert [t.specialists for t in one.teams] == [2, 4]
    assert doc["teams"][1]["specialists"] == 1, "the document given is not changed"
    with pytest.raises(KeyPathError, match=r"has 2 element\(s\), so \[5\] does not exist"):
        apply_settings(doc, [parse_assignment("teams[5].specialists=4")])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cap=st.integers(1, 40), rate=st.floats(0.05, 5.0, allow_nan=False))
def test_a_value_set_by_key_path_is_the_value_the_scenario_has(folder: Path, cap: int, rate: float) -> None:
    doc = resolve_document(folder / "small.yaml")
    paths = [
        parse_assignment(f"regulation.caseload_cap={cap}"),
        parse_assignment(f"teams[*].referrals_per_week={rate!r}"),
    ]
    scenario = scenario_from_dict(apply_settings(doc, paths))
    assert get_value(scenario, paths[0][0]) == cap
    assert get_value(scenario, paths[1][0]) == pytest.approx(rate)


def test_run_with_set_runs_the_changed_scenario_and_records_it(folder: Path) -> None:
    out = folder / "out"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(folder / "small.yaml"),
            "-n",
            "1",
            "--out",
            str(out),
            "--set",
            "regulation.caseload_cap=11",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["regulation"]["caseload_cap"] == 11
    assert manifest["command"][-2:] == ["--set", "regulation.caseload_cap=11"]


def test_bad_set_options_are_refused_before_anything_runs(folder: Path) -> None:
    out = folder / "out"
    for bad, words in [
        ("regulation.cap=3", "did you mean 'caseload_cap'"),
        ("nonsense", "allowed: PATH=VALUE"),
        ("regulation.caseload_cap=abc", "regulation.caseload_cap: got the text 'abc'"),
        ("teams[4].specialists=2", "so [4] does not exist"),
    ]:
        result = CliRunner().invoke(app, ["run", str(folder / "small.yaml"), "--out", str(out), "--set", bad])
        assert result.exit_code == 2, result.output
        assert words in result.output and "Traceback" not in result.output, result.output
    assert not out.exists(), "nothing written"


# --- experiment files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("kind: grid", "kind: sweep"), "design.kind: got 'sweep'"),
        (("kind: grid", "kind: sobol"), "base_samples: required for a sobol design"),
        (("kind: grid", "kind: sobol\n  base_samples: 10"), "allowed: a power of 2"),
        (("name: cap", "name: cap\n    shape: round"), "factors.0.shape: unknown key"),
        (("regulation.caseload_cap", "regulation.caseload_capp"), "did you mean 'caseload_cap'"),
        (("replications: 3", "replications: '3'"), "replications: got '3'; allowed: a whole number"),
        (("kpis: [work_12m", "kpis: [work_13m"), "kpis: unknown work_13m"),
        (("name: referrals", "name: cap"), "two factors share the column cap"),
        (("levels: [10, 15, 20]", "levels: [10, 15, 20]\n    range: [1, 2]"), "not both"),
    ],
)
def test_bad_experiment_files_name_file_key_and_value(
    folder: Path, change: tuple[str, str], words: str
) -> None:
    path = folder / "bad.yaml"
    path.write_text(experiment_yaml(GRID).replace(*change), encoding="utf-8")
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert words in str(info.value) and str(path) in str(info.value), str(info.value)
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(folder / "o")])
    assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output
    assert not (folder / "o").exists()


def test_an_invalid_point_is_named_with_its_values_before_anything_runs(folder: Path) -> None:
    path = folder / "exp.yaml"
    path.write_text(experiment_yaml(GRID).replace("[0.4, 0.8]", "[0.4, -1.0]"), encoding="utf-8")
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(folder / "o")])
    assert result.exit_code == 2, result.output
    assert "point 1 (cap=10, referrals=-1.0): teams.0.referrals_per_week: got -1.0" in result.output
    assert not (folder / "o").exists()


# --- designs ---------------------------------------------------------------------------


def spec_for(folder: Path, design: str) -> tuple[ExperimentFile, pd.DataFrame]:
    spec = load_experiment(write_experiment(folder, design))
    plan = make_plan(spec, folder / "exp.yaml")
    return spec, plan.points


def test_a_grid_has_every_combination_once(folder: Path) -> None:
    _, points = spec_for(folder, GRID)
    assert len(points) == 6
    assert set(zip(points["cap"], points["referrals"], strict=True)) == {
        (c, r) for c in (10, 15, 20) for r in (0.4, 0.8)
    }


def test_sobol_points_follow_the_a_b_ab_layout(folder: Path) -> None:
    _, points = spec_for(folder, SOBOL)
    n, d = 8, 2
    assert len(points) == n * (d + 2)
    u = points[["u_cap", "u_referrals"]].to_numpy()
    a = u[(points["block"] == "A").to_numpy()]
    b = u[(points["block"] == "B").to_numpy()]
    for i in range(d):
        ab = u[((points["block"] == "AB") & (points["block_index"] == i)).to_numpy()]
        expected = a.copy()
        expected[:, i] = b[:, i]
        assert np.array_equal(ab, expected), f"AB_{i} is A with column {i} from B"
    assert points["cap"].between(8, 20).all() and points["cap"].dtype == np.int64
    assert points["referrals"].between(0.3, 1.2).all()


def test_morris_trajectories_move_one_factor_by_delta_per_step(folder: Path) -> None:
    _, points = spec_for(folder, MORRIS)
    delta = 4 / (2 * 3)
    for _, path in points.groupby("block_index"):
        u = path.sort_values("row")[["u_cap", "u_referrals"]].to_numpy()
        steps = np.abs(np.diff(u, axis=0))
        assert len(u) == 3
        assert ((steps > 1e-9).sum(axis=1) == 1).all(), "one factor moves per step"
        assert np.allclose(steps.max(axis=1), delta), "by delta"
        assert ((u >= 0) & (u <= 1)).all()


def test_a_latin_hypercube_has_one_point_in_each_stratum(folder: Path) -> None:
    _, points = spec_for(folder, LHS)
    for column in ("u_cap", "u_referrals"):
        strata = np.floor(points[column].to_numpy() * 10).astype(int)
        assert sorted(strata) == list(range(10))


def test_one_at_a_time_starts_from_the_base_values(folder: Path) -> None:
    _, points = spec_for(folder, OAT)
    base = points.iloc[0]
    assert base["block_index"] == -1 and base["cap"] == 15 and base["referrals"] == pytest.approx(0.6)
    varied = points.iloc[1:]
    for _, row in varied.iterrows():
        other = "referrals" if row["block_index"] == 0 else "cap"
        assert row[other] == base[other], "the other factor stays at its base value"
    assert len(varied) == 2 + 2  # caps 10 and 20 (15 is the base), both referral levels


def test_designs_are_deterministic_and_change_with_the_seed(folder: Path) -> None:
    spec = load_experiment(write_experiment(folder, SOBOL))
    base = make_plan(spec, folder / "exp.yaml").base_scenario
    one, two = design_points(spec, base), design_points(spec, base)
    pd.testing.assert_frame_equal(one, two)
    other = spec.model_copy(update={"design": spec.design.model_copy(update={"seed": 99})})
    assert not np.array_equal(design_points(other, base)["u_cap"], one["u_cap"])


# --- the plan --------------------------------------------------------------------------


def test_the_plan_uses_common_random_numbers_and_unique_stable_keys(folder: Path) -> None:
    spec = load_experiment(write_experiment(folder, GRID, replications=4))
    plan = make_plan(spec, folder / "exp.yaml")
    tasks = plan.tasks
    assert len(tasks) == 6 * 4 and tasks["key"].is_unique
    assert (tasks["seed"] == 7).all(), "every point's replication r has the same seed (CRN)"
    assert (tasks.groupby("point")["replication"].apply(list) == pd.Series([[0, 1, 2, 3]] * 6)).all()
    again = make_plan(load_experiment(folder / "exp.yaml"), folder / "exp.yaml")
    assert again.tasks["key"].equals(tasks["key"]) and again.digest() == plan.digest()
    changed = make_plan(spec.model_copy(update={"seed": 8}), folder / "exp.yaml")
    assert not set(changed.tasks["key"]) & set(tasks["key"]), "a key changes with the seed"


# --- running, identity, resume ---------------------------------------------------------


def sweep_rows(folder: Path) -> pd.DataFrame:
    return read_results(folder).drop(columns=[]).reset_index(drop=True)


def test_serial_local_processes_and_dask_give_identical_rows(folder: Path) -> None:
    spec = load_experiment(write_experiment(folder, GRID, replications=2))
    plan = make_plan(spec, folder / "exp.yaml")
    frames = {}
    executors: list[tuple[str, Executor]] = [
        ("serial", SerialExecutor()),
        ("local", ProcessExecutor(2)),
        ("dask", DaskExecutor(workers=2)),
    ]
    for name, executor in executors:
        outcome = run_sweep(plan, folder / name, executor)
        assert outcome.complete and outcome.stored == len(plan.tasks)
        frames[name] = sweep_rows(folder / name)
    assert len(frames["serial"]) == 12 and frames["serial"]["key"].is_unique
    pd.testing.assert_frame_equal(frames["serial"], frames["local"])
    pd.testing.assert_frame_equal(frames["serial"], frames["dask"])
    parts = {name: sorted(p.name for p in (folder / name / "results").iterdir()) for name in frames}
    assert parts["serial"] == parts["local"] == parts["dask"], "the same parts, whatever ran them"


def _die_once(item: tuple[str, int]) -> tuple[int, int]:
    """Kill the worker process the first time item 3 runs (a marker file remembers)."""
    marker, value = item
    if value == 3 and not os.path.exists(marker):
        Path(marker).write_text("died")
        os._exit(1)
    return value, os.getpid()


def test_a_dask_worker_that_dies_has_its_task_rerun_and_nothing_twice(tmp_path: Path) -> None:
    marker = str(tmp_path / "died")
    results = list(DaskExecutor(workers=2).stream(_die_once, [(marker, i) for i in range(8)], in_flight=4))
    assert Path(marker).exists(), "a worker died"
    assert sorted(i for i, _ in results) == list(range(8)), "every task once"
    assert sorted(v for _, (v, _) in results) == list(range(8))


def test_an_interrupted_sweep_resumes_with_nothing_lost_or_twice(folder: Path) -> None:
    spec = load_experiment(write_experiment(folder, GRID, replications=3))
    plan = make_plan(spec, folder / "exp.yaml")
    whole = folder / "whole"
    run_sweep(plan, whole, SerialExecutor())

    broken = folder / "broken"
    calls = []

    def stop_after_two(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 3:  # the initial call, then two chunks
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, broken, SerialExecutor(), progress=stop_after_two)
    manifest = json.loads((broken / "manifest.json").read_text())
    assert manifest["status"] == "partial" and 0 < manifest["stored"] < len(plan.tasks)
    refused = CliRunner().invoke(app, ["sweep", str(folder / "exp.yaml"), "--out", str(broken)])
    assert refused.exit_code == 2 and "--resume" in refused.output, "no silent restart over a partial sweep"
    outcome = run_sweep(plan, broken, SerialExecutor(), resume=True)
    assert outcome.stored_before == manifest["stored"] and outcome.complete
    pd.testing.assert_frame_equal(sweep_rows(broken), sweep_rows(whole))
    pd.testing.assert_frame_equal(
        pd.read_parquet(broken / "points.parquet"), pd.read_parquet(whole / "points.parquet")
    )


def test_resuming_with_a_changed_experiment_is_refused(folder: Path) -> None:
    path = write_experiment(folder, GRID, replications=1)
    out = folder / "o"
    assert CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--quiet"]).exit_code == 0
    path.write_text(experiment_yaml(GRID, 1).replace("seed: 7", "seed: 8"), encoding="utf-8")
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--resume"])
    assert result.exit_code == 2 and "different plan" in result.output, result.output


SLOW = """\
name: slow
teams:
  - {name: a, specialists: 5, referrals_per_week: 1.0}
run: {warmup_days: 700, horizon_days: 730}
"""


def _start_sweep(folder: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    (folder / "small.yaml").write_text(SLOW, encoding="utf-8")
    path = folder / "exp.yaml"
    if not path.exists():
        path.write_text(experiment_yaml(GRID, replications=8), encoding="utf-8")
    return subprocess.Popen(
        [str(EXECUTABLE), "sweep", str(path), "--out", str(out), "--workers", "2", "--quiet", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )


def _wait_for_parts(out: Path, proc: subprocess.Popen[bytes], count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "results").is_dir() and len(list((out / "results").glob("part-*.parquet"))) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the sweep stored {count} parts in time")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux signals")
@pytest.mark.parametrize(
    ("sig", "executor"), [(signal.SIGINT, "local"), (signal.SIGKILL, "local"), (signal.SIGINT, "dask")]
)
def test_a_killed_sweep_resumes_to_exactly_the_uninterrupted_rows(
    folder: Path, sig: int, executor: str
) -> None:
    whole, broken = folder / "whole", folder / "broken"
    proc = _start_sweep(folder, whole)
    assert proc.wait(timeout=600) == 0, proc.stderr.read().decode() if proc.stderr else ""

    proc = _start_sweep(folder, broken, "--executor", executor)
    _wait_for_parts(broken, proc, 2)
    proc.send_signal(sig)
    code = proc.wait(timeout=60)
    err = proc.stderr.read().decode() if proc.stderr else ""
    stored_at_kill = len(list((broken / "results").glob("part-*.parquet")))
    total_parts = len(list((whole / "results").glob("part-*.parquet")))
    assert 0 < stored_at_kill < total_parts, "killed mid-sweep"
    if sig == signal.SIGINT:
        assert code == 130 and "--resume" in err and "Traceback" not in err, err
    resumed = _start_sweep(folder, broken, "--resume", "--json")
    out, err2 = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err2.decode()
    summary = json.loads(out.decode())
    assert summary["complete"] and summary["stored_before"] > 0 and summary["ran"] < summary["tasks"]
    pd.testing.assert_frame_equal(sweep_rows(broken), sweep_rows(whole))
    assert not list((broken / "results").glob(".*tmp")), "no temporary part left"


# --- query -----------------------------------------------------------------------------


def test_query_reads_the_store_as_a_table_csv_and_json(folder: Path) -> None:
    path = write_experiment(folder, GRID, replications=2)
    out = folder / "o"
    assert CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--quiet"]).exit_code == 0
    sql = "select cap, count(*) as n, avg(wait_days_mean) as w from results group by cap order by cap"
    as_csv = CliRunner().invoke(app, ["query", str(out), sql, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    lines = as_csv.stdout.strip().splitlines()
    assert lines[0] == "cap,n,w" and [line.split(",")[:2] for line in lines[1:]] == [
        ["10", "4"],
        ["15", "4"],
        ["20", "4"],
    ]
    rows = json.loads(
        CliRunner()
        .invoke(app, ["query", str(out), "select count(*) as n from points", "--format", "json"])
        .stdout
    )
    assert rows == [{"n": 6 * 3}], "6 points x 3 KPIs of interest"
    table = CliRunner().invoke(app, ["query", str(out), "select count(*) as n from plan"])
    assert table.exit_code == 0 and "12" in table.stdout
    expected = pd.read_parquet(out / "results").groupby("cap")["wait_days_mean"].mean().to_numpy()
    assert np.allclose([float(line.split(",")[2]) for line in lines[1:]], expected), (
        "the store loads in pandas too"
    )


def test_query_refuses_bad_sql_and_folders_that_are_not_stores(folder: Path) -> None:
    bad = CliRunner().invoke(app, ["query", str(folder), "select 1"])
    assert bad.exit_code == 2 and "not a sweep's results store" in bad.output
    path = write_experiment(folder, GRID, replications=1)
    out = folder / "o"
    CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--quiet"])
    wrong = CliRunner().invoke(app, ["query", str(out), "select nope from results"])
    assert wrong.exit_code == 2 and "query:" in wrong.output and "Traceback" not in wrong.output
    fmt = CliRunner().invoke(app, ["query", str(out), "select 1", "--format", "xml"])
    assert fmt.exit_code == 2 and "--format" in fmt.output


def test_a_design_that_makes_the_same_scenario_twice_completes(folder: Path) -> None:
    """An integer factor over a narrow range rounds different coordinates to one value: Sobol's
    AB_i then repeats A's scenario. The two points share task keys but are two tasks each."""
    path = folder / "exp.yaml"
    text = experiment_yaml(SOBOL, replications=2).replace("range: [8, 20]", "range: [10, 11]")
    path.write_text(text, encoding="utf-8")
    plan = make_plan(load_experiment(path), path)
    assert plan.tasks["key"].duplicated().any(), "the design repeats a scenario"
    outcome = run_sweep(plan, folder / "o", SerialExecutor())
    assert outcome.complete and len(read_results(folder / "o")) == len(plan.tasks)


def test_the_cli_sweeps_on_an_existing_dask_cluster_with_the_same_rows(folder: Path) -> None:
    """--scheduler ADDR: the test starts its own LocalCluster (nothing else need be running)."""
    from distributed import LocalCluster

    path = write_experiment(folder, GRID, replications=2)
    serial = CliRunner().invoke(app, ["sweep", str(path), "--out", str(folder / "serial"), "--quiet"])
    assert serial.exit_code == 0, serial.output
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True) as cluster:
        result = CliRunner().invoke(
            app,
            [
                "sweep",
                str(path),
                "--out",
                str(folder / "cluster"),
                "--scheduler",
                cluster.scheduler_address,
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["complete"] and summary["executor"].startswith("DaskExecutor(tcp://")
    pd.testing.assert_frame_equal(sweep_rows(folder / "cluster"), sweep_rows(folder / "serial"))


def test_bad_sweep_options_are_refused_before_anything_runs(folder: Path) -> None:
    path = write_experiment(folder, GRID, replications=1)
    for args, words in [
        (["--workers", "0"], "--workers: got 0"),
        (["--executor", "spark"], "--executor: got 'spark'"),
        (["--executor", "local", "--scheduler", "tcp://x:1"], "--scheduler: goes with --executor dask"),
    ]:
        result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(folder / "o"), *args])
        assert result.exit_code == 2 and words in result.output, result.output
    assert not (folder / "o").exists()


def test_points_summarise_the_stored_rows_exactly(folder: Path) -> None:
    """points.parquet is folded part by part; it equals a groupby over every row at once."""
    from scipy import stats

    spec = load_experiment(write_experiment(folder, LHS, replications=5))
    plan = make_plan(spec, folder / "exp.yaml")
    run_sweep(plan, folder / "o", SerialExecutor())
    rows = read_results(folder / "o")
    points = pd.read_parquet(folder / "o" / "points.parquet")
    assert plan.chunks > 1 and set(points["kpi"]) == {"work_12m", "wait_days_mean", "stress_mean"}
    for kpi in ("wait_days_mean", "stress_mean"):
        expected = rows.groupby("point")[kpi].agg(["mean", "std", "count"])
        got = points[points["kpi"] == kpi].set_index("point")
        assert np.allclose(got["mean"], expected["mean"]) and np.allclose(got["std"], expected["std"])
        assert (got["n"] == expected["count"]).all()
        half = stats.t.ppf(0.975, expected["count"] - 1) * expected["std"] / np.sqrt(expected["count"])
        assert np.allclose(got["ci_high"] - got["mean"], half)


def test_analyze_writes_tables_and_an_offline_report_from_the_store(folder: Path) -> None:
    path = write_experiment(folder, MORRIS, replications=2)
    out = folder / "o"
    swept = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out)])  # with the progress bar
    assert swept.exit_code == 0, swept.output
    assert "tasks stored" in swept.stdout and f"caseload-sim analyze {out}" in swept.stdout
    result = CliRunner().invoke(app, ["analyze", str(out), "--bootstrap", "60"])
    assert result.exit_code == 0, result.output
    assert (out / "analysis" / "morris.csv").exists() and (out / "analysis" / "noise.csv").exists()
    morris = pd.read_csv(out / "analysis" / "morris.csv")
    assert set(morris["factor"]) == {"cap", "referrals"} and (morris["mu_star_low"].dropna() >= 0).all()
    html = (out / "sweep_report.html").read_text(encoding="utf-8")
    assert "Findings" in html and '<script src="http' not in html
    assert result.stdout.startswith("- "), "findings first, in words"


def test_analyze_refuses_what_is_not_a_sweep(folder: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", str(folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    bad = CliRunner().invoke(app, ["analyze", str(folder), "--bootstrap", "3"])
    assert bad.exit_code == 2 and "--bootstrap: got 3" in bad.output


def test_a_point_too_big_for_the_machine_is_refused_before_the_sweep(folder: Path) -> None:
    """The size guard looks at the largest point, not only the base: a factor can make one huge."""
    path = folder / "exp.yaml"
    path.write_text(
        "name: big\nscenario: small.yaml\nfactors:\n  - {path: 'teams[0].copies', levels: [1, 1000]}\n"
        "design: {kind: grid}\nreplications: 1\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(folder / "o"), "--max-rows", "200000"])
    assert result.exit_code == 2 and "--force" in result.output and "1,000 team(s)" in result.output, (
        result.output
    )
    assert not (folder / "o").exists()


def test_a_damaged_part_is_set_aside_and_its_chunk_run_again(folder: Path) -> None:
    """A part that cannot be read (a copied folder, a disk error) is kept as .bad, not read, and rerun."""
    spec = load_experiment(write_experiment(folder, GRID, replications=2))
    plan = make_plan(spec, folder / "exp.yaml")
    run_sweep(plan, folder / "whole", SerialExecutor())
    out = folder / "o"
    run_sweep(plan, out, SerialExecutor())
    part = sorted((out / "results").glob("part-*.parquet"))[0]
    part.write_bytes(b"not parquet")
    outcome = run_sweep(plan, out, SerialExecutor(), resume=True)
    assert outcome.complete and outcome.chunks_run == 1
    assert part.with_suffix(".bad").read_bytes() == b"not parquet", "kept, not deleted"
    pd.testing.assert_frame_equal(sweep_rows(out), sweep_rows(folder / "whole"))


def test_compare_with_set_changes_every_scenario_and_records_it(folder: Path) -> None:
    other = folder / "other.yaml"
    other.write_text("extends: small.yaml\nname: other\nregulation: {caseload_cap: 10}\n", encoding="utf-8")
    out = folder / "cmp"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(folder / "small.yaml"),
            str(other),
            "-n",
            "2",
            "--out",
            str(out),
            "--set",
            "run.horizon_days=200",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["scenario"]["run"]["horizon_days"] for s in manifest["scenarios"]] == [200.0, 200.0]
    assert manifest["scenarios"][1]["scenario"]["regulation"]["caseload_cap"] == 10, (
        "the file's own values stay"
    )
    assert manifest["command"][-2:] == ["--set", "run.horizon_days=200"]
