"""Corpus manifest (``manifest.yaml`` or ``manifest.csv``): strict validation.

Every problem -- unknown key, bad enum value, bad date, duplicate id, missing file,
unsupported format -- is collected and reported at once in one :class:`ManifestError`
naming the manifest and each entry (number, id, YAML line or CSV row).

YAML: top-level keys ``corpus`` (name, default: the folder name) and ``documents``
(a list of entries). CSV: one entry per row with the same keys as columns; a table
source's spec goes in columns ``table.id_column``, ``table.text_column`` and
optionally ``table.sheet``; empty cells mean "not given".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.corpus.formats import SUPPORTED_SUFFIXES, TABLE_SUFFIXES
from pipeline.errors import ManifestError
from pipeline.userfiles import read_text

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.csv")
CASE_FIELDS = ("enterprise_type", "enterprise", "title", "edition", "year", "arena", "reserved")
INTERVIEW_FIELDS = ("group", "role", "date", "duration_min")


class DocumentAttributes(BaseModel):
    """Known document attributes and their allowed values (other keys pass through)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    lang: Literal["zh", "en", "mixed"] | None = None
    # cases
    enterprise_type: Literal["central", "provincial"] | None = None
    enterprise: str | None = None
    title: str | None = None
    edition: str | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    arena: Literal["industrial", "consumption", "talent", "employment", "education"] | None = None
    reserved: bool | None = None
    # interviews
    group: Literal["supervisory", "grassroots", "soe"] | None = None
    role: str | None = None
    date: dt.date | None = None
    duration_min: int | float | None = Field(default=None, gt=0)


class TableSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id_column: str = Field(min_length=1)
    text_column: str = Field(min_length=1)
    sheet: str | None = None  # XLSX sheet name (default: the first sheet)


class ManifestEntry(DocumentAttributes):
    """One manifest entry: a file (or a table source: one document per row)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    file: str = Field(min_length=1)
    kind: Literal["case", "interview", "other"] = "other"
    derived_from: str | None = None  # the file this one was generated from, if any
    table: TableSpec | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            value = value.strip()
            if any(ch.isspace() and ch != " " for ch in value):
                raise ValueError("id must not contain tabs or line breaks")
        return value

    def meta(self) -> dict[str, Any]:
        """The entry's attributes as JSON-able values (dates as ISO strings)."""
        return self.model_dump(
            mode="json", exclude_none=True, exclude={"id", "kind", "lang", "table"}
        )


@dataclass(frozen=True)
class Manifest:
    name: str
    path: Path  # the manifest file
    root: Path  # the folder entries' paths are relative to
    entries: tuple[ManifestEntry, ...]


def _format_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "<entry>"
        if err["type"] == "extra_forbidden":
            out.append(f"unknown key '{key}'")
        elif err["type"] == "missing":
            out.append(f"missing key '{key}'")
        else:
            out.append(f"key '{key}': {err['msg']}")
    return out


def validate_attributes(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check known attributes of a table row; returns (JSON-able values, problems)."""
    try:
        model = DocumentAttributes.model_validate(values)
    except ValidationError as exc:
        return {}, _format_errors(exc)
    return model.model_dump(mode="json", exclude_none=True), []


def _kind_problems(entry: ManifestEntry) -> list[str]:
    wrong = {"case": INTERVIEW_FIELDS, "interview": CASE_FIELDS}.get(entry.kind, ())
    return [
        f"key '{key}' does not apply to kind '{entry.kind}'"
        for key in wrong
        if getattr(entry, key) is not None
    ]


def _format_problems(entry: ManifestEntry) -> list[str]:
    suffix = Path(entry.file).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return [
            f"file '{entry.file}': unsupported format '{suffix or '(none)'}' "
            f"(supported: {', '.join(SUPPORTED_SUFFIXES)})"
        ]
    if (suffix in TABLE_SUFFIXES) == (entry.table is not None):
        return []
    if entry.table is None:
        return [f"file '{entry.file}': a table file needs 'table: {{id_column, text_column}}'"]
    return [f"'table' given but '{entry.file}' is not a .csv/.xlsx/.jsonl file"]


def _raw_problems(raw: dict[str, Any], root: Path) -> list[str]:
    """Checks that need no valid entry: the file exists."""
    file = raw.get("file")
    if isinstance(file, str) and file.strip() and not (root / file).is_file():
        return [f"file '{file}' not found (relative to {root})"]
    return []


def _label(number: int, raw: Any, where: str) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"entry {number}" + (f" (id {ident}, {where})" if ident else f" ({where})")


def validate_entries(raw_entries: list[tuple[str, Any]], root: Path, source: Path) -> Manifest:
    """Validate ``(location, mapping)`` pairs; raise one ManifestError with every problem."""
    problems: list[str] = []
    entries: list[ManifestEntry] = []
    seen: dict[str, list[str]] = defaultdict(list)
    for number, (where, raw) in enumerate(raw_entries, start=1):
        label = _label(number, raw, where)
        if not isinstance(raw, dict):
            problems.append(f"{label}: an entry must be a mapping of keys to values")
            continue
        if raw.get("id") is not None:
            seen[str(raw["id"]).strip()].append(where)
        found = _raw_problems(raw, root)
        try:
            entry = ManifestEntry.model_validate(raw)
        except ValidationError as exc:
            found = _format_errors(exc) + found
        else:
            found = _kind_problems(entry) + _format_problems(entry) + found
            entries.append(entry)
        problems.extend(f"{label}: {p}" for p in found)
    for ident, places in seen.items():
        if len(places) > 1:
            problems.append(f"duplicate id '{ident}' ({', '.join(places)})")
    if problems:
        raise ManifestError(_summary(problems), file=source, hint="fix the entries listed")
    return Manifest(source.parent.name, source, root, tuple(entries))


def _summary(problems: list[str]) -> str:
    head = f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the manifest:"
    return head + "".join(f"\n  - {p}" for p in problems)


_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _Loader(_SAFE):
    """Safe YAML loader that leaves dates as text, so pydantic reports bad ones."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def _yaml_entries(path: Path, text: str) -> tuple[str | None, list[tuple[str, Any]]]:
    from pipeline.userfiles import check_yaml_shape

    check_yaml_shape(text, path, error=ManifestError)
    loader = _Loader(text)  # parsed once: the node gives line numbers, then the data
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        unit = f"line {mark.line + 1}" if mark is not None else None
        raise ManifestError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", file=path, unit=unit
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ManifestError("a manifest must be a mapping with 'corpus' and 'documents'", file=path)
    unknown = sorted(set(data) - {"corpus", "documents"})
    if unknown:
        raise ManifestError(
            f"unknown top-level key(s) {unknown}; expected 'corpus', 'documents'", file=path
        )
    docs = data.get("documents")
    if not isinstance(docs, list) or not docs:
        raise ManifestError("'documents' must be a non-empty list of entries", file=path)
    items = next(v for k, v in node.value if k.value == "documents").value
    lines = [f"line {item.start_mark.line + 1}" for item in items]
    name = data.get("corpus")
    return (None if name is None else str(name)), list(zip(lines, docs, strict=True))


def _cached_yaml_entries(path: Path, text: str, cache_dir) -> tuple[str | None, list]:
    if cache_dir is None:
        return _yaml_entries(path, text)
    import hashlib
    import json

    from pipeline.io import atomic_write_text

    digest = hashlib.sha256(f"{yaml.__version__}\x00{text}".encode()).hexdigest()
    memo = Path(cache_dir) / "manifests" / f"{digest}.json"
    try:
        name, raw = json.loads(memo.read_text("utf-8"))
        return name, [(line, entry) for line, entry in raw]
    except (OSError, ValueError, TypeError):
        pass  # no memo yet, or an unreadable one: parse
    name, raw = _yaml_entries(path, text)
    data = [name, [[line, entry] for line, entry in raw]]
    try:
        encoded = json.dumps(data, ensure_ascii=False)
        if json.loads(encoded) == data:  # only data JSON keeps exactly (no dates, int keys)
            for old in memo.parent.glob("*.json"):
                old.unlink(missing_ok=True)
            atomic_write_text(memo, encoded)
    except (OSError, TypeError, ValueError):
        pass  # a memo is an optimisation, never a reason to fail
    return name, raw


def _csv_entries(path: Path, text: str) -> list[tuple[str, Any]]:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if not rows:
        raise ManifestError("a CSV manifest needs a header row and one row per document", file=path)
    out = []
    for number, row in enumerate(rows, start=2):
        entry: dict[str, Any] = {}
        for key, value in row.items():
            if key is None or value is None or not str(value).strip():
                if key is None:
                    entry["<extra cells>"] = value
                continue
            head, _, sub = key.strip().partition(".")
            if sub:
                entry.setdefault(head, {})[sub] = value.strip()
            else:
                entry[head] = value.strip()
        out.append((f"row {number}", entry))
    return out


def load_manifest(path: str | Path, cache_dir: str | Path | None = None) -> Manifest:
    """Load and validate a ``manifest.yaml`` / ``manifest.csv``.

    With ``cache_dir`` the parsed YAML (not the validation) is kept there as JSON,
    keyed by the sha256 of the manifest's bytes, and reused while they are unchanged;
    a manifest whose data JSON cannot hold exactly is parsed every time.
    """
    path = Path(path)
    text = read_text(path, error=ManifestError, what="manifest file").text
    root = path.parent.resolve()
    if path.suffix.lower() == ".csv":
        name, raw = None, _csv_entries(path, text)
    elif path.suffix.lower() in (".yaml", ".yml"):
        name, raw = _cached_yaml_entries(path, text, cache_dir)
    else:
        raise ManifestError("a manifest must be .yaml, .yml or .csv", file=path)
    manifest = validate_entries(raw, root, path)
    return Manifest(name or root.name, path, root, manifest.entries)
