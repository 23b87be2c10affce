"""Performance benchmark: one replication of a scenario against a bare SimPy loop.

What is measured
----------------
1. **The model.** One replication of ``--scenario`` (default ``scenarios/national.yaml``:
   ~550 specialists in 100 teams, 3-year warm-up + 3 measured years) is stepped to
   ``world.end_time`` with ``while env.peek() < end: env.step()`` and then
   ``world.finish()`` turns the recorded rows into columns. The model's time is the
   stepping loop *plus* ``finish()`` (both are reported, and their sum is the figure
   used); building the world is reported but not counted.
2. **A bare SimPy loop** of the same size: one source process starts
   ``processes_started - 1`` worker processes staggered over the run, and each worker
   yields a fixed number of ``env.timeout(d)`` with ``d`` taken from a list of
   exponential draws generated *before* timing (so random numbers cost nothing in the
   loop). Worker lengths and delays are chosen so that the bare loop makes the same
   number of ``env.step()`` calls, starts the same number of processes and keeps a
   similar number of events pending in the heap (the heap size sets the cost of every
   push and pop) as the model.

How it is timed
---------------
All times are **CPU time** of this process (``time.process_time()``: what the
interpreter actually ran, not the wall clock, so time spent descheduled by other jobs
on a shared machine does not count). The model and the bare loop are **interleaved**:
both environments are built, then the driver steps the model for a slice of
``CHUNK_EVENTS`` events, then the bare loop for the same number of events, and so on
until both are done, adding each slice's CPU time to its own side. A slowdown of the
machine (another job sharing the caches, memory bandwidth or clock speed) lasting
longer than a slice therefore hits both sides alike and cancels in the ratio. Slices
are 20,000 events (about 150 ms of model, 50 ms of bare loop, ~40 pairs a round): each
switch makes the resuming side refill its caches, and the bare loop, small and
cache-resident on its own, pays that relatively most; at 2,000-event slices it ran
~10 % slower than alone, at 20,000 the bias on the ratio is about -0.5 %. (A scenario
of fewer than 20,000 events runs as one slice a side, i.e. not interleaved.)

Both sides go through the same stepping code (``Stepper.advance``), whose per-step
work is exactly that of a plain ``while peek() < until: step()`` loop: it counts
events as ``env.step()`` calls and samples the heap size ``len(env._queue)`` every
``SAMPLE_EVERY`` steps; the end of a slice is checked only at those samples, so
slicing adds nothing per step. The cyclic garbage collector is disabled for the
whole interleaved loop (as ``World.run()`` does) and restored after; ``finish()``
runs after the loop, timed alone. A short bare warm-up runs first, so imports and
interpreter caches don't bias either; then one model run on its own (not
interleaved, not counted) sizes the bare loop, warms the model's code paths and
gives the memory figures: the RSS after build / loop / finish and the peak RSS on the
last line are the model's alone, before any full-size bare loop exists in the process.

``--repeat K`` runs K interleaved rounds and reports the round with the median ratio.
``--profile`` runs the model once more under cProfile (top 25 by tottime to stderr),
after the timed runs, so it does not touch the figures. Extra sections (see
``sweep_figures``) print just before the last line; ``--no-sweep`` skips them.

Why the ratio
-------------
Seconds depend on the machine, its load and the Python build; the bare loop pays
the same interpreter, the same SimPy scheduler and the same heap operations on the
same machine at the same moment, so that noise largely cancels in

    ratio = model CPU seconds / bare CPU seconds,

which is then what the model costs per event *on top of* SimPy's own machinery.
Targets: ratio <= 3 and peak RSS <= 1 GB. Figures are printed, never asserted.

The last line of output is always::

    ratio_vs_bare_simpy=<x> events=<n> seconds=<s> peak_rss_mb=<m>

(events and seconds are the model's, seconds in CPU time; peak_rss_mb is the
process's peak resident set after the model's sizing run).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import pstats
import resource
import statistics
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

from caseload_sim import accelerate
from caseload_sim.model import build_world
from caseload_sim.scenario import Scenario, load_scenario

SAMPLE_EVERY = 1000  # steps between heap-size samples
# Events per interleaved slice (a multiple of SAMPLE_EVERY): about 150 ms of model and
# 50 ms of bare loop. Each switch costs the side that resumes roughly 0.5-1 ms of cache
# refill in its first 1000 events; at 20k events that is ~1 % of the bare loop's time and
# ~0.5 % of the ratio; 2k-event slices made the bare loop ~10 % slower.
CHUNK_EVENTS = 20 * SAMPLE_EVERY
CLOCK = time.process_time  # CPU time of the process (the model is single-threaded)
REPO = Path(__file__).resolve().parent.parent

T = TypeVar("T")


@dataclass(frozen=True)
class LoopStats:
    """What one timed stepping loop did."""

    events: int  # env.step() calls
    seconds: float  # CPU seconds
    mean_heap: float  # mean len(env._queue), sampled every SAMPLE_EVERY steps


class Stepper:
    """Steps one environment in slices, adding each slice's CPU time to ``seconds``.

    The per-step work is that of ``while peek() < until: step()`` with an event counter
    and a heap sample every ``SAMPLE_EVERY`` steps; a slice ends at the first sample at
    or past its quota (so slices are multiples of ``SAMPLE_EVERY``) or when the next
    event is at or after ``until``. Model and bare loop use this same code.
    """

    def __init__(self, env: simpy.Environment, until: float) -> None:
        self.env = env
        self.until = until
        self.events = 0
        self.seconds = 0.0
        self.done = False
        self._heap_sum = 0
        self._samples = 0

    def advance(self, quota: int) -> None:
        """Step about ``quota`` events (rounded up to a multiple of SAMPLE_EVERY), or to the end."""
        env, until = self.env, self.until
        peek, step = env.peek, env.step
        queue: list[Any] = env._queue  # SimPy's event heap (private, read-only here)
        n = self.events
        stop = n + quota
        heap_sum = self._heap_sum
        samples = self._samples
        done = True
        t0 = CLOCK()
        while peek() < until:
            step()
            n += 1
            if not n % SAMPLE_EVERY:
                heap_sum += len(queue)
                samples += 1
                if n >= stop:
                    done = False
                    break
        self.seconds += CLOCK() - t0
        self.events, self._heap_sum, self._samples, self.done = n, heap_sum, samples, done

    def stats(self) -> LoopStats:
        mean_heap = self._heap_sum / self._samples if self._samples else float(len(self.env._queue))
        return LoopStats(self.events, self.seconds, mean_heap)


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
    """Step ``env`` alone while its next event is before ``until`` (one slice, no interleaving)."""
    stepper = Stepper(env, until)
    stepper.advance(sys.maxsize)
    return stepper.stats()


def interleave(a: Stepper, b: Stepper, chunk: int = CHUNK_EVENTS) -> int:
    """Alternate slices of ``chunk`` events of ``a`` and ``b`` until both are done; returns the slice pairs."""
    pairs = 0
    while not (a.done and b.done):
        if not a.done:
            a.advance(chunk)
        if not b.done:
            b.advance(chunk)
        pairs += 1
    return pairs


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and its CPU seconds."""
    t0 = CLOCK()
    out = fn()
    return out, CLOCK() - t0


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
    rss_mb: tuple[float, float, float] | None  # RSS after build, after the loop, after finish() (run alone)

    @property
    def seconds(self) -> float:
        return self.loop.seconds + self.finish_seconds


def run_model(scenario: Scenario, seed: int, profiler: cProfile.Profile | None = None) -> ModelRun:
    """One replication on its own, stepped to ``end_time``, then ``finish()``; optionally under cProfile."""
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


def bare_draws(plan: BarePlan, seed: int) -> list[float]:
    """The bare loop's delays, drawn and scaled once, before any timing."""
    plan.check()
    unit = np.random.default_rng(seed).exponential(1.0, plan.timeouts)
    draws: list[float] = (unit * scale_for_heap(plan, unit)).tolist()
    return draws


def build_bare(plan: BarePlan, draws: list[float]) -> simpy.Environment:
    """An environment holding the bare workload of ``plan`` (nothing run yet)."""
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
    """The bare loop of ``plan`` on its own (used for the warm-up)."""
    env = build_bare(plan, bare_draws(plan, seed))
    with gc_paused():
        return drive(env, math.inf)


# --------------------------------------------------------------------------- one round


@dataclass(frozen=True)
class Round:
    """One interleaved round: the model (loop + finish) against the bare loop."""

    model: ModelRun
    bare: LoopStats
    pairs: int  # slice pairs

    @property
    def ratio(self) -> float:
        return self.model.seconds / self.bare.seconds


def run_round(scenario: Scenario, seed: int, plan: BarePlan, draws: list[float]) -> Round:
    """Build the world and the bare loop, step them in alternating slices, then ``finish()``."""
    world, build_s = timed(lambda: build_world(scenario, seed, 0))
    bare_env = build_bare(plan, draws)
    model = Stepper(world.env, world.end_time)
    bare = Stepper(bare_env, math.inf)
    with gc_paused():
        pairs = interleave(model, bare)
        del bare_env  # done; only its draws (shared by all rounds) stay
        log, finish_s = timed(world.finish)
    run = ModelRun(model.stats(), build_s, finish_s, world.processes_started, world.end_time, len(log), None)
    return Round(run, bare.stats(), pairs)


@dataclass(frozen=True)
class BenchResult:
    sizing: ModelRun  # the model alone (sizes the bare loop; memory figures)
    rounds: list[Round]
    peak_rss_mb: float  # after the sizing run

    @property
    def median(self) -> Round:
        """The round with the median ratio (the lower middle one for an even number of rounds)."""
        return sorted(self.rounds, key=lambda r: r.ratio)[(len(self.rounds) - 1) // 2]


def run_bench(args: argparse.Namespace, scenario: Scenario) -> BenchResult:
    rounds = max(args.repeat, 1)
    # Warm-up: a small bare loop, so imports and interpreter caches bias neither measurement.
    run_bare(BarePlan(events=20_000, processes=1_200, heap=300.0), args.seed)

    # The model alone, once: sizes the bare loop, warms the model's code paths and gives
    # the memory figures before any full-size bare loop shares the process.
    sizing = run_model(scenario, args.seed)
    peak = peak_rss_mb()
    plan = BarePlan(events=sizing.loop.events, processes=sizing.processes, heap=sizing.loop.mean_heap)
    draws = bare_draws(plan, args.seed)

    done: list[Round] = []
    for k in range(rounds):
        r = run_round(scenario, args.seed, plan, draws)
        if r.model.loop.events != sizing.loop.events:
            print(
                f"WARNING: round {k + 1} made {r.model.loop.events} events, the sizing run {sizing.loop.events}"
            )
        if rounds > 1:
            print(
                f"round {k + 1}: model {r.model.seconds:.3f} s  bare {r.bare.seconds:.3f} s  "
                f"({r.pairs} slice pairs)  ratio {r.ratio:.3f}"
            )
        done.append(r)
    return BenchResult(sizing, done, peak)


# --------------------------------------------------------------------------- output


def print_figures(result: BenchResult) -> None:
    """Everything but the last line: µs per event each side, heap sizes, loop/finish times, RSS."""
    r = result.median
    m, b, s = r.model, r.bare, result.sizing
    us = 1e6 / max(m.loop.events, 1)
    if len(result.rounds) > 1:
        ratios = sorted(x.ratio for x in result.rounds)
        print(
            f"rounds ratio min / median / max = {ratios[0]:.3f} / {statistics.median(ratios):.3f} / "
            f"{ratios[-1]:.3f}  (the median round is reported below)"
        )
    print(
        f"model  events={m.loop.events:,}  processes={m.processes:,}  mean_heap={m.loop.mean_heap:,.0f}  "
        f"end_time={m.end_time:g} days  log_rows={m.log_rows:,}"
    )
    print(
        f"model  build={m.build_seconds:.3f} s (not counted)  loop={m.loop.seconds:.3f} s  "
        f"finish={m.finish_seconds:.3f} s  total={m.seconds:.3f} s  "
        f"{m.seconds * us:.2f} µs/event (loop only {m.loop.seconds * us:.2f})"
    )
    print(
        f"model  alone (sizing run, not counted): loop={s.loop.seconds:.3f} s  finish={s.finish_seconds:.3f} s  "
        f"{1e6 * s.loop.seconds / max(s.loop.events, 1):.2f} µs/event loop only"
    )
    if s.rss_mb is not None:
        print(
            "model  rss after build / loop / finish = {:.0f} / {:.0f} / {:.0f} MB (sizing run)".format(
                *s.rss_mb
            )
        )
    print(
        f"bare   events={b.events:,}  processes={m.processes:,}  mean_heap={b.mean_heap:,.0f}  "
        f"(events off by {100 * (b.events - m.loop.events) / m.loop.events:+.3f} %)"
    )
    print(
        f"bare   seconds={b.seconds:.3f} s (interleaved with the model's loop, {r.pairs} slice pairs "
        f"of {CHUNK_EVENTS:,} events)  {1e6 * b.seconds / max(b.events, 1):.2f} µs/event"
    )
    print(
        f"result ratio={r.ratio:.2f} (target <= 3)  peak_rss={result.peak_rss_mb:.1f} MB (target <= 1024)  "
        f"[CPU time; process peak now {peak_rss_mb():.1f} MB]"
    )


def print_profile(profiler: cProfile.Profile, top: int = 25) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(pstats.SortKey.TIME).print_stats(top)
    print(out.getvalue(), file=sys.stderr)


def run_profile(scenario: Scenario, seed: int) -> None:
    sys.stdout.flush()
    print("profile: the model once more under cProfile (figures above are unprofiled)", file=sys.stderr)
    profiler = cProfile.Profile()
    p = run_model(scenario, seed, profiler)
    print(
        f"profiled run: events={p.loop.events:,}  loop={p.loop.seconds:.3f} s  finish={p.finish_seconds:.3f} s",
        file=sys.stderr,
    )
    print_profile(profiler)


def sweep_figures(args: argparse.Namespace) -> list[str]:
    """The sweep figures (``experiments/bench_sweep.py``), printed just before the last line.

    They run after the timed rounds and after ``peak_rss_mb`` was read, so they change
    neither the ratio nor the last line. Skipped with ``--no-sweep``.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_sweep import figures

    return figures()


def print_last_line(result: BenchResult) -> None:
    """The last line of output, in its fixed format (scripts parse it)."""
    r = result.median
    print(
        f"ratio_vs_bare_simpy={r.ratio:.3f} events={r.model.loop.events} "
        f"seconds={r.model.seconds:.3f} peak_rss_mb={result.peak_rss_mb:.1f}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
        help="interleaved rounds of (model, bare); the round with the median ratio is reported (default 1)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run the model once more under cProfile; top 25 functions by tottime to stderr",
    )
    parser.add_argument(
        "--no-sweep",
        action="store_true",
        help="skip the extra sections printed before the last line (sweep_figures)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    scenario = load_scenario(args.scenario)  # once: every run in this process uses the same scenario
    print(f"bench: {args.scenario}  seed={args.seed}  replication=0  rounds={max(args.repeat, 1)}")
    print(f"model: {accelerate.status()}")  # mypyc-compiled or pure Python (the same results)
    print(
        f"python {sys.version.split()[0]}  simpy {simpy.__version__}  CPU time ({CLOCK.__name__})  "
        f"cyclic GC disabled during both timed loops (as World.run does)  rss_at_start={rss_mb():.0f} MB"
    )
    result = run_bench(args, scenario)
    print_figures(result)
    if args.profile:
        run_profile(scenario, args.seed)
    if not args.no_sweep:
        for line in sweep_figures(args):
            print(line)
    print_last_line(result)


if __name__ == "__main__":
    main()
