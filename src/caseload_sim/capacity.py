"""Do referrals exceed what the teams can take in? Findings in plain words, from KPI summaries.

A team whose caseloads are full can take in people only as fast as others leave:
``intake_capacity_per_year`` (slots over the mean stay). When more people are
referred than that (``demand_capacity_ratio`` above 1), a waiting list that keeps
everyone grows without bound — its waits then depend on how long one looks, and no
warm-up makes it settle. With the waiting list's responses on (``waiting_list`` in the
scenario) it is held instead by people sent elsewhere or leaving it, and that unmet
demand is the price. :func:`capacity_findings` says which of these a run shows, in
words a planner reads; ``caseload-sim run``, the HTML report and ``caseload-sim
warmup`` all use it, so they say the same thing.

Pure: numbers in, sentences out. ``stats`` maps a KPI name to its ``mean``, ``ci_low``
and ``ci_high`` across replications (a KPI missing from an older output folder just
gives fewer findings).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "GROWTH_SHARE",
    "NEAR_CAPACITY",
    "UNMET_NOTED",
    "CapacityFinding",
    "capacity_findings",
]

NEAR_CAPACITY = 0.95
"""A demand/capacity ratio at or above this (but not clearly above 1) is reported as "close"."""
UNMET_NOTED = 0.005
"""Unmet shares below this (half a percent) count as none."""
GROWTH_SHARE = 0.25
"""A list "still grows" when its trend is clearly positive and adds, over the window, at least
this share of the average queue (and at least one person)."""


@dataclass(frozen=True)
class CapacityFinding:
    """One finding: a short title and the sentences that explain it."""

    kind: str  # "exceeds", "unbounded", "growing" or "close"
    title: str
    text: str


def _get(stats: Mapping[str, Mapping[str, float]], kpi: str) -> tuple[float, float, float]:
    s = stats.get(kpi) or {}
    return (
        float(s.get("mean", math.nan)),
        float(s.get("ci_low", math.nan)),
        float(s.get("ci_high", math.nan)),
    )


def _share(x: float) -> str:
    return f"{100 * x:.0f} %" if x >= 0.01 else f"{100 * x:.1f} %"


def _interval(lo: float, hi: float, digits: int) -> str:
    return f" [{lo:.{digits}f}, {hi:.{digits}f}]" if math.isfinite(lo) and math.isfinite(hi) else ""


def capacity_findings(
    stats: Mapping[str, Mapping[str, float]],
    *,
    teams: int = 1,
    years: float = 1.0,
    list_closes: bool | None = None,
    window: str = "the measured window",
) -> list[CapacityFinding]:
    """What the demand/capacity KPIs say, as findings (empty: nothing to say).

    ``teams`` (team copies in the scenario) picks "the team" or "the N teams";
    ``years`` is the length of the measured window, to judge whether the list's trend
    is material; ``list_closes`` (the scenario's ``waiting_list.closes``, None if not
    known) words who sends people elsewhere; ``window`` names the span the KPIs were
    measured over. The rules, on the means and 95 % intervals across replications:

    * **exceeds** — ``demand_capacity_ratio`` clearly above 1 (its interval above 1, or
      its mean when there is no interval) and some demand goes unmet: the list is held
      by people leaving it and/or people sent elsewhere before they join it;
    * **unbounded** — the same excess with (next to) no unmet demand: nothing holds the
      list, it grows without bound and has no steady state;
    * **growing** — otherwise, a list whose ``queue_trend_per_year`` is clearly positive
      and material (:data:`GROWTH_SHARE`): it has not settled within the window;
    * **close** — otherwise, a ratio of :data:`NEAR_CAPACITY` or more.
    """
    ratio, r_lo, r_hi = _get(stats, "demand_capacity_ratio")
    if not math.isfinite(ratio):
        return []
    demand = _get(stats, "potential_referrals_per_year")[0]
    capacity = _get(stats, "intake_capacity_per_year")[0]
    unmet = _get(stats, "unmet_demand_share")[0]
    not_referred = _get(stats, "not_referred_share")[0]
    trend, t_lo, t_hi = _get(stats, "queue_trend_per_year")
    queue = _get(stats, "queue_mean")[0]
    who = "the team" if teams == 1 else f"the {teams} teams"
    numbers = f"({demand:.0f} a year) " if math.isfinite(demand) else ""
    room = f" ({capacity:.0f} a year; demand/capacity {ratio:.2f}{_interval(r_lo, r_hi, 2)})"
    growing = (
        math.isfinite(t_lo)
        and t_lo > 0.0
        and trend * years >= max(1.0, GROWTH_SHARE * (queue if math.isfinite(queue) else 0.0))
    )
    growth = f"{trend:.1f} people a year{_interval(t_lo, t_hi, 1)}" if math.isfinite(trend) else ""
    exceeds = ratio > 1.0 and (r_lo > 1.0 if math.isfinite(r_lo) else True)
    unmet = unmet if math.isfinite(unmet) else 0.0
    if exceeds and unmet >= UNMET_NOTED:
        left = unmet - (not_referred if math.isfinite(not_referred) else 0.0)
        held = []
        if left >= UNMET_NOTED:
            held.append("people leaving it")
        if math.isfinite(not_referred) and not_referred >= UNMET_NOTED:
            who_sends = {
                None: "case workers referring fewer, or a closed list",
                False: "case workers referring fewer",
                True: "case workers referring fewer, and the closed list",
            }[list_closes]
            held.append(f"people sent elsewhere before they join it ({who_sends})")
        how = " and by ".join(held) if held else "people going elsewhere"
        text = (
            f"Referrals {numbers}exceed what {who} can take in{room}: {_share(unmet)} of the demand goes "
            f"unmet; the waiting list is held by {how}."
        )
        if growing:
            text += f" It still grows through {window}, by {growth}."
        return [CapacityFinding("exceeds", f"Referrals exceed what {who} can take in", text)]
    if exceeds:
        text = (
            f"Referrals {numbers}exceed what {who} can take in{room}, and nothing holds the waiting list "
            "(nobody is sent elsewhere or leaves it): it grows without bound"
            + (f" — by {growth} in {window} —" if growth else "")
            + " and has no steady state, so every waiting figure depends on how long one looks, and no "
            "warm-up makes it settle. Add capacity, lower the referrals, or let the waiting list respond "
            "(the waiting_list section of the scenario)."
        )
        return [
            CapacityFinding(
                "unbounded", f"Referrals exceed what {who} can take in; the list has no bound", text
            )
        ]
    if growing:
        text = (
            f"The number waiting rises by {growth} over {window} (on average {queue:.1f} "
            f"waiting): the list has not settled, so the waiting figures describe a moment, not a steady "
            f"state. Demand is {ratio:.2f}{_interval(r_lo, r_hi, 2)} of what {who} can take in; a longer "
            "warm-up (run.warmup_days) lets the list settle first."
        )
        return [CapacityFinding("growing", f"The waiting list still grows through {window}", text)]
    if ratio >= NEAR_CAPACITY:
        text = (
            f"Referrals {numbers}are at or close to what {who} can take in{room}: small changes of demand "
            "or capacity move the waiting list a lot, and its figures vary widely between replications."
        )
        if unmet >= UNMET_NOTED:
            text += f" {_share(unmet)} of the demand goes unmet."
        return [CapacityFinding("close", f"Referrals close to what {who} can take in", text)]
    return []
