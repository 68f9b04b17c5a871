"""Repository behaviour every backend must show; subclassed per backend.

A subclass provides a ``store_url`` fixture giving a fresh, empty database URL.
"""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from pipeline.classify.suggestion import Suggestion
from pipeline.corpus.document import Document
from pipeline.errors import StoreError
from pipeline.segment.passage import Passage
from pipeline.store import StageHashes, open_store
from pipeline.store.migrate import current_revision, head_revision


def make_doc(doc_id: str, text: str | None = None, **meta) -> Document:
    text = text if text is not None else f"{doc_id}：企业帮扶乡村振兴。合作社带动农户增收。"
    return Document(id=doc_id, kind="case", lang="zh", text=text, meta=meta, source=f"{doc_id}.txt")


def make_passages(doc: Document, size: int = 5, codable: bool = True) -> list[Passage]:
    out = []
    for i, start in enumerate(range(0, len(doc.text), size)):
        end = min(start + size, len(doc.text))
        out.append(
            Passage(
                id=Passage.make_id(doc.id, start, end),
                doc_id=doc.id,
                start=start,
                end=end,
                text=doc.text[start:end],
                lang="zh",
                paragraph=i // 3,
                speaker="受访者" if i % 2 else None,
                speaker_role="interviewee" if i % 2 else None,
                tokens=tuple(doc.text[start:end]),
                codable=codable,
                context_before="前" if i else "",
            )
        )
    return out


def make_suggestions(passages, codes=("A01", "A02", "A03"), model="zs:m1") -> list[Suggestion]:
    out = []
    for j, p in enumerate(passages):
        for rank, code in enumerate(codes, start=1):
            score = round(1.0 / (rank + j % 7), 6)
            out.append(
                Suggestion(p.id, code, score, rank, "initial", "zero-shot", model, rank == 1)
            )
    return out


def hashes(doc: Document, codebook="cb1", embedder="emb1") -> StageHashes:
    from pipeline.store.documents import content_hash

    return StageHashes(content_hash(doc), codebook_hash=codebook, embedder_id=embedder)


class StoreContract:
    @pytest.fixture()
    def store(self, store_url):
        with open_store(store_url) as store:
            yield store

    @pytest.fixture()
    def filled(self, store):
        """Two documents with passages and suggestions under codebook ``cb1``."""
        for doc_id in ("d1", "d2"):
            doc = make_doc(doc_id, edition="2023")
            ps = make_passages(doc)
            store.replace_document(doc, ps, corpus="bluebook")
            store.replace_suggestions([p.id for p in ps], make_suggestions(ps), "cb1", "zs:m1")
        return store

    # -- documents and passages ------------------------------------------------------
    def test_document_and_passages_round_trip(self, store):
        doc = make_doc("d1", edition="2023", arena="产业")
        ps = make_passages(doc)
        store.replace_document(doc, ps, corpus="bluebook")
        back = store.documents.get_document("d1")
        assert (back.text, back.meta, back.kind, back.source) == (
            doc.text,
            doc.meta,
            "case",
            "d1.txt",
        )
        assert len(back.sha256) == 64
        assert store.documents.passages("d1") == ps
        assert all(doc.text[p.start : p.end] == p.text for p in store.documents.passages("d1"))
        assert store.documents.passage_ids("d1") == [p.id for p in ps]
        assert store.documents.passage_ids("no such document") == []
        # what the models read is kept beside the text when it differs
        read = [dataclasses.replace(p, content=p.text.replace("，", "")) if i % 2 else p
                for i, p in enumerate(ps)]
        store.replace_document(doc, read, corpus="bluebook")
        assert store.documents.passages("d1") == read
        assert store.documents.document_ids("bluebook") == {"d1"}
        assert store.documents.corpora() == ["bluebook"]

    def test_replace_document_replaces_passages_and_drops_their_suggestions(self, filled):
        doc = make_doc("d1", "全新的文本内容，完全不同。")
        new = make_passages(doc, size=4)
        filled.replace_document(doc, new, corpus="bluebook")
        assert filled.documents.passages("d1") == new
        old_ids = [p.id for p in make_passages(make_doc("d1"))]
        assert filled.suggestions.suggestions_for(old_ids) == {}
        assert filled.documents.get_document("d1").text == doc.text
        assert filled.suggestions.suggestions_for([p.id for p in filled.documents.passages("d2")])

    def test_replace_document_rejects_foreign_passages_without_writing(self, store):
        d1, d2 = make_doc("d1"), make_doc("d2")
        with pytest.raises(StoreError, match="belongs to document 'd2'"):
            store.replace_document(d1, make_passages(d1) + make_passages(d2)[:1])
        assert store.counts()["documents"] == 0

    def test_failed_replace_leaves_old_document_and_passages(self, filled):
        before_doc = filled.documents.get_document("d1")
        before = filled.documents.passages("d1")
        counts = filled.counts()
        doc = make_doc("d1", "这是一段会失败的新文本。")
        ps = make_passages(doc)
        with pytest.raises(StoreError, match="constraint"):
            filled.replace_document(doc, ps + [ps[0]], corpus="bluebook")  # duplicate id
        assert filled.documents.get_document("d1") == before_doc
        assert filled.documents.passages("d1") == before
        assert filled.counts() == counts

    def test_document_id_is_unique_across_corpora(self, filled):
        with pytest.raises(StoreError, match="already belongs to corpus 'bluebook'"):
            filled.replace_document(make_doc("d1"), [], corpus="interviews")

    def test_remove_documents_keeps_human_codings(self, filled):
        pid = filled.documents.passages("d1")[0].id
        filled.record_decision("alice", pid, "A01", "accept")
        filled.mark_stage("d1", "segmented", hashes(make_doc("d1")))
        assert filled.remove_documents(["d1", "missing"]) == 1
        counts = filled.counts()
        assert filled.documents.document_ids() == {"d2"}
        assert counts["passages"] == len(filled.documents.passages("d2"))
        assert counts["suggestions"] == 3 * counts["passages"]
        assert counts["document_state"] == 0
        assert [d.passage_id for d in filled.decisions("alice")] == [pid]

    # -- suggestions -------------------------------------------------------------------
    def test_replace_suggestions_is_idempotent(self, filled):
        ps = filled.documents.passages("d1")
        ids = [p.id for p in ps]
        first = filled.suggestions.suggestions_for(ids)
        count = filled.counts()["suggestions"]
        for _ in range(2):
            filled.replace_suggestions(ids, make_suggestions(ps), "cb1", "zs:m1")
        assert filled.counts()["suggestions"] == count
        assert filled.suggestions.suggestions_for(ids) == first
        assert [s.rank for s in first[ids[0]]] == [1, 2, 3]

    def test_corpus_suggestion_frame_has_the_corpus_rows_in_passage_level_rank_order(self, filled):
        doc = make_doc("d3", edition="2024")
        ps = make_passages(doc)
        filled.replace_document(doc, ps, corpus="other")
        filled.replace_suggestions([p.id for p in ps], make_suggestions(ps), "cb1", "zs:m1")
        filled.replace_suggestions([p.id for p in ps[:1]], make_suggestions(ps[:1]), "cb2", "m")
        corpus_ids = [p.id for d in ("d1", "d2") for p in filled.documents.passages(d)]
        by_passage = filled.suggestions.suggestions_for(corpus_ids, codebook_hash="cb1")
        objects = [s for pid in sorted(by_passage) for s in by_passage[pid]]
        frame = filled.suggestions.corpus_suggestion_frame("bluebook", "cb1")
        assert len(objects) == len(frame) > 0
        rows = [Suggestion(*r) for r in frame.itertuples(index=False, name=None)]
        assert rows == objects
        assert frame["accepted"].dtype == bool and frame["rank"].dtype == "int64"
        assert filled.suggestions.corpus_suggestion_frame("bluebook", "nope").empty

    def test_replace_suggestions_replaces_only_its_passages_and_codebook(self, filled):
        ps = filled.documents.passages("d1")
        ids = [p.id for p in ps]
        new = make_suggestions(ps[:2], codes=("B01",), model="sup:m2")
        filled.replace_suggestions(ids, new, "cb1", "sup:m2")
        filled.replace_suggestions(ids[:1], make_suggestions(ps[:1]), "cb2", "zs:m1")
        got = filled.suggestions.suggestions_for(ids, codebook_hash="cb1")
        assert sorted(got) == sorted(ids[:2])
        assert [s for p in ids[:2] for s in got[p]] == new
        assert len(filled.suggestions.suggestions_for(ids, codebook_hash="cb2")[ids[0]]) == 3
        other = [p.id for p in filled.documents.passages("d2")]
        assert len(filled.suggestions.all_suggestions("cb1")) == 2 + 3 * len(other)

    def test_suggestions_outside_passage_ids_are_refused(self, filled):
        ps = filled.documents.passages("d1")
        with pytest.raises(StoreError, match="outside the passages"):
            filled.replace_suggestions([ps[0].id], make_suggestions(ps[:2]), "cb1", "m")

    def test_failed_suggestion_write_leaves_previous_rows(self, filled):
        ps = filled.documents.passages("d1")
        ids = [p.id for p in ps]
        before = filled.suggestions.all_suggestions()
        ghost = Passage("ghost:0-1", "ghost", 0, 1, "x", "zh", 0)
        bad = make_suggestions(ps) + make_suggestions([ghost])  # unknown passage: FK fails
        with pytest.raises(StoreError):
            filled.replace_suggestions(ids + [ghost.id], bad, "cb1", "zs:m1")
        assert filled.suggestions.all_suggestions() == before

    # -- incremental state -------------------------------------------------------------
    def test_pending_documents_follow_content_codebook_and_embedder(self, filled):
        docs = [make_doc("d1", edition="2023"), make_doc("d2", edition="2023")]
        pend = filled.pending_documents
        assert pend("bluebook", docs, "cb1", "emb1", "classified") == docs
        for doc in docs:
            for stage in ("segmented", "embedded", "classified"):
                filled.mark_stage(doc.id, stage, hashes(doc))
        assert pend("bluebook", docs, "cb1", "emb1", "classified") == []
        assert pend("bluebook", docs, "cb2", "emb1", "classified") == docs
        assert pend("bluebook", docs, "cb2", "emb1", "embedded") == []
        assert pend("bluebook", docs, "cb1", "emb2", "embedded") == docs
        assert pend("bluebook", docs, "cb1", "emb2", "segmented") == []
        changed = make_doc("d2", "第二版的新内容。")
        assert pend("bluebook", [docs[0], changed], "cb1", "emb1", "segmented") == [changed]
        new = make_doc("d3")
        assert pend("bluebook", [new, *docs], "cb1", "emb1", "classified") == [new]
        assert pend("other-corpus", docs, "cb1", "emb1", "segmented") == docs

    def test_replacing_a_document_clears_its_stage_marks(self, filled):
        doc = make_doc("d1", edition="2023")
        filled.mark_stage("d1", "classified", hashes(doc))
        filled.replace_document(doc, make_passages(doc), corpus="bluebook")
        assert filled.pending_documents("bluebook", [doc], "cb1", "emb1", "classified") == [doc]

    def test_bad_stage_and_unknown_document_are_errors(self, filled):
        with pytest.raises(StoreError, match="unknown stage"):
            filled.mark_stage("d1", "clustered", hashes(make_doc("d1")))
        with pytest.raises(StoreError, match="'nope' is not in the store"):
            filled.mark_stage("nope", "segmented", hashes(make_doc("nope")))

    # -- human decisions ---------------------------------------------------------------
    def test_record_decision_stores_every_field(self, filled):
        pid = filled.documents.passages("d1")[1].id
        first = filled.record_decision(
            "alice", pid, "A02", "accept", shown="A02", score=0.81, model="zs:m1", memo="清楚"
        )
        second = filled.record_decision("alice", pid, None, "none")
        assert second > first
        got = filled.decisions("alice")
        assert [(d.id, d.code, d.decision) for d in got] == [
            (first, "A02", "accept"),
            (second, None, "none"),
        ]
        assert (got[0].shown, got[0].score, got[0].model, got[0].memo) == (
            "A02",
            0.81,
            "zs:m1",
            "清楚",
        )
        assert got[0].time.tzinfo is not None and got[0].time <= got[1].time
        assert filled.codings.coders() == ["alice"]

    @pytest.mark.parametrize(
        ("code", "decision", "message"),
        [
            ("A01", "maybe", "unknown decision"),
            (None, "accept", "needs a code"),
            ("A01", "none", "cannot carry a code"),
        ],
    )
    def test_invalid_decisions_are_refused(self, filled, code, decision, message):
        pid = filled.documents.passages("d1")[0].id
        with pytest.raises(StoreError, match=message):
            filled.record_decision("alice", pid, code, decision)
        assert filled.decisions() == []

    def test_decision_on_unknown_passage_is_refused(self, filled):
        with pytest.raises(StoreError, match="'d9:0-5' is not in the store"):
            filled.record_decision("alice", "d9:0-5", "A01", "add")
        assert filled.counts()["codings"] == 0

    def test_undo_last_withdraws_only_that_coders_latest(self, filled):
        ps = filled.documents.passages("d1")
        a1 = filled.record_decision("alice", ps[0].id, "A01", "accept")
        a2 = filled.record_decision("alice", ps[1].id, "A02", "reject")
        b1 = filled.record_decision("bob", ps[1].id, "A03", "add")
        assert filled.undo_last("alice") == a2
        assert [d.id for d in filled.decisions("alice")] == [a1]
        assert [d.id for d in filled.decisions("bob")] == [b1]
        assert filled.undo_last("alice") == a1
        assert filled.undo_last("alice") is None
        assert filled.undo_last("carol") is None
        assert [d.id for d in filled.decisions()] == [b1]

    def test_two_coders_on_one_passage_are_both_kept(self, filled):
        pid = filled.documents.passages("d2")[0].id
        filled.record_decision("alice", pid, "A01", "accept")
        filled.record_decision("bob", pid, "A01", "reject")
        got = filled.codings.decisions(passage_ids=[pid])
        assert [(d.coder, d.decision) for d in got] == [("alice", "accept"), ("bob", "reject")]

    def test_memos(self, filled):
        pid = filled.documents.passages("d1")[0].id
        mid = filled.codings.add_memo("alice", "产业帮扶的例子", passage_id=pid, code="A01")
        memos = filled.codings.memos(passage_id=pid)
        assert [(m.id, m.coder, m.text, m.code) for m in memos] == [
            (mid, "alice", "产业帮扶的例子", "A01")
        ]
        assert filled.codings.memos(coder="bob") == []

    def test_review_queue_pages_in_document_order_skipping_my_decisions(self, filled):
        all_ps = filled.documents.passages()
        queue = filled.codings.review_queue
        assert queue("alice", limit=4) == all_ps[:4]
        filled.record_decision("alice", all_ps[1].id, "A01", "accept")
        assert queue("alice", limit=3) == [all_ps[0], all_ps[2], all_ps[3]]
        assert queue("bob", limit=2) == all_ps[:2]
        assert queue("alice", limit=2, after=all_ps[2].id) == all_ps[3:5]
        assert queue("alice", limit=100, doc_id="d2") == filled.documents.passages("d2")
        filled.undo_last("alice")
        assert queue("alice", limit=2) == all_ps[:2]

    def test_review_queue_code_filter_and_codable(self, filled):
        doc = make_doc("d3", "采访者的问题不编码。")
        filled.replace_document(doc, make_passages(doc, codable=False), corpus="bluebook")
        ps = filled.documents.passages("d1")
        filled.replace_suggestions([ps[0].id], make_suggestions(ps[:1], codes=("B09",)), "cb1", "m")
        assert filled.codings.review_queue("alice", code="B09") == ps[:1]
        assert all(p.doc_id != "d3" for p in filled.codings.review_queue("alice", limit=1000))

    # -- runs and codebooks ------------------------------------------------------------
    def test_runs_start_and_finish(self, store):
        run = store.runs.start_run(
            "r1", {"seed": 3, "corpus": {"path": "c"}}, "0.1.0", 3, "cb1", "emb1"
        )
        assert (run.status, run.finished_at, run.config["corpus"]) == (
            "running",
            None,
            {"path": "c"},
        )
        done = store.runs.finish_run("r1", timings={"embed": 1.5}, counts={"passages": 10})
        assert (done.status, done.timings, done.counts) == (
            "finished",
            {"embed": 1.5},
            {"passages": 10},
        )
        assert done.finished_at >= done.started_at
        again = store.runs.start_run("r1", {"seed": 3}, "0.1.0", 3)
        assert (again.status, again.timings) == ("running", {})
        assert [r.id for r in store.runs.runs()] == ["r1"]
        with pytest.raises(StoreError, match="never started"):
            store.runs.finish_run("r2")
        with pytest.raises(StoreError, match="not 'done'"):
            store.runs.finish_run("r1", status="done")

    def test_codebooks_are_versioned_by_hash(self, store):
        store.codebooks.save_codebook("gt50", "h1", '{"codes": 50}', version="1.0")
        store.codebooks.save_codebook("gt50", "h1", '{"codes": 50}', version="1.0")
        store.codebooks.save_codebook("gt50", "h2", '{"codes": 51}', version="1.1")
        assert [c.hash for c in store.codebooks.codebooks("gt50")] == ["h1", "h2"]
        assert store.codebooks.get_codebook("h2").content == '{"codes": 51}'
        assert store.codebooks.get_codebook("h3") is None

    # -- corpus stage results --------------------------------------------------------------
    def test_stage_result_round_trips_with_nan_and_replaces_on_save(self, filled):
        from pipeline.store.results import StageResult

        assert filled.results.stage_result("bluebook", "agreement") is None
        payload = {"rows": [{"value": float("nan"), "se": 0.25}], "coders": ["li", "wang"]}
        filled.results.save_stage_result(
            "bluebook", StageResult("agreement", "in1", "cb1", "done", "", payload))
        got = filled.results.stage_result("bluebook", "agreement")
        assert (got.inputs_hash, got.codebook_hash, got.status) == ("in1", "cb1", "done")
        value = got.result["rows"][0]["value"]
        assert value != value and got.result["coders"] == ["li", "wang"]  # NaN survives
        skipped = StageResult("agreement", "in2", "cb1", "skipped", "no human codings")
        filled.results.save_stage_result("bluebook", skipped)
        again = filled.results.stage_result("bluebook", "agreement")
        assert (again.inputs_hash, again.status, again.note, again.result) == (
            "in2", "skipped", "no human codings", None)
        assert filled.results.stage_result("other", "agreement") is None

    def test_candidates_are_replaced_with_the_cluster_mark(self, filled):
        from pipeline.store.results import CandidateRecord, StageResult

        ids = [p.id for p in filled.documents.passages("d1")]
        first = [CandidateRecord("C02", "光伏", "solar", 0.9, (ids[3], ids[1]), {"k": [1]}),
                 CandidateRecord("C01", "冷链", "cold chain", 0.4, (ids[0],), {})]
        mark = StageResult("cluster", "h1", "cb1", "done", "", {"outliers": [ids[2]]})
        filled.results.save_stage_result("bluebook", mark, first)
        got = filled.results.candidates("bluebook")
        assert [c.id for c in got] == ["C02", "C01"]  # the stage's order, not the ids'
        assert got[0].passage_ids == (ids[3], ids[1]) and got[0].data == {"k": [1]}
        assert got[1].label_en == "cold chain" and got[1].novelty == 0.4
        second = [CandidateRecord("C01", "新", "new", 0.5, (ids[4],), {})]
        filled.results.save_stage_result("bluebook", mark, second)
        assert [(c.id, c.passage_ids) for c in filled.results.candidates("bluebook")] == [
            ("C01", (ids[4],))]
        with filled.engine.connect() as conn:
            rows = conn.scalar(sa.text("SELECT count(*) FROM candidate_passages"))
        assert rows == 1

    def test_bad_corpus_stage_or_status_is_refused(self, store):
        from pipeline.store.results import StageResult

        with pytest.raises(StoreError, match="unknown corpus stage"):
            store.results.save_stage_result("c", StageResult("embed", "h", "cb"))
        with pytest.raises(StoreError, match="'done' or 'skipped'"):
            store.results.save_stage_result("c", StageResult("cluster", "h", "cb", "maybe"))
        assert store.results.stage_result("c", "cluster") is None

    def test_codebook_lineage_and_decision_versions(self, filled):
        repo = filled.codebooks
        repo.save_codebook("gt50", "h1", "v1", author="file")
        repo.save_codebook("gt50", "h2", "v2", parent="h1", author="li", reason="C03",
                           changes=["added A51 under B05", "合并 C04 → A12"])
        got = repo.get_codebook("h2")
        assert (got.parent_hash, got.author, got.reason, got.changes) == (
            "h1", "li", "C03", ("added A51 under B05", "合并 C04 → A12"))
        assert repo.latest_descendant("h1").hash == "h2"
        pid = filled.documents.passages("d1")[0].id
        filled.record_decision("li", pid, "A01", "accept", codebook_hash="h2")
        assert filled.decisions("li")[-1].codebook_hash == "h2"

    def test_candidate_decisions_keep_versions_and_refuse_a_stale_base(self, filled):
        from pipeline.store.candidates import NewVersion, VersionConflict

        filled.codebooks.save_codebook("gt50", "h1", "v1", author="file")
        v2 = NewVersion("gt50", "h2", "v2", reason="accept candidate C01", changes=("added A51",))
        first = filled.candidates.decide("bluebook", "C01", "accept", "li", base_hash="h1",
                                         passage_ids=["d1:0-5"], code_id="A51",
                                         details={"memo": "<b>新</b>"}, new_version=v2)
        with pytest.raises(VersionConflict, match="changed meanwhile"):
            filled.candidates.decide("bluebook", "C02", "merge", "wang", base_hash="h1",
                                     code_id="A12", new_version=NewVersion("gt50", "h3", "v3"))
        filled.candidates.decide("bluebook", "C03", "reject", "wang", base_hash="h2")
        got = filled.candidates.decisions("bluebook")
        assert [(d.id, d.candidate_id, d.action, d.coder) for d in got] == [
            (first, "C01", "accept", "li"), (got[1].id, "C03", "reject", "wang")]
        assert (got[0].passage_ids, got[0].details, got[0].new_codebook_hash) == (
            ("d1:0-5",), {"memo": "<b>新</b>"}, "h2")
        kept = filled.codebooks.get_codebook("h2")
        assert (kept.parent_hash, kept.author, kept.changes) == ("h1", "li", ("added A51",))
        assert filled.codebooks.get_codebook("h3") is None
        with pytest.raises(StoreError, match="unknown candidate action"):
            filled.candidates.decide("bluebook", "C04", "adopt", "li", base_hash="h2")

    # -- bulk and migrations -------------------------------------------------------------
    def test_bulk_5k_passages_25k_suggestions(self, store):
        doc = make_doc("big", "乡村振兴" * 5000)
        ps = make_passages(doc, size=4)
        assert len(ps) == 5000
        store.replace_document(doc, ps, corpus="bluebook")
        sugg = make_suggestions(ps, codes=("A01", "A02", "A03", "A04", "A05"))
        ids = [p.id for p in ps]
        assert store.replace_suggestions(ids, sugg, "cb1", "zs:m1") == 25_000
        assert store.replace_suggestions(ids, sugg, "cb1", "zs:m1") == 25_000
        assert store.counts()["suggestions"] == 25_000
        page = store.codings.review_queue("alice", limit=20, after=ps[2500].id)
        assert page == ps[2501:2521]
        assert len(store.suggestions.suggestions_for([p.id for p in page])) == 20

    def test_old_store_upgrades_with_rows_intact(self, store_url):
        with open_store(store_url, revision="0001") as old:
            assert current_revision(old.engine) == "0001"
            doc = make_doc("d1")
            old.replace_document(doc, make_passages(doc), corpus="bluebook")
            with old.engine.begin() as conn:  # the revision-1 runs table has no counts column
                conn.execute(
                    sa.text(
                        "INSERT INTO runs (id, config, code_version, seed, started_at, status,"
                        " timings) VALUES ('r0', '{}', '0.0.1', 1, :t, 'finished', '{}')"
                    ),
                    {"t": "2024-01-01 00:00:00+00:00"},
                )
        with open_store(store_url) as new:
            assert current_revision(new.engine) == head_revision() != "0001"
            assert new.documents.passages("d1") == make_passages(make_doc("d1"))
            assert new.runs.get_run("r0").counts == {}
            names = {ix["name"] for ix in sa.inspect(new.engine).get_indexes("suggestions")}
            assert "ix_suggestions_code_id_score" in names

    def test_migrations_build_exactly_the_declared_schema(self, store):
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        from pipeline.store.schema import metadata

        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
