"""The rules of the game, as pure functions and flat constants the event loop can read fast.

The regulation (§ 5: 6 + 6 months, up to 3 years for reduced work capacity, or the
alternatives planners ask about), the wage-subsidy and mentor rules, and the specialist's week
are turned here from the validated scenario into plain numbers in days. Nothing here
draws random numbers or knows about SimPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from caseload_sim.scenario import DischargeRule, Scenario, ServiceArm, TimeLimitPolicy

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_WEEK",
    "DAYS_PER_YEAR",
    "NETWORK_CAP",
    "WORK_PRACTICE_CAP_DAYS",
    "READINESS_BOUND",
    "Rules",
    "after_service_days",
    "job_type_bounds",
    "limit_days",
    "slots_for",
]

DAYS_PER_YEAR = 365.0
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0
DAYS_PER_WEEK = 7.0
THREE_YEARS = 3 * DAYS_PER_YEAR
# Latent readiness lives on a logit scale and is kept within +-4 (probabilities of about
# 2 % to 98 %): gains from tastings, work practice and lost jobs saturate there, so no
# combination of valid levers can make rates run away. [A]
READINESS_BOUND = 4.0
NETWORK_CAP = 2.0  # the employer network's effects stop growing at twice the reference
WORK_PRACTICE_CAP_DAYS = 365.0  # a spell of work practice lasts at most a year


def job_type_bounds(permanent: float, fixed_term: float, shift: float) -> tuple[float, float]:
    """Upper ends of the permanent and fixed-term slices of [0, 1) for a job start.

    The employer network shifts the log-odds of a permanent job by ``shift``; fixed-term
    and on-call jobs share the rest in their given proportions.
    """
    if shift == 0.0 or not 0.0 < permanent < 1.0:
        return permanent, permanent + fixed_term
    ps = 1.0 / (1.0 + math.exp(-(math.log(permanent / (1.0 - permanent)) + shift)))
    return ps, ps + (1.0 - ps) * fixed_term / (1.0 - permanent)


def after_service_days(
    w1: float,
    w3: float,
    w4: float,
    assessment: float,
    wp_prob: float,
    wp_days: float,
    wp_job: float,
    regress: float,
    regress_share: float,
) -> float:
    """Mean days from entering job finding (step 3) to a job start in the usual-services pathway.

    Hazards and sick leave aside. ``w1``, ``w3``, ``w4``: days steps 1, 3 and 4 take
    at their speed; ``assessment``: the provider's step 2, in calendar days. Entering
    step 3 starts with work practice (probability ``wp_prob``, mean ``wp_days``, no
    step-3 progress), which ends in a job offer (straight to step 4) with probability
    ``wp_job``; else step 3 is worked through. Completing step 2, 3 or 4 sends the person
    one step back with probability ``regress``, with ``regress_share`` of that step's
    work to do again: back from 3 to the assessment (then, possibly, back to step 1 and
    a whole new assessment), back from 4 to step 3 (entered anew). Solving the linear
    equations of the expected times gives the closed form below; with ``regress = 0``
    it is ``wp_prob x wp_days + (1 - wp_prob x wp_job) x w3 + w4``. Linear in the
    ``w``'s and the calendar days together, so ``w``'s of 0 give the calendar part.
    """
    if regress >= 1.0:
        return math.inf
    s = regress_share
    # from a regression at step 3 until step 3 is entered again: the rest of the assessment,
    # and each time its completion sends the person back to step 1, a whole new one
    whole = (assessment + regress * s * w1) / (1.0 - regress)
    back = s * assessment + regress * (s * w1 + whole)
    a = wp_prob * wp_job  # the work practice's shortcut to step 4
    p = 1.0 - (1.0 - a) * regress  # entering step 4 rather than going back
    return (
        wp_prob * wp_days
        + (1.0 - a) * regress * back
        + p * w4
        + (1.0 - a) * w3 * (1.0 - p * regress * (1.0 - s))
    ) / (p * (1.0 - regress))


def _after_service(s: Scenario) -> tuple[float, float, float, float]:
    """Job finding back in usual services (:mod:`caseload_sim.model.afterwards`).

    Returns :func:`after_service_days` split into its calendar days (work practice, the
    provider's assessment) and its days of work at readiness 0 (steps 1, 3 and 4 at the
    speeds the usual-services arm's case worker and employer network give, to be divided
    by the readiness speed factor), both stretched by time off sick; the pace of the
    search's hazards (the share of time not off sick); and the usual network's shift of
    the odds of a permanent job.
    """
    p, us, en, wk = s.pathway, s.usual_services, s.employer_network, s.week
    own = p.own_progress_share
    network = min(us.employer_visits_per_week / en.reference_visits_per_week, NETWORK_CAP)
    find = 1.0 - en.job_finding_effect + en.job_finding_effect * network

    def days(work: float, speed: float) -> float:
        return work / speed if speed > 0.0 else math.inf

    def efficiency(asked: float) -> float:
        return 1.0 if asked <= us.hours_per_user else us.hours_per_user / asked

    hours, mean = wk.hours_per_candidate, p.step_mean_days
    w1 = days(mean[0], own + (1.0 - own) * efficiency(hours[0]))
    w3 = days(mean[2], own + (1.0 - own) * efficiency(hours[2]) * find)
    w4 = days(mean[3], own + (1.0 - own) * efficiency(hours[3]))
    wp_days = p.work_practice_mean_days * -math.expm1(-WORK_PRACTICE_CAP_DAYS / p.work_practice_mean_days)
    q, offer, back, share = (
        us.work_practice_prob,
        p.work_practice_job_prob,
        p.regression_prob,
        p.regression_work_share,
    )
    calendar = after_service_days(0.0, 0.0, 0.0, us.assessment_days, q, wp_days, offer, back, share)
    work = (
        after_service_days(w1, w3, w4, 0.0, q, 0.0, offer, back, share)
        if math.isfinite(w1 + w3 + w4)
        else math.inf
    )
    pace = 1.0 / (1.0 + s.sick_leave.episodes_per_year / DAYS_PER_YEAR * s.sick_leave.mean_days)
    return calendar / pace, work / pace, pace, en.permanent_effect * (network - 1.0)


def limit_days(policy: TimeLimitPolicy, reduced_capacity: bool, period_days: float) -> float:
    """Longest follow-up from intake, in days, under a time-limit policy."""
    short = 2.0 * period_days  # 6 months + one 6-month extension
    if policy is TimeLimitPolicy.none:
        return math.inf
    if policy is TimeLimitPolicy.three_years_all:
        return max(THREE_YEARS, short)
    if policy is TimeLimitPolicy.reduced_capacity_3y:
        return max(THREE_YEARS, short) if reduced_capacity else short
    return short  # strict_6_6


def slots_for(cap_per_fte: float, fte: float) -> int:
    """Caseload slots of one specialist: floor(cap x FTE), at least one."""
    return max(1, math.floor(cap_per_fte * fte + 1e-9))


@dataclass(frozen=True, slots=True)
class Rules:
    """Every number the event loop needs, flattened and converted to days and per-day rates."""

    # pathway
    step_mean: tuple[float, float, float, float]
    own_progress: float
    readiness_speed: float
    regression_prob: float
    regression_work_share: float
    regression_loss: float
    tasting_prob: float
    tasting_gain: float
    wp_prob: float
    wp_mean: float
    wp_job_prob: float
    wp_gain: float
    dropout_rate: float
    dropout_step1_mult: float
    dropout_readiness: float
    education_rate: float
    health_rate: float
    job_loss_gain: float
    relapse_dropout_prob: float
    # jobs
    jobs_enabled: bool
    permanent_share: float
    fixed_term_share: float
    fixed_term_mean: float
    job_loss_rate: float
    job_loss_readiness: float
    early_days: float
    early_mult: float
    followup_protection: float
    followup_ratio: float  # step-5 hours asked over the hours of full protection (intensity at efficiency 1)
    carryover_days: float
    mismatch_share: float
    hire_prob: float
    renew_prob: float
    hire_readiness: float
    # employer network
    network_find: float
    network_perm: float
    # subsidy (index 0: ordinary, 1: reduced work capacity)
    subsidy_prob: tuple[float, float]
    subsidy_mean: float
    subsidy_rate: tuple[float, float]
    subsidy_rate_after: tuple[float, float]
    subsidy_step_down: tuple[float, float]
    subsidy_max: tuple[float, float]
    # permanent (time-unlimited) subsidy, reduced work capacity only
    perm_share: float
    perm_rate: float
    perm_rate_after: float
    perm_step_down: float
    perm_mult: float
    # mentor subsidy (durations: index 0 ordinary, 1 reduced work capacity)
    mentor_prob: float
    mentor_days: tuple[float, float]
    mentor_hours: float
    mentor_trained: int
    mentor_mult: float
    # sick leave
    sick_rate: float
    sick_rate_job: float
    sick_mean: float
    sick_ends_job: float
    # regulation
    period_days: float
    extension_hours: float
    followup_days: float
    stable_days: float  # INF unless discharge_to_work is when_stable
    # week
    candidate_hours_per_fte: float
    hours_per_step: tuple[float, float, float, float, float]
    step5_priority: float
    severity_time: float
    readiness_mean: float
    readiness_sd: float
    severity_readiness: float
    in_work_readiness: float
    usual: bool  # the usual-services arm: ordinary case workers, not job specialists
    # after the service, back in usual services (model.afterwards)
    after_find_calendar: float  # mean days to a job that do not depend on readiness, sick time included
    after_find_work: float  # mean days to a job at readiness 0 that do (/ speed factor); INF: no job
    after_pace: float  # share of the search's time not off sick (scales its leaving hazards)
    after_perm_shift: float  # the usual employer network's log-odds shift of a permanent job
    after_job_bounds: tuple[float, float]  # job_type_bounds with that shift
    provider_step: int  # a step done by a provider in calendar time (usual services: 2), 0: none

    @classmethod
    def from_scenario(cls, s: Scenario) -> Rules:
        p, j, w, sub, sk, reg, wk = (
            s.pathway,
            s.jobs,
            s.wage_subsidy,
            s.wage_subsidy,
            s.sick_leave,
            s.regulation,
            s.week,
        )
        del w
        per_day = 1.0 / DAYS_PER_YEAR
        m = DAYS_PER_MONTH
        usual = s.service is ServiceArm.usual_services
        us = s.usual_services
        step_mean = p.step_mean_days
        hours_per_step = wk.hours_per_candidate
        if usual:  # train-then-place: a provider's assessment first, no workplace follow-up
            step_mean = (step_mean[0], us.assessment_days, step_mean[2], step_mean[3])
            hours_per_step = (hours_per_step[0], 0.0, hours_per_step[2], hours_per_step[3], 0.0)
        when_stable = reg.discharge_to_work is DischargeRule.when_stable
        after_calendar, after_work, after_pace, after_shift = _after_service(s)
        return cls(
            step_mean=step_mean,
            own_progress=p.own_progress_share,
            readiness_speed=p.readiness_speed_effect,
            regression_prob=p.regression_prob,
            regression_work_share=p.regression_work_share,
            regression_loss=p.regression_readiness_loss,
            tasting_prob=p.job_tasting_prob,
            tasting_gain=p.job_tasting_readiness_gain,
            wp_prob=us.work_practice_prob if usual else p.work_practice_prob,
            wp_mean=p.work_practice_mean_days,
            wp_job_prob=p.work_practice_job_prob,
            wp_gain=p.work_practice_readiness_gain,
            dropout_rate=p.dropout_per_year * per_day,
            dropout_step1_mult=p.dropout_engagement_multiplier,
            dropout_readiness=p.dropout_readiness_effect,
            education_rate=p.education_per_year * per_day,
            health_rate=p.health_per_year * per_day,
            job_loss_gain=p.job_loss_readiness_gain,
            relapse_dropout_prob=p.relapse_dropout_prob,
            jobs_enabled=j.enabled,
            permanent_share=j.permanent_share,
            fixed_term_share=j.fixed_term_share,
            fixed_term_mean=j.fixed_term_mean_months * m,
            job_loss_rate=j.job_loss_per_year * per_day,
            job_loss_readiness=j.job_loss_readiness_effect,
            early_days=j.early_months * m,
            early_mult=j.early_multiplier,
            followup_protection=j.followup_protection,
            followup_ratio=hours_per_step[4] / j.followup_full_hours,
            carryover_days=j.followup_carryover_months * m,
            mismatch_share=j.mismatch_share,
            hire_prob=j.hire_permanent_prob,
            renew_prob=j.renew_prob,
            hire_readiness=j.hire_readiness_effect,
            network_find=s.employer_network.job_finding_effect,
            network_perm=s.employer_network.permanent_effect,
            subsidy_prob=(sub.prob, sub.prob_reduced_capacity),
            subsidy_mean=sub.mean_months * m,
            subsidy_rate=(sub.rate, sub.rate_reduced_capacity),
            subsidy_rate_after=(sub.rate_after, sub.rate_after_reduced_capacity),
            subsidy_step_down=(sub.step_down_months * m, sub.step_down_months_reduced_capacity * m),
            subsidy_max=(sub.max_months * m, sub.max_months_reduced_capacity * m),
            perm_share=sub.permanent_share,
            perm_rate=sub.permanent_rate,
            perm_rate_after=sub.permanent_rate_after,
            perm_step_down=sub.permanent_step_down_months * m,
            perm_mult=sub.permanent_job_loss_multiplier,
            mentor_prob=s.mentor.use_prob,
            mentor_days=(s.mentor.duration_months * m, s.mentor.duration_months_reduced_capacity * m),
            mentor_hours=s.mentor.hours_per_month,
            mentor_trained=1 if s.mentor.trained else 0,
            mentor_mult=(
                s.mentor.trained_job_loss_multiplier if s.mentor.trained else s.mentor.job_loss_multiplier
            ),
            sick_rate=sk.episodes_per_year * per_day,
            sick_rate_job=sk.episodes_per_year_in_job * per_day,
            sick_mean=sk.mean_days,
            sick_ends_job=sk.ends_job_prob,
            period_days=reg.period_months * m,
            extension_hours=0.0 if usual else reg.extension_hours,
            followup_days=reg.followup_after_job_days,
            stable_days=reg.stable_after_days if when_stable else math.inf,
            candidate_hours_per_fte=wk.candidate_hours,
            hours_per_step=hours_per_step,
            step5_priority=wk.step5_priority,
            severity_time=s.candidates.severity_time_effect,
            readiness_mean=s.candidates.readiness_mean,
            readiness_sd=s.candidates.readiness_sd,
            severity_readiness=s.candidates.severity_readiness_effect,
            in_work_readiness=s.candidates.in_work_readiness_effect,
            usual=usual,
            provider_step=2 if usual else 0,
            after_find_calendar=after_calendar,
            after_find_work=after_work,
            after_pace=after_pace,
            after_perm_shift=after_shift,
            after_job_bounds=job_type_bounds(j.permanent_share, j.fixed_term_share, after_shift),
        )
