"""The run's outputs: report.html in a real browser, the REFI-QDA project, `groundcode export`,
and the same job against PostgreSQL."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline.engines.run import run_job
from tests.engines.run_helpers import demo_dict, dump_store, make_config
from tests.store.pg_server import postgres_server, postgres_url  # noqa: F401

pytestmark = pytest.mark.slow
NS = {"q": "urn:QDA-XML:project:1.0"}
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-run")
    config = make_config(demo_dict(root / "out", embed={"cache_dir": str(root / "cache")}))
    return config, run_job(config, progress=False)


def test_report_renders_plots_and_chinese_labels_in_chromium(demo_run, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    report = demo_run[1].output / "report.html"
    html = report.read_text(encoding="utf-8")
    # self-contained: no external scripts or stylesheets (plotly.js is inlined)
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert "Plotly.newPlot" in html
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 1800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.goto(report.as_uri())
        page.wait_for_selector("#freq-main .main-svg", timeout=20_000)
        for div in ("freq-main", "arena-heatmap", "cooccurrence", "saturation-curve"):
            assert page.locator(f"#{div} .main-svg").count() >= 1, div
        # bars of the main-category chart are drawn, with bilingual code labels
        assert page.locator("#freq-main .bars path").count() >= 3
        ticks = " ".join(page.locator("#freq-main .ytick text").all_text_contents())
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in ticks) > 10, ticks
        body = page.inner_text("body")
        for heading in ("语料概览", "编码频次", "候选新范畴", "饱和度", "编码一致性"):
            assert heading in body, heading
        page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        browser.close()
    assert not errors, errors
    assert all(u.startswith(("file:", "data:", "about:")) for u in requests), requests
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_qdpx_structure_and_positions(demo_run):
    config, result = demo_run
    path = result.output / "project.qdpx"
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names[0] == "project.qde"
        assert all(n == "project.qde" or n.startswith("sources/") for n in names)
        root = etree.fromstring(zf.read("project.qde"))
        texts = {n: zf.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
    assert etree.QName(root).namespace == NS["q"]
    order = [etree.QName(child).localname for child in root]
    assert order == ["Users", "CodeBook", "Sources"]
    code_guids = {c.get("guid") for c in root.iterfind(".//q:Code", NS)}
    user_guids = {u.get("guid") for u in root.iterfind(".//q:User", NS)}
    assert len(code_guids) == 62
    refs = root.findall(".//q:CodeRef", NS)
    assert refs and all(r.get("targetGUID") in code_guids for r in refs)
    for source in root.iterfind(".//q:TextSource", NS):
        text = texts["sources/" + source.get("plainTextPath").removeprefix("internal://")]
        for sel in source.iterfind("q:PlainTextSelection", NS):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert 0 <= start < end <= len(text)
            assert sel.get("creatingUser") in user_guids
    leaves = [c for c in root.iterfind(".//q:Code", NS) if c.find("q:Code", NS) is None]
    assert all(c.get("isCodable") == "true" for c in leaves)


def test_qdpx_reimports_with_identical_codings(demo_run):
    from pipeline.agreement.qdpx import read_qdpx

    config, result = demo_run
    dump = dump_store(f"sqlite:///{result.output / 'groundcode.db'}")
    spans = {p[0]: (p[1], p[2], p[3]) for p in dump["passages"]}
    expected = sorted(
        (*spans[s[0]], s[1]) for s in dump["suggestions"]
        if s[2] == "initial" and s[6] and s[1] != "NONE"
    )
    rows = read_qdpx(result.output / "project.qdpx")
    got = sorted((r.doc_id, r.start, r.end, r.code) for r in rows)
    assert got == expected
    assert len({r.coder for r in rows}) == 1 and rows[0].coder.startswith("groundcode:")


def test_export_regenerates_outputs_from_the_store(demo_run, tmp_path, capsys):
    from pipeline.cli import main
    from tests.engines.run_helpers import write_config

    config, result = demo_run
    original = (result.output / "project.qdpx").read_bytes()
    data = config.model_dump(mode="json")
    config_path = write_config(data, tmp_path / "run.yaml")
    for name in ("project.qdpx", "report.html", "coding.xlsx"):
        (result.output / name).unlink()
    assert main(["export", str(config_path), "--only", "qdpx,report,xlsx"]) == 0
    assert (result.output / "project.qdpx").read_bytes() == original
    assert (result.output / "report.html").is_file() and (result.output / "coding.xlsx").is_file()
    capsys.readouterr()
    assert main(["export", str(config_path), "--only", "pdf"]) == 2
    assert "pdf" in capsys.readouterr().err


def test_export_without_a_store_is_a_clear_error(tmp_path, capsys):
    from pipeline.cli import main
    from tests.engines.run_helpers import write_config

    config_path = write_config(demo_dict(tmp_path / "never-run"), tmp_path / "run.yaml")
    assert main(["export", str(config_path)]) == 2
    err = capsys.readouterr().err
    assert "groundcode run" in err and "never-run" in err
    assert not (tmp_path / "never-run" / "report.html").exists()


def test_same_job_on_postgresql(demo_run, postgres_url, tmp_path):  # noqa: F811
    config, result = demo_run
    data = demo_dict(tmp_path / "pg", embed={"cache_dir": str(config.embed.cache_dir)})
    data["store"] = postgres_url
    pg = run_job(make_config(data), progress=False)
    assert pg.counts["documents"] == result.counts["documents"]
    again = run_job(make_config(data), progress=False)
    assert again.processed == {"segment": [], "embed": [], "classify": []}
    assert again.stages == dict.fromkeys(("cluster", "saturation", "agreement"), "unchanged")
    lite = dump_store(f"sqlite:///{result.output / 'groundcode.db'}")
    post = dump_store(postgres_url)
    for table in ("documents", "passages"):
        assert post[table] == lite[table]
    assert [s[:-1] for s in post["suggestions"]] == [s[:-1] for s in lite["suggestions"]]
    assert (tmp_path / "pg" / "report.html").is_file()
    assert _corpus_results(postgres_url) == _corpus_results(
        f"sqlite:///{result.output / 'groundcode.db'}")
    for name in ("candidates.yaml", "saturation.json", "agreement/agreement.csv"):
        assert (tmp_path / "pg" / name).read_bytes() == (result.output / name).read_bytes()
    shutil.rmtree(tmp_path / "pg")


def _corpus_results(url: str):
    """The stored results of the corpus stages, comparable across stores (NaN-free)."""
    import json

    from pipeline.store import open_store

    with open_store(url) as store:
        corpus = store.documents.corpora()[0]
        marks = {s: store.results.stage_result(corpus, s)
                 for s in ("cluster", "saturation", "agreement")}
        cands = store.results.candidates(corpus)
    return ({s: (m.status, m.codebook_hash, json.dumps(m.result, sort_keys=True))
             for s, m in marks.items()}, cands, [c.data for c in cands])
