"""After the service (``model/afterwards.py``) against what its rules say analytically.

A person who leaves the service without work is back in usual services. Its search is
one exponential time whose mean is the usual-services pathway's mean time from
entering job finding to a job start, in closed form (``rules.after_service_days``).
So:

- the closed form equals the mean the simulated usual-services arm takes from its
  first entry into step 3 to its first job, with the hazards that compete with it
  switched off — work practice and its job offers, step 3 and 4, and regressions back
  to the provider's assessment and on to step 1 included;
- with ``regression_prob: 0`` it reduces to the sum it should be;
- in the SE arm, people discharged at the legal limit find jobs afterwards, logged
  without a post, after an exponential wait with that mean (the search's own leaving
  hazards switched off);
- these jobs count in the trial-style outcomes but not in the service's own KPIs.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats

from caseload_sim.events import EventKind, ExitReason
from caseload_sim.metrics import compute_kpis, employment_spells
from caseload_sim.model import simulate
from caseload_sim.model.rules import Rules, after_service_days
from model_fixtures import derive, load

K = EventKind

# Everything that would compete with job finding, or change its pace, switched off.
NO_HAZARDS: dict[str, Any] = {
    "pathway.dropout_per_year": 0.0,
    "pathway.education_per_year": 0.0,
    "pathway.health_per_year": 0.0,
    "pathway.job_tasting_readiness_gain": 0.0,
    "pathway.work_practice_readiness_gain": 0.0,
    "pathway.regression_readiness_loss": 0.0,
    "sick_leave.episodes_per_year": 0.0,
    "candidates.readiness_sd": 0.0,
    "candidates.readiness_mean": 0.0,
    "candidates.severity_readiness_effect": 0.0,
    "candidates.in_work_readiness_effect": 0.0,
    "employer_network.job_finding_effect": 0.0,
    "usual_services.hours_per_user": 20.0,  # every asker gets all the time asked: efficiency 1
}


def test_the_closed_form_without_regressions_is_the_plain_sum() -> None:
    got = after_service_days(10.0, 60.0, 14.0, 90.0, 0.6, 50.0, 0.3, 0.0, 0.5)
    assert math.isclose(got, 0.6 * 50.0 + (1 - 0.18) * 60.0 + 14.0)
    assert after_service_days(10.0, 60.0, 14.0, 90.0, 0.6, 50.0, 0.3, 1.0, 0.5) == math.inf


def test_the_closed_form_is_the_usual_pathways_mean_time_from_job_finding_to_a_job() -> None:
    scenario = derive(
        load("usual_services"),
        {
            **NO_HAZARDS,
            "run.warmup_days": 0.0,
            "run.horizon_days": 6000.0,
            "teams.0.referrals_per_week": 3.0,
            "pathway.regression_prob": 0.3,  # regressions matter: the loop back through the assessment
        },
    )
    r = Rules.from_scenario(scenario)
    expected = r.after_find_calendar + r.after_find_work  # readiness 0, no sick leave: pace 1
    log = simulate(scenario, 3, 0)
    ev = log.events
    step3 = ev[(ev["kind"] == K.STEP) & (ev["step"] == 3)]
    entered: dict[int, float] = {}
    for c, t in zip(step3["candidate"].tolist(), step3["time"].tolist(), strict=True):
        entered.setdefault(c, t)
    jobs = log.of_kind(K.JOB_START)
    first: dict[int, float] = {}
    for c, t in zip(jobs["candidate"].tolist(), jobs["time"].tolist(), strict=True):
        first.setdefault(c, t)
    late = log.meta["end_time"] - 2500.0  # entries after this might not have reached a job yet
    waits = np.array([first[c] - t for c, t in entered.items() if t < late])
    assert all(c in first for c, t in entered.items() if t < late), "without hazards everybody gets a job"
    assert len(waits) > 500
    se = waits.std(ddof=1) / math.sqrt(len(waits))
    assert abs(waits.mean() - expected) < 4.0 * se, (
        f"the usual pathway takes {waits.mean():.1f} days (SE {se:.1f}) from job finding to a job; "
        f"the closed form says {expected:.1f}"
    )


def test_people_discharged_at_the_limit_find_work_afterwards_at_the_rate_the_rules_give() -> None:
    scenario = derive(
        load("baseline"),
        {
            **NO_HAZARDS,
            "jobs.enabled": True,
            "pathway.relapse_dropout_prob": 0.0,
            "regulation.time_limit": "strict_6_6",
        },
    )
    r = Rules.from_scenario(scenario)
    mean = r.after_find_calendar + r.after_find_work
    waits, seen = [], 0
    for replication in range(3):
        log = simulate(scenario, 5, replication)
        ev = log.events
        exits = log.of_kind(K.EXIT)
        limit = exits[exits["code"] == int(ExitReason.TIME_LIMIT)]
        found = ev[ev["kind"] == K.POST_EXIT_JOB_START]
        assert np.all(found["specialist"] == -1) and np.all(found["step"] == -1)
        first = {}
        for c, t in zip(found["candidate"].tolist(), found["time"].tolist(), strict=True):
            first.setdefault(c, t)
        end = log.meta["end_time"]
        for c, t in zip(limit["candidate"].tolist(), limit["time"].tolist(), strict=True):
            seen += 1
            waits.append((first.get(c, end) - t, c in first))
    assert seen > 100
    # an exponential wait, censored at the end of the run: the rate's MLE is found / exposure
    wait = np.array([w for w, _ in waits])
    found_n = sum(1 for _, f in waits if f)
    rate = found_n / wait.sum()
    lo, hi = (stats.chi2.ppf(q, 2 * found_n) / (2 * wait.sum()) for q in (0.001, 0.999))
    assert lo <= 1.0 / mean <= hi, (
        f"people discharged at the limit find work at {rate * 365:.2f} a year "
        f"(99.8 % CI {lo * 365:.2f}–{hi * 365:.2f}); the rules say 1 / {mean:.0f} days"
    )


def test_work_after_the_service_counts_for_the_trials_not_for_the_service() -> None:
    scenario = load("strict_6_6")
    log = simulate(scenario, 1, 0)
    spells = employment_spells(log)
    assert "post_exit_job_end" in set(spells["ended_by"]), "jobs found after the service end and are seen"
    found = log.of_kind(K.POST_EXIT_JOB_START)
    assert len(found) > 0
    starts = set(zip(spells["candidate"].tolist(), spells["start"].tolist(), strict=True))
    assert all(
        (c, t) in starts for c, t in zip(found["candidate"].tolist(), found["time"].tolist(), strict=True)
    ), "every job found after the service is a spell of the employment history"
    # the service's own KPIs read only the caseload's jobs: the same without the rows
    without = dataclasses.replace(log, events=log.events[log.events["kind"] != K.POST_EXIT_JOB_START])
    a, b = compute_kpis(log), compute_kpis(without)
    for kpi in ("work_12m", "retention_6m", "sustained_jobs_per_year", "exits_to_work_per_fte_year"):
        assert a[kpi] == b[kpi] or (math.isnan(a[kpi]) and math.isnan(b[kpi])), (
            f"{kpi} changed with the jobs found after the service: it should count the caseload's jobs only"
        )
    assert a["ever_worked_24m"] > b["ever_worked_24m"], "but the trial-style outcomes count them"
