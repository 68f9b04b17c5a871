"""Codings and the coding table (units x coders -> set of codes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Coding:
    """One judgment: ``coder`` applied ``code`` to ``unit``.

    ``source`` and ``line`` point back to where the judgment was read (file and
    1-based line/row), so every validation message can name them.
    """

    unit: str
    code: str
    coder: str
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class CodingTable:
    """Units x coders; each cell is the frozenset of codes (missing = not coded).

    ``cells[(unit, coder)]`` exists only for judgments that were made; an empty
    frozenset means the coder saw the unit and applied no code.
    """

    units: tuple[str, ...]
    coders: tuple[str, ...]
    cells: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    @property
    def codes(self) -> tuple[str, ...]:
        found: set[str] = set()
        for codes in self.cells.values():
            found.update(codes)
        return tuple(sorted(found))

    def get(self, unit: str, coder: str) -> frozenset[str] | None:
        return self.cells.get((unit, coder))

    def is_single_label(self) -> bool:
        return all(len(codes) == 1 for codes in self.cells.values())

    def subset(self, coders: Iterable[str]) -> CodingTable:
        keep = tuple(c for c in self.coders if c in set(coders))
        cells = {key: value for key, value in self.cells.items() if key[1] in keep}
        return CodingTable(self.units, keep, cells)

    def with_coder(self, coder: str, cells: Mapping[str, frozenset[str]]) -> CodingTable:
        merged = dict(self.cells)
        merged.update({(unit, coder): codes for unit, codes in cells.items()})
        return CodingTable(self.units, (*self.coders, coder), merged)

    def map_codes(self, mapping: Mapping[str, str | None]) -> CodingTable:
        """Roll codes up (or rename them); codes mapped to ``None`` are dropped."""
        cells = {
            key: frozenset(m for c in codes if (m := mapping.get(c, c)) is not None)
            for key, codes in self.cells.items()
        }
        return CodingTable(self.units, self.coders, cells)

    def label_matrix(self) -> np.ndarray:
        """Units x coders object matrix of single labels (None = missing).

        Multi-code cells are written as ``"A|B"`` (sorted) so they count as one value.
        """
        out = np.full((len(self.units), len(self.coders)), None, dtype=object)
        row = {u: i for i, u in enumerate(self.units)}
        col = {c: j for j, c in enumerate(self.coders)}
        for (unit, coder), codes in self.cells.items():
            out[row[unit], col[coder]] = "|".join(sorted(codes))
        return out

    def binary_matrix(self, code: str) -> np.ndarray:
        """Units x coders float matrix: 1 code present, 0 absent, NaN not coded."""
        out = np.full((len(self.units), len(self.coders)), np.nan)
        row = {u: i for i, u in enumerate(self.units)}
        col = {c: j for j, c in enumerate(self.coders)}
        for (unit, coder), codes in self.cells.items():
            out[row[unit], col[coder]] = float(code in codes)
        return out


def build_table(
    codings: Iterable[Coding],
    units: Iterable[str] | None = None,
    coders: Iterable[str] | None = None,
    seen: Iterable[tuple[str, str]] = (),
) -> CodingTable:
    """Group codings into a :class:`CodingTable`.

    ``units``/``coders`` fix the order (default: order of first appearance).
    ``seen`` lists (unit, coder) pairs the coder looked at without coding; they
    become empty sets (the coder said "no code") instead of missing cells.
    """
    cells: dict[tuple[str, str], set[str]] = {key: set() for key in seen}
    unit_order: dict[str, None] = dict.fromkeys(units or ())
    coder_order: dict[str, None] = dict.fromkeys(coders or ())
    for coding in codings:
        cells.setdefault((coding.unit, coding.coder), set()).add(coding.code)
        unit_order.setdefault(coding.unit)
        coder_order.setdefault(coding.coder)
    for unit, coder in cells:
        unit_order.setdefault(unit)
        coder_order.setdefault(coder)
    frozen = {key: frozenset(value) for key, value in cells.items()}
    return CodingTable(tuple(unit_order), tuple(coder_order), frozen)
