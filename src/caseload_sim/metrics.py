"""Key performance indicators (KPIs) computed from one replication's event log.

Everything here is a pure function of an :class:`~caseload_sim.events.EventLog`: no
simulation, no randomness, no printing. The same log always gives the same numbers,
and every number can be traced back to the events it counts.

The measurement window
----------------------
Each KPI is measured over a **window** ``[window_start, window_end]`` (days, from the
log's ``meta``; both ends included). The window starts after the warm-up, so the
numbers describe a service that has settled, not one that has just opened. What
happened before the window still matters where it should: somebody who joined the
waiting list before the window and is still waiting counts in the queue.

Cohorts and censoring, in plain words
-------------------------------------
Some KPIs follow *people* rather than count *events*. "Did they find work within a
year?" can only be answered for people we could watch for a whole year. So these
KPIs use a **cohort**: only candidates whose intake (or first job) lies early enough
in the window to be followed for the full period before the window closes. A
candidate taken in three months before the end of the window is left out of
``work_12m`` rather than counted as a failure.

For the time to first job we use every intake in the window and the **Kaplan-Meier**
method. A person who leaves the caseload without a job (to education, health care,
lost contact, time limit), or who is still looking when the window closes, is
*censored*: we know only that they had not found a job by then. Kaplan-Meier uses
that partial information instead of throwing it away. Note what it estimates: the
time to a first job *if nobody left for other reasons*, so it is somewhat more
optimistic than simply counting who got a job.

The KPIs (column names are part of the interface, see ``KPI_NAMES``)
--------------------------------------------------------------------
``work_12m``
    Of the candidates taken in during ``[start, end - 365]``, the share who started
    any paid job (permanent, fixed-term/subsidised, on-call) within 365 days of
    intake. Compare with the target "65 % into work within a year".
``permanent_12m``
    Same cohort: the share who, within 365 days of intake, started a permanent job
    or whose fixed-term/subsidised job was turned permanent by the employer.
``days_to_first_job_median``
    Kaplan-Meier median number of days from intake to the first paid job, for
    intakes in the window (censored at exit without a job and at the window end).
    Half of candidates are expected to have started a job by then. NaN when fewer
    than half are ever seen to find one (the curve never reaches 50 %).
``retention_6m``
    Of the first jobs (a candidate's first job start) that began in
    ``[start, end - 182]``, the share whose holder is in paid work 182 days later,
    in the same job or another one, whether still followed up or discharged to
    work. Losing the job and finding another before day 182 counts as in work.
``exit_<reason>_share``
    How the exits in the window split by reason: ``work_permanent``,
    ``work_temporary``, ``education``, ``health``, ``dropout``, ``time_limit``,
    ``discharged`` (sent away at a review while not progressing, under target
    pressure). The seven shares sum to 1 (NaN if nobody exited).
``exits_to_work_per_fte_year``
    Exits to work (permanent or temporary) in the window per full-time specialist
    year. Compare with the target "at least 9 per specialist per year". The
    denominator is the FTE actually staffed in the window: a post counts from the
    day its holder starts until the day the holder leaves, so a specialist who joins
    half-way counts half and a post standing vacant counts nothing while it is empty.
    (Sick absence does not reduce it: an absent specialist still holds the post.)
``wait_days_mean``
    Mean days on the waiting list per person, over everyone whose wait *ends* in the
    window — taken in (days from referral to intake, 0 for a free slot) or gone from
    the list (days until leaving it) — and everyone *still waiting* when the window
    closes, counted with the days waited so far (an unfinished wait: for them a lower
    bound). Waits that began before the window count in full. (Until issue 8 it left
    out the people still waiting at the end, so a list that grew through the window
    looked like a short wait.) In a steady state Little's law links it to the queue:
    ``queue_mean ~= referrals_per_year / 365 * wait_days_mean``.
``queue_mean``
    Time-average number of people on waiting lists during the window.
``wait_days_km_median``
    Kaplan-Meier median of the days from referral to intake, for referrals made in the
    window; a person who leaves the list is censored at leaving, one still waiting at
    the window's end is censored there. It estimates the median wait for intake *if
    nobody left the list* (leaving treated as independent censoring), so it is longer
    than what the people taken in waited; 0 when at least half are taken in at once;
    NaN when fewer than half are seen to be taken in.
``potential_referrals_per_year``
    Potential referrals in the window (REFERRAL and NOT_REFERRED rows) per 365 days:
    the demand, before the waiting list's responses thin it.
``not_referred_share``
    Of the potential referrals in the window, the share not referred: withheld by
    the case worker or turned away by a closed list (NaN if there were none).
``renege_share``
    Of the referrals made in the window, the share who left the waiting list before
    intake, by the window's end (NaN if there were none).
``unmet_demand_share``
    Of the potential referrals in the window, the share not referred or who left the
    list by the window's end: the demand that went to other measures. People still
    waiting at the end count as met, so near a long list this is a lower bound, off
    by at most the share still waiting then.
``intake_capacity_per_year``
    What the staffed slots can take in a year: the time-average number of caseload
    slots on held posts (the specialist table's ``slots``, from a holder's start to
    their leaving) x 365 / ``time_on_caseload_mean``. A full team takes in at this
    rate in a steady state; it moves with the time limits (stays) as well as the cap.
``demand_capacity_ratio``
    ``potential_referrals_per_year / intake_capacity_per_year``, service-wide. Above 1
    more people are referred than the caseloads can take: without the list's
    responses the queue then grows without bound; with them it is held by people
    sent or going elsewhere (``unmet_demand_share``).
``queue_trend_per_year``
    The least-squares slope of the number waiting over the window, people per year
    (:func:`trend`): near 0 for a list that has settled, clearly positive for one
    still growing.
``caseload_mean``
    Time-average number of candidates on caseloads, per specialist FTE (the
    time-average of candidates divided by the time-average of staffed FTE, as for
    ``exits_to_work_per_fte_year``).
``intakes_per_year``, ``referrals_per_year``
    Intakes and referrals in the window, per 365 days.
``time_on_caseload_mean``
    Mean days from intake to exit, for exits in the window. In a steady state
    Little's law links the last three: active candidates ~= intake rate x time on
    caseload, i.e. ``caseload_mean * FTE ~= intakes_per_year / 365 * time_on_caseload_mean``.

``sustained_jobs_per_year``
    First jobs (a candidate's first job start) begun in the *cohort span*
    ``[start, end - 365]`` whose holder is in paid work 365 days later (the rule of
    ``retention_6m``), per year of the cohort span. NaN if the window is a year or less.

Trial-style outcomes (employment measured from intake)
------------------------------------------------------
The SE/IPS trials state their results as employment of the people enrolled, month by
month after enrolment. These KPIs do the same, from intake, with each person's
**employment history** (:func:`employment_spells`): a person is in paid work from a
JOB_START until the job's JOB_END while followed up, or — after a discharge to work
(EXIT ``work_permanent``/``work_temporary``), when the job goes on — until a
POST_EXIT_JOB_END row (logged without a specialist) or the end of the log. Only
POST_EXIT_JOB_END ends a job after discharge; the subsidy changes, employer decisions
and mentor ends logged after it do not. After the service — a discharge at the time
limit or by the team, or a job lost after a discharge to work — the person is back in
usual services and may find work again: a POST_EXIT_JOB_START row (no specialist)
starts such a job, its POST_EXIT_JOB_END ends it (:mod:`caseload_sim.model.afterwards`);
these count here, as in the trials (intention to treat), but not in the service's own
KPIs (``work_12m``, ``retention_6m``, ``sustained_jobs_per_year``), which measure the
jobs found while on the caseload. A person can have several jobs; a JOB_START
while a job is held ends that job and starts the new one, with no gap in work. Work a
person holds at referral (PRIOR_WORK, logged with the referral, to its PRIOR_WORK_END)
counts as being in work until it ends or the first job found replaces it — an exit does
not end it — but it is not a job *found*: it counts in ``employed_*``, ``ever_worked_24m``
and the months worked, not in ``days_to_first_job_mean`` or the first-job KPIs. What the
log cannot tell, and the KPIs therefore assume: after an exit for education, health or
dropout the person finds no job. A person's
time zero is their (first) intake. "After ``m`` months" is ``m x 365/12`` days (12
months = 365 days, as for ``work_12m``); a state at time ``t`` includes every row at
``<= t``.

Each KPI's **cohort** is the intakes in ``[start, end - horizon]``, the rule of
``work_12m``: everybody counted is observed for the KPI's full horizon inside the window.
With a 3-year window the 24-month KPIs count the intakes of its first year only.

``employed_6m``, ``employed_12m``, ``employed_18m``, ``employed_24m``
    Point prevalence: of the intakes in ``[start, end - m months]``, the share in paid
    work exactly ``m`` months after intake. The trials' "competitive employment at 12
    months" is ``employed_12m``, not ``work_12m``.
``ever_worked_24m``
    Of the intakes in ``[start, end - 730]``, the share in paid work at any time within
    730 days of intake (the trials' "ever employed during follow-up"), work held at
    referral included. ``work_12m`` counts only jobs started within 365 days of intake.
``never_worked_24m``
    ``1 - ever_worked_24m``: the share never in paid work in the 24 months (about 45 % of
    IPS participants in the trials).
``months_worked_24m``
    Same cohort: mean months in paid work in the 730 days after intake (days in work /
    (365/12)); never-workers count 0. High-fidelity IPS: about 13 of 24 months.
``days_to_first_job_mean``
    Same cohort, but only those who found a job within the 730 days: mean days from
    intake to the first job found (work held at referral does not count). A *conditional* mean (of a selected group, as the trials report
    "time to first job"); NaN if nobody worked. Compare ``days_to_first_job_median``, a
    Kaplan-Meier median over everybody taken in.
``first_job_days_median``
    How long first jobs last: Kaplan-Meier median duration (days) of the first jobs
    (each person's first job in the history) that began in the window, from its start to
    its end — JOB_END, POST_EXIT_JOB_END, an exit not to work, or a new job — censored at
    the window's end for a job still held. NaN when fewer than half are seen to end.
    Compare ``first_job_months_24m``.
``first_job_months_24m``
    Of the people whose first job began in ``[start, end - 730]`` (its 24 months inside
    the window), mean months in that first job within the 730 days from its start (a
    job still held then counts 24). The measure of the high-fidelity IPS study behind
    "about 10 months in the first job" (Bond & Kukla 2011: 142 IPS workers followed for
    24 months from their first job, mean 9.96 months; 8.0 in its prospective sample).
``months_worked_from_first_job_24m``
    Same people: mean months in paid work, in any job, within the 730 days from the
    first job's start — that study's "about 13 of 24 months worked" (12.86; 11.0
    prospective). Not ``months_worked_24m``, which counts from intake and everybody.

:func:`trial_outcomes` gives the person-level values behind these, and
:func:`employment_curve` the share in work by month 0-24 after intake for the 24-month
cohort.

The cost KPIs (NOK)
-------------------
Priced with ``log.meta["costs"]`` (NaN for a log without prices); each part is what
was spent inside the window:

``cost_specialists_nok``
    FTE-years of held posts (as for ``caseload_mean``) x ``specialist_cost_per_fte_year``.
``cost_supervision_nok``
    Held post-weeks x ``supervision_hours_per_week`` x ``supervision_cost_per_hour``.
``cost_wage_subsidy_nok``
    Per candidate, the subsidy rate integrated over time (years) x
    ``job_wage_per_year`` x ``job_fte_share``. The rate is set by JOB_START (its value)
    and SUBSIDY_CHANGE rows — also those logged in advance after a discharge to work —
    and falls to 0 at JOB_END, POST_EXIT_JOB_END and an exit not to work.
``cost_mentor_nok``
    Mentor-months (MENTOR_START's hours a month until MENTOR_END, a new job or the
    job's end) x ``mentor_cost_per_hour``, plus ``mentor_training_cost`` per trained
    mentor (MENTOR_START code 1) started in the window.
``cost_inclusion_grant_nok``
    Job starts in the window x ``inclusion_grant_prob`` x ``inclusion_grant_mean``
    (the expected grant; the model draws none).
``cost_nok``
    The sum of the five parts, added in the order above.
``cost_per_sustained_job_nok``
    The cost (all parts) incurred in the cohort span ``[start, end - 365]`` divided by
    the sustained jobs begun in that same span: cost and jobs refer to the same years.
    NaN without a sustained job or if the window is a year or less.

The workforce KPIs
------------------
A **post** is a place for one specialist (one row of ``log.specialists``); a
**holder** is the person in it. A post is *held* from its holder's start to the
holder's leaving, then *vacant* until the next holder starts. A post cut by
attrition is closed when its holder leaves: it is not refilled, and the time
after that is not a vacancy (a cut is a decision, not a gap).

``turnover_annual``
    Share of the staff who quit per year: specialists leaving their post by their
    own choice in the window, divided by the average number of posts held during
    the window, per year. 0.2 means one in five specialists leaves in a year.
``vacancy_fte_months``
    How much staffing the service loses to empty posts: full-time months of vacant
    posts per year of window. One full-time post empty for two months in a year
    gives 2; a half-time post empty all year gives 6. Cut posts do not count.
``stress_mean``, ``stress_p90``
    The specialists' stress (0 = none, 1 = maximal) at the end of each week,
    averaged over the post-weeks in the window that had a holder (at work or off
    sick), and the level that only the most stressed 10 % of those post-weeks
    exceed (90th percentile). The second shows whether a tolerable average hides a
    group that is burning out.
``overload_share``
    Share of the post-weeks with a holder at work (not vacant, not off sick) in
    which the caseload asked for more hours than the post had for candidates
    (demand above capacity, the visit hours given to the caseload included; equal
    is not overload). A holder off sick is not overloaded: colleagues' cover is thin,
    but that shows in the candidates' progress, not in the holder's week.
``outside_time_share``
    Share of working time spent out of the office (with employers and candidates
    at the workplace), averaged over the weeks a specialist was at work. The model
    is meant to be practised mostly outside the office.
``employer_visits_per_week``
    Employer visits per full-time week at work: visits divided by the post's FTE
    (a half-time specialist making one visit counts as two), averaged over the
    weeks a specialist was at work.
``team_target_met_share``
    How often a team reaches the target "65 % into work within a year" (the
    target share comes from the run's ``meta["targets"]["work_within_year"]``).
    Each team is scored per whole year of the window: the candidates it took in
    during that year, and whether they started a paid job within 365 days (the
    rule of ``work_12m``). Only years whose intakes can be followed for a full year
    before the window closes are scored, so a 3-year window scores 2 years. The KPI
    is the share of scored team-years (teams with at least one intake that year)
    that met the target.

The weekly KPIs (``stress_*``, ``overload_share``, ``outside_time_share``,
``employer_visits_per_week``) read the week table ``log.weeks`` (one row per post
and week, stamped at the week's end); a week belongs to the window if it *ends* in
``(window_start, window_end]``. They are NaN for a log without week rows. Turnover
and vacancy are read from the events, so a log from a model without staff turnover
gives 0 for both (NaN only if no post is held at all, or the window is empty).

The weekly series (time series, not KPIs)
-----------------------------------------
:func:`weekly_series` samples the state of the service at the end of every week of the
*whole* run, warm-up included (``time_days`` = 7, 14, ... up to the window's end; a
last partial week is left out), so that a reader sees the service fill up as well as
the measured years. Each value is the exact level of the sample path at that instant:
an event at exactly a week's end has happened. Variables (:data:`SERIES_VARIABLES`):

``caseload_per_fte``
    Candidates on caseloads (all teams) per FTE of held posts (``caseload / fte``);
    comparable across scenarios of different size. NaN when no post is held.
``caseload``, ``fte``
    Candidates on caseloads (intake to exit), and FTE of held posts (a holder's
    start to their leaving; sick absence does not reduce it).
``queue``
    People on waiting lists, all teams.
``employed``
    Candidates on a caseload in a paid job (step 5): +1 at JOB_START, -1 at JOB_END
    and at the EXIT of a candidate who was in a job.
``stress_mean``
    Mean stress of the posts held that week (week rows ending in ``(t - 7, t]``
    whose stress is defined); NaN if no post was held.

Conventions
-----------
* "Within 365 days" includes day 365; an event exactly at a window edge is inside.
* Step functions (queue, caseload, FTE, posts held) change *at* the event time: the level at
  time ``t`` includes every change with time ``<= t``. Events with equal times are
  applied in log (row) order.
* A person is "in paid work" from a job start until the next job end; after an
  exit to work (``work_permanent``/``work_temporary``) they stay in work until a
  post-exit job loss is recorded. An exit for any other reason means not in work.
* KPIs that are undefined (empty cohort, no exits, no staff, window too short, no
  week rows) are NaN.
* The FTE a holder takes away when leaving is the FTE their start brought (the
  ``value`` of the post's last SPECIALIST_START; the table FTE if there was none).
  Posts in ``log.specialists`` without a SPECIALIST_START before their first
  SPECIALIST_LEAVE (e.g. old logs, with no start events) are held from time 0.
* A post's vacancy runs from the leaving to the post's next SPECIALIST_START (or
  for ever); if a POST_CLOSED for the post comes after the leaving and before any
  new start (in the model: at the same instant), there is no vacancy at all.
* Percentiles interpolate linearly between order statistics (numpy's default).
* The target comparison allows for rounding: a share within 1e-12 of the target
  meets it (13 of 20 meets 65 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .events import WEEK_DTYPE, Decision, EventKind, EventLog, ExitReason, JobType, LeaveReason

__all__ = [
    "COST_KPI_NAMES",
    "COST_PART_NAMES",
    "CURVE_COLUMNS",
    "CURVE_MONTHS",
    "DEFAULT_WORK_TARGET",
    "EXIT_SHARE_NAMES",
    "FLOW_KPI_NAMES",
    "KPI_BETTER",
    "KPI_NAMES",
    "MONTH_DAYS",
    "RETENTION_DAYS",
    "RISK_KPI_NAMES",
    "SERIES_COLUMNS",
    "SERIES_VARIABLES",
    "SUSTAINED_DAYS",
    "TRIAL_FOLLOW_UP_DAYS",
    "TRIAL_KPI_NAMES",
    "USUAL_SERVICES_UNDEFINED",
    "TRIAL_MONTHS",
    "WORKFORCE_KPI_NAMES",
    "WEEK_DAYS",
    "WORK_FOLLOW_UP_DAYS",
    "YEAR_DAYS",
    "candidate_outcomes",
    "caseload_deltas",
    "caseload_series",
    "compute_kpis",
    "cost_parts",
    "employed_deltas",
    "employment_curve",
    "employment_spells",
    "fte_deltas",
    "held_stress_by_bin",
    "kaplan_meier",
    "kaplan_meier_median",
    "post_deltas",
    "queue_deltas",
    "queue_length_series",
    "step_series",
    "sustained_work_share",
    "time_average",
    "trial_outcomes",
    "trend",
    "vacancies",
    "weekly_series",
    "window",
]

YEAR_DAYS = 365.0
"""Days per year, for all per-year rates."""
WORK_FOLLOW_UP_DAYS = 365.0
"""Follow-up for ``work_12m`` / ``permanent_12m``: days after intake."""
RETENTION_DAYS = 182.0
"""Follow-up for ``retention_6m``: days after the first job start."""
SUSTAINED_DAYS = 365.0
"""Follow-up for a *sustained* job (``sustained_jobs_per_year``, ``cost_per_sustained_job_nok``)."""
MONTH_DAYS = YEAR_DAYS / 12
"""Days per month, for ``vacancy_fte_months``."""
WEEK_DAYS = 7.0
"""Days per week: :func:`weekly_series` samples at 7, 14, ... days."""
DEFAULT_WORK_TARGET = 0.65
"""Target share into work within a year, if ``meta["targets"]["work_within_year"]`` is missing."""
TRIAL_MONTHS: tuple[int, ...] = (6, 12, 18, 24)
"""Months after intake at which ``employed_<m>m`` (point prevalence) is measured."""
TRIAL_FOLLOW_UP_DAYS = 24 * YEAR_DAYS / 12
"""Follow-up of the 24-month trial-style KPIs (``ever_worked_24m``, ...): 730 days after intake."""
CURVE_MONTHS = 24
"""The employment curve (:func:`employment_curve`) runs from month 0 to this month after intake."""

EXIT_SHARE_NAMES: tuple[str, ...] = (
    "exit_work_permanent_share",
    "exit_work_temporary_share",
    "exit_education_share",
    "exit_health_share",
    "exit_dropout_share",
    "exit_time_limit_share",
    "exit_discharged_share",
)
"""``exit_<reason>_share`` names, in :class:`ExitReason` code order."""

FLOW_KPI_NAMES: tuple[str, ...] = (
    "wait_days_mean",
    "queue_mean",
    "caseload_mean",
    "intakes_per_year",
    "referrals_per_year",
    "time_on_caseload_mean",
    "wait_days_km_median",
    "potential_referrals_per_year",
    "not_referred_share",
    "renege_share",
    "unmet_demand_share",
    "intake_capacity_per_year",
    "demand_capacity_ratio",
    "queue_trend_per_year",
)
"""The waiting, caseload and flow KPIs, in :data:`KPI_NAMES` order."""

WORKFORCE_KPI_NAMES: tuple[str, ...] = (
    "turnover_annual",
    "vacancy_fte_months",
    "stress_mean",
    "stress_p90",
    "overload_share",
    "outside_time_share",
    "employer_visits_per_week",
    "team_target_met_share",
)
"""The workforce KPIs, in :data:`KPI_NAMES` before the cost KPIs."""

COST_PART_NAMES: tuple[str, ...] = (
    "cost_specialists_nok",
    "cost_supervision_nok",
    "cost_wage_subsidy_nok",
    "cost_mentor_nok",
    "cost_inclusion_grant_nok",
)
"""The parts of ``cost_nok``, in the order they are added up."""

COST_KPI_NAMES: tuple[str, ...] = ("cost_nok", *COST_PART_NAMES, "cost_per_sustained_job_nok")
"""The cost KPIs (NOK), last in :data:`KPI_NAMES`."""

TRIAL_KPI_NAMES: tuple[str, ...] = (
    "employed_6m",
    "employed_12m",
    "employed_18m",
    "employed_24m",
    "ever_worked_24m",
    "never_worked_24m",
    "months_worked_24m",
    "days_to_first_job_mean",
    "first_job_days_median",
    "first_job_months_24m",
    "months_worked_from_first_job_24m",
)
"""The trial-style outcomes measured from intake (employment as the SE/IPS trials report it),
in :data:`KPI_NAMES` order. ``work_12m`` is their "ever worked within 12 months"."""

RISK_KPI_NAMES: tuple[str, ...] = (
    "work_12m",
    "permanent_12m",
    *(name for name in TRIAL_KPI_NAMES if name.startswith(("employed_", "ever_", "never_"))),
)
"""The KPIs that are *risks*: the share of a cohort of people with a yes/no outcome. For these
a comparison also gives the risk ratio (:func:`caseload_sim.experiment.risk_ratio`)."""

KPI_NAMES: tuple[str, ...] = (
    "work_12m",
    "permanent_12m",
    "days_to_first_job_median",
    "retention_6m",
    "sustained_jobs_per_year",
    *TRIAL_KPI_NAMES,
    *EXIT_SHARE_NAMES,
    "exits_to_work_per_fte_year",
    *FLOW_KPI_NAMES,
    *WORKFORCE_KPI_NAMES,
    *COST_KPI_NAMES,
)
"""Every key returned by :func:`compute_kpis`, in column order."""

KPI_BETTER: dict[str, int] = {
    "work_12m": +1,
    "permanent_12m": +1,
    "days_to_first_job_median": -1,
    "retention_6m": +1,
    "sustained_jobs_per_year": +1,
    "employed_6m": +1,
    "employed_12m": +1,
    "employed_18m": +1,
    "employed_24m": +1,
    "ever_worked_24m": +1,
    "never_worked_24m": -1,
    "months_worked_24m": +1,
    "days_to_first_job_mean": -1,  # among those who found a job: a selected group (see the definition)
    "first_job_days_median": +1,
    "first_job_months_24m": +1,
    "months_worked_from_first_job_24m": +1,
    "exit_work_permanent_share": +1,
    "exit_work_temporary_share": +1,
    "exit_education_share": 0,  # good for some, a lost job chance for others (cf. targets.count_education)
    "exit_health_share": 0,  # can be the right next step, or a failure of the follow-up
    "exit_dropout_share": -1,
    "exit_time_limit_share": -1,
    "exit_discharged_share": -1,
    "exits_to_work_per_fte_year": +1,
    "wait_days_mean": -1,
    "queue_mean": -1,
    "caseload_mean": 0,  # a trade-off: fuller caseloads serve more people, each less well
    "intakes_per_year": 0,  # rises with capacity (good) but also with time limits pushing people out
    "referrals_per_year": 0,  # an input, not an outcome
    "time_on_caseload_mean": 0,  # long follow-up can be support or stagnation
    "wait_days_km_median": -1,
    "potential_referrals_per_year": 0,  # an input: the demand
    "not_referred_share": -1,  # people who needed the service and went elsewhere
    "renege_share": -1,
    "unmet_demand_share": -1,
    "intake_capacity_per_year": 0,  # rises with slots (good) but also with shorter stays
    "demand_capacity_ratio": 0,  # a diagnosis (above 1: more demand than room), not an outcome
    "queue_trend_per_year": 0,  # a diagnosis: a list that still grows has not settled
    "turnover_annual": -1,
    "vacancy_fte_months": -1,
    "stress_mean": -1,
    "stress_p90": -1,
    "overload_share": -1,
    "outside_time_share": +1,  # the method is meant to be practised outside the office
    "employer_visits_per_week": +1,
    "team_target_met_share": +1,
    **dict.fromkeys(COST_KPI_NAMES, -1),  # the same for less money is better
}
"""Which way each KPI is better, declared once for comparisons: ``+1`` higher is better,
``-1`` lower is better, ``0`` no direction (a trade-off, an input, or a matter of
judgement). Keyed by every name in :data:`KPI_NAMES`."""

_UNBOUNDED_ABOVE = ("turnover_annual",)  # a rate (quits per post-year): a small team can exceed 100 %
_SIGNED = ("queue_trend_per_year",)  # a slope: either sign


def kpi_range(kpi: str) -> tuple[float, float] | None:
    """The values a KPI can take, or ``None`` if unknown: shares and the 0-1 stress index in
    [0, 1]; counts, rates, durations and money not negative.

    Used to keep confidence intervals inside what is possible (a share's interval over a
    few replications can otherwise reach below 0 or above 100 %) and to check stored files.
    """
    if kpi in _SIGNED:
        return None
    if kpi in _UNBOUNDED_ABOVE:
        return 0.0, math.inf
    if kpi.endswith("_share") or kpi in ("retention_6m", *RISK_KPI_NAMES) or kpi.startswith("stress_"):
        return 0.0, 1.0
    if kpi in KPI_NAMES:
        return 0.0, math.inf
    return None


SERIES_VARIABLES: tuple[str, ...] = (
    "caseload_per_fte",
    "caseload",
    "fte",
    "queue",
    "employed",
    "stress_mean",
)
"""The variables of :func:`weekly_series`, in order (see the module docstring)."""
SERIES_COLUMNS: tuple[str, ...] = ("time_days", "variable", "value")
"""Columns of :func:`weekly_series`'s output, in order."""

_WORK_EXITS = (int(ExitReason.WORK_PERMANENT), int(ExitReason.WORK_TEMPORARY))
_NAN = float("nan")
_KM_TOL = 1e-9
_TARGET_TOL = 1e-12


# --------------------------------------------------------------------------- window
def window(log: EventLog) -> tuple[float, float]:
    """The measurement window ``(start, end)`` in days, from ``log.meta``.

    Uses ``window_start``/``window_end``. If absent, falls back to ``0`` and to
    ``end_time`` (or the last event time), so hand-made logs need not set them.
    """
    meta = log.meta
    start = float(meta.get("window_start", 0.0))
    end = meta.get("window_end", meta.get("end_time"))
    if end is None:
        end = float(log.events["time"].max()) if len(log.events) else start
    return start, float(end)


def _in(t: np.ndarray, start: float, end: float) -> np.ndarray:
    return (t >= start) & (t <= end)


# --------------------------------------------------------------------- step functions
def time_average(
    times: np.ndarray, deltas: np.ndarray, start: float, end: float, initial: float = 0.0
) -> float:
    """Time-average over ``[start, end]`` of a step function given by its changes.

    The function equals ``initial`` before the first change and jumps by
    ``deltas[i]`` at ``times[i]`` (right-continuous; order does not matter). Changes
    before ``start`` set the level the window opens with, changes after ``end`` are
    ignored. Returns NaN when ``end <= start``.

    Each change contributes ``delta * (time it is in force inside the window)``, so
    no sorting is needed.
    """
    t = np.asarray(times, dtype=float)
    d = np.asarray(deltas, dtype=float)
    if t.shape != d.shape:
        raise ValueError(f"times and deltas differ in shape: {t.shape} vs {d.shape}")
    if not end > start:
        return _NAN
    in_force = end - np.clip(t, start, end)
    return float(initial + np.dot(d, in_force) / (end - start))


def trend(times: np.ndarray, deltas: np.ndarray, start: float, end: float) -> float:
    """Least-squares slope (per day) over ``[start, end]`` of a step function given by its changes.

    The slope of the straight line that fits the path ``x(t)`` best in the sense of
    ``∫ (x(t) - a - b t)² dt`` over the window: ``b = ∫ (t - m) x(t) dt / ∫ (t - m)² dt``
    with ``m`` the window's middle, computed exactly. A change ``d`` at ``τ`` inside the
    window adds ``d ((end - m)² - (τ - m)²) / 2`` to the numerator; changes before the
    window only set the level, which does not tilt the line. NaN when ``end <= start``.
    """
    t = np.asarray(times, dtype=float)
    d = np.asarray(deltas, dtype=float)
    if not end > start:
        return _NAN
    m = (start + end) / 2
    half = (end - start) / 2
    inside = (t > start) & (t <= end)
    num = float(np.dot(d[inside], half * half - (t[inside] - m) ** 2)) / 2
    return num / ((end - start) ** 3 / 12)


def step_series(
    times: np.ndarray, deltas: np.ndarray, initial: float = 0.0, name: str = "level"
) -> pd.Series:
    """A step function as a Series: index ``time``, value = level just after that time.

    Starts with a point ``(0, initial)`` (unless a change happens at 0) and has one
    point per distinct change time; changes at the same time are summed.
    """
    t = np.asarray(times, dtype=float)
    d = np.asarray(deltas, dtype=float)
    order = np.argsort(t, kind="stable")
    t = np.concatenate([[0.0], t[order]])
    level = initial + np.concatenate([[0.0], np.cumsum(d[order])])
    last = np.r_[t[1:] != t[:-1], True]  # keep the last row of each run of equal times
    return pd.Series(level[last], index=pd.Index(t[last], name="time"), name=name)


# ------------------------------------------------------------------ prepared columns
@dataclass
class _Prepared:
    """Columns of a log, rows grouped by kind, candidate ids mapped to 0..n-1."""

    time: np.ndarray
    kind: np.ndarray
    team: np.ndarray
    spec: np.ndarray  # specialist (post) id
    cid: np.ndarray  # dense candidate index (-1: no candidate)
    code: np.ndarray
    value: np.ndarray
    n_cand: int
    cand_ids: np.ndarray  # cand_ids[cid] = original candidate id
    _order: np.ndarray
    _bounds: np.ndarray

    def rows(self, kind: EventKind) -> np.ndarray:
        """Row indices of one kind, in log order."""
        k = int(kind)
        return self._order[self._bounds[k] : self._bounds[k + 1]]

    def cand_rows(self, kind: EventKind) -> np.ndarray:
        r = self.rows(kind)
        return r[self.cid[r] >= 0]


def _prepare(log: EventLog) -> _Prepared:
    ev = log.events
    kind = np.ascontiguousarray(ev["kind"])
    cand = ev["candidate"].astype(np.int64)
    has = cand >= 0
    n = len(ev)
    if not has.any():
        cid, n_cand, ids = np.full(n, -1, np.int64), 0, np.empty(0, np.int64)
    elif cand.max() < 4 * n + 1024:  # ids are (nearly) dense: index directly
        cid = np.where(has, cand, -1)
        n_cand = int(cand.max()) + 1
        ids = np.arange(n_cand, dtype=np.int64)
    else:
        ids, inv = np.unique(cand[has], return_inverse=True)
        cid = np.full(n, -1, np.int64)
        cid[has] = inv
        n_cand = len(ids)
    order = np.argsort(kind, kind="stable")
    bounds = np.searchsorted(kind[order], np.arange(len(EventKind) + 1))
    return _Prepared(
        time=np.ascontiguousarray(ev["time"], dtype=float),
        kind=kind,
        team=np.ascontiguousarray(ev["team"]),
        spec=np.ascontiguousarray(ev["specialist"]),
        cid=cid,
        code=np.ascontiguousarray(ev["code"]),
        value=np.ascontiguousarray(ev["value"], dtype=float),
        n_cand=n_cand,
        cand_ids=ids,
        _order=order,
        _bounds=bounds,
    )


def _team_filter(p: _Prepared, rows: np.ndarray, team: int | None) -> np.ndarray:
    return rows if team is None else rows[p.team[rows] == team]


def _queue_deltas(p: _Prepared, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    q = _team_filter(p, p.cand_rows(EventKind.QUEUED), team)
    was_queued = np.zeros(p.n_cand, bool)
    was_queued[p.cid[q]] = True
    off = np.concatenate([p.cand_rows(EventKind.INTAKE), p.cand_rows(EventKind.LEFT_WAITING)])
    off = off[was_queued[p.cid[off]]]
    times = np.concatenate([p.time[q], p.time[off]])
    deltas = np.concatenate([np.ones(len(q)), -np.ones(len(off))])
    return times, deltas


def _caseload_deltas(p: _Prepared, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    i = _team_filter(p, p.cand_rows(EventKind.INTAKE), team)
    x = _team_filter(p, p.cand_rows(EventKind.EXIT), team)
    times = np.concatenate([p.time[i], p.time[x]])
    deltas = np.concatenate([np.ones(len(i)), -np.ones(len(x))])
    return times, deltas


_START, _LEAVE, _CLOSE = 0, 1, 2


@dataclass
class _Staffing:
    """Posts' staffing changes, and the vacancies they leave.

    ``time/team/fte/held/slots``: one row per start (incl. a start at 0 for posts held
    from the start without an event) and per leaving; ``fte`` is the signed FTE change,
    ``held`` the change of posts held (+1/-1) and ``slots`` the signed change of caseload
    slots on held posts (the post's slots in the specialist table). ``quit_*``: leavings with code QUIT.
    ``vac_*``: one row per vacancy (a leaving not followed by a closure of the post),
    from ``vac_start`` to ``vac_end`` (inf: never refilled).
    """

    time: np.ndarray
    team: np.ndarray
    fte: np.ndarray
    held: np.ndarray
    slots: np.ndarray
    quit_time: np.ndarray
    quit_team: np.ndarray
    vac_post: np.ndarray
    vac_team: np.ndarray
    vac_start: np.ndarray
    vac_end: np.ndarray
    vac_fte: np.ndarray


def _staffing(p: _Prepared, log: EventLog) -> _Staffing:
    table = log.specialists
    s = p.rows(EventKind.SPECIALIST_START)
    lv = p.rows(EventKind.SPECIALIST_LEAVE)
    cl = p.rows(EventKind.POST_CLOSED)
    # Table posts whose holder leaves before any start (or that have no start) are held
    # from time 0, with no event: logs that record only later starts, or none.
    first_start, first_leave = _first_row(p, s, table), _first_row(p, lv, table)
    pre = table[(first_start == _NONE) | (first_leave < first_start)]
    n_pre = len(pre)
    time = np.concatenate([np.zeros(n_pre), p.time[s], p.time[lv], p.time[cl]])
    post = np.concatenate([pre["specialist"], p.spec[s], p.spec[lv], p.spec[cl]]).astype(np.int64)
    team = np.concatenate([pre["team"], p.team[s], p.team[lv], p.team[cl]]).astype(np.int64)
    what = np.repeat(np.array([_START, _START, _LEAVE, _CLOSE]), [n_pre, len(s), len(lv), len(cl)])
    value = np.concatenate([pre["fte"].astype(float), p.value[s], np.full(len(lv) + len(cl), np.nan)])
    row = np.concatenate([np.full(n_pre, -1, np.int64), s, lv, cl])
    # Each post's history in order: by time, then log order; at equal times a closure
    # comes after the leaving it belongs to, whichever was logged first.
    order = np.lexsort((row, what == _CLOSE, time, post))
    time, post, team, what, value = (a[order] for a in (time, post, team, what, value))
    m = len(time)
    pos = np.arange(m)
    is_start, is_leave = what == _START, what == _LEAVE

    def same_post(idx: np.ndarray, at: np.ndarray) -> np.ndarray:
        ok = (idx >= 0) & (idx < m)
        ok[ok] = post[idx[ok]] == post[at[ok]]
        return ok

    li = np.flatnonzero(is_leave)
    # FTE the holder takes away: the post's last start before the leaving, else the table
    prev_start = np.maximum.accumulate(np.where(is_start, pos, -1))[li]
    has_prev = same_post(prev_start, li)
    leave_fte = np.zeros(len(li))
    leave_fte[has_prev] = value[prev_start[has_prev]]
    if (~has_prev).any() and len(table):
        ids = table["specialist"].astype(np.int64)
        by_id = np.argsort(ids, kind="stable")
        k = np.clip(np.searchsorted(ids[by_id], post[li[~has_prev]]), 0, len(ids) - 1)
        found = ids[by_id][k] == post[li[~has_prev]]
        leave_fte[~has_prev] = np.where(found, table["fte"][by_id][k].astype(float), 0.0)

    def next_of(mask: np.ndarray) -> np.ndarray:
        """Position of the first ``mask`` row after each leaving (``m``: none)."""
        nxt = np.minimum.accumulate(np.where(mask, pos, m)[::-1])[::-1]
        out = np.full(len(li), m, np.int64)
        inside = li + 1 < m
        out[inside] = nxt[li[inside] + 1]
        return out

    next_start, next_close = next_of(is_start), next_of(what == _CLOSE)
    has_next = same_post(next_start, li)
    closed = same_post(next_close, li) & (~has_next | (next_close < next_start))
    vac = ~closed
    vac_end = np.full(len(li), np.inf)
    vac_end[has_next] = time[next_start[has_next]]

    code = np.concatenate([np.zeros(n_pre + len(s), np.int64), p.code[lv], np.zeros(len(cl), np.int64)])
    quit_ = is_leave & (code[order] == int(LeaveReason.QUIT))
    sl = is_start | is_leave
    fte = np.where(is_start, value, 0.0)
    fte[li] = -leave_fte
    held = np.where(is_start, 1.0, -1.0)[sl]
    slots = np.zeros(int(sl.sum()))
    if len(table):
        ids = table["specialist"].astype(np.int64)
        by_id = np.argsort(ids, kind="stable")
        k = np.clip(np.searchsorted(ids[by_id], post[sl]), 0, len(ids) - 1)
        found = ids[by_id][k] == post[sl]
        slots = held * np.where(found, table["slots"][by_id][k].astype(float), 0.0)
    return _Staffing(
        time=time[sl],
        team=team[sl],
        fte=fte[sl],
        held=held,
        slots=slots,
        quit_time=time[quit_],
        quit_team=team[quit_],
        vac_post=post[li][vac],
        vac_team=team[li][vac],
        vac_start=time[li][vac],
        vac_end=vac_end[vac],
        vac_fte=leave_fte[vac],
    )


_NONE = np.iinfo(np.int64).max


def _first_row(p: _Prepared, rows: np.ndarray, table: np.ndarray) -> np.ndarray:
    """For each table post, the first of ``rows`` (log-ordered) on that post (``_NONE``: none)."""
    ids, first = np.unique(p.spec[rows], return_index=True)
    out = np.full(len(table), _NONE, np.int64)
    if len(ids) and len(table):
        want = table["specialist"]
        k = np.clip(np.searchsorted(ids, want), 0, len(ids) - 1)
        found = ids[k] == want
        out[found] = rows[first[k[found]]]
    return out


def _by_team(team: np.ndarray, want: int | None, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    if want is None:
        return arrays
    keep = team == want
    return tuple(a[keep] for a in arrays)


def _fte_deltas(st: _Staffing, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    t, d = _by_team(st.team, team, st.time, st.fte)
    return t, d


def _post_deltas(st: _Staffing, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    t, d = _by_team(st.team, team, st.time, st.held)
    return t, d


def queue_deltas(log: EventLog, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Changes of the number waiting: ``(times, deltas)``.

    +1 at each QUEUED event, -1 at the INTAKE of a candidate who had been queued
    (an intake without a QUEUED event never waited) and at each LEFT_WAITING (a person
    leaving the list for other measures). ``team`` filters QUEUED events by team; the
    matching intakes and leavings follow the candidate.
    """
    return _queue_deltas(_prepare(log), team)


def caseload_deltas(log: EventLog, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Changes of the number of active candidates: +1 at INTAKE, -1 at EXIT."""
    return _caseload_deltas(_prepare(log), team)


def fte_deltas(log: EventLog, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Changes of staffed FTE: +FTE at each SPECIALIST_START (its ``value``), -FTE at
    each SPECIALIST_LEAVE (the FTE of the post's last start, else its table FTE).

    Posts listed in ``log.specialists`` with no start event before their first
    leaving are held from time 0 with their table FTE. Sick absence does not change
    staffed FTE.
    """
    return _fte_deltas(_staffing(_prepare(log), log), team)


def post_deltas(log: EventLog, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Changes of the number of posts held: +1 at each SPECIALIST_START, -1 at each
    SPECIALIST_LEAVE (+1 at time 0 for posts held from the start, see :func:`fte_deltas`)."""
    return _post_deltas(_staffing(_prepare(log), log), team)


def vacancies(log: EventLog, team: int | None = None) -> pd.DataFrame:
    """One row per vacancy: ``post, team, start, end, fte``.

    A vacancy runs from a holder's leaving to the post's next SPECIALIST_START
    (``end`` = inf if it is never refilled). A leaving followed by a POST_CLOSED of
    the post (before any new start) is a cut, not a vacancy, and has no row.
    """
    st = _staffing(_prepare(log), log)
    cols = _by_team(st.vac_team, team, st.vac_post, st.vac_team, st.vac_start, st.vac_end, st.vac_fte)
    return pd.DataFrame(dict(zip(("post", "team", "start", "end", "fte"), cols, strict=True)))


def queue_length_series(log: EventLog, team: int | None = None) -> pd.Series:
    """Number waiting over time (see :func:`step_series` for the shape)."""
    return step_series(*queue_deltas(log, team), name="queue")


def caseload_series(log: EventLog, team: int | None = None) -> pd.Series:
    """Number of active candidates over time (not divided by FTE)."""
    return step_series(*caseload_deltas(log, team), name="caseload")


def _employed_deltas(p: _Prepared) -> tuple[np.ndarray, np.ndarray]:
    rows = np.sort(
        np.concatenate([p.cand_rows(k) for k in (EventKind.JOB_START, EventKind.JOB_END, EventKind.EXIT)])
    )  # log order
    if not len(rows):
        return np.empty(0), np.empty(0)
    rows = rows[np.argsort(p.cid[rows], kind="stable")]  # by candidate, log order within
    c, kind = p.cid[rows], p.kind[rows]
    step = np.where(kind == EventKind.JOB_START, 1.0, np.where(kind == EventKind.JOB_END, -1.0, 0.0))
    before = np.cumsum(step) - step  # running level before each row, over all candidates
    first = np.r_[True, c[1:] != c[:-1]]
    level = before - before[np.flatnonzero(first)][np.cumsum(first) - 1]  # this candidate's, before the row
    is_exit = kind == EventKind.EXIT
    step[is_exit] = -np.clip(level[is_exit], 0.0, 1.0)  # leaving in a job ends the job on the caseload
    return p.time[rows], step


def employed_deltas(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """Changes of the number of candidates on a caseload in a paid job (step 5).

    +1 at JOB_START, -1 at JOB_END, and -1 at the EXIT of a candidate who was in a
    job when leaving the caseload (an exit to work, or with a job for another reason).
    """
    return _employed_deltas(_prepare(log))


def _levels_at(times: np.ndarray, deltas: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A step function's level (0 before its first change) at each of ``at``, changes at ``<= at`` included."""
    order = np.argsort(times, kind="stable")
    level = np.concatenate([[0.0], np.cumsum(np.asarray(deltas, dtype=float)[order])])
    return level[np.searchsorted(np.asarray(times, dtype=float)[order], at, side="right")]


def held_stress_by_bin(weeks: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Mean stress of the held post-weeks whose week ends in each bin ``(edges[j], edges[j + 1]]``.

    ``weeks`` is a week table (:data:`~caseload_sim.events.WEEK_DTYPE`); a post-week is
    held when its stress is defined (not NaN). NaN for a bin without held post-weeks.
    """
    out = np.full(max(len(edges) - 1, 0), np.nan)
    if not len(weeks) or not len(out):
        return out
    stress = weeks["stress"].astype(float)
    held = np.isfinite(stress)
    j = np.searchsorted(edges, weeks["time"][held], side="left") - 1
    ok = (j >= 0) & (j < len(out))
    total = np.bincount(j[ok], weights=stress[held][ok], minlength=len(out))
    count = np.bincount(j[ok], minlength=len(out))
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def weekly_series(log: EventLog) -> pd.DataFrame:
    """The service week by week over the whole run, warm-up included: a tidy table.

    One row per week end ``t = 7, 14, ...`` (days, up to the window's end) and variable
    of :data:`SERIES_VARIABLES`, variable by variable; columns :data:`SERIES_COLUMNS`
    (``time_days`` float, ``variable`` categorical, ``value`` float). Counts are the
    exact levels of the sample path at ``t``, events at exactly ``t`` included; see the
    module docstring for each variable.
    """
    _, end = window(log)
    n_weeks = max(int(math.floor(end / WEEK_DAYS + 1e-9)), 0) if math.isfinite(end) else 0
    edges = np.arange(n_weeks + 1, dtype=float) * WEEK_DAYS
    at = edges[1:]
    p = _prepare(log)
    caseload = _levels_at(*_caseload_deltas(p), at)
    fte = _levels_at(*_fte_deltas(_staffing(p, log)), at)
    fte = np.where(np.abs(fte) < 1e-9, 0.0, fte)  # no residue of summed FTE fractions when nobody is left
    with np.errstate(divide="ignore", invalid="ignore"):
        per_fte = np.where(fte > 0, caseload / np.where(fte > 0, fte, 1.0), np.nan)
    columns = {
        "caseload_per_fte": per_fte,
        "caseload": caseload,
        "fte": fte,
        "queue": _levels_at(*_queue_deltas(p), at),
        "employed": _levels_at(*_employed_deltas(p), at),
        "stress_mean": held_stress_by_bin(_weeks(log), edges),
    }
    return pd.DataFrame(
        {
            "time_days": np.tile(at, len(SERIES_VARIABLES)),
            "variable": pd.Categorical.from_codes(
                np.repeat(np.arange(len(SERIES_VARIABLES)), n_weeks), categories=pd.Index(SERIES_VARIABLES)
            ),
            "value": np.concatenate([columns[name] for name in SERIES_VARIABLES]),
        },
        columns=list(SERIES_COLUMNS),
    )


# ---------------------------------------------------------------------- Kaplan-Meier
def kaplan_meier(durations: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier (product-limit) survival estimate.

    ``durations[i]`` is the time to the event if ``observed[i]`` else the censoring
    time. Someone censored at the same time as an event is still at risk for it.
    Returns one row per distinct event time: ``time, at_risk, events, survival``
    (survival just after ``time``).
    """
    times, at_risk, events, survival = _product_limit(durations, observed)
    return pd.DataFrame({"time": times, "at_risk": at_risk, "events": events, "survival": survival})


def _product_limit(
    durations: np.ndarray, observed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The columns of :func:`kaplan_meier` as arrays (no DataFrame: this runs for every replication)."""
    d = np.asarray(durations, dtype=float)
    o = np.asarray(observed, dtype=bool)
    if d.shape != o.shape:
        raise ValueError(f"durations and observed differ in shape: {d.shape} vs {o.shape}")
    order = np.argsort(d, kind="stable")
    d, o = d[order], o[order]
    times, first = np.unique(d, return_index=True)
    events = np.add.reduceat(o.astype(np.int64), first) if len(d) else np.empty(0, np.int64)
    at_risk = len(d) - first
    keep = events > 0
    times, at_risk, events = times[keep], at_risk[keep], events[keep]
    return times, at_risk, events, np.cumprod(1.0 - events / at_risk)


def kaplan_meier_median(durations: np.ndarray, observed: np.ndarray) -> float:
    """Kaplan-Meier median: the first time the survival curve is at or below 0.5.

    If the curve sits exactly at 0.5 over an interval, the midpoint between that
    time and the next event time is returned (the convention of R's ``survival``
    package), so that without censoring the result equals the ordinary sample
    median. NaN if the curve never reaches 0.5 (or there is no data).
    """
    t, _, _, s = _product_limit(durations, observed)
    below = np.flatnonzero(s <= 0.5 + _KM_TOL)
    if len(below) == 0:
        return _NAN
    i = int(below[0])
    if abs(s[i] - 0.5) <= _KM_TOL and i + 1 < len(t):
        return float((t[i] + t[i + 1]) / 2)
    return float(t[i])


# ----------------------------------------------------------------- per-candidate facts
@dataclass
class _Outcomes:
    intake: np.ndarray  # intake time (NaN: never taken in)
    first_job: np.ndarray  # first JOB_START time (inf: none)
    first_job_type: np.ndarray  # JobType of the first job (-1: none)
    permanent: np.ndarray  # first permanent job start or hire-permanent decision (inf: none)
    exit: np.ndarray  # exit time (inf: none)
    exit_reason: np.ndarray  # ExitReason (-1: none)


def _outcomes(p: _Prepared) -> _Outcomes:
    n = p.n_cand
    intake = np.full(n, np.nan)
    r = p.cand_rows(EventKind.INTAKE)
    intake[p.cid[r]] = p.time[r]

    js = p.cand_rows(EventKind.JOB_START)
    first_job = np.full(n, np.inf)
    np.minimum.at(first_job, p.cid[js], p.time[js])
    # type of the first job: among the job starts at the candidate's first job time,
    # the earliest in log order
    first_job_type = np.full(n, -1, np.int64)
    hit = js[p.time[js] == first_job[p.cid[js]]]
    hit_c, first_hit = np.unique(p.cid[hit], return_index=True)
    first_job_type[hit_c] = p.code[hit[first_hit]]

    permanent = np.full(n, np.inf)
    pj = js[p.code[js] == int(JobType.PERMANENT)]
    np.minimum.at(permanent, p.cid[pj], p.time[pj])
    ed = p.cand_rows(EventKind.EMPLOYER_DECISION)
    ed = ed[p.code[ed] == int(Decision.HIRE_PERMANENT)]
    np.minimum.at(permanent, p.cid[ed], p.time[ed])

    exit_time = np.full(n, np.inf)
    exit_reason = np.full(n, -1, np.int64)
    x = p.cand_rows(EventKind.EXIT)
    exit_time[p.cid[x]] = p.time[x]
    exit_reason[p.cid[x]] = p.code[x]
    return _Outcomes(intake, first_job, first_job_type, permanent, exit_time, exit_reason)


def candidate_outcomes(log: EventLog) -> pd.DataFrame:
    """One row per candidate seen in the log: the facts the cohort KPIs are built on.

    Columns: ``intake_time``, ``first_job_time``, ``first_job_type`` (JobType code,
    -1 if none), ``permanent_time`` (first permanent job start or hire-permanent
    decision), ``exit_time``, ``exit_reason`` (ExitReason code, -1 if none). Times are
    NaN when the event never happened. Indexed by candidate id.
    """
    p = _prepare(log)
    o = _outcomes(p)

    def nan_inf(a: np.ndarray) -> np.ndarray:
        return np.where(np.isinf(a), np.nan, a)

    seen = np.zeros(p.n_cand, bool)
    seen[p.cid[p.cid >= 0]] = True
    df = pd.DataFrame(
        {
            "intake_time": o.intake,
            "first_job_time": nan_inf(o.first_job),
            "first_job_type": o.first_job_type,
            "permanent_time": nan_inf(o.permanent),
            "exit_time": nan_inf(o.exit),
            "exit_reason": o.exit_reason,
        },
        index=pd.Index(p.cand_ids, name="candidate"),
    )
    return df[seen]


def _in_work_at(p: _Prepared, query: np.ndarray, cohort: np.ndarray) -> np.ndarray:
    """For each cohort candidate index, 1.0 if in paid work at ``query[cid]`` else 0.0."""
    in_cohort = np.zeros(p.n_cand, bool)
    in_cohort[cohort] = True
    rows, status = [], []
    for kind in (EventKind.JOB_START, EventKind.JOB_END, EventKind.EXIT, EventKind.POST_EXIT_JOB_END):
        r = p.cand_rows(kind)
        r = r[in_cohort[p.cid[r]]]
        r = r[p.time[r] <= query[p.cid[r]]]
        if kind == EventKind.JOB_START:
            s = np.ones(len(r), bool)
        elif kind == EventKind.EXIT:
            s = np.isin(p.code[r], _WORK_EXITS)
        else:
            s = np.zeros(len(r), bool)
        rows.append(r)
        status.append(s)
    r = np.concatenate(rows)
    s = np.concatenate(status)
    order = np.lexsort((r, p.time[r], p.cid[r]))  # by candidate, then time, then log order
    c_sorted = p.cid[r][order]
    last = np.r_[c_sorted[1:] != c_sorted[:-1], True] if len(c_sorted) else np.zeros(0, bool)
    at = np.zeros(p.n_cand)
    at[c_sorted[last]] = s[order][last]
    return at[cohort]


# ------------------------------------------------------------- employment history
_OPEN = -1  # end_kind of a job still held when the log ends


@dataclass
class _Spells:
    """Paid jobs, one row per job: who (dense candidate index), from when, until when.

    ``end`` is inf for a job still held when the log ends; ``end_kind`` is the EventKind
    of the row that ended it (JOB_END, POST_EXIT_JOB_END, EXIT, or JOB_START for a job
    left for another at once), ``_OPEN`` if none. ``first`` marks each candidate's first job.
    Rows are by candidate, then start; a candidate's jobs never overlap.
    """

    cid: np.ndarray
    start: np.ndarray
    end: np.ndarray
    end_kind: np.ndarray
    first: np.ndarray
    prior: np.ndarray  # the work held at referral (not a job found: never ``first``)


def _spells(p: _Prepared) -> _Spells:
    """Every candidate's paid work: the jobs found (:func:`_found_spells`) and the work held at referral.

    Work held at referral runs from its PRIOR_WORK row (logged with the referral) to its
    PRIOR_WORK_END row, or to the start of the first job found, which replaces it with no
    gap; an exit does not end it. Rows are by candidate, then start.
    """
    found = _found_spells(p)
    pw = p.cand_rows(EventKind.PRIOR_WORK)
    if not len(pw):
        return found
    pc = p.cid[pw]
    start = p.time[pw]
    end = np.full(p.n_cand, np.inf)
    pe = p.cand_rows(EventKind.PRIOR_WORK_END)
    end[p.cid[pe]] = p.time[pe]
    end_kind = np.full(p.n_cand, _OPEN, np.int64)
    end_kind[p.cid[pe]] = int(EventKind.PRIOR_WORK_END)
    replaced = np.full(p.n_cand, np.inf)
    np.minimum.at(replaced, found.cid, found.start)
    by_job = replaced < end
    end_kind[by_job] = int(EventKind.JOB_START)
    end = np.minimum(end, replaced)
    cid = np.concatenate([found.cid, pc])
    order = np.lexsort((np.r_[np.ones(len(found.cid)), np.zeros(len(pc))], np.r_[found.start, start], cid))
    return _Spells(
        cid[order],
        np.r_[found.start, start][order],
        np.r_[found.end, end[pc]][order],
        np.r_[found.end_kind, end_kind[pc]][order],
        np.r_[found.first, np.zeros(len(pc), bool)][order],
        np.r_[found.prior, np.ones(len(pc), bool)][order],
    )


def _found_spells(p: _Prepared) -> _Spells:
    """Every candidate's paid jobs, from the job rows, exits and post-discharge job ends.

    A candidate's rows (JOB_START, JOB_END, EXIT, POST_EXIT_JOB_START/_END; equal times in log
    order) are replayed as a two-state machine, *in work* or not, remembering whether
    the candidate has been discharged (an EXIT before the row):

    * JOB_START: in work; a job already held ends there (left for the new one).
    * JOB_END: not in work, while followed up. After a discharge it is ignored: the
      specialist no longer sees the job, and only POST_EXIT_JOB_END ends it.
    * EXIT to work (``work_permanent``, ``work_temporary``): the job goes on after the
      discharge. (Without a job held, one is taken to start at the exit.)
    * EXIT for any other reason: not in work (the log knows of no job afterwards).
    * POST_EXIT_JOB_START: in work, after an exit (a job found back in usual services;
      ignored before one).
    * POST_EXIT_JOB_END: not in work, after an exit (ignored before one).

    Every other row (EMPLOYER_DECISION, SUBSIDY_CHANGE, MENTOR_*, also the ones logged
    after a discharge) leaves the state alone. Vectorised: each row either sets the state
    or leaves it; the state after a row is what the candidate's last setting row set.
    """
    kinds = (
        EventKind.JOB_START,
        EventKind.JOB_END,
        EventKind.EXIT,
        EventKind.POST_EXIT_JOB_START,
        EventKind.POST_EXIT_JOB_END,
    )
    r = np.concatenate([p.cand_rows(k) for k in kinds])
    if not len(r):
        none = np.empty(0)
        return _Spells(
            none.astype(np.int64), none, none, none.astype(np.int64), none.astype(bool), none.astype(bool)
        )
    r = r[np.lexsort((r, p.time[r], p.cid[r]))]  # by candidate, then time, then log order
    c, kind, t = p.cid[r], p.kind[r].astype(np.int64), p.time[r]
    m = len(r)
    pos = np.arange(m)
    group_first = np.r_[True, c[1:] != c[:-1]]
    group_start = np.maximum.accumulate(np.where(group_first, pos, 0))
    is_exit = kind == EventKind.EXIT
    work_exit = is_exit & np.isin(p.code[r], _WORK_EXITS)
    exits_before = np.cumsum(is_exit) - is_exit
    discharged = exits_before - exits_before[group_start] > 0
    sets = np.full(m, -1, np.int64)  # the state a row sets: 1 in work, 0 not, -1 leaves it alone
    post_start = (kind == EventKind.POST_EXIT_JOB_START) & discharged
    sets[kind == EventKind.JOB_START] = 1
    sets[post_start] = 1
    sets[(kind == EventKind.JOB_END) & ~discharged] = 0
    sets[work_exit] = 1
    sets[is_exit & ~work_exit] = 0
    sets[(kind == EventKind.POST_EXIT_JOB_END) & discharged] = 0
    setter = np.maximum.accumulate(np.where(sets >= 0, pos, -1))
    after = np.where(setter >= group_start, sets[np.maximum(setter, 0)], 0)
    before = np.r_[0, after[:-1]]
    before[group_first] = 0
    new_job = (kind == EventKind.JOB_START) | post_start
    starts = np.flatnonzero(new_job | (work_exit & (before == 0)))
    ends = np.flatnonzero((before == 1) & ((after == 0) | new_job))
    # a candidate's starts and ends alternate (an end needs a job held); a JOB_START that
    # ends one job and starts the next is the end of the earlier, so look strictly after
    k = np.searchsorted(ends, starts, side="right")
    has_end = k < len(ends)
    has_end[has_end] = c[ends[k[has_end]]] == c[starts[has_end]]
    end = np.full(len(starts), np.inf)
    end_kind = np.full(len(starts), _OPEN, np.int64)
    end[has_end] = t[ends[k[has_end]]]
    end_kind[has_end] = kind[ends[k[has_end]]]
    sc = c[starts]
    first = np.r_[True, sc[1:] != sc[:-1]] if len(sc) else np.zeros(0, bool)
    return _Spells(sc, t[starts], end, end_kind, first, np.zeros(len(sc), bool))


def employment_spells(log: EventLog) -> pd.DataFrame:
    """Every candidate's paid jobs, one row per job, as the log tells them.

    A person is in paid work from a JOB_START until the job's JOB_END while followed up,
    or — after a discharge to work (an EXIT with reason ``work_permanent`` or
    ``work_temporary``), when the job goes on — until a POST_EXIT_JOB_END row (logged
    without a specialist), or until the log ends. Only POST_EXIT_JOB_END ends a job after
    discharge: other rows logged after it (subsidy changes, employer decisions, mentor
    ends) do not. A job found after the service, back in usual services, runs from its
    POST_EXIT_JOB_START to its POST_EXIT_JOB_END. See :func:`_spells` for the replay, and
    the module docstring for what the log cannot tell (work after an exit for education,
    health or dropout).

    Columns: ``candidate`` (id), ``job`` (0 for the candidate's first job, 1, 2, ...),
    ``start``, ``end`` (days; NaN: still held when the log ends), ``ended_by`` (the event
    kind that ended it: ``job_end``, ``post_exit_job_end``, ``exit`` — an exit not to
    work —, ``job_start`` — left at once for another job —, ``prior_work_end``, or ``""``
    if still held). A job's start is a JOB_START, a POST_EXIT_JOB_START or an exit to
    work. The work a person held at referral is a row with ``job`` −1 and ``prior``
    True (from the PRIOR_WORK row to its PRIOR_WORK_END or the first job found).
    """
    p = _prepare(log)
    sp = _spells(p)
    names = {int(k): k.name.lower() for k in EventKind} | {_OPEN: ""}
    n = len(sp.cid)
    found = (~sp.prior).astype(np.int64)
    new_cand = np.r_[True, sp.cid[1:] != sp.cid[:-1]] if n else np.zeros(0, bool)
    before = np.cumsum(found) - found  # found jobs before each row, over all candidates
    job = before - before[np.flatnonzero(new_cand)][np.cumsum(new_cand) - 1] if n else before
    return pd.DataFrame(
        {
            "candidate": p.cand_ids[sp.cid].astype(np.int64),
            "job": np.where(sp.prior, -1, job).astype(np.int64),
            "prior": sp.prior,
            "start": sp.start,
            "end": np.where(np.isinf(sp.end), np.nan, sp.end),
            "ended_by": [names[int(k)] for k in sp.end_kind],
        }
    )


def _first_intake(p: _Prepared) -> np.ndarray:
    """Each candidate's (first) intake time; NaN if never taken in."""
    ir = p.cand_rows(EventKind.INTAKE)
    out = np.full(p.n_cand, np.nan)
    ids, first = np.unique(p.cid[ir], return_index=True)  # rows in log order: the first of each
    out[ids] = p.time[ir][first]
    return out


def _employed_at(sp: _Spells, n_cand: int, at: np.ndarray) -> np.ndarray:
    """Per candidate, whether in paid work at time ``at[cid]`` (rows at ``<= at`` applied)."""
    q = at[sp.cid]
    hit = (sp.start <= q) & (sp.end > q)
    out = np.zeros(n_cand, bool)
    out[sp.cid[hit]] = True
    return out


def _months_worked(sp: _Spells, n_cand: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per candidate, months in paid work within ``[a[cid], b[cid]]``."""
    days = np.clip(np.minimum(sp.end, b[sp.cid]) - np.maximum(sp.start, a[sp.cid]), 0.0, None)
    days = np.where(np.isnan(days), 0.0, days)
    return np.bincount(sp.cid, weights=days, minlength=n_cand) / MONTH_DAYS


def _first_work(sp: _Spells, n_cand: int, intake: np.ndarray, found_only: bool = False) -> np.ndarray:
    """Per candidate, the first time in paid work at or after intake (inf: never; NaN intake: inf).

    With ``found_only`` the work held at referral does not count: the start of the first
    job found after intake.
    """
    t0 = intake[sp.cid]
    counts = (sp.start >= t0) | (sp.end > t0)  # a job started after intake, or held at it
    if found_only:
        counts &= ~sp.prior
    out = np.full(n_cand, np.inf)
    np.minimum.at(out, sp.cid[counts], np.maximum(sp.start, t0)[counts])
    return out


@dataclass
class _TrialTable:
    """Per candidate (dense index): intake, and the trial-style outcomes (NaN: not observable)."""

    intake: np.ndarray
    employed: dict[int, np.ndarray]  # month -> 1.0 / 0.0 / NaN
    ever_worked: np.ndarray  # within 24 months
    months_worked: np.ndarray  # within 24 months
    first_work_days: np.ndarray  # days from intake to the first job found (inf: none; NaN: no intake)


def _trial_table(p: _Prepared, sp: _Spells, end: float) -> _TrialTable:
    intake = _first_intake(p)
    employed = {}
    for months in TRIAL_MONTHS:
        follow = months * YEAR_DAYS / 12
        seen = intake <= end - follow  # NaN intake: False
        at = _employed_at(sp, p.n_cand, intake + follow).astype(float)
        employed[months] = np.where(seen, at, np.nan)
    seen = intake <= end - TRIAL_FOLLOW_UP_DAYS
    first = _first_work(sp, p.n_cand, intake) - intake
    worked = _months_worked(sp, p.n_cand, intake, intake + TRIAL_FOLLOW_UP_DAYS)
    return _TrialTable(
        intake=intake,
        employed=employed,
        ever_worked=np.where(seen, (first <= TRIAL_FOLLOW_UP_DAYS).astype(float), np.nan),
        months_worked=np.where(seen, worked, np.nan),
        first_work_days=_first_work(sp, p.n_cand, intake, found_only=True) - intake,
    )


def _trial_kpis(p: _Prepared, start: float, end: float) -> dict[str, float]:
    """The trial-style KPIs (:data:`TRIAL_KPI_NAMES`); see the module docstring."""
    sp = _spells(p)
    tt = _trial_table(p, sp, end)
    in_window = tt.intake >= start  # NaN intake: False
    k: dict[str, float] = {}
    for months in TRIAL_MONTHS:
        v = tt.employed[months][in_window]
        k[f"employed_{months}m"] = _mean(v[~np.isnan(v)])
    cohort = in_window & ~np.isnan(tt.ever_worked)
    ever = tt.ever_worked[cohort]
    k["ever_worked_24m"] = _mean(ever)
    k["never_worked_24m"] = _mean(1.0 - ever)
    k["months_worked_24m"] = _mean(tt.months_worked[cohort])
    days = tt.first_work_days[cohort]
    k["days_to_first_job_mean"] = _mean(days[days <= TRIAL_FOLLOW_UP_DAYS])
    first = sp.first & (sp.start >= start) & (sp.start <= end)
    observed = sp.end[first] <= end
    k["first_job_days_median"] = kaplan_meier_median(
        np.minimum(sp.end[first], end) - sp.start[first], observed
    )
    # from the first job's start: its 24 months observed inside the window
    fj = sp.first & (sp.start >= start) & (sp.start <= end - TRIAL_FOLLOW_UP_DAYS)
    t0 = sp.start[fj]
    k["first_job_months_24m"] = _mean((np.minimum(sp.end[fj], t0 + TRIAL_FOLLOW_UP_DAYS) - t0) / MONTH_DAYS)
    a = np.full(p.n_cand, np.nan)
    a[sp.cid[fj]] = t0
    worked = _months_worked(sp, p.n_cand, a, a + TRIAL_FOLLOW_UP_DAYS)
    k["months_worked_from_first_job_24m"] = _mean(worked[sp.cid[fj]])
    return k


def trial_outcomes(log: EventLog) -> pd.DataFrame:
    """One row per candidate taken in: the person-level facts behind the trial-style KPIs.

    Columns: ``intake_time``; ``employed_6m`` … ``employed_24m`` (1.0 if in paid work
    exactly 6, 12, 18, 24 months after intake, else 0.0); ``ever_worked_24m`` (1.0 if in
    paid work at any time in the 24 months after intake); ``months_worked_24m`` (months
    in paid work in those 24 months, work held at referral included); ``first_work_days``
    (days from intake to the first job found — work held at referral does not count; NaN
    if none is seen). An outcome whose horizon reaches past the window's
    end is NaN (not observable). The KPIs average these over the candidates whose intake
    lies in the window. Indexed by candidate id; employment is :func:`employment_spells`.
    """
    p = _prepare(log)
    _, end = window(log)
    tt = _trial_table(p, _spells(p), end)
    took = ~np.isnan(tt.intake)
    data: dict[str, np.ndarray] = {"intake_time": tt.intake}
    data.update({f"employed_{m}m": tt.employed[m] for m in TRIAL_MONTHS})
    data["ever_worked_24m"] = tt.ever_worked
    data["months_worked_24m"] = tt.months_worked
    data["first_work_days"] = np.where(np.isinf(tt.first_work_days), np.nan, tt.first_work_days)
    frame = pd.DataFrame(data, index=pd.Index(p.cand_ids, name="candidate"))
    return frame[took]


CURVE_COLUMNS: tuple[str, ...] = ("month", "employed", "n")
"""Columns of :func:`employment_curve`'s output, in order."""


def employment_curve(log: EventLog) -> pd.DataFrame:
    """Share in paid work by month since intake, 0 to :data:`CURVE_MONTHS`, for one cohort.

    The cohort is that of the 24-month KPIs: intakes in ``[window start, window end − 730]``,
    each followed for the whole 24 months, so every month's share is over the same people
    (month 24 equals ``employed_24m``; earlier months can differ slightly from
    ``employed_6m`` … whose cohorts reach later into the window). Month ``m`` is
    ``m · 365/12`` days after intake. Columns :data:`CURVE_COLUMNS`: ``month`` (int),
    ``employed`` (share; NaN for an empty cohort), ``n`` (cohort size, the same in every row).
    """
    start, end = window(log)
    p = _prepare(log)
    sp = _spells(p)
    intake = _first_intake(p)
    cohort = (intake >= start) & (intake <= end - TRIAL_FOLLOW_UP_DAYS)
    months = np.arange(CURVE_MONTHS + 1)
    share = [
        _mean(_employed_at(sp, p.n_cand, intake + m * YEAR_DAYS / 12)[cohort].astype(float)) for m in months
    ]
    return pd.DataFrame(
        {"month": months.astype(np.int64), "employed": np.array(share, float), "n": int(cohort.sum())},
        columns=list(CURVE_COLUMNS),
    )


# ---------------------------------------------------------------------------- KPIs
def _mean(a: np.ndarray) -> float:
    return float(np.mean(a)) if len(a) else _NAN


_ROUNDING = 1e-9  # relative size of floating-point residue in a time-average of +x/-x changes


def _div(num: float, den: float) -> float:
    return num / den if den > 0 and math.isfinite(den) else _NAN


def _waiting_kpis(p: _Prepared, o: _Outcomes, start: float, end: float) -> dict[str, float]:
    """``wait_days_mean``, ``wait_days_km_median`` and the shares of unmet demand (module docstring)."""
    rr = p.cand_rows(EventKind.REFERRAL)
    nr = p.cand_rows(EventKind.NOT_REFERRED)
    lw = p.cand_rows(EventKind.LEFT_WAITING)
    ir = p.cand_rows(EventKind.INTAKE)
    taken = np.where(np.isnan(o.intake), np.inf, o.intake)
    left = np.full(p.n_cand, np.inf)
    left[p.cid[lw]] = p.time[lw]
    # every wait that ends in the window (intake, leaving the list), and every one still running at its end
    t_ref, c_ref = p.time[rr], p.cid[rr]
    running = (t_ref <= end) & (taken[c_ref] > end) & (left[c_ref] > end)
    waits = np.concatenate(
        [
            p.value[ir[_in(p.time[ir], start, end)]],
            p.value[lw[_in(p.time[lw], start, end)]],
            end - t_ref[running],
        ]
    )
    # referrals in the window: time to intake, censored at leaving the list or at the window end
    cohort = _in(t_ref, start, end)
    t0, c = t_ref[cohort], c_ref[cohort]
    observed = taken[c] <= end
    durations = np.where(observed, taken[c], np.minimum(left[c], end)) - t0
    gone = int(np.sum(left[c] <= end))
    not_referred = int(_in(p.time[nr], start, end).sum())
    potential = len(t0) + not_referred
    return {
        "wait_days_mean": _mean(waits),
        "wait_days_km_median": kaplan_meier_median(durations, observed),
        "not_referred_share": _div(not_referred, potential),
        "renege_share": _div(gone, len(t0)),
        "unmet_demand_share": _div(not_referred + gone, potential),
    }


USUAL_SERVICES_UNDEFINED: tuple[str, ...] = (
    "turnover_annual",
    "vacancy_fte_months",
    "overload_share",
    "outside_time_share",
    "team_target_met_share",
    "cost_nok",
    "cost_specialists_nok",
    "cost_supervision_nok",
    "cost_per_sustained_job_nok",
)
"""KPIs left undefined (NaN) in the usual-services arm: its case workers' workforce, targets and
staff costs are not modelled (their time belongs to well over 100 users each); the
subsidy, mentor and inclusion-grant costs are, and stay."""


def compute_kpis(log: EventLog) -> dict[str, float]:
    """All KPIs of one replication, keyed and ordered as :data:`KPI_NAMES` (floats, NaN if undefined).

    See the module docstring for the definitions.
    """
    start, end = window(log)
    length = end - start
    years = length / YEAR_DAYS
    p = _prepare(log)
    o = _outcomes(p)
    k: dict[str, float] = {}

    # --- cohort: intakes early enough to be followed for 365 days
    ir = p.cand_rows(EventKind.INTAKE)
    it, ic = p.time[ir], p.cid[ir]
    coh = (it >= start) & (it <= end - WORK_FOLLOW_UP_DAYS)
    c, t0 = ic[coh], it[coh]
    k["work_12m"] = _mean(o.first_job[c] - t0 <= WORK_FOLLOW_UP_DAYS)
    k["permanent_12m"] = _mean(o.permanent[c] - t0 <= WORK_FOLLOW_UP_DAYS)

    # --- time to first job: all intakes in the window, censored at exit / window end
    win = _in(it, start, end)
    c, t0 = ic[win], it[win]
    censor = np.minimum(o.exit[c], end)
    observed = o.first_job[c] <= censor
    durations = np.where(observed, o.first_job[c], censor) - t0
    k["days_to_first_job_median"] = kaplan_meier_median(durations, observed)

    # --- retention of first jobs started early enough to be followed for 182 days
    fj = o.first_job
    cohort = np.flatnonzero((fj >= start) & (fj <= end - RETENTION_DAYS))
    k["retention_6m"] = _mean(_in_work_at(p, fj + RETENTION_DAYS, cohort)) if len(cohort) else _NAN

    # --- sustained jobs: first jobs started early enough to be followed for 365 days
    cohort_end = end - SUSTAINED_DAYS
    cohort = np.flatnonzero((fj >= start) & (fj <= cohort_end))
    sustained = float(np.sum(_in_work_at(p, fj + SUSTAINED_DAYS, cohort))) if len(cohort) else 0.0
    k["sustained_jobs_per_year"] = _div(sustained, (cohort_end - start) / YEAR_DAYS)

    # --- trial-style outcomes: employment measured from intake
    k.update(_trial_kpis(p, start, end))

    # --- exits in the window
    xr = p.cand_rows(EventKind.EXIT)
    xr = xr[_in(p.time[xr], start, end)]
    reasons = p.code[xr].astype(np.int64)
    counts = np.bincount(reasons[(reasons >= 0) & (reasons < len(ExitReason))], minlength=len(ExitReason))
    for name, n_reason in zip(EXIT_SHARE_NAMES, counts, strict=True):
        k[name] = float(n_reason / len(xr)) if len(xr) else _NAN
    work_exits = int(counts[list(_WORK_EXITS)].sum())
    staff = _staffing(p, log)
    fte_t, fte_d = _fte_deltas(staff)
    fte_mean = time_average(fte_t, fte_d, start, end)
    if len(fte_d) and fte_mean < _ROUNDING * float(np.abs(fte_d).max()):
        fte_mean = 0.0  # no post held in the window: what is left is the rounding of +x - x
    k["exits_to_work_per_fte_year"] = _div(work_exits, fte_mean * years)

    # --- waiting and load
    queue = _queue_deltas(p)
    k["queue_mean"] = time_average(*queue, start, end)
    k["caseload_mean"] = _div(time_average(*_caseload_deltas(p), start, end), fte_mean)
    k.update(_waiting_kpis(p, o, start, end))
    k["queue_trend_per_year"] = trend(*queue, start, end) * YEAR_DAYS

    # --- flows (Little's law: caseload = intake rate x time on caseload)
    rr = p.cand_rows(EventKind.REFERRAL)
    k["intakes_per_year"] = _div(int(win.sum()), years)
    k["referrals_per_year"] = _div(int(_in(p.time[rr], start, end).sum()), years)
    k["time_on_caseload_mean"] = _mean(p.value[xr])
    nr = p.cand_rows(EventKind.NOT_REFERRED)
    potential = int(_in(p.time[rr], start, end).sum()) + int(_in(p.time[nr], start, end).sum())
    k["potential_referrals_per_year"] = _div(potential, years)
    # what the staffed slots can take in: slots of held posts over the mean stay
    slots_mean = time_average(staff.time, staff.slots, start, end)
    k["intake_capacity_per_year"] = _div(max(slots_mean, 0.0) * YEAR_DAYS, k["time_on_caseload_mean"])
    k["demand_capacity_ratio"] = _div(k["potential_referrals_per_year"], k["intake_capacity_per_year"])

    # --- workforce: turnover and vacancies from the events
    quits = int(_in(staff.quit_time, start, end).sum())
    k["turnover_annual"] = _div(quits, time_average(*_post_deltas(staff), start, end) * years)
    vac_days = np.clip(staff.vac_end, start, end) - np.clip(staff.vac_start, start, end)
    k["vacancy_fte_months"] = _div(float(np.dot(staff.vac_fte, vac_days)) / MONTH_DAYS, years)

    # --- workforce: the weeks as lived (week rows ending in the window)
    k.update(_week_kpis(_weeks(log), start, end))

    # --- teams meeting the work target, year by year
    k["team_target_met_share"] = _team_target_met_share(
        p.team[ir], it, o.first_job[ic], start, end, _work_target(log)
    )

    # --- money: over the window, and per sustained job over the cohort's span
    prices = log.meta.get("costs")
    if prices:
        parts = _cost_parts(p, staff, prices, start, end)
        k.update(parts)
        k["cost_nok"] = sum(parts[name] for name in COST_PART_NAMES)
        cohort_cost = sum(_cost_parts(p, staff, prices, start, cohort_end).values())
        k["cost_per_sustained_job_nok"] = _div(cohort_cost, sustained) if cohort_end > start else _NAN
    else:
        k.update(dict.fromkeys(COST_KPI_NAMES, _NAN))
    if log.meta.get("usual_services"):
        k.update(dict.fromkeys(USUAL_SERVICES_UNDEFINED, _NAN))
    return {name: float(k[name]) for name in KPI_NAMES}


# --------------------------------------------------------------------------- costs
def _level_days(p: _Prepared, setters: dict[EventKind, np.ndarray | None], a: float, b: float) -> float:
    """Sum over candidates of the integral over ``[a, b]`` (days) of a per-candidate level.

    ``setters`` maps an event kind to the level each of its candidate rows sets:
    ``None`` for the row's ``value``, else an array with one level per row (0 resets,
    NaN leaves the level alone). A level holds from its row until the candidate's next
    setting row (equal times in log order), or for ever; it is 0 before the first.
    """
    rows, levels = [], []
    for kind, level in setters.items():
        r = p.cand_rows(kind)
        lv = p.value[r] if level is None else np.asarray(level, dtype=float)
        rows.append(r[~np.isnan(lv)])
        levels.append(lv[~np.isnan(lv)])
    r = np.concatenate(rows)
    if not len(r) or not b > a:
        return 0.0
    lv = np.concatenate(levels)
    order = np.lexsort((r, p.time[r], p.cid[r]))  # by candidate, then time, then log order
    r, lv = r[order], lv[order]
    c, t = p.cid[r], p.time[r]
    nxt = np.where(np.r_[c[1:] == c[:-1], False], np.r_[t[1:], np.inf], np.inf)
    return float(np.dot(lv, np.clip(nxt, a, b) - np.clip(t, a, b)))


def _job_gone(p: _Prepared) -> dict[EventKind, np.ndarray]:
    """Levels that reset at the end of a job: JOB_END, POST_EXIT_JOB_END, and an EXIT not to work."""
    x = p.cand_rows(EventKind.EXIT)
    return {
        EventKind.JOB_END: np.zeros(len(p.cand_rows(EventKind.JOB_END))),
        EventKind.POST_EXIT_JOB_END: np.zeros(len(p.cand_rows(EventKind.POST_EXIT_JOB_END))),
        EventKind.EXIT: np.where(np.isin(p.code[x], _WORK_EXITS), np.nan, 0.0),
    }


def _cost_parts(p: _Prepared, staff: _Staffing, prices: dict, a: float, b: float) -> dict[str, float]:
    """The parts of the cost (NOK) incurred in ``[a, b]``, keyed as :data:`COST_PART_NAMES`."""
    if not b > a:
        return dict.fromkeys(COST_PART_NAMES, 0.0)
    span = b - a
    # held FTE and posts; max(0, .) drops the rounding residue of +x - x when nobody holds a post
    fte_days = max(0.0, time_average(*_fte_deltas(staff), a, b) * span)
    post_days = max(0.0, time_average(*_post_deltas(staff), a, b) * span)
    gone = _job_gone(p)
    # wage subsidy: the rate set at JOB_START and SUBSIDY_CHANGE (also after discharge)
    rate_days = _level_days(p, {EventKind.JOB_START: None, EventKind.SUBSIDY_CHANGE: None, **gone}, a, b)
    # mentor: the paid hours a month set at MENTOR_START, 0 at MENTOR_END (and at a new job)
    js = p.cand_rows(EventKind.JOB_START)
    mentor_hour_days = _level_days(
        p,
        {
            EventKind.JOB_START: np.zeros(len(js)),
            EventKind.MENTOR_START: None,
            EventKind.MENTOR_END: np.zeros(len(p.cand_rows(EventKind.MENTOR_END))),
            **gone,
        },
        a,
        b,
    )
    ms = p.cand_rows(EventKind.MENTOR_START)
    trained = int(np.sum(_in(p.time[ms], a, b) & (p.code[ms] == 1)))
    starts = int(np.sum(_in(p.time[js], a, b)))
    wage_per_day = float(prices["job_wage_per_year"]) * float(prices["job_fte_share"]) / YEAR_DAYS
    return {
        "cost_specialists_nok": fte_days / YEAR_DAYS * float(prices["specialist_cost_per_fte_year"]),
        "cost_supervision_nok": post_days
        / WEEK_DAYS
        * float(prices["supervision_hours_per_week"])
        * float(prices["supervision_cost_per_hour"]),
        "cost_wage_subsidy_nok": rate_days * wage_per_day,
        "cost_mentor_nok": mentor_hour_days / MONTH_DAYS * float(prices["mentor_cost_per_hour"])
        + trained * float(prices["mentor_training_cost"]),
        "cost_inclusion_grant_nok": starts
        * float(prices["inclusion_grant_prob"])
        * float(prices["inclusion_grant_mean"]),
    }


def cost_parts(log: EventLog, start: float | None = None, end: float | None = None) -> dict[str, float]:
    """The parts of the cost (NOK) incurred in ``[start, end]`` (default: the window).

    Keyed as :data:`COST_PART_NAMES`; prices from ``log.meta["costs"]`` (NaN parts if
    the log carries none). See the module docstring for what each part counts.
    """
    w_start, w_end = window(log)
    a = w_start if start is None else start
    b = w_end if end is None else end
    prices = log.meta.get("costs")
    if not prices:
        return dict.fromkeys(COST_PART_NAMES, _NAN)
    p = _prepare(log)
    return _cost_parts(p, _staffing(p, log), prices, a, b)


def _weeks(log: EventLog) -> np.ndarray:
    weeks = getattr(log, "weeks", None)  # logs made before the week table existed
    return weeks if weeks is not None else np.empty(0, WEEK_DTYPE)


def _week_kpis(w: np.ndarray, start: float, end: float) -> dict[str, float]:
    w = w[(w["time"] > start) & (w["time"] <= end)]
    stress = w["stress"].astype(float)
    held = np.isfinite(stress)
    present = w["present"].astype(bool)
    outside = w["outside_share"][present].astype(float)
    fte = w["fte"][present].astype(float)
    visits = w["employer_visits"][present].astype(float)
    return {
        "stress_mean": _mean(stress[held]),
        "stress_p90": float(np.percentile(stress[held], 90)) if held.any() else _NAN,
        "overload_share": _mean(w["demand"][present] > w["capacity"][present]),
        "outside_time_share": _mean(outside[np.isfinite(outside)]),
        "employer_visits_per_week": _mean(visits[fte > 0] / fte[fte > 0]),
    }


def _work_target(log: EventLog) -> float:
    targets = log.meta.get("targets") or {}
    return float(targets.get("work_within_year", DEFAULT_WORK_TARGET))


def _team_target_met_share(
    team: np.ndarray, intake: np.ndarray, first_job: np.ndarray, start: float, end: float, target: float
) -> float:
    """Share of team-years (with at least one intake) whose intakes reached ``target``.

    Year ``y`` covers intakes in ``[start + 365 y, start + 365 (y + 1))`` and is scored
    only if ``start + 365 (y + 2) <= end``. Success: a first job within 365 days.
    """
    if not math.isfinite(end - start):
        return _NAN
    n_years = max(int((end - start) // YEAR_DAYS) - 1, 0)
    while n_years > 0 and start + YEAR_DAYS * (n_years + 1) > end:  # guard against rounding
        n_years -= 1
    while start + YEAR_DAYS * (n_years + 2) <= end:
        n_years += 1
    if n_years == 0:
        return _NAN
    y = np.floor((intake - start) / YEAR_DAYS)
    y -= start + YEAR_DAYS * y > intake  # put boundary intakes in the right year
    y += start + YEAR_DAYS * (y + 1) <= intake
    keep = (y >= 0) & (y < n_years)
    if not keep.any():
        return _NAN
    teams, t_idx = np.unique(team[keep], return_inverse=True)
    group = t_idx * n_years + y[keep].astype(np.int64)
    size = np.bincount(group, minlength=len(teams) * n_years)
    work = first_job[keep] - intake[keep] <= WORK_FOLLOW_UP_DAYS
    hits = np.bincount(group, weights=work.astype(float), minlength=len(teams) * n_years)
    scored = size > 0
    return float(np.mean(hits[scored] / size[scored] >= target - _TARGET_TOL))


def sustained_work_share(
    log: EventLog, reduced_capacity: bool | None = None, within_days: float = 2 * YEAR_DAYS
) -> float:
    """Share of intakes who start a first job within ``within_days`` and are in work a year after it.

    The cohort is the intakes in the window early enough to be seen for ``within_days``
    plus the year after (``reduced_capacity``: only candidates with, or without, reduced
    work capacity; ``None``: everyone). It is what a time limit takes from the people it
    discharges: fewer of them reach a job that lasts. NaN without such intakes.
    """
    start, end = window(log)
    p = _prepare(log)
    o = _outcomes(p)
    cohort = (o.intake >= start) & (o.intake <= end - within_days - SUSTAINED_DAYS)
    if reduced_capacity is not None:
        rwc = np.zeros(p.n_cand, bool)
        cands = log.candidates
        index = np.searchsorted(p.cand_ids, cands["candidate"])
        seen = (index < p.n_cand) & (p.cand_ids[np.minimum(index, p.n_cand - 1)] == cands["candidate"])
        rwc[index[seen]] = cands["reduced_capacity"][seen].astype(bool)
        cohort &= rwc == reduced_capacity
    c = np.flatnonzero(cohort)
    if not len(c):
        return _NAN
    found = o.first_job[c] - o.intake[c] <= within_days
    held = _in_work_at(p, o.first_job + SUSTAINED_DAYS, c) > 0.0
    return float(np.mean(found & held))
