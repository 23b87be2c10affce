"""Invariants of the simulated world, over random valid scenarios; determinism; common random numbers.

Whatever the levers say, some things must hold in every replication: a candidate is
in exactly one state at a time, nobody is on a caseload beyond the legal limit, no
specialist has more candidates than slots, nobody waits while a teammate has room,
the waiting list is first come first served, and nobody appears or vanishes. The
hypothesis test draws small worlds (tests/strategies.py) and checks all of it on the
event log with :func:`~caseload_sim.events.check_transitions` and
:func:`model_fixtures.caseload_problems`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from caseload_sim.events import EventKind, EventLog, check_transitions
from caseload_sim.model import build_world, simulate
from caseload_sim.scenario import Scenario, scenario_from_dict
from model_fixtures import (
    CaseloadReplay,
    caseload_problems,
    derive,
    job_money_problems,
    load,
    same_table,
    shortened,
    world_disagreements,
)
from strategies import scenario_dicts

K = EventKind
SEED_FAULTS = 2  # a run that holds every row the injected faults need (checked: it asserts so)


def _counts(log: EventLog) -> dict[str, int]:
    """Where everybody is at the end, read from the log alone."""
    ev = log.events
    kind, cand = ev["kind"], ev["candidate"]
    queued = set(cand[kind == K.QUEUED].tolist())
    taken = cand[kind == K.INTAKE]
    left = int(np.sum(kind == K.LEFT_WAITING))
    return {
        "referred": int(np.sum(kind == K.REFERRAL)),
        "waiting": len(queued) - sum(1 for c in taken.tolist() if c in queued) - left,
        "active": len(taken) - int(np.sum(kind == K.EXIT)),
        "exited": int(np.sum(kind == K.EXIT)),
        "not_referred": int(np.sum(kind == K.NOT_REFERRED)),
        "left": left,
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_dicts(), seed=st.integers(0, 2**32 - 1), replication=st.integers(0, 5))
def test_caseload_rules_hold_in_random_worlds(doc: dict[str, Any], seed: int, replication: int) -> None:
    scenario = scenario_from_dict(doc, "<hypothesis>")
    world = build_world(scenario, seed, replication)
    log = world.run()
    ev = log.events
    kinds = set(ev["kind"].tolist())
    for kind in (
        K.QUEUED,
        K.EXTENSION,
        K.JOB_START,
        K.HANDOVER,
        K.POST_CLOSED,
        K.MENTOR_START,
        K.NOT_REFERRED,
        K.LEFT_WAITING,
    ):  # what the examples exercised
        event(f"{kind.name} {'seen' if kind in kinds else 'absent'}")
    event("TIME_LIMIT exit " + ("seen" if np.any(log.of_kind(K.EXIT)["code"] == 5) else "absent"))
    event("creaming " + ("seen" if np.any(log.of_kind(K.INTAKE)["code"] == 1) else "absent"))
    event("list closed " + ("seen" if np.any(log.of_kind(K.NOT_REFERRED)["code"] == 1) else "absent"))

    assert check_transitions(log) == [], "the log breaks the candidate state machine"
    money = job_money_problems(log, scenario)
    assert money == [], "the jobs' subsidies and mentors break their rules:\n" + "\n".join(money)
    replay = CaseloadReplay(log, scenario)
    problems = replay.problems
    assert problems == [], "the log breaks the caseload rules:\n" + "\n".join(problems)

    # nobody appears or vanishes: every potential referral is, after every instant,
    # exactly one of not referred, waiting, on a caseload, exited or gone from the list,
    # and the log's account of the end state matches the world's own
    for snap in replay.snapshots:
        assert snap.potential == snap.referred + snap.not_referred, snap
        assert snap.referred == snap.waiting + snap.active + snap.exited + snap.left, snap
    n = _counts(log)
    assert n["referred"] == n["waiting"] + n["active"] + n["exited"] + n["left"], n
    in_world = {
        "referred": world.next_candidate_id - n["not_referred"],
        "waiting": sum(len(t.waiting) for t in world.teams),
        "active": sum(sp.active for t in world.teams for sp in t.specialists),
        "exited": n["exited"],
        "not_referred": n["not_referred"],
        "left": n["left"],
    }
    assert n == in_world, f"log says {n}, the world ends with {in_world}"
    problems = world_disagreements(world, replay)
    assert problems == [], "the world's end state disagrees with its log:\n" + "\n".join(problems[:20])
    assert np.array_equal(log.candidates["candidate"], np.arange(world.next_candidate_id)), (
        "candidate table should list every potential referral once, in referral order"
    )
    # the specialist table: the initial posts of each team copy present from the start,
    # in order, then posts added by staffing changes and by teams opening later, as many
    # per team as the changes and openings that came due
    spec_teams = [int(t) for t in log.specialists["team"]]
    copies = [s for s in scenario.teams for _ in range(s.copies)]
    expected = [
        t for t, spec in enumerate(copies) if spec.opens_at_days == 0 for _ in range(spec.specialists)
    ]
    assert spec_teams[: len(expected)] == expected, (
        "specialist table should list each team copy's specialists"
    )
    end = float(log.meta["end_time"])
    added = sorted(
        t
        for t, spec in enumerate(copies)
        for at, n in [
            (spec.opens_at_days, spec.specialists if spec.opens_at_days > 0 else 0),
            *((ch.at_days, ch.specialists) for ch in spec.changes),
        ]
        if at < end
        for _ in range(n)
    )
    assert sorted(spec_teams[len(expected) :]) == added, "posts added by staffing changes and openings"
    event("a team opened later" if any(0 < s.opens_at_days < end for s in copies) else "no late opening")
    event("referral rate changed" if any(s.referral_changes for s in copies) else "no referral change")


def _tampered(log: EventLog, rows: np.ndarray) -> EventLog:
    return EventLog(
        events=rows, candidates=log.candidates, specialists=log.specialists, meta=log.meta, weeks=log.weeks
    )


def test_the_replay_catches_injected_faults() -> None:
    """The checker must see a broken log: each fault injected into a valid log is reported."""
    scenario = derive(
        shortened(load("baseline"), 0.0, 900.0),
        {
            "workforce.quit_per_year": 3.0,
            "teams.0.referrals_per_week": 2.0,
            "targets.exits_to_work_per_fte_year": 50.0,
            "targets.work_within_year": 0.0,  # only the exits target presses (as before): creaming
            "targets.creaming_strength": 1.0,
            "teams.0.changes": [{"at_days": 200.0, "specialists": -1}],
        },
    )
    log = simulate(scenario, SEED_FAULTS, 0)
    assert caseload_problems(log, scenario) == [], "the untouched log must be clean"
    ev = log.events
    kind, code = ev["kind"], ev["code"]

    def first(mask: np.ndarray) -> int:
        assert mask.any(), "the run should contain the row the fault needs"
        return int(np.flatnonzero(mask)[0])

    faults: dict[str, np.ndarray] = {}
    moved = first((kind == K.HANDOVER) & (code == 1))
    rows = ev.copy()
    rows["specialist"][moved] = int(rows["value"][moved])  # moved onto the post that was just left
    faults["handover to the vacant post"] = rows
    faults["handover row dropped"] = np.delete(ev, moved)
    rows = ev.copy()
    creamed = first((kind == K.INTAKE) & (code == 1))
    rows["code"][creamed] = 0
    faults["out-of-turn intake logged as in turn"] = rows
    rows = ev.copy()
    fifo = first((kind == K.INTAKE) & (code == 0) & (ev["value"] > 0))
    rows["code"][fifo] = 1
    faults["in-turn intake logged as creaming"] = rows
    faults["POST_CLOSED dropped"] = np.delete(ev, first(kind == K.POST_CLOSED))
    withheld = first((kind == K.NOT_REFERRED) & (code == 0))
    rows = ev.copy()
    rows["code"][withheld] = 1
    faults["a withheld referral logged as turned away by a list that does not close"] = rows
    faults["LEFT_WAITING dropped"] = np.delete(ev, first(kind == K.LEFT_WAITING))
    rows = ev.copy()
    rows["value"][first(kind == K.LEFT_WAITING)] += 1.0
    faults["LEFT_WAITING with the wrong days waited"] = rows
    faults["LEAVE dropped"] = np.delete(ev, first(kind == K.SPECIALIST_LEAVE))
    rows = ev.copy()
    restart = first((kind == K.HANDOVER) & (code == 0))
    rows["code"][restart] = 1
    faults["restart logged as a move"] = rows
    for name, rows in faults.items():
        assert caseload_problems(_tampered(log, rows), scenario), f"the replay missed: {name}"


# ------------------------------------------------------------------ determinism


@pytest.fixture(scope="module")
def short_baseline() -> Scenario:
    return shortened(load("baseline"), 365.0, 730.0)


def _same(a: EventLog, b: EventLog) -> bool:
    return (
        np.array_equal(a.events, b.events)
        and np.array_equal(a.candidates, b.candidates)
        and np.array_equal(a.specialists, b.specialists)
        and same_table(a.weeks, b.weeks)
    )


@pytest.mark.parametrize("name", ["baseline", "national"])
def test_same_seed_and_replication_give_the_same_log(name: str) -> None:
    scenario = shortened(load(name), 100.0, 200.0)
    first = simulate(scenario, 42, 3)
    other = simulate(scenario, 42, 4)  # run something else in between: no state may leak
    again = simulate(scenario, 42, 3)
    assert _same(first, again), "same (scenario, seed, replication) must give an identical log"
    assert first.meta == again.meta
    assert not np.array_equal(first.events, other.events), "replications 3 and 4 gave identical logs"
    assert not np.array_equal(first.candidates, other.candidates)
    assert not np.array_equal(first.events, simulate(scenario, 43, 3).events), (
        "seeds 42 and 43 gave identical logs"
    )


# ------------------------------------------------------------- common random numbers


def _referrals(log: EventLog) -> np.ndarray:
    """The potential referrals: made (REFERRAL) or not (NOT_REFERRED), as (time, team, candidate)."""
    r = log.events[np.isin(log.events["kind"], [K.REFERRAL, K.NOT_REFERRED])]
    return np.stack([r["time"], r["team"], r["candidate"]])


def _left(log: EventLog) -> dict[int, float]:
    r = log.of_kind(K.LEFT_WAITING)
    return dict(zip(r["candidate"].tolist(), r["time"].tolist(), strict=True))


@pytest.mark.parametrize(
    "changes",
    [
        {"regulation.caseload_cap": 12},
        {"regulation.caseload_cap": 20},
        {"regulation.time_limit": "none"},
        {"week.reporting_hours": 12.0},
        {"jobs.renew_prob": 0.0},
        # a small cap fills the caseloads within the short run, so that the list's responses act
        {
            "regulation.caseload_cap": 6,
            "waiting_list.closes": True,
            "waiting_list.close_at_list_per_fte": 0.4,
        },
        {"regulation.caseload_cap": 6, "waiting_list.referral_feedback": False},
        {"regulation.caseload_cap": 6, "waiting_list.half_referrals_at_list_per_fte": 0.5},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_a_policy_lever_does_not_change_who_is_referred_when(
    short_baseline: Scenario, changes: dict[str, Any]
) -> None:
    """Common random numbers: the same potential referrals, the same people, different handling.

    With the waiting list responding, a lever changes *which* potential referrals are
    made (the case worker's thinning, a closed list), but not when they come, who they
    are, or how patient they are: whoever leaves the list in both worlds leaves it at
    the same time after the same referral.
    """
    variant = derive(short_baseline, changes)
    for rep in range(2):
        base, other = simulate(short_baseline, 5, rep), simulate(variant, 5, rep)
        assert np.array_equal(_referrals(base), _referrals(other)), (
            f"{changes} changed the potential referrals' times or teams (replication {rep})"
        )
        assert np.array_equal(base.candidates, other.candidates), (
            f"{changes} changed the potential referrals' traits (replication {rep})"
        )
        left_a, left_b = _left(base), _left(other)
        both = sorted(set(left_a) & set(left_b))
        assert [left_a[c] for c in both] == [left_b[c] for c in both], (
            f"{changes} changed the patience of people who left the list in both worlds (replication {rep})"
        )
        assert not np.array_equal(base.events, other.events), (
            f"{changes} changed nothing at all in the log: is the lever wired in?"
        )


def test_one_teams_referral_rate_leaves_other_teams_untouched() -> None:
    """Streams belong to teams: busier team 1 must not change who team 0 and 2 see, or when."""
    doc = {
        "name": "three",
        "teams": [{"name": f"t{i}", "specialists": 2, "referrals_per_week": 1.0} for i in range(3)],
        "run": {"warmup_days": 0, "horizon_days": 400},
    }
    base = scenario_from_dict(doc)
    busier = derive(base, {"teams.1.referrals_per_week": 2.5})
    a, b = simulate(base, 9, 0), simulate(busier, 9, 0)
    traits = [n for n in a.candidates.dtype.names or () if n != "candidate"]  # ids are global
    for team in (0, 2):
        ca, cb = a.candidates[a.candidates["team"] == team], b.candidates[b.candidates["team"] == team]
        assert len(ca) > 10
        assert np.array_equal(ca[traits], cb[traits]), f"team {team}'s referrals changed with team 1's rate"
    assert np.sum(b.candidates["team"] == 1) > np.sum(a.candidates["team"] == 1)


def test_event_log_round_trips_through_parquet(tmp_path: Any) -> None:
    """A log written with ``EventLog.to_parquet`` reads back as the same frame (kinds by name)."""
    import pandas as pd

    log = simulate(shortened(load("baseline"), 0.0, 120.0), 42, 0)
    path = tmp_path / "events.parquet"
    log.to_parquet(path, replication=0)
    back = pd.read_parquet(path)
    frame = log.to_frame()
    assert list(back.columns) == ["replication", *frame.columns]
    pd.testing.assert_frame_equal(back.drop(columns="replication"), frame, check_categorical=False)
