"""caseload_sim: a discrete-event simulation of NAV job specialists and their caseloads.

Data flows one way: a validated scenario (:mod:`caseload_sim.scenario`) is simulated
by the model (:mod:`caseload_sim.model`) into an event log (:mod:`caseload_sim.events`);
metrics (:mod:`caseload_sim.metrics`) turn logs into KPIs; experiments
(:mod:`caseload_sim.experiment`) run replications on an executor
(:mod:`caseload_sim.executors`); the command line (:mod:`caseload_sim.cli`) wires it
together. Importing the package itself is cheap: it imports none of these.
"""

__all__ = ["__version__"]

#: The package version; the single source (``pyproject.toml`` reads it from here).
__version__ = "0.1.0"
