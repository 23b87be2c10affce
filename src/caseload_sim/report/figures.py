"""Plotly figures for the report, each a pure function of the report's tables.

- :func:`interval_figure` — one small panel per KPI: every replication as a faint
  dot, the mean as a large dot and its 95 % confidence interval as a bar, one row per
  scenario. Each panel has its own axis, in the KPI's unit.
- :func:`forest_figure` — the paired differences of a comparison, as a *relative*
  change (difference / |base mean|, in %) with its 95 % interval, one panel per KPI
  group, so KPIs in days, shares and counts can be read on one scale. The hover text
  gives the difference in the KPI's own unit.
- :func:`effect_heatmap` — the same for many alternatives: a KPI × alternative grid,
  coloured better/worse where the interval excludes zero.
- :func:`exits_figure` — how exits split by reason, one stacked bar per scenario.
- :func:`costs_figure` — the cost split into its parts, one stacked bar per scenario.
- :func:`series_figure` — one weekly series over the whole run: per scenario the mean
  across replications as a line, inside the band of its pointwise 95 % confidence
  interval (:func:`series_bands`), with the warm-up shaded.
- :func:`curve_figure` — the share in paid work by month since intake (0-24), per
  scenario the mean across replications inside its pointwise 95 % band
  (:func:`curve_bands`): how an effect builds up, and whether it lasts.

Colours follow the Okabe–Ito palette, which stays distinguishable for colour-blind
readers; a scenario keeps its colour in every figure. Beyond the palette's eight
colours (:data:`MANY_SCENARIOS`) no set of hues stays apart, so the base is drawn
near-black and the alternatives take the Viridis scale in their order — a swept lever
(caps 7, 8, … 35) reads as a gradient — the alternatives' bands are left out, and the
report's scenario picker highlights one scenario (with its band) in every figure. Every
trace drawn for a scenario carries ``meta = {"scenario": name, "role": ..., "base": ...}``
for that picker.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale, unlabel_rgb
from plotly.subplots import make_subplots

from caseload_sim.experiment import interval_arrays
from caseload_sim.report.folder import stats_by_key
from caseload_sim.report.kpis import (
    GROUPS,
    better_direction,
    format_diff,
    format_interval,
    format_value,
    is_share,
    kpi_group,
    kpi_label,
    verdict,
)

__all__ = [
    "BAND_COLUMNS",
    "CURVE_BAND_COLUMNS",
    "MANY_SCENARIOS",
    "MAX_LABELLED_LINES",
    "PALETTE",
    "costs_figure",
    "curve_bands",
    "curve_figure",
    "effect_heatmap",
    "drawn_reference",
    "exits_figure",
    "forest_figure",
    "interval_figure",
    "scenario_colour",
    "scenario_colours",
    "series_bands",
    "series_figure",
]

#: Okabe–Ito colours, for scenarios in order (base first).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#F0E442",
)
_EXIT_COLOURS: dict[str, str] = {
    "exit_work_permanent_share": "#1b7837",
    "exit_work_temporary_share": "#7fbf7b",
    "exit_education_share": "#4393c3",
    "exit_health_share": "#9970ab",
    "exit_dropout_share": "#f4a582",
    "exit_time_limit_share": "#d6604d",
    "exit_discharged_share": "#878787",
}
#: Columns of :func:`series_bands`'s output, in order.
BAND_COLUMNS: tuple[str, ...] = ("scenario", "time_days", "n", "mean", "ci_low", "ci_high")
#: Columns of :func:`curve_bands`'s output, in order.
CURVE_BAND_COLUMNS: tuple[str, ...] = ("scenario", "month", "n", "mean", "ci_low", "ci_high", "cohort")
_WEEK_DAYS = 7.0
_YEAR_DAYS = 365.0
_FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", "size": 12}


#: Up to this many scenarios each has a colour of :data:`PALETTE` and its band; beyond, see the
#: module docstring.
MANY_SCENARIOS = len(PALETTE)
_BASE_DARK = "#1d2330"
#: At most this many labelled reference lines (or warm-up labels) in one chart; more would stack.
MAX_LABELLED_LINES = 3


@cache  # asked for by every swatch and trace: sampling the scale each time cost seconds at 30 scenarios
def scenario_colours(n: int) -> tuple[str, ...]:
    """The colours of ``n`` scenarios, base first, as ``#rrggbb``."""
    if n <= MANY_SCENARIOS:
        return PALETTE[:n]
    points = [0.05 + 0.85 * k / max(1, n - 2) for k in range(n - 1)]
    sampled = [
        "#{:02x}{:02x}{:02x}".format(*(round(c) for c in unlabel_rgb(c)))
        for c in sample_colorscale("Viridis", points)
    ]
    return (_BASE_DARK, *sampled)


def scenario_colour(i: int, n: int) -> str:
    """The colour of the i-th of ``n`` scenarios (base = 0)."""
    return scenario_colours(n)[i]


def _meta(name: str, role: str, i: int) -> dict[str, object]:
    """What the report's scenario picker reads off a trace: whose it is and what it draws."""
    return {"scenario": name, "role": role, "base": i == 0}


def _rgba(colour: str, alpha: float) -> str:
    """``#rrggbb`` -> ``rgba(r, g, b, alpha)``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _wrap(text: str, width: int = 34) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _layout(fig: go.Figure, height: int, **extra: object) -> go.Figure:
    fig.update_layout(
        height=height,
        font=_FONT,
        template="plotly_white",
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        hoverlabel={"align": "left"},
        **extra,
    )
    return fig


def _band_layout(fig: go.Figure, names: Sequence[str], legend_y: float, top: int) -> go.Figure:
    """The layout of a mean line with its band per scenario over time (series, employment curve)."""
    fig = _layout(
        fig,
        380,
        legend={"orientation": "h", "yanchor": "bottom", "y": legend_y, "x": 0},
        showlegend=len(names) > 1,
        hovermode="x unified" if len(names) > 1 else "closest",
    )
    fig.update_layout(margin={"t": top})
    return fig


def interval_figure(
    stats: pd.DataFrame,
    replications: pd.DataFrame,
    kpis: Sequence[str],
    names: Sequence[str],
    columns: int = 3,
) -> go.Figure:
    """Mean and 95 % CI of each KPI per scenario, over the replications' own values.

    Parameters
    ----------
    stats
        :attr:`~caseload_sim.report.folder.OutputFolder.stats`.
    replications
        One row per scenario and replication, one column per KPI.
    kpis
        The KPIs to draw, one panel each, in this order.
    names
        The scenarios, base first; one row per scenario in every panel (base on top).
    """
    kpis = list(kpis)
    rows = max(1, math.ceil(len(kpis) / columns))
    per_row = 30 if len(names) <= MANY_SCENARIOS else 16
    panel, gap, margins = 36 + per_row * len(names), 90, 130  # pixels
    height = rows * panel + (rows - 1) * gap + margins
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[_wrap(kpi_label(k)) for k in kpis],
        horizontal_spacing=0.08,
        vertical_spacing=gap / (height - margins) if rows > 1 else 0.0,
    )
    by = stats_by_key(stats)
    positions = {name: len(names) - 1 - i for i, name in enumerate(names)}  # base on top
    for j, kpi in enumerate(kpis):
        row, col = j // columns + 1, j % columns + 1
        for i, name in enumerate(names):
            colour = scenario_colour(i, len(names))
            y0 = positions[name]
            values = replications.loc[replications["scenario"] == name, kpi].to_numpy(float)
            values = values[np.isfinite(values)]
            if values.size:
                jitter = np.linspace(-0.18, 0.18, values.size) if values.size > 1 else np.zeros(1)
                fig.add_trace(
                    go.Scatter(
                        x=values,
                        y=y0 + jitter,
                        mode="markers",
                        marker={"color": colour, "size": 5, "opacity": 0.35},
                        name=name,
                        legendgroup=name,
                        showlegend=False,
                        meta=_meta(name, "replications", i),
                        hovertemplate=f"{name}: one replication<br>%{{x}}<extra></extra>",
                    ),
                    row=row,
                    col=col,
                )
            if (name, kpi) not in by:
                continue
            s = by[(name, kpi)]
            mean, low, high = s["mean"], s["ci_low"], s["ci_high"]
            if not math.isfinite(mean):
                continue
            has_ci = math.isfinite(low) and math.isfinite(high)
            fig.add_trace(
                go.Scatter(
                    x=[mean],
                    y=[y0],
                    mode="markers",
                    marker={"color": colour, "size": 11, "line": {"color": "white", "width": 1}},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": [high - mean if has_ci else 0.0],
                        "arrayminus": [mean - low if has_ci else 0.0],
                        "color": colour,
                        "thickness": 2.5,
                        "width": 6,
                    },
                    name=name,
                    legendgroup=name,
                    showlegend=j == 0,
                    meta=_meta(name, "point", i),
                    hovertext=[
                        f"{name}<br>{kpi_label(kpi)}<br>mean {format_value(kpi, mean)}"
                        f"<br>95 % CI {format_interval(kpi, low, high)}"
                    ],
                    hoverinfo="text",
                ),
                row=row,
                col=col,
            )
        fig.update_yaxes(
            tickvals=list(positions.values()),
            ticktext=list(positions) if col == 1 else [""] * len(positions),
            range=[-0.6, len(names) - 0.4],
            row=row,
            col=col,
        )
        fig.update_xaxes(tickformat=".0%" if is_share(kpi) else None, row=row, col=col)
    fig.update_annotations(font={"size": 12})
    fig = _layout(
        fig,
        height,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0 + 45 / (height - margins), "x": 0},
        showlegend=len(names) > 1,
    )
    fig.update_layout(margin={"t": 90})
    return fig


def forest_figure(
    stats: pd.DataFrame, names: Sequence[str], kpis: Sequence[str]
) -> tuple[go.Figure, list[str]]:
    """Paired differences from the base as a relative change (%), one panel per KPI group.

    Parameters
    ----------
    stats
        :attr:`~caseload_sim.report.folder.OutputFolder.stats` of a comparison.
    names
        The scenarios, base first; the alternatives get one marker per KPI.
    kpis
        The KPIs, in display order.

    Returns
    -------
    figure, left_out
        ``left_out`` lists the KPIs not drawn, because the base's mean is zero or
        undefined (no relative change) or no difference is defined.
    """
    base, alternatives = names[0], list(names[1:])
    by = stats_by_key(stats)
    drawn: dict[str, list[str]] = {}
    left_out = []
    for kpi in kpis:
        base_mean = by[(base, kpi)]["mean"] if (base, kpi) in by else math.nan
        finite = any((alt, kpi) in by and math.isfinite(by[(alt, kpi)]["diff"]) for alt in alternatives)
        if not (math.isfinite(base_mean) and abs(base_mean) > 1e-12 and finite):
            left_out.append(kpi)
            continue
        drawn.setdefault(kpi_group(kpi), []).append(kpi)
    groups = [g for g in GROUPS if g in drawn]
    if not groups:
        return _layout(go.Figure(), 120), left_out
    sizes = [len(drawn[g]) for g in groups]
    fig = make_subplots(
        rows=len(groups),
        cols=1,
        subplot_titles=[GROUPS[g] for g in groups],
        row_heights=[float(s) for s in sizes],
        vertical_spacing=min(0.12, 0.35 / len(groups)),
    )
    spread = 0.5 / max(1, len(alternatives))
    for r, group in enumerate(groups, start=1):
        group_kpis = drawn[group]
        for i, alt in enumerate(alternatives, start=1):
            offset = (i - 1 - (len(alternatives) - 1) / 2) * spread
            xs, lows, highs, ys, texts, symbols = [], [], [], [], [], []
            for k, kpi in enumerate(group_kpis):
                if (alt, kpi) not in by:
                    continue
                s = by[(alt, kpi)]
                base_mean = abs(by[(base, kpi)]["mean"])
                d, lo, hi = s["diff"], s["diff_ci_low"], s["diff_ci_high"]
                if not math.isfinite(d):
                    continue
                has_ci = math.isfinite(lo) and math.isfinite(hi)
                xs.append(100 * d / base_mean)
                lows.append(100 * (d - lo) / base_mean if has_ci else 0.0)
                highs.append(100 * (hi - d) / base_mean if has_ci else 0.0)
                ys.append(k + offset)
                said = verdict(kpi, d, lo, hi)
                symbols.append("circle-open" if said in ("unclear", "n/a") else "circle")
                texts.append(
                    f"{alt} vs {base}<br>{kpi_label(kpi)}<br>change {format_diff(kpi, d)} "
                    f"(95 % CI {format_interval(kpi, lo, hi, diff=True)})<br>"
                    f"= {100 * d / base_mean:+.1f} % of the base's {format_value(kpi, base_mean)}<br>{said}"
                )
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="markers",
                    marker={
                        "color": scenario_colour(i, len(names)),
                        "size": 10,
                        "symbol": symbols,
                        "line": {"width": 2, "color": scenario_colour(i, len(names))},
                    },
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": highs,
                        "arrayminus": lows,
                        "color": scenario_colour(i, len(names)),
                        "thickness": 2,
                        "width": 4,
                    },
                    name=alt,
                    legendgroup=alt,
                    meta=_meta(alt, "point", i),
                    showlegend=r == 1,
                    hovertext=texts,
                    hoverinfo="text",
                ),
                row=r,
                col=1,
            )
        fig.update_yaxes(
            tickvals=list(range(len(group_kpis))),
            ticktext=[_wrap(kpi_label(k), 44) for k in group_kpis],
            range=[len(group_kpis) - 0.5, -0.5],
            row=r,
            col=1,
        )
        fig.update_xaxes(
            ticksuffix=" %",
            zeroline=True,
            zerolinecolor="#444",
            zerolinewidth=1.5,
            title_text="change from the base, in % of the base's mean" if r == len(groups) else None,
            row=r,
            col=1,
        )
    height = 34 * sum(sizes) * max(1, math.ceil(len(alternatives) / 2)) + 90 * len(groups) + 80
    fig = _layout(
        fig,
        height,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0 + 30 / height, "x": 0},
    )
    fig.update_annotations(font={"size": 13}, x=0, xanchor="left")
    return fig, left_out


def effect_heatmap(
    stats: pd.DataFrame, names: Sequence[str], kpis: Sequence[str]
) -> tuple[go.Figure, list[str]]:
    """The paired differences of many alternatives at once: a KPI × alternative grid.

    The :func:`forest_figure` of many alternatives stacks so many markers per KPI that
    none can be told apart; here a cell is coloured by the relative change (difference /
    |base mean|, in %, capped at ±100 %) signed by the KPI's declared direction — green
    better, red worse, the stronger the larger — and left blank when the 95 % interval
    includes zero. Only KPIs with a declared direction are drawn; the others are in
    ``left_out`` with those whose base mean is zero or undefined. The hover text gives
    the change in the KPI's own unit with its interval.
    """
    base, alternatives = names[0], list(names[1:])
    by = stats_by_key(stats)
    drawn, left_out = [], []
    for kpi in kpis:
        base_mean = by[(base, kpi)]["mean"] if (base, kpi) in by else math.nan
        if better_direction(kpi) == 0 or not (math.isfinite(base_mean) and abs(base_mean) > 1e-12):
            left_out.append(kpi)
        else:
            drawn.append(kpi)
    drawn.sort(key=lambda k: list(GROUPS).index(kpi_group(k)))
    z = np.full((len(drawn), len(alternatives)), np.nan)
    text = [["" for _ in alternatives] for _ in drawn]
    for r, kpi in enumerate(drawn):
        base_mean = abs(by[(base, kpi)]["mean"])
        for c, alt in enumerate(alternatives):
            if (alt, kpi) not in by:
                continue
            st = by[(alt, kpi)]
            d, lo, hi = st["diff"], st["diff_ci_low"], st["diff_ci_high"]
            said = verdict(kpi, d, lo, hi)
            if said in ("better", "worse"):
                z[r, c] = float(np.clip(better_direction(kpi) * 100 * d / base_mean, -100, 100))
            text[r][c] = (
                f"{alt} vs {base}<br>{kpi_label(kpi)}<br>change {format_diff(kpi, d)} "
                f"(95 % CI {format_interval(kpi, lo, hi, diff=True)})<br>{said}"
            )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=alternatives,
            y=[kpi_label(k) for k in drawn],  # one line each: a row is 22 px
            text=text,
            hovertemplate="%{text}<extra></extra>",
            zmin=-100,
            zmax=100,
            # steep near zero: a clear change of 10-20 % already shows, 100 % is full colour
            colorscale=[
                [0.0, "#7f1d14"],
                [0.3, "#c8493b"],
                [0.45, "#efb5ac"],
                [0.5, "#f4f6f9"],
                [0.55, "#a9d8b3"],
                [0.7, "#4c9f5f"],
                [1.0, "#14522a"],
            ],
            colorbar={
                "title": {"text": "better (+) or<br>worse (−),<br>% of base", "side": "top"},
                "ticksuffix": " %",
            },
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
    slanted = len(alternatives) > 12  # names at an angle need room above the grid
    fig.update_xaxes(side="top", tickangle=-60 if slanted else 0)
    top = 120 if slanted else 50
    fig = _layout(fig, 22 * len(drawn) + top + 60, plot_bgcolor="#ffffff")
    fig.update_layout(margin={"t": top})
    return fig, left_out


def exits_figure(stats: pd.DataFrame, names: Sequence[str], kpis: Sequence[str]) -> go.Figure | None:
    """One horizontal bar per scenario, split by exit reason (mean shares, in %); ``None`` if none."""
    reasons = [k for k in kpis if k.startswith("exit_") and k.endswith("_share")]
    if not reasons:
        return None
    by = stats_by_key(stats)
    fig = go.Figure()
    for kpi in reasons:
        values = [100 * by[(name, kpi)]["mean"] if (name, kpi) in by else math.nan for name in names]
        fig.add_trace(
            go.Bar(
                x=values,
                y=list(names),
                orientation="h",
                name=_capitalised(kpi_label(kpi).removeprefix("Exits ")),
                marker={"color": _EXIT_COLOURS.get(kpi, "#bbbbbb")},
                text=[f"{v:.0f} %" if math.isfinite(v) and v >= 4 else "" for v in values],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate="%{y}: %{x:.1f} % " + kpi_label(kpi).lower() + "<extra></extra>",
            )
        )
    fig.update_xaxes(ticksuffix=" %", title_text="share of all exits in the window")
    return _stacked_bars(fig, len(names))


def _stacked_bars(fig: go.Figure, bars: int) -> go.Figure:
    """Stack the horizontal bars (first scenario on top) with the legend below the axis title."""
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    top, bottom = 30, 150  # pixels
    height = 60 * bars + top + bottom + 20
    fig = _layout(
        fig,
        height,
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -75 / (height - top - bottom),
            "x": 0,
            "traceorder": "normal",
        },
    )
    fig.update_layout(margin={"t": top, "b": bottom})
    return fig


#: Colours of the cost parts (:data:`caseload_sim.metrics.COST_PART_NAMES` order).
_COST_COLOURS: tuple[str, ...] = ("#0072B2", "#56B4E9", "#E69F00", "#009E73", "#CC79A7")


def costs_figure(
    stats: pd.DataFrame, names: Sequence[str], parts: Sequence[str], axis_title: str
) -> go.Figure | None:
    """One horizontal bar per scenario, split into the cost parts (means, NOK); ``None`` if none."""
    by = stats_by_key(stats)
    parts = [k for k in parts if any(math.isfinite(by.get((n, k), {}).get("mean", math.nan)) for n in names)]
    if not parts:
        return None
    fig = go.Figure()
    for i, kpi in enumerate(parts):
        values = [by[(name, kpi)]["mean"] if (name, kpi) in by else math.nan for name in names]
        label = _capitalised(kpi_label(kpi).removesuffix(" (NOK)"))
        fig.add_trace(
            go.Bar(
                x=values,
                y=list(names),
                orientation="h",
                name=label,
                marker={"color": _COST_COLOURS[i % len(_COST_COLOURS)]},
                customdata=[format_value(kpi, v) for v in values],
                hovertemplate="%{y}: %{customdata} " + label.lower() + "<extra></extra>",
            )
        )
    fig.update_xaxes(title_text=axis_title, tickformat=",.0f")
    return _stacked_bars(fig, len(names))


def series_bands(
    series: pd.DataFrame, variable: str, names: Sequence[str], every: int = 1, confidence: float = 0.95
) -> pd.DataFrame:
    """Pointwise mean and Student-t interval of a weekly series across replications.

    Parameters
    ----------
    series
        Tidy series (``scenario, replication, time_days, variable, value``), as in
        ``series.parquet``.
    variable
        The variable to summarise.
    names
        The scenarios, in output order; one without rows of ``variable`` has none.
    every
        Keep only every ``every``-th week end (``time_days`` a multiple of
        ``7 * every``): a thinner line for a long run, each point still an exact
        weekly value.
    confidence
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BAND_COLUMNS`: per scenario and kept week end, the number of
        replications in which the value is defined, their mean, and the interval
        ``mean ± t_{(1+confidence)/2, n-1} · sd / sqrt(n)`` (NaN when ``n < 2``), as
        :func:`caseload_sim.experiment.summarize` computes it for a KPI.
    """
    if every < 1:
        raise ValueError(f"every: got {every}; allowed: an integer >= 1")
    rows = series[series["variable"] == variable]
    week = np.rint(rows["time_days"].to_numpy(float) / _WEEK_DAYS).astype(np.int64)
    rows = rows[week % every == 0]
    parts = []
    for name in names:
        wide = rows[rows["scenario"] == name].pivot_table(
            index="replication", columns="time_days", values="value", aggfunc="first", dropna=False
        )
        n, mean, half, _ = interval_arrays(wide.to_numpy(dtype=np.float64), confidence)
        parts.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "time_days": wide.columns.to_numpy(dtype=float),
                    "n": n.astype(np.int64),
                    "mean": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: [] for c in BAND_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(BAND_COLUMNS)]


def drawn_reference(values: Sequence[float]) -> bool:
    """Whether :func:`series_figure` draws these reference values (few enough distinct ones)."""
    return len({float(v) for v in values if math.isfinite(v)}) <= MAX_LABELLED_LINES


def _add_band(
    fig: go.Figure,
    names: Sequence[str],
    i: int,
    x: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    mean: go.Scatter,
) -> None:
    """Scenario ``names[i]``'s 95 % band (two traces, filled between) and its mean line on top.

    Up to :data:`MANY_SCENARIOS` scenarios every band shows; beyond, only the base's, the
    base's line is thicker and the alternatives' thinner (the picker shows a band on demand).
    """
    name, n = names[i], len(names)
    colour, many = scenario_colour(i, n), n > MANY_SCENARIOS
    common = {
        "x": x,
        "mode": "lines",
        "legendgroup": name,
        "showlegend": False,
        "hoverinfo": "skip",
        "visible": not many or i == 0,
        "meta": _meta(name, "band", i),
    }
    fig.add_trace(go.Scatter(y=high, line={"width": 0, "color": colour}, **common))
    fig.add_trace(
        go.Scatter(
            y=low, line={"width": 0, "color": colour}, fill="tonexty", fillcolor=_rgba(colour, 0.2), **common
        )
    )
    width = (3.0 if i == 0 else 1.5) if many else 2.0
    mean.update(
        line={"width": width, "color": colour}, name=name, legendgroup=name, meta=_meta(name, "line", i)
    )
    fig.add_trace(mean)


def series_figure(
    bands: pd.DataFrame,
    names: Sequence[str],
    title: str,
    warmup_days: Sequence[float],
    reference: tuple[str, Sequence[float]] | None = None,
    share: bool = False,
) -> go.Figure:
    """One weekly series: per scenario its mean line inside its 95 % band, the warm-up shaded.

    Parameters
    ----------
    bands
        :func:`series_bands` of one variable.
    names
        The scenarios, base first (they keep their colours).
    title
        The y axis title, in the variable's unit.
    warmup_days
        Each scenario's warm-up (days), in the order of ``names``: the time before it
        is shaded and labelled as not measured; the rest is the measured window.
    reference
        ``(label, values)``: a dotted horizontal line per distinct value, e.g. the
        caseload cap of each scenario; none when there are more than
        :data:`MAX_LABELLED_LINES` distinct values (see :func:`drawn_reference`).
    share
        Draw the axis from 0 to 1 (for a share or a 0-1 scale).

    The series are counts, ratios and stress levels, never negative: a band reaching
    below zero is drawn cut at zero.
    """
    fig = go.Figure()
    end_years = float(bands["time_days"].max()) / _YEAR_DAYS if len(bands) else 1.0
    warmups = sorted({float(w) for w in warmup_days if w > 0})
    for j, warmup in enumerate(warmups):
        who = [n for n, w in zip(names, warmup_days, strict=True) if float(w) == warmup]
        label = "warm-up: not measured" if len(set(warmup_days)) == 1 else f"warm-up of {', '.join(who)}"
        if len(warmups) > MAX_LABELLED_LINES:  # labels would stack: the shades alone, darker where more
            label = "warm-ups: not measured" if j == 0 else ""
        fig.add_vrect(
            x0=0,
            x1=warmup / _YEAR_DAYS,
            fillcolor="#8a8f99",
            opacity=0.14,
            layer="below",
            line_width=0,
            annotation_text=label,
            annotation_position="top left",
            annotation_y=1 - 0.07 * j,
            annotation_font={"size": 11, "color": "#5b6475"},
        )
    start = min((float(w) for w in warmup_days), default=0.0) / _YEAR_DAYS
    if end_years > start:
        fig.add_vrect(
            x0=start,
            x1=end_years,
            fillcolor="rgba(0, 0, 0, 0)",
            line_width=0,
            annotation_text="measured window (the KPIs)",
            annotation_position="top right",
            annotation_font={"size": 11, "color": "#1d2330"},
        )
    if reference is not None and drawn_reference(reference[1]):
        label, values = reference
        for value in sorted({float(v) for v in values if math.isfinite(v)}):
            fig.add_hline(
                y=value,
                line={"color": "#5b6475", "width": 1, "dash": "dot"},
                annotation_text=f"{label} {format_value('', value)}",
                annotation_position="bottom left",
                annotation_font={"size": 11, "color": "#5b6475"},
            )
    for i, name in enumerate(names):
        rows = bands[bands["scenario"] == name]
        if rows.empty:
            continue
        years = rows["time_days"].to_numpy(float) / _YEAR_DAYS
        low, high = np.maximum(rows["ci_low"].to_numpy(float), 0.0), rows["ci_high"].to_numpy(float)
        custom = np.column_stack([rows["time_days"].to_numpy(float), low, high, rows["n"].to_numpy(float)])
        mean = go.Scatter(
            x=years,
            y=rows["mean"].to_numpy(float),
            mode="lines",
            customdata=custom,
            hovertemplate=(
                f"{name}, day %{{customdata[0]:,.0f}} (year %{{x:.1f}})<br>mean %{{y:.3g}}"
                "<br>95 % CI %{customdata[1]:.3g} to %{customdata[2]:.3g}"
                "<br>over %{customdata[3]:.0f} replications<extra></extra>"
            ),
        )
        _add_band(fig, names, i, years, low, high, mean)
    fig.update_xaxes(title_text="years since the start of the run (warm-up included)", rangemode="tozero")
    fig.update_yaxes(title_text=title, range=[0, 1] if share else None, rangemode="tozero")
    return _band_layout(fig, names, legend_y=1.08, top=50)


def curve_bands(curve: pd.DataFrame, names: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Pointwise mean and Student-t interval of the employment curve across replications.

    Parameters
    ----------
    curve
        Tidy curves (``scenario, replication, month, employed, n``), as in
        ``employment_curve.parquet``.
    names
        The scenarios, in output order; one without rows has none.
    confidence
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CURVE_BAND_COLUMNS`: per scenario and month, the number of
        replications with a non-empty cohort, the mean share in work across them and its
        interval (NaN when ``n < 2``, as for a KPI), and ``cohort``, the mean cohort size.
    """
    parts = []
    for name in names:
        rows = curve[curve["scenario"] == name]
        if rows.empty:
            continue
        wide = rows.pivot_table(
            index="replication", columns="month", values="employed", aggfunc="first", dropna=False
        )
        n, mean, half, _ = interval_arrays(wide.to_numpy(dtype=np.float64), confidence)
        cohort = rows.groupby("replication")["n"].first()
        parts.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "month": wide.columns.to_numpy(dtype=np.int64),
                    "n": n.astype(np.int64),
                    "mean": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "cohort": float(cohort.mean()) if len(cohort) else math.nan,
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: [] for c in CURVE_BAND_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(CURVE_BAND_COLUMNS)]


def curve_figure(bands: pd.DataFrame, names: Sequence[str]) -> go.Figure:
    """The share in paid work by month since intake: per scenario its mean line inside its 95 % band.

    ``bands`` is :func:`curve_bands`; ``names`` the scenarios, base first (they keep
    their colours). Dotted lines mark 6, 12, 18 and 24 months, where the ``employed_<m>m``
    KPIs are read. Bands are cut to [0, 1].
    """
    fig = go.Figure()
    for month in (6, 12, 18, 24):
        fig.add_vline(x=month, line={"color": "#c3c8d1", "width": 1, "dash": "dot"})
    for i, name in enumerate(names):
        rows = bands[bands["scenario"] == name]
        if rows.empty or not rows["mean"].notna().any():
            continue
        months = rows["month"].to_numpy(float)
        low = np.clip(rows["ci_low"].to_numpy(float), 0.0, 1.0)
        high = np.clip(rows["ci_high"].to_numpy(float), 0.0, 1.0)
        custom = np.column_stack([low, high, rows["n"].to_numpy(float), rows["cohort"].to_numpy(float)])
        mean = go.Scatter(
            x=months,
            y=rows["mean"].to_numpy(float),
            mode="lines+markers",
            marker={"size": 4},
            customdata=custom,
            hovertemplate=(
                f"{name}, month %{{x:.0f}} after intake<br>in paid work %{{y:.1%}}"
                "<br>95 % CI %{customdata[0]:.1%} to %{customdata[1]:.1%}"
                "<br>over %{customdata[2]:.0f} replications, about %{customdata[3]:.0f} people each"
                "<extra></extra>"
            ),
        )
        _add_band(fig, names, i, months, low, high, mean)
    fig.update_xaxes(title_text="months since intake", range=[0, 24.5], dtick=3)
    fig.update_yaxes(title_text="share in paid work", tickformat=".0%", rangemode="tozero")
    return _band_layout(fig, names, legend_y=1.02, top=40)
