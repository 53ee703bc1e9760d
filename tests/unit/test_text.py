"""Sentence splitting and the small text tools (pure functions, no model)."""

from __future__ import annotations

import pytest

from curbside.rag.text import (
    content_words,
    is_negated,
    normalize,
    numbers,
    split_sentences,
    strip_citations,
    words,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Smith et al. reported pain relief. The effect lasted weeks.",
            ["Smith et al. reported pain relief.", "The effect lasted weeks."],
        ),
        (
            "Use a gabapentinoid, e.g. pregabalin, first. Review at four weeks.",
            ["Use a gabapentinoid, e.g. pregabalin, first.", "Review at four weeks."],
        ),
        (
            "Dr. Jones examined her. Surgery vs. splinting was discussed.",
            ["Dr. Jones examined her.", "Surgery vs. splinting was discussed."],
        ),
        (
            "See Fig. 2 for the algorithm. J. Smith wrote the review.",
            ["See Fig. 2 for the algorithm.", "J. Smith wrote the review."],
        ),
        (
            "The dose was 2.5 mg per kg daily. Levels were 0.5 to 1.0 units.",
            ["The dose was 2.5 mg per kg daily.", "Levels were 0.5 to 1.0 units."],
        ),
        (
            "Was it effective? Yes! It was (p < 0.05). Next.",
            ["Was it effective?", "Yes!", "It was (p < 0.05).", "Next."],
        ),
        (
            "The U.S. guideline applies here. It is recent.",
            ["The U.S. guideline applies here.", "It is recent."],
        ),
        ("A sentence without a final period", ["A sentence without a final period"]),
    ],
)
def test_split_sentences_handles_abbreviations_numbers_and_initials(
    text: str, expected: list[str]
) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Duloxetine reduces pain [1]. Pregabalin also helps [2, 3]. Both are first line.",
            [
                "Duloxetine reduces pain [1].",
                "Pregabalin also helps [2, 3].",
                "Both are first line.",
            ],
        ),
        # A citation placed after the period belongs to the sentence before it.
        (
            "Foot drop is common. [1] Ankle-foot orthoses help. [2][3] Refer early.",
            ["Foot drop is common. [1]", "Ankle-foot orthoses help. [2][3]", "Refer early."],
        ),
        ("Foot drop is common.[1] Refer early.", ["Foot drop is common.[1]", "Refer early."]),
        (
            "Ranges are cited [1-3]. Then more [4–6].",
            ["Ranges are cited [1-3].", "Then more [4–6]."],
        ),
    ],
)
def test_split_sentences_keeps_citations_with_their_sentence(
    text: str, expected: list[str]
) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_collapses_whitespace_and_ignores_blank_input() -> None:
    assert split_sentences("  One   fact.\n\nTwo\tfacts.  ") == ["One fact.", "Two facts."]
    assert split_sentences("   \n ") == []
    assert split_sentences("") == []


def test_split_sentences_splits_after_a_sentence_ending_in_a_unit() -> None:
    assert split_sentences("Start gabapentin at 300 mg. Titrate weekly.") == [
        "Start gabapentin at 300 mg.",
        "Titrate weekly.",
    ]


def test_normalize_folds_accents_and_whitespace() -> None:
    assert normalize("Sjögren  syndrome\n\tand  Behçet") == "Sjogren syndrome and Behcet"


def test_words_and_content_words() -> None:
    assert words("Sjögren's syndrome, anti-Ro positive") == [
        "sjogren's",
        "syndrome",
        "anti-ro",
        "positive",
    ]
    # stop words and bare numbers go; plural and -ed forms are stemmed
    assert content_words("The neuropathies were treated in 30 patients") == ["neuropathy", "treat"]


def test_numbers_ignores_citation_markers() -> None:
    assert numbers("Dose 2.5 mg in 30% of 1,000 adults [12].") == {"2.5", "30%", "1000"}
    assert numbers("No numbers here [3].") == set()


def test_negation_cues() -> None:
    assert is_negated("Gabapentin did not reduce pain.")
    assert is_negated("There was no benefit.")
    assert is_negated("Steroids don't help.")
    assert not is_negated("Gabapentin reduced pain.")


def test_strip_citations() -> None:
    assert strip_citations("It helps [1, 2]. It lasts [3-5].") == "It helps. It lasts."
    assert strip_citations("No markers.") == "No markers."
