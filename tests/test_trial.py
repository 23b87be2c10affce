"""Trial-style outcomes: employment histories from the event log, the KPIs measured from
intake (employed at 6/12/18/24 months, ever/never worked, months worked, first jobs), and
the employment curve — on hand-made logs with hand-computed answers, on random valid logs
(properties, agreement with the older in-work rule), and on the real model."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_sim.events import Decision, EventKind, EventLog, ExitReason, JobType, check_transitions
from caseload_sim.metrics import (
    CURVE_COLUMNS,
    CURVE_MONTHS,
    KPI_BETTER,
    KPI_NAMES,
    MONTH_DAYS,
    RISK_KPI_NAMES,
    TRIAL_KPI_NAMES,
    _employed_at,
    _first_intake,
    _in_work_at,
    _prepare,
    _spells,
    compute_kpis,
    employment_curve,
    employment_spells,
    trial_outcomes,
)
from model_fixtures import load, shortened
from test_metrics import intake, job, job_end, leave, make_log, random_log

K = EventKind
R = ExitReason
M = MONTH_DAYS  # 365 / 12 days


def discharged_rows_without_specialist(log: EventLog, candidate: int, since: float) -> EventLog:
    """The log with the candidate's rows from ``since`` on logged without a specialist (-1),
    as the model logs what it knows in advance about a job after a discharge to work."""
    ev = log.events
    ev["specialist"][(ev["candidate"] == candidate) & (ev["time"] >= since)] = -1
    return log


def people() -> EventLog:
    """Eight people in a window [20, 1000] (so the 24-month cohort is intakes in [20, 270]).

    A (0): intake 100; a fixed-term job 130-250, then a permanent job from 400 still held
           when the run ends.
    B (1): intake 50; a job from 80, discharged to work at 200; after the discharge the
           employer's decision to end the subsidised period and the subsidy's end (300)
           are logged, then the job is lost at 600 (POST_EXIT_JOB_END).
    C (2): intake 60; a job from 100, drops out at 150 while in it (an exit not to work).
    D (3): intake 70; drops out at 200 without a job.
    E (4): intake 271, one day too late for the 24-month cohort; a job from 300, held.
    F (5): intake 270, exactly the last day of the 24-month cohort; never works,
           discharged at the time limit at 635.
    G (6): intake 10, before the window: in no cohort; a job from 15 (before the window).
    H (7): intake 850, too late for any cohort; a job from 900 still held at the end.
    """
    rows = [
        *intake(0, 100),
        job(0, 130),
        job_end(0, 250),
        job(0, 400, JobType.PERMANENT),
        *intake(1, 50),
        job(1, 80),
        leave(1, 200, R.WORK_TEMPORARY, 150),
        (300, K.EMPLOYER_DECISION, 1, Decision.END),
        (300, K.SUBSIDY_CHANGE, 1, 0, 0.0),
        (600, K.POST_EXIT_JOB_END, 1, 0, 400.0),
        *intake(2, 60),
        job(2, 100),
        leave(2, 150, R.DROPOUT, 90),
        *intake(3, 70),
        leave(3, 200, R.DROPOUT, 130),
        *intake(4, 271),
        job(4, 300),
        *intake(5, 270),
        leave(5, 635, R.TIME_LIMIT, 365),
        *intake(6, 10),
        job(6, 15),
        *intake(7, 850),
        job(7, 900),
    ]
    return discharged_rows_without_specialist(make_log(rows, start=20, end=1000), 1, 300)


# --------------------------------------------------------------- employment histories
def test_spells_of_several_jobs_a_discharge_to_work_and_an_exit_not_to_work() -> None:
    log = people()
    # the employer's decision after the discharge is a row the model may log in advance
    # (the state machine may not allow it yet); anything else would be a broken fixture
    assert check_transitions(log) in (
        [],
        ["candidate 1: EMPLOYER_DECISION not allowed in state EXITED (t=300.00)"],
    )
    spells = employment_spells(log)
    assert list(spells.columns) == ["candidate", "job", "prior", "start", "end", "ended_by"]
    ends = spells["end"].to_numpy(float)
    got = [
        (int(c), int(j), float(a), None if math.isnan(b) else float(b), str(how))
        for c, j, a, b, how in zip(
            spells["candidate"], spells["job"], spells["start"], ends, spells["ended_by"], strict=True
        )
    ]
    assert got == [
        (0, 0, 130.0, 250.0, "job_end"),
        (0, 1, 400.0, None, ""),  # still held when the run ends
        (1, 0, 80.0, 600.0, "post_exit_job_end"),  # the job goes on after the discharge
        (2, 0, 100.0, 150.0, "exit"),  # an exit not to work: no job afterwards, as far as the log knows
        (4, 0, 300.0, None, ""),
        (6, 0, 15.0, None, ""),
        (7, 0, 900.0, None, ""),
    ]


def test_only_a_post_exit_job_end_ends_a_job_after_discharge() -> None:
    """Rows after a discharge to work — decisions, subsidy changes, even a stray JOB_END —
    leave the job going; a POST_EXIT_JOB_END before any discharge ends nothing."""
    rows = [
        *intake(0, 10),
        job(0, 20),
        leave(0, 50, R.WORK_PERMANENT, 40),
        (60, K.EMPLOYER_DECISION, 0, Decision.END),
        (70, K.SUBSIDY_CHANGE, 0, 0, 0.0),
        (80, K.MENTOR_END, 0, 0, 30.0),
        job_end(0, 90),  # not something the model logs after a discharge: ignored
        (400, K.POST_EXIT_JOB_END, 0, 0, 350.0),
        *intake(1, 10),
        job(1, 20),
        (30, K.POST_EXIT_JOB_END, 1, 0, 0.0),  # no discharge yet: ignored
        job_end(1, 40),
    ]
    spells = employment_spells(make_log(rows, end=1000))
    assert spells[["candidate", "start", "end", "ended_by"]].values.tolist() == [
        [0, 20.0, 400.0, "post_exit_job_end"],
        [1, 20.0, 40.0, "job_end"],
    ]


def test_a_new_job_without_a_job_end_ends_the_first_and_work_goes_on() -> None:
    rows = [*intake(0, 0), job(0, 10), job(0, 100, JobType.PERMANENT), job_end(0, 300)]
    log = make_log(rows, end=1000)
    spells = employment_spells(log)
    assert spells[["job", "start", "end", "ended_by"]].values.tolist() == [
        [0, 10.0, 100.0, "job_start"],
        [1, 100.0, 300.0, "job_end"],
    ]
    out = trial_outcomes(log)
    assert out.loc[0, "months_worked_24m"] == pytest.approx(290 / M)  # no gap at the change
    assert compute_kpis(log)["first_job_days_median"] == 90.0  # the first job lasted 90 days


def test_an_exit_to_work_without_a_logged_job_starts_one_there() -> None:
    rows = [*intake(0, 0), leave(0, 100, R.WORK_PERMANENT, 100), (250, K.POST_EXIT_JOB_END, 0, 0, 150.0)]
    spells = employment_spells(make_log(rows, end=1000))
    assert spells[["start", "end", "ended_by"]].values.tolist() == [[100.0, 250.0, "post_exit_job_end"]]


def test_rows_at_the_same_instant_apply_in_log_order() -> None:
    """A job lost and a new one found at the same instant: in work at that instant."""
    rows = [*intake(0, 0), job(0, 10), job_end(0, 182.5), job(0, 182.5)]
    out = trial_outcomes(make_log(rows, end=1000))
    assert out.loc[0, "employed_6m"] == 1.0
    rows = [*intake(0, 0), job(0, 10), job_end(0, 182.5)]
    assert trial_outcomes(make_log(rows, end=1000)).loc[0, "employed_6m"] == 0.0  # lost that instant


# --------------------------------------------------------------------- the trial KPIs
def test_person_level_outcomes() -> None:
    out = trial_outcomes(people())
    cols = ["employed_6m", "employed_12m", "employed_18m", "employed_24m", "ever_worked_24m"]
    nan = math.nan
    expected = {
        0: [0, 1, 1, 1, 1],  # A at 282.5, 465, 647.5, 830 days
        1: [1, 1, 1, 0, 1],  # B lost the job at 600 < 780
        2: [0, 0, 0, 0, 1],
        3: [0, 0, 0, 0, 0],
        4: [1, 1, 1, nan, nan],  # E: 271 + 730 > 1000
        5: [0, 0, 0, 0, 0],
        6: [1, 1, 1, 1, 1],  # G: observable, but outside the window (not in the KPIs)
        7: [nan, nan, nan, nan, nan],  # H: 850 + 182.5 > 1000
    }
    for c, values in expected.items():
        assert out.loc[c, cols].to_numpy(float).tolist() == pytest.approx(values, nan_ok=True), c
    months = out["months_worked_24m"].to_numpy(float)
    assert months[:4].tolist() == pytest.approx([(120 + 430) / M, 520 / M, 50 / M, 0.0])
    assert math.isnan(months[4])
    first = out["first_work_days"].to_numpy(float)
    assert first[[0, 1, 2, 4]].tolist() == [30.0, 30.0, 40.0, 29.0] and math.isnan(first[3])


def test_trial_kpis_by_hand() -> None:
    k = compute_kpis(people())
    # 24-month cohort: intakes in [20, 1000 - 730 = 270] -> A, B, C, D, F (n = 5); E at 271 is out
    assert k["employed_24m"] == pytest.approx(1 / 5)
    assert k["ever_worked_24m"] == pytest.approx(3 / 5)
    assert k["never_worked_24m"] == pytest.approx(2 / 5)
    assert k["months_worked_24m"] == pytest.approx((550 + 520 + 50) / M / 5)
    assert k["days_to_first_job_mean"] == pytest.approx((30 + 30 + 40) / 3)  # those who worked
    # 18-, 12- and 6-month cohorts: intakes up to 452.5, 635, 817.5 -> A, B, C, D, E, F
    assert k["employed_18m"] == pytest.approx(3 / 6)
    assert k["employed_12m"] == pytest.approx(3 / 6)
    assert k["employed_6m"] == pytest.approx(2 / 6)
    # first jobs begun in the window: C 50 days, A 120, B 520 (ended); H 100 and E 700 days so
    # far (censored at the run's end; G's began before the window). Kaplan-Meier: at 50 days
    # 4/5 survive; H leaves the risk set at 100; at 120 days 2 of 3 survive (0.533); at 520
    # 1 of 2 (0.267): the median is 520 days, not the 120 of the ended jobs alone.
    assert k["first_job_days_median"] == 520.0


def test_the_24_month_cohort_needs_a_full_24_months() -> None:
    rows = [*intake(0, 270), job(0, 300), *intake(1, 270.5), job(1, 300)]
    k = compute_kpis(make_log(rows, start=0, end=1000))
    assert k["ever_worked_24m"] == 1.0  # only candidate 0: 270 + 730 = 1000 is observed
    out = trial_outcomes(make_log(rows, start=0, end=1000))
    assert out["ever_worked_24m"].tolist() == pytest.approx([1.0, math.nan], nan_ok=True)
    # a window shorter than 24 months has no 24-month cohort at all
    k = compute_kpis(make_log(rows, start=0, end=729))
    for name in ("employed_24m", "ever_worked_24m", "never_worked_24m", "months_worked_24m"):
        assert math.isnan(k[name]), name
    assert k["employed_12m"] == 1.0


def test_no_work_at_all() -> None:
    rows = [*intake(0, 0), leave(0, 100, R.HEALTH, 100), *intake(1, 5), leave(1, 50, R.EDUCATION, 45)]
    k = compute_kpis(make_log(rows, end=1000))
    assert (k["ever_worked_24m"], k["never_worked_24m"], k["months_worked_24m"]) == (0.0, 1.0, 0.0)
    assert all(k[f"employed_{m}m"] == 0.0 for m in (6, 12, 18, 24))
    assert math.isnan(k["days_to_first_job_mean"])  # nobody found a job: no mean
    assert math.isnan(k["first_job_days_median"])


def test_trial_kpis_are_registered() -> None:
    assert set(TRIAL_KPI_NAMES) <= set(KPI_NAMES) and set(RISK_KPI_NAMES) <= set(KPI_NAMES)
    i = KPI_NAMES.index("sustained_jobs_per_year")
    assert KPI_NAMES[i + 1 : i + 1 + len(TRIAL_KPI_NAMES)] == TRIAL_KPI_NAMES
    assert {KPI_BETTER[f"employed_{m}m"] for m in (6, 12, 18, 24)} == {1}
    assert (KPI_BETTER["never_worked_24m"], KPI_BETTER["months_worked_24m"]) == (-1, 1)
    assert "months_worked_24m" not in RISK_KPI_NAMES and "work_12m" in RISK_KPI_NAMES


# ------------------------------------------------------------------ employment curve
def test_employment_curve_by_hand() -> None:
    curve = employment_curve(people())
    assert list(curve.columns) == list(CURVE_COLUMNS)
    assert curve["month"].tolist() == list(range(CURVE_MONTHS + 1))
    assert set(curve["n"]) == {5}  # A, B, C, D, F
    at = {m: round(5 * s) for m, s in zip(curve["month"], curve["employed"], strict=True)}
    assert at[0] == 0
    assert at[1] == 2  # 30.4 days after intake: A (job from day 30) and B (day 30); C starts on day 40
    assert at[2] == 3  # 60.8 days: A, B and C (C drops out on day 90)
    assert at[12] == 2  # 365 days: A (second job) and B (discharged to work, job still held)
    out = trial_outcomes(people())
    spells = employment_spells(people())
    for m in range(CURVE_MONTHS + 1):
        want = 0
        for c in (0, 1, 2, 3, 5):
            q = float(out["intake_time"].to_numpy(float)[c]) + m * M
            held = spells[spells["candidate"] == c]
            want += any(
                a <= q < b
                for a, b in zip(
                    held["start"].to_numpy(float), held["end"].fillna(math.inf).to_numpy(float), strict=True
                )
            )
        assert at[m] == want, m
    assert curve["employed"].iloc[24] == compute_kpis(people())["employed_24m"]


def test_employment_curve_of_an_empty_cohort() -> None:
    curve = employment_curve(make_log([*intake(0, 500)], end=1000))
    assert len(curve) == CURVE_MONTHS + 1 and curve["employed"].isna().all() and set(curve["n"]) == {0}


# ------------------------------------------------------- properties on random logs
def with_post_discharge_rows(log: EventLog, seed: int) -> EventLog:
    """The log plus employer decisions and subsidy changes after discharges to work, logged
    without a specialist, as a model that defers more of the job's future might log them."""
    rng = np.random.default_rng(seed)
    ev = log.events
    work = ev[(ev["kind"] == K.EXIT) & np.isin(ev["code"], (R.WORK_PERMANENT, R.WORK_TEMPORARY))]
    extra = []
    for x in work:
        for _ in range(int(rng.integers(0, 3))):
            t = float(x["time"]) + float(rng.integers(0, 400))
            kind = K.EMPLOYER_DECISION if rng.random() < 0.5 else K.SUBSIDY_CHANGE
            extra.append((t, int(kind), x["team"], -1, x["candidate"], -1, int(rng.integers(0, 3)), 0.0))
    if not extra:
        return log
    both = np.concatenate([ev, np.array(extra, dtype=ev.dtype)])
    both = both[np.argsort(both["time"], kind="stable")]
    return EventLog(both, log.candidates, log.specialists, dict(log.meta), log.weeks)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_properties_on_random_logs(seed: int) -> None:
    log = random_log(seed, n_cand=60)
    k = compute_kpis(log)
    for m in (6, 12, 18, 24):
        v = k[f"employed_{m}m"]
        assert math.isnan(v) or 0.0 <= v <= 1.0
    ever, never = k["ever_worked_24m"], k["never_worked_24m"]
    if math.isnan(ever):
        assert math.isnan(never) and math.isnan(k["employed_24m"]) and math.isnan(k["months_worked_24m"])
    else:
        assert 0.0 <= k["employed_24m"] <= ever <= 1.0
        assert never == pytest.approx(1.0 - ever)
        assert 0.0 <= k["months_worked_24m"] <= 24.0 * ever + 1e-9
    d = k["days_to_first_job_mean"]
    assert math.isnan(d) or 0.0 <= d <= 730.0
    # person by person
    out = trial_outcomes(log)
    ew = out["ever_worked_24m"].to_numpy()
    seen = ~np.isnan(ew)
    for m in (6, 12, 18, 24):
        e = out[f"employed_{m}m"].to_numpy()[seen]
        assert np.all(e <= ew[seen])
    mw = out["months_worked_24m"].to_numpy()[seen]
    assert np.all((mw >= 0) & (mw <= 24 + 1e-9)) and np.all(mw[ew[seen] == 0] == 0)
    # jobs never overlap and never run backwards
    spells = employment_spells(log)
    for _, held in spells.groupby("candidate"):
        ends = held["end"].fillna(math.inf).to_numpy()
        assert np.all(held["start"].to_numpy() <= ends)
        assert np.all(ends[:-1] <= held["start"].to_numpy()[1:])
    # more rows after a discharge, other than the job's end, change nothing
    noisy = with_post_discharge_rows(random_log(seed, n_cand=60), seed)
    again = compute_kpis(noisy)
    for name in TRIAL_KPI_NAMES:
        assert again[name] == pytest.approx(k[name], nan_ok=True), name


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0, 400))
def test_in_work_agrees_with_the_retention_rule_on_valid_logs(seed: int, later: float) -> None:
    """On logs the state machine allows, the history's "in work at t" is the older
    ``_in_work_at`` rule of retention_6m and sustained jobs (last job-related row wins) for
    the jobs found on the caseload; the work held at referral and the jobs found after the
    service only add to it."""
    log = random_log(seed, n_cand=60)
    ev = log.events
    extra = np.isin(ev["kind"], (K.PRIOR_WORK, K.PRIOR_WORK_END, K.POST_EXIT_JOB_START))
    p = _prepare(dataclasses.replace(log, events=ev[~extra]))
    intake_at = _first_intake(p)
    cohort = np.flatnonzero(~np.isnan(intake_at))
    query = intake_at + later
    ours = _employed_at(_spells(p), p.n_cand, query)[cohort]
    assert np.array_equal(ours.astype(float), _in_work_at(p, query, cohort))
    full = _prepare(log)
    assert np.array_equal(_first_intake(full), intake_at, equal_nan=True)
    wider = _employed_at(_spells(full), full.n_cand, query)[cohort]
    assert np.all(wider >= ours), "the work held at referral and jobs after the service only add"


# -------------------------------------------------------------------------- the model
@pytest.fixture(scope="module")
def model_log() -> EventLog:
    from caseload_sim.model import simulate

    return simulate(shortened(load("baseline"), 365.0, 3 * 365.0), 3, 0)


def test_on_the_model(model_log: EventLog) -> None:
    k = compute_kpis(model_log)
    out = trial_outcomes(model_log)
    start = model_log.meta["window_start"]
    cohort = out[(out["intake_time"] >= start) & out["ever_worked_24m"].notna()]
    assert len(cohort) > 20
    assert k["ever_worked_24m"] == pytest.approx(cohort["ever_worked_24m"].mean())
    assert k["months_worked_24m"] == pytest.approx(cohort["months_worked_24m"].mean())
    curve = employment_curve(model_log)
    assert set(curve["n"]) == {len(cohort)}
    assert curve["employed"].iloc[-1] == pytest.approx(k["employed_24m"])
    # at month 0 only the work held at referral, where it outlasted the wait
    spells = employment_spells(model_log)
    held_prior = spells[spells["prior"]]
    at_intake = cohort["intake_time"]
    prior_at = {
        int(c): bool(((g["start"] <= at_intake[c]) & (g["end"].fillna(math.inf) > at_intake[c])).any())
        for c, g in held_prior.groupby("candidate")
        if c in at_intake.index
    }
    assert curve["employed"].iloc[0] == pytest.approx(sum(prior_at.values()) / len(cohort))
    assert 0.0 < curve["employed"].iloc[0] < 0.45, "some are in work at intake: at most the 45 % at referral"
    # in work just after every discharge to work
    spells = employment_spells(model_log)
    ev = model_log.events
    work = ev[(ev["kind"] == K.EXIT) & np.isin(ev["code"], (R.WORK_PERMANENT, R.WORK_TEMPORARY))]
    by_c = {c: g for c, g in spells.groupby("candidate")}
    for x in work[:200]:
        held = by_c[int(x["candidate"])]
        t = float(x["time"])
        assert any((held["start"] <= t) & (held["end"].fillna(math.inf) > t))
    # the job ends the history knows of after discharge are the model's POST_EXIT_JOB_END rows
    lost = int(np.sum(ev["kind"] == K.POST_EXIT_JOB_END))
    assert int((spells["ended_by"] == "post_exit_job_end").sum()) == lost


def test_same_log_same_trial_outcomes(model_log: EventLog) -> None:
    from caseload_sim.model import simulate

    again = simulate(shortened(load("baseline"), 365.0, 3 * 365.0), 3, 0)
    a, b = compute_kpis(model_log), compute_kpis(again)
    assert [a[n] for n in TRIAL_KPI_NAMES] == pytest.approx([b[n] for n in TRIAL_KPI_NAMES], nan_ok=True)
    assert employment_curve(model_log).equals(employment_curve(again))


# ------------------------------------------------------------- work held at referral


def test_work_held_at_referral_is_employment_until_it_ends_or_a_job_found_replaces_it() -> None:
    """PRIOR_WORK (logged with the referral) starts a spell that only PRIOR_WORK_END or the
    first job found ends — not an exit; it counts as being in work (employed_*, ever, months
    worked) but is not a job found (days to first job, first-job KPIs, work_12m)."""
    rows = [
        # 0: in work at referral (5), taken in at 10, the work ends at 300, no job found
        (5, K.REFERRAL, 0, 0, 0.0),
        (5, K.PRIOR_WORK, 0, 0, 0.0),
        (5, K.QUEUED, 0, 0, 1.0),
        (10, K.INTAKE, 0, 0, 5.0),
        (200, K.EXIT, 0, R.DROPOUT, 190.0),  # the exit does not end the work
        (300, K.PRIOR_WORK_END, 0, 0, 295.0),
        # 1: in work at referral (10 = intake), a job found at 100 replaces it; its end is later logged
        (10, K.REFERRAL, 1, 0, 0.0),
        (10, K.PRIOR_WORK, 1, 0, 0.0),
        (10, K.INTAKE, 1, 0, 0.0),
        job(1, 100),
        (500, K.PRIOR_WORK_END, 1, 0, 490.0),  # already replaced: ignored
        job_end(1, 400),
        # 2: the work ended while waiting, before intake
        (0, K.REFERRAL, 2, 0, 0.0),
        (0, K.PRIOR_WORK, 2, 0, 0.0),
        (0, K.QUEUED, 2, 0, 1.0),
        (20, K.PRIOR_WORK_END, 2, 0, 20.0),
        (30, K.INTAKE, 2, 0, 30.0),
    ]
    log = make_log(rows, end=1000)
    assert check_transitions(log) == []
    spells = employment_spells(log)
    assert spells[["candidate", "job", "prior", "start", "end", "ended_by"]].values.tolist() == [
        [0, -1, True, 5.0, 300.0, "prior_work_end"],
        [1, -1, True, 10.0, 100.0, "job_start"],
        [1, 0, False, 100.0, 400.0, "job_end"],
        [2, -1, True, 0.0, 20.0, "prior_work_end"],
    ]
    out = trial_outcomes(log)
    assert out.loc[0, "employed_6m"] == 1.0 and out.loc[0, "employed_12m"] == 0.0
    assert out.loc[0, "ever_worked_24m"] == 1.0
    assert out.loc[0, "months_worked_24m"] == pytest.approx(290 / M)
    assert math.isnan(out.loc[0, "first_work_days"]), "work held at referral is not a job found"
    assert out.loc[1, "first_work_days"] == 90.0
    assert out.loc[2, "ever_worked_24m"] == 0.0, "the work ended before intake"
    k = compute_kpis(log)
    assert k["work_12m"] == pytest.approx(1 / 3)  # only candidate 1 found a job
    assert k["days_to_first_job_mean"] == 90.0
    assert k["first_job_days_median"] == 300.0  # the job found: 100-400
