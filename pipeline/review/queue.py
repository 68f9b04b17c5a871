"""The review queue: codable passages in the order a coder should see them.

Strategies: ``uncertain`` (active learning: smallest gap between the two best
initial-level scores first — the passages the coder is least sure about),
``document`` (corpus order) and ``random`` (seeded). Filters: document, edition,
action arena, suggested code, and "not yet coded by me" (``todo``: moving on skips
the passages the coder has decided). The order is computed once from the store and
rebuilt after the coder retrains, and when :meth:`ReviewQueue.refresh` finds that the
store's documents, stage marks or runs changed (``groundcode run`` while the app is up).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from pipeline.store import schema as t

STRATEGIES = ("uncertain", "document", "random")


@dataclass(frozen=True)
class Filters:
    doc: str = ""
    edition: str = ""
    arena: str = ""
    code: str = ""
    todo: str = ""  # "1": only passages the coder has not decided yet

    def query(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def without_todo(self) -> Filters:
        return Filters(self.doc, self.edition, self.arena, self.code)


@dataclass(frozen=True)
class Entry:
    passage_id: str
    doc_id: str
    edition: str
    arena: str
    codes: frozenset[str]  # codes suggested at the initial level (for the code filter)


class ReviewQueue:
    def __init__(self, store, codebook_hash: str, seed: int = 0) -> None:
        self.store = store
        self.codebook_hash = codebook_hash
        self.seed = seed
        self._lock = threading.Lock()
        self._orders: dict[str, list[str]] = {}
        self._entries: dict[str, Entry] = {}
        self._filtered: dict[tuple, list[str]] = {}
        self._refresh_lock = threading.Lock()
        self._version: tuple | None = None
        self._checked = float("-inf")
        self.rebuild()

    def refresh(self, every: float = 0.0) -> bool:
        """Rebuild if the store changed since the last build; look at most every ``every``
        seconds. While one caller rebuilds, the others go on with the current order
        (they never wait). Returns whether this call rebuilt."""
        if not self._refresh_lock.acquire(blocking=False):
            return False
        try:
            now = time.monotonic()
            if now - self._checked < every:
                return False
            self._checked = now
            with self.store.engine.connect() as conn:
                changed = store_version(conn) != self._version
            if changed:
                self.rebuild()
            return changed
        finally:
            self._refresh_lock.release()

    def invalidate(self) -> None:
        """Make the next :meth:`refresh` rebuild (the store said a passage is gone)."""
        self._version, self._checked = None, float("-inf")

    def rebuild(self) -> None:
        """Read passages and suggestions again (after a run or a retrain)."""
        p, d, s = t.passages, t.documents, t.suggestions
        entries: dict[str, Entry] = {}
        doc_order: list[str] = []
        with self.store.engine.connect() as conn:
            version = store_version(conn)  # in the same read transaction as the rows
            rows = conn.execute(
                sa.select(p.c.id, p.c.doc_id, d.c.meta)
                .join(d, d.c.id == p.c.doc_id)
                .where(p.c.codable.is_(True))
                .order_by(p.c.doc_id, p.c.start, p.c.end)
            )
            for pid, doc_id, meta in rows:
                meta = meta or {}
                entries[pid] = Entry(pid, doc_id, str(meta.get("edition", "") or ""),
                                     str(meta.get("arena", "") or ""), frozenset())
                doc_order.append(pid)
            scores: dict[str, list[float]] = {}
            codes: dict[str, set[str]] = {}
            for pid, code, score in conn.execute(
                sa.select(s.c.passage_id, s.c.code_id, s.c.score).where(
                    s.c.codebook_hash == self.codebook_hash, s.c.level == "initial"
                )
            ):
                scores.setdefault(pid, []).append(score)
                if code != "NONE":
                    codes.setdefault(pid, set()).add(code)
        for pid, found in codes.items():
            if pid in entries:
                e = entries[pid]
                entries[pid] = Entry(e.passage_id, e.doc_id, e.edition, e.arena, frozenset(found))

        def margin(pid: str) -> float:
            top = sorted(scores.get(pid, []), reverse=True)
            return top[0] - top[1] if len(top) > 1 else (1.0 if top else 2.0)

        doc_order_index = {pid: i for i, pid in enumerate(doc_order)}
        uncertain = sorted(doc_order, key=lambda pid: (margin(pid), doc_order_index[pid]))
        shuffled = list(doc_order)
        random.Random(self.seed).shuffle(shuffled)
        with self._lock:
            self._entries = entries
            self._orders = {"uncertain": uncertain, "document": doc_order, "random": shuffled}
            self._filtered = {}
            self._version = version

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, passage_id: str) -> Entry | None:
        return self._entries.get(passage_id)

    def order(self, strategy: str, filters: Filters) -> list[str]:
        key = (strategy, filters.without_todo())
        with self._lock:
            cached = self._filtered.get(key)
            if cached is not None:
                return cached
            base = self._orders.get(strategy, self._orders["document"])
            out = [pid for pid in base if _matches(self._entries[pid], filters)]
            self._filtered[key] = out
            return out

    def next_undecided(
        self, strategy: str, filters: Filters, decided: Iterable[str]
    ) -> str | None:
        done = set(decided)
        return next((pid for pid in self.order(strategy, filters) if pid not in done), None)

    def neighbour(self, strategy: str, filters: Filters, passage_id: str, step: int,
                  decided: Iterable[str] = ()) -> str | None:
        """The passage ``step`` (+1 / -1) away; with ``filters.todo``, skipping ``decided``."""
        order = self.order(strategy, filters)
        skip = set(decided) if filters.todo else set()
        try:
            i = order.index(passage_id)
        except ValueError:
            return next((pid for pid in order if pid not in skip), None)
        j = i + step
        while 0 <= j < len(order) and order[j] in skip:
            j += step
        return order[j] if 0 <= j < len(order) else None

    def facets(self) -> dict[str, list[str]]:
        entries = self._entries.values()
        return {
            "doc": sorted({e.doc_id for e in entries}),
            "edition": sorted({e.edition for e in entries if e.edition}),
            "arena": sorted({e.arena for e in entries if e.arena}),
        }


def store_version(conn) -> tuple:
    """What changes when a run (re-)segments, removes or re-classifies documents."""
    counts = [conn.scalar(sa.select(sa.func.count()).select_from(table))
              for table in (t.documents, t.passages)]
    marks = conn.execute(sa.select(sa.func.count(), sa.func.max(t.document_state.c.updated_at))
                         .select_from(t.document_state)).one()
    runs = conn.execute(sa.select(sa.func.count(), sa.func.max(t.runs.c.finished_at))
                        .select_from(t.runs)).one()
    return (*counts, *marks, *runs)


def _matches(entry: Entry, f: Filters) -> bool:
    return (
        (not f.doc or entry.doc_id == f.doc)
        and (not f.edition or entry.edition == f.edition)
        and (not f.arena or entry.arena == f.arena)
        and (not f.code or f.code in entry.codes)
    )
