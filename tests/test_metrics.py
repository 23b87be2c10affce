"""Tests for caseload_sim.metrics: hand-made logs with hand-computed KPIs, a loop-based
reference implementation on random valid logs, and properties of the building blocks."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_sim.events import (
    Decision,
    EventKind,
    EventLog,
    EventRecorder,
    ExitReason,
    JobType,
    check_transitions,
)
from caseload_sim.metrics import (
    EXIT_SHARE_NAMES,
    KPI_NAMES,
    candidate_outcomes,
    caseload_series,
    compute_kpis,
    fte_deltas,
    kaplan_meier,
    kaplan_meier_median,
    queue_length_series,
    step_series,
    time_average,
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
) -> EventLog:
    """An EventLog from ``(time, kind, candidate[, code[, value]])`` tuples (any order;
    sorted stably by time, so same-time rows keep their list order).

    One specialist per ``fte`` entry, all in team 0; ``spec_start[i]`` is the time of
    specialist i's SPECIALIST_START event (default 0; None = no event, table only).
    """
    rec = EventRecorder()
    full = []
    for i, f in enumerate(fte):
        rec.specialists.append((i, 0, f, 15))
        s = 0.0 if spec_start is None else spec_start[i]
        if s is not None:
            full.append((s, K.SPECIALIST_START, -1, 15, f, i))
    for r in rows:
        t, kind, cand, *rest = r
        code = rest[0] if rest else 0
        value = rest[1] if len(rest) > 1 else 0.0
        full.append((t, kind, cand, code, value, 0))
    for t, kind, cand, code, value, spec in sorted(full, key=lambda r: r[0]):
        rec.append((float(t), int(kind), 0, spec, cand, 0, int(code), float(value)))
    return rec.finish({"window_start": start, "window_end": end, "end_time": end})


def intake(c: int, t: float, wait: float = 0.0) -> list[tuple]:
    """Referral (and queueing if wait > 0) followed by intake at ``t``."""
    rows: list[tuple] = [(t - wait, K.REFERRAL, c)]
    if wait > 0:
        rows.append((t - wait, K.QUEUED, c, 0, 1.0))
    rows.append((t, K.INTAKE, c, 0, wait))
    return rows


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
        "exit_work_permanent_share",
        "exit_work_temporary_share",
        "exit_education_share",
        "exit_health_share",
        "exit_dropout_share",
        "exit_time_limit_share",
        "exits_to_work_per_fte_year",
        "wait_days_mean",
        "queue_mean",
        "caseload_mean",
        "intakes_per_year",
        "referrals_per_year",
        "time_on_caseload_mean",
    )
    assert tuple(f"exit_{r.label}_share" for r in ExitReason) == EXIT_SHARE_NAMES


def test_empty_log_gives_nan_where_undefined() -> None:
    k = compute_kpis(make_log([]))
    assert list(k) == list(KPI_NAMES)
    assert all(isinstance(v, float) for v in k.values())
    for name in (
        "work_12m",
        "permanent_12m",
        "days_to_first_job_median",
        "retention_6m",
        *EXIT_SHARE_NAMES,
        "wait_days_mean",
        "time_on_caseload_mean",
    ):
        assert math.isnan(k[name]), name
    for name in (
        "exits_to_work_per_fte_year",
        "queue_mean",
        "caseload_mean",
        "intakes_per_year",
        "referrals_per_year",
    ):
        assert k[name] == 0.0, name


def test_no_staff_and_zero_length_window_give_nan() -> None:
    rows = [*intake(0, 10), leave(0, 20, R.WORK_PERMANENT, 10)]
    k = compute_kpis(make_log(rows, fte=()))
    assert math.isnan(k["exits_to_work_per_fte_year"]) and math.isnan(k["caseload_mean"])
    k = compute_kpis(make_log(rows, start=50, end=50))
    for name in ("exits_to_work_per_fte_year", "queue_mean", "caseload_mean", "intakes_per_year"):
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
    assert k["wait_days_mean"] == pytest.approx((20 + 0 + 3) / 3)  # candidate 1 not counted
    assert k["intakes_per_year"] == pytest.approx(3 / (20 / 365))
    assert k["referrals_per_year"] == pytest.approx(2 / (20 / 365))  # candidates 2 and 3
    q = queue_length_series(log)
    assert q.index.tolist() == [0, 5, 20, 25, 28] and q.tolist() == [1, 2, 1, 2, 1]


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
    reasons = [R.WORK_PERMANENT] * 4 + [R.WORK_TEMPORARY] * 2 + [R.EDUCATION, R.TIME_LIMIT]
    rows: list[tuple] = []
    for c, reason in enumerate(reasons):
        rows += [*intake(c, 10 + c), leave(c, 100 + c, reason, 90)]
    rows += [*intake(99, 10), leave(99, 800, R.WORK_PERMANENT, 790)]  # after the window
    return rows


def test_exit_shares_and_exits_per_fte_year() -> None:
    k = compute_kpis(make_log(_exit_rows(), start=0, end=730, fte=(1.0, 0.5)))
    assert [k[n] for n in EXIT_SHARE_NAMES] == pytest.approx([4 / 8, 2 / 8, 1 / 8, 0, 0, 1 / 8])
    assert k["exits_to_work_per_fte_year"] == pytest.approx(6 / 3.0)  # 1.5 FTE x 2 years


def test_exits_per_fte_year_weights_fte_by_time_present() -> None:
    log = make_log(_exit_rows(), start=0, end=730, fte=(1.0, 0.5), spec_start=(0.0, 365.0))
    assert compute_kpis(log)["exits_to_work_per_fte_year"] == pytest.approx(6 / 2.5)
    # a specialist in the table without a start event is present from time 0
    log = make_log(_exit_rows(), start=0, end=730, fte=(1.0, 0.5), spec_start=(None, 365.0))
    assert compute_kpis(log)["exits_to_work_per_fte_year"] == pytest.approx(6 / 2.5)
    t, d = fte_deltas(log)
    assert sorted(zip(t.tolist(), d.tolist(), strict=True)) == [(0.0, 1.0), (365.0, 0.5)]


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
        rows.append((t, K.REFERRAL, c))
        wait = 0.0
        if rng.random() < 0.5:
            rows.append((t, K.QUEUED, c, 0, 1.0))
            wait = float(rng.integers(0, 150))
        t_in = t + wait
        if t_in > horizon:
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
                    rows.append((t, K.EXIT, c, int(rng.integers(2, 6)), t - t_in))
                    break
                else:
                    rows.append((t, K.JOB_TASTING, c))
            elif u < 0.3:
                rows.append((t, K.JOB_END, c, int(rng.integers(0, 4))))
                employed = False
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
                    rows.append((t2, K.POST_EXIT_JOB_END, c, 0, t2 - t))
                break
            else:
                rows.append((t, K.SUBSIDY_CHANGE, c, 0, 0.3))
    n_spec = int(rng.integers(1, 4))
    fte = tuple(float(rng.choice([0.5, 1.0])) for _ in range(n_spec))
    spec_start = tuple(0.0 if rng.random() < 0.6 else float(rng.integers(0, 800)) for _ in range(n_spec))
    return make_log(rows, start=start, end=end, fte=fte, spec_start=spec_start)


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
    fte_years = 0.0
    for s in log.specialists:
        starts = [
            float(r["time"])
            for r in log.events
            if r["kind"] == K.SPECIALIST_START and r["specialist"] == s["specialist"]
        ]
        begin = starts[0] if starts else 0.0
        fte_years += float(s["fte"]) * max(0.0, end - max(begin, start)) / 365
    work_exits = sum(1 for code, _ in exits if code in (0, 1))
    out["exits_to_work_per_fte_year"] = work_exits / fte_years if fte_years > 0 else NAN
    out["wait_days_mean"] = mean([v for t, v in intakes.values() if start <= t <= end])
    queue = []
    for c in ev:
        q = [t for t, k, _, _ in ev[c] if k == K.QUEUED]
        if q:
            queue.append((q[0], 1.0))
            if c in intakes:
                queue.append((intakes[c][0], -1.0))
    out["queue_mean"] = integrate(queue)
    active = [(t, 1.0) for t, _ in intakes.values()] + [(t, -1.0) for t in exit_time.values() if t < math.inf]
    fte_mean = fte_years * 365 / (end - start)
    out["caseload_mean"] = integrate(active) / fte_mean if fte_mean > 0 else NAN
    out["intakes_per_year"] = sum(1 for t, _ in intakes.values() if start <= t <= end) / years
    out["referrals_per_year"] = (
        sum(1 for c in ev for t, k, _, _ in ev[c] if k == K.REFERRAL and start <= t <= end) / years
    )
    out["time_on_caseload_mean"] = mean([v for _, v in exits])
    return {name: out[name] for name in KPI_NAMES}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_compute_kpis_matches_reference_on_random_logs(seed: int) -> None:
    log = random_log(seed)
    assert check_transitions(log) == []
    nan_equal(compute_kpis(log), reference_kpis(log))


def _tile(log: EventLog, copies: int) -> EventLog:
    """``copies`` independent copies of a log in one (disjoint candidates and specialists)."""
    n_c = int(log.events["candidate"].max()) + 1
    n_s = len(log.specialists)
    parts, specs = [], []
    for i in range(copies):
        e = log.events.copy()
        e["candidate"] = np.where(e["candidate"] >= 0, e["candidate"] + i * n_c, -1)
        e["specialist"] = np.where(e["specialist"] >= 0, e["specialist"] + i * n_s, -1)
        parts.append(e)
        s = log.specialists.copy()
        s["specialist"] += i * n_s
        specs.append(s)
    events = np.concatenate(parts)
    events = events[np.argsort(events["time"], kind="stable")]
    return EventLog(events, log.candidates, np.concatenate(specs), dict(log.meta))


def test_copies_of_a_log_scale_as_expected() -> None:
    """Doubling the world leaves shares, medians and per-FTE KPIs alone and doubles counts."""
    log = random_log(7, n_cand=200)
    one, three = compute_kpis(log), compute_kpis(_tile(log, 3))
    for name in KPI_NAMES:
        factor = 3 if name in ("queue_mean", "intakes_per_year", "referrals_per_year") else 1
        assert three[name] == pytest.approx(factor * one[name], rel=1e-9, nan_ok=True), name
