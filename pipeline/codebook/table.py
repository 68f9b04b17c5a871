"""The codebook as a flat table (one row per code) and as an Excel workbook."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.codebook.model import Codebook
from pipeline.io import atomic_path

COLUMNS = (
    "id", "level", "parent", "main", "dimension", "codable", "name_zh", "name_en",
    "definition_zh", "definition_en", "include_zh", "include_en", "exclude_zh", "exclude_en",
    "examples_zh", "examples_en", "arenas",
)  # fmt: skip


def codebook_table(book: Codebook) -> pd.DataFrame:
    """One row per code in codebook order; examples joined by newlines."""
    rows = []
    for code in book.codes:
        main = book.ancestor_at(code.id, "main")
        rows.append(
            {
                "id": code.id,
                "level": code.level,
                "parent": code.parent or "",
                "main": main.id if main else "",
                "dimension": book.dimension_of(code.id) or "",
                "codable": code.codable,
                "name_zh": code.name.zh,
                "name_en": code.name.en,
                "definition_zh": code.definition.zh,
                "definition_en": code.definition.en,
                "include_zh": code.include.zh if code.include else "",
                "include_en": code.include.en if code.include else "",
                "exclude_zh": code.exclude.zh if code.exclude else "",
                "exclude_en": code.exclude.en if code.exclude else "",
                "examples_zh": "\n".join(code.examples_in("zh")),
                "examples_en": "\n".join(code.examples_in("en")),
                "arenas": ", ".join(code.arenas),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def export_xlsx(book: Codebook, path: str | Path) -> Path:
    """Write sheets ``codes`` and ``about`` (id, version, hash, title) atomically."""
    about = pd.DataFrame(
        [
            ("id", book.id),
            ("version", book.version),
            ("hash", book.hash),
            ("title_zh", book.title.zh),
            ("title_en", book.title.en),
        ],
        columns=["key", "value"],
    )
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            codebook_table(book).to_excel(writer, sheet_name="codes", index=False)
            about.to_excel(writer, sheet_name="about", index=False)
    return Path(path)
