"""Key paths into a scenario: ``regulation.caseload_cap``, ``teams[0].referrals_per_week``.

A key path names one parameter of a scenario the way a planner reads the YAML: keys
joined by dots, a list element by its index in brackets, or every element of a list by
``[*]``. ``run --set`` and ``compare --set`` change a scenario by key path, and every
factor of a sweep (:mod:`caseload_sim.sweep`) is one.

A path is checked against the schema (:class:`caseload_sim.scenario.Scenario`) before
it is used, so a misspelt key is an error that lists the keys allowed there rather
than a parameter silently left at its default. Values are set into the *resolved
document* (the YAML with ``extends:`` merged), which is then validated as a whole: a
value out of range gets the schema's own message. Nothing here mutates its input.

This lives beside :mod:`caseload_sim.scenario` rather than in it: the schema module
holds what a scenario *is*; this one holds how a user points into one.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from caseload_sim.yaml_strict import YamlProblem, load_yaml

__all__ = [
    "ALL",
    "KeyPath",
    "KeyPathError",
    "apply_settings",
    "field_info",
    "get_value",
    "parse_assignment",
    "parse_path",
    "set_value",
]


class _All:
    """The ``[*]`` of a key path: every element of a list."""

    def __repr__(self) -> str:
        return "[*]"


#: Stands for ``[*]`` in a parsed path.
ALL = _All()

_PART = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<index>(\[(\d+|\*)\])*)")


class KeyPathError(ValueError):
    """A key path (or a value set through it) that cannot be used; one line, naming the path."""


@dataclass(frozen=True)
class KeyPath:
    """A parsed key path: its text and its parts (keys, list indices, :data:`ALL`)."""

    text: str
    parts: tuple[str | int | _All, ...]

    def __str__(self) -> str:
        return self.text

    @property
    def column(self) -> str:
        """A name for the path usable as a table column and in SQL: ``teams_referrals_per_week``."""
        pieces = [str(p) if isinstance(p, str | int) else "" for p in self.parts]
        return "_".join(p for p in pieces if p)


def parse_path(text: str, root: type[BaseModel] | None = None) -> KeyPath:
    """Parse ``text`` and check it against the schema.

    Parameters
    ----------
    text
        ``a.b.c``, ``teams[0].x`` or ``teams[*].x``.
    root
        The schema it points into (default :class:`caseload_sim.scenario.Scenario`).

    Raises
    ------
    KeyPathError
        If the text is not a key path, names a key the schema does not have (with the
        keys allowed there), indexes something that is not a list, or stops at a
        section rather than at one parameter.
    """
    if root is None:
        from caseload_sim.scenario import Scenario

        root = Scenario
    if not isinstance(text, str) or not text.strip():
        raise KeyPathError(f"got {text!r}; allowed: a key path such as regulation.caseload_cap")
    parts: list[str | int | _All] = []
    for piece in text.split("."):
        match = _PART.fullmatch(piece)
        if match is None:
            raise KeyPathError(
                f"{text}: {piece!r} is not a key; allowed: keys of letters, digits and '_', "
                "each optionally followed by [N] or [*], joined by '.'"
            )
        parts.append(match["key"])
        for index in re.findall(r"\[(\d+|\*)\]", match["index"]):
            parts.append(ALL if index == "*" else int(index))
    _check_against_schema(text, parts, root)
    return KeyPath(text, tuple(parts))


def _check_against_schema(text: str, parts: Sequence[str | int | _All], root: type[BaseModel]) -> None:
    annotation: Any = root
    for i, part in enumerate(parts):
        done = _text_of(parts[:i]) or "(top level)"
        model = _model_of(annotation)
        if isinstance(part, str):
            if _list_item(annotation) is not None:
                raise KeyPathError(
                    f"{text}: {done} is a list; allowed: {done}[N].{part} (one element) or {done}[*].{part} (every one)"
                )
            if model is None:
                raise KeyPathError(f"{text}: {done} is a value, it has no key {part!r}")
            field = model.model_fields.get(part)
            if field is None:
                allowed = list(model.model_fields)
                close = (
                    difflib.get_close_matches(part, allowed, n=1, cutoff=0.5)
                    or [a for a in allowed if part in a][:1]
                )
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise KeyPathError(f"{text}: {done} has no key {part!r}; {hint}allowed: {', '.join(allowed)}")
            annotation = field.annotation
        else:
            item = _list_item(annotation)
            if item is None:
                raise KeyPathError(f"{text}: {done} is not a list, so it cannot take [{part}]")
            annotation = item
    if _model_of(annotation) is not None or _list_item(annotation) is not None:
        kind = "a list" if _list_item(annotation) is not None else "a section"
        raise KeyPathError(
            f"{text}: names {kind}, not one parameter; allowed: a path down to one value "
            "(for a list, an element [N] or every element [*], then its key)"
        )


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation is (or is ``Optional`` of), if any."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _list_item(annotation: Any) -> Any | None:
    """The item type of a list or tuple annotation (or ``Optional`` of one), if it is one."""
    for candidate in (annotation, *get_args(annotation)):
        if get_origin(candidate) in (list, tuple) and get_args(candidate):
            return get_args(candidate)[0]
    return None


def field_info(path: KeyPath, root: type[BaseModel] | None = None) -> FieldInfo:
    """The schema field a checked key path ends at (its bounds, choices, unit), for forms and docs."""
    if root is None:
        from caseload_sim.scenario import Scenario

        root = Scenario
    annotation: Any = root
    info: FieldInfo | None = None
    for part in path.parts:
        if isinstance(part, str):
            model = _model_of(annotation)
            if model is None:
                raise KeyPathError(f"{path.text}: {part!r} is not inside a section")
            info = model.model_fields[part]
            annotation = info.annotation
        else:  # a list index (or every element): step into the item type
            annotation = _list_item(annotation)
    if info is None:
        raise KeyPathError(f"{path.text}: names no field")
    return info


def _text_of(parts: Sequence[str | int | _All]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, str):
            out += f".{part}" if out else part
        else:
            out += f"[{part}]" if isinstance(part, int) else "[*]"
    return out


def set_value(doc: Mapping[str, Any], path: KeyPath, value: Any) -> dict[str, Any]:
    """A copy of the resolved document ``doc`` with ``value`` at ``path`` (``[*]``: at every element).

    Sections missing from the document are created (they take their defaults otherwise);
    a list element must exist in the document.

    Raises
    ------
    KeyPathError
        If an index is past the end of the document's list, or a list is missing.
    """
    out = copy.deepcopy(dict(doc))
    _set(out, path.parts, value, path, ())
    return out


def _set(
    node: Any, parts: Sequence[str | int | _All], value: Any, path: KeyPath, done: tuple[Any, ...]
) -> None:
    part, rest = parts[0], parts[1:]
    where = _text_of(done) or "(top level)"
    if isinstance(part, str):
        if not isinstance(node, dict):
            raise KeyPathError(f"{path}: {where} is not a mapping in this scenario")
        if not rest:
            node[part] = value
            return
        if node.get(part) is None:
            if isinstance(rest[0], str):
                node[part] = {}
            else:
                raise KeyPathError(
                    f"{path}: the scenario has no {_text_of((*done, part))} list to index; "
                    "allowed: set the list in the scenario file first"
                )
        _set(node[part], rest, value, path, (*done, part))
        return
    if not isinstance(node, list):
        raise KeyPathError(f"{path}: {where} is not a list in this scenario")
    indices = range(len(node)) if part is ALL else [part]
    for index in indices:
        assert isinstance(index, int)
        if index >= len(node):
            raise KeyPathError(
                f"{path}: {where} has {len(node)} element(s), so [{index}] does not exist; "
                f"allowed: [0] to [{len(node) - 1}] or [*]"
            )
        if not rest:
            node[index] = value
        else:
            _set(node[index], rest, value, path, (*done, index))


def get_value(scenario: BaseModel, path: KeyPath) -> Any:
    """The value at ``path`` in a validated scenario (defaults included).

    For ``[*]`` the elements' values must agree; a path whose elements differ raises
    :class:`KeyPathError` (there is no single value to report).
    """
    values = _get(scenario, path.parts)
    distinct = {repr(v) for v in values}
    if len(distinct) != 1:
        raise KeyPathError(f"{path}: the elements differ ({', '.join(sorted(distinct))}); no single value")
    return values[0]


def _get(node: Any, parts: Sequence[str | int | _All]) -> list[Any]:
    if not parts:
        return [node.value if isinstance(node, Enum) else node]
    part, rest = parts[0], parts[1:]
    if isinstance(part, str):
        return _get(getattr(node, part), rest)
    items = list(node)
    chosen = items if part is ALL else [items[part]] if isinstance(part, int) and part < len(items) else []
    return [v for item in chosen for v in _get(item, rest)]


def parse_assignment(text: str, source: str = "--set") -> tuple[KeyPath, Any]:
    """``PATH=VALUE`` parsed: the checked path and the value read as YAML (``12``, ``1.5``, ``none``).

    Raises
    ------
    KeyPathError
        Naming ``source``, the text and what is allowed.
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise KeyPathError(f"{source}: got {text!r}; allowed: PATH=VALUE, e.g. regulation.caseload_cap=12")
    try:
        path = parse_path(key.strip())
    except KeyPathError as exc:
        raise KeyPathError(f"{source}: {exc}") from None
    if not raw.strip():
        raise KeyPathError(f"{source} {key.strip()}: no value given; allowed: PATH=VALUE")
    try:
        value = load_yaml(raw)
    except YamlProblem as exc:
        raise KeyPathError(f"{source} {key.strip()}: cannot read the value {raw!r}: {exc}") from None
    return path, value


def apply_settings(doc: Mapping[str, Any], settings: Sequence[tuple[KeyPath, Any]]) -> dict[str, Any]:
    """``doc`` with every ``(path, value)`` set in order (a later setting wins)."""
    out = dict(doc)
    for path, value in settings:
        out = set_value(out, path, value)
    return out
