"""Which evidence sentence answers the question: a small learned ranker.

A logistic regression over a handful of readable features of (question, sentence): how
similar they are, which of the question's parts the sentence names, whether it is the kind
of statement the question type wants, evidence quality, where its source ranked. The
weights (`ranker_weights.json`, a few hundred bytes) are fitted by
`scripts/train_sentence_ranker.py` on the *dev* half of `evalsets/answers.jsonl` (key
points = 1, nice-to-have points = 0.5, other candidates = 0); the test half is never seen.
Without the file, the hand-set score of the extractive writer is used.
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from curbside.rag.text import content_words

if TYPE_CHECKING:
    from curbside.rag.drafting.extractive import Candidate

WEIGHTS_FILE = Path(__file__).with_name("ranker_weights.json")

FEATURES = (
    "relevance",
    "word_overlap",
    "names_focus",
    "names_focus_directly",
    "names_population",
    "names_facets",
    "names_finding",
    "wanted_section",
    "caveat_section",
    "quality",
    "guideline",
    "about_source",
    "states_finding",
    "off_population",
    "on_topic",
    "source_rank",
    "has_number",
    "length",
    "dose_for_dose_question",
    "relevance_gap",
    "relevance_top",
    "source_relevance",
    "title_names_question",
    "first_in_passage",
    "aspect_overlap",
    "rare_word_overlap",
)
_NUMBER = re.compile(r"\d")
_DOSE = re.compile(r"\b\d+(\.\d+)?\s?(mg|g|mcg|µg|ml|units?)\b|\bg/kg\b|\bmg/", re.IGNORECASE)


def features(
    candidate: Candidate, question_words: set[str], wanted: set[str], question_type: str = ""
) -> list[float]:
    words = set(content_words(candidate.text))
    overlap = len(words & question_words) / len(question_words) if question_words else 0.0
    return [
        candidate.relevance,
        overlap,
        float(candidate.names_focus),
        float(candidate.names_focus_directly),
        float(candidate.names_population),
        min(len(candidate.facets), 2) / 2,
        float(candidate.names_finding),
        float(candidate.section in wanted),
        float(candidate.section == "Important caveats"),
        candidate.quality,
        float(candidate.guideline),
        float(candidate.about_source),
        float(candidate.states_finding),
        float(candidate.off_population),
        float(candidate.on_topic),
        1.0 / max(1, candidate.number),
        float(bool(_NUMBER.search(candidate.text))),
        min(len(candidate.text.split()) / 40, 1.0),
        float(question_type == "dose" and bool(_DOSE.search(candidate.text))),
        candidate.relevance_gap,
        1.0 / (1 + candidate.relevance_rank),
        candidate.source_relevance,
        candidate.title_names_question,
        float(candidate.first_in_passage),
        candidate.aspect_overlap,
        candidate.rare_word_overlap,
    ]


class LearnedRanker:
    def __init__(self, weights: list[float], bias: float) -> None:
        if len(weights) != len(FEATURES):
            raise ValueError(f"expected {len(FEATURES)} weights, got {len(weights)}")
        self.weights = weights
        self.bias = bias

    def probability(self, values: list[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@functools.lru_cache(maxsize=2)
def load_ranker(path: Path = WEIGHTS_FILE) -> LearnedRanker | None:
    """The fitted ranker, or None when no weights file is there (or it does not fit)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("features") != list(FEATURES):
            return None  # weights for another feature set: refit rather than misuse
        return LearnedRanker([float(w) for w in data["weights"]], float(data["bias"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
