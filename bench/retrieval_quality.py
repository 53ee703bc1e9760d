"""Retrieval quality on PubMedQA: recall@1/5/10 and MRR for dense, BM25 and fused retrieval.

The 500 PubMedQA abstracts are the targets (gold source id 'pmid-<pmid>'); MedQuAD passages
are distractors. Everything is ingested once into a cached data dir and reused.

    .venv/bin/python bench/retrieval_quality.py                      # full: 16,407 distractors
    .venv/bin/python bench/retrieval_quality.py --distractors 2000 --data-dir /tmp/bench-2000
    .venv/bin/python bench/retrieval_quality.py --answers 50         # + enforcement repair share

Prints a table per retriever and a sweep of the BM25 weight in fusion (the default of
RetrievalSettings.bm25_weight is set from this table).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))


def load_questions(path: Path, limit: int | None) -> list[dict]:
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return rows[:limit] if limit else rows


def write_distractors(source: Path, target: Path, limit: int | None) -> Path:
    """MedQuAD passages, the first `limit` of them (all when None), as a JSONL file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [ln for ln in source.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if limit is not None:
        lines = lines[:limit]
    text = "\n".join(lines) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def ranked_sources(hits) -> list[str]:  # type: ignore[no-untyped-def]
    """Chunk hits -> source ids, first occurrence kept, in rank order."""
    return list(dict.fromkeys(passage.source_id for passage, _ in hits))


def metrics(ranks: list[int | None], cutoffs: tuple[int, ...] = (1, 5, 10)) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"R@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in cutoffs}
    out["MRR"] = sum(1.0 / r for r in ranks if r is not None) / n
    return out


def evaluate(retriever, questions: list[dict], mode: str, top_k: int = 10) -> dict[str, float]:  # type: ignore[no-untyped-def]
    ranks: list[int | None] = []
    started = time.perf_counter()
    for q in questions:
        hits, _ = retriever.search(q["question"], mode=mode, diverse=False, top_k=top_k)
        order = ranked_sources(hits)
        gold = {f"pmid-{p}" for p in q["gold_pmids"]}
        rank = next((i for i, sid in enumerate(order, start=1) if sid in gold), None)
        ranks.append(rank)
    result = metrics(ranks)
    result["ms/q"] = 1000 * (time.perf_counter() - started) / max(1, len(questions))
    return result


def print_table(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    cols = ["R@1", "R@5", "R@10", "MRR", "ms/q"]
    print(f"| {'retriever':<22} | " + " | ".join(f"{c:>6}" for c in cols) + " |")
    print("|" + "-" * 24 + "|" + "|".join("-" * 8 for _ in cols) + "|")
    for name, m in rows:
        print(
            f"| {name:<22} | "
            + " | ".join(f"{m[c]:6.1f}" if c == "ms/q" else f"{m[c]:6.3f}" for c in cols)
            + " |"
        )
    sys.stdout.flush()


def repair_share(engine, questions: list[dict]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Share of draft claim sentences that enforcement re-cited or dropped."""
    claims = recited = dropped = uncited_removed = answers = not_covered = 0
    started = time.perf_counter()
    for q in questions:
        answer = engine.ask(q["question"])
        answers += 1
        not_covered += int(answer.not_covered)
        claims += sum(1 for s in answer.draft_sentences if s.is_claim)
        recited += sum(1 for r in answer.repairs if r.action == "recited")
        dropped += sum(1 for r in answer.repairs if r.action == "dropped")
        uncited_removed += sum(
            1
            for r in answer.repairs
            if r.action in ("removed_invalid_citation", "removed_unsupporting_citation")
        )
    return {
        "answers": answers,
        "not_covered": not_covered,
        "draft_claims": claims,
        "recited": recited,
        "dropped": dropped,
        "citations_removed": uncited_removed,
        "repaired_share": (recited + dropped) / claims if claims else 0.0,
        "recited_share": recited / claims if claims else 0.0,
        "dropped_share": dropped / claims if claims else 0.0,
        "s/answer": (time.perf_counter() - started) / max(1, answers),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path("~/.cache/curbside/bench-pubmedqa").expanduser()
    )
    parser.add_argument(
        "--distractors",
        type=int,
        default=None,
        help="Use only the first N MedQuAD passages (default: all 16,407).",
    )
    parser.add_argument(
        "--questions", type=int, default=None, help="Use only the first N questions."
    )
    parser.add_argument("--weights", default="0,0.3,0.6,1.0", help="bm25_weight values to sweep.")
    parser.add_argument(
        "--answers",
        type=int,
        default=0,
        help="Also answer N questions (extractive) and report enforcement repairs.",
    )
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args(argv)

    from curbside.offline import apply_offline_env

    apply_offline_env()
    from curbside.ingest.pipeline import Ingestor
    from curbside.rag.factory import make_embedder, make_engine, make_store
    from curbside.settings import Settings

    data_dir: Path = args.data_dir.expanduser()
    # MedQuAD's passages.jsonl is 26 MB, above the default 20 MB per-file limit.
    settings = Settings(data_dir=data_dir, ingest={"max_file_mb": 200})
    embedder = make_embedder(settings)
    abstracts = SHARED / "pubmedqa" / "abstracts.jsonl"
    questions = load_questions(SHARED / "pubmedqa" / "questions.jsonl", args.questions)

    if not args.skip_ingest:
        distractors = write_distractors(
            SHARED / "medquad" / "passages.jsonl",
            data_dir / "inputs" / "medquad.jsonl",
            args.distractors,
        )
        started = time.perf_counter()
        report = Ingestor(settings, make_store(settings), embedder).run(
            [abstracts, distractors], prune=True
        )
        print(
            f"ingest: added {report.count('added')} updated {report.count('updated')} "
            f"unchanged {report.count('unchanged')} removed {report.count('removed')} "
            f"failed {len(report.failures)} chunks {report.chunks_written} "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        for failure in report.failures[:5]:
            print(f"  failed {failure.where}: {failure.reason}", flush=True)

    engine = make_engine(settings, embedder=embedder)
    retriever = engine.retriever
    sources, chunks = engine.corpus_size()
    print(
        f"index: {sources} sources, {chunks} chunks; {len(questions)} questions; "
        f"distractors: {args.distractors or 'all'}",
        flush=True,
    )

    default_weight = settings.retrieval.bm25_weight
    rows = [
        ("dense", evaluate(retriever, questions, "dense")),
        ("bm25", evaluate(retriever, questions, "bm25")),
        (f"fused (bm25_w={default_weight:g})", evaluate(retriever, questions, "hybrid")),
    ]
    print_table("Retrieval on PubMedQA (gold = the question's abstract), top 10 sources", rows)

    sweep = []
    for weight in [float(w) for w in args.weights.split(",") if w.strip()]:
        retriever.settings.bm25_weight = weight
        sweep.append((f"fused bm25_w={weight:g}", evaluate(retriever, questions, "hybrid")))
    retriever.settings.bm25_weight = default_weight
    print_table(
        f"Fusion sweep over bm25_weight (dense_weight=1, rrf_k={settings.retrieval.rrf_k})", sweep
    )

    if args.answers:
        result = repair_share(engine, questions[: args.answers])
        print("\nEnforcement on extractive drafts:", json.dumps(result, indent=1), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
