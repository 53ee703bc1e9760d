"""The offline support scorer's explicit checks (numbers, negation, swapped names) with a
small deterministic bag-of-words embedder instead of the model. The real model is checked
in tests/integration/test_answer_engine.py."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from curbside.rag.support import OfflineSupportScorer, ScorerWeights, SupportSignals
from curbside.rag.text import words

THRESHOLD = 0.5  # CitationSettings.support_threshold default


class BagOfWordsEmbedder:
    """encode_cached(texts) -> L2-normalised hashed bag-of-words vectors (deterministic)."""

    dim = 512

    def encode_cached(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype="float32")
        for row, text in enumerate(texts):
            for word in words(text):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


PASSAGE = [
    "Paracetamol (acetaminophen) overdose is treated with intravenous N-acetylcysteine, which "
    "is the antidote and is most effective within 8 hours of ingestion. Activated charcoal "
    "may be given within 1 hour."
]
SUPPORTED = "N-acetylcysteine is the antidote for paracetamol overdose."


@pytest.fixture
def scorer() -> OfflineSupportScorer:
    return OfflineSupportScorer(BagOfWordsEmbedder())  # type: ignore[arg-type]


def test_faithful_sentence_supported(scorer: OfflineSupportScorer) -> None:
    assert scorer.score(SUPPORTED, PASSAGE) >= THRESHOLD
    assert (
        scorer.score("N-acetylcysteine is most effective within 8 hours of ingestion [1].", PASSAGE)
        >= THRESHOLD
    )


def test_swapped_drug_name_unsupported(scorer: OfflineSupportScorer) -> None:
    signals = scorer.signals("Naloxone is the antidote for paracetamol overdose.", PASSAGE)
    assert signals.missing_specific > 0
    assert scorer.score("Naloxone is the antidote for paracetamol overdose.", PASSAGE) < THRESHOLD


def test_changed_number_unsupported(scorer: OfflineSupportScorer) -> None:
    same = scorer.score("N-acetylcysteine is most effective within 8 hours of ingestion.", PASSAGE)
    changed_sentence = "N-acetylcysteine is most effective within 24 hours of ingestion."
    changed = scorer.score(changed_sentence, PASSAGE)
    assert scorer.signals(changed_sentence, PASSAGE).missing_numbers == 1
    assert changed < THRESHOLD <= same


def test_percent_and_plain_number_match(scorer: OfflineSupportScorer) -> None:
    passage = ["Foot drop was present in 12% of patients with vasculitic neuropathy."]
    assert (
        scorer.signals(
            "Foot drop was present in 12 % of patients with vasculitic neuropathy.", passage
        ).missing_numbers
        == 0
    )


def test_negation_flip_unsupported(scorer: OfflineSupportScorer) -> None:
    flipped = "N-acetylcysteine is not the antidote for paracetamol overdose."
    assert scorer.signals(flipped, PASSAGE).negation_mismatch
    assert scorer.score(flipped, PASSAGE) < THRESHOLD < scorer.score(SUPPORTED, PASSAGE)


def test_negated_passage_supports_negated_claim(scorer: OfflineSupportScorer) -> None:
    passage = ["Gabapentin did not reduce pain in chemotherapy-induced neuropathy."]
    assert not scorer.signals(
        "Gabapentin did not reduce pain in chemotherapy-induced neuropathy.", passage
    ).negation_mismatch
    assert scorer.signals(
        "Gabapentin reduced pain in chemotherapy-induced neuropathy.", passage
    ).negation_mismatch


def test_unrelated_sentence_unsupported(scorer: OfflineSupportScorer) -> None:
    assert (
        scorer.score("Rituximab induces remission in ANCA-associated vasculitis.", PASSAGE)
        < THRESHOLD
    )


def test_empty_inputs_score_low(scorer: OfflineSupportScorer) -> None:
    assert scorer.score(SUPPORTED, []) < THRESHOLD
    assert scorer.score("[1]", PASSAGE) < THRESHOLD


def test_weights_combine_monotonic() -> None:
    w = ScorerWeights()
    good = SupportSignals(0.8, 1.0, 0, 0.0, False)
    assert w.combine(good) > w.combine(SupportSignals(0.8, 1.0, 1, 0.0, False))
    assert w.combine(good) > w.combine(SupportSignals(0.8, 1.0, 0, 0.25, False))
    assert w.combine(good) > w.combine(SupportSignals(0.8, 1.0, 0, 0.0, True))
    assert 0.0 < w.combine(SupportSignals(0, 0, 3, 1, True)) < w.combine(good) < 1.0


@pytest.mark.parametrize(
    ("claim", "normative"),
    [
        ("Such patients should generally be excluded from transplantation.", True),
        ("Early physiotherapy is recommended after the diagnosis.", True),
        ("Rituximab must not be given during an active infection.", True),
        ("Patients have generally been excluded from transplantation.", False),
        ("Foot drop occurred in 3 of 40 patients.", False),
    ],
)
def test_recommendations_are_told_from_findings(claim: str, normative: bool) -> None:
    from curbside.rag.support import is_normative

    assert is_normative(claim) is normative


@pytest.mark.parametrize(
    ("claim", "scored_as"),
    [
        ("Yes, foot drop can occur in lupus.", "Foot drop can occur in lupus."),
        ("It depends: results were mixed.", "Results were mixed."),
        ("No, the drug did not reduce pain.", "The drug did not reduce pain."),
        # A bare "No," carries the negation: it stays for the negation check.
        ("No, the drug reduced pain.", "No, the drug reduced pain."),
    ],
)
def test_a_verdict_word_is_not_part_of_the_claim(claim: str, scored_as: str) -> None:
    from curbside.rag.support import without_verdict_word

    assert without_verdict_word(claim) == scored_as


def test_old_weight_files_keep_the_default_for_a_new_signal(tmp_path: Path) -> None:
    import json

    from curbside.rag.support import SCORER_WEIGHTS_FILE, ScorerWeights, load_scorer_weights

    old = {k: v for k, v in ScorerWeights(bias=-6.0).__dict__.items() if k != "modality_mismatch"}
    (tmp_path / SCORER_WEIGHTS_FILE).write_text(json.dumps({"weights": old}))
    loaded = load_scorer_weights(tmp_path)
    assert loaded is not None and loaded.bias == -6.0
    assert loaded.modality_mismatch == ScorerWeights().modality_mismatch


TRANSPLANT = [
    "Patients with HIV infection have generally been excluded from kidney transplantation. "
    "Outcomes in this cohort were similar to those of HIV-negative recipients. This policy "
    "should be reevaluated."
]


def test_a_finding_turned_into_a_recommendation_is_not_supported(
    scorer: OfflineSupportScorer,
) -> None:
    """Issue 10: the passage describes a policy and asks to reevaluate it; the draft made it
    a recommendation. The words nearly all match; the meaning is reversed."""
    descriptive = (
        "Patients with HIV infection have generally been excluded from kidney transplantation."
    )
    normative = (
        "Yes, patients with HIV infection should generally be excluded from kidney transplantation."
    )
    assert scorer.score(descriptive, TRANSPLANT) >= THRESHOLD
    assert scorer.signals(normative, TRANSPLANT).modality_mismatch
    assert scorer.score(normative, TRANSPLANT) < THRESHOLD


def test_a_recommendation_backed_by_a_recommendation_is_supported(
    scorer: OfflineSupportScorer,
) -> None:
    passage = ["Ankle-foot orthoses are recommended for patients with foot drop after stroke."]
    claim = "Ankle-foot orthoses are recommended for foot drop after stroke."
    assert not scorer.signals(claim, passage).modality_mismatch
    assert scorer.score(claim, passage) >= THRESHOLD


def test_a_studys_aim_supports_no_claim(scorer: OfflineSupportScorer) -> None:
    """An abstract's aim sentence holds every word of "Yes, X improves Y"; only its results
    may support the verdict."""
    from curbside.rag.support import findings_only

    abstract = [
        "We evaluated whether statin pretreatment improves outcome after stroke. "
        "Statin pretreatment was associated with an odds ratio of 1.1 (95% CI 0.8 to 1.5)."
    ]
    assert findings_only(abstract[0].split(". ")) == [
        "Statin pretreatment was associated with an odds ratio of 1.1 (95% CI 0.8 to 1.5)."
    ]
    signals = scorer.signals("Yes, statin pretreatment improves outcome after stroke.", abstract)
    assert signals.coverage < 1.0  # "improves" and "outcome" are only in the aim sentence


def test_the_aim_of_a_treatment_is_no_study_aim(scorer: OfflineSupportScorer) -> None:
    """ "The aim is to reduce pain" in a guideline is a statement to cite, not an abstract's
    aim sentence: the AAN counselling advice was once dropped as unsupported by its own
    source, verbatim."""
    from curbside.rag.support import findings_only

    advice = (
        "When drug treatment for painful diabetic neuropathy is started, patients should be "
        "counselled that the aim is to reduce pain, not necessarily to eliminate it (Level B)."
    )
    aims = ["The aim was to compare gabapentin with placebo.", "The aim of this study was to see."]
    assert findings_only([advice, *aims]) == [advice]
    assert scorer.score(advice, [advice]) >= THRESHOLD


def test_a_no_difference_finding_has_negative_polarity(scorer: OfflineSupportScorer) -> None:
    from curbside.rag.support import negative_polarity

    assert negative_polarity("Carotid IMT was nearly identical in carriers and controls.")
    assert negative_polarity("There was no significant difference in adherence.")
    assert not negative_polarity("Adherence improved with three reminders.")
    passage = ["Carotid intima-media thickness was nearly identical in carriers and controls."]
    claim = "No, the mutations do not increase carotid intima-media thickness in carriers."
    assert not scorer.signals(claim, passage).negation_mismatch
