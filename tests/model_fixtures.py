"""Helpers for the model tests: derived scenarios, a log replayer, confidence intervals.

:func:`caseload_problems` (:class:`CaseloadReplay`) replays an event log row by row the
way a team leader would keep the books — which posts are held, vacant or being cut, who
is on which post, who is on which waiting list, since when — and lists every place where
the log contradicts the rules the model claims to follow (slots, time limits,
first-come-first-served except for creaming, no idle slot on an open post while someone
waits, handovers at leaves and hires). It reads only the log and the scenario, never the
model's insides.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from scipy import stats

from caseload_sim.events import (
    EventKind,
    EventLog,
    ExitReason,
    LeaveReason,
    LeftWaitingReason,
    NotReferredReason,
)
from caseload_sim.model.rules import DAYS_PER_MONTH, DAYS_PER_WEEK, limit_days
from caseload_sim.scenario import HandoverPolicy, Scenario, ServiceArm, load_scenario, scenario_from_dict

__all__ = [
    "CREAMING_WINDOW",
    "ELSEWHERE",
    "GONE",
    "SCENARIO_DIR",
    "WAITING",
    "CaseloadReplay",
    "Snapshot",
    "caseload_problems",
    "derive",
    "erlang_c",
    "job_money_problems",
    "legal_limit",
    "load",
    "mean_ci",
    "same_table",
    "shortened",
    "week_table_problems",
    "world_disagreements",
]

JOB_MONEY_KINDS = (
    EventKind.JOB_START,
    EventKind.SUBSIDY_CHANGE,
    EventKind.EMPLOYER_DECISION,
    EventKind.MENTOR_START,
    EventKind.MENTOR_END,
    EventKind.JOB_END,
    EventKind.EXIT,
    EventKind.POST_EXIT_JOB_START,
    EventKind.POST_EXIT_JOB_END,
)

if TYPE_CHECKING:
    from caseload_sim.model import World

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
_EPS = 1e-7  # days; event times are sums of floats
MAX_EVENTS_AT_ONE_INSTANT = 12
"""More than this for one candidate at one time means a loop without time passing (the
most that belong together: a job ending with its subsidy, a new step with a tasting and
work practice, a sick leave and work practice closed at exit)."""
CREAMING_WINDOW = 5
"""A specialist who creams picks the readiest of the first this-many on the waiting list."""


def derive(scenario: Scenario, changes: dict[str, Any], name: str | None = None) -> Scenario:
    """A validated copy of ``scenario`` with dotted-path changes: ``{"regulation.caseload_cap": 12}``."""
    doc = scenario.model_dump(mode="json")
    for path, value in changes.items():
        node = doc
        *head, last = path.split(".")
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    if name is not None:
        doc["name"] = name
    return scenario_from_dict(doc, f"<{scenario.name} + {changes}>")


def shortened(scenario: Scenario, warmup_days: float, horizon_days: float) -> Scenario:
    """The same world on a different clock (``model_copy`` of the ``run`` settings)."""
    run = scenario.run.model_copy(update={"warmup_days": warmup_days, "horizon_days": horizon_days})
    return scenario.model_copy(update={"run": run})


def load(name: str) -> Scenario:
    return load_scenario(SCENARIO_DIR / f"{name}.yaml")


def legal_limit(scenario: Scenario, reduced_capacity: bool) -> float:
    """Longest allowed stay on a caseload (days) for a candidate of this kind."""
    if scenario.service is ServiceArm.usual_services:
        return math.inf  # ordinary case workers: no time limit of the follow-up service's own
    reg = scenario.regulation
    return limit_days(reg.time_limit, reduced_capacity, reg.period_months * DAYS_PER_MONTH)


def mean_ci(values: Any, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval ``(mean, low, high)``."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        pytest.fail(f"need at least two values for a confidence interval, got {len(x)}")
    m = float(x.mean())
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


def same_table(a: np.ndarray, b: np.ndarray) -> bool:
    """Two structured arrays hold the same rows (NaN equals NaN, as in a vacant post's stress)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    names = a.dtype.names or ()
    return all(np.array_equal(a[n], b[n], equal_nan=a[n].dtype.kind == "f") for n in names)


def erlang_c(c: int, offered: float) -> float:
    r"""Probability that an arrival must wait in an M/M/c queue (Erlang's C formula).

    With offered load :math:`a = \lambda/\mu` and utilisation :math:`\rho = a/c < 1`,

    .. math::

        C(c, a) = \frac{\dfrac{a^c}{c!}\dfrac{1}{1-\rho}}
                       {\displaystyle\sum_{k=0}^{c-1}\frac{a^k}{k!} + \frac{a^c}{c!}\frac{1}{1-\rho}}

    and then :math:`L_q = C\,\rho/(1-\rho)` and :math:`W_q = L_q/\lambda = C/(c\mu-\lambda)`.
    """
    rho = offered / c
    if not 0 < rho < 1:
        raise ValueError(f"utilisation {rho:g} must lie in (0, 1)")
    tail = offered**c / math.factorial(c) / (1.0 - rho)
    return tail / (sum(offered**k / math.factorial(k) for k in range(c)) + tail)


WAITING, REFERRED_NOW, GONE, ELSEWHERE = -1, -2, -3, -4  # a candidate's place when not on a post


@dataclass
class Snapshot:
    """Where everybody is after all events of one instant, as the replay keeps the books.

    ``potential`` counts every potential referral so far: ``referred`` (made) plus
    ``not_referred``; ``left`` those who left a waiting list for other measures.
    """

    time: float
    referred: int
    waiting: int
    active: int
    exited: int
    potential: int = 0
    not_referred: int = 0
    left: int = 0


class CaseloadReplay:
    """Replay a log as a team leader keeps the books, and list every contradiction of the rules.

    The books: which posts exist, are held, are absent, are being cut (replaying
    SPECIALIST_START, SPECIALIST_LEAVE, ABSENCE_START/END and POST_CLOSED); who is on
    which post (INTAKE, HANDOVER, EXIT); who waits on which team's list (QUEUED). A post
    is *open* — takes referrals, freed slots and handed-over candidates — when it is held
    and not being cut. Checked, in log order (``problems``; at most 30 are kept):

    * posts: a START only on a post that is not held and not being cut, with ``code`` =
      slots and ``value`` = FTE of the specialist table; the first holder of an initial
      post starts at 0; a post created later starts at the ``at_days`` of a positive
      staffing change of its team, as many as the change says; a LEAVE only from a held
      post, with ``value`` = the holder's tenure (including ``initial_tenure_months``
      for a first holder who was there at time 0); ABSENCE_START/END alternate on a held
      post; POST_CLOSED right after a LEAVE of the same post, no more than the team's
      cuts so far, and a LEAVE while a cut is pending (scheduled strictly before) closes
      the post;
    * slots: a post never has more candidates than ``slots`` (INTAKE +1, EXIT -1,
      HANDOVER -1 on the old post and +1 on the new one);
    * intakes go only to open posts of the candidate's own team; a referral taken in at
      once goes to the open post with the most room (lowest share of slots filled, ties
      to the lowest number); its ``value`` is the time since referral;
    * QUEUED only when no open post of the team has a free slot, and not onto a list
      closed at its length (``waiting_list.closes``); ``value`` = queue length;
    * NOT_REFERRED (a potential referral not made) only when no open post has a free
      slot, ``value`` = the list's length; code 0 (withheld) only with referral
      feedback on and someone waiting, code 1 (list closed) only with ``closes`` and a
      list at least ``close_at_list_per_fte`` x the FTE of the team's open posts;
      nothing follows either;
    * LEFT_WAITING only from the team's list, with reneging on, ``value`` = days since
      the referral; the person leaves the list (the rest keep their order);
    * the waiting list is first come, first served, except INTAKE rows with code 1
      ("creaming"): such a candidate must have waited, must be among the first
      :data:`CREAMING_WINDOW` waiting but not the first, must be the readiest of them
      (``readiness`` in the candidate table; ties go to the earliest), and the scenario
      must allow creaming at all;
    * handovers: HANDOVER code 1 moves a candidate from the post in ``value`` — which
      has just had a LEAVE at this instant — to another open post of the team, the one
      with the most room; with ``workforce.handover: wait`` only a post being cut hands
      over. After a leave's handovers, under ``redistribute`` (or on a closing post),
      the candidates moved are the lowest candidate ids of the leaver's caseload, and
      the ones left on the post stay only if no open colleague has room; every
      candidate is then on exactly one post. HANDOVER code 0 (same post, new holder)
      only right after a START of that post, once for each candidate on it, in id order;
    * every other event of an active candidate names the post they are on;
    * EXIT ``value`` is the time since intake and never exceeds the legal limit; a
      TIME_LIMIT exit happens exactly at the limit; a DISCHARGED exit happens at an
      interim review (a whole number of periods after intake, before the limit), from
      step 1 or 2, and only if the scenario allows discharges; an EXTENSION falls a
      whole number of periods after intake and never promises more than the limit;
    * after all events of one instant, nobody waits while an open post of the team has
      a free slot; every potential referral is in one place (``Snapshot``);
    * at the end, nobody still active has been on the caseload longer than the limit,
      no event lies after the end of the run, and every scheduled staffing change that
      added posts did so;
    * no candidate has more than :data:`MAX_EVENTS_AT_ONE_INSTANT` events at one instant.

    After the replay, ``caseload`` (post -> candidates on it), ``held``, ``closing``,
    ``waiting`` (team -> queue) and ``snapshots`` (one :class:`Snapshot` per instant)
    describe the books; ``where`` maps each candidate to its post, :data:`WAITING` or
    :data:`GONE`.
    """

    MAX_PROBLEMS = 30

    def __init__(self, log: EventLog, scenario: Scenario) -> None:
        self.log = log
        self.scenario = scenario
        self.problems: list[str] = []
        spec = log.specialists
        self.slots = {int(s): int(n) for s, n in zip(spec["specialist"], spec["slots"], strict=True)}
        self.fte = {int(s): float(f) for s, f in zip(spec["specialist"], spec["fte"], strict=True)}
        self.post_team = {int(s): int(t) for s, t in zip(spec["specialist"], spec["team"], strict=True)}
        self.team_posts: dict[int, list[int]] = {}
        for p in sorted(self.post_team):
            self.team_posts.setdefault(self.post_team[p], []).append(p)
        self.caseload: dict[int, set[int]] = {p: set() for p in self.slots}
        self.held = dict.fromkeys(self.slots, False)
        self.closing = dict.fromkeys(self.slots, False)
        self.absent = dict.fromkeys(self.slots, False)
        self.started_at: dict[int, float] = {}
        self.holders = dict.fromkeys(self.slots, 0)
        self.waiting: dict[int, deque[int]] = {t: deque() for t in self.team_posts}
        self.where: dict[int, int] = {}
        self.snapshots: list[Snapshot] = []
        self._counts = dict.fromkeys(
            ("referred", "waiting", "active", "exited", "potential", "not_referred", "left"), 0
        )
        self._touched: set[int] = set()  # teams with events at the current instant

        # what the scenario promises about posts: initial posts (ids in construction
        # order), their holders' tenure at 0, and each team copy's staffing changes; a
        # team that opens later has no initial posts: its own posts are added, with new
        # hires, when it opens, and nothing of it happens before
        self.initial_tenure: dict[int, float] = {}
        self.cuts: dict[int, list[tuple[float, int]]] = {}
        self.additions: dict[tuple[int, float], int] = {}
        self.opens_at: dict[int, float] = {}
        team, post = 0, 0
        for ts in scenario.teams:
            for _ in range(ts.copies):
                self.opens_at[team] = ts.opens_at_days
                if ts.opens_at_days > 0.0:
                    self.additions[(team, float(ts.opens_at_days))] = ts.specialists
                else:
                    for _ in range(ts.specialists):
                        self.initial_tenure[post] = ts.initial_tenure_months * DAYS_PER_MONTH
                        post += 1
                for ch in ts.changes:
                    if ch.specialists < 0:
                        self.cuts.setdefault(team, []).append((ch.at_days, -ch.specialists))
                    elif ch.specialists > 0:
                        key = (team, float(ch.at_days))
                        self.additions[key] = self.additions.get(key, 0) + ch.specialists
                team += 1
        self.closed = dict.fromkeys(range(team), 0)
        for t in self.opens_at:  # a team that has not opened by the end has no posts, but a (empty) list
            self.waiting.setdefault(t, deque())
        self.new_posts: dict[tuple[int, float], int] = {}

        cand = log.candidates
        self.table_time = {
            int(c): float(t) for c, t in zip(cand["candidate"], cand["referral_time"], strict=True)
        }
        self.table_team = {int(c): int(t) for c, t in zip(cand["candidate"], cand["team"], strict=True)}
        self.readiness = {int(c): float(r) for c, r in zip(cand["candidate"], cand["readiness"], strict=True)}
        self.limit = {
            int(c): legal_limit(scenario, bool(r))
            for c, r in zip(cand["candidate"], cand["reduced_capacity"], strict=True)
        }
        self.period = scenario.regulation.period_months * DAYS_PER_MONTH
        self.redistribute = scenario.workforce.handover is HandoverPolicy.redistribute
        self.referred: dict[int, float] = {}
        self.intake: dict[int, float] = {}
        self.queued: set[int] = set()
        # an open block of rows that belong together: a LEAVE with its POST_CLOSED and
        # handovers, or a START with its code-0 handovers
        self._block: dict[str, Any] | None = None
        self._run()

    # ------------------------------------------------------------------ helpers
    def bad(self, msg: str) -> None:
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append(msg)

    def is_open(self, p: int) -> bool:
        return self.held[p] and not self.closing[p]

    def most_room(self, team: int, exclude: int = -1) -> tuple[float, int] | None:
        """(fill, post) of the open post with the most room, as the model picks it; None if all full."""
        options = [
            (len(self.caseload[p]) / self.slots[p], p)
            for p in self.team_posts[team]
            if p != exclude and self.is_open(p) and len(self.caseload[p]) < self.slots[p]
        ]
        return min(options) if options else None

    def cuts_until(self, team: int, t: float, strict: bool) -> int:
        return sum(n for at, n in self.cuts.get(team, ()) if (at < t if strict else at <= t + _EPS))

    # ------------------------------------------------------------------ blocks
    def _close_block(self) -> None:
        b, self._block = self._block, None
        if b is None:
            return
        p, t = b["post"], b["time"]
        if b["kind"] == "leave":
            team = self.post_team[p]
            if not self.closing[p] and self.cuts_until(team, t, strict=True) > self.closed[team]:
                self.bad(
                    f"post {p}: its holder left at t={t:.3f} while team {team} had a cut pending, "
                    "but the post was not closed"
                )
            moved = b["moved"]
            if moved != b["before"][: len(moved)]:
                self.bad(
                    f"post {p}: handed over {moved} at t={t:.3f}; lowest candidate ids first would be "
                    f"{b['before'][: len(moved)]}"
                )
            if (self.redistribute or self.closing[p]) and self.caseload[p]:
                room = self.most_room(team, exclude=p)
                if room is not None:
                    self.bad(
                        f"post {p}: {len(self.caseload[p])} candidates left on the post at t={t:.3f} "
                        f"while open post {room[1]} had room (handover: redistribute or a closing post)"
                    )
        else:
            if b["seen"] != b["before"]:
                self.bad(
                    f"post {p}: new holder at t={t:.3f}; HANDOVER code 0 for {b['seen']}, "
                    f"but the post's caseload was {b['before']}"
                )

    def _continues_block(self, kind: int, sp: int, code: int, value: float, t: float) -> bool:
        b = self._block
        if b is None or t != b["time"]:
            return False
        if b["kind"] == "leave":
            if kind == EventKind.POST_CLOSED and sp == b["post"] and not b["moved"]:
                return True
            return kind == EventKind.HANDOVER and code == 1 and int(round(value)) == b["post"]
        return kind == EventKind.HANDOVER and code == 0 and sp == b["post"]

    def _end_of_instant(self, t: float) -> None:
        self._close_block()
        for team in self._touched:  # the others are as they were at their last check
            q = self.waiting[team]
            if q:
                room = self.most_room(team)
                if room is not None:
                    self.bad(
                        f"t={t:.3f}: {len(q)} waiting in team {team} while open post {room[1]} has a free slot"
                    )
        self._touched.clear()
        self.snapshots.append(Snapshot(t, **self._counts))

    # ------------------------------------------------------------------ posts
    def _post_row(self, t: float, kind: int, team: int, p: int, code: int, value: float) -> None:
        K = EventKind
        if p not in self.slots or self.post_team[p] != team:
            self.bad(f"t={t:.3f}: {K(kind).name} of post {p} (team {team}), not in the specialist table")
            return
        if kind == K.SPECIALIST_START:
            if self.held[p] or self.closing[p]:
                self.bad(f"post {p}: a new holder at t={t:.3f} on a post that is held or being cut")
            if code != self.slots[p] or abs(value - self.fte[p]) > 1e-9:
                self.bad(
                    f"post {p}: START code {code}/value {value}, table says slots {self.slots[p]}, FTE {self.fte[p]}"
                )
            if self.holders[p] == 0:
                if p in self.initial_tenure:
                    if t != 0.0:
                        self.bad(f"post {p}: an initial post whose first holder starts at t={t:.3f}")
                else:
                    key = (team, t)
                    self.new_posts[key] = self.new_posts.get(key, 0) + 1
                    if self.new_posts[key] > self.additions.get(key, 0):
                        self.bad(
                            f"post {p}: created at t={t:.3f} in team {team}, but the scenario adds "
                            f"{self.additions.get(key, 0)} posts then"
                        )
            self.held[p] = True
            self.holders[p] += 1
            self.started_at[p] = t
            self._block = {
                "kind": "start",
                "post": p,
                "time": t,
                "before": sorted(self.caseload[p]),
                "seen": [],
            }
        elif kind == K.SPECIALIST_LEAVE:
            if not self.held[p]:
                self.bad(f"post {p}: a holder leaves at t={t:.3f}, but the post is vacant")
            elif code != int(LeaveReason.QUIT):
                self.bad(f"post {p}: LEAVE code {code} is not a LeaveReason")
            else:
                tenure = t - self.started_at[p]
                if self.holders[p] == 1:
                    tenure += self.initial_tenure.get(p, 0.0)
                if abs(value - tenure) > 1e-6 * max(1.0, tenure):
                    self.bad(
                        f"post {p}: LEAVE value {value:.4f} at t={t:.3f}, but the holder's tenure is {tenure:.4f}"
                    )
            self.held[p] = False
            self.absent[p] = False
            self._block = {
                "kind": "leave",
                "post": p,
                "time": t,
                "before": sorted(self.caseload[p]),
                "moved": [],
            }
        elif kind == K.POST_CLOSED:
            if not self._continues_block(kind, p, code, value, t) or self.closing[p]:
                self.bad(f"post {p}: POST_CLOSED at t={t:.3f} not right after its holder's LEAVE")
            self.closing[p] = True
            self.closed[team] += 1
            if self.closed[team] > self.cuts_until(team, t, strict=False):
                self.bad(
                    f"post {p}: closed at t={t:.3f}, the {self.closed[team]}th closure in team {team}, "
                    f"but only {self.cuts_until(team, t, strict=False)} posts were cut by then"
                )
        elif kind == K.ABSENCE_START:
            if not self.held[p] or self.absent[p]:
                self.bad(f"post {p}: ABSENCE_START at t={t:.3f} on a vacant post or an absent holder")
            self.absent[p] = True
        elif kind == K.ABSENCE_END:
            if not self.held[p] or not self.absent[p]:
                self.bad(f"post {p}: ABSENCE_END at t={t:.3f} without an absence")
            self.absent[p] = False
        else:
            self.bad(f"t={t:.3f}: {K(kind).name} without a candidate")

    # ------------------------------------------------------------------ candidates
    def _join(self, c: int, p: int, t: float, how: str) -> None:
        self.caseload[p].add(c)
        self.where[c] = p
        if len(self.caseload[p]) > self.slots[p]:
            self.bad(
                f"post {p}: {len(self.caseload[p])} candidates at t={t:.3f} ({how}), slots {self.slots[p]}"
            )

    def _intake(self, t: float, team: int, p: int, c: int, code: int, value: float) -> None:
        if self.post_team.get(p) != team or self.table_team.get(c) != team:
            self.bad(
                f"candidate {c} (team {self.table_team.get(c)}): intake by post {p} of team "
                f"{self.post_team.get(p)} (event team {team})"
            )
            return
        if not self.is_open(p):
            state = "being cut" if self.closing[p] else "vacant"
            self.bad(f"candidate {c}: intake at t={t:.3f} by post {p}, which is {state}")
        place = self.where.get(c)
        q = self.waiting[team]
        if place == WAITING:
            if code == 0:
                if not q or q[0] != c:
                    self.bad(
                        f"candidate {c}: taken from team {team}'s waiting list at t={t:.3f} before {q[0] if q else None}, "
                        "who was queued earlier (not first come, first served, and not a code-1 intake)"
                    )
            elif code == 1:
                window = list(q)[:CREAMING_WINDOW]
                if self.scenario.targets.creaming_strength <= 0.0:
                    self.bad(f"candidate {c}: chosen out of turn at t={t:.3f}, but creaming_strength is 0")
                if c not in window or c == q[0]:
                    self.bad(
                        f"candidate {c}: chosen out of turn at t={t:.3f} but is not among the first "
                        f"{CREAMING_WINDOW} waiting after the head ({window})"
                    )
                else:
                    r = self.readiness[c]
                    i = window.index(c)
                    if any(self.readiness[o] >= r for o in window[:i]) or any(
                        self.readiness[o] > r for o in window[i + 1 :]
                    ):
                        self.bad(
                            f"candidate {c}: chosen out of turn at t={t:.3f} with readiness {r:.4f}, not the "
                            f"readiest (earliest of ties) of {[(o, round(self.readiness[o], 4)) for o in window]}"
                        )
            else:
                self.bad(f"candidate {c}: INTAKE code {code}")
            if c in q:
                q.remove(c)
                self._counts["waiting"] -= 1
        elif place == REFERRED_NOW:
            if code != 0:
                self.bad(
                    f"candidate {c}: taken in straight away at t={t:.3f} with code {code} (out of turn?)"
                )
            if abs(t - self.referred[c]) > _EPS:
                self.bad(
                    f"candidate {c}: intake at t={t:.3f} without QUEUED, but referred at {self.referred[c]}"
                )
            best = self.most_room(team)
            if best is not None and (len(self.caseload[p]) / self.slots[p], p) != best:
                self.bad(
                    f"candidate {c}: new referral given to post {p} (fill {len(self.caseload[p])}/{self.slots[p]}), "
                    f"but open post {best[1]} had the most room (fill {best[0]:.2f})"
                )
        else:
            self.bad(f"candidate {c}: INTAKE at t={t:.3f} while {self._place(place)}")
            return
        if abs(value - (t - self.referred.get(c, math.nan))) > _EPS * max(1.0, t):
            self.bad(
                f"candidate {c}: INTAKE value {value} but waited {t - self.referred.get(c, math.nan)} days"
            )
        self.intake[c] = t
        self._counts["active"] += 1
        self._join(c, p, t, "intake")

    def _place(self, place: int | None) -> str:
        return {
            None: "never referred",
            WAITING: "waiting",
            REFERRED_NOW: "just referred",
            GONE: "exited",
            ELSEWHERE: "gone to other measures",
        }.get(place, f"on post {place}")

    def _handover(self, t: float, team: int, p: int, c: int, code: int, value: float) -> None:
        old = int(round(value))
        if not self._continues_block(EventKind.HANDOVER, p, code, value, t):
            if code == 1:
                self.bad(
                    f"candidate {c}: moved from post {old} to {p} at t={t:.3f}, but post {old} had no LEAVE then"
                )
            else:
                self.bad(
                    f"candidate {c}: HANDOVER code {code} on post {p} at t={t:.3f}, not right after a START of it"
                )
            return
        if self.where.get(c) != old:
            self.bad(
                f"candidate {c}: handed over from post {old} at t={t:.3f} while {self._place(self.where.get(c))}"
            )
            return
        b = self._block
        assert b is not None
        if code == 0:
            if p != old:
                self.bad(f"candidate {c}: HANDOVER code 0 from post {old} to another post {p}")
            b["seen"].append(c)
            return
        if not self.redistribute and not self.closing[old]:
            self.bad(f"candidate {c}: moved from post {old} to {p} at t={t:.3f} under handover: wait")
        if self.post_team.get(p) != team or self.post_team[old] != team or p == old:
            self.bad(
                f"candidate {c}: moved from post {old} to post {p} (team {self.post_team.get(p)}) in team {team}"
            )
            return
        if not self.is_open(p):
            self.bad(f"candidate {c}: handed over at t={t:.3f} to post {p}, which is vacant or being cut")
        best = self.most_room(team, exclude=old)
        if best is not None and (len(self.caseload[p]) / self.slots[p], p) != best:
            self.bad(
                f"candidate {c}: handed over at t={t:.3f} to post {p} (fill "
                f"{len(self.caseload[p])}/{self.slots[p]}), but open post {best[1]} had the most room"
            )
        b["moved"].append(c)
        self.caseload[old].discard(c)
        self._join(c, p, t, "handover")

    def _exit(self, t: float, p: int, c: int, step: int, code: int, value: float) -> None:
        stay = t - self.intake.get(c, math.nan)
        limit = self.limit[c]
        if abs(value - stay) > 1e-6 * max(1.0, stay):
            self.bad(f"candidate {c}: EXIT value {value} but on the caseload {stay} days")
        if stay > limit + 1e-6:
            self.bad(
                f"candidate {c}: {stay:.2f} days on the caseload, legal limit {limit:.2f} "
                f"({self.scenario.regulation.time_limit.value})"
            )
        if code == int(ExitReason.TIME_LIMIT) and abs(stay - limit) > 1e-6 * max(1.0, stay):
            self.bad(f"candidate {c}: TIME_LIMIT exit after {stay:.4f} days, the limit is {limit:.4f}")
        if code == int(ExitReason.DISCHARGED):
            k = round(stay / self.period)
            if self.scenario.targets.discharge_strength <= 0.0:
                self.bad(f"candidate {c}: DISCHARGED at t={t:.3f}, but discharge_strength is 0")
            if step not in (1, 2):
                self.bad(f"candidate {c}: DISCHARGED from step {step} at t={t:.3f} (only steps 1-2 may be)")
            if abs(stay - limit) <= 1e-6 * max(1.0, stay):
                self.bad(
                    f"candidate {c}: DISCHARGED at the legal limit ({stay:.4f} days after "
                    "intake), where the exit is TIME_LIMIT"
                )
            elif k < 1 or abs(stay - k * self.period) > 1e-6 * max(1.0, stay) or stay > limit:
                self.bad(f"candidate {c}: DISCHARGED {stay:.4f} days after intake, not at an interim review")
        self.caseload[p].discard(c)
        self.where[c] = GONE
        self._counts["active"] -= 1
        self._counts["exited"] += 1

    def open_fte(self, team: int) -> float:
        """FTE of the team's open posts (held, not being cut): what list lengths scale with.

        Summed in post order, as the model sums them, so that a list length compared with
        it gives the model's answer to the last bit.
        """
        return sum(self.fte[p] for p in self.team_posts.get(team, ()) if self.is_open(p))

    def _not_referred(self, t: float, team: int, c: int, code: int, value: float) -> None:
        """A potential referral not made: only when it could not be taken in, and for the reason given."""
        wl = self.scenario.waiting_list
        q = self.waiting[team]
        self.where[c] = ELSEWHERE
        self._counts["not_referred"] += 1
        room = self.most_room(team)
        if room is not None:
            self.bad(f"candidate {c}: not referred at t={t:.3f} although open post {room[1]} has a free slot")
        if int(round(value)) != len(q):
            self.bad(f"candidate {c}: NOT_REFERRED value {value}, but {len(q)} were waiting")
        if code == int(NotReferredReason.WITHHELD):
            if not wl.referral_feedback:
                self.bad(f"candidate {c}: withheld at t={t:.3f}, but referral_feedback is off")
            if not q:
                self.bad(f"candidate {c}: withheld at t={t:.3f} while nobody was waiting in team {team}")
        elif code == int(NotReferredReason.LIST_CLOSED):
            limit = wl.close_at_list_per_fte * self.open_fte(team)
            if not wl.closes or len(q) < limit:
                self.bad(
                    f"candidate {c}: turned away at t={t:.3f} by a closed list of {len(q)} (closes: {wl.closes}, "
                    f"at {limit:g})"
                )
        else:
            self.bad(f"candidate {c}: NOT_REFERRED code {code}")

    def _left_waiting(self, t: float, team: int, c: int, code: int, value: float) -> None:
        """Leaving the list: only from it, only with reneging on, after the days logged."""
        q = self.waiting[team]
        if self.where.get(c) != WAITING or c not in q:
            self.bad(
                f"candidate {c}: left team {team}'s list at t={t:.3f} while {self._place(self.where.get(c))}"
            )
            return
        if not self.scenario.waiting_list.reneging:
            self.bad(f"candidate {c}: left the list at t={t:.3f}, but reneging is off")
        if code != int(LeftWaitingReason.PATIENCE):
            self.bad(f"candidate {c}: LEFT_WAITING code {code}")
        if abs(value - (t - self.referred[c])) > _EPS * max(1.0, t):
            self.bad(f"candidate {c}: LEFT_WAITING value {value} but waited {t - self.referred[c]} days")
        q.remove(c)
        self.where[c] = ELSEWHERE
        self._counts["waiting"] -= 1
        self._counts["left"] += 1

    def _candidate_row(
        self, t: float, kind: int, team: int, p: int, c: int, step: int, code: int, value: float
    ) -> None:
        K = EventKind
        if kind in (K.REFERRAL, K.NOT_REFERRED):
            if c in self.where:
                self.bad(f"candidate {c}: a second potential referral at t={t:.3f}")
            self._counts["potential"] += 1
            if c not in self.table_time:
                self.bad(f"candidate {c}: referred at t={t:.3f} but missing from the candidate table")
            elif abs(self.table_time[c] - t) > _EPS or self.table_team[c] != team:
                self.bad(
                    f"candidate {c}: table says referral at {self.table_time[c]:.3f} in team "
                    f"{self.table_team[c]}, event says {t:.3f} in team {team}"
                )
            if kind == K.NOT_REFERRED:
                self._not_referred(t, team, c, code, value)
                return
            self.referred[c] = t
            self.where[c] = REFERRED_NOW
            self._counts["referred"] += 1
        elif kind == K.LEFT_WAITING:
            self._left_waiting(t, team, c, code, value)
        elif kind == K.QUEUED:
            room = self.most_room(team)
            if room is not None:
                self.bad(
                    f"candidate {c}: queued at t={t:.3f} in team {team} although open post {room[1]} has a free slot"
                )
            q = self.waiting[team]
            wl = self.scenario.waiting_list
            if wl.closes and len(q) >= wl.close_at_list_per_fte * self.open_fte(team):
                self.bad(
                    f"candidate {c}: joined team {team}'s list of {len(q)} at t={t:.3f}, closed at "
                    f"{wl.close_at_list_per_fte} x {self.open_fte(team):g} FTE"
                )
            q.append(c)
            self.where[c] = WAITING
            self._counts["waiting"] += 1
            self.queued.add(c)
            if int(round(value)) != len(q):
                self.bad(f"candidate {c}: QUEUED value {value} but the replayed queue has {len(q)}")
        elif kind == K.INTAKE:
            self._intake(t, team, p, c, code, value)
        elif kind == K.HANDOVER:
            self._handover(t, team, p, c, code, value)
        elif kind in (K.PRIOR_WORK, K.PRIOR_WORK_END):
            # the work held at referral runs beside the service, with no post
            if p != -1:
                self.bad(f"candidate {c}: {K(kind).name} at t={t:.3f} names post {p}")
        elif kind in (K.POST_EXIT_JOB_START, K.POST_EXIT_JOB_END) or (
            p < 0 and kind in (K.SUBSIDY_CHANGE, K.MENTOR_END, K.EMPLOYER_DECISION)
        ):
            # after an exit: the job's loss, its subsidy and mentor running on, jobs found
            # back in usual services (no post)
            if self.where.get(c) != GONE:
                self.bad(f"candidate {c}: {K(kind).name} at t={t:.3f} without a post before any exit")
        else:
            if self.where.get(c) != p:
                self.bad(
                    f"candidate {c}: {K(kind).name} at t={t:.3f} names post {p}, "
                    f"but the candidate is {self._place(self.where.get(c))}"
                )
                return
            if kind == K.EXTENSION:
                since = t - self.intake.get(c, math.nan)
                k = round(since / self.period)
                if k < 1 or abs(since - k * self.period) > 1e-6 * max(1.0, since):
                    self.bad(
                        f"candidate {c}: extension {since:.4f} days after intake, not a whole number of "
                        f"{self.period:.4f}-day periods"
                    )
                if value > self.limit[c] + 1e-6:
                    self.bad(
                        f"candidate {c}: extension to {value:.2f} days beyond the legal limit {self.limit[c]:.2f}"
                    )
                elif since >= self.limit[c] - 1e-6 * max(1.0, since):
                    self.bad(f"candidate {c}: an EXTENSION at the legal limit itself ({since:.4f} days)")
            elif kind == K.EXIT:
                self._exit(t, p, c, step, code, value)

    # ------------------------------------------------------------------ the replay
    def _run(self) -> None:
        ev = self.log.events
        names = ("time", "kind", "team", "specialist", "candidate", "step", "code", "value")
        rows = list(zip(*(ev[n].tolist() for n in names), strict=True))
        for i, (t, kind, team, p, c, step, code, value) in enumerate(rows):
            if i and t != rows[i - 1][0]:
                self._end_of_instant(rows[i - 1][0])
            if self._block is not None and not self._continues_block(kind, p, code, value, t):
                self._close_block()
            self._touched.add(team)
            if t < self.opens_at.get(team, 0.0):
                self.bad(
                    f"t={t:.3f}: {EventKind(kind).name} in team {team}, which opens at {self.opens_at[team]}"
                )
            if c < 0:
                self._post_row(t, kind, team, p, code, value)
            else:
                self._candidate_row(t, kind, team, p, c, step, code, value)
        if rows:
            self._end_of_instant(rows[-1][0])

        key = ev["time"][ev["candidate"] >= 0], ev["candidate"][ev["candidate"] >= 0]
        if len(key[0]):
            _, burst = np.unique(np.stack(key), axis=1, return_counts=True)
            if burst.max() > MAX_EVENTS_AT_ONE_INSTANT:
                self.bad(f"a candidate has {burst.max()} events at one instant: a loop where no time passes")
        end = float(self.log.meta["end_time"])
        if rows and rows[-1][0] > end + _EPS:
            self.bad(f"event at t={rows[-1][0]} after the end of the run ({end})")
        for (team, at), n in self.additions.items():
            if at < end and self.new_posts.get((team, at), 0) != n:
                self.bad(
                    f"team {team}: {n} posts to be added at t={at}, {self.new_posts.get((team, at), 0)} were"
                )
        for c, place in self.where.items():
            if place >= 0 and end - self.intake[c] > self.limit[c] + 1e-6:
                self.bad(
                    f"candidate {c}: still active at the end after {end - self.intake[c]:.2f} days, "
                    f"legal limit {self.limit[c]:.2f}"
                )


def caseload_problems(log: EventLog, scenario: Scenario) -> list[str]:
    """Replay ``log`` and list every contradiction of the caseload rules (empty: none).

    See :class:`CaseloadReplay` for what is checked.
    """
    return CaseloadReplay(log, scenario).problems


def world_disagreements(world: World, replay: CaseloadReplay) -> list[str]:
    """Where the World's own state differs from the books kept from its log (empty: none).

    Every candidate on a post is on exactly one post, knows it, and is counted in the
    post's ``active``; every post's caseload, holder and cut status, and every team's
    waiting list (in order), are what the replay of the log says.
    """
    out: list[str] = []
    seen: dict[int, int] = {}
    for team in world.teams:
        for sp in team.specialists:
            ids = {c.id for c in sp.caseload}
            for c in sp.caseload:
                if c.id in seen:
                    out.append(f"candidate {c.id} is on posts {seen[c.id]} and {sp.id}")
                seen[c.id] = sp.id
                if c.specialist is not sp:
                    out.append(f"candidate {c.id} is on post {sp.id} but believes it is on another")
            if sp.active != len(sp.caseload):
                out.append(f"post {sp.id}: active {sp.active}, caseload {len(sp.caseload)}")
            if ids != replay.caseload[sp.id]:
                out.append(f"post {sp.id}: world {sorted(ids)}, log {sorted(replay.caseload[sp.id])}")
            if (sp.held, sp.closing) != (replay.held[sp.id], replay.closing[sp.id]):
                out.append(
                    f"post {sp.id}: world held/closing {sp.held}/{sp.closing}, "
                    f"log {replay.held[sp.id]}/{replay.closing[sp.id]}"
                )
        queue = [c.id for c in team.waiting]
        if queue != list(replay.waiting[team.index]):
            out.append(f"team {team.index}: world queue {queue}, log {list(replay.waiting[team.index])}")
    return out


def _post_states_before(log: EventLog) -> dict[int, list[tuple[float, bool, bool]]]:
    """Per post: (time, held, absent) after each staffing event, in log order."""
    out: dict[int, list[tuple[float, bool, bool]]] = {}
    state: dict[int, tuple[bool, bool]] = {}
    ev = log.events
    staffing = ev[
        np.isin(
            ev["kind"],
            [
                EventKind.SPECIALIST_START,
                EventKind.SPECIALIST_LEAVE,
                EventKind.ABSENCE_START,
                EventKind.ABSENCE_END,
            ],
        )
    ]
    for t, kind, p in zip(
        staffing["time"].tolist(), staffing["kind"].tolist(), staffing["specialist"].tolist(), strict=True
    ):
        held, absent = state.get(p, (False, False))
        if kind == EventKind.SPECIALIST_START:
            held = True
        elif kind == EventKind.SPECIALIST_LEAVE:
            held, absent = False, False
        else:
            absent = kind == EventKind.ABSENCE_START
        state[p] = (held, absent)
        out.setdefault(p, []).append((t, held, absent))
    return out


def week_table_problems(log: EventLog) -> list[str]:
    """Where the week table contradicts itself or the events (empty: none).

    Each post has one row a week from its creation (t = start + 7, + 14, ...), without
    gaps, until the run ends or the post closes; the row describes the week before the
    post settles it, so ``present`` is "held and not absent" and ``stress`` is NaN
    exactly when the post was vacant, by the events *before* the row's time. Stress lies
    in [0, 1]; capacity is positive; visits and outside time are not negative and
    outside time never exceeds the required share; the caseload never exceeds the slots.
    """
    problems: list[str] = []
    w = log.weeks
    slots = dict(zip(log.specialists["specialist"].tolist(), log.specialists["slots"].tolist(), strict=True))
    created: dict[int, float] = {}
    ev = log.events
    for t, p in zip(
        ev["time"][ev["kind"] == EventKind.SPECIALIST_START].tolist(),
        ev["specialist"][ev["kind"] == EventKind.SPECIALIST_START].tolist(),
        strict=True,
    ):
        created.setdefault(p, t)
    states = _post_states_before(log)
    usual = bool(log.meta.get("usual_services", False))
    held_rows = ~np.isnan(w["stress"])
    if np.any((w["stress"][held_rows] < 0.0) | (w["stress"][held_rows] > 1.0)):
        bad = w["stress"][held_rows]
        problems.append(f"stress outside [0, 1]: min {bad.min()}, max {bad.max()}")
    if np.any(w["capacity"] <= 0.0) or not np.all(np.isfinite(w["capacity"])):
        problems.append(f"capacity not positive and finite: min {w['capacity'].min()}")
    if np.any(w["employer_visits"] < 0.0) or np.any(w["outside_share"] < 0.0):
        problems.append("negative employer visits or outside time")
    end = float(log.meta["end_time"])
    for p in np.unique(w["specialist"]).tolist():
        rows = w[w["specialist"] == p]
        if p not in created:
            problems.append(f"post {p}: week rows but no SPECIALIST_START")
            continue
        expected = created[p] + DAYS_PER_WEEK * np.arange(1, len(rows) + 1)
        if not np.allclose(rows["time"], expected, rtol=0.0, atol=1e-6):
            problems.append(
                f"post {p}: week rows at {rows['time'][:5]}..., expected every 7 days from {created[p]}"
            )
        if np.any(rows["caseload"] > slots[p]) or np.any(rows["caseload"] < 0):
            problems.append(f"post {p}: caseload {rows['caseload'].max()} in a week row, slots {slots[p]}")
        timeline = states[p]
        times = np.array([s[0] for s in timeline])
        for r in rows:
            i = int(np.searchsorted(times, r["time"], side="left")) - 1  # events strictly before
            held, absent = (timeline[i][1], timeline[i][2]) if i >= 0 else (False, False)
            # (ordinary case workers' stress is not modelled: NaN while held, in the usual-services arm)
            if bool(r["present"]) != (held and not absent) or (np.isnan(r["stress"]) == held and not usual):
                problems.append(
                    f"post {p}, week to t={r['time']:.1f}: present={r['present']}, stress={r['stress']}, "
                    f"but the events say held={held}, absent={absent}"
                )
                break
        closed = ev[(ev["kind"] == EventKind.POST_CLOSED) & (ev["specialist"] == p)]
        if len(closed) == 0 and rows["time"][-1] + DAYS_PER_WEEK < end - 1e-6:
            problems.append(
                f"post {p}: week rows stop at t={rows['time'][-1]}, but the post was never closed"
            )
    if len(problems) > 20:
        problems = problems[:20]
    return problems


def job_money_problems(log: EventLog, scenario: Scenario) -> list[str]:  # noqa: C901
    """Where the jobs' wage subsidies and mentors contradict the rules (empty: none).

    Replays each candidate's job rows. The subsidy rate is set at JOB_START and changed
    only by SUBSIDY_CHANGE, only ever downwards within a job, and is 0 by the time the
    job ends (JOB_END, POST_EXIT_JOB_END): no subsidy outlives its job. A permanent
    subsidy (code 1) goes only to candidates with reduced work capacity, at the
    permanent rates, and meets no employer decision. A mentor starts only with a job,
    at most once per job, is paid for no longer than its duration, and has ended by
    the time the job ends. After an exit only rows without a post follow (subsidy
    step-down and end, mentor end, employer decisions, the job's loss, and jobs found
    back in usual services), in time order; while no job is held after the exit (after
    an exit not to work, or a job's loss) only a new job (POST_EXIT_JOB_START) may come,
    and such a job has no subsidy or mentor. Switched-off features leave no trace.
    """
    problems: list[str] = []
    ws, m = scenario.wage_subsidy, scenario.mentor
    rwc_of = dict(
        zip(log.candidates["candidate"].tolist(), log.candidates["reduced_capacity"].tolist(), strict=True)
    )
    ev = log.events[np.isin(log.events["kind"], JOB_MONEY_KINDS) & (log.events["candidate"] >= 0)]
    order = np.lexsort((np.arange(len(ev)), ev["candidate"]))  # by candidate, log order within
    K = EventKind
    rows = ev[order]
    cands = rows["candidate"].tolist()
    names = ("time", "kind", "specialist", "code", "value")
    cols = [rows[n].tolist() for n in names]
    i = 0
    eps = 1e-6
    while i < len(rows):
        c = cands[i]
        rwc = bool(rwc_of.get(c, False))
        mentor_days = (m.duration_months_reduced_capacity if rwc else m.duration_months) * DAYS_PER_MONTH
        rate, perm, mentor_since, job_at, exited, lost = 0.0, False, None, None, False, None
        holding = False  # after the exit: a job held (the one left with, or one found since)
        while i < len(rows) and cands[i] == c:
            t, kind, post, code, value = (col[i] for col in cols)
            i += 1

            def bad(msg: str, t: float = t, kind: int = kind, c: int = c) -> None:
                problems.append(f"candidate {c}: {K(kind).name} at t={t:.3f}: {msg}")

            if exited:
                if (
                    kind
                    not in (
                        K.SUBSIDY_CHANGE,
                        K.MENTOR_END,
                        K.EMPLOYER_DECISION,
                        K.POST_EXIT_JOB_START,
                        K.POST_EXIT_JOB_END,
                    )
                    or post != -1
                ):
                    bad(
                        "after an exit only rows without a post: subsidy, mentor, decisions, jobs and their loss"
                    )
                if not holding and kind != K.POST_EXIT_JOB_START:
                    bad(f"no job held (the last was lost at t={lost})" if lost is not None else "no job held")
            if kind == K.POST_EXIT_JOB_START:
                if not exited:
                    bad("a job found after the service before any exit")
                elif holding:
                    bad("a job found after the service while one is held")
                if rate or mentor_since is not None:
                    bad("a job found after the service while a subsidy or mentor still runs")
                holding, job_at, perm = True, t, False
            elif kind == K.JOB_START:
                if rate or mentor_since is not None:
                    bad("a new job while the last one's subsidy or mentor still runs")
                rate, perm, mentor_since, job_at = value, False, None, t
            elif kind == K.SUBSIDY_CHANGE:
                if code == 1 and (not perm) and t == job_at and value == rate and not exited:
                    perm = True  # the grant of a permanent subsidy, logged with the job start
                    if not rwc:
                        bad("a permanent subsidy for a candidate without reduced work capacity")
                    if ws.permanent_share == 0.0:
                        bad("a permanent subsidy with permanent_share 0")
                    if value not in (ws.permanent_rate, ws.permanent_rate_after):
                        bad(f"permanent subsidy at rate {value}")
                    continue
                if job_at is None or rate == 0.0:
                    bad("a subsidy change without a running subsidy")
                if value > rate + 1e-12:
                    bad(f"the subsidy steps up from {rate} to {value}")
                if (code == 1) != perm:
                    bad(f"code {code} but the job's subsidy is {'permanent' if perm else 'temporary'}")
                if perm and value not in (0.0, ws.permanent_rate_after):
                    bad(f"permanent subsidy steps to {value}")
                rate = value
            elif kind == K.EMPLOYER_DECISION:
                if perm and rate > 0.0:
                    bad("an employer decision on a job with a permanent subsidy")
            elif kind == K.MENTOR_START:
                if m.use_prob == 0.0:
                    bad("a mentor with use_prob 0")
                if t != job_at or mentor_since is not None:
                    bad("a mentor only starts with a job, once")
                if code != int(m.trained) or value != m.hours_per_month:
                    bad(f"code {code}, value {value}: expected trained={m.trained}, {m.hours_per_month} h")
                mentor_since = t
            elif kind == K.MENTOR_END:
                if mentor_since is None:
                    bad("no mentor to end")
                else:
                    if abs(value - (t - mentor_since)) > eps * max(1.0, value):
                        bad(f"value {value}, but mentored for {t - mentor_since}")
                    if t - mentor_since > mentor_days + eps * max(1.0, mentor_days):
                        bad(f"mentored {t - mentor_since:.3f} days, at most {mentor_days:.3f}")
                mentor_since = None
            elif kind in (K.JOB_END, K.POST_EXIT_JOB_END):
                if rate > 0.0 or mentor_since is not None:
                    bad(f"the job ends with its subsidy ({rate}) or mentor still running")
                if kind == K.JOB_END:
                    job_at, perm = None, False
                else:
                    lost, holding = t, False
            elif kind == K.EXIT:
                exited = True
                if code in (int(ExitReason.WORK_PERMANENT), int(ExitReason.WORK_TEMPORARY)):
                    holding = True
                elif rate > 0.0 or mentor_since is not None:
                    bad("leaves for something other than work with a subsidy or mentor running")
    return problems[:20]
