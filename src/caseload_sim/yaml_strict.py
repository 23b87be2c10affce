"""Reading a scenario file strictly: plain YAML data, bounded, every failure a clear message.

A scenario is a small mapping of numbers, strings, lists and mappings. What this
reader accepts is exactly that, and it refuses — with the line, and never with the
file's content beyond the offending line — everything else a YAML library would
quietly do:

- **only regular files**, at most :data:`MAX_BYTES`, UTF-8, no NUL byte (a FIFO, a
  device, ``/dev/zero``, a directory or a symlink loop is refused before it is read);
- **no duplicate keys** (the second would silently win): both lines are named;
- **no tags** (``!!int abc``, ``!!timestamp``, ``!python/...``): a scenario has only
  plain scalars; and no YAML 1.1 merge keys (``<<``): ``extends:`` is the way to
  inherit;
- **no dates**: ``2024-02-30`` is read as the string it looks like, not a timestamp;
- **bounded aliases**: anchors and aliases may repeat a value, but not refer to
  themselves, and the document they expand to may hold at most :data:`MAX_VALUES`
  values and :data:`MAX_DEPTH` levels (a few hundred bytes of nested aliases can
  otherwise stand for billions of values);
- any other failure while reading a value (an integer over Python's 4,300 digits, ...)
  is the same kind of error, with its line.

:func:`load_yaml` raises :class:`YamlProblem` with a one-line message; the scenario
loader adds the file's name.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_VALUES", "YamlProblem", "load_yaml", "path_text", "read_text"]

MAX_BYTES = 1_000_000  # a scenario is a few kilobytes; the shipped ones are under 3 kB
MAX_DEPTH = 32  # levels of nesting (the schema needs 4)
MAX_VALUES = 100_000  # values after aliases are expanded (the baseline has about 30)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


class YamlProblem(ValueError):
    """A file that is not a plain, bounded YAML document; the message is one line."""


def read_text(path: Path) -> str:
    """The file's text, if it is a regular UTF-8 file of at most :data:`MAX_BYTES` without NUL bytes."""
    try:
        info = os.stat(path)  # follows symlinks; a loop or a bad name fails here
    except FileNotFoundError:
        raise YamlProblem(f"file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise YamlProblem(f"cannot read {path_text(path)}: {_reason(exc)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise YamlProblem(f"{path_text(path)} is not a regular file; allowed: a scenario YAML file")
    if info.st_size > MAX_BYTES:
        raise YamlProblem(f"the file has {info.st_size:,} bytes; allowed: at most {MAX_BYTES:,}")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YamlProblem(f"cannot read {path_text(path)}: {_reason(exc)}") from None
    if len(data) > MAX_BYTES:
        raise YamlProblem(f"the file has more than {MAX_BYTES:,} bytes; allowed: at most {MAX_BYTES:,}")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise YamlProblem(f"not valid YAML: line {line}: a NUL byte; allowed: UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlProblem(
            f"not valid YAML: line {line}: not UTF-8 text (byte {exc.start}); allowed: UTF-8"
        ) from None


def load_yaml(text: str) -> Any:
    """Parse one plain YAML document under the rules of this module."""
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)  # the reader checks the characters here
        node = loader.get_single_node()
        if node is None:
            return None
        _check_shape(node)
        return loader.construct_document(node)
    except YamlProblem:
        raise
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlProblem(
            f"not valid YAML: line {line}: {exc.reason} (character #x{exc.character:04x})"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "not valid YAML"
        raise YamlProblem(f"not valid YAML: {where}{problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(
            f"not valid YAML: {str(exc).splitlines()[0] if str(exc) else 'unreadable'}"
        ) from None
    except RecursionError:
        raise YamlProblem(f"nested too deeply; allowed: at most {MAX_DEPTH} levels") from None
    finally:
        if loader is not None:
            loader.dispose()


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without timestamps, tags, merge keys or duplicate keys; values read with their line."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            mark = event.start_mark
            raise YamlProblem(
                f"line {mark.line + 1}: the tag {tag!r} is not allowed; a scenario holds plain values only"
            )
        return super().compose_node(parent, index)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (YamlProblem, yaml.YAMLError, RecursionError):
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise YamlProblem(
                f"line {node.start_mark.line + 1}: cannot read the value: {_reason(exc)}"
            ) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE:
                raise YamlProblem(f"line {line}: merge keys (<<) are not allowed; use extends: to inherit")
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlProblem(f"line {line}: a key must be a plain value, got a {type(key).__name__}")
            if key in seen:
                raise YamlProblem(
                    f"line {line}: the key {key!r} again (first on line {seen[key]}); allowed: each key once"
                )
            seen[key] = line
            out[key] = self.construct_object(value_node, deep=deep)
        return out


# dates stay strings: a scenario has none, and a typo in one must not end in a traceback
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _check_shape(root: Node) -> None:
    """Refuse alias cycles, and documents that expand beyond :data:`MAX_VALUES` or :data:`MAX_DEPTH`.

    Sizes are counted on the node graph with memoisation, so the check is linear in the
    file even when aliases make the expanded document exponentially large.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_VALUES:
                raise YamlProblem(
                    f"line {node.start_mark.line + 1}: aliases expand the document to more than "
                    f"{MAX_VALUES:,} values; allowed: at most {MAX_VALUES:,}"
                )
            if depth[key] > MAX_DEPTH:
                raise YamlProblem(
                    f"line {node.start_mark.line + 1}: nested {depth[key]} levels deep; allowed: at most {MAX_DEPTH}"
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlProblem(f"line {node.start_mark.line + 1}: an alias refers to the value it is part of")
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise YamlProblem(
                    f"line {child.start_mark.line + 1}: an alias refers to the value it is part of"
                )
            if id(child) not in size:
                stack.append((child, False))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    assert isinstance(node, ScalarNode)
    return []


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def path_text(path: Path) -> str:
    """A path as a message shows it: control characters escaped, at most 300 characters."""
    text = str(path)
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= 300 else text[:297] + "..."
