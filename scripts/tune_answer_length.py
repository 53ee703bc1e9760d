#!/usr/bin/env python3
"""How long should an extractive answer be? Cross-validated answer quality on the dev half.

    .venv/bin/curbside ingest corpus/ --data-dir /tmp/cs-index
    .venv/bin/python scripts/tune_answer_length.py --data-dir /tmp/cs-index

The extractive writer's length constants (`MIN_POINTS`, `SOURCE_CAP`, `RELATIVE_FLOOR`,
`ABSOLUTE_FLOOR` and the sentence limit in `curbside/rag/drafting/extractive.py`) trade
key-point recall against answer precision. Judged with the shipped ranker, that trade is
flattered: the ranker was fitted on the same dev turns. Here every dev turn is drafted with a
ranker fitted on the *other* folds (5 folds, whole questions held out together), for each
setting of the grid, and scored against the gold key points as `curbside eval` scores them
(a claim matches a point when it cites the point's source and says the same thing). Drafts
are scored before citation enforcement, which keeps every extractive sentence. The test half
is never read. Takes about two minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import re
import sys
from itertools import product
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import train_sentence_ranker as training  # noqa: E402

from curbside.eval.answer_quality import GoldPoint, GoldTurn, same_statement  # noqa: E402
from curbside.offline import apply_offline_env  # noqa: E402
from curbside.rag.drafting import extractive  # noqa: E402
from curbside.rag.drafting.ranker import LearnedRanker  # noqa: E402
from curbside.rag.models import Evidence  # noqa: E402
from curbside.rag.text import CITATION_MARKER, strip_citations  # noqa: E402

FOLDS = 5


def claims_of(draft: str, evidence: Evidence) -> list[tuple[str, set[str]]]:
    """(sentence, cited source ids) for each cited line of a draft."""
    ids = {s.number: s.meta.id for s in evidence.sources}
    found = []
    for line in draft.splitlines():
        line = line.strip().removeprefix("- ")
        markers = CITATION_MARKER.findall(line)
        if not markers or line.startswith("#"):
            continue
        numbers = {int(n) for m in markers for n in re.split(r"[,;\s]+", m) if n.isdigit()}
        found.append((strip_citations(line), {ids[n] for n in numbers if n in ids}))
    return found


def scores(draft: str, evidence: Evidence, gold: GoldTurn) -> tuple[float, float | None, float]:
    """Key-point recall, answer precision, opener-is-key-point of one draft."""
    claims = claims_of(draft, evidence)

    def hit(claim: tuple[str, set[str]], point: GoldPoint) -> bool:
        return point.source in claim[1] and same_statement(claim[0], point.text)

    recall = sum(any(hit(c, p) for c in claims) for p in gold.key_points) / len(gold.key_points)
    if not claims:
        return recall, None, 0.0
    points = [*gold.key_points, *gold.nice_to_have]
    precision = sum(any(hit(c, p) for p in points) for c in claims) / len(claims)
    opener = float(any(hit(claims[0], p) for p in gold.key_points))
    return recall, precision, opener


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="index of corpus/")
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args()
    apply_offline_env()

    from curbside.rag.factory import make_engine
    from curbside.settings import Settings

    engine = make_engine(Settings(data_dir=args.data_dir))
    turns = training.gold_turns(engine, "dev")  # retrieved once, for fitting and drafting
    x, y, groups = training.examples(engine, turns)
    names = list(dict.fromkeys(groups))
    fold_of = {name: i % FOLDS for i, name in enumerate(names)}
    fold = np.asarray([fold_of[g] for g in groups])
    rankers = {}
    for f in range(FOLDS):
        weights, bias = training.fit(x[fold != f], y[fold != f], args.l2)
        rankers[f] = LearnedRanker([float(w) for w in weights], float(bias))

    print(
        "| sentences | min points | source cap | relative floor | absolute floor | "
        "key-point recall | precision | opener | claims |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    grid = product((8, 10), (2, 3), (4, 6), (0.5,), (0.3,))
    for limit, min_points, cap, relative, absolute in grid:
        extractive.MIN_POINTS, extractive.SOURCE_CAP = min_points, cap
        extractive.RELATIVE_FLOOR, extractive.ABSOLUTE_FLOOR = relative, absolute
        recall, precision, opener, claims = [], [], [], []
        for turn_id, standalone, analysis, evidence, gold in turns:
            drafter = extractive.ExtractiveDrafter(engine.embedder, limit)
            drafter.ranker = rankers[fold_of[turn_id]]
            draft = drafter.draft(standalone, evidence, analysis)
            r, p, o = scores(draft, evidence, gold)
            recall.append(r)
            opener.append(o)
            claims.append(len(claims_of(draft, evidence)))
            if p is not None:
                precision.append(p)
        print(
            f"| {limit} | {min_points} | {cap} | {relative} | {absolute} | "
            f"{np.mean(recall):.3f} | {np.mean(precision):.3f} | {np.mean(opener):.3f} | "
            f"{np.mean(claims):.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
