"""The package layout shows the pipeline: stage packages never import the run
(``pipeline.engines``), the outputs (``pipeline.report``) or the apps on top of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
ON_TOP = ("pipeline.engines", "pipeline.report", "pipeline.review", "pipeline.cli")
STAGE_PACKAGES = ("corpus", "clean", "segment", "embed", "codebook", "classify", "cluster",
                  "saturation", "agreement", "store")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _offending(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for module in _imports(path):
            if module.startswith(forbidden):
                bad.append(f"{path.relative_to(PACKAGE)} imports {module}")
    return bad


@pytest.mark.parametrize("folder", STAGE_PACKAGES)
def test_stage_packages_import_no_run_report_or_app(folder):
    assert _offending(folder, ON_TOP) == []


def test_report_only_renders_it_never_imports_the_run():
    assert _offending("report", ("pipeline.engines", "pipeline.review", "pipeline.cli")) == []


def test_the_stage_list_is_declared_once_and_in_order():
    from pipeline.engines.stages import STAGES
    from pipeline.store.schema import CORPUS_STAGES

    names = [s.name for s in STAGES]
    assert names == ["ingest", "clean", "segment", "embed", "fit", "classify", "cluster",
                     "saturation", "agreement"]
    assert [n for n in names if n in CORPUS_STAGES] == list(CORPUS_STAGES)
    written: set[str] = set()
    for stage in STAGES:
        assert set(stage.reads) <= written, stage.name
        written |= set(stage.writes)
