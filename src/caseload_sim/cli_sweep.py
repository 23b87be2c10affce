"""The researchers' commands of ``caseload-sim``: ``sweep``, ``query`` and ``analyze``.

``caseload-sim sweep EXPERIMENT.yaml [--out DIR] [--workers W] [--executor serial|local|dask] [--scheduler ADDR] [--resume] [--quiet] [--json]``
    Build the experiment's plan (every point validated first), then run its tasks on
    one executor for the whole plan, storing each chunk's rows as they arrive in
    ``DIR`` (default ``out/<experiment name>/``): ``plan.parquet``,
    ``results/part-*.parquet``, ``points.parquet`` and ``manifest.json``. Ctrl-C (or
    SIGTERM, or a kill) keeps every stored chunk; ``--resume`` runs the rest.
``caseload-sim query DIR SQL [--format table|csv|json]``
    DuckDB over the store, with the views ``results``, ``points`` and ``plan``.
``caseload-sim analyze DIR [--out FILE]``
    Sensitivity tables into ``DIR/analysis/`` and the offline HTML sweep report.

They live beside :mod:`caseload_sim.cli` (which registers them on its app) so that the
planners' commands and the researchers' each fit in one file; both print, nothing
else does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from caseload_sim.budget import DEFAULT_MAX_ROWS
from caseload_sim.cli import (
    _EXTENDS_ROOTS,
    ForceOption,
    MaxRowsOption,
    _budget_problems,
    _fail,
    _lock,
    _out_problems,
    app,
)

__all__ = ["analyze", "query", "sweep"]

ExecutorName = Literal["serial", "local", "dask"]


def _executor(name: str | None, workers: int, scheduler: str | None) -> Any:
    from caseload_sim.executors import DaskExecutor, ProcessExecutor, SerialExecutor

    if scheduler is not None or name == "dask":
        return DaskExecutor(workers=workers, scheduler=scheduler)
    if name == "serial" or (name is None and workers == 1):
        return SerialExecutor()
    return ProcessExecutor(workers)


@app.command()
def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment YAML file.", show_default=False)],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Results store (default: out/<experiment name>/).", show_default=False),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (>= 1).")] = 1,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            help="serial, local (processes; the default with --workers > 1) or dask (a LocalCluster of "
            "--workers processes, or the cluster at --scheduler).",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of an existing Dask scheduler, e.g. tcp://host:8786.",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the sweep in the store: run only the tasks not stored.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar; only the summary.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object (machine-readable).")
    ] = False,
    force: ForceOption = False,
    max_rows: MaxRowsOption = DEFAULT_MAX_ROWS,
) -> None:
    """Run an experiment file's design: every point, every replication, into a resumable store.

    The plan (points x replications, with a key per task) is validated before anything
    runs. Replication r uses the same seed at every point (common random numbers).
    Results are identical whatever the executor and number of workers. Stored chunks
    are never rewritten: after Ctrl-C, SIGTERM or a kill, the same command with
    --resume runs only what is missing.
    """
    from caseload_sim.sweep.spec import ExperimentError, load_experiment

    problems: list[str] = []
    if workers < 1:
        problems.append(f"--workers: got {workers}; allowed: an integer >= 1")
    if executor is not None and executor not in ("serial", "local", "dask"):
        problems.append(f"--executor: got {executor!r}; allowed: serial, local or dask")
    if scheduler is not None and executor not in (None, "dask"):
        problems.append(f"--scheduler: goes with --executor dask, not {executor}")
    plan = None
    try:
        from caseload_sim.sweep.plan import make_plan

        spec = load_experiment(experiment)
        plan = make_plan(spec, experiment, _EXTENDS_ROOTS)
    except ExperimentError as exc:
        problems.extend(str(exc).splitlines())
    if plan is not None:
        out_dir = out if out is not None else Path("out") / plan.experiment.name
        problems.extend(_out_problems(out_dir))
        problems.extend(_budget_problems([plan.largest or plan.base_scenario], max_rows, force))
    if problems or plan is None:
        _fail(problems)
    lock = _lock(out_dir)

    from caseload_sim.sweep import store
    from caseload_sim.sweep.runner import run_sweep

    runner = _executor(executor, workers, scheduler)
    command = ["caseload-sim", "sweep", str(experiment), "--out", str(out_dir), "--workers", str(workers)]
    command += ["--executor", executor] if executor else []
    command += ["--scheduler", scheduler] if scheduler else []
    stored = [0]
    try:
        if quiet or as_json:
            outcome = run_sweep(
                plan,
                out_dir,
                runner,
                resume=resume,
                progress=lambda d, t: stored.__setitem__(0, d),
                extra={"command": command},
            )
        else:
            console = Console(stderr=True)
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
            )
            with Progress(*columns, console=console) as bar:
                task = bar.add_task("tasks", total=len(plan.tasks))
                first: list[int] = []

                def advance(done: int, total: int) -> None:
                    stored[0] = done
                    if not first:  # what was stored before: not part of this call's speed (eta)
                        first.append(done)
                        bar.reset(task, total=total, completed=done)
                    else:
                        bar.update(task, completed=done)

                outcome = run_sweep(
                    plan, out_dir, runner, resume=resume, progress=advance, extra={"command": command}
                )
    except store.StoreError as exc:
        _fail([str(exc)])
    except KeyboardInterrupt:
        _fail(
            [
                f"interrupted: {stored[0]} of {len(plan.tasks)} tasks are stored in {out_dir}; "
                f"continue with: caseload-sim sweep {experiment} --out {out_dir} --resume"
            ],
            code=130,
        )
    except Exception as exc:  # a worker's failure, a lost cluster: stored chunks are kept
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        _fail(
            [
                f"sweep failed: {type(exc).__name__}: {first_line}; {stored[0]} of {len(plan.tasks)} tasks "
                f"are stored in {out_dir}; continue with: caseload-sim sweep {experiment} --out {out_dir} --resume"
            ],
            code=1,
        )
    finally:
        lock.close()
    summary = {
        "experiment": plan.experiment.name,
        "folder": str(out_dir),
        "complete": outcome.complete,
        "points": len(plan.points),
        "tasks": outcome.tasks,
        "stored_before": outcome.stored_before,
        "ran": outcome.ran,
        "chunks_run": outcome.chunks_run,
        "seconds": round(outcome.seconds, 3),
        "tasks_per_second": round(outcome.ran / outcome.seconds, 3) if outcome.seconds > 0 else None,
        "executor": repr(runner),
        "driver_peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    rate = f", {summary['tasks_per_second']} tasks/s" if outcome.ran else ""
    kept = f" ({outcome.stored_before} were stored already)" if outcome.stored_before else ""
    typer.echo(
        f"{plan.experiment.name}: {outcome.stored} of {outcome.tasks} tasks stored{kept}; "
        f"ran {outcome.ran} in {outcome.seconds:.1f} s{rate} on {runner!r}"
    )
    typer.echo(f"store: {out_dir}  (plan.parquet, results/, points.parquet, manifest.json)")
    typer.echo(f'next:  caseload-sim query {out_dir} "select * from points limit 10"')
    typer.echo(f"       caseload-sim analyze {out_dir}")


def _peak_rss_mb() -> float:
    """This process's peak resident memory (the driver's; workers are other processes).

    On Linux from ``VmHWM`` in ``/proc/self/status``: ``ru_maxrss`` keeps the high-water
    mark of the process that started this one (it survives ``exec``), so a driver started
    by a large process would report that process's peak.
    """
    import resource
    import sys

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _views(folder: Path) -> tuple[Any, list[str]]:
    """A DuckDB connection with the store's views, or the problems with the folder."""
    import duckdb

    from caseload_sim.sweep import store

    problems: list[str] = []
    try:
        manifest = store.read_manifest(folder) if folder.is_dir() else None
    except store.StoreError as exc:
        return None, [str(exc)]
    if manifest is None:
        return None, [
            f"{folder}: not a sweep's results store (no manifest.json); allowed: a folder written by caseload-sim sweep"
        ]
    con = duckdb.connect(":memory:")
    parts = folder / store.RESULTS
    views = {
        "plan": folder / store.PLAN,
        "points": folder / store.POINTS,
    }
    if parts.is_dir() and any(parts.glob("part-*.parquet")):
        glob = str(parts / "part-*.parquet").replace("'", "''")
        con.execute(f"create view results as select * from read_parquet('{glob}')")
    for name, path in views.items():
        if path.is_file():
            con.execute(
                f"create view {name} as select * from read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
            )
    return con, problems


@app.command()
def query(
    folder: Annotated[Path, typer.Argument(help="A sweep's results store.", show_default=False)],
    sql: Annotated[
        str, typer.Argument(help="SQL over the views results, points and plan.", show_default=False)
    ],
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Query a sweep's results store with SQL (DuckDB, in this process).

    Views: results (one row per point and replication: factors and every KPI), points
    (per point and KPI: mean, std, 95 % CI, n; once the sweep is complete) and plan
    (every task, with its design columns). Example:
    caseload-sim query out/cap_by_referrals "select caseload_cap, avg(work_12m) from results group by 1 order by 1"
    """
    if output not in ("table", "csv", "json"):
        _fail([f"--format: got {output!r}; allowed: table, csv or json"])
    con, problems = _views(folder)
    if con is None or problems:
        _fail(problems)
    import duckdb

    try:
        frame = con.execute(sql).df()
    except duckdb.Error as exc:
        first_line = (str(exc).strip().splitlines() or ["invalid query"])[0]
        _fail([f"query: {first_line}; allowed: SQL over the views results, points and plan"])
    if output == "csv":
        typer.echo(frame.to_csv(index=False), nl=False)
    elif output == "json":
        typer.echo(frame.to_json(orient="records", double_precision=15))
    else:
        table = Table(*[str(c) for c in frame.columns], show_lines=False)
        for row in frame.itertuples(index=False):
            table.add_row(*[_cell(v) for v in row])
        Console().print(table)
        typer.echo(f"{len(frame)} row(s)", err=True)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


@app.command()
def analyze(
    folder: Annotated[Path, typer.Argument(help="A sweep's results store.", show_default=False)],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="HTML sweep report (default: DIR/sweep_report.html).", show_default=False),
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap draws for the intervals (>= 50).")
    ] = 500,
) -> None:
    """Sensitivity of each KPI of interest to the factors, in tables and an offline HTML report.

    For a sobol design: first- and total-order Sobol indices with bootstrap 95 % intervals
    (resampling both the design's rows and each point's replications), for a morris
    design: mu*, mu and sigma of the elementary effects; for grids and one-at-a-time:
    main effects and two-factor tables. For every design, the noise share: how much of
    the variance between point means is replication noise. Writes DIR/analysis/*.csv and
    the report; the model is not re-run.
    """
    from caseload_sim.report.folder import ReportInputError
    from caseload_sim.report.sweep import write_sweep_report
    from caseload_sim.sweep.sensitivity import SweepStoreError, load_store, write_analysis
    from caseload_sim.sweep.sensitivity import analyze as analyse_store

    if bootstrap < 50:
        _fail([f"--bootstrap: got {bootstrap}; allowed: an integer >= 50"])
    target = out if out is not None else folder / "sweep_report.html"
    problems = _out_problems(target.parent) if out is not None else []
    if out is not None and out.is_dir():
        problems.append(f"--out: {out} is a folder; allowed: an HTML file to write")
    if problems:
        _fail(problems)
    try:
        store = load_store(folder)
        analysis = analyse_store(store, bootstrap=bootstrap)
    except SweepStoreError as exc:
        _fail(getattr(exc, "problems", None) or [str(exc)])
    try:
        written = write_analysis(analysis, folder / "analysis")
        report = write_sweep_report(store, analysis, target)
    except (OSError, ReportInputError) as exc:
        _fail([f"cannot write the analysis: {exc}"], code=1)
    for line in analysis.findings:
        typer.echo(f"- {line}")
    typer.echo(f"wrote {', '.join(str(p) for p in written)}")
    typer.echo(f"report: {report}")
