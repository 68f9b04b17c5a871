"""Save and load trained coders under ``models/<codebook-id>/<hash>/``.

Each folder holds ``coder.joblib`` (the learned state, without the embedder or
the codebook), ``model_card.json`` and ``MODEL_CARD.md``. Files are written
atomically and the card last, so a folder with a card is complete. Loading
checks that the codebook hash and the embedder id match the card.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from pipeline.classify.base import require_fitted
from pipeline.classify.prior import MIN_PASSAGES
from pipeline.errors import ModelError
from pipeline.io import atomic_path, atomic_write_text, sha256_text

CARD = "model_card.json"
ARTIFACT = "coder.joblib"


def model_card(coder) -> dict[str, Any]:
    """What a reader of the artifact needs to trust or reject it."""
    require_fitted(coder)
    card: dict[str, Any] = {
        "coder": type(coder).__name__,
        "model_id": coder.model_id_,
        "codebook_id": coder.codebook.id,
        "codebook_hash": coder.codebook.hash,
        "embedder_id": coder.embedder.id,
        "level": coder.level,
        "codes": list(coder.code_ids_),
        "thresholds": {
            c: round(float(t), 6) for c, t in zip(coder.code_ids_, coder.thresholds_, strict=True)
        },
        "methods": dict(zip(coder.code_ids_, coder.methods_, strict=True)),
        "accept": _accept_rule(coder).describe(),
    }
    if hasattr(coder, "learned_from_"):
        card |= _learned_card(coder)
    if hasattr(coder, "training_hash_"):
        card |= {
            "training_data_hash": coder.training_hash_,
            "training_passages": coder.n_passages_,
            "labelled_counts": coder.label_counts_,
            "cv_metrics": coder.cv_metrics_,
            "C": coder.C_,
            "embedding_weight": coder.hyper_.embedding_weight,
            "text_weight": coder.hyper_.text_weight,
            "context_weight": coder.hyper_.context_weight,
            "cv_groups": getattr(coder, "cv_groups_", 0),
            "prior_shift": getattr(coder, "prior_shift", "none"),
            "prior_shift_min_passages": getattr(coder, "prior_shift_min_passages", MIN_PASSAGES),
            "training_priors": {
                c: round(p, 6) for c, p in getattr(coder, "train_priors_", {}).items()
            },
            "fallback_codes": list(coder.fallback_codes_),
            "random_state": coder.random_state,
        }
    return card


def _accept_rule(coder):
    full = getattr(coder, "full_", None)
    return full.rule if full is not None else coder.accept_rule_


def _learned_card(coder) -> dict[str, Any]:
    """Which human codings a learning coder learned from, and what it chose."""
    from pipeline.classify.learn import describe

    return {
        "learned_from": coder.learned_from_,
        "learned": dict(describe(coder.full_)),
        "cross_fitting": {
            "documents": len(coder.fold_of_doc_),
            "folds": len(coder.learned_),
            "per_fold": [dict(describe(state)) for state in coder.learned_],
        },
    }


def save_coder(coder, models_dir: str | Path) -> Path:
    """Write ``coder`` to ``models_dir/<codebook-id>/<hash>/`` and return that folder."""
    import joblib

    card = model_card(coder)
    key = sha256_text(json.dumps(card, sort_keys=True))[:16]
    folder = Path(models_dir) / coder.codebook.id / key
    with atomic_path(folder / ARTIFACT) as tmp:
        joblib.dump(_detached(coder), tmp)
    atomic_write_text(folder / "MODEL_CARD.md", card_markdown(card))
    atomic_write_text(folder / CARD, json.dumps(card, indent=2, sort_keys=True) + "\n")
    return folder


def load_coder(path: str | Path, embedder, codebook):
    """Load a saved coder and attach ``embedder`` and ``codebook`` after checking both."""
    import joblib

    folder = Path(path)
    if not (folder / CARD).is_file() or not (folder / ARTIFACT).is_file():
        raise ModelError(
            "no trained coder here", file=folder, hint="train one with groundcode classify."
        )
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    for key, have in (("codebook_hash", codebook.hash), ("embedder_id", embedder.id)):
        if card[key] != have:
            raise ModelError(
                f"{key} of the trained coder is {card[key]!r} but the current one is {have!r}",
                file=folder / CARD,
                hint="retrain the coder with the current codebook and embedder.",
            )
    coder = joblib.load(folder / ARTIFACT)
    return _attached(coder, embedder, codebook)


def _detached(coder):
    clone = copy.copy(coder)
    clone.embedder, clone.codebook = None, None
    if hasattr(clone, "zero_shot_"):
        clone.zero_shot_ = _detached(clone.zero_shot_)
    return clone


def _attached(coder, embedder, codebook):
    coder.embedder, coder.codebook = embedder, codebook
    if hasattr(coder, "zero_shot_"):
        _attached(coder.zero_shot_, embedder, codebook)
    return coder


def _learned_markdown(card: dict[str, Any]) -> list[str]:
    source, chosen = card["learned_from"], card["learned"]
    coders = ", ".join(f"{c} ({n} units)" for c, n in source["units_per_coder"].items())
    cross = card["cross_fitting"]
    return [
        f"- learned from human codings `{source['hash']}` ({', '.join(source['sources'])}): "
        f"{source['units']} units, coders {coders}",
        f"- chosen by cross-validation over documents (kappa {chosen['cv_kappa']}): "
        f"few-shot weight {chosen['fewshot']}, threshold z {chosen['z']}; {chosen['rule']}",
        f"- cross-fitted: the {cross['documents']} coded documents are coded by rules learned "
        f"in {cross['folds']} folds without their own codings",
    ]


def _weight(value) -> str:
    return f"weight {value}" if value else "no"


def card_markdown(card: dict[str, Any]) -> str:
    lines = [
        f"# Model card: {card['coder']} for codebook {card['codebook_id']}",
        "",
        f"- model id: `{card['model_id']}`",
        f"- codebook hash: `{card['codebook_hash']}`",
        f"- embedder: `{card['embedder_id']}`",
        f"- level: {card['level']}",
        f"- accept rule: {card.get('accept', 'threshold')}",
    ]
    if "learned_from" in card:
        lines += _learned_markdown(card)
    if "training_data_hash" in card:
        lines += [
            f"- training data hash: `{card['training_data_hash']}`",
            f"- training passages: {card['training_passages']}, C = {card['C']}, "
            f"text features: {_weight(card.get('text_weight'))}, "
            f"context features: {_weight(card.get('context_weight'))}",
            f"- prior shift: {card.get('prior_shift', 'none')}"
            + (" (thresholds chosen on the per-document rescaled out-of-fold scores; "
               f"documents under {card.get('prior_shift_min_passages', MIN_PASSAGES)} passages "
               "keep the training share)"
               if card.get("prior_shift", "none") != "none" else ""),
            f"- zero-shot fallback codes: {', '.join(card['fallback_codes']) or 'none'}",
            "",
            "| code | positives | method | CV precision | CV recall | CV F1 | threshold |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for code in card["codes"]:
            m = card["cv_metrics"].get(code, {})
            cells = [f"{m[k]:.3f}" if k in m else "-" for k in ("precision", "recall", "f1")]
            lines.append(
                f"| {code} | {card['labelled_counts'][code]} | {card['methods'][code]} | "
                f"{' | '.join(cells)} | {card['thresholds'][code]:.3f} |"
            )
    return "\n".join(lines) + "\n"
