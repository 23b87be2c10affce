"""Where an animation's event log comes from: a fresh replication, or a run folder written with ``--events``.

Both give the same :class:`~caseload_sim.events.EventLog` for the same scenario, seed and
replication (the model is deterministic; tested), so ``animate`` of a scenario and of a
run folder made from it show the same story.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caseload_sim.events import (
    CANDIDATE_DTYPE,
    EVENT_DTYPE,
    SPECIALIST_DTYPE,
    WEEK_DTYPE,
    EventKind,
    EventLog,
)
from caseload_sim.scenario import Scenario, ScenarioError, scenario_from_dict

__all__ = ["LOG_FILES", "SourceError", "logged_replication"]

LOG_FILES = ("events.parquet", "candidates.parquet", "specialists.parquet", "weeks.parquet")


class SourceError(ValueError):
    """A run folder that cannot be animated; one line per problem, each naming the file."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _records(frame: pd.DataFrame, dtype: np.dtype[Any], path: Path) -> np.ndarray:
    missing = [n for n in dtype.names or () if n not in frame.columns]
    if missing:
        raise SourceError(
            [f"{path}: missing column(s) {', '.join(missing)}; allowed: a file written by run --events"]
        )
    out = np.empty(len(frame), dtype=dtype)
    for name in dtype.names or ():
        column = frame[name]
        if name == "kind" and isinstance(column.dtype, pd.CategoricalDtype):
            codes = {k.name.lower(): int(k) for k in EventKind}
            column = column.astype(str).map(codes)
        out[name] = column.to_numpy()
    return out


def logged_replication(folder: str | Path, replication: int | None = None) -> tuple[EventLog, Scenario]:
    """One replication's event log and its scenario, read back from ``caseload-sim run --events`` output.

    ``replication`` defaults to the first one in the folder.
    """
    root = Path(folder)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise SourceError(
            [f"{root}: no manifest.json; allowed: a scenario file or a run folder written with --events"]
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        scenario = scenario_from_dict(manifest["scenario"], f"{manifest_path} (scenario)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        lines = exc.problems if isinstance(exc, ScenarioError) else [str(exc)]
        raise SourceError(
            [f"{manifest_path}: cannot read the run's scenario: {line}" for line in lines]
        ) from None
    if manifest.get("kind", "run") != "run":
        raise SourceError(
            [f"{root}: a {manifest.get('kind')} folder; allowed: a run folder written with --events"]
        )
    missing = [name for name in LOG_FILES if not (root / name).is_file()]
    if missing:
        raise SourceError(
            [
                f"{root}: no {', '.join(missing)}: the run was made without --events; "
                f"allowed: a run folder written with --events (caseload-sim run SCENARIO --events)"
            ]
        )
    tables: dict[str, pd.DataFrame] = {}
    for name in LOG_FILES:
        try:
            tables[name] = pd.read_parquet(root / name)
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
            raise SourceError([f"{root / name}: cannot read it: {exc}"]) from None
        if "replication" not in tables[name].columns:
            raise SourceError(
                [f"{root / name}: no replication column; allowed: a file written by run --events"]
            )
    present = sorted(int(r) for r in tables["events.parquet"]["replication"].unique())
    rep = present[0] if replication is None and present else replication
    if rep not in present:
        raise SourceError(
            [
                f"--replication: got {replication}; allowed: one of the folder's replications ({present[0]}–{present[-1]})"
            ]
            if present
            else [f"{root / 'events.parquet'}: no events"]
        )
    parts = {name: t[t["replication"] == rep] for name, t in tables.items()}
    warmup, horizon = scenario.run.warmup_days, scenario.run.horizon_days
    log = EventLog(
        events=_records(parts["events.parquet"], EVENT_DTYPE, root / "events.parquet"),
        candidates=_records(parts["candidates.parquet"], CANDIDATE_DTYPE, root / "candidates.parquet"),
        specialists=_records(parts["specialists.parquet"], SPECIALIST_DTYPE, root / "specialists.parquet"),
        weeks=_records(parts["weeks.parquet"], WEEK_DTYPE, root / "weeks.parquet"),
        meta={
            "scenario": scenario.name,
            "seed": int(manifest.get("seed", 0)),
            "replication": rep,
            "window_start": warmup,
            "window_end": warmup + horizon,
            "end_time": warmup + horizon,
        },
    )
    return log, scenario
