"""A process pool for tests that must prove two workers really shared the work.

Which worker takes which task is up to the operating system: on a loaded machine one
worker can finish a whole small batch before the second has even started, so a test
that counts the pids afterwards fails by chance. Here each worker's first task waits
at a rendezvous until every worker has checked in, so with at least as many tasks as
workers each worker runs one. Nothing is timed; the wait only guards against a hang.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from caseload_sim.executors import OnResult, ProcessExecutor

_GIVE_UP_SECONDS = 300.0


def _after_rendezvous(folder: str, workers: int, fn: Callable[[Any], Any], item: Any) -> Any:
    """Check in, wait until ``workers`` processes have, then run the task."""
    here = Path(folder)
    (here / str(os.getpid())).touch()
    deadline = time.monotonic() + _GIVE_UP_SECONDS
    while len(list(here.iterdir())) < workers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(list(here.iterdir()))} of {workers} workers started")
        time.sleep(0.01)
    return fn(item)


class SpreadProcessExecutor(ProcessExecutor):
    """A :class:`ProcessExecutor` whose every worker is sure to run a task of each batch."""

    def __init__(self, workers: int, rendezvous: Path) -> None:
        super().__init__(workers)
        self._rendezvous = rendezvous

    def map(
        self, fn: Callable[[Any], Any], items: Sequence[Any], on_result: OnResult | None = None
    ) -> list[Any]:
        items = list(items)
        batch = self._rendezvous / f"batch{len(list(self._rendezvous.glob('batch*')))}"
        batch.mkdir(parents=True)
        size = min(self.workers, len(items))
        return super().map(partial(_after_rendezvous, str(batch), size, fn), items, on_result)
