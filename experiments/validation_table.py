"""The validation table of docs/model.md section 10: the model against the trials and the study.

Runs three paired comparisons on common random numbers, each arm of a trial as a
scenario on the same candidate stream, each with the trial's eligibility and service:

- ``usual_services.yaml`` (base) vs ``baseline.yaml``: a mature SE team against usual
  services for the same candidates (the Norwegian SE trials);
- ``validation_ips_trial_usual.yaml`` vs ``validation_ips_trial.yaml``: IPS with its
  time-unlimited support against usual services, for the IPS team's candidates all
  unemployed at referral (the US-led IPS trials of the meta-analyses, and the
  high-fidelity IPS job-tenure study);
- ``validation_ips_usual.yaml`` vs ``ips_team.yaml``: the IPS team under the Norwegian
  rules, a fifth of its candidates in some work at referral (the Norwegian IPS trial);

and sets each figure in domain.md beside the KPI that measures the same thing, with
the 95 % confidence interval across replications (of the mean, the paired difference
or the risk ratio). One parameter is calibrated to one row (``jobs.job_loss_per_year``
to the high-fidelity IPS first job, as its provenance says); the table marks it, and
nothing else is fitted to these figures. Regenerate after a model change::

    .venv/bin/python experiments/validation_table.py -n 30 --seed 1 --workers 2 --write

``--write`` replaces the table between the ``validation`` markers in docs/model.md;
without it the table is printed. ``--sensitivity`` instead runs the comparisons again
with each [A] parameter behind the rows set either side of its default (the rows that
are not reproduced, and what would move them)::

    .venv/bin/python experiments/validation_table.py -n 10 --seed 1 --workers 2 --sensitivity --write
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from caseload_sim.experiment import compare_scenarios
from caseload_sim.keypaths import apply_settings, parse_path
from caseload_sim.scenario import Scenario, load_scenario, scenario_from_dict

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "model.md"
START, END = "<!-- validation:start -->\n", "<!-- validation:end -->"
SENSITIVITY_MARKERS = ("<!-- sensitivity:start -->\n", "<!-- sensitivity:end -->")
ARMS = {
    "se": ("usual_services.yaml", "baseline.yaml"),  # the Norwegian SE trials
    "ips": ("validation_ips_trial_usual.yaml", "validation_ips_trial.yaml"),  # the US-led IPS trials
    "ips_no": ("validation_ips_usual.yaml", "ips_team.yaml"),  # the Norwegian IPS trial
}


@dataclass(frozen=True)
class Row:
    """One figure from domain.md, and how the model's answer to it is read."""

    figure: str  # what the source says
    source: str  # [S] / [L], where
    measure: str  # which KPI, and what it measures
    model: Callable[[dict[str, pd.DataFrame]], str]  # the model's value, formatted
    verdict: Callable[[dict[str, pd.DataFrame]], str]  # within, near or outside the source's range


def _row(c: pd.DataFrame, scenario: str, kpi: str) -> pd.Series:
    hit = c[(c["scenario"] == scenario) & (c["kpi"] == kpi)]
    if hit.empty:
        raise KeyError(f"{scenario}: no {kpi} in the comparison")
    return hit.iloc[0]


def _value(res: dict[str, pd.DataFrame], arm: str, who: int, kpi: str, field: str = "mean") -> float:
    """One figure of one scenario of an arm (``who``: 0 the base, 1 the alternative)."""
    return float(_row(res[arm], Path(ARMS[arm][who]).stem, kpi)[field])


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def mean(arm: str, who: int, kpi: str, scale: float = 1.0, unit: str = "", pct: bool = False) -> Callable:
    """Mean [CI] of ``kpi`` in arm ``arm``'s base (0) or alternative (1)."""

    def get(res: dict[str, pd.DataFrame]) -> str:
        name = Path(ARMS[arm][who]).stem
        r = _row(res[arm], name, kpi)
        if pct:
            return f"{_pct(r['mean'])} [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"
        return f"{r['mean'] * scale:.1f}{unit} [{r['ci_low'] * scale:.1f}, {r['ci_high'] * scale:.1f}]"

    return get


def effect(arm: str, kpi: str, ratio: bool = False, scale: float = 1.0, unit: str = "") -> Callable:
    """The alternative's paired difference (or risk ratio) against the base, with its CI."""

    def get(res: dict[str, pd.DataFrame]) -> str:
        r = _row(res[arm], Path(ARMS[arm][1]).stem, kpi)
        if ratio:
            return f"RR {r['risk_ratio']:.2f} [{r['rr_ci_low']:.2f}, {r['rr_ci_high']:.2f}]"
        d, lo, hi = (r[k] * scale for k in ("diff", "diff_ci_low", "diff_ci_high"))
        return f"{d:+.1f}{unit} [{lo:+.1f}, {hi:+.1f}]"

    return get


def within(
    arm: str,
    who: int,
    kpi: str,
    lo: float,
    hi: float,
    field: str = "mean",
    shown: Callable[[float], str] = str,
) -> Callable:
    """'within' if the model's CI overlaps the band [lo, hi] read around the figure, else 'higher' / 'lower'."""
    keys = {
        "mean": ("ci_low", "ci_high"),
        "diff": ("diff_ci_low", "diff_ci_high"),
        "risk_ratio": ("rr_ci_low", "rr_ci_high"),
    }[field]

    def get(res: dict[str, pd.DataFrame]) -> str:
        name = Path(ARMS[arm][who]).stem
        r = _row(res[arm], name, kpi)
        a, b = float(r[keys[0]]), float(r[keys[1]])
        word = "**model lower**" if b < lo else "**model higher**" if a > hi else "within"
        return f"{word} (band {shown(lo)} – {shown(hi)})"

    return get


def _p(x: float) -> str:
    return f"{100 * x:.0f} %"


def _weeks(x: float) -> str:
    return f"{x / 7:+.0f} weeks"


def fading(res: dict[str, pd.DataFrame]) -> str:
    """Whether the SE effect fades by 24 months, and whether it is gone (its CI reaches 0)."""
    d = {m: _value(res, "se", 1, f"employed_{m}m", "diff") for m in (6, 12, 18, 24)}
    peak = max(d, key=lambda m: d[m])
    if d[24] >= d[peak]:
        return "**does not fade**"
    if _value(res, "se", 1, "employed_24m", "diff_ci_low") <= 0.0:
        return "fades (no difference by 24 months)"
    return f"fades, **not gone** by 24 months ({100 * d[24] / d[peak]:.0f} % of its peak)"


ROWS = [
    Row(
        "IPS: competitive employment ~60 % (US) / ~47 % (outside the US) vs 23 % for usual services",
        "[L] meta-analyses",
        "`ever_worked_24m` (any paid work within 24 months of intake), IPS as in the trials "
        "(`validation_ips_trial`: unemployed at referral, time-unlimited support)",
        mean("ips", 1, "ever_worked_24m", pct=True),
        within("ips", 1, "ever_worked_24m", 0.40, 0.65, shown=_p),
    ),
    Row(
        "… the usual-services arm: 23 %",
        "[L]",
        "`ever_worked_24m`, usual services for the same candidates (`validation_ips_trial_usual`)",
        mean("ips", 0, "ever_worked_24m", pct=True),
        within("ips", 0, "ever_worked_24m", 0.15, 0.30, shown=_p),
    ),
    Row(
        "IPS vs usual services: risk ratio ~1.6–2.3",
        "[L] meta-analyses",
        "risk ratio of `ever_worked_24m`, IPS / usual services (the trials pair)",
        effect("ips", "ever_worked_24m", ratio=True),
        within("ips", 1, "ever_worked_24m", 1.6, 2.3, field="risk_ratio"),
    ),
    Row(
        "Norwegian IPS trial (n = 410): 36.6 % vs 27.1 % at 12 months (RR 1.35)",
        "[L]",
        "`employed_12m` (in work 12 months after intake, work held at referral included), the IPS team "
        "under the Norwegian rules (`ips_team`, a fifth in some work at referral) and usual services; RR",
        lambda r: (
            f"IPS {mean('ips_no', 1, 'employed_12m', pct=True)(r)} vs usual "
            f"{mean('ips_no', 0, 'employed_12m', pct=True)(r)}; {effect('ips_no', 'employed_12m', ratio=True)(r)}"
        ),
        within("ips_no", 1, "employed_12m", 1.1, 1.7, field="risk_ratio"),
    ),
    Row(
        "About 45 % of IPS participants never work during follow-up",
        "[L]",
        "`never_worked_24m`, IPS as in the trials",
        mean("ips", 1, "never_worked_24m", pct=True),
        within("ips", 1, "never_worked_24m", 0.35, 0.55, shown=_p),
    ),
    Row(
        "First jobs come ~10 weeks earlier than with usual services",
        "[L]",
        "`days_to_first_job_mean` (among those who worked within 24 months), IPS − usual, in weeks",
        effect("ips", "days_to_first_job_mean", scale=1 / 7, unit=" weeks"),
        within("ips", 1, "days_to_first_job_mean", -15 * 7, -5 * 7, field="diff", shown=_weeks),
    ),
    Row(
        "High-fidelity IPS: ~10 months in the first job (24 months from its start; 8.0 in the prospective sample)",
        "[L] Bond & Kukla 2011; **the calibration target** of `jobs.job_loss_per_year` (not evidence)",
        "`first_job_months_24m` (mean months in the first job within 24 months of its start), IPS as in the trials",
        mean("ips", 1, "first_job_months_24m", unit=" months"),
        within("ips", 1, "first_job_months_24m", 7.0, 13.0, shown=lambda x: f"{x:.0f} months"),
    ),
    Row(
        "High-fidelity IPS: ~13 of 24 months worked from the first job (11.0 prospective)",
        "[L] Bond & Kukla 2011",
        "`months_worked_from_first_job_24m` (months in any paid work within 24 months of the first job's "
        "start, among those who worked), IPS as in the trials",
        mean("ips", 1, "months_worked_from_first_job_24m", unit=" months"),
        within("ips", 1, "months_worked_from_first_job_24m", 10.0, 16.0, shown=lambda x: f"{x:.0f} months"),
    ),
    Row(
        "Norwegian SE trial (n = 3,737): higher employment in the first 6–18 months, no difference in the long run",
        "[L]",
        "`employed_6m` … `employed_24m`, SE baseline − usual services (percentage points)",
        lambda r: "; ".join(f"{m} m {effect('se', f'employed_{m}m', scale=100)(r)}" for m in (6, 12, 18, 24)),
        fading,
    ),
    Row(
        "Target: 65 % into work within a year",
        "[S] (a target, not an outcome)",
        "`work_12m`, SE baseline",
        mean("se", 1, "work_12m", pct=True),
        within("se", 1, "work_12m", 0.55, 0.75, shown=_p),
    ),
    Row(
        "Target: at least 9 exits to work per specialist-year",
        "[S] (a target; teams are said to struggle with it)",
        "`exits_to_work_per_fte_year`, SE baseline",
        mean("se", 1, "exits_to_work_per_fte_year"),
        within("se", 1, "exits_to_work_per_fte_year", 7.0, 11.0),
    ),
    Row(
        "68 % of users ended in permanent work (five counties, mature teams)",
        "[S] agency statement, 2018",
        "`exit_work_permanent_share` (exits to a permanent job, of all exits), SE baseline",
        mean("se", 1, "exit_work_permanent_share", pct=True),
        within("se", 1, "exit_work_permanent_share", 0.55, 0.80, shown=_p),
    ),
    Row(
        "Caseload: 12–20 candidates per full-time specialist",
        "[S]",
        "`caseload_mean` (time-average active candidates per staffed FTE), SE baseline (cap 15)",
        mean("se", 1, "caseload_mean"),
        within("se", 1, "caseload_mean", 12.0, 20.0),
    ),
    Row(
        "At least 40 % of working time outside the office",
        "[S] (a requirement)",
        "`outside_time_share` (weeks at work; shrinks under overload), SE baseline",
        mean("se", 1, "outside_time_share", pct=True),
        within("se", 1, "outside_time_share", 0.40, 0.60, shown=_p),
    ),
    Row(
        "Six new employer visits a week gives the top fidelity score",
        "[S] (a fidelity item)",
        "`employer_visits_per_week` (made, per FTE at work; cut under overload), SE baseline",
        mean("se", 1, "employer_visits_per_week"),
        within("se", 1, "employer_visits_per_week", 5.0, 6.0),
    ),
    Row(
        "Turnover of Norwegian IPS job specialists 45 % (27 % in other public-sector jobs)",
        "[L]",
        "`turnover_annual` (quits per held post-year), IPS team (`ips_team`)",
        mean("ips_no", 1, "turnover_annual", pct=True),
        within("ips_no", 1, "turnover_annual", 0.35, 0.55, shown=_p),
    ),
]


def table(results: dict[str, pd.DataFrame], n: int, seed: int) -> str:
    lines = [
        f"{n} paired replications per arm, seed {seed} (`experiments/validation_table.py`). "
        "Each trial arm is a scenario on the same candidate stream (common random numbers); "
        "intervals are 95 % across replications — of the model's mean, not of the trial's sample.",
        "",
        "| figure (domain.md) | source | the model's measure | the model | against the figure |",
        "|---|---|---|---|---|",
    ]
    for row in ROWS:
        lines.append(
            f"| {row.figure} | {row.source} | {row.measure} | {row.model(results)} | {row.verdict(results)} |"
        )
    return "\n".join(lines) + "\n"


# The [A] parameters the rows that are not reproduced depend on, and values either side
# of the default: what a calibration would move, and how far each moves the rows.
SENSITIVITY: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("pathway.own_progress_share", (0.2, 0.3, 0.5)),
    ("usual_services.hours_per_user", (0.15, 0.3, 0.6)),
    ("usual_services.assessment_days", (30.0, 90.0, 180.0)),
    ("usual_services.work_practice_prob", (0.3, 0.6, 0.9)),
    ("employer_network.job_finding_effect", (0.25, 0.5, 0.75)),
    ("jobs.early_multiplier", (1.5, 2.5, 4.0)),
    ("jobs.job_loss_per_year", (0.125, 0.25, 0.5)),
    ("jobs.followup_protection", (0.5, 1.5, 3.0)),
)
SENSITIVITY_ROWS: tuple[tuple[str, str, Callable[[dict[str, pd.DataFrame]], float]], ...] = (
    ("IPS ever worked 24 m", "%", lambda r: 100 * _value(r, "ips", 1, "ever_worked_24m")),
    ("usual ever worked 24 m", "%", lambda r: 100 * _value(r, "ips", 0, "ever_worked_24m")),
    ("RR ever worked 24 m", "", lambda r: _value(r, "ips", 1, "ever_worked_24m", "risk_ratio")),
    ("Norway: RR employed 12 m", "", lambda r: _value(r, "ips_no", 1, "employed_12m", "risk_ratio")),
    ("Norway: usual employed 12 m", "%", lambda r: 100 * _value(r, "ips_no", 0, "employed_12m")),
    ("first job earlier (weeks)", "", lambda r: -_value(r, "ips", 1, "days_to_first_job_mean", "diff") / 7),
    ("first job (months of 24)", "", lambda r: _value(r, "ips", 1, "first_job_months_24m")),
    ("usual first job (months of 24)", "", lambda r: _value(r, "ips", 0, "first_job_months_24m")),
    ("worked from first job (of 24)", "", lambda r: _value(r, "ips", 1, "months_worked_from_first_job_24m")),
    ("SE − usual at 12 m (pp)", "", lambda r: 100 * _value(r, "se", 1, "employed_12m", "diff")),
    ("SE − usual at 24 m (pp)", "", lambda r: 100 * _value(r, "se", 1, "employed_24m", "diff")),
)


def _changed(scenario: Scenario, changes: Sequence[tuple[str, float]]) -> Scenario:
    """The scenario with key-path parameters set (:mod:`caseload_sim.keypaths`), validated again."""
    if not changes:
        return scenario
    doc = apply_settings(scenario.model_dump(mode="json"), [(parse_path(p), v) for p, v in changes])
    shown = ", ".join(f"{p} = {v}" for p, v in changes)
    return scenario_from_dict(doc, f"<{scenario.name} with {shown}>")


def compare_arms(
    n: int, seed: int, workers: int, changes: Sequence[tuple[str, float]] = ()
) -> dict[str, pd.DataFrame]:
    """The three paired comparisons, optionally with parameters changed in every scenario."""
    results = {}
    for arm, (base, alt) in ARMS.items():
        scenarios = [load_scenario(REPO / "scenarios" / base), load_scenario(REPO / "scenarios" / alt)]
        scenarios = [_changed(s, changes) for s in scenarios]
        results[arm] = compare_scenarios(scenarios, n, seed, workers=workers).comparison
    return results


def sensitivity_table(n: int, seed: int, workers: int) -> str:
    """How far each [A] parameter moves the rows: one column per value, the default's in bold."""
    lines = [
        f"{n} paired replications per arm and value, seed {seed} "
        "(`experiments/validation_table.py --sensitivity`); each parameter changed in all four "
        "scenarios, the others at their defaults. Means only.",
        "",
    ]
    for path, values in SENSITIVITY:
        runs = {v: compare_arms(n, seed, workers, [(path, v)]) for v in values}
        default = float(_value_of_default(path))
        head = " | ".join(f"**{v:g}**" if v == default else f"{v:g}" for v in values)
        lines += [f"`{path}`", "", f"| row | {head} |", "|---|" + "---|" * len(values)]
        for name, unit, get in SENSITIVITY_ROWS:
            cells = " | ".join(f"{get(runs[v]):.1f}{(' ' + unit) if unit else ''}" for v in values)
            lines.append(f"| {name} | {cells} |")
        lines.append("")
    return "\n".join(lines)


def _value_of_default(path: str) -> Any:
    node: Any = Scenario.model_validate({"name": "x", "teams": [{"name": "t"}]})
    for key in path.split("."):
        node = getattr(node, key)
    return node


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=30, help="replications per scenario (default 30)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--write", action="store_true", help="replace the table in docs/model.md")
    ap.add_argument(
        "--sensitivity",
        action="store_true",
        help="instead, how far the [A] parameters behind the rows move them (between the sensitivity markers)",
    )
    args = ap.parse_args(argv)
    if args.sensitivity:
        text, (start, end) = sensitivity_table(args.n, args.seed, args.workers), SENSITIVITY_MARKERS
    else:
        text, (start, end) = (
            table(compare_arms(args.n, args.seed, args.workers), args.n, args.seed),
            (START, END),
        )
    if args.write:
        doc = DOC.read_text()
        i, j = doc.index(start) + len(start), doc.index(end)
        DOC.write_text(doc[:i] + text + doc[j:])
        print(f"wrote the table into {DOC.relative_to(REPO)}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
