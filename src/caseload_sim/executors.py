"""Executors: where independent replications run.

A replication is a pure function of (scenario, seed, replication index), so a batch of
them can run anywhere — in this process, in a pool of local processes, later on a Dask
cluster — and give the same numbers. An executor only decides *where* each task runs;
it always returns the results **in task order**, whatever order they finished in, so
that the results table does not depend on scheduling.

The interface is deliberately small (:class:`Executor`: ``workers``,
:meth:`Executor.map` for a batch held in memory, :meth:`Executor.stream` for a long
plan whose results are written as they come), so :class:`SerialExecutor`,
:class:`ProcessExecutor` and :class:`DaskExecutor` (an existing Dask cluster, or a
``LocalCluster`` started for the call) are interchangeable for the callers.

``stream`` keeps at most ``in_flight`` tasks submitted at a time, so the caller's
memory does not grow with the length of the plan, and yields ``(index, result)`` as
tasks finish (in any order): a sweep stores each result at once and never holds them
all. Every task's result is yielded exactly once — on Dask also when a worker dies and
the scheduler reruns its task elsewhere.

Local processes are started with an explicit ``spawn`` context (``forkserver`` on
request): a worker never inherits the parent's memory, locks or random state by
``fork``, and nothing here changes global multiprocessing settings — importing this
module has no side effects.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

__all__ = [
    "DaskExecutor",
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

    def stream(
        self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None
    ) -> Iterator[tuple[int, R]]:
        """Yield ``(index, fn(item))`` as tasks finish, with at most ``in_flight`` submitted at once
        (default: twice the workers).

        ``items`` is consumed lazily. Closing the iterator (or an exception, or Ctrl-C
        in the caller) cancels what is queued and ends running tasks.
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

    def stream(
        self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None
    ) -> Iterator[tuple[int, R]]:
        """Run each item in turn; see :meth:`Executor.stream`."""
        for i, item in enumerate(items):
            yield i, fn(item)

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

    @contextmanager
    def _pool(self, size: int) -> Iterator[tuple[ProcessPoolExecutor, set[int]]]:
        """A pool of ``size`` workers for one batch or stream, and the set of pids that ran tasks.

        On an error, Ctrl-C (or SIGTERM, which the CLI turns into one) or a closed stream,
        queued tasks are dropped instead of finishing the whole batch, and running ones end
        now; the pool is always shut down and :attr:`worker_pids` set.
        """
        context = multiprocessing.get_context(self.start_method)
        pool = ProcessPoolExecutor(
            max_workers=size, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),)
        )
        pids: set[int] = set()
        interrupted = False
        try:
            yield pool, pids
        except BaseException:
            interrupted = True
            raise
        finally:
            if interrupted:
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            self.worker_pids = frozenset(pids)

    def stream(
        self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None
    ) -> Iterator[tuple[int, R]]:
        """Run the items on one pool of worker processes for the whole stream; see :meth:`Executor.stream`."""
        limit = max(1, in_flight or 2 * self._workers)
        with self._pool(self._workers) as (pool, pids):
            source = enumerate(items)
            index_of: dict[Future[tuple[int, R]], int] = {}

            def top_up() -> None:
                while len(index_of) < limit:
                    nxt = next(source, None)
                    if nxt is None:
                        return
                    index_of[pool.submit(_call_in_worker, fn, nxt[1])] = nxt[0]

            top_up()
            while index_of:
                done, _ = wait(set(index_of), return_when=FIRST_COMPLETED)
                for future in sorted(done, key=index_of.__getitem__):
                    pid, result = _result(future)
                    pids.add(pid)
                    yield index_of.pop(future), result
                top_up()

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_result: OnResult | None = None) -> list[R]:
        """Run ``fn`` over the items on worker processes; see :meth:`Executor.map`."""
        items = list(items)
        if not items:
            self.worker_pids = frozenset()
            return []
        results: list[Any] = [None] * len(items)
        with self._pool(min(self._workers, len(items))) as (pool, pids):
            index_of: dict[Future[tuple[int, R]], int] = {
                pool.submit(_call_in_worker, fn, item): i for i, item in enumerate(items)
            }
            pending = set(index_of)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                # a task's exception is re-raised here; the pool is then shut down with its
                # queued tasks cancelled
                for future in sorted(done, key=index_of.__getitem__):
                    pid, result = _result(future)
                    pids.add(pid)
                    i = index_of[future]
                    results[i] = result
                    if on_result is not None:
                        on_result(i, result)
        return results

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self._workers}, start_method={self.start_method!r})"


_BROKEN = (
    "a worker process ended abruptly before finishing its task. If this runs from a script of "
    'yours, put the code that starts the run under `if __name__ == "__main__":` -- worker processes '
    "are spawned and import the script, and without that guard each one starts the run again (see "
    "the README, 'For researchers'); otherwise a worker ran out of memory or was killed"
)


def _result(future: Future[tuple[int, R]]) -> tuple[int, R]:
    """A worker's ``(pid, result)``, with a pool broken by a dead worker said in words."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise BrokenProcessPool(_BROKEN) from exc


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


class DaskExecutor:
    """Runs tasks on a Dask distributed cluster: an existing one, or a local one for the call.

    With ``scheduler`` (an address such as ``tcp://host:8786``) the tasks go to that
    cluster, whose workers must have this package installed (the same version: task
    keys include it). Without it a :class:`distributed.LocalCluster` of ``workers``
    single-threaded worker processes is started when a batch starts and closed when it
    ends. The scheduler reruns the task of a worker that dies (up to its
    ``allowed-failures``); each task's result still reaches the caller once.

    Parameters
    ----------
    workers
        Worker processes of a local cluster (ignored with ``scheduler``; then
        :attr:`workers` is the cluster's thread count when connected).
    scheduler
        Address of an existing scheduler, or ``None`` for a local cluster.
    """

    def __init__(self, workers: int = 2, scheduler: str | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers: got {workers}; allowed: an integer >= 1")
        self._workers = workers
        self.scheduler = scheduler

    @property
    def workers(self) -> int:
        """Worker processes of the local cluster (or as asked, for an existing one)."""
        return self._workers

    def _client(self) -> Any:
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            client = Client(self.scheduler, timeout="20s", set_as_default=False)
            self._workers = max(1, sum(client.nthreads().values()))
            return client, None
        cluster = LocalCluster(
            n_workers=self._workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,  # CRITICAL: a task's error reaches the caller through its future; the
            # workers' own complaints while a cluster is torn down (heartbeats to a closed scheduler) are noise
        )
        return Client(cluster, set_as_default=False), cluster

    def stream(
        self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None
    ) -> Iterator[tuple[int, R]]:
        """Submit the items to the cluster, at most ``in_flight`` at a time; see :meth:`Executor.stream`."""
        from distributed import as_completed

        client, cluster = self._client()
        limit = max(1, in_flight or 2 * self._workers)
        futures: dict[Any, int] = {}
        interrupted = False
        try:
            source = enumerate(items)
            # results are gathered by the client's own thread: this one only waits on the queue,
            # so Ctrl-C never lands inside distributed's sync() (whose cancel path logs a traceback)
            queue = as_completed(loop=client.loop, with_results=True)

            def top_up() -> None:
                while len(futures) < limit:
                    nxt = next(source, None)
                    if nxt is None:
                        return
                    future = client.submit(fn, nxt[1], pure=False)
                    futures[future] = nxt[0]
                    queue.add(future)

            top_up()
            while futures:
                future, result = next(queue)
                index = futures.pop(future)
                future.release()
                yield index, result
                top_up()
        except BaseException:
            interrupted = True
            raise
        finally:
            with _quiet_dask(interrupted):
                for future in futures:
                    future.cancel()
                client.close()
                if cluster is not None:
                    cluster.close()

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_result: OnResult | None = None) -> list[R]:
        """Run ``fn`` over the items on the cluster; see :meth:`Executor.map`."""
        items = list(items)
        results: list[Any] = [None] * len(items)
        for i, result in self.stream(fn, items):
            results[i] = result
            if on_result is not None:
                on_result(i, result)
        return results

    def __repr__(self) -> str:
        where = self.scheduler or f"LocalCluster(n_workers={self._workers})"
        return f"DaskExecutor({where})"


@contextmanager
def _quiet_dask(quiet: bool) -> Iterator[None]:
    """While a cluster is torn down after an interruption, its loggers keep what they find to
    themselves (the caller says in one line what happened; the workers' farewells are noise)."""
    import logging

    names = ("distributed", "tornado", "tornado.application", "asyncio")
    saved = {name: logging.getLogger(name).level for name in names}
    if quiet:
        for name in names:
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


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
