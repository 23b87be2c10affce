"""The self-contained HTML report of a parameter sweep (``caseload-sim analyze DIR``).

:func:`sweep_report_html` turns a sweep's results store and its
:class:`~caseload_sim.sweep.sensitivity.Analysis` into one HTML page that opens offline
in any browser, in the style of the run and comparison report
(:mod:`caseload_sim.report.html`, whose CSS and figure helper it reuses): the CSS is
inline, plotly.js is embedded once in the head, nothing refers to the network, and the
same store and analysis always give the same page.

The page, top to bottom:

1. **What was run** — the experiment, its design, every factor with its range, the
   replications per point, the KPIs, and whether the sweep is complete (tasks done of
   tasks planned).
2. **Findings** — in words, the most important caveat first (a partial sweep, a KPI
   dominated by replication noise), then which factors matter for each KPI and which
   cannot be told from zero; with a short explanation of what the numbers mean.
3. **Figures and tables**, by design: for a Sobol design a bar chart per KPI of the
   first- and total-order indices with their bootstrap intervals and the noise share
   drawn as a line; for a Morris design μ* against σ per KPI; for a grid, one-at-a-time
   or Latin hypercube design the main effects per KPI (mean and 95 % band per level) and,
   for a grid, a heatmap of the first pair of factors.
4. **Replication noise** per KPI, and the **manifest**.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from caseload_sim import __version__
from caseload_sim.report.figures import PALETTE, _layout, _rgba, _wrap
from caseload_sim.report.folder import write_report_file
from caseload_sim.report.html import _CSS, _figure
from caseload_sim.report.kpis import format_value, kpi_label
from caseload_sim.sweep.sensitivity import Analysis, SweepStore

__all__ = [
    "sobol_figure",
    "morris_figure",
    "main_effects_figure",
    "pair_heatmap",
    "sweep_report_html",
    "write_sweep_report",
]

_DESIGN_WORDS = {
    "grid": "full factorial grid",
    "lhs": "Latin hypercube sample",
    "sobol": "Saltelli design for Sobol indices",
    "morris": "Morris elementary-effects trajectories",
    "oat": "one factor at a time around a base point",
}
_EFFECT_COLUMNS = 3  # main-effect panels per row
_S1, _ST = PALETTE[0], PALETTE[1]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _num(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}" if math.isfinite(x) else "n/a"


def _interval(low: float, high: float, digits: int = 2) -> str:
    return (
        f"[{_num(low, digits)}, {_num(high, digits)}]"
        if math.isfinite(low) and math.isfinite(high)
        else "n/a"
    )


def _kpi_cell(kpi: str) -> str:
    label = kpi_label(kpi)
    return f"{_e(label)}<span class='name'>{_e(kpi)}</span>" if label != kpi else f"<code>{_e(kpi)}</code>"


def _title_kpi(kpi: str) -> str:
    label = kpi_label(kpi)
    return label if label == kpi else f"{label} ({kpi})"


# --- figures ----------------------------------------------------------------------------


def _error(values: pd.Series, low: pd.Series, high: pd.Series) -> dict[str, object]:
    return {
        "type": "data",
        "symmetric": False,
        "array": (high - values).clip(lower=0).fillna(0).tolist(),
        "arrayminus": (values - low).clip(lower=0).fillna(0).tolist(),
        "thickness": 1.2,
        "width": 4,
    }


def sobol_figure(sobol: pd.DataFrame, kpi: str, noise_share: float, confidence: float = 0.95) -> go.Figure:
    """First- and total-order indices of one KPI as grouped bars with their bootstrap intervals.

    The noise share is drawn as a dotted line: an index below it cannot be told from noise.
    """
    tab = sobol[sobol["kpi"] == kpi]
    fig = go.Figure()
    for col, name, colour in (("S1", "first order S1", _S1), ("ST", "total order ST", _ST)):
        fig.add_trace(
            go.Bar(
                x=tab["factor"].tolist(),
                y=tab[col].tolist(),
                name=name,
                marker_color=colour,
                error_y=_error(tab[col], tab[f"{col}_low"], tab[f"{col}_high"]),
                hovertemplate=f"%{{x}}<br>{name}: %{{y:.3f}}<extra></extra>",
            )
        )
    top = float(np.nanmax([1.0, *tab["ST_high"].fillna(0).tolist(), *tab["S1_high"].fillna(0).tolist()]))
    bottom = float(np.nanmin([0.0, *tab["S1_low"].fillna(0).tolist(), *tab["ST_low"].fillna(0).tolist()]))
    if math.isfinite(noise_share):
        fig.add_hline(
            y=noise_share,
            line={"dash": "dot", "color": "#a1261b", "width": 1.5},
            annotation_text=f"replication noise share {noise_share:.2f}",
            annotation_position="top right",
            annotation_font_color="#a1261b",
        )
    fig = _layout(
        fig,
        340,
        barmode="group",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"},
    )
    fig.update_yaxes(
        range=[min(bottom, 0.0) - 0.02, top + 0.05],
        title_text=f"share of variance ({round(100 * confidence)} % interval)",
        zeroline=True,
    )
    return fig


def morris_figure(morris: pd.DataFrame, kpi: str) -> go.Figure:
    """μ* against σ of one KPI's elementary effects, one labelled dot per factor.

    Far right = important; high up = the effect depends on the other factors or is not
    linear. The dotted line σ = μ* separates mostly-linear from strongly interacting factors.
    """
    tab = morris[(morris["kpi"] == kpi) & np.isfinite(morris["mu_star"])]
    fig = go.Figure()
    reach = float(
        np.nanmax([1e-12, *tab["mu_star_high"].fillna(0).tolist(), *tab["sigma"].fillna(0).tolist()])
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 1.05 * reach],
            y=[0, 1.05 * reach],
            mode="lines",
            line={"dash": "dot", "color": "#9aa3b2", "width": 1},
            name="σ = μ*",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=tab["mu_star"].tolist(),
            y=tab["sigma"].fillna(0).tolist(),
            mode="markers+text",
            text=tab["factor"].tolist(),
            textposition="top center",
            marker={"size": 10, "color": PALETTE[0]},
            error_x=_error(tab["mu_star"], tab["mu_star_low"], tab["mu_star_high"]),
            name="factors",
            customdata=np.column_stack([tab["mu"].to_numpy(dtype=float)]) if len(tab) else None,
            hovertemplate="%{text}<br>μ* %{x:.3g}<br>σ %{y:.3g}<br>μ %{customdata[0]:.3g}<extra></extra>",
        )
    )
    fig = _layout(
        fig,
        360,
        showlegend=False,
    )
    fig.update_xaxes(title_text="μ* (mean |elementary effect| per whole range)", rangemode="tozero")
    fig.update_yaxes(title_text="σ (spread of the effects)", rangemode="tozero")
    return fig


def main_effects_figure(effects: pd.DataFrame, kpi: str, factors: Sequence[str]) -> go.Figure:
    """One panel per factor: the KPI's mean at each level with its 95 % band, on a shared y axis."""
    tab = effects[effects["kpi"] == kpi]
    shown = [f for f in factors if (tab["factor"] == f).any()]
    cols = max(1, min(_EFFECT_COLUMNS, len(shown)))
    rows = max(1, math.ceil(len(shown) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes=True,
        subplot_titles=shown,
        horizontal_spacing=0.04,
        vertical_spacing=0.18 if rows > 1 else 0.1,
    )
    colour = PALETTE[0]
    for k, factor in enumerate(shown):
        sub = tab[tab["factor"] == factor].sort_values("level")
        r, c = k // cols + 1, k % cols + 1
        band = sub[np.isfinite(sub["ci_low"]) & np.isfinite(sub["ci_high"])]
        if len(band):
            fig.add_trace(
                go.Scatter(
                    x=[*band["level"].tolist(), *band["level"].tolist()[::-1]],
                    y=[*band["ci_high"].tolist(), *band["ci_low"].tolist()[::-1]],
                    fill="toself",
                    mode="lines",
                    fillcolor=_rgba(colour, 0.18),
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                ),
                row=r,
                col=c,
            )
        fig.add_trace(
            go.Scatter(
                x=sub["level"].tolist(),
                y=sub["mean"].tolist(),
                mode="lines+markers",
                line={"color": colour},
                showlegend=False,
                customdata=np.column_stack([sub["ci_low"], sub["ci_high"], sub["n"]]),
                hovertemplate=(
                    f"{factor} = %{{x}}<br>mean %{{y:.4g}}<br>95 % CI [%{{customdata[0]:.4g}}, "
                    "%{customdata[1]:.4g}]<br>%{customdata[2]} replications<extra></extra>"
                ),
            ),
            row=r,
            col=c,
        )
    fig = _layout(fig, 300 * rows + 20)
    fig.update_layout(margin={"t": 50})
    return fig


def pair_heatmap(pairs: pd.DataFrame, kpi: str) -> go.Figure | None:
    """The mean of one KPI for each pair of levels of the first pair of factors (None without pairs)."""
    tab = pairs[pairs["kpi"] == kpi]
    if tab.empty:
        return None
    fa, fb = str(tab["factor_a"].iloc[0]), str(tab["factor_b"].iloc[0])
    sub = tab[(tab["factor_a"] == fa) & (tab["factor_b"] == fb)]
    grid = sub.pivot(index="level_b", columns="level_a", values="mean").sort_index().sort_index(axis=1)
    fig = go.Figure(
        go.Heatmap(
            x=[f"{v:g}" for v in grid.columns],
            y=[f"{v:g}" for v in grid.index],
            z=grid.to_numpy(dtype=float),
            colorscale="Viridis",
            texttemplate="%{z:.3g}",
            colorbar={"title": {"text": "mean"}},
            hovertemplate=f"{fa} = %{{x}}<br>{fb} = %{{y}}<br>mean %{{z:.4g}}<extra></extra>",
        )
    )
    fig = _layout(
        fig,
        360,
        title={"text": _wrap(f"Mean for each pair of levels: {fa} × {fb}", 90), "x": 0, "font": {"size": 14}},
    )
    fig.update_xaxes(title_text=fa, type="category")
    fig.update_yaxes(title_text=fb, type="category")
    return fig


# --- sections ---------------------------------------------------------------------------


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    def cls(i: int) -> str:
        return " class='num'" if i >= numeric_from else ""

    th = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<div class='scroll'><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>"


def _design_text(store: SweepStore) -> str:
    design = store.manifest.get("design", {})
    options = (
        ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in design.items() if k != "kind")
        if isinstance(design, dict)
        else ""
    )
    words = _DESIGN_WORDS.get(store.design_kind, store.design_kind)
    return f"{store.design_kind} — {words}" + (f" ({options})" if options else "")


def _run(store: SweepStore) -> str:
    points = store.plan["point"].nunique()
    done_points = store.results["point"].nunique()
    status = str(store.manifest.get("status", "complete" if store.complete else "partial"))
    status_text = (
        f"<strong>{_e(status)}</strong>: {store.n_done:,} of {store.n_tasks:,} tasks have results "
        f"({done_points:,} of {points:,} points)"
    )
    kpis = ", ".join(
        (f"{_e(kpi_label(k))} <code>{_e(k)}</code>" if kpi_label(k) != k else f"<code>{_e(k)}</code>")
        for k in store.kpis
    )
    rows = [
        ("experiment", _e(store.name)),
        ("design", _e(_design_text(store))),
        ("points", _e(f"{points:,}")),
        ("replications", _e(f"{store.manifest.get('replications', '?')} per point")),
        ("seed", _e(store.manifest.get("seed", "?"))),
        ("KPIs", kpis),
        ("status", status_text),
    ]
    if store.path is not None:
        rows.insert(0, ("store", f"<code>{_e(store.path)}</code>"))
    items = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    factors = _table(
        ["factor", "scenario key", "range swept"],
        [
            (f"<strong>{_e(f.name)}</strong>", f"<code>{_e(f.path)}</code>", _e(f.range_text))
            for f in store.factors
        ],
        numeric_from=99,
    )
    partial = (
        ""
        if store.complete
        else (
            "<p class='warnings'>The sweep is not finished: the analysis uses the tasks done so far. Resume it "
            "with <code>caseload-sim sweep EXPERIMENT.yaml --resume</code>.</p>"
        )
    )
    return (
        f"<section id='run'><h2>What was run</h2><dl class='kv'>{items}</dl>{partial}"
        f"<h3>Factors</h3>{factors}</section>"
    )


def _method_note(analysis: Analysis) -> str:
    level = f"{round(100 * analysis.confidence)} %"
    noise = (
        "The <em>noise share</em> of a KPI is the variance of a point's mean that comes from its n "
        "replications, divided by the variance of the point means across the sweep. Replication r has the "
        "same random numbers at every point, so its luck shared by all points moves every mean alike and is "
        "not counted; what is counted is the point-by-replication residual, over n. It is the share of what "
        "the analysis explains that is replication noise: an index or effect about that size or smaller "
        "cannot be told from noise."
    )
    if analysis.design_kind == "sobol":
        text = (
            "The <em>first-order index</em> S1 of a factor is the share of the KPI's variance across the sweep "
            "that the factor explains on its own; the <em>total-order index</em> ST adds its interactions "
            "with the other factors. ST near 0: the factor can be fixed anywhere in its range. Indices are "
            f"computed on the replication means per point, with the replication noise taken out of the "
            f"estimators (the noise share q: S1 / (1 - q), (ST - q) / (1 - q)); the {level} intervals come from "
            f"{analysis.bootstrap} "
            "bootstrap draws that resample both the base rows of the design and the replications (the same "
            "replication numbers at every point), as basic intervals (the draws reflected about the estimate, "
            "which corrects the shift that resampled noise gives them). "
        )
    elif analysis.design_kind == "morris":
        text = (
            "An <em>elementary effect</em> is the change of a KPI's point mean when one factor moves, divided "
            "by how far it moved as a share of its range. μ* (mean absolute effect) ranks the factors; σ (the "
            "spread of the effects) is large when a factor's effect depends on the other factors or is not "
            f"linear. The {level} intervals of μ* come from {analysis.bootstrap} bootstrap draws resampling "
            "trajectories and the replications (the same ones at every point), as basic intervals. "
        )
    else:
        text = (
            "A <em>main effect</em> is the mean of the point means at each level of a factor, averaged over "
            f"the other factors' values. Its {level} interval is a t-interval across replications: for each "
            "replication, the mean of its values at that level's points is one observation"
            + (
                " (a Latin hypercube's values are first grouped into quantile bins)"
                if analysis.design_kind == "lhs"
                else ""
            )
            + ". "
        )
    return f"<p class='note'>{text}{noise}</p>"


def _findings(analysis: Analysis) -> str:
    items = "".join(f"<li>{_e(f)}</li>" for f in analysis.findings) or "<li>Nothing to report.</li>"
    return (
        f"<section id='findings'><h2>Findings</h2><div class='callout'><ul class='tight'>{items}</ul></div>"
        f"{_method_note(analysis)}</section>"
    )


def _noise_of(analysis: Analysis, kpi: str) -> float:
    row = analysis.noise[analysis.noise["kpi"] == kpi]
    return float(row["noise_share"].iloc[0]) if len(row) else math.nan


def _sobol_section(store: SweepStore, analysis: Analysis) -> str:
    parts = ["<section id='sobol'><h2>Sobol indices</h2>"]
    for i, kpi in enumerate(store.kpis):
        tab = analysis.sobol[analysis.sobol["kpi"] == kpi]
        share = _noise_of(analysis, kpi)
        parts.append(f"<h3>{_e(_title_kpi(kpi))}</h3>")
        if tab["ST"].notna().any():
            parts.append(
                f"<div class='figure'>{_figure(sobol_figure(analysis.sobol, kpi, share, analysis.confidence), f'sobol-{i}')}</div>"
            )
        else:
            parts.append(
                "<p class='muted'>No indices: the KPI is constant or undefined across the sweep.</p>"
            )
        rows = [
            (
                f"<strong>{_e(r['factor'])}</strong>",
                _num(r["S1"]) + f"<span class='ci'>{_interval(r['S1_low'], r['S1_high'])}</span>",
                _num(r["ST"]) + f"<span class='ci'>{_interval(r['ST_low'], r['ST_high'])}</span>",
            )
            for r in tab.to_dict("records")
        ]
        parts.append(_table(["factor", "first order S1", "total order ST"], rows))
        parts.append(f"<p class='note'>Replication noise share: {_e(_num(share, 2))}.</p>")
    parts.append("</section>")
    return "".join(parts)


def _morris_section(store: SweepStore, analysis: Analysis) -> str:
    parts = ["<section id='morris'><h2>Morris elementary effects</h2>"]
    for i, kpi in enumerate(store.kpis):
        tab = analysis.morris[analysis.morris["kpi"] == kpi]
        parts.append(f"<h3>{_e(_title_kpi(kpi))}</h3>")
        if tab["mu_star"].notna().any():
            parts.append(
                f"<div class='figure'>{_figure(morris_figure(analysis.morris, kpi), f'morris-{i}')}</div>"
            )
        else:
            parts.append(
                "<p class='muted'>No effects: the KPI is constant or undefined across the sweep.</p>"
            )
        rows = [
            (
                f"<strong>{_e(r['factor'])}</strong>",
                _num(r["mu_star"], 4)
                + f"<span class='ci'>{_interval(r['mu_star_low'], r['mu_star_high'], 4)}</span>",
                _num(r["mu"], 4),
                _num(r["sigma"], 4),
            )
            for r in tab.to_dict("records")
        ]
        parts.append(_table(["factor", "μ*", "μ", "σ"], rows))
    parts.append("</section>")
    return "".join(parts)


def _effects_section(store: SweepStore, analysis: Analysis) -> str:
    parts = ["<section id='effects'><h2>Main effects</h2>"]
    for i, kpi in enumerate(store.kpis):
        tab = analysis.effects[analysis.effects["kpi"] == kpi]
        if tab.empty:
            continue
        parts.append(f"<h3>{_e(_title_kpi(kpi))}</h3>")
        if tab["mean"].notna().any():
            fig = main_effects_figure(analysis.effects, kpi, store.factor_names)
            parts.append(f"<div class='figure'>{_figure(fig, f'effects-{i}')}</div>")
        heat = pair_heatmap(analysis.pairs, kpi)
        if heat is not None:
            parts.append(f"<div class='figure'>{_figure(heat, f'pairs-{i}')}</div>")
        paired = analysis.contrasts[analysis.contrasts["kpi"] == kpi]
        if not paired.empty:
            rows_paired = [
                (
                    f"<strong>{_e(r['factor'])}</strong>",
                    _e(f"{r['level_from']:g} → {r['level_to']:g}"),
                    _e(f"{r['diff']:+.3g}"),
                    _e(f"[{r['ci_low']:+.3g}, {r['ci_high']:+.3g}]"),
                    _e(r["n"]),
                )
                for r in paired.to_dict("records")
            ]
            parts.append(
                "<p class='muted'>From each factor's lowest level to its highest, paired on replications "
                "(replication r has the same random numbers at every point, so its luck cancels):</p>"
                + _table(
                    ["factor", "levels", "change", "95 % CI", "replications"], rows_paired, numeric_from=1
                )
            )
        rows = [
            (
                f"<strong>{_e(r['factor'])}</strong>",
                _e(f"{r['level']:g}"),
                _e(format_value(kpi, r["mean"])),
                _e(f"[{format_value(kpi, r['ci_low'])}, {format_value(kpi, r['ci_high'])}]"),
                _e(r["n"]),
            )
            for r in tab.to_dict("records")
        ]
        parts.append(
            "<details><summary>The table of main effects</summary>"
            + _table(["factor", "level", "mean", "95 % CI", "replications"], rows, numeric_from=1)
            + "</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _noise_section(analysis: Analysis) -> str:
    unit = {"sobol": "base rows", "morris": "trajectories"}.get(analysis.design_kind, "points")
    rows = [
        (
            _kpi_cell(str(r["kpi"])),
            _e(_num(r["noise_share"], 3)),
            _e(f"{int(r['n_points']):,}"),
            _e(r["replications"]),
            _e(r["dropped"]),
        )
        for r in analysis.noise.to_dict("records")
    ]
    return (
        "<section id='noise'><h2>Replication noise</h2>"
        "<p>How much of the variance of the point means is replication noise (the spread of a point's "
        "mean from its replications alone, less the luck a replication brings to every point alike). High "
        "values mean the sweep cannot separate the factors' effects from chance; add replications per "
        "point.</p>"
        + _table(["KPI", "noise share", "points used", "replications per point", f"{unit} left out"], rows)
        + "</section>"
    )


def _manifest(store: SweepStore) -> str:
    full = json.dumps(store.manifest, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    return (
        "<section id='manifest'><h2>Manifest</h2>"
        "<p class='note'>The sweep's manifest: with the same experiment file, seed and versions, "
        "<code>caseload-sim sweep</code> reproduces every result exactly.</p>"
        f"<details><summary>The full manifest.json</summary><pre class='code'>{_e(full)}</pre></details>"
        "<p class='note'>Made by <code>caseload-sim analyze</code> (caseload-sim "
        f"{_e(__version__)}) from the results store, without re-running the model. The file is self-contained "
        "and works offline.</p></section>"
    )


def sweep_report_html(store: SweepStore, analysis: Analysis) -> str:
    """The sweep report as one self-contained HTML page.

    Parameters
    ----------
    store
        The results store (:func:`caseload_sim.sweep.sensitivity.load_store`).
    analysis
        Its analysis (:func:`caseload_sim.sweep.sensitivity.analyze`).

    Returns
    -------
    str
        A complete HTML5 page; plotly.js is embedded once, nothing is loaded from the
        network. The same store and analysis always give the same string.
    """
    title = f"Parameter sweep: {store.name}"
    design = _DESIGN_WORDS.get(store.design_kind, store.design_kind)
    subtitle = (
        f"{design[:1].upper()}{design[1:]}, {store.plan['point'].nunique():,} points × "
        f"{store.manifest.get('replications', '?')} replications, seed {store.manifest.get('seed', '?')} — "
        f"{'complete' if store.complete else 'partial'}"
    )
    links = [("run", "What was run"), ("findings", "Findings")]
    if store.design_kind == "sobol":
        body = _sobol_section(store, analysis)
        links.append(("sobol", "Sobol indices"))
    elif store.design_kind == "morris":
        body = _morris_section(store, analysis)
        links.append(("morris", "Morris"))
    else:
        body = _effects_section(store, analysis)
        links.append(("effects", "Main effects"))
    links += [("noise", "Noise"), ("manifest", "Manifest")]
    toc = "<nav class='toc'>" + "".join(f"<a href='#{a}'>{_e(t)}</a>" for a, t in links) + "</nav>"
    sections = "".join([_run(store), _findings(analysis), body, _noise_section(analysis), _manifest(store)])
    # plotly.js is inlined as shipped; the text "</script" never occurs inside it.
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n<main>\n"
        f"<header class='top'><h1>{_e(title)}</h1><p class='sub'>{_e(subtitle)}</p></header>\n"
        f"{toc}\n{sections}\n</main>\n</body>\n</html>\n"
    )


def write_sweep_report(store: SweepStore, analysis: Analysis, path: str | Path) -> Path:
    """Write the sweep report to ``path`` atomically (a temporary name in the same folder, then a rename).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return write_report_file(path, sweep_report_html(store, analysis))
