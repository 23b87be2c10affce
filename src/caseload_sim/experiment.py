"""Experiments: replications of one scenario, and what they say with confidence.

One replication is one possible history of the scenario's world: the model runs it
(:func:`caseload_sim.model.simulate`) and the metrics condense its event log into KPIs
(:func:`caseload_sim.metrics.compute_kpis`). A replication's randomness is fully
determined by ``(seed, replication)``, so replication *i* gives the same KPIs in any
process, in any order; running them on one worker or on many yields bit-identical
tables.

Across replications we report each KPI's mean, standard deviation and a 95 % Student-t
confidence interval for the mean (:func:`summarize`). A KPI can be undefined in a
replication — e.g. no cohort could be followed for the full year — and is then NaN;
such replications are left out of that KPI's statistics, and ``n`` says how many
remained.

Everything here is pure: no printing, no files. The CLI prints and writes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from caseload_sim.executors import Executor, make_executor
from caseload_sim.scenario import Scenario

if TYPE_CHECKING:
    from caseload_sim.events import EventLog

__all__ = [
    "ID_COLUMNS",
    "SUMMARY_COLUMNS",
    "Progress",
    "ReplicationResults",
    "kpi_names",
    "run_replication",
    "run_replications",
    "summarize",
]

#: Columns of a results table that identify a replication rather than measure it.
ID_COLUMNS: tuple[str, ...] = ("replication", "seed")
#: Columns of :func:`summarize`'s output, in order.
SUMMARY_COLUMNS: tuple[str, ...] = ("kpi", "mean", "std", "ci_low", "ci_high", "n")

#: Progress callback: ``progress(done, total)`` after each finished replication.
Progress = Callable[[int, int], None]


def kpi_names() -> tuple[str, ...]:
    """The KPI columns, in their documented order (``caseload_sim.metrics.KPI_NAMES``)."""
    # Imported on use, here and below, so that `caseload-sim validate` and
    # `--version` do not pay for importing the model and metrics.
    from caseload_sim.metrics import KPI_NAMES

    return tuple(KPI_NAMES)


def run_replication(
    scenario: Scenario, seed: int, replication: int, keep_events: bool = False
) -> tuple[dict[str, float], EventLog | None]:
    """Simulate one replication and compute its KPIs.

    Parameters
    ----------
    scenario
        The validated world to simulate.
    seed
        Root seed of the experiment; together with ``replication`` it fixes every
        random draw.
    replication
        Index of the replication (0, 1, ...).
    keep_events
        Also return the event log (it can be large; only ask when it is written out).

    Returns
    -------
    kpis, log
        KPI name -> value (float, NaN when undefined) and the event log, or ``None``
        when ``keep_events`` is false.
    """
    from caseload_sim.metrics import compute_kpis
    from caseload_sim.model import simulate

    log = simulate(scenario, seed, replication)
    kpis = {str(name): float(value) for name, value in compute_kpis(log).items()}
    return kpis, (log if keep_events else None)


@dataclass(frozen=True)
class ReplicationResults:
    """The outcome of :func:`run_replications`.

    Attributes
    ----------
    scenario
        The scenario that was run.
    seed
        The experiment's root seed.
    table
        One row per replication, in replication order: ``replication``, ``seed``, then
        one float column per KPI in ``KPI_NAMES`` order.
    summary
        One row per KPI: ``kpi, mean, std, ci_low, ci_high, n`` (see :func:`summarize`).
    events
        The replications' event logs in replication order, or ``None`` if they were
        not kept.
    """

    scenario: Scenario
    seed: int
    table: pd.DataFrame
    summary: pd.DataFrame
    events: list[EventLog] | None = None

    @property
    def n(self) -> int:
        """Number of replications."""
        return len(self.table)


def _results_table(rows: Sequence[Mapping[str, float]], seed: int, names: Sequence[str]) -> pd.DataFrame:
    """Assemble per-replication KPI dicts into the results table, checking the contract."""
    known = set(names)
    extras: list[str] = []
    for i, row in enumerate(rows):
        missing = [k for k in names if k not in row]
        if missing:
            raise ValueError(f"replication {i}: compute_kpis returned no value for {', '.join(missing)}")
        extras.extend(k for k in row if k not in known and k not in extras)
    columns = [*names, *extras]  # KPIs beyond KPI_NAMES are kept, after the documented ones
    data: dict[str, np.ndarray] = {
        "replication": np.arange(len(rows), dtype=np.int64),
        "seed": np.full(len(rows), seed, dtype=np.int64),
    }
    for name in columns:
        data[name] = np.array([row.get(name, math.nan) for row in rows], dtype=np.float64)
    return pd.DataFrame(data)


def summarize(
    table: pd.DataFrame, kpis: Sequence[str] | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean, spread and Student-t confidence interval of each KPI across replications.

    For a KPI with ``n`` non-NaN values :math:`x_1..x_n`:
    ``mean`` is their average, ``std`` the sample standard deviation (``ddof=1``), and
    the interval is ``mean ± t_{(1+confidence)/2, n-1} · std / sqrt(n)``. NaN values
    (KPI undefined in that replication) are left out; ``mean`` is NaN when ``n == 0``,
    and ``std``, ``ci_low`` and ``ci_high`` are NaN when ``n < 2``.

    Parameters
    ----------
    table
        A results table (one row per replication).
    kpis
        Columns to summarise, in output order; default: every column except
        ``replication`` and ``seed``.
    confidence
        Coverage of the interval, strictly between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi, mean, std, ci_low, ci_high, n``, one row per KPI.
    """
    from scipy import stats  # slow to import; only needed here

    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: got {confidence}; allowed: strictly between 0 and 1")
    names = list(kpis) if kpis is not None else [c for c in table.columns if c not in ID_COLUMNS]
    out: dict[str, list[object]] = {c: [] for c in SUMMARY_COLUMNS}
    for name in names:
        values = table[name].to_numpy(dtype=np.float64)
        values = values[~np.isnan(values)]
        n = int(values.size)
        mean = float(values.mean()) if n else math.nan
        std = ci_low = ci_high = math.nan
        if n >= 2:
            std = float(values.std(ddof=1))
            half = float(stats.t.ppf((1.0 + confidence) / 2.0, n - 1)) * std / math.sqrt(n)
            ci_low, ci_high = mean - half, mean + half
        for col, val in zip(SUMMARY_COLUMNS, (name, mean, std, ci_low, ci_high, n), strict=True):
            out[col].append(val)
    summary = pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))
    return summary.astype(
        {
            "kpi": object,
            "mean": "float64",
            "std": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "n": "int64",
        }
    )


def run_replications(
    scenario: Scenario,
    n: int,
    seed: int,
    workers: int = 1,
    keep_events: bool = False,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> ReplicationResults:
    """Run replications ``0 .. n-1`` of a scenario and summarise their KPIs.

    The table and summary are bit-identical whatever ``workers`` (or executor) is used.

    Parameters
    ----------
    scenario
        The validated world to simulate.
    n
        Number of replications, at least 1.
    seed
        Root seed (a non-negative integer); replication *i* uses ``(seed, i)``.
    workers
        Parallel worker processes (1 = run here). Ignored when ``executor`` is given.
    keep_events
        Keep every replication's event log in the result (memory grows with ``n``).
    progress
        Called as ``progress(done, n)`` in this process after each replication.
    executor
        Where to run the replications; default :func:`make_executor(workers)
        <caseload_sim.executors.make_executor>`.

    Returns
    -------
    ReplicationResults
    """
    if n < 1:
        raise ValueError(f"n: got {n}; allowed: an integer >= 1")
    if seed < 0:
        raise ValueError(f"seed: got {seed}; allowed: an integer >= 0")
    names = kpi_names()
    runner = executor if executor is not None else make_executor(workers)
    done = 0

    def on_result(_index: int, _result: object) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, n)

    task = partial(run_replication, scenario, seed, keep_events=keep_events)
    outcomes = runner.map(task, list(range(n)), on_result=on_result)
    table = _results_table([kpis for kpis, _ in outcomes], seed, names)
    events = [log for _, log in outcomes if log is not None] if keep_events else None
    return ReplicationResults(
        scenario=scenario,
        seed=seed,
        table=table,
        summary=summarize(table),
        events=events,
    )
