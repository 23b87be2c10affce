"""Shared fixtures: tiny scenario files, and a stand-in model for testing the plumbing.

The experiment and CLI layers only wire things together, so most of their tests run
against :func:`fake_engine`, a deterministic stand-in for ``caseload_sim.model`` and
``caseload_sim.metrics`` that costs microseconds per replication. Tests that take the
``real_engine`` fixture use the real model and metrics instead — and real worker
processes, which cannot see a monkeypatched fake.

The suite runs the **pure-Python model** (``CASELOAD_SIM_PURE=1``, set here before
anything imports it, and inherited by every worker and CLI process a test starts): its
lines are what coverage measures and what tests may monkeypatch. The compiled model that
users run (:mod:`caseload_sim.accelerate`) is checked against it, bit for bit, in
``tests/test_compiled.py``.
"""

from __future__ import annotations

import math
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ["CASELOAD_SIM_PURE"] = "1"  # see the module docstring; tests/test_compiled.py lifts it

import caseload_sim  # noqa: E402
from caseload_sim.events import EventKind, EventLog, EventRecorder  # noqa: E402
from caseload_sim.scenario import Scenario  # noqa: E402

_PACKAGE = Path(caseload_sim.__file__).parent
ENGINE_PRESENT = (_PACKAGE / "model" / "__init__.py").exists() and (_PACKAGE / "metrics.py").exists()


TINY_YAML = """\
name: tiny
description: One team of two specialists, a trickle of referrals, two months.
teams:
  - name: solo
    specialists: 2
    referrals_per_week: 0.5
run:
  warmup_days: 0
  horizon_days: 60
"""

BAD_YAML = """\
name: broken
teams:
  - name: solo
    specialists: 0
    referals_per_week: 0.5
"""


@pytest.fixture
def tiny_yaml(tmp_path: Path) -> Path:
    """A valid, very small scenario file (fast with the real model too)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_YAML, encoding="utf-8")
    return path


@pytest.fixture
def bad_yaml(tmp_path: Path) -> Path:
    """A scenario with two schema problems: 0 specialists and a misspelt key."""
    path = tmp_path / "broken.yaml"
    path.write_text(BAD_YAML, encoding="utf-8")
    return path


@dataclass
class FakeEngine:
    """What the stand-in model and metrics did, for assertions."""

    kpi_names: tuple[str, ...] = ("work_12m", "wait_days_mean", "stress_p90")
    calls: list[tuple[str, int, int]] = field(default_factory=list)
    fail_on: int | None = None


def fake_simulate(engine: FakeEngine) -> Callable[[Scenario, int, int], EventLog]:
    """A 'model' whose log is a pure function of (scenario name, seed, replication)."""

    def simulate(scenario: Scenario, seed: int, replication: int = 0) -> EventLog:
        engine.calls.append((scenario.name, seed, replication))
        if engine.fail_on == replication:
            raise RuntimeError(f"model failed in replication {replication}")
        rng = np.random.default_rng([seed, replication])
        rec = EventRecorder()
        times = np.sort(rng.uniform(0.0, scenario.run.horizon_days, size=int(rng.integers(1, 6))))
        for cand, t in enumerate(times):
            rec.append((float(t), int(EventKind.REFERRAL), 0, -1, cand, 0, 0, 0.0))
            rec.append((float(t), int(EventKind.INTAKE), 0, 0, cand, 1, 0, float(rng.exponential(5.0))))
        return rec.finish(
            {
                "scenario": scenario.name,
                "seed": seed,
                "replication": replication,
                "window_start": 0.0,
                "window_end": scenario.run.horizon_days,
            }
        )

    return simulate


def fake_compute_kpis(log: EventLog) -> dict[str, float]:
    """KPIs of the fake log; ``stress_p90`` is undefined (NaN) in every third replication."""
    intakes = log.of_kind(EventKind.INTAKE)
    rep = int(log.meta["replication"])
    return {
        "work_12m": len(intakes) / 10.0,
        "wait_days_mean": float(intakes["value"].mean()),
        "stress_p90": math.nan if rep % 3 == 0 else float(log.events["time"].max()),
    }


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """Replace ``caseload_sim.model`` and ``caseload_sim.metrics`` in this process."""
    engine = FakeEngine()
    model = types.ModuleType("caseload_sim.model")
    model.simulate = fake_simulate(engine)  # type: ignore[attr-defined]
    metrics = types.ModuleType("caseload_sim.metrics")
    metrics.compute_kpis = fake_compute_kpis  # type: ignore[attr-defined]
    metrics.KPI_NAMES = engine.kpi_names  # type: ignore[attr-defined]
    metrics.kpi_range = lambda kpi: None  # type: ignore[attr-defined]  # the fake KPIs have no bounds
    if ENGINE_PRESENT:  # the weekly series and curve are pure functions of any log: the real ones serve
        import caseload_sim.metrics as real
        from caseload_sim.metrics import SERIES_VARIABLES, employment_curve, weekly_series

        metrics.weekly_series = weekly_series  # type: ignore[attr-defined]
        metrics.SERIES_VARIABLES = SERIES_VARIABLES  # type: ignore[attr-defined]
        metrics.employment_curve = employment_curve  # type: ignore[attr-defined]
        # anything else (the KPI words' name lists, directions) is the real module's
        metrics.__getattr__ = lambda name: getattr(real, name)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "caseload_sim.model", model)
    monkeypatch.setitem(sys.modules, "caseload_sim.metrics", metrics)
    return engine


@pytest.fixture
def real_engine() -> tuple[str, ...]:
    """The real KPI names; skips the test while the model or metrics are not written yet."""
    if not ENGINE_PRESENT:
        pytest.skip("caseload_sim.model / caseload_sim.metrics not written yet")
    from caseload_sim.metrics import KPI_NAMES

    return tuple(KPI_NAMES)


@pytest.fixture(scope="session")
def browser() -> Any:
    """Headless Chromium (Debian's, under Playwright) shared by the browser tests; skips without chromium."""
    from browser import browser_session

    yield from browser_session()
