"""The planners' comparison report in a real browser: on a wide screen, a narrow window and in print.

Headless Chromium (Debian's, under Playwright; see ``browser.py``) opens the report of a
base and three alternatives at 1,400 px and at 800 px: the page never scrolls sideways,
nothing logs an error, nothing is fetched. In print (A4 landscape) every results table
fits the sheet and shows every scenario's column, the warnings folded on screen are
open, and the parameters appendix and the raw manifest give way to what differs. A PDF is printed and looked at: it is made and has pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser import needs_chromium, not_blank, screenshot, watched_page
from test_report import compare_caps  # the one-team scenario of the report tests, with caps

pytestmark = needs_chromium

ALTERNATIVES = {"cap10": 10, "cap20": 20, "cap25_roomy_alternative": 25}
A4_LANDSCAPE_PX = 1032  # 297 mm less 2 x 12 mm margins, at 96 px per inch


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, _ = compare_caps(tmp_path_factory.mktemp("report4"), ALTERNATIVES, 3)
    return folder / "report.html"


def _page_overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.parametrize("width", [1400, 800])
def test_the_report_reads_at_any_width_without_scrolling_sideways(
    browser: Any, report: Path, tmp_path: Path, width: int
) -> None:
    w = watched_page(browser, width=width, height=1000)
    page = w.page
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    assert _page_overflow(page) <= 0, f"at {width} px the page scrolls sideways"
    if width == 1400:  # the results tables fit the page: no scrolling inside them either
        wide = page.evaluate(
            "Array.from(document.querySelectorAll('#results table.kpis')).filter("
            "t => t.getBoundingClientRect().width > t.parentElement.clientWidth + 1).length"
        )
        assert wide == 0, f"{wide} results tables need a sideways scroll at 1400 px"
    page.evaluate("document.getElementById('summary').scrollIntoView()")
    assert not_blank(screenshot(page, tmp_path, f"report-{width}.png"))
    assert w.clean() == []


def test_the_report_prints_every_scenario_and_every_warning(
    browser: Any, report: Path, tmp_path: Path
) -> None:
    w = watched_page(browser, width=A4_LANDSCAPE_PX, height=1400)
    page = w.page
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    tables = page.evaluate(
        """Array.from(document.querySelectorAll('#results table.kpis:not(.effects)')).map(t => ({
             right: t.getBoundingClientRect().right,
             heads: Array.from(t.querySelectorAll('thead th')).map(h => h.textContent)}))"""
    )
    assert tables, "the results have tables"
    width = page.evaluate("document.documentElement.clientWidth")
    names = ["tiny", *ALTERNATIVES]
    for table in tables:
        assert table["right"] <= width + 1, "a results table is cut off on an A4 landscape sheet"
    for name in names:
        assert any(any(name in h for h in t["heads"]) for t in tables), f"{name}'s column is missing in print"
    folded = page.evaluate(
        "Array.from(document.querySelectorAll('details li')).filter(li => !li.checkVisibility()).length"
    )
    assert folded == 0, f"{folded} items of folded warnings would not print"
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('#parameters tbody tr')).map(r => "
        "[r.classList.contains('differs'), r.checkVisibility()])"
    )
    assert rows and all(differs == shown for differs, shown in rows), (
        "in print the parameters table keeps only the parameters that differ (the appendix of every "
        "parameter stays on screen)"
    )
    assert not page.evaluate("document.querySelector('details.screen-only').checkVisibility()"), (
        "the raw manifest.json (some 30 pages) is not printed"
    )
    assert page.evaluate("document.querySelector('#manifest .print-only').checkVisibility()"), (
        "print says where the manifest is instead"
    )
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") > 3
    assert w.clean() == []
