"""The simulated world: teams of job specialists, their waiting lists and caseloads.

A **team** receives *potential* referrals from first-line NAV case workers as a
Poisson stream. A referral goes straight to the specialist with the most room (the
lowest share of slots filled; ties go to the lowest number) — or, when every
specialist is at the caseload cap, to the back of the team's first-come-first-served
**waiting list**. When a candidate leaves a caseload, the freed slot goes to the head
of the list. The list responds to its length (``scenario.waiting_list``): while people
wait, a case worker may withhold a potential referral (thinning, more the longer the
list), a list closed at its length turns the referral away, and people on the list
leave it when their patience runs out (a timer callback per person waiting, not a
process). Whoever is not referred, or leaves the list, goes to other measures.
The referral rate may change on given days (a region's referrals shared with new
teams, say), and a team may open later than the start of the run: until then it has
no posts, no referrals and no waiting list; it opens with new hires and empty
caseloads.

A **specialist** has a week of hours. Fixed overhead (reporting, meetings, employer
visits) comes off the top; what is left is *candidate time*. Each candidate on the
caseload asks for some hours a week, depending on the step they are in and on how
severe their needs are. While the asks fit in the candidate time, the specialist
works at full *efficiency* (1.0); when they do not, everyone's progress slows in
proportion, and step-5 workplace follow-up thins first (efficiency raised to the
``step5_priority`` power). That is how caseload size reaches the outcomes.

The specialist's demand is kept up to date incrementally at every step change, so
reading a specialist's efficiency costs O(1) in the event loop; a candidate's
progress rate is re-read at each of its own events (piecewise constant between them).

A :class:`Specialist` object is a **post**: it keeps its slots and caseload while the
people holding it come and go (``model/workforce.py``: the week, stress, absence,
quits, recruitment, handover). Referrals and freed slots only go to posts that have
a holder and are not being cut.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Callable, Generator, Sequence
from typing import Any

import simpy

from caseload_sim.events import (
    EventKind,
    EventLog,
    EventRecorder,
    LeftWaitingReason,
    NotReferredReason,
)
from caseload_sim.model import workforce
from caseload_sim.model.clock import Clock
from caseload_sim.model.job import unfollowed_hazard
from caseload_sim.model.rules import (
    DAYS_PER_MONTH,
    DAYS_PER_WEEK,
    READINESS_BOUND,
    Rules,
    limit_days,
    slots_for,
)
from caseload_sim.scenario import ReferralChange, Scenario
from caseload_sim.streams import CandidateDraws, CandidateSource, Purpose, Streams

__all__ = ["Candidate", "Specialist", "Team", "World"]

_REFERRAL = int(EventKind.REFERRAL)
_QUEUED = int(EventKind.QUEUED)
_INTAKE = int(EventKind.INTAKE)
_PRIOR_WORK = int(EventKind.PRIOR_WORK)
_PRIOR_WORK_END = int(EventKind.PRIOR_WORK_END)
_NOT_REFERRED = int(EventKind.NOT_REFERRED)
_LEFT_WAITING = int(EventKind.LEFT_WAITING)
_WITHHELD = int(NotReferredReason.WITHHELD)
_LIST_CLOSED = int(NotReferredReason.LIST_CLOSED)
_PATIENCE = int(LeftWaitingReason.PATIENCE)
CREAMING_WINDOW = 5  # a creaming specialist chooses among the first five waiting
USUAL_SLOTS = 30_000  # an ordinary case worker takes everyone referred: no cap, no waiting list (fits the log's int16 code)
COMPACT_ROWS = 1 << 15  # event rows held as tuples before the recorder compacts them (~4 MB)


class Specialist:
    """A specialist's post: slots, the caseload on it, the hours it asks for and has.

    The holder's state (stress, tenure, absence) lives here too; ``held`` is false
    while the post is vacant. ``capacity`` (candidate hours this week) is set weekly by
    the workforce process from the learning curve, crises, absence and vacancy cover.
    """

    __slots__ = (
        "absent_weeks",
        "active",
        "base_capacity",
        "capacity",
        "caseload",
        "closing",
        "demand",
        "failures",
        "find_mult",
        "first_jobs",
        "fte",
        "held",
        "id",
        "intakes",
        "network",
        "number",
        "perm_shift",
        "pressure",
        "quit_days",
        "refill_at",
        "slots",
        "stress",
        "successes",
        "team",
        "tenure_start",
        "work_exits",
        "work_rate",
        "intake_rate",
        "job_rate",
        "visits",
        "hours_from_visits",
    )

    def __init__(self, sid: int, team: int, number: int, fte: float, slots: int, capacity: float) -> None:
        self.id = sid
        self.team = team
        self.number = number  # the post's number within its team (its stream's key)
        self.fte = fte
        self.slots = slots
        self.base_capacity = capacity  # candidate hours per week of a settled holder
        self.capacity = capacity  # candidate hours this week
        self.active = 0
        self.caseload: set[Candidate] = set()
        self.demand = 0.0  # hours per week asked by the caseload (plus short-lived admin work)
        self.held = True
        self.closing = False
        self.absent_weeks = 0
        self.refill_at = math.inf
        self.tenure_start = 0.0
        self.stress = 0.0
        self.quit_days: list[float] = []  # scripted resignations still to come, in time order
        self.pressure = 0.0  # target pressure felt, 0..1
        self.work_rate = 0.0  # exits to work per year (exponentially weighted, one-year memory)
        self.failures = 0  # this week: jobs lost, dropouts
        self.successes = 0  # this week: job starts, exits to work
        self.work_exits = 0  # this week: exits that count for the target
        self.intakes = 0  # this week: candidates taken in
        self.first_jobs = 0  # this week: candidates' first jobs started
        # intakes and first jobs per year (exponentially weighted, one-year memory): their ratio is
        # the post's running share into work, held against the 65 % target
        self.intake_rate = 0.0
        self.job_rate = 0.0
        self.visits = 0.0  # employer visits planned for this week
        self.hours_from_visits = 0.0  # visit hours given to the caseload this week (overload)
        # the holder's employer network (model/workforce.py): visits kept up, in units of the
        # reference; it speeds job finding and makes permanent jobs more likely
        self.network = 0.0
        self.find_mult = 1.0  # step-3 speed multiplier from the network
        self.perm_shift = 0.0  # log-odds shift of a permanent job from the network


class Candidate:
    """A job seeker referred to the team; traits drawn at referral from their own stream."""

    __slots__ = (
        "g_blocks",
        "gammas",
        "hours_mult",
        "id",
        "index",
        "limit",
        "load",
        "process",
        "readiness",
        "reduced_capacity",
        "referral_time",
        "running",
        "setback",
        "specialist",
        "team",
        "u_blocks",
        "uniforms",
    )

    def __init__(
        self,
        cid: int,
        team: Team,
        t: float,
        draws: CandidateDraws,
        readiness: float,
        hours_mult: float,
        limit: float,
    ) -> None:
        self.id = cid
        self.team = team
        self.index = draws.number
        self.referral_time = t
        self.reduced_capacity = draws.reduced_capacity
        self.readiness = readiness
        self.hours_mult = hours_mult
        self.limit = limit
        self.uniforms = draws.uniforms  # pop() gives the next draw
        self.gammas = draws.gammas
        self.u_blocks = 0  # overflow blocks taken
        self.g_blocks = 0
        self.specialist: Specialist | None = None
        self.load = 0.0  # hours a week this candidate asks of its specialist
        self.setback = 0.0  # step work added by a change of specialist, applied at the next event
        self.process: simpy.Process | None = None
        self.running = False  # the pathway process has started (it can be interrupted)

    def wake(self) -> None:
        """The candidate's specialist or their capacity changed: re-plan now."""
        if self.running and self.process is not None:
            self.process.interrupt()

    def top_up(self) -> None:
        """Make sure at least one event's worth of draws is left (the loop checks first)."""
        if len(self.uniforms) < 16:
            self.u_blocks += 1
            self.team.source.top_up(self.uniforms, self.index, 0, self.u_blocks)
        if not self.gammas:
            self.g_blocks += 1
            self.team.source.top_up(self.gammas, self.index, 1, self.g_blocks)


class Team:
    """A team: its specialists, its referral stream and its waiting list.

    A team may open later than the start of the run (``opens_at``): until then it has
    no posts, no referrals and no waiting list (:meth:`World._open`). Its referral rate
    is piecewise constant: ``referral_rates`` lists ``(from day, referrals per day)``,
    the first from the opening on, then one per scheduled referral change. These are
    *potential* referrals: how the waiting list thins them is :meth:`refer`'s.
    """

    def __init__(
        self,
        world: World,
        index: int,
        name: str,
        referrals_per_week: float,
        specialists: list[Specialist],
        opens_at: float = 0.0,
        referral_changes: Sequence[ReferralChange] = (),
    ) -> None:
        self.world = world
        self.index = index
        self.name = name
        self.opens_at = opens_at
        self.referral_rates = [(opens_at, referrals_per_week / DAYS_PER_WEEK)] + [
            (ch.at_days, ch.referrals_per_week / DAYS_PER_WEEK) for ch in referral_changes
        ]
        self.specialists = specialists
        self.waiting: deque[Candidate] = deque()
        self.cuts_pending = 0  # posts to close at the next vacancies
        # the week's tally, made by the first post to settle its week (workforce._tally)
        self.week_of_tally = -1.0
        self.present = len(specialists)
        self.work_rate_per_fte = 0.0
        self.work_share = 0.0  # the team's running share of intakes into work (first jobs per intake)
        self._referral_gen = world.streams.generator(Purpose.REFERRALS, index)
        self._choice_gen = world.streams.generator(Purpose.TEAM_CHOICES, index)
        self._choices: list[float] = []
        self._decision_gen = world.streams.generator(Purpose.REFERRAL_DECISIONS, index)
        self._decisions: list[float] = []
        wl = world.scenario.waiting_list
        # None: that response is switched off
        self.half_list_per_fte = wl.half_referrals_at_list_per_fte if wl.referral_feedback else None
        self.feedback_shape = wl.feedback_shape
        self.selectivity = wl.referral_selectivity
        self.close_at_per_fte = wl.close_at_list_per_fte if wl.closes else None
        self.patience_mean = wl.patience_mean_days if wl.reneging else None
        s = world.scenario.candidates
        self.source = CandidateSource(
            world.streams,
            index,
            severity_ab=(s.severity_alpha, s.severity_beta),
            rwc_share=s.reduced_work_capacity_share,
            in_work_share=s.in_work_at_intake_share,
            gamma_shape=1.0 / (world.scenario.pathway.step_duration_cv**2),
        )

    def referrals(self) -> Generator[simpy.Event, Any, None]:
        """Poisson referrals at the team's piecewise-constant rate, from now on, by time rescaling.

        Each referral spends one unit exponential ``e`` from the team's own stream as
        cumulative rate: at rate ``r`` per day it comes ``e / r`` days later, unless a
        rate change comes first; then the rate used up until the change is taken off
        ``e`` and the rest is spent at the new rate (a rate of 0 spends nothing). So the
        referral times depend only on the team's stream and its own rates (common random
        numbers), and while the rate does not change the gap is ``e × (1 / r)`` — the
        very numbers ``exponential(1 / r)`` gives — added to the clock by SimPy.
        """
        env = self.world.env
        timeout = env.timeout
        gen = self._referral_gen
        now = env.now
        rates = self.referral_rates
        k = 0  # the rate in force: the last one starting at or before now
        while k + 1 < len(rates) and rates[k + 1][0] <= now:
            k += 1
        if all(rate <= 0.0 for _, rate in rates[k:]):
            return  # nobody is ever referred
        scales = [1.0 / rate if rate > 0.0 else math.inf for _, rate in rates]
        starts = [at for at, _ in rates[1:]] + [math.inf]  # when each rate ends
        while True:
            for e in gen.standard_exponential(256).tolist():
                t = now  # where the spending has got to
                while True:
                    scale, end = scales[k], starts[k]
                    if scale < math.inf:
                        gap = e * scale
                        if t + gap < end:
                            break
                        e = max(0.0, e - (end - t) / scale)  # the rest of e is spent after the change
                    t = end
                    k += 1
                    if t == math.inf:
                        return  # the rate has dropped to 0 for good
                yield timeout(gap if t == now else t + gap - now)
                now = env.now
                self.refer()

    def refer(self) -> None:
        """A potential referral: the case worker refers the person, or sends them elsewhere.

        Every potential referral takes its candidate row (traits, own stream) and two
        uniforms from the team's decision stream — whether it is made, and the person's
        patience on the list — whatever happens to it, so the *i*-th potential referral
        is the same person in every scenario (common random numbers). With a free slot
        (then nobody waits) it is made and taken in at once. Otherwise a closed list
        turns it away (NOT_REFERRED, code 1); else, while people wait, referral feedback
        makes it with probability ``1 / (1 + (L / h)^n)`` and withholds it otherwise
        (code 0; ``L`` people waiting, ``h`` = ``half_referrals_at_list_per_fte`` × the
        FTE of the open posts, ``n`` = ``feedback_shape``; with ``referral_selectivity`` ``s`` the
        odds ``(L / h)^n`` are multiplied by ``exp(-s × readiness)``); else it joins the list, and
        with reneging leaves it when its patience runs out.
        """
        w = self.world
        r = w.rules
        d = self.source.next()
        u_refer, u_patience = self.decisions()
        readiness = (
            r.readiness_mean
            + r.readiness_sd * d.readiness_z
            + r.severity_readiness * (d.severity - 0.5)
            + (r.in_work_readiness if d.in_work else 0.0)
        )
        readiness = min(max(readiness, -READINESS_BOUND), READINESS_BOUND)
        cid = w.next_candidate_id
        w.next_candidate_id = cid + 1
        now = w.env.now
        w.rec.candidates.append((cid, self.index, now, d.severity, d.reduced_capacity, d.in_work, readiness))
        waiting = self.waiting
        queued = len(waiting)
        # while anyone waits every open post is full (a freed slot goes to the list first)
        best = None if queued else self.most_room()
        close, half = self.close_at_per_fte, self.half_list_per_fte
        if best is None and (close is not None or (half is not None and queued)):
            fte = self.open_fte()
            if close is not None and queued >= close * fte:
                w.append((now, _NOT_REFERRED, self.index, -1, cid, -1, _LIST_CLOSED, float(queued)))
                return
            # made with probability 1 / (1 + (L / h)^n); with no open post (h = 0) only to an empty list
            if half is not None and queued:
                h = half * fte
                odds = (queued / h) ** self.feedback_shape if h > 0.0 else math.inf  # of withholding
                if self.selectivity:  # creaming at referral: the less ready are withheld first
                    odds *= math.exp(-self.selectivity * readiness)
                if h <= 0.0 or u_refer * (1.0 + odds) >= 1.0:
                    w.append((now, _NOT_REFERRED, self.index, -1, cid, -1, _WITHHELD, float(queued)))
                    return
        hours_mult = max(0.1, 1.0 + r.severity_time * (d.severity - 0.5))
        c = Candidate(cid, self, now, d, readiness, hours_mult, w.limit_days[d.reduced_capacity])
        w.append((now, _REFERRAL, self.index, -1, cid, 0, 0, 0.0))
        u_prior = d.uniforms.pop()  # taken for every referral: later draws stay aligned across scenarios
        if d.in_work:  # some (part-time, unstable) work: it goes on beside the service, unfollowed
            w.append((now, _PRIOR_WORK, self.index, -1, cid, 0, 0, 0.0))
            h = unfollowed_hazard(r, readiness)
            if h > 0.0:
                lasts = -math.log(1.0 - u_prior) / h
                w.rec.deferred.append((now + lasts, _PRIOR_WORK_END, self.index, -1, cid, -1, 0, lasts))
        if best is None:
            waiting.append(c)
            w.append((now, _QUEUED, self.index, -1, cid, 0, 0, float(queued + 1)))
            if self.patience_mean is not None:
                patience = -self.patience_mean * math.log(1.0 - u_patience)
                w.env.timeout(patience).callbacks.append(self._leaves_if_waiting(c))
        else:
            self.assign(c, best)

    def _leaves_if_waiting(self, c: Candidate) -> Callable[[Any], None]:
        """The callback at the end of ``c``'s patience: leave the list, unless taken in by then."""

        def leave(_: Any) -> None:
            if c.specialist is None:  # still on the list (an intake sets the specialist for good)
                self.waiting.remove(c)
                w = self.world
                now = w.env.now
                w.append((now, _LEFT_WAITING, self.index, -1, c.id, -1, _PATIENCE, now - c.referral_time))

        return leave

    def open_fte(self) -> float:
        """FTE of the team's open posts (held, not being cut): what its list lengths scale with."""
        return sum(sp.fte for sp in self.specialists if sp.held and not sp.closing)

    def decisions(self) -> tuple[float, float]:
        """The next potential referral's two uniforms (refer?, patience) from the team's decision stream."""
        buf = self._decisions
        if not buf:
            buf.extend(self._decision_gen.random(512).tolist())
            buf.reverse()  # pop() then hands them out in the generator's order
        return buf.pop(), buf.pop()

    def most_room(self, exclude: Specialist | None = None) -> Specialist | None:
        """The open post with the lowest share of slots filled (ties: lowest number), if any has room."""
        best: Specialist | None = None
        best_fill = 1.0
        for sp in self.specialists:
            if sp.held and not sp.closing and sp is not exclude:
                fill = sp.active / sp.slots
                if fill < best_fill:
                    best, best_fill = sp, fill
        return best

    def assign(self, c: Candidate, sp: Specialist, code: int = 0) -> None:
        """Intake: ``c`` joins ``sp``'s caseload and starts step 1 (code 1: chosen out of turn)."""
        w = self.world
        now = w.env.now
        c.specialist = sp
        sp.active += 1
        sp.caseload.add(c)
        w.append((now, _INTAKE, self.index, sp.id, c.id, 1, code, now - c.referral_time))
        w.processes_started += 1
        c.process = w.env.process(w.pathway(w, c))

    def release(self, sp: Specialist) -> None:
        """A slot of ``sp`` is free: the head of the waiting list takes it, if the post is open.

        Under target pressure a specialist may pick the readiest of the first few
        waiting instead ("creaming"); that intake is logged with code 1.
        """
        if not self.waiting or not sp.held or sp.closing:
            return
        strength = self.world.creaming_strength
        if strength > 0.0 and len(self.waiting) > 1 and self.choice() < strength * sp.pressure:
            first = [self.waiting[i] for i in range(min(CREAMING_WINDOW, len(self.waiting)))]
            pick = max(first, key=lambda cand: cand.readiness)  # max keeps the earliest of ties
            if pick is not first[0]:
                self.waiting.remove(pick)
                self.assign(pick, sp, code=1)
                return
        self.assign(self.waiting.popleft(), sp)

    def fill(self, sp: Specialist) -> None:
        """Give an open post's free slots to the waiting list (a hire, a new post)."""
        while self.waiting and sp.held and not sp.closing and sp.active < sp.slots:
            before = len(self.waiting)
            self.release(sp)
            if len(self.waiting) == before:
                break

    def choice(self) -> float:
        """A uniform draw from the team's own stream of choices (creaming)."""
        if not self._choices:
            self._choices = self._choice_gen.random(256).tolist()
        return self._choices.pop()


class World:
    """One replication: the SimPy environment, the teams, the rules and the event recorder."""

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0) -> None:
        from caseload_sim.model.candidate import pathway

        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.env = Clock()
        self.streams = Streams(seed, replication)
        self.rules = Rules.from_scenario(scenario)
        self.rec = EventRecorder()
        self.append = self.rec.append
        self.weeks_append = self.rec.weeks.append
        self.pathway = pathway
        self.next_candidate_id = 0
        self.processes_started = 0  # SimPy processes created so far (for benchmarks)
        reg = scenario.regulation
        period = self.rules.period_days
        self.limit_days = (
            limit_days(reg.time_limit, False, period),
            limit_days(reg.time_limit, True, period),
        )
        self.end_time = scenario.run.warmup_days + scenario.run.horizon_days
        self.usual = self.rules.usual
        if self.usual:  # ordinary case workers: no time limit of the follow-up service's own
            self.limit_days = (math.inf, math.inf)
        self.creaming_strength = 0.0 if self.usual else scenario.targets.creaming_strength
        self.teams: list[Team] = []
        self.posts: list[Specialist] = []
        opening: set[int] = set()  # teams that open later
        # scripted resignations by (team, post number within the team), in time order
        self._quits: dict[tuple[int, int], list[float]] = {}
        for spec in scenario.teams:
            for copy in range(spec.copies):
                index = len(self.teams)
                for q in spec.quits:
                    self._quits.setdefault((index, q.specialist - 1), []).append(q.at_days)
                name = spec.name if spec.copies == 1 else f"{spec.name}-{copy + 1}"
                team = Team(
                    self, index, name, spec.referrals_per_week, [], spec.opens_at_days, spec.referral_changes
                )
                self.teams.append(team)
                if spec.opens_at_days > 0.0:
                    # before its staffing changes, so that its own posts come first at the opening
                    opening.add(index)
                    self.processes_started += 1
                    self.env.process(self._open(team, spec.specialists, spec.fte_per_specialist))
                else:
                    tenure = spec.initial_tenure_months * DAYS_PER_MONTH
                    for _ in range(spec.specialists):
                        self.add_post(team, spec.fte_per_specialist, tenure)
                for change in spec.changes:
                    self.processes_started += 1
                    self.env.process(
                        workforce.staffing_change(
                            self, team, change.at_days, change.specialists, spec.fte_per_specialist
                        )
                    )
        for team in self.teams:
            if team.index not in opening:  # a team that opens later starts its referrals when it opens
                self.processes_started += 1
                self.env.process(team.referrals())
        self._compact_log(None)

    def _open(self, team: Team, specialists: int, fte: float) -> Generator[simpy.Event, Any, None]:
        """A team that opens later: its posts start with new hires and empty caseloads, then referrals come."""
        yield self.env.timeout(team.opens_at)
        for _ in range(specialists):
            self.add_post(team, fte, 0.0)
        yield from team.referrals()

    def _compact_log(self, _: object) -> None:
        """Weekly: compact the recorder once enough rows have piled up (see EventRecorder.compact).

        A bare callback, not a process: it changes nothing in the world, so neither the
        results nor the order of what happens depend on it.
        """
        self.rec.compact(COMPACT_ROWS)
        self.env.timeout(DAYS_PER_WEEK).callbacks.append(self._compact_log)

    def add_post(self, team: Team, fte: float, tenure: float) -> Specialist:
        """A new post with a holder who has been in it for ``tenure`` days (0: a new hire)."""
        sid = len(self.posts)
        now = self.env.now
        sp = Specialist(
            sid,
            team.index,
            len(team.specialists),
            fte,
            USUAL_SLOTS if self.usual else slots_for(self.scenario.regulation.caseload_cap, fte),
            fte * self.rules.candidate_hours_per_fte,
        )
        sp.tenure_start = now - tenure
        sp.quit_days = sorted(self._quits.get((team.index, sp.number), ()))
        workforce.start_network(self, sp, tenure)
        self.posts.append(sp)
        team.specialists.append(sp)
        self.rec.specialists.append((sid, team.index, fte, sp.slots))
        self.append((now, int(EventKind.SPECIALIST_START), team.index, sid, -1, -1, sp.slots, fte))
        self.processes_started += 1
        self.env.process(workforce.post_weeks(self, team, sp))
        return sp

    def run(self) -> EventLog:
        """Run to the end of the measurement window and return the finished log."""
        # The loop allocates millions of short-lived objects; the only cycles (a candidate,
        # its process and its post's caseload) are broken when the candidate exits. The
        # cyclic garbage collector would rescan the growing log again and again (~40 % of
        # the run time), so it is paused for the run and restored after. finish() runs while
        # it is still paused: the first allocation after restoring it collects the young
        # generation, which would otherwise still hold the rows not yet packed (~3 ms).
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run_to(self.end_time)
            return self.finish()
        finally:
            if was_enabled:
                gc.enable()

    def finish(self) -> EventLog:
        s = self.scenario
        meta = {
            "scenario": s.name,
            "seed": self.seed,
            "replication": self.replication,
            "window_start": s.run.warmup_days,
            "window_end": self.end_time,
            "end_time": float(self.env.now),
            "total_fte": s.total_fte,  # the teams' own posts, teams that open later included
            "teams": len(self.teams),  # team copies, whether open yet or not
            "usual_services": self.usual,  # ordinary case workers (the trials' control arm), not specialists
            "team_opens_at_days": [t.opens_at for t in self.teams],
            "time_limit_days": [None if math.isinf(x) else x for x in self.limit_days],
            "targets": {
                "work_within_year": s.targets.work_within_year,
                "exits_to_work_per_fte_year": s.targets.exits_to_work_per_fte_year,
                "count_education": s.targets.count_education,
                "measure": s.targets.measure.value,
            },
            # prices for the cost KPIs (metrics read them here, so they need only the log)
            "costs": {**s.costs.model_dump(), "supervision_hours_per_week": s.workforce.supervision_hours},
        }
        return self.rec.finish(meta)
