"""Hypothesis strategies shared by the model and scenario tests.

:func:`scenario_dicts` draws *small valid* scenario documents: 1-3 teams of 1-4
specialists, short runs, and every other lever drawn inside its schema range —
including the cross-field rules the schema enforces (shares that sum to at most 1, a
wage subsidy that steps down, fixed overhead that leaves candidate time, a trained
mentor at least as good as an untrained one); mentors, permanent subsidies and prices
are drawn over their ranges too. Time-limit
periods are drawn short (half a month to a year) so that the legal limits actually bind
within the short horizons. The workforce levers (quits, absence, recruitment, handover
policy) and the targets (both measures, creaming and discharge up to certainty) are
drawn over their whole schema ranges, with quit rates weighted towards the high end so
that vacancies, handovers and hires happen within a short run; each team may have
staffing changes that add posts or cut them (taken at the next vacancies). Some teams
open later than the start (with new hires, their changes after the opening), and any
team may have scheduled changes of its referral rate (0 included). The waiting list's
responses (referral feedback, reneging, closure) are each on or off, with short
patience and short closure lengths among the draws so that they act within a short run.

:func:`mutations` draws one way to break a valid document (delete a required key,
insert an unknown key, give a wrong type, an out-of-range number, ...), together with
the key path the error message is expected to name.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import annotated_types
from hypothesis import strategies as st
from pydantic import BaseModel

from caseload_sim.scenario import DischargeRule, HandoverPolicy, Scenario, TargetMeasure, TimeLimitPolicy

__all__ = [
    "REQUIRED_PATHS",
    "Mutation",
    "apply_mutation",
    "bounded_leaves",
    "dotted",
    "leaf_paths",
    "mapping_paths",
    "mutations",
    "scenario_dicts",
]

Path_ = tuple[str | int, ...]


def _f(lo: float, hi: float) -> st.SearchStrategy[float]:
    """A finite float in [lo, hi], rounded to 4 decimals (readable falsifying examples)."""
    return (
        st.floats(lo, hi, allow_nan=False, allow_infinity=False)
        .map(lambda x: round(x, 4))
        .filter(lambda x: lo <= x <= hi)
    )


def _share() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from([0.0, 1.0]), _f(0.0, 1.0))


@st.composite
def _change(draw: st.DrawFn, opens: float = 0.0) -> dict[str, Any]:
    return {
        "at_days": round(
            opens + draw(st.one_of(st.just(0.0), st.integers(1, 600).map(float), _f(0.0, 700.0))), 4
        ),
        "specialists": draw(st.sampled_from([-3, -2, -1, -1, 0, 1, 1, 2, 3])),
    }


@st.composite
def _referral_changes(draw: st.DrawFn, opens: float) -> list[dict[str, Any]]:
    """0-3 new referral rates in time order, from the opening on (0 included: referrals stop)."""
    later = draw(st.lists(st.one_of(st.integers(0, 400).map(float), _f(0.0, 500.0)), max_size=3, unique=True))
    return [
        {"at_days": round(opens + t, 4), "referrals_per_week": draw(st.one_of(st.just(0.0), _f(0.0, 4.0)))}
        for t in sorted(later)
    ]


@st.composite
def _team(draw: st.DrawFn, i: int) -> dict[str, Any]:
    # mostly teams present from the start; some open later (within or after a short run)
    opens = draw(st.one_of(st.just(0.0), st.just(0.0), st.integers(1, 400).map(float), _f(0.0, 700.0)))
    team: dict[str, Any] = {
        "name": f"team-{i}",
        "specialists": draw(st.integers(1, 4)),
        "fte_per_specialist": draw(st.one_of(st.just(1.0), _f(0.5, 1.0))),
        "referrals_per_week": draw(_f(0.2, 3.0)),
        "copies": draw(st.sampled_from([1, 1, 1, 2])),
        "changes": draw(st.lists(_change(opens), max_size=3)),
        "referral_changes": draw(st.one_of(st.just([]), _referral_changes(opens))),
    }
    if opens > 0.0:
        team["opens_at_days"] = opens  # a new team starts with new hires: no initial tenure
    else:
        team["initial_tenure_months"] = draw(st.one_of(st.just(0.0), _f(0.0, 600.0)))
    return team


@st.composite
def _candidates(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "reduced_work_capacity_share": draw(_share()),
        "in_work_at_intake_share": draw(_share()),
        "severity_alpha": draw(_f(0.3, 8.0)),
        "severity_beta": draw(_f(0.3, 8.0)),
        "readiness_mean": draw(_f(-3.0, 3.0)),
        "readiness_sd": draw(_f(0.0, 2.0)),
        "severity_readiness_effect": draw(_f(-3.0, 3.0)),
        "in_work_readiness_effect": draw(_f(-1.0, 1.0)),
        "severity_time_effect": draw(_f(0.0, 3.0)),
    }


@st.composite
def _pathway(draw: st.DrawFn) -> dict[str, Any]:
    tasting_gain = draw(_f(0.0, 0.3))
    wp_gain = draw(_f(0.0, 0.3))
    return {
        "step_mean_days": [draw(_f(1.0, 120.0)) for _ in range(4)],
        "step_duration_cv": draw(_f(0.2, 2.0)),
        "own_progress_share": draw(st.one_of(st.just(0.0), _share())),
        "readiness_speed_effect": draw(_f(0.0, 1.5)),
        "regression_prob": draw(_f(0.0, 0.6)),
        "job_tasting_prob": draw(_share()),
        "job_tasting_readiness_gain": tasting_gain,
        "work_practice_prob": draw(_share()),
        "work_practice_mean_days": draw(_f(1.0, 200.0)),
        "work_practice_job_prob": draw(_share()),
        "work_practice_readiness_gain": wp_gain,
        "regression_work_share": draw(_f(0.05, 1.0)),
        "regression_readiness_loss": draw(_f(0.0, 1.0)),
        "dropout_per_year": draw(_f(0.0, 1.0)),
        "dropout_engagement_multiplier": draw(_f(0.0, 5.0)),
        "dropout_readiness_effect": draw(_f(-2.0, 2.0)),
        "education_per_year": draw(_f(0.0, 0.5)),
        "health_per_year": draw(_f(0.0, 0.5)),
        "job_loss_readiness_gain": draw(_f(0.0, 0.3)),
        "relapse_dropout_prob": draw(_f(0.0, 0.5)),
    }


@st.composite
def _jobs(draw: st.DrawFn) -> dict[str, Any]:
    permanent = draw(_share())
    hire = draw(_share())
    return {
        "enabled": draw(st.sampled_from([True, True, True, False])),
        "permanent_share": permanent,
        "fixed_term_share": round(draw(_share()) * (1.0 - permanent), 4),
        "fixed_term_mean_months": draw(_f(0.5, 24.0)),
        "job_loss_per_year": draw(_f(0.0, 5.0)),
        "job_loss_readiness_effect": draw(_f(-2.0, 2.0)),
        "early_months": draw(_f(0.0, 12.0)),
        "early_multiplier": draw(_f(1.0, 6.0)),
        "followup_protection": draw(_f(0.0, 5.0)),
        "mismatch_share": draw(_share()),
        "hire_permanent_prob": hire,
        "renew_prob": round(draw(_share()) * (1.0 - hire), 4),
        "hire_readiness_effect": draw(_f(-2.0, 2.0)),
        "followup_full_hours": draw(_f(0.05, 5.0)),
        "followup_carryover_months": draw(st.one_of(st.just(0.0), _f(0.0, 36.0))),
    }


@st.composite
def _wage_subsidy(draw: st.DrawFn) -> dict[str, Any]:
    rate, rate_rc, perm = draw(_f(0.0, 0.75)), draw(_f(0.0, 0.75)), draw(_f(0.0, 0.75))
    return {
        "prob": draw(_share()),
        "prob_reduced_capacity": draw(_share()),
        "mean_months": draw(_f(0.5, 24.0)),
        "rate": rate,
        "rate_after": round(draw(_share()) * rate, 4),
        "step_down_months": draw(_f(0.0, 24.0)),
        "max_months": draw(_f(0.5, 36.0)),
        "rate_reduced_capacity": rate_rc,
        "rate_after_reduced_capacity": round(draw(_share()) * rate_rc, 4),
        "step_down_months_reduced_capacity": draw(_f(0.0, 24.0)),
        "max_months_reduced_capacity": draw(_f(0.5, 36.0)),
        "permanent_share": draw(st.one_of(st.just(0.0), _share())),
        "permanent_rate": perm,
        "permanent_rate_after": round(draw(_share()) * perm, 4),
        "permanent_step_down_months": draw(st.one_of(st.just(0.0), _f(0.0, 24.0))),
        "permanent_job_loss_multiplier": draw(_f(0.01, 1.0)),
    }


@st.composite
def _mentor(draw: st.DrawFn) -> dict[str, Any]:
    plain = draw(_f(0.01, 1.0))
    return {
        "use_prob": draw(st.one_of(st.just(0.0), _share())),
        "duration_months": draw(_f(0.1, 60.0)),
        "duration_months_reduced_capacity": draw(_f(0.1, 60.0)),
        "hours_per_month": draw(_f(0.0, 40.0)),
        "trained": draw(st.booleans()),
        "job_loss_multiplier": plain,
        "trained_job_loss_multiplier": max(0.01, round(draw(_share()) * plain, 4)),
    }


@st.composite
def _costs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "specialist_cost_per_fte_year": draw(_f(0.0, 5e6)),
        "supervision_cost_per_hour": draw(_f(0.0, 2e4)),
        "job_wage_per_year": draw(_f(0.0, 5e6)),
        "job_fte_share": draw(_f(0.01, 1.0)),
        "mentor_cost_per_hour": draw(_f(0.0, 5e3)),
        "mentor_training_cost": draw(_f(0.0, 2e5)),
        "inclusion_grant_prob": draw(_share()),
        "inclusion_grant_mean": draw(_f(0.0, 5e5)),
    }


@st.composite
def _sick_leave(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "episodes_per_year": draw(_f(0.0, 8.0)),
        "episodes_per_year_in_job": draw(_f(0.0, 8.0)),
        "mean_days": draw(_f(1.0, 60.0)),
        "ends_job_prob": draw(_share()),
    }


@st.composite
def _regulation(draw: st.DrawFn) -> dict[str, Any]:
    return {
        # fractional caps too, so that floor(cap x FTE) is exercised
        "caseload_cap": draw(st.one_of(st.integers(1, 25).map(float), _f(1.0, 25.0))),
        "time_limit": draw(st.sampled_from([p.value for p in TimeLimitPolicy])),
        "period_months": draw(st.one_of(st.sampled_from([0.5, 1.0, 2.0, 3.0]), _f(0.5, 12.0))),
        "extension_hours": draw(_f(0.0, 40.0)),
        "followup_after_job_days": draw(_f(10.0, 730.0)),
        "discharge_to_work": draw(st.sampled_from([p.value for p in DischargeRule])),
        "stable_after_days": draw(_f(1.0, 400.0)),
    }


@st.composite
def _week(draw: st.DrawFn) -> dict[str, Any]:
    hours = draw(_f(20.0, 45.0))
    # fixed overhead takes at most 85 % of the week, split between its four parts
    parts = [draw(_f(0.0, 1.0)) for _ in range(4)]
    total = draw(_f(0.0, 0.85)) * hours
    scale = total / sum(parts) if sum(parts) > 0 else 0.0
    visits = min(30.0, round(parts[2] * scale, 3))
    outside = draw(_f(0.0, 0.9))
    travel = min(1.0, round(parts[3] * scale / (hours * outside), 4)) if outside > 0.01 else 0.0
    return {
        "hours_per_fte": hours,
        "reporting_hours": min(40.0, round(parts[0] * scale, 3)),
        "other_overhead_hours": min(40.0, round(parts[1] * scale, 3)),
        "employer_visits_per_week": visits,
        "hours_per_employer_visit": 1.0 if visits <= 8.0 else 0.0,
        "outside_time_share": outside,
        "travel_hours_per_outside_hour": travel,
        "hours_per_candidate": [draw(_f(0.0, 5.0)) for _ in range(5)],
        "step5_priority": draw(_f(0.0, 5.0)),
        "min_visit_share": draw(_share()),
    }


@st.composite
def _workforce(draw: st.DrawFn) -> dict[str, Any]:
    return {
        # mostly moderate: crises that take the whole week leave the pathway idle
        "crises_per_week": draw(st.one_of(_f(0.0, 2.0), _f(0.0, 10.0))),
        "hours_per_crisis": draw(st.one_of(_f(0.0, 4.0), _f(0.0, 40.0))),
        "supervision_hours": draw(_f(0.0, 10.0)),
        "case_meeting_hours": draw(_f(0.0, 10.0)),
        "stress_recovery": draw(_f(0.0, 5.0)),
        "stress_overload": draw(_f(0.0, 10.0)),
        "stress_measurement": draw(_f(0.0, 5.0)),
        "stress_target": draw(_f(0.0, 5.0)),
        "individual_target_multiplier": draw(_f(1.0, 10.0)),
        "stress_failure": draw(_f(0.0, 5.0)),
        "stress_crisis": draw(_f(0.0, 5.0)),
        "stress_isolation": draw(_f(0.0, 5.0)),
        "stress_support": draw(_f(0.0, 5.0)),
        "stress_success": draw(_f(0.0, 5.0)),
        # weighted to the high end: vacancies, handovers and hires within a short run
        "quit_per_year": draw(st.one_of(st.just(0.0), _f(0.0, 1.0), _f(1.0, 10.0), st.just(10.0))),
        "quit_stress_effect": draw(_f(0.0, 10.0)),
        "quit_early_months": draw(_f(0.0, 60.0)),
        "quit_early_multiplier": draw(_f(1.0, 20.0)),
        "absence_per_year": draw(st.one_of(st.just(0.0), _f(0.0, 20.0))),
        "absence_stress_effect": draw(_f(0.0, 10.0)),
        "absence_mean_weeks": draw(st.one_of(st.just(1.0), _f(0.01, 52.0))),
        "recruitment_mean_months": draw(st.one_of(st.just(0.0), _f(0.0, 36.0))),
        "initial_effectiveness": draw(st.one_of(st.just(1.0), _f(0.01, 1.0))),
        "learning_months": draw(_f(0.01, 60.0)),
        "vacancy_cover": draw(_share()),
        "handover": draw(st.sampled_from([p.value for p in HandoverPolicy])),
        "handover_setback_days": draw(_f(0.0, 365.0)),
    }


@st.composite
def _targets(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "measure": draw(st.sampled_from([m.value for m in TargetMeasure])),
        "work_within_year": draw(_share()),
        "exits_to_work_per_fte_year": draw(st.one_of(st.just(0.0), _f(0.0, 50.0))),
        "count_education": draw(st.booleans()),
        "discharge_strength": draw(_share()),
        "creaming_strength": draw(st.one_of(st.just(1.0), _share())),
    }


@st.composite
def _waiting_list(draw: st.DrawFn) -> dict[str, Any]:
    # short patience and short lists, so that people leave and lists close within a short run
    return {
        "referral_feedback": draw(st.booleans()),
        "half_referrals_at_list_per_fte": draw(st.one_of(_f(0.05, 2.0), _f(0.05, 100.0))),
        "feedback_shape": draw(_f(0.5, 10.0)),
        "referral_selectivity": draw(st.one_of(st.just(0.0), _f(0.0, 5.0))),
        "reneging": draw(st.booleans()),
        "patience_mean_days": draw(st.one_of(_f(0.5, 60.0), _f(0.5, 3650.0))),
        "closes": draw(st.booleans()),
        "close_at_list_per_fte": draw(st.one_of(st.just(0.0), _f(0.0, 3.0), _f(0.0, 100.0))),
    }


@st.composite
def scenario_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A small, valid scenario document (a plain dict, as read from YAML)."""
    n_teams = draw(st.integers(1, 3))
    return {
        "name": "hypothesis",
        "description": "drawn by tests/strategies.py",
        "teams": [draw(_team(i)) for i in range(n_teams)],
        "candidates": draw(_candidates()),
        "pathway": draw(_pathway()),
        "jobs": draw(_jobs()),
        "wage_subsidy": draw(_wage_subsidy()),
        "mentor": draw(_mentor()),
        "sick_leave": draw(_sick_leave()),
        "regulation": draw(_regulation()),
        "week": draw(_week()),
        "workforce": draw(_workforce()),
        "targets": draw(_targets()),
        "service": draw(st.sampled_from(["supported_employment", "supported_employment", "usual_services"])),
        "employer_network": {
            "reference_visits_per_week": draw(_f(0.5, 12.0)),
            "memory_months": draw(_f(0.1, 24.0)),
            "job_finding_effect": draw(_share()),
            "permanent_effect": draw(_f(0.0, 3.0)),
            "kept_share": draw(_share()),
        },
        "usual_services": {
            "hours_per_user": draw(_f(0.05, 3.0)),
            "employer_visits_per_week": draw(_f(0.0, 6.0)),
            "assessment_days": draw(_f(1.0, 200.0)),
            "work_practice_prob": draw(_share()),
        },
        "waiting_list": draw(_waiting_list()),
        "run": {"warmup_days": draw(_f(0.0, 200.0)), "horizon_days": draw(_f(60.0, 500.0))},
        "costs": draw(_costs()),
    }


# ------------------------------------------------------------------ bad input

REQUIRED_PATHS: tuple[Path_, ...] = (("name",), ("teams",), ("teams", 0, "name"))
"""Keys without a default: deleting one must give 'required key is missing'."""


def dotted(path: Path_) -> str:
    """The key path as the error messages spell it: ``teams.0.specialists``."""
    return ".".join(str(p) for p in path)


def _walk(node: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, i))


def mapping_paths(doc: dict[str, Any]) -> list[Path_]:
    """Every mapping in the document (where an unknown key can be inserted)."""
    return [p for p, v in _walk(doc, ()) if isinstance(v, dict)]


def leaf_paths(doc: dict[str, Any]) -> list[Path_]:
    """Every value below the top level: scalars, list items, lists and sub-mappings."""
    return [p for p, _ in _walk(doc, ()) if p]


def _bounds(model: type[BaseModel], name: str) -> tuple[float, float, bool, bool, bool]:
    """(low, high, low inclusive, high inclusive, integer) of a bounded numeric field."""
    field = model.model_fields[name]
    lo, hi, lo_inc, hi_inc = -math.inf, math.inf, True, True
    for m in field.metadata:
        if isinstance(m, annotated_types.Ge):
            lo, lo_inc = float(cast(float, m.ge)), True
        elif isinstance(m, annotated_types.Gt):
            lo, lo_inc = float(cast(float, m.gt)), False
        elif isinstance(m, annotated_types.Le):
            hi, hi_inc = float(cast(float, m.le)), True
        elif isinstance(m, annotated_types.Lt):
            hi, hi_inc = float(cast(float, m.lt)), False
    return lo, hi, lo_inc, hi_inc, field.annotation is int


def bounded_leaves(doc: dict[str, Any]) -> list[tuple[Path_, tuple[float, float, bool, bool, bool]]]:
    """Numeric fields of ``doc`` with a declared range, found through the schema."""
    out: list[tuple[Path_, tuple[float, float, bool, bool, bool]]] = []

    def visit(model: type[BaseModel], node: dict[str, Any], path: Path_) -> None:
        for name, field in model.model_fields.items():
            if name not in node:
                continue
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                visit(ann, node[name], (*path, name))
            elif name == "teams":
                from caseload_sim.scenario import TeamSpec

                for i, team in enumerate(node[name]):
                    visit(TeamSpec, team, (*path, name, i))
            elif name == "changes":
                from caseload_sim.scenario import StaffingChange

                for i, change in enumerate(node[name]):
                    visit(StaffingChange, change, (*path, name, i))
            elif name == "referral_changes":
                from caseload_sim.scenario import ReferralChange

                for i, change in enumerate(node[name]):
                    visit(ReferralChange, change, (*path, name, i))
            elif ann in (int, float):
                b = _bounds(model, name)
                if math.isfinite(b[0]) or math.isfinite(b[1]):
                    out.append(((*path, name), b))

    visit(Scenario, doc, ())
    return out


@dataclass(frozen=True)
class Mutation:
    """One way to break a document, and the key path the error must name (None: any)."""

    kind: str
    path: Path_
    value: Any = None
    expect: str | None = None  # text the problem line must contain after the path

    def describe(self) -> str:
        shown = repr(self.value)
        return f"{self.kind} at {dotted(self.path) or '(top)'}: {shown[:60]}"


def apply_mutation(doc: dict[str, Any], m: Mutation) -> dict[str, Any]:
    """A mutated deep copy of ``doc``."""
    import copy

    out = copy.deepcopy(doc)
    *parent_path, last = m.path
    parent: Any = out
    for p in parent_path:
        parent = parent[p]
    if m.kind == "delete":
        del parent[last]
    else:
        parent[last] = m.value
    return out


_WRONG_VALUES = st.one_of(
    st.none(),
    st.just([[1, [2, [3]]], []]),  # nested list
    st.just({"nested": {"mapping": [1]}}),
    st.integers(5_000, 50_000).map(lambda n: "x" * n),  # huge string (longer than any allowed)
)


def _out_of_range(b: tuple[float, float, bool, bool, bool]) -> st.SearchStrategy[Any]:
    lo, hi, lo_inc, hi_inc, is_int = b
    options: list[st.SearchStrategy[Any]] = []
    if math.isfinite(lo):
        if is_int:
            options.append(st.integers(-(10**6), int(math.ceil(lo)) - 1))
        else:
            below = st.floats(-1e12, lo, allow_nan=False, exclude_max=lo_inc)
            options.append(below)
    if math.isfinite(hi):
        if is_int:
            options.append(st.integers(int(math.floor(hi)) + 1, 10**9))
        else:
            options.append(st.floats(hi, 1e12, allow_nan=False, exclude_min=hi_inc))
    if not is_int:
        options.append(st.sampled_from([math.nan, math.inf, -math.inf]))

    def outside(x: float) -> bool:  # -0.0 must not pass for "below 0"
        inside = (x >= lo if lo_inc else x > lo) and (x <= hi if hi_inc else x < hi)
        return not inside

    return st.one_of(*options).filter(outside)


@st.composite
def mutations(draw: st.DrawFn, doc: dict[str, Any]) -> Mutation:
    """One mutation of ``doc`` that must make it invalid (see :class:`Mutation`)."""
    kind = draw(st.sampled_from(["delete", "unknown_key", "wrong_type", "out_of_range"]))
    if kind == "delete":
        path = draw(st.sampled_from(REQUIRED_PATHS))
        return Mutation("delete", path, expect="required key is missing")
    if kind == "unknown_key":
        where = draw(st.sampled_from(mapping_paths(doc)))
        node: Any = doc
        for p in where:
            node = node[p]
        key = draw(st.from_regex(r"\A[a-z][a-z_]{0,15}\Z").filter(lambda k: k not in node and k != "extends"))
        value = draw(st.one_of(st.integers(), st.text(max_size=5), st.none()))
        return Mutation("unknown_key", (*where, key), value, expect="unknown key")
    if kind == "wrong_type":
        path = draw(st.sampled_from(leaf_paths(doc)))
        return Mutation("wrong_type", path, draw(_WRONG_VALUES))
    path, b = draw(st.sampled_from(bounded_leaves(doc)))
    return Mutation("out_of_range", path, draw(_out_of_range(b)))
