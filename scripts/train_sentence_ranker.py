#!/usr/bin/env python3
"""Fit the extractive writer's sentence ranker on the dev half of the gold answer set.

    .venv/bin/curbside ingest corpus/ --data-dir /tmp/cs-index
    .venv/bin/python scripts/train_sentence_ranker.py --data-dir /tmp/cs-index

For every dev turn of evalsets/answers.jsonl the real pipeline runs (earlier turns of a chain
are asked first, so follow-ups are condensed as in a chat); every candidate sentence the
writer sees becomes one example: features from `curbside.rag.drafting.ranker`, target 1 for
a sentence matching a must-have key point, 0.5 for a nice-to-have point, 0 otherwise. A
logistic regression (numpy, L2) is fitted and written to
curbside/rag/drafting/ranker_weights.json with what it was trained on. The test half is
never read. Takes about a minute on 2 cores.
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

from curbside.eval.answer_quality import GoldTurn, same_statement  # noqa: E402
from curbside.eval.datasets import load_dataset  # noqa: E402
from curbside.offline import apply_offline_env  # noqa: E402
from curbside.rag.drafting.extractive import ExtractiveDrafter  # noqa: E402
from curbside.rag.drafting.layout import WANTED  # noqa: E402
from curbside.rag.drafting.ranker import FEATURES, WEIGHTS_FILE, features  # noqa: E402
from curbside.rag.engine import AnswerEngine, without_instruction_sentences  # noqa: E402
from curbside.rag.models import Evidence, Turn  # noqa: E402
from curbside.rag.question import QuestionAnalysis, analyze_question  # noqa: E402
from curbside.rag.text import content_words  # noqa: E402

# One gold turn as the chat would see it: id, standalone question, analysis, evidence, gold.
GoldTurnEvidence = tuple[str, str, QuestionAnalysis, Evidence, GoldTurn]


def gold_turns(engine: AnswerEngine, split: str) -> list[GoldTurnEvidence]:
    """Each turn of `split` with gold key points, retrieved once as the chat would (earlier
    turns of a chain are asked first, so follow-ups are condensed as in a chat)."""
    found = []
    for question in load_dataset("answers"):
        gold = question.gold_turn
        if question.split not in split.split(",") or gold is None or not gold.key_points:
            continue
        turns: list[Turn] = []
        for earlier in question.history:
            turns.append(Turn.from_answer(engine.ask(earlier, turns)))
        standalone = engine.standalone(question.question, turns)
        analysis = analyze_question(standalone)
        evidence = without_instruction_sentences(
            engine.retriever.retrieve(standalone, None, analysis)
        )
        found.append((question.id, standalone, analysis, evidence, gold))
    return found


def examples(
    engine: AnswerEngine, turns: list[GoldTurnEvidence]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One row of features per candidate sentence: target 1 for a key point, 0.5 for a
    nice-to-have, 0 otherwise; grouped by turn id."""
    drafter = ExtractiveDrafter(engine.embedder, learned=False)
    rows: list[list[float]] = []
    targets: list[float] = []
    groups: list[str] = []
    for turn_id, standalone, analysis, evidence, gold in turns:
        ids = {s.number: s.meta.id for s in evidence.sources}
        wanted = WANTED.get(analysis.type, set())
        words = set(content_words(standalone))
        for candidate in drafter.rank(standalone, evidence, analysis):
            target = 0.0
            for points, value in ((gold.key_points, 1.0), (gold.nice_to_have, 0.5)):
                if any(
                    p.source == ids[candidate.number] and same_statement(candidate.text, p.text)
                    for p in points
                ):
                    target = max(target, value)
            rows.append(features(candidate, words, wanted, analysis.type))
            targets.append(target)
            groups.append(turn_id)
    return np.asarray(rows), np.asarray(targets), groups


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 4000) -> tuple[np.ndarray, float]:
    weights, bias = np.zeros(x.shape[1]), 0.0
    rate = 0.5
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ weights + bias)))
        grad = x.T @ (p - y) / len(y) + l2 * weights / len(y)
        weights -= rate * grad
        bias -= rate * float(np.mean(p - y))
    return weights, bias


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def top_k_recall(scores: np.ndarray, key: np.ndarray, groups: list[str], k: int) -> float:
    """Share of key points among the k best-scored candidates of their own question."""
    hit = total = 0
    names = np.asarray(groups)
    for name in dict.fromkeys(groups):
        rows = np.flatnonzero(names == name)
        best = rows[np.argsort(-scores[rows])[:k]]
        hit += int(key[best].sum())
        total += int(key[rows].sum())
    return hit / total if total else 0.0


def cross_validated(
    x: np.ndarray, y: np.ndarray, groups: list[str], l2: float, folds: int = 5
) -> np.ndarray:
    """Out-of-fold scores, whole questions held out together (the honest estimate)."""
    names = list(dict.fromkeys(groups))
    fold_of = {name: i % folds for i, name in enumerate(names)}
    fold = np.asarray([fold_of[g] for g in groups])
    scores = np.zeros(len(y))
    for f in range(folds):
        weights, bias = fit(x[fold != f], y[fold != f], l2)
        scores[fold == f] = x[fold == f] @ weights + bias
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="index of corpus/")
    parser.add_argument("--split", default="dev", help="one split or several: dev,dev2")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args()
    apply_offline_env()
    from curbside.rag.factory import make_engine
    from curbside.settings import Settings

    engine = make_engine(Settings(data_dir=args.data_dir))
    x, y, groups = examples(engine, gold_turns(engine, args.split))
    weights, bias = fit(x, y, args.l2)
    scores = x @ weights + bias
    key = y >= 1.0
    held_out = cross_validated(x, y, groups, args.l2)
    result = {
        "features": list(FEATURES),
        "weights": [round(float(w), 5) for w in weights],
        "bias": round(bias, 5),
        "trained_on": f"evalsets/answers.jsonl, {args.split} half",
        "examples": len(y),
        "turns": len(set(groups)),
        "key_point_examples": int(key.sum()),
        "train_auc_key_points": round(auc(scores, key), 4),
        "cross_validated_auc_key_points": round(auc(held_out, key), 4),
        "cross_validated_key_points_in_top_3": round(top_k_recall(held_out, key, groups, 3), 4),
        "cross_validated_key_points_in_top_8": round(top_k_recall(held_out, key, groups, 8), 4),
        "l2": args.l2,
        "date": datetime.date.today().isoformat(),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "weights"}, indent=2))
    for name, weight in sorted(zip(FEATURES, weights, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {name:22s} {weight:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
