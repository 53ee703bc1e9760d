"""The learned head that places an answer's sentences under its sections: its weights file,
its fallbacks, and the labelled sentences it is fitted and judged on.

Relies on: curbside/rag/drafting/section_weights.json and evalsets/sections.jsonl read as
files; small hand-made weights for the pure logic. The real placements, with the real
embedding model, are tested in tests/integration/test_answer_engine.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curbside.rag.drafting.layout import (
    HEAD_SECTIONS,
    SECTION_DESCRIPTIONS,
    SECTION_WEIGHTS_FILE,
    SectionHead,
    head_features,
    load_section_head,
)

REPO = Path(__file__).resolve().parents[2]
LABELS = [
    json.loads(line)
    for line in (REPO / "evalsets" / "sections.jsonl").read_text(encoding="utf-8").splitlines()
]


def test_the_shipped_head_loads_and_fits_the_features() -> None:
    head = load_section_head()
    assert head is not None
    features = head_features("A sentence.", np.zeros(384), np.zeros(len(SECTION_DESCRIPTIONS)))
    assert head.weights.shape == (len(HEAD_SECTIONS), features.shape[0])


def test_the_head_takes_the_section_with_the_highest_score() -> None:
    weights = [[0.0] * 3 for _ in HEAD_SECTIONS]
    weights[HEAD_SECTIONS.index("Treatment")] = [0.0, 2.0, 0.0]
    weights[HEAD_SECTIONS.index("Mechanisms")] = [1.0, 0.0, 0.0]
    head = SectionHead(weights, [0.0] * len(HEAD_SECTIONS))
    assert head.section(np.asarray([0.0, 1.0, 0.0])) == "Treatment"
    assert head.section(np.asarray([1.0, 0.0, 0.0])) == "Mechanisms"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(sections=["Treatment", "Mechanisms"]),  # fitted for other sections
        lambda d: d.update(features=d["features"] + 1),  # for another feature set
        lambda d: d.pop("bias"),
    ],
)
def test_weights_that_do_not_fit_are_not_used(tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(SECTION_WEIGHTS_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "section_weights.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_section_head(path) is None


def test_without_a_weights_file_there_is_no_head(tmp_path: Path) -> None:
    assert load_section_head(tmp_path / "missing.json") is None


def test_the_labelled_sentences_are_corpus_sentences_with_a_known_section() -> None:
    allowed = {*HEAD_SECTIONS, "None fits", "Disagreed"}
    for row in LABELS:
        assert row["section"] in allowed
        assert row["split"] in ("train", "eval")
        body = (REPO / "corpus" / f"{row['source']}.md").read_text(encoding="utf-8")
        assert row["text"] in " ".join(body.split()), row["text"]


def test_the_eval_sentences_are_never_fitted_on_and_carry_both_annotators() -> None:
    train = {r["text"] for r in LABELS if r["split"] == "train"}
    held_out = [r for r in LABELS if r["split"] == "eval"]
    assert len(held_out) >= 100 and not train & {r["text"] for r in held_out}
    for row in held_out:
        first, second = row["annotators"]
        assert row["section"] == (first if first == second else "Disagreed")
