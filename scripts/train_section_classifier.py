#!/usr/bin/env python3
"""Fit the learned head that places an answer's sentences under its sections.

    .venv/bin/python scripts/train_section_classifier.py

Reads evalsets/sections.jsonl: corpus sentences that clinician-annotators placed under one
of the answer's sections (Mechanisms, How often it occurs, Diagnosis and work-up, Treatment,
Outcomes and prognosis, Important caveats) from the sentence alone, without reading the
code. The `train` split (sentences drawn at random from the corpus) fits a multinomial
logistic regression (numpy, L2) over `curbside.rag.drafting.layout.head_features`; the
`eval` split (sentences the extractive writer delivered on the dev question sets, labelled
by two annotators) is never fitted on and reports accuracy against the nearest-description
classifier it replaces. Writes curbside/rag/drafting/section_weights.json (about 40 kB).
Needs no index; takes under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from curbside.offline import apply_offline_env  # noqa: E402
from curbside.rag.drafting.layout import (  # noqa: E402
    HEAD_SECTIONS,
    SECTION_WEIGHTS_FILE,
    SectionClassifier,
    head_features,
)

LABELS = REPO / "evalsets" / "sections.jsonl"


def load(split: str) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["split"] == split and r["section"] in HEAD_SECTIONS]


def featurise(classifier: SectionClassifier, rows: list[dict[str, str]]) -> np.ndarray:
    texts = [r["text"] for r in rows]
    vectors = classifier.embedder.encode(texts)
    sims = classifier.similarities(vectors, [r.get("heading", "") for r in rows])
    return np.stack([head_features(t, v, s) for t, v, s in zip(texts, vectors, sims, strict=True)])


def fit(
    x: np.ndarray, y: np.ndarray, l2: float, steps: int = 3000
) -> tuple[np.ndarray, np.ndarray]:
    classes = len(HEAD_SECTIONS)
    weights, bias = np.zeros((classes, x.shape[1])), np.zeros(classes)
    target = np.eye(classes)[y]
    rate = 1.0
    for _ in range(steps):
        logits = x @ weights.T + bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        weights -= rate * ((p - target).T @ x / len(y) + l2 * weights / len(y))
        bias -= rate * (p - target).mean(axis=0)
    return weights, bias


def accuracy(predicted: list[str], rows: list[dict[str, str]]) -> float:
    return sum(p == r["section"] for p, r in zip(predicted, rows, strict=True)) / len(rows)


def cross_validated_accuracy(x: np.ndarray, y: np.ndarray, l2: float, folds: int = 5) -> float:
    fold = np.arange(len(y)) % folds
    right = 0
    for f in range(folds):
        weights, bias = fit(x[fold != f], y[fold != f], l2)
        right += int(((x[fold == f] @ weights.T + bias).argmax(axis=1) == y[fold == f]).sum())
    return right / len(y)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SECTION_WEIGHTS_FILE)
    args = parser.parse_args()
    apply_offline_env()
    from curbside.rag.embedding import Embedder
    from curbside.settings import Settings

    classifier = SectionClassifier(Embedder.from_settings(Settings().embedding), learned=False)
    train, held_out = load("train"), load("eval")
    x, x_eval = featurise(classifier, train), featurise(classifier, held_out)
    y = np.asarray([HEAD_SECTIONS.index(r["section"]) for r in train])
    by_l2 = {l2: cross_validated_accuracy(x, y, l2) for l2 in (0.1, 0.3, 1.0, 3.0)}
    l2 = max(by_l2, key=lambda k: by_l2[k])
    weights, bias = fit(x, y, l2)
    learned = [HEAD_SECTIONS[i] for i in (x_eval @ weights.T + bias).argmax(axis=1)]
    vectors = classifier.embedder.encode([r["text"] for r in held_out])
    sims = classifier.similarities(vectors, [r.get("heading", "") for r in held_out])
    nearest = [classifier.section(r["text"], s) for r, s in zip(held_out, sims, strict=True)]
    result = {
        "sections": list(HEAD_SECTIONS),
        "embedding_model": classifier.embedder.model_identity,
        "features": int(x.shape[1]),
        "weights": [[round(float(w), 5) for w in row] for row in weights],
        "bias": [round(float(b), 5) for b in bias],
        "trained_on": f"{LABELS.relative_to(REPO)}, train split",
        "train_sentences": len(train),
        "l2": l2,
        "cross_validated_accuracy_by_l2": {str(k): round(v, 4) for k, v in by_l2.items()},
        "eval_sentences": len(held_out),
        "eval_accuracy": round(accuracy(learned, held_out), 4),
        "eval_accuracy_nearest_description": round(accuracy(nearest, held_out), 4),
        "date": datetime.date.today().isoformat(),
    }
    args.out.write_text(json.dumps(result) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("weights", "bias")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
