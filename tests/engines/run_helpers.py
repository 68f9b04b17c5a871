"""Helpers for end-to-end tests of ``groundcode run``: configs in tmp folders, store dumps."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
import yaml

from pipeline.config import RunConfig, config_from_dict

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "configs" / "demo.yaml"
NEW_CASE = """国能示范集团在西部某县开展“订单农业+冷链物流”帮扶试点。
集团与县供销社签订三年收购协议，按保底价收购合作社种植的高原蔬菜。
公司投资建设两座产地冷库，蔬菜损耗率由三成降到一成以内。
驻村第一书记组织村民成立蔬菜专业合作社，统一品种、统一标准、统一销售。
2024年合作社带动四百余户农户增收，户均年增收约六千元。
"""


def demo_dict(output: Path, **overrides) -> dict:
    """The demo config as a dict with absolute paths and ``output`` in a tmp folder."""
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    base = DEMO_CONFIG.parent
    data["corpus"] = {"path": str((base / data["corpus"]["path"]).resolve())}
    data["codebook"] = str((base / data["codebook"]).resolve())
    data["agreement"]["codings"] = [str((base / p).resolve()) for p in data["agreement"]["codings"]]
    data["agreement"]["bootstrap"] = 50
    data["saturation"] = {"orders": 50}
    data["output"] = str(output)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def make_config(data: dict) -> RunConfig:
    return config_from_dict(data, base=REPO, source="<test>")


def write_config(data: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def copy_demo_corpus(target: Path) -> Path:
    shutil.copytree(REPO / "corpora" / "demo", target)
    return target


def add_case(corpus: Path, case_id: str = "17-YQ-GNSF") -> str:
    """Add one new case file and manifest entry (a new edition's document)."""
    (corpus / "cases" / f"{case_id}.txt").write_text(NEW_CASE, encoding="utf-8")
    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["documents"].append({
        "id": case_id, "file": f"cases/{case_id}.txt", "kind": "case", "lang": "zh",
        "enterprise_type": "central", "enterprise": "国能示范集团有限公司",
        "title": "订单农业加冷链物流稳定蔬菜销路", "edition": "中央企业助力乡村振兴蓝皮书",
        "year": 2025, "arena": "industrial", "reserved": False,
    })
    (corpus / "manifest.yaml").write_text(
        yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return case_id


def run_cli(config_path: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(config_path), "--quiet"],
        capture_output=True, text=True, env=full_env, cwd=REPO, timeout=600,
    )


def dump_store(url: str) -> dict[str, list[tuple]]:
    """Row contents of the coded tables, sorted, without timestamps."""
    engine = sa.create_engine(url)
    queries = {
        "documents": "SELECT id, corpus_id, kind, lang, sha256, text FROM documents",
        "passages": 'SELECT id, doc_id, start, "end", text, codable FROM passages',
        "suggestions": "SELECT passage_id, code_id, level, rank, method, model, accepted, "
        "codebook_hash, score FROM suggestions",
        "document_state": "SELECT doc_id, stage, content_hash, codebook_hash, embedder_id, "
        "settings_hash FROM document_state",
    }
    out = {}
    with engine.connect() as conn:
        for name, query in queries.items():
            out[name] = sorted(tuple(r) for r in conn.execute(sa.text(query)))
    engine.dispose()
    return out


def assert_same_rows(a: dict, b: dict, score_tol: float = 1e-6) -> None:
    for table in ("documents", "passages", "document_state"):
        assert a[table] == b[table], table
    assert len(a["suggestions"]) == len(b["suggestions"])
    for x, y in zip(a["suggestions"], b["suggestions"], strict=True):
        assert x[:-1] == y[:-1]
        assert abs(x[-1] - y[-1]) <= score_tol
