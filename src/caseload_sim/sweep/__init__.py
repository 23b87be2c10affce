"""Parameter sweeps: experiment files, designs, the plan, the results store, query and sensitivity.

The flow, each step a plain hand-off::

    experiment file (spec) -> points (designs) -> tasks (plan) -> chunks on an executor (runner)
        -> parts in the results store (store) -> sensitivity tables and the sweep report

From Python (the ``__main__`` guard matters: local worker processes are *spawned* and
import the calling script; without the guard each would start the sweep again)::

    from caseload_sim.executors import ProcessExecutor
    from caseload_sim.sweep import analyze, load_experiment, load_store, make_plan, run_sweep

    if __name__ == "__main__":
        path = "experiments/cap_by_referrals.yaml"
        plan = make_plan(load_experiment(path), path)
        run_sweep(plan, "out/cap_by_referrals", ProcessExecutor(2), resume=True)
        analysis = analyze(load_store("out/cap_by_referrals"))
        print("\\n".join(analysis.findings))

The submodules are imported on first use, so ``import caseload_sim.sweep`` stays cheap.
"""

from __future__ import annotations

from caseload_sim.lazy import lazy_attributes

__all__ = ["analyze", "load_experiment", "load_store", "make_plan", "run_sweep"]

_WHERE = {
    "analyze": "caseload_sim.sweep.sensitivity",
    "load_store": "caseload_sim.sweep.sensitivity",
    "load_experiment": "caseload_sim.sweep.spec",
    "make_plan": "caseload_sim.sweep.plan",
    "run_sweep": "caseload_sim.sweep.runner",
}


__getattr__ = lazy_attributes(__name__, _WHERE)
