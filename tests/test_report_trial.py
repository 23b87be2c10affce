"""The report's trial-style section: effects on employment with risk ratios, the trials'
figures beside ours, and the employment curve — from folders the real CLI writes on a
small scenario long enough (1,000 days) for a 24-month cohort, and from a copy as an
older version wrote it (no curve file, no risk-ratio columns)."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from caseload_sim.experiment import CURVE_TABLE_COLUMNS, RISK_RATIO_COLUMNS
from caseload_sim.report import read_output_folder, render_report
from caseload_sim.report.figures import CURVE_BAND_COLUMNS, curve_bands
from test_report import invoke, visible_text

LONG = """\
name: long
description: One team of two specialists, measured from day 0 for 1,000 days.
teams:
  - name: solo
    specialists: 2
    referrals_per_week: 1.0
run:
  warmup_days: 0
  horizon_days: 1000
"""
ROOMY = "extends: long.yaml\nname: roomy\ndescription: The same team with a cap of 20.\nregulation:\n  caseload_cap: 20\n"


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("trial-report")
    (root / "long.yaml").write_text(LONG, encoding="utf-8")
    (root / "roomy.yaml").write_text(ROOMY, encoding="utf-8")
    made = {"run": root / "run", "compare": root / "compare", "old": root / "old"}
    ran = invoke("run", root / "long.yaml", "-n", "3", "--out", made["run"])
    assert ran.exit_code == 0, ran.stderr
    compared = invoke("compare", root / "long.yaml", root / "roomy.yaml", "-n", "3", "--out", made["compare"])
    assert compared.exit_code == 0, compared.stderr
    assert "effect on employment" in compared.stdout
    # as an older version wrote it: no curve, comparison.csv without the risk-ratio columns
    shutil.copytree(made["compare"], made["old"])
    (made["old"] / "employment_curve.parquet").unlink()
    old = pd.read_csv(made["old"] / "comparison.csv")
    old.drop(columns=list(RISK_RATIO_COLUMNS)).to_csv(made["old"] / "comparison.csv", index=False)
    return made


def page(folder: Path) -> str:
    return render_report(read_output_folder(folder))


def test_the_folder_holds_the_curve_and_the_risk_ratios(folders: dict[str, Path]) -> None:
    curve = pd.read_parquet(folders["compare"] / "employment_curve.parquet")
    assert list(curve.columns) == list(CURVE_TABLE_COLUMNS)
    assert set(curve["scenario"].astype(str)) == {"long", "roomy"} and set(curve["month"]) == set(range(25))
    folder = read_output_folder(folders["compare"])
    assert folder.curve is not None and len(folder.curve) == len(curve)
    comparison = pd.read_csv(folders["compare"] / "comparison.csv")
    want = comparison.set_index(["scenario", "kpi"]).loc[("roomy", "employed_12m"), "risk_ratio"]
    assert folder.by_key[("roomy", "employed_12m")]["risk_ratio"] == pytest.approx(want)
    assert math.isnan(folder.by_key[("roomy", "months_worked_24m")]["risk_ratio"]), "not a risk"
    old = read_output_folder(folders["old"])
    assert old.curve is None
    assert old.stats["risk_ratio"].isna().all(), "an older comparison.csv reads with NaN ratios"


def test_comparison_report_states_effects_as_the_trials_do(folders: dict[str, Path]) -> None:
    html = page(folders["compare"])
    text = visible_text(html)
    assert "href='#employment'" in html and 'id="employment"' in html
    assert "Employment after intake, as the trials measure it" in text
    assert "Effect on employment (trial-style): roomy compared with long" in text
    assert "risk ratio" in text and "Beside the trials' figures" in text
    folder = read_output_folder(folders["compare"])
    s = folder.by_key[("roomy", "ever_worked_24m")]
    if math.isfinite(s["risk_ratio"]):
        assert f"{s['risk_ratio']:.2f}" in text
        if math.isfinite(s["rr_ci_low"]):
            assert f"[{s['rr_ci_low']:.2f}, {s['rr_ci_high']:.2f}]" in text
    assert 'id="figure-employment-curve"' in html
    # every outcome of the effect table is named
    for kpi in ("employed_6m", "employed_24m", "work_12m", "never_worked_24m", "first_job_days_median"):
        assert kpi in text


def test_run_report_has_the_trials_figures_and_the_curve(folders: dict[str, Path]) -> None:
    html = page(folders["run"])
    text = visible_text(html)
    assert "Beside the trials' figures" in text and "about 45 % of IPS participants" in text
    assert "Effect on employment" not in text, "a run has nothing to compare"
    assert 'id="figure-employment-curve"' in html
    assert re.search(r"people per replication: long about \d+", text)


def test_older_folder_says_how_to_get_the_curve(folders: dict[str, Path]) -> None:
    html = page(folders["old"])
    text = visible_text(html)
    assert "holds no employment curve" in text
    assert "figure-employment-curve" not in html
    assert "Effect on employment (trial-style)" in text  # the differences are there, the ratios not


def test_report_is_the_same_every_time(folders: dict[str, Path]) -> None:
    assert page(folders["compare"]) == page(folders["compare"])


def test_curve_bands_by_hand() -> None:
    curve = pd.DataFrame(
        {
            "scenario": ["a"] * 4 + ["b"] * 2,
            "replication": [0, 0, 1, 1, 0, 0],
            "month": [0, 1, 0, 1, 0, 1],
            "employed": [0.0, 0.2, 0.0, 0.4, 0.0, math.nan],
            "n": [10, 10, 20, 20, 0, 0],
        }
    )
    bands = curve_bands(curve, ["a", "b", "c"])
    assert list(bands.columns) == list(CURVE_BAND_COLUMNS)
    a = bands[bands["scenario"] == "a"]
    assert a["mean"].tolist() == pytest.approx([0.0, 0.3]) and a["n"].tolist() == [2, 2]
    assert a["cohort"].iloc[0] == 15.0
    half = 12.706204736174707 * math.sqrt(0.02) / math.sqrt(2)  # t_{0.975,1} * sd / sqrt(n)
    assert a["ci_high"].iloc[1] == pytest.approx(0.3 + half)
    b = bands[bands["scenario"] == "b"]
    assert b["n"].tolist() == [1, 0] and math.isnan(b["mean"].iloc[1])
    assert "c" not in set(bands["scenario"])
