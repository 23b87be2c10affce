"""Specialists as people: posts and holders, vacancies, handovers, cuts, stress and quits.

A post (one row of ``log.specialists``) keeps its caseload while holders come and go.
These tests check the workforce rules on the log and on the World itself, and that the
workforce levers push stress, turnover and overload the way the modeller expects.

Everything is computed here from ``log.weeks`` and the events, not from
``caseload_sim.metrics``:

* **mean stress**: mean of ``stress`` over the week rows of held posts ending in the
  measurement window;
* **turnover**: quits (SPECIALIST_LEAVE) in the window per holder-year, a holder-year
  being 52.14 week rows of a held post;
* **overload share**: share of the week rows with a holder at work (``present``) in
  which the caseload asked for more hours than the post had (``demand > capacity``).

Direction checks pair replications of two scenarios with the same seeds (common random
numbers) and demand that the 95 % confidence interval of the paired difference lies on
the expected side.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scipy import stats

from caseload_sim.events import (
    CANDIDATE_DTYPE,
    EVENT_DTYPE,
    SPECIALIST_DTYPE,
    EventKind,
    EventLog,
    check_transitions,
)
from caseload_sim.model import build_world, simulate
from caseload_sim.model.rules import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR
from caseload_sim.scenario import Scenario, scenario_from_dict
from model_fixtures import (
    CaseloadReplay,
    derive,
    load,
    mean_ci,
    same_table,
    shortened,
    week_table_problems,
    world_disagreements,
)
from strategies import scenario_dicts

K = EventKind
SEED = 4242
WEEKS_PER_YEAR = DAYS_PER_YEAR / DAYS_PER_WEEK


def _real_problems(replay: CaseloadReplay) -> list[str]:
    """The replay's problems (a list, so that a failing assert shows them)."""
    return list(replay.problems)


# ------------------------------------------------------------------ figures from the log


def _window_weeks(log: EventLog) -> np.ndarray:
    lo, hi = float(log.meta["window_start"]), float(log.meta["window_end"])
    w = log.weeks
    return w[(w["time"] > lo) & (w["time"] <= hi)]


def mean_stress(log: EventLog) -> float:
    w = _window_weeks(log)
    s = w["stress"][~np.isnan(w["stress"])]
    return float(s.mean()) if len(s) else math.nan


def turnover(log: EventLog) -> float:
    """Quits in the window per holder-year."""
    lo, hi = float(log.meta["window_start"]), float(log.meta["window_end"])
    ev = log.events
    quits = int(np.sum((ev["kind"] == K.SPECIALIST_LEAVE) & (ev["time"] > lo) & (ev["time"] <= hi)))
    holder_years = np.sum(~np.isnan(_window_weeks(log)["stress"])) / WEEKS_PER_YEAR
    return quits / holder_years if holder_years > 0 else math.nan


def overload_share(log: EventLog) -> float:
    w = _window_weeks(log)
    w = w[w["present"]]
    return float(np.mean(w["demand"] > w["capacity"])) if len(w) else math.nan


# ------------------------------------------------------------------ conservation


def _with_workforce(doc: dict[str, Any], quit_per_year: float, handover: str) -> Scenario:
    doc = {**doc, "workforce": {**doc["workforce"], "quit_per_year": quit_per_year, "handover": handover}}
    return scenario_from_dict(doc, "<hypothesis + workforce>")


def _log_so_far(world: Any, now: float) -> EventLog:
    """The log as it stands mid-run (deferred rows, known only for the future, left out)."""
    rec = world.rec
    return EventLog(
        events=np.array(rec.rows, dtype=EVENT_DTYPE),
        candidates=np.array(rec.candidates, dtype=CANDIDATE_DTYPE),
        specialists=np.array(rec.specialists, dtype=SPECIALIST_DTYPE),
        meta={"end_time": now},
    )


def _active_in_log(log: EventLog) -> set[int]:
    ev = log.events
    taken = set(ev["candidate"][ev["kind"] == K.INTAKE].tolist())
    return taken - set(ev["candidate"][ev["kind"] == K.EXIT].tolist())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=scenario_dicts(),
    quit_per_year=st.sampled_from([3.0, 3.0, 6.0, 10.0]),
    handover=st.sampled_from(["redistribute", "wait"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_nobody_is_lost_or_duplicated_through_vacancies_and_handovers(
    doc: dict[str, Any], quit_per_year: float, handover: str, seed: int
) -> None:
    """Stop the World at a few instants and at the end; its state must be the log's account of it.

    potential referrals = waiting + active + exited + gone elsewhere (not referred, or
    left the list); each active candidate is on exactly one post,
    knows it, and the post counts them; posts are held/vacant/being cut as the log says;
    the waiting lists are the log's, in order.
    """
    scenario = _with_workforce(doc, quit_per_year, handover)
    world = build_world(scenario, seed, 0)
    kinds_seen: set[int] = set()
    end = world.end_time
    for now in [end * f for f in (0.23, 0.51, 0.77)] + [end]:
        if now < end:
            world.env.run(until=now)
            log = _log_so_far(world, now)
        else:
            world.env.run(until=end)
            log = world.finish()
        replay = CaseloadReplay(log, scenario)
        kinds_seen |= set(log.events["kind"].tolist())
        where = f"at t={now:.2f} of {end:.2f} ({handover}, {quit_per_year}/year)"
        assert _real_problems(replay) == [], f"{where}:\n" + "\n".join(_real_problems(replay))
        for snap in replay.snapshots:
            assert snap.referred == snap.waiting + snap.active + snap.exited + snap.left, f"{where}: {snap}"
        kinds = log.events["kind"]
        exited = int(np.sum(kinds == K.EXIT))
        elsewhere = int(np.sum(kinds == K.NOT_REFERRED) + np.sum(kinds == K.LEFT_WAITING))
        waiting = sum(len(t.waiting) for t in world.teams)
        on_posts = [c.id for t in world.teams for sp in t.specialists for c in sp.caseload]
        assert len(on_posts) == len(set(on_posts)), f"{where}: a candidate is on two posts"
        # candidate ids count the potential referrals: those not referred or gone from the list too
        assert world.next_candidate_id == waiting + len(on_posts) + exited + elsewhere, (
            f"{where}: potential referrals {world.next_candidate_id} != waiting {waiting} + on posts "
            f"{len(on_posts)} + exited {exited} + not referred or left the list {elsewhere}"
        )
        assert set(on_posts) == _active_in_log(log), f"{where}: the world's caseloads are not the log's"
        problems = world_disagreements(world, replay)
        assert problems == [], f"{where}:\n" + "\n".join(problems[:20])
    for kind in (K.HANDOVER, K.POST_CLOSED, K.SPECIALIST_LEAVE):
        event(f"{kind.name} {'seen' if kind in kinds_seen else 'absent'}")


# ------------------------------------------------------------------ the week table


@st.composite
def _extreme_workforce(draw: st.DrawFn) -> dict[str, Any]:
    """Workforce levers at the ends of their schema ranges (or anywhere in between)."""

    def end_or_between(lo: float, hi: float) -> float:
        return draw(st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi)))

    return {
        "crises_per_week": end_or_between(0.0, 10.0),
        "hours_per_crisis": end_or_between(0.0, 40.0),
        "supervision_hours": end_or_between(0.0, 10.0),
        "case_meeting_hours": end_or_between(0.0, 10.0),
        "stress_recovery": end_or_between(0.0, 5.0),
        "stress_overload": end_or_between(0.0, 10.0),
        "stress_measurement": end_or_between(0.0, 5.0),
        "stress_target": end_or_between(0.0, 5.0),
        "individual_target_multiplier": end_or_between(1.0, 10.0),
        "stress_failure": end_or_between(0.0, 5.0),
        "stress_crisis": end_or_between(0.0, 5.0),
        "stress_isolation": end_or_between(0.0, 5.0),
        "stress_support": end_or_between(0.0, 5.0),
        "stress_success": end_or_between(0.0, 5.0),
        "quit_per_year": end_or_between(0.0, 10.0),
        "quit_stress_effect": end_or_between(0.0, 10.0),
        "quit_early_multiplier": end_or_between(1.0, 20.0),
        "absence_per_year": end_or_between(0.0, 20.0),
        "absence_stress_effect": end_or_between(0.0, 10.0),
        "absence_mean_weeks": end_or_between(0.01, 52.0),
        "recruitment_mean_months": end_or_between(0.0, 36.0),
        "initial_effectiveness": end_or_between(0.01, 1.0),
        "learning_months": end_or_between(0.01, 60.0),
        "vacancy_cover": end_or_between(0.0, 1.0),
        "handover": draw(st.sampled_from(["redistribute", "wait"])),
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    workforce=_extreme_workforce(),
    measure=st.sampled_from(["team", "individual"]),
    target=st.sampled_from([0.0, 9.0, 50.0]),
    referrals=st.sampled_from([0.3, 1.0, 4.0]),
    cap=st.sampled_from([1.0, 15.0, 25.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_stress_stays_in_0_1_and_week_rows_agree_with_the_events(
    workforce: dict[str, Any], measure: str, target: float, referrals: float, cap: float, seed: int
) -> None:
    doc = {
        "name": "extreme",
        "teams": [
            {"name": "a", "specialists": 3, "referrals_per_week": referrals},
            {
                "name": "b",
                "specialists": 1,
                "referrals_per_week": referrals / 3,
                "changes": [{"at_days": 100, "specialists": 1}],
            },
        ],
        "regulation": {"caseload_cap": cap},
        "workforce": workforce,
        "targets": {"measure": measure, "exits_to_work_per_fte_year": target},
        "run": {"warmup_days": 0, "horizon_days": 400},
    }
    scenario = scenario_from_dict(doc, "<extreme>")
    log = simulate(scenario, seed, 0)
    assert len(log.weeks) > 0
    problems = week_table_problems(log)
    assert problems == [], "\n".join(problems)


# ------------------------------------------------------------------ quits and stress


def _quit_rows(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """(stress, quit at the end of this week?) for the week rows of held posts.

    A row's stress is the holder's stress at the end of the week, the stress on which
    the quit at that moment is decided.
    """
    w = log.weeks
    key = list(zip(w["time"].tolist(), w["specialist"].tolist(), strict=True))
    leaves = log.of_kind(K.SPECIALIST_LEAVE)
    quit_at = set(zip(leaves["time"].tolist(), leaves["specialist"].tolist(), strict=True))
    quit = np.array([k in quit_at for k in key], bool)
    assert quit.sum() == len(leaves), "every leave falls at the end of one of its post's weeks"
    keep = ~np.isnan(w["stress"])
    return w["stress"][keep], quit[keep]


def _stressed_and_calm_teams(quit_per_year: float, effect: float) -> Scenario:
    """Ten calm and ten swamped teams: stress spreads widely across holder-weeks.

    No early-months multiplier: new holders start with no stress *and* a higher hazard,
    which would confound stress with tenure.
    """
    return scenario_from_dict(
        {
            "name": "quits",
            "teams": [
                {"name": "calm", "specialists": 4, "referrals_per_week": 0.2, "copies": 10},
                {"name": "swamped", "specialists": 4, "referrals_per_week": 3.0, "copies": 10},
            ],
            "regulation": {"caseload_cap": 25},
            "workforce": {
                "quit_per_year": quit_per_year,
                "quit_stress_effect": effect,
                "quit_early_multiplier": 1.0,
                "recruitment_mean_months": 1.0,
            },
            "run": {"warmup_days": 0, "horizon_days": 1095},
        },
        "<quits>",
    )


QUIT_LEVELS = [(0.5, 2.0), (1.0, 4.0), (2.0, 10.0)]


@pytest.mark.parametrize("quit_per_year,effect", QUIT_LEVELS, ids=[f"q{q}-e{e}" for q, e in QUIT_LEVELS])
def test_quits_are_more_frequent_in_weeks_of_higher_stress(quit_per_year: float, effect: float) -> None:
    """The quit hazard ``quit_per_year/52.14 x exp(quit_stress_effect x stress)`` grows with stress.

    The formula is not exposed, so the property is checked on the log: split the
    holder-weeks (10 calm and 10 swamped teams of 4, three years) into the lower and
    upper third of stress, and compare the share of weeks that end in a quit (Fisher's
    exact test, one-sided, p < 0.001). The levels span the schema: a mild effect at a
    low rate, and ``quit_stress_effect`` 10 (the maximum) at 2 quits a year. The week
    row shows the stress the holder carried into the week; the quit at its end is
    decided on the stress after that week's update, so the observed contrast is
    somewhat weaker than the formula's.
    """
    scenario = _stressed_and_calm_teams(quit_per_year, effect)
    stress, quit = _quit_rows(simulate(scenario, SEED, 0))
    lo_cut, hi_cut = np.quantile(stress, [1 / 3, 2 / 3])
    low, high = stress <= lo_cut, stress >= hi_cut
    table = [[quit[high].sum(), (~quit[high]).sum()], [quit[low].sum(), (~quit[low]).sum()]]
    p = stats.fisher_exact(table, alternative="greater").pvalue
    r_low, r_high = quit[low].mean(), quit[high].mean()
    shown = (
        f"quits per holder-week: {r_low:.4f} at stress <= {lo_cut:.2f} ({low.sum()} weeks), "
        f"{r_high:.4f} at stress >= {hi_cut:.2f} ({high.sum()} weeks); one-sided Fisher p = {p:.2g}"
    )
    assert quit.sum() >= 100, f"too few quits to test anything: {quit.sum()}"
    assert hi_cut - lo_cut > 0.05, f"stress hardly varies: terciles at {lo_cut:.3f}, {hi_cut:.3f}"
    assert p < 1e-3 and r_high > r_low, f"expected: quits rise with stress (effect {effect}); got {shown}"


def test_quits_do_not_depend_on_stress_when_the_effect_is_zero() -> None:
    """Negative control for the test above: with ``quit_stress_effect: 0`` the contrast vanishes."""
    stress, quit = _quit_rows(simulate(_stressed_and_calm_teams(1.0, 0.0), SEED, 0))
    lo_cut, hi_cut = np.quantile(stress, [1 / 3, 2 / 3])
    low, high = stress <= lo_cut, stress >= hi_cut
    table = [[quit[high].sum(), (~quit[high]).sum()], [quit[low].sum(), (~quit[low]).sum()]]
    p = stats.fisher_exact(table).pvalue
    assert quit.sum() >= 100
    assert p > 1e-3, (
        f"with no stress effect, quits per holder-week {quit[low].mean():.4f} (low stress) vs "
        f"{quit[high].mean():.4f} (high stress) should not differ (two-sided Fisher p = {p:.2g})"
    )


def test_week_row_stress_is_the_stress_at_the_end_of_the_week() -> None:
    """``WEEK_DTYPE``: stress is "the holder's stress at the end of the week".

    With a constant pressure of being counted (``stress_measurement`` 0.02 > 0) and a
    holder who starts at stress 0, one week's update gives ``P/(1+P) > 0`` — so no row
    of a held post can show exactly 0 at the end of a holder's first week. The rows do:
    they are written before the update (one week behind), and the stress that drives a
    quit (after the update) never appears in any row.
    """
    scenario = shortened(load("baseline"), 0.0, 120.0)
    assert scenario.workforce.stress_measurement > 0.0
    w = simulate(scenario, SEED, 0).weeks
    first = w[w["time"] == DAYS_PER_WEEK]
    assert len(first) == 5
    assert np.all(first["stress"] > 0.0), (
        f"stress at the end of the first week: {first['stress'].tolist()}; expected > 0 after a week of "
        f"pressure {scenario.workforce.stress_measurement}"
    )


# ------------------------------------------------------------------ determinism


def _first_difference(a: np.ndarray, b: np.ndarray) -> str:
    note = f"{len(a)} rows against {len(b)}" if len(a) != len(b) else f"{len(a)} rows each"
    n = min(len(a), len(b))
    differ = [i for i in range(n) if not same_table(a[i : i + 1], b[i : i + 1])]
    if not differ:
        return note
    i = differ[0]
    return f"{note}; first difference at row {i}: {a[i]} against {b[i]}"


def test_same_seed_gives_the_same_events_and_weeks_with_staff_changes() -> None:
    """Same (scenario, seed, replication), same log — with quits, hires, expansion and cuts.

    Each of five replications runs twice, with another replication in between (so that
    nothing left over in the process, such as where objects happen to sit in memory,
    can pass for randomness of the seed).
    """
    base = shortened(load("baseline"), 0.0, 900.0)
    scenario = derive(
        base,
        {
            "workforce.quit_per_year": 1.0,
            "teams.0.changes": [
                {"at_days": 100.0, "specialists": 3},
                {"at_days": 300.0, "specialists": -2},
                {"at_days": 500.0, "specialists": 1},
            ],
        },
    )
    for rep in range(5):
        first = simulate(scenario, SEED, rep)
        other = simulate(scenario, SEED, rep + 1)
        again = simulate(scenario, SEED, rep)
        for table in ("events", "weeks", "candidates", "specialists"):
            same = same_table(getattr(first, table), getattr(again, table))
            assert same, (
                f"replication {rep} run twice, different {table}: the run is not reproducible "
                f"({_first_difference(getattr(first, table), getattr(again, table))})"
            )
        assert first.meta == again.meta
        assert len(first.specialists) == 9, "5 posts, 3 added at 100 days, 1 at 500"
        assert np.sum(first.events["kind"] == K.POST_CLOSED) == 2, "two posts cut"
        assert not same_table(first.weeks, other.weeks), (
            f"replications {rep} and {rep + 1} gave identical weeks"
        )


# ------------------------------------------------------------------ direction checks


def _paired(
    base: Scenario, variant: Scenario, figure: Any, replications: int
) -> tuple[float, float, float, list[float]]:
    diffs, values = [], []
    for rep in range(replications):
        b, v = figure(simulate(base, SEED, rep)), figure(simulate(variant, SEED, rep))
        diffs.append(v - b)
        values.append(v)
    mean, low, high = mean_ci(diffs)
    return mean, low, high, values


def _clock(s: Scenario) -> Scenario:
    return shortened(s, 365.0, 730.0)


STRESS_REPLICATIONS = 10

STRESS_DIRECTIONS = [
    (
        "cap12",
        "cap20",
        mean_stress,
        +1,
        "a cap of 20 instead of 12 means more candidates per specialist, more overload, more stress",
    ),
    (
        "targets_team",
        "targets_individual",
        mean_stress,
        +1,
        "targets counted per person press harder than team targets: more stress",
    ),
    ("baseline", "support_rich", mean_stress, -1, "more supervision and case meetings relieve: less stress"),
    (
        "baseline",
        "reporting_light",
        overload_share,
        -1,
        "half the reporting leaves more candidate time: fewer overloaded weeks",
    ),
]


@pytest.mark.parametrize(
    "base,variant,figure,sign,expected", STRESS_DIRECTIONS, ids=[f"{b}-{v}" for b, v, *_ in STRESS_DIRECTIONS]
)
def test_workforce_lever_moves_stress_and_load_the_expected_way(
    base: str, variant: str, figure: Any, sign: int, expected: str
) -> None:
    mean, low, high, _ = _paired(_clock(load(base)), _clock(load(variant)), figure, STRESS_REPLICATIONS)
    shown = (
        f"{variant} - {base}: {figure.__name__} {mean:+.4f} [{low:+.4f}, {high:+.4f}] "
        f"(95 % CI of {STRESS_REPLICATIONS} paired replications)"
    )
    assert (low > 0) if sign > 0 else (high < 0), f"expected: {expected}; got {shown}"


TURNOVER_REPLICATIONS = 30


def test_a_higher_cap_does_not_lower_turnover() -> None:
    """Quits are rare (about one per specialist every 6-8 years), so this runs 30 pairs of 5 years.

    The stress difference between the caps is small (+0.05), and so is its effect on the
    quit hazard (about +10 %), so only the weak claim is tested: turnover is not lower.
    """
    clock = (365.0, 1825.0)
    mean, low, high, _ = _paired(
        shortened(load("cap12"), *clock), shortened(load("cap20"), *clock), turnover, TURNOVER_REPLICATIONS
    )
    shown = f"cap20 - cap12: quits per holder-year {mean:+.4f} [{low:+.4f}, {high:+.4f}] (95 % CI, {TURNOVER_REPLICATIONS} pairs)"
    assert high > 0, f"expected: more stress under a cap of 20 does not lower turnover; got {shown}"


EXPANSION = load("expansion")
EXPANSION_AT = EXPANSION.teams[0].changes[0].at_days  # 5 new posts six months into the window


def test_expansion_adds_five_posts_whose_capacity_ramps_up() -> None:
    """The new posts start with inexperienced holders: less capacity than the old posts at first, then more.

    Capacity here is the week rows' ``capacity`` of weeks with the holder at work.
    """
    warmup = EXPANSION.run.warmup_days
    scenario = shortened(EXPANSION, warmup, EXPANSION_AT + 130.0 - warmup)
    gaps, ramps = [], []
    for rep in range(6):
        log = simulate(scenario, SEED, rep)
        assert len(log.specialists) == 10, "after the expansion the team should have 10 posts"
        starts = log.of_kind(K.SPECIALIST_START)
        new = starts[starts["time"] == EXPANSION_AT]["specialist"]
        assert sorted(new.tolist()) == [5, 6, 7, 8, 9], f"new posts {new}"
        w = log.weeks
        w = w[w["present"]]
        month1 = (w["time"] > EXPANSION_AT) & (w["time"] <= EXPANSION_AT + DAYS_PER_MONTH)
        month4 = (w["time"] > EXPANSION_AT + 3 * DAYS_PER_MONTH) & (
            w["time"] <= EXPANSION_AT + 4 * DAYS_PER_MONTH
        )
        is_new = np.isin(w["specialist"], new)
        posts_after = np.unique(log.weeks["specialist"][log.weeks["time"] > EXPANSION_AT + DAYS_PER_WEEK])
        assert len(posts_after) == 10, f"week rows of {len(posts_after)} posts after the expansion"
        gaps.append(w["capacity"][month1 & is_new].mean() - w["capacity"][month1 & ~is_new].mean())
        ramps.append(w["capacity"][month4 & is_new].mean() - w["capacity"][month1 & is_new].mean())
    mean, low, high = mean_ci(gaps)
    assert high < 0, (
        "expected: new hires have less capacity than settled colleagues in their first month; "
        f"new - old capacity {mean:+.2f} [{low:+.2f}, {high:+.2f}] hours a week (95 % CI, 6 replications)"
    )
    mean, low, high = mean_ci(ramps)
    assert low > 0, (
        "expected: the new posts' capacity grows as the holders learn; month 4 - month 1 "
        f"{mean:+.2f} [{low:+.2f}, {high:+.2f}] hours a week (95 % CI, 6 replications)"
    )


# ------------------------------------------------------------------ handover policy and cuts


def _turbulent(
    handover: str, changes: list[dict[str, Any]] | None = None, horizon: float = 900.0
) -> Scenario:
    """A five-post team where holders quit three times a year on average."""
    return derive(
        shortened(load("cap20"), 0.0, horizon),
        {
            "workforce.quit_per_year": 3.0,
            "workforce.handover": handover,
            "teams.0.changes": changes or [],
        },
        name=f"turbulent-{handover}",
    )


@pytest.mark.parametrize("handover", ["redistribute", "wait"])
def test_handover_policy(handover: str) -> None:
    """``wait``: a leaver's candidates stay on the vacant post — only a closing post hands over.
    ``redistribute``: colleagues with room take them (positive control: it happens)."""
    scenario = _turbulent(handover, [{"at_days": 300.0, "specialists": -1}])
    moved_open = moved_closing = 0
    for rep in range(3):
        log = simulate(scenario, SEED, rep)
        replay = CaseloadReplay(log, scenario)
        assert _real_problems(replay) == [], "\n".join(_real_problems(replay))
        ev = log.events
        closed = {
            (t, p)
            for t, p in zip(
                ev["time"][ev["kind"] == K.POST_CLOSED].tolist(),
                ev["specialist"][ev["kind"] == K.POST_CLOSED].tolist(),
                strict=True,
            )
        }
        moves = ev[(ev["kind"] == K.HANDOVER) & (ev["code"] == 1)]
        from_closing = np.array(
            [
                (t, int(v)) in closed
                for t, v in zip(moves["time"].tolist(), moves["value"].tolist(), strict=True)
            ],
            bool,
        )
        moved_open += int((~from_closing).sum())
        moved_closing += int(from_closing.sum())
    if handover == "wait":
        assert moved_open == 0, f"handover: wait, yet {moved_open} candidates moved from posts that stay open"
    else:
        assert moved_open > 0, "handover: redistribute, yet no leaver's candidate went to a colleague"
    assert moved_closing > 0, f"{handover}: a closing post hands over what it can, but none did"


CUT_AT = 200.0


def test_a_cut_closes_the_next_two_posts_that_fall_vacant() -> None:
    scenario = derive(
        _turbulent("wait", [{"at_days": CUT_AT, "specialists": -2}], horizon=2200.0),
        {"workforce.quit_per_year": 1.0},
    )
    emptied = 0
    for rep in range(4):
        log = simulate(scenario, SEED, rep)
        replay = CaseloadReplay(log, scenario)
        assert _real_problems(replay) == [], "\n".join(_real_problems(replay))
        ev = log.events
        leaves = ev[(ev["kind"] == K.SPECIALIST_LEAVE) & (ev["time"] > CUT_AT)]
        closed = ev[ev["kind"] == K.POST_CLOSED]
        assert len(leaves) >= 2, "the run should see two leaves after the cut"
        assert closed["specialist"].tolist() == leaves["specialist"][:2].tolist(), (
            f"the cut should close the posts of the first two leaves after t={CUT_AT} "
            f"({leaves['specialist'][:2].tolist()} at {leaves['time'][:2].tolist()}), closed {closed['specialist'].tolist()}"
        )
        assert closed["time"].tolist() == leaves["time"][:2].tolist(), "POST_CLOSED is logged at the leave"
        for p, t_closed in zip(closed["specialist"].tolist(), closed["time"].tolist(), strict=True):
            after = ev[(ev["time"] > t_closed) & (ev["specialist"] == p)]
            for kind in (K.INTAKE, K.SPECIALIST_START):
                assert not np.any(after["kind"] == kind), f"closed post {p} had a {kind.name} after closing"
            moved_in = ev[
                (ev["kind"] == K.HANDOVER)
                & (ev["code"] == 1)
                & (ev["specialist"] == p)
                & (ev["time"] >= t_closed)
            ]
            assert len(moved_in) == 0, f"closed post {p} received handed-over candidates"
            rows = log.weeks[(log.weeks["specialist"] == p) & (log.weeks["time"] > t_closed)]
            if len(rows) and rows["caseload"][-1] == 0:
                emptied += 1
                assert np.all(rows["caseload"][:-1] > 0), (
                    f"closed post {p}: week rows go on after its caseload emptied: {rows['caseload'].tolist()}"
                )
            else:
                assert rows["time"][-1] >= float(log.meta["end_time"]) - DAYS_PER_WEEK - 1e-6, (
                    f"closed post {p}: week rows stop at t={rows['time'][-1]} with {rows['caseload'][-1]} candidates"
                )
        held_at_end = sum(replay.held.values())
        vacant_open = sum(1 for p, h in replay.held.items() if not h and not replay.closing[p])
        assert held_at_end + vacant_open == 3, (
            "after two cuts the team has three posts (held or to be refilled)"
        )
    assert emptied > 0, "positive control: some closed post should wind down within the run"


def test_creaming_and_discharges_follow_their_rules() -> None:
    """Under full target pressure, intakes out of turn and discharges happen — and only as the rules allow."""
    scenario = derive(
        shortened(load("baseline"), 0.0, 1200.0),
        {
            "teams.0.referrals_per_week": 2.0,
            "targets.exits_to_work_per_fte_year": 50.0,
            "targets.creaming_strength": 1.0,
            "targets.discharge_strength": 1.0,
        },
    )
    creamed = discharged = 0
    for rep in range(2):
        log = simulate(scenario, SEED, rep)
        assert check_transitions(log) == []
        replay = CaseloadReplay(log, scenario)
        assert _real_problems(replay) == [], "\n".join(_real_problems(replay))
        ev = log.events
        creamed += int(np.sum((ev["kind"] == K.INTAKE) & (ev["code"] == 1)))
        discharged += int(np.sum((ev["kind"] == K.EXIT) & (ev["code"] == 6)))
    assert creamed > 10 and discharged > 0, (
        f"positive controls: {creamed} creamed intakes, {discharged} discharges"
    )


def _scripted(quits: list[dict[str, Any]], handover: str = "redistribute") -> Scenario:
    """startup.yaml (a new team of five, one referral a week) with a resignation script."""
    doc = load("startup").model_dump(mode="json")
    doc["teams"][0]["quits"] = quits
    doc["workforce"]["handover"] = handover
    return scenario_from_dict(doc)


@pytest.mark.parametrize("handover", ["redistribute", "wait"])
def test_a_scripted_quit_happens_at_the_end_of_its_week_and_keeps_everyone_elses_luck(handover: str) -> None:
    """A lesson scripts "specialist 3 quits on day 202": the post's holder leaves at the end of
    that week (day 203), its caseload is handed over by the rule, and until then the run is the
    unscripted run to the event (same seed: the script changes nothing before it acts)."""
    day, post = 202.0, 3  # caseloads still filling: colleagues have room
    plain, scripted = _scripted([], handover), _scripted([{"at_days": day, "specialist": post}], handover)
    a, b = simulate(plain, SEED, 0), simulate(scripted, SEED, 0)
    sid = int(b.specialists["specialist"][post - 1])
    week_end = math.ceil(day / DAYS_PER_WEEK) * DAYS_PER_WEEK
    ev = b.events
    leave = ev[(ev["kind"] == K.SPECIALIST_LEAVE) & (ev["specialist"] == sid) & (ev["time"] == week_end)]
    assert len(leave) == 1, (
        f"specialist {post} was scripted to quit on day {day:g}: expected a leave at {week_end:g}"
    )
    before_a, before_b = a.events[a.events["time"] < week_end], ev[ev["time"] < week_end]
    assert np.array_equal(before_a, before_b), "the script changed the run before the quit it scripts"
    caseload = {
        int(c)
        for c in ev["candidate"][
            (ev["kind"] == K.INTAKE) & (ev["specialist"] == sid) & (ev["time"] < week_end)
        ]
    }
    moved = ev[
        (ev["kind"] == K.HANDOVER) & (ev["time"] == week_end) & (ev["code"] == 1) & (ev["value"] == sid)
    ]
    if handover == "wait":
        assert len(moved) == 0, "handover: wait, yet the leaver's candidates moved to colleagues"
    else:
        assert len(moved) > 0 and set(moved["candidate"].tolist()) <= caseload, (
            "handover: redistribute: colleagues with room should take some of the leaver's candidates"
        )
    assert check_transitions(b) == []


def test_a_quit_scripted_for_a_vacant_post_does_nothing_and_bad_scripts_are_refused() -> None:
    """Two quits of the same post a day apart: the second finds the post vacant (the replacement
    takes months), so there is one leave, not two. A post the team does not have is refused."""
    log = simulate(
        _scripted([{"at_days": 100.0, "specialist": 1}, {"at_days": 101.0, "specialist": 1}]), SEED, 0
    )
    sid = int(log.specialists["specialist"][0])
    ev = log.events
    leaves = ev[(ev["kind"] == K.SPECIALIST_LEAVE) & (ev["specialist"] == sid) & (ev["time"] < 120.0)]
    assert len(leaves) == 1
    with pytest.raises(ValueError, match=r"quits\.0\.specialist: got 6; allowed: 1 to 5"):
        _scripted([{"at_days": 100.0, "specialist": 6}])
    doc = load("startup").model_dump(mode="json")
    doc["teams"][0] |= {"opens_at_days": 200.0, "quits": [{"at_days": 100.0, "specialist": 1}]}
    doc["teams"][0].pop("initial_tenure_months")
    with pytest.raises(ValueError, match=r"quits\.0\.at_days: got 100; allowed: at or after opens_at_days"):
        scenario_from_dict(doc)
