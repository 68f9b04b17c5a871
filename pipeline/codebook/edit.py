"""Derive new codebooks: drop codes (withheld-code tests) or adopt new ones.

Both go back through :func:`codebook_from_dict`, so the result is re-validated
and carries a new content hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.codebook.load import code_to_dict, codebook_from_dict, codebook_to_dict
from pipeline.codebook.model import Code, Codebook
from pipeline.errors import CodebookError


def without(book: Codebook, code_ids: Iterable[str]) -> Codebook:
    """``book`` minus ``code_ids`` and their descendants.

    A category left without any child is dropped too (a category with nothing to
    code under it is not a valid node). Unknown ids are an error.
    """
    drop = set(code_ids)
    for code_id in sorted(drop):
        book.get(code_id)
    drop |= {c.id for c in book.codes if any(p.id in drop for p in book.path(c.id))}
    parents = {c.parent for c in book.codes if c.id not in drop}
    emptied = {c.id for c in book.codes if c.id not in parents and book.children(c.id)}
    data = codebook_to_dict(book)
    data["codes"] = [c for c in data["codes"] if c["id"] not in drop | emptied]
    if not data["codes"]:
        raise CodebookError("dropping these codes leaves an empty codebook", unit=f"{book.id}")
    return codebook_from_dict(data, source=f"{book.id} without {sorted(drop)}")


def _as_dicts(other: Codebook | Iterable[Code | Mapping[str, Any]]) -> list[dict[str, Any]]:
    items = other.codes if isinstance(other, Codebook) else other
    return [code_to_dict(item) if isinstance(item, Code) else dict(item) for item in items]


def _insert(codes: list[dict[str, Any]], new: dict[str, Any]) -> None:
    """Place ``new`` after the last code of its parent's subtree (or at the end)."""
    parent = new.get("parent")
    position = len(codes)
    if parent is not None:
        subtree = {parent}
        for index, code in enumerate(codes):
            if code["id"] in subtree or code.get("parent") in subtree:
                subtree.add(code["id"])
                position = index + 1
    codes.insert(position, new)


def merge(book: Codebook, other: Codebook | Iterable[Code | Mapping[str, Any]]) -> Codebook:
    """``book`` plus the codes of ``other`` (a Codebook, Codes or draft code dicts).

    New codes go after their parent's existing children; ids already present are
    an error (rename the candidate first). Dimensions and facet values of another
    Codebook that ``book`` lacks are added.
    """
    data = codebook_to_dict(book)
    existing = {code["id"] for code in data["codes"]}
    incoming = _as_dicts(other)
    clashes = sorted(code.get("id") for code in incoming if code.get("id") in existing)
    if clashes:
        raise CodebookError(
            f"codes already in the codebook: {', '.join(map(str, clashes))}",
            unit=f"codebook {book.id}",
            hint="give candidate categories new ids before merging.",
        )
    for code in incoming:
        _insert(data["codes"], code)
    if isinstance(other, Codebook):
        _merge_named(data, codebook_to_dict(other))
    return codebook_from_dict(data, source=f"{book.id} merged")


def _merge_named(data: dict[str, Any], extra: dict[str, Any]) -> None:
    known = {d["id"] for d in data["dimensions"]}
    data["dimensions"] += [d for d in extra["dimensions"] if d["id"] not in known]
    for facet, values in extra["facets"].items():
        have = data["facets"].setdefault(facet, [])
        ids = {v["id"] for v in have}
        have += [v for v in values if v["id"] not in ids]
