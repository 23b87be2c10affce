"""What differs between two scenarios, in words.

Two scenario files can look quite different — one may ``extends:`` the other and name
only the lever it moves, the other may spell everything out — and still describe
nearly the same world. :func:`scenario_diff` compares the two *resolved* scenarios
(after ``extends:`` and with every default filled in), parameter by parameter, and
says each difference in one line: the key path, the first scenario's value, an arrow,
the second's value, then the parameter's unit and meaning from the schema
(:func:`caseload_sim.scenario.parameter_table`)::

    regulation.caseload_cap: 15 → 12 (candidates per FTE) — Caseload cap per ...

Teams are a list, so they are compared position by position and named by number and
name — ``team 1 (east): specialists 5 → 10 (persons) — ...`` — and a team present in
only one scenario is reported as added or removed with all its settings. A team's
scheduled staffing and referral changes are compared the same way (``change 1``,
``referral change 2``).

The scenario's ``name`` and ``description`` are labels, not parameters, and are not
compared. Everything here is pure: it returns lines; the CLI prints them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeGuard

from caseload_sim.scenario import Scenario, parameter_table

__all__ = ["LABEL_KEYS", "Change", "format_value", "scenario_changes", "scenario_diff"]

#: Top-level keys that label a scenario rather than set a parameter; not compared.
LABEL_KEYS: tuple[str, ...] = ("name", "description")

_ARROW = "→"
_PROVENANCE_TAG = re.compile(r"\s*\[[SLA]\]\s*$")  # "... [S]": provenance belongs to the docs


@cache
def _schema() -> dict[str, tuple[str, str]]:
    """Dotted parameter path (``teams[].specialists``) -> (unit, meaning)."""
    return {
        row["parameter"]: (row["unit"], _PROVENANCE_TAG.sub("", row["meaning"])) for row in parameter_table()
    }


def format_value(value: Any) -> str:
    """A scenario value as a planner would write it in YAML.

    Whole floats lose their ``.0`` (``1095.0`` -> ``1095``); other floats keep the
    shortest form that reads back exactly, so two different values never look alike.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, Mapping):
        return "(" + ", ".join(f"{k} {format_value(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def _explain(schema_path: str) -> str:
    """`` (unit) — meaning`` for a parameter, or nothing if the schema does not describe it."""
    unit, meaning = _schema().get(schema_path, ("", ""))
    text = f" ({unit})" if unit and unit != "-" else ""
    return f"{text} — {meaning}" if meaning else text


@dataclass(frozen=True)
class Change:
    """One parameter that differs between two scenarios.

    ``label`` names it (``regulation.caseload_cap``, ``team 1 (east): specialists``),
    ``schema_path`` is its row in the parameter table (``teams[].specialists``; ``""`` for
    a team added or removed), ``before`` and ``after`` its values as written in YAML
    (for a record added or removed: ``after`` or ``before`` is ``"added (...)"`` /
    ``"removed (...)"`` and the other ``""``).
    """

    label: str
    schema_path: str
    before: str
    after: str
    in_item: bool = False

    @property
    def unit(self) -> str:
        """The parameter's unit from the schema (``""`` if none or not described)."""
        unit = _schema().get(self.schema_path, ("", ""))[0]
        return "" if unit == "-" else unit

    @property
    def about(self) -> str:
        """What the parameter is, without the values: ``key.path (unit) — meaning``."""
        return f"{self.label}{_explain(self.schema_path)}" if self.schema_path else self.label

    @property
    def line(self) -> str:
        """The change in one line: ``key.path: A → B (unit) — meaning``."""
        if not self.schema_path:
            return f"{self.label}: {self.after or self.before}"
        sep = (
            " " if self.in_item else ": "
        )  # "team 1 (x): specialists 5 → 10" / "run.horizon_days: 365 → 730"
        return f"{self.label}{sep}{self.before} {_ARROW} {self.after}{_explain(self.schema_path)}"


def _change(label: str, schema_path: str, a: Any, b: Any, in_item: bool) -> Change:
    return Change(label, schema_path, format_value(a), format_value(b), in_item)


def _is_record_list(value: Any) -> TypeGuard[list[Mapping[str, Any]]]:
    return isinstance(value, list) and all(isinstance(item, Mapping) for item in value)


def _compare_mappings(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    schema_prefix: str,
    lead: str,
    in_item: bool = False,
    skip: Sequence[str] = (),
) -> list[Change]:
    """Lines for the keys of two mappings that differ; nested mappings and record lists recurse.

    ``schema_prefix`` is the dotted path used to look the keys up in the schema
    (``teams[].``); ``lead`` is how a line starts (``regulation.`` or ``team 1 (x): ``);
    ``in_item`` says the mappings are items of a list (a team, a staffing change).
    """
    lines: list[Change] = []
    for key in [*a, *(k for k in b if k not in a)]:
        if key in skip:
            continue
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        if isinstance(va, Mapping) and isinstance(vb, Mapping):
            lines.extend(_compare_mappings(va, vb, f"{schema_prefix}{key}.", f"{lead}{key}.", in_item))
        elif _is_record_list(va) and _is_record_list(vb) and (va or vb):
            noun = (
                "team" if (schema_prefix, key) == ("", "teams") else key.removesuffix("s").replace("_", " ")
            )
            lines.extend(_compare_records(va, vb, noun, f"{schema_prefix}{key}[].", lead))
        else:
            lines.append(_change(f"{lead}{key}", f"{schema_prefix}{key}", va, vb, in_item))
    return lines


def _compare_records(
    a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]], noun: str, schema_prefix: str, lead: str
) -> list[Change]:
    """Lines for two lists of records (teams, staffing changes), compared position by position."""
    lines: list[Change] = []
    for i in range(max(len(a), len(b))):
        item = a[i] if i < len(a) else b[i]
        name = item.get("name")
        label = f"{lead}{noun} {i + 1}" + (f" ({name})" if name is not None else "")
        if i >= len(a):
            lines.append(Change(label, "", "", f"added {format_value(_without(b[i], 'name'))}"))
        elif i >= len(b):
            lines.append(Change(label, "", f"removed {format_value(_without(a[i], 'name'))}", ""))
        else:
            lines.extend(_compare_mappings(a[i], b[i], schema_prefix, f"{label}: ", in_item=True))
    return lines


def _without(record: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


def scenario_diff(a: Scenario, b: Scenario) -> list[str]:
    """What differs between two resolved scenarios, one line per changed parameter.

    Parameters
    ----------
    a, b
        Validated scenarios (``extends:`` already resolved, as by
        :func:`caseload_sim.scenario.load_scenario`).

    Returns
    -------
    list of str
        In schema order: ``key.path: A → B (unit) — meaning`` for each changed
        parameter; for teams ``team i (name): key A → B (unit) — meaning``, ``team i
        (name): added (...)`` or ``... removed (...)``. Empty when the two worlds are
        the same (their names and descriptions may still differ).
    """
    return [change.line for change in scenario_changes(a, b)]


def scenario_changes(a: Scenario, b: Scenario) -> list[Change]:
    """What :func:`scenario_diff` says, as :class:`Change` records (for tables of many scenarios)."""
    return _compare_mappings(a.model_dump(mode="json"), b.model_dump(mode="json"), "", "", skip=LABEL_KEYS)
