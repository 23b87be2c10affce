"""Tests for caseload_sim.report.definitions: every KPI has a plain-language definition, and
the definitions agree with what the code computes (horizons, units, caveats)."""

from __future__ import annotations

import re

import pytest

from caseload_sim.metrics import (
    COST_KPI_NAMES,
    DEFAULT_WORK_TARGET,
    EXIT_SHARE_NAMES,
    KPI_NAMES,
    RETENTION_DAYS,
    SUSTAINED_DAYS,
    TRIAL_MONTHS,
    USUAL_SERVICES_UNDEFINED,
    WORK_FOLLOW_UP_DAYS,
)
from caseload_sim.report import definitions
from caseload_sim.report.definitions import KPI_DEFINITIONS, kpi_definition
from caseload_sim.report.kpis import is_share, kpi_unit

MAX_CHARS = 350
"""A definition is read beside its number: at most this long."""

KAPLAN_MEIER = ("days_to_first_job_median", "wait_days_km_median", "first_job_days_median")

_NUMBER_WORDS = {7: "seven"}


def test_every_kpi_has_a_definition_and_nothing_else() -> None:
    assert set(KPI_DEFINITIONS) == set(KPI_NAMES)
    assert len(KPI_DEFINITIONS) == len(KPI_NAMES)


def test_module_exports() -> None:
    assert sorted(definitions.__all__) == ["KPI_DEFINITIONS", "kpi_definition"]
    assert definitions.__doc__


@pytest.mark.parametrize("kpi", KPI_NAMES)
def test_definition_is_plain_text_of_a_few_sentences(kpi: str) -> None:
    text = kpi_definition(kpi)
    assert text == KPI_DEFINITIONS[kpi]
    assert text.strip() == text and text, kpi
    assert text.endswith("."), kpi
    assert len(text) <= MAX_CHARS, (kpi, len(text))
    assert text[0].isupper(), kpi
    assert "\n" not in text and "  " not in text, kpi
    assert not re.search(r"[<>&_`]", text), f"{kpi}: HTML, markup or a code name in {text!r}"
    assert not any(name in text for name in KPI_NAMES), kpi


def test_unknown_kpi_has_an_empty_definition() -> None:
    assert kpi_definition("no_such_kpi") == ""
    assert kpi_definition("") == ""


@pytest.mark.parametrize("kpi", [k for k in KPI_NAMES if is_share(k)])
def test_shares_say_share_and_percent(kpi: str) -> None:
    text = KPI_DEFINITIONS[kpi].lower()
    assert "share" in text, kpi
    assert "percent" in text, kpi


@pytest.mark.parametrize("kpi", COST_KPI_NAMES)
def test_money_says_nok(kpi: str) -> None:
    assert "NOK" in KPI_DEFINITIONS[kpi]


@pytest.mark.parametrize("kpi", [k for k in KPI_NAMES if not is_share(k) and kpi_unit(k) != "NOK"])
def test_other_units_are_named(kpi: str) -> None:
    unit = kpi_unit(kpi)
    text = KPI_DEFINITIONS[kpi]
    expected = {
        "days": "Days",
        "months": "Months",
        "people": "People",
        "people/yr": "People per year",
        "/yr": "per year",
        "/FTE-yr": "per full-time specialist",
        "/FTE-week": "per full-time",
        "FTE-months/yr": "Full-time months per year",
        "×": "ratio",
        "": "index from 0 to 1",
    }[unit]
    assert expected in text, (kpi, unit, text)


def test_work_within_a_year_counts_365_days_against_the_target() -> None:
    assert WORK_FOLLOW_UP_DAYS == 365
    for kpi in ("work_12m", "permanent_12m"):
        text = KPI_DEFINITIONS[kpi]
        assert "365 days" in text and "full year" in text, kpi
    assert f"{DEFAULT_WORK_TARGET:.0%}".replace("%", " %") in KPI_DEFINITIONS["work_12m"]
    assert "work held at referral does not count" in KPI_DEFINITIONS["work_12m"]


def test_follow_up_horizons_match_the_code() -> None:
    assert f"{RETENTION_DAYS:.0f} days" in KPI_DEFINITIONS["retention_6m"]
    assert f"{SUSTAINED_DAYS:.0f} days" in KPI_DEFINITIONS["sustained_jobs_per_year"]
    for months in TRIAL_MONTHS:
        text = KPI_DEFINITIONS[f"employed_{months}m"]
        assert f"followed for {months} months" in text and f"exactly {months} months" in text
    for kpi in ("ever_worked_24m", "months_worked_24m", "days_to_first_job_mean", "first_job_months_24m"):
        assert "24 months" in KPI_DEFINITIONS[kpi], kpi


def test_caveats_a_planner_needs() -> None:
    d = KPI_DEFINITIONS
    for kpi in KAPLAN_MEIER:
        assert "Kaplan-Meier" in d[kpi] and "median" in d[kpi].lower(), kpi
    assert "selected group" in d["days_to_first_job_mean"]
    assert "only those who found a job" in d["days_to_first_job_mean"]
    # the changed definition: people still waiting at the window's end are counted
    assert "still waiting" in d["wait_days_mean"] and "Earlier versions" in d["wait_days_mean"]
    assert "still waiting at the end count as met" in d["unmet_demand_share"]
    assert "100 % minus" in d["never_worked_24m"]
    assert "not from intake" in d["months_worked_from_first_job_24m"]
    assert "never found work" in d["cost_per_sustained_job_nok"]
    # the trial-style outcomes count work held at referral; the first-job measures do not
    for kpi in ("employed_6m", "ever_worked_24m", "months_worked_24m"):
        assert "work held at referral" in d[kpi] and "does not count" not in d[kpi], kpi


def test_exit_shares_add_up() -> None:
    words = _NUMBER_WORDS[len(EXIT_SHARE_NAMES)]
    for kpi in EXIT_SHARE_NAMES:
        assert f"The {words} exit shares add up to 100 %" in KPI_DEFINITIONS[kpi], kpi


def test_usual_services_caveat_exactly_where_the_kpi_is_undefined() -> None:
    for kpi in KPI_NAMES:
        says = "usual-services arm" in KPI_DEFINITIONS[kpi]
        assert says == (kpi in USUAL_SERVICES_UNDEFINED), kpi


def test_team_target_names_the_default_target() -> None:
    text = KPI_DEFINITIONS["team_target_met_share"]
    assert f"{DEFAULT_WORK_TARGET:.0%}".replace("%", " %") in text
    assert "365 days" in text and "team" in text
