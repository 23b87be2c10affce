"""The KPIs as a planner reads them: plain labels, groups, units and verdicts.

The KPI column names (``work_12m``, ``stress_p90``, ...) are an interface for
machines; a planner needs "In paid work within 12 months of intake". This module holds
the words and the number formats the report uses, and the one rule by which it calls a
difference better or worse: a difference is *clear* when its 95 % confidence interval
excludes zero, and it is *better* or *worse* by the KPI's declared direction
(:data:`caseload_sim.metrics.KPI_BETTER`). A KPI the code does not know yet (a column
added later) still gets a group and a format from its name (``cost_*``/``*_nok`` are
money), so a newer output folder never breaks an older report.

Everything here is pure: names and numbers in, strings out.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from caseload_sim.metrics import (
    EXIT_SHARE_NAMES,
    FLOW_KPI_NAMES,
    KPI_BETTER,
    RISK_KPI_NAMES,
    TRIAL_KPI_NAMES,
    WORKFORCE_KPI_NAMES,
)

__all__ = [
    "ALTERNATIVES_PER_TABLE",
    "GROUPS",
    "MIN_REPLICATIONS",
    "HEADLINE_KPIS",
    "better_direction",
    "change_with_interval",
    "compact_change",
    "compact_interval",
    "compact_label",
    "compact_value",
    "format_diff",
    "format_interval",
    "format_value",
    "is_share",
    "kpi_group",
    "kpi_label",
    "kpi_unit",
    "short_label",
    "trade_off",
    "unit_words",
    "verdict",
]

#: The report's KPI groups, in display order: key -> title.
GROUPS: dict[str, str] = {
    "placements": "Placements: work, exits and retention",
    "trial": "Trial-style outcomes: employment after intake",
    "flow": "Flow: referrals, waiting and caseloads",
    "workforce": "Workforce: stress, turnover and working time",
    "costs": "Costs",
    "other": "Other KPIs",
}

#: Plain-language label of each known KPI.
_LABELS: dict[str, str] = {
    "work_12m": "In paid work within 12 months of intake",
    "permanent_12m": "In a permanent job within 12 months of intake",
    "days_to_first_job_median": "Days from intake to first job (median)",
    "retention_6m": "Still in work 6 months after the first job start",
    "exit_work_permanent_share": "Exits to a permanent job",
    "exit_work_temporary_share": "Exits to a fixed-term or on-call job",
    "exit_education_share": "Exits to education",
    "exit_health_share": "Exits to health treatment or disability benefit",
    "exit_dropout_share": "Exits by dropping out (lost contact, declined)",
    "exit_time_limit_share": "Exits at the time limit, without a job",
    "exit_discharged_share": "Discharged for not progressing",
    "exits_to_work_per_fte_year": "Exits to work per specialist per year",
    "wait_days_mean": "Days on the waiting list (mean; those still waiting counted so far)",
    "queue_mean": "People on the waiting list (average)",
    "caseload_mean": "Candidates per full-time specialist (average)",
    "intakes_per_year": "Intakes per year",
    "referrals_per_year": "Referrals per year",
    "time_on_caseload_mean": "Days on the caseload (mean)",
    "wait_days_km_median": "Days from referral to intake if nobody left the list (median)",
    "potential_referrals_per_year": "People case workers would refer, per year (the demand)",
    "not_referred_share": "Demand not referred (withheld or turned away)",
    "renege_share": "Referred people who left the waiting list",
    "unmet_demand_share": "Demand that goes unmet (not referred, or left the list)",
    "intake_capacity_per_year": "Intakes a year the staffed slots allow (slots / mean stay)",
    "demand_capacity_ratio": "Demand over what the team(s) can take in",
    "queue_trend_per_year": "Change of the waiting list per year (least-squares slope)",
    "turnover_annual": "Specialists quitting per year (share of staff)",
    "vacancy_fte_months": "Months of empty posts per year (full-time)",
    "stress_mean": "Specialists' stress, 0 to 1 (average)",
    "stress_p90": "Stress of the most stressed tenth of weeks, 0 to 1",
    "overload_share": "Weeks with more work than time",
    "outside_time_share": "Working time spent outside the office",
    "employer_visits_per_week": "Employer visits per full-time week",
    "team_target_met_share": "Team-years meeting the into-work target",
    "sustained_jobs_per_year": "Sustained jobs per year (in work a year after the first job began)",
    "employed_6m": "In paid work 6 months after intake",
    "employed_12m": "In paid work 12 months after intake",
    "employed_18m": "In paid work 18 months after intake",
    "employed_24m": "In paid work 24 months after intake",
    "ever_worked_24m": "Ever in paid work within 24 months of intake",
    "never_worked_24m": "Never in paid work within 24 months of intake",
    "months_worked_24m": "Months in paid work in the 24 months after intake",
    "days_to_first_job_mean": "Days from intake to first job, of those who found one within 24 months (mean)",
    "first_job_days_median": "Days in the first job (median, Kaplan-Meier)",
    "first_job_months_24m": "Months in the first job, of its first 24 (mean)",
    "months_worked_from_first_job_24m": "Months in paid work in the 24 months from the first job (mean)",
    "cost_nok": "Total cost over the measured years (NOK)",
    "cost_specialists_nok": "Cost of the specialists' posts (NOK)",
    "cost_supervision_nok": "Cost of method supervision (NOK)",
    "cost_wage_subsidy_nok": "Wage subsidies paid (NOK)",
    "cost_mentor_nok": "Mentor subsidies and training (NOK)",
    "cost_inclusion_grant_nok": "Inclusion grants (NOK)",
    "cost_per_sustained_job_nok": "Cost per sustained job (NOK)",
}

#: Short labels for an 80-column terminal (at most 24 characters); the unit goes with the number.
_SHORT: dict[str, str] = {
    "work_12m": "In work within 12 mo",
    "permanent_12m": "Permanent job in 12 mo",
    "days_to_first_job_median": "To first job (median)",
    "retention_6m": "Still in work 6 mo on",
    "exit_work_permanent_share": "Exits: permanent job",
    "exit_work_temporary_share": "Exits: temporary job",
    "exit_education_share": "Exits: education",
    "exit_health_share": "Exits: health",
    "exit_dropout_share": "Exits: dropped out",
    "exit_time_limit_share": "Exits: time limit",
    "exit_discharged_share": "Exits: discharged",
    "exits_to_work_per_fte_year": "Exits to work per FTE",
    "wait_days_mean": "Wait (mean)",
    "queue_mean": "Waiting list (mean)",
    "caseload_mean": "Caseload per FTE",
    "intakes_per_year": "Intakes",
    "referrals_per_year": "Referrals",
    "time_on_caseload_mean": "Time on caseload",
    "wait_days_km_median": "Wait (KM median)",
    "potential_referrals_per_year": "Demand (would refer)",
    "not_referred_share": "Demand not referred",
    "renege_share": "Left the waiting list",
    "unmet_demand_share": "Demand unmet",
    "intake_capacity_per_year": "Intake capacity",
    "demand_capacity_ratio": "Demand / capacity",
    "queue_trend_per_year": "Waiting list trend",
    "turnover_annual": "Specialists quitting",
    "vacancy_fte_months": "Vacant posts",
    "stress_mean": "Stress, 0-1 (mean)",
    "stress_p90": "Stress, 0-1 (90th pct)",
    "overload_share": "Weeks overloaded",
    "outside_time_share": "Time outside office",
    "employer_visits_per_week": "Employer visits",
    "team_target_met_share": "Team-years on target",
    "sustained_jobs_per_year": "Sustained jobs",
    "employed_6m": "Employed at 6 mo",
    "employed_12m": "Employed at 12 mo",
    "employed_18m": "Employed at 18 mo",
    "employed_24m": "Employed at 24 mo",
    "ever_worked_24m": "Ever worked in 24 mo",
    "never_worked_24m": "Never worked in 24 mo",
    "months_worked_24m": "Worked, of 24 mo",
    "days_to_first_job_mean": "To first job (mean)",
    "first_job_days_median": "First job lasts (median)",
    "first_job_months_24m": "First job, of 24 mo",
    "months_worked_from_first_job_24m": "Worked from 1st job",
    "cost_nok": "Cost, total",
    "cost_specialists_nok": "Cost: specialists",
    "cost_supervision_nok": "Cost: supervision",
    "cost_wage_subsidy_nok": "Cost: wage subsidies",
    "cost_mentor_nok": "Cost: mentors",
    "cost_inclusion_grant_nok": "Cost: inclusion grants",
    "cost_per_sustained_job_nok": "Cost per sustained job",
}

#: The unit of a KPI that is neither a share (shown in %) nor money (NOK).
_UNITS: dict[str, str] = {
    "days_to_first_job_median": "days",
    "days_to_first_job_mean": "days",
    "wait_days_mean": "days",
    "wait_days_km_median": "days",
    "time_on_caseload_mean": "days",
    "first_job_days_median": "days",
    "months_worked_24m": "months",
    "first_job_months_24m": "months",
    "months_worked_from_first_job_24m": "months",
    "vacancy_fte_months": "FTE-months/yr",
    "queue_mean": "people",
    "caseload_mean": "people",
    "queue_trend_per_year": "people/yr",
    "intakes_per_year": "/yr",
    "referrals_per_year": "/yr",
    "potential_referrals_per_year": "/yr",
    "intake_capacity_per_year": "/yr",
    "sustained_jobs_per_year": "/yr",
    "exits_to_work_per_fte_year": "/FTE-yr",
    "employer_visits_per_week": "/FTE-week",
    "demand_capacity_ratio": "×",
}

ALTERNATIVES_PER_TABLE = 4
"""Alternatives side by side in one table, in the report and in the terminal; with more, both lay
the comparison out for many (one row per alternative)."""

MIN_REPLICATIONS = 10
"""Below this many replications the intervals are wide and themselves uncertain: the report and the
terminal warn."""

#: The KPIs the plain-language summary mentions, when present.
HEADLINE_KPIS: tuple[str, ...] = (
    "work_12m",
    "exits_to_work_per_fte_year",
    "sustained_jobs_per_year",
    "wait_days_mean",
    "unmet_demand_share",
    "stress_mean",
    "turnover_annual",
    "cost_per_sustained_job_nok",
)


def kpi_group(kpi: str) -> str:
    """The key in :data:`GROUPS` a KPI belongs to."""
    if kpi in TRIAL_KPI_NAMES:
        return "trial"
    if kpi in FLOW_KPI_NAMES:
        return "flow"
    if kpi in WORKFORCE_KPI_NAMES:
        return "workforce"
    if kpi.startswith("cost_") or kpi.endswith("_nok"):
        return "costs"
    if kpi in KPI_BETTER or kpi in EXIT_SHARE_NAMES or kpi.startswith("exit_"):
        return "placements"
    return "other"


def kpi_label(kpi: str) -> str:
    """A plain-language label; the column name itself for a KPI not described here."""
    return _LABELS.get(kpi, kpi)


def short_label(kpi: str) -> str:
    """A label of at most 24 characters for the terminal; the column name for a KPI not described here."""
    return _SHORT.get(kpi, kpi)


def kpi_unit(kpi: str) -> str:
    """The KPI's unit as printed after its number: ``%``, ``NOK``, ``days``, ``/yr``, ... ('' for an index)."""
    if is_share(kpi):
        return "%"
    if _is_money(kpi):
        return "NOK"
    return _UNITS.get(kpi, "")


def better_direction(kpi: str) -> int:
    """+1 if higher is better, -1 if lower is better, 0 if neither (or unknown)."""
    return int(KPI_BETTER.get(kpi, 0))


def is_share(kpi: str) -> bool:
    """Whether a KPI is a share (0 to 1), shown as a percentage."""
    return kpi.endswith("_share") or kpi in ("retention_6m", "turnover_annual", *RISK_KPI_NAMES)


def _is_money(kpi: str) -> bool:
    return kpi.startswith("cost_") or kpi.endswith("_nok")


def _number(x: float) -> str:
    """Three significant digits below 100; whole numbers with separators from 100 (as the CLI)."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    text = f"{x:.3g}"
    return "0" if text == "-0" else text


#: The unit in words after a number in the report (the terminal's short forms are in _UNITS).
_UNIT_WORDS: dict[str, str] = {
    "/yr": "per year",
    "/FTE-yr": "per FTE-year",
    "/FTE-week": "per FTE-week",
    "FTE-months/yr": "FTE-months per year",
    "people/yr": "people per year",
    "×": "×",
}


def unit_words(kpi: str) -> str:
    """The unit written after a number of a KPI that is neither a share nor money ('' for an index)."""
    unit = _UNITS.get(kpi, "")
    return _UNIT_WORDS.get(unit, unit)


def _with_unit(kpi: str, text: str) -> str:
    unit = unit_words(kpi)
    return f"{text} {unit}" if unit else text


def format_value(kpi: str, x: float) -> str:
    """A KPI value with its unit: ``72.8 %``, ``167 days``, ``1,250,000 NOK``; ``n/a`` if undefined."""
    if not math.isfinite(x):
        return "n/a"
    if is_share(kpi):
        return f"{100 * x:.1f} %"
    if _is_money(kpi):
        return f"{x:,.0f} NOK"
    return _with_unit(kpi, _number(x))


def format_diff(kpi: str, x: float) -> str:
    """A difference with its sign and unit: ``+2.1 pp`` (percentage points) for shares, ``+14.6 days``."""
    if not math.isfinite(x):
        return "n/a"
    sign = "+" if x > 0 else ""
    if is_share(kpi):
        return f"{sign}{100 * x:.1f} pp"
    if _is_money(kpi):
        return f"{sign}{x:,.0f} NOK"
    return _with_unit(kpi, sign + _number(x))


def format_interval(kpi: str, low: float, high: float, diff: bool = False) -> str:
    """``[low, high]`` in the KPI's format (signed when ``diff``), or ``n/a``; a unit in words once, after."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    fmt = format_diff if diff else format_value
    unit = unit_words(kpi)
    if unit and not (is_share(kpi) or _is_money(kpi)):
        ends = [fmt(kpi, v).removesuffix(" " + unit) for v in (low, high)]
        return f"[{ends[0]}, {ends[1]}] {unit}"
    return f"[{fmt(kpi, low)}, {fmt(kpi, high)}]"


# --- compact: the unit in the label, bare numbers in the cells (terminal, summary tables)
def compact_label(kpi: str) -> str:
    """A short label with the unit its compact values are in: ``Wait (mean) (days)``, ``Cost per sustained job (kNOK)``."""
    unit = "kNOK" if _is_money(kpi) else kpi_unit(kpi)
    return f"{short_label(kpi)} ({unit})" if unit else short_label(kpi)


def compact_value(kpi: str, x: float) -> str:
    """A value in the unit its label names: a share in %, money in thousands of NOK."""
    if not math.isfinite(x):
        return "n/a"
    if is_share(kpi):
        return f"{100 * x:.1f}"
    if _is_money(kpi):
        return f"{x / 1000:,.0f}"
    return _number(x)


def compact_change(kpi: str, x: float) -> str:
    """A difference with its sign; a share's in percentage points (``+2.3 pp``)."""
    if not math.isfinite(x):
        return "n/a"
    text = compact_value(kpi, x)
    text = text if text.startswith("-") or text in ("0", "0.0") else "+" + text
    return f"{text} pp" if is_share(kpi) else text


def compact_interval(kpi: str, low: float, high: float, fmt: Callable[[str, float], str]) -> str:
    """``[low, high]`` formatted by ``fmt`` (:func:`compact_value` or :func:`compact_change`), no unit."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"[{fmt(kpi, low).removesuffix(' pp')}, {fmt(kpi, high).removesuffix(' pp')}]"


def _decimals(kpi: str, low: float, high: float) -> int | None:
    """Decimals a change can be given to: two significant digits of its interval's half-width
    (in the unit shown), at most 4; None when there is no interval."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return None
    half = (high - low) / 2 * _scale(kpi)
    return int(min(4, max(0, 1 - math.floor(math.log10(half)))))


def _scale(kpi: str) -> float:
    """From a KPI's own unit to the one shown: shares in %, money in thousands of NOK."""
    return 100.0 if is_share(kpi) else 1e-3 if _is_money(kpi) else 1.0


def _fixed(kpi: str, x: float, decimals: int, signed: bool) -> str:
    r = round(x * _scale(kpi), decimals) + 0.0  # + 0.0: no "-0"
    return f"{r:{'+' if signed and r != 0 else ''},.{decimals}f}"


def change_with_interval(kpi: str, d: float, low: float, high: float) -> tuple[str, str]:
    """A paired change and its 95 % CI, both to the precision the interval supports (shares in pp)."""
    decimals = _decimals(kpi, low, high)
    if decimals is None or not math.isfinite(d):
        return compact_change(kpi, d), compact_interval(kpi, low, high, compact_change)
    unit = " pp" if is_share(kpi) else ""
    shown = _fixed(kpi, d, decimals, signed=True)
    return shown + unit, f"[{_fixed(kpi, low, decimals, True)}, {_fixed(kpi, high, decimals, True)}]"


def verdict(kpi: str, diff: float, low: float, high: float) -> str:
    """What a paired difference says: ``better``, ``worse``, ``higher``, ``lower``, ``same``, ``unclear`` or ``n/a``.

    Clear (better/worse, or higher/lower for a KPI without a direction) only when the
    95 % interval excludes zero; ``same`` when the difference is zero in every
    replication (a zero difference with a zero-width interval); ``unclear`` when the
    interval includes zero; ``n/a`` when the difference or its interval is undefined.
    """
    if not (math.isfinite(diff) and math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    if diff == low == high == 0.0:
        return "same"
    if low <= 0.0 <= high:
        return "unclear"
    up = low > 0.0
    direction = better_direction(kpi)
    if direction == 0:
        return "higher" if up else "lower"
    return "better" if up == (direction > 0) else "worse"


#: The headline results as nouns, for a trade-off sentence ("no clear difference in …").
_TRADE_WORDS: dict[str, str] = {
    "work_12m": "the share in paid work within 12 months",
    "exits_to_work_per_fte_year": "exits to work per specialist",
    "sustained_jobs_per_year": "sustained jobs",
    "wait_days_mean": "waiting",
    "unmet_demand_share": "unmet demand",
    "stress_mean": "stress",
    "turnover_annual": "quits",
    "cost_per_sustained_job_nok": "cost per sustained job",
}
_MORE_WORDS: dict[str, str] = {
    "exits_to_work_per_fte_year": "exits to work per specialist a year",
    "sustained_jobs_per_year": "sustained jobs a year",
}


def _two(x: float) -> str:
    """Two significant digits, whole numbers from 10: ``0.47``, ``3.1``, ``12``."""
    x = abs(x)
    return f"{x:,.0f}" if x >= 10 else f"{x:.2g}"


def _change_words(kpi: str, base: float, alt: float, diff: float) -> str:
    """One headline change in words: "4.9 pp more in paid work within 12 months of intake",
    "a wait 3.2 times as long (21 days, not 6.5)", "12 % less stress for the specialists"."""
    up = diff > 0
    if kpi == "wait_days_mean" and base > 0 and alt / base >= 1.5:
        return f"a wait {alt / base:.1f} times as long ({_two(alt)} days, not {_two(base)})"
    if kpi == "wait_days_mean" and alt > 0 and base / alt >= 1.5:
        return f"a wait {base / alt:.1f} times shorter ({_two(alt)} days, not {_two(base)})"
    if kpi == "wait_days_mean":
        return f"{_two(diff)} {'more' if up else 'fewer'} days of waiting"
    if kpi == "work_12m":
        return f"{_two(100 * diff)} pp {'more' if up else 'fewer'} in paid work within 12 months of intake"
    if kpi == "unmet_demand_share":
        return f"{_two(100 * diff)} pp {'more' if up else 'less'} of the demand unmet"
    if kpi == "turnover_annual":
        return f"{_two(100 * diff)} pp {'more' if up else 'fewer'} specialists quitting a year"
    if kpi.startswith("stress_") and base > 0:
        return f"{_two(100 * diff / base)} % {'more' if up else 'less'} stress for the specialists"
    if _is_money(kpi) and base > 0:
        return (
            f"a {kpi_label(kpi).removesuffix(' (NOK)').lower()} {_two(100 * diff / base)} % "
            f"{'higher' if up else 'lower'} ({alt:,.0f} NOK, not {base:,.0f})"
        )
    noun = _MORE_WORDS.get(kpi, kpi_label(kpi).lower())
    if is_share(kpi):
        return f"{_two(100 * diff)} pp {'more' if up else 'less'} {noun}"
    return f"{_two(diff)} {'more' if up else 'fewer'} {noun}"


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def trade_off(alt: str, base: str, stats: dict[str, dict[str, float]], base_means: dict[str, float]) -> str:
    """The trade-off of an alternative on the headline results, in one or two sentences.

    ``stats[kpi]`` holds the alternative's ``mean``, ``diff``, ``diff_ci_low`` and
    ``diff_ci_high``; ``base_means[kpi]`` the base's mean. Only clear differences (95 %
    interval excluding zero) are weighed; the headline results with no clear difference
    are named after. E.g. "cap12: +4.9 pp in paid work within 12 months of intake and -12 %
    specialists' stress (0–1), for a wait 3.3 times as long (21 days, not 6.5)."
    """
    gains, losses, unclear = [], [], []
    for kpi in HEADLINE_KPIS:
        if kpi not in stats or kpi not in base_means:
            continue
        s, b = stats[kpi], base_means[kpi]
        said = verdict(kpi, s["diff"], s["diff_ci_low"], s["diff_ci_high"])
        if said == "better":
            gains.append(_change_words(kpi, b, s["mean"], s["diff"]))
        elif said == "worse":
            losses.append(_change_words(kpi, b, s["mean"], s["diff"]))
        elif said == "unclear":
            unclear.append(_TRADE_WORDS.get(kpi, kpi_label(kpi)))
    if gains and losses:
        text = f"{alt}: {_joined(gains)}, for {_joined(losses)}."
    elif gains:
        text = f"{alt}: {_joined(gains)}, with no clear loss on the headline results."
    elif losses:
        text = f"{alt}: {_joined(losses)}, with no clear gain on the headline results."
    else:
        text = f"{alt}: no clear difference from {base} on the headline results."
    if unclear and (gains or losses):
        text += f" No clear difference in {_joined(unclear)}."
    return text
