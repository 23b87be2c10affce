"""The trainers' animation: one team's story packed from the event log, and ``caseload-sim animate``.

The payload is checked against the log by independent paths: the waiting list the
replay counts each week against :func:`caseload_sim.metrics.queue_length_series`, the
people on caseloads against the log's intakes and exits, the story's quits against
the SPECIALIST_LEAVE rows. The browser side (what the player draws from it) is in
``test_browser_teach.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from caseload_sim.cli import app
from caseload_sim.events import EventKind
from caseload_sim.metrics import queue_length_series
from caseload_sim.model import simulate
from caseload_sim.scenario import Scenario, scenario_from_dict
from caseload_sim.teach.animation import KINDS, AnimationError, animation_payload
from caseload_sim.teach.page import animation_html, json_block
from caseload_sim.teach.sources import logged_replication
from model_fixtures import load, shortened

ROOT = Path(__file__).resolve().parents[1]
K = {name: i for i, name in enumerate(KINDS)}
SIZE_BUDGET_BYTES = 2_000_000  # a team over three years: the file a trainer e-mails (docs/teaching.md)


def _replay(payload: dict[str, Any], day: float) -> dict[str, Any]:
    """The state at ``day`` (events at or before it applied), as the player's state machine keeps it."""
    state = {q: s for q, s, _, _ in payload["init"]["people"]}
    queue = [q for q, s, _, _ in payload["init"]["people"] if s == 0]
    exits = [0] * len(payload["exits"])
    ev = payload["events"]
    for j in range(0, len(ev), 4):
        t, kind, q, a = ev[j : j + 4]
        if t > round(day * 100):
            break
        if kind == K["referral"]:
            state[q] = 0
        elif kind == K["queued"]:
            queue.append(q)
        elif kind == K["intake"]:
            queue.remove(q) if q in queue else None
            state[q] = 1
        elif kind == K["step"]:
            state[q] = a
        elif kind == K["job_start"]:
            state[q] = 5
        elif kind == K["job_end"]:
            state[q] = 3
        elif kind == K["exit"]:
            exits[a] += 1
            if q >= 0:
                queue.remove(q) if q in queue else None
                state[q] = -2
    return {
        "waiting": len(queue),
        "on_caseload": sum(1 for s in state.values() if s >= 1),
        "in_work": sum(1 for s in state.values() if s == 5),
        "exits": exits,
    }


@pytest.fixture(scope="module")
def startup() -> tuple[Scenario, Any, dict[str, Any]]:
    scenario = load("startup")
    log = simulate(scenario, 3, 0)
    return scenario, log, animation_payload(log, scenario)


def test_the_waiting_list_in_the_payload_is_the_logs_on_every_week_and_day(startup: Any) -> None:
    """Replaying the payload gives the queue length that metrics.queue_length_series reads off the
    log, at every week end and at 40 random days (what the player's scrub shows must be the log's)."""
    scenario, log, payload = startup
    queue = queue_length_series(log)
    times, levels = queue.index.to_numpy(float), queue.to_numpy(float)

    def logged(day: float) -> int:
        k = np.searchsorted(times, day + payload["start"], side="right") - 1
        return int(levels[k]) if k >= 0 else 0

    assert payload["series"]["waiting"] == [logged(t) for t in payload["weeks"]["t"]]
    rng = np.random.default_rng(0)
    for day in rng.uniform(0, payload["days"], 40).round(0):
        assert _replay(payload, float(day))["waiting"] == logged(float(day)), f"day {day}"
    assert max(payload["series"]["waiting"]) > 0, (
        "startup's list should form at some point (positive control)"
    )


def test_people_in_work_and_exits_agree_with_the_log(startup: Any) -> None:
    scenario, log, payload = startup
    end = _replay(payload, payload["days"])
    ev = log.events
    exits = ev[(ev["kind"] == EventKind.EXIT) & (ev["time"] > payload["start"])]
    want = np.bincount(exits["code"].astype(int), minlength=7).tolist()
    assert end["exits"][:7] == want
    left = int(((ev["kind"] == EventKind.LEFT_WAITING) & (ev["time"] > payload["start"])).sum())
    assert end["exits"][7] == left
    assert payload["series"]["in_work"][-1] == _replay(payload, payload["weeks"]["t"][-1])["in_work"]
    assert len(payload["weeks"]["stress"][0]) == len(payload["posts"]) == 5


def test_the_story_tells_each_quit_with_its_handover(startup: Any) -> None:
    """Every quit in the window is a ticker line "Specialist N quits after …; k candidates: …"."""
    scenario, log, payload = startup
    ev = log.events
    quits = ev[(ev["kind"] == EventKind.SPECIALIST_LEAVE) & (ev["time"] > 0)]
    told = [line for line in payload["story"] if " quits after " in line[1]]
    assert len(told) == len(quits) > 0
    assert [round(float(t), 2) for t in quits["time"]] == [t for t, _ in told]
    assert all(
        re.match(r"Specialist \d quits after .+; (\d+ candidates?[ :]|nobody)", text) for _, text in told
    )


def test_a_mature_team_starts_from_its_state_after_the_warm_up() -> None:
    """baseline has an 8-year warm-up: the animation starts at the window with full caseloads."""
    scenario = shortened(load("baseline"), 730.0, 365.0)
    log = simulate(scenario, 1, 0)
    payload = animation_payload(log, scenario)
    assert payload["start"] == 730.0 and payload["days"] == 365.0
    on = [row for row in payload["init"]["people"] if row[1] >= 1]
    ev = log.events
    intakes = ev["candidate"][(ev["kind"] == EventKind.INTAKE) & (ev["time"] <= 730.0)]
    gone = ev["candidate"][(ev["kind"] == EventKind.EXIT) & (ev["time"] <= 730.0)]
    assert len(on) == len(set(intakes.tolist()) - set(gone.tolist())) > 40
    assert all(t > 0 for t in payload["events"][0::4])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.floats(0.0, 600.0),
    days=st.floats(7.0, 500.0),
    cap=st.integers(6, 25),
    referrals=st.floats(0.3, 2.5),
)
def test_any_window_of_any_team_replays_consistently(
    start: float, days: float, cap: int, referrals: float
) -> None:
    """Invariants over random windows and teams: times sorted and inside the window; nobody leaves
    who was not there; the replay never has a negative queue; posts and people indices in range."""
    doc = load("startup").model_dump(mode="json")
    doc["regulation"]["caseload_cap"] = cap
    doc["teams"][0]["referrals_per_week"] = referrals
    doc["run"]["horizon_days"] = 1200.0
    scenario = scenario_from_dict(doc)
    payload = animation_payload(simulate(scenario, 7, 0), scenario, start=start, days=days)
    t = payload["events"][0::4]
    assert t == sorted(t) and all(0 <= x <= round(payload["days"] * 100) for x in t)
    n_people, n_posts = len(payload["people"]), len(payload["posts"])
    for q, kind, arg in zip(
        payload["events"][2::4], payload["events"][1::4], payload["events"][3::4], strict=True
    ):
        assert -1 <= q < n_people
        if kind in (K["intake"], K["handover"], K["post_start"], K["post_leave"], K["post_closed"]):
            assert 0 <= arg < n_posts
    state = _replay(payload, payload["days"])
    assert state["waiting"] >= 0 and state["on_caseload"] >= 0
    assert len(payload["series"]["waiting"]) == len(payload["weeks"]["t"])


def test_the_page_is_offline_and_within_its_size_budget(startup: Any) -> None:
    """No network resource at all, the data inline and unbreakable, and the file a few hundred kB."""
    scenario, log, payload = startup
    page = animation_html(payload)
    assert len(page.encode()) < SIZE_BUDGET_BYTES
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page must not load anything"
    assert "fetch(" not in page and "XMLHttpRequest" not in page
    block = json_block("x", {"text": "</script><script>alert(1)</script> & more"})
    assert (
        "</script><script>" not in block[len('<script type="application/json" id="x">') : -len("</script>")]
    )
    assert json.loads(block.split(">", 1)[1].rsplit("<", 1)[0]) == {
        "text": "</script><script>alert(1)</script> & more"
    }


def test_bad_requests_name_what_is_allowed(startup: Any) -> None:
    scenario, log, _ = startup
    with pytest.raises(
        AnimationError, match=r"--team: got 'nope'; allowed: one of the scenario's teams \(team-1\)"
    ):
        animation_payload(log, scenario, team="nope")
    with pytest.raises(AnimationError, match=r"--start: got 5000 days; allowed: 0 to before the end"):
        animation_payload(log, scenario, start=5000.0)


def test_animate_from_a_scenario_and_from_its_run_folder_give_the_same_file(tmp_path: Path) -> None:
    """``run --events`` then ``animate FOLDER`` shows exactly what ``animate SCENARIO`` shows: the same
    replication, the same log, the same bytes."""
    runner = CliRunner()
    scenario = tmp_path / "short.yaml"
    scenario.write_text(
        f"extends: {ROOT / 'scenarios' / 'startup.yaml'}\nname: short\nrun:\n  horizon_days: 400\n",
        encoding="utf-8",
    )
    folder = tmp_path / "run"
    got = runner.invoke(
        app,
        [
            "--extends-root",
            str(ROOT),
            "run",
            str(scenario),
            "-n",
            "2",
            "--seed",
            "5",
            "--events",
            "--out",
            str(folder),
        ],
    )
    assert got.exit_code == 0, got.output
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    got = runner.invoke(app, ["animate", str(folder), "--replication", "1", "--out", str(a)])
    assert got.exit_code == 0, got.output
    assert "wrote" in got.output and "MB" in got.output
    got = runner.invoke(
        app,
        [
            "--extends-root",
            str(ROOT),
            "animate",
            str(scenario),
            "--seed",
            "5",
            "--replication",
            "1",
            "--out",
            str(b),
        ],
    )
    assert got.exit_code == 0, got.output
    assert a.read_bytes() == b.read_bytes()
    log, _ = logged_replication(folder, 1)
    assert log.meta["replication"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scenarios/startup.yaml", "--team", "x"], "--team: got 'x'; allowed"),
        (["scenarios/startup.yaml", "--days", "0"], "--days: got 0; allowed: more than 0"),
        (["scenarios/startup.yaml", "--set", "regulation.caseload_cap=0"], "regulation.caseload_cap"),
        (["scenarios/startup.yaml", "--set", "regulation.nope=1"], "regulation.nope"),
        (["out-that-is-not-there.yaml"], "out-that-is-not-there.yaml"),
        (["tests", "--replication", "0"], "no manifest.json"),
    ],
)
def test_animate_refuses_bad_input_with_exit_2_and_writes_nothing(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    target = tmp_path / "a.html"
    got = CliRunner().invoke(app, ["animate", *args, "--out", str(target)])
    assert got.exit_code == 2, got.output
    assert message in got.output
    assert "Traceback" not in got.output
    assert not target.exists()


def test_animate_of_a_run_folder_without_events_says_how_to_make_one(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "manifest.json").write_text(
        json.dumps({"kind": "run", "seed": 1, "scenario": load("startup").model_dump(mode="json")}),
        encoding="utf-8",
    )
    got = CliRunner().invoke(app, ["animate", str(folder), "--out", str(tmp_path / "a.html")])
    assert got.exit_code == 2
    assert "the run was made without --events" in got.output and "run SCENARIO --events" in got.output
