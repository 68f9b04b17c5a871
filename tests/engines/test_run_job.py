"""End-to-end: `groundcode run` on the demo corpus — incremental, resumable, reproducible."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pipeline.engines.run import run_job
from tests.engines.run_helpers import (
    add_case,
    assert_same_rows,
    copy_demo_corpus,
    demo_dict,
    dump_store,
    make_config,
    run_cli,
    write_config,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    """One embedding cache for the module's runs (the kill test uses its own, cold)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def incremental(tmp_path_factory, shared_cache):
    """Run the demo, run again unchanged, add a document, run again."""
    root = tmp_path_factory.mktemp("incremental")
    corpus = copy_demo_corpus(root / "corpus")
    data = demo_dict(root / "out", embed={"cache_dir": str(shared_cache)})
    data["corpus"] = {"path": str(corpus)}
    first = run_job(make_config(data), progress=False)
    second = run_job(make_config(data), progress=False)
    new_id = add_case(corpus)
    third = run_job(make_config(data), progress=False)
    return {"root": root, "data": data, "runs": (first, second, third), "new": new_id}


def test_first_run_processes_every_document_and_writes_all_outputs(incremental):
    first = incremental["runs"][0]
    out = first.output
    # the folder now holds the third run's files: that run added one document
    docs = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    ids = sorted(d["id"] for d in docs if d["id"] != incremental["new"])
    assert len(ids) == first.counts["documents"] > 0
    for stage in ("segment", "embed", "classify"):
        assert sorted(first.processed[stage]) == ids, stage
    for name in ("report.html", "coding.xlsx", "project.qdpx", "codebook.qdc", "run.json",
                 "candidates.yaml", "saturation.json", "agreement/agreement.csv"):
        assert (out / name).is_file(), name
    run = json.loads(first.run_json.read_text())
    assert run["counts"]["processed_segment"] == 1  # the third run's
    for stage in ("ingest", "clean", "segment", "embed", "fit", "classify", "outputs"):
        assert stage in run["timings_seconds"]
        # memory per stage: the peak so far never falls; what is left is at most the peak
        assert run["peak_rss_mb_after"][stage] > 0
        left = run["rss_mb_after"][stage]
        assert left is None or 0 < left <= run["peak_rss_mb_after"][stage]
    peaks = list(run["peak_rss_mb_after"].values())
    assert peaks == sorted(peaks)
    assert run["codebook_hash"] and run["embedder_id"] == "use-multilingual-v3@0.2.1+context:1.5"


def test_unchanged_rerun_processes_nothing(incremental):
    second = incremental["runs"][1]
    assert second.processed == {"segment": [], "embed": [], "classify": []}
    assert second.counts["processed_embed"] == 0


def test_new_document_is_the_only_one_processed(incremental):
    first, _, third = incremental["runs"]
    new = incremental["new"]
    assert third.processed == {"segment": [new], "embed": [new], "classify": [new]}
    assert third.counts["documents"] == first.counts["documents"] + 1
    dump = dump_store(f"sqlite:///{third.output / 'groundcode.db'}")
    new_passages = [p for p in dump["passages"] if p[1] == new]
    assert new_passages
    coded = {s[0] for s in dump["suggestions"]}
    assert all(p[0] in coded for p in new_passages if p[5])


def test_suggestions_table_matches_the_store(incremental):
    third = incremental["runs"][2]
    frame = pd.read_parquet(third.output / "suggestions.parquet")
    dump = dump_store(f"sqlite:///{third.output / 'groundcode.db'}")
    assert len(frame) == len(dump["suggestions"])
    assert set(frame["level"]) == {"initial", "main"}
    first = frame[(frame["level"] == "initial") & (frame["rank"] == 1)]
    assert first["passage_id"].is_unique


def test_killed_run_resumes_to_exactly_a_clean_run(tmp_path, shared_cache):
    """kill -9 in the middle of the embed stage, then run again: rows equal a clean run."""
    clean = run_job(make_config(demo_dict(tmp_path / "clean",
                                          embed={"cache_dir": str(shared_cache)})),
                    progress=False)
    data = demo_dict(tmp_path / "killed", checkpoint_passages=40)
    config_path = write_config(data, tmp_path / "killed.yaml")
    killed = run_cli(config_path, env={"GROUNDCODE_FAULT": "embed:2"})
    assert killed.returncode == -9, killed.stderr[-2000:]
    url = f"sqlite:///{tmp_path / 'killed' / 'groundcode.db'}"
    partial = dump_store(url)
    embedded = [s for s in partial["document_state"] if s[1] == "embedded"]
    total = len(partial["documents"])
    assert 0 < len(embedded) < total, "the kill must land mid-embed"
    assert not partial["suggestions"]
    resumed = run_cli(config_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    run = json.loads((tmp_path / "killed" / "run.json").read_text())
    assert run["counts"]["processed_segment"] == 0
    assert 0 < run["counts"]["processed_embed"] < total
    assert_same_rows(dump_store(url), dump_store(f"sqlite:///{clean.output / 'groundcode.db'}"))


def test_same_input_config_and_seed_give_identical_outputs(tmp_path, shared_cache):
    outs = []
    for name in ("a", "b"):
        data = demo_dict(tmp_path / name, embed={"cache_dir": str(shared_cache)})
        outs.append(run_job(make_config(data), progress=False).output)
    a, b = outs
    for name in ("project.qdpx", "codebook.qdc", "candidates.yaml", "saturation.json",
                 "agreement/agreement.csv", "agreement/disagreements.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("suggestions.parquet", "passages.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name))
    for sheet in ("passages", "documents", "codebook"):
        pd.testing.assert_frame_equal(pd.read_excel(a / "coding.xlsx", sheet_name=sheet),
                                      pd.read_excel(b / "coding.xlsx", sheet_name=sheet))
    assert dump_store(f"sqlite:///{a / 'groundcode.db'}") == dump_store(
        f"sqlite:///{b / 'groundcode.db'}")


def test_coding_xlsx_has_matrix_documents_and_codebook(incremental):
    out = incremental["runs"][2].output
    book = pd.read_excel(out / "coding.xlsx", sheet_name=None)
    assert {"passages", "documents", "codebook"} <= set(book)
    passages = book["passages"]
    dump = dump_store(f"sqlite:///{out / 'groundcode.db'}")
    assert len(passages) == sum(1 for p in dump["passages"] if p[5])
    assert "is_A01" in passages.columns and set(passages["is_A01"].unique()) <= {0, 1}
    assert "score_A01" in passages.columns and "code_paths" in passages.columns
    assert len(book["codebook"]) == 62
    with zipfile.ZipFile(out / "project.qdpx") as zf:
        assert "project.qde" in zf.namelist()


def test_coder_key_ignores_the_text_settings_only_at_their_defaults(tmp_path):
    """A coder fitted before the text settings existed keeps its key; setting them refits."""
    from pipeline.codebook import load_codebook
    from pipeline.engines.run import coder_key

    def key(**classify):
        config = make_config(demo_dict(tmp_path / "out", classify=classify))
        return coder_key(config, load_codebook(config.codebook), None)

    base = key()
    assert key(text_weights=[0.0], context_weights=[0.0]) == base
    assert key(text_weights=[0.0, 1.0]) != base
    assert key(context_weights=[1.0]) not in (base, key(text_weights=[1.0]))


def test_coder_key_counts_prior_shift_and_context_embedding_only_when_set(tmp_path):
    from pipeline.codebook import load_codebook
    from pipeline.embed.settings import EmbedSettings
    from pipeline.engines.run import coder_key

    def key(**overrides):
        config = make_config(demo_dict(tmp_path / "out", **overrides))
        return coder_key(config, load_codebook(config.codebook), None)

    base = key()
    default_weight = EmbedSettings.model_fields["context_weight"].default
    assert key(classify={"prior_shift": "none"}, embed={"context_weight": default_weight}) == base
    shifted = key(classify={"prior_shift": "per-document"})
    mixed = key(embed={"context_weight": 0.5})
    assert len({base, shifted, mixed, key(embed={"context_weight": 0.0})}) == 4


def test_run_with_context_embedding_and_prior_shift_stays_incremental(tmp_path, shared_cache):
    """`groundcode run` with embed.context_weight and classify.prior_shift: per-document.
    Scores then depend on a passage's neighbours and on its whole document; a new
    document must still cost only itself and leave every other suggestion as it was."""
    corpus = copy_demo_corpus(tmp_path / "corpus")
    zero = demo_dict(tmp_path / "zero-shot", embed={"cache_dir": str(shared_cache)})
    zero["corpus"] = {"path": str(corpus)}
    frame = pd.read_parquet(run_job(make_config(zero), progress=False).output
                            / "suggestions.parquet")
    top = frame[(frame["level"] == "initial") & (frame["rank"] == 1) & (frame["code_id"] != "NONE")]
    top[["passage_id", "code_id"]].to_csv(tmp_path / "codings.csv", index=False)
    data = demo_dict(
        tmp_path / "out",
        embed={"cache_dir": str(shared_cache), "context_weight": 0.5},
        classify={"method": "supervised", "codings": str(tmp_path / "codings.csv"),
                  "prior_shift": "per-document"},
    )
    data["corpus"] = {"path": str(corpus)}
    first = run_job(make_config(data), progress=False)
    run = json.loads(first.run_json.read_text())
    assert run["embedder_id"] == "use-multilingual-v3@0.2.1+context:0.5"
    card = json.loads((first.output / run["coder"] / "model_card.json").read_text())
    assert card["prior_shift"] == "per-document" and card["embedder_id"] == run["embedder_id"]
    assert sum(m == "supervised" for m in card["methods"].values()) >= 5
    before = dump_store(f"sqlite:///{first.output / 'groundcode.db'}")["suggestions"]
    new = add_case(corpus)
    third = run_job(make_config(data), progress=False)
    assert third.processed == {"segment": [new], "embed": [new], "classify": [new]}
    after = dump_store(f"sqlite:///{third.output / 'groundcode.db'}")["suggestions"]
    assert [s for s in after if not s[0].startswith(f"{new}:")] == before
    assert any(s[0].startswith(f"{new}:") and s[4] == "supervised" for s in after)
