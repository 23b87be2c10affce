"""Tests for caseload_sim.metrics: hand-made logs with hand-computed KPIs, a loop-based
reference implementation on random valid logs, and properties of the building blocks."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from caseload_sim.events import (
    Decision,
    EventKind,
    EventLog,
    EventRecorder,
    ExitReason,
    JobType,
    LeaveReason,
    check_transitions,
)
from caseload_sim.metrics import (
    COST_KPI_NAMES,
    COST_PART_NAMES,
    EXIT_SHARE_NAMES,
    KPI_BETTER,
    KPI_NAMES,
    MONTH_DAYS,
    TRIAL_KPI_NAMES,
    WORKFORCE_KPI_NAMES,
    candidate_outcomes,
    caseload_series,
    compute_kpis,
    fte_deltas,
    kaplan_meier,
    kaplan_meier_median,
    post_deltas,
    queue_length_series,
    step_series,
    time_average,
    trend,
    vacancies,
    window,
)

K = EventKind
R = ExitReason
NAN = float("nan")


# ----------------------------------------------------------------------- log builders
def make_log(
    rows: list[tuple],
    *,
    start: float = 0.0,
    end: float = 1000.0,
    fte: tuple[float, ...] = (1.0,),
    spec_start: tuple[float | None, ...] | None = None,
    teams: tuple[int, ...] | None = None,
    staff: list[tuple] | tuple[tuple, ...] = (),
    weeks: list[tuple] | tuple[tuple, ...] = (),
    targets: dict[str, object] | None = None,
    costs: dict[str, float] | None = None,
) -> EventLog:
    """An EventLog from ``(time, kind, candidate[, code[, value[, team]]])`` tuples
    (any order; sorted stably by time, so same-time rows keep their list order).

    One post per ``fte`` entry, in team ``teams[i]`` (default 0); ``spec_start[i]`` is
    the time of post i's first SPECIALIST_START event (default 0; None = no event,
    table only). ``staff`` adds post events ``(time, kind, post[, code[, value]])``
    (a START's value defaults to the post's FTE); they sort before candidate rows at
    equal times. ``weeks`` are WEEK_DTYPE tuples (see :func:`week`).
    """
    rec = EventRecorder()
    team_of = [0] * len(fte) if teams is None else list(teams)
    full = []
    for i, f in enumerate(fte):
        rec.specialists.append((i, team_of[i], f, 15))
        s = 0.0 if spec_start is None else spec_start[i]
        if s is not None:
            full.append((s, K.SPECIALIST_START, -1, 15, f, i, team_of[i]))
    for t, kind, post, *rest in staff:
        code = rest[0] if rest else 0
        value = rest[1] if len(rest) > 1 else (fte[post] if kind == K.SPECIALIST_START else 0.0)
        full.append((t, kind, -1, code, value, post, team_of[post]))
    for r in rows:
        t, kind, cand, *rest = r
        code = rest[0] if rest else 0
        value = rest[1] if len(rest) > 1 else 0.0
        team = rest[2] if len(rest) > 2 else 0
        full.append((t, kind, cand, code, value, 0, team))
    for t, kind, cand, code, value, spec, team in sorted(full, key=lambda r: r[0]):
        rec.append((float(t), int(kind), team, spec, cand, 0, int(code), float(value)))
    rec.weeks.extend(weeks)
    meta: dict[str, object] = {"window_start": start, "window_end": end, "end_time": end}
    if targets is not None:
        meta["targets"] = targets
    if costs is not None:
        meta["costs"] = costs
    return rec.finish(meta)


def intake(c: int, t: float, wait: float = 0.0, team: int = 0) -> list[tuple]:
    """Referral (and queueing if wait > 0) followed by intake at ``t``."""
    rows: list[tuple] = [(t - wait, K.REFERRAL, c, 0, 0.0, team)]
    if wait > 0:
        rows.append((t - wait, K.QUEUED, c, 0, 1.0, team))
    rows.append((t, K.INTAKE, c, 0, wait, team))
    return rows


def week(
    t: float,
    post: int,
    *,
    present: bool = True,
    fte: float = 1.0,
    stress: float = 0.5,
    demand: float = 30.0,
    capacity: float = 30.0,
    visits: float = 0.0,
    outside: float = 0.5,
    team: int = 0,
) -> tuple:
    """One week-table row (WEEK_DTYPE order)."""
    return (t, team, post, present, fte, 10, demand, capacity, stress, visits, outside, 1.0, 0.0)


def job(c: int, t: float, kind: JobType = JobType.FIXED_TERM) -> tuple:
    return (t, K.JOB_START, c, kind)


def job_end(c: int, t: float) -> tuple:
    return (t, K.JOB_END, c, 0)


def leave(c: int, t: float, reason: ExitReason, days: float = 0.0) -> tuple:
    return (t, K.EXIT, c, reason, days)


def nan_equal(a: dict[str, float], b: dict[str, float]) -> None:
    assert list(a) == list(b)
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-12, nan_ok=True), key


# ------------------------------------------------------------------------- interface
def test_kpi_names_are_the_interface() -> None:
    assert KPI_NAMES == (
        "work_12m",
        "permanent_12m",
        "days_to_first_job_median",
        "retention_6m",
        "sustained_jobs_per_year",
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
        "exit_work_permanent_share",
        "exit_work_temporary_share",
        "exit_education_share",
        "exit_health_share",
        "exit_dropout_share",
        "exit_time_limit_share",
        "exit_discharged_share",
        "exits_to_work_per_fte_year",
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
        "turnover_annual",
        "vacancy_fte_months",
        "stress_mean",
        "stress_p90",
        "overload_share",
        "outside_time_share",
        "employer_visits_per_week",
        "team_target_met_share",
        "cost_nok",
        "cost_specialists_nok",
        "cost_supervision_nok",
        "cost_wage_subsidy_nok",
        "cost_mentor_nok",
        "cost_inclusion_grant_nok",
        "cost_per_sustained_job_nok",
    )
    assert tuple(f"exit_{r.label}_share" for r in ExitReason) == EXIT_SHARE_NAMES
    assert KPI_NAMES[-len(COST_KPI_NAMES) :] == COST_KPI_NAMES
    assert (
        KPI_NAMES[-len(COST_KPI_NAMES) - len(WORKFORCE_KPI_NAMES) : -len(COST_KPI_NAMES)]
        == WORKFORCE_KPI_NAMES
    )
    assert set(KPI_BETTER) == set(KPI_NAMES)
    assert all(KPI_BETTER[name] == -1 for name in COST_KPI_NAMES), "less money for the same is better"


def test_empty_log_gives_nan_where_undefined() -> None:
    k = compute_kpis(make_log([]))
    assert list(k) == list(KPI_NAMES)
    assert all(isinstance(v, float) for v in k.values())
    for name in (
        "work_12m",
        "permanent_12m",
        "days_to_first_job_median",
        "retention_6m",
        *TRIAL_KPI_NAMES,
        *EXIT_SHARE_NAMES,
        "wait_days_mean",
        "time_on_caseload_mean",
        "stress_mean",
        "stress_p90",
        "overload_share",
        "outside_time_share",
        "employer_visits_per_week",
        "team_target_met_share",
        *COST_KPI_NAMES,  # a log without prices
    ):
        assert math.isnan(k[name]), name
    for name in (
        "sustained_jobs_per_year",
        "exits_to_work_per_fte_year",
        "queue_mean",
        "caseload_mean",
        "intakes_per_year",
        "referrals_per_year",
        "turnover_annual",  # one post held, nobody left
        "vacancy_fte_months",
    ):
        assert k[name] == 0.0, name


def test_no_staff_and_zero_length_window_give_nan() -> None:
    rows = [*intake(0, 10), leave(0, 20, R.WORK_PERMANENT, 10)]
    k = compute_kpis(make_log(rows, fte=()))
    assert math.isnan(k["exits_to_work_per_fte_year"]) and math.isnan(k["caseload_mean"])
    assert math.isnan(k["turnover_annual"])  # no post held: no rate
    assert k["vacancy_fte_months"] == 0.0  # no post, nothing vacant
    weeks = [week(50, 0, stress=0.3, visits=2)]
    k = compute_kpis(make_log(rows, start=50, end=50, weeks=weeks))
    for name in (
        "exits_to_work_per_fte_year",
        "queue_mean",
        "caseload_mean",
        "intakes_per_year",
        *WORKFORCE_KPI_NAMES,
    ):
        assert math.isnan(k[name]), name


def test_window_from_meta_and_fallbacks() -> None:
    assert window(make_log([], start=5, end=70)) == (5.0, 70.0)
    log = make_log([*intake(0, 42)])
    assert window(EventLog(log.events, log.candidates, log.specialists, {})) == (0.0, 42.0)


# ------------------------------------------------------------------ work_12m cohorts
def test_work_and_permanent_12m_cohort() -> None:
    rows = [
        *intake(0, 10),
        job(0, 20),  # intake before window: out
        *intake(1, 50),
        job(1, 300),
        (420, K.EMPLOYER_DECISION, 1, Decision.HIRE_PERMANENT),  # made permanent after 370 d
        *intake(2, 100),
        job(2, 465, JobType.PERMANENT),  # exactly 365 d: counts
        *intake(3, 150),
        job(3, 516, JobType.PERMANENT),  # 366 d: too late
        *intake(4, 200),
        leave(4, 300, R.DROPOUT, 100),  # never worked
        *intake(5, 685),
        job(5, 700),  # last day of the cohort
        (800, K.EMPLOYER_DECISION, 5, Decision.HIRE_PERMANENT),  # made permanent in 115 d
        *intake(6, 686),
        job(6, 690),  # intake too late: out
        *intake(7, 300),
        job(7, 310),
        job_end(7, 400),
        job(7, 700, JobType.PERMANENT),
    ]
    k = compute_kpis(make_log(rows, start=50, end=1050))
    # cohort: intakes in [50, 685] = candidates 1, 2, 3, 4, 5, 7
    assert k["work_12m"] == pytest.approx(4 / 6)  # 1, 2, 5, 7
    assert k["permanent_12m"] == pytest.approx(2 / 6)  # 2, 5


def test_cohort_kpis_nan_when_window_too_short() -> None:
    rows = [*intake(0, 10), job(0, 20), job_end(0, 60)]
    k = compute_kpis(make_log(rows, start=0, end=150))
    assert math.isnan(k["work_12m"]) and math.isnan(k["permanent_12m"])
    assert math.isnan(k["retention_6m"])  # job at 20 > 150 - 182
    assert k["days_to_first_job_median"] == 10.0


# ---------------------------------------------------------------------- Kaplan-Meier
def test_kaplan_meier_table_by_hand() -> None:
    km = kaplan_meier(np.array([2, 3, 4, 5, 6, 7.0]), np.array([1, 0, 1, 1, 0, 1], bool))
    assert km["time"].tolist() == [2, 4, 5, 7]
    assert km["at_risk"].tolist() == [6, 4, 3, 1]
    assert km["events"].tolist() == [1, 1, 1, 1]
    assert km["survival"].to_numpy() == pytest.approx([5 / 6, 5 / 8, 5 / 12, 0])


def test_kaplan_meier_median_cases() -> None:
    med = kaplan_meier_median
    assert med(np.array([2, 3, 4, 5, 6, 7.0]), np.array([1, 0, 1, 1, 0, 1], bool)) == 5.0
    assert med(np.array([1, 2, 3, 4.0]), np.ones(4, bool)) == 2.5  # flat at 0.5: midpoint
    assert med(np.array([1, 2.0]), np.array([True, False])) == 1.0  # flat at 0.5 to the end
    assert math.isnan(med(np.array([1, 2, 3, 4.0]), np.array([0, 1, 0, 0], bool)))  # S stays 2/3
    assert math.isnan(med(np.array([3.0, 4.0]), np.zeros(2, bool)))
    assert math.isnan(med(np.empty(0), np.empty(0, bool)))
    # a censoring tied with an event stays at risk for it: S(1) = 1 - 1/3, not 1 - 1/2
    assert med(np.array([1, 1, 2.0]), np.array([True, False, True])) == 2.0


@given(st.lists(st.integers(0, 30), min_size=1, max_size=40))
def test_kaplan_meier_median_without_censoring_is_the_median(values: list[int]) -> None:
    d = np.array(values, float)
    assert kaplan_meier_median(d, np.ones(len(d), bool)) == pytest.approx(float(np.median(d)))


def test_days_to_first_job_median_censoring_in_log() -> None:
    rows = [
        *intake(0, 0),
        job(0, 2),  # 2
        *intake(1, 0),
        leave(1, 3, R.HEALTH, 3),  # censored at exit: 3+
        *intake(2, 10),
        job(2, 14),  # 4
        *intake(3, 20),
        job(3, 25),  # 5
        *intake(4, 94),  # censored at window end: 6+
        *intake(5, 30),
        job(5, 37),  # 7
    ]
    assert compute_kpis(make_log(rows, end=100))["days_to_first_job_median"] == 5.0
    # a job after the window end is not seen: censored at 50+, and the median moves to 7
    more = [*rows, *intake(6, 50), job(6, 120), *intake(7, 105), job(7, 106)]
    assert compute_kpis(make_log(more, end=100))["days_to_first_job_median"] == 7.0


# -------------------------------------------------------------------- step functions
def test_time_average_simple() -> None:
    assert time_average(np.empty(0), np.empty(0), 0, 10, initial=3) == 3.0
    assert time_average(np.array([2.0]), np.array([1.0]), 0, 10) == pytest.approx(0.8)
    assert time_average(np.array([-5.0, 20.0]), np.array([2.0, 7.0]), 0, 10) == 2.0
    assert math.isnan(time_average(np.array([1.0]), np.array([1.0]), 5, 5))
    with pytest.raises(ValueError):
        time_average(np.array([1.0, 2.0]), np.array([1.0]), 0, 1)


grid_times = st.lists(st.integers(0, 160), max_size=25)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_time_average_matches_fine_grid(data: st.DataObject) -> None:
    """Breakpoints on a 0.25-day grid, so a midpoint sum over that grid is exact."""
    q = 0.25
    ticks = data.draw(grid_times)
    times = np.array(ticks, float) * q
    deltas = np.array(
        data.draw(st.lists(st.integers(-5, 5), min_size=len(ticks), max_size=len(ticks))), float
    )
    a = data.draw(st.integers(0, 150))
    b = data.draw(st.integers(a + 1, 170))
    initial = data.draw(st.integers(-3, 3))
    mids = (np.arange(a, b) + 0.5) * q
    levels = initial + (deltas[None, :] * (times[None, :] <= mids[:, None])).sum(axis=1)
    assert time_average(times, deltas, a * q, b * q, initial) == pytest.approx(levels.mean(), abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 50), st.floats(-3, 3)), max_size=20), st.floats(0, 40), st.floats(1, 20)
)
def test_time_average_arbitrary_floats_close_to_fine_grid(changes, start, length) -> None:
    times = np.array([c[0] for c in changes])
    deltas = np.array([c[1] for c in changes])
    end = start + length
    n = 20_000
    mids = start + (np.arange(n) + 0.5) * (length / n)
    levels = (
        (deltas[None, :] * (times[None, :] <= mids[:, None])).sum(axis=1) if len(changes) else np.zeros(n)
    )
    bound = np.abs(deltas).sum() / n + 1e-9  # each jump misplaced by at most one cell
    assert abs(time_average(times, deltas, start, end) - levels.mean()) <= bound


def test_step_series_merges_equal_times() -> None:
    s = step_series(np.array([3.0, 1.0, 3.0]), np.array([1.0, 2.0, -1.0]), initial=1.0)
    assert s.index.tolist() == [0.0, 1.0, 3.0] and s.tolist() == [1.0, 3.0, 3.0]


def test_queue_mean_window_starting_mid_queue() -> None:
    rows = [
        *intake(0, 20, wait=20),  # waiting [0, 20)
        (5, K.REFERRAL, 1),
        (5, K.QUEUED, 1, 0, 2.0),  # still waiting at the end
        *intake(2, 12),  # no QUEUED event: never waited, queue unchanged
        *intake(3, 28, wait=3),  # waiting [25, 28)
    ]
    log = make_log(rows, start=10, end=30)
    k = compute_kpis(log)
    # queue: 2 on [10,20), 1 on [20,25), 2 on [25,28), 1 on [28,30] -> 33 / 20
    assert k["queue_mean"] == pytest.approx(33 / 20)
    # candidate 1, still waiting at the end, counts with the 25 days waited so far (it was left out
    # before, which made a growing list look like a short wait)
    assert k["wait_days_mean"] == pytest.approx((20 + 0 + 3 + 25) / 4)
    assert k["intakes_per_year"] == pytest.approx(3 / (20 / 365))
    assert k["referrals_per_year"] == pytest.approx(2 / (20 / 365))  # candidates 2 and 3
    q = queue_length_series(log)
    assert q.index.tolist() == [0, 5, 20, 25, 28] and q.tolist() == [1, 2, 1, 2, 1]


def test_waiting_list_kpis_by_hand() -> None:
    """Unmet demand, reneging, the censored wait, capacity and the queue's trend on a small log."""
    rows = [
        (10, K.REFERRAL, 0),
        (10, K.QUEUED, 0, 0, 1.0),
        (40, K.LEFT_WAITING, 0, 0, 30.0),  # left the list after 30 days
        (20, K.NOT_REFERRED, 1, 0, 1.0),  # withheld by the case worker
        *intake(2, 50, wait=10),  # waiting [40, 50)
        (90, K.REFERRAL, 3),
        (90, K.QUEUED, 3, 0, 1.0),  # still waiting at the end: 10 days so far
        (150, K.NOT_REFERRED, 4, 1, 3.0),  # after the window
        *intake(5, 60),  # taken in at once
        leave(5, 80, R.EDUCATION, 20.0),
    ]
    k = compute_kpis(make_log(rows, start=0, end=100))
    assert k["potential_referrals_per_year"] == pytest.approx(5 / (100 / 365))
    assert k["not_referred_share"] == pytest.approx(1 / 5)
    assert k["renege_share"] == pytest.approx(1 / 4)  # of the four referred in the window
    assert k["unmet_demand_share"] == pytest.approx(2 / 5)
    # intakes 10 and 0, the leaver's 30, the 10 days of the one still waiting
    assert k["wait_days_mean"] == pytest.approx((10 + 0 + 30 + 10) / 4)
    # Kaplan-Meier: 0 (taken in), 10 (taken in), 10 (censored: window end), 30 (censored: left);
    # S = 3/4 after 0, then 3/4 x 2/3 = 1/2 at 10: the median is 10
    assert k["wait_days_km_median"] == pytest.approx(10.0)
    # one post of 15 slots held throughout, mean stay 20 days
    assert k["intake_capacity_per_year"] == pytest.approx(15 * 365 / 20)
    assert k["demand_capacity_ratio"] == pytest.approx((5 * 365 / 100) / (15 * 365 / 20))
    # queue 1 on [10, 50), 0 on [50, 90), 1 on [90, 100]: integral of (t - 50) q(t) is -350
    assert k["queue_mean"] == pytest.approx((40 + 10) / 100)
    assert k["queue_trend_per_year"] == pytest.approx(-350 / (100**3 / 12) * 365)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 100), st.sampled_from([-1.0, 1.0, 2.0])), max_size=20),
    st.integers(0, 50),
    st.integers(1, 60),
)
def test_trend_is_the_least_squares_slope_on_a_fine_grid(
    changes: list[tuple[int, float]], start: int, length: int
) -> None:
    """The exact slope equals a least-squares fit to the step function sampled on a fine grid."""
    times = np.array([float(t) for t, _ in changes])
    deltas = np.array([d for _, d in changes])
    end = start + length
    grid = start + (np.arange(length * 200) + 0.5) / 200  # midpoints: exact for piecewise-constant cells
    level = np.array([deltas[times <= g].sum() for g in grid])
    slope = np.polyfit(grid, level, 1)[0] if len(grid) > 1 else 0.0
    assert trend(times, deltas, float(start), float(end)) == pytest.approx(slope, abs=1e-3)


def test_caseload_mean_and_time_on_caseload() -> None:
    rows = [
        *intake(0, 0),
        leave(0, 150, R.EDUCATION, 150),
        *intake(1, 120),
        *intake(2, 50),
        leave(2, 250, R.DROPOUT, 200),
    ]
    log = make_log(rows, start=100, end=200, fte=(1.0, 1.0))
    k = compute_kpis(log)
    # active: 2 on [100,120), 3 on [120,150), 2 on [150,200] -> 230/100 = 2.3, per 2 FTE
    assert k["caseload_mean"] == pytest.approx(1.15)
    assert k["time_on_caseload_mean"] == 150.0
    assert caseload_series(log).tolist() == [1, 2, 3, 2, 1]


# -------------------------------------------------------------------------- retention
def test_retention_6m() -> None:
    rows = [
        *intake(8, 0),
        job(8, 40),  # first job before window
        *intake(0, 0),
        job(0, 100),
        job_end(0, 200),  # lost after 100 d: no
        *intake(1, 0),
        job(1, 100),
        leave(1, 250, R.WORK_PERMANENT, 250),  # discharged in work: yes
        *intake(2, 0),
        job(2, 100),
        leave(2, 150, R.WORK_TEMPORARY, 150),
        (250, K.POST_EXIT_JOB_END, 2, 0, 100.0),  # lost after exit: no
        *intake(3, 0),
        job(3, 100),
        job_end(3, 150),
        job(3, 200),  # new job in time: yes
        *intake(4, 0),
        job(4, 100),
        leave(4, 200, R.WORK_PERMANENT, 200),
        (282, K.POST_EXIT_JOB_END, 4, 0, 82.0),  # lost on day 182: no
        *intake(5, 0),
        job(5, 100),
        job_end(5, 282.5),  # lost just after: yes
        *intake(6, 800),
        job(6, 900),  # started too late: out
        *intake(7, 0),
        job(7, 100),  # still in the job: yes
        *intake(9, 0),
        job(9, 100),
        leave(9, 150, R.HEALTH, 150),  # impossible, but: no
    ]
    k = compute_kpis(make_log(rows, start=50, end=1000))
    assert k["retention_6m"] == pytest.approx(4 / 8)


def test_candidate_outcomes_table() -> None:
    rows = [
        *intake(3, 5),
        job(3, 9, JobType.ON_CALL),
        job_end(3, 12),
        job(3, 20, JobType.PERMANENT),
        leave(3, 30, R.WORK_PERMANENT, 25),
        (1, K.REFERRAL, 7),
    ]
    df = candidate_outcomes(make_log(rows))
    assert df.index.tolist() == [3, 7]
    row = df.loc[3]
    assert (
        row.intake_time,
        row.first_job_time,
        row.first_job_type,
        row.permanent_time,
        row.exit_time,
        row.exit_reason,
    ) == (5, 9, JobType.ON_CALL, 20, 30, R.WORK_PERMANENT)
    assert bool(df["intake_time"].isna()[7]) and df.loc[7, "exit_reason"] == -1


# --------------------------------------------------------------------- exits and FTE
def _exit_rows() -> list[tuple]:
    reasons = [R.WORK_PERMANENT] * 4 + [R.WORK_TEMPORARY] * 2 + [R.EDUCATION, R.TIME_LIMIT, R.DISCHARGED]
    rows: list[tuple] = []
    for c, reason in enumerate(reasons):
        rows += [*intake(c, 10 + c), leave(c, 100 + c, reason, 90)]
    rows += [*intake(99, 10), leave(99, 800, R.WORK_PERMANENT, 790)]  # after the window
    return rows


def test_exit_shares_and_exits_per_fte_year() -> None:
    k = compute_kpis(make_log(_exit_rows(), start=0, end=730, fte=(1.0, 0.5)))
    assert [k[n] for n in EXIT_SHARE_NAMES] == pytest.approx([4 / 9, 2 / 9, 1 / 9, 0, 0, 1 / 9, 1 / 9])
    assert k["exits_to_work_per_fte_year"] == pytest.approx(
        6 / 3.0
    )  # 1.5 FTE x 2 years (discharged: not work)


def test_exits_per_fte_year_weights_fte_by_time_present() -> None:
    log = make_log(_exit_rows(), start=0, end=730, fte=(1.0, 0.5), spec_start=(0.0, 365.0))
    assert compute_kpis(log)["exits_to_work_per_fte_year"] == pytest.approx(6 / 2.5)
    # a specialist in the table without a start event is present from time 0
    log = make_log(_exit_rows(), start=0, end=730, fte=(1.0, 0.5), spec_start=(None, 365.0))
    assert compute_kpis(log)["exits_to_work_per_fte_year"] == pytest.approx(6 / 2.5)
    t, d = fte_deltas(log)
    assert sorted(zip(t.tolist(), d.tolist(), strict=True)) == [(0.0, 1.0), (365.0, 0.5)]


# ------------------------------------------------------------------ workforce KPIs
Q = int(LeaveReason.QUIT)
M = MONTH_DAYS  # 365 / 12


def test_post_vacant_two_months_then_refilled() -> None:
    rows = [*intake(0, 0), *intake(1, 5), leave(1, 50, R.WORK_PERMANENT, 45), *intake(2, 60)]
    rows += [leave(2, 300, R.WORK_TEMPORARY, 240)]
    staff = [(100, K.SPECIALIST_LEAVE, 1, Q, 100.0), (100 + 2 * M, K.SPECIALIST_START, 1)]
    log = make_log(rows, start=0, end=365, fte=(1.0, 1.0), staff=staff)
    k = compute_kpis(log)
    # staffed FTE and posts held: 2 except 1 during the two months -> 2 - 1/6 = 11/6
    assert k["vacancy_fte_months"] == pytest.approx(2.0)
    assert k["turnover_annual"] == pytest.approx(1 / (11 / 6))
    assert k["exits_to_work_per_fte_year"] == pytest.approx(2 / (11 / 6))
    # active: 1 on [0,5), 2 on [5,50), 1 on [50,60), 2 on [60,300), 1 on [300,365] -> 650 / 365
    assert k["caseload_mean"] == pytest.approx(650 / 365 / (11 / 6))
    v = vacancies(log)
    assert v.to_dict("records") == [{"post": 1, "team": 0, "start": 100.0, "end": 100 + 2 * M, "fte": 1.0}]
    t, d = fte_deltas(log)
    assert sorted(zip(t.tolist(), d.tolist(), strict=True)) == [
        (0.0, 1.0),
        (0.0, 1.0),
        (100.0, -1.0),
        (100 + 2 * M, 1.0),
    ]
    t, d = post_deltas(log)
    assert sorted(d.tolist()) == [-1.0, 1.0, 1.0, 1.0]


def test_vacancy_before_the_window_and_never_refilled() -> None:
    # a half-time post empty all year counts 6 FTE-months; a quit before the window is not turnover
    staff = [(200, K.SPECIALIST_LEAVE, 1, Q, 200.0)]
    k = compute_kpis(make_log([], start=365, end=730, fte=(1.0, 0.5), staff=staff))
    assert k["vacancy_fte_months"] == pytest.approx(6.0)
    assert k["turnover_annual"] == 0.0
    # the FTE taken away is the one the holder's start brought, not the table's
    staff = [(0, K.SPECIALIST_START, 1, 15, 0.8), (500, K.SPECIALIST_LEAVE, 1, Q, 500.0)]
    log = make_log([], start=365, end=730, fte=(1.0, 0.5), spec_start=(0.0, None), staff=staff)
    assert compute_kpis(log)["vacancy_fte_months"] == pytest.approx(0.8 * (230 / M) / 1)
    assert time_average(*fte_deltas(log), 365, 730) == pytest.approx(1 + 0.8 * 135 / 365)


def test_post_without_a_start_before_its_first_leave_is_held_from_zero() -> None:
    staff = [(100, K.SPECIALIST_LEAVE, 0, Q, 100.0), (150, K.SPECIALIST_START, 0)]
    log = make_log([], start=0, end=365, fte=(1.0,), spec_start=(None,), staff=staff)
    k = compute_kpis(log)
    assert time_average(*fte_deltas(log), 0, 365) == pytest.approx(315 / 365)
    assert k["turnover_annual"] == pytest.approx(1 / (315 / 365))
    assert k["vacancy_fte_months"] == pytest.approx(50 / M)


def test_post_closed_at_a_leave_is_not_a_vacancy() -> None:
    leave_ = (73, K.SPECIALIST_LEAVE, 1, Q, 73.0)
    closed = (73, K.POST_CLOSED, 1)
    for staff in ([leave_, closed], [closed, leave_], [leave_, (200, K.POST_CLOSED, 1)]):
        log = make_log([], start=0, end=365, fte=(1.0, 1.0), staff=staff)
        k = compute_kpis(log)
        assert k["vacancy_fte_months"] == 0.0, staff
        assert len(vacancies(log)) == 0
        assert k["turnover_annual"] == pytest.approx(1 / 1.2)  # held: 1 + 73/365 = 1.2
        assert time_average(*fte_deltas(log), 0, 365) == pytest.approx(1.2)
    # refilled, then cut at the second leaving: only the first gap is a vacancy
    staff = [
        leave_,
        (73 + M, K.SPECIALIST_START, 1),
        (200, K.SPECIALIST_LEAVE, 1, Q, 200 - 73 - M),
        (200, K.POST_CLOSED, 1),
    ]
    k = compute_kpis(make_log([], start=0, end=365, fte=(1.0, 1.0), staff=staff))
    assert k["vacancy_fte_months"] == pytest.approx(1.0)
    held = 1 + (73 + 200 - 73 - M) / 365
    assert k["turnover_annual"] == pytest.approx(2 / held)


def test_leave_for_another_reason_is_a_vacancy_but_not_turnover() -> None:
    staff = [(0, K.SPECIALIST_LEAVE, 0, Q + 1, 0.0)]
    k = compute_kpis(make_log([], start=0, end=365, fte=(1.0, 1.0), staff=staff))
    assert k["turnover_annual"] == 0.0
    assert k["vacancy_fte_months"] == pytest.approx(12.0)


def test_expansion_post_mid_window_weights_fte_and_headcount() -> None:
    rows: list[tuple] = []
    for c in range(3):
        rows += intake(c, 0)
    for c in range(3, 7):
        rows += [*intake(c, 10), leave(c, 20 + c, R.WORK_PERMANENT, 10 + c)]
    staff = [(365 * 0.75, K.SPECIALIST_LEAVE, 0, Q, 273.75)]
    log = make_log(
        rows,
        start=0,
        end=365,
        fte=(1.0, 1.0, 0.5),
        spec_start=(0.0, 0.0, 182.5),  # post 2: an expansion, half-way through
        teams=(0, 0, 1),
        staff=staff,
    )
    k = compute_kpis(log)
    # FTE: 2 + 0.5 x 1/2 - 1 x 1/4 = 2.0; posts held: 2 + 1/2 - 1/4 = 2.25
    assert k["exits_to_work_per_fte_year"] == pytest.approx(4 / 2.0)
    # active: 3 all year, 4 more on [10, 23..26): (3 x 365 + 13 + 14 + 15 + 16) / 365
    assert k["caseload_mean"] == pytest.approx((3 * 365 + 58) / 365 / 2.0)
    assert k["turnover_annual"] == pytest.approx(1 / 2.25)
    assert k["vacancy_fte_months"] == pytest.approx(3.0)  # post 0 empty for the last quarter
    assert time_average(*fte_deltas(log, team=1), 0, 365) == pytest.approx(0.25)
    assert time_average(*post_deltas(log, team=0), 0, 365) == pytest.approx(1.75)


def _week_rows() -> list[tuple]:
    rows = [week(0, 0, stress=1.0, visits=100, demand=99)]  # ends at the window start: out
    for i in range(1, 11):  # post 0, full time, at work every week
        rows.append(week(7 * i, 0, stress=0.1 * i, demand=31 if i in (3, 7) else 30, visits=3, outside=0.6))
    for i in range(1, 6):  # post 1, half time: vacant for five weeks
        rows.append(week(7 * i, 1, present=False, fte=0.5, stress=NAN, demand=15, capacity=0, outside=0))
    # then its new holder is off sick for a week (a holder: stress counts, visits do not)
    rows.append(week(42, 1, present=False, fte=0.5, stress=0.5, demand=20, capacity=0, outside=NAN))
    for i in range(7, 11):
        rows.append(week(7 * i, 1, fte=0.5, stress=0.5, demand=10, capacity=12, visits=1, outside=0.2))
    rows.append(week(77, 0, stress=1.0, visits=50, demand=99))  # after the window
    return rows


def test_week_kpis_by_hand() -> None:
    k = compute_kpis(make_log([], start=0, end=70, fte=(1.0, 0.5), weeks=_week_rows()))
    # stress of the 15 post-weeks with a holder: 0.1..1.0 and five times 0.5
    assert k["stress_mean"] == pytest.approx((5.5 + 2.5) / 15)
    # sorted: 0.1 .. 0.5 x6 .. 0.6 0.7 0.8 0.9 1.0; position 0.9 x 14 = 12.6 -> 0.8 + 0.6 x 0.1
    assert k["stress_p90"] == pytest.approx(0.86)
    # weeks 3 and 7 of post 0 among the 14 weeks at work (the sick week does not count: its
    # holder was not there to be overloaded)
    assert k["overload_share"] == pytest.approx(2 / 14)
    assert k["outside_time_share"] == pytest.approx((10 * 0.6 + 4 * 0.2) / 14)
    # 3 visits a full-time week; 1 visit in a half-time week = 2 per full-time week
    assert k["employer_visits_per_week"] == pytest.approx((10 * 3 + 4 * 2) / 14)


def test_stress_p90_matches_numpy_percentile_without_holders_nan() -> None:
    weeks = [week(7 * (i + 1), 0, stress=s) for i, s in enumerate([0.2, 0.9, 0.4, 0.4])]
    weeks.append(week(35, 0, stress=NAN, present=False))
    k = compute_kpis(make_log([], start=0, end=35, weeks=weeks))
    assert k["stress_p90"] == pytest.approx(0.4 + 0.7 * 0.5)  # position 2.7 of [.2 .4 .4 .9]
    assert k["stress_mean"] == pytest.approx(1.9 / 4)
    # only vacant weeks: stress and overload undefined, and nobody was at work
    weeks = [week(7, 0, stress=NAN, present=False, demand=10, capacity=0)]
    k = compute_kpis(make_log([], start=0, end=35, weeks=weeks))
    for name in (
        "stress_mean",
        "stress_p90",
        "overload_share",
        "outside_time_share",
        "employer_visits_per_week",
    ):
        assert math.isnan(k[name]), name


def test_old_log_without_week_table() -> None:
    log = make_log([*intake(0, 10)], start=0, end=100, weeks=[week(7, 0)])
    old = EventLog(log.events, log.candidates, log.specialists, dict(log.meta))  # no weeks
    k = compute_kpis(old)
    for name in (
        "stress_mean",
        "stress_p90",
        "overload_share",
        "outside_time_share",
        "employer_visits_per_week",
    ):
        assert math.isnan(k[name]), name
    assert k["turnover_annual"] == 0.0 and k["vacancy_fte_months"] == 0.0
    assert not math.isnan(compute_kpis(log)["stress_mean"])


def _team_year_rows() -> list[tuple]:
    """Window [10, 1105]: years [10, 375) and [375, 740) are scored, [740, 1105) is not."""
    rows: list[tuple] = []
    c = 0

    def person(t: float, team: int, job_after: float | None) -> None:
        nonlocal c
        rows.extend(intake(c, t, team=team))
        if job_after is not None:
            rows.append((t + job_after, K.JOB_START, c, JobType.FIXED_TERM, 0.0, team))
        c += 1

    person(5, 1, 10)  # before the window: out (would make team 1's year 0 a success)
    # team 0, year 0: 2 of 3 (incl. a job on day 365 exactly) -> 0.667, meets 0.65
    person(10, 0, 365)
    person(110, 0, 30)
    person(210, 0, None)
    # team 1, year 0: 1 of 2 -> 0.5, misses
    person(60, 1, 100)
    person(374.5, 1, 366)  # job too late
    # team 0, year 1 (the intake at 375 opens it): 13 of 20 = 0.65 exactly, meets
    for i in range(20):
        person(375 + i, 0, 30 if i < 13 else None)
    # team 1 has no intake in year 1: not scored. Year 2 is not scored.
    person(800, 1, 20)
    return rows


def test_team_target_met_share() -> None:
    rows = _team_year_rows()
    k = compute_kpis(make_log(rows, start=10, end=1105, targets={"work_within_year": 0.65}))
    assert k["team_target_met_share"] == pytest.approx(2 / 3)
    # default target when meta has none is 0.65 too
    assert compute_kpis(make_log(rows, start=10, end=1105))["team_target_met_share"] == pytest.approx(2 / 3)
    high = compute_kpis(make_log(rows, start=10, end=1105, targets={"work_within_year": 0.7}))
    assert high["team_target_met_share"] == 0.0
    low = compute_kpis(make_log(rows, start=10, end=1105, targets={"work_within_year": 0.5}))
    assert low["team_target_met_share"] == 1.0
    # a window of exactly two years scores one year; one day shorter scores none
    assert compute_kpis(make_log(rows, start=10, end=740))["team_target_met_share"] == pytest.approx(0.5)
    assert math.isnan(compute_kpis(make_log(rows, start=10, end=739))["team_target_met_share"])
    # scored years without intakes: NaN
    assert math.isnan(compute_kpis(make_log([], start=0, end=1000))["team_target_met_share"])


# ------------------------------------------- random valid logs vs a loop-based reference
def random_log(seed: int, n_cand: int = 40) -> EventLog:
    """A random log that obeys the state machine; integer times to provoke ties."""
    rng = np.random.default_rng(seed)
    horizon = 1200
    start = float(rng.integers(0, 300))
    end = float(rng.integers(500, horizon + 1))
    rows: list[tuple] = []
    for c in range(n_cand):
        t = float(rng.integers(0, horizon))
        if rng.random() < 0.1:  # a potential referral never made
            rows.append((t, K.NOT_REFERRED, c, int(rng.integers(0, 2)), float(rng.integers(0, 9))))
            continue
        rows.append((t, K.REFERRAL, c))
        if rng.random() < 0.4:  # in some work at referral; its end logged in advance, wherever it lands
            rows.append((t, K.PRIOR_WORK, c))
            if (t_end := t + float(rng.integers(0, 600))) <= horizon:
                rows.append((t_end, K.PRIOR_WORK_END, c, 0, t_end - t))
        wait = 0.0
        if rng.random() < 0.5:
            rows.append((t, K.QUEUED, c, 0, 1.0))
            wait = float(rng.integers(0, 150))
        t_in = t + wait
        if t_in > horizon:
            continue
        if wait > 0 and rng.random() < 0.25:  # left the list for other measures instead
            rows.append((t_in, K.LEFT_WAITING, c, 0, wait))
            continue
        rows.append((t_in, K.INTAKE, c, 0, wait))
        t, employed = t_in, False
        while True:
            t += float(rng.integers(0, 200))
            if t > horizon:
                break
            u = rng.random()
            if not employed:
                if u < 0.45:
                    rows.append((t, K.JOB_START, c, int(rng.integers(0, 3)), 0.5))
                    employed = True
                elif u < 0.6:
                    reason = int(rng.integers(2, 7))
                    rows.append((t, K.EXIT, c, reason, t - t_in))
                    back = reason in (R.TIME_LIMIT, R.DISCHARGED) and rng.random() < 0.5  # usual services
                    if back and (t2 := t + float(rng.integers(0, 300))) <= horizon:
                        rows.append((t2, K.POST_EXIT_JOB_START, c, 2, t2 - t))
                        if (t3 := t2 + float(rng.integers(0, 200))) <= horizon:
                            rows.append((t3, K.POST_EXIT_JOB_END, c, 0, t3 - t2))
                    break
                else:
                    rows.append((t, K.JOB_TASTING, c))
            elif u < 0.3:
                rows.append((t, K.JOB_END, c, int(rng.integers(0, 4))))
                employed = False
            elif u < 0.35:
                rows.append((t, K.MENTOR_START, c, int(rng.integers(0, 2)), float(rng.choice([4.0, 6.0]))))
            elif u < 0.4:
                rows.append((t, K.MENTOR_END, c, int(rng.integers(0, 2)), 30.0))
            elif u < 0.45:
                rows.append((t, K.EMPLOYER_DECISION, c, int(rng.integers(0, 3))))
            elif u < 0.75:
                reason = int(rng.integers(0, 2)) if rng.random() < 0.9 else int(R.HEALTH)
                rows.append((t, K.EXIT, c, reason, t - t_in))
                if (
                    reason in (0, 1)
                    and rng.random() < 0.5
                    and (t2 := t + float(rng.integers(0, 300))) <= horizon
                ):
                    if rng.random() < 0.5:
                        rows.append((t + (t2 - t) / 2, K.SUBSIDY_CHANGE, c, 0, 0.2))
                    if rng.random() < 0.3:
                        rows.append((t + (t2 - t) / 3, K.MENTOR_END, c, 0, 10.0))
                    rows.append((t2, K.POST_EXIT_JOB_END, c, 0, t2 - t))
                    if rng.random() < 0.5 and (t3 := t2 + float(rng.integers(0, 200))) <= horizon:
                        rows.append(
                            (t3, K.POST_EXIT_JOB_START, c, 1, t3 - t)
                        )  # found again, after the service
                        if (t4 := t3 + float(rng.integers(0, 200))) <= horizon:
                            rows.append((t4, K.POST_EXIT_JOB_END, c, 0, t4 - t3))
                elif rng.random() < 0.3 and (t2 := t + float(rng.integers(0, 300))) <= horizon:
                    rows.append((t2, K.SUBSIDY_CHANGE, c, 1, 0.0))
                break
            else:
                rows.append((t, K.SUBSIDY_CHANGE, c, 0, 0.3))
    # candidates in two teams
    cand_team = rng.integers(0, 2, n_cand)
    rows = [(*r, *((0, 0.0)[len(r) - 3 :]), int(cand_team[r[2]])) for r in rows]
    # posts: held from 0, from a later start (an expansion) or table-only; holders quit
    # (or leave for another reason), posts are refilled, left empty or cut
    n_spec = int(rng.integers(1, 4))
    fte = tuple(float(rng.choice([0.5, 1.0])) for _ in range(n_spec))
    teams = tuple(int(rng.integers(0, 2)) for _ in range(n_spec))
    spec_start: list[float | None] = []
    staff: list[tuple] = []
    for i in range(n_spec):
        u = rng.random()
        s0 = 0.0 if u < 0.5 else (None if u < 0.6 else float(rng.integers(0, 800)))
        spec_start.append(s0)
        t = s0 or 0.0
        while (t := t + float(rng.integers(0, 400))) <= horizon:
            lv = (t, K.SPECIALIST_LEAVE, i, Q if rng.random() < 0.85 else Q + 1, 0.0)
            u = rng.random()
            if u < 0.2:  # cut: closed at the leaving (logged either side) or after a wind-down
                later = float(rng.integers(0, 100)) if rng.random() < 0.3 else 0.0
                cl = (t + later, K.POST_CLOSED, i)
                staff += [cl, lv] if later == 0 and rng.random() < 0.5 else [lv, cl]
                break
            staff.append(lv)
            if u < 0.35 or (t := t + float(rng.integers(0, 100))) > horizon:
                break  # never refilled
            staff.append((t, K.SPECIALIST_START, i, 15, fte[i] if rng.random() < 0.8 else 0.8))
    weeks = []
    for i in range(n_spec):
        for t in range(7, horizon + 1, 7):
            if rng.random() < 0.3:
                continue
            held = rng.random() < 0.85
            weeks.append(
                week(
                    float(t),
                    i,
                    present=held and rng.random() < 0.9,
                    fte=fte[i],
                    stress=float(rng.choice([0.0, 0.25, 0.5, 0.75, 1.0])) if held else NAN,
                    demand=float(rng.integers(0, 5)),
                    capacity=float(rng.integers(0, 5)),
                    visits=float(rng.integers(0, 4)),
                    outside=float(rng.random()) if rng.random() < 0.95 else NAN,
                    team=teams[i],
                )
            )
    targets = None if rng.random() < 0.3 else {"work_within_year": float(rng.choice([0.3, 0.5, 0.65]))}
    costs = None if rng.random() < 0.2 else {k: float(rng.choice([0.0, 1.0, 3.0, 700.0])) for k in PRICE_KEYS}
    return make_log(
        rows,
        start=start,
        end=end,
        fte=fte,
        spec_start=tuple(spec_start),
        teams=teams,
        staff=staff,
        weeks=weeks,
        targets=targets,
        costs=costs,
    )


PRICE_KEYS = (
    "specialist_cost_per_fte_year",
    "supervision_cost_per_hour",
    "supervision_hours_per_week",
    "job_wage_per_year",
    "job_fte_share",
    "mentor_cost_per_hour",
    "mentor_training_cost",
    "inclusion_grant_prob",
    "inclusion_grant_mean",
)


def reference_jobs(events: list[tuple[float, int, int, float]]) -> list[tuple[float, float]]:
    """One candidate's paid jobs ``(start, end)`` (end inf: still held), replayed row by row."""
    jobs: list[tuple[float, float]] = []
    since: float | None = None  # start of the job held, if any
    discharged = False
    for t, k, code, _ in events:
        if k == K.JOB_START:
            if since is not None:
                jobs.append((since, t))
            since = t
        elif k == K.JOB_END and not discharged and since is not None:
            jobs.append((since, t))
            since = None
        elif k == K.EXIT:
            discharged = True
            if code in (R.WORK_PERMANENT, R.WORK_TEMPORARY):
                since = t if since is None else since
            elif since is not None:
                jobs.append((since, t))
                since = None
        elif k == K.POST_EXIT_JOB_START and discharged and since is None:
            since = t
        elif k == K.POST_EXIT_JOB_END and discharged and since is not None:
            jobs.append((since, t))
            since = None
    if since is not None:
        jobs.append((since, math.inf))
    return jobs


def reference_prior(events: list[tuple[float, int, int, float]], jobs: list[tuple[float, float]]) -> list:
    """One candidate's work held at referral ``[(start, end)]`` (or ``[]``): from PRIOR_WORK
    to PRIOR_WORK_END or the first job found, whichever comes first."""
    starts = [t for t, k, _, _ in events if k == K.PRIOR_WORK]
    if not starts:
        return []
    end = min((t for t, k, _, _ in events if k == K.PRIOR_WORK_END), default=math.inf)
    found = min((a for a, _ in jobs), default=math.inf)
    return [(starts[0], min(end, found))]


def reference_trial_kpis(
    ev: dict[int, list[tuple[float, int, int, float]]],
    start: float,
    end: float,
    km_median: Callable[[list[tuple[float, bool]]], float],
) -> dict[str, float]:
    """The trial-style KPIs as plain loops over candidates and their jobs."""

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else NAN

    out: dict[str, float] = {}
    jobs = {c: reference_jobs(ev[c]) for c in ev}  # the jobs found
    work = {c: reference_prior(ev[c], jobs[c]) + jobs[c] for c in ev}  # and the work held at referral
    took = {
        c: min(t for t, k, _, _ in ev[c] if k == K.INTAKE)
        for c in ev
        if any(k == K.INTAKE for _, k, _, _ in ev[c])
    }
    for months in (6, 12, 18, 24):
        follow = months * 365 / 12
        out[f"employed_{months}m"] = mean(
            [
                float(any(a <= t0 + follow < b for a, b in work[c]))
                for c, t0 in took.items()
                if start <= t0 <= end - follow
            ]
        )
    cohort = [c for c, t0 in took.items() if start <= t0 <= end - 730]
    first, found = {}, {}
    for c in cohort:
        t0 = took[c]
        times = [max(a, t0) for a, b in work[c] if a >= t0 or b > t0]
        first[c] = min(times) - t0 if times else math.inf
        times = [max(a, t0) for a, b in jobs[c] if a >= t0 or b > t0]
        found[c] = min(times) - t0 if times else math.inf
    out["ever_worked_24m"] = mean([float(first[c] <= 730) for c in cohort])
    out["never_worked_24m"] = mean([float(first[c] > 730) for c in cohort])
    out["months_worked_24m"] = mean(
        [
            sum(max(0.0, min(b, took[c] + 730) - max(a, took[c])) for a, b in work[c]) / (365 / 12)
            for c in cohort
        ]
    )
    out["days_to_first_job_mean"] = mean([found[c] for c in cohort if found[c] <= 730])
    data = [(min(b, end) - a, b <= end) for c in ev for a, b in jobs[c][:1] if start <= a <= end]
    out["first_job_days_median"] = km_median(data)
    starts = {c: jobs[c][0][0] for c in ev if jobs[c] and start <= jobs[c][0][0] <= end - 730}
    out["first_job_months_24m"] = mean(
        [(min(jobs[c][0][1], f + 730) - f) / (365 / 12) for c, f in starts.items()]
    )
    out["months_worked_from_first_job_24m"] = mean(
        [
            sum(max(0.0, min(b, f + 730) - max(a, f)) for a, b in work[c]) / (365 / 12)
            for c, f in starts.items()
        ]
    )
    return out


def reference_kpis(log: EventLog) -> dict[str, float]:
    """The KPI definitions, written as plain loops over candidates."""
    start, end = log.meta["window_start"], log.meta["window_end"]
    years = (end - start) / 365
    ev: dict[int, list[tuple[float, int, int, float]]] = defaultdict(list)
    for r in log.events:
        if r["candidate"] >= 0:
            ev[int(r["candidate"])].append(
                (float(r["time"]), int(r["kind"]), int(r["code"]), float(r["value"]))
            )

    def first(c: int, pred) -> float:
        return min((t for t, k, code, _ in ev[c] if pred(k, code)), default=math.inf)

    def integrate(changes: list[tuple[float, float]]) -> float:
        level, prev, total = 0.0, start, 0.0
        for t, d in sorted(changes, key=lambda x: x[0]):
            if t <= start:
                level += d
                continue
            if t >= end:
                break
            total += level * (t - prev)
            prev, level = t, level + d
        return (total + level * (end - prev)) / (end - start)

    def km_median(data: list[tuple[float, bool]]) -> float:
        curve, s = [], 1.0
        for t in sorted({d for d, o in data if o}):
            n = sum(1 for d, _ in data if d >= t)
            s *= 1 - sum(1 for d, o in data if o and d == t) / n
            curve.append((t, s))
        for i, (t, s) in enumerate(curve):
            if abs(s - 0.5) < 1e-9:
                return (t + curve[i + 1][0]) / 2 if i + 1 < len(curve) else t
            if s < 0.5:
                return t
        return NAN

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else NAN

    intakes = {c: (t, v) for c in ev for t, k, _, v in ev[c] if k == K.INTAKE}
    job_first = {c: first(c, lambda k, code: k == K.JOB_START) for c in ev}
    perm_first = {
        c: first(
            c,
            lambda k, code: (
                (k == K.JOB_START and code == JobType.PERMANENT)
                or (k == K.EMPLOYER_DECISION and code == Decision.HIRE_PERMANENT)
            ),
        )
        for c in ev
    }
    exit_time = {c: first(c, lambda k, code: k == K.EXIT) for c in ev}
    out: dict[str, float] = {}
    cohort = [c for c, (t, _) in intakes.items() if start <= t <= end - 365]
    out["work_12m"] = mean([float(job_first[c] - intakes[c][0] <= 365) for c in cohort])
    out["permanent_12m"] = mean([float(perm_first[c] - intakes[c][0] <= 365) for c in cohort])
    data = []
    for c, (t0, _) in intakes.items():
        if start <= t0 <= end:
            cens = min(exit_time[c], end)
            data.append((job_first[c] - t0, True) if job_first[c] <= cens else (cens - t0, False))
    out["days_to_first_job_median"] = km_median(data)
    retained = []
    for c in ev:
        if start <= job_first[c] <= end - 182:
            status = False
            for t, k, code, _ in ev[c]:
                if t > job_first[c] + 182:
                    break
                if k == K.JOB_START:
                    status = True
                elif k in (K.JOB_END, K.POST_EXIT_JOB_END):
                    status = False
                elif k == K.EXIT:
                    status = code in (0, 1)
            retained.append(float(status))
    out["retention_6m"] = mean(retained)
    exits = [(code, v) for c in ev for t, k, code, v in ev[c] if k == K.EXIT and start <= t <= end]
    for reason, name in zip(ExitReason, EXIT_SHARE_NAMES, strict=True):
        out[name] = mean([float(code == reason) for code, _ in exits])

    out.update(reference_trial_kpis(ev, start, end, km_median))

    def overlap(a: float, b: float) -> float:
        return max(0.0, min(b, end) - max(a, start))

    # each post's history: held intervals (begin, end, FTE), vacancies, quits
    held: list[tuple[float, float, float]] = []
    held_slots: list[tuple[float, float, float]] = []
    vacant: list[tuple[float, float, float]] = []
    quits = 0
    staffing = (K.SPECIALIST_START, K.SPECIALIST_LEAVE, K.POST_CLOSED)
    for s in log.specialists:
        hist = [
            (float(r["time"]), int(r["kind"]), int(r["code"]), float(r["value"]), i)
            for i, r in enumerate(log.events)
            if r["specialist"] == s["specialist"] and r["kind"] in staffing
        ]
        hist.sort(key=lambda h: (h[0], h[1] == K.POST_CLOSED, h[4]))  # a closure after its leaving
        first = next((h[1] for h in hist if h[1] != K.POST_CLOSED), None)
        since: float | None = None if first == K.SPECIALIST_START else 0.0  # held from 0 if no start first
        fte, gap = float(s["fte"]), None
        for t, kind, code, value, _ in hist:
            if kind == K.SPECIALIST_START:
                if gap is not None:
                    vacant.append((gap, t, fte))
                since, fte, gap = t, value, None
            elif kind == K.SPECIALIST_LEAVE:
                assert since is not None
                held.append((since, t, fte))
                held_slots.append((since, t, float(s["slots"])))
                since, gap = None, t
                quits += code == LeaveReason.QUIT and start <= t <= end
            else:
                gap = None  # a cut post is not vacant
        if since is not None:
            held.append((since, math.inf, fte))
            held_slots.append((since, math.inf, float(s["slots"])))
        if gap is not None:
            vacant.append((gap, math.inf, fte))
    fte_years = sum(f * overlap(a, b) for a, b, f in held) / 365
    post_years = sum(overlap(a, b) for a, b, _ in held) / 365
    out["turnover_annual"] = quits / post_years if post_years > 0 else NAN
    out["vacancy_fte_months"] = sum(f * overlap(a, b) for a, b, f in vacant) / (365 / 12) / years

    # the weeks ending in the window
    wk = [w for w in log.weeks if start < w["time"] <= end]
    with_holder = [w for w in wk if not math.isnan(w["stress"])]
    stress = sorted(float(w["stress"]) for w in with_holder)
    out["stress_mean"] = mean(stress)
    if stress:
        pos = 0.9 * (len(stress) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(stress) - 1)
        out["stress_p90"] = stress[lo] + (pos - lo) * (stress[hi] - stress[lo])
    else:
        out["stress_p90"] = NAN
    at_work = [w for w in wk if w["present"]]
    out["overload_share"] = mean([float(w["demand"] > w["capacity"]) for w in at_work])
    out["outside_time_share"] = mean(
        [float(w["outside_share"]) for w in at_work if not math.isnan(w["outside_share"])]
    )
    out["employer_visits_per_week"] = mean(
        [float(w["employer_visits"] / w["fte"]) for w in at_work if w["fte"] > 0]
    )

    # team-years
    target = (log.meta.get("targets") or {}).get("work_within_year", 0.65)
    team_of = {int(r["candidate"]): int(r["team"]) for r in log.events if r["kind"] == K.INTAKE}
    met = []
    y = 0
    while start + 365 * (y + 2) <= end:
        for team in sorted(set(team_of.values())):
            cs = [
                c
                for c, (t, _) in intakes.items()
                if team_of[c] == team and start + 365 * y <= t < start + 365 * (y + 1)
            ]
            if cs:
                share = sum(job_first[c] - intakes[c][0] <= 365 for c in cs) / len(cs)
                met.append(float(share >= target - 1e-12))
        y += 1
    out["team_target_met_share"] = mean(met)

    work_exits = sum(1 for code, _ in exits if code in (0, 1))
    out["exits_to_work_per_fte_year"] = work_exits / fte_years if fte_years > 0 else NAN
    queue = []
    left = {c: t for c in ev for t, k, _, _ in ev[c] if k == K.LEFT_WAITING}
    for c in ev:
        q = [t for t, k, _, _ in ev[c] if k == K.QUEUED]
        if q:
            queue.append((q[0], 1.0))
            if c in intakes:
                queue.append((intakes[c][0], -1.0))
            if c in left:
                queue.append((left[c], -1.0))
    out["queue_mean"] = integrate(queue)
    # the least-squares slope of the queue over the window, by integrating piecewise
    level, prev, num, mid = 0.0, start, 0.0, (start + end) / 2
    for t, d in sorted(queue, key=lambda x: x[0]) + [(end, 0.0)]:
        t = min(max(t, start), end)
        num += level * ((t - mid) ** 2 - (prev - mid) ** 2) / 2
        prev, level = t, level + d
    out["queue_trend_per_year"] = num / ((end - start) ** 3 / 12) * 365
    # waits: every wait that ends in the window, and those still running at its end
    referred = {c: t for c in ev for t, k, _, _ in ev[c] if k == K.REFERRAL}
    waits = [v for t, v in intakes.values() if start <= t <= end]
    waits += [v for c in left for t, k, _, v in ev[c] if k == K.LEFT_WAITING and start <= t <= end]
    waits += [
        end - t
        for c, t in referred.items()
        if t <= end and intakes.get(c, (math.inf, 0))[0] > end and left.get(c, math.inf) > end
    ]
    out["wait_days_mean"] = mean(waits)
    cohort_r = [c for c, t in referred.items() if start <= t <= end]
    km = []
    for c in cohort_r:
        t_in = intakes.get(c, (math.inf, 0))[0]
        km.append(
            (t_in - referred[c], True)
            if t_in <= end
            else (min(left.get(c, math.inf), end) - referred[c], False)
        )
    out["wait_days_km_median"] = km_median(km)
    not_referred = sum(1 for c in ev for t, k, _, _ in ev[c] if k == K.NOT_REFERRED and start <= t <= end)
    gone = sum(1 for c in cohort_r if left.get(c, math.inf) <= end)
    potential = len(cohort_r) + not_referred
    out["potential_referrals_per_year"] = potential / years
    out["not_referred_share"] = not_referred / potential if potential else NAN
    out["renege_share"] = gone / len(cohort_r) if cohort_r else NAN
    out["unmet_demand_share"] = (not_referred + gone) / potential if potential else NAN
    active = [(t, 1.0) for t, _ in intakes.values()] + [(t, -1.0) for t in exit_time.values() if t < math.inf]
    fte_mean = fte_years * 365 / (end - start)
    out["caseload_mean"] = integrate(active) / fte_mean if fte_mean > 0 else NAN
    out["intakes_per_year"] = sum(1 for t, _ in intakes.values() if start <= t <= end) / years
    out["referrals_per_year"] = (
        sum(1 for c in ev for t, k, _, _ in ev[c] if k == K.REFERRAL and start <= t <= end) / years
    )
    out["time_on_caseload_mean"] = mean([v for _, v in exits])
    slots_mean = sum(n * overlap(a, b) for a, b, n in held_slots) / (end - start)
    stay = out["time_on_caseload_mean"]
    out["intake_capacity_per_year"] = slots_mean * 365 / stay if stay > 0 else NAN
    capacity = out["intake_capacity_per_year"]
    out["demand_capacity_ratio"] = out["potential_referrals_per_year"] / capacity if capacity > 0 else NAN

    # sustained first jobs, and costs over the same span
    cohort_end = end - 365
    sustained = 0.0
    for c in ev:
        if start <= job_first[c] <= cohort_end:
            status = False
            for t, k, code, _ in ev[c]:
                if t > job_first[c] + 365:
                    break
                if k == K.JOB_START:
                    status = True
                elif k in (K.JOB_END, K.POST_EXIT_JOB_END):
                    status = False
                elif k == K.EXIT:
                    status = code in (0, 1)
            sustained += status
    out["sustained_jobs_per_year"] = sustained / ((cohort_end - start) / 365) if cohort_end > start else NAN
    prices = log.meta.get("costs")

    def costs(a: float, b: float) -> dict[str, float]:
        assert prices is not None
        if b <= a:
            return dict.fromkeys(COST_PART_NAMES, 0.0)
        fte_days = sum(f * max(0.0, min(hb, b) - max(ha, a)) for ha, hb, f in held)
        post_days = sum(max(0.0, min(hb, b) - max(ha, a)) for ha, hb, _ in held)
        rate_days = mentor_days = 0.0
        trained = starts = 0
        for c in ev:
            rate = hours = 0.0
            since = -math.inf
            for t, k, code, v in ev[c]:  # in log order = time order
                span = max(0.0, min(t, b) - max(since, a))
                rate_days += rate * span
                mentor_days += hours * span
                since = t
                if k == K.JOB_START:
                    rate, hours = v, 0.0
                    starts += a <= t <= b
                elif k == K.SUBSIDY_CHANGE:
                    rate = v
                elif k == K.MENTOR_START:
                    hours = v
                    trained += code == 1 and a <= t <= b
                elif k == K.MENTOR_END:
                    hours = 0.0
                elif k in (K.JOB_END, K.POST_EXIT_JOB_END) or (k == K.EXIT and code not in (0, 1)):
                    rate = hours = 0.0
            span = max(0.0, b - max(since, a))
            rate_days += rate * span
            mentor_days += hours * span
        return {
            "cost_specialists_nok": fte_days / 365 * prices["specialist_cost_per_fte_year"],
            "cost_supervision_nok": post_days
            / 7
            * prices["supervision_hours_per_week"]
            * prices["supervision_cost_per_hour"],
            "cost_wage_subsidy_nok": rate_days * prices["job_wage_per_year"] * prices["job_fte_share"] / 365,
            "cost_mentor_nok": mentor_days / (365 / 12) * prices["mentor_cost_per_hour"]
            + trained * prices["mentor_training_cost"],
            "cost_inclusion_grant_nok": starts
            * prices["inclusion_grant_prob"]
            * prices["inclusion_grant_mean"],
        }

    if prices is None:
        out.update(dict.fromkeys(COST_KPI_NAMES, NAN))
    else:
        out.update(costs(start, end))
        out["cost_nok"] = sum(out[n] for n in COST_PART_NAMES)
        cohort_cost = sum(costs(start, cohort_end).values())
        out["cost_per_sustained_job_nok"] = (
            cohort_cost / sustained if cohort_end > start and sustained > 0 else NAN
        )
    return {name: out[name] for name in KPI_NAMES}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
@example(218885)  # every post gone before the window: FTE-time is rounding residue, not a tiny positive
def test_compute_kpis_matches_reference_on_random_logs(seed: int) -> None:
    log = random_log(seed)
    assert check_transitions(log) == []
    nan_equal(compute_kpis(log), reference_kpis(log))


def _tile(log: EventLog, copies: int) -> EventLog:
    """``copies`` independent copies of a log in one (disjoint candidates, posts and teams)."""
    n_c = int(log.events["candidate"].max()) + 1
    n_s = len(log.specialists)
    n_t = int(max(log.events["team"].max(), log.specialists["team"].max())) + 1
    parts, specs, weeks = [], [], []
    for i in range(copies):
        e = log.events.copy()
        e["candidate"] = np.where(e["candidate"] >= 0, e["candidate"] + i * n_c, -1)
        e["specialist"] = np.where(e["specialist"] >= 0, e["specialist"] + i * n_s, -1)
        e["team"] += i * n_t
        parts.append(e)
        s = log.specialists.copy()
        s["specialist"] += i * n_s
        s["team"] += i * n_t
        specs.append(s)
        w = log.weeks.copy()
        w["specialist"] += i * n_s
        w["team"] += i * n_t
        weeks.append(w)
    events = np.concatenate(parts)
    events = events[np.argsort(events["time"], kind="stable")]
    return EventLog(events, log.candidates, np.concatenate(specs), dict(log.meta), np.concatenate(weeks))


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_copies_of_a_log_scale_as_expected(seed: int) -> None:
    """Tripling the world leaves shares, medians, rates and per-FTE KPIs alone and triples counts."""
    log = random_log(seed, n_cand=200)
    one, three = compute_kpis(log), compute_kpis(_tile(log, 3))
    counts = (
        "queue_mean",
        "intakes_per_year",
        "referrals_per_year",
        "potential_referrals_per_year",
        "intake_capacity_per_year",
        "queue_trend_per_year",
        "vacancy_fte_months",
        "sustained_jobs_per_year",
        *COST_KPI_NAMES[:-1],  # totals triple; the cost per sustained job does not
    )
    for name in KPI_NAMES:
        factor = 3 if name in counts else 1
        assert three[name] == pytest.approx(factor * one[name], rel=1e-9, nan_ok=True), name
