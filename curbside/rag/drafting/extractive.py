"""The extractive draft writer: no LLM, deterministic, offline.

It picks evidence sentences that answer the question (relevance to the question, a
preference for guidelines and systematic reviews over case reports, no near-duplicates) and
lays them out as the design page asks: a direct opening line, short titled sections of
cited points, and an "Important caveats" section when the evidence holds caveats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from curbside.rag.expansion import expansion_terms
from curbside.rag.models import Evidence
from curbside.rag.text import content_words, split_sentences

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder

# Evidence quality: guidelines and syntheses first, single reports last.
_QUALITY = {
    "guideline": 1.0,
    "consensus statement": 0.97,
    "classification criteria": 0.95,
    "systematic review": 0.97,
    "meta-analysis": 0.97,
    "rct": 0.94,
    "clinical trial": 0.92,
    "cohort": 0.9,
    "review": 0.9,
    "case-control": 0.88,
    "cross-sectional": 0.87,
    "case series": 0.85,
    "case report": 0.8,
}
_SECTIONS = [
    (
        "Important caveats",
        re.compile(
            r"\b(limitation|caveat|uncertain|rare|rarely|uncommon|not (a )?common|insufficient|"
            r"low[- ]quality|should be excluded|other causes|exclude|however|not recommended|"
            r"avoid|caution|risk of)\b",
            re.I,
        ),
    ),
    (
        "Diagnosis and evaluation",
        re.compile(
            r"\b(diagnos\w*|evaluat\w*|assess\w*|tests?|testing|exam\w*|criteria|electro\w*|"
            r"nerve conduction|emg|imaging|mri|biopsy|work-?up|investigat\w*|screen\w*|"
            r"locali[sz]\w*)\b",
            re.I,
        ),
    ),
    (
        "Management",
        re.compile(
            r"\b(treat\w*|manag\w*|therap\w*|recommend\w*|intervention|surg\w*|orthos\w*|orthotic|"
            r"rehabilitat\w*|drug|dose|dosing|first-line|second-line|glucocorticoid\w*|"
            r"immunosuppress\w*|stimulation|physiotherap\w*|decompression)\b",
            re.I,
        ),
    ),
    (
        "Causes and mechanisms",
        re.compile(
            r"\b(caus\w*|mechanism\w*|pathophysiolog\w*|etiolog\w*|aetiolog\w*|lesion|compression|"
            r"vasculitis|neuropath\w*|associated|occur\w*|prevalence|incidence|frequen\w*)\b",
            re.I,
        ),
    ),
]
_ABOUT_THE_SOURCE = re.compile(
    r"^(scope|methods?|design|background|about|overview|scope and methods)$|"
    r"\b(wrote|published|this review|the review (examines|updates|discusses)|reviewed the "
    r"literature|summari[sz]es best|aimed to|task force (was|included))\b",
    re.IGNORECASE,
)
_SECTION_ORDER = [
    "Causes and mechanisms",
    "Diagnosis and evaluation",
    "Management",
    "Key findings",
    "Important caveats",
]


@dataclass
class Candidate:
    text: str
    number: int
    section: str
    quality: float
    relevance: float = 0.0


def quality_of(evidence_type: str, kind: str) -> float:
    value = _QUALITY.get(evidence_type.lower().strip())
    if value is None:
        value = 1.0 if kind == "guideline" else 0.88
    return value


def section_for(candidate: Candidate) -> str:
    probe = f"{candidate.section} {candidate.text}"
    heading_hit = [name for name, pattern in _SECTIONS[1:] if pattern.search(candidate.section)]
    if _SECTIONS[0][1].search(candidate.text) or re.search(
        r"limitation|caveat", candidate.section, re.I
    ):
        return "Important caveats"
    if heading_hit:
        return heading_hit[0]
    for name, pattern in _SECTIONS[1:]:
        if pattern.search(probe):
            return name
    return "Key findings"


def title_for(question: str) -> str:
    """The answer's title: the question's topic when that reads as a short noun phrase
    ("Foot drop in connective tissue diseases"), else the question itself."""
    from curbside.rag.condense import topic_of

    topic = topic_of(question).strip()
    if 2 <= len(topic.split()) <= 8 and not re.search(r"[:;,]|\b(it|they|this)\b", topic):
        return (topic[:1].upper() + topic[1:])[:90]
    return question.strip()[:160]


class ExtractiveDrafter:
    name = "extractive"

    def __init__(self, embedder: Embedder, max_sentences: int = 12) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences

    def candidates(self, evidence: Evidence) -> list[Candidate]:
        found: list[Candidate] = []
        seen: set[str] = set()
        for source in evidence.sources:
            quality = quality_of(source.meta.evidence_type, source.meta.kind)
            for passage in source.passages:
                for sentence in split_sentences(passage.text):
                    key = sentence.lower()
                    # Fragments and headings-as-sentences make poor answer points.
                    if key in seen or len(content_words(sentence)) < 4 or sentence[-1:] not in ".!":
                        continue
                    seen.add(key)
                    weight = quality
                    # Sentences about the paper itself ("X wrote a review of ...") answer nothing.
                    if _ABOUT_THE_SOURCE.search(passage.section) or _ABOUT_THE_SOURCE.search(
                        sentence
                    ):
                        weight *= 0.6
                    found.append(Candidate(sentence, source.number, passage.section, weight))
        return found

    def select(self, question: str, evidence: Evidence) -> list[Candidate]:

        candidates = self.candidates(evidence)
        if not candidates:
            return []
        vectors = self.embedder.encode_cached([question] + [c.text for c in candidates])
        query, sentence_vectors = vectors[0], vectors[1:]
        question_words = set(content_words(question))
        related_words = set(content_words(" ".join(expansion_terms(question)))) - question_words
        for candidate, vector in zip(candidates, sentence_vectors, strict=True):
            words = set(content_words(candidate.text))
            overlap = len(words & question_words) / len(question_words) if question_words else 0.0
            related = 0.15 if words & related_words else 0.0  # names a narrower/synonym term
            candidate.relevance = (
                0.7 * float(vector @ query) + 0.25 * overlap + related
            ) * candidate.quality
        # Maximal marginal relevance: relevant, but not a near-copy of a chosen sentence.
        order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].relevance, i))
        chosen: list[int] = []
        per_source: dict[int, int] = {}
        cap = max(2, self.max_sentences // 3)  # no single source may fill the answer
        for i in order:
            if candidates[i].relevance < 0.2:
                break
            if per_source.get(candidates[i].number, 0) >= cap:
                continue
            if any(float(sentence_vectors[i] @ sentence_vectors[j]) > 0.9 for j in chosen):
                continue
            chosen.append(i)
            per_source[candidates[i].number] = per_source.get(candidates[i].number, 0) + 1
            if len(chosen) == self.max_sentences:
                break
        return [candidates[i] for i in chosen] if chosen else []

    def draft(self, question: str, evidence: Evidence) -> str:
        chosen = self.select(question, evidence)
        if not chosen:
            return "The sources do not answer this question."
        opening, rest = chosen[0], chosen[1:]
        grouped: dict[str, list[Candidate]] = {}
        for candidate in rest:
            grouped.setdefault(section_for(candidate), []).append(candidate)
        # No title here: the engine adds it after enforcement (it restates the question and
        # is not a claim to cite).
        lines = [cite(opening), ""]
        for name in _SECTION_ORDER:
            if grouped.get(name):
                lines.append(f"## {name}")
                lines.extend(f"- {cite(c)}" for c in grouped[name])
                lines.append("")
        return "\n".join(lines).strip()


def cite(candidate: Candidate) -> str:
    from curbside.rag.citations import place_citations

    return place_citations(candidate.text, [candidate.number])
