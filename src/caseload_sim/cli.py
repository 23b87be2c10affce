"""The ``caseload-sim`` command line: wires scenario, experiment and output files together.

Commands
--------
``caseload-sim run SCENARIO.yaml [-n N] [--seed S] [--out DIR] [--workers W] [--events] [--precision H ...]``
    Run N replications, print each KPI's mean and 95 % confidence interval, and write
    ``replications.csv``, ``summary.csv``, ``series.parquet`` (every replication's weekly
    caseload, queue, employment and stress), ``employment_curve.parquet`` (the share in
    work by month since intake), ``manifest.json`` (and, with ``--events``,
    ``events.parquet``, ``candidates.parquet``, ``specialists.parquet``, ``weeks.parquet``)
    into DIR (default ``out/<scenario name>/``).
``caseload-sim compare BASE.yaml ALT.yaml ... [-n N] [--seed S] [--out DIR] [--workers W] [--precision H ...]``
    Run every scenario on the same replication keys (common random numbers), print
    for each alternative its paired differences from the base, and write
    ``comparison.csv``, ``replications.csv``, ``series.parquet``, ``employment_curve.parquet`` and
    ``manifest.json`` into DIR (default
    ``out/compare-<base>-<alt>-.../``, or ``out/compare-<hash>/`` when that is long).
``caseload-sim validate SCENARIO.yaml ...``
    Check scenario files; ``OK <file>`` or one line per problem.
``caseload-sim diff A.yaml B.yaml``
    Say what differs between two resolved scenarios, one line per parameter.
``caseload-sim report DIR [--out FILE]``
    Write one self-contained HTML report (default ``DIR/report.html``) of a ``run`` or
    ``compare`` output folder, from its files; the model is not re-run.

Re-running into a folder replaces our files from the earlier run. A report that
``caseload-sim report`` made from those earlier results (it carries their digest, see
:func:`caseload_sim.manifest.reports_made_from`) is removed with them, so that it cannot
pass for a report of the new ones; the output says so and how to make a new one. Any
other file — including an HTML page we cannot tell was made from these results — is
left alone, with a note when it is called ``report.html``.

Enough replications: with ``--precision H`` (``run`` and ``compare``), ``-n`` is only
the number to start with; replications are added until the 95 % half-width of each
chosen KPI (``--precision-kpis``, default work_12m, exits_to_work_per_fte_year, stress_mean, or
``all``) is at most H times its absolute mean, in every scenario, or until
``--max-replications`` (default 200). Which of the two happened is said on stderr and
recorded in the manifest; the files equal those of a plain run with the final ``-n``.

Bad input — a missing or unreadable file, invalid YAML, a schema violation, an option
out of range — is reported on stderr, one line per problem (file, key path, value, what
is allowed), with exit status 2, no traceback, and nothing written. The CLI is the only
layer that prints; everything it shows comes from :mod:`caseload_sim.experiment` and
:mod:`caseload_sim.diff`.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from caseload_sim import __version__
from caseload_sim.budget import DEFAULT_MAX_ROWS, over_budget
from caseload_sim.keypaths import KeyPath, KeyPathError
from caseload_sim.manifest import build_manifest, publish, reports_made_from, utc_now
from caseload_sim.scenario import Scenario, ScenarioError, load_scenario, resolve_document, scenario_from_dict

if TYPE_CHECKING:
    import pandas as pd

    from caseload_sim.events import EventLog
    from caseload_sim.experiment import (
        PrecisionOutcome,
        PrecisionTarget,
    )
    from caseload_sim.experiment import Progress as ProgressCallback

# numpy, pandas, scipy and the model are imported inside `run` and `compare`, so that
# `--help`, `--version`, `validate` and `diff` answer quickly.

__all__ = ["COMPARE_OUTPUTS", "RUN_OUTPUTS", "app"]

#: Files ``run`` may write into its output folder (``manifest.json`` is always written).
RUN_OUTPUTS: tuple[str, ...] = (
    "replications.csv",
    "summary.csv",
    "series.parquet",
    "employment_curve.parquet",
    "events.parquet",
    "candidates.parquet",
    "specialists.parquet",
    "weeks.parquet",
    "manifest.json",
)
#: Files ``compare`` writes into its output folder.
COMPARE_OUTPUTS: tuple[str, ...] = (
    "comparison.csv",
    "replications.csv",
    "series.parquet",
    "employment_curve.parquet",
    "manifest.json",
)
_MAX_SEED = 2**63 - 1  # seeds are stored in int64 columns
_MAX_REPLICATIONS = 200  # default ceiling of --precision
_MAX_FOLDER_NAME = 80  # longer default compare folder names become a hash

app = typer.Typer(
    name="caseload-sim",
    help="Simulate NAV job specialists' caseloads: run, compare and check scenarios.",
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


def entry() -> None:
    """The ``caseload-sim`` command: the CLI, with SIGTERM handled like Ctrl-C."""
    import signal

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    app()


def _interrupted(out_dir: Path) -> NoReturn:
    """Ctrl-C or SIGTERM during a run: one line, status 130; the output folder is as it was."""
    kept = "keeps its earlier results" if out_dir.exists() else "was not created"
    _fail([f"interrupted: nothing was written; {out_dir} {kept}"], code=130)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"caseload-sim {__version__}")
        raise typer.Exit()


# Folders besides each named scenario's own whose files ``extends:`` may name (--extends-root).
_EXTENDS_ROOTS: list[Path] = []


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
    extends_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--extends-root",
            metavar="<dir>",
            help="Also let extends: name scenario files in this folder tree (by default only the "
            "named scenario's own folder and below). Repeatable.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Simulate NAV job specialists' caseloads: run, compare and check scenarios."""
    _EXTENDS_ROOTS[:] = list(extends_root or [])


ForceOption = Annotated[
    bool, typer.Option("--force", help="Run even if the estimated size exceeds --max-rows.")
]
MaxRowsOption = Annotated[
    int,
    typer.Option(
        "--max-rows",
        help="Refuse (unless --force) a scenario whose replication would log more rows than this "
        "(about 200 bytes of memory each).",
    ),
]


def _budget_problems(
    worlds: Sequence[Scenario], max_rows: int, force: bool, years: float | None = None
) -> list[str]:
    """The size guard: one line per scenario whose replications would be too big (none with --force)."""
    if max_rows < 1:
        return [f"--max-rows: got {max_rows}; allowed: an integer >= 1"]
    if force:
        return []
    return [msg for w in worlds if (msg := over_budget(w, max_rows, years)) is not None]


def _load(path: Path, settings: Sequence[tuple[KeyPath, Any]] = ()) -> Scenario:
    """A scenario file, its extends: confined to its own folder tree and any --extends-root,
    with the ``--set`` changes applied (before validation)."""
    if not settings:
        return load_scenario(path, _EXTENDS_ROOTS)
    from caseload_sim.keypaths import apply_settings

    doc = resolve_document(path, _EXTENDS_ROOTS)
    try:
        doc = apply_settings(doc, settings)
    except KeyPathError as exc:
        raise ScenarioError(str(path), [str(exc)]) from None
    return scenario_from_dict(doc, f"{path} with --set")


def _settings(texts: Sequence[str] | None) -> tuple[list[tuple[KeyPath, Any]], list[str]]:
    """The ``--set PATH=VALUE`` options parsed, and one line per bad one."""
    from caseload_sim.keypaths import parse_assignment

    settings, problems = [], []
    for text in texts or []:
        try:
            settings.append(parse_assignment(text))
        except KeyPathError as exc:
            problems.append(str(exc))
    return settings, problems


def _default_folder(folder: Path, texts: Sequence[str] | None) -> Path:
    """The default output folder, ``-set-<hash>`` added when ``--set`` changed the scenarios.

    Without it a run with changed parameters would land in the unchanged scenario's folder
    and replace its results (``make run``'s, for the baseline); the hash of the ``--set``
    texts gives the same changes the same folder.
    """
    if not texts:
        return folder
    tag = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:8]
    return folder.with_name(f"{folder.name}-set-{tag}")


def _set_command(texts: Sequence[str] | None) -> list[str]:
    """The ``--set`` options as given, for the manifest's command line."""
    return [word for text in texts or [] for word in ("--set", text)]


# --- shared by run and compare ---------------------------------------------------------


def _option_problems(replications: int, seed: int, workers: int) -> list[str]:
    problems = []
    if replications < 1:
        problems.append(f"-n/--replications: got {replications}; allowed: an integer >= 1")
    if not 0 <= seed <= _MAX_SEED:
        problems.append(f"--seed: got {seed}; allowed: an integer from 0 to {_MAX_SEED}")
    if workers < 1:
        problems.append(f"--workers: got {workers}; allowed: an integer >= 1")
    return problems


def _lock(out_dir: Path) -> Any:
    """The output folder's lock (:func:`caseload_sim.manifest.lock_folder`), or exit 2 if another run holds it."""
    from caseload_sim.manifest import FolderBusy, lock_folder

    try:
        return lock_folder(out_dir)
    except FolderBusy as exc:
        _fail(
            [f"--out: {exc}; allowed: one run at a time into a folder (wait for it, or choose another --out)"]
        )
    except OSError as exc:
        _fail([f"--out: cannot lock {out_dir}: {exc.strerror or exc}"])


def _out_problems(out: Path) -> list[str]:
    """Why ``out`` could not become the output folder (checked before anything runs)."""
    if out.is_symlink() and not out.exists():
        return [f"--out: {out} is a symlink to nothing; allowed: a directory (created if missing)"]
    if out.exists() and not out.is_dir():
        return [f"--out: {out} exists and is not a directory; allowed: a directory (created if missing)"]
    ancestor = out
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return [f"--out: {ancestor} is not a directory, so {out} cannot be created"]
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return [f"--out: no permission to write in {ancestor}"]
    parent = out.absolute().parent
    if out.exists() and not os.access(parent, os.W_OK | os.X_OK):
        return [
            f"--out: no permission to write in {parent}, where the results are staged before they "
            f"replace {out}'s; allowed: a folder whose parent you can write in"
        ]
    return []


def _precision_target(
    replications: int, precision: float | None, precision_kpis: str | None, max_replications: int | None
) -> tuple[PrecisionTarget | None, list[str]]:
    """The precision target the options ask for (or ``None``), and the problems with them."""
    if precision is None:
        unused = [
            f"{name}: only used with --precision"
            for name, value in (
                ("--precision-kpis", precision_kpis),
                ("--max-replications", max_replications),
            )
            if value is not None
        ]
        return None, unused
    from caseload_sim.experiment import DEFAULT_PRECISION_KPIS, PrecisionTarget, kpi_names

    problems = []
    if not (math.isfinite(precision) and precision > 0):
        problems.append(
            f"--precision: got {precision}; allowed: a number > 0 "
            "(the largest 95 % half-width relative to the mean, e.g. 0.05)"
        )
    ceiling = _MAX_REPLICATIONS if max_replications is None else max_replications
    if ceiling < 2:
        problems.append(f"--max-replications: got {ceiling}; allowed: an integer >= 2")
    elif replications > ceiling:
        problems.append(
            f"-n/--replications: got {replications}; allowed: at most --max-replications ({ceiling}) "
            "with --precision"
        )
    names = kpi_names()
    if precision_kpis is None:
        chosen: tuple[str, ...] = DEFAULT_PRECISION_KPIS
    elif precision_kpis.strip() == "all":
        chosen = names
    else:
        chosen = tuple(k.strip() for k in precision_kpis.split(",") if k.strip())
    unknown = [k for k in chosen if k not in names]
    if unknown or not chosen:
        shown = ", ".join(map(repr, unknown)) if unknown else repr(precision_kpis)
        problems.append(
            f"--precision-kpis: got {shown}; allowed: all, or KPI names separated by commas: {', '.join(names)}"
        )
    if problems:
        return None, problems
    return PrecisionTarget(relative_half_width=precision, kpis=chosen, max_replications=ceiling), []


def _precision_lines(outcome: PrecisionOutcome) -> list[str]:
    """What happened to a precision target, for stderr."""
    target = (
        f"{100 * outcome.target.confidence:g} % half-width <= {outcome.target.relative_half_width:g} x |mean|"
    )
    kpis = ", ".join(outcome.kpis)
    dropped = outcome.replications_run - outcome.replications
    run = f" ({outcome.replications_run} run, the last {dropped} dropped)" if dropped else ""
    if outcome.reached:
        return [f"precision reached: {target} for {kpis} after {outcome.replications} replications{run}"]
    lines = [
        f"precision NOT reached: stopped at the maximum of {outcome.replications} replications; "
        f"still wider than {target}:"
    ]
    for row in outcome.unmet().to_dict(orient="records"):
        lines.append(
            f"  {row['scenario']} {row['kpi']}: half-width {_fmt(float(row['half_width']))} "
            f"around a mean of {_fmt(float(row['mean']))}"
        )
    return lines


def _publish(
    out_dir: Path, writers: dict[str, Callable[[Path], None]], manifest: dict[str, Any], owned: Sequence[str]
) -> tuple[list[Path], list[str]]:
    """Write the output folder (see :func:`caseload_sim.manifest.publish`), or stop with status 1.

    Reports made from the results being replaced are removed with them. Returns the
    files written and the names of the reports removed (for :func:`_say_written`).
    """
    stale = [name for name in reports_made_from(out_dir) if name not in writers]
    try:
        return publish(out_dir, writers, manifest, owned=owned, remove=stale), stale
    except OSError as exc:
        _fail([f"--out: cannot write {out_dir}: {exc}"], code=1)


def _say_written(out_dir: Path, written: Sequence[Path], stale: Sequence[str]) -> None:
    """Say which files were written, which stale reports removed, and whether a report.html was left."""
    Console().print(
        f"wrote {out_dir}{os.sep}: {', '.join(p.name for p in written)}", markup=False, highlight=False
    )
    for name in stale:
        typer.echo(
            f"removed {out_dir / name}: it was the report of the results this run replaced; "
            f"make a new one with: caseload-sim report {out_dir}"
        )
    if "report.html" not in stale and (out_dir / "report.html").is_file():
        typer.echo(
            f"note: kept {out_dir / 'report.html'}: it was not made from the results this run replaced, "
            "so it was left alone, but it does not describe the new results; "
            f"make a new report with: caseload-sim report {out_dir}",
            err=True,
        )


def _scenario_problems(
    paths: Sequence[Path], settings: Sequence[tuple[KeyPath, Any]] = ()
) -> tuple[list[Scenario], list[str]]:
    """Load scenario files (with ``--set`` applied); the valid ones, and one line per problem in the others."""
    worlds, problems = [], []
    for path in paths:
        try:
            worlds.append(_load(path, settings))
        except ScenarioError as exc:
            problems.extend(str(exc).splitlines())
    return worlds, problems


@contextmanager
def _progress_bar(total: int, label: str) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr; yields the callback that advances it."""
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=total)

        def advance(done: int, planned: int) -> None:
            bar.update(task, completed=done, total=planned)  # planned grows with --precision

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


def _parquet_writer(name: str, frame: pd.DataFrame | None) -> dict[str, Callable[[Path], None]]:
    """``name`` written from ``frame`` (the series or the employment curve of a run), if there is one."""
    if frame is None:
        return {}

    def write(path: Path) -> None:
        frame.to_parquet(path, index=False)

    return {name: write}


def _warn(line: str, err: bool = True) -> None:
    """A warning (on stderr) or a note, wrapped to the terminal's width (continuation lines indented)."""
    import textwrap

    width = max(Console(stderr=err).width, 40)
    typer.echo(textwrap.fill(line, width=width, subsequent_indent="  ", break_on_hyphens=False), err=err)


def _console(wide: bool) -> Console:
    """The console the result tables go to: the terminal's width, or at least 140 columns with --wide."""
    console = Console()
    return Console(width=max(console.width, 140)) if wide else console


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


_PRECISION_HELP = (
    "Keep adding replications (starting from -n) until the 95 % half-width of each chosen KPI "
    "is at most this share of its absolute mean, e.g. 0.05."
)
_PRECISION_KPIS_HELP = (
    "KPIs --precision applies to: names separated by commas, or 'all' "
    "(default: work_12m,exits_to_work_per_fte_year,stress_mean)."
)
_MAX_REPLICATIONS_HELP = f"With --precision, stop at this many replications (default {_MAX_REPLICATIONS})."


# option types shared by run and compare
WorkersOption = Annotated[
    int, typer.Option("--workers", help="Worker processes (>= 1); results do not depend on it.")
]
PrecisionOption = Annotated[
    float | None, typer.Option("--precision", help=_PRECISION_HELP, show_default=False)
]
PrecisionKpisOption = Annotated[
    str | None, typer.Option("--precision-kpis", help=_PRECISION_KPIS_HELP, show_default=False)
]
MaxReplicationsOption = Annotated[
    int | None, typer.Option("--max-replications", help=_MAX_REPLICATIONS_HELP, show_default=False)
]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="Print every column (the KPIs' machine names, p better, the variance ratio): for a wide terminal.",
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Change a parameter by key path before validation, e.g. regulation.caseload_cap=12 or "
        "'teams[*].referrals_per_week=1.2'. Repeatable; a later --set wins.",
        show_default=False,
    ),
]


def _command_line(
    verb: str,
    paths: Sequence[Path],
    replications: int,
    seed: int,
    out_dir: Path,
    workers: int,
    extra: Sequence[str],
) -> list[str]:
    """The command that reproduces a ``run`` or ``compare``, for its manifest."""
    return [
        "caseload-sim",
        verb,
        *map(str, paths),
        "-n",
        str(replications),
        "--seed",
        str(seed),
        "--out",
        str(out_dir),
        "--workers",
        str(workers),
        *extra,
    ]


def _precision_command(
    precision: float | None, precision_kpis: str | None, max_replications: int | None
) -> list[str]:
    """The precision options as given, for the manifest's command line."""
    words: list[str] = []
    if precision is not None:
        words += ["--precision", repr(precision)]
    if precision_kpis is not None:
        words += ["--precision-kpis", precision_kpis]
    if max_replications is not None:
        words += ["--max-replications", str(max_replications)]
    return words


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    replications: Annotated[
        int,
        typer.Option(
            "-n", "--replications", help="Number of replications (>= 1); with --precision, to start."
        ),
    ] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Root seed (>= 0); replication i uses (seed, i).")] = 1,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output folder (default: out/<scenario name>/; with --set, out/<scenario name>-set-<hash>/).",
            show_default=False,
        ),
    ] = None,
    workers: WorkersOption = 1,
    events: Annotated[
        bool,
        typer.Option(
            "--events",
            help="Also write events.parquet, candidates.parquet, specialists.parquet and "
            "weeks.parquet (every replication's event log, entity tables and week table).",
        ),
    ] = False,
    precision: PrecisionOption = None,
    precision_kpis: PrecisionKpisOption = None,
    max_replications: MaxReplicationsOption = None,
    force: ForceOption = False,
    max_rows: MaxRowsOption = DEFAULT_MAX_ROWS,
    set_: SetOption = None,
    wide: WideOption = False,
) -> None:
    """Run replications of a scenario and write their KPIs.

    Prints each KPI's mean and 95 % confidence interval across replications and writes
    replications.csv, summary.csv, series.parquet (weekly caseload, queue, employment
    and stress of every replication, warm-up included), employment_curve.parquet (the
    share in work by month since intake) and manifest.json (with
    --events also events.parquet) into the output folder. Files already in the folder
    that this command does not write are left alone, except a report made from the
    results being replaced, which is removed (and said so).
    """
    problems = _option_problems(replications, seed, workers)
    settings, set_problems = _settings(set_)
    problems.extend(set_problems)
    world: Scenario | None = None
    try:
        world = _load(scenario, settings) if not set_problems else None
    except ScenarioError as exc:
        problems.extend(str(exc).splitlines())
    if world is not None:
        out_dir = out if out is not None else _default_folder(Path("out") / world.name, set_)
        problems.extend(_out_problems(out_dir))
        problems.extend(_budget_problems([world], max_rows, force))
    target, precision_problems = _precision_target(replications, precision, precision_kpis, max_replications)
    problems.extend(precision_problems)
    if problems or world is None:
        _fail(problems)
    lock = _lock(out_dir)  # held until this command ends: no second run writes this folder meanwhile

    from caseload_sim.experiment import run_replications

    started = utc_now()
    try:
        with _progress_bar(replications, "replications") as advance:
            results = run_replications(
                world,
                replications,
                seed,
                workers=workers,
                keep_events=events,
                progress=advance,
                precision=target,
            )
    except KeyboardInterrupt:
        _interrupted(out_dir)
    finished = utc_now()

    writers = {
        "replications.csv": _csv_writer(results.table),
        "summary.csv": _csv_writer(results.summary),
        **_parquet_writer("series.parquet", results.series),
        **_parquet_writer("employment_curve.parquet", results.curve),
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
    command = _command_line(
        "run",
        [scenario],
        replications,
        seed,
        out_dir,
        workers,
        [
            *(["--events"] if events else []),
            *_precision_command(precision, precision_kpis, max_replications),
            *_set_command(set_),
        ],
    )
    extra: dict[str, Any] = {"command": command, "scenario_file": str(scenario), "workers": workers}
    if results.precision is not None:
        extra["precision"] = results.precision.to_manifest()
    manifest = build_manifest(world, seed, results.n, started, finished, extra=extra)
    written, stale = _publish(out_dir, writers, manifest, RUN_OUTPUTS)
    lock.close()  # the folder is whole: the next run may write it

    for line in _precision_lines(results.precision) if results.precision is not None else []:
        typer.echo(line, err=True)
    from caseload_sim.report.terminal import few_replications_line, run_table

    _console(wide).print(
        run_table(
            results.summary, f"{results.scenario.name}: {results.n} replications, seed {results.seed}", wide
        )
    )
    few = few_replications_line(results.n)
    if few:
        _warn(few)
    for line in _capacity_lines(results.summary, world):
        _warn(line)
    _say_written(out_dir, written, stale)


def _capacity_lines(summary: pd.DataFrame, scenario: Scenario) -> list[str]:
    """Plain-words warnings when referrals exceed (or near) what the teams can take in.

    ``summary`` has one row per KPI with ``kpi, mean, ci_low, ci_high`` (a run's summary,
    or one scenario's rows of a comparison).
    """
    from caseload_sim.capacity import capacity_findings

    stats = {
        str(kpi): {"mean": mean, "ci_low": low, "ci_high": high}
        for kpi, mean, low, high in zip(
            summary["kpi"], summary["mean"], summary["ci_low"], summary["ci_high"], strict=True
        )
    }
    teams = sum(t.copies for t in scenario.teams)
    found = capacity_findings(
        stats,
        teams=teams,
        years=scenario.run.horizon_days / 365.0,
        list_closes=scenario.waiting_list.closes,
    )
    return [f"warning: {finding.text}" for finding in found]


# --- compare ----------------------------------------------------------------------------


def _compare_folder(names: Sequence[str]) -> Path:
    """``out/compare-<base>-<alt>-...``, or ``out/compare-<hash>`` when that would be long."""
    folder = "compare-" + "-".join(names)
    if len(folder) > _MAX_FOLDER_NAME:
        folder = "compare-" + hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]
    return Path("out") / folder


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="The base scenario's YAML file.", show_default=False)],
    alternatives: Annotated[
        list[Path], typer.Argument(help="One or more alternative scenarios' YAML files.", show_default=False)
    ],
    replications: Annotated[
        int,
        typer.Option(
            "-n", "--replications", help="Replications per scenario (>= 1); with --precision, to start."
        ),
    ] = 10,
    seed: Annotated[
        int, typer.Option("--seed", help="Root seed (>= 0); replication i of every scenario uses (seed, i).")
    ] = 1,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output folder (default: out/compare-<base>-<alternatives>/; with --set, -set-<hash> added).",
            show_default=False,
        ),
    ] = None,
    workers: WorkersOption = 1,
    precision: PrecisionOption = None,
    precision_kpis: PrecisionKpisOption = None,
    max_replications: MaxReplicationsOption = None,
    force: ForceOption = False,
    max_rows: MaxRowsOption = DEFAULT_MAX_ROWS,
    set_: SetOption = None,
    wide: WideOption = False,
    all_tables: Annotated[
        bool,
        typer.Option(
            "--all-tables",
            help="With more than four alternatives, print each one's full tables too, not only the "
            "headline table of all of them.",
        ),
    ] = False,
) -> None:
    """Compare scenarios with the base on common random numbers.

    Runs every scenario on the same replication keys (seed, i), so the scenarios share
    their referrals and luck wherever the policy does not change them, and reports for
    each alternative and KPI the paired difference from the base with its 95 % CI, the
    share of replications in which the alternative did better, and how much the pairing
    shrank the variance of the difference — and, for the outcomes that are risks (the
    shares employed, ever or never worked), the risk ratio with its 95 % CI. Writes
    comparison.csv, replications.csv, series.parquet (weekly caseload, queue, employment
    and stress of every scenario and replication), employment_curve.parquet (the share in
    work by month since intake) and manifest.json into the output folder; files this command does not
    write are left alone, except a report made from the results being replaced, which is
    removed (and said so).
    """
    paths = [base, *alternatives]
    problems = _option_problems(replications, seed, workers)
    settings, set_problems = _settings(set_)
    problems.extend(set_problems)
    worlds, scenario_problems = _scenario_problems(paths, settings) if not set_problems else ([], [])
    problems.extend(scenario_problems)
    names = [w.name for w in worlds]
    if not scenario_problems:
        for name in sorted({n for n in names if names.count(n) > 1}):
            files = ", ".join(str(path) for path, n in zip(paths, names, strict=True) if n == name)
            problems.append(f"scenario name {name!r} is used by {files}; allowed: a different name for each")
        out_dir = out if out is not None else _default_folder(_compare_folder(names), set_)
        problems.extend(_out_problems(out_dir))
        problems.extend(_budget_problems(worlds, max_rows, force))
    target, precision_problems = _precision_target(replications, precision, precision_kpis, max_replications)
    problems.extend(precision_problems)
    if problems:
        _fail(problems)
    lock = _lock(out_dir)  # held until this command ends: no second run writes this folder meanwhile

    from caseload_sim.experiment import compare_scenarios

    started = utc_now()
    try:
        with _progress_bar(replications * len(worlds), "runs (scenario x replication)") as advance:
            results = compare_scenarios(
                worlds, replications, seed, workers=workers, progress=advance, precision=target
            )
    except KeyboardInterrupt:
        _interrupted(out_dir)
    finished = utc_now()

    writers = {
        "comparison.csv": _csv_writer(results.comparison),
        "replications.csv": _csv_writer(results.replications()),
        **_parquet_writer("series.parquet", results.series),
        **_parquet_writer("employment_curve.parquet", results.curve),
    }
    command = _command_line(
        "compare",
        paths,
        replications,
        seed,
        out_dir,
        workers,
        [*_precision_command(precision, precision_kpis, max_replications), *_set_command(set_)],
    )
    extra: dict[str, Any] = {
        "kind": "comparison",
        "command": command,
        "scenario_files": [str(path) for path in paths],
        "workers": workers,
        "base": results.base.name,
        "scenarios": [
            {"name": w.name, "file": str(path), "sha256": w.digest(), "scenario": w.model_dump(mode="json")}
            for w, path in zip(worlds, paths, strict=True)
        ],
    }
    if results.precision is not None:
        extra["precision"] = results.precision.to_manifest()
    # The standard entries (scenario, scenario_sha256, ...) describe the base; "scenarios" all.
    manifest = build_manifest(results.base, seed, results.n, started, finished, extra=extra)
    written, stale = _publish(out_dir, writers, manifest, COMPARE_OUTPUTS)
    lock.close()  # the folder is whole: the next run may write it

    for line in _precision_lines(results.precision) if results.precision is not None else []:
        typer.echo(line, err=True)
    from caseload_sim.report.kpis import ALTERNATIVES_PER_TABLE
    from caseload_sim.report.terminal import (
        comparison_tables,
        effect_tables,
        few_replications_line,
        headline_tables,
        trade_off_lines,
    )

    console = _console(wide)
    names = list(results.names)
    many = len(names) - 1 > ALTERNATIVES_PER_TABLE
    tables = (
        []
        if many and not all_tables
        else [
            *comparison_tables(results.comparison, names, results.n, results.seed, wide),
            *effect_tables(results.comparison, names, wide),
        ]
    )
    if many:  # one row per alternative first: 30 tables of 55 rows are no overview
        tables += headline_tables(results.comparison, names, results.n, results.seed, wide)
    for table in tables:
        console.print(table)
    if many and not all_tables:
        _warn(
            f"{len(names) - 1} alternatives: their full tables are in {out_dir / 'comparison.csv'} and in "
            f"`caseload-sim report {out_dir}`; --all-tables prints them here too",
            err=False,
        )
    for line in trade_off_lines(results.comparison, names):
        _warn(line, err=False)
    few = few_replications_line(results.n)
    if few:
        _warn(few)
    for scenario in results.scenarios:
        rows = results.comparison[results.comparison["scenario"] == scenario.name]
        for line in _capacity_lines(rows, scenario):
            _warn(line.replace("warning: ", f"warning ({scenario.name}): ", 1))
    _say_written(out_dir, written, stale)


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
            _load(path)
        except ScenarioError as exc:
            invalid += 1
            for line in str(exc).splitlines():
                typer.echo(line, err=True)
        else:
            typer.echo(f"OK {path}")
    if invalid:
        _fail([f"{invalid} of {len(scenarios)} scenario file(s) invalid"])


# --- diff -----------------------------------------------------------------------------


@app.command("diff")
def diff_command(
    first: Annotated[Path, typer.Argument(metavar="A", help="A scenario YAML file.", show_default=False)],
    second: Annotated[
        Path, typer.Argument(metavar="B", help="Another scenario YAML file.", show_default=False)
    ],
) -> None:
    """Say what differs between two scenarios, in words.

    Compares the resolved scenarios (after extends: and defaults) and prints one line per
    changed parameter: its key path, A's value -> B's value, its unit and meaning. Teams
    are compared by position. Prints "no differences" when the two describe the same
    world (names and descriptions are not compared).
    """
    worlds, problems = _scenario_problems([first, second])
    if problems:
        _fail(problems)
    from caseload_sim.diff import scenario_diff

    lines = scenario_diff(worlds[0], worlds[1])
    for line in lines or ["no differences"]:
        typer.echo(line)


# --- report ---------------------------------------------------------------------------


@app.command()
def report(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="An output folder of `caseload-sim run` or `compare`.", show_default=False
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="The HTML file to write (default: DIR/report.html).", show_default=False),
    ] = None,
) -> None:
    """Write one self-contained HTML report of a run or comparison folder.

    Reads the folder's files (never re-runs the model) and writes a page that opens
    offline in any browser: a summary in words, warnings, what changed, KPI tables with
    95 % intervals and differences, charts, caseload, queue, employment and stress over
    time (from series.parquet, when the folder has it), every parameter with its
    provenance, and the manifest.
    """
    from caseload_sim.report import (
        ReportInputError,
        read_output_folder,
        render_report,
        report_warnings,
        write_report_file,
    )

    try:
        data = read_output_folder(folder)
    except ReportInputError as exc:
        _fail(exc.problems)
    target = out if out is not None else folder / "report.html"
    if target.is_dir():
        _fail([f"--out: {target} is a folder; allowed: a file name, e.g. {target / 'report.html'}"])
    page = render_report(data)
    try:
        write_report_file(target, page)
    except OSError as exc:
        _fail([f"--out: cannot write {target}: {exc}"], code=1)
    for warning in report_warnings(data):
        typer.echo(f"warning (in the report): {warning.title}", err=True)
    size = len(page.encode("utf-8")) / 1e6
    typer.echo(f"wrote {target} ({size:.1f} MB, self-contained; open it in any browser)")


# --- warmup ---------------------------------------------------------------------------


@app.command()
def warmup(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    replications: Annotated[
        int, typer.Option("-n", "--replications", help="Long replications to average (>= 2).")
    ] = 20,
    years: Annotated[float, typer.Option("--years", help="Length of each replication, from empty.")] = 30.0,
    seed: Annotated[int, typer.Option("--seed", help="Root seed (>= 0).")] = 1,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (>= 1).")] = 1,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="HTML page with the plot and its explanation (default: out/warmup-<name>.html).",
            show_default=False,
        ),
    ] = None,
    force: ForceOption = False,
    max_rows: MaxRowsOption = DEFAULT_MAX_ROWS,
) -> None:
    """Recommend a warm-up: MSER-5 on long replications started empty, with a page and plot.

    Averages monthly series (caseload per FTE, people waiting, candidates in a job, mean
    stress) across replications, finds for each the truncation that minimises MSER-5,
    and recommends the largest, rounded up to a month. Says whether the scenario's own
    warm-up is long enough, and warns when a series still drifts or hits MSER's
    half-series limit (then run longer). The page (self-contained, offline) says all that
    in words, with the setting to paste and how MSER-5 works, around the plot.
    """
    problems = _option_problems(replications, seed, workers)
    if replications == 1:
        problems.append("-n/--replications: got 1; allowed: an integer >= 2 (series are averaged)")
    if not (math.isfinite(years) and 1.0 <= years <= 100.0):
        problems.append(f"--years: got {years:g}; allowed: a number of years from 1 to 100")
    worlds, scenario_problems = _scenario_problems([scenario])
    problems += scenario_problems
    if not scenario_problems and math.isfinite(years) and years > 0:
        problems += _budget_problems(worlds, max_rows, force, years)
    if out is not None and (out.is_dir() or (out.is_symlink() and not out.exists())):
        problems.append(f"--out: {out} is a folder or a symlink to nothing; allowed: an HTML file to write")
    elif out is not None:
        problems += _out_problems(out.parent)
    if problems:
        _fail(problems)
    from caseload_sim.report.warmup import warmup_page
    from caseload_sim.warmup import recommend_warmup

    world = worlds[0]
    try:
        with _progress_bar(replications, f"long replications ({years:g} years each)") as advance:
            rec = recommend_warmup(
                world, seed, replications=replications, horizon_years=years, workers=workers, progress=advance
            )
    except ValueError as exc:
        _fail([str(exc)])
    except KeyboardInterrupt:
        _fail(["interrupted: nothing was written"], code=130)
    for note in rec.notes:
        _warn(note, err=False)
    table = rec.truncations[["series", "truncation_days", "at_limit", "drifting"]]
    typer.echo(table.to_string(index=False))
    # beside the run folders, not in one: out/<name>/ is what `run` (and `make run`) write
    target = out if out is not None else Path("out") / f"warmup-{world.name}.html"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            tmp.write_text(warmup_page(rec, scenario_file=str(scenario)), encoding="utf-8")
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        _fail([f"--out: cannot write {target}: {exc}"], code=1)
    typer.echo(f"recommended warm-up: {rec.recommended_days} days; page with the plot: {target}")


# The researchers' commands (sweep, query, analyze) register themselves on ``app``.
from caseload_sim import cli_sweep as _cli_sweep  # noqa: E402,F401

# The trainers' commands (animate, app) register themselves on ``app`` too.
from caseload_sim import cli_teach as _cli_teach  # noqa: E402,F401
