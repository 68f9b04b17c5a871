"""Settings of the segment stage."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from pipeline.settings_base import Section


class SegmentSettings(Section):
    """How documents are cut into passages and tokens.

    ``user_dict`` replaces the bundled jieba dictionary ``configs/userdict.txt``;
    ``extra_dicts`` are loaded on top of it (a researcher's own lexicon, one word
    per line, jieba format ``word [freq] [tag]``). ``stopwords`` is a file or a
    folder of ``*.txt`` lists (default: ``configs/stopwords/``). Named speakers in
    ``interviewer_names`` (e.g. ``刘老师``) count as interviewers.
    """

    # the coding unit: a clause (what human coders of Chinese case texts mark), one
    # sentence, or a window of up to max_sentences sentences
    unit: Literal["clause", "sentence", "passage"] = "clause"
    min_clause_chars: int = Field(8, ge=1)  # shorter clauses join a neighbour (en: x3)
    max_sentences: int = Field(3, ge=1)
    max_chars: int = Field(400, ge=20)
    context_sentences: int = Field(1, ge=0)
    include_interviewer: bool = False
    user_dict: Path | None = None  # default: the bundled configs/userdict.txt
    extra_dicts: list[Path] = []
    stopwords: Path | None = None  # default: the bundled configs/stopwords/
    interviewer_names: list[str] = []
