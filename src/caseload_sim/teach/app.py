"""The classroom app: pick a scenario, move a few levers, watch two runs on the same people.

``caseload-sim app`` serves a local web page on ``http://127.0.0.1:PORT``. A trainer
picks a scenario, changes a few levers (the caseload cap, the referrals, the time-limit
rule, the reporting hours, how targets are measured, what happens to a leaver's
caseload, a scripted resignation) and presses *Run both*: the scenario runs once as it
is and once with the changes, on the **same seed and replication** (common random
numbers: the same referral stream, the same people, the same luck), and the two runs
play side by side in the player. "Same referrals, same luck, different rules": what
differs between the panels is what the rules did.

Why a standard-library server
-----------------------------
It is :class:`http.server.ThreadingHTTPServer`, bound to 127.0.0.1 only, with no new
dependency. A classroom PC may be offline and locked down; the app must start from the
installed package and load nothing from the network (the page carries its script and
style inline, and its Content-Security-Policy forbids any other source). The player is
the very ``player.js`` of the offline animation file (``caseload-sim animate``), so what
the class sees in the app and in a file mailed afterwards is the same. A dashboard
framework (Dash, Panel, Solara) would add a large dependency and a habit of computing
the page in Python; here Python only runs the model and hands JSON to a plain page.

The pieces
----------
:data:`LEVERS`
    the form's levers, each a scenario key path checked against the schema at import
    (:func:`caseload_sim.keypaths.parse_path`); ranges and choices are read from the
    schema, so the form cannot offer what the scenario would refuse.
:func:`plan_pair`
    validates a request (scenario, seed, years, levers) into the two scenarios to run,
    or raises :class:`LeverError` naming the lever, the value and what is allowed (the
    scenario's own validation messages). Nothing runs before this has passed.
:func:`run_pair`
    runs both and packs the result: two player payloads
    (:func:`caseload_sim.teach.animation.animation_payload`) and a few headline KPIs
    (:data:`KPIS`). Usable without the server (tests, notebooks).
:func:`make_server`, :func:`serve`
    the HTTP side: ``GET /``, ``GET /api/scenarios``, ``POST /api/run`` (answers
    ``202 {job}`` at once; one run at a time in a background thread),
    ``GET /api/job/<id>`` (progress, then the result), and ``POST /api/check`` (the same
    checks as a run, answered ``200 {ok, error?}``: the page asks it first, because a
    browser logs every 4xx answer as a console error, and a refused lever is an
    everyday event in a classroom, not an error of the page). Everything else is a JSON 404.

A failure inside a run becomes a failed job with a one-line message (and one line on
stderr); the browser never sees a traceback.
"""

from __future__ import annotations

import copy
import html
import json
import math
import re
import secrets
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic.fields import FieldInfo

from caseload_sim.keypaths import ALL, KeyPath, KeyPathError, field_info, get_value, parse_path, set_value
from caseload_sim.metrics import KPI_BETTER, compute_kpis
from caseload_sim.model import simulate
from caseload_sim.scenario import Scenario, ScenarioError, ServiceArm, resolve_document, scenario_from_dict
from caseload_sim.teach.animation import animation_payload
from caseload_sim.teach.page import asset

__all__ = [
    "DEFAULT_PORT",
    "KPIS",
    "LEVERS",
    "AppServer",
    "Kpi",
    "Lever",
    "LeverError",
    "PairPlan",
    "default_scenarios_dir",
    "make_server",
    "offered_scenarios",
    "page_html",
    "plan_pair",
    "run_pair",
    "run_plan",
    "serve",
]

DEFAULT_PORT = 8765
"""The port ``serve`` uses unless told otherwise (0 picks a free one)."""
YEARS = (1, 2, 3)
"""How long a classroom run is shown: short enough to run in seconds, long enough for a story."""
SEED_MAX = 2**32 - 1
MAX_BODY = 64 * 1024  # a run request is a few hundred bytes
KEEP_JOBS = 20  # finished jobs kept for polling; older ones are forgotten
FIRST = ("startup.yaml", "baseline.yaml")  # the classroom scenarios, offered first
_FILE_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*\.yaml")  # a file of the folder itself, no path

Progress = Callable[[float, str], None]
"""``progress(fraction 0..1, stage in words)``, called as a pair run goes."""


class LeverError(ValueError):
    """A run request that cannot run; one line per problem, naming the lever, the value and what is allowed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --------------------------------------------------------------------------- levers
@dataclass(frozen=True)
class Lever:
    """One control of the form: its name (the request's key), words, and where it goes in a scenario."""

    name: str
    label: str
    help: str
    kind: Literal["int", "float", "choice"]
    path: KeyPath | None  # None: the scripted resignation, which becomes a teams[0].quits entry
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, words)

    def allowed(self) -> str:
        """What the lever takes, in words (for messages)."""
        if self.kind == "choice":
            return "one of " + ", ".join(value for value, _ in self.choices)
        whole = "a whole number" if self.kind == "int" else "a number"
        return f"{whole} from {self.minimum:g} to {self.maximum:g}"

    def spec(self) -> dict[str, Any]:
        """The lever as the page's script reads it."""
        out: dict[str, Any] = {"name": self.name, "label": self.label, "kind": self.kind}
        if self.path is not None:
            out["path"] = self.path.text
        if self.kind == "choice":
            out["choices"] = [{"value": v, "label": w} for v, w in self.choices]
        else:
            out.update(min=self.minimum, max=self.maximum, step=self.step)
        return out


def _bounds(info: FieldInfo) -> tuple[float, float]:
    low = high = math.nan
    for m in info.metadata:
        for name in ("ge", "gt"):
            if getattr(m, name, None) is not None:
                low = float(getattr(m, name))
        for name in ("le", "lt"):
            if getattr(m, name, None) is not None:
                high = float(getattr(m, name))
    if math.isnan(low) or math.isnan(high):  # pragma: no cover - every lever's field is bounded
        raise AssertionError(f"{info}: the schema gives no range")
    return low, high


def _number(name: str, label: str, help: str, path: str, kind: Literal["int", "float"], step: float) -> Lever:
    key = parse_path(path)
    low, high = _bounds(field_info(key))
    return Lever(name, label, help, kind, key, low, high, step)


def _choice(name: str, label: str, help: str, path: str, words: Mapping[str, str]) -> Lever:
    key = parse_path(path)
    annotation = field_info(key).annotation
    assert isinstance(annotation, type) and issubclass(annotation, Enum), path
    values = [str(e.value) for e in annotation]
    return Lever(name, label, help, "choice", key, choices=tuple((v, words.get(v, v)) for v in values))


QUITS = KeyPath("teams[0].quits", ("teams", 0, "quits"))
"""Where the scripted resignation goes: set whole, as a list (``parse_path`` takes single values only)."""
_QUIT_POST = parse_path("teams[0].quits[0].specialist")
_QUIT_AT = parse_path("teams[0].quits[0].at_days")
HORIZON = parse_path("run.horizon_days")

LEVERS: tuple[Lever, ...] = (
    _number(
        "caseload_cap",
        "Caseload cap per FTE",
        "How many candidates a full-time specialist may follow at once.",
        "regulation.caseload_cap",
        "int",
        1,
    ),
    _number(
        "referrals_per_week",
        "Referrals a week",
        "How many people the NAV case workers refer to the team each week, on average.",
        "teams[*].referrals_per_week",
        "float",
        0.1,
    ),
    _choice(
        "time_limit",
        "Time-limit rule",
        "How long a candidate may be followed up.",
        "regulation.time_limit",
        {
            "strict_6_6": "6 + 6 months for everyone",
            "reduced_capacity_3y": "Up to 3 years with reduced work capacity (the 2019 rule)",
            "three_years_all": "Up to 3 years for everyone",
            "none": "No time limit",
        },
    ),
    _number(
        "reporting_hours",
        "Reporting hours a week",
        "Hours per full-time specialist spent on reporting and registration.",
        "week.reporting_hours",
        "float",
        0.5,
    ),
    _choice(
        "measure",
        "Targets measured",
        "Whether the work targets are counted per team or per specialist.",
        "targets.measure",
        {"team": "Per team", "individual": "Per specialist"},
    ),
    _choice(
        "handover",
        "When a specialist leaves",
        "What happens to the leaver's candidates.",
        "workforce.handover",
        {
            "redistribute": "Colleagues with room take over their candidates",
            "wait": "Their candidates wait for the replacement",
        },
    ),
    Lever(
        "quit_specialist",
        "Specialist who resigns",
        "A scripted resignation: the post number (1 to the team's posts), 0 for nobody.",
        "int",
        None,
        0,
        float(_bounds(field_info(_QUIT_POST))[1]),
        1,
    ),
    Lever(
        "quit_day",
        "Resigns on day",
        "Days from the start of what is shown (the quit takes effect at that week's end).",
        "int",
        None,
        0,
        365 * max(YEARS) - 1,
        1,
    ),
)
"""The form's levers, in the form's order."""
LEVER_BY_NAME = {lever.name: lever for lever in LEVERS}
DEFAULT_QUIT_DAY = 180


@dataclass(frozen=True)
class Kpi:
    """A headline number of the KPI table: which KPI, in words, and how the page shows it."""

    name: str
    label: str
    scale: float  # shown value = KPI x scale
    decimals: int
    unit: str
    note: str = ""  # why it may be blank

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "scale": self.scale,
            "decimals": self.decimals,
            "unit": self.unit,
            "better": KPI_BETTER[self.name],
            "note": self.note,
        }


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "work_12m",
        "Into work within a year of intake",
        100,
        0,
        "%",
        "needs 2 years or more: people are followed for a year after intake",
    ),
    Kpi("exits_to_work_per_fte_year", "Exits to work per specialist a year", 1, 1, ""),
    Kpi("wait_days_mean", "Days on the waiting list (mean)", 1, 0, "days"),
    Kpi("queue_mean", "People on the waiting list (mean)", 1, 1, ""),
    Kpi("stress_mean", "Specialists' stress (0-100, mean)", 100, 0, ""),
    Kpi("turnover_annual", "Specialists quitting (% of posts a year)", 100, 0, "%"),
)
"""The KPI table's rows (names from :func:`caseload_sim.metrics.compute_kpis`), chosen for a trainer:
work found, waiting, stress and turnover."""


def _plain(value: Any, lever: Lever) -> Any:
    if lever.kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def current_levers(scenario: Scenario) -> dict[str, Any]:
    """The levers' values in a scenario as it is (the scripted resignation: nobody)."""
    out = {lever.name: _plain(get_value(scenario, lever.path), lever) for lever in LEVERS if lever.path}
    out["quit_specialist"] = 0
    out["quit_day"] = DEFAULT_QUIT_DAY
    return out


def team_posts(scenario: Scenario) -> int:
    """How many posts the first team has (its own and those its changes add), as ``quits`` numbers them."""
    team = scenario.teams[0]
    return team.specialists + sum(max(ch.specialists, 0) for ch in team.changes)


def classroom_ready(scenario: Scenario) -> bool:
    """Whether the app offers a scenario: one team (copies 1) of job specialists.

    Why: the player shows one team, and the levers (caseload cap, a specialist's
    resignation) are about job specialists; a usual-services scenario has case workers
    without a cap, so it is left out too.
    """
    return (
        len(scenario.teams) == 1
        and scenario.teams[0].copies == 1
        and scenario.service is ServiceArm.supported_employment
    )


def default_years(scenario: Scenario) -> int:
    return min(max(YEARS), max(min(YEARS), round(scenario.run.horizon_days / 365.0)))


def scenario_entry(file: str, scenario: Scenario) -> dict[str, Any]:
    """One scenario as ``/api/scenarios`` lists it."""
    return {
        "file": file,
        "name": scenario.name,
        "description": scenario.description.strip(),
        "levers": current_levers(scenario),
        "posts": team_posts(scenario),
        "years": default_years(scenario),
        "warmup_days": scenario.run.warmup_days,
        "team": scenario.teams[0].name,
    }


def offered_scenarios(scenarios_dir: Path) -> list[dict[str, Any]]:
    """The scenarios of a folder the app offers (:func:`classroom_ready`); others are skipped quietly."""

    def order(path: Path) -> tuple[int, str]:
        return (FIRST.index(path.name) if path.name in FIRST else len(FIRST), path.name)

    paths = sorted(Path(scenarios_dir).glob("*.yaml"), key=order)
    out = []
    for path in paths:
        try:
            scenario = scenario_from_dict(resolve_document(path), path.name)
        except (ScenarioError, OSError):
            continue
        if classroom_ready(scenario):
            out.append(scenario_entry(path.name, scenario))
    return out


def default_scenarios_dir() -> Path:
    """``./scenarios`` if there is one, else the repository's ``scenarios/`` beside the source tree."""
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[3] / "scenarios"


# --------------------------------------------------------------------------- planning a pair
@dataclass(frozen=True)
class PairPlan:
    """A validated request: the two scenarios to run on the same seed, and what differs, in words."""

    base: Scenario
    changed: Scenario
    seed: int
    years: int
    source: str
    changes: tuple[dict[str, Any], ...] = ()


def _loc_pattern(path: KeyPath) -> str:
    """The regex of a path as a scenario's problem lines spell it (``teams.0.referrals_per_week``)."""
    pieces = []
    for part in path.parts:
        pieces.append(r"\d+" if part is ALL else re.escape(str(part)))
    return r"\.".join(pieces)


_PROBLEM_LEVERS: tuple[tuple[re.Pattern[str], Lever], ...] = (
    *((re.compile(_loc_pattern(lv.path) + ": "), lv) for lv in LEVERS if lv.path is not None),
    (re.compile(r"teams\.0\.quits\.\d+\.specialist: "), LEVER_BY_NAME["quit_specialist"]),
    (re.compile(r"teams\.0\.quits\.\d+\.at_days: "), LEVER_BY_NAME["quit_day"]),
)


def _lever_problem(line: str) -> str:
    """A scenario problem line said in the lever's words (label, name, the schema's message, the range)."""
    for pattern, lever in _PROBLEM_LEVERS:
        match = pattern.match(line)
        if match:
            rest = line[match.end() :]
            suffix = (
                ""
                if lever.kind == "choice"
                else f" ({lever.allowed()})"
                if "allowed:" in rest
                else f" (allowed: {lever.allowed()})"
            )
            return f"{lever.label} ({lever.name}): {rest}{suffix}"
    return line


def _shown(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, str | int | float | bool) or value is None else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _whole(name: str, value: Any, low: int, high: int, what: str) -> int:
    """``value`` as a whole number in ``[low, high]``, or a LeverError naming ``name`` and the range."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LeverError([f"{name}: got {_shown(value)}; allowed: {what}"])
    return value


def _read_doc(scenario: Mapping[str, Any] | str | Path) -> tuple[dict[str, Any], str]:
    if isinstance(scenario, Mapping):
        return copy.deepcopy(dict(scenario)), str(scenario.get("name", "<scenario>"))
    path = Path(scenario)
    try:
        return resolve_document(path), path.name
    except ScenarioError as exc:
        raise LeverError([f"{path.name}: {p}" for p in exc.problems]) from None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def plan_pair(
    scenario: Mapping[str, Any] | str | Path,
    levers: Mapping[str, Any] | None = None,
    seed: int = 1,
    years: int = 1,
) -> PairPlan:
    """Check a request and build the two scenarios: as it is, and with the levers applied.

    Parameters
    ----------
    scenario
        A scenario file, or its resolved document (``extends:`` merged, as
        :func:`caseload_sim.scenario.resolve_document` gives).
    levers
        Lever name -> value (:data:`LEVERS`); levers left out keep the scenario's value.
        ``quit_specialist`` N > 0 with ``quit_day`` D adds ``{at_days: warmup + D,
        specialist: N}`` to the first team's ``quits`` in the changed run.
    seed
        The seed of both runs (replication 0): the common random numbers.
    years
        1 to 3: the horizon of both runs (``run.horizon_days = 365 * years``); the warm-up
        stays the scenario's.

    Raises
    ------
    LeverError
        One line per problem: the lever (label and name), the value and what is allowed,
        with the scenario's own validation messages. Nothing has run.
    """
    levers = dict(levers or {})
    doc, source = _read_doc(scenario)
    seed = _whole("seed", seed, 0, SEED_MAX, f"a whole number from 0 to {SEED_MAX}")
    years = _whole("years", years, min(YEARS), max(YEARS), "1, 2 or 3")
    unknown = [name for name in levers if name not in LEVER_BY_NAME]
    if unknown:
        raise LeverError(
            [f"levers: unknown lever {_shown(name)}; allowed: {', '.join(LEVER_BY_NAME)}" for name in unknown]
        )
    base_doc = set_value(doc, HORIZON, 365.0 * years)
    try:
        base = scenario_from_dict(base_doc, source)
    except ScenarioError as exc:
        raise LeverError([f"{source}: {p}" for p in exc.problems]) from None
    if not classroom_ready(base):
        raise LeverError(
            [
                f"{source}: the app shows one team of job specialists; allowed: a scenario with one team "
                f"(copies 1) and service supported_employment (this one has {len(base.teams)} team entries, "
                f"service {base.service.value})"
            ]
        )
    now = current_levers(base)
    problems: list[str] = []
    settings: list[tuple[KeyPath, Any]] = []
    changes: list[dict[str, Any]] = []
    for lever in LEVERS:
        if lever.path is None or lever.name not in levers:
            continue
        value = levers[lever.name]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        # a whole number, unless it is the scenario's own value (a file may say caseload_cap: 12.5)
        if lever.kind == "int" and not (
            number and (float(value).is_integer() or _same(value, now[lever.name]))
        ):
            problems.append(f"{lever.label} ({lever.name}): got {_shown(value)}; allowed: {lever.allowed()}")
            continue
        value = _plain(value, lever)
        settings.append((lever.path, value))
        if not _same(value, now[lever.name]):
            changes.append({"lever": lever.name, "label": lever.label, "was": now[lever.name], "now": value})
    changed_doc = base_doc
    for path, value in settings:
        changed_doc = set_value(changed_doc, path, value)
    quitter = levers.get("quit_specialist", 0)
    posts = team_posts(base)
    if quitter not in (0, None):
        qs = LEVER_BY_NAME["quit_specialist"]
        qd = LEVER_BY_NAME["quit_day"]
        try:
            n = _whole(
                f"{qs.label} ({qs.name})", quitter, 1, posts, f"0 (nobody) or a post from 1 to {posts}"
            )
            last = int(365 * years) - 1
            day = _whole(
                f"{qd.label} ({qd.name})",
                levers.get("quit_day", DEFAULT_QUIT_DAY),
                0,
                last,
                f"a whole number of days from 0 to {last} (within the {years} year(s) shown)",
            )
        except LeverError as exc:
            problems += exc.problems
        else:
            team = changed_doc["teams"][0]
            quits = [*team.get("quits", ()), {"at_days": base.run.warmup_days + day, "specialist": n}]
            changed_doc = set_value(changed_doc, QUITS, quits)
            changes.append(
                {
                    "lever": "quit_specialist",
                    "label": "Scripted resignation",
                    "was": None,
                    "now": f"Specialist {n} on day {day}",
                }
            )
    if problems:
        raise LeverError(problems)
    try:
        changed = scenario_from_dict(changed_doc, source)
    except ScenarioError as exc:
        raise LeverError([_lever_problem(p) for p in exc.problems]) from None
    except KeyPathError as exc:  # pragma: no cover - the paths were checked at import
        raise LeverError([str(exc)]) from None
    return PairPlan(base, changed, seed, years, source, tuple(changes))


# --------------------------------------------------------------------------- running a pair
def _finite(value: float) -> float | None:
    """A KPI for JSON: NaN (undefined, e.g. no cohort yet) becomes null."""
    return float(value) if math.isfinite(value) else None


def headline_kpis(log: Any) -> dict[str, float | None]:
    """The :data:`KPIS` of one run's log (raw values; the page scales them)."""
    k = compute_kpis(log)
    return {kpi.name: _finite(k[kpi.name]) for kpi in KPIS}


def run_plan(plan: PairPlan, progress: Progress | None = None) -> dict[str, Any]:
    """Run a checked plan: both runs on ``plan.seed``, replication 0, and their payloads and KPIs.

    Returns ``{base, changed, kpis: {base, changed}, seconds, cpu_seconds, changes, seed,
    years, scenario}``: ``base``/``changed`` are player payloads, ``seconds`` the wall time
    of the pair.
    """
    say = progress or (lambda fraction, stage: None)
    wall, cpu = time.perf_counter(), time.process_time()
    say(0.0, "Running the scenario as it is")
    log = simulate(plan.base, plan.seed, 0)
    say(0.35, "Making its animation")
    base = animation_payload(log, plan.base)
    base_kpis = headline_kpis(log)
    say(0.5, "Running it with your changes")
    log = simulate(plan.changed, plan.seed, 0)
    say(0.85, "Making its animation")
    changed = animation_payload(log, plan.changed)
    changed_kpis = headline_kpis(log)
    del log
    say(1.0, "Done")
    return {
        "scenario": plan.source,
        "seed": plan.seed,
        "years": plan.years,
        "changes": list(plan.changes),
        "base": base,
        "changed": changed,
        "kpis": {"base": base_kpis, "changed": changed_kpis},
        "seconds": round(time.perf_counter() - wall, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
    }


def run_pair(
    scenario: Mapping[str, Any] | str | Path,
    levers: Mapping[str, Any] | None = None,
    seed: int = 1,
    years: int = 1,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """:func:`plan_pair` then :func:`run_plan`: the classroom's pair of runs, without the server."""
    return run_plan(plan_pair(scenario, levers, seed, years), progress)


# --------------------------------------------------------------------------- the page
def _inline_script(text: str) -> str:
    """Script text safe inside ``<script>``: ``</`` cannot close the element."""
    return text.replace("</", "<\\/")


def _lever_html(lever: Lever) -> str:
    """One labelled control (stable ids: ``lever-NAME``; ``was-NAME`` shows the scenario's value)."""
    n = html.escape(lever.name)
    help_id = f"help-{n}"
    if lever.kind == "choice":
        options = "".join(
            f'<option value="{html.escape(v)}">{html.escape(w)}</option>' for v, w in lever.choices
        )
        control = f'<select id="lever-{n}" name="{n}" aria-describedby="{help_id}">{options}</select>'
    else:
        control = (
            f'<input type="number" id="lever-{n}" name="{n}" min="{lever.minimum:g}" max="{lever.maximum:g}" '
            f'step="{lever.step:g}" inputmode="decimal" aria-describedby="{help_id}">'
        )
    return (
        f'<div class="lever" id="row-{n}">'
        f'<label for="lever-{n}">{html.escape(lever.label)}</label>{control}'
        f'<span class="was" id="was-{n}"></span>'
        f'<small class="help" id="{help_id}">{html.escape(lever.help)}</small></div>'
    )


def page_config() -> dict[str, Any]:
    """What the page's script needs besides the scenarios: the levers and the KPI rows."""
    return {
        "levers": [lever.spec() for lever in LEVERS],
        "kpis": [kpi.spec() for kpi in KPIS],
        "years": list(YEARS),
        "seedMax": SEED_MAX,
        "labels": ["As it is", "With your changes"],
    }


def page_html() -> str:
    """The app page: ``app.html`` with the player's style and script, ``app.js`` and the form inlined."""
    main = [lv for lv in LEVERS if lv.path is not None]
    quit_levers = [lv for lv in LEVERS if lv.path is None]
    parts = {
        "player_css": asset("player.css").replace("</", "<\\/"),
        "player_js": _inline_script(asset("player.js")),
        "app_js": _inline_script(asset("app.js")),
        "config": json.dumps(page_config())
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026"),
        "levers": "\n".join(_lever_html(lv) for lv in main),
        "quit_levers": "\n".join(_lever_html(lv) for lv in quit_levers),
    }
    template = asset("app.html")
    return re.sub(r"\{\{ (\w+) \}\}", lambda m: parts[m[1]], template)


CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
"""The page may load nothing but itself and talk only to this server: offline by construction.

The policy is about the network: inline script and style are the page's own (it shows no
one's input as markup). Browser tests that evaluate predicates from strings open the page
with the policy bypassed (Playwright's ``bypass_csp``), not with a weaker policy."""


# --------------------------------------------------------------------------- jobs and the server
@dataclass
class Job:
    """One pair run, as ``/api/job/<id>`` reports it."""

    id: str
    state: Literal["running", "done", "failed"] = "running"
    progress: float = 0.0
    stage: str = "Waiting for the previous run to finish"
    result: dict[str, Any] | None = None
    error: str | None = None
    created: float = field(default_factory=time.monotonic)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "progress": round(self.progress, 3), "stage": self.stage}
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class AppServer(ThreadingHTTPServer):
    """The app's HTTP server: the scenarios folder, the jobs, and one worker thread for the runs.

    One worker: a classroom has one trainer pressing *Run both*; a second press while a
    run is going waits its turn rather than slowing both.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], scenarios_dir: Path):
        # before binding: a port in use makes the base class call server_close() on the way out
        self.scenarios_dir = Path(scenarios_dir)
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="caseload-app-run")
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def plan(self, request: Any) -> PairPlan:
        """A ``POST /api/run`` body checked into a plan (LeverError: a 400 answer)."""
        if not isinstance(request, dict):
            raise LeverError(["the request: allowed: a JSON object {scenario, seed, years, levers}"])
        extra = [k for k in request if k not in ("scenario", "seed", "years", "levers")]
        if extra:
            raise LeverError(
                [f"{_shown(k)}: unknown key; allowed: scenario, seed, years, levers" for k in extra]
            )
        name = request.get("scenario")
        path = self.scenarios_dir / name if isinstance(name, str) and _FILE_NAME.fullmatch(name) else None
        if path is None or not path.is_file():
            shown = ", ".join(s["file"] for s in offered_scenarios(self.scenarios_dir)) or "(none found)"
            raise LeverError([f"scenario: got {_shown(name)}; allowed: one of {shown}"])
        levers = request.get("levers", {})
        if not isinstance(levers, dict):
            raise LeverError([f"levers: got {_shown(levers)}; allowed: an object of lever: value"])
        return plan_pair(path, levers, request.get("seed", 1), request.get("years", 1))

    def submit(self, plan: PairPlan) -> Job:
        """Queue a checked plan on the worker; the job is visible at once."""
        job = Job(secrets.token_hex(8))
        with self.lock:
            self.jobs[job.id] = job
            finished = sorted(
                (j for j in self.jobs.values() if j.state != "running"), key=lambda j: j.created
            )
            for old in finished[: max(0, len(finished) - KEEP_JOBS)]:
                del self.jobs[old.id]
        self.executor.submit(self._run, job, plan)
        return job

    def _run(self, job: Job, plan: PairPlan) -> None:
        def progress(fraction: float, stage: str) -> None:
            with self.lock:
                job.progress, job.stage = fraction, stage

        try:
            result = _json_ready(run_plan(plan, progress))
        except Exception as exc:  # one line for the trainer and one on stderr, never a traceback
            message = _one_line(exc)
            print(
                f"caseload-sim app: run {job.id} ({plan.source}) failed: {message}",
                file=sys.stderr,
                flush=True,
            )
            with self.lock:
                job.state, job.error, job.stage = "failed", f"The run failed: {message}", "Failed"
            return
        with self.lock:
            job.result, job.state, job.progress, job.stage = result, "done", 1.0, "Done"

    def job(self, job_id: str) -> Job | None:
        with self.lock:
            return self.jobs.get(job_id)

    def job_view(self, job_id: str) -> dict[str, Any] | None:
        with self.lock:
            job = self.jobs.get(job_id)
            return None if job is None else job.view()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line on stderr (a browser closing a connection is not worth a traceback)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            return
        print(f"caseload-sim app: {_one_line(exc) if exc else 'error'}", file=sys.stderr, flush=True)

    def server_close(self) -> None:
        super().server_close()
        self.executor.shutdown(wait=False, cancel_futures=True)


def _json_ready(value: Any) -> Any:
    """``value`` with every non-finite float as None (JSON has no NaN, and the browser's parser refuses it)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if all(isinstance(v, int) for v in value):  # the events: a long flat list of ints
            return value
        return [_json_ready(v) for v in value]
    return value


class _Handler(BaseHTTPRequestHandler):
    """The routes; every answer is JSON except the page."""

    server: AppServer
    server_version = "caseload-sim-app"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the page polls every 150 ms, and a request log would bury the one line that matters."""

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        print(f"caseload-sim app: {format % args}", file=sys.stderr, flush=True)

    # -- answers
    def _send(
        self, status: int, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        body = json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _host_ok(self) -> bool:
        """Only this machine's names for this server (a page elsewhere cannot reach it by DNS rebinding)."""
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.port
        allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
        if port == 80:
            allowed |= {"127.0.0.1", "localhost"}
        return host in allowed

    def _guarded(self, route: Callable[[], None]) -> None:
        if not self._host_ok():
            self._error(HTTPStatus.FORBIDDEN, "this server answers only at 127.0.0.1 or localhost")
            return
        try:
            route()
        except Exception as exc:  # never a traceback in the browser
            message = _one_line(exc)
            print(f"caseload-sim app: {self.command} {self.path}: {message}", file=sys.stderr, flush=True)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, message)

    # -- routes
    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        self._guarded(self._get)

    def do_HEAD(self) -> None:  # noqa: N802
        self._guarded(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._guarded(self._post)

    def _get(self) -> None:
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            body = page_html().encode("utf-8")
            self._send(HTTPStatus.OK, body, "text/html; charset=utf-8", {"Content-Security-Policy": CSP})
        elif path == "/api/scenarios":
            self._json(HTTPStatus.OK, offered_scenarios(self.server.scenarios_dir))
        elif match := re.fullmatch(r"/api/job/([^/]+)", path):
            view = self.server.job_view(match[1])
            if view is None:
                self._error(
                    HTTPStatus.NOT_FOUND, f"no job {match[1][:40]!r}; it may be from before a restart"
                )
            else:
                self._json(HTTPStatus.OK, view)
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such page: {path[:80]}")

    def _post(self) -> None:
        path = urlsplit(self.path).path
        if path not in ("/api/run", "/api/check"):
            self._discard_body()
            self._error(HTTPStatus.NOT_FOUND, f"no such page: {path[:80]}")
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            self._error(HTTPStatus.LENGTH_REQUIRED, "the request needs a Content-Length")
            return
        if int(length) > MAX_BODY:
            self.close_connection = True
            self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the request has {length} bytes; allowed: {MAX_BODY}"
            )
            return
        raw = self.rfile.read(int(length))
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            # also why a page on another site cannot start runs: a JSON post needs a CORS preflight
            self._error(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"got Content-Type {kind or '(none)'!r}; allowed: application/json",
            )
            return
        try:
            request = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"the request is not JSON: {exc}")
            return
        try:
            plan = self.server.plan(request)
        except LeverError as exc:
            if path == "/api/check":
                self._json(HTTPStatus.OK, {"ok": False, "error": str(exc)})
            else:
                self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        if path == "/api/check":
            self._json(HTTPStatus.OK, {"ok": True, "changes": list(plan.changes)})
            return
        job = self.server.submit(plan)
        self._json(HTTPStatus.ACCEPTED, {"job": job.id})

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= MAX_BODY:
            self.rfile.read(int(length))
        else:
            self.close_connection = True


def make_server(port: int = 0, scenarios_dir: Path | None = None) -> AppServer:
    """The app's server bound to 127.0.0.1:``port`` (0: a free port; see ``.server_address``), not yet serving.

    Call ``serve_forever()`` (in a thread, for tests), then ``shutdown()`` and ``server_close()``.
    """
    return AppServer(("127.0.0.1", int(port)), scenarios_dir or default_scenarios_dir())


def serve(port: int = DEFAULT_PORT, open_browser: bool = True, scenarios_dir: Path | None = None) -> None:
    """Run the app until Ctrl-C: one line saying where, the browser opened on it, a clean stop.

    Raises
    ------
    OSError
        If the port cannot be had (in use); the caller says so in one line.
    """
    server = make_server(port, scenarios_dir)
    url = f"http://127.0.0.1:{server.port}/"
    print(f"caseload-sim app on {url.rstrip('/')} (Ctrl-C to stop)", flush=True)
    try:
        if open_browser:
            webbrowser.open(url)
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        print("caseload-sim app stopped.", flush=True)
    finally:
        server.server_close()
