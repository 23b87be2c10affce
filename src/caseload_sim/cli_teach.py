"""The trainers' commands of ``caseload-sim``: ``animate`` and ``app``.

``caseload-sim animate SOURCE [--seed S] [--replication R] [--team NAME] [--start DAY] [--days D] [--out FILE] [--set PATH=VALUE ...]``
    One team of one replication as a self-contained, offline HTML animation. SOURCE is a
    scenario file (the replication is run, a fraction of a second) or a run folder
    written with ``run --events`` (the stored log is read back).
``caseload-sim app [--port P] [--no-browser] [--scenarios DIR]``
    The classroom app on http://127.0.0.1:P: pick a scenario, move a lever, and watch
    two runs of the same people side by side.

Registered on :data:`caseload_sim.cli.app` like the researchers' commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from caseload_sim.cli import _fail, _load, _settings, app
from caseload_sim.keypaths import KeyPathError
from caseload_sim.scenario import ScenarioError

__all__ = ["animate", "classroom"]

SIZE_BUDGET_MB = 5.0
"""The animation file's size budget (a team over three years is well under 1 MB; see docs/teaching.md)."""


@app.command()
def animate(
    source: Annotated[
        Path, typer.Argument(help="A scenario file, or a run folder written with run --events.")
    ],
    seed: Annotated[int, typer.Option(help="Root seed (a scenario file only; a folder has its own).")] = 1,
    replication: Annotated[
        int | None, typer.Option(help="Which replication (default 0, or the folder's first).")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Which team (default: the first).")] = None,
    start: Annotated[
        float | None,
        typer.Option(help="First day shown, days since the run's start (default: the window's start)."),
    ] = None,
    days: Annotated[
        float | None, typer.Option(help="How many days to show (default: the rest of the run).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The HTML file (default out/<scenario>/animation.html)."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Change a scenario value before running: PATH=VALUE (repeatable)."),
    ] = None,
) -> None:
    """Write one team's caseloads as an offline animation: desks, dots, waiting list, exits, story.

    The file has the player and the event log inside; it needs no network and opens from
    file:// (e-mail it). Play, pause, step a week, change the speed, drag to a day, click a
    person to see their path so far.
    """
    from caseload_sim.model import simulate
    from caseload_sim.report.folder import write_report_file
    from caseload_sim.teach.animation import AnimationError, animation_payload
    from caseload_sim.teach.page import animation_html
    from caseload_sim.teach.sources import SourceError, logged_replication

    problems: list[str] = []
    if replication is not None and replication < 0:
        problems.append(f"--replication: got {replication}; allowed: 0 or more")
    if days is not None and not days > 0:
        problems.append(f"--days: got {days:g}; allowed: more than 0")
    if start is not None and not start >= 0:
        problems.append(f"--start: got {start:g}; allowed: 0 or more")
    if problems:
        _fail(problems)
    if source.is_dir():
        if set_:
            _fail([f"--set: not allowed with a run folder ({source}): its log is already made"])
        try:
            log, scenario = logged_replication(source, replication)
        except SourceError as exc:
            _fail(exc.problems)
    else:
        settings, set_problems = _settings(set_)
        if set_problems:
            _fail(set_problems)
        try:
            scenario = _load(source, settings)
        except (ScenarioError, KeyPathError) as exc:
            _fail(str(exc).splitlines())
        log = simulate(scenario, seed, replication or 0)
    try:
        payload = animation_payload(log, scenario, team=team, start=start, days=days)
    except AnimationError as exc:
        _fail([str(exc)])
    target = out if out is not None else Path("out") / scenario.name / "animation.html"
    page = animation_html(payload)
    try:
        write_report_file(target, page)
    except OSError as exc:
        _fail([f"--out: cannot write {target}: {exc}"], code=1)
    size = len(page.encode("utf-8")) / 1e6
    typer.echo(
        f"wrote {target} ({size:.2f} MB): team {payload['team']}, {payload['days'] / 365:.1f} years, "
        f"{len(payload['people'])} people, {len(payload['events']) // 4} events; open it in a browser"
    )
    if size > SIZE_BUDGET_MB:
        typer.echo(
            f"note: {size:.1f} MB is over the {SIZE_BUDGET_MB:g} MB budget; show fewer days (--days) to e-mail it",
            err=True,
        )


@app.command("app")
def classroom(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).", min=0, max=65535)] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    scenarios: Annotated[
        Path | None,
        typer.Option(help="The folder of scenarios offered, those with one team (default: ./scenarios)."),
    ] = None,
) -> None:
    """The classroom app: move a lever, run the same people twice, watch both side by side."""
    from caseload_sim.teach.app import default_scenarios_dir, serve

    scenarios = scenarios if scenarios is not None else default_scenarios_dir()
    if not scenarios.is_dir():
        _fail([f"--scenarios: got {scenarios}; allowed: a folder of scenario files (no such folder)"])
    try:
        serve(port, not no_browser, scenarios)
    except OSError as exc:
        _fail(
            [f"--port: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}; allowed: a free port, or 0"]
        )
