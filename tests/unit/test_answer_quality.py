"""Answer-quality metrics on hand-made answers (pure): each metric moves with its input."""

from __future__ import annotations

from curbside.eval.answer_quality import (
    GoldFacet,
    GoldPoint,
    GoldTurn,
    answer_precision,
    facet_coverage_accuracy,
    key_point_recall,
    off_topic_rate,
    opener_is_key_point,
    quality_scores,
    rouge_l_f1,
    same_statement,
    topic_retained,
)
from curbside.rag.models import Answer, CitedSentence, Reference, SourceMeta

SLE = "Peripheral neuropathy in SLE shows a predilection for the lower limbs."
SSC = "Both symmetrical polyneuropathy and focal neuropathies occur in systemic sclerosis."
STROKE = "Ankle-foot orthoses improve walking after stroke."


def _answer(*sentences: tuple[str, str]) -> Answer:
    """Sentences as (text, source id); references numbered by first use."""
    numbers: dict[str, int] = {}
    cited = []
    for text, source in sentences:
        number = numbers.setdefault(source, len(numbers) + 1)
        cited.append(CitedSentence(text=text.rstrip(".") + f" [{number}].", citations=[number]))
    refs = [
        Reference(number=n, meta=SourceMeta(id=s, title=s, kind="research"))
        for s, n in numbers.items()
    ]
    return Answer(question="q", standalone_question="q", sentences=cited, references=refs)


GOLD = GoldTurn(
    question="Can foot drop occur in SLE or systemic sclerosis?",
    topic_terms=[["foot drop"], ["SLE", "lupus"]],
    focus_terms=[["neuropath", "foot drop"], ["SLE", "systemic sclerosis"]],
    key_points=[GoldPoint("florica", SLE), GoldPoint("raja", SSC)],
    nice_to_have=[GoldPoint("stewart", "An orthosis helps foot drop of any cause.")],
    facets=[
        GoldFacet("SLE", ["SLE", "lupus"], True),
        GoldFacet("MCTD", ["MCTD", "mixed connective"], False),
    ],
)


def test_full_marks_for_an_answer_made_of_the_key_points() -> None:
    answer = _answer((SLE, "florica"), (SSC, "raja"))
    assert key_point_recall(answer, GOLD) == 1.0
    assert answer_precision(answer, GOLD) == 1.0
    assert opener_is_key_point(answer, GOLD) == 1.0
    assert off_topic_rate(answer, GOLD) == 0.0
    assert facet_coverage_accuracy(answer, GOLD) == 1.0


def test_wrong_source_or_other_words_do_not_match() -> None:
    assert key_point_recall(_answer((SLE, "someone-else")), GOLD) == 0.0
    assert key_point_recall(_answer((STROKE, "florica")), GOLD) == 0.0


def test_each_metric_moves_with_its_input() -> None:
    answer = _answer((STROKE, "tyson"), (SLE, "florica"))
    assert key_point_recall(answer, GOLD) == 0.5
    assert answer_precision(answer, GOLD) == 0.5
    assert opener_is_key_point(answer, GOLD) == 0.0
    assert off_topic_rate(answer, GOLD) == 0.5  # the stroke sentence names no focus term
    # claims MCTD without evidence -> that facet is wrong
    wrong = _answer((SLE, "florica"), ("MCTD causes neuropathy in SLE.", "x"))
    assert facet_coverage_accuracy(wrong, GOLD) == 0.5


def test_escaped_markdown_and_citations_do_not_hide_a_match() -> None:
    assert same_statement(
        "Neuropathy \\(SLE\\) in the lower limbs [2].", "Neuropathy (SLE) in the lower limbs."
    )


def test_topic_retention_needs_every_group() -> None:
    assert topic_retained("How is foot drop in lupus treated?", GOLD) == 1.0
    assert topic_retained("How is it treated?", GOLD) == 0.0


def test_topic_retention_is_asked_of_follow_ups_only() -> None:
    # A first turn is the question as typed: "Does PAN ...?" against topic words that spell
    # out polyarteritis nodosa would score the gold's wording, not the rewriter.
    typed = Answer(question="q", standalone_question="How is it treated?")
    assert quality_scores(typed, GOLD, follow_up=False)["topic_retained"] is None
    assert quality_scores(typed, GOLD, follow_up=True)["topic_retained"] == 0.0


def test_uncovered_turns_score_a_not_covered_answer() -> None:
    gold = GoldTurn(question="What is the INR target?", covered=False)
    said_so = Answer(question="q", standalone_question="q", not_covered=True)
    assert quality_scores(said_so, gold)["uncovered_correct"] == 1.0
    guessed = _answer((SLE, "florica"))
    assert quality_scores(guessed, gold)["uncovered_correct"] == 0.0


def test_rouge_l() -> None:
    assert rouge_l_f1("a b c d", "a b c d") == 1.0
    assert rouge_l_f1("a b c d", "x y") == 0.0
    assert 0.0 < rouge_l_f1("the cat sat on the mat", "the cat lay on a mat") < 1.0
