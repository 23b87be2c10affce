"""Face validity: the directions that follow from the model's mechanisms, on common random numbers.

Each check runs a base and a variant on the same seeds (the same referrals, the same
people, the same draws wherever the lever does not matter) and asks for a 95 %
confidence interval of the paired difference that excludes zero in the direction
the mechanism predicts. Each message says what the modeller expected and why, with
the mechanism in the code that carries it:

- **follow-up protects jobs** (``model/job.py``): the job-loss hazard falls with the
  follow-up a job gets and keeps its early instability, employer decision and sick
  leave after discharge, so cutting step-5 follow-up loses jobs;
- **employer visits make jobs** (the employer network, ``model/workforce.py``): visits
  build a network that speeds job finding and makes permanent jobs likelier;
- **time limits discharge people still in need** (``model/candidate.py``, reviews): a
  strict 6 + 6 months discharges more people who are not in work and takes the third
  year from people with reduced work capacity;
- **usual services** (``service: usual_services``): the same people with little time,
  little employer contact, train-then-place and no workplace follow-up work less;
- **new teams learn**: new hires' learning curve and an employer network built from
  nothing make a new team's first intakes do worse than an experienced team's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from caseload_sim.events import EventKind, EventLog, ExitReason
from caseload_sim.metrics import compute_kpis, sustained_work_share
from caseload_sim.model import simulate
from caseload_sim.scenario import Scenario
from model_fixtures import derive, load, mean_ci, shortened

SEED = 20261201
REPLICATIONS = 20

Figure = Callable[[EventLog], float]


def kpi(name: str) -> Figure:
    def figure(log: EventLog) -> float:
        return compute_kpis(log)[name]

    figure.__name__ = name
    return figure


def time_limit_exits_per_year(log: EventLog) -> float:
    """Discharges at the legal limit of people not in work, per year of the window."""
    ex = log.of_kind(EventKind.EXIT)
    a, b = log.meta["window_start"], log.meta["window_end"]
    ex = ex[(ex["time"] > a) & (ex["time"] <= b)]
    return float(np.sum(ex["code"] == int(ExitReason.TIME_LIMIT)) / ((b - a) / 365.0))


def days_job_finding(log: EventLog) -> float:
    """Mean days from first reaching step 3 (job finding) to the first job, of first jobs in the window."""
    ev = log.events
    a, b = log.meta["window_start"], log.meta["window_end"]
    step3 = ev[(ev["kind"] == EventKind.STEP) & (ev["step"] == 3)]
    jobs = ev[ev["kind"] == EventKind.JOB_START]
    first3: dict[int, float] = {}
    for c, t in zip(step3["candidate"].tolist(), step3["time"].tolist(), strict=True):
        first3.setdefault(c, t)
    first_job: dict[int, float] = {}
    for c, t in zip(jobs["candidate"].tolist(), jobs["time"].tolist(), strict=True):
        first_job.setdefault(c, t)
    days = [t - first3[c] for c, t in first_job.items() if a < t <= b and c in first3]
    return float(np.mean(days))


def sustained_reduced_capacity(log: EventLog) -> float:
    """Share of intakes with reduced work capacity in a job within a year that lasts another year."""
    return sustained_work_share(log, reduced_capacity=True, within_days=365.0)


def paired(
    base: Scenario, variant: Scenario, figure: Figure, n: int = REPLICATIONS
) -> tuple[float, float, float]:
    diffs = [figure(simulate(variant, SEED, r)) - figure(simulate(base, SEED, r)) for r in range(n)]
    return mean_ci(diffs)


def check(
    base: Scenario, variant: Scenario, figure: Figure, sign: int, expected: str, n: int = REPLICATIONS
) -> None:
    mean, low, high = paired(base, variant, figure, n)
    shown = (
        f"{variant.name} - {base.name}: {figure.__name__} {mean:+.4g} [{low:+.4g}, {high:+.4g}] "
        f"(95 % CI of {n} paired replications)"
    )
    assert (low > 0) if sign > 0 else (high < 0), f"expected: {expected}; got {shown}"


DIRECTIONS = [
    (
        "baseline",
        "followup_30d",
        kpi("retention_6m"),
        -1,
        "30 days of step-5 follow-up instead of a year: the job goes on unprotected through its early "
        "months and its employer decision, so fewer first jobs are still held after six months",
    ),
    (
        "baseline",
        "followup_30d",
        kpi("sustained_jobs_per_year"),
        -1,
        "less workplace follow-up loses jobs: fewer first jobs last a year",
    ),
    (
        "baseline",
        "visits3",
        days_job_finding,
        +1,
        "three employer visits a week instead of six build half the employer network: the specialist's part "
        "of job finding (step 3) is slower, though the freed hours speed the rest (a small effect: 60 pairs)",
        60,
    ),
    (
        "baseline",
        "visits3",
        kpi("permanent_12m"),
        -1,
        "a smaller employer network makes permanent jobs and permanent hires less likely",
    ),
    (
        "baseline",
        "visits3",
        kpi("overload_share"),
        -1,
        "three hours a week freed from visits go to the caseload: fewer overloaded weeks",
    ),
    (
        "baseline",
        "strict_6_6",
        time_limit_exits_per_year,
        +1,
        "no third year for people with reduced work capacity: more people discharged at the limit not in work",
    ),
    (
        "baseline",
        "strict_6_6",
        sustained_reduced_capacity,
        -1,
        "people with reduced work capacity lose the time to find a job and to be followed in it: fewer of "
        "them reach a job that lasts",
    ),
    (
        "baseline",
        "strict_6_6",
        kpi("sustained_jobs_per_year"),
        -1,
        "discharges a few months into a job, and of people still searching, lose jobs that would have lasted",
    ),
    (
        "usual_services",
        "baseline",
        kpi("work_12m"),
        +1,
        "job specialists (time, employer contacts, place-then-train, workplace follow-up) place more of the "
        "same people within a year than ordinary case workers with over 100 users each",
    ),
    (
        "usual_services",
        "baseline",
        kpi("retention_6m"),
        +1,
        "jobs followed up in the workplace last longer than jobs nobody follows",
    ),
]


@pytest.mark.parametrize(
    "base,variant,figure,sign,expected,n",
    [(*d, REPLICATIONS)[:6] for d in DIRECTIONS],
    ids=[f"{v}-{b}-{f.__name__}" for b, v, f, *_ in DIRECTIONS],
)
def test_a_lever_moves_outcomes_the_way_its_mechanism_says(
    base: str, variant: str, figure: Figure, sign: int, expected: str, n: int
) -> None:
    check(load(base), load(variant), figure, sign, expected, n)


def test_a_new_team_does_worse_in_its_first_year_than_an_experienced_one() -> None:
    """Same empty caseloads at day 0; only the specialists' experience differs.

    A new hire works at ``initial_effectiveness`` and learns with a time constant of a
    year, and builds an employer network from nothing; an experienced team starts
    learned and with the network its visits keep up.
    """
    new = shortened(load("startup"), 0.0, 730.0)
    experienced = derive(new, {"teams.0.initial_tenure_months": 36.0}, "experienced_start")
    for figure, sign, why in (
        (
            kpi("work_12m"),
            -1,
            "fewer of a new team's first-year intakes find work within a year (a small effect)",
        ),
        (kpi("permanent_12m"), -1, "a new team has no employer network yet: fewer permanent jobs"),
    ):
        check(experienced, new, figure, sign, why, n=60)


def test_follow_up_lowers_the_job_loss_hazard() -> None:
    """The mechanism itself, isolated: no follow-up hours in step 5 means more lost jobs.

    Step-5 hours of 0 give follow-up intensity 0: the job-loss hazard is
    (1 + followup_protection) times the fully followed one, during and after follow-up.
    """
    base = load("baseline")
    none = derive(base, {"week.hours_per_candidate": [2.0, 2.0, 1.4, 1.4, 0.0]}, "no_step5_hours")
    check(
        base,
        none,
        kpi("retention_6m"),
        -1,
        "jobs that get no workplace follow-up at all are lost more often: lower six-month retention",
    )


def mean_readiness_of_referred(log: EventLog) -> float:
    """Mean readiness of the people actually referred (REFERRAL rows) in the window."""
    ev = log.events
    a, b = log.meta["window_start"], log.meta["window_end"]
    ref = ev[(ev["kind"] == EventKind.REFERRAL) & (ev["time"] > a) & (ev["time"] <= b)]
    cands = log.candidates
    readiness = dict(zip(cands["candidate"].tolist(), cands["readiness"].tolist(), strict=True))
    return float(np.mean([readiness[c] for c in ref["candidate"].tolist()]))


def test_creaming_at_referral_sends_the_least_ready_elsewhere() -> None:
    """With a list to respond to (cap12) and ``referral_selectivity``, case workers withhold the least ready first."""
    base = load("cap12")
    creaming = derive(base, {"waiting_list.referral_selectivity": 1.5}, "cap12_creaming_at_referral")
    check(
        base,
        creaming,
        mean_readiness_of_referred,
        +1,
        "case workers who judge some people not ready refer the readier ones while the team is full",
    )


def test_usual_services_leave_the_specialists_workforce_and_staff_costs_undefined() -> None:
    """Ordinary case workers' turnover, targets and staff cost are not modelled: NaN, not a flattering 0."""
    from caseload_sim.metrics import USUAL_SERVICES_UNDEFINED

    k = compute_kpis(simulate(shortened(load("usual_services"), 365.0, 730.0), SEED, 0))
    assert all(np.isnan(k[name]) for name in USUAL_SERVICES_UNDEFINED), {
        n: k[n] for n in USUAL_SERVICES_UNDEFINED
    }
    assert k["work_12m"] > 0 and k["cost_wage_subsidy_nok"] > 0, (
        "the arm's placements and subsidies are measured"
    )
