"""Where an answer's sentences are shown, with the real embedding model: the learned head
puts them where two clinician-annotators agreed they belong (sentences it was not fitted
on), and refitting it from its script and labels gives the shipped head.

Relies on: the real offline embedding model; evalsets/sections.jsonl;
scripts/train_section_classifier.py run as a subprocess (about 15 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import REPO

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder


def _shown_under(embedder: Embedder, text: str, heading: str, head_file: Path | None = None) -> str:
    from curbside.rag.drafting.layout import SectionClassifier, load_section_head

    classifier = SectionClassifier(embedder)
    if head_file is not None:
        classifier.head = load_section_head(head_file)
    vector = embedder.encode([text])
    return classifier.shown_under(text, classifier.similarities(vector, [heading])[0], vector[0])


# Held-out sentences (eval split) that the nearest section description placed elsewhere.
@pytest.mark.parametrize(
    ("text", "heading", "section"),
    [
        (
            "By 5 years, 36% of patients with rheumatoid vasculitis had relapsed.",
            "Treatment and outcomes",
            "Outcomes and prognosis",  # was "How often it occurs": a percentage
        ),
        (
            "In the SLICC validation set, the SLICC criteria had greater sensitivity than the "
            "ACR criteria (97% versus 83%) but lower specificity (84% versus 96%).",
            "Performance",
            "Diagnosis and work-up",  # was "How often it occurs"
        ),
        (
            "Mild adverse events were reported by 16% of patients during duloxetine treatment "
            "and 27% during placebo treatment.",
            "Adverse effects",
            "Treatment",  # was "How often it occurs"
        ),
        (
            "Opioids are not recommended for managing chronic sciatica.",
            "Drug treatment of sciatica (2020 update)",
            "Treatment",  # was "Important caveats": advice against a drug is treatment advice
        ),
    ],
)
def test_sentences_are_shown_where_annotators_put_them(
    embedder: Embedder, text: str, heading: str, section: str
) -> None:
    assert _shown_under(embedder, text, heading) == section


def test_without_the_head_the_nearest_description_places_them(embedder: Embedder) -> None:
    from curbside.rag.drafting.layout import SectionClassifier

    classifier = SectionClassifier(embedder, learned=False)
    text = "By 5 years, 36% of patients with rheumatoid vasculitis had relapsed."
    vector = embedder.encode([text])
    sims = classifier.similarities(vector, ["Treatment and outcomes"])[0]
    assert classifier.shown_under(text, sims, vector[0]) == classifier.section(text, sims)


def test_refitting_from_the_script_gives_the_shipped_head(tmp_path: Path) -> None:
    from curbside.rag.drafting.layout import SECTION_WEIGHTS_FILE

    out = tmp_path / "section_weights.json"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "train_section_classifier.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    refit = json.loads(out.read_text(encoding="utf-8"))
    shipped = json.loads(SECTION_WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert refit["sections"] == shipped["sections"] and refit["l2"] == shipped["l2"]
    # Held-out sentences: the head beats the nearest description it replaces, as shipped.
    assert refit["eval_accuracy"] > refit["eval_accuracy_nearest_description"] + 0.1
    assert abs(refit["eval_accuracy"] - shipped["eval_accuracy"]) < 0.02


def test_a_head_fitted_on_another_models_vectors_is_not_used(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curbside.rag.drafting import layout

    assert layout.SectionClassifier(embedder).head is not None  # the shipped head fits
    data = json.loads(layout.SECTION_WEIGHTS_FILE.read_text(encoding="utf-8"))
    other = layout.SectionHead(data["weights"], data["bias"], embedding_model="0" * 64)
    monkeypatch.setattr(layout, "load_section_head", lambda: other)
    assert layout.SectionClassifier(embedder).head is None
