"""One team's story from an event log, packed for the browser player.

:func:`animation_payload` replays one team's events — candidates, posts and their
holders — up to the first day shown, and hands the player that state plus every event
after it, in a compact, JSON-ready form (a few hundred kB for a team over three
years; see ``docs/teaching.md`` for the budget). It reads only the event log
(:class:`~caseload_sim.events.EventLog`) and the scenario's team names, like the rest
of the reports: nothing here reaches into the model.

The player (``player.js``) keeps its own small state machine over these events, so
scrubbing back and forth is a replay, not a lookup of stored frames. What the player
shows at a day must be what the log says at that day — the browser tests check the
waiting list against :func:`caseload_sim.metrics.queue_length_series`.

The payload
-----------
``posts``
    one entry per post of the team (``label`` "Specialist N", N the post's number
    within the team from 1, as ``teams[].quits`` counts them; ``slots``; ``fte``).
``init``
    the state at ``start``: ``people`` rows ``[person, state, post, sick]`` of those
    waiting or on a caseload, in waiting-list order for the waiting; ``posts`` rows
    ``[held, absent, closed, opened]``.
``events``
    a flat list of quadruples ``t, kind, person, arg`` (``t`` in hundredths of a day
    since ``start``; ``kind`` one of :data:`KINDS`; ``person`` the team-local person
    number or -1; ``arg`` the post, step, job type or exit as the kind says).
``people``
    per person (team-local number, referral order): their name (the candidate number
    + 1: with the same seed, the same person in every scenario, common random
    numbers), referral day (since ``start``, negative before it), severity (0-100),
    reduced work capacity, in work at referral.
``weeks``
    per week end: ``t`` (days since ``start``) and, per post, the holder's ``stress``
    (0-100, -1 when vacant) and ``load`` (hours asked / hours had, in %).
``series``
    per week end: ``waiting``, ``in_work`` (on the caseload in a paid job) and
    ``stress`` (the team's mean over held posts, 0-100), for the sparklines.
``story``
    ``[t, text]``: the ticker, in words (quits and handovers, hires, absences, time
    limits, jobs, the waiting list's milestones, intakes out of turn).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from caseload_sim.events import EventKind, EventLog, ExitReason, JobType
from caseload_sim.scenario import Scenario

__all__ = ["EXITS", "KINDS", "STATES", "STEP_NAMES", "AnimationError", "animation_payload", "team_names"]

K = EventKind

STEP_NAMES = {
    1: "engagement",
    2: "vocational profiling",
    3: "job finding",
    4: "employer engagement",
    5: "in a job, with support",
}
"""The five Supported Employment steps, as the player's legend and ticker name them."""

STATES = ["waiting", "step 1", "step 2", "step 3", "step 4", "step 5"]
"""Player state codes 0-5 (index), for people waiting or on a caseload."""

EXITS = [
    ("work_permanent", "Work (permanent)"),
    ("work_temporary", "Work (temporary)"),
    ("education", "Education"),
    ("health", "Health"),
    ("dropout", "Dropped out"),
    ("time_limit", "Time limit reached"),
    ("discharged", "Discharged"),
    ("left_waiting", "Left the waiting list"),
    ("not_referred", "Not referred (long list)"),
]
"""The player's exits, in the order drawn: the seven ExitReasons, then the two ways of never being taken in."""
LEFT_WAITING, NOT_REFERRED = len(ExitReason), len(ExitReason) + 1

KINDS = [
    "referral",
    "queued",
    "intake",
    "step",
    "job_start",
    "job_end",
    "handover",
    "sick",
    "exit",
    "post_start",
    "post_leave",
    "absence",
    "post_closed",
]
"""The player's event kinds (index = code)."""
(
    REF,
    QUEUE,
    INTAKE,
    STEP,
    JOB,
    JOB_END,
    HANDOVER,
    SICK,
    EXIT,
    POST_START,
    POST_LEAVE,
    ABSENCE,
    POST_CLOSED,
) = range(len(KINDS))

WAITING, ELSEWHERE, GONE = 0, -1, -2  # player states beside steps 1-5
_JOB_WORDS = {
    int(JobType.PERMANENT): "a permanent",
    int(JobType.FIXED_TERM): "a fixed-term",
    int(JobType.ON_CALL): "an on-call",
}
MILESTONE = 5  # the ticker names the waiting list each time it first reaches a multiple of this


class AnimationError(ValueError):
    """A request the log cannot answer (no such team, an empty window); the message says what is allowed."""


def team_names(scenario: Scenario) -> list[str]:
    """The teams' names in the model's order (``copies`` expanded as the model names them)."""
    names: list[str] = []
    for spec in scenario.teams:
        names += [spec.name] if spec.copies == 1 else [f"{spec.name}-{i + 1}" for i in range(spec.copies)]
    return names


@dataclass
class _Post:
    label: str
    slots: int
    fte: float
    held: bool = False
    absent: bool = False
    closed: bool = False
    opened: bool = False
    since: float = 0.0  # the holder's start
    caseload: set[int] = field(default_factory=set)


@dataclass
class _Person:
    state: int = WAITING
    post: int = -1
    sick: bool = False


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _days(d: float) -> str:
    return (
        f"{d / 365.0:.1f} years"
        if d >= 365.0
        else f"{d / 30.4167:.0f} months"
        if d >= 61.0
        else f"{d:.0f} days"
    )


def animation_payload(
    log: EventLog,
    scenario: Scenario,
    team: str | None = None,
    start: float | None = None,
    days: float | None = None,
) -> dict[str, Any]:  # noqa: C901 - one replay loop, one branch per kind
    """The story of one team of one replication, ready for ``json.dumps`` and the player.

    Parameters
    ----------
    log
        A finished replication (:func:`caseload_sim.model.simulate`, or read back from a run folder).
    scenario
        The scenario it ran (for the teams' names and the window).
    team
        Which team; the first if not given.
    start, days
        The days shown: from ``start`` (days since the run's start; the measurement
        window's start if not given) for ``days`` (to the end of the log if not given).
    """
    names = team_names(scenario)
    if team is None:
        ti = 0
    elif team in names:
        ti = names.index(team)
    else:
        shown = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
        raise AnimationError(f"--team: got {team!r}; allowed: one of the scenario's teams ({shown})")
    end_time = float(log.meta.get("window_end", log.meta.get("end_time", 0.0)))
    t0 = float(log.meta.get("window_start", 0.0)) if start is None else float(start)
    t1 = end_time if days is None else min(end_time, t0 + float(days))
    if not (0.0 <= t0 < t1):
        raise AnimationError(
            f"--start: got {t0:g} days; allowed: 0 to before the end of the run ({end_time:g} days)"
        )

    spec_rows = log.specialists[log.specialists["team"] == ti]
    post_of = {int(sid): i for i, sid in enumerate(spec_rows["specialist"].tolist())}
    posts = [_Post(f"Specialist {i + 1}", int(r["slots"]), float(r["fte"])) for i, r in enumerate(spec_rows)]
    ev = log.events
    ev = ev[(ev["team"] == ti) & (ev["time"] <= t1)]
    cands = log.candidates
    # team-local person numbers, in referral order, for the referred (not those never referred)
    referred_ids = ev["candidate"][ev["kind"] == K.REFERRAL]
    person_of = {int(c): i for i, c in enumerate(referred_ids.tolist())}
    label = (
        referred_ids.tolist()
    )  # a person's name is their candidate number: the same person in every scenario
    by_cand = {int(c): k for k, c in enumerate(cands["candidate"].tolist())}

    people: dict[int, _Person] = {}
    queue: list[int] = []  # the waiting list, FIFO
    out: list[int] = []
    story: list[list[Any]] = []
    counts: Counter[str] = Counter()
    highest = 0  # the waiting list's longest yet (for milestones)
    weeks_t: list[float] = []
    stress_rows: list[list[int]] = []
    load_rows: list[list[int]] = []
    series: dict[str, list[float]] = {"waiting": [], "in_work": [], "stress": []}
    init: dict[str, Any] | None = None

    wk = log.weeks[log.weeks["team"] == ti]
    wk_t = wk["time"]
    week_ends = np.unique(wk_t[(wk_t > t0) & (wk_t <= t1)])
    wi = 0

    def snapshot() -> dict[str, Any]:
        rows = [[q, WAITING, -1, int(people[q].sick)] for q in queue]
        rows += [[q, p.state, p.post, int(p.sick)] for q, p in sorted(people.items()) if p.state > WAITING]
        return {
            "people": rows,
            "posts": [[int(p.held), int(p.absent), int(p.closed), int(p.opened)] for p in posts],
        }

    def emit(t: float, kind: int, person: int, arg: int) -> None:
        if init is not None:
            out.extend((round((t - t0) * 100.0), kind, person, arg))

    def say(t: float, text: str) -> None:
        if init is not None:
            story.append([round(t - t0, 2), text])

    def close_week(upto: float) -> None:
        nonlocal wi
        while wi < len(week_ends) and week_ends[wi] < upto:  # events at the week's end count in it
            te = float(week_ends[wi])
            rows = wk[wk_t == te]
            stress = [-1] * len(posts)
            load = [0] * len(posts)
            for r in rows:
                i = post_of.get(int(r["specialist"]))
                if i is None:
                    continue
                s = float(r["stress"])
                stress[i] = -1 if math.isnan(s) else round(100.0 * s)
                cap = float(r["capacity"])
                load[i] = round(100.0 * float(r["demand"]) / cap) if cap > 1e-3 else 0
            weeks_t.append(round(te - t0, 2))
            stress_rows.append(stress)
            load_rows.append(load)
            held = [s for s in stress if s >= 0]
            series["waiting"].append(len(queue))
            series["in_work"].append(sum(1 for p in people.values() if p.state == 5))
            series["stress"].append(round(sum(held) / len(held), 1) if held else -1)
            wi += 1

    time, kind, spec, cand, step, code, value = (
        ev[n].tolist() for n in ("time", "kind", "specialist", "candidate", "step", "code", "value")
    )
    n = len(time)
    for j in range(n + 1):
        t = time[j] if j < n else math.inf
        if init is None and t > t0:
            init = snapshot()
            highest = len(queue)  # the ticker's milestones and counts start with the days shown
            counts.clear()
        if t > t0:
            close_week(t)
        if j == n:
            break
        k, c = kind[j], cand[j]
        q = person_of.get(c, -1)
        if k == K.REFERRAL:
            people[q] = _Person()
            emit(t, REF, q, 0)
        elif k == K.QUEUED:
            people[q].state = WAITING
            queue.append(q)
            emit(t, QUEUE, q, 0)
            if len(queue) > highest:
                highest = len(queue)
                if highest % MILESTONE == 0:
                    say(t, f"The waiting list reaches {highest}.")
        elif k == K.INTAKE:
            p = people[q]
            if q in queue:
                ahead = queue.index(q)  # people who waited longer and are passed over (creaming)
                queue.remove(q)
                if ahead and code[j] == 1:  # the model logs a creamed intake with code 1
                    say(
                        t,
                        f"Candidate {label[q] + 1} is taken in ahead of {_n(ahead, 'person')} who waited "
                        "longer (picked as readier for work).".replace("persons", "people"),
                    )
                if not queue:
                    say(t, "The waiting list is empty.")
            p.state, p.post = 1, post_of[spec[j]]
            posts[p.post].caseload.add(q)
            emit(t, INTAKE, q, p.post)
        elif k == K.STEP:
            people[q].state = int(step[j])
            emit(t, STEP, q, int(step[j]))
        elif k == K.JOB_START:
            p = people[q]
            p.state = 5
            emit(t, JOB, q, int(code[j]))
            words = _JOB_WORDS.get(int(code[j]), "a paid")
            subsidy = " with a wage subsidy" if value[j] > 0 else ""
            say(t, f"Candidate {label[q] + 1} starts {words} job{subsidy} ({posts[p.post].label}).")
        elif k == K.JOB_END:
            people[q].state = 3
            emit(t, JOB_END, q, 0)
        elif k == K.HANDOVER:
            p = people[q]
            new = post_of[spec[j]]
            posts[p.post].caseload.discard(q)
            posts[new].caseload.add(q)
            p.post = new
            emit(t, HANDOVER, q, new)
        elif k in (K.SICK_START, K.SICK_END):
            if q in people and people[q].state > WAITING:
                people[q].sick = k == K.SICK_START
                emit(t, SICK, q, int(k == K.SICK_START))
        elif k == K.EXIT:
            p = people[q]
            posts[p.post].caseload.discard(q)
            reason = ExitReason(int(code[j]))
            on = posts[p.post].label
            emit(t, EXIT, q, int(reason))
            if reason is ExitReason.TIME_LIMIT:
                where = "in a job" if p.state == 5 else f"in step {p.state} ({STEP_NAMES[p.state]})"
                say(
                    t,
                    f"Candidate {label[q] + 1} reaches the time limit after {_days(value[j])}, {where} ({on}).",
                )
            elif reason in (ExitReason.WORK_PERMANENT, ExitReason.WORK_TEMPORARY):
                say(
                    t, f"Candidate {label[q] + 1} leaves the service in work, after {_days(value[j])} ({on})."
                )
            elif reason is ExitReason.DISCHARGED:
                say(
                    t, f"Candidate {label[q] + 1} is discharged without a job after {_days(value[j])} ({on})."
                )
            p.state, p.post = GONE, -1
        elif k == K.LEFT_WAITING:
            if q in queue:
                queue.remove(q)
            people[q].state = GONE
            emit(t, EXIT, q, LEFT_WAITING)
            say(t, f"Candidate {label[q] + 1} gives up after {_days(value[j])} on the waiting list.")
        elif k == K.NOT_REFERRED:
            emit(t, EXIT, -1, NOT_REFERRED)
            counts["not_referred"] += 1
            if init is not None and counts["not_referred"] in (1, 5, 10, 25, 50, 100):
                say(
                    t,
                    f"A case worker, seeing {value[j]:.0f} waiting, refers someone elsewhere "
                    f"({counts['not_referred']} so far).",
                )
        elif k == K.SPECIALIST_START:
            i = post_of[spec[j]]
            post = posts[i]
            was_open = post.opened
            post.held, post.absent, post.opened, post.since = True, False, True, t
            emit(t, POST_START, -1, i)
            if was_open:
                waiting = len(post.caseload)
                restart = (
                    f"; {_n(waiting, 'candidate')} waiting on the post restart with them" if waiting else ""
                )
                say(t, f"A new specialist takes over {post.label}'s post{restart}.")
            else:
                say(t, f"A new post opens: {post.label}, with a new hire.")
        elif k == K.SPECIALIST_LEAVE:
            i = post_of[spec[j]]
            post = posts[i]
            before = len(post.caseload)
            post.held = post.absent = False
            emit(t, POST_LEAVE, -1, i)
            # the handovers of this instant follow in the log: count them for the sentence
            moved, m = 0, j + 1
            while m < n and time[m] == t:  # the log is time-ordered: only this instant's rows
                moved += kind[m] == K.HANDOVER and int(value[m]) == spec[j] and code[m] == 1
                m += 1
            if not before:
                case = "nobody was on the caseload"
            elif moved == before:
                case = f"{_n(before, 'candidate')} handed over to colleagues"
            elif moved == 0:
                case = f"{_n(before, 'candidate')} wait for the replacement"
            else:
                case = f"{_n(before, 'candidate')}: {moved} handed over to colleagues, {before - moved} wait"
            say(t, f"{post.label} quits after {_days(value[j])}; {case}.")
        elif k == K.ABSENCE_START:
            i = post_of[spec[j]]
            posts[i].absent = True
            emit(t, ABSENCE, -1, i * 2 + 1)
            weeks = int(code[j])
            say(t, f"{posts[i].label} is off sick for {weeks} week{'s' if weeks != 1 else ''}.")
        elif k == K.ABSENCE_END:
            i = post_of[spec[j]]
            posts[i].absent = False
            emit(t, ABSENCE, -1, i * 2)
        elif k == K.POST_CLOSED:
            i = post_of[spec[j]]
            posts[i].closed = True
            emit(t, POST_CLOSED, -1, i)
            say(t, f"{posts[i].label}'s post is cut: it winds its caseload down.")
    assert init is not None

    people_rows = []
    for c in referred_ids.tolist():
        r = cands[by_cand[int(c)]]
        people_rows.append(
            [
                int(c) + 1,
                round(float(r["referral_time"]) - t0, 2),
                round(100.0 * float(r["severity"])),
                int(bool(r["reduced_capacity"])),
                int(bool(r["in_work_at_intake"])),
            ]
        )
    return {
        "format": 1,
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": int(log.meta.get("seed", 0)),
        "replication": int(log.meta.get("replication", 0)),
        "team": names[ti],
        "start": t0,
        "days": round(t1 - t0, 2),
        "window_start": float(log.meta.get("window_start", 0.0)),
        "steps": [STEP_NAMES[s] for s in range(1, 6)],
        "exits": [label for _, label in EXITS],
        "kinds": KINDS,
        "posts": [{"label": p.label, "slots": p.slots, "fte": p.fte} for p in posts],
        "init": init,
        "events": out,
        "people": people_rows,
        "weeks": {"t": weeks_t, "stress": stress_rows, "load": load_rows},
        "series": series,
        "story": story,
    }
