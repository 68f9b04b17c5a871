"""Write the demo human-coding file ``corpora/demo/codings/human_codings.csv``.

Run from the repo root:  .venv/bin/python scripts/make_demo_codings.py [--out FILE]

Two fictional coders (coder_li, coder_chen) coded quoted sentences of the demo's
UTF-8 Chinese cases with initial categories (A01-A50). Offsets are computed here
from the quotes, as character offsets into the normalized text (NFC, ``\\n`` line
ends, no trailing spaces), so they are exact. Each row of ``SPANS`` is
(doc_id, quote, codes of coder_li, codes of coder_chen); the coders agree on most
spans and disagree on a few, as real coders do.
"""

from __future__ import annotations

import argparse
import csv
import io
import unicodedata
from pathlib import Path

from pipeline.io import atomic_write_text

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
CODERS = ("coder_li", "coder_chen")

SPANS: list[tuple[str, str, str, str]] = [
    ("01-GQ-SHKG", "集团党委将试点列入年度乡村振兴重点任务", "A06", "A06"),
    ("01-GQ-SHKG", "形成“政府+保险+期货+养殖户”的协作链条", "A46", "A05"),
    ("01-GQ-SHKG", "集团累计投入帮扶资金680万元", "A07", "A07"),
    ("01-GQ-SHKG", "明确每个环节的时限和责任人", "A49", "A49"),
    ("01-GQ-SHKG", "公司党员骨干组成“金融服务先锋队”", "A01", "A01"),
    ("01-GQ-SHKG", "“保险+期货”把市场化的风险管理工具引入农业生产", "A33", "A33"),
    ("02-YQ-ZNLD", "选派三名干部组成驻村工作队常驻村里", "A02", "A02"),
    ("02-YQ-ZNLD", "同步改造了10千伏配电线路和4座牧民定居点的供电设施", "A45", "A45"),
    ("02-YQ-ZNLD", "饲草加工厂的用电价格比原来下降了四成", "A27", "A27"),
    ("02-YQ-ZNLD", "当地由过去单一放牧逐步转向“舍饲+半舍饲”养殖", "A19", "A35"),
    ("02-YQ-ZNLD", "实现了节水、节肥、节地", "A35", "A35"),
    ("02-YQ-ZNLD", "形成了发电、种草、养畜相互促进的良性循环", "A24", "A24"),
    ("02-YQ-ZNLD", "每年可减少二氧化碳排放约7000吨", "A12", "A12"),
    ("03-YQ-ZHLY", "建立“以购代捐、以买代帮”的长效机制", "A28", "A28"),
    ("03-YQ-ZHLY", "制定了山核桃、黑毛猪肉等5项产品的企业标准和分级规范", "A18", "A18"),
    ("03-YQ-ZHLY", "举办“山珍丰收节”", "A37", "A39"),
    ("03-YQ-ZHLY", "培训本地主播60余名", "A11", "A11"),
    ("03-YQ-ZHLY", "把抖音、视频号等新媒体变成农民的“新农具”", "A10", "A11"),
    ("03-YQ-ZHLY", "将部分产品纳入集团常规供应链", "A28", "A28"),
    ("03-YQ-ZHLY", "把加工增值环节留在县里", "A48", "A20"),
    ("05-YQ-YLTX", "集成党务村务公开、网格管理、矛盾纠纷调解、防返贫监测等功能", "A08", "A08"),
    ("05-YQ-YLTX", "溯源产品收购价每斤高出0.3元", "A15", "A15"),
    ("05-YQ-YLTX", "引入无人机植保、水肥一体化和智能分拣线", "A31", "A31"),
    ("05-YQ-YLTX", "开展“云上看果园”直播推介活动", "A10", "A10;A11"),
    ("06-YQ-ZKYY", "每年选送80名乡村医生到县级医院进修三个月", "A40", "A40"),
    ("06-YQ-ZKYY", "设立“乡医定向奖学金”", "A40", "A09"),
    ("06-YQ-ZKYY", "累计募集资金3600万元", "A16", "A16"),
    ("06-YQ-ZKYY", "形成企业出资、社会组织运营、地方卫健部门监督的合作方式", "A03", "A03"),
    ("08-YQ-ZLJS", "将属地用工比例纳入项目部年度考核", "A29", "A29"),
    (
        "08-YQ-ZLJS",
        "项目部按照“需求发布—岗前培训—签订合同—按月发薪—跟踪回访”五个步骤办理",
        "A49",
        "A49",
    ),
    ("08-YQ-ZLJS", "集团委托第三方机构每年对项目吸纳就业情况进行评估", "A29", "A29"),
    ("08-YQ-ZLJS", "学员考核合格后取得岗位证书", "A09", "A09"),
    ("10-YQ-ZDHY", "集团编制了《定点帮扶县人才振兴五年规划（2021—2025年）》", "A21", "A21"),
    ("10-YQ-ZDHY", "集团党校每年举办两期乡村振兴专题培训班", "A43", "A43"),
    ("10-YQ-ZDHY", "每年遴选50名种养大户、合作社负责人和返乡创业青年", "A09", "A09"),
    ("10-YQ-ZDHY", "设计了一条“乡村旅游人才研学线路”", "A30", "A30"),
    ("10-YQ-ZDHY", "驻村工作队在帮扶村推行“积分超市”", "A42", "A42"),
    ("10-YQ-ZDHY", "邀请东南亚国家的农业专家分享经验", "A41", "A13"),
    ("10-YQ-ZDHY", "帮扶干部撰写的调研报告在学术期刊上发表", "A14", "A14"),
    ("11-YQ-ZHSY", "为12所乡村学校开设合唱、绘画、剪纸和民族舞蹈课程", "A32", "A32"),
    ("11-YQ-ZHSY", "为留守儿童建立成长档案，开展团体辅导和一对一谈心", "A34", "A34"),
    ("11-YQ-ZHSY", "每年暑期选派青年员工到乡村学校开展为期三周的支教", "A36", "A36"),
    ("11-YQ-ZHSY", "逐步成为集团社会责任工作的品牌项目", "A26", "A26"),
    ("11-YQ-ZHSY", "集团还组织媒体记者走进乡村学校", "A47", "A47"),
    ("12-YQ-ZHGY", "组建“航空志愿讲师团”", "A36", "A36"),
    ("12-YQ-ZHGY", "每年暑期举办“乡村少年航空夏令营”", "A39", "A37"),
    ("12-YQ-ZHGY", "由志愿讲师自己拍摄短视频讲述科普课堂的故事", "A23", "A23"),
    ("12-YQ-ZHGY", "“天空的想象”已成为集团具有影响力的社会责任品牌", "A26", "A26"),
]


def normalized_text(path: Path) -> str:
    """The text the ingest stage produces for a clean UTF-8 file."""
    raw = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", raw)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def locate(text: str, quote: str, doc_id: str) -> tuple[int, int]:
    start = text.find(quote)
    if start < 0 or text.find(quote, start + 1) >= 0:
        raise ValueError(f"{doc_id}: quote must occur exactly once: {quote!r}")
    return start, start + len(quote)


def coding_rows(demo: Path = DEMO) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    texts: dict[str, str] = {}
    for doc_id, quote, *codes in SPANS:
        if doc_id not in texts:
            texts[doc_id] = normalized_text(demo / "cases" / f"{doc_id}.txt")
        start, end = locate(texts[doc_id], quote, doc_id)
        for coder, coder_codes in zip(CODERS, codes, strict=True):
            for code in coder_codes.split(";"):
                rows.append(
                    {"doc_id": doc_id, "start": start, "end": end, "code": code, "coder": coder}
                )
    return rows


def to_csv(rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["doc_id", "start", "end", "code", "coder"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO / "codings" / "human_codings.csv")
    args = parser.parse_args(argv)
    atomic_write_text(args.out, to_csv(coding_rows()))
    print(args.out)


if __name__ == "__main__":
    main()
