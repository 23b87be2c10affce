"""Performance benchmark: one replication of a scenario against a bare SimPy loop.

What is measured
----------------
1. **The model.** One replication of ``--scenario`` (default ``scenarios/national.yaml``:
   ~550 specialists in 100 teams, 2-year warm-up + 3 measured years) is stepped to
   ``world.end_time`` with ``while env.peek() < end: env.step()`` and then
   ``world.finish()`` turns the recorded rows into columns. The model's time is the
   stepping loop *plus* ``finish()`` (both are reported, and their sum is the figure
   used); building the world is reported but not counted.
2. **A bare SimPy loop** of the same size, run afterwards in the same process: one
   source process starts ``processes_started - 1`` worker processes staggered over
   the run, and each worker yields a fixed number of ``env.timeout(d)`` with ``d``
   taken from a list of exponential draws generated *before* timing (so random
   numbers cost nothing in the loop). Worker lengths and delays are chosen so that
   the bare loop makes the same number of ``env.step()`` calls, starts the same
   number of processes and keeps a similar number of events pending in the heap
   (the heap size sets the cost of every push and pop) as the model.

Both loops are driven by the same function, which counts events as ``env.step()``
calls and samples the heap size ``len(env._queue)`` every 1000 steps; both run with
the cyclic garbage collector disabled (as ``World.run()`` does) and restored after.
A short bare warm-up runs first, so imports and interpreter caches don't bias either;
then one model run sizes the bare loop (and warms the model's code paths).

Each round times the model *between two bare loops* (the previous round's and its
own) and divides by their mean, so a machine that speeds up or slows down during
the call moves both sides of the ratio alike. ``--repeat K`` runs K rounds and
reports the round with the median ratio: on a busy machine the fastest model and
the fastest bare loop often come from different moments, and their ratio from two
lucky (or unlucky) draws. ``--profile`` runs the model once more under cProfile
(top 25 by tottime to stderr), after the timed runs, so it does not touch the figures.

Why the ratio
-------------
Seconds depend on the machine, its load and the Python build; the bare loop pays
the same interpreter, the same SimPy scheduler and the same heap operations on the
same machine at the same moment, so that noise largely cancels in

    ratio = model seconds / bare seconds,

which is then what the model costs per event *on top of* SimPy's own machinery.
Targets: ratio <= 3 and peak RSS <= 1 GB. Figures are printed, never asserted.

The last line of output is always::

    ratio_vs_bare_simpy=<x> events=<n> seconds=<s> peak_rss_mb=<m>

(events and seconds are the model's; peak_rss_mb is the process's peak resident set).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import pstats
import resource
import sys
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import psutil
import simpy

from caseload_sim.model import build_world
from caseload_sim.scenario import Scenario, load_scenario

SAMPLE_EVERY = 1000  # steps between heap-size samples
REPO = Path(__file__).resolve().parent.parent

T = TypeVar("T")


@dataclass(frozen=True)
class LoopStats:
    """What one timed stepping loop did."""

    events: int  # env.step() calls
    seconds: float
    mean_heap: float  # mean len(env._queue), sampled every SAMPLE_EVERY steps


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic GC for the block (after a full collection) and restore it after."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def drive(env: simpy.Environment, until: float) -> LoopStats:
    """Step ``env`` while its next event is before ``until``; the same loop for model and bare."""
    peek, step = env.peek, env.step
    queue: list[Any] = env._queue  # SimPy's event heap (private, read-only here)
    n = 0
    heap_sum = 0
    samples = 0
    t0 = time.perf_counter()
    while peek() < until:
        step()
        n += 1
        if not n % SAMPLE_EVERY:
            heap_sum += len(queue)
            samples += 1
    seconds = time.perf_counter() - t0
    return LoopStats(n, seconds, heap_sum / samples if samples else float(len(queue)))


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def rss_mb() -> float:
    """Current resident set size of this process, in MiB."""
    return float(psutil.Process().memory_info().rss) / (1024 * 1024)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class ModelRun:
    loop: LoopStats
    build_seconds: float
    finish_seconds: float
    processes: int
    end_time: float
    log_rows: int
    rss_mb: tuple[float, float, float]  # current RSS after build, after the loop, after finish()

    @property
    def seconds(self) -> float:
        return self.loop.seconds + self.finish_seconds


def run_model(scenario: Scenario, seed: int, profiler: cProfile.Profile | None = None) -> ModelRun:
    """One replication, stepped to ``end_time``, then ``finish()``; optionally under cProfile."""
    world, build_s = timed(lambda: build_world(scenario, seed, 0))
    rss_build = rss_mb()
    with gc_paused():
        if profiler is not None:
            profiler.enable()
        loop = drive(world.env, world.end_time)
        rss_loop = rss_mb()
        log, finish_s = timed(world.finish)
        if profiler is not None:
            profiler.disable()
    rss = (rss_build, rss_loop, rss_mb())
    return ModelRun(loop, build_s, finish_s, world.processes_started, world.end_time, len(log), rss)


# --------------------------------------------------------------------------- bare SimPy


@dataclass(frozen=True)
class BarePlan:
    """A bare loop sized to ``events`` steps, ``processes`` processes and ``heap`` pending events."""

    events: int
    processes: int
    heap: float
    horizon: float = 1000.0  # over which the workers are started (arbitrary time unit)

    @property
    def workers(self) -> int:
        return self.processes - 1

    @property
    def timeouts(self) -> int:
        """Worker timeouts, so that the step count comes out exactly at ``events``.

        Steps: the source makes 1 (start) + ``workers`` (its stagger timeouts) + 1 (end);
        each worker makes 1 (start) + its timeouts + 1 (end).
        """
        return self.events - (self.workers + 2) - 2 * self.workers

    def bounds(self) -> np.ndarray:
        """Worker ``i`` takes draws ``bounds[i]:bounds[i + 1]`` (spread as evenly as integers allow)."""
        return np.arange(self.workers + 1, dtype=np.int64) * self.timeouts // self.workers

    def check(self) -> None:
        if self.workers < 1 or self.timeouts < self.workers:
            raise SystemExit(f"bare loop: {self.events} events are too few for {self.processes} processes")


def scale_for_heap(plan: BarePlan, unit: np.ndarray) -> float:
    """The delay scale ``c`` (delays are ``c * unit``) giving a mean heap of ``plan.heap``.

    Every event time of the bare loop is known in advance: worker ``i`` starts at
    ``i * gap`` and fires at the running sums of its delays. Each live worker has one
    timeout pending (and the source one more), so the mean heap seen at the events is
    the mean number of live workers at the event times, computed here with numpy and
    matched to the target by a fixed-point iteration on ``c`` (it converges in a few
    steps: the heap grows a little less than proportionally to ``c``).
    """
    bounds = plan.bounds()
    gap = plan.horizon / plan.workers
    starts = np.arange(plan.workers) * gap
    owner = np.repeat(np.arange(plan.workers), np.diff(bounds))
    csum = np.cumsum(unit)
    within = csum - np.concatenate(([0.0], csum))[bounds[:-1]][owner]  # running sum per worker
    lengths = within[bounds[1:] - 1]
    target = max(plan.heap - 1.0, 1.0)  # the source's stagger timeout is the other pending event

    def mean_live(c: float) -> float:
        t = starts[owner] + c * within
        ends = np.sort(starts + c * lengths)
        return float(np.mean(np.searchsorted(starts, t, "right") - np.searchsorted(ends, t, "left")))

    c = target * plan.horizon / (plan.workers * float(lengths.mean()))  # plateau estimate
    for _ in range(20):
        live = mean_live(c)
        if abs(live / target - 1.0) < 1e-4:
            break
        c *= target / live
    return c


def build_bare(plan: BarePlan, seed: int) -> simpy.Environment:
    """An environment holding the bare workload of ``plan`` (nothing run yet)."""
    plan.check()
    unit = np.random.default_rng(seed).exponential(1.0, plan.timeouts)
    draws: list[float] = (unit * scale_for_heap(plan, unit)).tolist()
    bounds: list[int] = plan.bounds().tolist()
    gap = plan.horizon / plan.workers
    env = simpy.Environment()
    timeout = env.timeout

    def worker(first: int, last: int) -> Generator[simpy.Event, Any, None]:
        for d in draws[first:last]:
            yield timeout(d)

    def source() -> Generator[simpy.Event, Any, None]:
        process = env.process
        for i in range(plan.workers):
            process(worker(bounds[i], bounds[i + 1]))
            yield timeout(gap)

    env.process(source())
    return env


def run_bare(plan: BarePlan, seed: int) -> LoopStats:
    env = build_bare(plan, seed)
    with gc_paused():
        return drive(env, math.inf)


# --------------------------------------------------------------------------- main


def print_profile(profiler: cProfile.Profile, top: int = 25) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(pstats.SortKey.TIME).print_stats(top)
    print(out.getvalue(), file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scenario",
        type=Path,
        default=REPO / "scenarios" / "national.yaml",
        help="scenario file (default: scenarios/national.yaml)",
    )
    parser.add_argument("--seed", type=int, default=1, help="root seed (replication 0; default 1)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of (model, bare); the round with the median ratio is reported (default 1; 3+ on a busy machine)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run the model once more under cProfile; top 25 functions by tottime to stderr",
    )
    args = parser.parse_args(argv)
    rounds = max(args.repeat, 1)

    scenario = load_scenario(args.scenario)  # once: every run in this process uses the same scenario
    print(f"bench: {args.scenario}  seed={args.seed}  replication=0  rounds={rounds}")
    print(
        f"python {sys.version.split()[0]}  simpy {simpy.__version__}  "
        f"cyclic GC disabled during both timed loops (as World.run does)  rss_at_start={rss_mb():.0f} MB"
    )

    # Warm-up: a small bare loop, so imports and interpreter caches bias neither measurement.
    run_bare(BarePlan(events=20_000, processes=1_200, heap=300.0), args.seed)

    # An untimed-for-the-result model run sizes the bare loop; then each round times the
    # model between two bare loops (the round before's and its own), so that a machine
    # speeding up or slowing down during the call moves both sides of the ratio alike.
    first = run_model(scenario, args.seed)
    plan = BarePlan(events=first.loop.events, processes=first.processes, heap=first.loop.mean_heap)
    before = run_bare(plan, args.seed)
    rounds_run: list[tuple[ModelRun, LoopStats, float, float]] = []
    for k in range(rounds):
        m = run_model(scenario, args.seed)
        if m.loop.events != first.loop.events:
            print(f"WARNING: round {k + 1} made {m.loop.events} events, the sizing run {first.loop.events}")
        after = run_bare(plan, args.seed)
        bare_s = (before.seconds + after.seconds) / 2
        rounds_run.append((m, after, bare_s, m.seconds / bare_s))
        if rounds > 1:
            print(
                f"round {k + 1}: bare {before.seconds:.3f} s  model {m.seconds:.3f} s  bare {after.seconds:.3f} s  "
                f"ratio {m.seconds / bare_s:.2f}"
            )
        before = after
    # the round with the median ratio (the lower middle one for an even number of rounds)
    m, b, bare_s, ratio = sorted(rounds_run, key=lambda r: r[3])[(len(rounds_run) - 1) // 2]
    us = 1e6 / max(m.loop.events, 1)
    print(
        f"model  events={m.loop.events:,}  processes={m.processes:,}  mean_heap={m.loop.mean_heap:,.0f}  "
        f"end_time={m.end_time:g} days  log_rows={m.log_rows:,}"
    )
    print(
        f"model  build={m.build_seconds:.3f} s (not counted)  loop={m.loop.seconds:.3f} s  "
        f"finish={m.finish_seconds:.3f} s  total={m.seconds:.3f} s  "
        f"{m.seconds * us:.2f} µs/event (loop only {m.loop.seconds * us:.2f})"
    )
    print("model  rss after build / loop / finish = {:.0f} / {:.0f} / {:.0f} MB".format(*m.rss_mb))
    print(
        f"bare   events={b.events:,}  processes={m.processes:,}  mean_heap={b.mean_heap:,.0f}  "
        f"(events off by {100 * (b.events - m.loop.events) / m.loop.events:+.3f} %)"
    )
    print(
        f"bare   seconds={bare_s:.3f} s (mean of the loops before and after the model)  "
        f"{1e6 * bare_s / max(b.events, 1):.2f} µs/event"
    )

    rss = peak_rss_mb()
    print(f"result ratio={ratio:.2f} (target <= 3)  peak_rss={rss:.1f} MB (target <= 1024)")

    if args.profile:
        sys.stdout.flush()
        print("profile: the model once more under cProfile (figures above are unprofiled)", file=sys.stderr)
        profiler = cProfile.Profile()
        p = run_model(scenario, args.seed, profiler)
        print(
            f"profiled run: events={p.loop.events:,}  loop={p.loop.seconds:.3f} s  finish={p.finish_seconds:.3f} s",
            file=sys.stderr,
        )
        print_profile(profiler)

    print(
        f"ratio_vs_bare_simpy={ratio:.3f} events={m.loop.events} seconds={m.seconds:.3f} peak_rss_mb={rss:.1f}"
    )


if __name__ == "__main__":
    main()
