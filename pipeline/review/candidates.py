"""Candidate categories under review: what the candidates page shows, and its actions.

The cluster stage keeps candidate categories in the store. A researcher looks at
one (draft label, keywords, passages in context, nearest codes) and decides:

* **accept** it as a new initial code under a main category they pick, with a
  bilingual name, definition and inclusion/exclusion notes (pre-filled from the
  draft); its member passages become the code's examples;
* **merge** it into an existing code: its passages become examples of that code;
* **rename** its draft label, **move passages out** of it, or **reject** it (memo).

Each is one attributed transaction (:meth:`CandidateDecisionRepo.decide`). Accept
and merge make a new codebook version from the newest one; the next ``groundcode
run`` codes with it. Decisions belong to one clustering (the cluster stage's
inputs hash): after a re-run the candidates are new and earlier decisions are
history.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.cluster.candidates import CandidateCategory, CandidateLabel
from pipeline.codebook import Codebook, codebook_from_dict, codebook_to_dict
from pipeline.errors import CodebookError, StoreError

MAX_RETRIES = 5


class DecisionConflict(StoreError):
    """The candidate was decided already, or the codebook kept changing under the decision."""


@dataclass(frozen=True)
class AcceptForm:
    code_id: str
    parent: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    include_zh: str = ""
    include_en: str = ""
    exclude_zh: str = ""
    exclude_en: str = ""
    memo: str = ""


@dataclass(frozen=True)
class CandidateView:
    """One candidate as the page shows it, with the decisions taken on it so far."""

    candidate: CandidateCategory
    label: CandidateLabel  # the draft label, or the researcher's rename
    members: tuple[str, ...]  # member passages, without those moved out
    documents: int
    cases: int
    status: str  # open | accepted | merged | rejected
    decisions: tuple = ()
    draft: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Board:
    """The candidates of the current clustering of ``corpus`` and the newest codebook."""

    corpus: str
    cluster: str  # the cluster stage's inputs hash (the clustering decisions belong to)
    book: Codebook
    views: tuple[CandidateView, ...]
    history: tuple = ()  # decisions on earlier clusterings


def newest_version(store, root_hash: str):
    """(record, Codebook) of the newest version made from ``root_hash``."""
    from pipeline.codebook.stored import codebook_from_text

    record = store.codebooks.latest_descendant(root_hash)
    if record is None:
        raise StoreError(f"codebook version {root_hash[:12]} is not in the store",
                         hint="run `groundcode run CONFIG` first.")
    return record, codebook_from_text(record.content, f"stored codebook {record.hash[:12]}")


def review_corpus(store) -> str | None:
    """The corpus whose clustering is reviewed: the one with a stored cluster result."""
    for corpus in store.documents.corpora():
        if store.results.stage_result(corpus, "cluster") is not None:
            return corpus
    return None


def load_board(store, root_hash: str) -> Board | None:
    from pipeline.cluster.records import result_from_store

    corpus = review_corpus(store)
    if corpus is None:
        return None
    _, book = newest_version(store, root_hash)
    mark = store.results.stage_result(corpus, "cluster")
    result = (result_from_store(mark.result, store.results.candidates(corpus))
              if mark.status == "done" else None)
    decisions = store.candidates.decisions(corpus)
    current = [d for d in decisions if d.details.get("cluster") == mark.inputs_hash]
    kinds = {d.id: d.kind for d in store.documents.documents(corpus)}
    views = tuple(_view(c, [d for d in current if d.candidate_id == c.id], kinds, book)
                  for c in (result.candidates if result else ()))
    history = tuple(d for d in decisions if d.details.get("cluster") != mark.inputs_hash)
    return Board(corpus, mark.inputs_hash, book, views, history)


def _doc_of(passage_id: str) -> str:
    return passage_id.rsplit(":", 1)[0]


def _view(candidate: CandidateCategory, decisions: list, kinds: dict, book) -> CandidateView:
    from pipeline.cluster.adopt import candidate_to_code

    label, moved, status = candidate.label, set(), "open"
    for d in decisions:
        if d.action == "rename":
            label = CandidateLabel(d.details["label_zh"], d.details["label_en"])
        elif d.action == "move_out":
            moved |= set(d.passage_ids)
        else:
            status = {"accept": "accepted", "merge": "merged", "reject": "rejected"}[d.action]
    members = tuple(p for p in candidate.passage_ids if p not in moved)
    docs = {_doc_of(p) for p in members}
    try:
        draft = candidate_to_code(candidate, book)
    except CodebookError:
        draft = {}
    return CandidateView(candidate, label, members, len(docs),
                         sum(1 for d in docs if kinds.get(d) == "case"), status,
                         tuple(decisions), draft)


def next_code_id(book: Codebook) -> str:
    """The next free id in the initial codes' own pattern (A50 -> A51)."""
    found = [re.fullmatch(r"([A-Za-z]+)(\d+)", c.id) for c in book.codes if c.level == "initial"]
    found = [m for m in found if m]
    if not found:
        return f"N{len(book.codes) + 1:02d}"
    prefix = Counter(m.group(1) for m in found).most_common(1)[0][0]
    numbers = [int(m.group(2)) for m in found if m.group(1) == prefix]
    width = max(len(m.group(2)) for m in found if m.group(1) == prefix)
    taken = {c.id for c in book.codes}
    n = max(numbers) + 1
    while f"{prefix}{n:0{width}d}" in taken:
        n += 1
    return f"{prefix}{n:0{width}d}"


def _examples(store, passage_ids) -> list[dict[str, str]]:
    passages = store.documents.passages(ids=list(passage_ids))
    order = {pid: i for i, pid in enumerate(passage_ids)}
    return [{"lang": p.lang if p.lang in ("zh", "en") else "zh", "text": p.text}
            for p in sorted(passages, key=lambda p: order[p.id])]


def _bi(zh: str, en: str) -> dict[str, str] | None:
    zh, en = zh.strip(), en.strip()
    return {"zh": zh or en, "en": en or zh} if (zh or en) else None


def _accepted(book: Codebook, form: AcceptForm, examples) -> tuple[Codebook, str]:
    code = {"id": form.code_id.strip(), "parent": form.parent.strip(), "level": "initial",
            "name": _bi(form.name_zh, form.name_en) or {"zh": "", "en": ""},
            "definition": _bi(form.definition_zh, form.definition_en) or {"zh": "", "en": ""},
            "examples": examples}
    for key, value in (("include", _bi(form.include_zh, form.include_en)),
                       ("exclude", _bi(form.exclude_zh, form.exclude_en))):
        if value:
            code[key] = value
    new = book.merge([code])
    return new, f"added {code['id']} {code['name']['zh']} | {code['name']['en']} under " \
                f"{code['parent']} ({len(examples)} example(s))"


def _merged(book: Codebook, code_id: str, examples) -> tuple[Codebook, str]:
    data = codebook_to_dict(book)
    target = next((c for c in data["codes"] if c["id"] == code_id), None)
    if target is None or not book.get(code_id).codable:
        raise CodebookError(f"no codable code {code_id!r} to merge into",
                            unit=f"codebook {book.id}", hint="pick an initial code.")
    have = {e["text"] for e in target.get("examples", [])}
    added = [e for e in examples if e["text"] not in have]
    target["examples"] = [*target.get("examples", []), *added]
    return codebook_from_dict(data, source=f"{book.id} merged"), \
        f"{len(added)} example(s) added to {code_id}"


def _decide_version(store, board: Board, root_hash: str, view: CandidateView, coder: str,
                    action: str, change, code_id: str, details: dict) -> int:
    """Apply ``change(book) -> (new book, line)`` to the newest version and record the
    decision; retried on a newer version when another researcher made one meanwhile."""
    from pipeline.codebook.stored import codebook_text
    from pipeline.store.candidates import NewVersion, VersionConflict

    for _ in range(MAX_RETRIES):
        record, book = newest_version(store, root_hash)
        new, line = change(book)
        reason = f"{action} candidate {view.candidate.id}" + (
            f": {details['memo']}" if details.get("memo") else "")
        version = NewVersion(new.id, new.hash, codebook_text(new), new.version, reason,
                             (f"{line} (candidate {view.candidate.id})",))
        try:
            return store.candidates.decide(
                board.corpus, view.candidate.id, action, coder, base_hash=record.hash,
                passage_ids=view.members, details=details, code_id=code_id,
                new_version=version)
        except VersionConflict:
            continue
    raise DecisionConflict("the codebook keeps changing under this decision; try again",
                     unit=f"candidate {view.candidate.id}")


def _open_view(board: Board, candidate_id: str) -> CandidateView:
    view = next((v for v in board.views if v.candidate.id == candidate_id), None)
    if view is None:
        raise StoreError(f"no candidate {candidate_id!r} in the current clustering",
                         hint="reload the candidates page; a run may have re-clustered.")
    if view.status != "open":
        raise DecisionConflict(f"candidate {candidate_id} is already {view.status}",
                         unit=f"candidate {candidate_id}")
    return view


def accept(store, root_hash: str, candidate_id: str, coder: str, form: AcceptForm) -> int:
    board = load_board(store, root_hash)
    view = _open_view(board, candidate_id)
    examples = _examples(store, view.members)
    details = {"cluster": board.cluster, "memo": form.memo, "parent": form.parent,
               "name_zh": form.name_zh, "name_en": form.name_en}
    return _decide_version(store, board, root_hash, view, coder, "accept",
                           lambda book: _accepted(book, form, examples),
                           form.code_id.strip(), details)


def merge(store, root_hash: str, candidate_id: str, coder: str, code_id: str,
          memo: str = "") -> int:
    board = load_board(store, root_hash)
    view = _open_view(board, candidate_id)
    examples = _examples(store, view.members)
    return _decide_version(store, board, root_hash, view, coder, "merge",
                           lambda book: _merged(book, code_id, examples), code_id,
                           {"cluster": board.cluster, "memo": memo})


def _plain(store, root_hash, candidate_id, coder, action, details, passage_ids=None) -> int:
    board = load_board(store, root_hash)
    view = _open_view(board, candidate_id)
    record, _ = newest_version(store, root_hash)
    return store.candidates.decide(
        board.corpus, candidate_id, action, coder, base_hash=record.hash,
        passage_ids=view.members if passage_ids is None else passage_ids,
        details={"cluster": board.cluster, **details})


def rename(store, root_hash, candidate_id, coder, label_zh: str, label_en: str) -> int:
    label = _bi(label_zh, label_en)
    if label is None:
        raise StoreError("a new label needs a Chinese or an English name",
                         unit=f"candidate {candidate_id}")
    return _plain(store, root_hash, candidate_id, coder, "rename",
                  {"label_zh": label["zh"], "label_en": label["en"]})


def move_out(store, root_hash, candidate_id, coder, passage_ids, memo: str = "") -> int:
    board = load_board(store, root_hash)
    members = set(_open_view(board, candidate_id).members)
    chosen = [p for p in passage_ids if p in members]
    if not chosen:
        raise StoreError("choose member passages to move out", unit=f"candidate {candidate_id}")
    return _plain(store, root_hash, candidate_id, coder, "move_out", {"memo": memo}, chosen)


def reject(store, root_hash, candidate_id, coder, memo: str) -> int:
    return _plain(store, root_hash, candidate_id, coder, "reject", {"memo": memo})
