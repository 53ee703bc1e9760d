"""Evaluation metrics as pure functions over `Answer` objects.

Citation recall and precision follow ALCE's ``compute_autoais`` (Gao et al. 2023,
princeton-nlp/ALCE, eval.py) with one substitution: ALCE asks a TRUE NLI model whether a
passage entails a sentence; we ask a *judge* (a support scorer with a threshold, see
`curbside.eval.judge`). Every report names that judge.

- A sentence is *supported* when the concatenation of the passages it cites supports it.
  A sentence that cites nothing, or cites a number with no reference, is not supported
  (ALCE: ``joint_entail = 0``); citations of such a sentence do not enter precision.
- A citation is *irrelevant* when its passages alone do not support the sentence and the
  sentence's other citations support it without it; for a supported sentence, every other
  citation counts as precise. An unsupported sentence's citations all count as imprecise.
- Recall = supported claims / claims; precision = precise citations / citations, both per
  answer (ALCE averages per answer over the data set). Only claim sentences are scored
  (headings, questions and hedges are not claims; see `curbside.rag.citations.is_claim`).

The functions here take a judge as an argument, so tests pass a hand-written one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from curbside.rag.models import Answer, CitedSentence
from curbside.rag.text import strip_citations

PUBMEDQA_LABELS = ("yes", "no", "maybe")


class Judge(Protocol):
    name: str

    def supports(self, sentence: str, passages: Sequence[str]) -> bool:
        """True when the passages state what the sentence says."""


# ---- citation recall / precision (ALCE) ---------------------------------------------------
@dataclass
class SentenceVerdict:
    text: str
    citations: list[int]
    supported: bool
    invalid: bool = False
    irrelevant: list[int] = field(default_factory=list)


@dataclass
class CitationScores:
    recall: float | None  # None when the answer makes no claim
    precision: float | None
    claims: int
    citations: int
    verdicts: list[SentenceVerdict]


def reference_passages(answer: Answer) -> dict[int, list[str]]:
    """Reference number -> the texts of its cited passages."""
    return {ref.number: [p.text for p in ref.passages] for ref in answer.references}


def claim_sentences(sentences: Iterable[CitedSentence]) -> list[CitedSentence]:
    return [s for s in sentences if s.is_claim]


def _joined(passages: Mapping[int, Sequence[str]], numbers: Iterable[int]) -> list[str]:
    return [text for n in numbers for text in passages[n]]


def score_sentence(
    sentence: CitedSentence, passages: Mapping[int, Sequence[str]], judge: Judge
) -> tuple[SentenceVerdict, int, int]:
    """(verdict, citations counted for precision, precise citations) of one claim."""
    claim = strip_citations(sentence.text)
    cited = list(dict.fromkeys(sentence.citations))
    if not cited:
        return SentenceVerdict(claim, cited, False), 0, 0
    if any(n not in passages for n in cited):
        return SentenceVerdict(claim, cited, False, invalid=True), 0, 0
    supported = judge.supports(claim, _joined(passages, cited))
    verdict = SentenceVerdict(claim, cited, supported)
    if not supported:
        return verdict, len(cited), 0
    if len(cited) == 1:
        return verdict, 1, 1
    precise = 0
    for n in cited:
        if judge.supports(claim, _joined(passages, [n])):
            precise += 1
            continue
        others = [m for m in cited if m != n]
        if judge.supports(claim, _joined(passages, others)):
            verdict.irrelevant.append(n)
        else:
            precise += 1
    return verdict, len(cited), precise


def citation_scores(answer: Answer, judge: Judge) -> CitationScores:
    """ALCE citation recall and precision of the delivered answer."""
    passages = reference_passages(answer)
    claims = claim_sentences(answer.sentences)
    verdicts: list[SentenceVerdict] = []
    total_citations = precise = 0
    for sentence in claims:
        verdict, counted, good = score_sentence(sentence, passages, judge)
        verdicts.append(verdict)
        total_citations += counted
        precise += good
    if not claims:
        return CitationScores(None, None, 0, 0, verdicts)
    recall = sum(v.supported for v in verdicts) / len(claims)
    precision = precise / total_citations if total_citations else 0.0
    return CitationScores(recall, precision, len(claims), total_citations, verdicts)


# ---- invalid citations, unsupported sentences, coverage -------------------------------------
def invalid_citation_rate(
    sentences: Sequence[CitedSentence], valid_numbers: Iterable[int]
) -> float | None:
    """Share of citation markers that point to no source (None when nothing is cited)."""
    valid = set(valid_numbers)
    cited = [n for s in sentences for n in s.citations]
    if not cited:
        return None
    return sum(1 for n in cited if n not in valid) / len(cited)


def answer_invalid_citation_rate(answer: Answer) -> float | None:
    """After enforcement: citations of the delivered answer that match no reference."""
    return invalid_citation_rate(answer.sentences, [r.number for r in answer.references])


def draft_invalid_citation_rate(answer: Answer) -> float | None:
    """Before enforcement: the draft's citations that enforcement removed as invalid.

    Draft numbers refer to the retrieved evidence, which the Answer does not carry; the
    enforcement step records each invalid number as a ``removed_invalid_citation`` repair.
    """
    cited = sum(len(s.citations) for s in answer.draft_sentences)
    if not cited:
        return None
    invalid = sum(1 for r in answer.repairs if r.action == "removed_invalid_citation")
    return min(1.0, invalid / cited)


def unsupported_rate(
    sentences: Sequence[CitedSentence], passages: Mapping[int, Sequence[str]], judge: Judge
) -> float | None:
    """Share of claims whose cited passages (joined) do not support them, by the judge.

    A claim citing nothing, or a number missing from ``passages``, is unsupported.
    None when there is no claim.
    """
    claims = claim_sentences(sentences)
    if not claims:
        return None
    bad = sum(1 for s in claims if not score_sentence(s, passages, judge)[0].supported)
    return bad / len(claims)


def unsupported_rate_by_score(sentences: Sequence[CitedSentence], threshold: float) -> float | None:
    """Share of claims whose stored support score (the enforcement scorer's) is below
    the threshold; a claim without a score counts as unsupported."""
    claims = claim_sentences(sentences)
    if not claims:
        return None
    return sum(1 for s in claims if s.support is None or s.support < threshold) / len(claims)


def not_covered_share(answers: Sequence[Answer]) -> float | None:
    if not answers:
        return None
    return sum(1 for a in answers if a.not_covered) / len(answers)


# ---- retrieval ------------------------------------------------------------------------------
def recall_at_k(ranked_ids: Sequence[str], gold_ids: Iterable[str], k: int) -> float | None:
    """Share of the gold sources found among the first k ranked sources (None without gold)."""
    gold = set(gold_ids)
    if not gold:
        return None
    return len(gold & set(ranked_ids[:k])) / len(gold)


def reciprocal_rank(ranked_ids: Sequence[str], gold_ids: Iterable[str]) -> float | None:
    """1 / rank of the first gold source; 0 when none is ranked (None without gold)."""
    gold = set(gold_ids)
    if not gold:
        return None
    for rank, sid in enumerate(ranked_ids, start=1):
        if sid in gold:
            return 1.0 / rank
    return 0.0


# ---- PubMedQA yes / no / maybe ----------------------------------------------------------------
_MAYBE = re.compile(
    r"\b(may|might|unclear|uncertain|inconclusive|insufficient|conflicting|mixed|"
    r"not (yet )?(clear|known|established)|remains? to be|possibly|further (studies|research))\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"\b(no|not|none|neither|nor|never|without|cannot|did not|does not|do not|was not|were not|"
    r"failed|fails|lack(s|ed)?|absence|unrelated|ineffective|similar|comparable)\b|n't\b",
    re.IGNORECASE,
)


def opening_line(answer: Answer) -> str:
    """The answer's first claim sentence (its direct one-line answer), without citations."""
    for sentence in answer.sentences:
        if sentence.is_claim:
            return strip_citations(sentence.text)
    return ""


def yes_no_maybe(answer: Answer) -> str:
    """Map an answer to PubMedQA's label by this rule, in order:

    1. not covered, or no claim -> "maybe";
    2. the opening line starts with "Yes" or "No" -> that word;
    3. it contains a hedge (may, unclear, inconclusive, insufficient, ...) -> "maybe";
    4. it contains a negation or a no-difference cue (not, no, failed, similar,
       comparable, ...) -> "no";
    5. otherwise -> "yes".
    """
    line = "" if answer.not_covered else opening_line(answer)
    if not line:
        return "maybe"
    first = re.match(r"\W*(\w+)", line)
    if first and first.group(1).lower() in ("yes", "no"):
        return first.group(1).lower()
    if _MAYBE.search(line):
        return "maybe"
    if _NO.search(line):
        return "no"
    return "yes"


# ---- K-QA must-have statements ------------------------------------------------------------------
_AUX = re.compile(
    r"\b(is|are|was|were|can|could|should|does|do|did|may|might|will|has|have)\b", re.IGNORECASE
)


def negate(statement: str) -> str:
    """A plain negation of a statement: 'not' after its first auxiliary, else a prefix."""
    match = _AUX.search(statement)
    if match:
        return f"{statement[: match.end()]} not{statement[match.end() :]}"
    return f"It is not true that {statement[:1].lower()}{statement[1:]}"


@dataclass
class StatementScores:
    covered: float | None  # share of statements the answer supports
    contradicted: float | None  # share whose negation the answer supports
    details: list[tuple[str, bool, bool]]


def statement_scores(answer: Answer, statements: Sequence[str], judge: Judge) -> StatementScores:
    """K-QA comprehensiveness and contradiction, judged against the answer text.

    Covered: the judge finds the statement supported by the answer's claims. Contradicted:
    not covered, and the judge finds the statement's negation (`negate`) supported; this is a
    proxy for an NLI contradiction label, as sound as the judge's negation handling.
    """
    if not statements:
        return StatementScores(None, None, [])
    body = [strip_citations(s.text) for s in claim_sentences(answer.sentences)]
    details = []
    for statement in statements:
        covered = bool(body) and judge.supports(statement, body)
        contradicted = bool(body) and not covered and judge.supports(negate(statement), body)
        details.append((statement, covered, contradicted))
    n = len(statements)
    return StatementScores(sum(d[1] for d in details) / n, sum(d[2] for d in details) / n, details)


# ---- latency ---------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in [0, 100]) of the values; None when empty."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return data[low] + (data[high] - data[low]) * (pos - low)


def latency_percentiles(
    timings: Sequence[Mapping[str, float]],
) -> dict[str, dict[str, float | None]]:
    """Per stage: p50, p95 and count of seconds, over the answers that ran the stage."""
    stages = sorted({stage for t in timings for stage in t})
    out: dict[str, dict[str, float | None]] = {}
    for stage in stages:
        values = [t[stage] for t in timings if stage in t]
        out[stage] = {
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "n": len(values),
        }
    return out
