"""Designs: where in the factor space a sweep puts its points.

Every design first chooses points in the unit cube [0, 1]^d — one coordinate per
factor, kept in the plan as ``u_<factor>`` — and then maps each coordinate to the
factor's value (:func:`factor_value`): evenly over a range (or over its logarithm for
``scale: log``), to whole numbers for ``integer: true``, or to one of ``levels`` by
cutting the unit interval into equal parts. Keeping the unit coordinates lets the
analysis work in one scale for every factor (Morris' elementary effects are per unit
of that scale).

- ``grid``: every combination of each factor's levels.
- ``oat``: the base scenario's own values, then each factor through its levels with
  the others held at the base.
- ``lhs``: a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`).
- ``sobol``: a scrambled Sobol' sequence of 2d dimensions (:class:`scipy.stats.qmc.Sobol`)
  cut into the matrices A and B (N rows each), then for each factor i the matrix AB_i:
  A with column i taken from B. That is the layout of Saltelli (2010) for first- and
  total-order indices: N (d + 2) points. Rows j of A, B and every AB_i belong together.
- ``morris``: r trajectories of d + 1 points on a p-level grid (Morris 1991): from a
  random grid point, each factor in random order moves by Δ = p / (2 (p - 1)), up or
  down as the grid allows.

Sampled designs draw from a :class:`numpy.random.Generator` seeded by the design's
seed, so the same file always gives the same points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from caseload_sim.keypaths import KeyPathError, get_value
from caseload_sim.scenario import Scenario
from caseload_sim.sweep.spec import MAX_POINTS, ExperimentError, ExperimentFile, FactorSpec

__all__ = ["DESIGN_COLUMNS", "design_points", "factor_levels", "factor_value"]

#: Columns of a design table before the factors: which point, and its place in the design.
DESIGN_COLUMNS = ("point", "block", "block_index", "row")


def factor_value(factor: FactorSpec, u: float) -> Any:
    """The factor's value at unit coordinate ``u`` in [0, 1]."""
    u = min(max(float(u), 0.0), 1.0)
    if factor.levels is not None:
        k = len(factor.levels)
        return factor.levels[min(int(u * k), k - 1)]
    assert factor.range is not None
    low, high = factor.range
    if factor.integer:
        first, last = math.ceil(low), math.floor(high)
        n = last - first + 1
        return int(first + min(int(u * n), n - 1))
    if factor.scale == "log":
        return float(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))
    return float(low + u * (high - low))


def factor_levels(factor: FactorSpec) -> list[tuple[float, Any]]:
    """A grid's levels of one factor: ``(unit coordinate, value)`` pairs, in order."""
    if factor.levels is not None:
        k = len(factor.levels)
        return [((i + 0.5) / k, v) for i, v in enumerate(factor.levels)]
    assert factor.range is not None and factor.steps is not None
    low, high = factor.range
    out: list[tuple[float, Any]] = []
    for u in np.linspace(0.0, 1.0, factor.steps):
        if factor.scale == "log":
            value: Any = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        else:
            value = low + u * (high - low)
        if factor.integer:
            value = int(round(value))
            if out and out[-1][1] == value:
                continue
        out.append((float(u), float(value) if not factor.integer else value))
    return out


def _frame(
    spec: ExperimentFile,
    units: np.ndarray,
    blocks: Sequence[str],
    block_index: Sequence[int],
    rows: Sequence[int],
) -> pd.DataFrame:
    n = len(units)
    if n > MAX_POINTS:
        raise ExperimentError("design", [f"the design has {n:,} points; allowed: at most {MAX_POINTS:,}"])
    frame = pd.DataFrame(
        {
            "point": np.arange(n, dtype=np.int64),
            "block": pd.array(list(blocks), dtype="string"),
            "block_index": np.asarray(block_index, dtype=np.int64),
            "row": np.asarray(rows, dtype=np.int64),
        }
    )
    for i, factor in enumerate(spec.factors):
        frame[factor.column] = _values_column(factor, [factor_value(factor, u) for u in units[:, i]])
    for i, factor in enumerate(spec.factors):
        frame[f"u_{factor.column}"] = units[:, i].astype(np.float64)
    return frame


def _values_column(factor: FactorSpec, values: Sequence[Any]) -> Any:
    """One factor's values as a column of one type (int64, float64, bool or string)."""
    if factor.levels is None:
        return np.asarray(values, dtype=np.int64 if factor.integer else np.float64)
    kinds = {type(v) for v in factor.levels}
    if kinds <= {int}:
        return np.asarray(values, dtype=np.int64)
    if kinds <= {int, float}:
        return np.asarray(values, dtype=np.float64)
    if kinds == {bool}:
        return np.asarray(values, dtype=bool)
    return pd.array([str(v) for v in values], dtype="string")


def design_points(spec: ExperimentFile, base: Scenario) -> pd.DataFrame:
    """The experiment's points: :data:`DESIGN_COLUMNS`, one column per factor (its value) and
    one ``u_<factor>`` column per factor (its unit coordinate).

    ``base`` is the base scenario (with the experiment's ``set:`` applied); a
    one-at-a-time design starts from its values.
    """
    design = spec.design
    d = len(spec.factors)
    seed = design.seed if design.seed is not None else spec.seed
    rng = np.random.default_rng(seed)
    if design.kind == "grid":
        per_factor = [factor_levels(f) for f in spec.factors]
        combos = list(itertools.islice(itertools.product(*per_factor), MAX_POINTS + 1))
        units = np.array([[u for u, _ in combo] for combo in combos], dtype=float).reshape(len(combos), d)
        frame = _frame(spec, units, ["grid"] * len(units), [-1] * len(units), range(len(units)))
        # a grid's values are its levels exactly (the unit coordinate of a level is its position)
        for i, factor in enumerate(spec.factors):
            frame[factor.column] = _values_column(factor, [combo[i][1] for combo in combos])
        return frame
    if design.kind == "oat":
        return _one_at_a_time(spec, base)
    if design.kind == "lhs":
        assert design.samples is not None
        units = qmc.LatinHypercube(d=d, rng=rng).random(design.samples)
        return _frame(spec, units, ["lhs"] * len(units), [-1] * len(units), range(len(units)))
    if design.kind == "sobol":
        assert design.base_samples is not None
        n = design.base_samples
        both = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random(n)
        a, b = both[:, :d], both[:, d:]
        parts, blocks, index, rows = [a, b], ["A"] * n + ["B"] * n, [-1] * (2 * n), [*range(n), *range(n)]
        for i in range(d):
            ab = a.copy()
            ab[:, i] = b[:, i]
            parts.append(ab)
            blocks += ["AB"] * n
            index += [i] * n
            rows += list(range(n))
        return _frame(spec, np.vstack(parts), blocks, index, rows)
    assert design.trajectories is not None
    return _morris(spec, design.trajectories, design.levels or 4, rng)


def _morris(spec: ExperimentFile, r: int, p: int, rng: np.random.Generator) -> pd.DataFrame:
    d = len(spec.factors)
    delta = p / (2.0 * (p - 1))
    grid = np.arange(p) / (p - 1)
    units, index, rows = [], [], []
    for t in range(r):
        x = rng.choice(grid, size=d)
        units.append(x.copy())
        index.append(t)
        rows.append(0)
        for step, i in enumerate(rng.permutation(d), start=1):
            up = x[i] + delta <= 1.0 + 1e-12
            down = x[i] - delta >= -1e-12
            x[i] = x[i] + delta if up and (not down or rng.random() < 0.5) else x[i] - delta
            x[i] = min(max(x[i], 0.0), 1.0)
            units.append(x.copy())
            index.append(t)
            rows.append(step)
    return _frame(spec, np.array(units), ["morris"] * len(units), index, rows)


def _one_at_a_time(spec: ExperimentFile, base: Scenario) -> pd.DataFrame:
    base_values = []
    for factor in spec.factors:
        try:
            base_values.append(get_value(base, factor.key_path))
        except KeyPathError as exc:
            raise ExperimentError(
                "factors", [f"{factor.path}: no base value for one-at-a-time: {exc}"]
            ) from None
    levels = [factor_levels(f) for f in spec.factors]
    base_units = []
    for value, pairs in zip(base_values, levels, strict=True):
        match = [u for u, v in pairs if v == value]
        base_units.append(match[0] if match else math.nan)
    points: list[tuple[list[float], list[Any], int]] = [(base_units, base_values, -1)]
    for i, pairs in enumerate(levels):
        for u, value in pairs:
            if value == base_values[i]:
                continue
            units = list(base_units)
            units[i] = u
            values = list(base_values)
            values[i] = value
            points.append((units, values, i))
    frame = pd.DataFrame(
        {
            "point": np.arange(len(points), dtype=np.int64),
            "block": pd.array(["oat"] * len(points), dtype="string"),
            "block_index": np.array([i for _, _, i in points], dtype=np.int64),
            "row": np.arange(len(points), dtype=np.int64),
        }
    )
    for i, factor in enumerate(spec.factors):
        frame[factor.column] = _values_column(factor, [values[i] for _, values, _ in points])
    for i, factor in enumerate(spec.factors):
        frame[f"u_{factor.column}"] = np.array([units[i] for units, _, _ in points], dtype=np.float64)
    return frame
