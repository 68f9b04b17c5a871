"""YAML reading with line numbers, and stable YAML writing.

:func:`read_yaml` returns the data plus a map from a location path
(``("codes", 3, "examples")``) to its 1-based line, so every problem found later
can name the line it comes from. Duplicate mapping keys (which PyYAML would
silently overwrite) are reported as problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import CodebookError

Loc = tuple[str | int, ...]


def read_yaml(path: str | Path) -> tuple[Any, dict[Loc, int], list[tuple[Loc, str]]]:
    """Parse ``path``; return (data, line map, duplicate-key problems)."""
    from pipeline.userfiles import check_yaml_shape, read_text

    file = Path(path)
    if not file.is_file():
        raise CodebookError(
            "codebook file not found", file=file, hint="check the path or the config's `codebook:`."
        )
    text = read_text(file, error=CodebookError, what="codebook file").text
    check_yaml_shape(text, file, error=CodebookError)
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
        node = yaml.compose(text, Loader=loader)
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        unit = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CodebookError(
            f"not valid YAML: {problem}", file=file, unit=unit, hint="fix the YAML syntax."
        ) from None
    lines: dict[Loc, int] = {}
    duplicates: list[tuple[Loc, str]] = []
    if node is not None:
        _walk(node, (), lines, duplicates)
    return data, lines, duplicates


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], dups: list[tuple[Loc, str]]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dups.append(((*loc, key), f"duplicate key {key!r}"))
            seen.add(key)
            _walk(value_node, (*loc, key), lines, dups)
            lines[(*loc, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*loc, index), lines, dups)


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """Line of ``loc`` or of its nearest recorded parent."""
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def format_loc(loc: Loc) -> str:
    """``("codes", 3, "exmples")`` -> ``codes[3].exmples``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<root>"


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )
