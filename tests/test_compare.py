"""Paired comparisons on common random numbers, and running until precise enough.

The statistics are checked against hand computations on hand-made tables (with the
Student-t quantile copied from a printed table); the plumbing against the fake model
of ``conftest.py``; and the claim that matters — pairing the scenarios' replications
removes the noise they share — against the real model.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from caseload_sim.cli import app
from caseload_sim.experiment import (
    COMPARISON_COLUMNS,
    DEFAULT_PRECISION_KPIS,
    PRECISION_COLUMNS,
    PrecisionTarget,
    compare_scenarios,
    comparison_table,
    precision_table,
    run_replications,
)
from caseload_sim.metrics import KPI_BETTER, KPI_NAMES
from caseload_sim.scenario import Scenario, load_scenario
from pools import SpreadProcessExecutor

if TYPE_CHECKING:
    from conftest import FakeEngine

REPO = Path(__file__).resolve().parents[1]
EXECUTABLE = Path(sys.executable).with_name("caseload-sim")
T975_3 = 3.182446305284263  # t_{0.975, 3} from a statistics table
REQUIRED = [
    "scenario",
    "kpi",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_better",
]
nan = math.nan
runner = CliRunner()


def invoke(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def row(table: pd.DataFrame, scenario: str, kpi: str) -> pd.Series:
    found = table[(table["scenario"] == scenario) & (table["kpi"] == kpi)]
    assert len(found) == 1, f"{scenario}/{kpi}: {len(found)} rows"
    return found.iloc[0]


# --- the declared directions ----------------------------------------------------------


def test_every_kpi_declares_which_way_is_better() -> None:
    assert set(KPI_BETTER) == set(KPI_NAMES), "KPI_BETTER must name exactly the KPIs in KPI_NAMES"
    assert set(KPI_BETTER.values()) <= {-1, 0, 1}
    # The ones a planner would be surprised to see the other way round.
    assert (KPI_BETTER["work_12m"], KPI_BETTER["exit_work_permanent_share"]) == (1, 1)
    assert (KPI_BETTER["wait_days_mean"], KPI_BETTER["stress_mean"], KPI_BETTER["turnover_annual"]) == (
        -1,
        -1,
        -1,
    )
    assert (KPI_BETTER["exit_dropout_share"], KPI_BETTER["exit_time_limit_share"]) == (-1, -1)
    assert KPI_BETTER["caseload_mean"] == 0 and KPI_BETTER["referrals_per_year"] == 0


# --- comparison_table on hand-made tables ---------------------------------------------


@pytest.fixture
def hand_tables() -> dict[str, pd.DataFrame]:
    base = pd.DataFrame(
        {
            "replication": range(5),
            "seed": 1,
            "up": [1.0, 2.0, 3.0, 4.0, 5.0],
            "down": [1.0, 2.0, 3.0, 4.0, 5.0],
            "flat": [1.0, 2.0, 3.0, 4.0, 5.0],
            "same": [1.0, 2.0, 3.0, 4.0, 5.0],
            "gone": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    alt = pd.DataFrame(
        {
            "replication": range(5),
            "seed": 1,
            "up": [2.0, 2.0, 5.0, 3.0, nan],  # undefined in replication 4: 4 pairs
            "down": [2.0, 2.0, 5.0, 3.0, nan],
            "flat": [2.0, 2.0, 5.0, 3.0, nan],
            "same": [1.0, 2.0, 3.0, 4.0, 5.0],
            "gone": [nan] * 5,
        }
    )
    # Rows in another order: pairing goes by replication number, not by row.
    return {"base": base, "alt": alt.iloc[[3, 0, 4, 2, 1]].reset_index(drop=True)}


def test_comparison_columns_and_base_rows(hand_tables: dict[str, pd.DataFrame]) -> None:
    c = comparison_table(hand_tables, better={"up": 1, "down": -1, "flat": 0, "same": 1, "gone": 1})
    assert list(c.columns) == list(COMPARISON_COLUMNS)
    assert list(c.columns[:9]) == REQUIRED, "the documented columns come first, in order"
    assert list(c["scenario"]) == ["base"] * 5 + ["alt"] * 5
    assert list(c["kpi"][:5]) == ["up", "down", "flat", "same", "gone"]
    base = row(c, "base", "up")
    assert (base["mean"], base["diff"], base["n"], base["n_paired"]) == (3.0, 0.0, 5, 5)
    assert np.isnan(
        base[["diff_ci_low", "diff_ci_high", "p_better", "pairing_variance_ratio"]].astype(float)
    ).all(), "the base is the reference, not a comparison"


def test_paired_interval_p_better_and_variance_ratio_by_hand(hand_tables: dict[str, pd.DataFrame]) -> None:
    c = comparison_table(hand_tables, better={"up": 1, "down": -1, "flat": 0, "same": 1, "gone": 1})
    up = row(c, "alt", "up")
    # Pairs (replications 0-3): base 1,2,3,4; alt 2,2,5,3; d = 1, 0, 2, -1.
    # mean(d) = 0.5; sd(d)^2 = (0.25 + 0.25 + 2.25 + 2.25) / 3 = 5/3; half = t * sqrt(5/3) / 2.
    half = T975_3 * math.sqrt(5.0 / 3.0) / 2.0
    assert up["diff"] == pytest.approx(0.5)
    assert (up["diff_ci_low"], up["diff_ci_high"]) == (pytest.approx(0.5 - half), pytest.approx(0.5 + half))
    assert (up["n"], up["n_paired"]) == (4, 4)
    assert up["mean"] == pytest.approx(3.0), "the alternative's own mean over its 4 defined values"
    # diff is the mean of the pairs, not mean(alt) - mean(base over all 5) = 3 - 3 = 0.
    # var(base pairs) = 5/3, var(alt pairs) = ((-1)^2 + (-1)^2 + 2^2 + 0^2) / 3 = 2.
    assert up["pairing_variance_ratio"] == pytest.approx((5.0 / 3.0) / (5.0 / 3.0 + 2.0))
    # Higher is better: d > 0 twice, one tie counted half -> 2.5 of 4.
    assert up["p_better"] == pytest.approx(2.5 / 4)
    # Lower is better: d < 0 once, one tie -> 1.5 of 4.
    assert row(c, "alt", "down")["p_better"] == pytest.approx(1.5 / 4)
    # No direction: no p_better, but the difference is still estimated.
    flat = row(c, "alt", "flat")
    assert np.isnan(flat["p_better"]) and flat["diff"] == pytest.approx(0.5)


def test_identical_and_undefined_kpis(hand_tables: dict[str, pd.DataFrame]) -> None:
    c = comparison_table(hand_tables, better={"same": 1})
    same = row(c, "alt", "same")
    assert (same["diff"], same["diff_ci_low"], same["diff_ci_high"]) == (0.0, 0.0, 0.0)
    assert same["pairing_variance_ratio"] == 0.0, "no difference in any replication: all noise shared"
    assert same["p_better"] == 0.5, "all ties count half"
    gone = row(c, "alt", "gone")
    assert gone["n_paired"] == 0 and gone["n"] == 0
    assert np.isnan(
        gone[["mean", "diff", "diff_ci_low", "p_better", "pairing_variance_ratio"]].astype(float)
    ).all()
    assert np.isnan(row(c, "alt", "up")["p_better"]), "a KPI without a declared direction has no p_better"


def test_comparison_table_refuses_nonsense(hand_tables: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(ValueError, match="at least the base"):
        comparison_table({})
    with pytest.raises(ValueError, match="confidence"):
        comparison_table(hand_tables, confidence=0.0)


# --- compare_scenarios (fake model) ---------------------------------------------------


def named(tiny: Scenario, name: str) -> Scenario:
    return tiny.model_copy(update={"name": name})


def test_compare_runs_every_scenario_on_the_same_keys(tiny_yaml: Path, fake_engine: FakeEngine) -> None:
    tiny = load_scenario(tiny_yaml)
    worlds = [tiny, named(tiny, "other"), named(tiny, "third")]
    res = compare_scenarios(worlds, 4, seed=7)
    assert res.names == ("tiny", "other", "third") and res.n == 4 and res.base is tiny
    assert sorted(fake_engine.calls) == sorted((w.name, 7, i) for w in worlds for i in range(4))
    alone = run_replications(tiny, 4, seed=7)
    for table in res.tables:
        pd.testing.assert_frame_equal(table, alone.table, check_exact=True)
    long = res.replications()
    assert list(long.columns) == ["scenario", "replication", "seed", *fake_engine.kpi_names]
    assert list(long["scenario"]) == ["tiny"] * 4 + ["other"] * 4 + ["third"] * 4
    again = compare_scenarios(worlds, 4, seed=7)
    pd.testing.assert_frame_equal(res.comparison, again.comparison, check_exact=True)
    pd.testing.assert_frame_equal(
        res.comparison, comparison_table(dict(zip(res.names, res.tables, strict=True)))
    )

    with pytest.raises(ValueError, match="a base and at least one alternative"):
        compare_scenarios([tiny], 2, seed=1)
    with pytest.raises(ValueError, match="'tiny' is used twice"):
        compare_scenarios([tiny, tiny], 2, seed=1)


# --- the real model: common random numbers --------------------------------------------


@pytest.fixture
def short_pair(tmp_path: Path) -> tuple[Path, Path]:
    """The shipped baseline on a short clock, and cap20 extending it (extends: outside the
    test's folder, so loading them names the shipped scenarios' folder as an extends root)."""
    base = tmp_path / "base.yaml"
    base.write_text(
        f"extends: {REPO / 'scenarios' / 'baseline.yaml'}\n"
        "name: short_base\nrun:\n  warmup_days: 180\n  horizon_days: 500\n",
        encoding="utf-8",
    )
    alt = tmp_path / "cap20.yaml"
    alt.write_text(
        "extends: base.yaml\nname: short_cap20\nregulation:\n  caseload_cap: 20\n", encoding="utf-8"
    )
    return base, alt


def test_pairing_removes_the_noise_the_scenarios_share(
    short_pair: tuple[Path, Path], real_engine: tuple[str, ...]
) -> None:
    base, alt = (load_scenario(p, extends_roots=[REPO / "scenarios"]) for p in short_pair)
    res = compare_scenarios([base, alt], 8, seed=3)
    referrals = row(res.comparison, "short_cap20", "potential_referrals_per_year")
    # The cap does not touch the referral streams: with common random numbers both
    # worlds see the same potential referrals in every replication, so the difference is
    # exactly 0 and pairing removes all of its variance. (The referrals *made* may differ:
    # case workers refer fewer people to a team with a longer waiting list.)
    assert (referrals["diff"], referrals["diff_ci_low"], referrals["diff_ci_high"]) == (0.0, 0.0, 0.0)
    assert referrals["pairing_variance_ratio"] == 0.0
    base_rate = res.tables[0]["potential_referrals_per_year"]
    assert base_rate.std() > 0, "referrals vary between replications; it is the pairing that cancels them"
    # Independent streams (another seed for the alternative) would not cancel them.
    independent = run_replications(alt, 8, seed=4).table["potential_referrals_per_year"]
    assert not np.array_equal(independent.to_numpy(), base_rate.to_numpy())


def test_compare_on_one_and_two_workers_is_identical(
    short_pair: tuple[Path, Path], real_engine: tuple[str, ...], tmp_path: Path
) -> None:
    worlds = [load_scenario(p, extends_roots=[REPO / "scenarios"]) for p in short_pair]
    serial = compare_scenarios(worlds, 3, seed=11)
    pool = SpreadProcessExecutor(2, tmp_path / "pool")
    parallel = compare_scenarios(worlds, 3, seed=11, executor=pool)
    assert len(pool.worker_pids) == 2 and os.getpid() not in pool.worker_pids
    pd.testing.assert_frame_equal(serial.comparison, parallel.comparison, check_exact=True)
    pd.testing.assert_frame_equal(serial.replications(), parallel.replications(), check_exact=True)
    assert serial.series is not None and parallel.series is not None
    pd.testing.assert_frame_equal(serial.series, parallel.series, check_exact=True)
    assert list(serial.series["scenario"].cat.categories) == ["short_base", "short_cap20"]


# --- precision ------------------------------------------------------------------------


def test_precision_table_edge_cases() -> None:
    table = pd.DataFrame(
        {
            "replication": range(3),
            "seed": 1,
            "zero": [0.0, 0.0, 0.0],  # half-width 0 at mean 0: met
            "never": [nan, nan, nan],  # cannot be estimated: does not hold the run up
            "once": [nan, 2.0, nan],  # one value, no interval: not met
            "around_zero": [-1.0, 0.0, 1.0],  # mean 0, half-width > 0: infinitely imprecise
            "x": [9.0, 10.0, 11.0],
        }
    )
    kpis = ["zero", "never", "once", "around_zero", "x"]
    p = precision_table({"s": table}, kpis, target=0.5).set_index("kpi")
    assert list(precision_table({"s": table}, kpis, target=0.5).columns) == list(PRECISION_COLUMNS)
    assert p.loc["zero", "relative_half_width"] == 0.0 and p.loc["zero", "met"]
    assert p.loc["never", "n"] == 0 and p.loc["never", "met"]
    relative = dict(zip(p.index, p["relative_half_width"].to_numpy(np.float64), strict=True))
    assert math.isnan(relative["once"]) and not p.loc["once", "met"]
    assert math.isinf(relative["around_zero"]) and not p.loc["around_zero", "met"]
    # x: mean 10, sd 1, half-width t_{.975,2} / sqrt(3) = 4.303 / 1.732 = 2.484
    assert p.loc["x", "half_width"] == pytest.approx(4.302652729749464 / math.sqrt(3))
    assert p.loc["x", "relative_half_width"] == pytest.approx(0.2484, abs=1e-4) and p.loc["x", "met"]


def test_precision_stops_at_the_first_n_that_meets_the_rule(tiny_yaml: Path, fake_engine: FakeEngine) -> None:
    tiny = load_scenario(tiny_yaml)
    target = PrecisionTarget(0.25, kpis=("work_12m", "wait_days_mean"), max_replications=60, batch=7)
    seen: list[tuple[int, int]] = []
    res = run_replications(tiny, 4, seed=5, precision=target, progress=lambda d, t: seen.append((d, t)))
    out = res.precision
    assert out is not None and out.reached and out.initial == 4
    n = res.n
    assert out.replications == n and n < 60 and out.replications_run >= n
    # The stopping point is the first n >= 4 at which the rule holds on the first n replications.
    full = run_replications(tiny, 60, seed=5).table
    holds = [
        bool(precision_table({"t": full.iloc[:m]}, target.kpis or (), 0.25)["met"].all())
        for m in range(4, 61)
    ]
    assert n == 4 + holds.index(True)
    # ... the same files as a plain run of that many, whatever the batch size.
    plain = run_replications(tiny, n, seed=5)
    pd.testing.assert_frame_equal(res.table, plain.table, check_exact=True)
    pd.testing.assert_frame_equal(res.summary, plain.summary, check_exact=True)
    assert res.series is not None and plain.series is not None
    pd.testing.assert_frame_equal(res.series, plain.series, check_exact=True)
    assert sorted(res.series["replication"].unique()) == list(range(n)), "series of dropped runs are dropped"
    other = run_replications(tiny, 4, seed=5, precision=PrecisionTarget(0.25, target.kpis, 60, batch=1))
    pd.testing.assert_frame_equal(res.table, other.table, check_exact=True)
    assert seen[0] == (1, 4) and seen[-1][0] == out.replications_run and seen[-1][1] >= seen[0][1]


def test_precision_respects_the_maximum(tiny_yaml: Path, fake_engine: FakeEngine) -> None:
    tiny = load_scenario(tiny_yaml)
    target = PrecisionTarget(1e-9, kpis=("work_12m",), max_replications=12)
    res = compare_scenarios([tiny, named(tiny, "other")], 10, seed=5, precision=target)
    out = res.precision
    assert out is not None and not out.reached
    assert res.n == out.replications == out.replications_run == 12
    assert set(out.unmet()["scenario"]) == {"tiny", "other"}
    manifest = out.to_manifest()
    assert manifest["stopped"] == "maximum replications reached" and manifest["replications"] == 12
    json.dumps(manifest, allow_nan=False)  # strict JSON: no NaN or Infinity


def test_precision_target_refuses_nonsense(tiny_yaml: Path, fake_engine: FakeEngine) -> None:
    for bad, match in (
        ({"relative_half_width": 0.0}, "relative_half_width"),
        ({"relative_half_width": nan}, "relative_half_width"),
        ({"relative_half_width": 0.1, "max_replications": 1}, "max_replications"),
        ({"relative_half_width": 0.1, "kpis": ()}, "kpis"),
        ({"relative_half_width": 0.1, "batch": 0}, "batch"),
        ({"relative_half_width": 0.1, "confidence": 1.0}, "confidence"),
    ):
        with pytest.raises(ValueError, match=match):
            PrecisionTarget(**bad)
    tiny = load_scenario(tiny_yaml)
    with pytest.raises(ValueError, match="at most max_replications"):
        run_replications(tiny, 20, seed=1, precision=PrecisionTarget(0.1, ("work_12m",), max_replications=10))
    with pytest.raises(ValueError, match="unknown 'nope'"):
        run_replications(tiny, 2, seed=1, precision=PrecisionTarget(0.1, ("nope",)))
    assert set(DEFAULT_PRECISION_KPIS) <= set(KPI_NAMES)


# --- the command line -----------------------------------------------------------------


@pytest.fixture
def pair(tiny_yaml: Path, tmp_path: Path) -> tuple[Path, Path]:
    alt = tmp_path / "other.yaml"
    alt.write_text("extends: tiny.yaml\nname: other\nregulation:\n  caseload_cap: 20\n", encoding="utf-8")
    return tiny_yaml, alt


def test_compare_cli_writes_comparison_replications_and_manifest(
    pair: tuple[Path, Path], tmp_path: Path, fake_engine: FakeEngine
) -> None:
    out = tmp_path / "c"
    result = invoke("compare", *pair, "-n", "3", "--seed", "4", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in out.iterdir()} == {
        "comparison.csv",
        "replications.csv",
        "series.parquet",
        "employment_curve.parquet",
        "manifest.json",
    }
    curve = pd.read_parquet(out / "employment_curve.parquet")
    assert list(curve["scenario"].cat.categories) == ["tiny", "other"], "base first"
    series = pd.read_parquet(out / "series.parquet")
    assert list(series["scenario"].cat.categories) == ["tiny", "other"], "base first"
    assert sorted(set(zip(series["scenario"].astype(str), series["replication"], strict=True))) == sorted(
        (s, i) for s in ("tiny", "other") for i in range(3)
    )
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns[:9]) == REQUIRED
    assert "pairing_variance_ratio" in comparison.columns
    assert list(comparison.columns[-3:]) == ["risk_ratio", "rr_ci_low", "rr_ci_high"]
    reps = pd.read_csv(out / "replications.csv")
    assert list(reps.columns) == ["scenario", "replication", "seed", *fake_engine.kpi_names]
    assert list(zip(reps["scenario"], reps["replication"], strict=True)) == [
        (s, i) for s in ("tiny", "other") for i in range(3)
    ]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    worlds = [load_scenario(p) for p in pair]
    assert [s["name"] for s in manifest["scenarios"]] == ["tiny", "other"]
    assert [s["sha256"] for s in manifest["scenarios"]] == [w.digest() for w in worlds]
    assert manifest["scenarios"][1]["scenario"] == worlds[1].model_dump(mode="json"), (
        "resolved, after extends"
    )
    assert (manifest["base"], manifest["seed"], manifest["replications"]) == ("tiny", 4, 3)
    assert manifest["scenario_sha256"] == worlds[0].digest() and "precision" not in manifest
    assert "other vs tiny" in result.stdout and "change" in result.stdout and "p better" not in result.stdout
    wide = invoke("compare", *pair, "-n", "3", "--seed", "4", "--out", tmp_path / "wide", "--wide")
    assert wide.exit_code == 0 and "p better" in wide.stdout and "var ratio" in wide.stdout


def test_compare_cli_is_deterministic_and_names_its_folder(
    pair: tuple[Path, Path], tmp_path: Path, fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("compare", *pair, "-n", "3").exit_code == 0
    assert invoke("compare", *pair, "-n", "3", "--out", "again").exit_code == 0
    first = tmp_path / "out" / "compare-tiny-other"
    for name in ("comparison.csv", "replications.csv"):
        assert (first / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name

    long = tmp_path / ("x" * 70 + ".yaml")
    long.write_text(f"extends: tiny.yaml\nname: {'x' * 70}\n", encoding="utf-8")
    assert invoke("compare", pair[0], long, "-n", "1").exit_code == 0
    folders = sorted(p.name for p in (tmp_path / "out").iterdir())
    hashed = [f for f in folders if f != "compare-tiny-other"]
    assert len(hashed) == 1 and len(hashed[0]) == len("compare-") + 12, folders


def test_compare_cli_with_precision_equals_a_plain_run(
    pair: tuple[Path, Path], tmp_path: Path, fake_engine: FakeEngine
) -> None:
    result = invoke(
        "compare", *pair, "-n", "3", "--out", tmp_path / "p", "--precision", "0.3",
        "--precision-kpis", "work_12m,wait_days_mean", "--max-replications", "40",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text(encoding="utf-8"))
    n = manifest["replications"]
    assert manifest["precision"]["reached"] and manifest["precision"]["kpis"] == [
        "work_12m",
        "wait_days_mean",
    ]
    assert f"precision reached: 95 % half-width <= 0.3 x |mean| for work_12m, wait_days_mean after {n}" in (
        result.stderr
    )
    plain = invoke("compare", *pair, "-n", str(n), "--out", tmp_path / "plain")
    assert plain.exit_code == 0
    for name in ("comparison.csv", "replications.csv", "series.parquet", "employment_curve.parquet"):
        assert (tmp_path / "p" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name

    capped = invoke(
        "run", pair[0], "-n", "2", "--out", tmp_path / "r", "--precision", "1e-9",
        "--precision-kpis", "all", "--max-replications", "5",
    )  # fmt: skip
    assert capped.exit_code == 0, capped.stderr
    assert "precision NOT reached: stopped at the maximum of 5 replications" in capped.stderr
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    assert (
        manifest["replications"] == 5 and manifest["precision"]["stopped"] == "maximum replications reached"
    )
    assert manifest["precision"]["kpis"] == list(fake_engine.kpi_names)


def test_compare_cli_refuses_bad_input_before_running(
    pair: tuple[Path, Path], bad_yaml: Path, tmp_path: Path, fake_engine: FakeEngine
) -> None:
    out = tmp_path / "o"
    cases: list[tuple[list[str | Path], str]] = [
        ([pair[0], bad_yaml], f"{bad_yaml}: teams.0.specialists: got 0"),
        ([pair[0], pair[0]], "scenario name 'tiny' is used by"),
        ([*pair, "--precision", "0.1", "--precision-kpis", "nope"], "--precision-kpis: got 'nope'"),
        ([*pair, "--precision", "-1", "--precision-kpis", "work_12m"], "--precision: got -1.0"),
        ([*pair, "--precision-kpis", "work_12m"], "--precision-kpis: only used with --precision"),
        (
            [*pair, "-n", "250", "--precision", "0.1", "--precision-kpis", "work_12m"],
            "at most --max-replications",
        ),
        ([*pair, "--seed", "-3"], "--seed: got -3"),
    ]
    for args, message in cases:
        result = invoke("compare", *args, "--out", out)
        assert result.exit_code == 2, (args, result.stdout)
        assert message in result.stderr, (message, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists() and fake_engine.calls == []
    assert invoke("compare", pair[0]).exit_code == 2, "an alternative is required"


def test_compare_executable_refuses_bad_input_without_traceback(bad_yaml: Path, tiny_yaml: Path) -> None:
    assert EXECUTABLE.exists(), f"{EXECUTABLE} is missing: run `make install`"
    proc = subprocess.run(
        [str(EXECUTABLE), "compare", str(tiny_yaml), str(bad_yaml), "missing.yaml"],
        cwd=tiny_yaml.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "teams.0.specialists: got 0" in proc.stderr and "missing.yaml: file not found" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tiny_yaml.parent / "out").exists()
