"""Replications, confidence intervals and executors.

The CI arithmetic is checked against hand computations with Student-t quantiles
copied from a printed table, not recomputed with scipy. Parallel runs are compared
with serial ones for exact equality, and the parallel tests check that two worker
processes really did the work (``tests/pools.py`` makes sure both get a task,
whatever the machine's load).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from caseload_sim.executors import ProcessExecutor, SerialExecutor, make_executor
from caseload_sim.experiment import (
    SERIES_TABLE_COLUMNS,
    SUMMARY_COLUMNS,
    ReplicationResults,
    run_replication,
    run_replications,
    summarize,
)
from caseload_sim.scenario import Scenario, load_scenario
from pools import SpreadProcessExecutor

if TYPE_CHECKING:
    from conftest import FakeEngine

# Two-sided 95 % Student-t quantiles t_{0.975, df} (any statistics table).
T975 = {1: 12.706204736174698, 3: 3.182446305284263, 4: 2.7764451051977987}


def _row(summary: pd.DataFrame, kpi: str) -> pd.Series:
    row = summary.set_index("kpi").loc[kpi]
    assert isinstance(row, pd.Series), f"{kpi} appears more than once"
    return row


# --- summarize ------------------------------------------------------------------------


def test_summary_matches_hand_computation() -> None:
    table = pd.DataFrame({"replication": range(4), "seed": 1, "a": [1.0, 2.0, 3.0, 4.0]})
    row = _row(summarize(table), "a")
    # mean 2.5; deviations ±0.5, ±1.5 -> s^2 = (2*0.25 + 2*2.25)/3 = 5/3
    s = math.sqrt(5.0 / 3.0)
    half = T975[3] * s / math.sqrt(4)  # = 2.0542...
    assert row["mean"] == pytest.approx(2.5)
    assert row["std"] == pytest.approx(s)
    assert row["ci_low"] == pytest.approx(2.5 - half)
    assert row["ci_high"] == pytest.approx(2.5 + half)
    assert row["n"] == 4
    assert half == pytest.approx(2.0542, abs=1e-4)


def test_summary_skips_undefined_replications() -> None:
    nan = math.nan
    table = pd.DataFrame(
        {
            "replication": range(4),
            "seed": 1,
            "two_defined": [1.0, nan, 3.0, nan],
            "one_defined": [nan, 5.0, nan, nan],
            "none_defined": [nan] * 4,
            "constant": [7.0] * 4,
        }
    )
    summary = summarize(table)
    two = _row(summary, "two_defined")
    # n = 2: mean 2, s = sqrt(2), half-width = t_{.975,1} * sqrt(2) / sqrt(2)
    assert (two["n"], two["mean"], two["std"]) == (2, pytest.approx(2.0), pytest.approx(math.sqrt(2)))
    assert two["ci_low"] == pytest.approx(2.0 - T975[1])
    assert two["ci_high"] == pytest.approx(2.0 + T975[1])

    one = _row(summary, "one_defined")
    assert one["n"] == 1 and one["mean"] == 5.0, "a single value still has a mean"
    assert np.isnan([one["std"], one["ci_low"], one["ci_high"]]).all(), "no spread or CI from one value"

    none = _row(summary, "none_defined")
    assert none["n"] == 0 and np.isnan(none[["mean", "std", "ci_low", "ci_high"]].astype(float)).all()

    const = _row(summary, "constant")
    assert (const["std"], const["ci_low"], const["ci_high"]) == (0.0, 7.0, 7.0)


def test_summary_shape_order_and_confidence_level() -> None:
    table = pd.DataFrame(
        {"replication": range(5), "seed": 3, "z": [1.0, 2.0, 4.0, 8.0, 16.0], "a": [0.0, 1.0, 0.0, 1.0, 0.0]}
    )
    summary = summarize(table)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert list(summary["kpi"]) == ["z", "a"], "KPIs keep the table's column order; ids are not KPIs"
    assert summary["n"].dtype == np.int64
    assert list(summarize(table, kpis=["a"])["kpi"]) == ["a"]
    # A 90 % interval is narrower than a 95 % one.
    w95 = summary.ci_high - summary.ci_low
    s90 = summarize(table, confidence=0.90)
    assert ((s90.ci_high - s90.ci_low) < w95).all()
    # df = 4 against the table value
    a = _row(summary, "a")
    assert a["ci_high"] - a["mean"] == pytest.approx(T975[4] * a["std"] / math.sqrt(5))
    with pytest.raises(ValueError, match="confidence"):
        summarize(table, confidence=1.0)


# --- run_replications (fake model) ----------------------------------------------------


@pytest.fixture
def tiny(tiny_yaml: Path) -> Scenario:
    return load_scenario(tiny_yaml)


def test_results_table_has_one_row_per_replication(tiny: Scenario, fake_engine: FakeEngine) -> None:
    seen: list[tuple[int, int]] = []
    res = run_replications(tiny, 5, seed=11, progress=lambda done, total: seen.append((done, total)))
    assert isinstance(res, ReplicationResults)
    assert list(res.table.columns) == ["replication", "seed", *fake_engine.kpi_names]
    assert res.table["replication"].tolist() == [0, 1, 2, 3, 4]
    assert (res.table["seed"] == 11).all()
    assert all(res.table[k].dtype == np.float64 for k in fake_engine.kpi_names)
    assert res.n == 5 and res.events is None
    assert seen == [(i, 5) for i in range(1, 6)], "progress is reported once per replication"
    assert sorted(c[2] for c in fake_engine.calls) == [0, 1, 2, 3, 4]
    # stress_p90 is NaN in replications 0 and 3: its summary counts the other three.
    assert _row(res.summary, "stress_p90")["n"] == 3
    pd.testing.assert_frame_equal(res.summary, summarize(res.table))


def test_replication_i_is_the_same_alone_or_in_a_batch(tiny: Scenario, fake_engine: FakeEngine) -> None:
    batch = run_replications(tiny, 4, seed=5, keep_events=True)
    alone, log = run_replication(tiny, 5, 2, keep_events=True)
    assert log is not None and batch.events is not None
    assert batch.table.iloc[2][list(alone)].tolist() == list(alone.values())
    assert np.array_equal(batch.events[2].events, log.events)
    assert [e.meta["replication"] for e in batch.events] == [0, 1, 2, 3]
    again = run_replications(tiny, 4, seed=5)
    pd.testing.assert_frame_equal(batch.table, again.table, check_exact=True)
    other = run_replications(tiny, 4, seed=6)
    assert not batch.table.equals(other.table), "a different seed gives different histories"


def test_kpi_contract_is_enforced(
    tiny: Scenario, fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    metrics = sys.modules["caseload_sim.metrics"]
    monkeypatch.setattr(metrics, "KPI_NAMES", ("work_12m", "not_computed"))
    with pytest.raises(ValueError, match="no value for not_computed"):
        run_replications(tiny, 2, seed=1)
    monkeypatch.setattr(metrics, "KPI_NAMES", ("stress_p90",))
    table = run_replications(tiny, 2, seed=1).table
    assert list(table.columns) == ["replication", "seed", "stress_p90", "work_12m", "wait_days_mean"], (
        "undocumented KPIs are kept, after the documented ones"
    )


def test_bad_arguments_and_model_errors(tiny: Scenario, fake_engine: FakeEngine) -> None:
    with pytest.raises(ValueError, match="n: got 0"):
        run_replications(tiny, 0, seed=1)
    with pytest.raises(ValueError, match="seed: got -1"):
        run_replications(tiny, 1, seed=-1)
    fake_engine.fail_on = 1
    with pytest.raises(RuntimeError, match="replication 1"):
        run_replications(tiny, 3, seed=1)


# --- executors ------------------------------------------------------------------------


def _nap_then_square(item: tuple[float, int]) -> int:
    """A task that takes a while, so that both workers of a pool get some."""
    seconds, value = item
    time.sleep(seconds)
    return value * value


def test_make_executor() -> None:
    assert isinstance(make_executor(1), SerialExecutor)
    pool = make_executor(3)
    assert isinstance(pool, ProcessExecutor) and pool.workers == 3
    with pytest.raises(ValueError, match="workers: got 0"):
        make_executor(0)
    with pytest.raises(ValueError, match="start_method"):
        ProcessExecutor(2, start_method="fork")  # type: ignore[arg-type]


def test_process_executor_returns_results_in_task_order(tmp_path: Path) -> None:
    # Early tasks sleep longest, so they finish last.
    items = [(0.4, 1), (0.3, 2), (0.0, 3), (0.1, 4), (0.0, 5), (0.0, 6)]
    finished: list[int] = []
    pool = SpreadProcessExecutor(2, tmp_path / "pool")
    results = pool.map(_nap_then_square, items, on_result=lambda i, _r: finished.append(i))
    assert results == [1, 4, 9, 16, 25, 36]
    assert sorted(finished) == list(range(6))
    assert len(pool.worker_pids) == 2, f"expected two worker processes, got {pool.worker_pids}"
    assert os.getpid() not in pool.worker_pids
    assert SerialExecutor().map(_nap_then_square, [(0.0, 3)]) == [9]
    assert pool.map(_nap_then_square, []) == []


def test_process_executor_reraises_task_errors() -> None:
    with pytest.raises(ValueError, match="math domain error"):
        ProcessExecutor(2).map(math.sqrt, [4.0, -1.0, 9.0])


# --- the real model -------------------------------------------------------------------


def test_one_and_two_workers_give_identical_results(
    tiny: Scenario, real_engine: tuple[str, ...], tmp_path: Path
) -> None:
    serial = run_replications(tiny, 6, seed=2024, workers=1)
    pool = SpreadProcessExecutor(2, tmp_path / "pool")
    parallel = run_replications(tiny, 6, seed=2024, executor=pool)
    assert len(pool.worker_pids) == 2, "the parallel run must really use two processes"
    assert os.getpid() not in pool.worker_pids
    assert list(serial.table.columns) == ["replication", "seed", *real_engine]
    pd.testing.assert_frame_equal(serial.table, parallel.table, check_exact=True)
    pd.testing.assert_frame_equal(serial.summary, parallel.summary, check_exact=True)
    assert serial.series is not None and parallel.series is not None
    pd.testing.assert_frame_equal(serial.series, parallel.series, check_exact=True)
    assert list(serial.series.columns) == list(SERIES_TABLE_COLUMNS)
    assert sorted(serial.series["replication"].unique()) == list(range(6))
