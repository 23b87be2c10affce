"""History matching (caseload_sim.calibrate): emulators that recover what they should, implausibility that rules out what it should."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_sim.calibrate import QuadraticEmulator, Target, implausibility, nroy


def _quadratic(u: np.ndarray, c: np.ndarray) -> np.ndarray:
    return c[0] + u @ c[1:3] + c[3] * u[:, 0] ** 2 + c[4] * u[:, 0] * u[:, 1] + c[5] * u[:, 1] ** 2


@settings(max_examples=40, deadline=None)
@given(
    coef=st.lists(st.floats(-5.0, 5.0), min_size=6, max_size=6),
    lower=st.lists(st.floats(-10.0, 10.0), min_size=2, max_size=2),
    width=st.lists(st.floats(0.1, 100.0), min_size=2, max_size=2),
    seed=st.integers(0, 2**32 - 1),
)
def test_an_exact_quadratic_is_recovered_with_no_lack_of_fit(
    coef: list[float], lower: list[float], width: list[float], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    lo, hi = np.array(lower), np.array(lower) + np.array(width)
    u = rng.random((40, 2))
    x = lo + u * (hi - lo)
    c = np.array(coef)
    emulator = QuadraticEmulator.fit(x, _quadratic(u, c), lo, hi)
    test_u = rng.random((25, 2))
    mean, var = emulator.predict(lo + test_u * (hi - lo))
    scale = 1.0 + np.abs(c).sum()
    assert np.allclose(mean, _quadratic(test_u, c), atol=1e-8 * scale), (
        "a quadratic surface is fitted exactly"
    )
    assert emulator.lack_of_fit_var == pytest.approx(0.0, abs=1e-12 * scale**2)
    assert np.all(var >= 0.0) and np.all(var <= 1e-12 * scale**2 + 1e-300), (
        "no residual: no emulator variance"
    )


def test_replication_noise_is_not_counted_as_lack_of_fit() -> None:
    """Per-point means of a linear truth plus noise: the residual is noise, so the lack of fit is near 0."""
    rng = np.random.default_rng(3)
    x = rng.random((400, 3))
    reps = 4
    noise_sd = 0.2
    y = (1.0 + x @ np.array([2.0, -1.0, 0.5]))[:, None] + noise_sd * rng.standard_normal((400, reps))
    noise_of_mean = float(np.mean(y.var(axis=1, ddof=1)) / reps)
    emulator = QuadraticEmulator.fit(x, y.mean(axis=1), [0, 0, 0], [1, 1, 1], noise_of_mean)
    assert emulator.resid_var == pytest.approx(noise_sd**2 / reps, rel=0.2)
    assert emulator.lack_of_fit_var < 0.2 * emulator.resid_var, "the noise of the means is not lack of fit"
    loo = emulator.loo_standardised()
    assert np.mean(np.abs(loo) <= 3.0) > 0.98, "leave-one-out errors of a right emulator are about N(0, 1)"


def test_a_curved_truth_left_over_shows_as_lack_of_fit() -> None:
    x = np.linspace(0.0, 1.0, 60)[:, None]
    y = np.sin(12.0 * x[:, 0])  # far from any quadratic
    emulator = QuadraticEmulator.fit(x, y, [0.0], [1.0])
    assert emulator.lack_of_fit_var > 0.1, "what the surface cannot follow is emulator uncertainty"
    _, var = emulator.predict(x)
    assert np.all(var >= emulator.lack_of_fit_var)


def test_implausibility_rules_out_points_far_from_the_figure_and_keeps_the_truth() -> None:
    rng = np.random.default_rng(5)
    x = rng.random((200, 2))
    truth = np.array([0.3, 0.7])

    def model(p: np.ndarray) -> np.ndarray:
        return np.column_stack([p[:, 0] + 0.5 * p[:, 1], p[:, 0] - p[:, 1] ** 2])

    y = model(x)
    emulators = [QuadraticEmulator.fit(x, y[:, k], [0, 0], [1, 1]) for k in range(2)]
    observed = model(truth[None, :])[0]
    targets = [Target("a", observed[0], 0.02), Target("b", observed[1], 0.02)]
    box = rng.random((20_000, 2))
    preds = [e.predict(box) for e in emulators]
    imp = implausibility(
        targets, np.column_stack([p[0] for p in preds]), np.column_stack([p[1] for p in preds])
    )
    keep = nroy(imp)
    t_pred = [e.predict(truth[None, :]) for e in emulators]
    t_imp = implausibility(
        targets, np.column_stack([p[0] for p in t_pred]), np.column_stack([p[1] for p in t_pred])
    )
    assert nroy(t_imp)[0], "the parameters that made the figures are never ruled out"
    assert 0.0 < keep.mean() < 0.05, "two sharp figures leave a small part of the box"
    near = np.linalg.norm(box[keep] - truth, axis=1)
    assert near.max() < 0.2, "what is left lies around the truth"
    # allowing one figure to miss keeps at least as much
    assert nroy(imp, allow=1).sum() >= keep.sum()


def _script() -> Any:
    path = Path(__file__).resolve().parent.parent / "experiments" / "history_match_trials.py"
    spec = importlib.util.spec_from_file_location("history_match_trials", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_trials_script_finds_the_setting_that_made_its_figures() -> None:
    """experiments/history_match_trials.py on a made-up world whose arms are smooth in the
    parameters: with the figures it would produce at one point as targets, that point is
    not ruled out, it is near the least implausible one, and the next wave's box holds it."""
    hm = _script()
    factors = hm.FACTORS
    lo = np.array([f.low for f in factors])
    hi = np.array([f.high for f in factors])
    rng = np.random.default_rng(11)
    points, reps = 120, 2
    u = rng.random((points, len(factors)))
    x = lo + u * (hi - lo)

    def arms(v: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        """Each arm's KPIs as smooth functions of the scaled parameters (columns of v)."""
        own, assess, hours, loss, early, prot = v.T
        ips = 0.45 + 0.2 * own - 0.1 * loss
        usual = 0.1 + 0.4 * own + 0.1 * hours - 0.05 * assess
        return {
            "validation_ips_trial": {
                "ever_worked_24m": ips,
                "days_to_first_job_mean": 150 + 20 * assess,
                "first_job_months_24m": 11 - 4 * loss - early,
                "months_worked_from_first_job_24m": 14 - 3 * loss - prot,
                "employed_12m": ips - 0.1,
                "employed_24m": ips - 0.1,
            },
            "validation_ips_trial_usual": {
                "ever_worked_24m": usual,
                "days_to_first_job_mean": 200 + 60 * assess,
                "employed_12m": usual,
                "employed_24m": usual,
            },
            "ips_team": {"employed_12m": 0.3 + 0.1 * own - 0.05 * loss, "employed_24m": ips},
            "validation_ips_usual": {"employed_12m": 0.15 + 0.2 * own, "employed_24m": usual},
            "baseline": {"employed_24m": 0.4 + 0.05 * prot},
            "usual_services": {"employed_24m": 0.3 + 0.2 * own},
        }

    values = arms(np.repeat(u, reps, axis=0))
    index = pd.MultiIndex.from_product([range(points), range(reps)], names=["point", "replication"])
    results = {}
    for arm, kpis in values.items():
        frame = pd.DataFrame({f.name: np.repeat(x[:, j], reps) for j, f in enumerate(factors)}, index=index)
        for kpi, v in kpis.items():
            frame[kpi] = v + 0.002 * rng.standard_normal(len(v))  # a little replication noise
        results[arm] = frame
    truth_u = np.full(len(factors), 0.5)
    at_truth = {arm: {k: float(v[0]) for k, v in kp.items()} for arm, kp in arms(truth_u[None, :]).items()}
    targets = []
    for o in hm.OUTPUTS:  # the figures this world makes at the truth, with the script's own sds
        one = {arm: pd.DataFrame({k: [v] for k, v in kp.items()}) for arm, kp in at_truth.items()}
        targets.append(hm.Target(o.target.name, float(o.value(one).iloc[0]), o.target.sd))
    original = hm.OUTPUTS
    try:
        hm.OUTPUTS = tuple(
            hm.Output(t, o.trial, o.label, o.value, o.ratio_of_means)
            for t, o in zip(targets, original, strict=True)
        )
        text, checks, narrowed = hm.analyse(results, factors, seed=1, wave=1, samples=20_000)
    finally:
        hm.OUTPUTS = original
    truth = lo + truth_u * (hi - lo)
    assert "**Wave 1**" in text and "| all three |" in text
    assert narrowed is not None, "the point that made the figures is never ruled out"
    assert all(f.low <= t <= f.high for f, t in zip(narrowed, truth, strict=True)), (
        "the next wave's box holds the truth"
    )
    assert set(checks) == {"the two IPS trials", "all three"}
    assert np.all(np.abs((checks["all three"] - truth) / (hi - lo)) < 0.5)


def test_bad_input_is_refused_with_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="sd > 0"):
        Target("x", 0.5, 0.0)
    with pytest.raises(ValueError, match="one interval"):
        QuadraticEmulator.fit(np.zeros((50, 2)), np.zeros(50), [0.0], [1.0])
    with pytest.raises(ValueError, match="needs more than"):
        QuadraticEmulator.fit(np.random.default_rng(0).random((8, 2)), np.zeros(8), [0, 0], [1, 1])
    with pytest.raises(ValueError, match="one column per target"):
        implausibility([Target("x", 0.5, 0.1)], np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="allow must be between"):
        nroy(np.zeros((3, 2)), allow=2)
