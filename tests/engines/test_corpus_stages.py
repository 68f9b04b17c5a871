"""Cluster, saturation and agreement as stages of `groundcode run`: stored results, skipped
when their inputs are unchanged, redone when they change; `groundcode export` runs none."""

from __future__ import annotations

import json

import pytest

from pipeline.engines.run import run_job
from tests.engines.run_helpers import add_case, copy_demo_corpus, demo_dict, make_config

pytestmark = pytest.mark.slow
ALL = ("cluster", "saturation", "agreement")


def _stored(output, stage):
    from pipeline.store import open_store

    with open_store(f"sqlite:///{output / 'groundcode.db'}") as store:
        corpus = store.documents.corpora()[0]
        return store.results.stage_result(corpus, stage)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A cold run, an unchanged one, then one change at a time."""
    root = tmp_path_factory.mktemp("corpus-stages")
    corpus = copy_demo_corpus(root / "corpus")
    data = demo_dict(root / "out", embed={"cache_dir": str(root / "cache")})
    data["corpus"] = {"path": str(corpus)}
    out = {"data": data, "root": root}
    out["cold"] = run_job(make_config(data), progress=False)
    out["marks"] = {s: _stored(out["cold"].output, s) for s in ALL}
    out["again"] = run_job(make_config(data), progress=False)
    out["marks_again"] = {s: _stored(out["again"].output, s) for s in ALL}
    data = {**data, "saturation": {"orders": 60}}
    out["saturation"] = run_job(make_config(data), progress=False)
    data = {**data, "agreement": {**data["agreement"], "bootstrap": 40}}
    out["agreement"] = run_job(make_config(data), progress=False)
    out["new_doc"] = add_case(corpus)
    out["added"] = run_job(make_config(data), progress=False)
    out["last_data"] = data
    return out


def test_first_run_computes_and_stores_each_corpus_stage(runs):
    assert runs["cold"].stages == dict.fromkeys(ALL, "computed")
    marks = runs["marks"]
    assert all(m is not None and m.status == "done" for m in marks.values())
    assert marks["saturation"].result["bootstrap"]["orders"] == 50
    assert marks["agreement"].result["n_boot"] == 50
    assert marks["cluster"].result["fit"]["fitted_passages"] > 0
    timings = json.loads(runs["cold"].run_json.read_text())["timings_seconds"]
    assert all(stage in timings for stage in ALL)


def test_unchanged_inputs_skip_every_corpus_stage(runs):
    assert runs["again"].stages == dict.fromkeys(ALL, "unchanged")
    for stage in ALL:  # the stored results are the cold run's
        again, cold = runs["marks_again"][stage], runs["marks"][stage]
        assert again.inputs_hash == cold.inputs_hash
        assert json.dumps(again.result, sort_keys=True) == json.dumps(cold.result, sort_keys=True)


def test_a_changed_setting_redoes_only_its_stage(runs):
    assert runs["saturation"].stages == {"cluster": "unchanged", "saturation": "computed",
                                         "agreement": "unchanged"}
    assert runs["agreement"].stages == {"cluster": "unchanged", "saturation": "unchanged",
                                        "agreement": "computed"}
    assert runs["agreement"].processed == {"segment": [], "embed": [], "classify": []}


def test_a_new_document_redoes_every_corpus_stage(runs):
    added = runs["added"]
    assert added.stages == dict.fromkeys(ALL, "computed")
    assert added.processed["classify"] == [runs["new_doc"]]
    saturation = _stored(added.output, "saturation").result
    assert saturation["bootstrap"]["orders"] == 60
    cases = [s["case_id"] for s in saturation["measures"]["steps"]]
    assert runs["new_doc"] in cases
    assert _stored(added.output, "agreement").result["n_boot"] == 40


def test_export_renders_the_stored_results_and_runs_no_stage(runs, monkeypatch):
    import pipeline.agreement.audit as audit
    import pipeline.cluster.estimator as estimator
    import pipeline.cluster.frozen as frozen
    import pipeline.saturation.stage as saturation
    from pipeline.report.export import export_from_store

    def forbidden(*_a, **_k):
        raise AssertionError("export computed a stage")

    monkeypatch.setattr(frozen, "frozen_candidates", forbidden)
    monkeypatch.setattr(frozen, "fit_frozen", forbidden)
    monkeypatch.setattr(estimator.CandidateClusterer, "fit", forbidden)
    monkeypatch.setattr(saturation, "saturation_stage", forbidden)
    monkeypatch.setattr(audit, "run_audit", forbidden)
    out = runs["added"].output
    names = ("candidates.yaml", "saturation.json", "saturation.csv", "agreement/agreement.csv",
             "agreement/disagreements.csv", "project.qdpx")
    before = {n: (out / n).read_bytes() for n in names}
    for name in (*names, "report.html"):
        (out / name).unlink()
    export_from_store(make_config(runs["last_data"]))
    assert {n: (out / n).read_bytes() for n in names} == before
    html = (out / "report.html").read_text(encoding="utf-8")
    for anchor in ("sec-candidates", "sec-saturation", "sec-agreement"):
        assert f'id="{anchor}"' in html
    assert 'id="saturation-curve"' in html and "Candidate categories" in html


def test_why_a_section_is_empty_is_printed_and_shown(runs, tmp_path, capsys):
    """(Last in the module: it re-runs the shared output with stages that have nothing to do.)"""
    from pipeline.cli import main
    from tests.engines.run_helpers import write_config

    data = {**runs["last_data"], "saturation": {"base_size": 30, "run_length": 3},
            "agreement": {"codings": []}}
    path = write_config(data, tmp_path / "few.yaml")
    assert main(["run", str(path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    cases = len([d for d in runs["added"].output.joinpath("documents.jsonl").read_text()
                 .splitlines() if '"kind": "case"' in d])
    assert f"saturation not measured: {cases} case(s), fewer than base_size 30 + " \
           "run_length 3 = 33" in printed
    assert "no human codings are configured" in printed
    assert "saturation skipped" in printed and "agreement skipped" in printed
    out = runs["added"].output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="sec-saturation-note"' in html and "fewer than base_size 30" in html
    assert 'id="sec-agreement-note"' in html
    saturation = json.loads((out / "saturation.json").read_text(encoding="utf-8"))
    assert saturation == {"status": "skipped", "cases": cases, "base_size": 30, "run_length": 3,
                          "reason": saturation["reason"]}
    # the document table shows the manifest titles
    assert "旗下期货公司助力生猪“保险+期货”试点稳住养殖户收入" in html
