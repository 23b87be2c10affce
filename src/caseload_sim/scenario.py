"""Scenarios: what a planner writes down, validated before anything runs.

A scenario is a YAML document describing one world: the teams of job specialists,
the candidates they are referred, the Supported Employment pathway, the labour
market's answer (jobs, wage subsidies, sick leave), the regulation (time limits) and
the specialist's week. Planners write *small diffs*: a file may say
``extends: baseline.yaml`` and override only what differs; mappings are merged key by
key, lists and scalars are replaced whole.

Every parameter below carries its unit, its allowed range and its provenance label,
as ``domain.md`` asks: **[S]** from the Norwegian study and agency sources, **[L]**
from the wider literature, **[A]** an assumption to be calibrated or swept. The
schema is frozen and refuses unknown keys, so a misspelt lever is an error, not a
silent default.

Bad input never escapes as a traceback: :func:`load_scenario` raises
:class:`ScenarioError`, whose message names the file, the key path, the value and what
is allowed.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
import reprlib
from collections.abc import Sequence
from enum import Enum, StrEnum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from caseload_sim.yaml_strict import YamlProblem, load_yaml, path_text, read_text

__all__ = [
    "CandidateMix",
    "Costs",
    "DischargeRule",
    "EmployerNetwork",
    "Jobs",
    "Mentor",
    "Pathway",
    "Regulation",
    "ReferralChange",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "ServiceArm",
    "SickLeave",
    "SpecialistWeek",
    "TeamSpec",
    "HandoverPolicy",
    "StaffingChange",
    "TargetMeasure",
    "Targets",
    "TimeLimitPolicy",
    "UsualServices",
    "WaitingList",
    "Workforce",
    "WageSubsidyRules",
    "load_scenario",
    "parameter_markdown",
    "parameter_table",
    "resolve_document",
    "scenario_from_dict",
    "validation_problems",
]


def P(
    default: Any,
    *,
    unit: str,
    prov: str,
    text: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
) -> Any:
    """A model parameter: a pydantic field whose description carries unit, range and provenance."""
    lo = f"> {gt}" if gt is not None else (f">= {ge}" if ge is not None else "")
    hi = f"< {lt}" if lt is not None else (f"<= {le}" if le is not None else "")
    rng = " and ".join(x for x in (lo, hi) if x) or "any"
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        description=f"{text} Unit: {unit}. Range: {rng}. {prov}",
        json_schema_extra={"unit": unit, "provenance": prov, "range": rng},
    )


StepDays = Annotated[float, Field(gt=0.0, le=730.0)]
WeeklyHours = Annotated[float, Field(ge=0.0, le=20.0)]


def _is_number(annotation: Any) -> bool:
    """Whether a field's type is a number (int or float, also inside Annotated or ``| None``)."""
    if annotation in (int, float):
        return True
    if get_origin(annotation) is Annotated:
        return _is_number(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_number(a) for a in get_args(annotation) if a is not type(None))
    return False


def _numbers_in(annotation: Any) -> bool:
    """Whether a field holds numbers: a number, or a tuple or list of them."""
    if _is_number(annotation):
        return True
    args = [a for a in get_args(annotation) if a is not Ellipsis]
    return get_origin(annotation) in (tuple, list) and bool(args) and all(_is_number(a) for a in args)


@functools.cache
def _number_fields(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """A model's fields that hold numbers, once per class: (name, whether one number rather than a list)."""
    return tuple(
        (name, _is_number(field.annotation))
        for name, field in model.model_fields.items()
        if _numbers_in(field.annotation)
    )


def _strict_number(value: Any) -> None:
    if isinstance(value, bool):
        raise ValueError(f"got {str(value).lower()}; allowed: a number (true and false are not numbers)")
    if isinstance(value, str):
        raise ValueError(f"got the text {value[:40]!r}; allowed: a number, written without quotes")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        """A number field takes a YAML number: not true/false (read as 1/0) and not a quoted string."""
        if not isinstance(data, dict):
            return data
        for name, single in _number_fields(cls):
            if name not in data:
                continue
            value = data[name]
            listed = isinstance(value, list | tuple) and not single
            for i, item in enumerate(value if listed else [value]):
                try:
                    _strict_number(item)
                except ValueError as exc:
                    raise ValueError(f"{name}.{i}: {exc}" if listed else f"{name}: {exc}") from None
        return data


class StaffingChange(_Frozen):
    """A scheduled change of a team's staffing (expansion or cut)."""

    at_days: float = P(
        0.0, ge=0.0, le=36500.0, unit="days", prov="[A]", text="When the change happens, days from the start."
    )
    specialists: int = P(
        0,
        ge=-50,
        le=50,
        unit="posts",
        prov="[A]",
        text="Posts added (new, inexperienced hires with empty caseloads) or, if negative, closed by "
        "attrition: the next vacancies are not refilled, and a closed post winds down its caseload.",
    )


class ReferralChange(_Frozen):
    """A new referral rate for a team from a given day on (e.g. a region's referrals shared with new teams)."""

    at_days: float = P(
        ...,
        ge=0.0,
        le=36500.0,
        unit="days",
        prov="[A]",
        text="When the new rate starts, days from the start of the run (not before the team opens; "
        "strictly after the team's previous referral change).",
    )
    referrals_per_week: float = P(
        ...,
        ge=0.0,
        le=100.0,
        unit="referrals/week",
        prov="[A]",
        text="Poisson rate of the team's referrals from at_days until its next referral change.",
    )


class ScriptedQuit(_Frozen):
    """A resignation written into the scenario (for teaching): this post's holder quits on this day."""

    at_days: float = P(
        ...,
        ge=0.0,
        le=36500.0,
        unit="days",
        prov="[A] a lesson's script",
        text="When the holder quits, days from the start of the run; it takes effect at the end of that "
        "week, where the model's quits happen. If the post is vacant then, nothing happens.",
    )
    specialist: int = P(
        ...,
        ge=1,
        le=100,
        unit="post number",
        prov="[A] a lesson's script",
        text="Which post within the team, from 1 (the team's first post; posts added by ``changes`` are "
        "numbered after the team's own). Its caseload is then handed over by ``workforce.handover``.",
    )


class TeamSpec(_Frozen):
    """A team of job specialists with its own referral stream and waiting list."""

    name: str = Field(min_length=1, max_length=80, description="Team name (label only).")
    specialists: int = P(
        5,
        ge=1,
        le=50,
        unit="persons",
        prov="[S] teams of 3–8 (domain.md)",
        text="Number of job specialists in the team.",
    )
    fte_per_specialist: float = P(
        1.0,
        gt=0.0,
        le=1.0,
        unit="FTE",
        prov="[A] full-time default",
        text="Full-time equivalent of each specialist.",
    )
    referrals_per_week: float = P(
        1.0,
        ge=0.0,
        le=100.0,
        unit="referrals/week",
        prov="[A] set so a mature team is near its caseload cap",
        text="Poisson rate of referrals from first-line NAV case workers.",
    )
    copies: int = P(
        1,
        ge=1,
        le=1000,
        unit="teams",
        prov="[A] convenience",
        text="Number of identical teams this entry stands for; each copy has its "
        "own referral stream, waiting list and specialists.",
    )
    initial_tenure_months: float = P(
        36.0,
        ge=0.0,
        le=600.0,
        unit="months",
        prov="[A] a mature team; 0 for a brand-new team",
        text="How long the specialists present at time 0 have held their posts (drives the learning curve). "
        "A team that opens later starts with new hires: it is 0 there and cannot be set otherwise.",
    )
    opens_at_days: float = P(
        0.0,
        ge=0.0,
        le=36500.0,
        unit="days",
        prov="[A] 0: the team exists from the start",
        text="When the team opens, days from the start of the run. Before that it has no posts, no "
        "referrals and no waiting list; then its posts start with new hires (tenure 0, on the learning "
        "curve) and empty caseloads, and its referral stream starts.",
    )
    changes: tuple[StaffingChange, ...] = Field(
        (),
        max_length=50,
        description="Scheduled staffing changes: new posts (positive) or posts closed when they next fall "
        "vacant (negative); not before the team opens. [A]",
    )
    referral_changes: tuple[ReferralChange, ...] = Field(
        (),
        max_length=50,
        description="Scheduled changes of the referral rate, in time order, not before the team opens; "
        "``referrals_per_week`` holds from the opening until the first of them. [A]",
    )
    quits: tuple[ScriptedQuit, ...] = Field(
        (),
        max_length=50,
        description="Scripted resignations (for teaching): on the given day, the holder of the given post "
        "quits, on top of the quits the stress-driven hazard makes. The post's random numbers are "
        "drawn as without the script, so the rest of the run keeps its luck. [A]",
    )

    @model_validator(mode="before")
    @classmethod
    def _new_team_starts_new(cls, data: Any) -> Any:
        """A team that opens later starts with new hires: its tenure at the start is 0 unless given."""
        if isinstance(data, dict) and "initial_tenure_months" not in data:
            try:
                opens = float(data.get("opens_at_days", 0.0))
            except (TypeError, ValueError, OverflowError):
                return data  # the field's own validation names the problem
            if opens > 0.0:
                return {**data, "initial_tenure_months": 0.0}
        return data

    @model_validator(mode="after")
    def _after_opening(self) -> TeamSpec:
        opens = self.opens_at_days
        if opens > 0.0 and self.initial_tenure_months != 0.0:
            raise ValueError(
                f"initial_tenure_months: got {self.initial_tenure_months:g}; allowed: 0 or left out for a "
                f"team that opens later (opens_at_days = {opens:g}): a new team starts with new hires"
            )
        for i, ch in enumerate(self.changes):
            if ch.at_days < opens:
                raise ValueError(
                    f"changes.{i}.at_days: got {ch.at_days:g}; allowed: at or after opens_at_days = "
                    f"{opens:g} (a team has no posts to change before it opens)"
                )
        previous = -1.0
        for i, rc in enumerate(self.referral_changes):
            if rc.at_days < opens:
                raise ValueError(
                    f"referral_changes.{i}.at_days: got {rc.at_days:g}; allowed: at or after opens_at_days = "
                    f"{opens:g} (a team has no referrals before it opens)"
                )
            if rc.at_days <= previous:
                raise ValueError(
                    f"referral_changes.{i}.at_days: got {rc.at_days:g}; allowed: after the previous "
                    f"referral change (at {previous:g}): list the changes in time order"
                )
            previous = rc.at_days
        posts = self.specialists + sum(max(ch.specialists, 0) for ch in self.changes)
        for i, q in enumerate(self.quits):
            if q.at_days < opens:
                raise ValueError(
                    f"quits.{i}.at_days: got {q.at_days:g}; allowed: at or after opens_at_days = "
                    f"{opens:g} (nobody holds a post before the team opens)"
                )
            if q.specialist > posts:
                raise ValueError(
                    f"quits.{i}.specialist: got {q.specialist}; allowed: 1 to {posts} (the team's "
                    f"{self.specialists} posts and the {posts - self.specialists} its changes add)"
                )
        return self


class CandidateMix(_Frozen):
    """Who is referred: traits drawn once, at referral, from the candidate's own stream."""

    reduced_work_capacity_share: float = P(
        0.6,
        ge=0.0,
        le=1.0,
        unit="share",
        prov="[A] most SE candidates have an assessed reduced work capacity",
        text="Share of candidates with reduced work capacity (nedsatt arbeidsevne): eligible for the "
        "3-year limit and the longer, higher wage subsidy.",
    )
    in_work_at_intake_share: float = P(
        0.45,
        ge=0.0,
        le=1.0,
        unit="share",
        prov="[S] 45 % reported some work at inclusion (domain.md)",
        text="Share already in some (part-time, unstable) work at intake.",
    )
    severity_alpha: float = P(
        2.0,
        gt=0.0,
        le=50.0,
        unit="-",
        prov="[A]",
        text="Beta(alpha, beta) shape of support-need severity in [0, 1].",
    )
    severity_beta: float = P(
        2.0,
        gt=0.0,
        le=50.0,
        unit="-",
        prov="[A] mean severity 0.5",
        text="Beta(alpha, beta) shape of support-need severity in [0, 1].",
    )
    readiness_mean: float = P(
        -0.3,
        ge=-5.0,
        le=5.0,
        unit="logit",
        prov="[A] calibrated to work_12m",
        text="Mean latent work readiness at referral for average severity.",
    )
    readiness_sd: float = P(
        1.0, ge=0.0, le=5.0, unit="logit", prov="[A]", text="Spread of latent readiness at referral."
    )
    severity_readiness_effect: float = P(
        -1.5,
        ge=-10.0,
        le=10.0,
        unit="logit per unit severity",
        prov="[A]",
        text="Shift of readiness per unit of severity above 0.5.",
    )
    in_work_readiness_effect: float = P(
        0.5,
        ge=-5.0,
        le=5.0,
        unit="logit",
        prov="[A]",
        text="Readiness bonus for candidates already in some work at intake.",
    )
    severity_time_effect: float = P(
        0.5,
        ge=0.0,
        le=3.0,
        unit="relative",
        prov="[A]",
        text="Extra specialist time per unit severity above 0.5 (hours multiplier 1 + effect*(s-0.5)).",
    )


class Pathway(_Frozen):
    """The five EUSE steps, with regression, job tasting, work practice and other exits."""

    step_mean_days: tuple[StepDays, StepDays, StepDays, StepDays] = Field(
        (14.0, 35.0, 60.0, 14.0),
        description="Mean days of work at full specialist capacity to complete steps 1–4 "
        "(engagement, vocational profiling, job finding, employer engagement) for a "
        "candidate of average readiness. Unit: days. Range: each > 0 and <= 730. "
        "[A] first jobs ~4–6 months after intake (IPS ~10 weeks earlier than usual "
        "services, domain.md)",
        json_schema_extra={"unit": "days", "provenance": "[A]", "range": "each > 0 and <= 730"},
    )
    step_duration_cv: float = P(
        0.8,
        gt=0.0,
        le=3.0,
        unit="-",
        prov="[A]; 1.0 gives exponential steps",
        text="Coefficient of variation of step work (gamma distributed).",
    )
    own_progress_share: float = P(
        0.5,
        ge=0.0,
        le=1.0,
        unit="share of full speed",
        prov="[A] people also move on their own, through ordinary channels and the measures' providers; "
        "half the pace is a round guess the trials' control arms can test (docs/model.md, validation); "
        "sweep it",
        text="Share of full step speed a candidate keeps with no specialist time at all: speed is "
        "readiness factor x (own + (1 - own) x share of the asked-for hours delivered).",
    )
    readiness_speed_effect: float = P(
        0.5,
        ge=0.0,
        le=3.0,
        unit="per logit",
        prov="[A]",
        text="Step speed multiplier exp(effect*readiness): ready candidates move faster.",
    )
    regression_prob: float = P(
        0.2,
        ge=0.0,
        lt=1.0,
        unit="probability",
        prov="[S] 'two steps forward, one back'; value [A]",
        text="Chance that completing step 2, 3 or 4 sends the candidate one step back instead.",
    )
    job_tasting_prob: float = P(
        0.4,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] jobbsmak used in step 3; value [A]",
        text="Chance that a pass through step 3 includes a job tasting (unpaid, up to 3 days).",
    )
    job_tasting_readiness_gain: float = P(
        0.1, ge=0.0, le=2.0, unit="logit", prov="[A]", text="Readiness gained from a job tasting."
    )
    work_practice_prob: float = P(
        0.25,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] arbeidstrening sometimes used; value [A]",
        text="Chance that a pass through step 3 starts with unpaid work practice.",
    )
    work_practice_mean_days: float = P(
        60.0,
        gt=0.0,
        le=365.0,
        unit="days",
        prov="[S] weeks to months, at most 1 year",
        text="Mean length of a work-practice episode (exponential, capped at 365 days).",
    )
    work_practice_job_prob: float = P(
        0.3,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] used purposefully it often leads to a paid job; value [A]",
        text="Chance that work practice turns into a paid job at the same employer (straight to step 4).",
    )
    work_practice_readiness_gain: float = P(
        0.3, ge=0.0, le=3.0, unit="logit", prov="[A]", text="Readiness gained from a work-practice episode."
    )
    regression_work_share: float = P(
        0.5,
        gt=0.0,
        le=1.0,
        unit="share",
        prov="[A] a step redone goes faster",
        text="Work of a step re-entered after a regression, as a share of a fresh step.",
    )
    regression_readiness_loss: float = P(
        0.1, ge=0.0, le=2.0, unit="logit", prov="[A]", text="Readiness lost when a step is set back."
    )
    dropout_per_year: float = P(
        0.15,
        ge=0.0,
        le=20.0,
        unit="1/year",
        prov="[A] lost contact / declined",
        text="Hazard of dropping out (lost contact, declined) while not in a job, average readiness.",
    )
    dropout_engagement_multiplier: float = P(
        2.0,
        ge=0.0,
        le=20.0,
        unit="relative",
        prov="[A] contact is most fragile before agreement",
        text="Dropout hazard multiplier during step 1 (engagement).",
    )
    dropout_readiness_effect: float = P(
        -0.4,
        ge=-5.0,
        le=5.0,
        unit="per logit",
        prov="[A]",
        text="Dropout hazard multiplier exp(effect*readiness).",
    )
    education_per_year: float = P(
        0.06,
        ge=0.0,
        le=20.0,
        unit="1/year",
        prov="[A]",
        text="Hazard of exit to education while not in a job.",
    )
    health_per_year: float = P(
        0.08,
        ge=0.0,
        le=20.0,
        unit="1/year",
        prov="[A]",
        text="Hazard of exit to health treatment or disability benefit while not in a job.",
    )
    job_loss_readiness_gain: float = P(
        0.15,
        ge=0.0,
        le=3.0,
        unit="logit",
        prov="[S] back to step 3 'with what was learned'; value [A]",
        text="Readiness gained from a job that ended (experience).",
    )
    relapse_dropout_prob: float = P(
        0.1,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[A]",
        text="Chance that a lost job ends the follow-up (dropout) instead of a return to step 3.",
    )


class Jobs(_Frozen):
    """The labour market's answer: job types, early instability, employer decisions."""

    enabled: bool = Field(
        True,
        description="false: nobody finds a paid job (step 3 never completes); for "
        "degenerate configurations and analytic checks. [A]",
        json_schema_extra={"unit": "-", "provenance": "[A] verification switch", "range": "true or false"},
    )

    permanent_share: float = P(
        0.30, ge=0.0, le=1.0, unit="share", prov="[A]", text="Share of job starts that are permanent."
    )
    fixed_term_share: float = P(
        0.50,
        ge=0.0,
        le=1.0,
        unit="share",
        prov="[A] subsidies are mostly tied to fixed terms",
        text="Share of job starts that are fixed-term; the rest are on-call.",
    )
    fixed_term_mean_months: float = P(
        7.5,
        ge=0.5,
        le=36.0,
        unit="months",
        prov="[S] 3–12 months common: uniform on 3.75–11.25 months with the default",
        text="Mean length of a fixed-term engagement without subsidy (uniform within +-50 % of the mean).",
    )
    job_loss_per_year: float = P(
        0.25,
        ge=0.0,
        le=50.0,
        unit="1/year",
        prov="[L] calibrated: the IPS team's first_job_months_24m near the ~10 months (8.0 prospective) of "
        "high-fidelity IPS (Bond & Kukla 2011); docs/model.md section 10",
        text="Hazard of a job ending in mismatch or dropout, with full follow-up, average readiness.",
    )
    job_loss_readiness_effect: float = P(
        -0.3,
        ge=-5.0,
        le=5.0,
        unit="per logit",
        prov="[A]",
        text="Job-loss hazard multiplier exp(effect*readiness).",
    )
    early_months: float = P(
        3.0,
        ge=0.0,
        le=24.0,
        unit="months",
        prov="[S] early months are unstable",
        text="Length of the unstable early period of a job.",
    )
    early_multiplier: float = P(
        2.5,
        ge=1.0,
        le=20.0,
        unit="relative",
        prov="[S] direction; value [A]",
        text="Job-loss and sick-leave hazard multiplier in the early period.",
    )
    followup_protection: float = P(
        1.5,
        ge=0.0,
        le=10.0,
        unit="relative",
        prov="[S] retention is won or lost in step 5; value [A]",
        text="Job-loss hazard multiplier is 1 + protection*(1 - follow-up intensity).",
    )
    mismatch_share: float = P(
        0.6,
        ge=0.0,
        le=1.0,
        unit="share",
        prov="[A]",
        text="Share of job losses that are mismatch (the rest dropout).",
    )
    hire_permanent_prob: float = P(
        0.35,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] employers frequently do not continue; value [A]",
        text="Chance the employer hires permanently when a subsidy or fixed term ends (average readiness, full follow-up).",
    )
    renew_prob: float = P(
        0.30,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] subsidies often roll on; value [A]",
        text="Chance the employer renews the fixed term / subsidy instead (rest: the job ends).",
    )
    hire_readiness_effect: float = P(
        0.4,
        ge=-5.0,
        le=5.0,
        unit="per logit",
        prov="[A]",
        text="Log-odds shift of permanent hire per unit readiness.",
    )
    followup_full_hours: float = P(
        0.8,
        gt=0.0,
        le=20.0,
        unit="hours/week",
        prov="[L] IPS ~34 min/week face-to-face after the first months (domain.md) x 1.4 for preparation, "
        "phone and travel [A]",
        text="Step-5 follow-up a job needs for full protection: follow-up intensity is the hours the job "
        "gets (hours asked x efficiency**step5_priority) over this, at most 1.",
    )
    followup_carryover_months: float = P(
        6.0,
        ge=0.0,
        le=120.0,
        unit="months",
        prov="[L] the trials' effects fade after about 18 months (domain.md); value [A]",
        text="After discharge the job keeps its hazards but loses its follow-up: the protection the job "
        "had at discharge fades with this time constant (0: gone at once), so the job-loss hazard rises "
        "toward the level of a job nobody follows up (1 + followup_protection).",
    )

    @model_validator(mode="after")
    def _shares(self) -> Jobs:
        if self.permanent_share + self.fixed_term_share > 1.0 + 1e-9:
            raise ValueError(
                f"permanent_share + fixed_term_share = {self.permanent_share + self.fixed_term_share:g}; "
                "allowed: at most 1 (the rest is on-call work)"
            )
        if self.hire_permanent_prob + self.renew_prob > 1.0 + 1e-9:
            raise ValueError(
                f"hire_permanent_prob + renew_prob = {self.hire_permanent_prob + self.renew_prob:g}; "
                "allowed: at most 1 (the rest: the job ends)"
            )
        return self


class WageSubsidyRules(_Frozen):
    """Lønnstilskudd: who gets it, at what rate, for how long (agency rules as defaults)."""

    prob: float = P(
        0.45,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[A]",
        text="Chance a job start comes with a temporary wage subsidy (ordinary candidates).",
    )
    prob_reduced_capacity: float = P(
        0.65,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[A]",
        text="Same for candidates with reduced work capacity.",
    )
    mean_months: float = P(
        7.5,
        ge=0.5,
        le=36.0,
        unit="months",
        prov="[S] 3–12 months common: uniform on 3.75–11.25 months with the default",
        text="Mean length of one granted subsidy period (uniform within +-50 % of the mean, capped by the "
        "maximum).",
    )
    rate: float = P(
        0.40,
        ge=0.0,
        le=0.75,
        unit="share of wage",
        prov="[L] NAV: 40 %",
        text="Initial subsidy rate, ordinary candidates.",
    )
    rate_after: float = P(
        0.30,
        ge=0.0,
        le=0.75,
        unit="share of wage",
        prov="[L] NAV: then 30 %",
        text="Rate after the step-down, ordinary candidates.",
    )
    step_down_months: float = P(
        6.0,
        ge=0.0,
        le=36.0,
        unit="months",
        prov="[L] NAV: 6 months",
        text="Months at the initial rate, ordinary candidates.",
    )
    max_months: float = P(
        12.0,
        gt=0.0,
        le=120.0,
        unit="months",
        prov="[L] NAV: at most 1 year",
        text="Maximum total subsidy per job, ordinary candidates.",
    )
    rate_reduced_capacity: float = P(
        0.60,
        ge=0.0,
        le=0.75,
        unit="share of wage",
        prov="[L] NAV: 60 %",
        text="Initial rate, reduced work capacity.",
    )
    rate_after_reduced_capacity: float = P(
        0.50,
        ge=0.0,
        le=0.75,
        unit="share of wage",
        prov="[L] NAV: then 50 %",
        text="Rate after the step-down, reduced work capacity.",
    )
    step_down_months_reduced_capacity: float = P(
        12.0,
        ge=0.0,
        le=36.0,
        unit="months",
        prov="[L] NAV: 12 months",
        text="Months at the initial rate, reduced work capacity.",
    )
    max_months_reduced_capacity: float = P(
        24.0,
        gt=0.0,
        le=120.0,
        unit="months",
        prov="[L] NAV: at most 2 years",
        text="Maximum total subsidy per job, reduced work capacity.",
    )
    permanent_share: float = P(
        0.05,
        ge=0.0,
        le=1.0,
        unit="share",
        prov="[S] a time-unlimited variant exists but is rare; value [A]",
        text="Share of the subsidised job starts of candidates with reduced work capacity that get the "
        "permanent (time-unlimited) wage subsidy (varig lønnstilskudd) instead of the temporary one.",
    )
    permanent_rate: float = P(
        0.75,
        ge=0.0,
        le=0.75,
        unit="share of wage",
        prov="[L] NAV: up to 75 % in the first year",
        text="Initial rate of the permanent subsidy.",
    )
    permanent_rate_after: float = P(
        0.67,
        ge=0.0,
        le=0.75,
        unit="share of wage",
        prov="[L] NAV: up to 67 % after the first year",
        text="Rate of the permanent subsidy after the step-down.",
    )
    permanent_step_down_months: float = P(
        12.0,
        ge=0.0,
        le=120.0,
        unit="months",
        prov="[L] NAV: the first year",
        text="Months at the initial rate of the permanent subsidy (0: the lower rate from the start).",
    )
    permanent_job_loss_multiplier: float = P(
        0.7,
        gt=0.0,
        le=1.0,
        unit="relative",
        prov="[A] no end-of-subsidy decision, the employer's loss is covered for as long as needed",
        text="Job-loss hazard multiplier for a job with the permanent subsidy, while followed up and after "
        "discharge (the job is more stable).",
    )

    @model_validator(mode="after")
    def _step_down(self) -> WageSubsidyRules:
        for a, b in (
            ("rate_after", "rate"),
            ("rate_after_reduced_capacity", "rate_reduced_capacity"),
            ("permanent_rate_after", "permanent_rate"),
        ):
            if getattr(self, a) > getattr(self, b):
                raise ValueError(
                    f"{a} = {getattr(self, a):g} exceeds {b} = {getattr(self, b):g}; "
                    "allowed: a step-down, never a step-up"
                )
        return self


class Mentor(_Frozen):
    """Mentortilskudd: a colleague paid for a few hours a month to mentor the new employee."""

    use_prob: float = P(
        0.03,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] very rarely used (small firms lack a suitable person); value [A]",
        text="Chance that a paid job start comes with a mentor subsidy.",
    )
    duration_months: float = P(
        6.0,
        gt=0.0,
        le=60.0,
        unit="months",
        prov="[S] normally up to 6 months",
        text="How long the mentor is paid for (ordinary candidates); mentoring ends earlier if the job ends.",
    )
    duration_months_reduced_capacity: float = P(
        36.0,
        gt=0.0,
        le=60.0,
        unit="months",
        prov="[S] up to 3 years with reduced work capacity",
        text="Same for candidates with reduced work capacity.",
    )
    hours_per_month: float = P(
        6.0,
        ge=0.0,
        le=160.0,
        unit="hours/month",
        prov="[S] a few hours a month; value [A]",
        text="Paid mentor hours per month.",
    )
    trained: bool = Field(
        False,
        description="Whether mentors have had mentor training (recommended by the study); a trained mentor "
        "lowers job loss by trained_job_loss_multiplier instead of job_loss_multiplier. [S]",
        json_schema_extra={
            "unit": "-",
            "provenance": "[S] recommended, ideally with mentor training",
            "range": "true or false",
        },
    )
    job_loss_multiplier: float = P(
        0.8,
        gt=0.0,
        le=1.0,
        unit="relative",
        prov="[S] shown to work where used; value [A]",
        text="Job-loss hazard multiplier while an untrained mentor is paid (followed up or after discharge).",
    )
    trained_job_loss_multiplier: float = P(
        0.6,
        gt=0.0,
        le=1.0,
        unit="relative",
        prov="[S] mentor training recommended; value [A]",
        text="Job-loss hazard multiplier while a trained mentor is paid.",
    )

    @model_validator(mode="after")
    def _training_helps(self) -> Mentor:
        if self.trained_job_loss_multiplier > self.job_loss_multiplier:
            raise ValueError(
                f"trained_job_loss_multiplier = {self.trained_job_loss_multiplier:g} exceeds "
                f"job_loss_multiplier = {self.job_loss_multiplier:g}; allowed: training helps or does nothing"
            )
        return self


class Costs(_Frozen):
    """Prices (NOK) for the cost KPIs; they change no behaviour, only what the log's events cost."""

    specialist_cost_per_fte_year: float = P(
        800_000.0,
        ge=0.0,
        le=5_000_000.0,
        unit="NOK/FTE-year",
        prov="[A] a NAV adviser's pay of about 600,000 NOK a year (2023 level) plus about a third for "
        "employer's payroll tax and pension",
        text="Cost of one full-time specialist post while it has a holder (salary incl. employer costs); "
        "a vacant post costs nothing.",
    )
    supervision_cost_per_hour: float = P(
        1_600.0,
        ge=0.0,
        le=20_000.0,
        unit="NOK per hour received",
        prov="[S] a method supervisor, often a half position per team (domain.md); value [A]: half of "
        "an 850,000 NOK post spread over the 260 hours a year five specialists receive at 1 h/week",
        text="Cost of one hour of method supervision received by a specialist (workforce.supervision_hours "
        "per held post and week), incl. the supervisor's preparation and leadership time.",
    )
    job_wage_per_year: float = P(
        500_000.0,
        ge=0.0,
        le=5_000_000.0,
        unit="NOK/year at full time",
        prov="[A] entry-level pay (about 210 NOK/hour in 2023) plus holiday pay and employer's payroll "
        "tax, the base NAV computes the subsidy on",
        text="Full-time yearly wage of the candidates' jobs, as the wage subsidy's base.",
    )
    job_fte_share: float = P(
        0.6,
        gt=0.0,
        le=1.0,
        unit="share of full time",
        prov="[S] many start part-time, with reduced hours early; value [A]",
        text="Mean working-time share of the candidates' jobs: subsidy paid = rate x wage x share x time.",
    )
    mentor_cost_per_hour: float = P(
        450.0,
        ge=0.0,
        le=5_000.0,
        unit="NOK/hour",
        prov="[A] a colleague's hourly pay with employer costs, as NAV refunds it",
        text="Mentor subsidy paid per mentor hour.",
    )
    mentor_training_cost: float = P(
        5_000.0,
        ge=0.0,
        le=200_000.0,
        unit="NOK per trained mentor",
        prov="[A] a short course for the mentor",
        text="Cost of training one mentor, charged when a trained mentor starts.",
    )
    inclusion_grant_prob: float = P(
        0.1,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] inkluderingstilskudd exists for equipment and adaptation; value [A]",
        text="Chance that a paid job start comes with an inclusion grant (costed as its expected value).",
    )
    inclusion_grant_mean: float = P(
        20_000.0,
        ge=0.0,
        le=500_000.0,
        unit="NOK per grant",
        prov="[A] equipment or adaptation of modest size",
        text="Mean amount of one inclusion grant.",
    )


class SickLeave(_Frozen):
    """Sick-leave episodes: pause progress, more frequent early in a job, can end it."""

    episodes_per_year: float = P(
        1.0,
        ge=0.0,
        le=50.0,
        unit="1/year",
        prov="[A]",
        text="Rate of sick-leave episodes for a candidate not in a job.",
    )
    episodes_per_year_in_job: float = P(
        2.0,
        ge=0.0,
        le=50.0,
        unit="1/year",
        prov="[S] repeated short absences early in a job; value [A]",
        text="Rate of sick-leave episodes in a job (times the early multiplier in the early period).",
    )
    mean_days: float = P(
        12.0,
        gt=0.0,
        le=365.0,
        unit="days",
        prov="[A]",
        text="Mean length of a sick-leave episode (exponential).",
    )
    ends_job_prob: float = P(
        0.1,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] sick leave can end a job; value [A]",
        text="Chance a sick-leave episode in a job ends the job.",
    )


class TimeLimitPolicy(StrEnum):
    """How long follow-up may last (§ 5 of the regulation, and the alternatives planners ask about)."""

    strict_6_6 = "strict_6_6"
    reduced_capacity_3y = "reduced_capacity_3y"
    three_years_all = "three_years_all"
    none = "none"


class DischargeRule(StrEnum):
    """When a candidate in a job is discharged (written out) to work."""

    after_followup = "after_followup"
    when_stable = "when_stable"


class Regulation(_Frozen):
    """The regulation: caseload cap, time limits and extensions, step-5 discharge."""

    caseload_cap: float = P(
        15.0,
        ge=1.0,
        le=100.0,
        unit="candidates per FTE",
        prov="[S] 12–20 per FTE (literature 12–25)",
        text="Caseload cap per full-time specialist; a specialist's slots are floor(cap × FTE), at least 1.",
    )
    time_limit: TimeLimitPolicy = Field(
        TimeLimitPolicy.reduced_capacity_3y,
        description="strict_6_6: 6 + 6 months for all; reduced_capacity_3y: up to 3 years for "
        "reduced work capacity, 6 + 6 months for others (the 2019 regulation); "
        "three_years_all; none ('as long as needed'). [S]",
        json_schema_extra={"unit": "-", "provenance": "[S] regulation § 5", "range": "one of the four"},
    )
    period_months: float = P(
        6.0,
        ge=0.5,  # a review every fortnight at the most: shorter ones only make the clock crawl
        le=36.0,
        unit="months",
        prov="[S] 6 months, extendable",
        text="Length of the first period and of each extension.",
    )
    extension_hours: float = P(
        3.0,
        ge=0.0,
        le=40.0,
        unit="hours",
        prov="[S] extensions need justification; value [A]",
        text="Specialist time to justify and record an extension, taken within a week.",
    )
    followup_after_job_days: float = P(
        365.0,
        gt=0.0,
        le=3650.0,
        unit="days",
        prov="[S] in practice up to about a year after the start",
        text="Step-5 follow-up after a job start; then discharge to work (with discharge_to_work: "
        "when_stable, the latest discharge).",
    )
    discharge_to_work: DischargeRule = Field(
        DischargeRule.after_followup,
        description="after_followup: discharge to work after followup_after_job_days in the job; "
        "when_stable: as soon as the job has lasted stable_after_days, is past its early months and has "
        "no employer decision pending (a permanent job, a permanent hire or a permanent subsidy), at "
        "the latest after followup_after_job_days. The legal limit applies in both. [S] 'as long as "
        "needed' in principle, about a year in practice",
        json_schema_extra={
            "unit": "-",
            "provenance": "[S] as long as needed / about a year in practice",
            "range": "after_followup or when_stable",
        },
    )
    stable_after_days: float = P(
        182.0,
        gt=0.0,
        le=3650.0,
        unit="days",
        prov="[A]",
        text="With discharge_to_work: when_stable, the least time in the job before a discharge.",
    )


class SpecialistWeek(_Frozen):
    """The specialist's week: how many hours there are, and what the caseload asks of them."""

    hours_per_fte: float = P(
        37.5,
        gt=0.0,
        le=60.0,
        unit="hours/week",
        prov="[S] Norwegian full time",
        text="Contract hours per full-time specialist.",
    )
    reporting_hours: float = P(
        5.0,
        ge=0.0,
        le=40.0,
        unit="hours/week per FTE",
        prov="[S] reporting takes far more than intended; value [A]",
        text="Reporting and registration overhead.",
    )
    other_overhead_hours: float = P(
        3.0,
        ge=0.0,
        le=40.0,
        unit="hours/week per FTE",
        prov="[A] team meetings, method supervision",
        text="Other fixed overhead.",
    )
    outside_time_share: float = P(
        0.4,
        ge=0.0,
        le=0.9,
        unit="share of hours",
        prov="[S] at least 40 % outside the office (early on misread as 60 %)",
        text="Required share of working time outside the office, with candidates and employers.",
    )
    travel_hours_per_outside_hour: float = P(
        0.15,
        ge=0.0,
        le=1.0,
        unit="hours per outside hour",
        prov="[A]",
        text="Travel the outside-time requirement costs, per hour spent outside.",
    )
    employer_visits_per_week: float = P(
        6.0,
        ge=0.0,
        le=30.0,
        unit="visits/week per FTE",
        prov="[S] six a week gives top fidelity",
        text="New candidate-specific employer visits aimed for.",
    )
    hours_per_employer_visit: float = P(
        1.0, ge=0.0, le=8.0, unit="hours", prov="[A] incl. travel", text="Time per employer visit."
    )
    hours_per_candidate: tuple[WeeklyHours, WeeklyHours, WeeklyHours, WeeklyHours, WeeklyHours] = Field(
        (2.0, 2.0, 1.4, 1.4, 0.8),
        description="Weekly specialist time a candidate of average severity needs in steps 1–5. "
        "Unit: hours/week. Range: each >= 0 and <= 20. [L] IPS contact intensity (domain.md): "
        "~86 min/week face-to-face in the first months (steps 1–2), ~34 min/week later (step 5), "
        "[A] midway (60 min) in steps 3–4; each x 1.4 for preparation, phone and travel [A]",
        json_schema_extra={"unit": "hours/week", "provenance": "[L]/[A]", "range": "each >= 0 and <= 20"},
    )
    min_visit_share: float = P(
        0.5,
        ge=0.0,
        le=1.0,
        unit="share of the quota",
        prov="[A] visits are what an overloaded specialist postpones first; they are not dropped",
        text="Under overload the specialist cuts employer visits down to this share of the quota and gives "
        "the hours freed to the caseload (logged weekly as hours_from_visits).",
    )
    step5_priority: float = P(
        1.5,
        ge=0.0,
        le=5.0,
        unit="exponent",
        prov="[S] too little effort on step 5",
        text="When overloaded, step-5 follow-up intensity is efficiency**priority (>1: follow-up "
        "thins first).",
    )

    @model_validator(mode="after")
    def _capacity(self) -> SpecialistWeek:
        over = self.fixed_overhead_hours
        if over >= self.hours_per_fte:
            raise ValueError(
                f"fixed overhead {over:g} h/week (reporting + other + employer visits + travel) leaves "
                f"no candidate time out of hours_per_fte = {self.hours_per_fte:g}; allowed: less than "
                "hours_per_fte"
            )
        return self

    @property
    def fixed_overhead_hours(self) -> float:
        """Hours a full-time week loses before any candidate is seen."""
        return (
            self.reporting_hours
            + self.other_overhead_hours
            + self.employer_visits_per_week * self.hours_per_employer_visit
            + self.hours_per_fte * self.outside_time_share * self.travel_hours_per_outside_hour
        )

    @property
    def candidate_hours(self) -> float:
        """Hours per full-time week left for candidates."""
        return self.hours_per_fte - self.fixed_overhead_hours


class EmployerNetwork(_Frozen):
    """The specialist's employer network: a stock built by employer visits that makes jobs."""

    reference_visits_per_week: float = P(
        6.0,
        gt=0.0,
        le=30.0,
        unit="visits/week per FTE",
        prov="[S] six new employer visits a week gives the top fidelity score",
        text="Visits a week that, kept up, build the reference network (network 1.0).",
    )
    memory_months: float = P(
        6.0,
        gt=0.0,
        le=60.0,
        unit="months",
        prov="[A] contacts go stale within months without visits",
        text="Time constant with which employer contacts fade without new visits.",
    )
    job_finding_effect: float = P(
        0.5,
        ge=0.0,
        le=1.0,
        unit="share of step-3 speed",
        prov="[S] job finding is done with employers (steps 3–4); value [A]",
        text="Job finding (step 3) goes at speed x (1 - effect + effect x network), network capped at 2: "
        "with no network it goes at 1 - effect of the reference speed.",
    )
    permanent_effect: float = P(
        0.5,
        ge=0.0,
        le=5.0,
        unit="logit per unit network",
        prov="[S] a good relationship with the employer matters; value [A]",
        text="Log-odds shift, per unit of network above the reference, of a job being permanent at its "
        "start and of a permanent hire at an employer decision.",
    )
    kept_share: float = P(
        0.3,
        ge=0.0,
        le=1.0,
        unit="share",
        prov="[A] some contacts are the team's, most leave with the person",
        text="Share of a leaver's network that stays with the post (the team's contacts) for the next holder.",
    )


class ServiceArm(StrEnum):
    """Who follows the referred candidates."""

    supported_employment = "supported_employment"
    usual_services = "usual_services"


class UsualServices(_Frozen):
    """The counterfactual of the trials: ordinary NAV case workers with well over 100 users each.

    Used when ``service: usual_services``. The same candidate stream is followed by the team's
    posts acting as ordinary case workers: no caseload cap, no waiting list, no time limit, little
    time per user, little employer contact, train-then-place, no step-5 workplace follow-up, no
    result targets; the case workers' own stress and turnover are not modelled.
    """

    hours_per_user: float = P(
        0.3,
        gt=0.0,
        le=20.0,
        unit="hours/week",
        prov="[S] an ordinary case worker has well over 100 users; ~30 candidate hours a week / 100 [A]",
        text="Time a case worker gives each user a week, whatever the step.",
    )
    employer_visits_per_week: float = P(
        0.5,
        ge=0.0,
        le=30.0,
        unit="visits/week per FTE",
        prov="[S] little employer contact; value [A]",
        text="Candidate-specific employer visits a case worker makes (builds the employer network).",
    )
    assessment_days: float = P(
        90.0,
        gt=0.0,
        le=730.0,
        unit="days",
        prov="[S] train-then-place: assessment first; value [A]",
        text="Mean work of the assessment and preparation that replaces vocational profiling (step 2).",
    )
    work_practice_prob: float = P(
        0.6,
        ge=0.0,
        le=1.0,
        unit="probability",
        prov="[S] train-then-place: sheltered or work-practice arenas first; value [A]",
        text="Chance that job finding starts with unpaid work practice.",
    )


class HandoverPolicy(StrEnum):
    """What happens to a caseload when its specialist leaves."""

    redistribute = "redistribute"
    wait = "wait"


class Workforce(_Frozen):
    """Specialists as people: crises, support, stress, absence, quits, recruitment, learning."""

    crises_per_week: float = P(
        0.5,
        ge=0.0,
        le=10.0,
        unit="crises/week per specialist",
        prov="[S] 'something explodes' regularly; value [A]",
        text="Rate of unplanned crises (Poisson).",
    )
    hours_per_crisis: float = P(
        2.0, ge=0.0, le=40.0, unit="hours", prov="[A]", text="Candidate time a crisis takes from the week."
    )
    supervision_hours: float = P(
        1.0,
        ge=0.0,
        le=10.0,
        unit="hours/week per specialist",
        prov="[S] method supervisor, often a half position; value [A]",
        text="Method supervision received.",
    )
    case_meeting_hours: float = P(
        1.0,
        ge=0.0,
        le=10.0,
        unit="hours/week",
        prov="[S] team case discussion relieves; value [A]",
        text="Team case meetings (part of the other overhead, not extra time).",
    )
    stress_recovery: float = P(
        0.12,
        ge=0.0,
        le=5.0,
        unit="per week",
        prov="[A]",
        text="Weekly relief that brings stress down when nothing presses.",
    )
    stress_overload: float = P(
        0.4,
        ge=0.0,
        le=10.0,
        unit="per week per unit of overload",
        prov="[S] many balls in the air; value [A]",
        text="Pressure from demand above capacity (overload = demand/capacity - 1).",
    )
    stress_measurement: float = P(
        0.02,
        ge=0.0,
        le=5.0,
        unit="per week",
        prov="[S] measured and counted weekly; value [A]",
        text="Constant pressure of being counted.",
    )
    stress_target: float = P(
        0.06,
        ge=0.0,
        le=5.0,
        unit="per week at a full shortfall",
        prov="[S] targets felt individually; value [A]",
        text="Pressure from a shortfall against the exits-to-work target (0 on target, 1 at none).",
    )
    individual_target_multiplier: float = P(
        2.0,
        ge=1.0,
        le=10.0,
        unit="relative",
        prov="[S] worse when targets are measured per person; value [A]",
        text="Target pressure multiplier when targets are measured per person.",
    )
    stress_failure: float = P(
        0.03,
        ge=0.0,
        le=5.0,
        unit="per failure",
        prov="[S] failures after long effort; value [A]",
        text="Pressure from each job lost or candidate dropping out.",
    )
    stress_crisis: float = P(
        0.01, ge=0.0, le=5.0, unit="per crisis hour", prov="[A]", text="Pressure from each hour of crisis."
    )
    stress_isolation: float = P(
        0.03,
        ge=0.0,
        le=5.0,
        unit="per week",
        prov="[S] loneliness in the role; value [A]",
        text="Pressure in a team of three or fewer present specialists.",
    )
    stress_support: float = P(
        0.03,
        ge=0.0,
        le=5.0,
        unit="per hour of support",
        prov="[S] team support and method supervision relieve; value [A]",
        text="Relief per hour of supervision and case meetings.",
    )
    stress_success: float = P(
        0.03,
        ge=0.0,
        le=5.0,
        unit="per success",
        prov="[S] 'manic-happy' after a success; value [A]",
        text="Relief from each job start or exit to work.",
    )
    quit_per_year: float = P(
        0.24,
        ge=0.0,
        le=10.0,
        unit="1/year",
        prov="[L] turnover of 27 % a year in other public-sector jobs in the same regions (domain.md): an "
        "unstressed team turns over 27 % a year with new hires' misfit quits (x quit_early_multiplier for "
        "quit_early_months) included, 0.24 x (1 + 0.5 x 0.27); the 45 % reported for IPS job specialists is "
        "what the stress effect must explain (docs/model.md, validation)",
        text="Quit hazard of an unstressed, settled specialist.",
    )
    quit_stress_effect: float = P(
        2.0,
        ge=0.0,
        le=10.0,
        unit="per unit stress",
        prov="[S] many doubt they can stay; value [A]",
        text="Quit hazard multiplier exp(effect x stress).",
    )
    quit_early_months: float = P(
        6.0, ge=0.0, le=60.0, unit="months", prov="[S] people quit in the first months", text="Misfit period."
    )
    quit_early_multiplier: float = P(
        2.0, ge=1.0, le=20.0, unit="relative", prov="[A]", text="Quit hazard multiplier in the misfit period."
    )
    absence_per_year: float = P(
        0.5,
        ge=0.0,
        le=20.0,
        unit="episodes/year",
        prov="[A]",
        text="Sick-absence episodes of an unstressed specialist (0 switches absence off).",
    )
    absence_stress_effect: float = P(
        2.0,
        ge=0.0,
        le=10.0,
        unit="per unit stress",
        prov="[A]",
        text="Absence rate multiplier exp(effect x stress).",
    )
    absence_mean_weeks: float = P(
        2.0, gt=0.0, le=52.0, unit="weeks", prov="[A]", text="Mean length of a sick absence (whole weeks)."
    )
    recruitment_mean_months: float = P(
        3.0,
        ge=0.0,
        le=36.0,
        unit="months",
        prov="[A] advertising, hiring, notice",
        text="Mean time a vacancy stays open (exponential, in whole weeks).",
    )
    initial_effectiveness: float = P(
        0.6,
        gt=0.0,
        le=1.0,
        unit="share",
        prov="[S] a three-day course, then learning on the job; value [A]",
        text="Effectiveness of a new hire (share of a settled specialist's pace).",
    )
    learning_months: float = P(
        12.0,
        gt=0.0,
        le=60.0,
        unit="months",
        prov="[S] teams take well over a year to consolidate: with 12 months a new hire is at 85 % after a "
        "year and 95 % after two",
        text="Time constant of the learning curve: 1 - (1 - initial) x exp(-tenure / learning).",
    )
    vacancy_cover: float = P(
        0.2,
        ge=0.0,
        le=1.0,
        unit="share",
        prov="[A] colleagues and the leader cover the urgent",
        text="Share of a post's candidate time covered while it is vacant or its holder is absent.",
    )
    handover: HandoverPolicy = Field(
        HandoverPolicy.redistribute,
        description="redistribute: a leaver's candidates go to colleagues with free slots, the rest "
        "wait for the replacement; wait: all wait for the replacement. [A]",
        json_schema_extra={"unit": "-", "provenance": "[A]", "range": "redistribute or wait"},
    )
    handover_setback_days: float = P(
        14.0,
        ge=0.0,
        le=365.0,
        unit="days of work",
        prov="[S] each departure breaks relationships; value [A]",
        text="Extra step work after a change of specialist (relationship restart).",
    )


class TargetMeasure(StrEnum):
    team = "team"
    individual = "individual"


class Targets(_Frozen):
    """Result targets and their side effects."""

    measure: TargetMeasure = Field(
        TargetMeasure.team,
        description="team: targets measured per team (as intended); individual: per specialist (as often "
        "felt). [S]",
        json_schema_extra={"unit": "-", "provenance": "[S]", "range": "team or individual"},
    )
    work_within_year: float = P(
        0.65,
        ge=0.0,
        le=1.0,
        unit="share",
        prov="[S] 65 % into work within a year",
        text="Target share of intakes into work within a year. It presses on the specialists (with the "
        "exits target, each shortfall counting half) through the running share of first jobs per intake; "
        "0 switches it off.",
    )
    exits_to_work_per_fte_year: float = P(
        9.0,
        ge=0.0,
        le=50.0,
        unit="exits/FTE-year",
        prov="[S] at least 9 per full-time specialist",
        text="Target exits to work per full-time specialist-year; 0 switches it off.",
    )
    count_education: bool = Field(
        False,
        description="Whether exits to education count as positive (a sore point). [S]",
        json_schema_extra={"unit": "-", "provenance": "[S]", "range": "true or false"},
    )
    discharge_strength: float = P(
        0.2,
        ge=0.0,
        le=1.0,
        unit="probability at full pressure",
        prov="[A] modest",
        text="Chance, at a review under full target pressure, of discharging a candidate still in steps 1-2.",
    )
    creaming_strength: float = P(
        0.2,
        ge=0.0,
        le=1.0,
        unit="probability at full pressure",
        prov="[S] intake is sometimes selective; value [A]",
        text="Chance, at full target pressure, that a free slot goes to the readiest of the first five waiting.",
    )


class WaitingList(_Frozen):
    """How a team's waiting list responds to its length (domain.md, "Intake, discharge and what the targets count").

    A full team "turns people away or sends them elsewhere; it does not keep an
    ever-growing list" [S]. Three responses, each with its own switch: first-line case
    workers refer fewer people the longer the list (``referral_feedback``); people on
    the list leave for other measures after a while (``reneging``); and a team may close
    its list at a given length (``closes``). List lengths are per FTE of the team's
    open posts (held, not being cut), so that they scale with the team.
    """

    referral_feedback: bool = Field(
        True,
        description="Whether case workers refer fewer of the people they would refer as the team's waiting "
        "list grows; those not referred go to other measures (false: every potential referral is made). [S]",
        json_schema_extra={
            "unit": "-",
            "provenance": "[S] first-line case workers decide whom to refer; a full team refers users elsewhere",
            "range": "true or false",
        },
    )
    half_referrals_at_list_per_fte: float = P(
        2.0,
        gt=0.0,
        le=100.0,
        unit="people waiting per open FTE",
        prov="[A] two per full-time specialist is about 2–3 months' intake at the baseline's ~10 intakes per "
        "FTE-year: a case worker in weekly contact with the team (fidelity) is assumed to offer another "
        "measure to half of those they would refer once the wait is that long",
        text="With referral_feedback, a potential referral is made with probability 1 / (1 + (L / (this × "
        "FTE))^feedback_shape), L = people on the list, FTE = the team's open posts: every one while "
        "nobody waits, half when the list holds this many per FTE.",
    )
    feedback_shape: float = P(
        2.0,
        ge=0.5,
        le=10.0,
        unit="-",
        prov="[A] case workers hardly notice a wait of a few weeks and react as the wait nears the half "
        "point: with 2, 94 % are still referred at a quarter of it, 80 % at half, 20 % at twice; 1 reacts "
        "to the first person waiting (80 % at a quarter)",
        text="Steepness n of the referral feedback (a Hill curve in the list length); larger: closer to a "
        "sharp threshold at the half point.",
    )
    referral_selectivity: float = P(
        0.0,
        ge=0.0,
        le=5.0,
        unit="per logit of readiness",
        prov="[S] some users are never offered a specialist because case workers judge them not ready for "
        "work (creaming at referral); strength [A], off by default",
        text="Creaming at referral: while people wait, the feedback's odds of withholding a referral are "
        "multiplied by exp(-selectivity x readiness), so a long list sends the least ready elsewhere first "
        "(no extra random draw: the same uniform decides).",
    )
    reneging: bool = Field(
        True,
        description="Whether people on the waiting list leave it for other measures when their patience runs "
        "out (false: everyone waits until taken in). [S]",
        json_schema_extra={
            "unit": "-",
            "provenance": "[S] a full team 'does not keep an ever-growing list': users go to other measures",
            "range": "true or false",
        },
    )
    patience_mean_days: float = P(
        182.5,
        gt=0.0,
        le=3650.0,
        unit="days",
        prov="[A] half a year, the regulation's follow-up period (§ 5): by the next six-monthly review of "
        "the activity plan the case worker is assumed to have found another measure for the average "
        "person still waiting",
        text="With reneging, how long a person would wait on the list: exponential with this mean (a "
        "constant chance of another offer coming along), drawn for every potential referral.",
    )
    closes: bool = Field(
        False,
        description="Whether the team closes its waiting list at close_at_list_per_fte: referrals that would "
        "join a list that long go to other measures instead (a management lever, off by default: the "
        "gradual responses above hold the list). [S] [A]",
        json_schema_extra={
            "unit": "-",
            "provenance": "[S] fidelity scale: 'referred to other measures' when there is no capacity; "
            "the closure itself a lever [A]",
            "range": "true or false",
        },
    )
    close_at_list_per_fte: float = P(
        3.0,
        ge=0.0,
        le=100.0,
        unit="people waiting per open FTE",
        prov="[A] a lever to sweep; 3 per FTE is about 3–4 months' intake in the baseline",
        text="With closes, a referral that finds no free slot is turned away if the list already holds at "
        "least this × the FTE of the team's open posts (0: no waiting list at all).",
    )


class RunSettings(_Frozen):
    """Clock of one replication: a warm-up, then the measurement window."""

    warmup_days: float = P(
        1095.0,
        ge=0.0,
        le=36500.0,
        unit="days",
        prov="[A] the longest possible stay (3 years); a team near capacity needs longer for its queue",
        text="Warm-up before the measurement window (0 for a start-up scenario).",
    )
    horizon_days: float = P(
        1095.0,
        ge=30.0,
        le=36500.0,
        unit="days",
        prov="[A] 3 years",
        text="Length of the measurement window after the warm-up.",
    )


class Scenario(_Frozen):
    """One world: teams, candidates, pathway, jobs, subsidies, sick leave, rules, week, clock."""

    name: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$",
        description="Scenario name (used for the default output folder).",
    )
    description: str = Field("", max_length=4000, description="What question this scenario answers.")
    teams: tuple[TeamSpec, ...] = Field(
        min_length=1, max_length=1000, description="Teams of job specialists."
    )
    service: ServiceArm = Field(
        ServiceArm.supported_employment,
        description="supported_employment: job specialists (the model); usual_services: the same "
        "candidates followed by ordinary NAV case workers (the trials' control arm, see usual_services). [S]",
        json_schema_extra={
            "unit": "-",
            "provenance": "[S]",
            "range": "supported_employment or usual_services",
        },
    )
    candidates: CandidateMix = CandidateMix()
    pathway: Pathway = Pathway()
    jobs: Jobs = Jobs()
    wage_subsidy: WageSubsidyRules = WageSubsidyRules()
    mentor: Mentor = Mentor()
    sick_leave: SickLeave = SickLeave()
    regulation: Regulation = Regulation()
    week: SpecialistWeek = SpecialistWeek()
    workforce: Workforce = Workforce()
    employer_network: EmployerNetwork = EmployerNetwork()
    usual_services: UsualServices = UsualServices()
    targets: Targets = Targets()
    waiting_list: WaitingList = WaitingList()
    run: RunSettings = RunSettings()
    costs: Costs = Costs()

    @property
    def total_fte(self) -> float:
        """FTE of the teams' own posts (``specialists`` × FTE × copies), teams that open later included.

        Staffing changes are not counted: this is the establishment the scenario names.
        """
        return sum(t.specialists * t.fte_per_specialist * t.copies for t in self.teams)

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def digest(self) -> str:
        """SHA-256 of the resolved scenario, for manifests."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


class ScenarioError(ValueError):
    """A scenario that cannot be used, with one human-readable line per problem."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_yaml(path: Path, source: str) -> dict[str, Any]:
    """The file's top-level mapping, read by the strict reader (:mod:`caseload_sim.yaml_strict`)."""
    try:
        doc = load_yaml(read_text(path))
    except YamlProblem as exc:
        raise ScenarioError(source, [str(exc)]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ScenarioError(source, [f"top level: got {type(doc).__name__}; allowed: a mapping of keys"])
    return doc


def resolve_document(path: str | Path, extends_roots: Sequence[str | Path] = ()) -> dict[str, Any]:
    """Read a scenario file and resolve its ``extends:`` chain into one mapping.

    The parent path is relative to the file that names it; mappings merge key by key,
    lists and scalars of the child replace the parent's. A parent must lie in the
    folder tree of the file the user named (after symlinks), or in one of
    ``extends_roots`` (the CLI's ``--extends-root``): a scenario cannot make the tool
    read files elsewhere. Special files and files over the reader's size are refused
    (:mod:`caseload_sim.yaml_strict`), and no message shows a parent's content.
    """
    path = Path(path)
    source = str(path)
    doc = _read_yaml(path, source)
    real = _resolved(path, source, "")
    roots = (*(_resolved(Path(r), source, "--extends-root: ") for r in extends_roots), real.parent)
    return _resolve_parents(path, doc, real, roots, ())


def _resolve_parents(
    path: Path, doc: dict[str, Any], real: Path, roots: tuple[Path, ...], seen: tuple[Path, ...]
) -> dict[str, Any]:
    source = str(path)
    parent = doc.pop("extends", None)
    if parent is None:
        return doc
    shown = _SHORT.repr(parent)
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(source, [f"extends: got {shown}; allowed: a path to another scenario file"])
    parent_path = path.parent / parent
    parent_real = _resolved(parent_path, source, f"extends: got {shown}; ")
    if parent_real in (*seen, real):
        chain = " -> ".join(str(p) for p in (*seen, real, parent_real))
        raise ScenarioError(source, [f"extends: {shown} makes a cycle: {chain}"])
    if not any(parent_real.is_relative_to(root) for root in roots):
        where = " or ".join(path_text(r) for r in roots)
        raise ScenarioError(
            source,
            [
                f"extends: got {shown}; it is outside {where}; allowed: a scenario file in the folder "
                "of the scenario you named, or below it (--extends-root DIR allows another folder)"
            ],
        )
    try:
        exists = parent_path.exists()
    except (OSError, ValueError) as exc:
        raise ScenarioError(source, [f"extends: got {shown}; cannot use it: {exc}"]) from None
    if not exists:
        raise ScenarioError(source, [f"extends: got {shown}; no such file {path_text(parent_path)}"])
    base_doc = _read_yaml(parent_path, str(parent_path))
    base = _resolve_parents(parent_path, base_doc, parent_real, roots, (*seen, real))
    return _merge(base, doc)


def _resolved(path: Path, source: str, prefix: str) -> Path:
    """``path`` made absolute with symlinks followed, or a ScenarioError (a loop, a bad name)."""
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise ScenarioError(source, [f"{prefix}cannot use {path_text(path)}: {reason}"]) from None


def _model_at(loc: tuple[Any, ...], root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The schema section a key path points into (for listing allowed keys)."""
    model: type[BaseModel] = root or Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        inner = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if inner is None:
            return None
        model = inner
    return model


# Shows a bad value briefly, whatever its size or depth (YAML aliases can make a small
# file stand for a huge nested value; a plain repr of it could take minutes).
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 2, 4, 4, 60, 60


def _key_text(part: Any) -> str:
    """A key of a key path as a one-line message shows it (control characters escaped, at most 80)."""
    text = str(part)
    if not text.isprintable():
        text = repr(text)
    return text if len(text) <= 80 else text[:77] + "..."


def _format_error(err: Any, root: type[BaseModel] | None = None) -> str:
    parts = tuple(err.get("loc", ()))
    loc = ".".join(_key_text(x) for x in parts) or "(top level)"
    msg = str(err.get("msg", "invalid"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    kind = err.get("type", "")
    if kind == "missing":
        if parts and isinstance(parts[-1], int):
            parent = ".".join(str(x) for x in parts[:-1])
            return f"{parent}: too few values (value number {parts[-1] + 1} is missing)"
        return f"{loc}: required key is missing"
    if kind == "extra_forbidden":
        model = _model_at(parts[:-1], root)
        if model is None:
            return f"{loc}: unknown key"
        allowed = list(model.model_fields)
        close = difflib.get_close_matches(str(parts[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"{loc}: unknown key; {hint}allowed: {', '.join(allowed)}"
    if kind == "string_pattern_mismatch" and parts == ("name",):
        msg = "allowed: letters, digits, '_', '-' and '.', not starting with '.' (the name becomes the output folder)"
    if kind == "value_error" and isinstance(err.get("input"), dict):
        key, sep, rest = msg.partition(": got ")
        if sep and re.fullmatch(r"[A-Za-z_]\w*(\.\d+)?", key):  # one key of this section: not a number
            return f"{loc}.{key}: got {rest}" if parts else f"{key}: got {rest}"
        return f"{loc}: {msg}" if parts else msg  # a rule across several keys of this section
    shown = _SHORT.repr(err.get("input"))
    return f"{loc}: got {shown}; {msg}"


def validation_problems(exc: ValidationError, root: type[BaseModel] | None = None) -> list[str]:
    """One line per problem of a failed validation of ``root`` (default :class:`Scenario`):
    key path, value and what is allowed."""
    errs = exc.errors()
    locs = [tuple(e.get("loc", ())) for e in errs]
    out = []
    for e, loc in zip(errs, locs, strict=True):
        # "too short" of a list whose items failed is a consequence, not a second problem
        if e.get("type") == "too_short" and any(o[: len(loc)] == loc and len(o) > len(loc) for o in locs):
            continue
        out.append(_format_error(e, root))
    return out


def scenario_from_dict(doc: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a resolved mapping into a :class:`Scenario`, or raise :class:`ScenarioError`."""
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(source, validation_problems(exc)) from None
    except (TypeError, ValueError, RecursionError) as exc:  # pragma: no cover - defensive
        raise ScenarioError(source, [f"invalid scenario: {exc}"]) from None


def load_scenario(path: str | Path, extends_roots: Sequence[str | Path] = ()) -> Scenario:
    """Load, resolve ``extends:`` (within the named file's folder tree or ``extends_roots``) and validate."""
    return scenario_from_dict(resolve_document(path, extends_roots), str(path))


def parameter_table() -> list[dict[str, str]]:
    """Every parameter of the schema with its default, unit, range and provenance (for docs)."""
    rows: list[dict[str, str]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}.")
                continue
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if "unit" not in extra:
                continue
            default = "(required)" if field.is_required() else field.default
            if isinstance(default, Enum):
                default = default.value
            desc = (field.description or "").split(" Unit:")[0]
            rows.append(
                {
                    "parameter": prefix + name,
                    "default": str(default),
                    "unit": str(extra["unit"]),
                    "range": str(extra["range"]),
                    "provenance": str(extra["provenance"]),
                    "meaning": desc,
                }
            )

    walk(Scenario, "")
    walk(TeamSpec, "teams[].")
    walk(StaffingChange, "teams[].changes[].")
    walk(ReferralChange, "teams[].referral_changes[].")
    walk(ScriptedQuit, "teams[].quits[].")
    return rows


def parameter_markdown() -> str:
    """The parameter reference as a Markdown table (kept in docs/model.md, checked by a test)."""
    lines = ["| parameter | default | unit | range | provenance | meaning |", "|---|---|---|---|---|---|"]
    for row in parameter_table():
        cells = [
            row[k].replace("|", "\\|")
            for k in ("parameter", "default", "unit", "range", "provenance", "meaning")
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
