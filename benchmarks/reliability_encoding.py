"""Encoding reliability: generated files in many encodings, none may decode to wrong text.

Run from the repo root: ``.venv/bin/python -m benchmarks.reliability_encoding``
-> ``benchmarks/results/reliability_encoding.json``. No data needed: every case is
generated from the sentence pools below (written for this benchmark) with a seeded
random generator, so the same seed gives the same cases and figures.

A case is a few sentences encoded in one encoding (UTF-8 with and without BOM,
GB18030, GBK, Big5, UTF-16 LE/BE with and without BOM, cp1252, latin-1, Shift_JIS,
EUC-KR), or two parts in two different encodings (mixed), or a file with a NUL or
control byte injected. The decoder (:func:`pipeline.corpus.txt.decode_bytes`) must
return exactly the source text or refuse with an ``EncodingError`` whose unit is a byte
offset; a mixed or NUL case has no right text, so accepting it at all is mojibake.
Other workers call :func:`encoding_cases` from their own benchmarks.
"""

from __future__ import annotations

import codecs
import json
import random
import sys
import time

from pipeline.corpus.txt import decode_bytes
from pipeline.errors import EncodingError

ZH = (
    "村里的合作社去年成立了电商服务站，帮助农户把核桃、花椒和土蜂蜜卖到全国各地。",
    "驻村工作队每周召开一次院坝会，听取群众对道路硬化和饮水工程的意见。",
    "企业派出的技术员手把手教农民嫁接果树，三年后果园的亩产翻了一番。",
    "为了留住年轻人，镇政府和国有企业共同建设了返乡创业孵化基地。",
    "受访者表示，最大的变化是孩子们不用再走两个小时的山路去上学。",
    "集团每年安排专项资金用于职业技能培训，培训合格的学员可以直接进入园区就业。",
    "问：您觉得帮扶项目还有哪些不足？答：后续管护跟不上，有些设备闲置了。",
    "2022年，该县农村居民人均可支配收入达到1.5万元，比上年增长8.3%。",
)
ZH_TRADITIONAL = (
    "村裡的合作社去年成立了電商服務站，幫助農戶把核桃、花椒和土蜂蜜賣到全國各地。",
    "駐村工作隊每週召開一次會議，聽取群眾對道路硬化和飲水工程的意見。",
    "企業派出的技術員手把手教農民嫁接果樹，三年後果園的畝產翻了一番。",
    "為了留住年輕人，鎮政府和國有企業共同建設了返鄉創業孵化基地。",
)
EN = (
    "The cooperative opened a small shop in the market town last spring.",
    "Several interviewees said the new road changed their daily lives.",
    "The company’s engineers trained local workers to repair the pumps.",
    "“We didn’t expect so many visitors,” the village head said.",
    "Café owners in the county seat now buy honey directly from the farmers.",
    "Training sessions were held every Friday — rain or shine.",
    "Q: What changed after the project? A: Mostly the roads, and the school.",
    "Über 300 households joined the scheme, according to the naïve first count.",
)
MIXED_SCRIPT = (
    "项目采用了GIS系统对耕地进行监测，数据每月更新一次。",
    "访谈中，他多次提到Excel表格和微信群在组织生产中的作用。",
)
JA = (
    "村の協同組合は昨年、オンライン販売所を開設しました。",
    "技術者が農家に果樹の接ぎ木を教え、収穫量が倍になりました。",
)
KO = (
    "마을 협동조합은 작년에 온라인 판매소를 열었습니다.",
    "기술자들이 농민들에게 과일나무 접목을 가르쳤습니다.",
)
POOLS = {
    "zh": ZH,
    "zh_traditional": ZH_TRADITIONAL,
    "en": EN,
    "mixed_script": MIXED_SCRIPT,
    "ja": JA,
    "ko": KO,
}
ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "gb18030",
    "gbk",
    "big5",
    "utf-16-le",
    "utf-16-be",
    "utf-16",  # with BOM
    "cp1252",
    "latin-1",
    "shift_jis",
    "euc-kr",
)
SINGLE_PART = ("utf-8-sig", "utf-16-le", "utf-16-be", "utf-16")
CONTROL_BYTES = (b"\x00", b"\x01", b"\x1b", b"\x7f")
KINDS = ("plain", "plain", "plain", "mixed", "control")


def _text(rng: random.Random) -> str:
    pool = POOLS[rng.choice(sorted(POOLS))]
    chosen = [rng.choice(pool) for _ in range(rng.randint(1, 4))]
    return rng.choice(("", "\n", "\r\n", "\n\n")).join(chosen) or chosen[0]


def _encode(text: str, encoding: str) -> bytes | None:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return None


def _case(rng: random.Random) -> tuple[bytes, str | None] | None:
    """(bytes, the one right text or None when only a refusal is right), or None when
    the drawn text does not fit the drawn encoding."""
    kind = rng.choice(KINDS)
    text = _text(rng)
    encoding = rng.choice(ENCODINGS)
    data = _encode(text, encoding)
    if data is None or not data.strip():
        return None
    if kind == "plain":
        return data, text
    if kind == "control":
        at = rng.randrange(len(data) + 1)
        if encoding.startswith("utf-16") or encoding in ("utf-8-sig",):
            at = len(data)  # after the last code unit, so the bytes stay one encoding
        return data[:at] + rng.choice(CONTROL_BYTES) + data[at:], None
    second_text = _text(rng)
    # a second part in UTF-16 or with a BOM is not text in one encoding after another
    second_encoding = rng.choice([e for e in ENCODINGS if e not in SINGLE_PART])
    second = _encode(second_text, second_encoding)
    if second is None or not second.strip():
        return None
    whole = text + second_text
    if _encode(whole, encoding) == data + second or _encode(whole, second_encoding) == (
        data + second
    ):
        return data + second, whole  # both parts encode alike: one encoding after all
    return data + second, None


def encoding_cases(seed: int, n: int) -> dict:
    """Decode ``n`` generated cases; count right readings, refusals and mojibake.

    ``mojibake_accepted`` counts files decoded to text other than their source (or
    decoded at all when they are mixed or hold a control byte); it must be 0.
    ``refused_without_offset`` counts refusals whose unit is not a byte offset."""
    rng = random.Random(seed)
    counts = {"accepted_correct": 0, "refused": 0, "mojibake_accepted": 0}
    without_offset = 0
    must_refuse = refused_readable = 0
    examples: list[dict] = []
    done = 0
    while done < n:
        case = _case(rng)
        if case is None:
            continue
        data, expected = case
        done += 1
        must_refuse += expected is None
        try:
            decoded = decode_bytes(data, f"case-{done}.txt")
        except EncodingError as exc:
            counts["refused"] += 1
            refused_readable += expected is not None
            if not (exc.unit or "").startswith("byte "):
                without_offset += 1
            continue
        if expected is not None and decoded.text == expected:
            counts["accepted_correct"] += 1
        else:
            counts["mojibake_accepted"] += 1
            if len(examples) < 5:
                examples.append({"bytes": data[:80].hex(), "read_as": decoded.encoding})
    return {
        "encoding_cases": n,
        **counts,
        "refused_without_offset": without_offset,
        # cases with no right text (mixed, control byte), and refusals of cases that had one
        "must_refuse": must_refuse,
        "refused_with_a_right_text": refused_readable,
        "mojibake_examples": examples,
    }


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import write_results

    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 6000
    started = time.perf_counter()
    figures = encoding_cases(seed=0, n=n)
    figures["seconds"] = round(time.perf_counter() - started, 2)
    figures["encodings"] = [codecs.lookup(e).name for e in ENCODINGS]
    write_results("reliability_encoding", figures)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0 if figures["mojibake_accepted"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
