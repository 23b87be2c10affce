"""A paid job, one life across discharge: its hazards, what follow-up does to them, and its end.

A job starts in step 5 while the candidate is on a caseload and is followed up in the
workplace. It can end in four ways — mismatch or dropout (the *job-loss hazard*), a
sick leave that ends it, or an employer who does not continue when a fixed term or a
temporary wage subsidy ends. None of that stops when the candidate is discharged to
work: the job keeps its early-months instability, its pending employer decision and
its sick leave. What changes at discharge is that nobody follows the job up any more.

**What follow-up does.** The job-loss hazard is

    base(readiness) x job multiplier (mentor, permanent subsidy) x early(t)
        x (1 + followup_protection x (1 - S))

where ``S`` in [0, 1] is the follow-up the job gets: while followed, the step-5 hours
delivered (asked x efficiency**step5_priority) over the hours of full protection
(``jobs.followup_full_hours``); after discharge, the intensity at discharge fading with
the time constant ``jobs.followup_carryover_months``. ``S = 0`` — no follow-up, the
usual-services case — is the riskiest job, not the safest. An employer's chance of a
permanent hire at a decision is divided by the same ``1 + followup_protection x (1 - S)``.

**After discharge** nothing in the world can change the job any more (no specialist,
no capacity, no other candidate), so its future is worked out at the moment of
discharge, from the candidate's own random stream, by the same hazards, and logged in
advance as deferred rows (specialist -1): the subsidy's step-down and end, employer
decisions, the mentor's end and the job's end (``POST_EXIT_JOB_END``, code: the
:class:`~caseload_sim.events.JobEndReason`). Rows at or after the end of the run are
not logged. The fading support is taken as piecewise constant on half-time-constant
pieces up to four time constants (then 0), which keeps the inversion of the
cumulative hazard exact per piece.

After discharge a temporary subsidy is not renewed (nobody applies for it): at the
end of its period the employer hires permanently, goes on with a fixed term without
subsidy ("renew"), or ends the job. A sick leave that will end the job ends it at the
end of the episode — or at the employer's decision, if that comes first (an employer
does not go on with someone off sick); the episode itself is not logged (the person is
off the caseload).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from caseload_sim.events import Decision, EventKind, JobEndReason, MentorEndReason

if TYPE_CHECKING:
    from caseload_sim.model.rules import Rules

__all__ = [
    "JobAtDischarge",
    "after_discharge",
    "followup_support",
    "hire_probability",
    "loss_multiplier",
    "unfollowed_hazard",
]

INF = math.inf
_log = math.log
_exp = math.exp

K_SUBSIDY = int(EventKind.SUBSIDY_CHANGE)
K_DECISION = int(EventKind.EMPLOYER_DECISION)
K_MENTOR_END = int(EventKind.MENTOR_END)
K_POST_EXIT = int(EventKind.POST_EXIT_JOB_END)
HIRE = int(Decision.HIRE_PERMANENT)
RENEW = int(Decision.RENEW)
END = int(Decision.END)
E_MISMATCH = int(JobEndReason.MISMATCH)
E_DROPOUT = int(JobEndReason.DROPOUT)
E_SICK = int(JobEndReason.SICKNESS)
E_EMPLOYER = int(JobEndReason.EMPLOYER_END)
M_PLANNED = int(MentorEndReason.PLANNED)
M_JOB_ENDED = int(MentorEndReason.JOB_ENDED)
FADE_PIECES = 8  # half-time-constant pieces of the fading support; after 4 time constants it is 0


def loss_multiplier(protection: float, support: float) -> float:
    """Job-loss hazard multiplier of a job that gets follow-up ``support`` in [0, 1]."""
    return 1.0 + protection * (1.0 - support)


def unfollowed_hazard(r: Rules, readiness: float) -> float:
    """Per day: the hazard of losing a job nobody follows up, past its early months, no mentor or subsidy.

    Job loss at the unprotected multiplier ``1 + followup_protection`` plus the sick
    leaves that end a job: the hazard of the (part-time, unstable) work a person holds
    at referral (:mod:`caseload_sim.model.world`, ``PRIOR_WORK``).
    """
    loss = r.job_loss_rate * math.exp(r.job_loss_readiness * readiness) * (1.0 + r.followup_protection)
    return loss + r.sick_rate_job * r.sick_ends_job


def followup_support(demand: float, capacity: float, ratio: float, priority: float) -> float:
    """Follow-up intensity ``S`` in [0, 1] of a job on a caseload asking ``demand`` of ``capacity`` hours.

    ``ratio`` is the job's step-5 hours over those of full protection; under overload the
    follow-up thins first (efficiency ** ``priority``). The candidate's event loop computes
    the same inline.
    """
    s = ratio if demand <= capacity else ratio * (capacity / demand) ** priority
    return s if s < 1.0 else 1.0


def hire_probability(
    base: float, readiness_effect: float, readiness: float, shift: float, protection: float, support: float
) -> float:
    """Chance of a permanent hire at an employer decision.

    The base odds are shifted by readiness and by the employer network (``shift``, in
    logits), then divided by the follow-up's loss multiplier: the less follow-up, the
    less often an employer keeps the person on.
    """
    if 0.0 < base < 1.0 and (readiness_effect != 0.0 or shift != 0.0):
        lo = _log(base / (1.0 - base)) + readiness_effect * readiness + shift
        base = 1.0 / (1.0 + _exp(-lo))
    return base / (1.0 + protection * (1.0 - support))


class JobAtDischarge(NamedTuple):
    """What the job is when its holder is discharged to work."""

    early_end: float  # end of the early, unstable months
    support: float  # follow-up intensity at discharge, [0, 1]
    shift: float  # employer-network log-odds shift of a permanent hire
    base: float  # job-loss hazard per day at full follow-up, outside the early months, no multiplier
    job_mult: float  # mentor x permanent-subsidy multiplier now
    perm_mult: float  # the permanent subsidy's multiplier (1 without it), for after the mentor
    sub_rate: float  # 0: no subsidy
    sub_after: float
    sub_code: int  # 1: permanent subsidy
    step_down_at: float
    decision_at: float  # INF: no employer decision pending
    mentor_end: float  # INF: no mentor
    mentor_from: float
    readiness: float


def after_discharge(
    r: Rules,
    u: Callable[[], float],
    refill: Callable[[], None],
    now: float,
    end: float,
    tid: int,
    cid: int,
    job: JobAtDischarge,
    put: Callable[[tuple], None],
) -> float:
    """Work out the job's life after discharge and log it in advance; return when it ends (INF: not in the run).

    ``u`` gives the candidate's next uniform draw and ``refill`` makes sure at least
    sixteen are left; ``put`` takes a deferred log row.
    """
    early_mult = r.early_mult
    protection = r.followup_protection
    tau = r.carryover_days
    s0 = job.support if tau > 0.0 else 0.0
    piece = tau / 2.0
    sick_end_rate = r.sick_rate_job * r.sick_ends_job  # sick leaves that will end the job
    sub_rate = job.sub_rate
    step_down_at = job.step_down_at if sub_rate > 0.0 else INF
    decision_at = job.decision_at
    mentor_end = job.mentor_end
    mult = job.job_mult
    fade_k = 0  # index of the current piece of fading support
    fade_at = now + piece if s0 > 0.0 else INF
    support = s0 * _exp(-0.25) if s0 > 0.0 else 0.0  # mid-piece value of the first piece
    t = now
    refill()
    e = -_log(1.0 - u())  # cumulative hazard left until the next hazard
    lost_at, why = INF, -1
    while True:
        h_loss = job.base * mult * (1.0 + protection * (1.0 - support))
        early = early_mult if t < job.early_end else 1.0
        h = (h_loss + sick_end_rate) * early
        nxt = min(
            job.early_end if t < job.early_end else INF, fade_at, decision_at, mentor_end, step_down_at, end
        )
        if h > 0.0 and e < h * (nxt - t):
            t += e / h
            refill()
            if u() * (h_loss + sick_end_rate) < h_loss:
                lost_at, why = t, (E_MISMATCH if u() < r.mismatch_share else E_DROPOUT)
            else:  # a sick leave that will end the job: it ends when the leave does
                lost_at, why = t - r.sick_mean * _log(1.0 - u()), E_SICK
                if decision_at < lost_at and decision_at < end:  # the employer does not go on
                    put((decision_at, K_DECISION, tid, -1, cid, -1, END, 0.0))
                    lost_at, why = decision_at, E_EMPLOYER
            break
        if h > 0.0:
            e -= h * (nxt - t)
        t = nxt
        if t >= end:
            break
        if t == step_down_at:  # the subsidy steps down (to 0: it ends)
            put((t, K_SUBSIDY, tid, -1, cid, -1, job.sub_code, job.sub_after))
            sub_rate, step_down_at = job.sub_after, INF
        elif t == fade_at:
            fade_k += 1
            if fade_k >= FADE_PIECES:
                support, fade_at = 0.0, INF
            else:
                support = s0 * _exp(-(fade_k + 0.5) * 0.5)
                fade_at = now + (fade_k + 1) * piece
        elif t == mentor_end:
            put((t, K_MENTOR_END, tid, -1, cid, -1, M_PLANNED, t - job.mentor_from))
            mentor_end = INF
            mult = job.perm_mult
        elif t == decision_at:  # the subsidy period or fixed term ends: the employer decides
            refill()
            x = u()
            p_hire = hire_probability(
                r.hire_prob, r.hire_readiness, job.readiness, job.shift, protection, support
            )
            stop_subsidy = sub_rate > 0.0
            if x < p_hire:
                put((t, K_DECISION, tid, -1, cid, -1, HIRE, 0.0))
                decision_at = INF
            elif x < p_hire + r.renew_prob:  # goes on as a fixed term, without a subsidy
                put((t, K_DECISION, tid, -1, cid, -1, RENEW, 0.0))
                decision_at = t + r.fixed_term_mean * (0.5 + u())
            else:
                put((t, K_DECISION, tid, -1, cid, -1, END, 0.0))
                lost_at, why = t, E_EMPLOYER
                break
            if stop_subsidy:
                put((t, K_SUBSIDY, tid, -1, cid, -1, job.sub_code, 0.0))
                sub_rate, step_down_at = 0.0, INF
    if (
        sub_rate > 0.0
    ):  # a subsidy still running: its step-down (within a sick leave), and its end with the job
        if step_down_at < lost_at and step_down_at < end:
            put((step_down_at, K_SUBSIDY, tid, -1, cid, -1, job.sub_code, job.sub_after))
            sub_rate = job.sub_after
        if sub_rate > 0.0 and lost_at < end:
            put((lost_at, K_SUBSIDY, tid, -1, cid, -1, job.sub_code, 0.0))
    if mentor_end < INF:  # a mentor still paid when the loop stopped
        if mentor_end <= lost_at:  # (a sick leave that ends the job outlasts the mentoring)
            if mentor_end < end:
                put((mentor_end, K_MENTOR_END, tid, -1, cid, -1, M_PLANNED, mentor_end - job.mentor_from))
        elif lost_at < end:
            put((lost_at, K_MENTOR_END, tid, -1, cid, -1, M_JOB_ENDED, lost_at - job.mentor_from))
    if lost_at < end:
        put((lost_at, K_POST_EXIT, tid, -1, cid, -1, why, lost_at - now))
    return lost_at
