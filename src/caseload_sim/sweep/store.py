"""The results store of a sweep: one folder, written part by part, never rewritten.

::

    out/<experiment>/
      manifest.json        what was asked (experiment, plan digest, versions) and how far it got
      plan.parquet         every task (caseload_sim.sweep.plan)
      results/part-000017.parquet   the rows of chunk 17: one per (point, replication)
      points.parquet       per point and KPI: mean, std, 95 % CI, n (written when complete)

A chunk's rows are written under a temporary name in ``results/`` and renamed into
place, so a part is either whole or absent, whatever kills the sweep. The name of a
part is its chunk number, so a chunk is stored at most once: resuming runs the chunks
that have no part (the plan minus the tasks stored), and a part that cannot be read
(a disk that filled up before the rename could not leave one, but a copied folder
might) is set aside as ``.bad`` and its chunk run again. Workers never write here: the
process that drives the sweep writes each chunk's rows when they arrive.

Load the store in pandas in one line::

    pd.read_parquet("out/cap_by_referrals/results")

or query it with DuckDB (``caseload-sim query``).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from caseload_sim.manifest import dependency_versions, file_digest, process_alive, write_manifest

__all__ = [
    "MANIFEST",
    "PLAN",
    "POINTS",
    "RESULTS",
    "StoreError",
    "done_chunks",
    "part_path",
    "point_summary",
    "read_manifest",
    "read_results",
    "results_schema",
    "set_aside",
    "write_atomic",
    "write_part",
    "write_points",
]

MANIFEST = "manifest.json"
PLAN = "plan.parquet"
POINTS = "points.parquet"
RESULTS = "results"
_PART = "part-{:06d}.parquet"


class StoreError(ValueError):
    """A results folder that is not a sweep, or not this sweep."""


def write_atomic(path: Path, write: Any) -> None:
    """Call ``write(tmp)`` on a unique temporary name beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest, ``None`` if it has none; :class:`StoreError` if it is not a sweep's."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: cannot be read as JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "sweep":
        raise StoreError(f"{folder}: holds the results of a run or comparison, not of a sweep")
    return manifest


def save_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically."""
    write_atomic(folder / MANIFEST, lambda tmp: write_manifest(manifest, tmp))


def results_schema(plan_tasks: pd.DataFrame, factors: Sequence[str], kpis: Sequence[str]) -> pa.Schema:
    """The columns of every part: point, replication, seed, key, the factors (typed as in the plan), the KPIs."""
    head = pa.Schema.from_pandas(
        plan_tasks[["point", "replication", "seed", "key", *factors]].head(0), preserve_index=False
    )
    fields = [head.field(i) for i in range(len(head))]
    fields += [pa.field(k, pa.float64()) for k in kpis]
    return pa.schema(fields)


def part_path(folder: Path, chunk: int) -> Path:
    """Where chunk ``chunk``'s rows are stored."""
    return folder / RESULTS / _PART.format(chunk)


def set_aside(path: Path) -> Path:
    """Rename a part that cannot be used to ``<name>.bad`` (``.bad.1``, ... if taken): kept, not read."""
    target = path.with_suffix(".bad")
    n = 0
    while target.exists():
        n += 1
        target = path.with_suffix(f".bad.{n}")
    path.rename(target)
    return target


def write_part(folder: Path, chunk: int, frame: pd.DataFrame, schema: pa.Schema) -> Path:
    """Store one chunk's rows as ``results/part-<chunk>.parquet`` (whole, or not at all)."""
    (folder / RESULTS).mkdir(exist_ok=True)
    table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
    path = part_path(folder, chunk)
    write_atomic(path, lambda tmp: pq.write_table(table, tmp))
    return path


def done_chunks(folder: Path) -> dict[int, int]:
    """Stored chunks and their row counts; unreadable parts are set aside, stale temporary files removed."""
    results = folder / RESULTS
    done: dict[int, int] = {}
    if not results.is_dir():
        return done
    for tmp in results.glob(".part-*.tmp"):
        pid = tmp.name.split(".")[-3]
        if not pid.isdigit() or not process_alive(int(pid)):
            tmp.unlink(missing_ok=True)
    for path in sorted(results.glob("part-*.parquet")):
        stem = path.stem[len("part-") :]
        if not stem.isdigit():
            continue
        try:
            rows = pq.read_metadata(path).num_rows
        except (OSError, pa.ArrowException):
            set_aside(path)
            continue
        done[int(stem)] = rows
    return done


def read_results(folder: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Every stored row, sorted by point and replication."""
    results = folder / RESULTS
    if not results.is_dir() or not any(results.glob("part-*.parquet")):
        return pd.DataFrame()
    files = sorted(str(p) for p in results.glob("part-*.parquet"))
    frame = pa.concat_tables(
        [pq.read_table(f, columns=list(columns) if columns else None) for f in files]
    ).to_pandas()
    return frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)


def point_summary(
    folder: Path, points: pd.DataFrame, factors: Sequence[str], kpis: Sequence[str]
) -> pd.DataFrame:
    """Per point and KPI: ``point``, factors, ``kpi``, ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n``.

    Read part by part, each part's rows folded into running per-point counts, means and
    sums of squared deviations (Chan, Golub & LeVeque's pairwise update), so memory
    grows with the points, not with the rows stored. The interval is the t-interval of
    the mean over the point's replications (NaN values, where a KPI is undefined in a
    replication, are left out; ``n`` counts the rest). ``points`` gives the factor values
    (the plan's design table).
    """
    from scipy import stats

    ids = points["point"].to_numpy(dtype=np.int64)
    k = len(kpis)
    n = np.zeros((len(ids), k))
    mean = np.zeros((len(ids), k))
    m2 = np.zeros((len(ids), k))
    results = folder / RESULTS
    for path in sorted(results.glob("part-*.parquet")) if results.is_dir() else []:
        part = pq.read_table(path, columns=["point", *kpis]).to_pandas()
        rows = np.searchsorted(ids, part["point"].to_numpy(dtype=np.int64))
        values = part[list(kpis)].to_numpy(dtype=float)
        defined = np.isfinite(values)
        for j in range(k):
            ok = defined[:, j]
            r, v = rows[ok], values[ok, j]
            cnt = np.bincount(r, minlength=len(ids)).astype(float)
            tot = np.bincount(r, weights=v, minlength=len(ids))
            with np.errstate(invalid="ignore", divide="ignore"):
                part_mean = np.where(cnt > 0, tot / np.maximum(cnt, 1), 0.0)
            dev = np.bincount(r, weights=(v - part_mean[r]) ** 2, minlength=len(ids))
            total = n[:, j] + cnt
            delta = part_mean - mean[:, j]
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(total > 0, cnt / np.maximum(total, 1), 0.0)
            mean[:, j] += delta * share
            m2[:, j] += dev + delta**2 * n[:, j] * share
            n[:, j] = total
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_out = np.where(n > 0, mean, np.nan)
        std = np.where(n > 1, np.sqrt(m2 / np.maximum(n - 1, 1)), np.nan)
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * std / np.sqrt(np.maximum(n, 1))
    half = np.where(n > 1, half, np.nan)
    out = pd.DataFrame(
        {
            "point": np.repeat(ids, k),
            "kpi": np.tile(np.asarray(kpis, dtype=object), len(ids)),
            "mean": mean_out.ravel(),
            "std": std.ravel(),
            "ci_low": (mean_out - half).ravel(),
            "ci_high": (mean_out + half).ravel(),
            "n": n.ravel().astype(np.int64),
        }
    )
    out = points[["point", *factors]].merge(out, on="point", how="right")
    return out.sort_values(["point", "kpi"], kind="stable").reset_index(drop=True)


def write_points(folder: Path, points: pd.DataFrame, factors: Sequence[str], kpis: Sequence[str]) -> Path:
    """Write ``points.parquet`` from the stored parts (:func:`point_summary`)."""
    path = folder / POINTS
    summary = point_summary(folder, points, factors, kpis)
    write_atomic(path, lambda tmp: summary.to_parquet(tmp, index=False))
    return path


def manifest_base(
    name: str, experiment: dict[str, Any], source: str, summary: dict[str, Any]
) -> dict[str, Any]:
    """The parts of a sweep's manifest that never change while it runs."""
    from caseload_sim import __version__

    return {
        "kind": "sweep",
        "name": name,
        "experiment_file": source,
        "experiment": experiment,
        "package": {"name": "caseload-sim", "version": __version__},
        "dependencies": dependency_versions(),
        **summary,
    }


def digests(folder: Path, names: Sequence[str]) -> dict[str, str]:
    """SHA-256 of the named files of the folder."""
    return {n: file_digest(folder / n) for n in names if (folder / n).exists()}
