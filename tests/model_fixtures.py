"""Helpers for the model tests: derived scenarios, a log replayer, confidence intervals.

:func:`caseload_problems` replays an event log row by row the way a team leader would
keep the books — who is on whose caseload, who is on which waiting list, since when —
and lists every place where the log contradicts the rules the model claims to follow
(slots, time limits, first-come-first-served, no idle slot while someone waits). It
reads only the log and the scenario, never the model's insides.
"""

from __future__ import annotations

import math
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from caseload_sim.events import EventKind, EventLog, ExitReason
from caseload_sim.model.rules import DAYS_PER_MONTH, limit_days
from caseload_sim.scenario import Scenario, load_scenario, scenario_from_dict

__all__ = [
    "SCENARIO_DIR",
    "caseload_problems",
    "derive",
    "erlang_c",
    "legal_limit",
    "load",
    "mean_ci",
    "shortened",
]

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
_EPS = 1e-7  # days; event times are sums of floats
MAX_EVENTS_AT_ONE_INSTANT = 12
"""More than this for one candidate at one time means a loop without time passing (the
most that belong together: a job ending with its subsidy, a new step with a tasting and
work practice, a sick leave and work practice closed at exit)."""


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


def caseload_problems(log: EventLog, scenario: Scenario) -> list[str]:  # noqa: C901
    """Replay ``log`` and list every contradiction of the caseload rules (empty: none).

    Checked, in log order:

    * a candidate's INTAKE is on a specialist of the candidate's own team, and its
      ``value`` is the time since referral (and the candidate table agrees with the
      REFERRAL event on time and team);
    * a specialist never has more active candidates (INTAKE +1, EXIT -1) than ``slots``;
    * a referral taken in straight away goes to a specialist with the most room (lowest
      share of slots filled; ties to the lowest number);
    * QUEUED happens only when every specialist of the team is full, and its ``value``
      is the queue length after joining;
    * the waiting list is served first come, first served, per team;
    * every event of an active candidate names the specialist they were assigned to;
    * EXIT ``value`` is the time since intake and never exceeds the legal limit;
      a TIME_LIMIT exit happens exactly at the limit; an EXTENSION falls a whole number
      of periods after intake and never promises more than the limit;
    * after all events of one instant, nobody waits while a teammate has a free slot;
    * at the end, nobody still active has been on the caseload longer than the limit,
      and no event lies after the end of the run;
    * no candidate has more than :data:`MAX_EVENTS_AT_ONE_INSTANT` events at one instant
      (a process that loops without time passing).
    """
    problems: list[str] = []

    def bad(msg: str) -> None:
        if len(problems) < 20:
            problems.append(msg)

    spec = log.specialists
    slots = {int(s): int(n) for s, n in zip(spec["specialist"], spec["slots"], strict=True)}
    spec_team = {int(s): int(t) for s, t in zip(spec["specialist"], spec["team"], strict=True)}
    team_specs: dict[int, list[int]] = {}
    for s in sorted(spec_team):
        team_specs.setdefault(spec_team[s], []).append(s)
    active = dict.fromkeys(slots, 0)
    waiting: dict[int, deque[int]] = {t: deque() for t in team_specs}

    cand = log.candidates
    table_time = {int(c): float(t) for c, t in zip(cand["candidate"], cand["referral_time"], strict=True)}
    table_team = {int(c): int(t) for c, t in zip(cand["candidate"], cand["team"], strict=True)}
    limit = {
        int(c): legal_limit(scenario, bool(r))
        for c, r in zip(cand["candidate"], cand["reduced_capacity"], strict=True)
    }
    period = scenario.regulation.period_months * DAYS_PER_MONTH

    referred: dict[int, float] = {}
    intake: dict[int, float] = {}
    assigned: dict[int, int] = {}
    queued: set[int] = set()
    exited: set[int] = set()

    ev = log.events
    cols = [ev[n].tolist() for n in ("time", "kind", "team", "specialist", "candidate", "code", "value")]
    rows = list(zip(*cols, strict=True))

    def no_idle_slot_while_waiting(now: float) -> None:
        for team, q in waiting.items():
            if q:
                free = [s for s in team_specs[team] if active[s] < slots[s]]
                if free:
                    bad(
                        f"t={now:.3f}: {len(q)} waiting in team {team} while specialist(s) {free} have free slots"
                    )

    K = EventKind
    for i, (t, kind, team, sp, c, code, value) in enumerate(rows):
        if i and t != rows[i - 1][0]:
            no_idle_slot_while_waiting(rows[i - 1][0])
        if c < 0:
            continue
        if kind == K.REFERRAL:
            referred[c] = t
            if c not in table_time:
                bad(f"candidate {c}: referred at t={t:.3f} but missing from the candidate table")
            elif abs(table_time[c] - t) > _EPS or table_team[c] != team:
                bad(
                    f"candidate {c}: table says referral at {table_time[c]:.3f} in team {table_team[c]}, "
                    f"event says {t:.3f} in team {team}"
                )
        elif kind == K.QUEUED:
            full = [s for s in team_specs[team] if active[s] >= slots[s]]
            if len(full) != len(team_specs[team]):
                bad(
                    f"candidate {c}: queued at t={t:.3f} in team {team} although specialists "
                    f"{sorted(set(team_specs[team]) - set(full))} have free slots"
                )
            waiting[team].append(c)
            queued.add(c)
            if int(round(value)) != len(waiting[team]):
                bad(f"candidate {c}: QUEUED value {value} but the replayed queue has {len(waiting[team])}")
        elif kind == K.INTAKE:
            if spec_team.get(sp) != team or table_team.get(c) != team:
                bad(
                    f"candidate {c} (team {table_team.get(c)}): intake by specialist {sp} of team "
                    f"{spec_team.get(sp)} (event team {team})"
                )
                continue
            if c in queued:
                head = waiting[team][0] if waiting[team] else None
                if head != c:
                    bad(
                        f"candidate {c}: taken from team {team}'s waiting list at t={t:.3f} "
                        f"before {head}, who was queued earlier (not first come, first served)"
                    )
                if c in waiting[team]:
                    waiting[team].remove(c)
            else:
                if abs(t - referred.get(c, math.nan)) > _EPS:
                    bad(
                        f"candidate {c}: intake at t={t:.3f} without QUEUED, but referred at {referred.get(c)}"
                    )
                fills = [(active[s] / slots[s], s) for s in team_specs[team]]
                best = min(fills)
                if (active[sp] / slots[sp], sp) != best:
                    bad(
                        f"candidate {c}: new referral given to specialist {sp} (fill {active[sp]}/{slots[sp]}), "
                        f"but specialist {best[1]} had the most room (fill {best[0]:.2f})"
                    )
            if abs(value - (t - referred.get(c, math.nan))) > _EPS * max(1.0, t):
                bad(f"candidate {c}: INTAKE value {value} but waited {t - referred.get(c, math.nan)} days")
            active[sp] += 1
            if active[sp] > slots[sp]:
                bad(f"specialist {sp}: {active[sp]} active candidates at t={t:.3f}, slots {slots[sp]}")
            intake[c] = t
            assigned[c] = sp
        elif kind == K.POST_EXIT_JOB_END:
            if c not in exited:
                bad(f"candidate {c}: POST_EXIT_JOB_END at t={t:.3f} before any exit")
        else:
            if assigned.get(c) != sp:
                bad(
                    f"candidate {c}: {K(kind).name} at t={t:.3f} names specialist {sp}, "
                    f"assigned to {assigned.get(c)}"
                )
            if kind == K.EXTENSION:
                since = t - intake.get(c, math.nan)
                k = round(since / period)
                if k < 1 or abs(since - k * period) > 1e-6 * max(1.0, since):
                    bad(
                        f"candidate {c}: extension {since:.4f} days after intake, not a whole number of "
                        f"{period:.4f}-day periods"
                    )
                if value > limit[c] + 1e-6:
                    bad(f"candidate {c}: extension to {value:.2f} days beyond the legal limit {limit[c]:.2f}")
            elif kind == K.EXIT:
                stay = t - intake.get(c, math.nan)
                if abs(value - stay) > 1e-6 * max(1.0, stay):
                    bad(f"candidate {c}: EXIT value {value} but on the caseload {stay} days")
                if stay > limit[c] + 1e-6:
                    bad(
                        f"candidate {c}: {stay:.2f} days on the caseload, legal limit {limit[c]:.2f} "
                        f"({scenario.regulation.time_limit.value})"
                    )
                if code == int(ExitReason.TIME_LIMIT) and abs(stay - limit[c]) > 1e-6 * max(1.0, stay):
                    bad(f"candidate {c}: TIME_LIMIT exit after {stay:.4f} days, the limit is {limit[c]:.4f}")
                if sp in active:
                    active[sp] -= 1
                    if active[sp] < 0:
                        bad(f"specialist {sp}: negative caseload at t={t:.3f}")
                exited.add(c)
                assigned.pop(c, None)
    if rows:
        no_idle_slot_while_waiting(rows[-1][0])

    key = ev["time"][ev["candidate"] >= 0], ev["candidate"][ev["candidate"] >= 0]
    if len(key[0]):
        _, burst = np.unique(np.stack(key), axis=1, return_counts=True)
        if burst.max() > MAX_EVENTS_AT_ONE_INSTANT:
            bad(f"a candidate has {burst.max()} events at one instant: a loop where no time passes")

    end = float(log.meta["end_time"])
    if rows and rows[-1][0] > end + _EPS:
        bad(f"event at t={rows[-1][0]} after the end of the run ({end})")
    for c in assigned:
        if end - intake[c] > limit[c] + 1e-6:
            bad(
                f"candidate {c}: still active at the end after {end - intake[c]:.2f} days, "
                f"legal limit {limit[c]:.2f}"
            )
    return problems
