"""The report's "how the machine decides" section: units, ranking and the accept rule."""

from __future__ import annotations

import html
import json
from pathlib import Path

UNIT_WORDS = {
    "clause": "a clause (split at ，；： and , ; : outside brackets and quotes; short pieces "
              "join a neighbour)",
    "sentence": "one sentence",
    "passage": "a window of up to {n} sentences",
}


def render_decisions(config, coder_path: Path | None) -> str:
    """An escaped HTML fragment naming the coding unit, the ranking key and the accept rule
    (read from the coder's model card, so a learned rule shows what was learned)."""
    card = {}
    if coder_path is not None and (Path(coder_path) / "model_card.json").is_file():
        card = json.loads((Path(coder_path) / "model_card.json").read_text(encoding="utf-8"))
    unit = UNIT_WORDS[config.segment.unit].format(n=config.segment.max_sentences)
    rule = card.get("accept", config.classify.accept)
    items = [
        f"<li><strong>Unit</strong>: each coding unit is {html.escape(unit)}; it is embedded "
        f"together with its context (the rest of its sentence and "
        f"{config.segment.context_sentences} neighbouring sentence(s)) at weight "
        f"{config.embed.context_weight:g}.</li>",
        "<li><strong>Rank</strong>: a unit's codes are ranked by <em>margin</em>, the code's "
        "score minus the code's own threshold, so codes whose scores run on different "
        "scales rank fairly. Rank 1 is the largest margin, which is not always the largest "
        "score: sorting the suggestions by score gives another order.</li>",
        f"<li><strong>Applied codes</strong> (<code>accepted</code>): {html.escape(rule)}. "
        "Every ranked code stays in the suggestions with its score; a unit with no applied "
        "code is coded NONE.</li>",
    ]
    if "learned" in card:
        chosen, source = card["learned"], card["learned_from"]
        items.append(
            f"<li><strong>Learned</strong> from {source['units']} human-coded units "
            f"({html.escape(', '.join(source['sources']))}; codings hash "
            f"<code>{html.escape(source['hash'])}</code>), cross-fitted by document: a coded "
            "document is coded by what was learned from the other documents only. Chosen by "
            f"cross-validation (kappa {chosen['cv_kappa']}): few-shot weight "
            f"{chosen['fewshot']}, threshold z {chosen['z']}.</li>")
    return "<ul>" + "".join(items) + "</ul>"
