"""What a run will cost, estimated from the scenario before anything runs.

A valid scenario can still ask for more than a machine has: a few lines of YAML
(a thousand copies of a 50-specialist team, 100 referrals a week, 200 years) would
fill memory within a minute. The size of a replication is its event log, and the log
grows with the people referred and the posts' weeks, at rates measured from the model
(``make bench``'s national scenario and the baseline: 20–22 rows per referral, 52 week
rows per post-year, about 200 bytes of peak memory per row, about 10 µs of CPU per row
on this project's reference machine). :func:`estimate` gives rows, memory and time per
replication; :func:`over_budget` says, when the estimate exceeds the budget, what the
run would cost and which lever drives it.
"""

from __future__ import annotations

from dataclasses import dataclass

from caseload_sim.scenario import Scenario

__all__ = ["DEFAULT_MAX_ROWS", "Estimate", "estimate", "over_budget"]

ROWS_PER_REFERRAL = 22.0  # event-log rows per person referred (measured: baseline 22.4, national 20.2)
WEEK_ROWS_PER_POST_YEAR = 52.2  # one week row per post and week
BYTES_PER_ROW = 200.0  # peak resident bytes per row while a replication runs (national: ~185)
BASE_MB = 120.0  # the interpreter and libraries
SECONDS_PER_ROW = 1.0e-5  # CPU per row on the reference machine (about 9.5 µs per SimPy event)
WEEKS_PER_YEAR = 365.0 / 7.0
DEFAULT_MAX_ROWS = 20_000_000  # about 4 GB and half an hour per replication: beyond any shipped scenario


@dataclass(frozen=True)
class Estimate:
    """The cost of one replication of a scenario (upper-bound rates: each team at its highest)."""

    referrals: float  # people referred over warm-up and horizon
    post_years: float
    years: float
    rows: float  # event-log and week rows
    memory_mb: float
    seconds: float


def estimate(scenario: Scenario, years: float | None = None) -> Estimate:
    """Rows, memory and CPU of one replication (``years``: a length other than warm-up + horizon)."""
    span = years if years is not None else (scenario.run.warmup_days + scenario.run.horizon_days) / 365.0
    referrals = post_years = 0.0
    for team in scenario.teams:
        rate = max([team.referrals_per_week, *(c.referrals_per_week for c in team.referral_changes)])
        posts = team.specialists + sum(max(0, c.specialists) for c in team.changes)  # at most
        referrals += rate * team.copies * WEEKS_PER_YEAR * span
        post_years += posts * team.copies * span
    rows = ROWS_PER_REFERRAL * referrals + WEEK_ROWS_PER_POST_YEAR * post_years
    return Estimate(
        referrals=referrals,
        post_years=post_years,
        years=span,
        rows=rows,
        memory_mb=BASE_MB + rows * BYTES_PER_ROW / 1e6,
        seconds=rows * SECONDS_PER_ROW,
    )


def over_budget(scenario: Scenario, max_rows: float, years: float | None = None) -> str | None:
    """Why the scenario's replications would exceed ``max_rows`` rows each (``None``: they would not)."""
    est = estimate(scenario, years)
    if est.rows <= max_rows:
        return None
    teams = sum(t.copies for t in scenario.teams)
    return (
        f"{scenario.name}: one replication would log about {est.rows:,.0f} rows (about "
        f"{est.memory_mb / 1024:,.1f} GB of memory and {est.seconds / 60:,.0f} CPU minutes): "
        f"{est.referrals:,.0f} people referred by {teams:,} team(s) over {est.years:,.0f} years and "
        f"{est.post_years:,.0f} post-years — lower the teams' copies or referrals_per_week, or "
        f"run.warmup_days + run.horizon_days; allowed: at most {max_rows:,.0f} rows (--max-rows), "
        "or --force to run it anyway"
    )
