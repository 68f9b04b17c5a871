"""The codebook as frozen data: codes in a validated tree, with navigation.

Instances are built only by :func:`pipeline.codebook.load.codebook_from_dict`
(and the loaders on top of it), which validates the content and computes the
content hash; ``without`` and ``merge`` go through the same path, so every
``Codebook`` in memory is valid and its ``hash`` matches its content.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pipeline.errors import CodebookError

#: Code levels from the root of the tree to its leaves.
LEVELS: tuple[str, ...] = ("main", "initial")
#: Pseudo-level above ``main``: the framework dimension of a main category.
DIMENSION = "dimension"
LANGS: tuple[str, ...] = ("zh", "en")


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Example:
    lang: str
    text: str


@dataclass(frozen=True)
class Dimension:
    """A framework dimension (selective coding) that main categories belong to."""

    id: str
    name: Bilingual


@dataclass(frozen=True)
class FacetValue:
    """One value of an optional facet, e.g. the ``industrial`` action arena."""

    id: str
    name: Bilingual


@dataclass(frozen=True)
class Code:
    id: str
    level: str
    name: Bilingual
    definition: Bilingual
    codable: bool
    parent: str | None = None
    include: Bilingual | None = None
    exclude: Bilingual | None = None
    examples: tuple[Example, ...] = ()
    arenas: tuple[str, ...] = ()
    dimension: str | None = None

    def examples_in(self, lang: str) -> tuple[str, ...]:
        return tuple(ex.text for ex in self.examples if ex.lang == lang)

    def label(self, lang: str = "en") -> str:
        return f"{self.id} {self.name.get(lang)}"


@dataclass(frozen=True, eq=False)
class Codebook:
    id: str
    version: str
    title: Bilingual
    description: Bilingual
    codes: tuple[Code, ...]
    dimensions: tuple[Dimension, ...]
    facets: Mapping[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    hash: str = ""

    # -- equality is content equality --------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Codebook) and other.hash == self.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._by_id

    # -- indexes (computed once, lazily) ----------------------------------------------
    @cached_property
    def _by_id(self) -> dict[str, Code]:
        return {code.id: code for code in self.codes}

    @cached_property
    def _children(self) -> dict[str | None, tuple[Code, ...]]:
        grouped: dict[str | None, list[Code]] = {}
        for code in self.codes:
            grouped.setdefault(code.parent, []).append(code)
        return {key: tuple(value) for key, value in grouped.items()}

    # -- navigation ---------------------------------------------------------------------
    def get(self, code_id: str) -> Code:
        try:
            return self._by_id[code_id]
        except KeyError:
            raise CodebookError(
                f"unknown code id {code_id!r}",
                unit=f"codebook {self.id}",
                hint=f"use one of the {len(self.codes)} ids listed by `groundcode codebook show`.",
            ) from None

    def roots(self) -> tuple[Code, ...]:
        return self._children.get(None, ())

    def children(self, code_id: str) -> tuple[Code, ...]:
        self.get(code_id)
        return self._children.get(code_id, ())

    def leaves(self) -> tuple[Code, ...]:
        return tuple(code for code in self.codes if code.id not in self._children)

    def level_codes(self, level: str) -> tuple[Code, ...]:
        _check_level(level, LEVELS)
        return tuple(code for code in self.codes if code.level == level)

    def path(self, code_id: str) -> tuple[Code, ...]:
        """The chain of codes from the root down to ``code_id`` (root first)."""
        chain = [self.get(code_id)]
        while chain[-1].parent is not None:
            chain.append(self.get(chain[-1].parent))
        return tuple(reversed(chain))

    def ancestor_at(self, code_id: str, level: str) -> Code | Dimension | None:
        """The code at ``level`` on the path to ``code_id`` (itself if at that level).

        ``level="dimension"`` gives the :class:`Dimension` of the main category
        (its ``.id`` is :meth:`dimension_of`). ``None`` when ``code_id`` sits above
        ``level`` (a main code has no initial-level ancestor).
        """
        _check_level(level, (*LEVELS, DIMENSION))
        if level == DIMENSION:
            dim_id = self.dimension_of(code_id)
            return None if dim_id is None else self.dimension(dim_id)
        return next((code for code in self.path(code_id) if code.level == level), None)

    def dimension_of(self, code_id: str) -> str | None:
        return next((c.dimension for c in self.path(code_id) if c.dimension), None)

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise CodebookError(f"unknown dimension {dimension_id!r}", unit=f"codebook {self.id}")

    def codable_ids(self, level: str = "initial") -> tuple[str, ...]:
        """Label set for classification/agreement at ``level``.

        At a code level: codes of that level that are codable or have a codable
        descendant; at ``"dimension"``: dimensions that have such main codes.
        """
        _check_level(level, (*LEVELS, DIMENSION))
        codable = [code for code in self.codes if code.codable]
        if level == DIMENSION:
            found = {self.dimension_of(code.id) for code in codable}
            return tuple(dim.id for dim in self.dimensions if dim.id in found)
        found = {getattr(self.ancestor_at(code.id, level), "id", None) for code in codable}
        return tuple(code.id for code in self.level_codes(level) if code.id in found)

    # -- editing (each returns a new, re-validated Codebook) -----------------------------
    def without(self, code_ids: Iterable[str]) -> Codebook:
        from pipeline.codebook.edit import without

        return without(self, code_ids)

    def merge(self, other: Codebook | Iterable[Code | Mapping[str, Any]]) -> Codebook:
        from pipeline.codebook.edit import merge

        return merge(self, other)

    def to_dict(self) -> dict[str, Any]:
        from pipeline.codebook.load import codebook_to_dict

        return codebook_to_dict(self)


def _check_level(level: str, allowed: tuple[str, ...]) -> None:
    if level not in allowed:
        raise CodebookError(f"unknown level {level!r}", hint=f"use one of: {', '.join(allowed)}.")
