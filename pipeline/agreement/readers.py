"""Read codings from CSV/XLSX, groundcode suggestion tables and REFI-QDA .qdpx.

Every problem (unknown code/unit/coder, duplicate row, contradictory rows) is
collected with its file and line and raised at once as ``AgreementInputError``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.agreement.codings import Coding
from pipeline.agreement.units import Unitizer, UnitRef
from pipeline.errors import AgreementInputError
from pipeline.userfiles import ReadLimits, read_frame

ACCEPT = {"", "accept", "accepted", "yes", "1", "true", "add", "added"}
REJECT = {"reject", "rejected", "no", "0", "false"}
MAX_LISTED = 50
#: every column a codings table may have (a unit id, or a span doc_id/start/end)
CODINGS_COLUMNS = ("unit", "doc_id", "start", "end", "code", "coder", "time", "decision")


@dataclass(frozen=True)
class RawCoding:
    """One row as read: either ``unit`` or a span (``doc_id``, ``start``, ``end``)."""

    code: str
    coder: str
    source: str
    line: int
    unit: str | None = None
    doc_id: str | None = None
    start: int = 0
    end: int = 0
    decision: str = ""


@dataclass
class Problems:
    items: list[tuple[str, int, str]] = field(default_factory=list)
    seen: set[tuple[str, int, str]] = field(default_factory=set)

    def add(self, source: str, line: int, message: str) -> None:
        """Record a problem once (a span row covering two units is one problem)."""
        if (source, line, message) not in self.seen:
            self.seen.add((source, line, message))
            self.items.append((source, line, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = [
            f"{src}:{line}: {msg}" if line else f"{src}: {msg}"
            for src, line, msg in self.items[:MAX_LISTED]
        ]
        more = len(self.items) - len(shown)
        tail = f"\n  ... and {more} more" if more else ""
        first_src, first_line, _ = self.items[0]
        raise AgreementInputError(
            f"{len(self.items)} problem(s) in the codings:\n  " + "\n  ".join(shown) + tail,
            file=first_src,
            unit=f"line {first_line}" if first_line else None,
            hint="fix the listed rows (or pass the right --units/--codebook/--coders) and rerun.",
        )


@dataclass(frozen=True)
class ReadOptions:
    """How codings files are read: the size caps, and whether columns outside
    :data:`CODINGS_COLUMNS` are an error (default) or a warning."""

    limits: ReadLimits = field(default_factory=ReadLimits.from_env)
    ignore_columns: bool = False


class AgreementInputWarning(UserWarning):
    """Something in a codings file was left out (e.g. an unknown column with ignore_columns)."""


def read_table_rows(path: Path, options: ReadOptions | None = None) -> list[RawCoding]:
    """CSV/XLSX with ``unit`` or ``doc_id,start,end`` plus ``code``, ``coder`` [, time, decision]."""
    options = options or ReadOptions()
    frame = read_frame(path, error=AgreementInputError, what="codings file", limits=options.limits)
    return _table_rows(path, frame, options)


def _table_rows(path: Path, frame, options: ReadOptions) -> list[RawCoding]:
    cols = [str(c) for c in frame.columns]
    has_span = {"doc_id", "start", "end"} <= set(cols)
    if not {"code", "coder"} <= set(cols) or not ("unit" in cols or has_span):
        raise AgreementInputError(
            f"columns are {cols}",
            file=path,
            unit="line 1 (header)",
            hint="a codings table needs code, coder and either unit or doc_id, start, end.",
        )
    _check_columns(path, cols, options.ignore_columns)
    if frame.empty:
        raise AgreementInputError(
            "has a header but no codings",
            file=path,
            unit="line 2",
            hint="add one row per judgment (unit or span, code, coder).",
        )
    frame.columns = cols
    return [_raw_row(path, i + 2, row, has_span) for i, row in enumerate(frame.to_dict("records"))]


def _check_columns(path: Path, cols: list[str], ignore: bool) -> None:
    unknown = [c for c in cols if c not in CODINGS_COLUMNS]
    if not unknown:
        return
    listed = ", ".join(repr(c) for c in unknown)
    expected = ", ".join(CODINGS_COLUMNS)
    if ignore:
        warnings.warn(
            f"{path}: ignoring unknown column(s) {listed} (expected: {expected})",
            AgreementInputWarning,
            stacklevel=3,
        )
        return
    raise AgreementInputError(
        f"unknown column(s) {listed}; the columns of a codings table are {expected}",
        file=path,
        unit="line 1 (header)",
        hint="rename the column (e.g. a misspelt decision), or pass --ignore-columns "
        "to leave it out.",
    )


def _raw_row(path: Path, line: int, row: dict, has_span: bool) -> RawCoding:
    common = {
        "code": str(row["code"]).strip(),
        "coder": str(row["coder"]).strip(),
        "source": str(path),
        "line": line,
        "decision": str(row.get("decision", "")).strip().lower(),
    }
    unit = str(row.get("unit", "")).strip()
    if unit or not has_span:
        return RawCoding(unit=unit, **common)
    try:
        start, end = int(float(row["start"])), int(float(row["end"]))
    except (ValueError, OverflowError):
        start, end = -1, -1
    return RawCoding(doc_id=str(row["doc_id"]).strip(), start=start, end=end, **common)


def read_raw(path: str | Path, options: ReadOptions | None = None) -> list[RawCoding]:
    """Dispatch on the file type (suggestion tables are recognised by their columns)."""
    from pipeline.agreement.machine import SUGGESTION_COLUMNS, read_suggestion_codings
    from pipeline.agreement.qdpx import read_qdpx

    options = options or ReadOptions()
    path = Path(path)
    if not path.exists():
        raise AgreementInputError("codings file not found", file=path)
    suffix = path.suffix.lower()
    if suffix == ".qdpx":
        return read_qdpx(path, options.limits)
    if suffix == ".parquet":
        return read_suggestion_codings(path, options.limits)
    if suffix in (".csv", ".tsv", ".xlsx", ".xlsm"):
        frame = read_frame(
            path, error=AgreementInputError, what="codings file", limits=options.limits
        )
        if all(col in frame.columns for col in SUGGESTION_COLUMNS):
            return read_suggestion_codings(path, options.limits)
        return _table_rows(path, frame, options)
    raise AgreementInputError(
        f"unknown codings format {suffix!r}",
        file=path,
        hint="use .csv, .xlsx, .parquet (suggestions) or .qdpx (REFI-QDA project).",
    )


def read_codings(
    paths: Sequence[str | Path],
    units: Sequence[UnitRef] | None = None,
    known_codes: Iterable[str] | None = None,
    coders: Sequence[str] | None = None,
    unitizer: Unitizer = Unitizer(),
    single_label: bool = False,
    options: ReadOptions | None = None,
) -> list[Coding]:
    """Read, unitize and validate codings from every file; raise all problems at once.

    ``units``: the units the codings must refer to (None: unit ids are taken as
    given; spans then need units). ``known_codes``: allowed code ids (None: any).
    ``coders``: keep only these coders; a listed coder with no codings is an error.
    ``single_label``: one code per unit and coder; two different codes contradict.
    ``options``: size caps and unknown columns (:class:`ReadOptions`).
    """
    raw = [row for path in paths for row in read_raw(path, options)]
    problems = Problems()
    codings = _unitize(raw, units, unitizer, problems)
    _check_codes(raw, known_codes, problems)
    _check_duplicates(raw, problems)
    codings = _check_decisions(codings, problems)
    if single_label:
        _check_single_label(codings, problems)
    codings = _select_coders(codings, coders, paths, problems)
    problems.raise_if_any()
    return codings


def _unitize(raw, units, unitizer: Unitizer, problems: Problems) -> list[tuple[Coding, str]]:
    known = None if units is None else {u.id for u in units}
    by_doc = unitizer.index(units or ())
    out = []
    for row in raw:
        if not row.coder:
            problems.add(row.source, row.line, "empty coder")
            continue
        if row.unit is not None:
            if not row.unit or (known is not None and row.unit not in known):
                problems.add(row.source, row.line, f"unknown unit {row.unit!r}")
                continue
            hits = [row.unit]
        else:
            hits = _span_hits(row, by_doc, unitizer, problems)
        out += [(Coding(u, row.code, row.coder, row.source, row.line), row.decision) for u in hits]
    return out


def _span_hits(row: RawCoding, by_doc, unitizer: Unitizer, problems: Problems) -> list[str]:
    if not by_doc:
        problems.add(row.source, row.line, "span coding but no units were given (use --units)")
        return []
    if row.doc_id not in by_doc:
        problems.add(row.source, row.line, f"unknown document {row.doc_id!r}")
        return []
    if row.start < 0 or row.end <= row.start:
        problems.add(row.source, row.line, f"bad span {row.start}-{row.end}")
        return []
    hits = unitizer.cover(by_doc, row.doc_id, row.start, row.end)
    if not hits:
        problems.add(
            row.source,
            row.line,
            f"span {row.doc_id}:{row.start}-{row.end} covers no unit "
            f"(needs >= {unitizer.min_cover:.0%} of a passage)",
        )
    return hits


def _check_codes(raw, known_codes, problems: Problems) -> None:
    allowed = None if known_codes is None else set(known_codes)
    for row in raw:
        if not row.code:
            problems.add(row.source, row.line, "empty code")
        elif allowed is not None and row.code not in allowed:
            problems.add(row.source, row.line, f"unknown code {row.code!r}")


def _check_duplicates(raw, problems: Problems) -> None:
    seen: dict[tuple, int] = {}
    for row in raw:
        key = (row.source, row.unit, row.doc_id, row.start, row.end, row.code, row.coder)
        if key in seen:
            problems.add(row.source, row.line, f"duplicate of line {seen[key]}")
        else:
            seen[key] = row.line


def _check_decisions(pairs, problems: Problems) -> list[Coding]:
    """Accepted and rejected rows for one (unit, code, coder) contradict; rejected rows drop."""
    decided: dict[tuple[str, str, str], tuple[bool, Coding]] = {}
    kept = []
    for coding, decision in pairs:
        if decision not in ACCEPT | REJECT:
            problems.add(
                coding.source,
                coding.line,
                f"unknown decision {decision!r}; use accept or reject (or leave it empty)",
            )
            continue
        accept = decision not in REJECT
        key = (coding.unit, coding.code, coding.coder)
        if key in decided and decided[key][0] != accept:
            other = decided[key][1]
            problems.add(
                coding.source,
                coding.line,
                f"contradicts {other.source}:{other.line} (accepted and rejected "
                f"{coding.code} on {coding.unit} by {coding.coder})",
            )
        decided.setdefault(key, (accept, coding))
        if accept:
            kept.append(coding)
    return kept


def _check_single_label(codings: list[Coding], problems: Problems) -> None:
    first: dict[tuple[str, str], Coding] = {}
    for coding in codings:
        key = (coding.unit, coding.coder)
        other = first.setdefault(key, coding)
        if other.code != coding.code:
            problems.add(
                coding.source,
                coding.line,
                f"overlaps {other.source}:{other.line} with a different code on {coding.unit} "
                f"by {coding.coder} ({other.code} vs {coding.code}; one code per unit expected)",
            )


def _select_coders(codings, coders, paths, problems: Problems) -> list[Coding]:
    if not coders:
        return codings
    present = {c.coder for c in codings}
    for name in coders:
        if name not in present:
            where = str(paths[0]) if paths else ""
            problems.add(
                where, 0, f"unknown coder {name!r}; coders in the files: {sorted(present)}"
            )
    return [c for c in codings if c.coder in set(coders)]
