"""How long a warm-up does a scenario need? Long replications, Welch averaging, MSER-5.

Every replication starts from an empty world: no candidates on the caseloads, nobody
waiting, specialists at their initial stress. The KPIs are meant to describe a service
that has settled, so a replication first runs a **warm-up** (``run.warmup_days``) whose
events are not measured. Too short a warm-up biases the KPIs towards the empty start;
too long a one only costs computing time. This module estimates how long is enough.

The method
----------
1. Run ``R`` long replications of the scenario with no warm-up (``warmup_days = 0``,
   ``horizon_days`` = a long horizon, 10 years by default) — replication *i* uses the
   key ``(seed, i)`` as every experiment does.
2. From each event log, cut time into bins of ``bin_days`` (30 days) and take, per bin,
   the outputs that must have settled (:func:`warmup_series`): caseload per staffed
   FTE, queue length, active candidates in a job, and the specialists' mean stress.
3. Average each series across the replications, bin by bin (Welch's ensemble average:
   it keeps the shape of the transient and shrinks the noise by ``sqrt(R)``).
4. Apply MSER-5 (:func:`mser`) to each averaged series. It picks the truncation point
   that minimises the squared standard error of the mean of what remains, trading the
   bias of keeping early observations against the variance of dropping them.
5. Recommend the largest truncation over the series, rounded up to a whole month
   (:func:`recommend_warmup`), and compare it with the scenario's ``run.warmup_days``.

MSER only looks at the first half of the series (see :func:`mser`). If a series'
truncation lands on that limit, the series was probably still drifting when the half
was reached: the horizon was too short, and the recommendation is only a lower bound.

MSER has a blind spot: a series that keeps rising to the end of the horizon (a queue
that builds up for years) has its smallest standard error with *nothing* dropped, and
MSER answers 0. So each series is also checked for **drift** after its truncation:
each replication gives the mean of the second half of the kept bins minus the mean of
the first half, and a t-test across the (independent) replications asks whether these
differences are centred on 0. A series that still drifts (p < :data:`DRIFT_ALPHA`) is
flagged, and the verdict on the current warm-up becomes "undecided".

Some queues never settle: when more people are referred than the caseloads can take
in and nobody is sent elsewhere or leaves the list (the scenario's ``waiting_list``
responses off), the list grows without bound, and a longer warm-up only shows a longer
list. So each run's second half is also measured (:data:`FLOW_KPIS`: demand over
capacity, unmet demand, the queue's trend) and judged by
:func:`caseload_sim.capacity.capacity_findings`. For such an *unbounded* queue the
notes say so in words, the people-waiting series is left out of the recommendation,
and the verdict is "undecided": change the scenario, not the warm-up. Demand above
capacity that the list's responses hold (people leaving it, fewer referrals) is noted
too; that list settles.

References
----------
* Welch, P. D. (1983). The statistical analysis of simulation results. In S. S.
  Lavenberg (ed.), *Computer Performance Modeling Handbook*, 268-328. Academic Press.
* White, K. P., Jr. (1997). An effective truncation heuristic for bias reduction in
  simulation output. *Simulation* 69(6), 323-334.
* White, K. P., Jr., Cobb, M. J. and Spratt, S. C. (2000). A comparison of five
  steady-state truncation heuristics for simulation. *Proceedings of the 2000 Winter
  Simulation Conference*, 755-760. (MSER-5: MSER on batch means of 5.)
* Hoad, K., Robinson, S. and Davies, R. (2010). Automating warm-up length estimation.
  *Journal of the Operational Research Society* 61(9), 1389-1403. (Recommends MSER-5;
  accept a truncation point only in the first half of the data.)

Everything here is pure — no printing, no files — except that :func:`recommend_warmup`
runs the model. :mod:`caseload_sim.report.warmup` draws what it found and explains it on
a page of its own; the CLI prints and writes.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from caseload_sim import metrics
from caseload_sim.capacity import CapacityFinding, capacity_findings
from caseload_sim.events import EventLog
from caseload_sim.executors import make_executor
from caseload_sim.scenario import Scenario

__all__ = [
    "DRIFT_ALPHA",
    "SERIES",
    "SERIES_LABELS",
    "TRUNCATION_COLUMNS",
    "WarmupRecommendation",
    "mser",
    "mser_limit",
    "mser_statistics",
    "recommend_warmup",
    "warmup_series",
]

SERIES: tuple[str, ...] = ("caseload_per_fte", "queue", "employed", "stress_mean")
"""The columns of :func:`warmup_series`, in order."""

SERIES_LABELS: dict[str, str] = {
    "caseload_per_fte": "Candidates per staffed FTE",
    "queue": "People waiting",
    "employed": "Active candidates in a job",
    "stress_mean": "Specialists' mean stress (0-1)",
}
"""Plain-language labels of :data:`SERIES`, for figures and tables."""

TRUNCATION_COLUMNS: tuple[str, ...] = (
    "series",
    "truncation_bins",
    "truncation_days",
    "limit_days",
    "at_limit",
    "mser",
    "drift",
    "drift_p",
    "drifting",
)
"""Columns of :attr:`WarmupRecommendation.truncations`, in order."""

DRIFT_ALPHA = 0.01
"""Significance level of the drift check (:attr:`WarmupRecommendation.drifting`)."""

_MONTH_DAYS = metrics.MONTH_DAYS  # 365 / 12
_NAN = float("nan")


# --------------------------------------------------------------------- binned series
def _bin_edges(end: float, bin_days: float) -> np.ndarray:
    """Edges ``0, b, 2b, ...`` of the whole bins that fit in ``[0, end]``."""
    n = int(math.floor(end / bin_days + 1e-9))
    return np.arange(n + 1, dtype=float) * bin_days


def _binned_average(times: np.ndarray, deltas: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Time-average of a step function over each bin ``[edges[j], edges[j+1]]``.

    The step function is 0 before its first change and jumps by ``deltas[i]`` at
    ``times[i]`` (right-continuous, as in :func:`caseload_sim.metrics.time_average`,
    which gives the same numbers bin by bin). Its integral from 0 to ``x`` is
    ``sum_{t_i <= x} d_i (x - t_i) = x D(x) - TD(x)`` with ``D``, ``TD`` the running
    sums of ``d`` and ``d t``: one sort instead of one pass per bin.
    """
    t = np.asarray(times, dtype=float)
    d = np.asarray(deltas, dtype=float)
    order = np.argsort(t, kind="stable")
    t, d = t[order], d[order]
    cum_d = np.concatenate([[0.0], np.cumsum(d)])
    cum_td = np.concatenate([[0.0], np.cumsum(d * t)])
    k = np.searchsorted(t, edges, side="right")
    integral = edges * cum_d[k] - cum_td[k]
    return np.diff(integral) / np.diff(edges)


def warmup_series(log: EventLog, bin_days: float = 30.0) -> pd.DataFrame:
    """Bin-by-bin averages of the outputs that must settle, from one replication's log.

    Time from 0 to the log's window end is cut into whole bins of ``bin_days`` (a last
    partial bin is dropped, so every bin weighs the same). Per bin:

    ``caseload_per_fte``
        Time-average of active candidates divided by the time-average of staffed FTE
        (as :data:`caseload_mean <caseload_sim.metrics>`); NaN if no FTE was staffed.
    ``queue``
        Time-average number of people on waiting lists.
    ``employed``
        Time-average number of active candidates in a job (step 5).
    ``stress_mean``
        Mean stress over the post-weeks with a holder whose week ends in the bin
        ``(start, end]`` (as ``stress_mean``); NaN if there are none.

    Returns a DataFrame with one row per bin, indexed by the bin's start time in days
    (index name ``time``), with the columns :data:`SERIES`.
    """
    if not bin_days > 0:
        raise ValueError(f"bin_days: got {bin_days}; allowed: a number > 0")
    _, end = metrics.window(log)
    edges = _bin_edges(end, bin_days)
    caseload = _binned_average(*metrics.caseload_deltas(log), edges)
    fte = _binned_average(*metrics.fte_deltas(log), edges)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_fte = np.where(fte > 0, caseload / np.where(fte > 0, fte, 1.0), np.nan)
    queue = _binned_average(*metrics.queue_deltas(log), edges)
    employed = _binned_average(*metrics.employed_deltas(log), edges)
    stress = metrics.held_stress_by_bin(log.weeks, edges)
    return pd.DataFrame(
        {"caseload_per_fte": per_fte, "queue": queue, "employed": employed, "stress_mean": stress},
        index=pd.Index(edges[:-1], name="time"),
        columns=list(SERIES),
    )


# ----------------------------------------------------------------------------- MSER
def _batch_means(series: Sequence[float] | np.ndarray | pd.Series, batch: int) -> np.ndarray:
    if isinstance(batch, bool) or int(batch) != batch or batch < 1:
        raise ValueError(f"batch: got {batch!r}; allowed: an integer >= 1")
    x = np.asarray(series, dtype=float).ravel()
    if not np.isfinite(x).all():
        raise ValueError("series: contains NaN or infinite values; MSER needs finite numbers")
    k = len(x) // batch
    if k < 2:
        raise ValueError(
            f"series: {len(x)} observations make {k} batch(es) of {batch}; MSER needs at least 2 batches"
        )
    return x[: k * batch].reshape(k, batch).mean(axis=1)


def _max_batches_dropped(k: int) -> int:
    """Largest truncation in batches: half the batches, keeping at least 2."""
    return min(k // 2, k - 2)


def mser_limit(n: int, batch: int = 5) -> int:
    """The largest truncation :func:`mser` may return for ``n`` observations, in observations.

    ``batch * min(k // 2, k - 2)`` with ``k = n // batch`` batches: half the batches,
    always keeping at least two (one batch would have zero variance).
    """
    k = n // batch
    return batch * max(_max_batches_dropped(k), 0)


def mser_statistics(series: Sequence[float] | np.ndarray | pd.Series, batch: int = 5) -> np.ndarray:
    """``MSER(d)`` for every allowed truncation ``d = 0 .. d_max`` batches (see :func:`mser`)."""
    z = _batch_means(series, batch)
    k = len(z)
    d_max = _max_batches_dropped(k)
    # the tails z[d:], d = 0..d_max: sums and sums of squares from the end
    rev_sum = np.cumsum(z[::-1])[::-1]
    rev_sq = np.cumsum((z * z)[::-1])[::-1]
    d = np.arange(d_max + 1)
    m = k - d
    mean = rev_sum[d] / m
    ss = np.maximum(rev_sq[d] - m * mean * mean, 0.0)  # sum of squared deviations
    return ss / (m.astype(float) ** 2)


def mser(series: Sequence[float] | np.ndarray | pd.Series, batch: int = 5) -> tuple[int, float]:
    """Truncation point by the Marginal Standard Error Rule on batch means (MSER-``batch``).

    The series ``x_1 .. x_n`` is cut into ``k = floor(n / batch)`` consecutive batches
    (a remainder of fewer than ``batch`` observations at the end is left out) with
    means ``z_1 .. z_k``. For a truncation of ``d`` batches,

    .. math::

        \\mathrm{MSER}(d) = \\frac{1}{(k-d)^2} \\sum_{j=d+1}^{k} (z_j - \\bar z_{d})^2,
        \\qquad \\bar z_{d} = \\frac{1}{k-d} \\sum_{j=d+1}^{k} z_j ,

    i.e. the squared standard error of the mean of the batches that remain (their
    variance divided by their number). The rule picks ``d* = argmin MSER(d)`` (the
    smallest ``d`` on ties) over ``d = 0 .. min(floor(k/2), k-2)``: only the first
    half of the data may be dropped, because near the end of a series MSER becomes
    small by chance (few points left), and at least two batches remain. ``batch = 5``
    is MSER-5 (White 1997; White, Cobb and Spratt 2000; Hoad, Robinson and Davies
    2010 — see the module docstring); ``batch = 1`` is plain MSER.

    Parameters
    ----------
    series
        The observations in time order, e.g. a Welch ensemble average; all finite.
    batch
        Batch size ``m`` (5 for MSER-5).

    Returns
    -------
    truncation, statistic
        ``d* * batch``, the number of leading observations of the original series to
        drop, and ``MSER(d*)``. A truncation equal to :func:`mser_limit` means the
        rule hit the half-series restriction: the series may not have settled.

    Raises
    ------
    ValueError
        If ``batch`` is not a positive integer, the series has non-finite values, or
        it has fewer than two whole batches.
    """
    stats = mser_statistics(series, batch)
    d = int(np.argmin(stats))
    return d * int(batch), float(stats[d])


# ----------------------------------------------------------------- recommendation
@dataclass(frozen=True)
class WarmupRecommendation:
    """What :func:`recommend_warmup` found.

    Attributes
    ----------
    scenario
        Name of the scenario analysed.
    seed, replications, horizon_days, bin_days, batch
        How it was analysed (replication *i* used the key ``(seed, i)``).
    recommended_days
        The recommended warm-up in whole days: the largest truncation over the series,
        rounded up to a whole month (``recommended_months * 365 / 12``, rounded up).
    recommended_months
        The same in whole months.
    current_warmup_days
        The scenario's ``run.warmup_days``.
    long_enough
        ``True`` if the current warm-up is at least the recommendation, ``False`` if
        it is shorter, ``None`` if it is at least the recommendation but some series
        hit the half-series limit or still drifted (the recommendation is then only a
        lower bound, so we cannot tell).
    at_limit
        Whether any series' truncation hit the half-series limit: the horizon was too
        short for that series to settle visibly.
    drifting
        Whether any series still drifted after its truncation (``drift_p`` below
        :data:`DRIFT_ALPHA`). MSER does not see a series that rises until the end of
        the horizon — dropping its low start *raises* the variance of the rest — and
        may then answer 0; this check catches that case.
    limit_days
        The half-series limit, in days: no truncation can exceed it.
    truncations
        One row per series (:data:`TRUNCATION_COLUMNS`): ``series``,
        ``truncation_bins`` (observations dropped), ``truncation_days``,
        ``limit_days``, ``at_limit``, ``mser`` (the statistic at the optimum),
        ``drift`` (mean over replications of the second half of the kept bins minus
        the first half, in the series' units), ``drift_p`` (two-sided p-value of a
        t-test of that difference across replications, NaN with one replication) and
        ``drifting`` (``drift_p < DRIFT_ALPHA``). A series that could not be analysed
        (bins with no data) has NaN numbers.
    ensemble
        The Welch ensemble average: index ``time`` (bin start, days), columns
        :data:`SERIES`.
    runs
        The per-replication binned series, tidy: ``replication, time`` and the
        columns :data:`SERIES`, one row per replication and bin.
    notes
        Plain-language findings for people: the verdict, and warnings.
    queue_unbounded
        Whether referrals exceed what the teams can take in while nothing holds the
        waiting list (nobody is sent elsewhere or leaves it), over the second half of
        the runs (:func:`caseload_sim.capacity.capacity_findings`): the queue then has no
        steady state, its series is left out of the recommendation, and ``long_enough``
        is ``None``.
    """

    scenario: str
    seed: int
    replications: int
    horizon_days: float
    bin_days: float
    batch: int
    recommended_days: int
    recommended_months: int
    current_warmup_days: float
    long_enough: bool | None
    at_limit: bool
    drifting: bool
    limit_days: float
    truncations: pd.DataFrame
    ensemble: pd.DataFrame
    runs: pd.DataFrame
    notes: tuple[str, ...]
    queue_unbounded: bool = False

    def to_manifest(self) -> dict[str, Any]:
        """The scalar findings and per-series truncations as JSON-ready data."""

        def num(x: Any) -> Any:
            if isinstance(x, (bool, np.bool_)):
                return bool(x)
            if isinstance(x, (int, np.integer)):
                return int(x)
            x = float(x)
            return x if math.isfinite(x) else None

        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "horizon_days": self.horizon_days,
            "bin_days": self.bin_days,
            "batch": self.batch,
            "recommended_days": self.recommended_days,
            "recommended_months": self.recommended_months,
            "current_warmup_days": self.current_warmup_days,
            "long_enough": self.long_enough,
            "at_limit": self.at_limit,
            "drifting": self.drifting,
            "limit_days": self.limit_days,
            "truncations": [
                {k: (v if k == "series" else num(v)) for k, v in row.items()}
                for row in self.truncations.to_dict(orient="records")
            ],
            "notes": list(self.notes),
            "queue_unbounded": self.queue_unbounded,
        }


FLOW_KPIS: tuple[str, ...] = (
    "demand_capacity_ratio",
    "potential_referrals_per_year",
    "intake_capacity_per_year",
    "unmet_demand_share",
    "not_referred_share",
    "renege_share",
    "queue_trend_per_year",
    "queue_mean",
)
"""The KPIs :func:`recommend_warmup` reads over the second half of each long run, to tell
whether the waiting list can settle at all (:func:`caseload_sim.capacity.capacity_findings`)."""


def _flow_figures(log: EventLog) -> dict[str, float]:
    """:data:`FLOW_KPIS` over the second half of a replication (the part most likely settled)."""
    _, end = metrics.window(log)
    later = dataclasses.replace(log, meta={**log.meta, "window_start": end / 2, "window_end": end})
    k = metrics.compute_kpis(later)
    return {name: k[name] for name in FLOW_KPIS}


def _replication_series(scenario: Scenario, seed: int, bin_days: float, replication: int) -> pd.DataFrame:
    """One long replication's binned series (module level: picklable for worker processes).

    ``attrs["flow"]`` carries :data:`FLOW_KPIS` over the run's second half.
    """
    from caseload_sim.model import simulate

    log = simulate(scenario, seed, replication)
    frame = warmup_series(log, bin_days)
    frame.attrs["flow"] = _flow_figures(log)
    return frame


def _flow_stats(frames: Sequence[pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Mean and 95 % t-interval across replications of each flow figure (empty without them)."""
    from scipy import stats

    flows: list[dict[str, float]] = [f.attrs.get("flow") or {} for f in frames]
    if not flows or not all(flows):
        return {}
    out: dict[str, dict[str, float]] = {}
    for name in FLOW_KPIS:
        x = np.array([float(f.get(name, np.nan)) for f in flows])
        x = x[np.isfinite(x)]
        if not len(x):
            continue
        mean = float(x.mean())
        half = (
            float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else _NAN
        )
        out[name] = {"mean": mean, "ci_low": mean - half, "ci_high": mean + half}
    return out


def _whole_months_days(days: float) -> tuple[int, int]:
    """``days`` rounded up to whole months: ``(months, days of those months, rounded up)``."""
    months = math.ceil(round(days / _MONTH_DAYS, 9))
    return months, math.ceil(round(months * _MONTH_DAYS, 6))


def _fmt_days(days: float) -> str:
    return f"{days:.0f} days ({days / metrics.YEAR_DAYS:.1f} years)"


def _drift(values: np.ndarray, cut: int) -> tuple[float, float]:
    """Is a series still moving after the truncation? A paired test across replications.

    ``values`` is replication x bin. Of the ``n`` bins kept (from ``cut`` on), each
    replication gives ``mean(second half) - mean(first half)`` (the middle bin of an odd
    number is left out). The replications are independent, so a one-sample t-test of
    these differences against 0 is valid however autocorrelated the series is within a
    replication. Returns ``(mean difference, two-sided p-value)``; ``(nan, nan)`` with
    fewer than 2 replications or 2 bins kept.
    """
    from scipy import stats

    kept = values[:, cut:]
    h = kept.shape[1] // 2
    if kept.shape[0] < 2 or h < 1:
        return _NAN, _NAN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        diff = np.nanmean(kept[:, -h:], axis=1) - np.nanmean(kept[:, :h], axis=1)
    diff = diff[np.isfinite(diff)]
    if len(diff) < 2:
        return _NAN, _NAN
    mean, sd = float(diff.mean()), float(diff.std(ddof=1))
    scale = max(abs(mean), float(np.abs(diff).max()), 1e-300)
    if sd <= 1e-12 * scale:  # no spread: moved or not, without doubt
        return mean, (1.0 if abs(mean) <= 1e-12 * scale else 0.0)
    t = mean / (sd / math.sqrt(len(diff)))
    return mean, float(2 * stats.t.sf(abs(t), df=len(diff) - 1))


def _capacity_notes(findings: Sequence[CapacityFinding]) -> list[str]:
    """The capacity findings as notes; for an unbounded queue, what that means for a warm-up."""
    notes = []
    for f in findings:
        if f.kind == "unbounded":
            notes.append(
                f"Warning: {f.text} A longer run would only show a "
                "longer list, so the people-waiting series sets no warm-up here: the recommendation covers "
                "the other series, and a longer horizon will not help."
            )
        elif f.kind == "exceeds":
            notes.append(f"Note (second half of the runs): {f.text} The list settles all the same.")
        else:
            notes.append(f"Note (second half of the runs): {f.text}")
    return notes


def recommend_warmup(
    scenario: Scenario,
    seed: int,
    replications: int = 5,
    horizon_years: float = 10,
    bin_days: float = 30,
    batch: int = 5,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> WarmupRecommendation:
    """Recommend a warm-up for ``scenario`` from long replications (Welch + MSER-5).

    Runs ``replications`` replications of ``horizon_years`` years from an empty start
    (the scenario's ``run`` with ``warmup_days = 0`` and ``horizon_days = 365 *
    horizon_years``; the scenario itself is not changed), bins each into
    :func:`warmup_series`, averages the series across replications bin by bin, and
    applies :func:`mser` (batch ``batch``) to each averaged series. The recommendation
    is the largest truncation, rounded up to a whole month. See the module docstring.

    Replications run on :func:`caseload_sim.executors.make_executor` (``workers``);
    the result does not depend on the number of workers. ``progress(done, total)`` is
    called as each replication finishes (a progress bar).

    Raises
    ------
    ValueError
        On a bad argument (fewer than 1 replication, a horizon outside the scenario
        schema's range, a horizon too short for 4 batches of bins).
    """
    if isinstance(replications, bool) or int(replications) != replications or replications < 1:
        raise ValueError(f"replications: got {replications!r}; allowed: an integer >= 1")
    if not bin_days > 0:
        raise ValueError(f"bin_days: got {bin_days}; allowed: a number > 0")
    horizon_days = float(horizon_years) * metrics.YEAR_DAYS
    run = scenario.run.model_copy(update={"warmup_days": 0.0, "horizon_days": horizon_days})
    try:
        type(run).model_validate(run.model_dump())
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ValueError(
            f"horizon_years: got {horizon_years}; the resulting run settings are invalid: {exc}"
        ) from exc
    n_bins = len(_bin_edges(horizon_days, float(bin_days))) - 1
    if n_bins // batch < 4:
        raise ValueError(
            f"horizon_years: got {horizon_years}; {horizon_days:.0f} days make {n_bins} bins of "
            f"{bin_days} days, fewer than 4 batches of {batch}; use a longer horizon or shorter bins"
        )
    long_run = scenario.model_copy(update={"run": run})

    task = partial(_replication_series, long_run, int(seed), float(bin_days))
    done = 0

    def finished(_index: int, _frame: Any) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, int(replications))

    frames = make_executor(workers).map(task, list(range(int(replications))), on_result=finished)

    cube = np.stack([f.to_numpy(dtype=float) for f in frames])  # replication x bin x series
    index = frames[0].index
    with warnings.catch_warnings():  # an all-NaN bin gives NaN, as meant: no warning
        warnings.simplefilter("ignore", category=RuntimeWarning)
        mean = np.nanmean(cube, axis=0)
    ensemble = pd.DataFrame(mean, index=index, columns=list(SERIES))
    runs = pd.concat(
        [f.reset_index().assign(replication=i) for i, f in enumerate(frames)], ignore_index=True
    )[["replication", "time", *SERIES]]

    limit_bins = mser_limit(n_bins, batch)
    limit_days = limit_bins * float(bin_days)
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for k, name in enumerate(SERIES):
        values = ensemble[name].to_numpy()
        row: dict[str, Any] = dict.fromkeys(TRUNCATION_COLUMNS, np.nan)
        row.update(series=name, limit_days=limit_days, at_limit=False, drifting=False)
        if np.isfinite(values).all():
            cut, stat = mser(values, batch)
            drift, p = _drift(cube[:, :, k], cut)
            row.update(
                truncation_bins=cut,
                truncation_days=cut * float(bin_days),
                at_limit=cut >= limit_bins,
                mser=stat,
                drift=drift,
                drift_p=p,
                drifting=bool(p < DRIFT_ALPHA),
            )
        else:
            skipped.append(name)
        rows.append(row)
    truncations = pd.DataFrame(rows, columns=list(TRUNCATION_COLUMNS))
    truncations["truncation_bins"] = truncations["truncation_bins"].astype("Int64")
    for flag in ("at_limit", "drifting"):
        truncations[flag] = truncations[flag].astype(bool)
    # Can the waiting list settle at all? Over the runs' second halves: more referrals than
    # the slots can take and nobody going elsewhere means a queue without a steady state.
    findings = capacity_findings(
        _flow_stats(frames),
        teams=sum(t.copies for t in scenario.teams),
        years=horizon_days / 2 / metrics.YEAR_DAYS,
        list_closes=scenario.waiting_list.closes,
        window="the second half of the runs",
    )
    unbounded = any(f.kind == "unbounded" for f in findings)
    # an unbounded queue sets no warm-up: no warm-up settles it (said in the notes instead)
    counted = truncations[~truncations["series"].isin(["queue"] if unbounded else [])]
    worst = float(np.nanmax(counted["truncation_days"].to_numpy(dtype=float), initial=0.0))
    months, days = _whole_months_days(worst)
    at_limit = bool(counted["at_limit"].any())
    drifting = bool(counted["drifting"].any())
    current = float(scenario.run.warmup_days)
    long_enough: bool | None = current >= days
    if unbounded or (long_enough and (at_limit or drifting)):
        long_enough = None

    def labels(names: Sequence[str]) -> str:
        # lower-case inside a sentence, but not an acronym ("staffed FTE")
        return "; ".join(SERIES_LABELS[s][:1].lower() + SERIES_LABELS[s][1:] for s in names)

    drivers = counted.loc[counted["truncation_days"] == worst, "series"].tolist() if worst > 0 else []
    notes = [
        f"Recommended warm-up: {months} months = {_fmt_days(days)}"
        + (f", set by: {labels(drivers)}" if drivers else "")
        + f" (MSER-{batch} on the average of {replications} replications of {horizon_years:g} years)."
    ]
    if skipped:
        notes.append(f"Not analysed (bins with no data in any replication): {labels(skipped)}.")
    notes.extend(_capacity_notes(findings))
    if at_limit:
        hit = counted.loc[counted["at_limit"], "series"].tolist()
        notes.append(
            f"Warning: for {labels(hit)}, the truncation reached the half-series limit "
            f"({_fmt_days(limit_days)}): the horizon of {horizon_years:g} years was too short to see "
            "the series settle, so the recommendation is only a lower bound. "
            "Run again with a longer horizon."
        )
    if drifting:
        hit = counted.loc[counted["drifting"], "series"].tolist()
        notes.append(
            f"Warning: {labels(hit)} still drifted after the truncation (the second half of what remains "
            f"differs from the first half across replications, p < {DRIFT_ALPHA:g}): the series has not "
            "settled within the horizon, so the recommendation may be too short. "
            "Run again with a longer horizon (and more replications)."
        )
    if unbounded:
        notes.append(
            f"The scenario's warm-up of {_fmt_days(current)}: no warm-up settles the waiting list, so "
            f"there is no answer until the scenario changes (the other series need at least {days} days)."
        )
    elif long_enough is True:
        notes.append(f"The scenario's warm-up of {_fmt_days(current)} is long enough.")
    elif long_enough is False:
        notes.append(
            f"The scenario's warm-up of {_fmt_days(current)} is too short: "
            f"set run.warmup_days to at least {days}."
        )
    else:
        notes.append(
            f"The scenario's warm-up of {_fmt_days(current)} covers the recommendation, "
            "but the recommendation is only a lower bound (see the warning): undecided."
        )
    return WarmupRecommendation(
        scenario=scenario.name,
        seed=int(seed),
        replications=int(replications),
        horizon_days=horizon_days,
        bin_days=float(bin_days),
        batch=int(batch),
        recommended_days=days,
        recommended_months=months,
        current_warmup_days=current,
        long_enough=long_enough,
        at_limit=at_limit,
        drifting=drifting,
        limit_days=limit_days,
        truncations=truncations,
        ensemble=ensemble,
        runs=runs,
        notes=tuple(notes),
        queue_unbounded=unbounded,
    )
