"""Real behaviour with the offline USE model and the bundled SOE-assistance codebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.classify import NO_CODE, ZeroShotCoder

pytestmark = pytest.mark.slow

BUNDLED = Path(__file__).resolve().parents[2] / "configs" / "codebooks" / "soe-assistance.yaml"

# Passages written for this test, in the register of case reports and interviews.
CASES = [
    (
        "A04",
        "在驻村工作队指导下，村党支部牵头成立蔬菜种植专业合作社，党员带头入股，"
        "村集体以土地入股，年底按股分红。",
    ),
    (
        "A11",
        "The company trained young villagers to host livestreams and sold over two tonnes "
        "of local honey through online live sales in one evening.",
    ),
    (
        "A40",
        "集团出资为帮扶县培训乡村医生，组织三甲医院专家每月下乡坐诊带教，提升村卫生室诊疗水平。",
    ),
    ("A02", "集团先后选派三批共十二名干部到帮扶村担任第一书记和驻村工作队员，吃住在村。"),
    ("A27", "公司在村集体屋顶建设分布式光伏电站，发电收益用于村集体经济，村民用电成本明显下降。"),
    (
        "A36",
        "Volunteers from the company taught English and music classes at the village primary "
        "school every weekend.",
    ),
]


@pytest.fixture(scope="module")
def coder():
    if not BUNDLED.is_file():
        pytest.skip("configs/codebooks/soe-assistance.yaml is not there yet")
    from pipeline.codebook import load_codebook
    from pipeline.embed import UseMultilingualEmbedder

    book = load_codebook(BUNDLED)
    return ZeroShotCoder(UseMultilingualEmbedder(), book, top_k=3).fit()


@pytest.mark.parametrize(("code", "text"), CASES, ids=[c for c, _ in CASES])
def test_matching_code_is_in_top_3(coder, code, text):
    top = [s.code_id for s in coder.suggest([text]) if s.code_id != NO_CODE]
    assert code in top[:3]


def test_main_category_follows_the_initial_code(coder):
    text = CASES[0][1]
    main = [s for s in coder.suggest([text], level="main") if s.accepted]
    assert main and main[0].code_id == "B01"


def test_off_topic_text_scores_lower_than_on_topic(coder):
    on = coder.decision_scores(coder.embedder.encode([CASES[0][1]])).max()
    off = coder.decision_scores(coder.embedder.encode(["今天的足球比赛踢成了平局。"])).max()
    assert on > off + 0.1
