"""The ``caseload-sim`` command line: wires scenario, experiment and output files together.

Commands
--------
``caseload-sim run SCENARIO.yaml [-n N] [--seed S] [--out DIR] [--workers W] [--events]``
    Run N replications, print each KPI's mean and 95 % confidence interval, and write
    ``replications.csv``, ``summary.csv``, ``manifest.json`` (and, with ``--events``,
    ``events.parquet``, ``candidates.parquet``, ``specialists.parquet``, ``weeks.parquet``)
    into DIR (default ``out/<scenario name>/``).
``caseload-sim validate SCENARIO.yaml ...``
    Check scenario files; ``OK <file>`` or one line per problem.

Bad input — a missing or unreadable file, invalid YAML, a schema violation, an option
out of range — is reported on stderr, one line per problem (file, key path, value, what
is allowed), with exit status 2, no traceback, and nothing written. The CLI is the only
layer that prints; everything it shows comes from :mod:`caseload_sim.experiment`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from caseload_sim import __version__
from caseload_sim.manifest import build_manifest, publish, utc_now
from caseload_sim.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    import pandas as pd

    from caseload_sim.events import EventLog
    from caseload_sim.experiment import Progress as ProgressCallback
    from caseload_sim.experiment import ReplicationResults

# numpy, pandas, scipy and the model are imported inside `run`, so that `--help`,
# `--version` and `validate` answer quickly.

__all__ = ["RUN_OUTPUTS", "app"]

#: Files ``run`` may write into its output folder (``manifest.json`` is always written).
RUN_OUTPUTS: tuple[str, ...] = (
    "replications.csv",
    "summary.csv",
    "events.parquet",
    "candidates.parquet",
    "specialists.parquet",
    "weeks.parquet",
    "manifest.json",
)
_MAX_SEED = 2**63 - 1  # seeds are stored in int64 columns

app = typer.Typer(
    name="caseload-sim",
    help="Simulate NAV job specialists' caseloads: run scenarios and check them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _fail(lines: Sequence[str], code: int = 2) -> NoReturn:
    """Report problems on stderr, one per line, and stop with ``code``."""
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"caseload-sim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Simulate NAV job specialists' caseloads: run scenarios and check them."""


# --- run ------------------------------------------------------------------------------


def _option_problems(replications: int, seed: int, workers: int) -> list[str]:
    problems = []
    if replications < 1:
        problems.append(f"-n/--replications: got {replications}; allowed: an integer >= 1")
    if not 0 <= seed <= _MAX_SEED:
        problems.append(f"--seed: got {seed}; allowed: an integer from 0 to {_MAX_SEED}")
    if workers < 1:
        problems.append(f"--workers: got {workers}; allowed: an integer >= 1")
    return problems


def _out_problems(out: Path) -> list[str]:
    """Why ``out`` could not become the output folder (checked before anything runs)."""
    if out.exists() and not out.is_dir():
        return [f"--out: {out} exists and is not a directory; allowed: a directory (created if missing)"]
    ancestor = out
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return [f"--out: {ancestor} is not a directory, so {out} cannot be created"]
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return [f"--out: no permission to write in {ancestor}"]
    return []


@contextmanager
def _progress_bar(total: int, label: str) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr; yields the callback that advances it."""
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=total)

        def advance(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        yield advance


def _write_log_table(logs: Sequence[EventLog], path: Path, table_of: Callable[[EventLog], Any]) -> None:
    """One table of every replication's log in one parquet file, with a leading ``replication`` column."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    try:
        for log in logs:
            frame = table_of(log)
            replication = int(log.meta.get("replication", 0))
            frame.insert(0, "replication", np.full(len(frame), replication, dtype=np.int32))
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            else:
                table = table.cast(writer.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def _csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        frame.to_csv(path, index=False)

    return write


def _fmt(x: float) -> str:
    """Three significant digits for small numbers, whole numbers with separators above 100."""
    if math.isnan(x):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _kpi_table(results: ReplicationResults) -> Table:
    title = f"{results.scenario.name}: {results.n} replications, seed {results.seed}"
    table = Table(title=title, title_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("95 % CI", justify="right", no_wrap=True)
    table.add_column("n", justify="right")
    s = results.summary
    for kpi, mean, low, high, n in zip(
        s["kpi"],
        s["mean"].to_numpy(float),
        s["ci_low"].to_numpy(float),
        s["ci_high"].to_numpy(float),
        s["n"].to_numpy(int),
        strict=True,
    ):
        ci = "n/a" if math.isnan(low) else f"[{_fmt(low)}, {_fmt(high)}]"
        table.add_row(str(kpi), _fmt(mean), ci, str(n))
    return table


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    replications: Annotated[
        int, typer.Option("-n", "--replications", help="Number of replications (>= 1).")
    ] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Root seed (>= 0); replication i uses (seed, i).")] = 1,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (default: out/<scenario name>/).", show_default=False),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (>= 1); results do not depend on it.")
    ] = 1,
    events: Annotated[
        bool,
        typer.Option(
            "--events",
            help="Also write events.parquet, candidates.parquet, specialists.parquet and "
            "weeks.parquet (every replication's event log, entity tables and week table).",
        ),
    ] = False,
) -> None:
    """Run replications of a scenario and write their KPIs.

    Prints each KPI's mean and 95 % confidence interval across replications and writes
    replications.csv, summary.csv and manifest.json (with --events also
    events.parquet) into the output folder. Files already in the folder that this
    command does not write are left alone.
    """
    problems = _option_problems(replications, seed, workers)
    world: Scenario | None = None
    try:
        world = load_scenario(scenario)
    except ScenarioError as exc:
        problems.extend(str(exc).splitlines())
    if world is not None:
        out_dir = out if out is not None else Path("out") / world.name
        problems.extend(_out_problems(out_dir))
    if problems or world is None:
        _fail(problems)

    from caseload_sim.experiment import run_replications

    started = utc_now()
    with _progress_bar(replications, "replications") as advance:
        results = run_replications(
            world, replications, seed, workers=workers, keep_events=events, progress=advance
        )
    finished = utc_now()

    writers = {
        "replications.csv": _csv_writer(results.table),
        "summary.csv": _csv_writer(results.summary),
    }
    if events:
        logs = results.events or []
        writers["events.parquet"] = lambda path: _write_log_table(logs, path, lambda log: log.to_frame())
        writers["candidates.parquet"] = lambda path: _write_log_table(
            logs, path, lambda log: log.candidates_frame()
        )
        writers["specialists.parquet"] = lambda path: _write_log_table(
            logs, path, lambda log: log.specialists_frame()
        )
        writers["weeks.parquet"] = lambda path: _write_log_table(logs, path, lambda log: log.weeks_frame())
    command = [
        "caseload-sim",
        "run",
        str(scenario),
        "-n",
        str(replications),
        "--seed",
        str(seed),
        "--out",
        str(out_dir),
        "--workers",
        str(workers),
        *(["--events"] if events else []),
    ]
    manifest = build_manifest(
        world,
        seed,
        replications,
        started,
        finished,
        extra={"command": command, "scenario_file": str(scenario), "workers": workers},
    )
    try:
        written = publish(out_dir, writers, manifest, owned=RUN_OUTPUTS)
    except OSError as exc:
        _fail([f"--out: cannot write {out_dir}: {exc}"], code=1)

    console = Console()
    console.print(_kpi_table(results))
    console.print(
        f"wrote {out_dir}{os.sep}: {', '.join(p.name for p in written)}", markup=False, highlight=False
    )


# --- validate -------------------------------------------------------------------------


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.", show_default=False)],
) -> None:
    """Check scenario files without running them.

    Prints "OK <file>" for each valid file and one line per problem (file, key path,
    value, what is allowed) for each invalid one; exits with status 2 if any is
    invalid.
    """
    invalid = 0
    for path in scenarios:
        try:
            load_scenario(path)
        except ScenarioError as exc:
            invalid += 1
            for line in str(exc).splitlines():
                typer.echo(line, err=True)
        else:
            typer.echo(f"OK {path}")
    if invalid:
        _fail([f"{invalid} of {len(scenarios)} scenario file(s) invalid"])
