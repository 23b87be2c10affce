"""The shipped scenarios side by side: the tables of docs/model.md section 10.

Runs every scenario given (default: every file in ``scenarios/`` but ``national.yaml``,
which is a benchmark-sized world) for ``-n`` replications from ``--seed`` and prints
markdown tables of each KPI's mean and 95 % confidence interval, grouped as the report
groups KPIs (placements and flow, workforce, costs), a few scenarios per table so the
tables stay readable. Paste the output into docs/model.md after a model change::

    .venv/bin/python experiments/scenario_tables.py -n 20 --seed 1 --workers 2 > /tmp/tables.md

Shares are shown as fractions (0.650), money in millions (M) or thousands (k) of NOK,
other numbers to three significant digits, as in the report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from caseload_sim.experiment import run_replications
from caseload_sim.report.kpis import format_value, is_share, kpi_group
from caseload_sim.scenario import load_scenario

REPO = Path(__file__).resolve().parent.parent
GROUP_TITLES = {
    "placements": "Placements and flow",
    "flow": "Placements and flow",
    "workforce": "Workforce",
    "costs": "Costs (NOK: M millions, k thousands; totals over the measured window)",
}
LEFT_OUT = ("national.yaml",)


def _number(kpi: str, x: float, money_scale: float) -> str:
    if kpi_group(kpi) == "costs" and money_scale > 1.0:
        return f"{x / money_scale:.2f}" if money_scale == 1e6 else f"{x / money_scale:.0f}"
    if is_share(kpi):
        return f"{x:.3f}"
    return format_value("", x)  # three significant digits, separators from 100


def _cell(kpi: str, row: pd.Series) -> str:
    """``mean [low, high]``, money in one unit (M or k NOK) for all three."""
    mean, low, high = (float(row[k]) for k in ("mean", "ci_low", "ci_high"))
    scale, unit = 1.0, ""
    if kpi_group(kpi) == "costs":
        scale, unit = (1e6, " M") if abs(mean) >= 1e6 else (1e3, " k")
    return f"{_number(kpi, mean, scale)}{unit} [{_number(kpi, low, scale)}, {_number(kpi, high, scale)}]"


def tables(summaries: dict[str, pd.DataFrame], per_table: int) -> str:
    """Markdown tables: one per KPI group and slice of ``per_table`` scenarios."""
    names = list(summaries)
    kpis = list(next(iter(summaries.values()))["kpi"])
    groups: dict[str, list[str]] = {}
    for kpi in kpis:
        groups.setdefault(GROUP_TITLES.get(kpi_group(kpi), "Other"), []).append(kpi)
    out: list[str] = []
    for title, members in groups.items():
        for start in range(0, len(names), per_table):
            chunk = names[start : start + per_table]
            out.append(f"**{title}** ({', '.join(chunk)})\n")
            out.append("| KPI | " + " | ".join(chunk) + " |")
            out.append("|---|" + "---|" * len(chunk))
            for kpi in members:
                cells = [_cell(kpi, summaries[n].set_index("kpi").loc[kpi]) for n in chunk]
                out.append(f"| `{kpi}` | " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("scenarios", nargs="*", type=Path, help="scenario files (default: scenarios/*.yaml)")
    parser.add_argument("-n", "--replications", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-table", type=int, default=5, help="scenarios per table (default 5)")
    args = parser.parse_args(argv)
    paths = args.scenarios or sorted(p for p in (REPO / "scenarios").glob("*.yaml") if p.name not in LEFT_OUT)
    summaries: dict[str, pd.DataFrame] = {}
    for path in paths:
        scenario = load_scenario(path)
        print(f"running {scenario.name} ({args.replications} replications)", file=sys.stderr)
        results = run_replications(scenario, args.replications, args.seed, workers=args.workers)
        summaries[scenario.name] = results.summary
    print(tables(summaries, args.per_table))


if __name__ == "__main__":
    main()
