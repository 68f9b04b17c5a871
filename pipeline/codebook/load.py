"""Load, validate, hash and write codebooks.

Validation runs in two passes: the strict schema (unknown keys, types, missing
languages), then the structural checks (ids, parents, cycles, levels, leaves,
dimensions, arenas). Every problem of a pass is reported at once in one
:class:`~pipeline.errors.CodebookError` naming the file, with the YAML line and
location of each problem.

The content hash is the sha256 of the canonical JSON of the normalized content
(sorted keys, no whitespace, defaults filled in), so reformatting the YAML or
reordering mapping keys leaves it unchanged while any content edit changes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.codebook.checks import check_all
from pipeline.codebook.model import (
    LEVELS,
    Bilingual,
    Code,
    Codebook,
    Dimension,
    Example,
    FacetValue,
)
from pipeline.codebook.schema import BilingualSpec, CodebookSpec, CodeSpec
from pipeline.codebook.yamlio import Loc, dump_yaml, format_loc, line_of, read_yaml
from pipeline.errors import CodebookError
from pipeline.io import atomic_write_text, sha256_text


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook YAML file."""
    data, lines, duplicates = read_yaml(path)
    if duplicates:
        _raise(duplicates, source=path, lines=lines)
    return codebook_from_dict(data, source=path, lines=lines)


def codebook_from_dict(
    data: Any, source: str | Path | None = None, lines: Mapping[Loc, int] | None = None
) -> Codebook:
    """Validate plain data (as parsed from YAML) and build a :class:`Codebook`."""
    if not isinstance(data, Mapping):
        raise CodebookError(
            "a codebook must be a mapping with id, version, title, description, codes",
            file=source,
        )
    try:
        spec = CodebookSpec.model_validate(dict(data))
    except ValidationError as exc:
        _raise([_pydantic_problem(err) for err in exc.errors()], source=source, lines=lines)
    problems = check_all(spec)
    if problems:
        _raise(problems, source=source, lines=lines)
    return _build(spec)


def _pydantic_problem(err: Mapping[str, Any]) -> tuple[Loc, str]:
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        return loc, f"unknown key {loc[-1]!r}"
    if err["type"] == "missing":
        return loc, f"missing required key {loc[-1]!r}"
    return loc, err["msg"].lower()


def _raise(problems: list[tuple[Loc, str]], *, source, lines) -> None:
    lines = lines or {}
    rendered = []
    for loc, message in problems:
        line = line_of(lines, loc) if lines else None
        where = f"line {line}, " if line else ""
        rendered.append(f"{where}{format_loc(loc)}: {message}")
    count = len(rendered)
    header = f"{count} problem{'s' if count > 1 else ''} in codebook"
    raise CodebookError(
        header + ":\n  - " + "\n  - ".join(rendered),
        file=source,
        hint="fix every listed problem (schema: configs/codebooks/soe-assistance.yaml), then run `groundcode codebook validate` again.",
    )


def _bi(spec: BilingualSpec | None) -> Bilingual | None:
    return None if spec is None else Bilingual(zh=spec.zh, en=spec.en)


def _code(spec: CodeSpec) -> Code:
    return Code(
        id=spec.id,
        level=spec.level,
        name=_bi(spec.name),
        definition=_bi(spec.definition),
        codable=spec.codable if spec.codable is not None else spec.level == LEVELS[-1],
        parent=spec.parent,
        include=_bi(spec.include),
        exclude=_bi(spec.exclude),
        examples=tuple(Example(lang=ex.lang, text=ex.text) for ex in spec.examples),
        arenas=tuple(spec.arenas),
        dimension=spec.dimension,
    )


def _build(spec: CodebookSpec) -> Codebook:
    order = {value.id: index for index, value in enumerate(spec.facets.get("arena", []))}
    codes = tuple(_code(code) for code in spec.codes)
    # Arenas are a set of facet values: store them in facet order (canonical form).
    codes = tuple(replace(c, arenas=tuple(sorted(c.arenas, key=order.__getitem__))) for c in codes)
    book = Codebook(
        id=spec.id,
        version=spec.version,
        title=_bi(spec.title),
        description=_bi(spec.description),
        codes=codes,
        dimensions=tuple(Dimension(d.id, _bi(d.name)) for d in spec.dimensions),
        facets={
            name: tuple(FacetValue(v.id, _bi(v.name)) for v in values)
            for name, values in spec.facets.items()
        },
    )
    return Codebook(**{**_fields(book), "hash": content_hash(book)})


def _fields(book: Codebook) -> dict[str, Any]:
    return {
        "id": book.id,
        "version": book.version,
        "title": book.title,
        "description": book.description,
        "codes": book.codes,
        "dimensions": book.dimensions,
        "facets": book.facets,
    }


def _bi_dict(value: Bilingual) -> dict[str, str]:
    return {"zh": value.zh, "en": value.en}


def code_to_dict(code: Code) -> dict[str, Any]:
    """Normalized plain form of a code: optional keys only when set."""
    out: dict[str, Any] = {"id": code.id}
    if code.parent is not None:
        out["parent"] = code.parent
    out["level"] = code.level
    if code.dimension is not None:
        out["dimension"] = code.dimension
    out["name"] = _bi_dict(code.name)
    out["definition"] = _bi_dict(code.definition)
    for key in ("include", "exclude"):
        if getattr(code, key) is not None:
            out[key] = _bi_dict(getattr(code, key))
    if code.examples:
        out["examples"] = [{"lang": ex.lang, "text": ex.text} for ex in code.examples]
    if code.arenas:
        out["arenas"] = list(code.arenas)
    if code.codable != (code.level == LEVELS[-1]):
        out["codable"] = code.codable
    return out


def codebook_to_dict(book: Codebook) -> dict[str, Any]:
    """Plain, normalized data of a codebook; ``codebook_from_dict`` inverts it."""
    return {
        "id": book.id,
        "version": book.version,
        "title": _bi_dict(book.title),
        "description": _bi_dict(book.description),
        "dimensions": [{"id": d.id, "name": _bi_dict(d.name)} for d in book.dimensions],
        "facets": {
            name: [{"id": v.id, "name": _bi_dict(v.name)} for v in values]
            for name, values in book.facets.items()
        },
        "codes": [code_to_dict(code) for code in book.codes],
    }


def content_hash(book: Codebook) -> str:
    canonical = json.dumps(
        codebook_to_dict(book), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return sha256_text(canonical)


def dump_codebook(book: Codebook, path: str | Path) -> Path:
    """Write ``book`` as YAML (atomically); :func:`load_codebook` reads it back equal."""
    header = f"# codebook {book.id} {book.version} (content hash {book.hash})\n"
    atomic_write_text(path, header + dump_yaml(codebook_to_dict(book)))
    return Path(path)
