"""Every metric of curbside.eval.metrics on hand-made answers, with a hand-written judge.

The judge here is a stand-in for the support scorer: a passage set supports a sentence when
every "fact token" (lower-case words of 4+ letters, not stop words listed below) of the
sentence occurs in the joined passages. That is enough to make the cases unambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from curbside.eval import metrics
from curbside.rag.models import Answer, CitedSentence, Passage, Reference, Repair, SourceMeta

_IGNORE = {"with", "that", "this", "from", "should", "have", "been", "first", "line", "used"}


class WordJudge:
    name = "word-judge"

    def __init__(self) -> None:
        self.calls = 0

    def supports(self, sentence: str, passages: Sequence[str]) -> bool:
        self.calls += 1
        tokens = [w for w in re.findall(r"[a-z]{4,}", sentence.lower()) if w not in _IGNORE]
        negated = " not " in f" {sentence.lower()} "

        def holds(text: str) -> bool:
            text = text.lower()
            return all(w in text for w in tokens) and negated == (" not " in f" {text} ")

        return bool(passages) and (any(holds(p) for p in passages) or holds(" ".join(passages)))


def ref(number: int, *texts: str) -> Reference:
    meta = SourceMeta(id=f"src-{number}", title=f"Source {number}", kind="research")
    return Reference(
        number=number,
        meta=meta,
        passages=[
            Passage(chunk_id=f"src-{number}::{i}", source_id=f"src-{number}", section="", text=t)
            for i, t in enumerate(texts)
        ],
    )


def sent(
    text: str, *citations: int, claim: bool = True, support: float | None = None
) -> CitedSentence:
    return CitedSentence(text=text, citations=list(citations), is_claim=claim, support=support)


PREGABALIN = "Pregabalin relieves neuropathic pain in diabetic neuropathy."
DULOXETINE = "Duloxetine reduces chemotherapy neuropathy pain."
REFS = [ref(1, PREGABALIN), ref(2, DULOXETINE), ref(3, "Orthoses help walking after stroke.")]


def answer(*sentences: CitedSentence, refs: list[Reference] | None = None, **kw: object) -> Answer:
    return Answer(
        question="q",
        standalone_question="q",
        sentences=list(sentences),
        references=REFS if refs is None else refs,
        **kw,
    )


judge = WordJudge()


# ---- citation recall / precision -----------------------------------------------------
def test_all_supported_single_citations_score_one() -> None:
    scores = metrics.citation_scores(
        answer(
            sent("Pregabalin relieves neuropathic pain [1].", 1),
            sent("Duloxetine reduces chemotherapy neuropathy pain [2].", 2),
        ),
        judge,
    )
    assert (scores.recall, scores.precision, scores.claims, scores.citations) == (1.0, 1.0, 2, 2)


def test_hallucinated_citation_is_unsupported_and_not_counted_for_precision() -> None:
    # [7] points to no reference (ALCE: joint_entail = 0, citations not counted).
    scores = metrics.citation_scores(
        answer(
            sent("Pregabalin relieves neuropathic pain [1].", 1),
            sent("Pregabalin relieves neuropathic pain [7].", 7),
        ),
        judge,
    )
    assert scores.recall == 0.5
    assert scores.precision == 1.0 and scores.citations == 1
    assert scores.verdicts[1].invalid and not scores.verdicts[1].supported


def test_irrelevant_extra_citation_lowers_precision_not_recall() -> None:
    scores = metrics.citation_scores(
        answer(sent("Pregabalin relieves neuropathic pain [1, 3].", 1, 3)), judge
    )
    assert scores.recall == 1.0
    assert scores.precision == 0.5  # [3] alone fails and [1] supports without it
    assert scores.verdicts[0].irrelevant == [3]


def test_jointly_needed_citations_are_both_precise() -> None:
    both = "Pregabalin and duloxetine relieve neuropathy pain."
    refs = [
        ref(1, "Pregabalin relieves neuropathy pain."),
        ref(2, "Duloxetine and others relieve it."),
    ]
    scores = metrics.citation_scores(answer(sent(both, 1, 2), refs=refs), judge)
    assert scores.recall == 1.0 and scores.precision == 1.0


def test_wrong_drug_sentence_is_unsupported_and_its_citation_imprecise() -> None:
    wrong = "Duloxetine relieves neuropathic pain in diabetic neuropathy [1]."
    scores = metrics.citation_scores(answer(sent(wrong, 1)), judge)
    assert scores.recall == 0.0 and scores.precision == 0.0 and scores.citations == 1


def test_uncited_claim_is_unsupported_and_non_claims_are_ignored() -> None:
    scores = metrics.citation_scores(
        answer(
            sent(
                "Pregabalin relieves neuropathic pain.",
            ),
            sent("Treatment", claim=False),
            sent("Pregabalin relieves neuropathic pain [1].", 1),
        ),
        judge,
    )
    assert scores.claims == 2 and scores.recall == 0.5 and scores.precision == 1.0


def test_answer_without_claims_has_no_scores() -> None:
    scores = metrics.citation_scores(answer(refs=[]), judge)
    assert scores.recall is None and scores.precision is None


# ---- invalid citations, unsupported, coverage ------------------------------------------
def test_invalid_citation_rates_before_and_after() -> None:
    a = answer(sent("Pregabalin relieves neuropathic pain [1].", 1), sent("Duloxetine [9].", 9))
    assert metrics.answer_invalid_citation_rate(a) == 0.5
    assert metrics.invalid_citation_rate([sent("x", 1, 2)], [1, 2]) == 0.0
    assert metrics.invalid_citation_rate([sent("x")], [1]) is None
    drafted = answer(
        draft_sentences=[sent("a b c [1] [4].", 1, 4), sent("d e f [2].", 2)],
        repairs=[Repair(action="removed_invalid_citation", sentence="a b c")],
    )
    assert metrics.draft_invalid_citation_rate(drafted) == pytest.approx(1 / 3)


def test_unsupported_rates_by_judge_and_by_stored_score() -> None:
    draft = [
        sent("Pregabalin relieves neuropathic pain [1].", 1, support=0.9),
        sent("Duloxetine relieves neuropathic pain in diabetic neuropathy [1].", 1, support=0.7),
        sent("Orthoses help walking [3].", 3, support=0.2),
        sent("Heading", claim=False),
    ]
    passages = {r.number: [p.text for p in r.passages] for r in REFS}
    assert metrics.unsupported_rate(draft, passages, judge) == pytest.approx(1 / 3)
    assert metrics.unsupported_rate_by_score(draft, 0.5) == pytest.approx(1 / 3)
    assert metrics.unsupported_rate([sent("x", claim=False)], passages, judge) is None


def test_not_covered_share() -> None:
    assert (
        metrics.not_covered_share([answer(not_covered=True), answer(), answer(), answer()]) == 0.25
    )
    assert metrics.not_covered_share([]) is None


# ---- retrieval --------------------------------------------------------------------------
def test_recall_at_k_and_reciprocal_rank() -> None:
    ranked = ["a", "b", "c", "d", "e", "f"]
    assert metrics.recall_at_k(ranked, ["c"], 1) == 0.0
    assert metrics.recall_at_k(ranked, ["c"], 5) == 1.0
    assert metrics.recall_at_k(ranked, ["a", "z"], 10) == 0.5
    assert metrics.recall_at_k(ranked, [], 5) is None
    assert metrics.reciprocal_rank(ranked, ["c", "e"]) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(ranked, ["z"]) == 0.0


# ---- PubMedQA ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("opening", "label"),
    [
        ("Yes, tailored telephone counseling increased mammography use.", "yes"),
        ("No, the drug did not improve survival.", "no"),
        ("Telephone counseling increased screening rates compared with usual care.", "yes"),
        ("The intervention did not reduce readmissions.", "no"),
        ("Outcomes were similar in the two groups.", "no"),
        ("The evidence on this question is inconclusive.", "maybe"),
        ("Statins may reduce the risk in some patients.", "maybe"),
    ],
)
def test_yes_no_maybe_rule(opening: str, label: str) -> None:
    a = answer(sent("Title", claim=False), sent(f"{opening[:-1]} [1].", 1))
    assert metrics.yes_no_maybe(a) == label


def test_not_covered_answer_is_maybe() -> None:
    assert metrics.yes_no_maybe(answer(not_covered=True)) == "maybe"


# ---- K-QA --------------------------------------------------------------------------------
def test_must_have_statements_covered_and_contradicted() -> None:
    a = answer(
        sent("Escitalopram causes nausea and headache [1].", 1),
        sent("Escitalopram is not approved under twelve years [1].", 1),
    )
    result = metrics.statement_scores(
        a,
        [
            "Escitalopram causes headache",
            "Escitalopram is approved under twelve years",  # contradicted by the answer
            "Escitalopram causes insomnia",  # not mentioned
        ],
        judge,
    )
    assert result.covered == pytest.approx(1 / 3)
    assert result.contradicted == pytest.approx(1 / 3)
    assert metrics.statement_scores(a, [], judge).covered is None


def test_negate() -> None:
    assert metrics.negate("Escitalopram is an SSRI") == "Escitalopram is not an SSRI"
    assert metrics.negate("Aspirin reduces fever") == "It is not true that aspirin reduces fever"


# ---- latency -----------------------------------------------------------------------------
def test_latency_percentiles_per_stage() -> None:
    timings = [{"retrieve": float(i), "total": float(i) * 2} for i in range(1, 101)] + [
        {"total": 1.0}
    ]
    out = metrics.latency_percentiles(timings)
    assert out["retrieve"]["p50"] == pytest.approx(50.5)
    assert out["retrieve"]["p95"] == pytest.approx(95.05)
    assert out["retrieve"]["n"] == 100 and out["total"]["n"] == 101
    assert metrics.percentile([], 50) is None
