"""The machine as one more coder, majorities, and human-vs-machine comparisons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.agreement.codings import CodingTable
from pipeline.errors import AgreementInputError
from pipeline.io import sha256_text
from pipeline.userfiles import ReadLimits, read_frame

SUGGESTION_COLUMNS = ("passage_id", "code_id", "score")
NO_CODE = "NONE"


def machine_name(model: str) -> str:
    """``groundcode:<first 12 hex of sha256(model id)>``."""
    return f"groundcode:{sha256_text(model)[:12]}"


def load_suggestions(path: str | Path, limits: ReadLimits | None = None):
    """A suggestion table (Parquet, CSV or XLSX) as a DataFrame, checked for its columns."""
    import pandas as pd

    path = Path(path)
    frame = read_frame(
        path, error=AgreementInputError, what="suggestions file", limits=limits, strings=False
    )
    missing = [c for c in SUGGESTION_COLUMNS if c not in frame.columns]
    if missing:
        raise AgreementInputError(
            f"missing column(s) {', '.join(missing)}",
            file=path,
            unit="header",
            hint="a suggestion table has passage_id, code_id, score, rank, level, method, model.",
        )
    if not pd.api.types.is_numeric_dtype(frame["score"]):
        raise AgreementInputError(
            "the score column holds text; scores are numbers", file=path, unit="column score"
        )
    return frame


def machine_cells(
    frame, threshold: float | None = None, level: str | None = None
) -> tuple[str, dict[str, frozenset[str]]]:
    """(coder name, unit -> codes) from suggestions.

    A code counts when its score >= ``threshold`` (None: use the ``accepted``
    column, else every row). Every passage in the table is a unit the machine saw,
    so passages with no counted code get the empty set. ``NONE`` rows never count.
    """
    if level is not None and "level" in frame.columns:
        frame = frame[frame["level"] == level]
    models = sorted(set(frame["model"].astype(str))) if "model" in frame.columns else ["unknown"]
    if threshold is not None:
        keep = frame["score"] >= threshold
    elif "accepted" in frame.columns:
        keep = frame["accepted"].astype(bool)
    else:
        keep = frame["score"] == frame["score"]
    keep &= frame["code_id"].astype(str) != NO_CODE
    cells: dict[str, set[str]] = {str(p): set() for p in frame["passage_id"]}
    for pid, code in zip(frame.loc[keep, "passage_id"], frame.loc[keep, "code_id"], strict=True):
        cells[str(pid)].add(str(code))
    return machine_name("+".join(models)), {k: frozenset(v) for k, v in cells.items()}


def read_suggestion_codings(path: Path, limits: ReadLimits | None = None) -> list:
    """Suggestion table given as a codings file: accepted rows, coder named after the model."""
    from pipeline.agreement.readers import RawCoding

    frame = load_suggestions(path, limits)
    name, cells = machine_cells(frame)
    return [
        RawCoding(code=code, coder=name, source=str(path), line=0, unit=unit)
        for unit, codes in cells.items()
        for code in sorted(codes)
    ]


def majority(table: CodingTable, coders: Iterable[str]) -> dict[str, frozenset[str]]:
    """Per unit, the codes applied by MORE than half of ``coders`` who coded the unit.

    Tie rule: a code applied by exactly half is left out (toward "code absent"),
    so a 2-2 split on "immigration" gives "not immigration". Units none of the
    coders coded are left out.
    """
    coders = tuple(coders)
    out = {}
    for unit in table.units:
        cells = [c for c in (table.get(unit, coder) for coder in coders) if c is not None]
        if not cells:
            continue
        tally: dict[str, int] = {}
        for codes in cells:
            for code in codes:
                tally[code] = tally.get(code, 0) + 1
        out[unit] = frozenset(code for code, n in tally.items() if 2 * n > len(cells))
    return out


@dataclass(frozen=True)
class Comparison:
    """One coder against a reference (another coder or a majority)."""

    coder: str
    reference: str
    kappa: float
    alpha: float
    percent: float
    n_units: int
    reason: str = ""


def compare(
    name: str, cells: Mapping[str, frozenset], ref_name: str, ref: Mapping[str, frozenset]
) -> Comparison:
    """Cohen's kappa, alpha (MASI) and percent agreement on units both coded."""
    import numpy as np

    from pipeline.agreement.coefficients import cohen_kappa, masi_alpha

    shared = [u for u in cells if u in ref]
    labels_a = ["|".join(sorted(cells[u])) for u in shared]
    labels_b = ["|".join(sorted(ref[u])) for u in shared]
    kappa = cohen_kappa(labels_a, labels_b)
    sets = np.empty((len(shared), 2), dtype=object)
    for i, u in enumerate(shared):
        sets[i, 0], sets[i, 1] = cells[u], ref[u]
    alpha = masi_alpha(sets) if shared else None
    same = sum(a == b for a, b in zip(labels_a, labels_b, strict=True))
    return Comparison(
        coder=name,
        reference=ref_name,
        kappa=kappa.value,
        alpha=float("nan") if alpha is None else alpha.value,
        percent=same / len(shared) if shared else float("nan"),
        n_units=len(shared),
        reason=kappa.reason,
    )


def versus_majority(table: CodingTable, machine: str | None = None) -> list[Comparison]:
    """Each human vs the majority of the OTHER humans; the machine vs each human and vs
    the majority of all humans."""
    humans = [c for c in table.coders if c != machine]
    cells = {
        c: {u: table.get(u, c) for u in table.units if table.get(u, c) is not None}
        for c in table.coders
    }
    out = [
        compare(
            h, cells[h], "majority of other humans", majority(table, [o for o in humans if o != h])
        )
        for h in humans
    ]
    if machine is not None:
        out += [compare(machine, cells[machine], h, cells[h]) for h in humans]
        out.append(compare(machine, cells[machine], "majority of humans", majority(table, humans)))
    return out


def machine_rank(comparisons: list[Comparison], machine: str) -> tuple[int, int]:
    """(rank, out of) of the machine's kappa vs majority among the humans' kappas vs
    majority-of-others (1 = highest)."""
    human = [c.kappa for c in comparisons if c.reference == "majority of other humans"]
    mach = [
        c.kappa for c in comparisons if c.coder == machine and c.reference == "majority of humans"
    ]
    if not mach:
        return 0, len(human) + 1
    return 1 + sum(k > mach[0] for k in human if k == k), len(human) + 1
