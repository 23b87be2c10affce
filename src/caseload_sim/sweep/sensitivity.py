"""Which parameters matter: sensitivity analysis of a finished (or partial) parameter sweep.

A sweep runs the model at many *points* (one setting of every factor, e.g. the caseload
cap and the referral rate) and at each point several *replications* (independent
histories of the same world). This module reads the sweep's results store and says,
per KPI, how much each factor moves it. It never re-runs the model, and it never prints.

What it computes depends on the design the sweep was run with:

**Sobol indices** (design ``"sobol"``). Think of the spread of a KPI across the sweep —
say, ``work_12m`` ranging from 55 % to 80 % as the factors vary over their ranges — as a
variance to be shared out among the factors. The *first-order* index S1 of a factor is
the share of that variance it explains on its own (how much the KPI's variance would fall
if we knew that factor's value exactly); the *total-order* index ST adds every
interaction it takes part in (the share that would remain if we knew every *other*
factor exactly). S1 ≤ ST; ST close to 0 means the factor can be fixed anywhere in its
range without changing the KPI; ΣS1 well below 1 means interactions matter. The design is
Saltelli's: base matrices A and B of N rows and, for each factor i, a matrix AB_i equal to A
with column i taken from B; the estimators are Saltelli (2010) for S1 and Jansen (1999)
for ST, as in :func:`scipy.stats.sobol_indices`.

The model is stochastic, so the indices are computed on the **replication means** per
point, and what they decompose is the variance of those means — which holds, besides the
factors' effects, the replication noise left in a mean of R replications. Two things
follow. First, the uncertainty of an index has two sources: which N base rows the design
happened to draw, and which R histories each point happened to get. The bootstrap
therefore resamples **both**: each draw resamples the base rows j with replacement (the
same j's for A, B and every AB_i, so the rows stay matched) and resamples the
replications with replacement before taking the means — the same replication numbers at
every point, since replication r has the same random numbers everywhere. A bootstrap
over the rows alone would treat the noisy means as exact and give intervals that are too
narrow. Second, the **noise share**

    noise share = (mean over points of σ²_e / n_p) / Var_p(mean_p)

(σ²_e the point-by-replication residual variance of the two-way layout — replication r
shares its random numbers across points, so its common luck, which moves every point
alike, is not noise between points; n_p the replications of point p; Var_p the
variance of the point means across the points the indices use; clipped to [0, 1]) says
how much of the variance being decomposed is replication noise. Noise adds to the denominator of every
index and to the numerator of every total-order index, so an index below about the noise
share cannot be told from noise; a high noise share calls for more replications, not
for reading the indices. The indices are corrected for it (:func:`_noise_corrected`):
the noise adds η to the variance, and to each numerator a term estimated pair by pair
from the replications (under common random numbers two nearby points share most of
their noise, so the terms are far smaller than η). Resampling
the replications adds the noise once more (about (R − 1) / R of it), so each draw is
corrected for (2 − 1/R) η; what shift remains, the intervals being *basic* bootstrap
intervals (the quantiles reflected about the estimate) corrects to first order. A high
noise share still widens every interval, and the findings then lead with it.

**Morris elementary effects** (design ``"morris"``). Each trajectory starts at a random
point and moves one factor at a time; the *elementary effect* of a step is Δy / Δu, the
change in the KPI's point mean over the change in that factor's coordinate in the unit
cube (so effects of factors with different units are comparable: "from the bottom to the
top of its range"). Per factor, μ* (the mean absolute effect) ranks importance, μ (the
mean signed effect) gives the direction, and σ (their standard deviation) is large when
the effect depends on where the other factors are (interactions) or is not linear. The
interval of μ* comes from a bootstrap that resamples trajectories and, as above, the
replications (a basic interval, not below 0). σ is corrected for the noise of each
step (:func:`_sigma_without_noise`), so a large σ means interactions or curvature, not
luck; μ* is not (a mean of absolute values; the noise share says how much to discount).

**Main effects** (designs ``"grid"``, ``"oat"``, ``"lhs"``). Per factor level, the mean
of the point means at that level, with a 95 % t-interval across replications: for each
replication r the level mean of that replication's values (pairing the points on the
replication number, which share their random numbers) is one observation, and the
interval is mean ± t·s/√n over those n observations. For a Latin hypercube the factor's
values are first binned into quantile bins. For a grid with two or more factors the
*two-factor table* gives the mean for each pair of levels of each pair of factors.

Entry points: :func:`load_store` (read and check a store; :func:`store_from_frames` for
frames already in memory), :func:`analyze` (everything above, with findings in words) and
:func:`write_analysis` (the tables as CSV, each written atomically).
"""

from __future__ import annotations

import json
import math
import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from caseload_sim.sweep import store as store_files

__all__ = [
    "CONTRASTS_COLUMNS",
    "DEFAULT_BINS",
    "DEFAULT_BOOTSTRAP",
    "DEFAULT_CONFIDENCE",
    "EFFECTS_COLUMNS",
    "MORRIS_COLUMNS",
    "NOISE_COLUMNS",
    "PAIRS_COLUMNS",
    "SOBOL_COLUMNS",
    "Analysis",
    "StoreFactor",
    "SweepStore",
    "SweepStoreError",
    "analyze",
    "load_store",
    "level_contrasts",
    "main_effects",
    "morris_effects",
    "noise_shares",
    "sobol_analysis",
    "store_from_frames",
    "two_factor_tables",
    "write_analysis",
]

#: Bootstrap draws for the intervals of Sobol indices and Morris μ*.
DEFAULT_BOOTSTRAP = 500
#: Confidence level of every interval.
DEFAULT_CONFIDENCE = 0.95
#: Quantile bins per factor for the main effects of a Latin hypercube.
DEFAULT_BINS = 5

#: Columns of :attr:`Analysis.sobol`.
SOBOL_COLUMNS: tuple[str, ...] = ("kpi", "factor", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")
#: Columns of :attr:`Analysis.noise`.
NOISE_COLUMNS: tuple[str, ...] = ("kpi", "noise_share", "n_points", "replications", "dropped")
#: Columns of :attr:`Analysis.morris`.
MORRIS_COLUMNS: tuple[str, ...] = ("kpi", "factor", "mu_star", "mu_star_low", "mu_star_high", "mu", "sigma")
#: Columns of :attr:`Analysis.effects`.
EFFECTS_COLUMNS: tuple[str, ...] = ("kpi", "factor", "level", "mean", "ci_low", "ci_high", "n")
#: Columns of :attr:`Analysis.contrasts`.
CONTRASTS_COLUMNS: tuple[str, ...] = (
    "kpi",
    "factor",
    "level_from",
    "level_to",
    "diff",
    "ci_low",
    "ci_high",
    "n",
)
#: Columns of :attr:`Analysis.pairs`.
PAIRS_COLUMNS: tuple[str, ...] = ("kpi", "factor_a", "level_a", "factor_b", "level_b", "mean")

_DESIGNS = ("grid", "lhs", "sobol", "morris", "oat")
_PLAN_REQUIRED = ("point", "replication", "block", "block_index", "row")
_RESULTS_REQUIRED = ("point", "replication")
_BOOTSTRAP_BATCH = 100  # bootstrap draws evaluated together (memory: batch x factors x rows floats)
_MOVED = 1e-12  # a unit coordinate that changes by more than this has moved
_HIGH_NOISE = 0.3  # a noise share above this is reported before anything else
_WHAT = "a sweep results store written by `caseload-sim sweep`"


class SweepStoreError(ValueError):
    """A results store that cannot be analysed; one human-readable line per problem, naming the file."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class StoreFactor:
    """A factor as the store's manifest describes it.

    Attributes
    ----------
    name
        The column name in the plan and the results (``regulation_caseload_cap``).
    path
        The scenario key path it sets (``regulation.caseload_cap``).
    low, high
        The range swept.
    levels
        The explicit levels of a grid factor, or ``None``.
    scale
        ``"linear"`` or ``"log"``: how the unit coordinate maps onto the range.
    integer
        Whether values are rounded to whole numbers.
    """

    name: str
    path: str
    low: float
    high: float
    levels: tuple[Any, ...] | None = None
    scale: str = "linear"
    integer: bool = False

    @property
    def range_text(self) -> str:
        """``10 to 20`` (log scale and whole numbers said when they apply)."""
        if self.levels is not None:
            text = ", ".join(_number(v) if _is_number(v) else str(v) for v in self.levels)
            return f"levels {text}"
        extra = [w for w, on in (("log scale", self.scale == "log"), ("whole numbers", self.integer)) if on]
        return f"{_number(self.low)} to {_number(self.high)}" + (f" ({', '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class SweepStore:
    """A sweep's results store, read and checked.

    Attributes
    ----------
    manifest
        ``manifest.json`` as written.
    plan
        ``plan.parquet``: one row per task (point x replication).
    results
        The finished tasks (``results/part-*.parquet``), one row per point and replication
        (a task stored twice, as after an interrupted resume, is kept once).
    factors
        The factors, in the manifest's order (the order of the AB blocks of a Sobol design).
    kpis
        The KPIs, in the manifest's order.
    design_kind
        ``"grid"``, ``"lhs"``, ``"sobol"``, ``"morris"`` or ``"oat"``.
    path
        Where the store was read from (for display; ``None`` for frames built in memory).
    """

    manifest: dict[str, Any]
    plan: pd.DataFrame
    results: pd.DataFrame
    factors: list[StoreFactor]
    kpis: list[str]
    design_kind: str
    path: Path | None = None

    @property
    def name(self) -> str:
        """The experiment's name."""
        return str(self.manifest.get("name", "sweep"))

    @property
    def seed(self) -> int:
        """The sweep's master seed (0 when the manifest has none); seeds the bootstrap."""
        seed = self.manifest.get("seed", 0)
        return int(seed) if isinstance(seed, int | float) and math.isfinite(seed) else 0

    @property
    def n_tasks(self) -> int:
        """Tasks in the plan."""
        return len(self.plan)

    @property
    def n_done(self) -> int:
        """Tasks with a stored result."""
        return len(self.results)

    @property
    def complete(self) -> bool:
        """Whether every planned task has a result."""
        return self.n_done >= self.n_tasks

    @property
    def factor_names(self) -> list[str]:
        """The factors' column names, in order."""
        return [f.name for f in self.factors]


@dataclass(frozen=True)
class Analysis:
    """Everything :func:`analyze` found, as tidy tables and sentences.

    Attributes
    ----------
    sobol
        Columns :data:`SOBOL_COLUMNS`: per KPI and factor, S1 and ST with their bootstrap
        basic bootstrap intervals (NaN for a KPI that is constant or undefined). Empty unless
        the design is ``"sobol"``.
    noise
        Columns :data:`NOISE_COLUMNS`: per KPI the noise share (see the module docstring),
        the points it is computed over, the median replications per point, and the base
        rows (Sobol), trajectories (Morris) or points (otherwise) dropped because the KPI
        was undefined there or their results are missing.
    morris
        Columns :data:`MORRIS_COLUMNS`, in unit-cube scale. Empty unless the design is ``"morris"``.
    effects
        Columns :data:`EFFECTS_COLUMNS`: main effects per factor level. Empty for Sobol and Morris.
    pairs
        Columns :data:`PAIRS_COLUMNS`: two-factor tables of a grid with two or more factors.
    contrasts
        Columns :data:`CONTRASTS_COLUMNS`: per KPI and factor, the change from its lowest to
        its highest level, paired on replications (:func:`level_contrasts`).
    findings
        Plain sentences for a researcher, the most important caveat first.
    design_kind, bootstrap, confidence
        What was analysed and how.
    """

    sobol: pd.DataFrame
    noise: pd.DataFrame
    morris: pd.DataFrame
    effects: pd.DataFrame
    pairs: pd.DataFrame
    contrasts: pd.DataFrame = field(default_factory=lambda: _frame([], CONTRASTS_COLUMNS))
    findings: list[str] = field(default_factory=list)
    design_kind: str = ""
    bootstrap: int = DEFAULT_BOOTSTRAP
    confidence: float = DEFAULT_CONFIDENCE

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file stem (``sobol``, ``noise``, ``morris``, ``effects``, ``contrasts``, ``pairs``)."""
        return {
            "sobol": self.sobol,
            "noise": self.noise,
            "morris": self.morris,
            "effects": self.effects,
            "contrasts": self.contrasts,
            "pairs": self.pairs,
        }


# --- reading ----------------------------------------------------------------------------


def _number(x: float) -> str:
    """A number as a person writes it: ``12``, ``0.25``, ``1,250``."""
    if not math.isfinite(x):
        return "n/a"
    if float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _factor(raw: Any, i: int, where: str) -> tuple[StoreFactor | None, list[str]]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        return None, [f"{where}: factors[{i}] is not a factor with a name"]
    try:
        levels = raw.get("levels")
        numeric = [float(v) for v in levels if _is_number(v)] if isinstance(levels, list) else []
        low, high = raw.get("low"), raw.get("high")
        return (
            StoreFactor(
                name=raw["name"],
                path=str(raw.get("path", raw["name"])),
                low=float(low) if low is not None else (min(numeric) if numeric else math.nan),
                high=float(high) if high is not None else (max(numeric) if numeric else math.nan),
                levels=tuple(levels) if isinstance(levels, list) else None,
                scale=str(raw.get("scale", "linear")),
                integer=bool(raw.get("integer", False)),
            ),
            [],
        )
    except (TypeError, ValueError) as exc:
        return None, [f"{where}: factors[{i}] ({raw['name']}) has a value that is not a number: {exc}"]


def _missing(frame: pd.DataFrame, columns: Sequence[str], where: str) -> list[str]:
    absent = [c for c in columns if c not in frame.columns]
    return [f"{where}: columns missing: {', '.join(absent)}"] if absent else []


def store_from_frames(
    manifest: Mapping[str, Any],
    plan: pd.DataFrame,
    results: pd.DataFrame,
    path: Path | None = None,
) -> SweepStore:
    """Check a store's manifest, plan and results and bundle them as a :class:`SweepStore`.

    Parameters
    ----------
    manifest, plan, results
        As read from ``manifest.json``, ``plan.parquet`` and ``results/``.
    path
        The store's folder, used to name the files in messages.

    Returns
    -------
    SweepStore

    Raises
    ------
    SweepStoreError
        With one line per problem: not a sweep, an unknown design, factors or KPIs
        missing, columns missing from the plan or the results.
    """
    base = Path(path) if path is not None else Path(".")
    m_where, p_where, r_where = (str(base / n) for n in ("manifest.json", "plan.parquet", "results"))
    problems: list[str] = []
    if manifest.get("kind") != "sweep":
        problems.append(f"{m_where}: kind is {manifest.get('kind')!r}, not 'sweep' — this is not {_WHAT}")
    design = manifest.get("design")
    kind = design.get("kind") if isinstance(design, Mapping) else None
    if kind not in _DESIGNS:
        problems.append(f"{m_where}: design.kind is {kind!r}; expected one of {', '.join(_DESIGNS)}")
    raw_factors = manifest.get("factors")
    factors: list[StoreFactor] = []
    if not isinstance(raw_factors, list) or not raw_factors:
        problems.append(f"{m_where}: no factors listed")
    else:
        for i, raw in enumerate(raw_factors):
            f, more = _factor(raw, i, m_where)
            problems += more
            if f is not None:
                factors.append(f)
    kpis = manifest.get("kpis")
    if not isinstance(kpis, list) or not kpis or not all(isinstance(k, str) for k in kpis):
        problems.append(f"{m_where}: no KPIs listed (kpis must be a list of names)")
        kpis = []
    names = [f.name for f in factors]
    problems += _missing(plan, [*_PLAN_REQUIRED, *names, *(f"u_{n}" for n in names)], p_where)
    problems += _missing(results, [*_RESULTS_REQUIRED, *kpis], r_where)
    if problems:
        raise SweepStoreError(problems)
    results = results.drop_duplicates(subset=["point", "replication"], keep="last").reset_index(drop=True)
    return SweepStore(
        manifest=dict(manifest),
        plan=plan.reset_index(drop=True),
        results=results,
        factors=factors,
        kpis=list(kpis),
        design_kind=str(kind),
        path=Path(path) if path is not None else None,
    )


def load_store(path: str | Path) -> SweepStore:
    """Read and check a sweep's results store.

    Parameters
    ----------
    path
        The store's folder (``manifest.json``, ``plan.parquet``, ``results/``).

    Returns
    -------
    SweepStore

    Raises
    ------
    SweepStoreError
        With one line per problem, naming the file: the folder, the manifest, the plan or
        the results missing or unreadable; not a sweep; columns missing.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SweepStoreError([f"{folder}: no such folder (expected {_WHAT})"])
    problems: list[str] = []
    manifest: Any = None
    mpath, ppath, rpath = (
        folder / store_files.MANIFEST,
        folder / store_files.PLAN,
        folder / store_files.RESULTS,
    )
    if not mpath.is_file():
        problems.append(f"{mpath}: missing — {folder} is not {_WHAT}")
    else:
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{mpath}: not readable JSON ({exc})")
        if manifest is not None and not isinstance(manifest, dict):
            problems.append(f"{mpath}: not a JSON object")
    plan: pd.DataFrame | None = None
    if not ppath.is_file():
        problems.append(f"{ppath}: missing — the sweep's plan is needed to know the design")
    else:
        try:
            plan = pd.read_parquet(ppath)
        except Exception as exc:  # pyarrow raises several unrelated types for a corrupt file
            problems.append(f"{ppath}: not a readable parquet file ({exc})")
    results: pd.DataFrame | None = None
    parts = sorted(rpath.glob("part-*.parquet")) if rpath.is_dir() else []
    if not parts:
        problems.append(f"{rpath}: no results (no part-*.parquet files) — has the sweep started?")
    else:
        try:
            results = store_files.read_results(folder)
        except Exception as exc:
            problems.append(f"{rpath}: a part is not a readable parquet file ({exc})")
    if problems:
        raise SweepStoreError(problems)
    assert isinstance(manifest, dict) and plan is not None and results is not None
    return store_from_frames(manifest, plan, results, path=folder)


# --- replication values per point -------------------------------------------------------


@dataclass(frozen=True)
class _Points:
    """Every planned point with its replication values of one KPI.

    ``values[p, r]`` is the KPI at point ``ids[p]`` in replication ``reps[r]`` (NaN when
    undefined or not run); ``counts[p]`` the replications defined at point p.
    """

    ids: np.ndarray
    values: np.ndarray
    counts: np.ndarray

    @cached_property
    def means(self) -> np.ndarray:
        """Each point's mean over its defined replications (NaN when it has none)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            sums = np.where(np.isfinite(self.values), self.values, 0.0).sum(axis=1)
            return np.where(self.counts > 0, sums / np.maximum(self.counts, 1), np.nan)

    @cached_property
    def _row_means(self) -> np.ndarray:
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.values, axis=1)

    @cached_property
    def without_shared_luck(self) -> np.ndarray:
        """``values`` less each replication's luck shared by every point: c_r of the two-way
        layout ``y_pr = m_p + c_r + e_pr`` (see :attr:`noise_var`)."""
        values = self.values
        if values.shape[1] < 2 or not np.isfinite(values).any():
            return values
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            luck = np.nanmean(values - self._row_means[:, None], axis=0)
        return values - np.where(np.isfinite(luck), luck, 0.0)[None, :]

    @cached_property
    def noise_var(self) -> np.ndarray:
        """The variance of each point's mean from replication noise, as the points see it.

        Replication r has the same random numbers at every point (common random
        numbers), so part of its luck is shared by all points and moves every point mean
        alike: that part cancels from every difference between points and from the
        variance the indices decompose. What does not cancel is the point-by-replication
        interaction, estimated by the residual mean square of the two-way layout
        ``y_pr = m_p + c_r + e_pr`` (NaN cells left out); the noise of point p's mean is
        that mean square over n_p. Without common random numbers (c_r = 0) this is the
        pooled s²/n_p. NaN where fewer than two replications or two points are defined.
        """
        defined = np.isfinite(self.values)
        rows = np.flatnonzero(defined.any(axis=1))
        cols = np.flatnonzero(defined.any(axis=0))
        dof = int(defined.sum()) - len(rows) - len(cols) + 1
        if len(rows) < 2 or len(cols) < 2 or dof < 1:
            return np.full(len(self.ids), np.nan)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            resid = self.without_shared_luck - self._row_means[:, None]
            resid = resid - np.nanmean(resid, axis=1)[:, None]
        ms = float(np.nansum(resid**2)) / dof
        return np.where(self.counts > 1, ms / np.maximum(self.counts, 1), np.nan)

    def index(self, points: np.ndarray) -> np.ndarray:
        """Positions of point numbers in ``ids`` (-1 for a point not planned)."""
        pos = np.searchsorted(self.ids, points)
        pos = np.clip(pos, 0, len(self.ids) - 1)
        return np.where(self.ids[pos] == points, pos, -1)

    def resampled_means(self, rng: np.random.Generator) -> np.ndarray:
        """Point means after resampling the replications with replacement — the same draw at
        every point, so replications that shared their random numbers stay together."""
        r = self.values.shape[1]
        drawn = self.values[:, rng.integers(0, r, r)]
        defined = np.isfinite(drawn)
        count = defined.sum(axis=1)
        sums = np.where(defined, drawn, 0.0).sum(axis=1)
        return np.where(count > 0, sums / np.maximum(count, 1), np.nan)


class _Values:
    """The results as arrays, per KPI, aligned on the plan's points and the replication numbers."""

    def __init__(self, store: SweepStore):
        self.ids = np.unique(store.plan["point"].to_numpy(dtype=np.int64))
        reps = np.union1d(
            store.plan["replication"].to_numpy(dtype=np.int64),
            store.results["replication"].to_numpy(dtype=np.int64),
        )
        self.reps = reps
        res = store.results
        rp = np.searchsorted(self.ids, res["point"].to_numpy(dtype=np.int64))
        rp = np.clip(rp, 0, len(self.ids) - 1)
        known = self.ids[rp] == res["point"].to_numpy(dtype=np.int64)
        self._rows = rp[known]
        self._cols = np.searchsorted(reps, res["replication"].to_numpy(dtype=np.int64))[known]
        self._results = res.loc[known]
        self._cache: dict[str, _Points] = {}

    def kpi(self, kpi: str) -> _Points:
        if kpi not in self._cache:
            values = np.full((len(self.ids), len(self.reps)), np.nan)
            values[self._rows, self._cols] = pd.to_numeric(self._results[kpi], errors="coerce").to_numpy(
                dtype=float
            )
            self._cache[kpi] = _Points(self.ids, values, np.isfinite(values).sum(axis=1))
        return self._cache[kpi]


def _kpi_rng(seed: int, kpi: str, purpose: int) -> np.random.Generator:
    """One stream per KPI and purpose, so adding a KPI never shifts another KPI's draws."""
    return np.random.default_rng([seed, zlib.crc32(kpi.encode("utf-8")), purpose])


def _basic_interval(
    draws: np.ndarray, confidence: float, estimate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The *basic* bootstrap interval ``[2θ − q_high, 2θ − q_low]`` (Davison & Hinkley 1997, 5.2).

    Resampling a point's replications adds its noise once more, so the bootstrap
    distribution of an index is shifted from the estimate by about as much as the
    estimate is shifted from the truth; reflecting the quantiles about the estimate
    corrects that shift to first order, where a plain percentile interval would double it.
    """
    tail = 100 * (1 - confidence) / 2
    with np.errstate(invalid="ignore"):
        if draws.size == 0 or not np.isfinite(draws).any():
            nan = np.full(draws.shape[1:], np.nan)
            return nan, nan
        low, high = np.nanpercentile(draws, [tail, 100 - tail], axis=0)
    return 2 * estimate - high, 2 * estimate - low


def _noise_share(noise_var: np.ndarray, means: np.ndarray) -> float:
    """Mean s²_p/n_p over the points, divided by the variance of their means (ddof 1), clipped to [0, 1]."""
    means = means[np.isfinite(means)]
    noise = noise_var[np.isfinite(noise_var)]
    if len(means) < 2 or len(noise) == 0:
        return math.nan
    spread = float(np.var(means, ddof=1))
    if spread <= 0:
        return math.nan
    return float(np.clip(float(np.mean(noise)) / spread, 0.0, 1.0))


def _median_count(counts: np.ndarray) -> int:
    return int(np.median(counts)) if len(counts) else 0


# --- Sobol ------------------------------------------------------------------------------


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _sobol_estimates(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First- and total-order indices, shape (s, d), from f_A, f_B (s, n) and f_AB (d, s, n).

    With ``n`` a power of two this is :func:`scipy.stats.sobol_indices` with the evaluations
    given as a dict; otherwise (base rows dropped for an undefined KPI) the same estimators
    — outputs centred on the mean of f_A and f_B, Saltelli (2010) first order, Jansen total
    order — are evaluated here, because scipy refuses an ``n`` that is not a power of two.
    """
    n = f_a.shape[-1]
    if _power_of_two(n):
        res = stats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=n)
        s1 = np.asarray(res.first_order, dtype=float).reshape(f_a.shape[0], f_ab.shape[0])
        st = np.asarray(res.total_order, dtype=float).reshape(f_a.shape[0], f_ab.shape[0])
        return s1, st
    return _saltelli_jansen(f_a, f_b, f_ab)


def _noise_corrected(
    s1: np.ndarray,
    st: np.ndarray,
    f_a: np.ndarray,
    f_b: np.ndarray,
    eta: float,
    bias_s1: np.ndarray,
    bias_st: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices with the replication noise taken out of the estimators, shape (s, d).

    The estimators are ratios of numerators to the variance V of the outputs. Noise in
    the point means adds η (:attr:`_Points.noise_var`, the part not shared by every
    point) to V; to Jansen's numerator ½E[(f_A − f_AB_i)²] it adds half the noise
    variance of the *difference* of two points, and to Saltelli's E[f_B (f_AB_i − f_A)]
    the noise covariance of f_B with f_AB_i − f_A. Under common random numbers two
    points that differ only in a factor that barely matters have nearly the same noise,
    so those two terms are estimated pair by pair from the replication-level values
    (:func:`_pair_noise`), not assumed from η. ``bias_s1`` and ``bias_st`` (s, d) are
    those terms; the unbiased indices are ``(S1·V − bias_s1) / (V − η)`` and
    ``(ST·V − bias_st) / (V − η)``. Where the noise is all there is (η ≥ V): NaN.
    """
    var = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1)[:, None]  # (s, 1), the estimators' V
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = var > eta
        s1c = np.where(keep, (s1 * var - bias_s1) / (var - eta), np.nan)
        stc = np.where(keep, (st * var - bias_st) / (var - eta), np.nan)
    return s1c, stc


def _pair_noise(ya: np.ndarray, yb: np.ndarray, yab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per factor i and base row j, the noise terms of Saltelli's and Jansen's numerators, (d, m).

    ``ya``, ``yb`` (m, R) and ``yab`` (d, m, R) are the replication-level values of the
    points A_j, B_j and AB_i,j, aligned by replication number (NaN where undefined). The
    factors' effects are the same in every replication, so what varies across r is
    noise: the variance of y_A − y_AB over r, over n, is the noise of the difference of
    the two means; the covariance of y_B with y_AB − y_A, over n, the noise in their
    product. Rows with fewer than two shared replications contribute 0.
    """
    diff = yab - ya[None, :, :]
    both = np.isfinite(diff) & np.isfinite(yb)[None, :, :]
    n = both.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = np.where(both, diff, np.nan)
        b = np.where(both, np.broadcast_to(yb[None, :, :], diff.shape), np.nan)
        dc = d - np.nanmean(d, axis=-1, keepdims=True)
        bc = b - np.nanmean(b, axis=-1, keepdims=True)
        var_d = np.nansum(dc * dc, axis=-1) / (n - 1)
        cov_bd = np.nansum(bc * dc, axis=-1) / (n - 1)
        jansen = np.where(n > 1, 0.5 * var_d / n, 0.0)
        saltelli = np.where(n > 1, cov_bd / n, 0.0)
    return saltelli, jansen


def _saltelli_jansen(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy's estimators for any ``n``: centred outputs, Saltelli (2010) S1, Jansen ST; 0 where Var = 0."""
    mean = np.mean([f_a, f_b], axis=(0, -1)).reshape(-1, 1)
    a, b, ab = f_a - mean, f_b - mean, f_ab - mean
    var = np.var([a, b], axis=(0, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = np.asarray((np.mean(b * (ab - a), axis=-1) / var).T, dtype=float)
        st = np.asarray((0.5 * np.mean((a - ab) ** 2, axis=-1) / var).T, dtype=float)
    s1[~np.isfinite(s1)] = 0.0
    st[~np.isfinite(st)] = 0.0
    return s1, st


def _sobol_layout(store: SweepStore, values: _Values) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Positions (into the point arrays) of A_j, B_j and AB_i,j; -1 where the plan lacks one."""
    plan = store.plan.drop_duplicates("point")
    rows = plan["row"].to_numpy(dtype=np.int64)
    n = int(rows.max()) + 1 if len(rows) else 0
    d = len(store.factors)
    a = np.full(n, -1, dtype=np.int64)
    b = np.full(n, -1, dtype=np.int64)
    ab = np.full((d, n), -1, dtype=np.int64)
    pos = values.kpi(store.kpis[0]).index(plan["point"].to_numpy(dtype=np.int64))
    block = plan["block"].astype(str).to_numpy()
    index = plan["block_index"].to_numpy(dtype=np.int64)
    for target, mask in ((a, block == "A"), (b, block == "B")):
        target[rows[mask]] = pos[mask]
    mask = (block == "AB") & (index >= 0) & (index < d)
    ab[index[mask], rows[mask]] = pos[mask]
    return a, b, ab, n


def sobol_analysis(
    store: SweepStore,
    *,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Sobol first- and total-order indices per KPI and factor, with bootstrap intervals.

    Parameters
    ----------
    store
        A store of a ``"sobol"`` design.
    bootstrap
        Bootstrap draws; each resamples the base rows (the same rows for A, B and every
        AB_i) and the replications (the same replication numbers at every point; see the
        module docstring).
    confidence
        Level of the basic bootstrap intervals.

    Returns
    -------
    sobol : pandas.DataFrame
        Columns :data:`SOBOL_COLUMNS`.
    noise : pandas.DataFrame
        Columns :data:`NOISE_COLUMNS`; ``dropped`` counts base rows left out because a
        point of the row has no result or an undefined KPI (NaN mean).
    notes : list of str
        One sentence per KPI that got no indices (constant, or undefined everywhere).

    Notes
    -----
    Deterministic: the bootstrap's generator is seeded from the manifest's seed and the
    KPI's name.
    """
    values = _Values(store)
    a, b, ab, n = _sobol_layout(store, values)
    names = store.factor_names
    d = len(names)
    sobol_rows: list[dict[str, Any]] = []
    noise_rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for kpi in store.kpis:
        pts = values.kpi(kpi)
        means = pts.means
        layout = np.vstack([a[None, :], b[None, :], ab])  # (d + 2, n)
        complete = (layout >= 0).all(axis=0)
        safe = np.where(layout >= 0, layout, 0)
        keep = complete & np.isfinite(means[safe]).all(axis=0)
        rows = np.flatnonzero(keep)
        dropped = n - len(rows)
        used = safe[:, rows]
        s1 = st = np.full(d, np.nan)
        s1_lo = s1_hi = st_lo = st_hi = np.full(d, np.nan)
        share = math.nan
        f_a, f_b = means[used[0]], means[used[1]]
        spread = np.var(np.concatenate([f_a, f_b])) if len(rows) else 0.0
        if len(rows) < 2:
            notes.append(
                f"{kpi}: no Sobol indices — it is undefined (or has no results) in every base row but "
                f"{len(rows)} of {n}."
            )
        elif not spread > 0:
            notes.append(f"{kpi}: no Sobol indices — it takes the same value at every point of the sweep.")
        else:
            ab_idx = used[2:]
            ab_points = np.concatenate([used[0], used[1]])
            share = _noise_share(pts.noise_var[ab_points], means[ab_points])
            finite_noise = pts.noise_var[ab_points][np.isfinite(pts.noise_var[ab_points])]
            eta = float(np.mean(finite_noise)) if len(finite_noise) else 0.0
            own = pts.without_shared_luck
            pair_s1, pair_st = _pair_noise(own[used[0]], own[used[1]], own[ab_idx])
            # a resampled mean carries its noise and the resampling's own, about (R - 1) / R as much
            r = max(_median_count(pts.counts[ab_points]), 1)
            grow = 2.0 - 1.0 / r
            s1_, st_ = _sobol_estimates(f_a[None, :], f_b[None, :], means[ab_idx][:, None, :])
            s1_, st_ = _noise_corrected(
                s1_,
                st_,
                f_a[None, :],
                f_b[None, :],
                eta,
                pair_s1.mean(axis=1)[None, :],
                pair_st.mean(axis=1)[None, :],
            )
            s1, st = s1_[0], st_[0]
            rng = _kpi_rng(store.seed, kpi, 1)
            draws_s1: list[np.ndarray] = []
            draws_st: list[np.ndarray] = []
            m = len(rows)
            for start in range(0, bootstrap, _BOOTSTRAP_BATCH):
                size = min(_BOOTSTRAP_BATCH, bootstrap - start)
                fa = np.empty((size, m))
                fb = np.empty((size, m))
                fab = np.empty((d, size, m))
                b1 = np.empty((size, d))
                bt = np.empty((size, d))
                for k in range(size):
                    resampled = pts.resampled_means(rng)
                    pick = rng.integers(0, m, m)
                    fa[k] = resampled[used[0, pick]]
                    fb[k] = resampled[used[1, pick]]
                    fab[:, k, :] = resampled[ab_idx[:, pick]]
                    b1[k] = grow * pair_s1[:, pick].mean(axis=1)
                    bt[k] = grow * pair_st[:, pick].mean(axis=1)
                bs1, bst = _noise_corrected(*_sobol_estimates(fa, fb, fab), fa, fb, grow * eta, b1, bt)
                draws_s1.append(bs1)
                draws_st.append(bst)
            s1_lo, s1_hi = _basic_interval(np.concatenate(draws_s1), confidence, s1)
            st_lo, st_hi = _basic_interval(np.concatenate(draws_st), confidence, st)
            st_lo = np.maximum(st_lo, 0.0)  # Jansen's total-order index is a mean of squares: not below 0
        for i, name in enumerate(names):
            sobol_rows.append(
                {
                    "kpi": kpi,
                    "factor": name,
                    "S1": float(s1[i]),
                    "S1_low": float(s1_lo[i]),
                    "S1_high": float(s1_hi[i]),
                    "ST": float(st[i]),
                    "ST_low": float(st_lo[i]),
                    "ST_high": float(st_hi[i]),
                }
            )
        noise_rows.append(
            {
                "kpi": kpi,
                "noise_share": share,
                "n_points": int(len(rows) * (d + 2)),
                "replications": _median_count(pts.counts[used.ravel()]) if len(rows) else 0,
                "dropped": int(dropped),
            }
        )
    return _frame(sobol_rows, SOBOL_COLUMNS), _frame(noise_rows, NOISE_COLUMNS), notes


# --- Morris -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Steps:
    """The steps of every Morris trajectory: from which point to which, which factor, by how much."""

    trajectory: np.ndarray
    factor: np.ndarray
    start: np.ndarray
    end: np.ndarray
    du: np.ndarray


def _morris_steps(store: SweepStore, values: _Values) -> _Steps:
    plan = store.plan.drop_duplicates("point")
    plan = plan[plan["block"].astype(str) == "morris"].sort_values(["block_index", "row"], kind="stable")
    pos = values.kpi(store.kpis[0]).index(plan["point"].to_numpy(dtype=np.int64))
    u = plan[[f"u_{n}" for n in store.factor_names]].to_numpy(dtype=float)
    traj = plan["block_index"].to_numpy(dtype=np.int64)
    same = traj[1:] == traj[:-1]
    delta = (u[1:] - u[:-1])[same]
    moved = np.abs(delta) > _MOVED
    one = moved.sum(axis=1) == 1
    if not one.all():
        bad = sorted(set(traj[1:][same][~one].tolist()))
        where = store.path / "plan.parquet" if store.path else "plan.parquet"
        raise SweepStoreError(
            [
                f"{where}: Morris trajectories {', '.join(map(str, bad[:5]))} have steps that move "
                "no factor or more than one (u_ columns); elementary effects need one factor per step"
            ]
        )
    factor = np.argmax(moved, axis=1)
    return _Steps(
        trajectory=traj[1:][same],
        factor=factor,
        start=pos[:-1][same],
        end=pos[1:][same],
        du=delta[np.arange(len(delta)), factor],
    )


def _mu_star(effects: np.ndarray, steps: _Steps, weights: np.ndarray, d: int) -> np.ndarray:
    """μ* per factor with each trajectory's steps counted ``weights[trajectory]`` times."""
    w = weights[steps.trajectory]
    total = np.bincount(steps.factor, weights=w * np.abs(effects), minlength=d)
    count = np.bincount(steps.factor, weights=w, minlength=d)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1e-300), np.nan)


def _sigma_without_noise(
    sigma: np.ndarray, values: np.ndarray, steps: _Steps, use: np.ndarray, d: int
) -> np.ndarray:
    """σ of the elementary effects less what replication noise adds to it, per factor.

    An elementary effect's noise is the noise of the difference of its two point means,
    estimated step by step from the replications (under common random numbers the two
    points share most of it): the variance of y_end − y_start over the replications, over
    n, over Δu². Its mean over a factor's steps is taken off σ² (not below 0), so σ
    measures how the effect changes across the space — interactions or curvature — and
    not the replications' luck.
    """
    idx = np.flatnonzero(use)
    if len(idx) == 0 or values.shape[1] < 2:
        return sigma
    diff = values[steps.end[idx]] - values[steps.start[idx]]
    n = np.isfinite(diff).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        var = np.nanvar(diff, axis=1, ddof=1)
        noise = np.where(n > 1, var / n, 0.0) / steps.du[idx] ** 2
    per_factor = np.bincount(steps.factor[idx], weights=noise, minlength=d)
    count = np.bincount(steps.factor[idx], minlength=d)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_noise = np.where(count > 0, per_factor / np.maximum(count, 1), 0.0)
    return np.sqrt(np.maximum(sigma**2 - mean_noise, 0.0))


def morris_effects(
    store: SweepStore,
    *,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Morris μ*, μ and σ of the elementary effects per KPI and factor, in unit-cube scale.

    Parameters
    ----------
    store
        A store of a ``"morris"`` design.
    bootstrap
        Bootstrap draws for the interval of μ*; each resamples the trajectories and the
        replications (the same replication numbers at every point).
    confidence
        Level of the basic bootstrap intervals.

    Returns
    -------
    morris : pandas.DataFrame
        Columns :data:`MORRIS_COLUMNS`; σ is the standard deviation (ddof 1) of the
        elementary effects.
    noise : pandas.DataFrame
        Columns :data:`NOISE_COLUMNS`; ``dropped`` counts trajectories left out because a
        point on them has no result or an undefined KPI.
    notes : list of str
        Sentences about KPIs that got no effects.
    """
    values = _Values(store)
    steps = _morris_steps(store, values)
    names = store.factor_names
    d = len(names)
    trajectories = np.unique(steps.trajectory)
    # renumber trajectories 0..T-1 so they can be weighted by a bincount
    steps = _Steps(
        np.searchsorted(trajectories, steps.trajectory), steps.factor, steps.start, steps.end, steps.du
    )
    t_all = len(trajectories)
    rows: list[dict[str, Any]] = []
    noise_rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for kpi in store.kpis:
        pts = values.kpi(kpi)
        means = pts.means
        ok_step = (steps.start >= 0) & (steps.end >= 0)
        ee = np.full(len(steps.du), np.nan)
        ee[ok_step] = (means[steps.end[ok_step]] - means[steps.start[ok_step]]) / steps.du[ok_step]
        bad = np.bincount(steps.trajectory, weights=~np.isfinite(ee), minlength=t_all) > 0
        kept = (~bad).astype(float)
        n_kept = int(kept.sum())
        use = kept[steps.trajectory] > 0
        touched = np.unique(np.concatenate([steps.start[use], steps.end[use]]))
        mu_star = mu = sigma = lo = hi = np.full(d, np.nan)
        share = math.nan
        if n_kept == 0:
            notes.append(f"{kpi}: no elementary effects — it is undefined on every Morris trajectory.")
        elif not np.nanvar(means[touched]) > 0:
            notes.append(
                f"{kpi}: no elementary effects — it takes the same value at every point of the sweep."
            )
        else:
            mu_star = _mu_star(np.where(use, ee, 0.0), steps, kept, d)
            frame = pd.DataFrame({"f": steps.factor[use], "ee": ee[use]})
            grouped = frame.groupby("f")["ee"]
            mu = grouped.mean().reindex(range(d)).to_numpy(dtype=float)
            sigma = grouped.std(ddof=1).reindex(range(d)).to_numpy(dtype=float)
            sigma = _sigma_without_noise(sigma, pts.values, steps, use, d)
            share = _noise_share(pts.noise_var[touched], means[touched])
            rng = _kpi_rng(store.seed, kpi, 2)
            kept_idx = np.flatnonzero(kept)
            draws = np.empty((bootstrap, d))
            for k in range(bootstrap):
                resampled = pts.resampled_means(rng)
                effects = np.zeros(len(steps.du))
                effects[use] = (resampled[steps.end[use]] - resampled[steps.start[use]]) / steps.du[use]
                weights = np.bincount(rng.choice(kept_idx, size=n_kept), minlength=t_all).astype(float)
                draws[k] = _mu_star(effects, steps, weights, d)
            lo, hi = _basic_interval(draws, confidence, mu_star)
            lo = np.maximum(lo, 0.0)  # μ* is a mean of absolute values: its interval starts at 0 at most
        for i, name in enumerate(names):
            rows.append(
                {
                    "kpi": kpi,
                    "factor": name,
                    "mu_star": float(mu_star[i]),
                    "mu_star_low": float(lo[i]),
                    "mu_star_high": float(hi[i]),
                    "mu": float(mu[i]),
                    "sigma": float(sigma[i]),
                }
            )
        noise_rows.append(
            {
                "kpi": kpi,
                "noise_share": share,
                "n_points": len(touched),
                "replications": _median_count(pts.counts[touched]),
                "dropped": t_all - n_kept,
            }
        )
    return _frame(rows, MORRIS_COLUMNS), _frame(noise_rows, NOISE_COLUMNS), notes


# --- main effects and two-factor tables --------------------------------------------------


def _groups(store: SweepStore, plan: pd.DataFrame, factor: StoreFactor, bins: int) -> pd.DataFrame:
    """The points that inform a factor's main effect, each with its level (column ``level``)."""
    name = factor.name
    if store.design_kind == "oat":
        i = store.factor_names.index(name)
        sub = plan[(plan["block_index"] == -1) | (plan["block_index"] == i)]
        return pd.DataFrame({"point": sub["point"], "level": sub[name].astype(float)})
    values = plan[name].astype(float)
    if store.design_kind != "lhs" or values.nunique() <= bins:
        return pd.DataFrame({"point": plan["point"], "level": values})
    edges = np.unique(np.quantile(values.to_numpy(), np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, values.to_numpy(), side="right") - 1, 0, len(edges) - 2)
    level = values.groupby(which).transform("mean")
    return pd.DataFrame({"point": plan["point"], "level": level.to_numpy(dtype=float)})


def _effect_plan(store: SweepStore) -> pd.DataFrame:
    plan = store.plan.drop_duplicates("point")
    block = {"grid": ["grid"], "lhs": ["lhs"], "oat": ["oat"]}.get(store.design_kind, [])
    return plan[plan["block"].astype(str).isin(block)]


def _level_row(pts: _Points, positions: np.ndarray, confidence: float) -> tuple[float, float, float, int]:
    """Mean of point means at a level, and its t-interval across replications (see the module docstring)."""
    positions = positions[positions >= 0]
    means = pts.means[positions]
    if not np.isfinite(means).any():
        return math.nan, math.nan, math.nan, 0
    centre = float(np.nanmean(means))
    block = pts.values[positions]
    defined = np.isfinite(block).any(axis=0)
    with np.errstate(invalid="ignore"):
        per_rep = np.nanmean(block[:, defined], axis=0) if defined.any() else np.empty(0)
    n = len(per_rep)
    if n < 2:
        return centre, math.nan, math.nan, n
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * np.std(per_rep, ddof=1) / math.sqrt(n))
    return centre, centre - half, centre + half, n


def main_effects(
    store: SweepStore,
    *,
    bins: int = DEFAULT_BINS,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Main effect of every factor on every KPI: the mean at each level with a t-interval.

    Parameters
    ----------
    store
        A store of a ``"grid"``, ``"oat"`` or ``"lhs"`` design (any other gives an empty table).
    bins
        Quantile bins per factor for a Latin hypercube (a factor with at most this many
        distinct values keeps its values); the level is the mean factor value in the bin.
    confidence
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EFFECTS_COLUMNS`. ``mean`` is the mean of the point means at the
        level; the interval is a t-interval over the replication-level level means (for
        each replication, the mean of its values at the level's points), centred on
        ``mean``; ``n`` is the number of replications in it. For a one-at-a-time design
        a factor's levels are the points that vary it plus the base point.
    """
    plan = _effect_plan(store)
    if plan.empty:
        return _frame([], EFFECTS_COLUMNS)
    values = _Values(store)
    rows: list[dict[str, Any]] = []
    for kpi in store.kpis:
        pts = values.kpi(kpi)
        for factor in store.factors:
            groups = _groups(store, plan, factor, bins)
            for level, sub in groups.groupby("level", sort=True):
                positions = pts.index(sub["point"].to_numpy(dtype=np.int64))
                mean, low, high, n = _level_row(pts, positions, confidence)
                rows.append(
                    {
                        "kpi": kpi,
                        "factor": factor.name,
                        "level": float(level),  # type: ignore[arg-type]
                        "mean": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "n": n,
                    }
                )
    return _frame(rows, EFFECTS_COLUMNS)


def level_contrasts(
    store: SweepStore,
    *,
    bins: int = DEFAULT_BINS,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """How far each KPI moves from a factor's lowest level to its highest, paired on replications.

    Replication r has the same random numbers at every point, so the difference of the
    level means *within* a replication carries only the noise that does not cancel; the
    t-interval over those n differences is much narrower than two separate intervals of
    the level means, whose overlap says little. Columns :data:`CONTRASTS_COLUMNS`.
    """
    plan = _effect_plan(store)
    if plan.empty:
        return _frame([], CONTRASTS_COLUMNS)
    values = _Values(store)
    rows: list[dict[str, Any]] = []
    for kpi in store.kpis:
        pts = values.kpi(kpi)
        for factor in store.factors:
            groups = _groups(store, plan, factor, bins)
            levels = np.sort(groups["level"].unique())
            if len(levels) < 2:
                continue
            per_level = []
            for level in (levels[0], levels[-1]):
                positions = pts.index(groups.loc[groups["level"] == level, "point"].to_numpy(dtype=np.int64))
                block = pts.values[positions[positions >= 0]]
                with np.errstate(invalid="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    per_level.append(np.nanmean(block, axis=0))
            diff = per_level[1] - per_level[0]
            diff = diff[np.isfinite(diff)]
            n = len(diff)
            centre = float(diff.mean()) if n else math.nan
            half = (
                float(stats.t.ppf(0.5 + confidence / 2, n - 1) * diff.std(ddof=1) / math.sqrt(n))
                if n > 1
                else math.nan
            )
            rows.append(
                {
                    "kpi": kpi,
                    "factor": factor.name,
                    "level_from": float(levels[0]),
                    "level_to": float(levels[-1]),
                    "diff": centre,
                    "ci_low": centre - half,
                    "ci_high": centre + half,
                    "n": n,
                }
            )
    return _frame(rows, CONTRASTS_COLUMNS)


def two_factor_tables(store: SweepStore) -> pd.DataFrame:
    """For a grid with two or more factors: the mean of the point means for each pair of levels.

    Parameters
    ----------
    store
        A store of a ``"grid"`` design (any other gives an empty table).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PAIRS_COLUMNS`, one row per KPI, pair of factors (in the manifest's
        order) and pair of levels.
    """
    if store.design_kind != "grid" or len(store.factors) < 2:
        return _frame([], PAIRS_COLUMNS)
    plan = _effect_plan(store)
    values = _Values(store)
    frames: list[pd.DataFrame] = []
    for kpi in store.kpis:
        pts = values.kpi(kpi)
        pos = pts.index(plan["point"].to_numpy(dtype=np.int64))
        means = np.where(pos >= 0, pts.means[np.maximum(pos, 0)], np.nan)
        for fa, fb in combinations(store.factor_names, 2):
            table = (
                pd.DataFrame(
                    {"level_a": plan[fa].astype(float), "level_b": plan[fb].astype(float), "mean": means}
                )
                .groupby(["level_a", "level_b"], sort=True)["mean"]
                .mean()
                .reset_index()
            )
            table.insert(0, "kpi", kpi)
            table.insert(1, "factor_a", fa)
            table.insert(3, "factor_b", fb)
            frames.append(table)
    if not frames:
        return _frame([], PAIRS_COLUMNS)
    return pd.concat(frames, ignore_index=True)[list(PAIRS_COLUMNS)]


def noise_shares(store: SweepStore) -> pd.DataFrame:
    """The noise share of every KPI over all points with a defined mean (any design).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NOISE_COLUMNS`; ``dropped`` counts planned points without a defined mean.
    """
    values = _Values(store)
    rows: list[dict[str, Any]] = []
    for kpi in store.kpis:
        pts = values.kpi(kpi)
        finite = np.isfinite(pts.means)
        rows.append(
            {
                "kpi": kpi,
                "noise_share": _noise_share(pts.noise_var[finite], pts.means[finite]),
                "n_points": int(finite.sum()),
                "replications": _median_count(pts.counts[finite]),
                "dropped": int((~finite).sum()),
            }
        )
    return _frame(rows, NOISE_COLUMNS)


# --- findings ---------------------------------------------------------------------------


def _f2(x: float) -> str:
    """Two decimals for indices and shares; three significant digits (with thousands) for large effects."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.2f}" if abs(x) < 100 else f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _pct(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    if 0 < x < 0.01:
        return "less than 1 %"
    return f"{100 * x:.0f} %"


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _noise_lead(kpi: str, noise: Mapping[Any, Any] | None) -> tuple[list[str], float]:
    """The noise sentence that must come first when the noise share is high, and the share."""
    if noise is None:
        return [], math.nan
    share = float(noise["noise_share"])
    if math.isfinite(share) and share > _HIGH_NOISE:
        return [
            f"{kpi}: {_pct(share)} of the variance of the point means is replication noise — read the "
            f"numbers below with care, they mostly describe noise; more replications per point would help."
        ], share
    return [], share


def _dropped_words(kpi: str, noise: Mapping[Any, Any] | None, unit: str) -> list[str]:
    if noise is None or int(noise["dropped"]) == 0:
        return []
    k = int(noise["dropped"])
    return [
        f"{kpi}: {k} {unit}{'s' if k != 1 else ''} left out, where the KPI is undefined or the results are missing."
    ]


def _sobol_findings(sobol: pd.DataFrame, noise: pd.DataFrame) -> list[str]:
    out: list[str] = []
    by_kpi = {str(r["kpi"]): r for r in noise.to_dict("records")}
    for kpi, tab in sobol.groupby("kpi", sort=False):
        kpi = str(kpi)
        nz = by_kpi.get(kpi)
        lead, share = _noise_lead(kpi, nz)
        out += lead
        tab = tab[np.isfinite(tab["ST"])]
        if tab.empty:
            continue
        top = tab.sort_values("ST", ascending=False).iloc[0]
        how = (
            "explains most of the variance"
            if top["ST"] > 0.5
            else "explains the largest share of the variance"
        )
        sentence = (
            f"{kpi}: {top['factor']} {how} (total-order {_f2(top['ST'])} "
            f"[{_f2(top['ST_low'])}, {_f2(top['ST_high'])}], first-order {_f2(top['S1'])})"
        )
        if math.isfinite(share) and not lead:
            sentence += (
                f"; {_pct(share)} of the variance of the point means is replication noise, so indices below "
                f"about {share:.2f} cannot be told from noise."
            )
        else:
            sentence += "."
        out.append(sentence)
        unclear = (tab["ST_low"] <= 0) | ~np.isfinite(tab["ST_low"])
        # an interval that reaches 0 around a small estimate: no measurable effect; around a large
        # one (a skewed KPI, too few base rows): the design cannot tell, which is not the same thing
        small = unclear & (tab["ST"] < max(0.05, share if math.isfinite(share) else 0.0))
        zero = tab[small]["factor"].astype(str).tolist()
        if zero:
            out.append(
                f"{kpi}: {_join(zero)} cannot be told from 0 (small total-order index whose interval "
                f"includes 0): within the ranges swept, {'it does' if len(zero) == 1 else 'they do'} not "
                "measurably move this KPI."
            )
        for _, row in tab[unclear & ~small].iterrows():
            out.append(
                f"{kpi}: {row['factor']} is undecided: its total-order index is {_f2(row['ST'])} but its "
                f"interval [{_f2(row['ST_low'])}, {_f2(row['ST_high'])}] reaches 0 — the design has too few "
                "base rows for this KPI (raise base_samples) rather than showing no effect."
            )
        total_s1 = float(tab["S1"].clip(lower=0).sum())
        if lead:
            out.append(
                f"{kpi}: the indices are corrected for this noise (it would have added about {share:.2f} to "
                f"every total-order index), but with this much of it they are imprecise (first-order indices "
                f"sum to {total_s1:.2f}); a gap between ST and S1 is not evidence of interactions."
            )
        else:
            if total_s1 < 0.8:
                out.append(
                    f"{kpi}: the first-order indices sum to {total_s1:.2f}, so roughly {_pct(1 - total_s1)} of "
                    "the variance comes from interactions between factors (or from noise)."
                )
            gap = tab[(tab["ST_low"] - tab["S1_high"]) > (share if math.isfinite(share) else 0.0)]
            alone = gap[gap["S1_low"] <= 0]["factor"].astype(str).tolist()
            partly = gap[gap["S1_low"] > 0]["factor"].astype(str).tolist()
            if partly:
                out.append(
                    f"{kpi}: {_join(partly)} act{'s' if len(partly) == 1 else ''} partly through interactions "
                    "(the total-order index is clearly above the first-order index)."
                )
            if alone:
                out.append(
                    f"{kpi}: {_join(alone)} {'has' if len(alone) == 1 else 'have'} no effect of its own that can "
                    "be told from 0 (first-order interval includes 0), but "
                    f"{'acts' if len(alone) == 1 else 'act'} through interactions with other factors."
                )
        out += _dropped_words(kpi, nz, "base row")
    return out


def _morris_findings(morris: pd.DataFrame, noise: pd.DataFrame) -> list[str]:
    out: list[str] = []
    by_kpi = {str(r["kpi"]): r for r in noise.to_dict("records")}
    for kpi, tab in morris.groupby("kpi", sort=False):
        kpi = str(kpi)
        nz = by_kpi.get(kpi)
        lead, share = _noise_lead(kpi, nz)
        out += lead
        tab = tab[np.isfinite(tab["mu_star"])]
        if tab.empty:
            continue
        top = tab.sort_values("mu_star", ascending=False).iloc[0]
        direction = "raises" if top["mu"] > 0 else "lowers"
        out.append(
            f"{kpi}: {top['factor']} has the largest elementary effects (μ* {_f2(top['mu_star'])} "
            f"[{_f2(top['mu_star_low'])}, {_f2(top['mu_star_high'])}] per whole range; on average it "
            f"{direction} the KPI, μ {_f2(top['mu'])})."
            + (f" {_pct(share)} of the variance of the point means is replication noise." if not lead else "")
        )
        is_zero = tab["mu_star_low"] <= 1e-12 * max(1.0, float(tab["mu_star"].max()))
        zero = tab[is_zero]["factor"]
        if len(zero):
            out.append(f"{kpi}: the effect of {_join(zero.astype(str).tolist())} cannot be told from 0.")
        # σ (corrected for noise) against μ*, only where there is an effect to bend
        bent = tab[
            ~is_zero & (tab["sigma"] > 0.5 * tab["mu_star"]) & (tab["mu_star"] > 0.1 * float(top["mu_star"]))
        ]
        if len(bent):
            out.append(
                f"{kpi}: {_join(bent['factor'].astype(str).tolist())} "
                f"{'has' if len(bent) == 1 else 'have'} σ above half of μ*: the effect depends on the other "
                "factors (interactions) or is not linear."
            )
        out += _dropped_words(kpi, nz, "trajectory")
    return [s.replace("trajectorys", "trajectories") for s in out]


def _effect_findings(
    effects: pd.DataFrame, noise: pd.DataFrame, contrasts: pd.DataFrame | None = None
) -> list[str]:
    out: list[str] = []
    by_kpi = {str(r["kpi"]): r for r in noise.to_dict("records")}
    for kpi, tab in effects.groupby("kpi", sort=False):
        kpi = str(kpi)
        nz = by_kpi.get(kpi)
        lead, share = _noise_lead(kpi, nz)
        out += lead
        tab = tab[np.isfinite(tab["mean"])]
        if tab.empty:
            continue
        ranges = tab.groupby("factor", sort=False)["mean"].agg(lambda s: float(s.max() - s.min()))
        best = str(ranges.idxmax())
        sub = tab[tab["factor"] == best].sort_values("level")
        lo, hi = sub.iloc[0], sub.iloc[-1]
        paired = None
        if contrasts is not None and not contrasts.empty:
            match = contrasts[(contrasts["kpi"] == kpi) & (contrasts["factor"] == best)]
            paired = match.iloc[0] if len(match) and math.isfinite(float(match.iloc[0]["ci_low"])) else None
        if paired is not None:
            clear = bool(paired["ci_low"] > 0 or paired["ci_high"] < 0)
            verdict = " — a clear difference." if clear else " — the difference cannot be told from 0."
            change = (
                f"; paired on replications the change is {paired['diff']:+.3g} [{paired['ci_low']:+.3g}, "
                f"{paired['ci_high']:+.3g}]"
            )
        else:
            clear = bool(lo["ci_high"] < hi["ci_low"] or hi["ci_high"] < lo["ci_low"])
            verdict = (
                " — a clear difference."
                if clear
                else " — the intervals overlap, so the difference is not clear."
            )
            change = ""
        out.append(
            f"{kpi}: {best} has the largest main effect: from {_number(lo['level'])} to "
            f"{_number(hi['level'])} the mean goes from {lo['mean']:.3g} [{lo['ci_low']:.3g}, "
            f"{lo['ci_high']:.3g}] to {hi['mean']:.3g} [{hi['ci_low']:.3g}, {hi['ci_high']:.3g}]"
            + change
            + verdict
        )
        flat = [str(f) for f, r in ranges.items() if r == 0.0]
        if flat:
            out.append(f"{kpi}: {_join(flat)} do{'es' if len(flat) == 1 else ''} not change it at all.")
        if not lead and math.isfinite(share):
            out.append(f"{kpi}: {_pct(share)} of the variance of the point means is replication noise.")
        out += _dropped_words(kpi, nz, "point")
    return out


# --- the whole analysis -----------------------------------------------------------------


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def analyze(
    store: SweepStore,
    *,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    confidence: float = DEFAULT_CONFIDENCE,
    bins: int = DEFAULT_BINS,
) -> Analysis:
    """Sensitivity of every KPI to every factor, chosen by the store's design.

    Parameters
    ----------
    store
        A checked store (:func:`load_store`).
    bootstrap
        Bootstrap draws for the intervals of Sobol indices and Morris μ*.
    confidence
        Level of every interval.
    bins
        Quantile bins per factor for the main effects of a Latin hypercube.

    Returns
    -------
    Analysis
        Sobol indices (``"sobol"``), Morris effects (``"morris"``) or main effects and
        two-factor tables (``"grid"``, ``"oat"``, ``"lhs"``), the noise share of every KPI,
        and findings in words. The same store always gives the same analysis.
    """
    empty = {c: _frame([], cols) for c, cols in (("sobol", SOBOL_COLUMNS), ("morris", MORRIS_COLUMNS))}
    sobol, morris = empty["sobol"], empty["morris"]
    effects, pairs = _frame([], EFFECTS_COLUMNS), _frame([], PAIRS_COLUMNS)
    contrasts = _frame([], CONTRASTS_COLUMNS)
    findings: list[str] = []
    if not store.complete:
        findings.append(
            f"The sweep is partial: {store.n_done:,} of {store.n_tasks:,} tasks have results. Points without "
            "results are left out; the numbers may change when the sweep is resumed and finished."
        )
    if store.design_kind == "sobol":
        sobol, noise, notes = sobol_analysis(store, bootstrap=bootstrap, confidence=confidence)
        findings += notes + _sobol_findings(sobol, noise)
    elif store.design_kind == "morris":
        morris, noise, notes = morris_effects(store, bootstrap=bootstrap, confidence=confidence)
        findings += notes + _morris_findings(morris, noise)
    else:
        noise = noise_shares(store)
        effects = main_effects(store, bins=bins, confidence=confidence)
        contrasts = level_contrasts(store, bins=bins, confidence=confidence)
        pairs = two_factor_tables(store)
        constant = [
            str(k)
            for k, tab in effects.groupby("kpi", sort=False)
            if not np.isfinite(tab["mean"]).any() or np.nanmax(tab["mean"]) == np.nanmin(tab["mean"])
        ]
        findings += [
            f"{k}: it takes the same value at every point of the sweep (or is undefined)." for k in constant
        ]
        findings += _effect_findings(effects[~effects["kpi"].isin(constant)], noise, contrasts)
    return Analysis(
        sobol=sobol,
        noise=noise,
        morris=morris,
        effects=effects,
        pairs=pairs,
        contrasts=contrasts,
        findings=findings,
        design_kind=store.design_kind,
        bootstrap=bootstrap,
        confidence=confidence,
    )


def write_analysis(analysis: Analysis, out_dir: str | Path) -> list[Path]:
    """Write the non-empty tables as CSV (``sobol.csv``, ``noise.csv``, ...) into ``out_dir``.

    Each file is written under a temporary name in ``out_dir`` and renamed into place, so
    a reader never sees half a table.

    Parameters
    ----------
    analysis
        What :func:`analyze` returned.
    out_dir
        Usually ``DIR/analysis``; created if missing.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order sobol, noise, morris, effects, contrasts, pairs.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, table in analysis.tables().items():
        if table.empty:
            continue
        target = folder / f"{stem}.csv"
        store_files.write_atomic(target, lambda tmp, table=table: table.to_csv(tmp, index=False))
        written.append(target)
    return written
