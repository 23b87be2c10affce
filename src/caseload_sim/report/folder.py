"""Reading an output folder for a report, and writing the report file.

A report never re-runs the model: it reads what ``caseload-sim run`` or ``caseload-sim
compare`` wrote — ``manifest.json`` plus ``summary.csv`` and ``replications.csv`` (a
run) or ``comparison.csv`` and ``replications.csv`` (a comparison, ``"kind":
"comparison"`` in the manifest) — checks it, and hands the report one
:class:`OutputFolder`: the resolved scenarios, a tidy table of statistics, the
per-replication KPIs and, when the folder has ``series.parquet``, every replication's
weekly series (folders written before the series existed have none; the report then
says how to get them), and likewise ``employment_curve.parquet``, the share in work by
month since intake. A ``comparison.csv`` written before the risk-ratio columns existed
reads with those columns NaN.

Whatever is wrong with a folder (missing, not ours, a file missing, a corrupt CSV, a
manifest whose scenario no longer validates) raises :class:`ReportInputError` with one
line per problem naming the file, so the CLI can say it and exit with status 2 before
writing anything.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from caseload_sim.experiment import (
    COMPARISON_COLUMNS,
    CURVE_TABLE_COLUMNS,
    RISK_RATIO_COLUMNS,
    SERIES_TABLE_COLUMNS,
)
from caseload_sim.manifest import changed_files
from caseload_sim.scenario import Scenario, ScenarioError, scenario_from_dict

__all__ = [
    "CURVE_FILE",
    "SERIES_FILE",
    "STATS_COLUMNS",
    "OutputFolder",
    "ReportInputError",
    "read_output_folder",
    "stats_by_key",
    "write_report_file",
]

#: Columns of :attr:`OutputFolder.stats` (the ``diff`` ones are NaN for a run and for the base;
#: the risk-ratio ones are NaN for a run, for a KPI that is not a risk, and for a comparison
#: folder written before comparison.csv had them).
STATS_COLUMNS: tuple[str, ...] = (
    "scenario",
    "kpi",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_better",
    "risk_ratio",
    "rr_ci_low",
    "rr_ci_high",
)
#: The file of the weekly series in an output folder (optional: older folders lack it).
SERIES_FILE = "series.parquet"
#: The file of the employment curves in an output folder (optional: older folders lack it).
CURVE_FILE = "employment_curve.parquet"
_SUMMARY_REQUIRED = ("kpi", "mean", "ci_low", "ci_high", "n")
_COMPARISON_REQUIRED = COMPARISON_COLUMNS[:9]  # the documented interface of comparison.csv
_ID_COLUMNS = ("scenario", "replication", "seed")
_WHAT = "an output folder written by `caseload-sim run` or `caseload-sim compare`"

Kind = Literal["run", "comparison"]


class ReportInputError(ValueError):
    """An output folder a report cannot be made from; one human-readable line per problem."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class OutputFolder:
    """What a report needs from an output folder, read and checked.

    Attributes
    ----------
    path
        The folder, as given (for display only).
    kind
        ``"run"`` or ``"comparison"``.
    manifest
        ``manifest.json`` as written.
    scenarios
        The resolved scenarios; for a comparison the base first, in the order run.
    stats
        One row per scenario and KPI, columns :data:`STATS_COLUMNS`: mean and 95 % CI
        across replications, ``n`` replications where the KPI is defined, and (for a
        comparison's alternatives) the paired difference from the base with its 95 % CI
        and ``p_better``.
    replications
        One row per scenario and replication: ``scenario``, ``replication``, ``seed``
        (when present) and one column per KPI.
    kpis
        The KPI names, in the order of the files.
    series
        ``series.parquet``: one row per scenario, replication, week end and variable,
        columns ``scenario, replication, time_days, variable, value`` (scenario and
        variable as strings, the rest numbers); ``None`` if the folder has no series.
    curve
        ``employment_curve.parquet``: one row per scenario, replication and month since
        intake, columns ``scenario, replication, month, employed, n`` (scenario as
        strings, the rest numbers); ``None`` if the folder has none.
    """

    path: str
    kind: Kind
    manifest: dict[str, Any]
    scenarios: tuple[Scenario, ...]
    stats: pd.DataFrame
    replications: pd.DataFrame
    kpis: tuple[str, ...]
    series: pd.DataFrame | None = None
    curve: pd.DataFrame | None = None
    changed: tuple[
        str, ...
    ] = ()  # files whose SHA-256 no longer matches the manifest (changed after the run)

    @cached_property
    def by_key(self) -> dict[tuple[str, str], dict[str, float]]:
        """:attr:`stats` keyed by ``(scenario, kpi)`` (see :func:`stats_by_key`)."""
        return stats_by_key(self.stats)

    @property
    def names(self) -> tuple[str, ...]:
        """The scenario names, base first."""
        return tuple(s.name for s in self.scenarios)

    @property
    def base(self) -> str:
        """The base scenario's name (the only one, for a run)."""
        return self.scenarios[0].name


def stats_by_key(stats: pd.DataFrame) -> dict[tuple[str, str], dict[str, float]]:
    """The numeric columns of a stats table keyed by ``(scenario, kpi)``; a missing key means no row."""
    numeric = [c for c in STATS_COLUMNS if c not in ("scenario", "kpi")]
    values = stats[numeric].to_numpy(dtype=float)
    return {
        (str(name), str(kpi)): dict(zip(numeric, (float(v) for v in row), strict=True))
        for name, kpi, row in zip(stats["scenario"], stats["kpi"], values, strict=True)
    }


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportInputError([f"{path}: cannot read: {exc}"]) from None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ReportInputError([f"{path}: not valid JSON: {exc}"]) from None
    if not isinstance(doc, dict):
        raise ReportInputError([f"{path}: got a JSON {type(doc).__name__}; allowed: an object (a manifest)"])
    return doc


def _read_csv(path: Path, required: Sequence[str]) -> pd.DataFrame:
    """A CSV table that has the required columns."""
    try:
        with warnings.catch_warnings():
            # A row longer than the header is an error, not a silent index column or lost data.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, index_col=False)
    except pd.errors.EmptyDataError:
        raise ReportInputError([f"{path}: the file is empty; allowed: a table with a header row"]) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportInputError([f"{path}: not a readable CSV table: {first}"]) from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ReportInputError(
            [f"{path}: missing column(s) {', '.join(missing)}; allowed: a table with {', '.join(required)}"]
        )
    return frame


def _numeric(frame: pd.DataFrame, path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` as floats (empty cells NaN); a cell that is not a number is a problem."""
    problems = []
    out = frame.copy()
    for column in columns:
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            problems.append(
                f"{path}: column {column}, row {row + 2}: got {raw.iloc[row]!r}; allowed: a number (or empty)"
            )
        else:
            out[column] = values.astype(float)
    if problems:
        raise ReportInputError(problems)
    return out


# What each weekly variable can be (series.parquet): NaN is allowed (a week without data).
SERIES_RANGES: dict[str, tuple[float, float]] = {
    "caseload_per_fte": (0.0, math.inf),
    "caseload": (0.0, math.inf),
    "fte": (0.0, math.inf),
    "queue": (0.0, math.inf),
    "employed": (0.0, math.inf),
    "stress_mean": (0.0, 1.0),
}


def _out_of_range(
    frame: pd.DataFrame, path: Path, column: str, lo: float, hi: float, where: Any = None
) -> list[str]:
    """One line naming file, column and the first row whose value lies outside ``[lo, hi]`` (NaN allowed)."""
    values = frame[column] if where is None else frame.loc[where, column]
    bad = values[values.notna() & (~np.isfinite(values) | (values < lo) | (values > hi))]
    if bad.empty:
        return []
    row = bad.index[0]
    label = f" ({frame.loc[row, 'variable']})" if "variable" in frame.columns else ""
    return [
        f"{path}: column {column}{label}, row {row}: got {bad.iloc[0]:g}; allowed: {lo:g} to {hi:g} "
        f"({len(bad):,} value(s) out of range: the file is damaged)"
    ]


def _kpi_range(kpi: str) -> tuple[float, float] | None:
    """The values a KPI can take (:func:`caseload_sim.metrics.kpi_range`)."""
    from caseload_sim.metrics import kpi_range

    return kpi_range(kpi)


def _check_kpi_ranges(frame: pd.DataFrame, path: Path, kpis: Sequence[str]) -> None:
    """Every KPI column's values within the KPI's range (:func:`_kpi_range`; NaN: undefined)."""
    problems: list[str] = []
    for kpi in kpis:
        bounds = _kpi_range(kpi)
        if bounds is not None:
            problems += _out_of_range(frame, path, kpi, *bounds)
    if problems:
        raise ReportInputError(problems)


def _check_stats(frame: pd.DataFrame, path: Path) -> None:
    """A table of statistics (summary.csv, comparison.csv) that its numbers can have come from a run.

    Per row: the mean within its KPI's range, the interval around the estimate
    (``ci_low <= mean <= ci_high``, and likewise the difference and the risk ratio),
    ``n`` and ``std`` not negative, ``p_better`` a share, a risk ratio not negative. A
    row's CSV line is its index + 2 (the header is line 1).
    """
    problems: list[str] = []

    def bad(mask: Any, column: str, allowed: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            i = int(mask.nonzero()[0][0])
            kpi = frame["kpi"].iloc[i] if "kpi" in frame.columns else ""
            problems.append(
                f"{path}: column {column} ({kpi}), row {i + 2}: got {frame[column].iloc[i]:g}; allowed: "
                f"{allowed} ({int(mask.sum()):,} row(s) like it: the file is damaged)"
            )

    def col(name: str) -> np.ndarray:
        return frame[name].to_numpy(dtype=float) if name in frame.columns else np.full(len(frame), np.nan)

    mean = col("mean")
    with np.errstate(invalid="ignore"):
        for i, kpi in enumerate(frame["kpi"].astype(str)):
            bounds = _kpi_range(kpi)
            if bounds is not None and np.isfinite(mean[i]) and not bounds[0] <= mean[i] <= bounds[1]:
                bad(np.arange(len(frame)) == i, "mean", f"{bounds[0]:g} to {bounds[1]:g} for {kpi}")
                break
        for lo, mid, hi in (
            ("ci_low", "mean", "ci_high"),
            ("diff_ci_low", "diff", "diff_ci_high"),
            ("rr_ci_low", "risk_ratio", "rr_ci_high"),
        ):
            a, m, b = col(lo), col(mid), col(hi)
            bad(
                np.isfinite(a) & np.isfinite(m) & (a > m + 1e-9 * np.maximum(1, np.abs(m))),
                lo,
                f"at most {mid}",
            )
            bad(
                np.isfinite(b) & np.isfinite(m) & (b < m - 1e-9 * np.maximum(1, np.abs(m))),
                hi,
                f"at least {mid}",
            )
        for name in ("n", "std", "risk_ratio"):
            values = col(name)
            bad(np.isinf(values) | (values < 0), name, "a number >= 0")
        p = col("p_better")
        bad(np.isinf(p) | (p < 0) | (p > 1), "p_better", "0 to 1")
    if problems:
        raise ReportInputError(problems)


def _read_series(folder: Path, names: Sequence[str]) -> pd.DataFrame | None:
    """``series.parquet`` checked against the folder's scenarios and each variable's range; ``None`` if absent."""
    path = folder / SERIES_FILE
    frame = _read_parquet(path, names, SERIES_TABLE_COLUMNS, ("variable",))
    if frame is None:
        return None
    problems = []
    unknown = sorted(set(frame["variable"]) - set(SERIES_RANGES))
    if unknown:
        problems.append(f"{path}: variable(s) {', '.join(unknown)}; allowed: {', '.join(SERIES_RANGES)}")
    for variable, (lo, hi) in SERIES_RANGES.items():
        problems += _out_of_range(frame, path, "value", lo, hi, frame["variable"] == variable)
    problems += _out_of_range(frame, path, "time_days", 0.0, math.inf)
    problems += _out_of_range(frame, path, "replication", 0.0, math.inf)
    if problems:
        raise ReportInputError(problems)
    return frame


def _read_curve(folder: Path, names: Sequence[str]) -> pd.DataFrame | None:
    """``employment_curve.parquet`` checked against the folder's scenarios and its ranges; ``None`` if absent."""
    path = folder / CURVE_FILE
    frame = _read_parquet(path, names, CURVE_TABLE_COLUMNS, ())
    if frame is None:
        return None
    problems = _out_of_range(frame, path, "employed", 0.0, 1.0)
    problems += _out_of_range(frame, path, "month", 0.0, 24.0)
    problems += _out_of_range(frame, path, "n", 0.0, math.inf)
    if problems:
        raise ReportInputError(problems)
    return frame


def _read_parquet(
    path: Path, names: Sequence[str], columns: Sequence[str], labels: Sequence[str]
) -> pd.DataFrame | None:
    """A tidy parquet table of the folder's scenarios (``columns``; ``scenario`` and ``labels``
    as strings, the rest numbers); ``None`` if the file does not exist."""
    import pyarrow as pa

    if not path.exists():
        return None
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportInputError([f"{path}: not a readable parquet table: {first}"]) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportInputError(
            [f"{path}: missing column(s) {', '.join(missing)}; allowed: a table with {', '.join(columns)}"]
        )
    text_columns = ("scenario", *labels)
    empty = [c for c in text_columns if frame[c].isna().any()]
    if empty:
        row = frame.index[frame[empty[0]].isna()][0]
        raise ReportInputError(
            [f"{path}: column {empty[0]}, row {row}: no value; allowed: a name in every row"]
        )
    frame = frame[list(columns)].astype(dict.fromkeys(text_columns, str))
    frame = _numeric(frame, path, [c for c in columns if c not in ("scenario", *labels)])
    foreign = sorted(set(frame["scenario"]) - set(names))
    if foreign:
        raise ReportInputError(
            [f"{path}: scenarios {', '.join(foreign)}; allowed: those of manifest.json, {', '.join(names)}"]
        )
    return frame


def _scenario(doc: Any, where: str) -> Scenario:
    if not isinstance(doc, dict):
        raise ReportInputError(
            [f"{where}: got {type(doc).__name__}; allowed: a resolved scenario (an object)"]
        )
    try:
        return scenario_from_dict(doc, where)
    except ScenarioError as exc:
        raise ReportInputError(
            [*str(exc).splitlines(), f"{where}: does not fit this version's scenario schema"]
        ) from None


def _replication_kpis(replications: pd.DataFrame) -> list[str]:
    return [c for c in replications.columns if c not in _ID_COLUMNS]


def _defined_counts(replications: pd.DataFrame, name: str, kpis: Sequence[str]) -> dict[str, int]:
    rows = replications[replications["scenario"] == name]
    return {k: int(rows[k].notna().sum()) for k in kpis}


def _read_run(folder: Path, manifest: dict[str, Any]) -> OutputFolder:
    scenario = _scenario(manifest.get("scenario"), f"{folder / 'manifest.json'}: scenario")
    summary_path, reps_path = folder / "summary.csv", folder / "replications.csv"
    summary = _numeric(_read_csv(summary_path, _SUMMARY_REQUIRED), summary_path, _SUMMARY_REQUIRED[1:])
    if "std" in summary.columns:
        summary = _numeric(summary, summary_path, ["std"])
    _check_stats(summary, summary_path)
    reps = _read_csv(reps_path, ("replication",))
    kpis = [str(k) for k in summary["kpi"]]
    columns = _replication_kpis(reps)
    if sorted(columns) != sorted(kpis):
        raise ReportInputError(
            [
                f"{folder}: summary.csv and replications.csv name different KPIs "
                f"(only in summary.csv: {', '.join(sorted(set(kpis) - set(columns))) or 'none'}; "
                f"only in replications.csv: {', '.join(sorted(set(columns) - set(kpis))) or 'none'})"
            ]
        )
    reps = _numeric(reps, reps_path, columns)
    _check_kpi_ranges(reps, reps_path, columns)
    reps.insert(0, "scenario", scenario.name)
    stats = summary[list(_SUMMARY_REQUIRED)].copy()
    stats.insert(0, "scenario", scenario.name)
    for column in STATS_COLUMNS[6:]:
        stats[column] = math.nan
    return OutputFolder(
        path=str(folder),
        kind="run",
        manifest=manifest,
        scenarios=(scenario,),
        stats=stats[list(STATS_COLUMNS)].reset_index(drop=True),
        replications=reps,
        kpis=tuple(kpis),
        series=_read_series(folder, [scenario.name]),
        curve=_read_curve(folder, [scenario.name]),
    )


def _read_comparison(folder: Path, manifest: dict[str, Any]) -> OutputFolder:
    where = f"{folder / 'manifest.json'}"
    entries = manifest.get("scenarios")
    if not isinstance(entries, list) or len(entries) < 2:
        raise ReportInputError([f"{where}: scenarios: allowed: a list of two or more scenarios"])
    scenarios = []
    for i, entry in enumerate(entries):
        doc = entry.get("scenario") if isinstance(entry, dict) else None
        scenarios.append(_scenario(doc, f"{where}: scenarios[{i}]"))
    names = [s.name for s in scenarios]
    base = manifest.get("base", names[0])
    if base != names[0]:
        raise ReportInputError([f"{where}: base: got {base!r}; allowed: the first scenario, {names[0]!r}"])
    numeric = [c for c in _COMPARISON_REQUIRED if c not in ("scenario", "kpi")]
    comparison_path, reps_path = folder / "comparison.csv", folder / "replications.csv"
    comparison = _read_csv(comparison_path, _COMPARISON_REQUIRED)
    for column in RISK_RATIO_COLUMNS:  # written since the risk ratios were added; NaN before
        if column not in comparison.columns:
            comparison[column] = math.nan
    comparison = _numeric(comparison, comparison_path, [*numeric, *RISK_RATIO_COLUMNS])
    _check_stats(comparison, comparison_path)
    reps = _read_csv(reps_path, ("scenario", "replication"))
    columns = _replication_kpis(reps)
    reps = _numeric(reps, reps_path, columns)
    _check_kpi_ranges(reps, reps_path, columns)
    comparison["scenario"] = comparison["scenario"].astype(str)
    reps["scenario"] = reps["scenario"].astype(str)
    problems = []
    for table, label in ((comparison, "comparison.csv"), (reps, "replications.csv")):
        found = list(dict.fromkeys(table["scenario"]))
        if sorted(found) != sorted(names):
            problems.append(
                f"{folder / label}: scenarios {', '.join(found) or 'none'}; "
                f"allowed: those of manifest.json, {', '.join(names)}"
            )
    kpis = list(dict.fromkeys(str(k) for k in comparison["kpi"]))
    if sorted(columns) != sorted(kpis):
        problems.append(f"{folder}: comparison.csv and replications.csv name different KPIs")
    if problems:
        raise ReportInputError(problems)
    stats = comparison.copy()
    stats["kpi"] = stats["kpi"].astype(str)
    if "n" in stats.columns:
        stats["n"] = pd.to_numeric(stats["n"], errors="coerce")
    else:
        counts = {name: _defined_counts(reps, name, kpis) for name in names}
        stats["n"] = [counts[s][k] for s, k in zip(stats["scenario"], stats["kpi"], strict=True)]
    return OutputFolder(
        path=str(folder),
        kind="comparison",
        manifest=manifest,
        scenarios=tuple(scenarios),
        stats=stats[list(STATS_COLUMNS)].reset_index(drop=True),
        replications=reps,
        kpis=tuple(kpis),
        series=_read_series(folder, names),
        curve=_read_curve(folder, names),
    )


def read_output_folder(path: str | Path) -> OutputFolder:
    """Read and check an output folder of ``caseload-sim run`` or ``caseload-sim compare``.

    Parameters
    ----------
    path
        The folder.

    Returns
    -------
    OutputFolder

    Raises
    ------
    ReportInputError
        If the folder is missing or not one of ours, a file is missing or unreadable, a
        CSV (or ``series.parquet``, when present) lacks columns or holds non-numbers, or
        the manifest's scenario does not validate. One line per problem, each naming
        the file.
    """
    folder = Path(path)
    if not folder.exists():
        raise ReportInputError([f"{folder}: no such folder; allowed: {_WHAT}"])
    if not folder.is_dir():
        raise ReportInputError([f"{folder}: not a folder; allowed: {_WHAT}"])
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ReportInputError([f"{folder}: no manifest.json, so not {_WHAT}"])
    manifest = _read_json(manifest_path)
    kind = manifest.get("kind", "run")
    if kind in ("comparison", "compare"):
        needed: tuple[str, ...] = ("comparison.csv", "replications.csv")
    elif kind == "run":
        needed = ("summary.csv", "replications.csv")
    else:
        raise ReportInputError([f"{manifest_path}: kind: got {kind!r}; allowed: 'run' or 'comparison'"])
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise ReportInputError(
            [f"{folder}: missing {', '.join(missing)}; the manifest says this folder holds a {kind}"]
        )
    read = _read_run(folder, manifest) if kind == "run" else _read_comparison(folder, manifest)
    return dataclasses.replace(read, changed=tuple(changed_files(folder, manifest)))


def write_report_file(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8) in one atomic rename; parents are created.

    A reader never sees a half-written report, and if writing fails nothing is left behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
    return target
