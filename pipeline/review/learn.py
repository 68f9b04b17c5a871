"""Learning from the coders: retrain the supervised coder from the store's decisions.

Labels: for every passage someone decided on, the codes accepted or added (the
latest decision of each coder on each code counts; "no code applies" makes the
passage a negative example for every code; a rejected code is a negative for that
code). The coder is trained on those passages' cached vectors, saved with its
model card and a ``learned_from.json`` listing the decisions, and then suggests
codes for every codable passage again; the review queue re-ranks.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.io import atomic_write_text, sha256_text

POSITIVE = ("accept", "add", "adjudicate")


def labels_from_decisions(decisions: Iterable) -> tuple[dict[str, set[str]], list[int]]:
    """(passage id -> positive codes, ids of the decisions used)."""
    latest: dict[tuple[str, str, str | None], object] = {}
    for d in decisions:  # oldest first: later decisions overwrite earlier ones
        latest[(d.coder, d.passage_id, d.code)] = d
    labels: dict[str, set[str]] = {}
    used: list[int] = []
    for (_coder, passage, code), d in sorted(latest.items(), key=lambda kv: kv[1].id):
        labels.setdefault(passage, set())
        used.append(d.id)
        if d.decision in POSITIVE and code:
            labels[passage].add(code)
    for (_coder, passage, code), d in latest.items():
        if d.decision == "reject" and code:
            labels[passage].discard(code)
    return labels, sorted(used)


@dataclass
class TrainerStatus:
    model: str = ""
    folder: str = ""
    decisions: int = 0
    passages: int = 0
    cv: dict = field(default_factory=dict)
    training: bool = False
    error: str = ""
    finished_at: float = 0.0


class Trainer:
    """Retrains after ``every`` new decisions (or on request) in a background thread."""

    def __init__(self, store, config, book, *, every: int = 25,
                 on_done: Callable[[], None] = lambda: None) -> None:
        self.store, self.config, self.book = store, config, book
        self.every = every
        self.on_done = on_done
        self.status = restored_status(store, config, book)
        self._new = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def note_decision(self) -> bool:
        """Count one new decision; start a retrain when ``every`` have accumulated."""
        with self._lock:
            self._new += 1
            due = self.every > 0 and self._new >= self.every
        return self.start() if due else False

    def start(self) -> bool:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._new = 0
            self.status.training = True
            self._thread = threading.Thread(target=self._run, name="groundcode-retrain",
                                            daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        try:
            self.train()
        except Exception as exc:  # noqa: BLE001 - shown on the page, the app keeps running
            self.status.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.status.training = False

    def train(self) -> Path:
        from pipeline.classify.persist import model_card, save_coder
        from pipeline.classify.run import build_coder, suggest_levels
        from pipeline.classify.settings import ClassifySettings
        from pipeline.embed import embed_passages, make_embedder
        from pipeline.errors import ClassifyError
        from pipeline.paths import job_paths

        decisions = self.store.codings.decisions()
        labels, used = labels_from_decisions(decisions)
        if not labels:
            raise ClassifyError("no decisions to learn from yet", unit="review",
                                hint="accept, reject or add codes first.")
        paths = job_paths(self.config)
        embedder = make_embedder(self.config.embed, cache_dir=paths.cache_dir)
        passages = self.store.documents.passages(ids=labels)
        labels = {p.id: labels[p.id] for p in passages}
        vectors = embed_passages(embedder, passages)
        settings = ClassifySettings.model_validate(
            self.config.classify.model_dump() | {"method": "supervised", "codings": None}
        )
        coder = build_coder(settings, embedder, self.book, passages, vectors, labels,
                            self.config.seed)
        folder = save_coder(coder, paths.models_dir / "review")
        learned = {"decisions": len(used), "decision_ids": used,
                   "decision_ids_hash": sha256_text(",".join(map(str, used))),
                   "passages": len(passages),
                   "coders": sorted({d.coder for d in decisions})}
        atomic_write_text(folder / "learned_from.json", json.dumps(learned, indent=2) + "\n")
        record_learned_from(folder, learned)
        everything = [p for p in self.store.documents.passages() if p.codable]
        all_vectors = embed_passages(embedder, everything)
        suggestions = suggest_levels(coder, everything, all_vectors)
        self.store.replace_suggestions([p.id for p in everything], suggestions, self.book.hash,
                                       coder.model_id_)
        card = model_card(coder)
        self.on_done()  # the queue re-ranks on the new suggestions
        self.status = TrainerStatus(
            model=coder.model_id_, folder=str(folder), decisions=len(used),
            passages=len(passages), cv=cv_summary(card.get("cv_metrics", {})), training=False,
            finished_at=time.time(),
        )
        return folder


def cv_summary(per_code: dict[str, dict]) -> dict:
    """The coder's cross-validated agreement with the coders' labels, over its trained codes.

    ``macro_f1`` averages the per-code out-of-fold F1; ``micro_f1`` pools the codes'
    true/false positives and misses (recovered from each code's precision, recall and
    number of positives).
    """
    if not per_code:
        return {}
    f1 = [m["f1"] for m in per_code.values()]
    tp = fp = fn = 0.0
    for m in per_code.values():  # counts recovered from each code's precision and recall
        hits = m["recall"] * m.get("positives", 0)
        tp += hits
        fn += m.get("positives", 0) - hits
        fp += hits / m["precision"] - hits if m["precision"] > 0 else 0.0
    micro = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"codes": len(per_code), "macro_f1": sum(f1) / len(f1), "micro_f1": micro,
            "per_code": per_code}


def record_learned_from(folder: Path, learned: dict) -> None:
    """Add the decisions a coder learned from to its model card (JSON and Markdown)."""
    from pipeline.classify.persist import CARD

    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    card["learned_from"] = learned
    markdown = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    ids = learned["decision_ids"]
    span = f"{ids[0]}–{ids[-1]}" if ids else "none"
    markdown += (
        "\n## Learned from review decisions\n\n"
        f"- decisions: {learned['decisions']} (ids {span}, hash "
        f"`{learned['decision_ids_hash'][:16]}`; full list in `learned_from.json`)\n"
        f"- passages: {learned['passages']}\n"
        f"- coders: {', '.join(learned['coders'])}\n"
    )
    atomic_write_text(folder / "MODEL_CARD.md", markdown)
    atomic_write_text(folder / CARD, json.dumps(card, indent=2, sort_keys=True) + "\n")


def restored_status(store, config, book) -> TrainerStatus:
    """The status of the review-trained coder whose suggestions the store holds, if any.

    A restarted app reports what the current suggestions learned from; when the main
    job has since replaced them (another model id), nothing is claimed.
    """
    import sqlalchemy as sa

    from pipeline.classify.persist import CARD
    from pipeline.paths import job_paths
    from pipeline.store import schema as t

    s = t.suggestions
    with store.engine.connect() as conn:
        current = conn.scalar(sa.select(s.c.model).where(
            s.c.codebook_hash == book.hash, s.c.level == "initial").limit(1))
    root = job_paths(config).models_dir / "review" / book.id
    if not current or not current.startswith("supervised:") or not root.is_dir():
        return TrainerStatus()
    for path in root.glob(f"*/{CARD}"):
        card = json.loads(path.read_text(encoding="utf-8"))
        learned = card.get("learned_from")
        if card.get("model_id") == current and learned:
            return TrainerStatus(model=current, folder=str(path.parent),
                                 decisions=learned["decisions"], passages=learned["passages"],
                                 cv=cv_summary(card.get("cv_metrics", {})),
                                 finished_at=path.stat().st_mtime)
    return TrainerStatus()
