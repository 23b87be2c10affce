"""Specialists as people: the week as lived, stress, absence, quits, recruitment, handover.

Every post runs one SimPy process that wakes at the end of each week and settles the
week the way a team leader would look back on it:

- **The week as lived.** The caseload asked for ``demand`` hours; the post had
  ``capacity`` candidate hours (a settled holder's hours, times the learning curve of
  a new hire, minus the hours unplanned crises took, or only the cover colleagues give
  while the post is vacant or its holder absent). When demand exceeds capacity the
  specialist cuts employer visits and time outside the office in proportion.
- **Stress**, a number in [0, 1], moves each week by
  ``stress += (1 - stress) * P / (1 + P) - stress * R / (1 + R)`` where the
  pressures ``P`` are overload, being counted, target shortfall (stronger when targets
  are measured per person), failures after long effort, crisis hours and isolation in
  a small team, and the reliefs ``R`` are recovery, supervision and case meetings, and
  successes. Both terms are below 1, so stress stays in [0, 1] by construction.
- **Absence and quits.** A holder falls sick with a weekly chance that grows with
  stress, and quits with a hazard ``quit_per_year * exp(quit_stress_effect * stress)``,
  higher in the first months (misfits leave early). A scenario can also script a
  resignation (``teams[].quits``, for teaching): that post's holder quits at the end
  of the given day's week, its draws made as without the script.
- **Vacancy and handover.** When a holder leaves, the post's candidates go to
  colleagues with free slots (``handover: redistribute``) or all wait for the
  replacement (``wait``); a change of specialist costs the candidate extra step work
  (a relationship restart). The vacancy lasts a recruitment delay; the new holder
  starts at ``initial_effectiveness`` and learns. A post that a staffing cut closes is
  not refilled: it winds its caseload down and then closes.

Everything here happens at week ends, so a quit, an absence or a hire lands on the
weekly grid. Candidates whose specialist changes (a handover, a vacancy, a new
holder) are woken to re-plan at once; a week's crises and a short absence reach them
at their next event, like every other change of capacity.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from caseload_sim.events import EventKind, LeaveReason
from caseload_sim.model.rules import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR, NETWORK_CAP
from caseload_sim.scenario import HandoverPolicy, TargetMeasure
from caseload_sim.streams import Purpose

if TYPE_CHECKING:
    import simpy

    from caseload_sim.model.world import Candidate, Specialist, Team, World

__all__ = ["post_weeks", "staffing_change", "start_network"]

_exp = math.exp
_log = math.log
_NAN = math.nan
K_START = int(EventKind.SPECIALIST_START)
K_LEAVE = int(EventKind.SPECIALIST_LEAVE)
K_HANDOVER = int(EventKind.HANDOVER)
K_ABSENCE_START = int(EventKind.ABSENCE_START)
K_ABSENCE_END = int(EventKind.ABSENCE_END)
K_POST_CLOSED = int(EventKind.POST_CLOSED)
QUIT = int(LeaveReason.QUIT)
WEEKS_PER_YEAR = DAYS_PER_YEAR / DAYS_PER_WEEK
SMALL_TEAM = 3  # present holders at or below this: isolation
MIN_CAPACITY = 1e-6  # hours; keeps speeds finite when nobody covers a post
LEARNED = 12.0  # after 12 learning time constants the curve is flat (within 1e-5)
INTAKES_PER_FTE_YEAR = 10.0  # the starting point of the running intake rate (its ratio is what counts)


def post_weeks(w: World, team: Team, sp: Specialist) -> Generator[simpy.Event, Any, None]:  # noqa: C901
    """The weekly process of one post, from its creation until it closes."""
    if w.usual:
        yield from _case_worker_weeks(w, team, sp)
        return
    env = w.env
    timeout = env.timeout
    rec = w.weeks_append
    s = w.scenario
    wf = s.workforce
    tg = s.targets
    gen = w.streams.generator(Purpose.POSTS, team.index, sp.number)
    expo: list[float] = []  # unit exponentials: "u < 1 - exp(-h)" is "E < h"
    crises: list[int] = []
    hours_per_visit = s.week.hours_per_employer_visit
    visits_quota = s.week.employer_visits_per_week * sp.fte
    visits_floor = visits_quota * s.week.min_visit_share
    outside_required = s.week.outside_time_share
    relief_base = wf.stress_recovery + wf.stress_support * (wf.supervision_hours + wf.case_meeting_hours)
    s_measure, s_over, s_target = wf.stress_measurement, wf.stress_overload, wf.stress_target
    s_fail, s_crisis, s_iso, s_success = (
        wf.stress_failure,
        wf.stress_crisis,
        wf.stress_isolation,
        wf.stress_success,
    )
    hours_per_crisis = wf.hours_per_crisis
    target = tg.exits_to_work_per_fte_year
    share_target = tg.work_within_year
    individual = tg.measure is TargetMeasure.individual
    target_mult = wf.individual_target_multiplier if individual else 1.0
    quit_rate = wf.quit_per_year / WEEKS_PER_YEAR  # per week
    quit_effect, quit_early_mult = wf.quit_stress_effect, wf.quit_early_multiplier
    early_days = wf.quit_early_months * DAYS_PER_MONTH
    absence_rate = wf.absence_per_year / WEEKS_PER_YEAR
    absence_effect = wf.absence_stress_effect
    learn_days = wf.learning_months * DAYS_PER_MONTH
    settled_days = LEARNED * learn_days
    alpha = 1.0 - _exp(-DAYS_PER_WEEK / DAYS_PER_YEAR)  # weekly weight of a one-year memory
    network_week = _Network(w, sp).week
    _start_on_target(w, sp)
    now = env.now
    sp.capacity = _capacity(sp, now, wf, learn_days, 0.0)
    sp.visits = visits_quota if sp.held else 0.0

    tid, sid, fte, base = team.index, sp.id, sp.fte, sp.base_capacity  # fixed for the post's life
    unlearned = 1.0 - wf.initial_effectiveness
    cover = base * wf.vacancy_cover
    quit_days = sp.quit_days
    while True:
        yield timeout(DAYS_PER_WEEK)
        now += DAYS_PER_WEEK  # the very sum SimPy makes: equals env.now
        if len(expo) < 4:
            expo = gen.standard_exponential(256).tolist()
            crises = gen.poisson(wf.crises_per_week, 256).tolist()
        # --- the week that ended
        held = sp.held
        present = held and sp.absent_weeks == 0
        demand = sp.demand
        capacity = sp.capacity
        load = demand / capacity
        sp.work_rate += alpha * (sp.work_exits * WEEKS_PER_YEAR - sp.work_rate)
        sp.intake_rate += alpha * (sp.intakes * WEEKS_PER_YEAR - sp.intake_rate)
        sp.job_rate += alpha * (sp.first_jobs * WEEKS_PER_YEAR - sp.job_rate)
        network_week(sp.visits)
        crisis_hours = crises.pop() * hours_per_crisis if present else 0.0
        if held:
            if team.week_of_tally != now:
                _tally(team, now)
            # target pressure: the shortfalls against both targets (exits to work per FTE-year,
            # and the share of intakes into work), the team's or the post's own
            if target > 0.0 or share_target > 0.0:
                rate = sp.work_rate / fte if individual else team.work_rate_per_fte
                short = 1.0 - rate / target if target > 0.0 else 0.0
                if share_target > 0.0:
                    share = (
                        (sp.job_rate / sp.intake_rate if sp.intake_rate > 0.0 else 1.0)
                        if individual
                        else (team.work_share)
                    )
                    short2 = 1.0 - share / share_target
                    short = ((short if short > 0.0 else 0.0) + (short2 if short2 > 0.0 else 0.0)) * (
                        0.5 if target > 0.0 else 1.0
                    )
                felt = short * target_mult
                sp.pressure = 0.0 if short <= 0.0 else felt if felt < 1.0 else 1.0
            if present:
                pressure = (
                    s_measure
                    + s_target * sp.pressure
                    + s_fail * sp.failures
                    + s_crisis * crisis_hours
                    + (s_over * (load - 1.0) if load > 1.0 else 0.0)
                    + (s_iso if team.present <= SMALL_TEAM else 0.0)
                )
                relief = relief_base + s_success * sp.successes
            else:  # off sick: the caseload's demands do not reach the absent holder; they recover
                pressure = 0.0
                relief = wf.stress_recovery
            stress = sp.stress
            stress += (1.0 - stress) * pressure / (1.0 + pressure) - stress * relief / (1.0 + relief)
            sp.stress = stress
        else:
            stress = _NAN  # nobody holds the post
        # the week table's row: the week that ended, with the holder's stress after it; under
        # overload, outside time shrinks in proportion, and visits were cut to give hours to the caseload
        share = 1.0 if load <= 1.0 else 1.0 / load
        rec(
            (
                now,
                tid,
                sid,
                present,
                fte,
                sp.active,
                demand,
                capacity,
                stress,
                sp.visits,
                outside_required * share if present else 0.0,
                sp.network,
                sp.hours_from_visits,
            )
        )
        scripted = False
        if quit_days and now >= quit_days[0]:  # a resignation in the scenario's script (if held)
            while quit_days and now >= quit_days[0]:
                quit_days.pop(0)
            scripted = held
        if held:
            # quit? (a hazard that grows with stress; misfits leave in the first months). The
            # draw is made even for a scripted quit, so the post's stream keeps its luck.
            tenure = now - sp.tenure_start
            hazard = quit_rate * _exp(quit_effect * stress)
            if tenure < early_days:
                hazard *= quit_early_mult
            if expo.pop() < hazard or scripted:
                _leave(w, team, sp, now, tenure, gen)
            elif sp.absent_weeks > 0:
                sp.absent_weeks -= 1
                if sp.absent_weeks == 0:
                    w.append((now, K_ABSENCE_END, tid, sid, -1, -1, 0, 0.0))
            elif absence_rate > 0.0 and expo.pop() < absence_rate * _exp(absence_effect * stress):
                # a geometric number of whole weeks with the given mean
                mean = wf.absence_mean_weeks
                extra = int(expo.pop() / -_log(1.0 - 1.0 / mean)) if mean > 1.0 else 0
                sp.absent_weeks = 1 + extra
                w.append((now, K_ABSENCE_START, tid, sid, -1, -1, sp.absent_weeks, 0.0))
        else:
            if sp.closing and sp.active == 0:
                return  # wound down: the post is gone
            if not sp.closing and now >= sp.refill_at:
                _hire(w, team, sp, now)
        sp.failures = sp.successes = sp.work_exits = sp.intakes = sp.first_jobs = 0
        # the coming week's candidate hours (as _capacity, inlined: this runs every post-week)
        if sp.held and sp.absent_weeks == 0:
            tenure = now - sp.tenure_start
            # a new holder is still learning; a settled one has the full hours
            hours = base * (1.0 - unlearned * _exp(-tenure / learn_days)) if tenure < settled_days else base
            hours -= crisis_hours
            # overloaded: postpone employer visits (down to the floor) and give their hours to the caseload
            visits = visits_quota
            moved = 0.0
            if sp.demand > hours and visits > visits_floor and hours_per_visit > 0.0:
                moved = (visits - visits_floor) * hours_per_visit
                if moved > sp.demand - hours:
                    moved = sp.demand - hours
                visits -= moved / hours_per_visit
                hours += moved
            sp.visits, sp.hours_from_visits = visits, moved
        else:
            hours = cover  # colleagues cover a vacant post or an absent holder
            sp.visits = sp.hours_from_visits = 0.0
        sp.capacity = hours if hours > MIN_CAPACITY else MIN_CAPACITY


def _case_worker_weeks(w: World, team: Team, sp: Specialist) -> Generator[simpy.Event, Any, None]:
    """The usual-services arm: an ordinary case worker's week, without the specialists' workforce.

    Each user asking for time (not in a job) gets ``usual_services.hours_per_user`` a
    week, whatever they would need; the case worker's few employer visits build a small
    network. Stress, absence and quits of case workers are not modelled (stress NaN).
    """
    env = w.env
    us = w.scenario.usual_services
    rec = w.weeks_append
    network_week = _Network(w, sp).week
    tid, sid, fte = team.index, sp.id, sp.fte
    sp.visits = us.employer_visits_per_week * fte
    sp.capacity = MIN_CAPACITY
    while True:
        yield env.timeout(DAYS_PER_WEEK)
        network_week(sp.visits)
        rec(
            (
                env.now,
                tid,
                sid,
                True,
                fte,
                sp.active,
                sp.demand,
                sp.capacity,
                _NAN,
                sp.visits,
                0.0,
                sp.network,
                0.0,
            )
        )
        asking = sum(1 for c in sp.caseload if c.load > 0.0)
        hours = us.hours_per_user * asking
        sp.capacity = hours if hours > MIN_CAPACITY else MIN_CAPACITY


class _Network:
    """Weekly bookkeeping of a post's employer network (see :func:`start_network`)."""

    __slots__ = ("decay", "find", "perm", "reference", "sp")

    def __init__(self, w: World, sp: Specialist) -> None:
        en = w.scenario.employer_network
        self.sp = sp
        self.decay = _exp(-DAYS_PER_WEEK / (en.memory_months * DAYS_PER_MONTH))
        self.reference = en.reference_visits_per_week * sp.fte
        self.find = en.job_finding_effect
        self.perm = en.permanent_effect

    def week(self, visits: float) -> None:
        """The week's visits added to the network, the older contacts faded."""
        sp = self.sp
        n = sp.network * self.decay + (1.0 - self.decay) * visits / self.reference
        sp.network = n
        _network_effects(sp, n, self.find, self.perm)


def _network_effects(sp: Specialist, n: float, find: float, perm: float) -> None:
    capped = n if n < NETWORK_CAP else NETWORK_CAP
    sp.find_mult = 1.0 - find + find * capped
    sp.perm_shift = perm * (capped - 1.0)


def start_network(w: World, sp: Specialist, tenure: float) -> None:
    """A post's employer network when it is created.

    The network is a stock of contacts in units of the reference (the contacts that
    ``employer_network.reference_visits_per_week`` visits a week keep up: 1.0). Every week
    it fades with the time constant ``memory_months`` and gains the week's visits; a
    holder who has been in post for ``tenure`` days at the usual quota starts where
    that history would have brought them, a new hire of a new post at 0.
    """
    en = w.scenario.employer_network
    quota = (
        w.scenario.usual_services.employer_visits_per_week
        if w.usual
        else w.scenario.week.employer_visits_per_week
    )
    level = quota / en.reference_visits_per_week
    n = level * (1.0 - _exp(-tenure / (en.memory_months * DAYS_PER_MONTH))) if tenure > 0.0 else 0.0
    sp.network = n
    _network_effects(sp, n, en.job_finding_effect, en.permanent_effect)


def _start_on_target(w: World, sp: Specialist) -> None:
    """A holder starts on target: no target pressure before any history."""
    tg = w.scenario.targets
    sp.work_rate = tg.exits_to_work_per_fte_year * sp.fte
    sp.intake_rate = INTAKES_PER_FTE_YEAR * sp.fte
    sp.job_rate = tg.work_within_year * sp.intake_rate


def _tally(team: Team, now: float) -> None:
    """Once a week per team: how many are at work, and the team's exits to work per FTE-year."""
    fte = rate = intakes = jobs = 0.0
    present = 0
    for p in team.specialists:
        if p.held:
            fte += p.fte
            rate += p.work_rate
            intakes += p.intake_rate
            jobs += p.job_rate
            if p.absent_weeks == 0:
                present += 1
    team.present = present
    team.work_rate_per_fte = rate / fte if fte > 0.0 else 0.0
    team.work_share = jobs / intakes if intakes > 0.0 else 1.0
    team.week_of_tally = now


def _capacity(sp: Specialist, now: float, wf: Any, learn_days: float, crisis_hours: float) -> float:
    """Candidate hours the post has this coming week."""
    if sp.held and sp.absent_weeks == 0:
        tenure = now - sp.tenure_start
        if tenure < LEARNED * learn_days:
            hours = sp.base_capacity * (1.0 - (1.0 - wf.initial_effectiveness) * _exp(-tenure / learn_days))
        else:
            hours = sp.base_capacity
        hours -= crisis_hours
    else:
        hours = sp.base_capacity * wf.vacancy_cover
    return hours if hours > MIN_CAPACITY else MIN_CAPACITY


def _wake_all(sp: Specialist) -> None:
    # in candidate order: a set's order follows memory addresses, and the order of
    # same-instant wake-ups decides the order of what follows
    for c in sorted(sp.caseload, key=_by_id):
        c.wake()


def _by_id(c: Candidate) -> int:
    return c.id


def _leave(w: World, team: Team, sp: Specialist, now: float, tenure: float, gen: Any) -> None:
    """The holder quits: the post falls vacant (or closes, under a cut); the caseload is handed over."""
    wf = w.scenario.workforce
    w.append((now, K_LEAVE, team.index, sp.id, -1, -1, QUIT, tenure))
    sp.held = False
    sp.absent_weeks = 0
    sp.stress = 0.0
    sp.pressure = 0.0
    # most employer contacts leave with the person; the team's stay with the post
    en = w.scenario.employer_network
    sp.network *= en.kept_share
    _network_effects(sp, sp.network, en.job_finding_effect, en.permanent_effect)
    if team.cuts_pending > 0:
        team.cuts_pending -= 1
        sp.closing = True
        w.append((now, K_POST_CLOSED, team.index, sp.id, -1, -1, 0, 0.0))
    else:
        weeks = math.ceil(
            -wf.recruitment_mean_months * DAYS_PER_MONTH * _log(1.0 - gen.random()) / DAYS_PER_WEEK
        )
        sp.refill_at = now + weeks * DAYS_PER_WEEK
    if wf.handover is HandoverPolicy.redistribute or sp.closing:
        # longest on the caseload first: candidate numbers follow referral order
        for c in sorted(sp.caseload, key=_by_id):
            other = team.most_room(exclude=sp)
            if other is None:
                break
            _move(w, c, sp, other, now, wf.handover_setback_days)
    _wake_all(sp)  # those left behind now have only the cover


def _move(w: World, c: Candidate, old: Specialist, new: Specialist, now: float, setback: float) -> None:
    """Hand candidate ``c`` from post ``old`` to post ``new`` (a relationship restart)."""
    old.caseload.discard(c)
    old.active -= 1
    old.demand -= c.load
    new.caseload.add(c)
    new.active += 1
    new.demand += c.load
    c.specialist = new
    c.setback += setback
    w.append((now, K_HANDOVER, new.team, new.id, c.id, -1, 1, float(old.id)))
    c.wake()


def _hire(w: World, team: Team, sp: Specialist, now: float) -> None:
    """A new holder takes the post: a restart for every candidate on it; free slots are filled."""
    sp.held = True
    sp.refill_at = math.inf
    sp.tenure_start = now
    sp.stress = 0.0
    _start_on_target(w, sp)
    w.append((now, K_START, team.index, sp.id, -1, -1, sp.slots, sp.fte))
    setback = w.scenario.workforce.handover_setback_days
    for c in sorted(sp.caseload, key=_by_id):
        c.setback += setback
        w.append((now, K_HANDOVER, team.index, sp.id, c.id, -1, 0, float(sp.id)))
    sp.capacity = _capacity(
        sp, now, w.scenario.workforce, w.scenario.workforce.learning_months * DAYS_PER_MONTH, 0.0
    )
    _wake_all(sp)
    team.fill(sp)


def staffing_change(
    w: World, team: Team, at_days: float, posts: int, fte: float
) -> Generator[simpy.Event, Any, None]:
    """A scheduled change: new posts with new hires, or cuts taken at the next vacancies."""
    if at_days > 0.0:
        yield w.env.timeout(at_days)
    if posts > 0:
        for _ in range(posts):
            sp = w.add_post(team, fte, 0.0)
            team.fill(sp)
    elif posts < 0:
        team.cuts_pending += -posts
