"""The comparison report of many scenarios: one summary table, pickers, a grid, colours that stay apart.

A sweep of a lever gives a planner ten, thirty scenarios at once. Laid out as for two,
"In short" repeats one paragraph per alternative, the results tables run to dozens of
pages, the forest plot stacks thirty markers per KPI and eight colours repeat. The
fixture compares a tiny base with nine alternatives (caps 8–16, so more than
``ALTERNATIVES_PER_TABLE`` and more than the palette's colours) on the real CLI and
checks the layout for many: in the HTML, and in headless Chromium on screen and in print
(where the pickers give way to tables with the scenarios as rows).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from browser import needs_chromium, not_blank, screenshot, watched_page
from caseload_sim.report import read_output_folder, report_warnings
from caseload_sim.report.figures import MANY_SCENARIOS, PALETTE, effect_heatmap, scenario_colours
from caseload_sim.report.html import ALTERNATIVES_PER_TABLE
from test_report import compare_caps

CAPS = list(range(8, 17))
NAMES = ["tiny", *(f"cap{c}" for c in CAPS)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("many")
    folder, printed = compare_caps(root, {f"cap{c}": c for c in CAPS}, 2)
    (root / "stdout.txt").write_text(printed, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def page_html(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def _section(page: str, sid: str) -> str:
    start = page.index(f'<section id="{sid}">')
    return page[start : page.index("</section>", start)]


def test_the_fixture_is_many_in_both_senses() -> None:
    assert len(NAMES) - 1 > ALTERNATIVES_PER_TABLE
    assert len(NAMES) > MANY_SCENARIOS


def test_the_terminal_gives_one_headline_table_for_many_alternatives(folder: Path) -> None:
    out = (folder.parent / "stdout.txt").read_text(encoding="utf-8")
    assert "9 alternatives vs tiny: headline results (1 of 2), 2 paired replications" in out
    assert "(2 of 2)" in out and "vs tiny: 2 paired replications" not in out, "no full table per alternative"
    rows = [line for line in out.splitlines() if re.match(r" cap\d+ ", line)]
    assert len(rows) == 2 * len(CAPS), "each alternative is a row of both headline tables"
    assert "--all-tables prints them here too" in " ".join(out.split())
    assert out.count("In short, cap") == len(CAPS), "each trade-off in words still follows"
    assert max(len(line) for line in out.splitlines()) <= 80


def test_in_short_is_one_table_and_one_sentence_per_alternative(page_html: str) -> None:
    summary = _section(page_html, "summary")
    assert summary.count("<table class='kpis headline'>") == 1, "many alternatives: one headline table"
    rows = re.findall(r"<tr(?: class='base')?><td>", summary.split("<tbody>")[1])
    assert len(rows) == len(NAMES), "a row for the base and one per alternative"
    sentences = re.findall(r"<li>.*?</li>", summary.split("<ul class='tight tradeoffs'>")[1])
    assert len(sentences) == len(NAMES) - 1
    assert "compared with tiny</h3>" not in summary, "no paragraph per alternative"
    assert "cap8</strong> … " in summary and "(9 of them)" in summary, "the alternatives named as a range"
    assert "(kNOK)" in summary and "(%)" in summary, "the units are in the headers"
    assert "<h1>Scenario comparison: tiny vs 9 alternatives (cap8 … cap16)</h1>" in page_html


def test_results_and_effects_are_pages_behind_a_picker_and_all_in_the_file(page_html: str) -> None:
    results = _section(page_html, "results")
    pages = re.findall(r"<div class='page' data-page='(\d+)'( hidden)?>", results)
    assert [int(k) for k, _ in pages] == [0, 1, 2], "nine alternatives in pages of four"
    assert [bool(h) for _, h in pages] == [False, True, True], "the first page shows, the others wait"
    assert "<select onchange='caseloadPage(this)'>" in results
    for name in NAMES[1:]:
        assert f"{name}<span class='ci'>mean; change vs base" in results, f"{name} has no results column"
    employment = _section(page_html, "employment")
    effects = len(NAMES) - 1  # one page per alternative; beside the trials, pages of four
    assert employment.count("<div class='page' data-page=") == effects + 3
    assert "id='forest'" in results and '"type":"heatmap"' in results, "the forest plot is a grid for many"


def test_a_warning_with_hundreds_of_cases_lists_them_a_line_per_scenario(folder: Path) -> None:
    out = read_output_folder(folder)
    wide = next(w for w in report_warnings(out) if "very wide confidence intervals" in w.title)
    cases = int(wide.title.split()[0])
    assert cases > 100, "two replications of ten scenarios leave hundreds of wide intervals"
    assert len(wide.items) <= len(NAMES), "one line per scenario, not one per case"
    counted = sum(int(re.match(r"\S+ \((\d+)\): ", item).group(1)) for item in wide.items)
    assert counted == cases, "every case is still named, by its scenario"


def test_what_changed_is_one_row_per_alternative(page_html: str) -> None:
    changes = _section(page_html, "changes")
    assert "<table class='kpis changes'>" in changes and "<h3>" not in changes, "a table, not a heading each"
    body = changes.split("<tbody>")[1]
    assert body.count("<tr>") == len(CAPS)
    assert "candidates per FTE; base: 15" in changes
    row15 = next(r for r in body.split("<tr>") if "cap15</strong>" in r)
    assert "as the base" in row15, "an alternative that keeps the base's value says so"


def test_parameters_show_the_base_and_the_alternatives_in_a_few_words(page_html: str) -> None:
    table = _section(page_html, "assumptions")
    assert "the 9 alternatives</th>" in table
    row = next(r for r in table.split("<tr") if "regulation.<wbr>caseload_cap" in r)
    assert "9 values, from 8 to 16" in row
    assert "as the base" in table, "a parameter no alternative changes says so"


def test_colours_stay_apart_beyond_the_palette(page_html: str) -> None:
    assert scenario_colours(len(PALETTE)) == PALETTE
    for n in (9, 30, 60):
        colours = scenario_colours(n)
        assert len(set(colours)) == n, f"{n} scenarios need {n} colours"
        assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    swatches = re.findall(r'class="swatch" style="background:(#[0-9a-f]{6})"', _section(page_html, "changes"))
    assert len(set(swatches)) == len(NAMES), "every scenario has its own swatch colour"
    focus = page_html.split("<div class='focus'>")[1].split("</div>")[0]
    assert all(f"<option value='{n}'>" in focus for n in NAMES), "the picker offers every scenario"


def test_series_leave_out_too_many_reference_lines_and_draw_the_posts_held(page_html: str) -> None:
    over = _section(page_html, "over-time")
    caps = {15, *CAPS}  # the base's default cap and the alternatives'
    assert f"{len(caps)} different values of the caseload cap: too many lines to draw" in over
    assert "id='series-fte'" in over and "The dotted line is the posts the scenario names" in over


def test_the_grid_colours_only_clear_differences(folder: Path) -> None:
    out = read_output_folder(folder)
    fig, left_out = effect_heatmap(out.stats, out.names, out.kpis)
    cells = fig.data[0]
    z = np.array(cells.z, dtype=float)
    assert z.shape == (len(cells.y), len(NAMES) - 1)
    for c, alt in enumerate(NAMES[1:]):
        for r, text in enumerate(cells.text):
            said = text[c].rsplit("<br>", 1)[-1]
            assert np.isfinite(z[r, c]) == (said in ("better", "worse")), (alt, r, said)
            if said == "better":
                assert z[r, c] > 0
            if said == "worse":
                assert z[r, c] < 0
    assert all(k in out.kpis for k in left_out)
    assert "potential_referrals_per_year" in left_out, "an input without a direction is not coloured"


# --- in a real browser ------------------------------------------------------------------


def _overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@needs_chromium
@pytest.mark.parametrize("width", [1400, 800])
def test_many_scenarios_read_at_any_width(browser: Any, folder: Path, tmp_path: Path, width: int) -> None:
    w = watched_page(browser, width=width, height=1000)
    page = w.page
    page.goto((folder / "report.html").as_uri())
    page.wait_for_load_state("load")
    assert _overflow(page) <= 0, f"at {width} px the page scrolls sideways"
    assert not_blank(screenshot(page, tmp_path, f"many-{width}.png"))
    assert w.clean() == []


@needs_chromium
def test_the_pickers_page_the_tables_and_bring_a_scenario_into_focus(browser: Any, folder: Path) -> None:
    w = watched_page(browser, width=1400, height=1000)
    page = w.page
    page.goto((folder / "report.html").as_uri())
    page.wait_for_load_state("load")
    shown = "Array.from(document.querySelectorAll('#results .page')).map(p => p.checkVisibility())"
    assert page.evaluate(shown) == [True, False, False]
    page.select_option("#results .pick select", "2")
    assert page.evaluate(shown) == [False, False, True], "the picker shows the page asked for, only it"
    page.select_option(".focus select", "cap12")
    traces = page.evaluate(
        """Array.from(document.getElementById('series-queue').nextElementSibling.nextElementSibling
             .querySelector('.js-plotly-plot').data).filter(t => t.meta && t.meta.scenario !== undefined)
             .map(t => [t.meta.scenario, t.meta.role, t.visible, t.opacity])"""
    )
    bands = {name for name, role, visible, _ in traces if role == "band" and visible}
    assert bands == {"tiny", "cap12"}, "the base's band and the one in focus show, no other"
    faded = {name for name, role, _, opacity in traces if role == "line" and opacity < 1}
    assert faded == set(NAMES) - {"tiny", "cap12"}, "every other line fades"
    page.select_option(".focus select", "")
    traces = page.evaluate(
        """Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(gd => gd.data)
             .filter(t => t.meta && t.meta.role === 'line').map(t => t.opacity)"""
    )
    assert traces and all(o == 1 for o in traces), "no scenario in focus: every line as drawn"
    assert w.clean() == []


@needs_chromium
def test_print_gives_every_alternative_as_rows_and_no_picker(
    browser: Any, folder: Path, tmp_path: Path
) -> None:
    w = watched_page(browser, width=1032, height=1400)
    page = w.page
    page.goto((folder / "report.html").as_uri())
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    pickers = page.evaluate(
        "Array.from(document.querySelectorAll('.pick, .focus')).filter(p => p.checkVisibility()).length"
    )
    assert pickers == 0, "a printed report has nothing to pick"
    tables = page.evaluate(
        """Array.from(document.querySelectorAll('#results .print-only table')).map(t => ({
             shown: t.checkVisibility(), right: t.getBoundingClientRect().right,
             rows: Array.from(t.querySelectorAll('tbody tr td:first-child')).map(td => td.textContent)}))"""
    )
    assert tables and all(t["shown"] for t in tables), "on paper the results are scenarios-as-rows tables"
    width = page.evaluate("document.documentElement.clientWidth")
    for table in tables:
        assert table["right"] <= width + 1, "a printed results table is cut off on an A4 landscape sheet"
        assert [r.replace(" (base)", "") for r in table["rows"]] == NAMES, "every scenario is a row, in order"
    assert not page.evaluate("document.querySelector('#results .screen-only').checkVisibility()")
    pdf = tmp_path / "many.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert w.clean() == []
