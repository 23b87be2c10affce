"""A waiting list that responds: referral feedback, reneging, a list that closes (issue 8, part 3).

What must hold, and how it is checked:

* **Conservation** — every potential referral ends in exactly one of: intake, not
  referred, left the list, still waiting at the end.
* **The queue discipline** — first come, first served among those who stay; nobody
  waits while a slot is free; a closed list takes nobody beyond its length.
* **The patience law** — with nobody ever taken in, the days people spend on the list
  are their patience: exponential with the scenario's mean (KS test and the mean in
  its interval).
* **Little's law with the list responding** — the area under the queue equals the time
  people spent on it, and ``queue_mean ~= referrals x wait_days_mean``.
* **Face validity**, paired with common random numbers, with what the modeller expects
  in the message: with the responses on, ``cap12``'s and ``no_time_limit``'s lists stop
  growing (with them off, ``cap12``'s grows: the positive control), their mean wait
  stays below the mean patience, more referrals leave more demand unmet, a larger cap
  less, a list closed at 0 keeps nobody waiting.
* **Words** — ``capacity_findings`` says which case a run is in; ``run``, the report and
  ``warmup`` say it.
* **Bad input** — a one-line error naming the file, key, value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from caseload_sim import warmup
from caseload_sim.capacity import capacity_findings
from caseload_sim.cli import app
from caseload_sim.events import EventKind, EventLog, NotReferredReason, check_transitions
from caseload_sim.metrics import compute_kpis, queue_deltas, time_average
from caseload_sim.model import simulate
from caseload_sim.report import read_output_folder, report_warnings
from caseload_sim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from caseload_sim.warmup import SERIES, recommend_warmup
from model_fixtures import caseload_problems, derive, load, mean_ci, shortened

K = EventKind
SEED = 20250308
OFF = {"waiting_list.referral_feedback": False, "waiting_list.reneging": False, "waiting_list.closes": False}
YEAR = 365.0


def _busy(**waiting_list: Any) -> Scenario:
    """Two specialists with 6 slots each and 2 referrals a week: the list fills within weeks."""
    return scenario_from_dict(
        {
            "name": "busy",
            "teams": [{"name": "t", "specialists": 2, "referrals_per_week": 2.0}],
            "regulation": {"caseload_cap": 6},
            "targets": {"creaming_strength": 0.0},
            "waiting_list": waiting_list,
            "run": {"warmup_days": 0, "horizon_days": 900},
        },
        "<busy>",
    )


def _outcome_counts(log: EventLog) -> dict[int, list[str]]:
    """Per potential referral (candidate table), every way its story ended that the log shows."""
    ev = log.events
    out: dict[int, list[str]] = {int(c): [] for c in log.candidates["candidate"]}
    for kind, name in ((K.INTAKE, "intake"), (K.NOT_REFERRED, "not referred"), (K.LEFT_WAITING, "left")):
        for c in ev["candidate"][ev["kind"] == kind].tolist():
            out[c].append(name)
    referred = set(ev["candidate"][ev["kind"] == K.REFERRAL].tolist())
    for c, ends in out.items():
        if not ends and c in referred:
            ends.append("still waiting")
    return out


# ------------------------------------------------------------------ conservation, discipline


@pytest.mark.parametrize(
    "waiting_list",
    [
        {"closes": True, "close_at_list_per_fte": 2.0, "patience_mean_days": 60.0},
        {"half_referrals_at_list_per_fte": 0.5, "feedback_shape": 1.0, "patience_mean_days": 20.0},
        {"referral_feedback": False, "reneging": False, "closes": True, "close_at_list_per_fte": 0.0},
    ],
    ids=["closed-at-2", "steep-feedback", "no-list"],
)
def test_every_potential_referral_ends_exactly_one_way(waiting_list: dict[str, Any]) -> None:
    scenario = _busy(**waiting_list)
    for rep in range(2):
        log = simulate(scenario, SEED, rep)
        ends = _outcome_counts(log)
        bad = {c: e for c, e in ends.items() if len(e) != 1}
        assert not bad, (
            f"{waiting_list}: potential referrals without exactly one ending: {list(bad.items())[:5]}"
        )
        seen = {e[0] for e in ends.values()}
        assert {"intake", "not referred"} <= seen, (
            f"{waiting_list}: the list never turned anyone away: {seen}"
        )
        assert check_transitions(log) == []
        # the replay also checks: nobody waits while a slot is free, a closed list takes
        # nobody beyond its length, leaving only from the list, first come first served
        assert caseload_problems(log, scenario) == []


def test_first_come_first_served_among_those_who_stay() -> None:
    """Creaming off: the people taken in from the list come in the order they joined it."""
    scenario = shortened(_busy(patience_mean_days=30.0), 0.0, 3000.0)
    for rep in range(3):
        ev = simulate(scenario, SEED, rep).events
        joined = {
            int(c): float(t)
            for t, c in zip(
                ev["time"][ev["kind"] == K.QUEUED], ev["candidate"][ev["kind"] == K.QUEUED], strict=True
            )
        }
        intakes = ev[(ev["kind"] == K.INTAKE) & np.isin(ev["candidate"], list(joined))]
        order = [joined[int(c)] for c in intakes["candidate"]]
        assert len(order) > 30 and np.sum(ev["kind"] == K.LEFT_WAITING) > 10, "the test needs both"
        assert order == sorted(order), "someone taken in from the list before a person who joined it earlier"


def test_a_list_closed_at_zero_keeps_nobody_waiting() -> None:
    log = simulate(_busy(closes=True, close_at_list_per_fte=0.0), SEED, 0)
    k = compute_kpis(log)
    closed = log.of_kind(K.NOT_REFERRED)
    assert len(log.of_kind(K.QUEUED)) == 0 and k["queue_mean"] == 0.0 and k["wait_days_mean"] == 0.0
    assert len(closed) > 20 and set(closed["code"].tolist()) == {int(NotReferredReason.LIST_CLOSED)}


# ------------------------------------------------------------------ the patience law

PATIENCE = 30.0


def test_time_on_the_list_follows_the_patience_law_when_nobody_is_taken_in() -> None:
    """One slot that never frees: everyone else waits until their patience runs out.

    With nothing but a constant education hazard of 0 and no time limit, the one person
    taken in stays for ever; the rest join the list (no feedback, no closure) and leave
    it after Exp(mean 30 days). People who joined within 10 means of the end are left
    out, so the sample is uncensored (up to e^-10).
    """
    scenario = scenario_from_dict(
        {
            "name": "stuck",
            "teams": [{"name": "t", "specialists": 1, "referrals_per_week": 3.0}],
            "regulation": {"caseload_cap": 1, "time_limit": "none"},
            "jobs": {"enabled": False},
            "pathway": {"dropout_per_year": 0.0, "health_per_year": 0.0, "education_per_year": 0.0},
            "workforce": {"quit_per_year": 0.0},
            "waiting_list": {"referral_feedback": False, "patience_mean_days": PATIENCE},
            "run": {"warmup_days": 0, "horizon_days": 3000},
        },
        "<stuck>",
    )
    waited = []
    for rep in range(2):
        log = simulate(scenario, SEED, rep)
        ev = log.events
        queued = ev[ev["kind"] == K.QUEUED]
        early = set(queued["candidate"][queued["time"] <= 3000 - 10 * PATIENCE].tolist())
        left = ev[(ev["kind"] == K.LEFT_WAITING) & np.isin(ev["candidate"], list(early))]
        assert len(left) == len(early), "everyone who joined early enough should have left the list"
        waited.append(left["value"])
    x = np.concatenate(waited)
    ks = stats.kstest(x, "expon", args=(0.0, PATIENCE))
    assert ks.pvalue > 1e-3, (
        f"time on the list is not Exp(mean {PATIENCE}): KS D={ks.statistic:.3f}, p={ks.pvalue:.2g}, n={len(x)}"
    )
    mean, low, high = mean_ci(x, 0.99)
    assert low <= PATIENCE <= high, (
        f"mean time on the list {mean:.2f} [{low:.2f}, {high:.2f}] (99 %), patience {PATIENCE}"
    )


# ------------------------------------------------------------------ Little's law, responding


def test_queue_area_equals_time_spent_on_the_list_with_the_list_responding() -> None:
    scenario = shortened(load("cap12"), 730.0, 1460.0)
    queues, flows = [], []
    for rep in range(4):
        log = simulate(scenario, SEED, rep)
        lo, hi = float(log.meta["window_start"]), float(log.meta["window_end"])
        ev = log.events
        n = len(log.candidates)
        start, stop = np.full(n, np.inf), np.full(n, np.inf)
        r = ev[ev["kind"] == K.REFERRAL]
        start[r["candidate"]] = r["time"]
        for kind in (K.INTAKE, K.LEFT_WAITING):
            rows = ev[ev["kind"] == kind]
            stop[rows["candidate"]] = rows["time"]
        spent = float(np.sum(np.clip(np.minimum(stop, hi) - np.maximum(start, lo), 0.0, None)))
        k = compute_kpis(log)
        assert len(log.of_kind(K.LEFT_WAITING)) > 0 and len(log.of_kind(K.NOT_REFERRED)) > 0
        assert k["queue_mean"] * (hi - lo) == pytest.approx(spent, rel=1e-9)
        assert time_average(*queue_deltas(log), lo, hi) == pytest.approx(k["queue_mean"])
        queues.append(k["queue_mean"])
        flows.append(k["referrals_per_year"] / YEAR * k["wait_days_mean"])
    mean, low, high = mean_ci(np.array(queues) - np.array(flows))
    assert abs(mean) <= 0.15 * np.mean(queues), (
        f"queue_mean - referral rate x wait: {mean:+.3f} [{low:+.3f}, {high:+.3f}], mean queue {np.mean(queues):.2f}"
    )


# ------------------------------------------------------------------ face validity (paired)

REPS = 6


def _paired(
    base: Scenario, variant: Scenario, measure: Callable[[EventLog], float], reps: int = REPS
) -> tuple[float, float, float]:
    return mean_ci(
        [measure(simulate(variant, SEED, r)) - measure(simulate(base, SEED, r)) for r in range(reps)]
    )


def _kpi(name: str) -> Callable[[EventLog], float]:
    return lambda log: compute_kpis(log)[name]


def _growth(start: float, end: float) -> Callable[[EventLog], float]:
    """Mean queue over the last three years minus over the three years before the middle."""
    mid = (start + end) / 2

    def measure(log: EventLog) -> float:
        q = queue_deltas(log)
        return time_average(*q, end - 3 * YEAR, end) - time_average(*q, mid - 3 * YEAR, mid)

    return measure


@pytest.mark.parametrize("name", ["cap12", "no_time_limit"])
def test_with_the_list_responding_over_capacity_waits_stay_bounded(name: str) -> None:
    """cap12 and no_time_limit receive more referrals than they can take in (demand/capacity
    about 1.3 and 1.5). With the responses on, their lists stop growing and the mean wait
    stays below the mean patience; with them off, cap12's list grows by several people a
    year (the positive control: the test can see growth)."""
    # after the scenario's own warm-up: without a time limit the caseloads take years to
    # fill with long stays, and the capacity (and so the list's level) drifts until then
    start, end = 4500.0, 4500.0 + 12 * YEAR
    responding = shortened(load(name), start, end - start)
    plain = derive(responding, OFF)
    growth, waits = [], []
    for rep in range(REPS):
        log = simulate(responding, SEED, rep)
        growth.append(_growth(start, end)(log))
        waits.append(compute_kpis(log)["wait_days_mean"])
    mean, low, high = mean_ci(growth)
    assert low <= 0.0 and mean < 1.0, (
        f"expected: with the list responding, {name}'s queue stops growing; the mean queue of the last "
        f"three of 12 measured years minus that of the three before the middle is {mean:+.2f} [{low:+.2f}, {high:+.2f}]"
    )
    patience = responding.waiting_list.patience_mean_days
    w, w_low, w_high = mean_ci(waits)
    assert w_high < patience, (
        f"expected: nobody stays on the list beyond their patience, so the mean wait {w:.1f} "
        f"[{w_low:.1f}, {w_high:.1f}] days stays below the mean patience {patience}"
    )
    if name == "cap12":
        mean, low, high = mean_ci([_growth(start, end)(simulate(plain, SEED, r)) for r in range(REPS)])
        assert low > 0.0, (
            f"positive control: with the responses off cap12's list should grow; it changed by "
            f"{mean:+.2f} [{low:+.2f}, {high:+.2f}]"
        )


def test_more_referrals_leave_more_demand_unmet() -> None:
    base = shortened(load("baseline"), 730.0, 1095.0)
    busier = derive(base, {"teams.0.referrals_per_week": 1.5})
    mean, low, high = _paired(base, busier, _kpi("unmet_demand_share"))
    assert low > 0, (
        f"expected: 50 % more referrals for the same staff leave more of the demand unmet; "
        f"unmet_demand_share {mean:+.3f} [{low:+.3f}, {high:+.3f}] (95 % CI, {REPS} paired replications)"
    )


def test_a_larger_cap_leaves_less_demand_unmet_and_sees_the_same_demand() -> None:
    cap12 = shortened(load("cap12"), 730.0, 1095.0)
    cap20 = shortened(load("cap20"), 730.0, 1095.0)
    mean, low, high = _paired(cap12, cap20, _kpi("unmet_demand_share"))
    assert high < 0, (
        f"expected: a cap of 20 instead of 12 takes in more of the demand; unmet_demand_share "
        f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"
    )
    same = _paired(cap12, cap20, _kpi("potential_referrals_per_year"), reps=2)
    assert same == (0.0, 0.0, 0.0), "common random numbers: the cap must not change the demand"


def test_shorter_patience_means_more_people_leave_the_list() -> None:
    base = _busy()
    hasty = derive(base, {"waiting_list.patience_mean_days": 30.0})
    mean, low, high = _paired(base, hasty, _kpi("renege_share"))
    assert low > 0, (
        f"expected: people who wait 30 instead of 182 days on average leave the list more often; "
        f"renege_share {mean:+.3f} [{low:+.3f}, {high:+.3f}]"
    )


# ------------------------------------------------------------------ words


def _stats(**means: float) -> dict[str, dict[str, float]]:
    return {k: {"mean": v, "ci_low": v * 0.95, "ci_high": v * 1.05} for k, v in means.items()}


def test_capacity_findings_say_which_case_a_run_is_in() -> None:
    over = dict(potential_referrals_per_year=54, intake_capacity_per_year=48, demand_capacity_ratio=1.125)
    held = capacity_findings(
        _stats(
            **over, unmet_demand_share=0.11, not_referred_share=0.001, queue_trend_per_year=0.1, queue_mean=5
        )
    )
    assert [f.kind for f in held] == ["exceeds"]
    assert held[0].text.startswith(
        "Referrals (54 a year) exceed what the team can take in (48 a year; demand/capacity 1.12"
    )
    assert "11 % of the demand goes unmet; the waiting list is held by people leaving it." in held[0].text
    sent = capacity_findings(
        _stats(**over, unmet_demand_share=0.2, not_referred_share=0.2), list_closes=False
    )
    assert "held by people sent elsewhere before they join it (case workers referring fewer)" in sent[0].text
    unbounded = capacity_findings(
        _stats(**over, unmet_demand_share=0.0, queue_trend_per_year=8.0, queue_mean=40), teams=3
    )
    assert [f.kind for f in unbounded] == ["unbounded"]
    assert "the 3 teams" in unbounded[0].text and "no steady state" in unbounded[0].text
    growing = capacity_findings(
        _stats(demand_capacity_ratio=0.9, queue_trend_per_year=4.0, queue_mean=6.0), years=3.0
    )
    assert [f.kind for f in growing] == ["growing"]
    close = capacity_findings(_stats(demand_capacity_ratio=0.97, queue_trend_per_year=0.0, queue_mean=1.0))
    assert [f.kind for f in close] == ["close"]
    assert capacity_findings(_stats(demand_capacity_ratio=0.7)) == []
    assert capacity_findings({}) == [], "an older folder without the KPIs gives no finding"


OVER = """\
name: over
description: Two specialists, a cap of 6 and twice the referrals they can take.
teams:
  - {name: t, specialists: 2, referrals_per_week: 2.0}
regulation: {caseload_cap: 6}
run: {warmup_days: 200, horizon_days: 700}
"""


def test_run_and_report_say_when_referrals_exceed_what_the_team_can_take_in(tmp_path: Path) -> None:
    (tmp_path / "over.yaml").write_text(OVER, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", str(tmp_path / "over.yaml"), "-n", "4", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())  # the warning is wrapped to the terminal's width
    assert "warning: Referrals (" in said and "exceed what the team can take in" in said
    assert "of the demand goes unmet; the waiting list is held by" in said
    titles = [w.title for w in report_warnings(read_output_folder(tmp_path / "o"))]
    assert "Referrals exceed what the team can take in (over)" in titles
    (tmp_path / "roomy.yaml").write_text(
        "extends: over.yaml\nname: roomy\ndescription: Room for all.\nregulation: {caseload_cap: 15}\n"
        "teams: [{name: t, specialists: 2, referrals_per_week: 0.2}]\n",
        encoding="utf-8",
    )
    args = ["compare", str(tmp_path / "over.yaml"), str(tmp_path / "roomy.yaml"), "-n", "3"]
    compared = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "c")])
    assert compared.exit_code == 0, compared.stderr
    said = " ".join(compared.stderr.split())
    assert "warning (over): Referrals (" in said and "warning (roomy)" not in said


def test_warmup_says_the_queue_has_no_steady_state_instead_of_asking_for_longer_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stand-in for the long runs: every series settled but the queue, which rises for ever,
    and flow figures of a service over capacity with nobody going elsewhere."""
    scenario = _busy()

    def one(s: Scenario, seed: int, bin_days: float, replication: int) -> pd.DataFrame:
        rng = np.random.default_rng([seed, replication])
        t = np.arange(int(s.run.horizon_days // bin_days)) * bin_days
        data = {name: 1.0 + rng.normal(0.0, 0.1, len(t)) for name in SERIES}
        data["queue"] = t / 30.0 + rng.normal(0.0, 1.0, len(t))
        frame = pd.DataFrame(data, index=pd.Index(t, name="time"))
        frame.attrs["flow"] = {
            "demand_capacity_ratio": 1.3 + 0.02 * replication,
            "potential_referrals_per_year": 104.0,
            "intake_capacity_per_year": 80.0,
            "unmet_demand_share": 0.0,
            "not_referred_share": 0.0,
            "renege_share": 0.0,
            "queue_trend_per_year": 12.0 + replication,
            "queue_mean": 60.0,
        }
        return frame

    monkeypatch.setattr(warmup, "_replication_series", one)
    rec = recommend_warmup(scenario, seed=1, replications=4, horizon_years=10)
    assert rec.queue_unbounded and rec.long_enough is None
    row = rec.truncations.set_index("series").loc["queue"]
    assert rec.recommended_days < row["truncation_days"], "the unbounded queue must not set the warm-up"
    text = " ".join(rec.notes)
    assert "no steady state" in text and "a longer horizon will not help" in text
    assert "Run again with a longer horizon" not in text, (
        "no advice to run ever longer for a queue that never settles"
    )
    assert rec.to_manifest()["queue_unbounded"] is True


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("{patience_mean_days: 0}", "waiting_list.patience_mean_days: got 0; Input should be greater than 0"),
        (
            "{close_at_list_per_fte: -1}",
            "waiting_list.close_at_list_per_fte: got -1; Input should be greater than or equal to 0",
        ),
        ("{reneging: sometimes}", "waiting_list.reneging: got 'sometimes'; Input should be a valid boolean"),
        ("{patience: 10}", "waiting_list.patience: unknown key; did you mean 'patience_mean_days'?"),
    ],
)
def test_bad_waiting_list_settings_give_one_line_naming_file_key_value_and_what_is_allowed(
    tmp_path: Path, section: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: bad\nteams: [{{name: t}}]\nwaiting_list: {section}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: {expected}"), lines
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
