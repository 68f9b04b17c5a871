"""A demo store for the review tests: the demo corpus plus one passage full of markup."""

from __future__ import annotations

import pytest
import yaml

from tests.engines.run_helpers import copy_demo_corpus, demo_dict, make_config

XSS = '受访者原话：<script>alert(1)</script> 还有 "><img src=x onerror=alert(1)> 这样的字样。'


@pytest.fixture(scope="session")
def review_config(tmp_path_factory):
    from pipeline.engines.run import run_job

    root = tmp_path_factory.mktemp("review")
    corpus = copy_demo_corpus(root / "corpus")
    (corpus / "cases" / "99-YQ-XSS.txt").write_text(
        "标记测试案例\n\n" + XSS + "\n", encoding="utf-8")
    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["documents"].append({"id": "99-YQ-XSS", "file": "cases/99-YQ-XSS.txt",
                                  "kind": "case", "lang": "zh", "enterprise_type": "central",
                                  "enterprise": "测试集团", "title": "标记测试",
                                  "edition": "测试版", "year": 2025, "arena": "talent",
                                  "reserved": False})
    (corpus / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True),
                                          encoding="utf-8")
    data = demo_dict(root / "out")
    data["corpus"] = {"path": str(corpus)}
    data["classify"] = {**data.get("classify", {}), "min_examples_per_code": 3}
    config = make_config(data)
    run_job(config, progress=False)
    return config


@pytest.fixture()
def review_app(review_config, tmp_path):
    """A fresh copy of the demo store per test, so decisions never leak between tests."""
    import shutil

    from pipeline.codebook import load_codebook
    from pipeline.review.app import ReviewSettings, create_app
    from pipeline.store import open_store

    db = tmp_path / "review.db"
    shutil.copy(review_config.output / "groundcode.db", db)
    store = open_store(f"sqlite:///{db}")
    config = review_config.model_copy(update={"store": f"sqlite:///{db}"})
    app = create_app(store, config, load_codebook(config.codebook),
                     ReviewSettings(default_coder="li", retrain_every=0, seed=config.seed,
                                    allowed_hosts=("testserver",)))  # TestClient's Host
    yield app, store, config
    store.close()
