"""Read human codings (CSV/XLSX) into training labels for the supervised coder.

Columns: ``passage_id`` (or ``unit``), ``code_id`` (or ``code``) and optionally
``decision`` (accept/reject; default accept). A passage whose rows are all
rejections is a labelled passage with no codes (a negative for every code).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import ClassifyError

ACCEPT = {"", "accept", "accepted", "add", "added", "yes", "1", "true"}
REJECT = {"reject", "rejected", "no", "0", "false"}


def read_codings(path: str | Path) -> dict[str, set[str]]:
    """``{passage_id: accepted code ids}`` for every passage that appears in the file."""
    from pipeline.userfiles import read_frame

    path = Path(path)
    frame = read_frame(path, error=ClassifyError, what="codings file")
    unit = _column(frame, ("passage_id", "unit"), path)
    code = _column(frame, ("code_id", "code"), path)
    decisions = frame["decision"] if "decision" in frame else [""] * len(frame)
    labels: dict[str, set[str]] = {}
    rows = zip(frame[unit], frame[code], decisions, strict=True)
    for line, (pid, cid, dec) in enumerate(rows, start=2):
        dec = str(dec).strip().lower()
        if dec not in ACCEPT | REJECT:
            raise ClassifyError(
                f"unknown decision {dec!r}",
                file=path,
                unit=f"line {line}",
                hint="use accept or reject.",
            )
        codes = labels.setdefault(str(pid), set())
        if dec in ACCEPT and cid:
            codes.add(str(cid))
    return labels


def _column(frame, names: tuple[str, ...], path: Path) -> str:
    for name in names:
        if name in frame.columns:
            return name
    raise ClassifyError(
        f"no {' or '.join(names)} column (columns: {', '.join(map(str, frame.columns))})",
        file=path,
        unit="line 1 (header)",
        hint="a codings table needs passage_id, code_id and optionally decision.",
    )
