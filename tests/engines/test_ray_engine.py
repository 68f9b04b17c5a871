"""`engine: ray` (Ray Data actors, one local Ray session for the module) gives exactly
the local engine's vectors, suggestions and store rows."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from pipeline.config import RaySettings
from pipeline.engines.backend import CodingJob, LocalBackend
from pipeline.engines.run import run_job
from pipeline.errors import EngineError, ModelError
from tests.engines.run_helpers import (
    DEMO_CONFIG,
    assert_same_rows,
    demo_dict,
    dump_store,
    make_config,
)

pytestmark = pytest.mark.slow
RAY = {"actors": 2, "batch_size": 32, "num_cpus_per_actor": 1}


@pytest.fixture(scope="module")
def fault_flag(tmp_path_factory):
    """One Ray session for the module. Its workers see ``GROUNDCODE_RAY_FAULT``; the flag
    file exists, so no actor dies until a test removes it."""
    ray = pytest.importorskip("ray")
    from pipeline.engines.ray import FAULT_ENV

    flag = tmp_path_factory.mktemp("fault") / "actor-died"
    flag.touch()
    patch = pytest.MonkeyPatch()
    patch.setenv(FAULT_ENV, str(flag))  # before ray.init: workers inherit it
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield flag
    ray.shutdown()
    patch.undo()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo corpus's passages and a zero-shot coder fitted on them and saved."""
    from pipeline.classify.persist import save_coder
    from pipeline.classify.run import build_coder
    from pipeline.codebook import load_codebook
    from pipeline.config import load_config
    from pipeline.embed import make_embedder
    from pipeline.engines.local import prepare_passages
    from pipeline.runinfo import RunInfo

    config = load_config(DEMO_CONFIG)
    _, _, passages = prepare_passages(config, RunInfo(config={}, seed=config.seed), progress=False)
    work = tmp_path_factory.mktemp("demo-job")
    embedder = make_embedder(config.embed, cache_dir=work / "fit-cache")
    vectors = embedder.encode([p.text for p in passages])
    book = load_codebook(config.codebook)
    coder = build_coder(config.classify, embedder, book, passages, vectors, seed=config.seed)
    job = CodingJob(config.embed, work / "cache", config.codebook, save_coder(coder, work / "models"))
    local = LocalBackend()
    local_job = replace(job, cache_dir=work / "cache-local")
    local_vectors = local.embed(local_job, passages)
    coded = local.classify(local_job, passages, local_vectors)
    local.close()
    return {"passages": passages, "job": job, "work": work, "vectors": local_vectors,
            "coded": coded}


def _same_coding(ray_coded, local_coded):
    def key(s):
        return (s.passage_id, s.code_id, s.rank, s.level, s.method, s.model, s.accepted)

    assert [key(s) for s in ray_coded.suggestions] == [key(s) for s in local_coded.suggestions]
    scores = np.array([s.score for s in ray_coded.suggestions])
    assert np.allclose(scores, [s.score for s in local_coded.suggestions], rtol=0, atol=1e-6)
    assert ray_coded.uncertainty.keys() == local_coded.uncertainty.keys()
    for pid, value in local_coded.uncertainty.items():
        assert ray_coded.uncertainty[pid] == pytest.approx(value, abs=1e-6)


def test_backend_embeds_and_codes_like_the_local_backend(fault_flag, demo, monkeypatch):
    from pipeline.engines.backend import job_embedder
    from pipeline.engines.ray import RayBackend

    passages = demo["passages"]
    assert len(passages) > 100  # several batches for each of the two actors
    job = replace(demo["job"], cache_dir=demo["work"] / "cache-ray")
    backend = RayBackend(RaySettings(**RAY), seed=7)
    sent: list[int] = []
    real_map = backend._map

    def counting_map(frame, *args, **kwargs):
        sent.append(len(frame))
        return real_map(frame, *args, **kwargs)

    monkeypatch.setattr(backend, "_map", counting_map)
    try:
        half = passages[: len(passages) // 2]
        backend.embed(job, half)
        vectors = backend.embed(job, passages)

        def needed(ps):  # what a unit is read as, and its window when context is mixed in
            from pipeline.segment.passage import content_of, window_text

            windows = {window_text(p) for p in ps} if job.embed.context_weight else set()
            return {content_of(p) for p in ps} | windows

        assert sent == [len(needed(half)), len(needed(passages) - needed(half))]
        assert np.allclose(vectors, demo["vectors"], rtol=0, atol=1e-6)
        # the driver wrote every vector to the job's cache: a fresh embed sends nothing
        assert backend.embed(job, passages[::-1]).shape == vectors.shape
        assert sent[2:] == []
        reader = job_embedder(job)  # a fresh reader of the cache
        reader = getattr(reader, "inner", reader)  # the cache under a ContextEmbedder
        assert len(reader.lookup(sorted(needed(passages)))) == len(needed(passages))

        coded = backend.classify(job, passages, vectors)
        assert sent[2:] == [len(passages)]
        _same_coding(coded, demo["coded"])
        assert backend.classify(job, [], vectors[:0]).suggestions == []
        assert backend.embed(job, []).shape == (0, vectors.shape[1])
    finally:
        backend.close()
    import ray

    assert ray.is_initialized(), "close() must leave a session it did not start"


def test_backend_with_an_address_ships_data_through_the_object_store(fault_flag, demo):
    """With ``ray.address`` set nothing is read from the driver's disk by a worker."""
    from pipeline.engines.ray import RayBackend

    passages = demo["passages"][:60]
    job = replace(demo["job"], cache_dir=demo["work"] / "cache-remote")
    backend = RayBackend(RaySettings(**RAY, address="auto"), seed=7)  # session already up
    try:
        vectors = backend.embed(job, passages)
        assert np.allclose(vectors, demo["vectors"][:60], rtol=0, atol=1e-6)
        coded = backend.classify(job, passages, vectors)
    finally:
        backend.close()
    ids = {p.id for p in passages}
    local = [s for s in demo["coded"].suggestions if s.passage_id in ids]
    _same_coding(coded, type(demo["coded"])(local, {k: v for k, v in
                                                   demo["coded"].uncertainty.items() if k in ids}))


def test_a_coder_reading_text_and_context_codes_on_ray_as_locally(fault_flag, demo):
    """A supervised coder with TF-IDF blocks of the passage and of its context window
    gets the texts shipped with the vectors, and scores exactly as in this process."""
    from pipeline.classify import SupervisedCoder
    from pipeline.classify.persist import save_coder
    from pipeline.codebook import load_codebook
    from pipeline.engines.backend import job_embedder
    from pipeline.engines.ray import RayBackend

    passages, vectors = demo["passages"], demo["vectors"]
    assert sum(bool(p.context_before or p.context_after) for p in passages) > 20
    top = {s.passage_id: s.code_id for s in demo["coded"].suggestions
           if s.level == "initial" and s.rank == 1}
    labels = [{top[p.id]} - {"NONE"} for p in passages]
    book = load_codebook(demo["job"].codebook_path)
    coder = SupervisedCoder(job_embedder(demo["job"]), book, Cs=(1.0,), embedding_weights=(1.0,),
                            text_weights=(1.0,), context_weights=(1.0,))
    coder.fit(passages, labels, vectors)
    assert coder.uses_context_ and len(coder.models_) >= 2
    job = replace(demo["job"], cache_dir=demo["work"] / "cache-text",
                  coder_path=save_coder(coder, demo["work"] / "text-models"))
    local = LocalBackend()
    try:
        expected = local.classify(job, passages, vectors)
    finally:
        local.close()
    backend = RayBackend(RaySettings(**RAY), seed=7)
    try:
        coded = backend.classify(job, passages, vectors)
    finally:
        backend.close()
    _same_coding(coded, expected)
    assert {s.method for s in coded.suggestions} >= {"supervised"}


def test_context_embedding_and_prior_shift_run_on_ray_as_locally(fault_flag, demo):
    """Windows are mixed into the vectors on Ray as locally, and a coder that shifts priors
    per document gets whole documents per batch: batches of 8 rows would cut the long
    documents, whose scores depend on all their passages."""
    from pipeline.classify import SupervisedCoder
    from pipeline.classify.persist import save_coder
    from pipeline.codebook import load_codebook
    from pipeline.engines.backend import job_embedder
    from pipeline.engines.ray import RayBackend

    passages, work = demo["passages"], demo["work"]
    embed = demo["job"].embed.model_copy(update={"context_weight": 0.5})
    job = replace(demo["job"], embed=embed, cache_dir=work / "cache-shift")
    local = LocalBackend()
    backend = RayBackend(RaySettings(actors=2, batch_size=8, num_cpus_per_actor=1), seed=7)
    try:
        vectors = local.embed(replace(job, cache_dir=work / "cache-shift-local"), passages)
        assert not np.allclose(vectors, demo["vectors"], rtol=0, atol=1e-3)
        assert np.allclose(backend.embed(job, passages), vectors, rtol=0, atol=1e-6)

        top = {s.passage_id: s.code_id for s in demo["coded"].suggestions
               if s.level == "initial" and s.rank == 1}
        labels = [{top[p.id]} - {"NONE"} for p in passages]
        book = load_codebook(job.codebook_path)
        coder = SupervisedCoder(job_embedder(job), book, Cs=(1.0,), embedding_weights=(1.0,),
                                prior_shift="per-document")
        coder.fit(passages, labels, vectors, groups=[p.doc_id for p in passages])
        long_doc = max({p.doc_id for p in passages},
                       key=lambda d: sum(p.doc_id == d for p in passages))
        rows = [i for i, p in enumerate(passages) if p.doc_id == long_doc]
        whole = coder.score_table([passages[i] for i in rows], vectors[rows]).scores
        cut = coder.score_table([passages[i] for i in rows[:8]], vectors[rows[:8]]).scores
        assert not np.allclose(whole[:8], cut, atol=1e-4)  # a cut document scores otherwise
        job = replace(job, coder_path=save_coder(coder, work / "shift-models"))
        expected = local.classify(job, passages, vectors)
        coded = backend.classify(job, passages, vectors)
    finally:
        local.close()
        backend.close()
    _same_coding(coded, expected)
    assert {s.method for s in coded.suggestions} >= {"supervised"}


def test_whole_documents_never_cuts_a_document():
    import pandas as pd

    from pipeline.engines.ray import whole_documents

    frame = pd.DataFrame({"doc_id": list("aabbbcaad"), "id": range(9)})
    parts = whole_documents(frame, 3)
    assert [p["doc_id"].tolist() for p in parts] == [list("aaaa"), list("bbb"), list("cd")]
    assert sorted(i for p in parts for i in p["id"]) == list(range(9))
    assert len(whole_documents(frame, 100)) == 1


def test_actors_dead_past_their_restarts_are_a_clear_error(fault_flag, demo, monkeypatch):
    import pipeline.engines.ray as ray_engine

    monkeypatch.setattr(ray_engine, "ACTOR_RESTARTS", 0)
    job = replace(demo["job"], cache_dir=demo["work"] / "cache-dead")
    backend = ray_engine.RayBackend(RaySettings(**RAY), seed=7)
    fault_flag.unlink()  # arm: the first actor to take a batch dies, and is not restarted
    try:
        with pytest.raises(EngineError, match="Ray could not finish the embed batches") as err:
            backend.embed(job, demo["passages"][:40])
        assert err.value.unit == "embed" and "rerun" in err.value.hint
        assert fault_flag.exists()
        # a coder that is not there is named in the driver, before any actor starts
        missing = replace(job, coder_path=demo["work"] / "no-such-coder")
        with pytest.raises(ModelError, match="no trained coder") as err:
            backend.classify(missing, demo["passages"][:4], demo["vectors"][:4])
        assert err.value.file == str(demo["work"] / "no-such-coder")
    finally:
        backend.close()


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory):
    root = tmp_path_factory.mktemp("local")
    result = run_job(make_config(demo_dict(root / "out")), progress=False)
    return dump_store(f"sqlite:///{result.output / 'groundcode.db'}")


def test_ray_engine_gives_the_local_suggestions(tmp_path, fault_flag, local_rows):
    config = make_config(demo_dict(tmp_path / "ray", engine="ray", ray=RAY))
    result = run_job(config, progress=False)
    rows = dump_store(f"sqlite:///{result.output / 'groundcode.db'}")
    assert_same_rows(rows, local_rows, score_tol=1e-6)
    # incremental on Ray too: nothing pending, nothing sent to the cluster
    again = run_job(config, progress=False)
    assert again.processed == {"segment": [], "embed": [], "classify": []}


def test_a_killed_actor_is_retried_and_the_rows_are_identical(tmp_path, fault_flag, local_rows):
    fault_flag.unlink()  # arm: the first embedding actor to take a batch dies mid-batch
    config = make_config(demo_dict(tmp_path / "ray", engine="ray", ray=RAY))
    result = run_job(config, progress=False)
    assert fault_flag.exists(), "an embedding actor must have died mid-batch"
    rows = dump_store(f"sqlite:///{result.output / 'groundcode.db'}")
    assert_same_rows(rows, local_rows, score_tol=1e-6)


def test_ray_without_the_extra_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    config = make_config(demo_dict(tmp_path / "out", engine="ray"))
    with pytest.raises(EngineError, match=r"groundcode\[ray\]"):
        run_job(config, progress=False)
    assert not (tmp_path / "out" / "groundcode.db").exists()
