"""A large document is fitted on and classified a slice at a time, with the same result.

The fit stage calibrates the coder over :class:`~pipeline.embed.slices.VectorSlices`
and the classify stage codes ``EMBED_SLICE`` passages per backend call; here both
sizes are made tiny so the demo corpus crosses many slice (and document) boundaries.
"""

from __future__ import annotations

import sys

import pytest

from pipeline.embed import slices
from pipeline.engines import document_stages
from pipeline.engines.backend import LocalBackend
from pipeline.engines.run import run_job
from tests.engines.run_helpers import assert_same_rows, demo_dict, dump_store, make_config

pytestmark = pytest.mark.slow


def test_tiny_slices_give_the_rows_of_a_whole_run(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    whole = run_job(make_config(demo_dict(tmp_path / "whole", embed={"cache_dir": str(cache)})),
                    progress=False)
    sizes: dict[str, list[int]] = {}
    embed = LocalBackend.embed

    def recording(self, job, passages):
        sizes.setdefault(_stage(), []).append(len(passages))
        return embed(self, job, passages)

    monkeypatch.setattr(LocalBackend, "embed", recording)
    monkeypatch.setattr(document_stages, "EMBED_SLICE", 7)
    monkeypatch.setattr(slices, "FIT_SLICE", 40)
    sliced = run_job(make_config(demo_dict(tmp_path / "sliced", embed={"cache_dir": str(cache)})),
                     progress=False)
    rows = dump_store(f"sqlite:///{sliced.output / 'groundcode.db'}")
    assert rows["suggestions"]
    assert_same_rows(rows, dump_store(f"sqlite:///{whole.output / 'groundcode.db'}"))
    # embed, fit and classify never asked for more than a slice of passages at once
    assert max(sizes["embed"]) == 7 and max(sizes["classify"]) == 7
    assert max(sizes["fit"]) == 40 and len(sizes["fit"]) > 2


def _stage() -> str:
    """The document stage function on the call stack (``other`` outside them)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == document_stages.__name__:
            return frame.f_code.co_name
        frame = frame.f_back
    return "other"


def test_whole_documents_only_for_a_per_document_prior_shift():
    from pipeline.classify.settings import ClassifySettings

    assert not document_stages._whole_documents(ClassifySettings())
    assert not document_stages._whole_documents(ClassifySettings(method="supervised"))
    assert document_stages._whole_documents(
        ClassifySettings(method="supervised", prior_shift="per-document"))


