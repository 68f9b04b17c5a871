"""The English sentence pipeline does not drag torch (≈ 230 MB) into the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_building_the_english_pipeline_leaves_torch_unimported_but_importable():
    out = _run("""
        import importlib.util, sys
        from pipeline.segment.sentences import english_pipeline, sentence_spans
        nlp = english_pipeline()
        text = "Li et al. (2023) found this. The village head said so! See Fig. 2."
        sents = [text[a:b] for a, b in sentence_spans(text, "en")]
        print(len(sents), "torch" in sys.modules, importlib.util.find_spec("torch") is not None)
        import torch  # still importable afterwards (the sentence-transformers embedder)
        print(torch.__name__)
    """)
    assert out.splitlines() == ["3 False True", "torch"]


def test_a_process_that_already_loaded_torch_builds_the_pipeline_as_before():
    out = _run("""
        import sys, torch
        import thinc.compat
        from pipeline.segment.sentences import english_pipeline
        print(english_pipeline().pipe_names[0], thinc.compat.has_torch, sys.modules["torch"] is torch)
    """)
    assert out == "sentencizer True True"
