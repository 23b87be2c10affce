"""Package attributes imported on first use (PEP 562).

A package that re-exports names from heavy submodules (plotly for the report, DuckDB and
SALib-style analysis for sweeps) would otherwise import all of them with the package;
:func:`lazy_attributes` gives the module-level ``__getattr__`` that imports each name's
submodule only when the name is first asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``name`` -> the attribute of module ``where[name]``."""

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
