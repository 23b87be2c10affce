"""The trainers' tools in a real browser: the offline animation from file:// and the classroom app.

Headless Chromium (Debian's, driven by Playwright; see ``browser.py``). Each test checks
there are no console errors and no request leaves the machine, then what a trainer
would: playing moves the clock and the dots, scrubbing to a day shows the waiting list
the event log has on that day, clicking a dot shows that person's path, and in the app
moving a lever and running again changes the result. The screenshots are the ones in
``docs/teaching.md`` (``make screenshots``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from browser import needs_chromium, not_blank, screenshot, watched_page
from caseload_sim.metrics import queue_length_series
from caseload_sim.model import simulate
from caseload_sim.scenario import scenario_from_dict
from caseload_sim.teach.animation import animation_payload
from caseload_sim.teach.page import animation_html
from model_fixtures import load

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, Any]]:
    """startup.yaml over three years, seed 3, with Specialist 3 scripted to quit on day 412."""
    doc = load("startup").model_dump(mode="json")
    doc["teams"][0]["quits"] = [{"at_days": 412.0, "specialist": 3}]
    scenario = scenario_from_dict(doc)
    log = simulate(scenario, 3, 0)
    payload = animation_payload(log, scenario)
    path = tmp_path_factory.mktemp("animation") / "startup.html"
    path.write_text(animation_html(payload), encoding="utf-8")
    return path, log, payload


def _state(page: Any) -> dict[str, Any]:
    return page.evaluate("window.player.state(0)")


def test_the_animation_plays_from_file_and_moves_the_dots(browser: Any, lesson: Any, tmp_path: Path) -> None:
    path, _, payload = lesson
    ev = payload["events"]
    intake = next(ev[j] / 100 for j in range(0, len(ev), 4) if ev[j + 1] == 2 and ev[j] > 100_00)
    w = watched_page(browser)
    page = w.page
    page.goto(path.as_uri())
    page.wait_for_function("window.player !== undefined")
    assert _state(page)["day"] == 0
    page.evaluate(f"window.player.seek({intake - 10:.2f})")  # ten days before an intake
    before = {q: (x, y) for q, x, y in page.evaluate("window.player.dotPositions(0)")}
    page.click("button.cs-play")
    page.wait_for_function(f"window.player.state(0).day > {intake + 3:.2f}", timeout=10_000)
    page.click("button.cs-play")  # pause
    day = _state(page)["day"]
    page.wait_for_timeout(300)
    assert _state(page)["day"] == day, "pause should stop the clock"
    after = {q: (x, y) for q, x, y in page.evaluate("window.player.dotPositions(0)")}
    moved = [q for q in after if q not in before or before[q] != after[q]]
    assert moved, f"playing through the intake on day {intake:g} should bring a new dot to a desk"
    clock = page.inner_text(".cs-clock")
    assert clock.startswith(f"Day {int(day)} ·"), clock
    assert not_blank(screenshot(page, tmp_path, "animation-playing.png"))
    assert w.clean() == []


def test_scrubbing_to_a_day_shows_the_logs_waiting_list(browser: Any, lesson: Any, tmp_path: Path) -> None:
    """Drag the slider to a day: the count drawn is the queue length the event log has on that day
    (metrics.queue_length_series), on the busiest day of the list and on days either side."""
    path, log, payload = lesson
    queue = queue_length_series(log)
    times, levels = queue.index.to_numpy(float), queue.to_numpy(float)

    def logged(day: int) -> int:
        k = np.searchsorted(times, day, side="right") - 1
        return int(levels[k]) if k >= 0 else 0

    busiest = int(times[np.argmax(levels)]) + 1
    w = watched_page(browser)
    page = w.page
    page.goto(path.as_uri())
    page.wait_for_function("window.player !== undefined")
    for day in (busiest, 30, busiest - 40, busiest + 60, 900):
        page.locator("input.cs-scrub").fill(str(day))
        shown = int(page.get_attribute(".cs-counts", "data-waiting") or -1)
        assert shown == logged(day), f"day {day}: the player shows {shown} waiting, the log has {logged(day)}"
        assert _state(page)["waiting"] == logged(day)
    assert logged(busiest) > 0, "positive control: the list is not empty on its busiest day"
    page.locator("input.cs-scrub").fill(str(busiest))
    assert not_blank(screenshot(page, tmp_path, "animation-queue.png"))
    assert w.clean() == []


def test_the_scripted_quit_is_told_and_a_person_can_be_followed(
    browser: Any, lesson: Any, tmp_path: Path
) -> None:
    """Day 413 (the week end after the scripted day 412): the ticker says Specialist 3 quits and what
    became of the caseload, the desk shows vacant; clicking a dot shows that person's path."""
    path, _, _ = lesson
    w = watched_page(browser)
    page = w.page
    page.goto(path.as_uri())
    page.wait_for_function("window.player !== undefined")
    page.locator("input.cs-scrub").fill("414")
    first = page.inner_text(".cs-ticker li:first-child")
    assert "Specialist 3 quits after" in page.inner_text(".cs-ticker"), first
    assert not _state(page)["posts"][2]["held"], "Specialist 3's post should be vacant after the quit"
    # click the first dot on a desk
    q, x, y = next(d for d in page.evaluate("window.player.dotPositions(0)") if d[1] > 200)
    box = page.locator("canvas.cs-stage").bounding_box()
    page.mouse.click(box["x"] + x * box["width"] / 1000, box["y"] + y * box["width"] / 1000)
    person = page.locator(".cs-person")
    person.wait_for(state="visible")
    text = person.inner_text()
    assert f"Candidate {q}" in text and "taken in by Specialist" in text, text
    assert not_blank(screenshot(page, tmp_path, "animation-quit.png", full_page=True))
    assert w.clean() == []


def test_the_animation_reads_well_on_a_narrow_window(browser: Any, lesson: Any, tmp_path: Path) -> None:
    """At 800 px nothing scrolls sideways: the stage and the controls shrink to the window."""
    path, _, _ = lesson
    w = watched_page(browser, width=800, height=900)
    page = w.page
    page.goto(path.as_uri())
    page.wait_for_function("window.player !== undefined")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls {overflow} px sideways at 800 px"
    assert not_blank(screenshot(page, tmp_path, "animation-narrow.png"))
    assert w.clean() == []


LESSONS = [
    # (screenshot, scenario, --set changes, seed, what the ticker must tell, from which line on)
    (
        "lesson-1-queue.png",
        "startup",
        [
            "teams[*].referrals_per_week=1.3",
            "waiting_list.referral_feedback=false",
            "waiting_list.reneging=false",
        ],
        3,
        r"The waiting list reaches (1[5-9]|[2-9]\d)",
    ),
    (
        "lesson-2-resignation.png",
        "resignation",
        ["workforce.handover=wait"],
        7,
        r"Specialist 3 quits after .+ wait",
    ),
    (
        "lesson-3-time-limit.png",
        "baseline",
        ["regulation.time_limit=strict_6_6"],
        1,
        r"reaches the time limit",
    ),
    (
        "lesson-4-creaming.png",
        "targets_individual",
        ["targets.creaming_strength=0.8"],
        1,
        r"taken in ahead of \d+ (person|people) who waited longer",
    ),
    ("lesson-5-new-team.png", "startup", [], 3, r"quits after \d+ months"),
]


@pytest.mark.parametrize(("shot", "name", "changes", "seed", "told"), LESSONS, ids=[x[0] for x in LESSONS])
def test_each_lesson_shows_what_its_plan_says(
    browser: Any, tmp_path: Path, shot: str, name: str, changes: list[str], seed: int, told: str
) -> None:
    """docs/teaching.md's lessons, as a trainer would run them (``animate SCENARIO --set … --seed S``):
    the event the lesson is about happens, the ticker tells it at its day, and the screenshot
    in the lesson plan is made here."""
    import re

    from caseload_sim.keypaths import apply_settings, parse_assignment
    from caseload_sim.scenario import resolve_document

    root = Path(__file__).resolve().parents[1]
    doc = apply_settings(
        resolve_document(root / "scenarios" / f"{name}.yaml"), [parse_assignment(c) for c in changes]
    )
    scenario = scenario_from_dict(doc)
    payload = animation_payload(simulate(scenario, seed, 0), scenario)
    line = next((s for s in payload["story"] if re.search(told, s[1])), None)
    assert line is not None, f"{shot}: the lesson is about '{told}', which never happens in this run"
    path = tmp_path / "lesson.html"
    path.write_text(animation_html(payload), encoding="utf-8")
    w = watched_page(browser, width=1280, height=900)
    page = w.page
    page.goto(path.as_uri())
    page.wait_for_function("window.player !== undefined")
    page.locator("input.cs-scrub").fill(str(int(line[0]) + 1))
    assert line[1] in page.inner_text(".cs-ticker"), f"{shot}: the ticker should tell: {line[1]}"
    person = re.search(r"Candidate (\d+)", line[1])
    if person:  # follow the person the lesson is about
        page.evaluate(f"window.player.select({person.group(1)})")
        assert f"Candidate {person.group(1)}" in page.inner_text(".cs-person")
    assert not_blank(screenshot(page, tmp_path, shot, full_page=True))
    assert w.clean() == []


@pytest.fixture
def app_url() -> Any:
    """The classroom app on a free port of 127.0.0.1, in a thread, for one test."""
    import threading

    from caseload_sim.teach.app import make_server

    server = make_server(0, Path(__file__).resolve().parents[1] / "scenarios")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _run_and_read(page: Any, kpi: str, cap: int) -> str:
    """Press Run both and wait for the result of this run (the changes line names the new cap)."""
    page.click("#run")
    page.wait_for_function(
        f"document.getElementById('changes').textContent.includes('Caseload cap per FTE: {cap} ')",
        timeout=30_000,
    )
    page.wait_for_selector(f'#kpis [data-kpi="{kpi}"]', timeout=30_000)
    page.wait_for_function("window.caseloadApp.player() && window.caseloadApp.player().panels.length === 2")
    return page.inner_text(f'#kpis [data-kpi="{kpi}"]')


def test_the_app_runs_the_same_people_twice_and_a_lever_changes_the_result(
    browser: Any, app_url: str, tmp_path: Path
) -> None:
    """A trainer lowers the cap from 15 to 5 on startup and presses Run both: two panels play, the
    waiting list of the changed run is longer. Moving the lever again and re-running changes the
    result again; the same people (by name) are referred on the same days in both panels."""
    w = watched_page(browser, width=1400, height=1000)
    page = w.page
    page.goto(app_url)
    page.wait_for_selector("#scenario option[value='startup.yaml']", state="attached")
    page.select_option("#scenario", "startup.yaml")
    page.select_option("#years", "1")
    page.fill("#lever-caseload_cap", "5")
    first = _run_and_read(page, "queue_mean", 5)
    page.evaluate("window.caseloadApp.player().seek(300)")
    base, changed = page.evaluate("[0, 1].map((i) => window.caseloadApp.player().state(i).waiting)")
    assert changed > base, (
        f"cap 5 against 15: the changed run's list ({changed}) should be longer than {base}"
    )
    names = page.evaluate(
        "window.caseloadApp.player().panels.map((p) => p.data.people.filter((r) => r[1] < 60).map((r) => r[0]))"
    )
    assert names[0] == names[1], "the same people are referred in the first two months in both runs"
    assert not_blank(screenshot(page, tmp_path, "app.png", full_page=True))
    page.fill("#lever-caseload_cap", "10")
    second = _run_and_read(page, "queue_mean", 10)
    assert second != first, (
        f"moving the cap from 5 to 10 should change the changed run's waiting list ({first})"
    )
    assert w.clean() == []
