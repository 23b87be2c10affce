"""The warm-up page in a real browser: every label readable, at 1,400 px and at 800 px.

Headless Chromium (Debian's, under Playwright; see ``browser.py``) opens two pages: the
one ``caseload-sim warmup`` writes for a small start-up scenario, and a worst case made
from it (every series flagged at the half-series limit and drifting, a long scenario
name and file path, the longest legend entries). In both, at both widths: nothing logs
an error or is fetched, the page never scrolls sideways, the figure drew every trace,
and no two of the figure's texts (panel headings, legend, axis titles, tick labels)
overlap or stick out of the figure — the labels on the vertical lines used to collide.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from browser import needs_chromium, not_blank, screenshot, watched_page
from caseload_sim.cli import app
from caseload_sim.report.warmup import warmup_page
from caseload_sim.warmup import SERIES, recommend_warmup
from test_warmup import STARTUP  # the tiny start-up scenario the warm-up tests use

pytestmark = needs_chromium

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "startup.yaml"

# Every text the figure draws, with a box: SVG <text> elements (panel headings and axis
# titles are .annotation-text, .xtitle, .ytitle inside .g-xtitle/.g-ytitle; the legend's
# .legendtext; tick labels inside .xtick/.ytick groups; a figure title would be .gtitle).
TEXT_BOXES = """(root) => Array.from(document.querySelectorAll(root + ' svg text'))
  .filter(t => t.textContent.trim() !== '')
  .map(t => { const r = t.getBoundingClientRect();
    return {text: t.textContent, cls: (t.getAttribute('class') || t.parentNode.getAttribute('class') || ''),
            left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })
  .filter(b => b.right > b.left && b.bottom > b.top)"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("warmup-pages")
    cli = root / "startup.html"
    got = CliRunner().invoke(app, ["warmup", str(SCENARIO), "-n", "3", "--years", "4", "--out", str(cli)])
    assert got.exit_code == 0, got.stderr
    from caseload_sim.scenario import scenario_from_dict

    rec = recommend_warmup(
        scenario_from_dict(STARTUP, "<tiny-startup>"), seed=7, replications=3, horizon_years=2, bin_days=7
    )
    worst = dataclasses.replace(
        rec,
        scenario="a-start-up-scenario-with-a-rather-long-name-for-a-narrow-window",
        truncations=rec.truncations.assign(at_limit=True, drifting=True, truncation_days=36000.0),
        recommended_days=36500,
        recommended_months=1200,
        current_warmup_days=36499.0,
        long_enough=False,
        at_limit=True,
        drifting=True,
    )
    path = "scenarios/regions/north/a-start-up-scenario-with-a-rather-long-name-for-a-narrow-window.yaml"
    (root / "worst.html").write_text(
        warmup_page(worst, scenario_file=path, made=datetime(2026, 3, 3, 14, 5, tzinfo=UTC)), encoding="utf-8"
    )
    return {"startup": cli, "worst": root / "worst.html"}


def _overlaps(boxes: list[dict[str, Any]]) -> list[str]:
    """Pairs of text boxes that intersect (by more than half a pixel each way)."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5
                and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5
            ):
                found.append(f"{a['text']!r} ({a['cls']}) overlaps {b['text']!r} ({b['cls']})")
    return found


@pytest.mark.parametrize("kind", ["startup", "worst"])
@pytest.mark.parametrize("width", [1400, 800])
def test_the_warmup_page_reads_at_any_width(
    browser: Any, pages: dict[str, Path], tmp_path: Path, width: int, kind: str
) -> None:
    w = watched_page(browser, width=width, height=1000)
    page = w.page
    page.goto(pages[kind].as_uri())
    page.wait_for_load_state("load")
    page.wait_for_selector("#warmup-figure .main-svg")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"at {width} px the page scrolls sideways by {overflow} px"
    headings = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
    assert headings == ["In short", "How to read the chart", "How the recommendation is made"]
    # the figure drew: per panel the replications and the mean, then the legend's keys
    traces = page.evaluate("document.querySelectorAll('#warmup-figure .scatterlayer .trace').length")
    assert traces >= len(SERIES) * (3 + 1)

    boxes = page.evaluate(TEXT_BOXES, "#warmup-figure")
    kinds = {b["cls"] for b in boxes}
    assert {"annotation-text", "legendtext"} <= kinds, kinds
    assert any(re.fullmatch(r"x\d*title", k) for k in kinds), "the time axis's title"
    assert any(re.fullmatch(r"y\d*tick", k) for k in kinds), "tick labels"
    assert sum(b["cls"] == "annotation-text" for b in boxes) == len(SERIES)  # the panels' headings
    assert _overlaps(boxes) == [], f"at {width} px"
    frame = page.evaluate(
        "(() => { const r = document.querySelector('#warmup-figure .main-svg').getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })()"
    )
    outside = [
        b["text"]
        for b in boxes
        if b["left"] < frame["left"] - 0.5
        or b["right"] > frame["right"] + 0.5
        or b["top"] < frame["top"] - 0.5
        or b["bottom"] > frame["bottom"] + 0.5
    ]
    assert outside == [], f"at {width} px these texts are cut off at the figure's edge"
    page.evaluate("document.getElementById('chart').scrollIntoView()")
    assert not_blank(screenshot(page, tmp_path, f"warmup-{kind}-{width}.png"))
    assert w.clean() == []
