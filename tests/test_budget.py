"""The size guard (``budget.py``): a run too big for a machine is refused before it starts.

The estimate comes from the scenario alone (people referred, post-years), at rates
measured from the model, so it must land near the rows a replication really logs; a
scenario over the budget is refused through the CLI with the estimate and the levers,
exit 2 and nothing written; ``--force`` lets it through; ``--max-rows`` sets the budget.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from caseload_sim.budget import estimate
from caseload_sim.cli import app
from caseload_sim.model import simulate
from caseload_sim.scenario import ScenarioError, scenario_from_dict
from model_fixtures import load, shortened

runner = CliRunner()
HUGE = """\
name: huge
teams:
  - {name: t, specialists: 50, copies: 1000, referrals_per_week: 100}
run: {warmup_days: 36500, horizon_days: 36500}
"""
TINY = "name: tiny\nteams:\n  - {name: t, specialists: 1, referrals_per_week: 0.5}\nrun: {warmup_days: 0, horizon_days: 200}\n"


@pytest.mark.parametrize("name", ["baseline", "national", "regional_expansion"])
def test_the_estimate_lands_near_the_rows_a_replication_logs(name: str) -> None:
    scenario = shortened(load(name), 365.0, 730.0) if name == "national" else load(name)
    log = simulate(scenario, 1, 0)
    rows = len(log.events) + len(log.weeks)
    est = estimate(scenario).rows
    assert 0.7 * rows <= est <= 1.6 * rows, f"{name}: estimated {est:,.0f} rows, logged {rows:,}"


@pytest.mark.parametrize("command", [["run"], ["compare"], ["warmup", "--years", "100"]])
def test_a_run_too_big_for_the_machine_is_refused_before_it_starts(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE, encoding="utf-8")
    args = [command[0], str(path), *([str(path)] if command[0] == "compare" else []), *command[1:]]
    if command[0] == "compare":  # two scenarios of the same name are refused first: give it another
        other = tmp_path / "huge2.yaml"
        other.write_text(HUGE.replace("name: huge", "name: huge2"), encoding="utf-8")
        args[2] = str(other)
    result = runner.invoke(
        app, [*args, "--out", str(tmp_path / ("out.html" if command[0] == "warmup" else "out"))]
    )
    assert result.exit_code == 2, result.output
    assert "would log about" in result.stderr and "--force" in result.stderr
    assert "copies or referrals_per_week" in result.stderr, "the message names the levers"
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.html").exists(), "nothing written"


def test_max_rows_sets_the_budget_and_force_lets_a_run_through(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    small = runner.invoke(
        app, ["run", str(path), "-n", "1", "--max-rows", "10", "--out", str(tmp_path / "a")]
    )
    assert small.exit_code == 2 and "allowed: at most 10 rows" in small.stderr
    forced = runner.invoke(
        app, ["run", str(path), "-n", "1", "--max-rows", "10", "--force", "--out", str(tmp_path / "b")]
    )
    assert forced.exit_code == 0, forced.output
    assert runner.invoke(app, ["run", str(path), "--max-rows", "0"]).exit_code == 2


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("regulation", "period_months", 1e-9),
        ("jobs", "fixed_term_mean_months", 0.01),
        ("wage_subsidy", "mean_months", 0.01),
    ],
)
def test_parameters_that_would_make_the_clock_crawl_have_domain_bounds(
    section: str, key: str, value: float
) -> None:
    with pytest.raises(ScenarioError, match=rf"{section}\.{key}: got .*greater than or equal to 0\.5"):
        scenario_from_dict({"name": "x", "teams": [{"name": "t"}], section: {key: value}})
