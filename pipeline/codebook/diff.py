"""What changed between two codebook versions: codes added, removed and changed.

A changed code lists each field that differs (``name.zh``, ``parent``,
``examples`` ...) with its old and new value; examples are compared as a list
and summarised by count and by the texts added or dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.codebook.load import code_to_dict
from pipeline.codebook.model import Codebook


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class CodeChange:
    code_id: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class CodebookDiff:
    old_hash: str
    new_hash: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[CodeChange, ...]
    header: tuple[FieldChange, ...] = ()  # title, version, description ...

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.header)


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[FieldChange, ...]:
    a, b = _flat(old), _flat(new)
    return tuple(FieldChange(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b))
                 if a.get(k) != b.get(k))


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookDiff:
    """Codes of ``new`` not in ``old`` (added), the reverse (removed), and those in both
    whose content differs (changed), each in codebook order."""
    old_codes = {c.id: code_to_dict(c) for c in old.codes}
    new_codes = {c.id: code_to_dict(c) for c in new.codes}
    changed = tuple(
        CodeChange(c.id, _field_changes(old_codes[c.id], new_codes[c.id]))
        for c in new.codes if c.id in old_codes and old_codes[c.id] != new_codes[c.id]
    )
    header = _field_changes(
        {"id": old.id, "version": old.version, "title": vars(old.title),
         "description": vars(old.description)},
        {"id": new.id, "version": new.version, "title": vars(new.title),
         "description": vars(new.description)},
    )
    return CodebookDiff(
        old.hash, new.hash,
        tuple(c.id for c in new.codes if c.id not in old_codes),
        tuple(c.id for c in old.codes if c.id not in new_codes),
        changed, header,
    )


def _short(value: Any, width: int = 60) -> str:
    if isinstance(value, list):
        return f"{len(value)} item(s)"
    text = "–" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _examples_line(change: FieldChange) -> str:
    old = [e["text"] for e in change.old or []]
    new = [e["text"] for e in change.new or []]
    added = [t for t in new if t not in old]
    dropped = [t for t in old if t not in new]
    line = f"    examples: {len(old)} -> {len(new)}"
    line += "".join(f"\n      + {_short(t)}" for t in added)
    return line + "".join(f"\n      - {_short(t)}" for t in dropped)


def render_diff(diff: CodebookDiff, new: Codebook) -> list[str]:
    """The diff as lines for a terminal (``groundcode codebook diff``)."""
    lines = [f"codebook {diff.old_hash[:12]} -> {diff.new_hash[:12]}"]
    if diff.empty:
        return [*lines, "no differences"]
    lines += [f"  ~ {c.field}: {_short(c.old)} -> {_short(c.new)}" for c in diff.header]
    for code_id in diff.added:
        code = new.get(code_id)
        lines.append(f"+ {code_id} {code.name.zh} | {code.name.en} (under {code.parent or '–'}, "
                     f"{len(code.examples)} example(s))")
    lines += [f"- {code_id}" for code_id in diff.removed]
    for change in diff.changed:
        lines.append(f"~ {change.code_id}")
        for f in change.fields:
            lines.append(_examples_line(f) if f.field == "examples"
                         else f"    {f.field}: {_short(f.old)} -> {_short(f.new)}")
    return lines
