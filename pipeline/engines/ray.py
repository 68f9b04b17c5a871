"""The Ray engine: embed and classify as Ray Data ``map_batches`` over stateful actors.

The driver (``pipeline.engines.run``) still decides what is pending and writes
every row to the store; this backend only computes, so the incremental and
resumable guarantees are the local engine's. For each call:

* the passages to process are written to Parquet in a work folder (id, text or
  vector) and read back as a Ray dataset;
* an actor pool (``ray.actors`` actors, ``ray.num_cpus_per_actor`` CPUs each)
  maps batches of ``ray.batch_size`` rows; each actor builds the embedder and,
  for classification, loads the saved coder once;
* batches carry their passage ids (embedding: text hashes), so results are
  joined back exactly, whatever order the actors finish in;
* embedding looks up the driver's cache first and sends only the misses; the
  vectors that come back are written to the cache by the driver.

A failed actor is restarted and its task retried by Ray (``max_restarts``,
``max_task_retries``); because every batch is a pure function of its rows, a
retried batch gives the same rows.

Nothing an actor needs is read from the driver's disk: the saved coder and the
codebook travel with the actor's constructor arguments (:class:`_ShippedJob`),
and with ``ray.address`` set the Parquet export is loaded by the driver and sent
through the object store, so worker nodes need no shared filesystem.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.engines.backend import CodedPassages, CodingJob, code_vectors, job_coder, job_embedder
from pipeline.errors import EngineError, GroundcodeError, ModelError
from pipeline.io import sha256_text
from pipeline.segment.passage import Passage

ACTOR_RESTARTS = 3
FAULT_ENV = "GROUNDCODE_RAY_FAULT"


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ModuleNotFoundError as exc:
        raise EngineError(
            f"ray needs Ray, which is not installed (no module {exc.name!r})",
            unit="engine",
            hint="pip install 'groundcode[ray]' (or set engine: local).",
        ) from None
    return ray


class _Ref:
    """What the coder needs of a passage to score a vector: its id, for a coder that
    reads text (TF-IDF features) the text and context sentences, and for a coder that
    shifts priors per document the document id."""

    __slots__ = ("id", "text", "context_before", "context_after", "doc_id")

    def __init__(
        self,
        passage_id: str,
        text: str = "",
        before: str = "",
        after: str = "",
        doc_id: str | None = None,
    ) -> None:
        self.id = passage_id
        self.text = text
        self.context_before = before
        self.context_after = after
        self.doc_id = doc_id


TEXT_COLUMNS = ("text", "context_before", "context_after")


def whole_documents(frame, size: int) -> list:
    """``frame`` cut into parts of whole documents, each of at least ``size`` rows
    (but the last), documents in order of first appearance.

    A coder that shifts priors per document scores a document from all its
    passages, so a batch must never split one.
    """
    import pandas as pd

    codes, _ = pd.factorize(frame["doc_id"])
    frame = frame.iloc[np.argsort(codes, kind="stable")].reset_index(drop=True)
    sizes = np.bincount(codes)
    parts, start, rows = [], 0, 0
    for n in sizes:
        rows += int(n)
        if rows - start >= size:
            parts.append(frame.iloc[start:rows].reset_index(drop=True))
            start = rows
    if start < rows:
        parts.append(frame.iloc[start:rows].reset_index(drop=True))
    return parts


def _fault_once() -> None:
    """Test hook: with ``GROUNDCODE_RAY_FAULT=<flag file>``, the first actor to get here
    creates the flag and dies (``os._exit``) mid-batch, as a crashed worker would."""
    flag = os.environ.get(FAULT_ENV)
    if not flag:
        return
    try:
        fd = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(fd)
    os._exit(1)


def _ray_failure(exc: BaseException, stage: str) -> GroundcodeError:
    """A groundcode error raised inside an actor as itself; anything else as an EngineError."""
    seen = exc
    for _ in range(8):  # Ray wraps an actor's exception (RayTaskError.cause, __cause__)
        if isinstance(seen, GroundcodeError):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__
        if seen is None:
            break
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return EngineError(
        f"Ray could not finish the {stage} batches ({type(exc).__name__}: {detail[:300]})",
        unit=stage,
        hint="check the cluster (ray status) and rerun: the run resumes where it stopped.",
    )


class _ShippedJob:
    """A :class:`CodingJob` with the bytes of its codebook and saved coder, so an actor on
    any node can rebuild it in a folder of its own."""

    def __init__(self, job: CodingJob) -> None:
        self.job = job
        self.codebook = Path(job.codebook_path).read_bytes()
        self.coder = None
        if job.coder_path is not None:
            folder = Path(job.coder_path)
            if not folder.is_dir():
                raise ModelError("no trained coder here", file=folder,
                                 hint="fit the coder before classify.")
            self.coder = {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file()}

    def unpack(self) -> CodingJob:
        """The job with paths in a fresh local folder (the embedder cache is the driver's)."""
        import dataclasses

        root = Path(tempfile.mkdtemp(prefix="groundcode-actor-"))
        codebook = root / Path(self.job.codebook_path).name
        codebook.write_bytes(self.codebook)
        coder = None
        if self.coder is not None:
            coder = root / "coder"
            coder.mkdir()
            for name, data in self.coder.items():
                (coder / name).write_bytes(data)
        return dataclasses.replace(self.job, codebook_path=codebook, coder_path=coder)


class EmbedActor:
    """Builds the embedder once; maps {key, text} batches to {key, vector}."""

    def __init__(self, job: CodingJob) -> None:
        self.embedder = job_embedder(job, cached=False)  # settings only: no files needed

    def __call__(self, batch: dict) -> dict:
        _fault_once()
        texts = [str(t) for t in batch["text"]]
        vectors = np.asarray(self.embedder.encode(texts), dtype=np.float32)
        return {"key": batch["key"], "vector": list(vectors)}


class ClassifyActor:
    """Loads the embedder and the saved coder once; maps {id, vector} to suggestion rows."""

    def __init__(self, shipped: _ShippedJob) -> None:
        import shutil

        job = shipped.unpack()
        try:
            self.coder = job_coder(job, job_embedder(job, cached=False))
        finally:
            shutil.rmtree(Path(job.codebook_path).parent, ignore_errors=True)

    def __call__(self, batch: dict) -> dict:
        ids = [str(i) for i in batch["id"]]
        vectors = np.stack([np.asarray(v, dtype=np.float32) for v in batch["vector"]])
        texts = [batch[c] for c in TEXT_COLUMNS] if TEXT_COLUMNS[0] in batch else []
        docs = [str(d) for d in batch["doc_id"]] if "doc_id" in batch else [None] * len(ids)
        refs = [_Ref(i, *(str(t[k]) for t in texts), doc_id=docs[k]) for k, i in enumerate(ids)]
        coded = code_vectors(self.coder, refs, vectors)
        rows = coded.suggestions
        return {
            "passage_id": [s.passage_id for s in rows],
            "code_id": [s.code_id for s in rows],
            "score": [float(s.score) for s in rows],
            "rank": [int(s.rank) for s in rows],
            "level": [s.level for s in rows],
            "method": [s.method for s in rows],
            "model": [s.model for s in rows],
            "accepted": [bool(s.accepted) for s in rows],
            "uncertainty": [float(coded.uncertainty.get(s.passage_id, 0.0)) for s in rows],
        }


class RayBackend:
    """``Backend`` on Ray Data (see the module docstring)."""

    name = "ray"

    def __init__(self, settings, seed: int = 0) -> None:
        self.ray = _import_ray()
        self.settings = settings
        self.seed = seed
        self._started = False
        self._work = Path(tempfile.mkdtemp(prefix="groundcode-ray-"))
        self._cache: dict[str, object] = {}

    # -- Ray session ------------------------------------------------------------------
    def _ensure_ray(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            if self.settings.address:
                ray.init(address=self.settings.address)
            else:
                # the actors' CPUs plus one for the Parquet read tasks, else the pool starves them
                cpus = int(np.ceil(self.settings.actors * self.settings.num_cpus_per_actor)) + 1
                ray.init(num_cpus=max(cpus, 2), include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
            self._started = True
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)

    def _map(self, frame, actor, job, name: str, whole_docs: bool = False):
        """``actor`` over ``frame`` in batches of ``ray.batch_size`` rows; with
        ``whole_docs``, each batch is one block of whole documents instead."""
        import pandas as pd

        self._ensure_ray()
        ray = self.ray
        path = self._work / f"{name}-{sha256_text(str(len(frame)) + name)[:8]}.parquet"
        batch_size = self.settings.batch_size
        if whole_docs:
            # one block per part, never re-cut: batch_size=None maps a block as one batch
            dataset = ray.data.from_pandas(whole_documents(frame, batch_size))
            batch_size = None
        else:
            frame.to_parquet(path, index=False)
            blocks = max(2 * self.settings.actors, -(-len(frame) // batch_size))
            if self.settings.address:
                # worker nodes cannot see this folder: the driver reads it into the object store
                import pyarrow.parquet as pq

                dataset = ray.data.from_arrow(pq.read_table(path))
            else:
                dataset = ray.data.read_parquet(str(path))
            dataset = dataset.repartition(blocks)
        with warnings.catch_warnings():
            # deprecated for 2.64 with no replacement yet; the extra pins ray < 2.64
            warnings.filterwarnings("ignore", message=".*ray_remote_args.* is deprecated")
            mapped = dataset.map_batches(
                actor,
                fn_constructor_args=(job,),
                batch_size=batch_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=self.settings.actors),
                num_cpus=self.settings.num_cpus_per_actor,
                max_restarts=ACTOR_RESTARTS,  # bounded: Ray Data's default retries forever,
                max_task_retries=ACTOR_RESTARTS,  # which would hang on a batch always crashing
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "fewer inputs than actors"
                parts = [pd.DataFrame(b) for b in mapped.iter_batches(batch_format="pandas")]
        except Exception as exc:  # dead actors past their restarts, a lost node, an actor error
            raise _ray_failure(exc, name) from exc
        finally:
            path.unlink(missing_ok=True)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def _cached(self, job: CodingJob):
        key = f"{job.embed.model_dump_json()}|{job.cache_dir}"
        if key not in self._cache:
            self._cache[key] = job_embedder(job)
        return self._cache[key]

    # -- Backend ------------------------------------------------------------------------
    def embed(self, job: CodingJob, passages: Sequence[Passage]) -> np.ndarray:
        """Passage vectors (windows mixed in at ``embed.context_weight``) from the actors."""
        from pipeline.embed.context import encode_passages_with

        if not passages:
            return np.zeros((0, self._cached(job).dim), dtype=np.float32)
        texts = functools.partial(self._embed_texts, job)
        return encode_passages_with(texts, passages, job.embed.context_weight)

    def _embed_texts(self, job: CodingJob, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``: the driver's cache first, the misses embedded by the actors."""
        import pandas as pd

        from pipeline.embed.context import ContextEmbedder

        cache = self._cached(job)
        if isinstance(cache, ContextEmbedder):
            cache = cache.inner  # the CachedEmbedder: windows are plain texts to it
        found = cache.lookup(texts)
        missing = {}
        for text in texts:
            key = sha256_text(text)
            if key not in found:
                missing.setdefault(key, text)
        if missing:
            frame = pd.DataFrame({"key": list(missing), "text": list(missing.values())})
            result = self._map(frame, EmbedActor, job, "embed")
            vectors = {k: np.asarray(v, dtype=np.float32)
                       for k, v in zip(result["key"], result["vector"], strict=True)}
            lost = sorted(set(missing) - set(vectors))
            if lost:
                raise EngineError(f"{len(lost)} texts came back without a vector from Ray",
                                  unit="embed", hint="rerun; the run resumes where it stopped.")
            cache.store(list(missing.values()), np.stack([vectors[k] for k in missing]))
            found.update(vectors)
        return np.stack([found[sha256_text(t)] for t in texts]).astype(np.float32)

    def classify(
        self, job: CodingJob, passages: Sequence[Passage], vectors: np.ndarray
    ) -> CodedPassages:
        import pandas as pd

        from pipeline.classify.suggestion import Suggestion

        if len(passages) == 0:
            return CodedPassages([], {})
        # a missing or mismatched coder is reported here, naming the driver's files, rather
        # than as a dead actor (the embedder loads lazily, so this only reads the coder)
        coder = job_coder(job, self._cached(job))
        frame = pd.DataFrame({"id": [p.id for p in passages],
                              "vector": list(np.asarray(vectors, dtype=np.float32))})
        if getattr(coder, "uses_text_", False):  # shipped only to coders that read them
            for column in TEXT_COLUMNS:
                frame[column] = [getattr(p, column) for p in passages]
        shifts = getattr(coder, "shifts_prior_", False)
        if shifts:  # scores depend on the whole document: batches keep documents whole
            frame["doc_id"] = [p.doc_id for p in passages]
        rows = self._map(frame, ClassifyActor, _ShippedJob(job), "classify", whole_docs=shifts)
        order = {p.id: i for i, p in enumerate(passages)}
        missing = set(order) - set(rows["passage_id"]) if len(rows) else set(order)
        if missing:
            raise EngineError(f"{len(missing)} passages came back without suggestions from Ray",
                              unit="classify", hint="rerun; the run resumes where it stopped.")
        levels = {"initial": 0, "main": 1}
        rows = rows.assign(_p=rows["passage_id"].map(order), _l=rows["level"].map(levels))
        rows = rows.sort_values(["_l", "_p", "rank"], kind="stable")
        suggestions = [
            Suggestion(str(r.passage_id), str(r.code_id), float(r.score), int(r.rank),
                       str(r.level), str(r.method), str(r.model), bool(r.accepted))
            for r in rows.itertuples(index=False)
        ]
        uncertainty = dict(zip(rows["passage_id"], rows["uncertainty"].astype(float),
                               strict=False))
        return CodedPassages(suggestions, uncertainty)

    def close(self) -> None:
        import shutil

        shutil.rmtree(self._work, ignore_errors=True)
        if self._started and self.ray.is_initialized():
            self.ray.shutdown()
        self._started = False
