"""Effects stated as the trials state them: risk ratios of paired replications.

:func:`caseload_sim.experiment.risk_ratio` is checked on cases with a known answer — an
alternative that is exactly a multiple of the base, a small table worked by hand (with
the t quantile copied from a printed table), and the coverage of its interval on
synthetic paired experiments whose true ratio is known — and in :func:`comparison_table`,
where it appears only for the KPIs that are risks. Then the real model: the trial-style
KPIs of two scenarios on common random numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from caseload_sim.experiment import (
    COMPARISON_COLUMNS,
    RISK_RATIO_COLUMNS,
    compare_scenarios,
    comparison_table,
    risk_kpis,
    risk_ratio,
)
from caseload_sim.metrics import RISK_KPI_NAMES, TRIAL_KPI_NAMES
from model_fixtures import derive, load, shortened

T975_2 = 4.302652729911275  # t_{0.975, 2} from a statistics table
nan = math.nan


def test_an_alternative_that_is_a_multiple_of_the_base_has_a_zero_width_interval() -> None:
    base = np.array([0.20, 0.25, 0.31, 0.18, 0.27])
    rr, low, high = risk_ratio(base, 1.7 * base)
    assert (rr, low, high) == (pytest.approx(1.7), pytest.approx(1.7), pytest.approx(1.7))


def test_risk_ratio_by_hand() -> None:
    # base 0.2, 0.4, 0.3 (mean 0.3); alt 0.3, 0.5, 0.4 (mean 0.4): RR = 4/3.
    # a_i / 0.4 - b_i / 0.3 = 0.75 - 0.6667, 1.25 - 1.3333, 1 - 1 = 1/12, -1/12, 0: sd = 1/12.
    # se(log RR) = (1/12) / sqrt(3); interval 4/3 * exp(+-t_{0.975,2} * se).
    half = T975_2 * (1 / 12) / math.sqrt(3)
    rr, low, high = risk_ratio(np.array([0.2, 0.4, 0.3]), np.array([0.3, 0.5, 0.4]))
    assert rr == pytest.approx(4 / 3)
    assert (low, high) == (pytest.approx(4 / 3 * math.exp(-half)), pytest.approx(4 / 3 * math.exp(half)))
    assert (round(low, 4), round(high, 4)) == (1.0840, 1.6400)
    assert math.sqrt(low * high) == pytest.approx(rr), "symmetric on the log scale"
    # pairs with a NaN are dropped, as for the difference
    again = risk_ratio(np.array([0.2, 0.4, nan, 0.3, 0.9]), np.array([0.3, 0.5, 0.1, 0.4, nan]))
    assert again == pytest.approx((rr, low, high))


def test_risk_ratio_edge_cases() -> None:
    assert all(math.isnan(x) for x in risk_ratio(np.array([]), np.array([])))
    assert all(math.isnan(x) for x in risk_ratio(np.zeros(4), np.array([0.1, 0.2, 0.1, 0.0])))  # base risk 0
    rr, low, high = risk_ratio(np.array([0.1, 0.2]), np.zeros(2))
    assert rr == 0.0 and math.isnan(low) and math.isnan(high)  # no log scale at 0
    rr, low, high = risk_ratio(np.array([0.2]), np.array([0.3]))
    assert rr == pytest.approx(1.5) and math.isnan(low) and math.isnan(high)  # one pair: no interval
    # a replication with a zero risk is fine (the mean of log ratios would not be)
    rr, low, high = risk_ratio(np.array([0.0, 0.2, 0.1]), np.array([0.1, 0.3, 0.2]))
    assert rr == pytest.approx(2.0) and 0 < low < 2.0 < high


def paired_experiments(
    rng: np.random.Generator, experiments: int, n: int, people: int, p_base: float, p_alt: float
) -> tuple[np.ndarray, np.ndarray]:
    """Many synthetic comparisons of ``n`` paired replications of ``people`` each.

    Person j of replication i draws one uniform, shared by both arms (common random
    numbers): employed under the base if it is below ``p_base``, under the alternative if
    below ``p_alt``. Each replication's risk is also shifted by a replication-level
    factor common to both arms (a good or bad year), so the pairs are strongly correlated
    and the true risk ratio is ``p_alt / p_base``.
    """
    u = rng.random((experiments, n, people))
    year = rng.uniform(0.7, 1.3, (experiments, n, 1))
    base = (u < p_base * year).mean(axis=2)
    alt = (u < p_alt * year).mean(axis=2)
    return base, alt


def test_the_interval_covers_the_true_ratio_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(20240611)
    true = 0.45 / 0.30
    base, alt = paired_experiments(rng, 2000, 10, 60, 0.30, 0.45)
    hits = [
        low <= true <= high for b, a in zip(base, alt, strict=True) for _, low, high in [risk_ratio(b, a)]
    ]
    coverage = float(np.mean(hits))
    assert 0.93 <= coverage <= 0.97, coverage  # 2000 experiments: binomial sd of coverage 0.005


def test_pairing_narrows_the_risk_ratio_interval() -> None:
    rng = np.random.default_rng(7)
    base, alt = paired_experiments(rng, 1, 20, 80, 0.30, 0.45)
    paired = risk_ratio(base[0], alt[0])
    shuffled = risk_ratio(base[0], rng.permutation(alt[0]))  # the same values, pairs broken
    assert paired[0] == pytest.approx(shuffled[0]), "the point estimate is a ratio of means"
    assert paired[2] / paired[1] < shuffled[2] / shuffled[1], "common random numbers sharpen the ratio"


def test_comparison_table_gives_risk_ratios_for_risks_only() -> None:
    base = pd.DataFrame(
        {"replication": range(3), "employed_12m": [0.2, 0.4, 0.3], "months_worked_24m": [5.0, 6.0, 7.0]}
    )
    alt = pd.DataFrame(
        {"replication": range(3), "employed_12m": [0.3, 0.5, 0.4], "months_worked_24m": [6.0, 7.0, 9.0]}
    )
    c = comparison_table({"usual": base, "se": alt}, better={"employed_12m": 1, "months_worked_24m": 1})
    assert list(c.columns) == list(COMPARISON_COLUMNS)
    assert list(c.columns[-3:]) == list(RISK_RATIO_COLUMNS), "added after the older columns"
    row = c[(c["scenario"] == "se") & (c["kpi"] == "employed_12m")].iloc[0]
    assert row["diff"] == pytest.approx(0.1), "the risk difference is the paired difference"
    assert (row["risk_ratio"], row["rr_ci_low"], row["rr_ci_high"]) == pytest.approx(
        risk_ratio(np.array([0.2, 0.4, 0.3]), np.array([0.3, 0.5, 0.4]))
    )
    base_row = c[(c["scenario"] == "usual") & (c["kpi"] == "employed_12m")].iloc[0]
    assert base_row["risk_ratio"] == 1.0 and math.isnan(base_row["rr_ci_low"])
    for name in ("usual", "se"):
        months = c[(c["scenario"] == name) & (c["kpi"] == "months_worked_24m")].iloc[0]
        assert np.isnan(months[list(RISK_RATIO_COLUMNS)].astype(float)).all(), "not a risk: no ratio"
    # the risks can be named
    c = comparison_table({"usual": base, "se": alt}, risks=["months_worked_24m"])
    months = c[(c["scenario"] == "se") & (c["kpi"] == "months_worked_24m")].iloc[0]
    assert months["risk_ratio"] == pytest.approx(22 / 18)


def test_the_risks_are_the_binary_outcomes() -> None:
    assert risk_kpis() == RISK_KPI_NAMES
    assert {"work_12m", "permanent_12m", "ever_worked_24m", "never_worked_24m"} <= set(RISK_KPI_NAMES)
    assert {f"employed_{m}m" for m in (6, 12, 18, 24)} <= set(RISK_KPI_NAMES)
    assert not {"months_worked_24m", "days_to_first_job_mean", "first_job_days_median"} & set(RISK_KPI_NAMES)


def test_trial_effects_on_the_real_model_are_paired_and_deterministic() -> None:
    """Two scenarios on common random numbers: risk ratios for the trial outcomes, the same twice."""
    base = shortened(load("baseline"), 365.0, 3 * 365.0)
    alt = derive(base, {"regulation.caseload_cap": 20}, name="cap20")
    first = compare_scenarios([base, alt], 4, seed=11)
    again = compare_scenarios([base, alt], 4, seed=11)
    pd.testing.assert_frame_equal(first.comparison, again.comparison)
    c = first.comparison
    for kpi in TRIAL_KPI_NAMES:
        assert kpi in set(c["kpi"])
    rows = c[(c["scenario"] == "cap20") & c["kpi"].isin(RISK_KPI_NAMES)]
    defined = rows[rows["risk_ratio"].notna()]
    assert len(defined) >= 6
    assert (defined["rr_ci_low"] <= defined["risk_ratio"]).all()
    assert (defined["risk_ratio"] <= defined["rr_ci_high"]).all()
    others = c[~c["kpi"].isin(RISK_KPI_NAMES)]
    assert others["risk_ratio"].isna().all()


def test_compare_prints_the_trial_style_effects() -> None:
    from rich.console import Console

    from caseload_sim.report.terminal import effect_tables

    base = shortened(load("baseline"), 365.0, 3 * 365.0)
    alt = derive(base, {"regulation.caseload_cap": 20}, name="cap20")
    results = compare_scenarios([base, alt], 3, seed=2)
    console = Console(record=True, width=160)
    # --wide: with the machine names
    tables = effect_tables(results.comparison, list(results.names), wide=True)
    assert len(tables) == 1
    console.print(tables[0])
    text = console.export_text()
    assert "cap20 vs baseline: effect on employment" in text and "risk ratio" in text
    for kpi in ("employed_12m", "ever_worked_24m", "work_12m"):
        assert kpi in text
    c = results.comparison
    rr = float(c.loc[(c["scenario"] == "cap20") & (c["kpi"] == "employed_12m"), "risk_ratio"].iloc[0])
    assert f"{rr:.2f}" in text
