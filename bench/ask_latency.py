"""Warm end-to-end answer latency per stage, time to first streamed event, and CLI start-up.

    .venv/bin/python bench/ask_latency.py [--repeats 2]

- AnswerEngine.ask with the extractive default on the bundled corpus (ingested once into
  ~/.cache/curbside/bench-ask, re-used on later runs), 20 questions x --repeats after one
  warm-up pass: median and p95 of each stage in Answer.timings, and each stage's share of
  the total (the baseline of that table).
- AnswerEngine.stream: time to the first event (the "Searching for" status) and to the first
  draft text.
- `curbside --help` start-up (subprocess, median of 5; target < 1 s) vs `python -c pass`
  (the interpreter's own start-up, the baseline) in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _common import CACHE, REPO, machine, offline, p50, p95, table

QUESTIONS = [
    "What is the first-line treatment for painful diabetic neuropathy?",
    "Which drug is recommended for chemotherapy-induced peripheral neuropathy pain?",
    "What are the classification criteria for primary Sjogren syndrome?",
    "How is ANCA-associated vasculitis treated?",
    "What are the classification criteria for systemic sclerosis?",
    "Does an ankle-foot orthosis help foot drop after stroke?",
    "When is surgery indicated for sciatica from lumbar disc herniation?",
    "What is Charcot-Marie-Tooth disease?",
    "Can foot drop occur in connective tissue diseases?",
    "How is neuropsychiatric lupus managed?",
    "What laboratory tests are recommended for distal symmetric polyneuropathy?",
    "Is gabapentin effective for neuropathic pain?",
    "How is chronic inflammatory demyelinating polyneuropathy treated?",
    "What is mixed connective tissue disease?",
    "How is vasculitic neuropathy diagnosed?",
    "Does functional electrical stimulation help drop foot?",
    "How should diabetic foot ulcers be prevented?",
    "What are the EULAR recommendations for systemic lupus erythematosus?",
    "Is rituximab as effective as cyclophosphamide for ANCA vasculitis?",
    "How is peripheral neuropathy in Sjogren syndrome treated?",
]
STAGES = ["condense", "retrieve", "first_text", "draft", "enforce", "total"]


def startup(cmd: list[str], n: int = 5) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    offline()

    # Start-up first, before this process loads torch, so its threads do not compete.
    bin_dir = Path(sys.executable).parent
    cli = (
        [str(bin_dir / "curbside"), "--help"]
        if (bin_dir / "curbside").exists()
        else [sys.executable, "-m", "curbside", "--help"]
    )
    python_pass = startup([sys.executable, "-c", "pass"])
    cli_help = startup(cli)

    from curbside.ingest.pipeline import Ingestor
    from curbside.rag.factory import make_embedder, make_engine, make_store
    from curbside.settings import Settings

    settings = Settings(data_dir=CACHE / "bench-ask" / "data")
    embedder = make_embedder(settings)
    report = Ingestor(settings, make_store(settings), embedder).run([REPO / "corpus"])
    print(f"index: {report.count('unchanged')} unchanged, {report.count('added')} added sources")
    engine = make_engine(settings, embedder=embedder)
    for q in QUESTIONS:  # warm-up: model, caches, BM25 index
        engine.ask(q)

    stage_times: dict[str, list[float]] = {s: [] for s in STAGES}
    walls, first_event, first_draft = [], [], []
    not_covered = 0
    for _ in range(args.repeats):
        for q in QUESTIONS:
            start = time.perf_counter()
            answer = engine.ask(q)
            walls.append(time.perf_counter() - start)
            not_covered += answer.not_covered
            for s in STAGES:
                if s in answer.timings:
                    stage_times[s].append(answer.timings[s] * 1000)
        for q in QUESTIONS:
            start = time.perf_counter()
            got_first = False
            for event in engine.stream(q):
                if not got_first:
                    first_event.append((time.perf_counter() - start) * 1000)
                    got_first = True
                if event.kind == "draft":
                    first_draft.append((time.perf_counter() - start) * 1000)
                    break

    total = p50(stage_times["total"])
    rows = [
        [
            s,
            len(stage_times[s]),
            p50(stage_times[s]),
            p95(stage_times[s]),
            p50(stage_times[s]) / total,
        ]
        for s in STAGES
        if stage_times[s]
    ]
    rows.append(
        [
            "wall clock of ask()",
            len(walls),
            p50(walls) * 1000,
            p95(walls) * 1000,
            p50(walls) * 1000 / total,
        ]
    )
    rows.append(
        [
            "stream: first event (status)",
            len(first_event),
            p50(first_event),
            p95(first_event),
            p50(first_event) / total,
        ]
    )
    rows.append(
        [
            "stream: first draft text",
            len(first_draft),
            p50(first_draft),
            p95(first_draft),
            p50(first_draft) / total,
        ]
    )
    table(
        f"AnswerEngine.ask, extractive, bundled corpus "
        f"({len(QUESTIONS)} questions x {args.repeats}; "
        f"{not_covered} not-covered answers)",
        ["stage", "n", "p50 ms", "p95 ms", "share of total p50"],
        rows,
    )
    ratio = p50(cli_help) / p50(python_pass)
    table(
        "Start-up (subprocess, median of 5)",
        ["command", "median s", "max s", "ratio vs python -c pass", "target"],
        [
            ["python -c pass (baseline)", p50(python_pass), max(python_pass), 1.0, ""],
            [
                "curbside --help",
                p50(cli_help),
                max(cli_help),
                ratio,
                "< 1 s " + ("OK" if p50(cli_help) < 1 else "MISSED"),
            ],
        ],
    )
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
