"""The SimPy world of job specialists and their caseloads (one replication = one world).

``simulate(scenario, seed, replication)`` builds a :class:`World`, runs it to the end
of the measurement window and returns its :class:`~caseload_sim.events.EventLog`.
The same (scenario, seed, replication) always gives the same log.
"""

from __future__ import annotations

from caseload_sim.events import EventLog
from caseload_sim.model.world import Candidate, Specialist, Team, World
from caseload_sim.scenario import Scenario

__all__ = ["Candidate", "Specialist", "Team", "World", "build_world", "simulate"]


def build_world(scenario: Scenario, seed: int, replication: int = 0) -> World:
    """A ready-to-run world (for callers that step the environment themselves)."""
    return World(scenario, seed, replication)


def simulate(scenario: Scenario, seed: int, replication: int = 0) -> EventLog:
    """Run one replication of ``scenario`` and return its event log."""
    return World(scenario, seed, replication).run()
