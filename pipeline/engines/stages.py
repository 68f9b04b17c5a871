"""The run's stages, declared once: what each reads and writes, in the order they run.

``groundcode run`` is this list executed top to bottom (:func:`run_stages`). Each
stage is a function ``(ctx, **reads) -> {name: value for name in writes}``; a
name it reads must have been written by an earlier stage, which the declaration
is checked for at import. Document stages decide their pending documents from the
per-document stage marks; corpus stages compare the hash of their inputs with the
one stored beside their result (:mod:`pipeline.engines.corpus_stages`). Outputs
(report, workbook, REFI-QDA, tables) are not stages: they only read the store
(:mod:`pipeline.report.export`).

==========  ========  ==================================  ===========================
stage       scope     reads                               writes (store)
==========  ========  ==================================  ===========================
ingest      corpus    corpus files, manifest              —
clean       corpus    corpus                              clean_audit.csv
segment     document  documents, removals                 documents, passages
embed       document  documents, passages                 embedding cache
fit         corpus    passages                            saved coder (models/)
classify    document  documents, passages, coder          suggestions
cluster     corpus    suggestions, coder                  candidates
saturation  corpus    suggestions, candidates             saturation result
agreement   corpus    suggestions, coder, human codings   agreement result
==========  ========  ==================================  ===========================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.engines import corpus_stages as cs
from pipeline.engines import document_stages as ds


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[..., dict[str, Any]]
    scope: Literal["document", "corpus"]
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()


STAGES: tuple[Stage, ...] = (
    Stage("ingest", ds.ingest, "corpus", (), ("corpus",)),
    Stage("clean", ds.clean, "corpus", ("corpus",), ("documents", "removals")),
    Stage("segment", ds.segment, "document", ("corpus", "documents", "removals"),
          ("passages", "all_passages")),
    Stage("embed", ds.embed, "document", ("corpus", "documents", "passages"), ("job",)),
    Stage("fit", ds.fit, "corpus", ("documents", "passages", "job"), ("coder",)),
    Stage("classify", ds.classify, "document",
          ("corpus", "documents", "passages", "all_passages", "coder"), ("suggestions",)),
    Stage("cluster", cs.cluster, "corpus", ("corpus", "suggestions", "coder"), ("candidates",)),
    Stage("saturation", cs.saturation, "corpus", ("corpus", "suggestions", "candidates"),
          ("saturation",)),
    Stage("agreement", cs.agreement, "corpus", ("corpus", "suggestions", "coder"),
          ("agreement",)),
)

DOCUMENT_STAGES = tuple(s.name for s in STAGES if s.scope == "document")
CORPUS_STAGES = tuple(s.name for s in STAGES if s.scope == "corpus" and s.name in cs.STORED)


def _check_declaration(stages: tuple[Stage, ...]) -> None:
    written: set[str] = set()
    for stage in stages:
        missing = [name for name in stage.reads if name not in written]
        if missing:
            raise AssertionError(f"stage {stage.name} reads {missing} before any stage writes it")
        written.update(stage.writes)


_check_declaration(STAGES)


@dataclass
class Products:
    """What the stages of one run have written so far, by name."""

    values: dict[str, Any] = field(default_factory=dict)

    def inputs(self, stage: Stage) -> dict[str, Any]:
        return {name: self.values[name] for name in stage.reads}

    def add(self, stage: Stage, written: dict[str, Any]) -> None:
        if set(written) != set(stage.writes):
            raise AssertionError(
                f"stage {stage.name} wrote {sorted(written)}, declared {sorted(stage.writes)}")
        self.values.update(written)


def run_stages(ctx, stages: tuple[Stage, ...] = STAGES) -> Products:
    """Run ``stages`` in order, each timed under its name in ``ctx.info``."""
    products = Products()
    for stage in stages:
        with ctx.info.timed(stage.name):
            products.add(stage, stage.run(ctx, **products.inputs(stage)))
    return products
