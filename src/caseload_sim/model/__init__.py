"""The SimPy world of job specialists and their caseloads (one replication = one world).

``simulate(scenario, seed, replication)`` builds a :class:`World`, runs it to the end
of the measurement window and returns its :class:`~caseload_sim.events.EventLog`.
The same (scenario, seed, replication) always gives the same log.

The modules below run compiled to C by mypyc when ``make install`` has built them for
exactly these sources, and as Python otherwise; the results are the same to the last
bit (:mod:`caseload_sim.accelerate`).
"""

from __future__ import annotations

from caseload_sim import accelerate

accelerate.enable(__path__)  # before any submodule is imported

from caseload_sim.events import EventLog  # noqa: E402
from caseload_sim.model.world import Candidate, Specialist, Team, World  # noqa: E402
from caseload_sim.scenario import Scenario  # noqa: E402

__all__ = ["Candidate", "Specialist", "Team", "World", "build_world", "simulate"]


def build_world(scenario: Scenario, seed: int, replication: int = 0) -> World:
    """A ready-to-run world (for callers that step the environment themselves)."""
    return World(scenario, seed, replication)


def simulate(scenario: Scenario, seed: int, replication: int = 0) -> EventLog:
    """Run one replication of ``scenario`` and return its event log."""
    return World(scenario, seed, replication).run()
