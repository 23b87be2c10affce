"""Teams that open later and referral rates that change: the regional-expansion levers.

A team with ``opens_at_days`` does not exist before it opens — no posts, no referrals,
no waiting list — and then starts with new hires (tenure 0, on the learning curve) and
empty caseloads. ``referral_changes`` make a team's referrals a Poisson process with a
piecewise-constant rate, drawn by time rescaling from the team's own stream. Checked
here, against the event log:

- a late team leaves no trace before it opens, and its posts start then, learning as
  new hires do (their capacity follows the curve of a new team's posts at time 0);
- referral counts in intervals match the integrated rate (exact Poisson tests over
  replications, an index-of-dispersion test), and the rescaled gaps are unit
  exponentials (KS);
- without openings or rate changes the referral times are exactly those of the old
  drawing (``exponential(scale, 256)`` gaps summed by SimPy), so existing results are
  unchanged;
- common random numbers: adding a late team, or changing one team's rate, leaves the
  other teams' referral times and candidates as they were;
- bad schedules are refused with the file, the key, the value and what is allowed;
- the region scenarios answer their question in the expected direction.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from caseload_sim.events import EventKind, EventLog, check_transitions
from caseload_sim.experiment import run_replication
from caseload_sim.metrics import weekly_series
from caseload_sim.model import simulate
from caseload_sim.model.rules import DAYS_PER_WEEK, Rules
from caseload_sim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from caseload_sim.streams import Purpose, Streams
from model_fixtures import caseload_problems, load, mean_ci, shortened, week_table_problems

K = EventKind
SEED = 20240611


def _scenario(teams: list[dict[str, Any]], horizon: float, **sections: Any) -> Scenario:
    doc = {"name": "expansion-test", "teams": teams, "run": {"warmup_days": 0, "horizon_days": horizon}}
    return scenario_from_dict({**doc, **sections}, "<test>")


def _referral_times(log: EventLog, team: int) -> np.ndarray:
    """The team's potential referrals: made (REFERRAL) or not made (NOT_REFERRED), in time order."""
    ev = log.events
    return ev["time"][np.isin(ev["kind"], [K.REFERRAL, K.NOT_REFERRED]) & (ev["team"] == team)]


def _old_referral_times(
    seed: int, replication: int, team: int, per_week: float, start: float, end: float
) -> list[float]:
    """The referral times the code before rate changes made: ``exponential(scale, 256)`` gaps, summed."""
    gen = Streams(seed, replication).generator(Purpose.REFERRALS, team)
    scale = 1.0 / (per_week / DAYS_PER_WEEK)
    t, out = start, []
    while True:
        for gap in gen.exponential(scale, 256).tolist():
            t = t + gap  # what SimPy does: now + delay
            if t >= end:
                return out
            out.append(t)


def _cumulative_rate(schedule: list[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    """Λ(t): expected referrals (per day rates from a list of (from day, per week)) up to ``t``; 0 before."""
    t = np.asarray(t, dtype=float)
    out = np.zeros_like(t)
    for i, (start, per_week) in enumerate(schedule):
        end = schedule[i + 1][0] if i + 1 < len(schedule) else math.inf
        out += np.clip(np.minimum(t, end) - start, 0.0, None) * per_week / DAYS_PER_WEEK
    return out


# ------------------------------------------------------------------ a late team


QUIET_WORKFORCE = {"quit_per_year": 0.0, "absence_per_year": 0.0, "crises_per_week": 0.0}


def _late_world() -> Scenario:
    return _scenario(
        [
            {"name": "old", "specialists": 2, "referrals_per_week": 1.0},
            {"name": "late", "specialists": 3, "referrals_per_week": 1.5, "opens_at_days": 100.5},
            {"name": "new-at-0", "specialists": 3, "referrals_per_week": 1.5, "initial_tenure_months": 0},
        ],
        400.0,
        workforce=QUIET_WORKFORCE,
    )


def test_a_late_team_leaves_no_trace_before_it_opens_then_starts_with_new_hires() -> None:
    scenario = _late_world()
    assert scenario.teams[1].initial_tenure_months == 0.0, "a team that opens later starts with new hires"
    log = simulate(scenario, SEED, 0)
    ev = log.events
    late = ev[ev["team"] == 1]
    assert late["time"].min() == 100.5, "nothing of the late team may happen before it opens"
    starts = late[late["kind"] == K.SPECIALIST_START]
    assert list(starts["time"][:3]) == [100.5] * 3 and list(late["kind"][:3]) == [K.SPECIALIST_START] * 3, (
        "the late team's first rows are its three posts starting at the opening"
    )
    cand = log.candidates
    assert np.all(cand["referral_time"][cand["team"] == 1] > 100.5), "no referral before the opening"
    first_referral = _referral_times(log, 1)[0]
    intakes = late[late["kind"] == K.INTAKE]
    assert intakes["time"][0] == first_referral and intakes["value"][0] == 0.0, (
        "the caseloads are empty at the opening: the first referral is taken in at once"
    )
    assert check_transitions(log) == [] and caseload_problems(log, scenario) == []
    assert week_table_problems(log) == []

    # the learning curve: the late posts' capacity, week by week from their start, is
    # that of a new team's posts from time 0 (tenure 0 at the start, same curve)
    weeks = log.weeks
    posts = {
        t: sorted(set(log.specialists["specialist"][log.specialists["team"] == t].tolist())) for t in (1, 2)
    }
    base = Rules.from_scenario(scenario).candidate_hours_per_fte
    initial = scenario.workforce.initial_effectiveness
    for late_post, early_post in zip(posts[1], posts[2], strict=True):
        a = weeks[weeks["specialist"] == late_post]
        b = weeks[weeks["specialist"] == early_post]
        assert a["time"][0] == pytest.approx(107.5) and b["time"][0] == pytest.approx(7.0)
        n = min(len(a), 20)
        np.testing.assert_allclose(a["capacity"][:n], b["capacity"][:n], rtol=1e-12)
        assert a["capacity"][0] == pytest.approx(base * initial), "a new hire starts at initial_effectiveness"
        assert np.all(np.diff(a["capacity"][:n]) > 0), "and learns"


def test_a_late_team_adds_its_fte_when_it_opens() -> None:
    scenario = _late_world()
    log = simulate(scenario, SEED, 1)
    assert log.meta["team_opens_at_days"] == [0.0, 100.5, 0.0]
    assert log.meta["teams"] == 3 and log.meta["total_fte"] == 8.0
    series = weekly_series(log)
    fte = series[series["variable"] == "fte"].set_index("time_days")["value"]
    assert set(fte[fte.index < 100.5]) == {5.0}, "before the opening only the two other teams hold posts"
    assert set(fte[fte.index > 100.5]) == {8.0}, "from the opening the late team's three posts count"


def test_a_team_that_opens_after_the_run_never_appears() -> None:
    scenario = _scenario(
        [
            {"name": "old", "specialists": 2, "referrals_per_week": 1.0},
            {
                "name": "never",
                "specialists": 2,
                "opens_at_days": 500,
                "changes": [{"at_days": 600, "specialists": 1}],
            },
        ],
        300.0,
    )
    log = simulate(scenario, SEED, 0)
    assert not np.any(log.events["team"] == 1) and not np.any(log.specialists["team"] == 1)
    assert caseload_problems(log, scenario) == []


# ------------------------------------------------------------------ the referral process

SCHEDULES: dict[int, list[tuple[float, float]]] = {
    # team -> (from day, referrals a week); team 1 opens at 150.25
    0: [(0.0, 2.0), (100.0, 0.5), (200.0, 0.0), (250.3, 3.5)],
    1: [(150.25, 1.0), (300.0, 2.0)],
}
INTERVALS = {
    0: [(0.0, 100.0), (90.0, 110.0), (100.0, 200.0), (200.0, 250.3), (245.0, 260.0), (250.3, 400.0)],
    1: [(0.0, 150.25), (150.25, 300.0), (280.0, 320.0), (300.0, 400.0)],
}
REPLICATIONS = 120


@pytest.fixture(scope="module")
def piecewise_logs() -> list[EventLog]:
    def team(i: int, name: str) -> dict[str, Any]:
        (opens, first), *later = SCHEDULES[i]
        spec: dict[str, Any] = {
            "name": name,
            "specialists": 2,
            "referrals_per_week": first,
            "referral_changes": [{"at_days": at, "referrals_per_week": r} for at, r in later],
        }
        return {**spec, "opens_at_days": opens} if opens > 0 else spec

    scenario = _scenario([team(0, "a"), team(1, "b")], 400.0, jobs={"enabled": False})
    return [simulate(scenario, SEED, r) for r in range(REPLICATIONS)]


def test_referral_counts_in_intervals_match_the_piecewise_rate(piecewise_logs: list[EventLog]) -> None:
    n_tests = sum(len(v) for v in INTERVALS.values())
    alpha = 0.01 / n_tests  # Bonferroni over the intervals
    for team, intervals in INTERVALS.items():
        times = [_referral_times(log, team) for log in piecewise_logs]
        for a, b in intervals:
            expected = float(np.diff(_cumulative_rate(SCHEDULES[team], np.array([a, b])))[0])
            counts = np.array([np.sum((t >= a) & (t < b)) for t in times])
            if expected == 0.0:
                assert counts.sum() == 0, f"team {team}: referrals in [{a}, {b}) where the rate is 0"
                continue
            total, mu = int(counts.sum()), expected * len(times)
            p = 2 * min(stats.poisson.cdf(total, mu), stats.poisson.sf(total - 1, mu), 0.5)
            assert p > alpha, (
                f"team {team}, [{a}, {b}): {total} referrals over {len(times)} replications, "
                f"expected {mu:.1f} from the rate schedule (p = {p:.2g})"
            )
            # Poisson counts: variance = mean (index of dispersion ~ chi-square, R - 1 df)
            if counts.mean() > 3:
                d = float(np.sum((counts - counts.mean()) ** 2) / counts.mean())
                df = len(counts) - 1
                p_disp = 2 * min(stats.chi2.cdf(d, df), stats.chi2.sf(d, df))
                assert p_disp > alpha, (
                    f"team {team}, [{a}, {b}): counts over- or underdispersed (p = {p_disp:.2g})"
                )


def test_rescaled_referral_gaps_are_unit_exponential(piecewise_logs: list[EventLog]) -> None:
    """Time rescaling: Λ(t_1), Λ(t_2) − Λ(t_1), ... of a Poisson process are independent Exp(1)."""
    for team, schedule in SCHEDULES.items():
        gaps = np.concatenate(
            [
                np.diff(_cumulative_rate(schedule, _referral_times(log, team)), prepend=0.0)
                for log in piecewise_logs
            ]
        )
        assert len(gaps) > 1000
        p = stats.kstest(gaps, "expon").pvalue
        assert p > 0.001, f"team {team}: rescaled gaps are not unit exponential (KS p = {p:.2g})"


@pytest.mark.parametrize(
    ("name", "horizon"),
    [("baseline", 3000.0), ("national", 200.0), ("ips_team", 800.0), ("expansion", 600.0)],
)
def test_without_changes_referral_times_are_those_of_the_old_drawing(name: str, horizon: float) -> None:
    scenario = shortened(load(name), 0.0, horizon)
    for replication in (0, 3):
        log = simulate(scenario, SEED, replication)
        copies = [t for t in scenario.teams for _ in range(t.copies)]
        for team, spec in enumerate(copies):
            old = _old_referral_times(SEED, replication, team, spec.referrals_per_week, 0.0, horizon)
            new = _referral_times(log, team).tolist()
            assert new == old, f"{name}, team {team}: referral times differ from the old code path"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    opens=st.one_of(st.just(0.0), st.floats(0.5, 150.0)),
    first=st.one_of(st.just(0.0), st.floats(0.05, 4.0)),
    later=st.lists(
        st.tuples(st.floats(0.0, 200.0), st.one_of(st.just(0.0), st.floats(0.05, 4.0))), max_size=3
    ),
    replication=st.integers(0, 3),
)
def test_any_schedule_keeps_the_prefix_and_silent_spells(
    opens: float, first: float, later: list[tuple[float, float]], replication: int
) -> None:
    """Before the first change the referrals are the old drawing from the opening on; none where the rate is 0."""
    opens = round(opens, 4)
    changes = sorted({round(opens + dt, 4): r for dt, r in later}.items())  # monotone: never before opens
    spec: dict[str, Any] = {
        "name": "t",
        "specialists": 1,
        "referrals_per_week": first,
        "referral_changes": [{"at_days": at, "referrals_per_week": r} for at, r in changes],
    }
    if opens > 0:
        spec["opens_at_days"] = opens
    scenario = _scenario([spec], 400.0, jobs={"enabled": False})
    times = _referral_times(simulate(scenario, SEED, replication), 0)
    schedule = [(opens, first), *changes]
    assert np.all(times > opens)
    assert np.all(np.diff(times) >= 0)
    first_change = changes[0][0] if changes else 400.0
    if first > 0:
        old = _old_referral_times(SEED, replication, 0, first, opens, first_change)
        assert times[times < first_change].tolist() == old
    for i, (start, rate) in enumerate(schedule):
        end = schedule[i + 1][0] if i + 1 < len(schedule) else math.inf
        if rate == 0.0:
            assert not np.any((times > start) & (times < end)), (
                f"referrals while the rate is 0 in [{start}, {end})"
            )


# ------------------------------------------------------------------ common random numbers


def _traits(log: EventLog, team: int) -> np.ndarray:
    c = log.candidates
    mine = c[c["team"] == team]
    return np.stack([mine["referral_time"], mine["severity"], mine["readiness"], mine["reduced_capacity"]])


def test_a_late_team_or_another_teams_rate_change_leaves_a_team_unchanged() -> None:
    two = [
        {"name": "a", "specialists": 3, "referrals_per_week": 1.2},
        {"name": "b", "specialists": 2, "referrals_per_week": 0.8},
    ]
    late = {"name": "c", "specialists": 2, "referrals_per_week": 2.0, "opens_at_days": 150.0}
    shared = [two[0], {**two[1], "referral_changes": [{"at_days": 200.0, "referrals_per_week": 0.3}]}, late]
    for replication in (0, 1, 2):
        base = simulate(_scenario(two, 500.0), SEED, replication)
        grown = simulate(_scenario([*two, late], 500.0), SEED, replication)
        split = simulate(_scenario(shared, 500.0), SEED, replication)
        for team in (0, 1):
            assert np.array_equal(_referral_times(base, team), _referral_times(grown, team)), (
                f"adding a late team moved team {team}'s referrals"
            )
            assert np.array_equal(_traits(base, team), _traits(grown, team)), (
                f"adding a late team changed team {team}'s candidates"
            )
        assert np.array_equal(_referral_times(base, 0), _referral_times(split, 0)), (
            "team 1's rate change moved team 0's referrals"
        )
        before = _referral_times(base, 1)
        assert np.array_equal(before[before < 200.0], _referral_times(split, 1)[: np.sum(before < 200.0)]), (
            "team 1's referrals before its rate change must be as without the change"
        )
        assert np.array_equal(_referral_times(grown, 2), _referral_times(split, 2)), (
            "the late team's referrals depend only on its own stream and rates"
        )


# ------------------------------------------------------------------ validation


def _error(tmp_path: Path, team_yaml: str) -> str:
    path = tmp_path / "region.yaml"
    path.write_text("name: region\nteams:\n  - {name: old, specialists: 3}\n" + team_yaml, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: teams.1"), message
    return message


@pytest.mark.parametrize(
    ("team_yaml", "expected"),
    [
        (
            "  - {name: new, opens_at_days: 200, changes: [{at_days: 150, specialists: 2}]}\n",
            "changes.0.at_days: got 150; allowed: at or after opens_at_days = 200",
        ),
        (
            "  - {name: new, opens_at_days: 200, referral_changes: [{at_days: 100, referrals_per_week: 1}]}\n",
            "referral_changes.0.at_days: got 100; allowed: at or after opens_at_days = 200",
        ),
        (
            "  - {name: new, referral_changes: [{at_days: 300, referrals_per_week: 1},"
            " {at_days: 300, referrals_per_week: 2}]}\n",
            "referral_changes.1.at_days: got 300; allowed: after the previous referral change (at 300)",
        ),
        (
            "  - {name: new, referral_changes: [{at_days: 300, referrals_per_week: 1},"
            " {at_days: 250, referrals_per_week: 2}]}\n",
            "referral_changes.1.at_days: got 250; allowed: after the previous referral change",
        ),
        (
            "  - {name: new, referral_changes: [{at_days: 300, referrals_per_week: -0.5}]}\n",
            "teams.1.referral_changes.0.referrals_per_week: got -0.5; Input should be greater than or equal to 0",
        ),
        (
            "  - {name: new, referral_changes: [{at_days: 300}]}\n",
            "teams.1.referral_changes.0.referrals_per_week: required key is missing",
        ),
        (
            "  - {name: new, opens_at_days: -5}\n",
            "teams.1.opens_at_days: got -5",
        ),
        (
            "  - {name: new, opens_at_days: 200, initial_tenure_months: 24}\n",
            "initial_tenure_months: got 24; allowed: 0 or left out for a team that opens later",
        ),
    ],
)
def test_bad_schedules_are_refused_with_file_key_value_and_what_is_allowed(
    tmp_path: Path, team_yaml: str, expected: str
) -> None:
    assert expected in _error(tmp_path, team_yaml)


def test_a_late_team_may_say_it_starts_with_new_hires_and_round_trips() -> None:
    said = _scenario([{"name": "n", "opens_at_days": 30, "initial_tenure_months": 0}], 60.0)
    left_out = _scenario([{"name": "n", "opens_at_days": 30}], 60.0)
    assert said == left_out
    assert scenario_from_dict(left_out.model_dump(mode="json")) == left_out, "dump -> validate round-trips"


# ------------------------------------------------------------------ the region scenarios


def test_regional_expansion_shortens_waits_and_relieves_the_old_teams() -> None:
    """Paired over replications: two new teams and shared referrals give shorter waits,
    lighter caseloads and less stress, and fewer exits to work per FTE (half the referrals
    per specialist), at a higher cost per sustained job."""
    region, expansion = load("region"), load("regional_expansion")
    diffs: dict[str, list[float]] = {}
    for replication in range(6):
        a, _ = run_replication(region, SEED, replication)
        b, _ = run_replication(expansion, SEED, replication)
        for kpi in (
            "wait_days_mean",
            "caseload_mean",
            "stress_mean",
            "exits_to_work_per_fte_year",
            "cost_nok",
        ):
            diffs.setdefault(kpi, []).append(b[kpi] - a[kpi])
    for kpi in ("wait_days_mean", "caseload_mean", "stress_mean", "exits_to_work_per_fte_year"):
        _, _, high = mean_ci(diffs[kpi])
        assert high < 0, f"expansion - region {kpi}: expected lower, CI reaches {high:.3g}"
    _, low, _ = mean_ci(diffs["cost_nok"])
    assert low > 0, "twice the staff for 2.5 of the 3 years costs more"
