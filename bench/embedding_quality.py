"""Dense retrieval quality per embedding variant on PubMedQA: torch vs ONNX fp32 vs int8.

    .venv/bin/python bench/embedding_quality.py [--distractors 1000] [--questions 500]

The 500 PubMedQA abstracts (gold source 'pmid-<pmid>') plus the first N MedQuAD passages as
distractors are chunked as the Ingestor chunks them; every variant embeds the same chunks and
questions, and ranks sources by exact cosine over all chunks (numpy, no ANN index, no BM25,
no fusion: only the embedding differs between rows). Prints recall@1/5/10, MRR, agreement
of the top-1 source with torch, and encode speed. Vectors are cached under
~/.cache/curbside/bench-embedding-quality, keyed by variant and texts.
Needs ../shared/data/pubmedqa and ../shared/data/medquad (skipped when absent).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

from _common import CACHE, SHARED_DATA, machine, offline, table
from embedding_common import chunk_texts, onnx_variants


def write_jsonl_head(source: Path, target: Path, limit: int) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open(encoding="utf-8") as src:
        lines = [line for _, line in zip(range(limit), src, strict=False)]
    target.write_text("".join(lines), encoding="utf-8")
    return target


def ranks_of_gold(scores, sources: list[str], golds: list[set[str]], depth: int = 10):  # type: ignore[no-untyped-def]
    """1-based rank of the first gold source among distinct ranked sources, None if absent."""
    import numpy as np

    ranks: list[int | None] = []
    top1: list[str] = []
    for row, gold in zip(scores, golds, strict=True):
        order = np.argsort(-row)
        seen: list[str] = []
        for index in order:
            sid = sources[index]
            if sid not in seen:
                seen.append(sid)
                if len(seen) == depth:
                    break
        top1.append(seen[0])
        ranks.append(next((i for i, s in enumerate(seen, start=1) if s in gold), None))
    return ranks, top1


def recall(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / max(1, len(ranks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distractors", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--variants", default="onnx,onnx int8", help="ONNX variants vs torch")
    args = parser.parse_args()
    offline()
    pubmedqa = SHARED_DATA / "pubmedqa"
    medquad = SHARED_DATA / "medquad" / "passages.jsonl"
    if not pubmedqa.exists() or not medquad.exists():
        print(f"skipped: {pubmedqa} or {medquad} not found")
        return

    import numpy as np

    from curbside.rag.embedding import Embedder

    work = CACHE / "bench-embedding-quality"
    distractors = write_jsonl_head(medquad, work / "inputs" / "medquad.jsonl", args.distractors)
    torch_embedder = Embedder(backend="torch")
    chunks = chunk_texts([pubmedqa / "abstracts.jsonl", distractors], torch_embedder)
    sources = [sid for sid, _ in chunks]
    texts = [text for _, text in chunks]
    rows = [json.loads(line) for line in (pubmedqa / "questions.jsonl").open(encoding="utf-8")]
    rows = rows[: args.questions]
    questions = [r["question"] for r in rows]
    golds = [{f"pmid-{p}" for p in r["gold_pmids"]} for r in rows]
    assert any(s in sources for s in golds[0]), "gold source ids do not match the chunk ids"
    key = hashlib.sha256("\0".join(texts + questions).encode()).hexdigest()[:12]
    print(f"{len(set(sources))} sources, {len(texts)} chunks, {len(questions)} questions")
    print(f"machine: {machine()}", flush=True)

    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    encoders = {"torch": torch_embedder.encode, **onnx_variants(names)}
    results = []
    top1_torch: list[str] = []
    for name, encode in encoders.items():
        cached = work / f"{name.replace(' ', '_')}-{key}.npz"
        if cached.exists():
            data = np.load(cached)
            chunk_vecs, question_vecs, rate = data["c"], data["q"], float(data["rate"])
        else:
            encode(texts[:8])  # load and warm up outside the timing
            start = time.perf_counter()
            chunk_vecs = encode(texts)
            rate = len(texts) / (time.perf_counter() - start)
            question_vecs = encode(questions)
            np.savez(cached, c=chunk_vecs, q=question_vecs, rate=rate)
        ranks, top1 = ranks_of_gold(question_vecs @ chunk_vecs.T, sources, golds)
        top1_torch = top1_torch or top1
        agree = sum(a == b for a, b in zip(top1, top1_torch, strict=True)) / len(top1)
        mrr = sum(1.0 / r for r in ranks if r is not None) / len(ranks)
        results.append(
            [name, recall(ranks, 1), recall(ranks, 5), recall(ranks, 10), mrr, agree, rate]
        )
        print(f"  {name} done | {machine()}", flush=True)

    base = results[0]
    table(
        f"PubMedQA dense retrieval ({len(questions)} questions, {len(set(sources))} sources, "
        f"{len(texts)} chunks, exact cosine)",
        ["embedder", "R@1", "R@5", "R@10", "MRR", "top-1 = torch", "dR@1", "dR@5", "chunks/s"],
        [[*r[:6], r[1] - base[1], r[2] - base[2], r[6]] for r in results],
    )
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
