"""The plan: every task of a sweep, decided before anything runs.

A task is one replication of one point. The plan is a table with one row per task:
the point, its design coordinates and factor values, the replication *r*, the seed,
the **task key** and the **chunk** it runs in. The key is a SHA-256 of the resolved
scenario of the point (:meth:`caseload_sim.scenario.Scenario.digest`), the seed, the
replication and the package version: the same key means the same numbers, and a store
whose plan has other keys is not resumed. Two points can share a key (an integer factor
that rounds two coordinates to one value makes the same scenario twice): a task is its
point and replication, and a resumed sweep runs exactly the chunks not stored.

Replication *r* uses the experiment's seed and index *r* at every point: common random
numbers, so two points differ only by their factors, not by their luck.

Tasks run in chunks of consecutive tasks (by point, then replication) long enough that
sending them costs little next to running them — a few seconds of work each, estimated
from the scenario's size (:func:`caseload_sim.budget.estimate`) — and numerous enough
that workers stay busy to the end. The chunking depends only on the experiment, never
on the executor or the number of workers, so a sweep's parts are the same wherever it
runs.

Every point is built and validated when the plan is made, so an invalid point is an
error naming the point and the key before any task runs. The plan keeps only the base
document and each point's settings; a worker rebuilds a point's scenario from them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caseload_sim import __version__
from caseload_sim.budget import estimate
from caseload_sim.keypaths import KeyPath, KeyPathError, apply_settings, parse_path
from caseload_sim.scenario import Scenario, ScenarioError, resolve_document, scenario_from_dict
from caseload_sim.sweep.designs import design_points
from caseload_sim.sweep.spec import MAX_TASKS, ExperimentError, ExperimentFile

__all__ = [
    "TASK_COLUMNS",
    "Chunk",
    "Plan",
    "canonical",
    "chunk_size",
    "make_plan",
    "plan_summary",
    "task_key",
]

#: Columns of the plan before the design's own (factor values, ``u_`` coordinates, design columns).
TASK_COLUMNS = ("point", "replication", "seed", "key", "chunk")
ROWS_PER_CHUNK = 300_000  # event-log rows of work per chunk: about 3 s of CPU
MIN_CHUNKS = 16  # at least this many chunks, when there are enough tasks, so workers finish together
MAX_TASKS_PER_CHUNK = 200


def task_key(scenario_digest: str, seed: int, replication: int, version: str = __version__) -> str:
    """The key of one task: what must match for a stored result to be reused."""
    text = f"{scenario_digest}|{seed}|{replication}|{version}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Chunk:
    """A batch of tasks for one worker: the base document, and per point its settings and tasks."""

    chunk: int
    base: dict[str, Any]
    source: str
    seed: int
    points: tuple[tuple[int, tuple[tuple[str, Any], ...], tuple[tuple[int, str], ...]], ...]

    @property
    def tasks(self) -> int:
        """Number of tasks in the chunk."""
        return sum(len(reps) for _, _, reps in self.points)


@dataclass(frozen=True)
class Plan:
    """Every task of a sweep.

    Attributes
    ----------
    experiment
        The validated experiment file.
    source
        The experiment file's path, as given.
    base
        The base scenario's resolved document with the experiment's ``set:`` applied.
    base_scenario
        That document validated.
    points
        The design (:func:`caseload_sim.sweep.designs.design_points`).
    tasks
        One row per task: :data:`TASK_COLUMNS`, then the design's columns.
    largest
        The point whose replications are estimated to be the largest
        (:func:`caseload_sim.budget.estimate`), as a validated scenario: the size guard
        checks it, since a factor (a team's copies, the horizon) can make some points
        far bigger than the base.
    """

    experiment: ExperimentFile
    source: str
    base: dict[str, Any]
    base_scenario: Scenario
    points: pd.DataFrame
    tasks: pd.DataFrame
    settings: tuple[tuple[tuple[str, Any], ...], ...] = field(repr=False)
    largest: Scenario | None = field(default=None, repr=False)

    @property
    def factor_columns(self) -> list[str]:
        """The factors' columns, in the experiment's order."""
        return [f.column for f in self.experiment.factors]

    @property
    def chunks(self) -> int:
        """Number of chunks."""
        return int(self.tasks["chunk"].max()) + 1 if len(self.tasks) else 0

    def digest(self) -> str:
        """SHA-256 of the plan's task keys and chunks: equal plans give equal sweeps."""
        h = hashlib.sha256()
        for key, chunk in zip(self.tasks["key"], self.tasks["chunk"], strict=True):
            h.update(f"{key}:{chunk};".encode())
        return h.hexdigest()

    def iter_chunks(self, skip: set[int] | frozenset[int] = frozenset()) -> Iterator[Chunk]:
        """The chunks to run, in order, leaving out those in ``skip``."""
        tasks = self.tasks
        bounds = np.flatnonzero(np.diff(tasks["chunk"].to_numpy(), prepend=-1, append=-1))
        points = tasks["point"].to_numpy()
        reps = tasks["replication"].to_numpy()
        keys = tasks["key"].to_numpy()
        chunks = tasks["chunk"].to_numpy()
        for start, stop in itertools.pairwise(bounds.tolist()):
            chunk = int(chunks[start])
            if chunk in skip:
                continue
            grouped: list[tuple[int, tuple[tuple[str, Any], ...], tuple[tuple[int, str], ...]]] = []
            i = start
            while i < stop:
                j = i
                while j < stop and points[j] == points[i]:
                    j += 1
                point = int(points[i])
                runs = tuple((int(reps[k]), str(keys[k])) for k in range(i, j))
                grouped.append((point, self.settings[point], runs))
                i = j
            yield Chunk(chunk, self.base, self.source, self.experiment.seed, tuple(grouped))


def _python(value: Any) -> Any:
    """A numpy scalar as the plain Python value YAML would have given."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def make_plan(
    experiment: ExperimentFile, experiment_path: str | Path, extends_roots: Sequence[str | Path] = ()
) -> Plan:
    """Build and validate every point and task of an experiment.

    Raises
    ------
    ExperimentError
        If the base scenario cannot be read or validated, a ``set:`` or factor path does
        not fit it, or a point's scenario is invalid (naming the point, its factor values
        and the key), or the plan would be too large.
    """
    experiment_path = Path(experiment_path)
    source = str(experiment_path)
    scenario_file = experiment.scenario_path(experiment_path)
    try:
        doc = resolve_document(scenario_file, (experiment_path.parent.resolve(), *extends_roots))
    except ScenarioError as exc:
        raise ExperimentError(source, [f"scenario: {line}" for line in str(exc).splitlines()]) from None
    fixed: list[tuple[KeyPath, Any]] = [(parse_path(p), v) for p, v in experiment.set.items()]
    try:
        base = apply_settings(doc, fixed)
        base_scenario = scenario_from_dict(base, f"{scenario_file} with the experiment's set:")
    except (KeyPathError, ScenarioError) as exc:
        raise ExperimentError(source, [f"set: {line}" for line in str(exc).splitlines()]) from None
    try:
        points = design_points(experiment, base_scenario)
    except ExperimentError as exc:
        raise ExperimentError(source, exc.problems) from None
    n_tasks = len(points) * experiment.replications
    if n_tasks > MAX_TASKS:
        raise ExperimentError(
            source,
            [f"the plan has {n_tasks:,} tasks (points x replications); allowed: at most {MAX_TASKS:,}"],
        )
    factors = experiment.factors
    paths = [f.key_path for f in factors]
    columns = [points[f.column].to_numpy() for f in factors]
    settings: list[tuple[tuple[str, Any], ...]] = []
    digests: list[str] = []
    largest, largest_rows = base_scenario, -1.0
    problems: list[str] = []
    for point in range(len(points)):
        values = [_python(col[point]) for col in columns]
        pairs = tuple((f.path, v) for f, v in zip(factors, values, strict=True))
        try:
            scenario = scenario_from_dict(apply_settings(base, list(zip(paths, values, strict=True))))
        except (KeyPathError, ScenarioError) as exc:
            shown = ", ".join(f"{f.column}={v!r}" for f, v in zip(factors, values, strict=True))
            lines = exc.problems if isinstance(exc, ScenarioError) else [str(exc)]
            problems.extend(f"point {point} ({shown}): {line}" for line in lines)
            if len(problems) >= 20:
                problems.append("... (further points not checked)")
                break
            continue
        settings.append(pairs)
        digests.append(scenario.digest())
        rows = estimate(scenario).rows
        if rows > largest_rows:
            largest, largest_rows = scenario, rows
    if problems:
        raise ExperimentError(source, problems)
    tasks = _task_table(experiment, points, digests, base_scenario)
    return Plan(experiment, source, base, base_scenario, points, tasks, tuple(settings), largest)


def _task_table(
    experiment: ExperimentFile, points: pd.DataFrame, digests: Sequence[str], base: Scenario
) -> pd.DataFrame:
    r = experiment.replications
    n = len(points)
    point = np.repeat(np.arange(n, dtype=np.int64), r)
    replication = np.tile(np.arange(r, dtype=np.int64), n)
    keys = [
        task_key(digests[p], experiment.seed, k)
        for p, k in zip(point.tolist(), replication.tolist(), strict=True)
    ]
    size = chunk_size(n * r, estimate(base).rows)
    tasks = pd.DataFrame(
        {
            "point": point,
            "replication": replication,
            "seed": np.full(n * r, experiment.seed, dtype=np.int64),
            "key": pd.array(keys, dtype="string[pyarrow]"),
            "chunk": (np.arange(n * r, dtype=np.int64) // size),
        }
    )
    design = points.drop(columns=["point"]).iloc[point].reset_index(drop=True)
    return pd.concat([tasks, design], axis=1)


def chunk_size(tasks: int, rows_per_task: float) -> int:
    """Tasks per chunk: about :data:`ROWS_PER_CHUNK` rows of work, and at least :data:`MIN_CHUNKS` chunks."""
    by_work = max(1, int(ROWS_PER_CHUNK // max(rows_per_task, 1.0)))
    by_count = max(1, math.ceil(tasks / MIN_CHUNKS))
    return max(1, min(by_work, by_count, MAX_TASKS_PER_CHUNK))


def plan_summary(plan: Plan) -> dict[str, Any]:
    """What the manifest says of the plan."""
    exp = plan.experiment
    return {
        "points": len(plan.points),
        "tasks": len(plan.tasks),
        "chunks": plan.chunks,
        "plan_sha256": plan.digest(),
        "base_scenario_sha256": plan.base_scenario.digest(),
        "design": exp.design.model_dump(mode="json", exclude_none=True),
        "factors": [
            {
                "name": f.column,
                "path": f.path,
                "low": f.range[0] if f.range else None,
                "high": f.range[1] if f.range else None,
                "levels": list(f.levels) if f.levels is not None else None,
                "steps": f.steps,
                "scale": f.scale,
                "integer": f.integer,
            }
            for f in exp.factors
        ],
    }


def canonical(experiment: ExperimentFile) -> str:
    """The experiment as canonical JSON (for its digest)."""
    return json.dumps(experiment.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
