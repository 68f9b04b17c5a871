"""Sentence windows: consecutive sentences up to a count and a character cap."""

from __future__ import annotations

from pipeline.segment.paragraphs import strip_span

#: clause marks a long sentence is cut after, strongest first
CLAUSE_MARKS = ("；;", "：:", "，,", "、")
_OPEN = "（(【[「『《〈“‘{"
_CLOSE = "）)】]」』》〉”’}"


def _depths(text: str, start: int, end: int) -> list[int]:
    """Bracket/quote depth before each character of ``text[start:end]``."""
    depths, depth, straight = [], 0, False
    for ch in text[start:end]:
        depths.append(depth + straight)
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif ch == '"':
            straight = not straight
    return depths


def clause_cuts(text: str, start: int, end: int) -> list[list[int]]:
    """Where a long sentence ``text[start:end]`` may be cut, best kind first.

    Offsets just after each clause mark, one list per strength in :data:`CLAUSE_MARKS`,
    then the spaces between words — all outside brackets and quotes, so never inside a
    citation such as "(Li et al., 2023; Zhou, 2024)"; then the same inside them (a
    last resort before a hard cut). A comma between digits (1,000) is no mark.
    """
    depths = _depths(text, start, end)
    kinds = len(CLAUSE_MARKS) + 1
    cuts: list[list[int]] = [[] for _ in range(2 * kinds)]
    for i in range(start + 1, end - 1):
        ch = text[i]
        nested = kinds if depths[i - start] else 0
        if ch.isspace():
            if not text[i - 1].isspace():
                cuts[nested + kinds - 1].append(i)
            continue
        strength = next((k for k, marks in enumerate(CLAUSE_MARKS) if ch in marks), None)
        if strength is None or (ch == "," and text[i - 1].isdigit() and text[i + 1].isdigit()):
            continue
        cuts[nested + strength].append(i + 1)
    return cuts


def _best_cut(cuts: list[list[int]], low: int, limit: int) -> int | None:
    """The last cut in ``(low, limit]`` of the strongest kind that has one."""
    for kind in cuts:
        fitting = [c for c in kind if low < c <= limit]
        if fitting:
            return fitting[-1]
    return None


def chop_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than ``max_chars`` into pieces that fit, each at the strongest
    clause mark (；;, then ：:, then ，, then 、) outside brackets and quotes that leaves the
    piece at least a quarter of ``max_chars`` long; failing that between words; only a
    sentence with neither is cut hard at ``max_chars``."""
    if end - start <= max_chars:
        return [(start, end)]
    cuts = clause_cuts(text, start, end)
    pieces = []
    while end - start > max_chars:
        limit = start + max_chars
        cut = _best_cut(cuts, start + max_chars // 4, limit) or _best_cut(cuts, start, limit)
        cut = cut or limit
        piece = strip_span(text, start, cut)
        if piece[0] < piece[1]:
            pieces.append(piece)
        start = strip_span(text, cut, end)[0]
    if start < end:
        pieces.append((start, end))
    return pieces


def sentence_windows(
    sentences: list[tuple[int, int]], max_sentences: int, max_chars: int
) -> list[tuple[int, int]]:
    """Group consecutive sentences into non-overlapping ``(first, last_exclusive)`` index
    windows of at most ``max_sentences`` sentences spanning at most ``max_chars``."""
    windows = []
    first = 0
    for i in range(1, len(sentences) + 1):
        if i == len(sentences):
            windows.append((first, i))
            break
        too_many = i - first >= max_sentences
        too_long = sentences[i][1] - sentences[first][0] > max_chars
        if too_many or too_long:
            windows.append((first, i))
            first = i
    return windows if sentences else []
