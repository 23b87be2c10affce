"""Experiments: replications of one scenario, and what they say with confidence.

One replication is one possible history of the scenario's world: the model runs it
(:func:`caseload_sim.model.simulate`) and the metrics condense its event log into KPIs
(:func:`caseload_sim.metrics.compute_kpis`). A replication's randomness is fully
determined by ``(seed, replication)``, so replication *i* gives the same KPIs in any
process, in any order; running them on one worker or on many yields bit-identical
tables. Each replication also condenses its log into weekly series — caseload, queue,
employment, stress, warm-up included (:func:`caseload_sim.metrics.weekly_series`) —
gathered into one tidy table for all replications (:func:`series_table`), so that
reports can draw how the service develops without keeping the logs.

Across replications we report each KPI's mean, standard deviation and a 95 % Student-t
confidence interval for the mean (:func:`summarize`). A KPI can be undefined in a
replication — e.g. no cohort could be followed for the full year — and is then NaN;
such replications are left out of that KPI's statistics, and ``n`` says how many
remained.

Comparing scenarios (:func:`compare_scenarios`) runs every scenario on the *same*
replication keys ``(seed, i)``. The model draws its randomness from streams keyed by
purpose and entity, so replication *i* of two scenarios sees the same referrals, the
same candidates and the same luck wherever the policy does not change them: **common
random numbers**. The difference of a KPI is then estimated replication by replication
(a paired comparison, :func:`comparison_table`), and much of the noise cancels; the
``pairing_variance_ratio`` column says how much. For the KPIs that are risks (shares of
a cohort with a yes/no outcome, such as ``employed_12m``) the paired difference is the
risk difference, and the comparison adds the risk ratio with its interval, as the
SE/IPS trials state effects (:func:`risk_ratio`). Each replication also yields its
employment curve — the share in work by month since intake
(:func:`caseload_sim.metrics.employment_curve`), gathered by :func:`curve_table`.

Enough replications (:class:`PrecisionTarget`): instead of a fixed number, replications
are added until each chosen KPI's 95 % interval is narrow enough relative to its mean.
The stopping point is decided as if the rule were checked after every single
replication, so the final number — and hence every table — does not depend on how many
workers ran them.

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
    "COMPARISON_COLUMNS",
    "CURVE_TABLE_COLUMNS",
    "DEFAULT_PRECISION_KPIS",
    "ID_COLUMNS",
    "PRECISION_COLUMNS",
    "SERIES_TABLE_COLUMNS",
    "SUMMARY_COLUMNS",
    "ComparisonResults",
    "PrecisionOutcome",
    "PrecisionTarget",
    "Progress",
    "RISK_RATIO_COLUMNS",
    "ReplicationResults",
    "compare_scenarios",
    "comparison_table",
    "curve_table",
    "interval_arrays",
    "kpi_directions",
    "kpi_names",
    "precision_table",
    "risk_kpis",
    "risk_ratio",
    "run_replication",
    "run_replications",
    "series_table",
    "summarize",
]

#: Columns of a results table that identify a replication rather than measure it.
ID_COLUMNS: tuple[str, ...] = ("replication", "seed")
#: Columns of :func:`summarize`'s output, in order.
SUMMARY_COLUMNS: tuple[str, ...] = ("kpi", "mean", "std", "ci_low", "ci_high", "n")
#: Columns of :func:`comparison_table`'s output, in order (the first nine are the
#: documented interface of ``comparison.csv`` that every reader may rely on; the
#: others were added later, each documented in the README: the pairing variance ratio
#: and counts, then the risk ratio with its interval, NaN for a KPI that is not a risk).
COMPARISON_COLUMNS: tuple[str, ...] = (
    "scenario",
    "kpi",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_better",
    "pairing_variance_ratio",
    "n",
    "n_paired",
    "risk_ratio",
    "rr_ci_low",
    "rr_ci_high",
)
#: The risk-ratio columns of :func:`comparison_table` (see :func:`risk_ratio`).
RISK_RATIO_COLUMNS: tuple[str, ...] = ("risk_ratio", "rr_ci_low", "rr_ci_high")
#: Columns of :func:`series_table`'s output (``series.parquet``), in order.
SERIES_TABLE_COLUMNS: tuple[str, ...] = ("scenario", "replication", "time_days", "variable", "value")
#: Columns of :func:`curve_table`'s output (``employment_curve.parquet``), in order.
CURVE_TABLE_COLUMNS: tuple[str, ...] = ("scenario", "replication", "month", "employed", "n")
#: Columns of :func:`precision_table`'s output, in order.
PRECISION_COLUMNS: tuple[str, ...] = (
    "scenario",
    "kpi",
    "n",
    "mean",
    "half_width",
    "relative_half_width",
    "met",
)
#: KPIs a precision target applies to unless others are chosen: the share into work,
#: the exits to work per FTE-year and the specialists' stress — candidates, the team's
#: output and the workforce. (The mean wait is left out: near capacity it is so skewed
#: that a tight relative interval can need thousands of replications.)
DEFAULT_PRECISION_KPIS: tuple[str, ...] = ("work_12m", "exits_to_work_per_fte_year", "stress_mean")

#: Progress callback: ``progress(done, total)`` after each finished replication.
Progress = Callable[[int, int], None]


def kpi_names() -> tuple[str, ...]:
    """The KPI columns, in their documented order (``caseload_sim.metrics.KPI_NAMES``)."""
    # Imported on use, here and below, so that `caseload-sim validate` and
    # `--version` do not pay for importing the model and metrics.
    from caseload_sim.metrics import KPI_NAMES

    return tuple(KPI_NAMES)


def kpi_directions() -> dict[str, int]:
    """Which way each KPI is better (``caseload_sim.metrics.KPI_BETTER``): +1, -1 or 0.

    Empty if the metrics module declares no directions (then every ``p_better`` is NaN).
    """
    try:
        from caseload_sim.metrics import KPI_BETTER
    except ImportError:
        return {}
    return dict(KPI_BETTER)


def risk_kpis() -> tuple[str, ...]:
    """The KPIs that are risks, for which a comparison gives a risk ratio
    (``caseload_sim.metrics.RISK_KPI_NAMES``; empty if the metrics module declares none)."""
    try:
        from caseload_sim.metrics import RISK_KPI_NAMES
    except ImportError:
        return ()
    return tuple(RISK_KPI_NAMES)


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
    kpis, log = _simulate(scenario, seed, replication)
    return kpis, (log if keep_events else None)


def _simulate(scenario: Scenario, seed: int, replication: int) -> tuple[dict[str, float], EventLog]:
    """Simulate one replication: its KPIs and its event log."""
    from caseload_sim.metrics import compute_kpis
    from caseload_sim.model import simulate

    log = simulate(scenario, seed, replication)
    return {str(name): float(value) for name, value in compute_kpis(log).items()}, log


def _replicate(
    scenario: Scenario, seed: int, replication: int, keep_events: bool
) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame, EventLog | None]:
    """One replication's KPIs, its weekly series (:func:`caseload_sim.metrics.weekly_series`),
    its employment curve (:func:`caseload_sim.metrics.employment_curve`) and log."""
    from caseload_sim.metrics import employment_curve, weekly_series

    kpis, log = _simulate(scenario, seed, replication)
    return kpis, weekly_series(log), employment_curve(log), (log if keep_events else None)


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
    precision
        How a precision target was met, or ``None`` when the number of replications
        was fixed.
    series
        Every replication's weekly series in one tidy table (:func:`series_table`), or
        ``None`` if not computed.
    curve
        Every replication's employment curve — the share in paid work by month since
        intake — in one tidy table (:func:`curve_table`), or ``None`` if not computed.
    """

    scenario: Scenario
    seed: int
    table: pd.DataFrame
    summary: pd.DataFrame
    events: list[EventLog] | None = None
    precision: PrecisionOutcome | None = None
    series: pd.DataFrame | None = None
    curve: pd.DataFrame | None = None

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
            ci_low, ci_high = _within(name, mean - half, mean + half)
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


# --- enough replications ----------------------------------------------------------------


@dataclass(frozen=True)
class PrecisionTarget:
    """Add replications until the chosen KPIs are estimated precisely enough.

    The rule, for every scenario and every chosen KPI: the half-width ``h`` of the
    KPI's Student-t interval for the mean (see :func:`summarize`) is at most
    ``relative_half_width`` times the absolute mean, ``h <= H * |mean|``; ``H = 0.05``
    asks for "the mean ± 5 %". In a comparison the rule applies to each scenario's own
    mean, not to the differences (a difference near zero — a lever that hardly
    matters — could never be estimated to within a few per cent of itself).

    Edge cases: a KPI with the same value in every replication (``h = 0``) meets the
    rule, even at mean 0; a KPI defined in only one replication does not; a KPI not
    defined in any replication so far cannot be estimated at all and does not hold
    the run up. A KPI whose mean is near zero needs many replications to meet a
    *relative* target — choose the KPIs accordingly.

    Replications are added in batches of ``batch`` (default: ``max(5, workers)``),
    but the stopping point is the first number of replications ``n >= initial`` at
    which the rule holds — as if it were checked after every replication — so the
    result depends neither on the batch size nor on the workers, and equals a plain
    run of that many replications. Replications run beyond that point are dropped.

    Attributes
    ----------
    relative_half_width
        ``H``, the largest allowed half-width relative to ``|mean|`` (> 0).
    kpis
        KPIs the rule applies to; ``None`` means :data:`DEFAULT_PRECISION_KPIS`.
    max_replications
        Stop here even if the rule does not hold (>= 2).
    batch
        Replications started at a time; ``None`` for ``max(5, workers)``.
    confidence
        Coverage of the intervals, strictly between 0 and 1.
    """

    relative_half_width: float
    kpis: tuple[str, ...] | None = None
    max_replications: int = 200
    batch: int | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        h = self.relative_half_width
        if not (math.isfinite(h) and h > 0):
            raise ValueError(f"relative_half_width: got {h}; allowed: a number > 0")
        if self.max_replications < 2:
            raise ValueError(f"max_replications: got {self.max_replications}; allowed: an integer >= 2")
        if self.kpis is not None and not self.kpis:
            raise ValueError("kpis: got an empty list; allowed: at least one KPI name, or None")
        if self.batch is not None and self.batch < 1:
            raise ValueError(f"batch: got {self.batch}; allowed: an integer >= 1")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence: got {self.confidence}; allowed: strictly between 0 and 1")

    def resolved_kpis(self, available: Sequence[str]) -> tuple[str, ...]:
        """The KPIs the rule applies to, checked against the ``available`` KPI names.

        Raises
        ------
        ValueError
            If a chosen KPI is not among ``available``.
        """
        chosen = self.kpis if self.kpis is not None else DEFAULT_PRECISION_KPIS
        unknown = [k for k in chosen if k not in available]
        if unknown:
            raise ValueError(
                f"precision KPIs: unknown {', '.join(map(repr, unknown))}; allowed: {', '.join(available)}"
            )
        return tuple(dict.fromkeys(chosen))


@dataclass(frozen=True)
class PrecisionOutcome:
    """How a :class:`PrecisionTarget` was met (or not).

    Attributes
    ----------
    target
        The target that was asked for.
    kpis
        The KPIs it applied to.
    reached
        Whether the rule held for every scenario and KPI; ``False`` means the run
        stopped at ``target.max_replications``.
    initial
        The number of replications run before the rule was first checked.
    replications
        The final number of replications (the results hold exactly these).
    replications_run
        Replications actually simulated per scenario, including any run beyond the
        stopping point in the last batch and dropped.
    table
        :func:`precision_table` at the final number of replications.
    """

    target: PrecisionTarget
    kpis: tuple[str, ...]
    reached: bool
    initial: int
    replications: int
    replications_run: int
    table: pd.DataFrame

    def unmet(self) -> pd.DataFrame:
        """The rows of :attr:`table` whose KPI does not meet the rule."""
        return self.table[~self.table["met"]]

    def to_manifest(self) -> dict[str, object]:
        """A JSON-ready description for the manifest (non-finite numbers become ``None``)."""

        def num(x: object) -> object:
            if isinstance(x, float | np.floating):
                return float(x) if math.isfinite(x) else None
            if isinstance(x, np.integer | np.bool_):
                return x.item()
            return x

        return {
            "rule": f"{100 * self.target.confidence:g} % half-width <= relative_half_width x |mean|, "
            "for every scenario and KPI",
            "relative_half_width": self.target.relative_half_width,
            "confidence": self.target.confidence,
            "kpis": list(self.kpis),
            "initial_replications": self.initial,
            "max_replications": self.target.max_replications,
            "reached": self.reached,
            "stopped": "precision reached" if self.reached else "maximum replications reached",
            "replications": self.replications,
            "replications_run": self.replications_run,
            "achieved": [
                {col: num(val) for col, val in row.items()} for row in self.table.to_dict(orient="records")
            ],
        }


def interval_arrays(
    values: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Student-t intervals of the mean, column by column, as in :func:`summarize`.

    ``values`` is replications x quantities (KPIs, or a series' time points); NaN means
    undefined in that replication and is left out. Returns per column ``n`` (defined
    values), ``mean`` (NaN if ``n == 0``), the half-width ``t_{(1+confidence)/2, n-1} ·
    sd / sqrt(n)`` and the half-width relative to ``|mean|`` (both NaN when ``n < 2``).
    """
    from scipy import stats

    defined = ~np.isnan(values)
    n = defined.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(defined, values - mean, 0.0)
        var = np.where(n >= 2, (dev * dev).sum(axis=0) / np.maximum(n - 1, 1), np.nan)
        tq = stats.t.ppf((1.0 + confidence) / 2.0, np.maximum(n - 1, 1))
        half = np.where(n >= 2, tq * np.sqrt(var / np.maximum(n, 1)), np.nan)
        relative = np.where(half == 0.0, 0.0, half / np.abs(mean))
    relative = np.where(n >= 2, relative, np.nan)
    return n, mean, half, relative


def _rule_holds(values: np.ndarray, target: float, confidence: float) -> bool:
    n, _mean, _half, relative = interval_arrays(values, confidence)
    return bool(np.all((n == 0) | (relative <= target)))


def precision_table(
    tables: Mapping[str, pd.DataFrame], kpis: Sequence[str], target: float, confidence: float = 0.95
) -> pd.DataFrame:
    """How precisely each scenario's KPIs are estimated, against a relative target.

    Parameters
    ----------
    tables
        Scenario name -> results table (one row per replication).
    kpis
        The KPIs to assess.
    target
        The largest allowed half-width relative to ``|mean|`` (see :class:`PrecisionTarget`).
    confidence
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, kpi, n, mean, half_width, relative_half_width, met``:
        ``relative_half_width`` is ``half_width / |mean|`` (0 when the half-width is 0,
        infinite when only the mean is 0, NaN when ``n < 2``); ``met`` says whether it
        is at most ``target`` (true also when ``n == 0``: an undefined KPI is not
        held against the run).
    """
    parts = []
    for name, table in tables.items():
        values = table[list(kpis)].to_numpy(dtype=np.float64)
        n, mean, half, relative = interval_arrays(values, confidence)
        parts.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "kpi": list(kpis),
                    "n": n.astype(np.int64),
                    "mean": mean,
                    "half_width": half,
                    "relative_half_width": relative,
                    "met": (n == 0) | (relative <= target),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[list(PRECISION_COLUMNS)]


# --- running replications of one or more scenarios ----------------------------------


def _replication_task(
    scenarios: tuple[Scenario, ...], seed: int, keep_events: bool, task: tuple[int, int]
) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame, EventLog | None]:
    """Replication ``task[1]`` of scenario number ``task[0]`` (module level, so it pickles)."""
    which, replication = task
    return _replicate(scenarios[which], seed, replication, keep_events)


def series_table(series: Mapping[str, Sequence[pd.DataFrame]]) -> pd.DataFrame:
    """Every replication's weekly series in one tidy table, in compact types.

    Parameters
    ----------
    series
        Scenario name -> the replications' :func:`caseload_sim.metrics.weekly_series`,
        in replication order (replication *i* at position *i*).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SERIES_TABLE_COLUMNS`: ``scenario`` and ``variable``
        categorical (in the given order), ``replication`` int32, ``time_days`` and
        ``value`` float32 (exact for counts and week ends below 2**24); scenario by
        scenario, replication by replication, then as each series is ordered.
    """
    from caseload_sim.metrics import SERIES_VARIABLES

    names = list(series)
    parts = [(code, i, frame) for code, name in enumerate(names) for i, frame in enumerate(series[name])]
    sizes = [len(frame) for _, _, frame in parts]

    def column(get: Callable[[pd.DataFrame], np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate([get(frame).astype(dtype) for _, _, frame in parts] or [np.empty(0, dtype)])

    variables = list(SERIES_VARIABLES)
    return pd.DataFrame(
        {
            "scenario": pd.Categorical.from_codes(
                np.repeat([code for code, _, _ in parts], sizes).astype(np.int64), categories=pd.Index(names)
            ),
            "replication": np.repeat([i for _, i, _ in parts], sizes).astype(np.int32),
            "time_days": column(lambda f: f["time_days"].to_numpy(), np.float32),
            "variable": pd.Categorical.from_codes(
                column(lambda f: pd.Categorical(f["variable"], categories=variables).codes, np.int64),
                categories=pd.Index(variables),
            ),
            "value": column(lambda f: f["value"].to_numpy(), np.float32),
        },
        columns=list(SERIES_TABLE_COLUMNS),
    )


def curve_table(curves: Mapping[str, Sequence[pd.DataFrame]]) -> pd.DataFrame:
    """Every replication's employment curve in one tidy table.

    Parameters
    ----------
    curves
        Scenario name -> the replications' :func:`caseload_sim.metrics.employment_curve`,
        in replication order (replication *i* at position *i*).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CURVE_TABLE_COLUMNS`: ``scenario`` categorical (in the given
        order), ``replication`` int32, ``month`` int32 (0, 1, ... months since intake),
        ``employed`` float64 (the share of the replication's 24-month cohort in paid
        work that month; NaN for an empty cohort), ``n`` int32 (the cohort's size);
        scenario by scenario, replication by replication, month by month.
    """
    names = list(curves)
    parts = [(code, i, frame) for code, name in enumerate(names) for i, frame in enumerate(curves[name])]
    sizes = [len(frame) for _, _, frame in parts]

    def column(name: str, dtype: type) -> np.ndarray:
        return np.concatenate(
            [frame[name].to_numpy().astype(dtype) for _, _, frame in parts] or [np.empty(0, dtype)]
        )

    return pd.DataFrame(
        {
            "scenario": pd.Categorical.from_codes(
                np.repeat([code for code, _, _ in parts], sizes).astype(np.int64), categories=pd.Index(names)
            ),
            "replication": np.repeat([i for _, i, _ in parts], sizes).astype(np.int32),
            "month": column("month", np.int32),
            "employed": column("employed", np.float64),
            "n": column("n", np.int32),
        },
        columns=list(CURVE_TABLE_COLUMNS),
    )


@dataclass
class _Batches:
    """Replications of several scenarios, run batch by batch on the same keys (seed, i)."""

    scenarios: tuple[Scenario, ...]
    seed: int
    keep_events: bool
    runner: Executor
    progress: Progress | None
    rows: list[list[dict[str, float]]]
    series: list[list[pd.DataFrame]]
    curves: list[list[pd.DataFrame]]
    logs: list[list[EventLog]]
    planned: int = 0
    done: int = 0

    @property
    def count(self) -> int:
        """Replications run so far, per scenario."""
        return len(self.rows[0])

    def run_until(self, stop: int) -> None:
        """Run replications ``count .. stop-1`` of every scenario."""
        self.planned = stop
        tasks = [(k, i) for i in range(self.count, stop) for k in range(len(self.scenarios))]

        def on_result(_index: int, _result: object) -> None:
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.planned * len(self.scenarios))

        task = partial(_replication_task, self.scenarios, self.seed, self.keep_events)
        for (k, _i), (kpis, series, curve, log) in zip(
            tasks, self.runner.map(task, tasks, on_result=on_result), strict=True
        ):
            self.rows[k].append(kpis)
            self.series[k].append(series)
            self.curves[k].append(curve)
            if log is not None:
                self.logs[k].append(log)

    def values(self, kpis: Sequence[str]) -> list[np.ndarray]:
        """Per scenario, the replications x ``kpis`` array so far."""
        return [
            np.array([[row.get(k, math.nan) for k in kpis] for row in rows], dtype=np.float64).reshape(
                len(rows), len(kpis)
            )
            for rows in self.rows
        ]


def _run(
    scenarios: Sequence[Scenario],
    n: int,
    seed: int,
    workers: int,
    keep_events: bool,
    progress: Progress | None,
    executor: Executor | None,
    precision: PrecisionTarget | None,
) -> tuple[list[pd.DataFrame], pd.DataFrame, pd.DataFrame, list[list[EventLog]], PrecisionOutcome | None]:
    """Run replications of every scenario on the same keys; optionally to a precision target.

    Returns the results tables, the :func:`series_table` and :func:`curve_table` of every
    scenario, the logs (if kept) and the precision outcome.
    """
    if n < 1:
        raise ValueError(f"n: got {n}; allowed: an integer >= 1")
    if seed < 0:
        raise ValueError(f"seed: got {seed}; allowed: an integer >= 0")
    names = kpi_names()
    chosen: tuple[str, ...] = ()
    if precision is not None:
        if n > precision.max_replications:
            raise ValueError(
                f"n: got {n}; allowed: at most max_replications ({precision.max_replications}) "
                "when a precision target is set"
            )
        chosen = precision.resolved_kpis(names)
    runner = executor if executor is not None else make_executor(workers)
    batches = _Batches(
        scenarios=tuple(scenarios),
        seed=seed,
        keep_events=keep_events,
        runner=runner,
        progress=progress,
        rows=[[] for _ in scenarios],
        series=[[] for _ in scenarios],
        curves=[[] for _ in scenarios],
        logs=[[] for _ in scenarios],
    )
    batches.run_until(n)
    outcome: PrecisionOutcome | None = None
    final = n
    if precision is not None:
        step = precision.batch if precision.batch is not None else max(5, runner.workers)
        checked = max(n, 2) - 1  # the rule is first checked at n (an interval needs 2 values)
        stop: int | None = None
        while True:
            arrays = batches.values(chosen)
            for m in range(checked + 1, batches.count + 1):
                if all(
                    _rule_holds(a[:m], precision.relative_half_width, precision.confidence) for a in arrays
                ):
                    stop = m
                    break
            checked = batches.count
            if stop is not None or batches.count >= precision.max_replications:
                break
            batches.run_until(min(precision.max_replications, batches.count + step))
        final = stop if stop is not None else batches.count
    tables = [_results_table(rows[:final], seed, names) for rows in batches.rows]
    logs = [scenario_logs[:final] for scenario_logs in batches.logs]
    series = series_table({s.name: runs[:final] for s, runs in zip(scenarios, batches.series, strict=True)})
    curve = curve_table({s.name: runs[:final] for s, runs in zip(scenarios, batches.curves, strict=True)})
    if precision is not None:
        outcome = PrecisionOutcome(
            target=precision,
            kpis=chosen,
            reached=stop is not None,
            initial=n,
            replications=final,
            replications_run=batches.count,
            table=precision_table(
                {s.name: t for s, t in zip(scenarios, tables, strict=True)},
                chosen,
                precision.relative_half_width,
                precision.confidence,
            ),
        )
    return tables, series, curve, logs, outcome


def run_replications(
    scenario: Scenario,
    n: int,
    seed: int,
    workers: int = 1,
    keep_events: bool = False,
    progress: Progress | None = None,
    executor: Executor | None = None,
    precision: PrecisionTarget | None = None,
) -> ReplicationResults:
    """Run replications ``0 .. n-1`` of a scenario and summarise their KPIs.

    The table, summary and series are bit-identical whatever ``workers`` (or executor) is used.

    Parameters
    ----------
    scenario
        The validated world to simulate.
    n
        Number of replications, at least 1; with ``precision``, the number run before
        the rule is first checked (at most ``precision.max_replications``).
    seed
        Root seed (a non-negative integer); replication *i* uses ``(seed, i)``.
    workers
        Parallel worker processes (1 = run here). Ignored when ``executor`` is given.
    keep_events
        Keep every replication's event log in the result (memory grows with ``n``).
    progress
        Called as ``progress(done, total)`` in this process after each replication;
        ``total`` is ``n``, or with ``precision`` the replications planned so far.
    executor
        Where to run the replications; default :func:`make_executor(workers)
        <caseload_sim.executors.make_executor>`.
    precision
        Keep adding replications until this target is met (see :class:`PrecisionTarget`).

    Returns
    -------
    ReplicationResults
    """
    tables, series, curve, logs, outcome = _run(
        [scenario], n, seed, workers, keep_events, progress, executor, precision
    )
    return ReplicationResults(
        scenario=scenario,
        seed=seed,
        table=tables[0],
        summary=summarize(tables[0]),
        events=logs[0] if keep_events else None,
        precision=outcome,
        series=series,
        curve=curve,
    )


# --- comparing scenarios ---------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonResults:
    """The outcome of :func:`compare_scenarios`.

    Attributes
    ----------
    scenarios
        The scenarios, the base first.
    seed
        The experiment's root seed; replication *i* of every scenario used ``(seed, i)``.
    tables
        One results table per scenario (as :attr:`ReplicationResults.table`), same order.
    comparison
        :func:`comparison_table` of the tables.
    precision
        How a precision target was met, or ``None`` when the number was fixed.
    series
        Every scenario's and replication's weekly series in one tidy table
        (:func:`series_table`), or ``None`` if not computed.
    curve
        Every scenario's and replication's employment curve in one tidy table
        (:func:`curve_table`), or ``None`` if not computed.
    """

    scenarios: tuple[Scenario, ...]
    seed: int
    tables: tuple[pd.DataFrame, ...]
    comparison: pd.DataFrame
    precision: PrecisionOutcome | None = None
    series: pd.DataFrame | None = None
    curve: pd.DataFrame | None = None

    @property
    def base(self) -> Scenario:
        """The scenario the others are compared with."""
        return self.scenarios[0]

    @property
    def names(self) -> tuple[str, ...]:
        """The scenarios' names, the base first."""
        return tuple(s.name for s in self.scenarios)

    @property
    def n(self) -> int:
        """Number of replications of each scenario."""
        return len(self.tables[0])

    def replications(self) -> pd.DataFrame:
        """All results tables in one: ``scenario``, ``replication``, ``seed``, KPIs.

        One row per scenario and replication, scenario by scenario in input order.
        """
        return pd.concat(
            [
                t.assign(scenario=name)[["scenario", *t.columns]]
                for name, t in zip(self.names, self.tables, strict=True)
            ],
            ignore_index=True,
        )


def _within(kpi: str, low: float, high: float) -> tuple[float, float]:
    """An interval of a KPI's mean clipped to the values the KPI can take (:func:`~caseload_sim.metrics.kpi_range`).

    The Student-t interval is symmetric and knows no bounds: over a few replications a
    share's interval can reach below 0 or above 100 %, which no mean can. Clipping keeps
    the interval to what is possible without moving its other end (it stays a 95 % interval
    for the mean, which lies inside the bounds).
    """
    from caseload_sim.metrics import kpi_range

    bounds = kpi_range(kpi)
    if bounds is None:
        return low, high
    return max(low, bounds[0]), min(high, bounds[1])


def _within_change(kpi: str, low: float, high: float) -> tuple[float, float]:
    """An interval of a paired difference clipped to what a difference of two possible means can be."""
    from caseload_sim.metrics import kpi_range

    bounds = kpi_range(kpi)
    if bounds is None or not math.isfinite(bounds[1] - bounds[0]):
        return low, high
    width = bounds[1] - bounds[0]
    return max(low, -width), min(high, width)


def _paired(
    base: np.ndarray, alt: np.ndarray, direction: int, tq: Callable[[int], float]
) -> tuple[float, float, float, float, float, int]:
    """diff, its CI, p_better and the pairing variance ratio of paired values (NaN pairs dropped)."""
    keep = ~(np.isnan(base) | np.isnan(alt))
    b, a = base[keep], alt[keep]
    d = a - b
    n = int(d.size)
    diff = float(d.mean()) if n else math.nan
    low = high = ratio = math.nan
    if n >= 2:
        half = tq(n - 1) * float(d.std(ddof=1)) / math.sqrt(n)
        low, high = diff - half, diff + half
        independent = float(b.var(ddof=1)) + float(a.var(ddof=1))
        if independent > 0:
            ratio = float(d.var(ddof=1)) / independent
    p_better = math.nan
    if direction != 0 and n:
        signed = d * (1 if direction > 0 else -1)
        p_better = (float(np.count_nonzero(signed > 0)) + 0.5 * float(np.count_nonzero(signed == 0))) / n
    return diff, low, high, p_better, ratio, n


def _t_quantile(confidence: float) -> Callable[[int], float]:
    """``df -> t_{(1+confidence)/2, df}``, the Student-t quantile of a two-sided interval."""
    from scipy import stats

    q = (1.0 + confidence) / 2.0

    def tq(df: int) -> float:
        return float(stats.t.ppf(q, df))

    return tq


def risk_ratio(
    base: np.ndarray, alt: np.ndarray, confidence: float = 0.95, tq: Callable[[int], float] | None = None
) -> tuple[float, float, float]:
    r"""Risk ratio of paired replications, alternative over base, with its confidence interval.

    ``base[i]`` and ``alt[i]`` are replication *i*'s risk (a share of a cohort with a
    yes/no outcome, e.g. ``employed_12m``) under the two scenarios, run on the same
    random numbers; pairs where either is NaN are dropped. With :math:`\bar a`,
    :math:`\bar b` the means over the ``n`` pairs:

    .. math::

        RR = \bar a / \bar b, \qquad
        \mathrm{se}(\log RR) = \mathrm{sd}_i\!\left(\frac{a_i}{\bar a} - \frac{b_i}{\bar b}\right) / \sqrt{n},

    and the interval is :math:`RR \cdot \exp(\pm t_{(1+c)/2,\,n-1}\,\mathrm{se})`.

    Why this method. The quantity the trials report is the ratio of the two arms' risks,
    which here is the ratio of the two scenarios' expected KPI, :math:`E[a]/E[b]`:
    estimated by the ratio of the paired means, and consistent as replications are added.
    Its interval is the delta method on the log scale: :math:`\log(\bar a/\bar b)` is,
    to first order, the mean of :math:`a_i/\bar a - b_i/\bar b`, a per-replication
    quantity whose spread already holds the covariance of the pair — so the common random
    numbers sharpen the ratio exactly as they sharpen the paired difference — and a
    Student-t interval on that mean, with the same ``n - 1`` degrees of freedom as the
    difference's interval, is then exponentiated (so it stays positive and is asymmetric,
    as a ratio's interval should be). The alternatives were rejected: the mean of the
    per-replication log ratios :math:`\log(a_i/b_i)` estimates a geometric mean of
    ratios, not :math:`E[a]/E[b]` (Jensen), and is undefined as soon as one replication
    has a zero risk (a small cohort, a rare outcome); Fieller's interval is exact under
    normality but can be unbounded when :math:`\bar b` is not clearly above zero, and
    for risks well above zero it agrees with the delta method to the precision reported.

    Edge cases: ``risk_ratio`` is NaN without pairs or when :math:`\bar b \le 0` (no
    ratio to a zero risk); it is 0 when :math:`\bar a = 0 < \bar b`, with a NaN interval
    (no log scale), as is the interval for ``n < 2``. When every :math:`a_i = RR\,b_i`
    the interval is ``[RR, RR]``.

    Parameters
    ----------
    base, alt
        The two scenarios' risks, replication by replication (same length, paired by position).
    confidence
        Coverage of the interval, strictly between 0 and 1.
    tq
        ``df -> t quantile`` to use instead of computing it from ``confidence`` (shared
        with the difference intervals by :func:`comparison_table`).

    Returns
    -------
    risk_ratio, rr_ci_low, rr_ci_high
    """
    b = np.asarray(base, dtype=np.float64)
    a = np.asarray(alt, dtype=np.float64)
    keep = ~(np.isnan(b) | np.isnan(a))
    b, a = b[keep], a[keep]
    n = int(b.size)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean_b, mean_a = float(b.mean()), float(a.mean())
    if not mean_b > 0:
        return math.nan, math.nan, math.nan
    rr = mean_a / mean_b
    if n < 2 or not mean_a > 0:
        return rr, math.nan, math.nan
    se = float(np.std(a / mean_a - b / mean_b, ddof=1)) / math.sqrt(n)
    half = (tq if tq is not None else _t_quantile(confidence))(n - 1) * se
    return rr, rr * math.exp(-half), rr * math.exp(half)


def comparison_table(
    tables: Mapping[str, pd.DataFrame],
    kpis: Sequence[str] | None = None,
    better: Mapping[str, int] | None = None,
    confidence: float = 0.95,
    risks: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each scenario's KPIs, and their paired differences from the base.

    The first scenario in ``tables`` is the base. For each scenario and KPI:

    ``mean``, ``ci_low``, ``ci_high``, ``n``
        As in :func:`summarize`, over the replications where the KPI is defined.
    ``diff``, ``diff_ci_low``, ``diff_ci_high``
        Replications are paired by their ``replication`` number; over the ``n_paired``
        pairs where both the scenario and the base are defined, ``d_i = scenario_i -
        base_i``. ``diff`` is the mean of the ``d_i`` (equal to the difference of the
        means when the KPI is defined in the same replications), with the Student-t
        interval ``diff ± t_{(1+confidence)/2, n_paired-1} · sd(d) / sqrt(n_paired)``
        (NaN when ``n_paired < 2``; ``[diff, diff]`` when every ``d_i`` is equal).
    ``p_better``
        The share of pairs in which the scenario beats the base in the KPI's declared
        direction (``better[kpi]``: +1 higher is better, -1 lower is better); a tie
        (``d_i == 0``) counts one half. NaN when the KPI has no direction (0 or not
        declared) or there are no pairs.
    ``pairing_variance_ratio``
        ``var(d) / (var(base) + var(scenario))`` over the pairs (sample variances):
        the variance of the paired difference relative to what the difference of two
        independent runs of the same size would have. Below 1, the common random
        numbers made the comparison sharper; 0 means the KPI did not move at all
        from the base in any replication. NaN when ``n_paired < 2`` or neither varies.

    ``risk_ratio``, ``rr_ci_low``, ``rr_ci_high``
        Only for a KPI that is a risk (``risks``; default :func:`risk_kpis`: the shares of
        a cohort with a yes/no outcome, such as ``employed_12m``): the ratio of the paired
        means, scenario over base, with its interval (:func:`risk_ratio`, same pairs as
        ``diff``). ``diff`` is then the risk difference. NaN for every other KPI.

    The base's own rows carry ``diff`` 0 (NaN if the KPI is never defined) and NaN
    for the difference interval, ``p_better`` and the ratio: the base is the reference,
    not a comparison (compared with itself every ``d_i`` would be 0, which says
    nothing). Its ``n_paired`` is its ``n``; its ``risk_ratio`` is 1 for a risk with a
    mean above zero (NaN otherwise), with a NaN interval.

    Parameters
    ----------
    tables
        Scenario name -> results table; the base first. Each has a ``replication``
        column and one column per KPI.
    kpis
        KPIs to compare, in output order; default: the base table's non-id columns.
    better
        KPI -> direction; default :func:`kpi_directions`.
    confidence
        Coverage of the intervals, strictly between 0 and 1.
    risks
        The KPIs that get a risk ratio; default :func:`risk_kpis`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPARISON_COLUMNS`; scenario by scenario (base first), KPI by KPI.
    """
    from scipy import stats

    if not tables:
        raise ValueError("tables: got none; allowed: at least the base scenario's table")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: got {confidence}; allowed: strictly between 0 and 1")
    directions = dict(better) if better is not None else kpi_directions()
    is_risk = set(risks if risks is not None else risk_kpis())
    names = list(tables)
    base_table = tables[names[0]]
    kpis = list(kpis) if kpis is not None else [c for c in base_table.columns if c not in ID_COLUMNS]
    q = (1.0 + confidence) / 2.0

    def tq(df: int) -> float:
        return float(stats.t.ppf(q, df))

    records: list[tuple[object, ...]] = []
    for position, name in enumerate(names):
        table = tables[name]
        summary = summarize(table, kpis, confidence)
        by_kpi = dict(
            zip(
                summary["kpi"],
                zip(
                    summary["mean"].to_numpy(np.float64),
                    summary["ci_low"].to_numpy(np.float64),
                    summary["ci_high"].to_numpy(np.float64),
                    summary["n"].to_numpy(np.int64),
                    strict=True,
                ),
                strict=True,
            )
        )
        paired = base_table[["replication", *kpis]].merge(
            table[["replication", *kpis]], on="replication", suffixes=("_base", "_alt"), validate="1:1"
        )
        for kpi in kpis:
            mean, ci_low, ci_high, count = by_kpi[kpi]
            n = int(count)
            if position == 0:
                diff = 0.0 if n else math.nan
                stats_ = (diff, math.nan, math.nan, math.nan, math.nan, n)
            else:
                stats_ = _paired(
                    paired[f"{kpi}_base"].to_numpy(np.float64),
                    paired[f"{kpi}_alt"].to_numpy(np.float64),
                    int(directions.get(kpi, 0)),
                    tq,
                )
            diff, low, high, p_better, ratio, n_paired = stats_
            if math.isfinite(low):
                low, high = _within_change(kpi, low, high)
            rr = (math.nan, math.nan, math.nan)
            if kpi in is_risk:
                if position == 0:
                    rr = (1.0 if mean > 0 else math.nan, math.nan, math.nan)
                else:
                    rr = risk_ratio(
                        paired[f"{kpi}_base"].to_numpy(np.float64),
                        paired[f"{kpi}_alt"].to_numpy(np.float64),
                        tq=tq,
                    )
            records.append(
                (
                    name,
                    kpi,
                    mean,
                    ci_low,
                    ci_high,
                    diff,
                    low,
                    high,
                    p_better,
                    ratio,
                    n,
                    n_paired,
                    *rr,
                )
            )
    out = pd.DataFrame.from_records(records, columns=list(COMPARISON_COLUMNS))
    floats = {c: "float64" for c in COMPARISON_COLUMNS if c not in ("scenario", "kpi", "n", "n_paired")}
    return out.astype({"scenario": object, "kpi": object, "n": "int64", "n_paired": "int64", **floats})


def compare_scenarios(
    scenarios: Sequence[Scenario],
    n: int,
    seed: int,
    workers: int = 1,
    progress: Progress | None = None,
    executor: Executor | None = None,
    precision: PrecisionTarget | None = None,
    confidence: float = 0.95,
) -> ComparisonResults:
    """Run every scenario on the same replication keys and compare each with the first.

    Replication *i* of every scenario uses ``(seed, i)``, so the scenarios share their
    random numbers wherever the policy does not change them (see the module
    docstring), and the tables and comparison are bit-identical whatever ``workers``
    (or executor) is used. All scenarios' replications go to the executor together.

    Parameters
    ----------
    scenarios
        The base scenario first, then one or more alternatives; names must differ.
    n
        Replications per scenario (>= 1); with ``precision``, the number run before
        the rule is first checked.
    seed
        Root seed (a non-negative integer).
    workers
        Parallel worker processes (1 = run here). Ignored when ``executor`` is given.
    progress
        Called as ``progress(done, total)`` after each scenario-replication.
    executor
        Where to run them; default :func:`make_executor(workers)
        <caseload_sim.executors.make_executor>`.
    precision
        Keep adding replications until every scenario meets this target.
    confidence
        Coverage of the comparison's intervals.

    Returns
    -------
    ComparisonResults
    """
    if len(scenarios) < 2:
        raise ValueError(f"scenarios: got {len(scenarios)}; allowed: a base and at least one alternative")
    names = [s.name for s in scenarios]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(
            f"scenarios: the name {', '.join(map(repr, twice))} is used twice; names must differ"
        )
    tables, series, curve, _logs, outcome = _run(
        scenarios, n, seed, workers, False, progress, executor, precision
    )
    comparison = comparison_table(dict(zip(names, tables, strict=True)), confidence=confidence)
    return ComparisonResults(
        scenarios=tuple(scenarios),
        seed=seed,
        tables=tuple(tables),
        comparison=comparison,
        precision=outcome,
        series=series,
        curve=curve,
    )
