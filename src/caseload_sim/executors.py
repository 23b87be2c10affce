"""Executors: where independent replications run.

A replication is a pure function of (scenario, seed, replication index), so a batch of
them can run anywhere — in this process, in a pool of local processes, later on a Dask
cluster — and give the same numbers. An executor only decides *where* each task runs;
it always returns the results **in task order**, whatever order they finished in, so
that the results table does not depend on scheduling.

The interface is deliberately small (:class:`Executor`: ``workers`` and
:meth:`Executor.map`), so that a distributed executor can be added beside
:class:`SerialExecutor` and :class:`ProcessExecutor` without touching the callers.

Local processes are started with an explicit ``spawn`` context (``forkserver`` on
request): a worker never inherits the parent's memory, locks or random state by
``fork``, and nothing here changes global multiprocessing settings — importing this
module has no side effects.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

__all__ = [
    "Executor",
    "OnResult",
    "ProcessExecutor",
    "SerialExecutor",
    "StartMethod",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")

#: Called in the calling process as each task finishes: ``(task index, result)``.
OnResult = Callable[[int, Any], None]

StartMethod = Literal["spawn", "forkserver"]


@runtime_checkable
class Executor(Protocol):
    """Runs a function over independent items and returns the results in item order."""

    @property
    def workers(self) -> int:
        """How many tasks may run at the same time."""
        ...

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_result: OnResult | None = None) -> list[R]:
        """Return ``[fn(item) for item in items]``, computed wherever the executor runs tasks.

        ``on_result(index, result)`` is called in the calling process as each task
        finishes (possibly out of order), e.g. to advance a progress bar. The first
        exception raised by a task is re-raised here; pending tasks are cancelled.
        """
        ...


class SerialExecutor:
    """Runs every task in the calling process, one after the other (``workers == 1``)."""

    @property
    def workers(self) -> int:
        """Always 1."""
        return 1

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_result: OnResult | None = None) -> list[R]:
        """Apply ``fn`` to each item in order; see :meth:`Executor.map`."""
        results: list[R] = []
        for i, item in enumerate(items):
            result = fn(item)
            results.append(result)
            if on_result is not None:
                on_result(i, result)
        return results

    def __repr__(self) -> str:
        return "SerialExecutor()"


def _call_in_worker(fn: Callable[[T], R], item: T) -> tuple[int, R]:
    """Run one task in a worker and report which process ran it."""
    return os.getpid(), fn(item)


class ProcessExecutor:
    """Runs tasks on a pool of ``workers`` local processes.

    A fresh :class:`concurrent.futures.ProcessPoolExecutor` is started for each
    :meth:`map` call and shut down when it returns, so no processes outlive a batch.
    ``fn`` and the items must be picklable (a module-level function, or a
    :func:`functools.partial` of one). At most ``len(items)`` processes are started.

    After a :meth:`map` call, :attr:`worker_pids` holds the ids of the processes that
    actually ran tasks — useful to check that work really was spread out.

    Parameters
    ----------
    workers
        Number of worker processes, at least 1.
    start_method
        ``"spawn"`` (default, the same on every platform) or ``"forkserver"``
        (POSIX only; cheaper start-up once its server runs). ``fork`` is not offered:
        forking a process that holds threads or open pools is unsafe.
    """

    def __init__(self, workers: int, start_method: StartMethod = "spawn") -> None:
        if workers < 1:
            raise ValueError(f"workers: got {workers}; allowed: an integer >= 1")
        if start_method not in ("spawn", "forkserver"):
            raise ValueError(f"start_method: got {start_method!r}; allowed: 'spawn' or 'forkserver'")
        self._workers = workers
        self.start_method: StartMethod = start_method
        self.worker_pids: frozenset[int] = frozenset()

    @property
    def workers(self) -> int:
        """Maximum number of worker processes."""
        return self._workers

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_result: OnResult | None = None) -> list[R]:
        """Run ``fn`` over the items on worker processes; see :meth:`Executor.map`."""
        items = list(items)
        if not items:
            self.worker_pids = frozenset()
            return []
        results: list[Any] = [None] * len(items)
        pids: set[int] = set()
        context = multiprocessing.get_context(self.start_method)
        pool = ProcessPoolExecutor(
            max_workers=min(self._workers, len(items)),
            mp_context=context,
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )
        interrupted = False
        try:
            index_of: dict[Future[tuple[int, R]], int] = {
                pool.submit(_call_in_worker, fn, item): i for i, item in enumerate(items)
            }
            pending = set(index_of)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                # future.result() re-raises a task's exception; the pool is then shut
                # down below with its queued tasks cancelled.
                for future in sorted(done, key=index_of.__getitem__):
                    pid, result = future.result()
                    pids.add(pid)
                    i = index_of[future]
                    results[i] = result
                    if on_result is not None:
                        on_result(i, result)
        except BaseException:
            interrupted = True
            raise
        finally:
            # On error or Ctrl-C: drop queued tasks instead of finishing the whole batch, and
            # on Ctrl-C (or SIGTERM, which the CLI turns into one) end the running ones now.
            if interrupted:
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            self.worker_pids = frozenset(pids)
        return results

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self._workers}, start_method={self.start_method!r})"


def _worker_init(parent: int) -> None:
    """In each worker: die with the parent (also if it is killed), and leave Ctrl-C to the parent.

    On Linux the kernel sends the worker SIGKILL when the process that started it dies
    (``PR_SET_PDEATHSIG``), so no worker outlives a killed run and holds its output open.
    Elsewhere the pool's own shutdown is all there is.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles it and ends the workers
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl here
            pass
    if os.getppid() != parent:  # the parent died before the line above: go now
        os._exit(1)


def make_executor(workers: int = 1, *, start_method: StartMethod = "spawn") -> Executor:
    """Choose an executor for ``workers`` parallel tasks.

    ``workers == 1`` runs in this process (no start-up cost, easiest to debug);
    ``workers > 1`` uses a :class:`ProcessExecutor`. Results are identical either way.

    Raises
    ------
    ValueError
        If ``workers`` is less than 1.
    """
    if workers < 1:
        raise ValueError(f"workers: got {workers}; allowed: an integer >= 1")
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers, start_method=start_method)
