"""The warm-up's figure and its page: what :func:`caseload_sim.warmup.recommend_warmup` found, drawn and in words.

- :func:`warmup_figure` — one panel per series: each replication faint, their mean (the
  series MSER-5 reads), the part the recommended warm-up drops shaded, and the
  recommended and the scenario's current warm-up as vertical lines named in the legend.
- :func:`warmup_page` — a self-contained HTML page (plotly.js inside, works offline)
  around the figure: the recommendation and the line to paste into the scenario, how
  to read the chart, and how MSER-5 and the drift check decide.

Pure: a recommendation in, a figure or a string out; ``caseload-sim warmup`` writes it.
"""

from __future__ import annotations

import math
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from caseload_sim import metrics
from caseload_sim.report.style import BASE_CSS
from caseload_sim.warmup import DRIFT_ALPHA, SERIES, SERIES_LABELS, WarmupRecommendation

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["warmup_figure", "warmup_page"]

_MONTH_DAYS = metrics.MONTH_DAYS
_NAN = float("nan")

# --------------------------------------------------------------------------- figure
_REPLICATION_COLOUR = "rgba(100, 110, 130, 0.3)"
_MEAN_COLOUR = "#1f4e9c"
_RECOMMENDED_COLOUR = "#c0392b"
_CURRENT_COLOUR = "#1e8449"
_CUT_FILL = "rgba(192, 57, 43, 0.08)"
_CUT_KEY = "rgba(192, 57, 43, 0.25)"  # the legend's swatch of the shading: a small square needs more ink
_MUTED = "#5b6475"
_PANEL_PX = 210  # height of one panel's plot area
_LINE_PX = 18  # one line of a panel's heading (14 px type)
_HEADING_CHARS = 78  # a longer heading breaks after the series' label: 800 px of page leave ~85
_MARGIN = {"t": 64, "b": 56, "l": 56, "r": 24}


def _span(days: float) -> str:
    """``750`` -> ``750 days (2.1 years)``, ``300`` -> ``300 days (9.9 months)``, ``0`` -> ``0 days``."""
    if days <= 0:
        return "0 days"
    if days >= metrics.YEAR_DAYS:
        return f"{days:,.0f} days ({days / metrics.YEAR_DAYS:.1f} years)"
    return f"{days:,.0f} days ({days / _MONTH_DAYS:.1f} months)"


def _counted(rec: WarmupRecommendation, name: str) -> bool:
    """Whether a series' truncation counts towards the recommendation (an unbounded queue's does not)."""
    return not (name == "queue" and rec.queue_unbounded)


def _series_finding(rec: WarmupRecommendation, name: str) -> str:
    """What MSER-5 found for one series, in a few words (a panel's heading, a table cell)."""
    row = rec.truncations.loc[rec.truncations["series"] == name].iloc[0]
    if not _counted(rec, name):
        return "no steady state (the list keeps growing): not counted"
    days = float(row["truncation_days"])
    if not math.isfinite(days):
        return "not analysed (no data)"
    text = f"MSER-{rec.batch} cut: {_span(days)}" if days > 0 else f"MSER-{rec.batch} cut: none needed"
    flags = [("at the half-series limit", bool(row["at_limit"])), ("still drifting", bool(row["drifting"]))]
    return "; ".join([text, *(flag for flag, on in flags if on)])


def _headings(rec: WarmupRecommendation) -> list[str]:
    """Each panel's heading: the series' label in bold, then what MSER found, in grey.

    If any heading would be longer than :data:`_HEADING_CHARS`, every one breaks after
    the label (the same height for all, and no heading runs past a narrow figure).
    """
    parts = [(SERIES_LABELS[s], _series_finding(rec, s)) for s in SERIES]
    sep = "<br>" if any(len(a) + 2 + len(b) > _HEADING_CHARS for a, b in parts) else "  "
    return [
        f"<b>{escape(a, quote=False)}</b>{sep}<span style='color:{_MUTED}'>{escape(b, quote=False)}</span>"
        for a, b in parts
    ]


def _y_tops(rec: WarmupRecommendation) -> dict[str, tuple[float, bool]]:
    """Per series, the top of its panel's scale and whether single replications run off it.

    When single replications reach far above the rest (above 1.5 times the top), the
    scale follows the mean and 99.5 % of the replications' bins, plus a margin: a rare
    spike (a month in which a team had almost no staffed FTE gives a huge caseload per
    FTE) would otherwise flatten the panel. Otherwise ``(nan, False)``: plotly's own scale.
    """
    out: dict[str, tuple[float, bool]] = {}
    for name in SERIES:
        runs = rec.runs[name].to_numpy(dtype=float)
        runs = runs[np.isfinite(runs)]
        mean = rec.ensemble[name].to_numpy(dtype=float)
        mean = mean[np.isfinite(mean)]
        if not len(runs) or not len(mean):
            out[name] = (_NAN, False)
            continue
        top = max(float(mean.max()), float(np.quantile(runs, 0.995))) * 1.08
        if not top > 0 or runs.max() <= 1.5 * top:  # nothing far off the scale: show it all
            out[name] = (_NAN, False)
        else:
            out[name] = (top, True)
    return out


def warmup_figure(rec: WarmupRecommendation) -> go.Figure:
    """One panel per series: the ensemble mean over time, a faint line per replication,
    the recommended warm-up shaded and marked by a solid line, the scenario's current
    warm-up by a dashed one.

    Time is shown in years. Each panel is headed by its series' label and what MSER
    found for it; the figure has no title of its own (:func:`warmup_page` gives it
    one, and the words around it). The figure has ``len(SERIES) * (replications + 1)``
    data traces (per panel: the replications first, then the mean), then the legend's
    keys to the lines and the shading: two traces without data, and a third for the
    shading when the recommendation is above 0. The vertical lines and the shading are
    shapes, so their labels live in the legend, where no two can collide. The legend
    is only a key: clicking it hides nothing (it could not hide the shapes).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    n = len(SERIES)
    headings = _headings(rec)
    lines = 2 if "<br>" in headings[0] else 1
    gap = 26 + _LINE_PX * lines  # between panels: room for the next panel's heading
    plot_px = n * _PANEL_PX + (n - 1) * gap
    fig = make_subplots(
        rows=n,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=gap / plot_px,
        subplot_titles=headings,
    )
    # the headings sit left, over each panel's own plot area; the legend is above the first
    fig.update_annotations(x=0, xanchor="left", align="left", yshift=4, font={"size": 14})
    year = metrics.YEAR_DAYS
    x_mean = rec.ensemble.index.to_numpy(dtype=float) / year
    for row, name in enumerate(SERIES, start=1):
        for i, part in rec.runs.groupby("replication", sort=True):
            fig.add_trace(
                go.Scatter(
                    x=part["time"].to_numpy(dtype=float) / year,
                    y=part[name],
                    mode="lines",
                    line={"width": 1, "color": _REPLICATION_COLOUR},
                    name="one replication",
                    legendgroup="replications",
                    showlegend=row == 1 and i == 0,
                    hovertemplate=f"replication {i}<br>year %{{x:.2f}}: %{{y:.3g}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
        fig.add_trace(
            go.Scatter(
                x=x_mean,
                y=rec.ensemble[name],
                mode="lines",
                line={"width": 2.5, "color": _MEAN_COLOUR},
                name=f"mean of {rec.replications} replications",
                legendgroup="mean",
                showlegend=row == 1,
                hovertemplate="year %{x:.2f}: %{y:.3g}<extra>mean</extra>",
            ),
            row=row,
            col=1,
        )
    cut = rec.recommended_days / year
    for row in range(1, n + 1):
        if cut > 0:
            fig.add_vrect(x0=0, x1=cut, fillcolor=_CUT_FILL, line_width=0, layer="below", row=row, col=1)
        fig.add_vline(x=cut, line={"color": _RECOMMENDED_COLOUR, "width": 2}, row=row, col=1)
        fig.add_vline(
            x=rec.current_warmup_days / year,
            line={"color": _CURRENT_COLOUR, "dash": "dash", "width": 2},
            row=row,
            col=1,
        )
    keys: list[tuple[str, dict[str, Any]]] = [
        (
            f"recommended warm-up: {rec.recommended_months} months",
            {"mode": "lines", "line": {"color": _RECOMMENDED_COLOUR, "width": 2}},
        ),
    ]
    if cut > 0:
        keys.append(
            (
                "dropped by the recommended warm-up",
                {"mode": "markers", "marker": {"symbol": "square", "size": 13, "color": _CUT_KEY}},
            )
        )
    keys.append(
        (
            f"scenario's warm-up: {_span(rec.current_warmup_days)}",
            {"mode": "lines", "line": {"color": _CURRENT_COLOUR, "dash": "dash", "width": 2}},
        )
    )
    for label, style in keys:
        fig.add_trace(go.Scatter(x=[None], y=[None], name=label, hoverinfo="skip", **style), row=1, col=1)
    fig.update_xaxes(range=[0, rec.horizon_days / year], showline=True, linecolor="#d9dde5")
    fig.update_xaxes(title_text="years since the empty start of each replication", row=n, col=1)
    fig.update_yaxes(automargin=True, rangemode="tozero", ticklabelstandoff=6)
    tops = _y_tops(rec)
    for row, name in enumerate(SERIES, start=1):
        top = tops[name][0]
        if math.isfinite(top):
            fig.update_yaxes(range=[min(0.0, float(rec.runs[name].min())), top], row=row, col=1)
    fig.update_layout(
        height=plot_px + _MARGIN["t"] + _MARGIN["b"],
        template="plotly_white",
        margin=_MARGIN,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1 + (12 + _LINE_PX * lines) / plot_px,  # above the first panel's heading
            "yanchor": "bottom",
            "itemclick": False,
            "itemdoubleclick": False,
            "font": {"size": 13},
        },
        hoverlabel={"namelength": -1},
    )
    return fig


# ----------------------------------------------------------------------------- page
_PAGE_CSS = (
    BASE_CSS
    + """
#summary h2 { border-top: 0; margin-top: 12px; padding-top: 0; }
p, li { max-width: 78ch; }
.muted, .sub { color: var(--muted); }
.sub { margin: 0; }
.big { font-size: 1.1rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
pre { background: var(--soft); padding: 8px 12px; border-radius: 4px; margin: 6px 0; max-width: 78ch;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.verdict { border-left: 5px solid var(--accent); background: var(--info); padding: 8px 16px; border-radius: 4px;
  max-width: calc(78ch + 37px); }
.verdict.ok { border-color: var(--good-ink); background: var(--good); }
.verdict.bad { border-color: var(--bad-ink); background: var(--bad); }
.verdict.undecided { border-color: #d9a400; background: var(--warn); }
.verdict p { margin: 6px 0; }
ul.notes { padding-left: 20px; }
ul.notes li { margin: 4px 0; }
ul.notes li.warning { background: var(--warn); border-left: 4px solid #d9a400; padding: 4px 10px; list-style: none;
  margin-left: -20px; }
.scroll { overflow-x: auto; margin: 6px 0 14px; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
.figure { margin: 8px 0 18px; }
.note { font-size: .88rem; color: var(--muted); }
ol.refs li { margin: 4px 0; }
@media print { main { max-width: none; padding: 0; } .figure, .verdict, table { break-inside: avoid; } }
"""
)

_PAGE_CONFIG = {"displaylogo": False, "responsive": True}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _made_words(made: datetime) -> str:
    """A moment as a person reads it: ``3 March 2026 at 14:05 CET``."""
    zone = f" {made.tzname()}" if made.tzname() else ""
    return f"{made.day} {made:%B %Y} at {made:%H:%M}{zone}"


def _paste(days: int) -> str:
    """The ``run.warmup_days`` setting to paste into a scenario file, as a code block."""
    return f"<pre>run:\n  warmup_days: {days}</pre>"


def _verdict(rec: WarmupRecommendation, scenario_file: str | None) -> str:
    """The verdict on the scenario's own warm-up and what to do, as a coloured box."""
    current = _e(_span(rec.current_warmup_days))
    where = f"in <code>{_e(scenario_file)}</code>" if scenario_file else "in the scenario file"
    file = _e(scenario_file or "<scenario.yaml>")
    longer = f"{max(2 * rec.horizon_days / metrics.YEAR_DAYS, 20):g}"
    rerun = (
        "<p>Some outputs had not settled within the "
        f"{rec.horizon_days / metrics.YEAR_DAYS:g} years simulated, so {rec.recommended_days:,} days is only a "
        "lower bound (see the warnings below). Run the analysis again with longer replications:</p>"
        f"<pre>caseload-sim warmup {file} -n {rec.replications} --years {longer}</pre>"
    )
    new_service = (
        "<p>Unless the scenario is meant to show a new service from its very first day: then no warm-up "
        "is right, and the filling up is what you measure.</p>"
    )
    if rec.queue_unbounded:
        return (
            "<div class='verdict bad'><p><strong>No warm-up can help here.</strong> More people are referred "
            "than the teams can take in, and nothing holds the waiting list (nobody leaves it or is sent "
            "elsewhere), so the list grows for as long as the run lasts: a longer warm-up only shows a longer "
            "list. Change the scenario first (more capacity, fewer referrals, or the "
            "<code>waiting_list</code> responses), then run this analysis again.</p>"
            f"<p>The other outputs settle after {rec.recommended_days:,} days; whatever else changes, the "
            f"scenario's warm-up (now {current}) should be at least that — {where}:</p>"
            f"{_paste(rec.recommended_days)}</div>"
        )
    if rec.long_enough is True:
        return (
            f"<div class='verdict ok'><p>The scenario's warm-up (<code>run.warmup_days</code>) of {current} is "
            "<strong>long enough</strong>: nothing needs to change. A warm-up longer than needed costs only "
            "computing time. The least it may be:</p>"
            f"{_paste(rec.recommended_days)}</div>"
        )
    if rec.long_enough is False:
        return (
            f"<div class='verdict bad'><p>The scenario's warm-up (<code>run.warmup_days</code>) of {current} is "
            "<strong>too short</strong>: its results would be measured while the caseloads are still filling "
            f"up. Set it to at least {rec.recommended_days:,} days {where} (replace the line "
            "<code>warmup_days</code> under <code>run:</code>, or add it):</p>"
            f"{_paste(rec.recommended_days)}{new_service if rec.current_warmup_days == 0 else ''}"
            f"{rerun if rec.at_limit or rec.drifting else ''}</div>"
        )
    return (
        f"<div class='verdict undecided'><p><strong>Undecided.</strong> The scenario's warm-up "
        f"(<code>run.warmup_days</code>) of {current} covers the recommendation, but the recommendation may be "
        f"too short.</p>{rerun}<p>Until then, do not go below:</p>{_paste(rec.recommended_days)}</div>"
    )


def _summary(rec: WarmupRecommendation, scenario_file: str | None) -> str:
    lower = rec.at_limit or rec.drifting
    years = rec.recommended_days / metrics.YEAR_DAYS
    warnings_ = sum(note.startswith("Warning:") for note in rec.notes)
    warned = (
        f"<p><a href='#found'>{warnings_} warning{'s' if warnings_ != 1 else ''}</a> below: read "
        f"{'them' if warnings_ != 1 else 'it'} before relying on the number.</p>"
        if warnings_
        else ""
    )
    horizon = rec.horizon_days / metrics.YEAR_DAYS
    return (
        "<section id='summary'><h2>In short</h2>"
        f"<p class='big'>Recommended warm-up: {'at least ' if lower else ''}<strong>{rec.recommended_months} "
        f"months</strong> = <strong>{rec.recommended_days:,} days</strong> ({years:.1f} years).</p>"
        f"<p>That is how long a replication of <strong>{_e(rec.scenario)}</strong> must run from its empty "
        "start before the caseloads, the waiting list, the jobs and the specialists' stress have settled. "
        "The simulation runs this warm-up first and measures nothing in it; the scenario sets its length "
        "in <code>run.warmup_days</code>.</p>"
        f"{_verdict(rec, scenario_file)}{warned}"
        f"<p class='muted'>Found from <strong>{rec.replications} replications</strong> of {horizon:g} years each, "
        f"every one started empty (seed {rec.seed}), with the outputs averaged over <strong>bins of "
        f"{rec.bin_days:g} days</strong>; MSER-{rec.batch} works on batches of {rec.batch} bins "
        f"({rec.batch * rec.bin_days:g} days).</p></section>"
    )


def _chart(rec: WarmupRecommendation) -> str:
    import plotly.io as pio

    figure = pio.to_html(
        warmup_figure(rec),
        full_html=False,
        include_plotlyjs=False,
        config=_PAGE_CONFIG,
        div_id="warmup-figure",
        validate=True,
    )
    shading = (
        f"The <strong>shaded part up to the solid red line</strong> is the recommended warm-up of "
        f"{rec.recommended_days:,} days: the start of every replication that it would leave unmeasured."
        if rec.recommended_days > 0
        else f"The <strong>solid red line</strong> at 0 is the recommended warm-up: {rec.recommended_days} days."
    )
    spiky = [SERIES_LABELS[name] for name, (_, off) in _y_tops(rec).items() if off]
    clipped = (
        "<li>The scales follow the blue line and nearly all of the grey ones: a few extreme bins of single "
        f"replications run off the top ({_e('; '.join(spiky))}), e.g. a month in which a team had almost no "
        "staffed FTE. The <em>Autoscale</em> button above the chart shows them.</li>"
        if spiky
        else ""
    )
    return (
        "<section id='chart'><h2>How to read the chart</h2><ul>"
        "<li>One panel per output that must settle: <strong>candidates per staffed FTE</strong> (the caseload), "
        "<strong>people waiting</strong> for a place, <strong>active candidates in a job</strong>, and the "
        "<strong>specialists' mean stress</strong> (0 = none, 1 = the most). Each point is the average over a "
        f"bin of {rec.bin_days:g} days; the horizontal axis counts years from the empty start.</li>"
        "<li>The <strong>thin grey lines</strong> are the single replications, one possible history each. The "
        f"<strong>thick blue line</strong> is their mean, bin by bin ({rec.replications} replications): the "
        "noise shrinks, the climb from the empty start stays. MSER-5 reads the blue line.</li>"
        f"<li>{shading} The <strong>dashed green line</strong> is the scenario's current warm-up "
        f"({_e(_span(rec.current_warmup_days))}).</li>"
        f"<li>Each panel's heading says where MSER-{rec.batch} cut that output. The recommendation is the "
        "latest of these cuts, rounded up to a whole month. Right of the red line the blue line should only "
        "wobble around a level, neither climbing nor falling.</li>"
        f"{clipped}"
        "<li>Hover over a line to read its values; drag to zoom in, double-click to zoom out.</li>"
        f"</ul><div class='figure'>{figure}</div></section>"
    )


def _cell_drift(row: pd.Series) -> str:
    drift, p = float(row["drift"]), float(row["drift_p"])
    if not math.isfinite(drift):
        return "–"
    return f"{drift:+.3g} (p = {p:.2g})" if math.isfinite(p) else f"{drift:+.3g}"


def _found(rec: WarmupRecommendation) -> str:
    items = "".join(
        f"<li class='{'warning' if note.startswith('Warning:') else 'finding'}'>{_e(note)}</li>"
        for note in rec.notes
    )
    rows = []
    for _, row in rec.truncations.iterrows():
        name = str(row["series"])
        days = float(row["truncation_days"])
        rows.append(
            f"<tr><td>{_e(SERIES_LABELS[name])}</td>"
            f"<td>{_e(_span(days)) if math.isfinite(days) else '–'}</td>"
            f"<td>{'yes' if row['at_limit'] else 'no'}</td>"
            f"<td>{_e(_cell_drift(row))}{' — still drifting' if row['drifting'] else ''}</td>"
            f"<td>{'yes' if _counted(rec, name) and math.isfinite(days) else 'no'}</td></tr>"
        )
    return (
        "<h3 id='found'>What this analysis found</h3>"
        f"<ul class='notes'>{items}</ul>"
        "<div class='scroll'><table><thead><tr><th>Output</th>"
        f"<th>MSER-{rec.batch} cut</th><th>At the half-series limit ({_e(_span(rec.limit_days))})</th>"
        "<th>Drift after the cut: second half minus first (p-value)</th><th>Counted in the recommendation</th>"
        "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _method(rec: WarmupRecommendation) -> str:
    b, m = rec.bin_days, rec.batch
    return (
        "<section id='method'><h2>How the recommendation is made</h2>"
        "<h3>Why a warm-up</h3>"
        "<p>Every replication starts from an empty world: no candidates on the caseloads, nobody waiting, the "
        "specialists at their starting stress. For months, often years, the service is still filling up and "
        "looks nothing like the settled service the results are meant to describe. So each replication first "
        "runs a warm-up whose events are not measured. Too short a warm-up biases the results towards the "
        "empty start (caseloads and queues too low); too long a one only costs computing time.</p>"
        f"<h3>MSER-{m}: where to cut</h3>"
        "<ol>"
        f"<li>Run {rec.replications} long replications from empty, without a warm-up, and average each output "
        f"over bins of {b:g} days.</li>"
        "<li>Average each output across the replications, bin by bin (Welch 1983).</li>"
        f"<li>Group the averaged series into batches of {m} bins ({m * b:g} days) and take each batch's mean. "
        "For every possible cut (drop the first 0, 1, 2, … batches) compute the <em>marginal standard "
        "error</em> of the batch means that remain: their variance divided by their number, the squared "
        "standard error of their mean. Keeping unsettled early batches makes that spread large; dropping too "
        f"many leaves few batches, and it grows again. MSER-{m} takes the cut where it is smallest (White 1997; "
        "White, Cobb and Spratt 2000).</li>"
        f"<li>Only cuts in the first half of the series count (Hoad, Robinson and Davies 2010; here up to "
        f"{_e(_span(rec.limit_days))}): near the end the error is small by chance. A cut at that limit means "
        "the output had probably not settled yet: the replications were too short.</li>"
        "<li>The recommendation is the latest cut over the outputs, rounded up to a whole month.</li>"
        "</ol>"
        "<h3>The drift check</h3>"
        "<p>MSER has a blind spot: an output that keeps rising to the end of the run (a waiting list that builds "
        "up for years) has its smallest error with nothing dropped, and MSER answers 0. So after the cut, each "
        "replication's second half of what remains is compared with its first half, and a t-test across the "
        f"(independent) replications asks whether the difference is zero. Below p = {DRIFT_ALPHA:g} the output "
        "is <em>still drifting</em>, and the verdict on the scenario's warm-up becomes undecided.</p>"
        "<h3>Can the waiting list settle at all?</h3>"
        "<p>The second half of every replication is also checked for whether the teams can take in the "
        "referrals. If more people are referred than they can take, and nobody leaves the list or is sent "
        "elsewhere, the list grows without bound: it has no steady state, it sets no warm-up, and the "
        "scenario, not the warm-up, has to change.</p>"
        f"{_found(rec)}"
        "<h3>References</h3><ol class='refs'>"
        "<li>Welch, P. D. (1983). The statistical analysis of simulation results. In S. S. Lavenberg (ed.), "
        "<em>Computer Performance Modeling Handbook</em>, 268–328. Academic Press.</li>"
        "<li>White, K. P., Jr. (1997). An effective truncation heuristic for bias reduction in simulation "
        "output. <em>Simulation</em> 69(6), 323–334.</li>"
        "<li>White, K. P., Jr., Cobb, M. J. and Spratt, S. C. (2000). A comparison of five steady-state "
        "truncation heuristics for simulation. <em>Proceedings of the 2000 Winter Simulation Conference</em>, "
        "755–760.</li>"
        "<li>Hoad, K., Robinson, S. and Davies, R. (2010). Automating warm-up length estimation. <em>Journal "
        "of the Operational Research Society</em> 61(9), 1389–1403.</li>"
        "</ol></section>"
    )


def warmup_page(
    rec: WarmupRecommendation, scenario_file: str | None = None, made: datetime | None = None
) -> str:
    """The warm-up analysis as one self-contained HTML page, for planners and researchers.

    Top to bottom: **In short** (the recommended warm-up in months, days and years, the
    verdict on the scenario's own ``run.warmup_days`` with the setting to paste, the
    replications and bin width used), **How to read the chart** (each line and the
    shading, then :func:`warmup_figure`), **How the recommendation is made** (why a
    warm-up, MSER-5 in words, the drift check, whether the waiting list can settle,
    :attr:`WarmupRecommendation.notes` with the warnings marked, the per-series table,
    references), and when the page was made.

    Parameters
    ----------
    rec
        What :func:`recommend_warmup` found.
    scenario_file
        The scenario file's path as the user gave it, to name it in the advice (and in
        the command to run again); ``None`` says "the scenario file".
    made
        When the page was made (default: now, local time); given, the page is the same
        string every time.

    Returns
    -------
    str
        A complete HTML5 page: the CSS inline, plotly.js embedded in the head, nothing
        loaded from the network.
    """
    from plotly.offline import get_plotlyjs

    from caseload_sim import __version__

    made = made if made is not None else datetime.now().astimezone()
    title = f"Warm-up for the scenario {rec.scenario}"
    sub = (
        f"How long each replication must run before its results are measured — made on {_made_words(made)} "
        f"by caseload-sim {__version__}"
    )
    body = _summary(rec, scenario_file) + _chart(rec) + _method(rec)
    footer = (
        f"<p class='note'>Made on {_e(_made_words(made))} by caseload-sim {_e(__version__)}: "
        f"{rec.replications} replications of {rec.horizon_days:,.0f} days, seed {rec.seed}, bins of "
        f"{rec.bin_days:g} days, MSER-{rec.batch}. The same settings give the same numbers.</p>"
    )
    # plotly.js is inlined as shipped; the text "</script" never occurs inside it.
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_e(title)}</title>\n<style>{_PAGE_CSS}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n<main>\n"
        f"<header class='top'><h1>{_e(title)}</h1><p class='sub'>{_e(sub)}</p></header>\n"
        f"{body}\n<footer>{footer}</footer>\n</main>\n</body>\n</html>\n"
    )
