"""Answer quality against gold key points: does the answer *answer*?

Pure functions over an `Answer` and the gold of one turn (`evalsets/answers.jsonl`, written
before the answer writer was tuned). The judge is string matching against gold written by a
person from the corpus, so it is independent of the code that chose the sentences:

- a delivered claim **matches** a gold point when it cites the point's source and says the
  same thing: the point's words are (almost) all in the sentence, or the sentence's words
  are (almost) all in the point (a shortened quote);
- **key-point recall**: share of must-have points matched by some delivered claim;
- **answer precision**: share of delivered claims that match a must-have or nice-to-have;
- **opener is a key point**: the first delivered claim matches a must-have;
- **off-topic rate**: share of delivered claims naming none of the gold focus terms;
- **facet coverage**: per listed entity, whether the answer has a cited claim naming it,
  compared with whether the corpus covers it;
- **follow-up retention**: the standalone question of a follow-up turn (not a first turn)
  keeps every gold topic group.

PubMedQA extras: the opener is taken from the gold abstract; ROUGE-L F1 of the delivered
claims against the gold long answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from curbside.rag.models import Answer, CitedSentence
from curbside.rag.text import content_words, normalize, strip_citations, words

MATCH_SHARE = 0.8  # share of content words that must be shared for a match


@dataclass
class GoldPoint:
    source: str
    text: str


@dataclass
class GoldFacet:
    name: str
    aliases: list[str]
    covered: bool


@dataclass
class GoldTurn:
    question: str
    type: str = ""
    topic_terms: list[list[str]] = field(default_factory=list)
    focus_terms: list[list[str]] = field(default_factory=list)
    covered: bool = True
    key_points: list[GoldPoint] = field(default_factory=list)
    nice_to_have: list[GoldPoint] = field(default_factory=list)
    facets: list[GoldFacet] = field(default_factory=list)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> GoldTurn:
        def points(key: str) -> list[GoldPoint]:
            return [GoldPoint(str(p["source"]), str(p["text"])) for p in record.get(key) or []]

        return cls(
            question=str(record["question"]),
            type=str(record.get("type") or ""),
            topic_terms=[[str(t) for t in g] for g in record.get("topic_terms") or []],
            focus_terms=[[str(t) for t in g] for g in record.get("focus_terms") or []],
            covered=bool(record.get("covered", True)),
            key_points=points("key_points"),
            nice_to_have=points("nice_to_have"),
            facets=[
                GoldFacet(
                    str(f["name"]),
                    [str(a) for a in f.get("aliases") or [f["name"]]],
                    bool(f.get("covered", True)),
                )
                for f in record.get("facets") or []
            ],
        )


def _claims(answer: Answer) -> list[CitedSentence]:
    return [s for s in answer.sentences if s.is_claim and s.citations]


def _cited_ids(answer: Answer, sentence: CitedSentence) -> set[str]:
    by_number = {r.number: r.meta.id for r in answer.references}
    return {by_number[n] for n in sentence.citations if n in by_number}


def _plain(text: str) -> str:
    # Undo the Markdown escaping the engine applies to delivered text.
    return re.sub(r"\\(.)", r"\1", strip_citations(text))


def same_statement(sentence: str, point: str) -> bool:
    """Do the sentence and the gold point say the same thing (quote or near-quote)?"""
    a, b = normalize(_plain(sentence)).lower(), normalize(point).lower()
    if b in a or (len(a) > 40 and a.rstrip(".") in b):
        return True
    sw, pw = set(content_words(a)), set(content_words(b))
    if not sw or not pw:
        return False
    shared = len(sw & pw)
    return shared / len(pw) >= MATCH_SHARE or shared / len(sw) >= MATCH_SHARE


def matches(answer: Answer, sentence: CitedSentence, point: GoldPoint) -> bool:
    return point.source in _cited_ids(answer, sentence) and same_statement(
        sentence.text, point.text
    )


def key_point_recall(answer: Answer, gold: GoldTurn) -> float | None:
    if not gold.key_points:
        return None
    claims = _claims(answer)
    hit = sum(1 for p in gold.key_points if any(matches(answer, s, p) for s in claims))
    return hit / len(gold.key_points)


def answer_precision(answer: Answer, gold: GoldTurn) -> float | None:
    claims = _claims(answer)
    if not claims or not (gold.key_points or gold.nice_to_have):
        return None
    points = [*gold.key_points, *gold.nice_to_have]
    good = sum(1 for s in claims if any(matches(answer, s, p) for p in points))
    return good / len(claims)


def opener_is_key_point(answer: Answer, gold: GoldTurn) -> float | None:
    claims = _claims(answer)
    if not gold.key_points or not claims:
        return None if not gold.key_points else 0.0
    return 1.0 if any(matches(answer, claims[0], p) for p in gold.key_points) else 0.0


def _names_any(text: str, terms: Sequence[str]) -> bool:
    folded = normalize(_plain(text)).lower().replace("\u2019", "'")
    for term in terms:
        t = normalize(term).lower()
        # Short abbreviations as whole words; longer terms also as word starts ("neuropath").
        pattern = rf"(?<![a-z0-9]){re.escape(t)}" + (r"(?![a-z0-9])" if len(t) <= 4 else "")
        if re.search(pattern, folded):
            return True
    return False


def off_topic_rate(answer: Answer, gold: GoldTurn) -> float | None:
    claims = _claims(answer)
    if not claims or not gold.focus_terms:
        return None
    terms = [t for group in gold.focus_terms for t in group]
    off = sum(1 for s in claims if not _names_any(s.text, terms))
    return off / len(claims)


def facet_coverage_accuracy(answer: Answer, gold: GoldTurn) -> float | None:
    """Share of listed entities whose coverage the answer states correctly: covered facets
    have a cited claim naming them, uncovered ones have none."""
    if not gold.facets:
        return None
    claims = _claims(answer)
    correct = 0
    for facet in gold.facets:
        found = any(_names_any(s.text, facet.aliases) for s in claims)
        correct += 1 if found == facet.covered else 0
    return correct / len(gold.facets)


def topic_retained(standalone: str, gold: GoldTurn) -> float | None:
    if not gold.topic_terms:
        return None
    kept = all(_names_any(standalone, group) for group in gold.topic_terms)
    return 1.0 if kept else 0.0


def uncovered_correct(answer: Answer, gold: GoldTurn) -> float | None:
    """For a turn the corpus does not cover: did the answer say so instead of guessing?"""
    if gold.covered:
        return None
    return 1.0 if answer.not_covered or not _claims(answer) else 0.0


def quality_scores(
    answer: Answer, gold: GoldTurn, follow_up: bool = True
) -> dict[str, float | None]:
    """Every answer-quality figure of one turn. Topic retention is asked of follow-ups only:
    a first turn's standalone question is the question as typed, and a miss there says only
    that the gold's topic words leave out the asker's own ("PAN" for polyarteritis nodosa)."""
    return {
        "key_point_recall": key_point_recall(answer, gold),
        "answer_precision": answer_precision(answer, gold),
        "opener_is_key_point": opener_is_key_point(answer, gold),
        "off_topic_rate": off_topic_rate(answer, gold),
        "facet_coverage_accuracy": facet_coverage_accuracy(answer, gold),
        "topic_retained": topic_retained(answer.standalone_question, gold) if follow_up else None,
        "uncovered_correct": uncovered_correct(answer, gold),
    }


# ---- PubMedQA ----------------------------------------------------------------------------
def opener_from_gold_source(answer: Answer, gold_source_ids: Sequence[str]) -> float | None:
    claims = _claims(answer)
    if not gold_source_ids:
        return None
    if not claims:
        return 0.0
    return 1.0 if _cited_ids(answer, claims[0]) & set(gold_source_ids) else 0.0


def rouge_l_f1(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over lower-cased word tokens (longest common subsequence)."""
    a, b = words(candidate), words(reference)
    if not a or not b:
        return 0.0
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[-1]))
        previous = current
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def answer_rouge_l(answer: Answer, long_answer: str | None) -> float | None:
    if not long_answer:
        return None
    return rouge_l_f1(" ".join(_plain(s.text) for s in _claims(answer)), long_answer)
