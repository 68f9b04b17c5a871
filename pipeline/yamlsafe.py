"""Refusing YAML alias bombs and absurd nesting before any Python object is built.

PyYAML's safe loader is safe against code execution, not against size: nine
levels of anchors, each aliased ten times ("billion laughs"), expand a file of a
few hundred bytes into a billion list items, and ten thousand nested brackets
exhaust the constructor's recursion. :func:`check_yaml` reads the document's
*events* once (the parser is a state machine, so nothing here recurses) and
counts what the aliases would expand to:

* every scalar, alias and collection counts one node; an alias adds the expanded
  size of the node its anchor names (aliases inside that node included);
* the nodes added by aliases may not pass ``max_alias_nodes`` (1,000,000), nor
  ``max_ratio`` (100) times the nodes written in the file once past ``ratio_floor``
  (10,000) — a small config that aliases a block a few times is never near either;
* collections may not nest deeper than ``max_depth`` (100);
* an alias to a collection that contains it (a recursive structure) is refused.

The caller's error class names the file and the line of the alias or collection
that crossed the limit. Syntax errors are left to the caller's own loader, which
reports them in its usual words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.errors import GroundcodeError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
_HINT = "write the repeated parts out instead of nesting aliases; groundcode files are small."


@dataclass(frozen=True)
class YamlLimits:
    max_depth: int = 100
    max_alias_nodes: int = 1_000_000
    max_ratio: float = 100.0
    ratio_floor: int = 10_000


def check_yaml(
    text: str,
    *,
    file: str | Path,
    error: type[GroundcodeError],
    limits: YamlLimits | None = None,
) -> None:
    """Raise ``error`` when ``text`` nests too deep or its aliases expand too far."""
    limits = limits or YamlLimits()
    try:
        _scan(yaml.parse(text, Loader=_LOADER), file, error, limits)
    except yaml.YAMLError:
        # libyaml stops at 1,000 flow levels with a bare syntax error; the pure-Python
        # parser reads on, so the depth limit is reported with its line
        try:
            _scan(yaml.parse(text, Loader=yaml.SafeLoader), file, error, limits)
        except yaml.YAMLError:
            return  # malformed YAML: the caller's loader reports it with its line


def _scan(events, file, error: type[GroundcodeError], limits: YamlLimits) -> None:
    stack: list[list] = []  # per open collection: [anchor, expanded size]
    anchors: dict[str, int] = {}
    written = 0
    from_aliases = 0
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            anchors.clear()
        elif isinstance(event, yaml.CollectionStartEvent):
            written += 1
            if len(stack) >= limits.max_depth:
                raise error(
                    f"YAML nested deeper than {limits.max_depth} levels; refusing to load it",
                    file=file, unit=_line(event), hint="flatten the structure.",
                )
            stack.append([event.anchor, 1])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            _add(stack, anchors, anchor, size)
        elif isinstance(event, yaml.ScalarEvent):
            written += 1
            _add(stack, anchors, event.anchor, 1)
        elif isinstance(event, yaml.AliasEvent):
            written += 1
            name = event.anchor
            if any(frame[0] == name for frame in stack):
                raise error(
                    f"YAML alias *{name} refers to a collection that contains it "
                    "(a recursive structure); refusing to load it",
                    file=file, unit=_line(event), hint=_HINT,
                )
            size = anchors.get(name)
            if size is None:
                continue  # an undefined alias: the loader says so
            from_aliases += size
            over_ratio = (from_aliases > limits.ratio_floor
                          and from_aliases > limits.max_ratio * written)
            if from_aliases > limits.max_alias_nodes or over_ratio:
                raise error(
                    f"YAML aliases expand to at least {from_aliases:,} nodes from "
                    f"{written:,} written (limits: {limits.max_alias_nodes:,} nodes, "
                    f"{limits.max_ratio:g}x the file); refusing to load a possible alias bomb",
                    file=file, unit=f"{_line(event)}, alias *{name}", hint=_HINT,
                )
            _add(stack, anchors, None, size)


def _add(stack: list[list], anchors: dict[str, int], anchor: str | None, size: int) -> None:
    if anchor:
        anchors[anchor] = size
    if stack:
        stack[-1][1] += size


def _line(event: yaml.Event) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}" if mark is not None else "line ?"
