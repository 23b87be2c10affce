"""Running a plan: chunks out to an executor, rows back into the store, resumable.

The driver (this module, in the calling process) opens the store, works out which
chunks are still to run (all of them, or on ``resume`` those without a part), streams
them through an executor (:meth:`caseload_sim.executors.Executor.stream`: serial,
local processes or Dask) with a bounded number in flight, and writes each chunk's rows
as a part the moment they arrive. Nothing is held beyond the chunks in flight, so the
driver's memory does not grow with the sweep.

A worker runs :func:`run_chunk`: it rebuilds each point's scenario from the base
document and the point's settings, runs the point's replications
(:func:`caseload_sim.experiment.run_replication`) and returns their KPI rows. Rows are
a pure function of (scenario, seed, replication), so they are identical whatever ran
them; the parts are identical too, because the chunking is part of the plan.

When every chunk is stored, ``points.parquet`` is written and the manifest says
``complete``; until then it says ``partial`` with the counts, and
``caseload-sim sweep EXPERIMENT --resume`` continues.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from caseload_sim.executors import Executor, SerialExecutor
from caseload_sim.manifest import utc_now
from caseload_sim.sweep import store
from caseload_sim.sweep.plan import Chunk, Plan, canonical, plan_summary

__all__ = ["SweepOutcome", "run_chunk", "run_sweep", "sweep_kpis"]

MANIFEST_EVERY = 5.0  # seconds between updates of a running sweep's manifest (its counts)

#: Called after each stored chunk with (tasks stored, tasks planned).
SweepProgress = Callable[[int, int], None]


def sweep_kpis(plan: Plan) -> list[str]:
    """The KPIs of interest: the experiment's, or all."""
    from caseload_sim.experiment import kpi_names

    return list(plan.experiment.kpis or kpi_names())


def run_chunk(chunk: Chunk) -> pd.DataFrame:
    """Run one chunk's tasks (in a worker): ``point, replication, seed, key`` and every KPI per task."""
    from caseload_sim.experiment import run_replication
    from caseload_sim.keypaths import apply_settings, parse_path
    from caseload_sim.scenario import scenario_from_dict

    rows: list[dict[str, Any]] = []
    for point, settings, runs in chunk.points:
        doc = apply_settings(chunk.base, [(parse_path(p), v) for p, v in settings])
        scenario = scenario_from_dict(doc, f"{chunk.source}: point {point}")
        for replication, key in runs:
            kpis, _ = run_replication(scenario, chunk.seed, replication)
            rows.append({"point": point, "replication": replication, "seed": chunk.seed, "key": key, **kpis})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SweepOutcome:
    """What a call of :func:`run_sweep` did."""

    folder: Path
    tasks: int
    stored_before: int
    stored: int
    chunks_run: int
    seconds: float
    complete: bool

    @property
    def ran(self) -> int:
        """Tasks run by this call."""
        return self.stored - self.stored_before


class ResumeMismatch(store.StoreError):
    """The folder holds a sweep of another experiment (or version): it cannot be resumed."""


def _check_same(manifest: dict[str, Any], plan: Plan, folder: Path) -> None:
    from caseload_sim import __version__

    theirs = manifest.get("plan_sha256")
    if theirs != plan.digest():
        version = manifest.get("package", {}).get("version")
        why = (
            f"it was made by caseload-sim {version}, this is {__version__}"
            if version != __version__
            else "the experiment file or its scenario changed since it started"
        )
        raise ResumeMismatch(
            f"{folder}: holds a sweep with a different plan ({why}); allowed: --resume with the same "
            "experiment, or a new --out"
        )


def run_sweep(
    plan: Plan,
    folder: str | Path,
    executor: Executor | None = None,
    *,
    resume: bool = False,
    progress: SweepProgress | None = None,
    in_flight: int | None = None,
    extra: dict[str, Any] | None = None,
) -> SweepOutcome:
    """Run (or continue) a sweep into ``folder``.

    Parameters
    ----------
    plan
        The tasks (:func:`caseload_sim.sweep.plan.make_plan`).
    folder
        The results store; created if missing.
    executor
        Where chunks run (default: in this process).
    resume
        Continue a sweep already in ``folder`` (which must hold the same plan). Without
        it, a folder that already holds a sweep is refused.
    progress
        Called after each stored chunk with (tasks stored, tasks planned).
    in_flight
        Chunks submitted at a time (default: twice the executor's workers).
    extra
        Further manifest entries (e.g. the command line).

    Raises
    ------
    caseload_sim.sweep.store.StoreError
        If the folder holds something else, or a different sweep.
    KeyboardInterrupt
        Passed on after the parts already written are safe; the manifest then says
        ``partial`` and ``resume`` continues.
    """
    folder = Path(folder)
    executor = executor or SerialExecutor()
    existing = store.read_manifest(folder) if folder.exists() else None
    if existing is not None and not resume:
        rows = sum(store.done_chunks(folder).values())  # the parts are the truth; the manifest may lag
        raise store.StoreError(
            f"{folder}: already holds a sweep ({existing.get('status', 'partial')}, "
            f"{rows} of {existing.get('tasks', '?')} tasks stored); allowed: --resume to continue "
            "it, or a new --out (nothing is overwritten)"
        )
    if existing is not None:
        _check_same(existing, plan, folder)
    folder.mkdir(parents=True, exist_ok=True)
    kpis = sweep_kpis(plan)
    from caseload_sim.experiment import kpi_names

    schema = store.results_schema(plan.tasks, plan.factor_columns, list(kpi_names()))
    manifest = store.manifest_base(
        plan.experiment.name,
        plan.experiment.model_dump(mode="json"),
        plan.source,
        {
            **plan_summary(plan),
            "kpis": kpis,
            "replications": plan.experiment.replications,
            "seed": plan.experiment.seed,
            "experiment_sha256": _sha(canonical(plan.experiment)),
        },
    )
    manifest.update(extra or {})
    if existing is None or not (folder / store.PLAN).exists():
        store.write_atomic(folder / store.PLAN, lambda tmp: plan.tasks.to_parquet(tmp, index=False))
    started = existing.get("started") if existing else utc_now().isoformat()
    done = store.done_chunks(folder)
    chunk_sizes = plan.tasks.groupby("chunk").size().to_dict()
    stored_before = sum(rows for chunk, rows in done.items() if chunk_sizes.get(chunk) == rows)
    stale = [c for c, rows in done.items() if chunk_sizes.get(c) != rows]
    for chunk in stale:  # a part that does not match the plan's chunk: not ours; set aside
        store.set_aside(store.part_path(folder, chunk))
        del done[chunk]
    stored = stored_before
    total = len(plan.tasks)

    saved = [time.perf_counter()]

    def save(status: str) -> None:
        saved[0] = time.perf_counter()
        store.save_manifest(
            folder,
            {
                **manifest,
                "status": status,
                "tasks": total,
                "stored": stored,
                "started": started,
                "updated": utc_now().isoformat(),
                "executor": repr(executor),
                "files": [store.PLAN, f"{store.RESULTS}/", *([store.POINTS] if status == "complete" else [])],
                "sha256": store.digests(
                    folder, [store.PLAN, *([store.POINTS] if status == "complete" else [])]
                ),
            },
        )

    save("partial")
    if progress is not None:
        progress(stored, total)
    clock = time.perf_counter()
    chunks_run = 0
    todo = plan.iter_chunks(skip=set(done))
    chunk_of: list[int] = []

    def numbered() -> Any:
        for chunk in todo:
            chunk_of.append(chunk.chunk)
            yield chunk

    try:
        for index, frame in executor.stream(run_chunk, numbered(), in_flight):
            chunk = chunk_of[index]
            store.write_part(folder, chunk, _with_factors(frame, plan), schema)
            stored += len(frame)
            chunks_run += 1
            stale_manifest = time.perf_counter() - saved[0] > MANIFEST_EVERY
            if stale_manifest:  # so that a killed sweep's manifest is near the truth
                save("partial")
            if progress is not None:
                progress(stored, total)
    finally:
        save("partial")
    complete = stored == total
    if complete:
        # Every part holds its chunk's rows (sizes checked above), so nothing is stored twice;
        # the summary streams the parts (memory grows with the points, not the rows).
        store.write_points(folder, plan.points, plan.factor_columns, kpis)
        save("complete")
    return SweepOutcome(
        folder=folder,
        tasks=total,
        stored_before=stored_before,
        stored=stored,
        chunks_run=chunks_run,
        seconds=time.perf_counter() - clock,
        complete=complete,
    )


def _with_factors(frame: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """A worker's rows with the point's factor values from the plan (typed as in the plan)."""
    points = plan.points[["point", *plan.factor_columns]]
    return frame.merge(points, on="point", how="left", validate="many_to_one")


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()
