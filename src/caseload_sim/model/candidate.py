"""A candidate's pathway through the five Supported Employment steps, as one SimPy process.

From intake to exit a candidate is always in exactly one step:

1. **engagement** — first contact, a cooperation agreement;
2. **vocational profiling** — resources, wishes, limits;
3. **job finding** — may include a *job tasting* and a spell of unpaid *work practice*
   (which sometimes turns into a paid job at the same employer);
4. **employer engagement** — agreeing the job, adaptations, wage subsidy;
5. **on/off-the-job support** — the candidate is in a paid job (permanent, fixed-term or
   on-call, with or without a wage subsidy) and is followed up at work.

Progress is not linear: completing step 2, 3 or 4 can send a candidate one step back
("two steps forward, one back"). A step is a quantity of *work*, done at a speed that
is the specialist's efficiency times ``exp(readiness_speed * readiness)``. While not in
a job, the candidate can drop out, leave for education or for health treatment or a
disability benefit, and fall sick (which pauses progress). In a job, the job can end in
mismatch or dropout — more often in the first months and where workplace follow-up is
thin — sick leave is more frequent early and can end the job, and when a wage subsidy
or a fixed term runs out, the employer hires permanently, renews, or lets the job end
(back to step 3, with something learned). A job may come with a mentor (for some
months) or, for people with reduced work capacity, a permanent wage subsidy (no
employer decision, for as long as the job lasts); both make losing the job less likely.
Step-5 follow-up ends with discharge to work after ``followup_after_job_days``; what
is then already known about the job — its loss, its subsidy's step-down and end, its
mentor's end — is logged in advance, because the subsidy is still being paid.

The regulation runs alongside: every ``period_months`` after intake the follow-up is
extended (an extension costs the specialist time) until the legal limit, where the
candidate is discharged — to work if employed, otherwise with reason ``time_limit``.

**How the clock works.** Each loop iteration computes the absolute time of every event
that can happen next (step completion, the next hazard, subsidy step-down, employer
decision, end of follow-up, the next review) and waits for the earliest with a single
timeout. Hazards are drawn as one exponential for their sum, then split by their
shares; the early-job multiplier is handled by inverting the piecewise-constant
cumulative hazard, so no extra event is needed at the end of the early period. Rates
and speeds are re-read at every event of the candidate and held constant in between.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simpy import Interrupt

from caseload_sim.events import Decision, EventKind, ExitReason, JobEndReason, JobType, MentorEndReason
from caseload_sim.model.afterwards import after_service
from caseload_sim.model.job import JobAtDischarge, followup_support, hire_probability
from caseload_sim.model.rules import READINESS_BOUND, WORK_PRACTICE_CAP_DAYS, job_type_bounds

if TYPE_CHECKING:
    import simpy

    from caseload_sim.model.world import Candidate, World

__all__ = ["pathway"]

INF = math.inf
LIMIT_TOLERANCE = 1e-6  # days: a review this close to the legal limit is the limit
_log = math.log
_exp = math.exp

K_STEP = int(EventKind.STEP)
K_TASTING = int(EventKind.JOB_TASTING)
K_WP_START = int(EventKind.WORK_PRACTICE_START)
K_WP_END = int(EventKind.WORK_PRACTICE_END)
K_JOB_START = int(EventKind.JOB_START)
K_SUBSIDY = int(EventKind.SUBSIDY_CHANGE)
K_DECISION = int(EventKind.EMPLOYER_DECISION)
K_JOB_END = int(EventKind.JOB_END)
K_SICK_START = int(EventKind.SICK_START)
K_SICK_END = int(EventKind.SICK_END)
K_EXTENSION = int(EventKind.EXTENSION)
K_EXIT = int(EventKind.EXIT)
K_MENTOR_START = int(EventKind.MENTOR_START)
K_MENTOR_END = int(EventKind.MENTOR_END)
M_PLANNED = int(MentorEndReason.PLANNED)
M_JOB_ENDED = int(MentorEndReason.JOB_ENDED)

PERMANENT = int(JobType.PERMANENT)
FIXED_TERM = int(JobType.FIXED_TERM)
ON_CALL = int(JobType.ON_CALL)
HIRE = int(Decision.HIRE_PERMANENT)
RENEW = int(Decision.RENEW)
END = int(Decision.END)
X_PERM = int(ExitReason.WORK_PERMANENT)
X_TEMP = int(ExitReason.WORK_TEMPORARY)
X_EDU = int(ExitReason.EDUCATION)
X_HEALTH = int(ExitReason.HEALTH)
X_DROPOUT = int(ExitReason.DROPOUT)
X_LIMIT = int(ExitReason.TIME_LIMIT)
X_DISCHARGED = int(ExitReason.DISCHARGED)
BACK_TO_USUAL = (X_LIMIT, X_DISCHARGED)  # the service ends the follow-up: back to usual services
E_MISMATCH = int(JobEndReason.MISMATCH)
E_DROPOUT = int(JobEndReason.DROPOUT)
E_SICK = int(JobEndReason.SICKNESS)
E_EMPLOYER = int(JobEndReason.EMPLOYER_END)


def pathway(w: World, c: Candidate) -> Generator[simpy.Event, Any, None]:  # noqa: C901
    """The SimPy process of one candidate on a caseload, from intake to exit.

    Hazards (dropout, education, health, sick leave; in a job: job loss and sick leave)
    run on one *hazard clock*: a unit-exponential amount ``clock`` of cumulative hazard
    is drawn, each segment uses up ``rate x time`` of it, and the hazard fires when it
    is used up. This is exact for piecewise-constant rates and needs no new draw when
    only the other clocks (step work, reviews, job clocks) fire.
    """
    # CPython numbers a function's locals in order of first appearance and keeps them
    # side by side in the generator's frame; naming the loop's busiest ones first keeps
    # them in the frame's first few cache lines (the values are set again below).
    now = t = dt = t_next = t_haz = t_review = clock = work = speed = d = h = h_search = 0.0
    speed_factor = sick_until = wp_left = load = sf_own = sf_help = 0.0
    step = 0
    dirty = in_wp = False
    env = w.env
    timeout = env.timeout
    rec = w.append
    r = w.rules
    ub = c.uniforms
    u = ub.pop
    gb = c.gammas
    g = gb.pop
    sp = c.specialist
    assert sp is not None
    tid = c.team.index
    sid = sp.id
    cid = c.id
    m, hs = c.hours_mult, r.hours_per_step
    hours = (hs[0] * m, hs[1] * m, hs[2] * m, hs[3] * m, hs[4] * m)  # hours a week asked in each step
    rwc = 1 if c.reduced_capacity else 0
    readiness = c.readiness
    step_mean = r.step_mean
    other_rate = r.education_rate + r.health_rate + r.sick_rate
    period = r.period_days
    priority = r.step5_priority
    protection = r.followup_protection
    fu_ratio = r.followup_ratio  # follow-up intensity at efficiency 1 (before the cap at 1)
    fu_full = fu_ratio if fu_ratio < 1.0 else 1.0
    own = r.own_progress
    sick_job_rate = r.sick_rate_job
    early_mult = r.early_mult
    jobs_enabled = r.jobs_enabled
    extension_hours = r.extension_hours
    regression_prob = r.regression_prob
    discharge_strength = 0.0 if r.usual else w.scenario.targets.discharge_strength
    provider_step = r.provider_step

    now = intake = env.now
    limit_at = intake + c.limit
    review = intake + period if limit_at < INF else INF
    t_review = review if review < limit_at - LIMIT_TOLERANCE else limit_at

    step = 1
    load = c.load = hours[0]
    sp.demand += load
    sp.intakes += 1
    jobs_held = 0
    c.running = True
    work = step_mean[0] * g()  # remaining work of the current step (days at full speed)
    wp_left = 0.0  # remaining work practice (days), step 3 only
    sick_until = -1.0  # end of the current sick leave; < 0 when not sick
    clock = -_log(1.0 - u())  # hazard clock: cumulative hazard left until the next hazard
    dirty = True  # readiness or step changed: recompute the cached rates
    speed_factor = h = h_search = h_drop = job_loss_base = 0.0
    # job state (step 5)
    job_type = -1
    early_end = -INF
    followup_end = INF
    sub_rate = 0.0
    sub_after = 0.0  # the rate after the step-down
    sub_code = 0  # 1: the permanent (time-unlimited) subsidy, 0: temporary
    sub_start = 0.0
    step_down_at = INF
    decision_at = INF
    mentor_end = INF  # end of the paid mentoring; INF: no mentor
    mentor_from = 0.0
    job_mult = 1.0  # job-loss multiplier of this job (mentor, permanent subsidy), folded into job_loss_base
    t_job = INF
    stable_at = INF  # when the job counts as stable (discharge_to_work: when_stable)
    stable_wait = False  # stable, but an employer decision is pending: discharge after it
    h_sick = h_early = support = 0.0

    while True:
        if len(ub) < 16 or not gb:
            c.top_up()
        if dirty:
            if readiness > READINESS_BOUND:
                readiness = READINESS_BOUND
            elif readiness < -READINESS_BOUND:
                readiness = -READINESS_BOUND
            if step < 5:  # the rates of searching
                speed_factor = _exp(r.readiness_speed * readiness)
                sf_own = speed_factor * own  # what the candidate gets on with alone
                sf_help = speed_factor - sf_own
                h_drop = r.dropout_rate * _exp(r.dropout_readiness * readiness)
                if step == 1:
                    h_drop *= r.dropout_step1_mult
                h = h_search = h_drop + other_rate
            else:  # the rates of a job (h is set each time: it follows the follow-up)
                job_loss_base = r.job_loss_rate * _exp(r.job_loss_readiness * readiness) * job_mult
            dirty = False
        # Local `now` advances exactly as SimPy's clock does (now + dt, the same float sum),
        # so it always equals env.now without the cost of reading the property.
        if step < 5:  # searching (steps 1-4): step work, work practice or sick leave
            if sick_until >= 0.0:  # progress and hazards pause
                in_wp = wp_left > 0.0
                t_next = sick_until
                t_haz = INF
                t = t_review if t_review < t_next else t_next
                dt = t - now
                try:
                    yield timeout(dt)
                except Interrupt:
                    dt, t = env.now - now, -1.0
                now += dt
            elif wp_left <= 0.0 and (step != 3 or jobs_enabled):  # step work: the common case
                in_wp = False
                t_haz = now + clock / h_search if h_search > 0.0 else INF
                d = sp.demand  # efficiency: the share of asked-for time the specialist has
                speed = speed_factor if d <= sp.capacity else sf_own + sf_help * sp.capacity / d
                if step == 3:  # the specialist's part of job finding goes through their employer contacts
                    speed = sf_own + (speed - sf_own) * sp.find_mult
                elif step == provider_step:  # a provider's assessment: calendar time, not the case worker's
                    speed = 1.0
                t_next = now + work / speed if speed > 0.0 else INF
                t = t_review
                if t_next < t:
                    t = t_next
                if t_haz < t:
                    t = t_haz
                dt = t - now
                try:
                    yield timeout(dt)
                except Interrupt:
                    dt, t = env.now - now, -1.0
                now += dt
                clock -= h_search * dt
                work -= dt * speed
            else:  # work practice, or job finding with no jobs to find: no step work done
                in_wp = wp_left > 0.0
                t_haz = now + clock / h_search if h_search > 0.0 else INF
                t_next = now + wp_left if in_wp else INF
                t = t_review
                if t_next < t:
                    t = t_next
                if t_haz < t:
                    t = t_haz
                if t == INF:  # nothing can happen until something changes: rest until woken
                    with contextlib.suppress(Interrupt):
                        yield env.event()
                    dt, t = env.now - now, -1.0
                else:
                    dt = t - now
                    try:
                        yield timeout(dt)
                    except Interrupt:
                        dt, t = env.now - now, -1.0
                now += dt
                clock -= h_search * dt
                if in_wp:
                    wp_left -= dt
        else:  # in a job: the hazard rate is higher in the early months, lower with follow-up
            if sick_until >= 0.0:  # on sick leave: the job can still be lost, no new episode
                t_next = sick_until
                h_sick = 0.0
            else:
                t_next = INF
                h_sick = sick_job_rate
            d = sp.demand  # the follow-up the job gets (job.followup_support, inlined: the hot path)
            if d <= sp.capacity:
                support = fu_full
            else:  # it thins first under overload
                support = fu_ratio * (sp.capacity / d) ** priority
                if support > 1.0:
                    support = 1.0
            h = job_loss_base * (1.0 + protection * (1.0 - support)) + h_sick
            if h <= 0.0:
                t_haz = INF
            elif now < early_end:
                h_early = h * early_mult
                span = early_end - now
                t_haz = now + (
                    clock / h_early if clock < h_early * span else span + (clock - h_early * span) / h
                )
            else:
                t_haz = now + clock / h
            t = t_review
            if t_next < t:
                t = t_next
            if t_haz < t:
                t = t_haz
            if t_job < t:
                t = t_job
            dt = t - now
            try:
                yield timeout(dt)
            except Interrupt:
                dt, t = env.now - now, -1.0
            if h > 0.0:
                if now < early_end:
                    span = early_end - now
                    clock -= h_early * dt if dt <= span else h_early * span + h * (dt - span)
                else:
                    clock -= h * dt
            now += dt

        # --- what happened? (most frequent first; exact ties have probability zero)
        if t < 0.0:  # woken: a new specialist, or the specialist's capacity changed; re-plan
            now = env.now
            if c.specialist is not sp:
                new_post = c.specialist
                assert new_post is not None
                sp = new_post
                sid = sp.id
            if c.setback:
                if step < 5:
                    work += c.setback  # a relationship restart: the step takes longer
                c.setback = 0.0
            continue
        if t == t_next:
            if sick_until >= 0.0:  # sick leave over
                rec((now, K_SICK_END, tid, sid, cid, step, 0, 0.0))
                sick_until = -1.0
                if step < 5 or u() >= r.sick_ends_job:
                    continue
                lost, exit_reason = E_SICK, -1
            elif in_wp:  # work practice ends
                wp_left = 0.0
                readiness += r.wp_gain
                dirty = True
                rec((now, K_WP_END, tid, sid, cid, 3, 0, 0.0))
                if jobs_enabled and u() < r.wp_job_prob:  # a paid job offer: agree it (step 4)
                    step = 4
                    sp.demand += hours[3] - load
                    load = c.load = hours[3]
                    work = step_mean[3] * g()
                    rec((now, K_STEP, tid, sid, cid, 4, 1, 0.0))
                continue
            elif step >= 2 and u() < regression_prob:  # two steps forward, one back
                step -= 1
                readiness -= r.regression_loss
                dirty = True
                work = step_mean[step - 1] * g() * r.regression_work_share
                sp.demand += hours[step - 1] - load
                load = c.load = hours[step - 1]
                rec((now, K_STEP, tid, sid, cid, step, -1, 0.0))
                if step == 3:
                    wp_left, gain = _enter_step3(w, c, now, sid)
                    readiness += gain
                continue
            elif step < 4:
                step += 1
                if step == 2:
                    dirty = True  # the engagement dropout multiplier no longer applies
                work = step_mean[step - 1] * g()
                new_load = hours[step - 1]
                sp.demand += new_load - load
                load = c.load = new_load
                rec((now, K_STEP, tid, sid, cid, step, 1, 0.0))
                if step == 3:
                    wp_left, gain = _enter_step3(w, c, now, sid)
                    if gain:
                        readiness += gain
                        dirty = True
                continue
            else:  # step 4 done: a paid job starts
                ps, pf = job_type_bounds(r.permanent_share, r.fixed_term_share, sp.perm_shift)
                x = u()
                job_type = PERMANENT if x < ps else FIXED_TERM if x < pf else ON_CALL
                y = u()
                if y < r.subsidy_prob[rwc]:
                    sub_start = now
                    # Within the subsidised slice [0, prob) of its draw, y / prob is again uniform
                    # and independent of the subsidy decision: the permanent subsidy takes no
                    # draw of its own, and a larger permanent_share covers a superset of jobs.
                    if rwc and y < r.perm_share * r.subsidy_prob[rwc]:
                        sub_code = 1
                        sub_after = r.perm_rate_after
                        sd = r.perm_step_down
                        sub_rate = r.perm_rate if sd > 0.0 else sub_after
                        step_down_at = now + sd if sd > 0.0 and sub_after < sub_rate else INF
                        u()  # the temporary period's draw, unused: later draws stay aligned across scenarios
                        decision_at = INF  # no end-of-subsidy decision: it runs as long as the job
                        job_mult = r.perm_mult
                    else:
                        sub_rate = r.subsidy_rate[rwc]
                        sub_after = r.subsidy_rate_after[rwc]
                        sd = r.subsidy_step_down[rwc]
                        step_down_at = (
                            now + sd if 0.0 < sd < r.subsidy_max[rwc] and sub_after < sub_rate else INF
                        )
                        decision_at = now + min(r.subsidy_mean * (0.5 + u()), r.subsidy_max[rwc])
                else:
                    sub_rate = 0.0
                    step_down_at = INF
                    decision_at = now + r.fixed_term_mean * (0.5 + u()) if job_type == FIXED_TERM else INF
                early_end = now + r.early_days
                followup_end = now + r.followup_days
                stable_at = now + (r.stable_days if r.stable_days > r.early_days else r.early_days)
                step = 5
                if jobs_held == 0:
                    sp.first_jobs += 1
                jobs_held += 1
                dirty = True  # the job's rates (with its multiplier, set below)
                sp.demand += hours[4] - load
                load = c.load = hours[4]
                rec((now, K_JOB_START, tid, sid, cid, 5, job_type, sub_rate))
                if sub_code:
                    rec((now, K_SUBSIDY, tid, sid, cid, 5, 1, sub_rate))  # granted as a permanent subsidy
                # The mentor decision reuses the job-type draw the same way: within the chosen
                # type's slice [lo, hi) of [0, 1), (x - lo) / (hi - lo) is uniform and independent
                # of the type. No extra draw; a larger use_prob mentors a superset of the jobs.
                if r.mentor_prob > 0.0:
                    lo, hi = (
                        (0.0, ps)
                        if job_type == PERMANENT
                        else (ps, pf)
                        if job_type == FIXED_TERM
                        else (pf, 1.0)
                    )
                    if x - lo < r.mentor_prob * (hi - lo):
                        mentor_from = now
                        mentor_end = now + r.mentor_days[rwc]
                        job_mult *= r.mentor_mult
                        rec((now, K_MENTOR_START, tid, sid, cid, 5, r.mentor_trained, r.mentor_hours))
                t_job = min(followup_end, step_down_at, decision_at, mentor_end, stable_at)
                sp.successes += 1
                continue
        elif t == t_haz:  # the hazard clock ran out: which hazard?
            clock = -_log(1.0 - u())
            x = u() * h
            lost = exit_reason = -1
            if step < 5:
                if x < h_drop:
                    exit_reason = X_DROPOUT
                elif x < h_drop + r.education_rate:
                    exit_reason = X_EDU
                elif x < h_drop + r.education_rate + r.health_rate:
                    exit_reason = X_HEALTH
            elif x < h - h_sick:
                lost = E_MISMATCH if u() < r.mismatch_share else E_DROPOUT
            if exit_reason < 0 and lost < 0:
                sick_until = now - r.sick_mean * _log(1.0 - u())
                rec((now, K_SICK_START, tid, sid, cid, step, 0, 0.0))
                continue
        elif t == t_job:
            if t == followup_end:  # step-5 follow-up complete: discharged to work
                lost, exit_reason = -1, (X_PERM if job_type == PERMANENT else X_TEMP)
            elif t == stable_at:  # stable: discharged, unless the employer has yet to decide
                stable_at = INF
                if decision_at < INF:
                    stable_wait = True
                    t_job = min(followup_end, step_down_at, decision_at, mentor_end)
                    continue
                lost, exit_reason = -1, (X_PERM if job_type == PERMANENT else X_TEMP)
            elif t == step_down_at:
                sub_rate = sub_after
                step_down_at = INF
                t_job = min(followup_end, decision_at, mentor_end, stable_at)
                rec((now, K_SUBSIDY, tid, sid, cid, 5, sub_code, sub_rate))
                continue
            elif t == mentor_end:  # the granted mentoring is over: the job-loss hazard goes back up
                rec((now, K_MENTOR_END, tid, sid, cid, 5, M_PLANNED, now - mentor_from))
                mentor_end = INF
                job_mult = r.perm_mult if sub_code else 1.0
                dirty = True
                t_job = min(followup_end, step_down_at, decision_at, stable_at)
                continue
            else:  # the subsidy period or fixed term ends: the employer decides
                p_hire = hire_probability(
                    r.hire_prob, r.hire_readiness, readiness, sp.perm_shift, protection, support
                )
                x = u()
                if x < p_hire:
                    rec((now, K_DECISION, tid, sid, cid, 5, HIRE, 0.0))
                    job_type = PERMANENT
                    if sub_rate > 0.0:
                        sub_rate = 0.0
                        rec((now, K_SUBSIDY, tid, sid, cid, 5, 0, 0.0))
                    step_down_at = decision_at = INF
                    if not stable_wait:
                        t_job = min(followup_end, mentor_end, stable_at)
                        continue
                    lost, exit_reason = -1, X_PERM  # stable and now permanent: discharged to work
                elif x < p_hire + r.renew_prob:
                    rec((now, K_DECISION, tid, sid, cid, 5, RENEW, 0.0))
                    left = r.subsidy_max[rwc] - (now - sub_start) if sub_rate > 0.0 else 0.0
                    if left > 1e-9:
                        decision_at = now + min(r.subsidy_mean * (0.5 + u()), left)
                    else:
                        if sub_rate > 0.0:  # the subsidy is used up: the job goes on without it
                            sub_rate = 0.0
                            step_down_at = INF
                            rec((now, K_SUBSIDY, tid, sid, cid, 5, 0, 0.0))
                        decision_at = now + r.fixed_term_mean * (0.5 + u()) if job_type == FIXED_TERM else INF
                    if not (stable_wait and decision_at == INF):
                        t_job = min(followup_end, step_down_at, decision_at, mentor_end, stable_at)
                        continue
                    lost, exit_reason = -1, (X_PERM if job_type == PERMANENT else X_TEMP)
                else:
                    rec((now, K_DECISION, tid, sid, cid, 5, END, 0.0))
                    lost, exit_reason = E_EMPLOYER, -1
        else:  # t == t_review: extend the follow-up, or discharge at the legal limit
            lost = -1
            if review >= limit_at - LIMIT_TOLERANCE:  # sums of periods may miss the limit by an ulp
                exit_reason = X_LIMIT if step < 5 else (X_PERM if job_type == PERMANENT else X_TEMP)
            elif step <= 2 and discharge_strength > 0.0 and u() < discharge_strength * sp.pressure:
                exit_reason = X_DISCHARGED  # not progressing while the counts press: discharged
            else:
                review += period
                t_review = review if review < limit_at - LIMIT_TOLERANCE else limit_at
                rec((now, K_EXTENSION, tid, sid, cid, step, 0, t_review - intake))
                if extension_hours > 0.0:
                    sp.demand += extension_hours
                    _release_later(w, sp, extension_hours)
                continue

        if lost >= 0:  # the job ended: back to job finding, with something learned
            if sub_rate > 0.0:
                sub_rate = 0.0
                rec((now, K_SUBSIDY, tid, sid, cid, 5, sub_code, 0.0))
            if mentor_end < INF:
                rec((now, K_MENTOR_END, tid, sid, cid, 5, M_JOB_ENDED, now - mentor_from))
                mentor_end = INF
            sub_code = 0
            job_mult = 1.0
            step = 3
            sp.demand += hours[2] - load
            load = c.load = hours[2]
            rec((now, K_JOB_END, tid, sid, cid, 3, lost, 0.0))
            sp.failures += 1
            job_type = -1
            early_end = -INF
            followup_end = step_down_at = decision_at = t_job = stable_at = INF
            stable_wait = False
            readiness += r.job_loss_gain
            dirty = True
            if u() < r.relapse_dropout_prob:
                exit_reason = X_DROPOUT
            else:
                work = step_mean[2] * g()
                wp_left, gain = _enter_step3(w, c, now, sid)
                readiness += gain
                continue
        c.readiness = readiness
        job = None
        if step == 5:  # discharged to work: the job goes on without follow-up
            job = JobAtDischarge(
                early_end,
                followup_support(sp.demand, sp.capacity, fu_ratio, priority),
                sp.perm_shift,
                r.job_loss_rate * _exp(r.job_loss_readiness * readiness),
                job_mult,
                r.perm_mult if sub_code else 1.0,
                sub_rate,
                sub_after,
                sub_code,
                step_down_at,
                decision_at,
                mentor_end,
                mentor_from,
                readiness,
            )
        _exit(w, c, sp, now, step, exit_reason, sick_until >= 0.0, wp_left > 0.0, load, intake, job)
        return


def _enter_step3(w: World, c: Candidate, now: float, sid: int) -> tuple[float, float]:
    """Start (or restart) job finding: maybe a job tasting, maybe work practice.

    Returns the length of work practice (0 if none) and the readiness gained.
    """
    r = w.rules
    u = c.uniforms.pop
    gain = 0.0
    if u() < r.tasting_prob:
        gain = r.tasting_gain
        w.append((now, K_TASTING, c.team.index, sid, c.id, 3, 0, 0.0))
    if u() < r.wp_prob:
        w.append((now, K_WP_START, c.team.index, sid, c.id, 3, 0, 0.0))
        return min(-r.wp_mean * _log(1.0 - u()), WORK_PRACTICE_CAP_DAYS), gain
    return 0.0, gain


def _release_later(w: World, sp: Any, extra: float) -> None:
    """Give back, a week later, specialist time taken by a one-off task."""

    def _done(_: Any) -> None:
        sp.demand -= extra

    w.env.timeout(7.0).callbacks.append(_done)


def _exit(
    w: World,
    c: Candidate,
    sp: Any,
    now: float,
    step: int,
    reason: int,
    sick: bool,
    in_wp: bool,
    load: float,
    intake: float,
    job: JobAtDischarge | None = None,
) -> None:
    """Leave the caseload: close open episodes, log the exit, free the slot.

    On a discharge to work (``job`` holds the job's state) the job's life after
    discharge is worked out and logged in advance (:func:`caseload_sim.model.job.after_discharge`).
    """
    rec = w.append
    tid, sid, cid = c.team.index, sp.id, c.id
    if sick:
        rec((now, K_SICK_END, tid, sid, cid, step, 0, 0.0))
    if in_wp:
        rec((now, K_WP_END, tid, sid, cid, step, 0, 0.0))
    rec((now, K_EXIT, tid, sid, cid, step, reason, now - intake))
    sp.active -= 1
    sp.demand -= load
    sp.caseload.discard(c)
    c.running = False
    c.process = None
    if reason in (X_PERM, X_TEMP):
        sp.successes += 1
        sp.work_exits += 1
    elif reason == X_EDU:
        if w.scenario.targets.count_education:
            sp.work_exits += 1
    elif reason == X_DROPOUT:
        sp.failures += 1
    if job is not None or reason in BACK_TO_USUAL:  # what follows is worked out now (model.afterwards)
        after_service(
            w.rules,
            c.uniforms.pop,
            c.top_up,
            now,
            w.end_time,
            tid,
            cid,
            c.readiness,
            job,
            w.rec.deferred.append,
        )
    c.team.release(sp)
