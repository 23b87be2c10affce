"""History matching the trial rows of the validation table: which [A] values do the trials rule out?

The validation table (docs/model.md section 10) leaves three rows unreproduced, all
about the US-led trials' usual-services arm, and its sensitivity map suggests that
the parameter that would fix them (``pathway.own_progress_share``) breaks the
Norwegian IPS trial. One parameter at a time cannot see joint moves; this script asks
the question as history matching (:mod:`caseload_sim.calibrate.history`):

1. the six [A] parameters behind the rows (``FACTORS``) get wide ranges and one Latin
   hypercube of points; the three trials' six arms (``ARMS``: the US-led IPS trials,
   the Norwegian IPS trial, the Norwegian SE trial, each IPS or SE against usual
   services) are swept over the same points and replications (common random numbers:
   replication *r* of point *p* is the same people in every arm), each arm a sweep
   with its own resumable results store under ``--out/wave<k>/``;
2. each trial figure (``OUTPUTS``) becomes a target: its value and one standard
   deviation taken from the band the validation table reads around it (the band's
   wider side is three standard deviations), or, for the Norwegian trials, from their
   sample sizes with the variance doubled for the model's discrepancy (the SE trial's
   "no difference in the long run" read as no difference in employment at 24 months);
3. a quadratic emulator of each figure (its leave-one-out errors checked) gives the
   implausibility of a million points of the box, and the tables say which part of
   the box each trial, and the trials together, leave;
4. a second wave sweeps again inside what the first leaves for all three trials (its
   bounding box, widened by a tenth), fits new emulators there and rules out again;
5. ``--verify N`` simulates the validation table's trial rows at the last wave's least
   implausible points for the two IPS trials and for all three.

Nothing here changes a default. Run (about 15 minutes on 2 workers; a killed run
continues where it stopped)::

    .venv/bin/python experiments/history_match_trials.py --workers 2 --verify 20 --write

``--write`` replaces the section between the ``history-match`` markers in
docs/model.md; without it the section is printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from caseload_sim.calibrate import QuadraticEmulator, Target, implausibility, nroy
from caseload_sim.executors import ProcessExecutor, SerialExecutor
from caseload_sim.scenario import load_scenario
from caseload_sim.sweep import load_experiment, make_plan, run_sweep
from caseload_sim.sweep.store import StoreError, read_results

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "model.md"
MARKERS = ("<!-- history-match:start -->\n", "<!-- history-match:end -->")
ARMS = (
    "validation_ips_trial",  # the US-led IPS trials: IPS ...
    "validation_ips_trial_usual",  # ... and usual services, for unemployed people
    "ips_team",  # the Norwegian IPS trial: IPS under the Norwegian rules ...
    "validation_ips_usual",  # ... and usual services
    "baseline",  # the Norwegian SE trial: SE ...
    "usual_services",  # ... and usual services
)
KPIS = ("ever_worked_24m", "employed_12m", "employed_24m", "days_to_first_job_mean", "first_job_months_24m",
        "months_worked_from_first_job_24m")  # fmt: skip


@dataclass(frozen=True)
class Factor:
    path: str
    name: str
    low: float
    high: float
    why: str


FACTORS = (
    Factor("pathway.own_progress_share", "own_progress", 0.0, 0.8, "pace kept with no specialist time"),
    Factor("usual_services.assessment_days", "assessment_days", 10.0, 300.0, "usual arm: assessment first"),
    Factor("usual_services.hours_per_user", "usual_hours", 0.1, 0.8, "usual arm: a case worker's hours"),
    Factor("jobs.job_loss_per_year", "job_loss", 0.1, 0.6, "job loss at full follow-up"),
    Factor("jobs.early_multiplier", "early_mult", 1.0, 4.0, "early months' hazard"),
    Factor("jobs.followup_protection", "protection", 0.25, 3.0, "what follow-up protects"),
)

EXPERIMENT = """\
name: {name}
scenario: {scenario}
factors:
{factors}
design: {{kind: lhs, samples: {points}, seed: {seed}}}
replications: {replications}
seed: {seed}
kpis: [{kpis}]
"""


def _sd_from_band(figure: float, lo: float, hi: float) -> float:
    """One standard deviation such that the band's wider side is three of them."""
    return max(figure - lo, hi - figure) / 3.0


def _sd_from_sample(p: float, n: int) -> float:
    """A trial arm's sampling SD of a share, doubled in variance for the model's discrepancy."""
    return float(np.sqrt(2.0 * p * (1.0 - p) / n))


@dataclass(frozen=True)
class Output:
    """One trial figure and how it is computed from the arms' replications."""

    target: Target
    trial: str  # "US", "Norway IPS" or "Norway SE"
    label: str
    value: Callable[[dict[str, pd.DataFrame]], pd.Series]  # per (point, replication)
    ratio_of_means: tuple[str, str, str] | None = None  # (numerator arm, denominator arm, kpi)


def _kpi(arm: str, kpi: str) -> Callable[[dict[str, pd.DataFrame]], pd.Series]:
    return lambda res: res[arm][kpi]


def _difference(
    arm: str, other: str, kpi: str, scale: float = 1.0
) -> Callable[[dict[str, pd.DataFrame]], pd.Series]:
    """``arm``'s ``kpi`` minus ``other``'s, per paired replication, times ``scale``."""
    return lambda res: (res[arm][kpi] - res[other][kpi]) * scale


def _ratio(target: Target, trial: str, label: str, arm: str, other: str, kpi: str) -> Output:
    """A risk ratio: per point the ratio of the two arms' means; per replication (for its noise) the ratio."""
    return Output(target, trial, label, lambda res: res[arm][kpi] / res[other][kpi], (arm, other, kpi))


OUTPUTS = (
    Output(Target("us_ips_ever_24m", 0.60, _sd_from_band(0.60, 0.40, 0.65)), "US",
           "IPS ever worked 24 m (~60 %)", _kpi("validation_ips_trial", "ever_worked_24m")),
    Output(Target("us_usual_ever_24m", 0.23, _sd_from_band(0.23, 0.15, 0.30)), "US",
           "usual ever worked 24 m (~23 %)", _kpi("validation_ips_trial_usual", "ever_worked_24m")),
    _ratio(Target("us_rr_ever_24m", 1.95, _sd_from_band(1.95, 1.6, 2.3)), "US",
           "RR ever worked 24 m (1.6-2.3)", "validation_ips_trial", "validation_ips_trial_usual", "ever_worked_24m"),
    Output(Target("us_first_job_gap_weeks", -10.0, _sd_from_band(-10.0, -15.0, -5.0)), "US",
           "first job earlier, weeks (~10)",
           _difference("validation_ips_trial", "validation_ips_trial_usual", "days_to_first_job_mean", 1 / 7.0)),
    Output(Target("us_first_job_months", 10.0, _sd_from_band(10.0, 7.0, 13.0)), "US",
           "months in the first job (~10)", _kpi("validation_ips_trial", "first_job_months_24m")),
    Output(Target("us_months_worked", 12.9, _sd_from_band(12.9, 10.0, 16.0)), "US",
           "months worked of 24 from the first job (~13)",
           _kpi("validation_ips_trial", "months_worked_from_first_job_24m")),
    Output(Target("no_ips_employed_12m", 0.366, _sd_from_sample(0.366, 205)), "Norway IPS",
           "IPS employed at 12 m (36.6 %)", _kpi("ips_team", "employed_12m")),
    Output(Target("no_usual_employed_12m", 0.271, _sd_from_sample(0.271, 205)), "Norway IPS",
           "usual employed at 12 m (27.1 %)", _kpi("validation_ips_usual", "employed_12m")),
    _ratio(Target("no_rr_employed_12m", 1.35, _sd_from_band(1.35, 1.1, 1.7)), "Norway IPS",
           "RR employed at 12 m (1.35)", "ips_team", "validation_ips_usual", "employed_12m"),
    Output(Target("no_se_minus_usual_24m", 0.0, _sd_from_sample(0.5, 1868) * np.sqrt(2.0)), "Norway SE",
           "SE − usual employed at 24 m (no difference in the long run)",
           _difference("baseline", "usual_services", "employed_24m")),
)  # fmt: skip


def sweep_arms(
    out: Path, factors: Sequence[Factor], points: int, replications: int, seed: int, workers: int
) -> dict[str, pd.DataFrame]:
    """Sweep the arms over one design (resuming what is in ``out``); each arm's rows by (point, replication)."""
    out.mkdir(parents=True, exist_ok=True)
    factor_lines = "\n".join(
        f"  - {{path: {f.path}, name: {f.name}, range: [{f.low:.6g}, {f.high:.6g}]}}" for f in factors
    )
    results = {}
    executor = ProcessExecutor(workers) if workers > 1 else SerialExecutor()
    for arm in ARMS:
        path = out / f"{arm}.yaml"
        path.write_text(
            EXPERIMENT.format(
                name=f"hm-{arm}",
                scenario=REPO / "scenarios" / f"{arm}.yaml",
                factors=factor_lines,
                points=points,
                replications=replications,
                seed=seed,
                kpis=", ".join(KPIS),
            ),
            encoding="utf-8",
        )
        plan = make_plan(load_experiment(path), path)
        store = out / arm
        print(f"{arm}: {len(plan.tasks)} replications into {store}", file=sys.stderr, flush=True)
        try:
            run_sweep(plan, store, executor, resume=store.exists())
        except StoreError as error:  # e.g. another --points or --seed over an earlier run's store
            raise SystemExit(f"{error}\n(give another --out, or delete {out})") from None
        frame = read_results(store).set_index(["point", "replication"]).sort_index()
        results[arm] = frame
    names = [f.name for f in factors]
    first = results[ARMS[0]][names]
    for arm in ARMS[1:]:  # the same design in every arm: the points must agree
        if not np.allclose(results[arm][names].to_numpy(), first.to_numpy()):
            raise SystemExit(f"{arm}: its design points differ from {ARMS[0]}'s (delete {out} and rerun)")
    return results


def _point_outputs(
    results: dict[str, pd.DataFrame], factors: Sequence[Factor]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point: the parameters, each output's mean over replications and the replication variance of that mean."""
    names = [f.name for f in factors]
    x = results[ARMS[0]][names].groupby(level="point").first().to_numpy()
    means, noise = [], []
    for o in OUTPUTS:
        per_rep = o.value(results).groupby(level="point")
        if o.ratio_of_means:  # the trials' risk ratio: a ratio of the arms' shares
            num, den, kpi = o.ratio_of_means
            m = (
                results[num][kpi].groupby(level="point").mean()
                / results[den][kpi].groupby(level="point").mean()
            )
        else:
            m = per_rep.mean()
        means.append(m.to_numpy())
        noise.append(float(np.nanmean(per_rep.var(ddof=1) / per_rep.count())))
    return x, np.column_stack(means), np.array(noise)


def _defaults() -> np.ndarray:
    from caseload_sim.keypaths import get_value, parse_path

    scenario = load_scenario(REPO / "scenarios" / "ips_team.yaml")
    return np.array([float(get_value(scenario, parse_path(f.path))) for f in FACTORS])


def analyse(
    results: dict[str, pd.DataFrame],
    factors: Sequence[Factor],
    seed: int,
    wave: int,
    samples: int = 1_000_000,
) -> tuple[str, dict[str, np.ndarray], tuple[Factor, ...] | None]:
    """One wave's tables, its least implausible points for the two IPS trials and for all three
    trials, and the box that is left for the next wave (``None``: nothing is left)."""
    x, y, noise = _point_outputs(results, factors)
    lo = np.array([f.low for f in factors])
    hi = np.array([f.high for f in factors])
    emulators = [QuadraticEmulator.fit(x, y[:, k], lo, hi, noise[k]) for k in range(len(OUTPUTS))]
    rng = np.random.default_rng(seed)
    box = lo + (hi - lo) * rng.random((samples, len(factors)))
    preds = [e.predict(box) for e in emulators]
    mean = np.column_stack([p[0] for p in preds])
    var = np.column_stack([p[1] for p in preds])
    targets = [o.target for o in OUTPUTS]
    imp = implausibility(targets, mean, var)
    groups = {
        "the US-led IPS trials": np.array([o.trial == "US" for o in OUTPUTS]),
        "the Norwegian IPS trial": np.array([o.trial == "Norway IPS" for o in OUTPUTS]),
        "the Norwegian SE trial": np.array([o.trial == "Norway SE" for o in OUTPUTS]),
        "the Norwegian trials": np.array([o.trial.startswith("Norway") for o in OUTPUTS]),
        "the two IPS trials": np.array([o.trial in ("US", "Norway IPS") for o in OUTPUTS]),
        "all three": np.ones(len(OUTPUTS), dtype=bool),
    }
    kept = {label: nroy(imp[:, cols]) for label, cols in groups.items()}
    defaults = _defaults()
    inside = bool(np.all((defaults >= lo) & (defaults <= hi)))  # else the emulators would extrapolate
    d_pred = [e.predict(defaults[None, :]) for e in emulators]
    d_mean = np.column_stack([p[0] for p in d_pred])
    d_imp = implausibility(targets, d_mean, np.column_stack([p[1] for p in d_pred]))[0]

    n_points, reps = x.shape[0], len(results[ARMS[0]]) // x.shape[0]
    lines = [
        f"**Wave {wave}**: {n_points} Latin-hypercube points × {reps} replications × {len(ARMS)} arms "
        f"({n_points * reps * len(ARMS):,} replications, seed {seed}, `experiments/history_match_trials.py`); "
        f"a quadratic emulator per figure; implausibility on {samples:,} points of the box; "
        "cut-off 3.",
        "",
        "| figure | target (sd) | at the defaults | implausibility at the defaults | emulator LOO (share within ±3 sd) | lack-of-fit sd |",
        "|---|---|---|---|---|---|",
    ]
    for k, (o, e) in enumerate(zip(OUTPUTS, emulators, strict=True)):
        loo = e.loo_standardised()
        lines.append(
            f"| {o.trial}: {o.label} | {o.target.observed:g} ({o.target.sd:.3g}) | "
            + (f"{d_mean[0, k]:.3g} | {d_imp[k]:.1f}" if inside else "(outside the box) | —")
            + f" | {np.mean(np.abs(loo) <= 3.0):.0%} | {np.sqrt(e.lack_of_fit_var):.3g} |"
        )
    lines += [
        "",
        "| not ruled out by | share of the box | " + " | ".join(f"`{f.name}` range" for f in factors) + " |",
        "|---|---|" + "---|" * len(factors),
    ]
    for label, keep in kept.items():
        if keep.any():
            ranges = " | ".join(
                f"{box[keep, j].min():.3g}–{box[keep, j].max():.3g}" for j in range(len(factors))
            )
        else:
            ranges = " | ".join("—" for _ in factors)
        lines.append(f"| {label} | {keep.mean():.3%} | {ranges} |")
    lines += ["", "The box and the defaults (`ips_team`):", ""]
    for f, d in zip(factors, defaults, strict=True):
        lines.append(f"- `{f.path}` ({f.why}): {f.low:g}–{f.high:g}, default {d:g}")
    best = {label: int(np.argmin(imp[:, cols].max(axis=1))) for label, cols in groups.items()}
    for label, i in best.items():
        worst = np.argsort(-imp[i])[:3]
        lines.append(
            f"- least implausible point for {label}: "
            + ", ".join(f"{f.name} {box[i, j]:.3g}" for j, f in enumerate(factors))
            + "; largest implausibilities there: "
            + ", ".join(f"{OUTPUTS[k].target.name} {imp[i, k]:.1f}" for k in worst)
        )
    keep = kept["all three"]
    narrowed = None
    if keep.any():  # the next wave's box: what is left, widened by a tenth of its width each way
        left_lo, left_hi = box[keep].min(axis=0), box[keep].max(axis=0)
        pad = 0.1 * (left_hi - left_lo)
        narrowed = tuple(
            Factor(f.path, f.name, float(max(f.low, a - p)), float(min(f.high, b + p)), f.why)
            for f, a, b, p in zip(factors, left_lo, left_hi, pad, strict=True)
        )
    checks = {label: box[best[label]] for label in ("the two IPS trials", "all three")}
    return "\n".join(lines) + "\n", checks, narrowed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=160)
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path, default=REPO / "out" / "history-match")
    ap.add_argument("--waves", type=int, default=2, help="waves of history matching (default 2)")
    ap.add_argument(
        "--verify",
        type=int,
        default=0,
        metavar="N",
        help="simulate the trial rows at the least implausible points (two IPS trials, all three), N replications",
    )
    ap.add_argument("--write", action="store_true", help="replace the section in docs/model.md")
    args = ap.parse_args(argv)
    factors: tuple[Factor, ...] | None = FACTORS
    text, checks = "", {}
    for wave in range(1, args.waves + 1):
        assert factors is not None
        results = sweep_arms(
            args.out / f"wave{wave}", factors, args.points, args.replications, args.seed, args.workers
        )
        section, checks, factors = analyse(results, factors, args.seed + wave - 1, wave)
        text += ("\n" if text else "") + section
        if factors is None:
            text += f"\nNothing is left after wave {wave}: no point of the box reproduces all three trials.\n"
            break
    if args.verify:  # a check by simulation: the emulators' answer is a prediction
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from validation_table import compare_arms, table

        for label, point in checks.items():  # the last wave's least implausible points
            changes = [(f.path, round(float(v), 3)) for f, v in zip(FACTORS, point, strict=True)]
            print(f"verifying at {changes} with {args.verify} replications", file=sys.stderr, flush=True)
            rows = table(compare_arms(args.verify, args.seed, args.workers, changes), args.verify, args.seed)
            trial_rows = [line for line in rows.splitlines() if line.startswith("|") and "| [L]" in line]
            text += (
                f"\nSimulated at the last wave's least implausible point for {label} ("
                + ", ".join(f"`{f.name}` {v:g}" for f, (_, v) in zip(FACTORS, changes, strict=True))
                + f"; {args.verify} paired replications, every other parameter at its default), "
                "the validation table's trial rows:\n\n"
                + "\n".join(rows.splitlines()[2:4] + trial_rows)
                + "\n"
            )
    if not args.write:
        print(text)
        return 0
    doc = DOC.read_text(encoding="utf-8")
    start, end = MARKERS
    if start not in doc or end not in doc:
        raise SystemExit(f"{DOC}: the markers {start.strip()} and {end} are missing")
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(head + start + text + end + tail, encoding="utf-8")
    print(f"wrote the history-matching section of {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
