"""Strict pydantic schema of a codebook file (``configs/codebooks/*.yaml``).

Unknown keys, missing languages, empty texts and wrong types are all errors;
pydantic reports every one of them with its location (``codes[3].exmples``).
Structural checks across codes (ids, parents, cycles, levels) live in
:mod:`pipeline.codebook.checks`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class BilingualSpec(_Strict):
    zh: Text
    en: Text


class ExampleSpec(_Strict):
    lang: Literal["zh", "en"]
    text: Text


class NamedSpec(_Strict):
    id: Ident
    name: BilingualSpec


class CodeSpec(_Strict):
    id: Ident
    level: Literal["main", "initial"]
    name: BilingualSpec
    definition: BilingualSpec
    parent: Ident | None = None
    include: BilingualSpec | None = None
    exclude: BilingualSpec | None = None
    examples: list[ExampleSpec] = Field(default_factory=list)
    arenas: list[Ident] = Field(default_factory=list)
    dimension: Ident | None = None
    #: Omitted: initial codes are codable, main categories are not.
    codable: bool | None = None


class CodebookSpec(_Strict):
    id: Ident
    version: Text
    title: BilingualSpec
    description: BilingualSpec
    dimensions: list[NamedSpec] = Field(default_factory=list)
    facets: dict[Ident, list[NamedSpec]] = Field(default_factory=dict)
    codes: list[CodeSpec] = Field(min_length=1)
