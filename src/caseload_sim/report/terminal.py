"""The results as terminal tables that fit 80 columns (``--wide`` for every column).

A planner reads ``run`` and ``compare`` in an ordinary terminal: each KPI on one line,
a short label with its unit (``Wait, mean (days)``), numbers in the KPI's own format
(shares in %, their changes in percentage points, money in thousands of NOK), and the
verdict of a paired difference in a word. ``--wide`` gives the full tables with the
machine names of the KPIs, ``p better`` and the variance ratio of the pairing, for an
analyst on a wide screen.

Pure: results in, :class:`rich.table.Table` out; the command line prints them.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich import box
from rich.table import Table

from caseload_sim.report.kpis import (
    HEADLINE_KPIS,
    MIN_REPLICATIONS,
    better_direction,
    change_with_interval,
    compact_change,
    compact_interval,
    compact_label,
    compact_value,
    short_label,
    trade_off,
    verdict,
)

__all__ = [
    "comparison_tables",
    "effect_tables",
    "few_replications_line",
    "headline_tables",
    "run_table",
    "trade_off_lines",
]


def few_replications_line(n: int) -> str | None:
    """The terminal's warning when ``n`` replications are too few for the intervals to be trusted."""
    if n >= MIN_REPLICATIONS:
        return None
    return (
        f"warning: only {n} replication{'s' if n != 1 else ''}: the 95 % intervals are wide and themselves "
        f"uncertain, and a difference can look clear or unclear by chance; run -n {MIN_REPLICATIONS} or more "
        "(30 before a decision), or use --precision"
    )


def _narrow(title: str, caption: str) -> Table:
    return Table(
        title=title,
        title_justify="left",
        caption=caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )


def _kpi_table(title: str, caption: str, wide: bool, label: str, numbers: list[str]) -> Table:
    """A table of one KPI a row: its machine name (``wide``), its label, then right-aligned numbers."""
    table = _narrow(title, caption)
    if wide:
        table.add_column("KPI", no_wrap=True)
    table.add_column(label, overflow="fold", min_width=16)
    for header in numbers:
        table.add_column(header, justify="right", no_wrap=True)
    return table


def _means(comparison: pd.DataFrame, scenario: str) -> dict[str, float]:
    """A scenario's mean of each KPI."""
    rows = comparison[comparison["scenario"] == scenario]
    return {str(k): float(m) for k, m in zip(rows["kpi"], rows["mean"], strict=True)}


#: The colour of a clear verdict (a KPI with a declared direction).
_STYLES = {"better": "green", "worse": "red"}


def run_table(summary: pd.DataFrame, title: str, wide: bool = False) -> Table:
    """One row per KPI: its label and unit, mean and 95 % CI (``wide``: the machine name and ``n`` too)."""
    caption = (
        "mean and 95 % confidence interval across the replications; `caseload-sim report` on the folder "
        "defines each result in words."
    )
    table = _kpi_table(title, caption, wide, "result (unit)", ["mean", "95 % CI", *(["n"] if wide else [])])
    for row in summary.to_dict(orient="records"):
        kpi = str(row["kpi"])
        cells = [
            compact_label(kpi),
            compact_value(kpi, float(row["mean"])),
            compact_interval(kpi, float(row["ci_low"]), float(row["ci_high"]), compact_value),
        ]
        table.add_row(*([kpi, *cells, str(int(row["n"]))] if wide else cells))
    return table


def comparison_tables(
    comparison: pd.DataFrame, names: list[str], n: int, seed: int, wide: bool = False
) -> list[Table]:
    """One table per alternative: base and alternative means, the paired change with its 95 % CI, the verdict.

    ``wide`` adds the machine name, ``p better`` and the variance ratio of the pairing.
    """
    base = names[0]
    c = comparison
    base_mean = _means(c, base)
    caption = (
        "change = alternative - base, paired by replication, with its 95 % CI (shares: percentage points); "
        "better/worse: the CI excludes 0, by the KPI's direction; unclear: it does not."
    )
    if wide:
        caption += (
            " p better: share of replications in which the alternative did better (ties count half). "
            "var ratio: variance of the paired change / that of independent runs (< 1: the common random "
            "numbers sharpened the comparison)."
        )
    tables = []
    for name in names[1:]:
        table = _kpi_table(
            f"{name} vs {base}: {n} paired replications, seed {seed}",
            caption,
            wide,
            "result (unit)",
            [_short(base), _short(name), "change", "95 % CI"],
        )
        table.add_column("", no_wrap=True)  # the verdict
        if wide:
            table.add_column("p better", justify="right", no_wrap=True)
            table.add_column("var ratio", justify="right", no_wrap=True)
        for row in c[c["scenario"] == name].to_dict(orient="records"):
            kpi = str(row["kpi"])
            d, low, high = float(row["diff"]), float(row["diff_ci_low"]), float(row["diff_ci_high"])
            said = verdict(kpi, d, low, high)
            style = _STYLES.get(said, "") if better_direction(kpi) else ""
            shown, interval = change_with_interval(kpi, d, low, high)
            cells: list[Any] = [
                compact_label(kpi),
                compact_value(kpi, float(base_mean[kpi])),
                compact_value(kpi, float(row["mean"])),
                shown,
                interval,
                f"[{style}]{said}[/]" if style else said,
            ]
            if wide:
                p, ratio = float(row["p_better"]), float(row["pairing_variance_ratio"])
                cells = [kpi, *cells, "n/a" if math.isnan(p) else f"{100 * p:.0f} %", _ratio(ratio)]
            table.add_row(*cells)
        tables.append(table)
    return tables


def _short(name: str, width: int = 10) -> str:
    """A scenario's name as a column header: at most ``width`` characters."""
    return name if len(name) <= width else name[: width - 1] + "…"


def _ratio(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.2f}"


def effect_tables(comparison: pd.DataFrame, names: list[str], wide: bool = False) -> list[Table]:
    """Per alternative, the outcomes that are risks as the trials state effects: both risks (%), the risk
    ratio with its 95 % CI (``wide``: the machine names, the risk difference and its CI too)."""
    c = comparison
    base = names[0]
    if "risk_ratio" not in c.columns:
        return []
    risky = c[(c["scenario"] == base) & c["risk_ratio"].notna()]
    kpis = list(risky["kpi"])
    if not kpis:
        return []
    base_mean = _means(risky, base)
    caption = (
        "base, alt: shares of each outcome's cohort (%). RR = alt / base, the risk ratio (ratio of the paired "
        "means; delta-method 95 % CI on the log scale)."
    )
    tables = []
    for name in names[1:]:
        numbers = ["base %", "alt %", *(["diff pp", "95 % CI"] if wide else []), "RR", "95 % CI"]
        table = _kpi_table(
            f"{name} vs {base}: effect on employment, as the trials state it",
            caption,
            wide,
            "outcome",
            numbers,
        )
        for row in c[(c["scenario"] == name) & c["kpi"].isin(kpis)].to_dict(orient="records"):
            kpi = str(row["kpi"])
            cells = [
                *([kpi] if wide else []),
                short_label(kpi),
                compact_value(kpi, float(base_mean[kpi])),
                compact_value(kpi, float(row["mean"])),
            ]
            if wide:
                cells += [
                    compact_change(kpi, float(row["diff"])).removesuffix(" pp"),
                    compact_interval(
                        kpi, float(row["diff_ci_low"]), float(row["diff_ci_high"]), compact_change
                    ),
                ]
            low, high = float(row["rr_ci_low"]), float(row["rr_ci_high"])
            cells += [
                _ratio(float(row["risk_ratio"])),
                "n/a" if not (math.isfinite(low) and math.isfinite(high)) else f"[{low:.2f}, {high:.2f}]",
            ]
            table.add_row(*cells)
        tables.append(table)
    return tables


_MARKS = {"better": "✓", "worse": "✗"}


def headline_tables(
    comparison: pd.DataFrame, names: list[str], n: int, seed: int, wide: bool = False
) -> list[Table]:
    """Many alternatives at once: one row per alternative with its paired change on each headline KPI.

    Four KPIs a table, so that two tables fit 80 columns (``wide``: all in one). A change
    is marked ✓ (clearly better) or ✗ (clearly worse) when its 95 % CI excludes zero, and
    given to the precision that interval supports; the intervals themselves are in each
    alternative's full table (``compare --all-tables``) and in the report.
    """
    base = names[0]
    c = comparison
    present = set(c["kpi"])
    kpis = [k for k in HEADLINE_KPIS if k in present]
    rows = {(str(r["scenario"]), str(r["kpi"])): r for r in c.to_dict(orient="records")}
    caption = (
        "base: its mean; alternatives: change = alternative - base, paired by replication (shares: "
        "percentage points); ✓ clearly better, ✗ clearly worse (the 95 % CI excludes 0), unmarked: unclear."
    )
    groups = [kpis] if wide else [kpis[k : k + 4] for k in range(0, len(kpis), 4)]
    tables = []
    for j, group in enumerate(groups, start=1):
        part = f" ({j} of {len(groups)})" if len(groups) > 1 else ""
        table = _narrow(
            f"{len(names) - 1} alternatives vs {base}: headline results{part}, {n} paired replications, seed {seed}",
            caption if j == len(groups) else "",
        )
        table.add_column("scenario", no_wrap=True)
        for kpi in group:
            table.add_column(compact_label(kpi), justify="right", overflow="fold", min_width=9)
        table.add_row(
            _short(base) + " (base)", *(compact_value(k, float(rows[(base, k)]["mean"])) for k in group)
        )
        for name in names[1:]:
            cells = []
            for kpi in group:
                r = rows[(name, kpi)]
                d, low, high = float(r["diff"]), float(r["diff_ci_low"]), float(r["diff_ci_high"])
                shown, _ = change_with_interval(kpi, d, low, high)
                said = verdict(kpi, d, low, high)
                # the mark before the number, so that the numbers align on the right
                cells.append(f"[{_STYLES[said]}]{_MARKS[said]} {shown}[/]" if said in _MARKS else shown)
            table.add_row(_short(name), *cells)
        tables.append(table)
    return tables


def trade_off_lines(comparison: pd.DataFrame, names: list[str]) -> list[str]:
    """Each alternative's trade-off on the headline results, in words ("In short, cap12: …")."""
    base_means = _means(comparison, names[0])
    lines = []
    for name in names[1:]:
        rows = comparison[comparison["scenario"] == name].to_dict(orient="records")
        stats = {
            str(r["kpi"]): {col: float(r[col]) for col in ("mean", "diff", "diff_ci_low", "diff_ci_high")}
            for r in rows
        }
        lines.append("In short, " + trade_off(name, names[0], stats, base_means))
    return lines
