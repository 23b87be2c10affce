"""The sweep benchmark: what running a plan costs beyond its replications (``make bench``).

Printed by ``experiments/bench.py`` before its last line (``--no-sweep`` skips it), or
alone with ``python experiments/bench_sweep.py``. The figures:

1. **Overhead per task, serially**, in CPU time: a sweep of ``TASKS`` baseline
   replications in this process, with the CPU spent inside each replication added up as
   it runs; everything else (plan, chunks, rebuilding each point's scenario, KPI rows,
   parquet parts, manifests, the per-point summary) is the overhead. Measured within one
   run, it is not blurred by the machine's speed changing between two runs (which moves
   a replication's CPU time by up to 10 %). Target: at most 5 % of a replication.
2. **Two local workers**: the driver's own CPU per task (receiving and storing rows),
   and the workers' CPU beyond their replications (they are reaped at the end, so
   ``RUSAGE_CHILDREN`` holds them): start-up, paid once per sweep, and pickling.
3. **Speed-up on 2 workers**: the workers' CPU seconds per wall second while chunks
   flow (read from the worker processes as each chunk is stored), i.e. how many cores
   the sweep keeps busy at the same moment's CPU speed — not skewed by the machine being
   faster during one run than another (target ≥ 1.8×). The ratio of the two runs'
   throughputs is printed beside it, for what it is.
4. **Projected wall time of a 1,000-point Sobol design of 10 replications** (10,000
   baseline tasks): a replication's CPU and the overhead per task from (1), divided by
   the cores kept busy from (3) (target ≤ 6 min). It moves with the machine's speed, as
   a replication's CPU time does. (The throughput between the first and the last stored
   chunk reads a few per cent high on a short sweep: work in flight at the first counts.)
5. **Driver memory is flat**: the peak resident memory (``VmHWM``) of
   ``caseload-sim sweep`` (the driver; workers are other processes) on a 2,000-task and
   a 20,000-task sweep of a tiny scenario, each in its own process. Target: the second
   no higher than the first (within a few MB: the plan table is about 0.2 KB a task).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from caseload_sim.executors import ProcessExecutor, SerialExecutor
from caseload_sim.experiment import run_replication
from caseload_sim.sweep import load_experiment, make_plan, run_sweep

REPO = Path(__file__).resolve().parent.parent
CLOCK = time.process_time
TASKS = 160  # serial overhead: 160 baseline replications (~11 s)
LOCAL_TASKS = 160  # 2 local workers (~6 s)
SOBOL_TASKS = 10_000

EXPERIMENT = """\
name: bench
scenario: {scenario}
factors:
  - {{path: regulation.caseload_cap, name: cap, range: [12, 18], integer: true}}
design: {{kind: lhs, samples: {points}}}
replications: {replications}
seed: 1
kpis: [work_12m]
"""


def _plan(folder: Path, scenario: Path, points: int, replications: int) -> tuple[Path, object]:
    path = folder / f"bench-{points}x{replications}.yaml"
    path.write_text(
        EXPERIMENT.format(scenario=scenario, points=points, replications=replications), encoding="utf-8"
    )
    return path, make_plan(load_experiment(path), path)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _bare(plan: object) -> float:
    """CPU seconds of the plan's replications called directly (same scenarios, seeds, replications)."""
    from caseload_sim.keypaths import apply_settings, parse_path
    from caseload_sim.scenario import scenario_from_dict

    start = CLOCK()
    for chunk in plan.iter_chunks():  # type: ignore[attr-defined]
        for _, settings, runs in chunk.points:
            scenario = scenario_from_dict(
                apply_settings(chunk.base, [(parse_path(p), v) for p, v in settings])
            )
            for replication, _ in runs:
                run_replication(scenario, chunk.seed, replication)
    return CLOCK() - start


def _driver_peak(folder: Path, scenario: Path, points: int, replications: int) -> float:
    path, _ = _plan(folder, scenario, points, replications)
    out = folder / f"store-{points}"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("caseload-sim")),
            "sweep",
            str(path),
            "--out",
            str(out),
            "--workers",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout)["driver_peak_rss_mb"])


class _TimedReplications:
    """Wraps :func:`caseload_sim.experiment.run_replication` to add up the CPU spent inside it."""

    def __init__(self) -> None:
        import caseload_sim.experiment as experiment

        self.module = experiment
        self.original = experiment.run_replication
        self.seconds = 0.0
        self.calls = 0

    def __enter__(self) -> _TimedReplications:
        def timed(*args: object, **kwargs: object) -> object:
            start = CLOCK()
            try:
                return self.original(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                self.seconds += CLOCK() - start
                self.calls += 1

        self.module.run_replication = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self.module.run_replication = self.original  # type: ignore[assignment]


def figures() -> list[str]:
    """The sweep figures, one line each."""
    lines: list[str] = []
    baseline = REPO / "scenarios" / "baseline.yaml"
    with tempfile.TemporaryDirectory(prefix="caseload-sim-bench-") as tmp:
        folder = Path(tmp)
        _, warm = _plan(folder, baseline, 2, 1)
        run_sweep(warm, folder / "warm", SerialExecutor())  # type: ignore[arg-type]  # imports paid once

        # 1. serial: everything but the replications, in the same process and the same moments
        _, plan = _plan(folder, baseline, TASKS // 4, 4)
        with _TimedReplications() as inside:
            start = CLOCK()
            run_sweep(plan, folder / "serial", SerialExecutor())  # type: ignore[arg-type]
            swept = CLOCK() - start
        per_task = inside.seconds / inside.calls
        overhead = (swept - inside.seconds) / TASKS
        chunks = plan.chunks  # type: ignore[attr-defined]
        lines.append(
            f"sweep serial: {TASKS} baseline tasks in {chunks} chunks: {per_task * 1e3:.1f} ms CPU per "
            f"replication, {overhead * 1e3:.2f} ms per task for everything else (plan, chunks, parts, "
            f"manifests, per-point summary) = {overhead / per_task:.1%} (target <= 5 %)"
        )

        # 2. two local workers: the driver's own CPU per task, the workers' start-up, the speed-up
        _, big = _plan(folder, baseline, LOCAL_TASKS // 4, 4)
        stamps: list[tuple[float, int, float]] = []  # wall, tasks stored, the workers' CPU so far
        me = psutil.Process()

        def stamp(done: int, total: int) -> None:
            cpu = 0.0
            for child in me.children(recursive=True):
                try:
                    times = child.cpu_times()
                    cpu += times.user + times.system
                except psutil.Error:
                    pass
            stamps.append((time.perf_counter(), done, cpu))

        cpu0, child0, wall0 = CLOCK(), _children_cpu(), time.perf_counter()
        run_sweep(big, folder / "local", ProcessExecutor(2), progress=stamp)  # type: ignore[arg-type]
        wall = time.perf_counter() - wall0
        driver = CLOCK() - cpu0
        workers = _children_cpu() - child0
        beyond = workers - LOCAL_TASKS * per_task  # start-up and per-task work beyond the replications
        lines.append(
            f"sweep local 2 workers: driver {driver / LOCAL_TASKS * 1e3:.2f} ms CPU per task "
            f"({driver / LOCAL_TASKS / per_task:.1%} of a replication); workers {workers:.1f} s CPU, about "
            f"{beyond:.1f} s of it start-up (two spawned interpreters importing the model, once per sweep) "
            f"and pickling; {LOCAL_TASKS} tasks in {wall:.1f} s wall"
        )
        (t_first, n_first, c_first), (t_last, n_last, c_last) = stamps[1], stamps[-1]
        steady = max(t_last - t_first, 1e-9)
        throughput = (n_last - n_first) / steady
        serial_rate = TASKS / swept
        busy = (c_last - c_first) / steady  # workers' CPU seconds per wall second, in the same moments
        lines.append(
            f"sweep speed-up on 2 workers: {busy:.2f}x (the workers' CPU per wall second while chunks flow: "
            f"a speed-up at the same moment's CPU speed; target >= 1.8x); {throughput:.2f} tasks/s steady "
            f"against {serial_rate:.2f} in the serial run above ({throughput / serial_rate:.2f}x, but from "
            "two moments of a shared machine)"
        )
        projected = SOBOL_TASKS * (per_task + overhead) / busy
        lines.append(
            f"sweep projected: a 1,000-point Sobol design x 10 replications ({SOBOL_TASKS:,} baseline tasks) "
            f"on 2 workers: {projected / 60:.1f} min at {per_task * 1e3:.0f} ms a replication and "
            f"{busy:.2f} cores busy (target <= 6 min)"
        )

        tiny = folder / "tiny.yaml"
        tiny.write_text(
            "name: tiny\nteams:\n  - {name: a, specialists: 1, referrals_per_week: 0.3}\n"
            "run: {warmup_days: 0, horizon_days: 30}\n",
            encoding="utf-8",
        )
        small = _driver_peak(folder, tiny, 200, 10)
        large = _driver_peak(folder, tiny, 2000, 10)
        lines.append(
            f"sweep driver peak memory: {small:.0f} MB for 2,000 tasks, {large:.0f} MB for 20,000 tasks "
            f"({large - small:+.0f} MB; target: no higher)"
        )
    return lines


if __name__ == "__main__":
    for line in figures():
        print(line)
