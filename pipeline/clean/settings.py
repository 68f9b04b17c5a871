"""Settings of the clean stage."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from pipeline.clean.removal import NonContent
from pipeline.settings_base import Section


class CleanSettings(Section):
    """Which paragraphs clean removes before segmentation (each removal is logged).

    A paragraph is removed by the first rule that applies, in this order:
    too short (< ``min_paragraph_chars`` non-space characters), a ``patterns``
    regex found in it (``re.search``), boilerplate (the same paragraph in >=
    ``boilerplate_min_documents`` documents; 0 disables), an exact duplicate of an
    earlier paragraph (``exact_duplicates``), a near duplicate (Jaccard similarity
    of character 3-shingles >= ``near_duplicate_threshold``; 1.0 disables).
    Duplicate rules only look at paragraphs with >= ``duplicate_min_chars``
    non-space characters, so short interview replies such as "答：对。" survive.

    Before those, each document's text that is not content is recognised and
    removed (see :mod:`pipeline.clean.noncontent`): reference lists and citation
    lines (``references``), the title/author/affiliation/funding/keywords/abstract
    label lines of a paper (``front_matter``), figure and table captions
    (``captions``), page numbers and running headers (``furniture``) and
    Markdown/HTML markup (``markup``). ``keep`` lists the kinds to leave in.

    The code default for ``patterns`` is empty; ``configs/clean_patterns.yaml``
    holds a suggested list for Blue Book case reports, for example::

        patterns:
          - "^不忘初心[，、]\\s*牢记使命[。！]?$"
          - "贡献.{0,6}(国企|央企)力量[。！]?$"
    """

    enabled: bool = True
    exact_duplicates: bool = True
    near_duplicate_threshold: float = Field(0.9, gt=0.0, le=1.0)
    boilerplate_min_documents: int = Field(3, ge=0)
    min_paragraph_chars: int = Field(4, ge=0)
    duplicate_min_chars: int = Field(8, ge=1)
    patterns: list[str] = []  # regexes for promotional/slogan paragraphs
    keep: list[NonContent] = []  # kinds of non-content text to leave in

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for index, pattern in enumerate(value):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {index} {pattern!r} is not a regex: {exc}") from None
        return value

    @field_validator("boilerplate_min_documents")
    @classmethod
    def _boilerplate_at_least_two(cls, value: int) -> int:
        if value == 1:
            raise ValueError("must be 0 (off) or >= 2: 1 would remove every paragraph")
        return value
