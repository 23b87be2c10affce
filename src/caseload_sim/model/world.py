"""The simulated world: teams of job specialists, their waiting lists and caseloads.

A **team** receives referrals from first-line NAV case workers as a Poisson stream.
A referral goes straight to the specialist with the most room (the lowest share of
slots filled; ties go to the lowest number) — or, when every specialist is at the
caseload cap, to the back of the team's first-come-first-served **waiting list**.
When a candidate leaves a caseload, the freed slot goes to the head of the list.

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
"""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Generator
from typing import Any

import simpy

from caseload_sim.events import EventKind, EventLog, EventRecorder
from caseload_sim.model.rules import DAYS_PER_WEEK, READINESS_BOUND, Rules, limit_days, slots_for
from caseload_sim.scenario import Scenario
from caseload_sim.streams import CandidateDraws, CandidateSource, Purpose, Streams

__all__ = ["Candidate", "Specialist", "Team", "World"]

_REFERRAL = int(EventKind.REFERRAL)
_QUEUED = int(EventKind.QUEUED)
_INTAKE = int(EventKind.INTAKE)


class Specialist:
    """A job specialist: caseload slots, candidates followed and the hours they ask for."""

    __slots__ = ("active", "capacity", "demand", "fte", "id", "slots", "team")

    def __init__(self, sid: int, team: int, fte: float, slots: int, capacity: float) -> None:
        self.id = sid
        self.team = team
        self.fte = fte
        self.slots = slots
        self.capacity = capacity  # candidate hours per week
        self.active = 0
        self.demand = 0.0  # hours per week asked by the caseload (plus short-lived admin work)

    def efficiency(self) -> float:
        """Share of the asked candidate time the specialist can give this week (<= 1)."""
        d = self.demand
        return 1.0 if d <= self.capacity else self.capacity / d


class Candidate:
    """A job seeker referred to the team; traits drawn at referral from their own stream."""

    __slots__ = (
        "blocks",
        "gammas",
        "hours_mult",
        "id",
        "in_work",
        "index",
        "limit",
        "readiness",
        "reduced_capacity",
        "referral_time",
        "severity",
        "specialist",
        "team",
        "uniforms",
        "waited",
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
        self.severity = draws.severity
        self.reduced_capacity = draws.reduced_capacity
        self.in_work = draws.in_work
        self.readiness = readiness
        self.hours_mult = hours_mult
        self.limit = limit
        self.uniforms = draws.uniforms  # pop() gives the next draw
        self.gammas = draws.gammas
        self.blocks = [0, 0]  # overflow blocks taken (uniforms, gammas)
        self.specialist: Specialist | None = None
        self.waited = False

    def top_up(self) -> None:
        """Make sure at least one event's worth of draws is left (the loop checks first)."""
        if len(self.uniforms) < 16:
            self.blocks[0] += 1
            self.team.source.top_up(self.uniforms, self.index, 0, self.blocks[0])
        if not self.gammas:
            self.blocks[1] += 1
            self.team.source.top_up(self.gammas, self.index, 1, self.blocks[1])


class Team:
    """A team: its specialists, its referral stream and its waiting list."""

    def __init__(
        self, world: World, index: int, name: str, referrals_per_week: float, specialists: list[Specialist]
    ) -> None:
        self.world = world
        self.index = index
        self.name = name
        self.rate_per_day = referrals_per_week / DAYS_PER_WEEK
        self.specialists = specialists
        self.waiting: deque[Candidate] = deque()
        self._referral_gen = world.streams.generator(Purpose.REFERRALS, index)
        r = world.rules
        s = world.scenario.candidates
        self.source = CandidateSource(
            world.streams,
            index,
            severity_ab=(s.severity_alpha, s.severity_beta),
            rwc_share=s.reduced_work_capacity_share,
            in_work_share=s.in_work_at_intake_share,
            gamma_shape=1.0 / (world.scenario.pathway.step_duration_cv**2),
        )
        del r

    def referrals(self) -> Generator[simpy.Event, Any, None]:
        """Poisson referrals: exponential gaps from the team's own stream."""
        if self.rate_per_day <= 0:
            return
        env = self.world.env
        timeout = env.timeout
        gen = self._referral_gen
        scale = 1.0 / self.rate_per_day
        while True:
            for gap in gen.exponential(scale, 256).tolist():
                yield timeout(gap)
                self.refer()

    def refer(self) -> None:
        w = self.world
        r = w.rules
        d = self.source.next()
        readiness = (
            r.readiness_mean
            + r.readiness_sd * d.readiness_z
            + r.severity_readiness * (d.severity - 0.5)
            + (r.in_work_readiness if d.in_work else 0.0)
        )
        readiness = min(max(readiness, -READINESS_BOUND), READINESS_BOUND)
        hours_mult = max(0.1, 1.0 + r.severity_time * (d.severity - 0.5))
        cid = w.next_candidate_id
        w.next_candidate_id = cid + 1
        now = w.env.now
        c = Candidate(cid, self, now, d, readiness, hours_mult, w.limit_days[d.reduced_capacity])
        w.rec.candidates.append((cid, self.index, now, d.severity, d.reduced_capacity, d.in_work, readiness))
        w.append((now, _REFERRAL, self.index, -1, cid, 0, 0, 0.0))
        best: Specialist | None = None
        best_fill = 1.0
        for sp in self.specialists:
            fill = sp.active / sp.slots
            if fill < best_fill:
                best, best_fill = sp, fill
        if best is None:
            self.waiting.append(c)
            c.waited = True
            w.append((now, _QUEUED, self.index, -1, cid, 0, 0, float(len(self.waiting))))
        else:
            self.assign(c, best)

    def assign(self, c: Candidate, sp: Specialist) -> None:
        w = self.world
        now = w.env.now
        c.specialist = sp
        sp.active += 1
        w.append((now, _INTAKE, self.index, sp.id, c.id, 1, 0, now - c.referral_time))
        w.processes_started += 1
        w.env.process(w.pathway(w, c))

    def release(self, sp: Specialist) -> None:
        """A slot of ``sp`` is free: the head of the waiting list takes it."""
        if self.waiting:
            self.assign(self.waiting.popleft(), sp)


class World:
    """One replication: the SimPy environment, the teams, the rules and the event recorder."""

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0) -> None:
        from caseload_sim.model.candidate import pathway

        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.env = simpy.Environment()
        self.streams = Streams(seed, replication)
        self.rules = Rules.from_scenario(scenario)
        self.rec = EventRecorder()
        self.append = self.rec.append
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
        self.teams: list[Team] = []
        sid = 0
        for spec in scenario.teams:
            for copy in range(spec.copies):
                index = len(self.teams)
                name = spec.name if spec.copies == 1 else f"{spec.name}-{copy + 1}"
                members = []
                for _ in range(spec.specialists):
                    fte = spec.fte_per_specialist
                    sp = Specialist(
                        sid,
                        index,
                        fte,
                        slots_for(reg.caseload_cap, fte),
                        fte * self.rules.candidate_hours_per_fte,
                    )
                    members.append(sp)
                    self.rec.specialists.append((sid, index, fte, sp.slots))
                    self.append((0.0, int(EventKind.SPECIALIST_START), index, sid, -1, -1, sp.slots, fte))
                    sid += 1
                self.teams.append(Team(self, index, name, spec.referrals_per_week, members))
        for team in self.teams:
            self.processes_started += 1
            self.env.process(team.referrals())

    def run(self) -> EventLog:
        """Run to the end of the measurement window and return the finished log."""
        # The loop allocates millions of short-lived objects and no reference cycles; the
        # cyclic garbage collector would rescan the growing log again and again (~40 % of
        # the run time), so it is paused for the run and restored after.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=self.end_time)
        finally:
            if was_enabled:
                gc.enable()
        return self.finish()

    def finish(self) -> EventLog:
        s = self.scenario
        meta = {
            "scenario": s.name,
            "seed": self.seed,
            "replication": self.replication,
            "window_start": s.run.warmup_days,
            "window_end": self.end_time,
            "end_time": float(self.env.now),
            "total_fte": s.total_fte,
            "teams": len(self.teams),
            "time_limit_days": [None if math.isinf(x) else x for x in self.limit_days],
        }
        return self.rec.finish(meta)
