"""After the service: a person back in usual services, searching alone and working unfollowed.

Leaving SE (or IPS) does not take a person out of the labour market. Someone
discharged at the legal limit or by the team without a job, or who loses after
discharge the job they left with, is back with an ordinary NAV case worker — the
usual services of the trials' control arm — and can still find work. The trials
measure employment from randomisation whatever happened to the service (intention
to treat), so this is the route by which the SE arm's advantage fades: after the
service both arms get the same help.

Nothing in the world can change this life any more (no specialist, no caseload), so
it is worked out when the person leaves, from their own random stream, and logged in
advance as deferred rows without a post (specialist -1), like the future of a job
after a discharge to work (:mod:`caseload_sim.model.job`):

* **searching**: a job is found after an exponential time whose mean is the mean time
  the usual-services pathway takes from entering job finding to a job start (work
  practice first, step 3 and step 4 at the speeds its case worker's hours and employer
  network give, regressions back to the provider's assessment;
  :func:`~caseload_sim.model.rules.after_service_days`): its calendar days plus its days
  of work divided by the readiness speed factor, stretched by the share of time off
  sick. It competes with leaving the search (dropout at the person's readiness,
  education, health, at the same pace); a person who leaves it has no further rows.
* **a job** (``POST_EXIT_JOB_START``, code: :class:`~caseload_sim.events.JobType`,
  value: days since the exit): permanent, fixed-term or on-call with the usual
  network's odds; no wage subsidy or mentor (nobody applies for one); nobody follows
  it up (``S = 0``), so it has the riskiest hazard; its early months, employer
  decision at the end of a fixed term, sick leave and end (``POST_EXIT_JOB_END``,
  value: its length) are those of any job (:func:`~caseload_sim.model.job.after_discharge`).
  When it ends the person searches again, having learned something
  (``job_loss_readiness_gain``), unless the loss ends the search
  (``relapse_dropout_prob``).

What is left out, as approximations [A]: the search is one exponential time (its mean
is the pathway's, its spread is not), with no tastings or readiness gains of its own;
no wage subsidies in usual services; no second referral to the service.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from caseload_sim.events import EventKind, JobType
from caseload_sim.model.job import JobAtDischarge, after_discharge
from caseload_sim.model.rules import READINESS_BOUND

if TYPE_CHECKING:
    from caseload_sim.model.rules import Rules

__all__ = ["after_service"]

INF = math.inf
_log = math.log
_exp = math.exp
K_POST_JOB_START = int(EventKind.POST_EXIT_JOB_START)
PERMANENT = int(JobType.PERMANENT)
FIXED_TERM = int(JobType.FIXED_TERM)
ON_CALL = int(JobType.ON_CALL)


def after_service(
    r: Rules,
    u: Callable[[], float],
    refill: Callable[[], None],
    now: float,
    end: float,
    tid: int,
    cid: int,
    readiness: float,
    job: JobAtDischarge | None,
    put: Callable[[tuple], None],
) -> None:
    """Work out a person's working life after the service, up to ``end``, and log it in advance.

    ``job`` is the job held at a discharge to work (``None``: left searching). ``u``
    gives the person's next uniform draw, ``refill`` makes sure at least sixteen are
    left, ``put`` takes a deferred log row.
    """
    exit_at = t = now
    searching = r.jobs_enabled and r.after_find_work < INF
    while True:
        if job is not None:  # the job's life; its loss sends the person back to searching
            t = after_discharge(r, u, refill, t, end, tid, cid, job, put)
            refill()
            if t >= end or u() < r.relapse_dropout_prob:
                return  # the job outlasts the run, or its loss ends the search too
            readiness += r.job_loss_gain
        if not searching:
            return
        readiness = max(-READINESS_BOUND, min(READINESS_BOUND, readiness))
        h_find = 1.0 / (r.after_find_calendar + r.after_find_work / _exp(r.readiness_speed * readiness))
        h_stop = r.after_pace * (
            r.dropout_rate * _exp(r.dropout_readiness * readiness) + r.education_rate + r.health_rate
        )
        refill()
        t -= _log(1.0 - u()) / (h_find + h_stop)
        if t >= end or u() * (h_find + h_stop) >= h_find:
            return  # the run ends first, or the person stops searching
        x = u()
        ps, pf = r.after_job_bounds
        job_type = PERMANENT if x < ps else FIXED_TERM if x < pf else ON_CALL
        put((t, K_POST_JOB_START, tid, -1, cid, -1, job_type, t - exit_at))
        job = JobAtDischarge(  # found unfollowed: no subsidy, no mentor, nobody follows it up
            early_end=t + r.early_days,
            support=0.0,
            shift=r.after_perm_shift,
            base=r.job_loss_rate * _exp(r.job_loss_readiness * readiness),
            job_mult=1.0,
            perm_mult=1.0,
            sub_rate=0.0,
            sub_after=0.0,
            sub_code=0,
            step_down_at=INF,
            decision_at=t + r.fixed_term_mean * (0.5 + u()) if job_type == FIXED_TERM else INF,
            mentor_end=INF,
            mentor_from=0.0,
            readiness=readiness,
        )
