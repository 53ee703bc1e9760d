#!/usr/bin/env python3
"""Answer quality of two versions of curbside on the gold answer set, in one run.

    git worktree add /tmp/curbside-before <commit>
    PYTHONPATH=/tmp/curbside-before .venv/bin/python -m curbside ingest corpus/ \\
        --data-dir /tmp/index-before
    .venv/bin/curbside ingest corpus/ --data-dir /tmp/index-after
    .venv/bin/python bench/answer_quality_compare.py --before-src /tmp/curbside-before \\
        --before-data /tmp/index-before --after-data /tmp/index-after --split test

Each version answers every turn of the chosen half of evalsets/answers.jsonl in its own
process (earlier turns of a chain are asked first, as in a chat), through its own engine and
index, with the extractive default. Both sets of answers are then scored by the same
metrics (`curbside.eval.answer_quality` of this checkout: gold key points written before
tuning, string matching, independent of either writer). Prints a Markdown table with the
means and writes the answers under --out for inspection.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import mean

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Runs inside each version's interpreter: only APIs both versions have.
ANSWER_SCRIPT = """
import json, sys
from curbside.offline import apply_offline_env
apply_offline_env()
from curbside.rag.factory import make_engine
from curbside.rag.models import Turn
from curbside.settings import Settings
items = json.load(open(sys.argv[1]))
engine = make_engine(Settings(data_dir=sys.argv[2]))
with open(sys.argv[3], "w") as out:
    for item in items:
        turns = []
        for earlier in item["history"]:
            previous = engine.ask(earlier, turns)
            turns.append(Turn(question=previous.standalone_question, answer=previous.text))
        answer = engine.ask(item["question"], turns)
        out.write(json.dumps({"id": item["id"], "answer": json.loads(answer.model_dump_json())}))
        out.write("\\n")
"""

METRICS = [
    ("key_point_recall", "Key-point recall", ">= 0.8"),
    ("answer_precision", "Answer precision", ">= 0.8"),
    ("opener_is_key_point", "Opening line is a key point", ">= 0.8"),
    ("off_topic_rate", "Off-topic sentences", "<= 0.05"),
    ("facet_coverage_accuracy", "Facet coverage correct", "1.0"),
    ("topic_retained", "Follow-up topic retained", "1.0"),
    ("uncovered_correct", "Uncovered: says not covered", ""),
]


def answer_with(src: Path | None, data_dir: Path, items: list[dict], out: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(items, handle)
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)  # the other version's package first on the path
    subprocess.run(
        [sys.executable, "-c", ANSWER_SCRIPT, handle.name, str(data_dir), str(out)],
        check=True,
        env=env,
        cwd=str(src or REPO),
    )


def scores(answers_file: Path, gold: dict) -> dict[str, list[float]]:  # type: ignore[type-arg]
    from curbside.eval.answer_quality import quality_scores
    from curbside.rag.models import Answer

    found: dict[str, list[float]] = {key: [] for key, _, _ in METRICS}
    for line in answers_file.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        answer = Answer.model_validate(
            {k: v for k, v in record["answer"].items() if k in Answer.model_fields}
        )
        for key, value in quality_scores(answer, gold[record["id"]].gold_turn).items():
            if value is not None:
                found[key].append(value)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-src", type=Path, required=True, help="checkout of 'before'")
    parser.add_argument("--before-data", type=Path, required=True)
    parser.add_argument("--after-data", type=Path, required=True)
    parser.add_argument("--split", default="test", choices=("dev", "test", "all"))
    parser.add_argument("--out", type=Path, default=Path("eval-runs/answer-quality-compare"))
    args = parser.parse_args()

    from curbside.eval.datasets import load_dataset

    questions = [q for q in load_dataset("answers") if args.split in ("all", q.split)]
    items = [{"id": q.id, "question": q.question, "history": q.history} for q in questions]
    gold = {q.id: q for q in questions}
    args.out.mkdir(parents=True, exist_ok=True)
    before, after = args.out / "before.jsonl", args.out / "after.jsonl"
    answer_with(args.before_src, args.before_data, items, before)
    answer_with(None, args.after_data, items, after)
    old, new = scores(before, gold), scores(after, gold)
    print(f"\n{args.split} half of evalsets/answers.jsonl: {len(items)} turns\n")
    print("| metric | target | before | after | n |")
    print("|---|---|---|---|---|")
    for key, label, target in METRICS:
        if not new[key]:
            continue
        print(
            f"| {label} | {target} | {mean(old[key]):.3f} | {mean(new[key]):.3f} "
            f"| {len(new[key])} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
