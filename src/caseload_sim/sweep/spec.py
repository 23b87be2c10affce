"""Experiment files: which scenario to sweep, which parameters, by which design.

An experiment file is YAML, read by the same strict reader as scenarios
(:mod:`caseload_sim.yaml_strict`) and validated by a frozen schema that refuses
unknown keys. It names

- ``scenario``: the base scenario file, relative to the experiment file (its own
  ``extends:`` resolves as usual), and optional fixed ``set:`` changes to it;
- ``factors``: parameters to vary, each a key path into the scenario
  (:mod:`caseload_sim.keypaths`: ``regulation.caseload_cap``,
  ``teams[*].referrals_per_week``) with ``levels`` (a list of values) or a ``range``
  (low and high; ``scale: log`` samples it evenly in the logarithm, ``integer: true``
  rounds to whole numbers; ``steps`` gives a grid's number of levels over a range);
- ``design``: ``grid`` (every combination of levels), ``oat`` (one factor at a time
  from the base scenario's own values), ``lhs`` (a Latin hypercube of ``samples``
  points), ``sobol`` (``base_samples`` rows of a scrambled Sobol' sequence in the
  A/B/AB_i layout that Sobol indices need: N (d + 2) points) or ``morris``
  (``trajectories`` one-at-a-time paths on a ``levels``-level grid: r (d + 1) points);
- ``replications`` per point and the root ``seed``: replication *r* uses the same
  seed at every point (common random numbers), so differences between points are not
  blurred by different random draws;
- ``kpis``: the KPIs of interest for the per-point summaries and the analysis (all
  KPIs are stored).

A factor given by ``levels`` in a sampled design (lhs, sobol, morris) is categorical:
the unit interval is cut into as many equal parts as there are levels.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from caseload_sim.keypaths import KeyPath, KeyPathError, parse_path
from caseload_sim.scenario import ScenarioError, validation_problems
from caseload_sim.yaml_strict import YamlProblem, load_yaml, read_text

__all__ = ["DesignSpec", "ExperimentError", "ExperimentFile", "FactorSpec", "load_experiment"]

_NAME = r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$"
_COLUMN = r"^[A-Za-z_][A-Za-z0-9_]*$"
MAX_POINTS = 1_000_000
MAX_TASKS = 10_000_000


class ExperimentError(ScenarioError):
    """An experiment file that cannot be used: one line per problem, each naming the file."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Scalar = bool | int | float | str


class FactorSpec(_Frozen):
    """One parameter to vary."""

    path: str = Field(description="Key path into the scenario, e.g. regulation.caseload_cap.")
    name: str | None = Field(
        None,
        max_length=64,
        pattern=_COLUMN,
        description="Column name in the results (default: the path's keys joined by '_').",
    )
    levels: tuple[Scalar, ...] | None = Field(None, min_length=1, max_length=10_000)
    range: tuple[float, float] | None = None
    steps: int | None = Field(None, ge=2, le=10_000, description="Levels of a grid over a range.")
    scale: Literal["linear", "log"] = "linear"
    integer: bool = False

    @field_validator("range", mode="before")
    @classmethod
    def _range_numbers(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and any(isinstance(v, bool | str) for v in value):
            raise ValueError("allowed: two numbers [low, high], written without quotes")
        return value

    @field_validator("path")
    @classmethod
    def _a_key_path(cls, value: str) -> str:
        try:
            parse_path(value)
        except KeyPathError as exc:
            raise ValueError(str(exc).removeprefix(f"{value}: ")) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FactorSpec:
        if (self.levels is None) == (self.range is None):
            raise ValueError(
                "give either levels (a list of values) or range ([low, high]), not both or neither"
            )
        if self.range is not None:
            low, high = self.range
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"range: got {list(self.range)}; allowed: two finite numbers, low < high")
            if self.scale == "log" and low <= 0:
                raise ValueError(f"range: got {list(self.range)}; allowed with scale: log: low > 0")
            if self.integer and math.floor(high) < math.ceil(low):
                raise ValueError(f"range: got {list(self.range)}; it holds no whole number (integer: true)")
        elif self.steps is not None or self.scale != "linear" or self.integer:
            raise ValueError("steps, scale and integer apply to a range, not to levels")
        if self.levels is not None and len({repr(v) for v in self.levels}) != len(self.levels):
            raise ValueError(f"levels: got {list(self.levels)}; allowed: distinct values")
        return self

    @property
    def key_path(self) -> KeyPath:
        """The parsed path."""
        return parse_path(self.path)

    @property
    def column(self) -> str:
        """The factor's column in plan and results."""
        return self.name or self.key_path.column


DesignKind = Literal["grid", "oat", "lhs", "sobol", "morris"]
_OPTIONS: dict[str, tuple[str, ...]] = {
    "grid": (),
    "oat": (),
    "lhs": ("samples",),
    "sobol": ("base_samples",),
    "morris": ("trajectories", "levels"),
}


class DesignSpec(_Frozen):
    """How the points are chosen."""

    kind: DesignKind
    samples: int | None = Field(None, ge=2, le=MAX_POINTS, description="lhs: number of points.")
    base_samples: int | None = Field(
        None, ge=4, le=MAX_POINTS, description="sobol: rows N of the A and B matrices, a power of 2."
    )
    trajectories: int | None = Field(None, ge=2, le=10_000, description="morris: number of trajectories r.")
    levels: int | None = Field(None, ge=2, le=100, description="morris: grid levels p (default 4).")
    seed: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Seed of the sampled design (default: the experiment's seed)."
    )

    @model_validator(mode="after")
    def _options_fit_the_kind(self) -> DesignSpec:
        allowed = _OPTIONS[self.kind]
        given = [
            k for k in ("samples", "base_samples", "trajectories", "levels") if getattr(self, k) is not None
        ]
        extra = [k for k in given if k not in allowed]
        if extra:
            raise ValueError(
                f"{', '.join(extra)} do(es) not apply to a {self.kind} design; allowed: {', '.join(allowed) or 'no options'}"
            )
        required = {"lhs": "samples", "sobol": "base_samples", "morris": "trajectories"}.get(self.kind)
        if required is not None and getattr(self, required) is None:
            raise ValueError(f"{required}: required for a {self.kind} design")
        n = self.base_samples
        if n is not None and n & (n - 1):
            raise ValueError(
                f"base_samples: got {n}; allowed: a power of 2 (Sobol' points balance only then)"
            )
        return self


class ExperimentFile(_Frozen):
    """A whole experiment file."""

    name: str = Field(min_length=1, max_length=80, pattern=_NAME, description="Names the output folder.")
    description: str = Field("", max_length=4000)
    scenario: str = Field(min_length=1, description="The base scenario, relative to the experiment file.")
    set: dict[str, Any] = Field(
        default_factory=dict, description="Fixed changes to the base: key path -> value."
    )
    factors: tuple[FactorSpec, ...] = Field(min_length=1, max_length=100)
    design: DesignSpec
    replications: int = Field(10, ge=1, le=100_000)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    kpis: tuple[str, ...] | None = Field(None, min_length=1)

    @field_validator("replications", "seed", mode="before")
    @classmethod
    def _whole_numbers(cls, value: Any) -> Any:
        if isinstance(value, bool | str | float):
            raise ValueError("allowed: a whole number, written without quotes")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> ExperimentFile:
        columns = [f.column for f in self.factors]
        twice = sorted({c for c in columns if columns.count(c) > 1})
        if twice:
            raise ValueError(f"factors: two factors share the column {', '.join(twice)}; give one a name")
        paths = [f.path for f in self.factors]
        if len(set(paths)) != len(paths):
            raise ValueError("factors: a path is named twice")
        reserved = {"point", "replication", "seed", "key", "chunk", "block", "block_index", "row", "kpi"}
        clash = sorted(set(columns) & reserved | {c for c in columns if c.startswith("u_")})
        if clash:
            raise ValueError(
                f"factors: the column name(s) {', '.join(clash)} are reserved; give the factor a name"
            )
        if self.design.kind == "grid":
            for f in self.factors:
                if f.levels is None and f.steps is None:
                    raise ValueError(f"factors: {f.path}: a grid needs levels, or a range with steps")
        if self.design.kind == "oat":
            for f in self.factors:
                if f.levels is None and f.steps is None:
                    raise ValueError(f"factors: {f.path}: one-at-a-time needs levels, or a range with steps")
        for path in self.set:
            try:
                parse_path(path)
            except KeyPathError as exc:
                raise ValueError(f"set: {exc}") from None
        if self.kpis is not None:
            from caseload_sim.experiment import kpi_names

            known = kpi_names()
            unknown = [k for k in self.kpis if k not in known]
            if unknown:
                raise ValueError(f"kpis: unknown {', '.join(unknown)}; allowed: {', '.join(known)}")
        return self

    def scenario_path(self, experiment_path: Path) -> Path:
        """The base scenario's file, resolved against the experiment file's folder."""
        return experiment_path.parent / self.scenario


def load_experiment(path: str | Path) -> ExperimentFile:
    """Read and validate an experiment file.

    Raises
    ------
    ExperimentError
        One line per problem, naming the file, the key path, the value and what is allowed.
    """
    path = Path(path)
    source = str(path)
    try:
        doc = load_yaml(read_text(path))
    except YamlProblem as exc:
        raise ExperimentError(source, [str(exc)]) from None
    if not isinstance(doc, dict):
        raise ExperimentError(
            source, ["top level: allowed: a mapping of keys (name, scenario, factors, design, ...)"]
        )
    try:
        return ExperimentFile.model_validate(doc)
    except ValidationError as exc:
        raise ExperimentError(source, validation_problems(exc, ExperimentFile)) from None
