"""A job's life after discharge (``model/job.py``) against what its hazards say analytically.

``after_discharge`` turns a job's state at discharge into its future, from uniform
draws. Fed with draws from a known generator and the other job risks switched off, its
job durations must follow the survival function its hazard defines:

- with the follow-up gone at once (``followup_carryover_months: 0``) the job is lost at
  the constant unprotected rate ``base x (1 + followup_protection)``: exponential;
- with the follow-up fading, ``S(t) = S_d exp(-t / tau)`` (taken piecewise constant on
  half-time-constant pieces), the cumulative hazard is known in closed form per piece;
- more follow-up at discharge means longer jobs, on the same draws;
- at an employer decision after discharge the job ends, goes on, or is made permanent,
  and its subsidy ends there (no renewal once nobody follows the job).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from caseload_sim.events import Decision, EventKind, JobEndReason
from caseload_sim.model.job import FADE_PIECES, JobAtDischarge, after_discharge
from caseload_sim.model.rules import Rules
from model_fixtures import derive, load

INF = math.inf
N = 3000
BASE = 0.5 / 365.0  # per day: jobs.job_loss_per_year = 0.5 at average readiness
PROTECTION = 1.5
TAU = 6.0 * 365.0 / 12.0


def rules(**changes: Any) -> Rules:
    """The baseline's rules with the job's other risks off (no early months, no sick leave)."""
    base = {
        "jobs.early_multiplier": 1.0,
        "sick_leave.episodes_per_year_in_job": 0.0,
        "jobs.followup_protection": PROTECTION,
    }
    return Rules.from_scenario(derive(load("baseline"), {**base, **changes}))


def job(support: float = 1.0, **kw: Any) -> JobAtDischarge:
    state = {
        "early_end": -INF,
        "support": support,
        "shift": 0.0,
        "base": BASE,
        "job_mult": 1.0,
        "perm_mult": 1.0,
        "sub_rate": 0.0,
        "sub_after": 0.0,
        "sub_code": 0,
        "step_down_at": INF,
        "decision_at": INF,
        "mentor_end": INF,
        "mentor_from": 0.0,
        "readiness": 0.0,
    }
    state.update(kw)
    return JobAtDischarge(**state)


def durations(r: Rules, state: JobAtDischarge, seed: int = 7, n: int = N) -> np.ndarray:
    draws = np.random.default_rng(seed).random(n * 8).tolist()
    out = []
    for i in range(n):
        mine = draws[8 * i : 8 * i + 8]
        rows: list[tuple] = []
        lost = after_discharge(r, mine.pop, lambda: None, 0.0, 1e9, 0, i, state, rows.append)
        out.append(lost)
    return np.array(out)


def test_without_carry_over_the_job_is_lost_at_the_unprotected_rate() -> None:
    r = rules(**{"jobs.followup_carryover_months": 0.0})
    d = durations(r, job(support=1.0))
    rate = BASE * (1.0 + PROTECTION)
    p = stats.kstest(d, "expon", args=(0.0, 1.0 / rate)).pvalue
    assert p > 0.001, (
        f"expected: exponential with rate {rate * 365:.3f}/year (no follow-up left); KS p = {p:.2g}"
    )


def _fading_survival(t: float, s0: float) -> float:
    """exp(-H(t)) with the support piecewise constant on half-time-constant pieces, as modelled."""
    piece = TAU / 2.0
    h_total, start = 0.0, 0.0
    for k in range(FADE_PIECES):
        s = s0 * math.exp(-(k + 0.5) * 0.5)
        stop = min(t, start + piece)
        if stop > start:
            h_total += BASE * (1.0 + PROTECTION * (1.0 - s)) * (stop - start)
        start += piece
    if t > start:
        h_total += BASE * (1.0 + PROTECTION) * (t - start)
    return math.exp(-h_total)


def _exact_survival(t: float, s0: float) -> float:
    """exp(-H(t)) for the continuous fade S(t) = s0 exp(-t / tau)."""
    h = BASE * (1.0 + PROTECTION) * t - BASE * PROTECTION * s0 * TAU * (1.0 - math.exp(-t / TAU))
    return math.exp(-h)


@pytest.mark.parametrize("s0", [1.0, 0.5])
def test_fading_follow_up_gives_the_survival_its_hazard_defines(s0: float) -> None:
    d = durations(rules(), job(support=s0))
    for months in (3, 6, 12, 24, 48):
        t = months * 365.0 / 12.0
        seen = float(np.mean(d > t))
        want = _fading_survival(t, s0)
        half = 3.3 * math.sqrt(want * (1.0 - want) / N)  # about 99.9 % for a binomial share
        assert abs(seen - want) <= half, (
            f"S({months} months) = {seen:.4f}, hazard says {want:.4f} +- {half:.4f}"
        )
        # the piecewise-constant fade is within a percentage point of the continuous one
        assert abs(want - _exact_survival(t, s0)) < 0.01


def test_more_follow_up_at_discharge_means_longer_jobs_on_the_same_draws() -> None:
    r = rules()
    none, half, full = (durations(r, job(support=s)) for s in (0.0, 0.5, 1.0))
    assert np.all(none <= half) and np.all(half <= full), "the same draws: more support, never a shorter job"
    assert none.mean() < half.mean() < full.mean()


def _one(r: Rules, state: JobAtDischarge, draws: list[float]) -> tuple[float, list[tuple]]:
    rows: list[tuple] = []
    lost = after_discharge(r, list(reversed(draws)).pop, lambda: None, 0.0, 1000.0, 0, 0, state, rows.append)
    return lost, rows


def test_an_employer_decision_after_discharge_ends_the_subsidy_and_decides_the_job() -> None:
    subsidised = {"sub_rate": 0.4, "sub_after": 0.3, "step_down_at": 50.0, "decision_at": 100.0}
    # first draw: the job-loss clock (a huge budget: no loss before the decision); then the decision
    never = 1.0 - 1e-12
    ends = rules(**{"jobs.hire_permanent_prob": 0.0, "jobs.renew_prob": 0.0})
    lost, rows = _one(ends, job(**subsidised), [never, 0.5])
    kinds = [(EventKind(k).name, c, round(t, 6)) for t, k, _, _, _, _, c, _ in rows]
    assert lost == pytest.approx(100.0)
    assert kinds == [
        ("SUBSIDY_CHANGE", 0, 50.0),  # the step-down, in time
        ("EMPLOYER_DECISION", int(Decision.END), 100.0),
        ("SUBSIDY_CHANGE", 0, 100.0),
        ("POST_EXIT_JOB_END", int(JobEndReason.EMPLOYER_END), 100.0),
    ], kinds
    assert rows[2][7] == 0.0 and rows[0][7] == 0.3
    hires = rules(
        **{"jobs.hire_permanent_prob": 1.0, "jobs.renew_prob": 0.0, "jobs.hire_readiness_effect": 0.0}
    )
    full = job(support=1.0, **subsidised)
    lost, rows = _one(hires, full, [never, 0.0])
    assert lost == INF, "hired permanently: nothing ends the job before the end of the run"
    assert [EventKind(r[1]).name for r in rows] == ["SUBSIDY_CHANGE", "EMPLOYER_DECISION", "SUBSIDY_CHANGE"]
    assert rows[1][6] == int(Decision.HIRE_PERMANENT) and rows[2][7] == 0.0, "the subsidy ends with the hire"


def test_rows_at_or_after_the_end_of_the_run_are_not_logged() -> None:
    r = rules()
    state = job(sub_rate=0.4, sub_after=0.3, step_down_at=50.0, decision_at=100.0, mentor_end=80.0)
    for seed in range(200):
        rng = np.random.default_rng(seed)
        draws = rng.random(8).tolist()
        rows: list[tuple] = []
        after_discharge(r, draws.pop, lambda: None, 0.0, 60.0, 0, 0, state, rows.append)
        assert all(row[0] < 60.0 for row in rows), rows


def test_discharge_when_stable_waits_for_a_stable_job() -> None:
    """``discharge_to_work: when_stable``: no discharge to work before ``stable_after_days`` in the job
    (and past its early months), unless at the end of follow-up or the legal limit; runs with
    employer decisions, renewals, handovers and reviews in between (a renewal once dropped the
    stable clock and scheduled a wake-up in the past)."""
    from caseload_sim.events import ExitReason, check_transitions
    from caseload_sim.model import simulate
    from model_fixtures import legal_limit

    scenario = derive(load("baseline"), {"regulation.discharge_to_work": "when_stable"})
    stable = scenario.regulation.stable_after_days
    early = scenario.jobs.early_months * 365.0 / 12.0
    work = (int(ExitReason.WORK_PERMANENT), int(ExitReason.WORK_TEMPORARY))
    early_exits = 0
    for rep in range(6):
        log = simulate(scenario, 1, rep)
        assert check_transitions(log) == []
        ev = log.events
        rwc = dict(
            zip(
                log.candidates["candidate"].tolist(), log.candidates["reduced_capacity"].tolist(), strict=True
            )
        )
        last_start: dict[int, float] = {}
        for row in ev[np.isin(ev["kind"], [EventKind.JOB_START, EventKind.EXIT])]:
            c, t = int(row["candidate"]), float(row["time"])
            if row["kind"] == EventKind.JOB_START:
                last_start[c] = t
            elif int(row["code"]) in work:
                in_job = t - last_start[c]
                if in_job < max(stable, early) - 1e-6:  # only the legal limit discharges that early
                    early_exits += 1
                    limit = legal_limit(scenario, bool(rwc[c]))
                    assert abs(float(row["value"]) - limit) < 1e-6, (c, t, in_job, float(row["value"]), limit)
    assert early_exits > 0, "some discharges at the legal limit fall early in a job: the check saw them"
    default = load("baseline")
    stays = [float(np.mean(simulate(s, 1, 0).of_kind(EventKind.EXIT)["value"])) for s in (default, scenario)]
    assert stays[1] < stays[0], f"discharging stable jobs early shortens stays on the caseload: {stays}"
