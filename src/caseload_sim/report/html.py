"""The self-contained HTML report of a run or a comparison.

:func:`render_report` turns an :class:`~caseload_sim.report.folder.OutputFolder` into
one HTML page that a planner can open offline in any browser and pass on by e-mail:
the CSS is inline, plotly.js is embedded once in the page's head, and nothing refers
to the network (no CDN, web font, external style sheet or image). The same folder
always gives the same page, byte for byte (figure ids are fixed, and the page carries
no time of its own — only the run's times from the manifest).

The page, top to bottom:

1. **In short** — what was run, and the headline results in words.
2. **Warnings** — too few replications, referrals beyond what the teams can take in (or
   a waiting list still growing), very wide intervals, KPIs undefined in some
   replications, a warm-up shorter than the longest possible stay, a precision target
   not reached (:func:`report_warnings`).
3. **What changed** (comparison) — each alternative's changed parameters, in words
   (:func:`caseload_sim.diff.scenario_diff`).
4. **Results** — a KPI table per group (placements, trial-style outcomes, flow,
   workforce, ...), with means, 95 % intervals and, for a comparison, the paired
   differences, their intervals and how often the alternative did better; then a forest
   plot of the differences (comparison) or a dot-and-interval chart of every KPI (run).
   **Employment after intake** — the trial-style outcomes: for a comparison an "Effect
   on employment" table per alternative (both risks, the risk difference and the risk
   ratio with 95 % intervals), the trials' figures beside the closest results, and the
   share in paid work by month since intake (from ``employment_curve.parquet``).
5. **Exits by reason** and **Workforce** charts; **Costs** — the cost parts per
   scenario, sustained jobs and the cost per sustained job, and for a comparison the
   extra cost per extra sustained job, in words.
6. **Over time** — caseload per FTE, people waiting, candidates in a job and stress,
   week by week over the whole run with the warm-up shaded: per scenario the mean across
   replications and its pointwise 95 % interval (from ``series.parquet``; a folder
   written before series were saved gets a note on how to make them instead).
7. **Assumptions and parameters** — every parameter's value with unit and provenance
   ([S]ource, [L]iterature, [A]ssumption); for a comparison, the ones that differ are
   marked.
8. **Manifest** — versions, seed, hashes, times, the command line; the full manifest
   folds out.

The page's head names the results it describes (:func:`caseload_sim.manifest.results_digest`
of the manifest), so that a later run into the same folder can recognise the report as
describing results it replaces.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from caseload_sim import __version__
from caseload_sim.capacity import capacity_findings
from caseload_sim.diff import LABEL_KEYS, format_value, scenario_changes, scenario_diff
from caseload_sim.manifest import REPORT_MARKER, results_digest
from caseload_sim.metrics import COST_PART_NAMES, RISK_KPI_NAMES, TRIAL_KPI_NAMES
from caseload_sim.model.rules import limit_days
from caseload_sim.report.definitions import kpi_definition
from caseload_sim.report.figures import (
    MANY_SCENARIOS,
    costs_figure,
    curve_bands,
    curve_figure,
    drawn_reference,
    effect_heatmap,
    exits_figure,
    forest_figure,
    interval_figure,
    scenario_colour,
    series_bands,
    series_figure,
)
from caseload_sim.report.folder import CURVE_FILE, SERIES_FILE, STATS_COLUMNS, OutputFolder
from caseload_sim.report.kpis import (
    ALTERNATIVES_PER_TABLE,
    GROUPS,
    HEADLINE_KPIS,
    MIN_REPLICATIONS,
    better_direction,
    change_with_interval,
    compact_interval,
    compact_label,
    compact_value,
    format_diff,
    format_interval,
    kpi_group,
    kpi_label,
    short_label,
    trade_off,
    verdict,
)
from caseload_sim.report.kpis import format_value as format_kpi
from caseload_sim.report.style import BASE_CSS
from caseload_sim.scenario import Scenario, TimeLimitPolicy, parameter_table

__all__ = [
    "EFFECT_KPIS",
    "MAX_SERIES_POINTS",
    "TRIAL_FIGURES",
    "MIN_REPLICATIONS",
    "SHOWN_SERIES",
    "WIDE_INTERVAL",
    "ReportWarning",
    "parameter_rows",
    "render_report",
    "report_warnings",
]

#: A 95 % half-width above this share of |mean| draws a warning.
WIDE_INTERVAL = 0.25
_SHOWN_ITEMS = 6  # a warning with more cases than this folds them away
#: A series longer than this many weeks is drawn with one point every few weeks.
MAX_SERIES_POINTS = 200
#: The weekly series the report draws: variable -> (heading, axis title, explanation).
SHOWN_SERIES: dict[str, tuple[str, str, str]] = {
    "caseload_per_fte": (
        "Caseload per specialist",
        "candidates per full-time specialist",
        "Candidates on the caseloads, per full-time specialist actually in post (an empty post does not "
        "count, so the caseload per specialist rises while a post stands vacant).",
    ),
    "queue": (
        "People waiting",
        "people on waiting lists",
        "People referred who wait for a place on a caseload, all teams together.",
    ),
    "employed": (
        "Candidates in a job",
        "candidates in a paid job",
        "Candidates in a paid job while still followed up (step 5, on/off-the-job support). People who "
        "have left the caseload for work are no longer counted.",
    ),
    "stress_mean": (
        "Specialists' stress",
        "average stress, 0 (none) to 1 (maximal)",
        "The specialists' average stress at the end of each week, over the posts that had a holder.",
    ),
    "fte": (
        "Posts held",
        "full-time equivalents (FTE) in post",
        "The specialists in post, in full-time equivalents: it drops when a specialist quits and the post "
        "stands vacant until the replacement starts, and rises when a team opens. Sick leave does not "
        "lower it (an absent specialist still holds the post; their caseload waits or is covered).",
    ),
}

#: Series drawn with a dotted reference line per scenario: variable -> (what the line is,
#: its value in a scenario, the sentence that explains it).
_REFERENCE_LINES: dict[str, tuple[str, Callable[[Scenario], float], str]] = {
    "caseload_per_fte": (
        "caseload cap",
        lambda s: float(s.regulation.caseload_cap),
        "The dotted line is the caseload cap.",
    ),
    "fte": (
        "posts named",
        lambda s: float(s.total_fte),
        "The dotted line is the posts the scenario names (teams that open later included).",
    ),
}

#: The outcomes of the "Effect on employment" table, in order: the risks first, then the
#: other trial-style outcomes (for these only the difference is shown).
EFFECT_KPIS: tuple[str, ...] = (
    "employed_6m",
    "employed_12m",
    "employed_18m",
    "employed_24m",
    "work_12m",
    "ever_worked_24m",
    "never_worked_24m",
    "permanent_12m",
    "months_worked_24m",
    "days_to_first_job_mean",
    "first_job_days_median",
    "first_job_months_24m",
    "months_worked_from_first_job_24m",
)
#: What the trials report (domain.md, "Outcome figures to calibrate against", [L]) beside
#: the KPI closest to it: KPI -> (the trials' measure, their figure).
TRIAL_FIGURES: dict[str, tuple[str, str]] = {
    "ever_worked_24m": (
        "competitive employment during follow-up (ever employed)",
        "IPS about 60 % vs 23 % with usual services (US-led trials), nearer 47 % outside the US; "
        "risk ratio about 1.6-2.3",
    ),
    "never_worked_24m": ("never worked during follow-up", "about 45 % of IPS participants"),
    "work_12m": (
        "employed within 12 months (ever)",
        "young adults: 48 % vs 8 %; NAV's target: 65 % into work within a year",
    ),
    "employed_12m": (
        "competitive employment at 12 months",
        "Norwegian IPS trial (n = 410): 36.6 % vs 27.1 %",
    ),
    "employed_24m": (
        "employment after 18-24 months",
        "Norwegian SE trials: higher employment in the first 6-18 months, no difference in the long run",
    ),
    "months_worked_from_first_job_24m": (
        "months worked in the 24 months from the first job",
        "high-fidelity IPS: about 13 (11 in the prospective sample)",
    ),
    "days_to_first_job_mean": (
        "time to the first job",
        "IPS: first jobs about 10 weeks (70 days) sooner than with usual services",
    ),
    "first_job_months_24m": (
        "months in the first job, of the 24 from its start",
        "high-fidelity IPS: about 10 (8 in the prospective sample)",
    ),
}

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
_ARROWS = {1: "↑ higher", -1: "↓ lower", 0: "–"}
_BETTER_WORDS = {
    1: "↑ better if higher",
    -1: "↓ better if lower",
    0: "no better direction (a trade-off or an input)",
}
_VERDICT_WORDS = {
    "better": "clearly better",
    "worse": "clearly worse",
    "higher": "clearly higher",
    "lower": "clearly lower",
    "same": "no difference (the same in every replication)",
    "unclear": "no clear difference",
    "n/a": "not defined",
}


@dataclass(frozen=True)
class ReportWarning:
    """One caveat the report shows: a title, why it matters, and the cases it applies to."""

    title: str
    text: str
    items: tuple[str, ...] = field(default_factory=tuple)


# --- small helpers ----------------------------------------------------------------------


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _when(stamp: Any) -> str:
    """A manifest's ISO timestamp as a person reads it: ``1 December 2026, 16:40 UTC``."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp) if stamp is not None else "?"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    zone = " UTC" if moment.tzinfo is not None else ""
    return f"{moment.day} {moment:%B %Y, %H:%M}{zone}"


def _duration(seconds: Any) -> str:
    """``3.2 s``, ``4 min 12 s``, ``1 h 05 min``; ``?`` if unknown."""
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return "?"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def _days(days: float) -> str:
    """``1095`` -> ``3 years (1,095 days)``; ``4500`` -> ``4,500 days (12.3 years)``; ``60`` -> ``60 days``."""
    if days >= 365 and days % 365 == 0:
        years = int(days // 365)
        return f"{years} year{'s' if years != 1 else ''} ({days:,.0f} days)"
    if days >= 365:
        return f"{days:,.0f} days ({days / 365:.1f} years)"
    return f"{format_value(days)} days"


def _figure(fig: go.Figure, key: str) -> str:
    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            config=_PLOTLY_CONFIG,
            div_id=f"figure-{key}",
            validate=True,
        )
    )


_UNDEFINED = dict.fromkeys((c for c in STATS_COLUMNS if c not in ("scenario", "kpi")), math.nan)


def _stat(folder: OutputFolder, scenario: str, kpi: str) -> Mapping[str, float]:
    """A scenario's statistics for a KPI (all NaN if the folder has none)."""
    return folder.by_key.get((scenario, kpi), _UNDEFINED)


def _verdict_class(verdict_: str) -> str:
    """The CSS class of a verdict (``n/a`` -> ``v-na``)."""
    return "v-" + verdict_.replace("/", "")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _replication_counts(folder: OutputFolder) -> dict[str, int]:
    counts = folder.replications.groupby("scenario", sort=False).size()
    return {name: int(counts.get(name, 0)) for name in folder.names}


def _drawable(folder: OutputFolder, kpis: Iterable[str]) -> tuple[list[str], list[str]]:
    """The KPIs with a defined mean in some scenario, and those without (nothing to draw)."""
    defined = set(folder.stats.loc[folder.stats["mean"].notna(), "kpi"])
    kpis = list(kpis)
    return [k for k in kpis if k in defined], [k for k in kpis if k not in defined]


def _not_drawn(kpis: Sequence[str]) -> str:
    if not kpis:
        return ""
    return f"<p class='note'>Not drawn (defined in no replication): {_e(', '.join(kpis))}.</p>"


def _grouped(kpis: Iterable[str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for kpi in kpis:
        groups.setdefault(kpi_group(kpi), []).append(kpi)
    return [(g, groups[g]) for g in GROUPS if g in groups]


# --- warnings ---------------------------------------------------------------------------


def _warmup_warnings(scenarios: Sequence[Scenario]) -> list[ReportWarning]:
    """One warning per distinct (time limit, warm-up) among scenarios whose warm-up is too short."""
    short: dict[tuple[TimeLimitPolicy, float, float], list[str]] = {}
    for scenario in scenarios:
        policy = scenario.regulation.time_limit
        if policy not in (TimeLimitPolicy.reduced_capacity_3y, TimeLimitPolicy.three_years_all):
            continue
        longest = limit_days(policy, True, scenario.regulation.period_months * 365.0 / 12.0)
        if scenario.run.warmup_days < longest:
            short.setdefault((policy, scenario.run.warmup_days, longest), []).append(scenario.name)
    found = []
    for (policy, warmup, longest), names in short.items():
        who = "with reduced work capacity " if policy is TimeLimitPolicy.reduced_capacity_3y else ""
        found.append(
            ReportWarning(
                title=f"Warm-up shorter than the longest stay ({', '.join(names)})",
                text=(
                    f"Under the time limit {policy.value}, a candidate {who}can be followed for up to "
                    f"{_days(longest)}, but the warm-up (run.warmup_days) is {_days(warmup)}. Measurement "
                    "therefore starts before the caseloads hold their usual share of long stays: caseloads, "
                    "queues, stress and the mix of exits describe a service that is still filling up, and "
                    "exits at the time limit are undercounted. That is intended for a start-up scenario (a "
                    "new team measured from its first day); otherwise lengthen the warm-up to at least "
                    f"{_days(longest)}."
                ),
            )
        )
    return found


def _capacity_warnings(folder: OutputFolder) -> list[ReportWarning]:
    """Per scenario: referrals above (or near) what its teams can take in, a list still growing."""
    found = []
    for name, scenario in zip(folder.names, folder.scenarios, strict=True):
        stats = {kpi: _stat(folder, name, kpi) for kpi in folder.kpis}
        for finding in capacity_findings(
            stats,
            teams=sum(t.copies for t in scenario.teams),
            years=scenario.run.horizon_days / 365.0,
            list_closes=scenario.waiting_list.closes,
        ):
            found.append(ReportWarning(title=f"{finding.title} ({name})", text=finding.text))
    return found


def _listed(value: Any) -> list[Any]:
    """A manifest entry that should be a list, as one (anything else: empty)."""
    return list(value) if isinstance(value, list | tuple) else []


#: Beyond this many cases (some three printed pages) a warning lists them a line per scenario; the
#: numbers are in the tables.
_GROUPED_ABOVE = 100


def _listed_by_scenario(cases: Sequence[tuple[str, str, str]]) -> tuple[str, ...]:
    """A warning's ``(scenario, kpi, line)`` cases: a line each, or, when there are many (30 scenarios
    with 2 replications make hundreds), one line per scenario naming its KPIs by their short labels."""
    if len(cases) <= _GROUPED_ABOVE:
        return tuple(line for _, _, line in cases)
    by: dict[str, list[str]] = {}
    for name, kpi, _ in cases:
        by.setdefault(name, []).append(short_label(kpi))
    return tuple(f"{name} ({len(ks)}): {', '.join(ks)}" for name, ks in by.items())


def report_warnings(folder: OutputFolder) -> list[ReportWarning]:
    """The caveats a reader should see before trusting the numbers.

    - fewer than :data:`MIN_REPLICATIONS` replications;
    - referrals that exceed (or are close to) what a scenario's teams can take in, or a
      waiting list still growing through the window, in words
      (:func:`caseload_sim.capacity.capacity_findings`); a waiting list with no steady
      state is also why its waiting KPIs have very wide intervals;
    - KPIs whose 95 % half-width exceeds :data:`WIDE_INTERVAL` × |mean|;
    - KPIs undefined in some or all replications;
    - a warm-up shorter than the longest possible stay under ``reduced_capacity_3y`` or
      ``three_years_all`` (3 years);
    - a precision target (``--precision``) that was not reached;
    - files changed since the run wrote them (their SHA-256 against the manifest's), first.
    """
    found: list[ReportWarning] = []
    if folder.changed:
        found.append(
            ReportWarning(
                title=f"Files changed after the run: {', '.join(folder.changed)}",
                text=(
                    "Their SHA-256 no longer matches the one manifest.json recorded when the run wrote "
                    "them: they were edited, replaced or damaged since, and this report may not show what "
                    "the run found. Run the scenario again to be sure."
                ),
            )
        )
    counts = _replication_counts(folder)
    fewest = min(counts.values()) if counts else 0
    if fewest < MIN_REPLICATIONS:
        found.append(
            ReportWarning(
                title=f"Only {fewest} replication{'s' if fewest != 1 else ''}",
                text=(
                    f"With fewer than {MIN_REPLICATIONS} replications the confidence intervals are wide and "
                    "themselves uncertain, and a difference can look clear or unclear by chance. Run at "
                    "least 10 (30 or more before a decision), or let the --precision option add "
                    "replications until the intervals are narrow enough."
                ),
            )
        )
    found.extend(_capacity_warnings(folder))
    wide, undefined = [], []
    for name in folder.names:
        for kpi in folder.kpis:
            s = _stat(folder, name, kpi)
            mean, low, high, n = s["mean"], s["ci_low"], s["ci_high"], s["n"]
            if math.isfinite(n) and n < counts.get(name, 0):
                said = "in no replication" if n == 0 else f"in only {n:.0f} of {counts[name]} replications"
                undefined.append((name, kpi, f"{name}: {kpi_label(kpi)} ({kpi}) is defined {said}"))
            if not (math.isfinite(mean) and math.isfinite(low) and math.isfinite(high)):
                continue
            half = (high - low) / 2
            if half > WIDE_INTERVAL * abs(mean) and half > 1e-12:
                wide.append(
                    (
                        name,
                        kpi,
                        f"{name}: {kpi_label(kpi)} ({kpi}): mean {format_kpi(kpi, mean)}, "
                        f"95 % CI {format_interval(kpi, low, high)}",
                    )
                )
    if wide:
        found.append(
            ReportWarning(
                title=f"{len(wide)} result{'s' if len(wide) != 1 else ''} with very wide confidence intervals",
                text=(
                    f"For these the 95 % interval reaches more than {100 * WIDE_INTERVAL:.0f} % of the mean's "
                    "size on either side, so the mean is only a rough guide. More replications narrow the "
                    "interval; a longer measurement window (run.horizon_days) helps for rare events."
                ),
                items=_listed_by_scenario(wide),
            )
        )
    if undefined:
        found.append(
            ReportWarning(
                title="KPIs not defined in every replication",
                text=(
                    "A KPI is undefined in a replication when there was nothing to measure: no intake could "
                    "be followed for a full year inside the measurement window (the 12-month KPIs) or for "
                    "two years (the 24-month trial-style outcomes), nobody exited, or no team-year could be "
                    "scored. Its mean and interval use only the "
                    "replications where it is defined."
                ),
                items=_listed_by_scenario(undefined),
            )
        )
    found.extend(_warmup_warnings(folder.scenarios))
    precision = folder.manifest.get("precision")
    if isinstance(precision, Mapping) and precision.get("reached") is False:
        found.append(
            ReportWarning(
                title="Precision target not reached",
                text=(
                    f"The run asked for {precision.get('rule', 'a precision target')} "
                    f"(relative half-width {precision.get('relative_half_width')}) for "
                    f"{', '.join(map(str, _listed(precision.get('kpis'))))}, but stopped at the maximum of "
                    f"{precision.get('replications')} replications."
                ),
            )
        )
    return found


# --- parameters -------------------------------------------------------------------------


def parameter_rows(scenario: Scenario) -> list[tuple[str, str, Any]]:
    """Every parameter of a resolved scenario: (label, schema path, value), in schema order.

    Team settings are labelled by team number and name (``team 1 (east): specialists``),
    a team's staffing changes by number (``team 1 (east): change 2: at_day``); the schema
    path (``teams[].specialists``) finds the unit and provenance in
    :func:`caseload_sim.scenario.parameter_table`. The scenario's name and description
    are labels, not parameters, and are left out.
    """
    known = {row["parameter"] for row in parameter_table()}
    rows: list[tuple[str, str, Any]] = []

    def walk(mapping: Mapping[str, Any], schema: str, label: str, in_item: bool) -> None:
        for key, value in mapping.items():
            if not schema and key in LABEL_KEYS:
                continue
            if isinstance(value, Mapping):
                walk(value, f"{schema}{key}.", f"{label}{key}.", in_item)
            elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                noun = "team" if not schema and key == "teams" else key.removesuffix("s").replace("_", " ")
                for i, item in enumerate(value, start=1):
                    name = item.get("name")
                    lead = f"{label}{noun} {i}" + (f" ({name})" if name is not None else "") + ": "
                    walk(item, f"{schema}{key}[].", lead, True)
            elif f"{schema}{key}" in known:
                rows.append((f"{label}{key}", f"{schema}{key}", value))

    walk(scenario.model_dump(mode="json"), "", "", False)
    return rows


def _provenance_tag(provenance: str) -> str:
    found = re.match(r"\s*\[([SLA])\]", provenance)
    return found.group(1) if found else "?"


# --- sections ---------------------------------------------------------------------------

_CSS = (
    BASE_CSS
    + """
p, li { max-width: 78ch; }
.muted, .sub { color: var(--muted); }
.sub { margin: 0; }
nav.toc { background: var(--soft); border-radius: 6px; padding: 8px 14px; margin: 12px 0 4px; font-size: .93rem;
  display: flex; flex-wrap: wrap; gap: 4px 14px; }
nav.toc a { color: var(--accent); text-decoration: none; white-space: nowrap; }
code, .code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
.code { background: var(--soft); padding: 8px 10px; border-radius: 4px; overflow-x: auto; white-space: pre-wrap;
  word-break: break-all; }
.scroll { overflow-x: auto; margin: 6px 0 14px; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; position: sticky; top: 0; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.ci { display: block; color: var(--muted); font-size: .82rem; font-weight: normal; }
.name { display: block; color: var(--muted); font-size: .78rem; }
a.name { text-decoration: none; }
a.name:hover { text-decoration: underline; }
main > section, dl.defs dt { scroll-margin-top: 4rem; }
table.kpis td:first-child { min-width: 16ch; max-width: 30ch; }
table.kpis td.num, table.kpis td.num .ci, table.kpis td.alt .chg { white-space: normal; }
table.kpis td.num { min-width: 10ch; }
table.kpis th, #parameters th { white-space: normal; }
td.alt .chg { display: block; font-size: .85rem; }
td.alt .chg .ci { display: inline; margin-left: 4px; }
th.alt { min-width: 12ch; white-space: normal; }
td.dir { white-space: nowrap; }
#parameters { width: 100%; }
#parameters td { overflow-wrap: anywhere; }
#parameters td:first-child { min-width: 20ch; }
#parameters td.val { text-align: right; max-width: 12ch; overflow-wrap: break-word; font-variant-numeric: tabular-nums; }
table.kpis td:first-child { min-width: 30ch; }
#parameters { font-size: .82rem; }
#parameters td:nth-last-child(2) { min-width: 16ch; }
#parameters td:nth-last-child(3) { min-width: 7ch; overflow-wrap: normal; word-break: normal; }
#parameters td.val { min-width: 6ch; }
#parameters td:last-child { min-width: 30ch; }
tr.differs td { background: var(--warn); }
.v-better { background: var(--good); color: var(--good-ink); }
.v-worse { background: var(--bad); color: var(--bad-ink); }
.v-higher, .v-lower { background: var(--info); }
.badge.v-unclear, .badge.v-same, .badge.v-na { background: #eceff3; color: var(--muted); }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: .78rem; font-weight: 600; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 50%; margin-right: 5px;
  vertical-align: baseline; }
.warnings { border-left: 5px solid #d9a400; background: var(--warn); padding: 6px 16px 10px; border-radius: 4px; }
.warnings h3 { margin-top: 12px; }
.callout { border-left: 5px solid var(--accent); background: var(--info); padding: 10px 16px; border-radius: 4px; }
.ok { border-left: 5px solid var(--good-ink); background: var(--good); padding: 8px 16px; border-radius: 4px; }
ul.tight li { margin: 2px 0; }
.figure { margin: 8px 0 18px; }
.note { font-size: .88rem; color: var(--muted); }
dl.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; margin: 8px 0; }
dl.kv dt { font-weight: 600; }
dl.kv dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
details summary { cursor: pointer; color: var(--accent); }
p.tradeoff { font-size: 1.05rem; border-left: 4px solid var(--accent); padding: 4px 12px; background: var(--info); }
dl.glossary { display: grid; grid-template-columns: minmax(10rem, max-content) 1fr; gap: 6px 18px; }
dl.glossary dt { font-weight: 600; }
dl.glossary dd { margin: 0; }
dl.defs { grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); max-width: 110ch; }
dl.defs dt code.name { display: block; font-weight: normal; }
@media (max-width: 900px) {
  table.kpis { font-size: .8rem; }
  table.kpis th, table.kpis td { padding: 4px 5px; }
  table.kpis td:first-child { min-width: 14ch; }
  table.kpis td.num { min-width: 8ch; }
  table.kpis .name { display: none; }
}
@media (max-width: 820px) { dl.glossary { display: block; } dl.glossary dd { margin: 2px 0 12px; } }
.pick { background: var(--soft); border-radius: 6px; padding: 6px 12px; margin: 8px 0; }
.pick select { font: inherit; max-width: 100%; }
.focus { position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid var(--line);
  padding: 6px 0; margin: 0 0 4px; font-size: .93rem; }
.focus select { font: inherit; max-width: 60vw; }
@media (max-width: 900px) { .focus .muted { display: none; } }
table.headline td.num { min-width: 8ch; white-space: normal; }
table.headline td:first-child { min-width: 0; white-space: nowrap; }
table.headline td.alt .chg .ci { display: block; margin-left: 0; }
table.headline tr.base td { font-weight: 600; background: var(--soft); }
ul.tradeoffs li { margin: 4px 0; }
.print-only { display: none; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  .screen-only { display: none !important; }
  .print-only { display: block; }
  #parameters.compared tbody tr:not(.differs) { display: none; }
  nav.toc, .filter, .pick, .focus { display: none; }
  .page[hidden] { display: block !important; }
  .scroll { overflow: visible; }
  details::details-content { content-visibility: visible; display: block; height: auto; }
  table.kpis, #parameters { width: 100%; }
  h2, h3 { break-after: avoid; }
  .figure, tr, dl.glossary dt, dl.glossary dd { break-inside: avoid; }
  main { max-width: none; padding: 0; }
  table { font-size: 9pt; }
  td, th { white-space: normal !important; }
}
"""
)

_FILTER_JS = """
// printing keeps every warning and detail open: a printed report has no "show all" to click
window.addEventListener('beforeprint', function () {
  var all = document.querySelectorAll('details:not(.screen-only)');
  for (var i = 0; i < all.length; i++) { all[i].open = true; }
});
// a picker of the many-scenario layout: show one page of a section, hide the others
function caseloadPage(select) {
  var pages = select.closest('.pager').querySelectorAll(':scope > .page');
  for (var i = 0; i < pages.length; i++) { pages[i].hidden = String(i) !== select.value; }
}
// the scenario in focus: its lines and band stand out in every chart, the others fade
function caseloadFocus(select) {
  var name = select.value, plots = document.querySelectorAll('.js-plotly-plot');
  for (var k = 0; k < plots.length; k++) {
    var gd = plots[k], index = [], visible = [], opacity = [];
    for (var i = 0; i < gd.data.length; i++) {
      var m = gd.data[i].meta;
      if (!m || m.scenario === undefined) { continue; }
      var mine = m.scenario === name;
      index.push(i);
      visible.push(m.role === 'band' ? (m.base || mine) : true);
      opacity.push(name === '' || mine || m.base ? 1 : 0.15);
    }
    if (index.length) { Plotly.restyle(gd, {visible: visible, opacity: opacity}, index); }
  }
}
function caseloadFilter(box) {
  var rows = document.querySelectorAll('#parameters tbody tr');
  for (var i = 0; i < rows.length; i++) {
    rows[i].style.display = box.checked && !rows[i].classList.contains('differs') ? 'none' : '';
  }
}
"""


def _swatch(folder: OutputFolder, name: str) -> str:
    i = folder.names.index(name)
    return f'<span class="swatch" style="background:{scenario_colour(i, len(folder.names))}"></span>'


def _scenario_name(folder: OutputFolder, name: str) -> str:
    return f"{_swatch(folder, name)}<strong>{_e(name)}</strong>"


def _title(folder: OutputFolder) -> str:
    if folder.kind == "run":
        return f"Simulation report: {folder.base}"
    if _many(folder):
        return f"Scenario comparison: {folder.base} vs {len(folder.names) - 1} alternatives ({_span(folder.names[1:])})"
    return f"Scenario comparison: {folder.base} vs {', '.join(folder.names[1:])}"


def _headline(folder: OutputFolder, name: str, kpi: str) -> str:
    s = _stat(folder, name, kpi)
    return (
        f"<li>{_e(kpi_label(kpi))}: <strong>{_e(format_kpi(kpi, s['mean']))}</strong> "
        f"<span class='muted'>(95 % CI {_e(format_interval(kpi, s['ci_low'], s['ci_high']))})</span></li>"
    )


def _window_words(scenario: Scenario) -> str:
    warmup = scenario.run.warmup_days
    lead = f"after a warm-up of {_days(warmup)}" if warmup > 0 else "from the very start (no warm-up)"
    return f"measured over {_days(scenario.run.horizon_days)} {lead}"


def _summary(folder: OutputFolder) -> str:
    counts = _replication_counts(folder)
    n = min(counts.values()) if counts else 0
    base = folder.scenarios[0]
    parts = ['<section id="summary"><h2>In short</h2>']
    if folder.kind == "run":
        text = base.description.strip().rstrip(".")
        description = f" — {_e(text)}" if text else ""
        parts.append(
            f"<p>This report shows <strong>{n} simulated replications</strong> of the scenario "
            f"{_scenario_name(folder, base.name)}{description}. Each replication is one possible history "
            f"of the same world, {_e(_window_words(base))}. The numbers are averages across the "
            "replications, each with a 95 % confidence interval: the range in which the long-run average "
            "most likely lies. A wide interval means the simulation cannot pin the number down yet.</p>"
        )
        present = [k for k in HEADLINE_KPIS if k in folder.kpis]
        if present:
            parts.append("<p>Headline results:</p><ul class='tight'>")
            parts.extend(_headline(folder, base.name, k) for k in present)
            parts.append("</ul>")
    else:
        alts = (
            f"{_scenario_name(folder, folder.names[1])} … {_scenario_name(folder, folder.names[-1])} "
            f"({len(folder.names) - 1} of them)"
            if _many(folder)
            else ", ".join(_scenario_name(folder, a) for a in folder.names[1:])
        )
        parts.append(
            f"<p>This report compares <strong>{len(folder.names)} scenarios</strong> on the same "
            f"<strong>{n} simulated replications</strong>. The base is {_scenario_name(folder, base.name)}; "
            f"the alternative{'s' if len(folder.names) > 2 else ''} {alts} change{'' if len(folder.names) > 2 else 's'} "
            f"the levers listed under <a href='#changes'>What changed</a>. Each replication is one possible "
            f"history, {_e(_window_words(base))}. Every scenario is run on the same random numbers "
            "(the same referrals and the same luck wherever the policy does not matter), so the differences "
            "come from the policy, not from chance, and each is measured replication by replication. "
            "A difference is called <em>clear</em> when its 95 % confidence interval excludes zero.</p>"
        )
        parts.append(
            _summary_table(folder)
            if _many(folder)
            else "".join(_summary_paragraph(folder, a) for a in folder.names[1:])
        )
    parts.append("</section>")
    return "".join(parts)


def _trade_off(folder: OutputFolder, alt: str) -> str:
    """An alternative's trade-off against the base in one sentence (:func:`kpis.trade_off`)."""
    stats = {k: dict(_stat(folder, alt, k)) for k in folder.kpis}
    base_means = {k: _stat(folder, folder.base, k)["mean"] for k in folder.kpis}
    return trade_off(alt, folder.base, stats, base_means)


def _summary_paragraph(folder: OutputFolder, alt: str) -> str:
    """The "In short" of one of a few alternatives: its trade-off, its headline results, and the tally."""
    base = folder.base
    parts = []
    said = [
        verdict(k, s["diff"], s["diff_ci_low"], s["diff_ci_high"])
        for k in folder.kpis
        for s in [_stat(folder, alt, k)]
        if better_direction(k) != 0
    ]
    clear = said.count("better") + said.count("worse")
    tally = (
        f"Counting every one of the {len(said)} results with a better direction as one vote, "
        f"whatever its weight: clearly better on {said.count('better')}, clearly worse on "
        f"{said.count('worse')}, not clearly different (or not defined) on {len(said) - clear}; "
        "all of them are under <a href='#results'>Results</a>."
    )
    parts.append(
        f"<h3>{_scenario_name(folder, alt)} compared with {_e(base)}</h3>"
        f"<p class='tradeoff'>{_e(_trade_off(folder, alt))}</p>"
    )
    present = [k for k in HEADLINE_KPIS if k in folder.kpis]
    if present:
        parts.append("<ul class='tight'>")
        for kpi in present:
            b, s = _stat(folder, base, kpi), _stat(folder, alt, kpi)
            v = verdict(kpi, s["diff"], s["diff_ci_low"], s["diff_ci_high"])
            parts.append(
                f"<li>{_e(kpi_label(kpi))}: {_e(format_kpi(kpi, b['mean']))} → "
                f"<strong>{_e(format_kpi(kpi, s['mean']))}</strong>, a change of "
                f"{_e(format_diff(kpi, s['diff']))} "
                f"<span class='muted'>(95 % CI "
                f"{_e(format_interval(kpi, s['diff_ci_low'], s['diff_ci_high'], diff=True))})</span>"
                f" — <span class='badge {_verdict_class(v)}'>{_e(_VERDICT_WORDS[v])}</span></li>"
            )
        parts.append("</ul>")
    parts.append(f"<p class='muted'>{tally}</p>")
    return "".join(parts)


def _scenario_rows(folder: OutputFolder, kpis: Sequence[str], ratios: bool = False) -> str:
    """Scenarios as rows, KPIs as columns (unit in the header): the base's mean and interval, each
    alternative's mean and its change with the interval of the change, coloured by the verdict.

    The layout of many alternatives ("In short", and the results in print), where one column per
    alternative would run off the page. ``ratios``: a risk's cell also gives the risk ratio.
    """
    base = folder.base
    head = "<tr><th>scenario</th>" + "".join(
        f"<th class='num' title='{_e(kpi_label(k))}'>{_e(compact_label(k))}</th>" for k in kpis
    )
    b_cells = "".join(
        f"<td class='num'>{_e(compact_value(k, st['mean']))}<span class='ci'>"
        f"{_e(compact_interval(k, st['ci_low'], st['ci_high'], compact_value))}</span></td>"
        for k in kpis
        for st in [_stat(folder, base, k)]
    )
    rows = [f"<tr class='base'><td>{_scenario_name(folder, base)} (base)</td>{b_cells}</tr>"]
    for alt in folder.names[1:]:
        cells = []
        for k in kpis:
            st = _stat(folder, alt, k)
            v = verdict(k, st["diff"], st["diff_ci_low"], st["diff_ci_high"])
            shown, interval = change_with_interval(k, st["diff"], st["diff_ci_low"], st["diff_ci_high"])
            rr, rr_low, rr_high = st["risk_ratio"], st["rr_ci_low"], st["rr_ci_high"]
            ratio = (
                f"<span class='ci'>RR {rr:.2f} [{rr_low:.2f}, {rr_high:.2f}]</span>"
                if ratios and k in RISK_KPI_NAMES and math.isfinite(rr)
                else ""
            )
            cells.append(
                f"<td class='num alt {_verdict_class(v)}' title='{_e(_VERDICT_WORDS[v])}'>"
                f"{_e(compact_value(k, st['mean']))}<span class='chg'>{_e(shown)}"
                f"<span class='ci'>{_e(interval)}</span></span>{ratio}</td>"
            )
        rows.append(f"<tr><td>{_scenario_name(folder, alt)}</td>{''.join(cells)}</tr>")
    return (
        f"<div class='scroll'><table class='kpis headline'><thead>{head}</thead><tbody>{''.join(rows)}"
        "</tbody></table></div>"
    )


#: KPI columns of one scenarios-as-rows table in print (an A4 landscape sheet holds six).
_PRINT_COLUMNS = 6


def _summary_table(folder: OutputFolder) -> str:
    """The "In short" of many alternatives: the headline results in one table, then each trade-off in a line."""
    present = [k for k in HEADLINE_KPIS if k in folder.kpis]
    sentences = [f"<li>{_swatch(folder, alt)}{_e(_trade_off(folder, alt))}</li>" for alt in folder.names[1:]]
    return (
        f"<p>The headline results of all {len(folder.names)} scenarios, in the unit each column names (shares "
        "in %, their changes in percentage points, money in thousands of NOK). For the base: its mean with "
        "the 95 % interval; for each alternative: its mean, then its change from the base with the interval "
        "of the change, coloured <span class='badge v-better'>clearly better</span> or "
        "<span class='badge v-worse'>clearly worse</span> when that interval excludes zero. Every result is "
        "under <a href='#results'>Results</a>; <a href='#forest'>Differences at a glance</a> shows them all "
        "in one grid.</p>"
        f"{_scenario_rows(folder, present)}"
        f"<h3>Each alternative in one sentence</h3><ul class='tight tradeoffs'>{''.join(sentences)}</ul>"
    )


def _warnings(warnings: Sequence[ReportWarning]) -> str:
    parts = ['<section id="warnings"><h2>Warnings</h2>']
    if not warnings:
        parts.append(
            "<p class='ok'>No warnings: enough replications, no very wide intervals, warm-up long enough.</p>"
        )
    else:
        parts.append("<div class='warnings'>")
        for w in warnings:
            parts.append(f"<h3>⚠ {_e(w.title)}</h3><p>{_e(w.text)}</p>")
            items = "<ul class='tight'>" + "".join(f"<li>{_e(i)}</li>" for i in w.items) + "</ul>"
            if len(w.items) > _SHOWN_ITEMS:
                items = f"<details><summary>show all {len(w.items)}</summary>{items}</details>"
            if w.items:
                parts.append(items)
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _changes(folder: OutputFolder) -> str:
    base = folder.scenarios[0]
    table = _changes_table(folder) if _many(folder) else ""
    how = (
        "one row per alternative, one column per parameter that any of them changes"
        if table
        else "one line per parameter, the base's value → the alternative's value, its unit and meaning"
    )
    parts = [
        '<section id="changes"><h2>What changed between the scenarios</h2>',
        f"<p>Each alternative compared with the base, {_scenario_name(folder, base.name)}, after resolving "
        f"<code>extends:</code> and filling in defaults: {how}.</p>",
    ]
    if base.description.strip():
        parts.append(f"<p class='muted'>{_e(base.name)}: {_e(base.description.strip())}</p>")
    if table:
        parts.append(table + "</section>")
        return "".join(parts)
    for alt in folder.scenarios[1:]:
        lines = scenario_diff(base, alt)
        parts.append(f"<h3>{_scenario_name(folder, alt.name)}</h3>")
        if alt.description.strip():
            parts.append(f"<p class='muted'>{_e(alt.description.strip())}</p>")
        if lines:
            parts.append(
                "<ul class='tight'>" + "".join(f"<li><code>{_e(x)}</code></li>" for x in lines) + "</ul>"
            )
        else:
            parts.append("<p>No parameter differs from the base (only the name or description).</p>")
    parts.append("</section>")
    return "".join(parts)


#: At most this many changed parameters as columns of the many-scenario "What changed" table.
_CHANGE_COLUMNS = 6


def _changes_table(folder: OutputFolder) -> str:
    """What changed, for many alternatives: one row each, one column per parameter any of them
    changes (its unit and the base's value in the header); ``""`` when too many differ for a table."""
    base = folder.scenarios[0]
    changes = {alt.name: {c.label: c for c in scenario_changes(base, alt)} for alt in folder.scenarios[1:]}
    labels = list(dict.fromkeys(label for per in changes.values() for label in per))
    if not labels or len(labels) > _CHANGE_COLUMNS:
        return ""
    first = {label: next(per[label] for per in changes.values() if label in per) for label in labels}
    head = "<tr><th>scenario</th>" + "".join(
        f"<th class='num'><code>{_e(label).replace('.', '.<wbr>')}</code>"
        f"<span class='ci'>{_e(first[label].unit)}{'; ' if first[label].unit else ''}base: "
        f"{_e(first[label].before or '—')}</span></th>"
        for label in labels
    )
    rows = []
    for alt in folder.scenarios[1:]:
        per = changes[alt.name]
        cells = "".join(
            f"<td class='num'>{_e(per[label].after or per[label].before) if label in per else 'as the base'}</td>"
            for label in labels
        )
        said = alt.description.strip()
        note = f"<span class='name'>{_e(said)}</span>" if said and said != base.description.strip() else ""
        rows.append(f"<tr><td>{_scenario_name(folder, alt.name)}{note}</td>{cells}</tr>")
    meanings = "".join(f"<li><code>{_e(first[label].about)}</code></li>" for label in labels)
    return (
        "<p>The parameters the alternatives change:</p>"
        f"<ul class='tight'>{meanings}</ul>"
        f"<div class='scroll'><table class='kpis changes'><thead>{head}</tr></thead><tbody>{''.join(rows)}"
        "</tbody></table></div>"
    )


def _kpi_cell(kpi: str) -> str:
    """A table's KPI cell: the label (its definition on hover), and the machine name linking to the definition."""
    return (
        f"<td title='{_e(kpi_definition(kpi))}'>{_e(kpi_label(kpi))}"
        f"<a class='name' href='#def-{_e(kpi)}'>{_e(kpi)}</a></td>"
    )


def _cell(kpi: str, mean: float, low: float, high: float, diff: bool = False) -> str:
    value = format_diff(kpi, mean) if diff else format_kpi(kpi, mean)
    return (
        f"{_e(value)}<span class='ci'>{_e(format_interval(kpi, low, high, diff=diff))}</span>"
        if math.isfinite(mean)
        else "n/a"
    )


def _run_table(folder: OutputFolder, kpis: Sequence[str]) -> str:
    name = folder.base
    total = _replication_counts(folder).get(name, 0)
    head = (
        "<tr><th>KPI</th><th>better if</th><th class='num'>mean<span class='ci'>95 % CI</span></th>"
        "<th class='num'>defined in</th></tr>"
    )
    body = []
    for kpi in kpis:
        s = _stat(folder, name, kpi)
        n = f"{s['n']:.0f} of {total}" if math.isfinite(s["n"]) else "n/a"
        body.append(
            f"<tr>{_kpi_cell(kpi)}"
            f"<td class='dir'>{_ARROWS[better_direction(kpi)]}</td>"
            f"<td class='num'>{_cell(kpi, s['mean'], s['ci_low'], s['ci_high'])}</td>"
            f"<td class='num'>{_e(n)}</td></tr>"
        )
    return f"<div class='scroll'><table class='kpis'><thead>{head}</thead><tbody>{''.join(body)}</tbody></table></div>"


def _many(folder: OutputFolder) -> bool:
    """More alternatives than fit one table: "In short" becomes one table, the results and the
    per-alternative sections get a picker (print still shows every page), the forest plot a grid."""
    return len(folder.names) - 1 > ALTERNATIVES_PER_TABLE


def _chunks(names: Sequence[str]) -> list[list[str]]:
    """The names in groups of at most :data:`ALTERNATIVES_PER_TABLE`."""
    return [list(names[k : k + ALTERNATIVES_PER_TABLE]) for k in range(0, len(names), ALTERNATIVES_PER_TABLE)]


def _span(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"


def _pager(what: str, pages: Sequence[tuple[str, str]]) -> str:
    """``(title, html)`` pages behind one picker that shows one at a time; a single page as it is.

    Every page is in the file: the picker only hides the others on screen, and printing
    shows them all (see ``_CSS``).
    """
    if len(pages) == 1:
        return pages[0][1]
    options = "".join(f"<option value='{k}'>{_e(title)}</option>" for k, (title, _) in enumerate(pages))
    shown = "".join(
        f"<div class='page' data-page='{k}'{' hidden' if k else ''}>{body}</div>"
        for k, (_, body) in enumerate(pages)
    )
    return (
        f"<div class='pager'><p class='pick'><label>{_e(what)}: <select onchange='caseloadPage(this)'>{options}"
        f"</select></label> <span class='muted'>{len(pages)} pages; printing shows them all</span></p>{shown}</div>"
    )


def _comparison_table(folder: OutputFolder, kpis: Sequence[str], alts: Sequence[str]) -> str:
    """The KPIs of a group: the base's mean, then per alternative (one page's, at most
    :data:`ALTERNATIVES_PER_TABLE`) its mean and its change with the 95 % CI, coloured by the verdict."""
    base = folder.base
    head = [
        "<tr><th>KPI</th><th>better if</th>",
        f"<th class='num'>{_swatch(folder, base)}{_e(base)} (base)<span class='ci'>mean, 95 % CI</span></th>",
    ]
    head += [
        f"<th class='num alt'>{_swatch(folder, a)}{_e(a)}<span class='ci'>mean; change vs base, 95 % CI; "
        "better in</span></th>"
        for a in alts
    ]
    head.append("</tr>")
    body = []
    for kpi in kpis:
        b = _stat(folder, base, kpi)
        cells = [
            f"{_kpi_cell(kpi)}",
            f"<td class='dir'>{_ARROWS[better_direction(kpi)]}</td>",
            f"<td class='num'>{_cell(kpi, b['mean'], b['ci_low'], b['ci_high'])}</td>",
        ]
        for alt in alts:
            s = _stat(folder, alt, kpi)
            v = verdict(kpi, s["diff"], s["diff_ci_low"], s["diff_ci_high"])
            p = s["p_better"]
            mean = format_kpi(kpi, s["mean"])
            share = f"better in {100 * p:.0f} % of replications" if math.isfinite(p) else ""
            cells.append(
                f"<td class='num alt {_verdict_class(v)}' title='{_e(_VERDICT_WORDS[v])}'>{_e(mean)}"
                f"<span class='chg'>{_cell(kpi, s['diff'], s['diff_ci_low'], s['diff_ci_high'], diff=True)}"
                f"</span><span class='ci'>{_e(share)}</span></td>"
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<div class='scroll'><table class='kpis'><thead>{''.join(head)}</thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _results(folder: OutputFolder) -> str:
    parts = ['<section id="results"><h2>Results</h2>']
    if folder.kind == "run":
        parts.append(
            "<p>Each KPI's mean across the replications with its 95 % confidence interval (below it, in "
            "grey), and in how many replications it could be measured. <em>Better if</em> gives the "
            "direction the model's authors declared better; – means it is a trade-off or an input.</p>"
        )
    else:
        parts.append(
            "<p>For each KPI: the base's mean and 95 % interval; for each alternative its mean, its "
            "<em>change vs base</em> (alternative − base, paired replication by replication; pp = percentage "
            "points) with the 95 % interval of the change, and <em>better in</em>: the share of replications "
            "in which the alternative did better. Changes are coloured "
            "<span class='badge v-better'>clearly better</span> "
            "<span class='badge v-worse'>clearly worse</span> "
            "<span class='badge v-higher'>clearly higher or lower</span> (no declared direction) "
            "when the interval excludes zero; uncoloured ones are not clearly different from zero.</p>"
        )
    groups = _grouped(folder.kpis)
    if folder.kind == "run":
        for group, kpis in groups:
            parts.append(f"<h3 id='kpis-{group}'>{_e(GROUPS[group])}</h3>{_run_table(folder, kpis)}")
    else:
        pages = []
        for k, chunk in enumerate(_chunks(folder.names[1:])):
            ids = (lambda g: f" id='kpis-{g}'") if k == 0 else (lambda g: "")
            body = "".join(
                f"<h3{ids(group)}>{_e(GROUPS[group])}</h3>{_comparison_table(folder, kpis, chunk)}"
                for group, kpis in groups
            )
            pages.append((f"{_span(chunk)} ({len(chunk)} alternatives)", body))
        if _many(folder):  # on screen four alternatives at a time; on paper scenarios as rows
            printed = "".join(
                f"<h3>{_e(GROUPS[group])}{' (' + str(k // _PRINT_COLUMNS + 1) + ')' if len(kpis) > _PRINT_COLUMNS else ''}"
                f"</h3>{_scenario_rows(folder, kpis[k : k + _PRINT_COLUMNS], ratios=True)}"
                for group, kpis in groups
                for k in range(0, len(kpis), _PRINT_COLUMNS)
            )
            parts.append(
                f"<div class='screen-only'>{_pager('Alternatives shown beside the base', pages)}</div>"
                "<div class='print-only'><p class='note'>Printed with the scenarios as rows, six results a "
                "table, in each result's unit (shares in %, changes in percentage points, money in thousands "
                "of NOK; RR: the risk ratio alternative / base); on screen the same results stand four "
                f"alternatives at a time.</p>{printed}</div>"
            )
        else:
            parts.append(_pager("Alternatives shown beside the base", pages))
    if folder.kind == "comparison" and _many(folder):
        fig, left_out = effect_heatmap(folder.stats, folder.names, folder.kpis)
        parts.append(
            "<h3 id='forest'>Differences at a glance</h3><p>Every alternative (columns) against the base on "
            "every result with a better direction (rows): <span class='badge v-better'>green</span> where it "
            "is clearly better, <span class='badge v-worse'>red</span> where clearly worse — the stronger the "
            "colour, the larger the change as a percentage of the base's value (full colour at 100 % or "
            "more) — and blank where the 95 % interval includes zero. Hover over a cell for the change in the "
            "result's own unit and its interval.</p>"
        )
        parts.append(f"<div class='figure'>{_figure(fig, 'forest')}</div>")
    elif folder.kind == "comparison":
        fig, left_out = forest_figure(folder.stats, folder.names, folder.kpis)
        parts.append(
            "<h3 id='forest'>Differences at a glance</h3><p>Each alternative's change from the base, as a "
            "percentage of the base's value so that days, shares and counts share one scale; the bar is the "
            "95 % interval. A filled dot is a clear difference (interval excludes zero), an open dot is not. "
            "Hover over a dot for the change in the KPI's own unit.</p>"
        )
        parts.append(f"<div class='figure'>{_figure(fig, 'forest')}</div>")
        if left_out:
            why = "no declared better direction, or " if _many(folder) else ""
            parts.append(
                f"<p class='note'>Not drawn ({why}the base's mean is zero or undefined, so there is no relative "
                f"change): {_e(', '.join(kpi_label(k) for k in left_out))}.</p>"
            )
    else:
        parts.append(
            "<h3 id='intervals'>Every KPI at a glance</h3><p>The large dot is the mean, its bar the 95 % "
            "confidence interval; the faint dots are the individual replications. The workforce KPIs are "
            "drawn under <a href='#workforce'>Workforce</a>.</p>"
        )
        drawn, left_out = _drawable(folder, [k for k in folder.kpis if kpi_group(k) != "workforce"])
        fig = interval_figure(folder.stats, folder.replications, drawn, folder.names)
        parts.append(f"<div class='figure'>{_figure(fig, 'intervals')}</div>{_not_drawn(left_out)}")
    parts.append("</section>")
    return "".join(parts)


def _ratio_cell(s: Mapping[str, float]) -> str:
    rr, low, high = s["risk_ratio"], s["rr_ci_low"], s["rr_ci_high"]
    if not math.isfinite(rr):
        return "–"
    ci = f"[{low:.2f}, {high:.2f}]" if math.isfinite(low) and math.isfinite(high) else "n/a"
    return f"{rr:.2f}<span class='ci'>{_e(ci)}</span>"


def _effect_table(folder: OutputFolder, alt: str, kpis: Sequence[str]) -> str:
    base = folder.base
    head = (
        "<tr><th>outcome</th>"
        f"<th class='num'>{_swatch(folder, base)}{_e(base)} (base)<span class='ci'>mean, 95 % CI</span></th>"
        f"<th class='num'>{_swatch(folder, alt)}{_e(alt)}<span class='ci'>mean, 95 % CI</span></th>"
        "<th class='num'>difference<span class='ci'>alt − base, 95 % CI</span></th>"
        "<th class='num'>risk ratio<span class='ci'>alt / base, 95 % CI</span></th></tr>"
    )
    body = []
    for kpi in kpis:
        b, s = _stat(folder, base, kpi), _stat(folder, alt, kpi)
        v = verdict(kpi, s["diff"], s["diff_ci_low"], s["diff_ci_high"])
        body.append(
            f"<tr>{_kpi_cell(kpi)}"
            f"<td class='num'>{_cell(kpi, b['mean'], b['ci_low'], b['ci_high'])}</td>"
            f"<td class='num'>{_cell(kpi, s['mean'], s['ci_low'], s['ci_high'])}</td>"
            f"<td class='num {_verdict_class(v)}' title='{_e(_VERDICT_WORDS[v])}'>"
            f"{_cell(kpi, s['diff'], s['diff_ci_low'], s['diff_ci_high'], diff=True)}</td>"
            f"<td class='num'>{_ratio_cell(s) if kpi in RISK_KPI_NAMES else '–'}</td></tr>"
        )
    return (
        f"<div class='scroll'><table class='kpis effects'><thead>{head}</thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _beside_trials(folder: OutputFolder) -> str:
    kpis = [k for k in TRIAL_FIGURES if k in folder.kpis]
    if not kpis:
        return ""

    def table(names: Sequence[str]) -> str:
        heads = "".join(
            f"<th class='num'>{_swatch(folder, n)}{_e(n)}<span class='ci'>mean, 95 % CI</span></th>"
            for n in names
        )
        body = []
        for kpi in kpis:
            measure, figure = TRIAL_FIGURES[kpi]
            cells = "".join(
                f"<td class='num'>{_cell(kpi, s['mean'], s['ci_low'], s['ci_high'])}</td>"
                for n in names
                for s in [_stat(folder, n, kpi)]
            )
            body.append(f"<tr><td>{_e(measure)}</td><td>{_e(figure)}</td>{_kpi_cell(kpi)}{cells}</tr>")
        return (
            "<div class='scroll'><table class='kpis'><thead><tr><th>the trials' measure</th><th>the trials' "
            f"figure</th><th>closest result here</th>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )

    pages = [
        (f"{_span(chunk)} ({len(chunk)})", table([folder.base, *chunk]))
        for chunk in _chunks(folder.names[1:])
    ] or [("", table([folder.base]))]
    return (
        "<h3 id='beside-trials'>Beside the trials' figures</h3>"
        "<p>What the SE/IPS trials report (the literature figures of the model's domain brief), and the "
        "result of this model closest to it. The trials differ in population, follow-up and in how they "
        "define employment, and they count from randomisation, this model from intake: read them as orders "
        "of magnitude to check the model against, not as targets it must hit. A trial figure for months "
        "worked or time in a job may be over the participants who worked; ours count everybody taken in "
        "(months worked) or every first job (time in it).</p>"
        f"{_pager('Alternatives shown beside the base', pages) if not _many(folder) else _beside_trials_many(folder, pages, kpis)}"
    )


def _beside_trials_many(folder: OutputFolder, pages: Sequence[tuple[str, str]], kpis: Sequence[str]) -> str:
    """Beside the trials for many alternatives: the pages on screen; on paper the trials' figures once,
    then the scenarios as rows."""
    figures = "".join(
        f"<li>{_e(compact_label(k))}: {_e(TRIAL_FIGURES[k][0])}, {_e(TRIAL_FIGURES[k][1])}</li>" for k in kpis
    )
    return (
        f"<div class='screen-only'>{_pager('Alternatives shown beside the base', pages)}</div>"
        f"<div class='print-only'><p>The trials' figures, each beside the result it is closest to:</p>"
        f"<ul class='tight'>{figures}</ul>{_scenario_rows(folder, list(kpis))}</div>"
    )


def _curve_section(folder: OutputFolder) -> str:
    heading = "<h3 id='employment-curve'>Share in paid work, month by month after intake</h3>"
    if folder.curve is None:
        return (
            f"{heading}<p class='callout'>This output folder holds no employment curve (no "
            f"<code>{CURVE_FILE}</code>): it was written by an older version of caseload-sim. Run the same "
            "command again with this version (the same seed gives the same results) and make the report "
            "again to see it.</p>"
        )
    bands = curve_bands(folder.curve, folder.names)
    if bands.empty or not bands["mean"].notna().any():
        return (
            f"{heading}<p class='note'>No intake could be followed for 24 months inside the measurement "
            "window, so there is no curve: the window (run.horizon_days) must be longer than 730 days.</p>"
        )
    cohort = ", ".join(
        f"{name} about {rows['cohort'].iloc[0]:.0f}"
        for name in folder.names
        for rows in [bands[bands["scenario"] == name]]
        if not rows.empty and math.isfinite(rows["cohort"].iloc[0])
    )
    return (
        f"{heading}<p>Of the people taken in early enough in the measurement window to be followed for 24 "
        "months, the share in paid work at each month after their intake (the 24-month cohort of "
        "<code>employed_24m</code> and <code>ever_worked_24m</code>; people per replication: "
        f"{_e(cohort)}). The line is the mean across replications, the band its pointwise 95 % confidence "
        "interval; the dotted lines mark 6, 12, 18 and 24 months. This is how an effect that fades shows: "
        "two curves that part early and meet again later. Work already held at intake is not counted (the "
        "model does not log it), so every curve starts at zero.</p>"
        f"<div class='figure'>{_figure(curve_figure(bands, folder.names), 'employment-curve')}</div>"
    )


def _employment(folder: OutputFolder) -> str:
    """The trial-style outcomes: effects as risk ratios (comparison), the trials' figures, the curve."""
    trial = [k for k in EFFECT_KPIS if k in folder.kpis]
    if not any(k in TRIAL_KPI_NAMES for k in folder.kpis):
        return ""  # a folder written before the trial-style outcomes existed
    parts = [
        '<section id="employment"><h2>Employment after intake, as the trials measure it</h2>',
        "<p>The SE and IPS trials state their results as the employment of the people enrolled, counted "
        "from enrolment: the share <strong>in paid work at</strong> 6, 12, 18 and 24 months (a point in "
        "time), the share who <strong>ever worked</strong> within 12 or 24 months, the months worked, and "
        "how soon and how long the first job. These are measured here the same way, from each person's "
        "intake, over the people who can be followed for the whole period inside the measurement window "
        "(each is defined under <a href='#definitions'>What each result means</a>). A person counts as in work in a job found while followed up and, "
        "after a discharge to work, until the job is lost; after an exit for another reason the model "
        "knows of no job.</p>",
    ]
    if folder.kind == "comparison":
        parts.append(
            "<p>Effects are given as the trials give them: the <strong>difference</strong> of the two risks "
            "(alternative − base, in percentage points, paired replication by replication) and the "
            "<strong>risk ratio</strong> (alternative / base: the ratio of the paired means, with a 95 % "
            "interval by the delta method on the log scale, so that the common random numbers sharpen it "
            "as they sharpen the difference). A risk ratio of 1.5 means half as many again in work; the IPS "
            "trials found 1.6–2.3 against usual services. Differences are coloured as in the results "
            "above.</p>"
        )
        pages = [
            (
                alt,
                f"<h3 id='effect-{i}'>Effect on employment (trial-style): {_scenario_name(folder, alt)} "
                f"compared with {_e(folder.base)}</h3>{_effect_table(folder, alt, trial)}",
            )
            for i, alt in enumerate(folder.names[1:], start=1)
        ]
        if _many(folder):
            parts.append(
                f"<div class='screen-only'>{_pager('Alternative', pages)}</div><p class='print-only note'>"
                "Printed: every alternative's trial-style outcomes, with the risk ratios, are in the results "
                "above (Trial-style outcomes); on screen each alternative has its table here.</p>"
            )
        else:
            parts.append("".join(body for _, body in pages))
    parts.append(_beside_trials(folder))
    parts.append(_curve_section(folder))
    parts.append("</section>")
    return "".join(parts)


def _exits(folder: OutputFolder) -> str:
    fig = exits_figure(folder.stats, folder.names, folder.kpis)
    if fig is None:
        return ""
    return (
        '<section id="exits"><h2>Exits by reason</h2><p>How the candidates who left the caseload during '
        "the measurement window left: to work, to education or health care, by dropping out, at the time "
        "limit, or discharged. Means of the shares across replications, so a bar can miss 100 % "
        "slightly.</p>"
        f"<div class='figure'>{_figure(fig, 'exits')}</div></section>"
    )


def _workforce(folder: OutputFolder) -> str:
    kpis, left_out = _drawable(folder, [k for k in folder.kpis if kpi_group(k) == "workforce"])
    if not kpis:
        return ""
    fig = interval_figure(folder.stats, folder.replications, kpis, folder.names)
    return (
        '<section id="workforce"><h2>Workforce</h2><p>The specialists as people: how stressed they are '
        "(0 = none, 1 = maximal; the average and the level only the most stressed tenth of weeks exceed), "
        "how many quit, how long posts stand empty, how often the caseload asks for more hours than there "
        "are, and how the week is spent. Fuller caseloads tend to mean more stress and more people leaving, "
        "which in turn costs the candidates time. Large dot: mean; bar: 95 % interval; faint dots: "
        "replications.</p>"
        f"<div class='figure'>{_figure(fig, 'workforce')}</div>{_not_drawn(left_out)}</section>"
    )


def _money(x: float) -> str:
    """NOK for prose: ``1.2 million NOK``, ``340,000 NOK``; ``n/a`` if undefined."""
    if not math.isfinite(x):
        return "n/a"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} million NOK"
    return f"{x:,.0f} NOK"


def _cost_comparison(folder: OutputFolder, alt: str, years: float) -> str:
    """In words: the alternative's change in cost and in sustained jobs per year, and their ratio."""
    cost = _stat(folder, alt, "cost_nok")
    jobs = _stat(folder, alt, "sustained_jobs_per_year")
    base = folder.base
    if not (math.isfinite(cost["diff"]) and math.isfinite(jobs["diff"])):
        return ""
    more = "more" if cost["diff"] > 0 else "less"
    words = (
        f"{_scenario_name(folder, alt)} costs <strong>{_e(_money(abs(cost['diff']) / years))} {more} a "
        f"year</strong> than {_e(base)} (95 % CI {_e(_money(cost['diff_ci_low'] / years))} to "
        f"{_e(_money(cost['diff_ci_high'] / years))}) and gives "
        f"<strong>{_e(format_diff('sustained_jobs_per_year', jobs['diff']))} sustained jobs a year</strong> "
        f"(95 % CI {_e(format_interval('sustained_jobs_per_year', jobs['diff_ci_low'], jobs['diff_ci_high'], diff=True))}). "
    )
    if jobs["diff_ci_low"] > 0 and cost["diff"] > 0:
        words += (
            f"That is roughly <strong>{_e(_money(cost['diff'] / years / jobs['diff']))} per extra sustained "
            "job</strong> (the extra cost a year divided by the extra sustained jobs a year; a rough guide, as "
            "both are uncertain)."
        )
    elif jobs["diff_ci_low"] > 0:
        words += "It gives more sustained jobs for less money."
    else:
        words += (
            "It gives no clearly different number of sustained jobs, so no cost per extra job can be given."
        )
    return f"<p>{words}</p>"


def _costs(folder: OutputFolder) -> str:
    parts = [k for k in COST_PART_NAMES if k in folder.kpis]
    years = folder.scenarios[0].run.horizon_days / 365.0
    span = f"{years:.3g} measured year{'s' if years != 1 else ''}"
    fig = costs_figure(folder.stats, folder.names, parts, f"NOK over the {span}")
    if fig is None:
        return ""
    short = {
        "cost_nok": f"total cost, {span}",
        "sustained_jobs_per_year": "sustained jobs a year",
        "cost_per_sustained_job_nok": "cost per sustained job",
    }
    shown = [k for k in short if k in folder.kpis]
    head = "<tr><th>scenario</th>" + "".join(
        f"<th class='num'>{_e(short[k])}<span class='ci'>mean, 95 % CI</span></th>" for k in shown
    )
    comparison = folder.kind == "comparison"
    if comparison:
        head += "<th class='num'>cost per sustained job, change vs base<span class='ci'>95 % CI</span></th>"
    rows = []
    for name in folder.names:
        cells = [f"<td>{_scenario_name(folder, name)}</td>"]
        for k in shown:
            s = _stat(folder, name, k)
            cells.append(f"<td class='num'>{_cell(k, s['mean'], s['ci_low'], s['ci_high'])}</td>")
        if comparison:
            if name == folder.base:
                cells.append("<td class='num'>base</td>")
            else:
                k = "cost_per_sustained_job_nok"
                s = _stat(folder, name, k)
                v = verdict(k, s["diff"], s["diff_ci_low"], s["diff_ci_high"])
                cells.append(
                    f"<td class='num {_verdict_class(v)}' title='{_e(_VERDICT_WORDS[v])}'>"
                    f"{_cell(k, s['diff'], s['diff_ci_low'], s['diff_ci_high'], diff=True)}</td>"
                )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    table = f"<div class='scroll'><table class='kpis'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    words = "".join(_cost_comparison(folder, alt, years) for alt in folder.names[1:]) if comparison else ""
    if words and _many(folder):
        words = f"<details><summary>Each alternative's cost and jobs in words ({len(folder.names) - 1})</summary>{words}</details>"
    return (
        '<section id="costs"><h2>Costs</h2><p>What the service costs, in Norwegian kroner over the '
        f"{_e(span)}, added up from the simulated events: the specialists' posts while someone holds them, "
        "method supervision, the wage subsidies paid to employers (rate × wage × working time, also after "
        "the person has left the caseload while the subsidy runs on), mentor subsidies and mentor training, "
        "and inclusion grants. The prices are scenario parameters (see <a href='#assumptions'>Assumptions</a>); "
        "most are assumptions, so read the costs as a comparison between scenarios more than as a budget.</p>"
        "<p>A <strong>sustained job</strong> is a candidate's first job that the person still holds — or has "
        "swapped for another — a year after it started, whether still followed up or already discharged. "
        "The <strong>cost per sustained job</strong> divides what the service spent during the measured "
        "years that can be followed for a whole year (all but the last) by the sustained jobs that started "
        "in those same years.</p>"
        f"<div class='figure'>{_figure(fig, 'costs')}</div>{table}{words}</section>"
    )


def _series_step(series: pd.DataFrame) -> int:
    """Draw every k-th week so that a series has at most :data:`MAX_SERIES_POINTS` points."""
    weeks = series["time_days"].nunique()
    return max(1, math.ceil(weeks / MAX_SERIES_POINTS))


def _no_series(folder: OutputFolder) -> str:
    command = folder.manifest.get("command")
    again = (
        f": <code>{_e(' '.join(map(str, command)))}</code>"
        if isinstance(command, list)
        else " (the command line is in the manifest below)"
    )
    return (
        f"<p class='callout'>This output folder holds no time series (no <code>{SERIES_FILE}</code>): it "
        "was written by an older version of caseload-sim, which saved only one row of results per "
        "replication. To see how caseloads, queues, employment and stress develop over the simulated "
        f"years, run the same command again with this version{again} — the same seed gives the same "
        "results, now with their weekly series — and then make this report again with "
        f"<code>caseload-sim report {_e(folder.path)}</code>.</p>"
    )


def _over_time(folder: OutputFolder) -> str:
    parts = ['<section id="over-time"><h2>Over time</h2>']
    series = folder.series
    if series is None:
        parts.append(_no_series(folder))
        return "".join(parts) + "</section>"
    counts = _replication_counts(folder)
    n = min(counts.values()) if counts else 0
    every = _series_step(series)
    warmups = [s.run.warmup_days for s in folder.scenarios]
    if max(warmups) > 0:
        start = (
            "Each run starts empty: the <strong>warm-up</strong> (shaded grey) is the time the service needs "
            "to fill up, and the results above leave it out; they are measured over the <strong>measured "
            "window</strong> that follows."
        )
    else:
        start = (
            "Each run starts empty and has no warm-up: the results above are measured from the first day "
            "(the <strong>measured window</strong> is the whole run), as for a service that has just opened."
        )
    parts.append(
        f"<p>How the service develops over the whole simulated run, week by week. {start} Each line is "
        f"the average across the {n} replications of the value at the end of the week; the coloured band "
        "around it is the <strong>95 % confidence interval of that average</strong> "
        "(a Student-t interval across replications, computed separately for each point in time, and cut at "
        "zero where it would reach below). The band "
        "says how precisely the average is known, not how much single weeks vary; where the bands of two "
        "scenarios do not overlap, they clearly differ at that time. Hover over a line for the numbers.</p>"
    )
    if every > 1:
        parts.append(
            f"<p class='note'>To keep this file small, the charts show one point every {every} weeks (the "
            f"values at the end of weeks {every}, {2 * every}, {3 * every}, …); <code>{SERIES_FILE}</code> in "
            "the output folder holds every week.</p>"
        )
    for variable, (heading, axis, explanation) in SHOWN_SERIES.items():
        bands = series_bands(series, variable, folder.names, every)
        if bands.empty or not bands["mean"].notna().any():
            continue
        reference = None
        if variable in _REFERENCE_LINES:
            label, value_of, sentence = _REFERENCE_LINES[variable]
            reference = (label, [value_of(s) for s in folder.scenarios])
            distinct = len(set(reference[1]))
            explanation += (
                f" {sentence}"
                if drawn_reference(reference[1])
                else f" The scenarios have {distinct} different values of the {label}: too many lines to "
                "draw, so they are left out (each is under What changed)."
            )
        fig = series_figure(
            bands, folder.names, axis, warmups, reference=reference, share=variable == "stress_mean"
        )
        parts.append(
            f"<h3 id='series-{_e(variable)}'>{_e(heading)}</h3><p>{_e(explanation)}</p>"
            f"<div class='figure'>{_figure(fig, f'series-{variable}')}</div>"
        )
    return "".join(parts) + "</section>"


_LISTED_VALUES = 4


def _alternatives_values(folder: OutputFolder, values: Sequence[Any], present: Sequence[bool]) -> str:
    """The alternatives' values of one parameter in a few words, for the many-scenario layout."""
    by_value: dict[str, list[str]] = {}
    for name, v, ok in zip(folder.names[1:], values[1:], present[1:], strict=True):
        by_value.setdefault(format_value(v) if ok else "—", []).append(name)
    base = format_value(values[0]) if present[0] else "—"
    if list(by_value) == [base]:
        return "as the base"
    if len(by_value) <= _LISTED_VALUES:
        return "; ".join(
            f"{value} in {names[0] if len(names) == 1 else f'{len(names)} ({_span(names)})'}"
            for value, names in by_value.items()
        )
    numbers = [
        float(v) for v, ok in zip(values[1:], present[1:], strict=True) if ok and isinstance(v, int | float)
    ]
    if len(numbers) == sum(present[1:]):
        return f"{len(by_value)} values, from {format_value(min(numbers))} to {format_value(max(numbers))}"
    return f"{len(by_value)} different values (see What changed)"


def _parameters(folder: OutputFolder) -> str:
    schema = {row["parameter"]: row for row in parameter_table()}
    per_scenario = [
        {label: (path, value) for label, path, value in parameter_rows(s)} for s in folder.scenarios
    ]
    labels = list(dict.fromkeys(label for rows in per_scenario for label in rows))
    tally = {"S": 0, "L": 0, "A": 0, "?": 0}
    body, differing, many = [], 0, _many(folder)
    for label in labels:
        path = next(rows[label][0] for rows in per_scenario if label in rows)
        info = schema[path]
        tag = _provenance_tag(info["provenance"])
        tally[tag] += 1
        values = [rows[label][1] if label in rows else None for rows in per_scenario]
        present = [label in rows for rows in per_scenario]
        differs = len(per_scenario) > 1 and (not all(present) or any(v != values[0] for v in values[1:]))
        differing += differs
        if many:
            first = format_value(values[0]) if present[0] else "—"
            cells = f"<td class='val'>{_e(first)}</td><td class='vals'>{_e(_alternatives_values(folder, values, present))}</td>"
        else:
            cells = "".join(
                f"<td class='val'>{_e(format_value(v)) if ok else '—'}</td>"
                for v, ok in zip(values, present, strict=True)
            )
        mark = "≠ " if differs else ""
        row_class = " class='differs'" if differs else ""
        body.append(
            f"<tr{row_class}><td><code>{_e(mark + label).replace('.', '.<wbr>')}</code></td>{cells}"
            f"<td>{_e(info['unit'])}</td><td>{_e(info['provenance'])}</td><td>{_e(info['meaning'])}</td></tr>"
        )
    if len(folder.names) == 1:
        value_heads = "<th class='num'>value</th>"
    elif many:
        value_heads = (
            f"<th class='num'>{_scenario_name(folder, folder.base)} (base)</th>"
            f"<th>the {len(folder.names) - 1} alternatives</th>"
        )
    else:
        value_heads = "".join(f"<th class='num'>{_swatch(folder, n)}{_e(n)}</th>" for n in folder.names)
    head = f"<tr><th>parameter</th>{value_heads}<th>unit</th><th>provenance</th><th>meaning</th></tr>"
    parts = [
        '<section id="assumptions"><h2>Assumptions and parameters</h2>',
        f"<p>Every number the model was given, as resolved for this {'run' if folder.kind == 'run' else 'comparison'} "
        "(after <code>extends:</code> and defaults), with its unit and where it comes from: "
        "<strong>[S]</strong> a source on NAV's job specialists (regulation, follow-up study, agency "
        "reports), <strong>[L]</strong> the wider research literature, <strong>[A]</strong> an assumption "
        "of the modellers, to be calibrated or varied — the first ones to question. "
        f"Of the {len(labels)} parameters, {tally['S']} are [S], {tally['L']} [L] and {tally['A']} [A] "
        "(by the first label of each).</p>",
    ]
    if len(folder.names) > 1:
        parts.append(
            f"<p>{differing} parameter{'s differ' if differing != 1 else ' differs'} between the "
            "scenarios, marked ≠ and highlighted.</p>"
            "<p class='filter'><label><input type='checkbox' onchange='caseloadFilter(this)'> "
            "show only the parameters that differ</label></p>"
            f"<p class='print-only note'>Printed: only the {differing} that differ; on screen this file "
            f"lists all {len(labels)} with their units and provenance.</p>"
        )
    compared = " class='compared'" if len(folder.names) > 1 else ""
    parts.append(
        f"<div class='scroll'><table id='parameters'{compared}><thead>{head}</thead><tbody>{''.join(body)}"
        "</tbody></table></div></section>"
    )
    return "".join(parts)


def _manifest(folder: OutputFolder) -> str:
    m = folder.manifest
    python, deps, package = (_mapping(m.get(key)) for key in ("python", "dependencies", "package"))
    command = m.get("command")
    rows: list[tuple[str, str]] = [
        ("folder", _e(folder.path)),
        ("kind", _e("comparison of scenarios" if folder.kind == "comparison" else "run of one scenario")),
        ("written by", _e(f"{package.get('name', 'caseload-sim')} {package.get('version', '?')}")),
        (
            "Python",
            _e(" ".join(str(python.get(k, "")) for k in ("implementation", "version")).strip() or "?")
            + (f" <span class='muted'>on {_e(python['platform'])}</span>" if python.get("platform") else ""),
        ),
        ("dependencies", _e(", ".join(f"{k} {v}" for k, v in deps.items()) or "?")),
        ("seed", _e(m.get("seed", "?"))),
        ("replications", _e(m.get("replications", "?"))),
        ("workers", _e(m.get("workers", "?"))),
        ("started", _e(_when(m.get("started")))),
        ("finished", _e(_when(m.get("finished")))),
        ("duration", _e(_duration(m.get("duration_seconds")))),
    ]
    if isinstance(command, list):
        rows.append(("command", f"<code>{_e(' '.join(map(str, command)))}</code>"))
    if folder.kind == "comparison":
        for entry in m.get("scenarios", []):
            if isinstance(entry, Mapping):
                rows.append(
                    (
                        f"scenario {entry.get('name', '?')}",
                        f"file <code>{_e(entry.get('file', '?'))}</code>, SHA-256 <code>{_e(entry.get('sha256', '?'))}</code>",
                    )
                )
    else:
        rows.append(
            (
                f"scenario {m.get('scenario_name', folder.base)}",
                f"file <code>{_e(m.get('scenario_file', '?'))}</code>, "
                f"SHA-256 <code>{_e(m.get('scenario_sha256', '?'))}</code>",
            )
        )
    precision = m.get("precision")
    if isinstance(precision, Mapping):
        rows.append(
            (
                "precision",
                _e(
                    f"{precision.get('rule', '?')}; relative half-width {precision.get('relative_half_width')}; "
                    f"KPIs {', '.join(map(str, _listed(precision.get('kpis'))))}; {precision.get('stopped', '?')} "
                    f"after {precision.get('replications', '?')} replications"
                ),
            )
        )
    if isinstance(m.get("files"), list):
        rows.append(("files", _e(", ".join(map(str, m["files"])))))
    items = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    full = json.dumps(m, indent=2, ensure_ascii=False, sort_keys=False)
    return (
        '<section id="manifest"><h2>Manifest: how to reproduce these numbers</h2>'
        "<p>The same scenario, seed and number of replications on the same versions give exactly the "
        "same numbers, on any number of workers. The SHA-256 identifies the resolved scenario.</p>"
        f"<dl class='kv'>{items}</dl>"
        f"<details class='screen-only'><summary>The full manifest.json</summary><pre class='code'>{_e(full)}</pre>"
        "</details><p class='print-only note'>The full manifest (every resolved parameter of every "
        "scenario, some 30 pages) is not printed: it is in manifest.json and in this file on screen.</p>"
        "</section>"
    )


GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Replication",
        "One simulated history of the scenario: the same rules, its own random referrals, jobs, sick leave "
        "and quits. The numbers in this report are averages over the replications.",
    ),
    (
        "95 % confidence interval (CI)",
        "The range in which the long-run average most likely lies, given the replications run: in brackets "
        "after a number. Intervals are kept inside what a number can be (a share within 0–100 %). A wide "
        "interval means more replications are needed before the number can be relied on.",
    ),
    (
        "Clearly better / worse, unclear",
        "A difference is clear when its 95 % interval excludes zero, and better or worse by the direction "
        "declared for that result (more work is better, longer waits are worse). Unclear: the interval "
        "includes zero, so the simulation cannot tell the two apart.",
    ),
    (
        "Common random numbers (CRN)",
        "Every scenario is run on the same random numbers: the same people are referred with the same luck "
        "wherever the policy does not matter, and each difference is measured replication by replication "
        "(paired). This removes most of the chance from a comparison.",
    ),
    (
        "pp (percentage points)",
        "The difference between two percentages: from 60 % to 65 % is +5 pp (and +8 % in relative terms).",
    ),
    (
        "FTE (full-time equivalent)",
        "One full-time post; a half-time specialist is 0.5 FTE. Caseload caps and targets are per FTE.",
    ),
    (
        "KPI (key performance indicator)",
        "One result measured in each replication, such as the share in work within 12 months of intake or "
        "the mean days on the waiting list.",
    ),
    (
        "Risk, risk difference, risk ratio",
        "A risk is the share of a group with an outcome (for instance in work 12 months after intake). The "
        "trials state effects as the risk difference (alternative − base, in pp) or the risk ratio "
        "(alternative ÷ base; 1.35 means 35 % more often).",
    ),
    (
        "Warm-up",
        "Simulated years before measurement starts, so that a mature service is measured rather than one "
        "filling its caseloads from empty. Chosen with MSER-5.",
    ),
    (
        "MSER-5",
        "A standard rule for the warm-up (White's marginal standard error rule on batches of 5): cut the "
        "start of the series where dropping it makes the remaining average most precise.",
    ),
    (
        "Stress (0 to 1)",
        "The model's index of a specialist's strain: 0 calm, 1 the most strained; it rises with overload, "
        "target pressure and crises, falls with support, and drives sick leave and quits.",
    ),
)
"""Words a planner meets in the report, in the order they are met."""


def _definitions(folder: OutputFolder) -> str:
    """Every KPI of the folder defined in words, by group: what the tables' machine names link to."""
    parts = [
        '<section id="definitions"><h2>What each result means</h2><p>Every result in this report, by group: '
        "its label, the name it has in the output files (<code>replications.csv</code>, "
        "<code>comparison.csv</code>), which direction counts as better, and what it counts — over whom, over "
        "what time and in what unit. The measured window is the simulated time after the warm-up.</p>"
    ]
    for group, kpis in _grouped(folder.kpis):
        items = "".join(
            f"<dt id='def-{_e(k)}'>{_e(kpi_label(k))} <code class='name'>{_e(k)}</code> "
            f"<span class='muted'>{_e(_BETTER_WORDS[better_direction(k)])}</span></dt>"
            f"<dd>{_e(kpi_definition(k) or 'A result without a definition in this version of caseload-sim.')}</dd>"
            for k in kpis
        )
        parts.append(f"<h3>{_e(GROUPS[group])}</h3><dl class='glossary defs'>{items}</dl>")
    parts.append("</section>")
    return "".join(parts)


def _glossary() -> str:
    items = "".join(f"<dt>{_e(term)}</dt><dd>{_e(text)}</dd>" for term, text in GLOSSARY)
    return f'<section id="glossary"><h2>Words used in this report</h2><dl class="glossary">{items}</dl></section>'


def _about(folder: OutputFolder) -> str:
    return (
        '<section id="about"><h2>About this report</h2>'
        f"<p class='note'>Made by <code>caseload-sim report</code> (caseload-sim {_e(__version__)}) from the "
        "files in the output folder, without re-running the model: "
        f"{'summary.csv' if folder.kind == 'run' else 'comparison.csv'}, replications.csv"
        f"{', ' + SERIES_FILE if folder.series is not None else ''} and manifest.json. The file is "
        "self-contained and works offline. The words it uses are explained under "
        "<a href='#glossary'>Words used in this report</a>, and every result under "
        "<a href='#definitions'>What each result means</a>; docs/model.md in the caseload-sim repository "
        "has the model behind them.</p></section>"
    )


def _focus(folder: OutputFolder) -> str:
    """The scenario picker of the charts, for more scenarios than colours stay apart (else nothing)."""
    if len(folder.names) <= MANY_SCENARIOS:
        return ""
    options = "".join(f"<option value='{_e(n)}'>{_e(n)}</option>" for n in folder.names)
    return (
        "<div class='focus'><label>Scenario in focus in every chart: <select onchange='caseloadFocus(this)'>"
        f"<option value=''>none (all alike)</option>{options}</select></label> "
        f"<span class='muted'>{len(folder.names)} scenarios: the base is drawn dark and thick, the alternatives "
        "shade from purple to yellow in their order; the one in focus keeps its colour and band, the "
        "rest fade.</span></div>"
    )


def _toc(
    folder: OutputFolder,
    has_exits: bool,
    has_workforce: bool,
    has_costs: bool = False,
    has_employment: bool = False,
) -> str:
    links = [("summary", "In short"), ("warnings", "Warnings")]
    if folder.kind == "comparison":
        links.append(("changes", "What changed"))
    links.append(("results", "Results"))
    if has_employment:
        links.append(("employment", "Employment"))
    if has_exits:
        links.append(("exits", "Exits"))
    if has_workforce:
        links.append(("workforce", "Workforce"))
    if has_costs:
        links.append(("costs", "Costs"))
    links += [
        ("over-time", "Over time"),
        ("assumptions", "Assumptions"),
        ("definitions", "Definitions"),
        ("glossary", "Words used"),
        ("manifest", "Manifest"),
    ]
    return "<nav class='toc'>" + "".join(f"<a href='#{a}'>{_e(t)}</a>" for a, t in links) + "</nav>"


def render_report(folder: OutputFolder) -> str:
    """The whole report as one self-contained HTML document.

    Parameters
    ----------
    folder
        A checked output folder (:func:`caseload_sim.report.folder.read_output_folder`).

    Returns
    -------
    str
        A complete HTML5 page; plotly.js is embedded once, nothing is loaded from the
        network. The same folder always gives the same string.
    """
    title = _title(folder)
    employment = _employment(folder)
    exits = _exits(folder)
    workforce = _workforce(folder)
    costs = _costs(folder)
    m = folder.manifest
    package = _mapping(m.get("package"))
    subtitle = _e(
        f"{'Run' if folder.kind == 'run' else 'Comparison'} of {m.get('replications', '?')} replications, "
        f"seed {m.get('seed', '?')}, finished {_when(m.get('finished'))} — written by caseload-sim "
        f"{package.get('version', '?')}"
    )
    body = "".join(
        [
            _summary(folder),
            _warnings(report_warnings(folder)),
            _changes(folder) if folder.kind == "comparison" else "",
            _results(folder),
            employment,
            exits,
            workforce,
            costs,
            _over_time(folder),
            _parameters(folder),
            _definitions(folder),
            _glossary(),
            _manifest(folder),
            _about(folder),
        ]
    )
    # plotly.js is inlined as shipped; the text "</script" never occurs inside it.
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<meta name='{REPORT_MARKER}' content='{results_digest(m)}'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script>{_FILTER_JS}</script>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n<main>\n"
        f"<header class='top'><h1>{_e(title)}</h1><p class='sub'>{subtitle}</p></header>\n"
        f"{_toc(folder, bool(exits), bool(workforce), bool(costs), bool(employment))}\n{_focus(folder)}{body}\n</main>\n</body>\n</html>\n"
    )
