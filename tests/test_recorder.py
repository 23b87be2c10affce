"""The recorder and the candidate streams: how the model stores what it does and draws.

Both are built for speed and memory (rows compacted into columns in batches while the
run goes; a candidate's draws held as doubles, not Python floats). Neither may change
*what* is recorded or drawn: these tests pin that down.
"""

from __future__ import annotations

import gc
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

import caseload_sim.model.world as world_module
from caseload_sim.events import EVENT_DTYPE, WEEK_DTYPE, EventRecorder
from caseload_sim.model import simulate
from caseload_sim.model.clock import Clock
from caseload_sim.streams import (
    GAMMAS_PER_BLOCK,
    OVERFLOW_BLOCK,
    UNIFORMS_PER_BLOCK,
    CandidateSource,
    Purpose,
    Streams,
)
from model_fixtures import load, same_table, shortened


@pytest.mark.parametrize("batch", [1, 97, 1 << 40])
def test_compacting_in_batches_changes_nothing(monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    """Batches of one row, of an odd size, or never (only at the end): the same log, bit for bit."""
    scenario = shortened(load("baseline"), 1500.0, 500.0)  # quits, handovers, deferred rows
    reference = simulate(scenario, seed=5, replication=1)
    monkeypatch.setattr(world_module, "COMPACT_ROWS", batch)
    log = simulate(scenario, seed=5, replication=1)
    assert len(log.events) > 3000 and int(np.sum(log.events["kind"] == 16)) > 0
    assert same_table(log.events, reference.events)
    assert same_table(log.weeks, reference.weeks)
    assert same_table(log.candidates, reference.candidates)


def _row(t: float, kind: int = 4, cand: int = 0) -> tuple[Any, ...]:
    return (t, kind, 0, 1, cand, 2, 1, 0.5)


def _week(t: float) -> tuple[Any, ...]:
    return (t, 0, 1, True, 1.0, 12, 30.0, 28.5, 0.25, 6.0, 0.4, 0.9, 1.5)


@settings(max_examples=60, deadline=None)
@given(
    times=st.lists(st.floats(0.0, 100.0), min_size=0, max_size=40).map(sorted),
    deferred=st.lists(st.floats(0.0, 150.0), max_size=8),
    cuts=st.lists(st.integers(0, 40), max_size=5),
    end=st.floats(50.0, 200.0),
)
def test_recorder_joins_batches_and_merges_deferred_rows(
    times: list[float], deferred: list[float], cuts: list[int], end: float
) -> None:
    """Whatever the batches, rows come out in recording order; deferred rows land in time order."""
    rec = EventRecorder()
    cut_at = set(cuts)
    for i, t in enumerate(times):
        if i in cut_at:
            rec.compact()
        rec.append(_row(t, cand=i))
        rec.weeks.append(_week(t))
    for t in deferred:
        rec.deferred.append(_row(t, kind=16, cand=-1))
    log = rec.finish({"end_time": end})

    assert log.events.dtype == EVENT_DTYPE and log.weeks.dtype == WEEK_DTYPE
    assert np.all(np.diff(log.events["time"]) >= 0)
    recorded = log.events[log.events["kind"] == 4]
    assert recorded["candidate"].tolist() == list(range(len(times)))
    assert sorted(log.events[log.events["kind"] == 16]["time"].tolist()) == sorted(
        t for t in deferred if t < end
    )
    assert log.weeks["time"].tolist() == times
    assert rec.finish({"end_time": end}).events.size == 0  # finish hands everything over once


def test_candidate_rows_are_the_documented_stream() -> None:
    """Candidate i of a team gets row i of the team's generator, consumed from the end by pop()."""
    streams = Streams(seed=11, replication=2)
    shape = 2.0
    source = CandidateSource(
        streams, 3, severity_ab=(2.0, 3.0), rwc_share=0.3, in_work_share=0.4, gamma_shape=shape
    )
    draws = [source.next() for _ in range(130)]  # crosses a refill

    g = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(11, spawn_key=(2, int(Purpose.CANDIDATES), 3)))
    )
    for chunk in range(2):
        sev = g.beta(2.0, 3.0, 128)
        rwc = g.random(128) < 0.3
        inw = g.random(128) < 0.4
        z = g.standard_normal(128)
        u = g.random((128, UNIFORMS_PER_BLOCK))
        gm = g.standard_gamma(shape, (128, GAMMAS_PER_BLOCK)) / shape
        for i in range(128):
            k = chunk * 128 + i
            if k >= len(draws):
                break
            d = draws[k]
            assert d.number == k
            assert (d.severity, d.reduced_capacity, d.in_work, d.readiness_z) == (
                sev[i],
                rwc[i],
                inw[i],
                z[i],
            )
            assert d.uniforms.tolist() == u[i].tolist() and d.gammas.tolist() == gm[i].tolist()

    first = draws[5]
    before = first.uniforms.tolist()
    assert [first.uniforms.pop() for _ in range(3)] == before[::-1][:3]  # handed out from the end


def test_top_up_prepends_the_overflow_block_in_stream_order() -> None:
    streams = Streams(seed=4, replication=0)
    source = CandidateSource(
        streams, 1, severity_ab=(2.0, 3.0), rwc_share=0.3, in_work_share=0.4, gamma_shape=4.0
    )
    d = source.next()
    left = d.uniforms.tolist()
    source.top_up(d.uniforms, d.number, 0, 1)
    more = streams.generator(Purpose.CANDIDATE_OVERFLOW, 1, d.number, 0, 1).random(OVERFLOW_BLOCK).tolist()
    assert d.uniforms.tolist() == more + left  # the old numbers are still used first (pop from the end)
    source.top_up(d.gammas, d.number, 1, 1)
    extra = (
        streams.generator(Purpose.CANDIDATE_OVERFLOW, 1, d.number, 1, 1).standard_gamma(4.0, OVERFLOW_BLOCK)
        / 4.0
    )
    assert d.gammas.tolist()[:OVERFLOW_BLOCK] == extra.tolist()


# --- the model's SimPy environment (caseload_sim.model.clock) ----------------------------


class _SimPysOwn(simpy.Environment):
    """SimPy's environment as it comes, with the name the world calls."""

    def run_to(self, at: float) -> None:
        self.run(until=at)


@pytest.mark.parametrize("name", ["baseline", "national"])
def test_the_model_clock_gives_simpys_own_log(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Clock's tight timeout and loop are SimPy's semantics: the same log, bit for bit."""
    scenario = shortened(load(name), 1500.0, 500.0)
    log = simulate(scenario, seed=3, replication=2)
    monkeypatch.setattr(world_module, "Clock", _SimPysOwn)
    reference = simulate(scenario, seed=3, replication=2)
    assert len(log.events) > 3000
    assert same_table(log.events, reference.events)
    assert same_table(log.weeks, reference.weeks)
    assert same_table(log.candidates, reference.candidates)


@settings(max_examples=40, deadline=None)
@given(
    delays=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 2.5, 3.0]), min_size=1, max_size=12),
    until=st.sampled_from([1.0, 2.5, 3.0, 7.0]),
)
def test_clock_orders_ties_and_stops_as_simpy_does(delays: list[float], until: float) -> None:
    """Same-instant timeouts in scheduling order; events at ``until`` itself are left for later."""

    def trace(env: simpy.Environment, run: Any) -> tuple[list[tuple[float, int]], float, int]:
        seen: list[tuple[float, int]] = []

        def proc(i: int, d: float) -> Any:
            yield env.timeout(d)
            seen.append((env.now, i))
            yield env.timeout(d)
            seen.append((env.now, i))

        for i, d in enumerate(delays):
            env.process(proc(i, d))
        run(env)
        # SimPy leaves its spent stop event in the heap (rescheduled with no callbacks); Clock does not
        pending = [(t, prio) for t, prio, _, event in sorted(env._queue) if event.callbacks]
        return seen, env.now, pending

    ours = trace(Clock(), lambda env: env.run_to(until))
    simpys = trace(simpy.Environment(), lambda env: env.run(until=until))
    assert ours == simpys


def test_clock_raises_as_simpy_does() -> None:
    env = Clock()
    with pytest.raises(ValueError, match="Negative delay"):
        env.timeout(-1.0)

    def fails() -> Any:
        yield env.timeout(1.0)
        raise RuntimeError("in the model")

    env.process(fails())
    with pytest.raises(RuntimeError, match="in the model"):
        env.run_to(5.0)
    with pytest.raises(ValueError, match="greater than the current"):
        Clock().run_to(0.0)


def test_a_replication_leaves_only_its_world_for_the_collector() -> None:
    """The run and the packing of its log happen with the collector paused; nothing of the log
    is left for it (only the world's own small cycle: its posts, processes, candidates)."""
    scenario = shortened(load("baseline"), 1500.0, 500.0)
    gc.collect()
    log = simulate(scenario, seed=1, replication=0)
    gc.collect()
    assert gc.isenabled(), "the run restores the collector"
    assert all(not gc.is_tracked(a) for a in (log.events, log.weeks, log.candidates))
