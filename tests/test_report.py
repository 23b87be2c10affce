"""``caseload-sim report``: one self-contained HTML file from a run or comparison folder.

The folders are made by the real CLI on a tiny scenario (two specialists, 450 days, no
warm-up, three replications), so the report is tested on exactly what ``run`` and
``compare`` write; a copy without ``series.parquet`` stands for a folder written before
the series were saved. The last test opens the reports in headless Chromium and checks
that they load without errors, fetch nothing, and that every plotly figure rendered.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from caseload_sim.cli import app
from caseload_sim.manifest import REPORT_MARKER, reports_made_from, results_digest
from caseload_sim.metrics import KPI_NAMES
from caseload_sim.report import (
    OutputFolder,
    ReportInputError,
    read_output_folder,
    render_report,
    report_warnings,
    write_report_file,
)
from caseload_sim.report.figures import series_bands
from caseload_sim.report.html import SHOWN_SERIES, parameter_rows
from caseload_sim.report.kpis import format_diff, format_interval, format_value, kpi_group, verdict
from caseload_sim.scenario import parameter_table

EXECUTABLE = Path(sys.executable).with_name("caseload-sim")
REPLICATIONS = 3

TINY = """\
name: tiny
description: One team of two specialists and a trickle of referrals, measured from day 0.
teams:
  - name: solo
    specialists: 2
    referrals_per_week: 1.0
run:
  warmup_days: 0
  horizon_days: 450
"""
ALT = "extends: tiny.yaml\nname: roomy\ndescription: The tiny team with a cap of 20.\nregulation:\n  caseload_cap: 20\n"

runner = CliRunner()


def compare_caps(root: Path, caps: dict[str, int], replications: int) -> tuple[Path, str]:
    """``compare`` the tiny base with one alternative per caseload cap, then ``report`` it.

    Returns the output folder and what ``compare`` printed.
    """
    (root / "tiny.yaml").write_text(TINY, encoding="utf-8")
    files = [root / "tiny.yaml"]
    for name, cap in caps.items():
        path = root / f"{name}.yaml"
        path.write_text(
            f"extends: tiny.yaml\nname: {name}\nregulation:\n  caseload_cap: {cap}\n", encoding="utf-8"
        )
        files.append(path)
    out = root / "c"
    got = runner.invoke(app, ["compare", *map(str, files), "-n", str(replications), "--out", str(out)])
    assert got.exit_code == 0, got.stderr
    made = runner.invoke(app, ["report", str(out)])
    assert made.exit_code == 0, made.stderr
    return out, got.stdout


def invoke(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A run folder and a comparison folder, written by the real CLI (about 2 s together)."""
    root = tmp_path_factory.mktemp("report")
    (root / "tiny.yaml").write_text(TINY, encoding="utf-8")
    (root / "roomy.yaml").write_text(ALT, encoding="utf-8")
    made = {"run": root / "run", "compare": root / "compare", "old": root / "old"}
    ran = invoke("run", root / "tiny.yaml", "-n", str(REPLICATIONS), "--out", made["run"])
    assert ran.exit_code == 0, ran.stderr
    compared = invoke(
        "compare", root / "tiny.yaml", root / "roomy.yaml", "-n", str(REPLICATIONS), "--out", made["compare"]
    )
    assert compared.exit_code == 0, compared.stderr
    # A comparison folder as an older version wrote it: no series.
    shutil.copytree(made["compare"], made["old"])
    (made["old"] / "series.parquet").unlink()
    return made


@pytest.fixture(scope="module")
def reports(folders: dict[str, Path]) -> dict[str, Path]:
    """``caseload-sim report`` on both folders, with the default output file."""
    made = {}
    for kind, folder in folders.items():
        before = {p.name for p in folder.iterdir()}
        result = invoke("report", folder)
        assert result.exit_code == 0, result.stderr
        made[kind] = folder / "report.html"
        assert {p.name for p in folder.iterdir()} == before | {"report.html"}, "the report is one file"
        assert f"wrote {made[kind]}" in result.stdout
        assert "warning (in the report): Only 3 replications" in result.stderr
    return made


def outside_plotly(page: str) -> str:
    """The page without the embedded plotly.js library, which must appear exactly once."""
    library = get_plotlyjs()
    assert page.count(library) == 1, "plotly.js is embedded exactly once"
    return page.replace(library, "")


def visible_text(page: str) -> str:
    """The page's text with tags removed, roughly as a reader sees it."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", outside_plotly(page).replace("<wbr>", "")))


# --- what the page holds -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["run", "compare", "old"])
def test_report_refers_to_nothing_on_the_network(reports: dict[str, Path], kind: str) -> None:
    page = reports[kind].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    own = outside_plotly(page)
    for pattern in (r"<script[^>]*\bsrc\s*=", r"<link\b", r"@import", r"url\(", r"<img\b", r"<iframe\b"):
        assert not re.search(pattern, own, re.IGNORECASE), f"{pattern} in the {kind} report"
    assert "http://" not in own and "https://" not in own, "no web address outside plotly.js"
    # a CDN host (cdn.…, cdnjs.…, …-cdn-…); not the letters inside the figures' base64 data
    hit = re.search(r"cdn(js)?[.\-]", own, re.IGNORECASE)
    assert hit is None, own[hit.start() - 100 : hit.end() + 50] if hit else ""


@pytest.mark.parametrize("kind", ["run", "compare", "old"])
def test_report_names_every_kpi_and_scenario(reports: dict[str, Path], kind: str) -> None:
    text = visible_text(reports[kind].read_text(encoding="utf-8"))
    for kpi in KPI_NAMES:
        assert kpi in text, f"{kpi} missing from the {kind} report"
    names = ["tiny"] if kind == "run" else ["tiny", "roomy"]
    for name in names:
        assert name in text
    # the plain-language parts a planner reads first
    assert "In short" in text and "In paid work within 12 months of intake" in text
    assert "Assumptions and parameters" in text and "Manifest" in text


def test_run_report_shows_table_charts_and_warnings(
    reports: dict[str, Path], folders: dict[str, Path]
) -> None:
    page = reports["run"].read_text(encoding="utf-8")
    text = visible_text(page)
    assert "Simulation report: tiny" in text
    for figure in ("intervals", "exits", "workforce"):
        assert f'id="figure-{figure}"' in page, figure
    # warnings: too few replications, and a warm-up (0) shorter than the 3-year stay
    assert "Only 3 replications" in text
    assert "Warm-up shorter than the longest stay (tiny)" in text
    assert "reduced_capacity_3y" in text and "3 years (1,095 days)" in text
    # the KPI table shows each mean as the summary has it
    summary = pd.read_csv(folders["run"] / "summary.csv")
    means = dict(zip(summary["kpi"], summary["mean"], strict=True))
    assert format_value("work_12m", means["work_12m"]) in text
    # every parameter of the resolved scenario, with its provenance
    assert "regulation.caseload_cap" in text and "[S] 12–20 per FTE" in text
    manifest = json.loads((folders["run"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario_sha256"] in text and manifest["started"] in text


def test_comparison_report_shows_changes_differences_and_forest_plot(
    reports: dict[str, Path], folders: dict[str, Path]
) -> None:
    page = reports["compare"].read_text(encoding="utf-8")
    text = visible_text(page)
    assert "Scenario comparison: tiny vs roomy" in text
    assert "regulation.caseload_cap: 15 → 20 (candidates per FTE)" in text, "what changed, in words"
    for figure in ("forest", "exits", "workforce"):
        assert f'id="figure-{figure}"' in page, figure
    # the differing parameter is marked; an unchanged one is not
    assert "<tr class='differs'><td><code>≠ regulation.<wbr>caseload_cap</code>" in page
    assert "≠ regulation.<wbr>period_months" not in page and "regulation.<wbr>period_months" in page
    assert "1 parameter differs" in text
    # a paired difference with its interval, formatted as the table shows it
    comparison = pd.read_csv(folders["compare"] / "comparison.csv")
    rows = comparison[comparison["scenario"] == "roomy"]
    diffs = dict(zip(rows["kpi"], rows["diff"], strict=True))
    assert format_diff("stress_mean", diffs["stress_mean"]) in text
    assert "better in" in text and "Only 3 replications" in text


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_report_draws_the_series_over_time(
    reports: dict[str, Path], folders: dict[str, Path], kind: str
) -> None:
    page = reports[kind].read_text(encoding="utf-8")
    text = visible_text(page)
    assert "Over time" in text and "<a href='#over-time'>Over time</a>" in page
    for variable, (heading, _axis, _explanation) in SHOWN_SERIES.items():
        assert f'id="figure-series-{variable}"' in page, variable
        assert heading in text
    assert "95 % confidence interval of that average" in text and "Student-t" in text
    assert "warm-up" in text and "measured window" in text
    assert "one point every" not in text, "a 450-day run is drawn week by week"
    assert "holds no time series" not in text
    # the line drawn is the mean across replications, week by week
    folder = read_output_folder(folders[kind])
    assert folder.series is not None
    bands = series_bands(folder.series, "queue", folder.names)
    raw = pd.read_parquet(folders[kind] / "series.parquet")
    raw = raw[(raw["variable"] == "queue") & (raw["scenario"] == "tiny")]
    means = raw.groupby("time_days")["value"].mean()
    mine = bands[bands["scenario"] == "tiny"].set_index("time_days")["mean"]
    assert mine.to_numpy() == pytest.approx(means.to_numpy(dtype=float))
    assert (bands["n"] == REPLICATIONS).all()


def test_report_of_a_folder_without_series_says_how_to_get_them(reports: dict[str, Path]) -> None:
    page = reports["old"].read_text(encoding="utf-8")
    text = visible_text(page)
    assert "Over time" in text and "This output folder holds no time series (no series.parquet )" in text
    assert "run the same command again with this version: caseload-sim compare" in text
    assert 'id="figure-series-' not in page
    assert 'id="figure-forest"' in page, "the rest of the report is there"


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_report_names_the_results_it_describes(
    reports: dict[str, Path], folders: dict[str, Path], kind: str
) -> None:
    page = reports[kind].read_text(encoding="utf-8")
    manifest = json.loads((folders[kind] / "manifest.json").read_text(encoding="utf-8"))
    assert f"<meta name='{REPORT_MARKER}' content='{results_digest(manifest)}'>" in page[:2000]
    assert reports_made_from(folders[kind]) == ["report.html"], "a re-run will recognise it as stale"


def test_long_series_are_thinned_to_every_few_weeks(folders: dict[str, Path]) -> None:
    folder = read_output_folder(folders["run"])
    assert folder.series is not None
    weeks = folder.series["time_days"].nunique()  # 64 weeks in 450 days
    long = folder.series.copy()
    long["time_days"] = long["time_days"] * 4  # the same values as if every 4th week of a 4x longer run
    longer = pd.concat([long.assign(time_days=long["time_days"] - shift) for shift in (0.0, 7.0, 14.0, 21.0)])
    page = render_report(dataclasses.replace(folder, series=longer))
    assert "one point every 2 weeks" in visible_text(page), f"{4 * weeks} weeks drawn at most 200 points"
    every = series_bands(longer, "queue", folder.names, every=2)
    assert (np.rint(every["time_days"] / 7) % 2 == 0).all() and len(every) == 2 * weeks


def test_report_is_the_same_every_time(folders: dict[str, Path]) -> None:
    folder = read_output_folder(folders["compare"])
    assert render_report(folder) == render_report(read_output_folder(folders["compare"]))


def test_out_option_writes_elsewhere_and_only_there(folders: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "deep" / "planner.html"
    before = sorted(p.name for p in folders["run"].iterdir())
    result = invoke("report", folders["run"], "--out", target)
    assert result.exit_code == 0, result.stderr
    assert target.is_file() and target.stat().st_size > 1_000_000
    assert sorted(p.name for p in folders["run"].iterdir()) == before
    assert [p.name for p in target.parent.iterdir()] == ["planner.html"], "no staging file left behind"


# --- the pieces ------------------------------------------------------------------------


def test_verdicts_follow_the_declared_direction() -> None:
    assert verdict("work_12m", 0.05, 0.01, 0.09) == "better"
    assert verdict("wait_days_mean", 5.0, 1.0, 9.0) == "worse"
    assert verdict("caseload_mean", -2.0, -3.0, -1.0) == "lower"  # no declared direction
    assert verdict("work_12m", 0.05, -0.01, 0.11) == "unclear"
    assert verdict("work_12m", 0.0, 0.0, 0.0) == "same"
    assert verdict("work_12m", math.nan, math.nan, math.nan) == "n/a"
    assert (format_value("work_12m", 0.7277), format_diff("work_12m", -0.021)) == ("72.8 %", "-2.1 pp")
    assert format_value("cost_per_sustained_job_nok", 1234567.0) == "1,234,567 NOK"
    assert kpi_group("cost_nok") == "costs" and kpi_group("stress_p90") == "workforce"
    assert kpi_group("queue_mean") == "flow" and kpi_group("exit_dropout_share") == "placements"
    assert kpi_group("employed_12m") == "trial" and kpi_group("work_12m") == "placements"
    assert (
        format_value("employed_24m", 0.4) == "40.0 %"
        and format_value("months_worked_24m", 7.5) == "7.5 months"
    )
    assert (
        format_value("wait_days_mean", 21.06) == "21.1 days"
        and format_diff("wait_days_mean", 14.6) == "+14.6 days"
    )
    assert format_interval("wait_days_mean", 4.63, 24.5, diff=True) == "[+4.63, +24.5] days"
    assert format_value("exits_to_work_per_fte_year", 6.22) == "6.22 per FTE-year"
    assert format_value("stress_mean", 0.276) == "0.276", "an index has no unit"
    assert kpi_group("something_new") == "other"


def test_every_parameter_row_has_a_unit_and_provenance(folders: dict[str, Path]) -> None:
    scenario = read_output_folder(folders["run"]).scenarios[0]
    rows = parameter_rows(scenario)
    known = {row["parameter"] for row in parameter_table()}
    scheduled = (
        "teams[].changes[]",
        "teams[].referral_changes[]",
        "teams[].quits[]",
    )  # the scenario schedules none
    assert {path for _, path, _ in rows} == known - {p for p in known if p.startswith(scheduled)}
    labels = [label for label, _, _ in rows]
    assert "team 1 (solo): specialists" in labels and "regulation.caseload_cap" in labels
    assert ("regulation.caseload_cap", "regulation.caseload_cap", 15.0) in rows


def with_stats(folder: OutputFolder, kpi: str, **values: float) -> OutputFolder:
    stats = folder.stats.copy()
    for column, value in values.items():
        stats.loc[stats["kpi"] == kpi, column] = value
    return dataclasses.replace(folder, stats=stats)


def test_warnings_for_wide_intervals_undefined_kpis_and_short_warmup(folders: dict[str, Path]) -> None:
    folder = read_output_folder(folders["run"])
    narrow = with_stats(
        folder, "stress_mean", mean=0.4, ci_low=0.3, ci_high=0.5, n=REPLICATIONS
    )  # 25 %: fine
    wide = with_stats(folder, "stress_mean", mean=0.4, ci_low=0.29, ci_high=0.51, n=1)

    def items(f: OutputFolder, title: str) -> list[str]:
        return [i for w in report_warnings(f) if title in w.title for i in w.items]

    assert not any("(stress_mean)" in i for i in items(narrow, "wide confidence"))
    assert any("(stress_mean)" in i for i in items(wide, "wide confidence"))
    assert (
        "tiny: Specialists' stress, 0 to 1 (average) (stress_mean) is defined in only 1 of 3 replications"
        in items(wide, "not defined")
    )
    settled = folder.scenarios[0].model_copy(
        update={"run": folder.scenarios[0].run.model_copy(update={"warmup_days": 1095.0})}
    )
    titles = [w.title for w in report_warnings(dataclasses.replace(folder, scenarios=(settled,)))]
    assert not any("Warm-up" in t for t in titles)
    assert "Warm-up shorter than the longest stay (tiny)" in [w.title for w in report_warnings(folder)]


# --- bad input -------------------------------------------------------------------------


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "folder"
    shutil.copytree(folder, target)
    (target / "report.html").unlink(missing_ok=True)
    return target


def _replace_by_file(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_text("hello", encoding="utf-8")


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)


BREAKAGES: dict[str, tuple[str, Any, str]] = {
    # name: (which folder, how to break it, what the message says)
    "missing folder": ("run", lambda d: shutil.rmtree(d), "no such folder"),
    "not ours": ("run", lambda d: [p.unlink() for p in d.iterdir()], "no manifest.json"),
    "a file, not a folder": (
        "run",
        _replace_by_file,
        "not a folder",
    ),
    "corrupt CSV": ("run", lambda d: _append(d / "summary.csv", 'work_12m,"0.5\n'), "not a readable CSV"),
    "empty CSV": ("run", lambda d: (d / "replications.csv").write_text("", encoding="utf-8"), "is empty"),
    "a row too long": (
        "run",
        lambda d: (d / "summary.csv").write_text(
            (d / "summary.csv").read_text(encoding="utf-8").replace("work_12m,", "work_12m,lots,", 1),
            encoding="utf-8",
        ),
        "not a readable CSV",
    ),
    "not a number": (
        "compare",
        lambda d: (d / "replications.csv").write_text(
            re.sub(
                r"^(tiny,0,1,)[^,]*",
                r"\1lots",
                (d / "replications.csv").read_text(encoding="utf-8"),
                flags=re.M,
            ),
            encoding="utf-8",
        ),
        "column work_12m, row 2: got 'lots'; allowed: a number (or empty)",
    ),
    "missing column": (
        "compare",
        lambda d: pd.read_csv(d / "comparison.csv").drop(columns="diff_ci_low").to_csv(d / "comparison.csv"),
        "missing column(s) diff_ci_low",
    ),
    "missing file": ("compare", lambda d: (d / "comparison.csv").unlink(), "missing comparison.csv"),
    "corrupt manifest": ("run", lambda d: _append(d / "manifest.json", "}{"), "not valid JSON"),
    "corrupt series": (
        "run",
        lambda d: (d / "series.parquet").write_bytes(b"PAR1 not really"),
        "series.parquet: not a readable parquet table",
    ),
    "series of another scenario": (
        "compare",
        lambda d: (
            pd.read_parquet(d / "series.parquet").assign(scenario="other").to_parquet(d / "series.parquet")
        ),
        "series.parquet: scenarios other; allowed: those of manifest.json, tiny, roomy",
    ),
    "series without values": (
        "run",
        lambda d: (
            pd.read_parquet(d / "series.parquet").drop(columns="value").to_parquet(d / "series.parquet")
        ),
        "series.parquet: missing column(s) value",
    ),
    "unknown kind": (
        "run",
        lambda d: (d / "manifest.json").write_text(json.dumps({"kind": "sweep"}), encoding="utf-8"),
        "kind: got 'sweep'",
    ),
    "invalid scenario": (
        "run",
        lambda d: (d / "manifest.json").write_text(
            json.dumps({**json.loads((d / "manifest.json").read_text()), "scenario": {"name": "x"}}),
            encoding="utf-8",
        ),
        "teams: required key is missing",
    ),
    "foreign scenario": (
        "compare",
        lambda d: (d / "replications.csv").write_text(
            (d / "replications.csv").read_text(encoding="utf-8").replace("roomy,", "other,"), encoding="utf-8"
        ),
        "allowed: those of manifest.json, tiny, roomy",
    ),
}


@pytest.mark.parametrize("case", list(BREAKAGES))
def test_bad_input_is_refused_with_status_2_and_nothing_written(
    folders: dict[str, Path], tmp_path: Path, case: str
) -> None:
    kind, breaks, message = BREAKAGES[case]
    folder = _copy(folders[kind], tmp_path)
    breaks(folder)
    before = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None
    result = invoke("report", folder)
    assert result.exit_code == 2, (case, result.stdout, result.stderr)
    assert message in result.stderr, result.stderr
    assert str(folder) in result.stderr, "the message names the folder or file"
    assert result.stdout == ""
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    after = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None
    assert after == before, "nothing written"


def test_out_must_not_be_a_folder(folders: dict[str, Path], tmp_path: Path) -> None:
    result = invoke("report", folders["run"], "--out", tmp_path)
    assert result.exit_code == 2
    assert f"--out: {tmp_path} is a folder" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_executable_refuses_a_bad_folder_without_traceback(tmp_path: Path) -> None:
    completed = subprocess.run(
        [str(EXECUTABLE), "report", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        f"{tmp_path}: no manifest.json, so not an output folder written by `caseload-sim run` or "
        "`caseload-sim compare`"
    )
    assert "Traceback" not in completed.stderr and list(tmp_path.iterdir()) == []


def test_write_report_file_leaves_nothing_when_it_fails(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(OSError):
        write_report_file(tmp_path / "taken", "<html></html>")  # a folder is in the way
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
    with pytest.raises(ReportInputError, match="no such folder"):
        read_output_folder(tmp_path / "missing")


# --- in a real browser -------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

# Injected first into a copy of the page: records every script error and failed resource
# load, then (after load, once plotly has drawn) the resources the page fetched.
PROBE = """<script>
window.__problems = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  window.__problems.push(String(e.message || (t && (t.src || t.href)) || 'error'));
}, true);
window.addEventListener('unhandledrejection', function (e) { window.__problems.push(String(e.reason)); });
var __consoleError = console.error;
console.error = function () {
  window.__problems.push(Array.prototype.join.call(arguments, ' '));
  __consoleError.apply(console, arguments);
};
window.addEventListener('load', function () {
  setTimeout(function () {
    var out = document.createElement('pre');
    out.id = 'probe';
    out.textContent = JSON.stringify({
      problems: window.__problems,
      fetched: performance.getEntriesByType('resource').map(function (r) { return r.name; }),
      figures: document.querySelectorAll('.plotly-graph-div').length,
      drawn: document.querySelectorAll('.plotly-graph-div.js-plotly-plot .main-svg').length,
      drawnFigures: Array.prototype.filter.call(document.querySelectorAll('.plotly-graph-div'),
        function (d) { return d.querySelector('.main-svg') !== null && d.querySelectorAll('.point, .js-line').length > 0; }).length
    });
    document.body.appendChild(out);
  }, 1000);
});
</script>"""


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH or at /usr/bin/chromium; install Debian's chromium "
    "(apt-get install chromium) to run the browser test — .ci/run does",
)
@pytest.mark.parametrize("kind", ["run", "compare", "old"])
def test_report_renders_in_headless_chromium(reports: dict[str, Path], tmp_path: Path, kind: str) -> None:
    page = reports[kind].read_text(encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
    completed = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # the page must not need the network
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,1000",
            "--virtual-time-budget=15000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', completed.stdout, re.DOTALL)
    assert found, f"the page did not finish loading (exit {completed.returncode}): {completed.stderr[-2000:]}"
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["problems"] == [], "script errors or failed loads"
    assert probe["fetched"] == [], "the page fetched something"
    expected = page.count('class="plotly-graph-div"')
    # KPIs (intervals or forest), exits, workforce, costs; then the series, if present
    assert expected == (4 if kind == "old" else 4 + len(SHOWN_SERIES)), "the 4 series drawn, if present"
    assert probe["figures"] == expected
    assert probe["drawnFigures"] == expected, "every plotly figure drew its plot area"


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_report_has_a_costs_section_in_plain_words(reports: dict[str, Path], kind: str) -> None:
    text = visible_text(reports[kind].read_text(encoding="utf-8"))
    assert "Costs" in text and "sustained job" in text
    for label in ("Cost of the specialists' posts", "Wage subsidies paid", "Mentor subsidies and training"):
        assert label in text, label
    if kind == "compare":
        # the alternative's extra cost a year and its change in sustained jobs, in words
        assert re.search(r"roomy costs [\d.,]+ (million )?NOK (more|less) a year than tiny", text), text[:0]


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_the_report_explains_its_words_and_gives_dates_a_person_reads(
    reports: dict[str, Path], kind: str
) -> None:
    """A planner cannot reach docs/model.md: the report carries its own glossary (CI, CRN, pp, FTE,
    KPI, MSER-5, ...), and its times read "1 December 2026, 16:40 UTC", not raw ISO with microseconds."""
    page = reports[kind].read_text(encoding="utf-8")
    # the manifest itself, as JSON for a machine, is the one place for raw timestamps
    text = visible_text(re.sub(r"<pre class='code'>.*?</pre>", "", page, flags=re.DOTALL))
    assert "Words used in this report" in text
    for term in (
        "95 % confidence interval (CI)",
        "Common random numbers (CRN)",
        "pp (percentage points)",
        "FTE (full-time equivalent)",
        "KPI (key performance indicator)",
        "MSER-5",
        "Warm-up",
    ):
        assert term in text, term
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+", text), "a raw ISO timestamp is shown"
    assert re.search(r"finished \d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d UTC", text)
    assert "beforeprint" in page, "printing opens every folded warning"


def test_the_trade_off_sentence_weighs_the_headline_results_in_words() -> None:
    """The trade-off a planner reads first: gains, then "for" the losses, each in its own terms (a
    wait as a multiple, stress in %, shares in pp), only clear differences weighed, the unclear named."""
    from caseload_sim.report.kpis import trade_off

    def s(mean: float, diff: float, low: float, high: float) -> dict[str, float]:
        return {"mean": mean, "diff": diff, "diff_ci_low": low, "diff_ci_high": high}

    base = {"work_12m": 0.60, "wait_days_mean": 6.5, "stress_mean": 0.30, "turnover_annual": 0.25}
    alt = {
        "work_12m": s(0.64, 0.04, 0.01, 0.07),  # clearly better
        "wait_days_mean": s(45.5, 39.0, 30.0, 48.0),  # clearly worse: 7 times as long
        "stress_mean": s(0.27, -0.03, -0.05, -0.01),  # clearly better: 10 % less
        "turnover_annual": s(0.24, -0.01, -0.05, 0.03),  # unclear
    }
    said = trade_off("cap12", "baseline", alt, base)
    assert said == (
        "cap12: 4 pp more in paid work within 12 months of intake and 10 % less stress for the specialists, "
        "for a wait 7.0 times as long (46 days, not 6.5). No clear difference in quits."
    ), said
    nothing = {k: s(base[k], 0.0, -0.01, 0.01) for k in base}
    assert (
        trade_off("cap20", "baseline", nothing, base)
        == "cap20: no clear difference from baseline on the headline results."
    )


def test_the_comparison_report_leads_with_the_trade_off(reports: dict[str, Path]) -> None:
    page = reports["compare"].read_text(encoding="utf-8")
    assert "<p class='tradeoff'>" in page
    assert page.index("<p class='tradeoff'>") < page.index("Counting every one of the")
