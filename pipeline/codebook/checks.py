"""Structural checks across the codes of a schema-valid codebook.

Each check returns a list of ``(location, message)`` problems; :func:`check_all`
runs every check so that all problems are reported together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from pipeline.codebook.model import LEVELS
from pipeline.codebook.schema import CodebookSpec

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


def check_unique_ids(spec: CodebookSpec) -> list[Problem]:
    problems: list[Problem] = []
    for kind, items in (("code", spec.codes), ("dimension", spec.dimensions)):
        counts = Counter(item.id for item in items)
        seen: set[str] = set()
        key = "codes" if kind == "code" else "dimensions"
        for index, item in enumerate(items):
            if counts[item.id] > 1 and item.id in seen:
                problems.append(((key, index, "id"), f"duplicate {kind} id {item.id!r}"))
            seen.add(item.id)
    for facet, values in spec.facets.items():
        counts = Counter(value.id for value in values)
        for value_id in sorted(v for v, n in counts.items() if n > 1):
            problems.append((("facets", facet), f"duplicate {facet} value {value_id!r}"))
    return problems


def check_parents_and_levels(spec: CodebookSpec) -> list[Problem]:
    by_id = {code.id: code for code in spec.codes}
    problems: list[Problem] = []
    for index, code in enumerate(spec.codes):
        depth = LEVELS.index(code.level)
        if code.parent is None:
            if depth != 0:
                problems.append(
                    ((("codes", index, "parent")), f"{code.level} code {code.id} has no parent")
                )
            continue
        parent = by_id.get(code.parent)
        if parent is None:
            problems.append(
                (("codes", index, "parent"), f"parent {code.parent!r} of {code.id} does not exist")
            )
        elif depth == 0:
            problems.append(
                (("codes", index, "parent"), f"{code.level} code {code.id} must not have a parent")
            )
        elif LEVELS.index(parent.level) != depth - 1:
            problems.append(
                (
                    ("codes", index, "parent"),
                    f"{code.level} code {code.id} has parent {parent.id} at level "
                    f"{parent.level!r}; expected level {LEVELS[depth - 1]!r}",
                )
            )
    return problems


def check_no_cycles(spec: CodebookSpec) -> list[Problem]:
    parent_of = {code.id: code.parent for code in spec.codes}
    index_of = {code.id: index for index, code in enumerate(spec.codes)}
    problems: list[Problem] = []
    reported: set[str] = set()
    for start in parent_of:
        trail: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and node not in trail:
            trail.append(node)
            node = parent_of[node]
        if node is not None and node in trail:
            cycle = trail[trail.index(node) :]
            if not reported.intersection(cycle):
                reported.update(cycle)
                text = " -> ".join([*cycle, node])
                problems.append((("codes", index_of[node], "parent"), f"parent cycle {text}"))
    return problems


def check_leaves_codable(spec: CodebookSpec) -> list[Problem]:
    parents = {code.parent for code in spec.codes}
    return [
        (("codes", index, "codable"), f"leaf code {code.id} is marked codable: false")
        for index, code in enumerate(spec.codes)
        if code.id not in parents and code.codable is False
    ]


def check_dimensions(spec: CodebookSpec) -> list[Problem]:
    known = {dim.id for dim in spec.dimensions}
    problems: list[Problem] = []
    for index, code in enumerate(spec.codes):
        loc = ("codes", index, "dimension")
        if code.level == LEVELS[0] and code.dimension is None and known:
            problems.append((loc, f"main code {code.id} has no dimension"))
        elif code.dimension is not None and code.dimension not in known:
            problems.append((loc, f"dimension {code.dimension!r} of {code.id} is not defined"))
        elif code.dimension is not None and code.level != LEVELS[0]:
            problems.append((loc, f"only main codes carry a dimension ({code.id} is initial)"))
    return problems


def check_arenas(spec: CodebookSpec) -> list[Problem]:
    known = {value.id for value in spec.facets.get("arena", [])}
    problems: list[Problem] = []
    for index, code in enumerate(spec.codes):
        for pos, arena in enumerate(code.arenas):
            if arena not in known:
                problems.append(
                    (
                        ("codes", index, "arenas", pos),
                        f"arena {arena!r} of {code.id} is not a value of facet 'arena'",
                    )
                )
    return problems


CHECKS: tuple[Callable[[CodebookSpec], list[Problem]], ...] = (
    check_unique_ids,
    check_parents_and_levels,
    check_no_cycles,
    check_leaves_codable,
    check_dimensions,
    check_arenas,
)


def check_all(spec: CodebookSpec) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(spec)]
