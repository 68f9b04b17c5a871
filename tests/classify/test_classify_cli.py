"""`groundcode embed` and `groundcode classify` end to end (real USE model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.segment.passage import Passage
from pipeline.tables import write_records

pytestmark = pytest.mark.slow

BUNDLED = Path(__file__).resolve().parents[2] / "configs" / "codebooks" / "soe-assistance.yaml"
TEXTS = [
    "村党支部领办合作社，组织村民统一种植、统一销售。",
    "公司组织青年主播直播带货，帮助村里卖出大量农产品。",
    "集团选派第一书记驻村，带领工作队走访农户。",
    "企业在村里建设光伏电站，降低了村民用电成本。",
]


@pytest.fixture
def passages(tmp_path) -> Path:
    rows, start = [], 0
    for i, text in enumerate(TEXTS):
        rows.append(
            Passage(
                Passage.make_id("d1", start, start + len(text)),
                "d1",
                start,
                start + len(text),
                text,
                "zh",
                i,
            )
        )
        start += len(text) + 1
    write_records(rows, tmp_path / "passages")
    return tmp_path / "passages.parquet"


def test_embed_then_classify_zero_shot(passages, tmp_path):
    vectors = tmp_path / "v.npy"
    assert (
        main(
            ["embed", str(passages), "--out", str(vectors), "--cache-dir", str(tmp_path / "cache")]
        )
        == 0
    )
    meta = json.loads(vectors.with_suffix(".json").read_text())
    assert np.load(vectors).shape == (4, 512) and len(meta["passage_ids"]) == 4
    out = tmp_path / "out"
    code = main(
        [
            "classify",
            str(passages),
            "--codebook",
            str(BUNDLED),
            "--vectors",
            str(vectors),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    frame = pd.read_parquet(out / "suggestions.parquet")
    assert {"passage_id", "code_id", "score", "rank", "level", "method", "model"} <= set(
        frame.columns
    )
    assert set(frame["level"]) == {"initial", "main"}
    first = frame[(frame["level"] == "initial") & (frame["rank"] == 1)]
    assert len(first) == 4
    assert (out / "suggestions.csv").is_file()


def test_classify_supervised_trains_and_saves(passages, tmp_path):
    ids = pd.read_parquet(passages)["id"].tolist()
    codings = tmp_path / "codings.csv"
    rows = [
        f"{ids[0]},A04,accept",
        f"{ids[1]},A11,accept",
        f"{ids[2]},A02,accept",
        f"{ids[3]},A27,accept",
        f"{ids[3]},A04,reject",
    ]
    codings.write_text("passage_id,code_id,decision\n" + "\n".join(rows) + "\n")
    models = tmp_path / "models"
    code = main(
        [
            "classify",
            str(passages),
            "--codebook",
            str(BUNDLED),
            "--method",
            "supervised",
            "--codings",
            str(codings),
            "--out",
            str(tmp_path / "o"),
            "--models-dir",
            str(models),
        ]
    )
    assert code == 0
    cards = list(models.glob("soe-assistance/*/model_card.json"))
    assert len(cards) == 1
    card = json.loads(cards[0].read_text())
    assert card["labelled_counts"]["A04"] == 1  # too few: falls back, and says so
    assert "A04" in card["fallback_codes"]
    frame = pd.read_csv(tmp_path / "o" / "suggestions.csv")
    assert "zero-shot-fallback" in set(frame["method"])


def test_supervised_without_codings_is_a_clear_error(passages, tmp_path, capsys):
    code = main(
        [
            "classify",
            str(passages),
            "--codebook",
            str(BUNDLED),
            "--method",
            "supervised",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "needs human codings" in capsys.readouterr().err
