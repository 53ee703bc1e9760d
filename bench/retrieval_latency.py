"""Retrieval latency at 10k and 100k chunks: dense, BM25 and fused vs a naive LangChain baseline.

    .venv/bin/python bench/retrieval_latency.py [--sizes 10000 100000] [--real 1000] [--repeats 3]

HOW THE COLLECTIONS ARE MADE (read this before quoting the figures)
Embedding 100k real chunks is impossible here (~15 chunks/s on 2 shared cores: ~2 h). The
texts are real: MedQuAD passages and PubMedQA abstracts (../shared/data), cut into windows of
~120 words. Only the first --real texts (default 1000) get real all-MiniLM-L6-v2 vectors; every
other chunk's vector is one of those real vectors plus small Gaussian noise (sigma 0.01 per
dimension), re-normalised. Search latency depends on the number of vectors, their dimension
and the index (HNSW), not on what the vectors mean, so the timings are representative; the
*rankings* are not meaningful and no quality figure is taken from these collections. Texts
are reused cyclically when the corpus has fewer windows than chunks (so BM25 sees duplicates
at 100k).

Everything is cached under ~/.cache/curbside/bench-latency (vectors, Chroma collections, BM25
indexes), so a re-run only measures.

What is timed, per query (20 real questions x --repeats, after one warm-up pass):
- dense: ChunkStore.query (Chroma HNSW query, 50 candidates, with documents and metadata);
- bm25: HybridRetriever.bm25 (curbside.rag.lexical, 50 candidates);
- fused: HybridRetriever.search, the whole retrieval path (dense + BM25 + fetch of BM25-only
  chunks + RRF + diversity), with the query vector precomputed; the query embedding is
  reported on its own row;
- baseline: langchain_chroma.Chroma(collection_name, client, embedding_function=Embedder)
  .similarity_search(q, k=8), the naive LangChain way (it embeds the query inside), and the
  same via similarity_search_by_vector (no embedding) for a like-for-like comparison.
Target: fused p95 <= 50 ms at 100k.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from _common import CACHE, SHARED_DATA, machine, offline, p50, p95, table

from curbside.rag.expansion import expand_query

ROOT = CACHE / "bench-latency"
WINDOW_WORDS = 120
NOISE_SIGMA = 0.01
CANDIDATES = 50


def real_texts() -> list[tuple[str, str, str]]:
    """(source id, title, text window) from MedQuAD and PubMedQA, in file order."""
    out: list[tuple[str, str, str]] = []
    medquad = SHARED_DATA / "medquad" / "passages.jsonl"
    pubmedqa = SHARED_DATA / "pubmedqa" / "abstracts.jsonl"
    for path, kind in ((pubmedqa, "pubmedqa"), (medquad, "medquad")):
        if not path.exists():
            print(f"(missing {path}; skipped)")
            continue
        for line in path.open():
            row = json.loads(line)
            sid = f"{kind}-{row.get('id') or row.get('pmid')}"
            title = str(row.get("focus") or row.get("question") or row.get("title") or "")[:200]
            words = str(row.get("text") or "").split()
            for start in range(0, max(len(words), 1), WINDOW_WORDS):
                piece = " ".join(words[start : start + WINDOW_WORDS])
                if len(piece) > 40:
                    out.append((sid, title, piece))
    if not out:
        raise SystemExit("no texts: ../shared/data/{medquad,pubmedqa} are needed")
    return out


def questions() -> list[str]:
    found = []
    path = SHARED_DATA / "pubmedqa" / "questions.jsonl"
    if path.exists():
        for line in path.open():
            q = json.loads(line).get("question")
            if q:
                found.append(str(q))
            if len(found) == 10:
                break
    found += [
        "What is the first-line treatment for painful diabetic neuropathy?",
        "How is acute lymphoblastic leukemia treated in adults?",
        "What are the symptoms of glaucoma?",
        "Does duloxetine help chemotherapy-induced peripheral neuropathy?",
        "What causes foot drop?",
        "How is ANCA-associated vasculitis treated?",
        "What are the risk factors for breast cancer?",
        "Is mammography screening effective in women over 70?",
        "How is type 2 diabetes diagnosed?",
        "What are the side effects of gabapentin?",
    ]
    return found[:20]


def base_vectors(texts: list[tuple[str, str, str]], n_real: int, embedder: Any) -> Any:
    import numpy as np

    path = ROOT / f"real-vectors-{n_real}.npy"
    if path.exists():
        return np.load(path)
    print(f"embedding {n_real} real texts (one-off, cached) ...", flush=True)
    start = time.perf_counter()
    vectors = embedder.encode([t for _, _, t in texts[:n_real]])
    print(f"  {n_real / (time.perf_counter() - start):.1f} texts/s", flush=True)
    ROOT.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def synthetic_vectors(base: Any, start: int, stop: int) -> Any:
    import numpy as np

    rng = np.random.default_rng(start)  # deterministic per batch
    idx = np.arange(start, stop) % len(base)
    vectors = base[idx].copy()
    synthetic = np.arange(start, stop) >= len(base)
    vectors[synthetic] += rng.normal(0, NOISE_SIGMA, vectors[synthetic].shape).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def open_collection(
    size: int, n_real: int, texts: list[tuple[str, str, str]], base: Any
) -> tuple[Any, Any, Path]:
    """(client, ChunkStore, index_dir) of a cached collection with `size` chunks."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from curbside.rag.store import ChunkStore

    folder = ROOT / f"chroma-{size}-real{n_real}"
    client = chromadb.PersistentClient(
        path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
    )
    store = ChunkStore(client, f"bench-{size}", str(folder))
    done = folder / "COMPLETE"
    if not done.exists() or store.count() != size:
        fill(store, size, texts, base, client.get_max_batch_size())
        done.write_text(str(size))
    return client, store, ROOT / f"index-{size}-real{n_real}"


def synthetic_batch(rows: list[tuple[str, str, str]], start: int, base: Any) -> dict[str, Any]:
    """Upsert arguments for chunks start..start+len(rows): real texts, synthetic vectors."""
    stop = start + len(rows)
    numbered = list(zip(range(start, stop), rows, strict=True))
    return {
        "ids": [f"{sid}::{i:07d}" for i, (sid, _, _) in numbered],
        "embeddings": synthetic_vectors(base, start, stop),
        "documents": [text for _, _, text in rows],
        "metadatas": [
            {
                "source_id": sid,
                "title": title,
                "kind": "research",
                "year": 2000 + i % 25,
                "section": "",
                "position": i,
            }
            for i, (sid, title, _) in numbered
        ],
    }


def fill(
    store: Any, size: int, texts: list[tuple[str, str, str]], base: Any, max_batch: int
) -> None:
    print(f"building a {size:,}-chunk collection (one-off, cached) ...", flush=True)
    started = time.perf_counter()
    step = min(4000, max_batch)
    have = store.count()
    for start in range(have - have % step, size, step):
        stop = min(start + step, size)
        rows = [texts[i % len(texts)] for i in range(start, stop)]
        store._call("upsert", store.collection.upsert, **synthetic_batch(rows, start, base))
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def with_expanded(vectors: dict[str, list[float]], embedder: Any) -> dict[str, list[float]]:
    """Add vectors of the thesaurus-expanded questions: fused search embeds those too."""
    for question in list(vectors):
        expanded = expand_query(question)
        if expanded != question and expanded not in vectors:
            vectors[expanded] = embedder.embed_query(expanded)
    return vectors


class PrecomputedQueries:
    """Stands in for the Embedder in HybridRetriever: returns precomputed query vectors."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]


def measure(label: str, fn: Any, qs: list[str], repeats: int) -> list[float]:
    for q in qs:  # warm-up
        fn(q)
    times = []
    for _ in range(repeats):
        for q in qs:
            start = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - start) * 1000)
    return times


def bench_size(
    size: int,
    client: Any,
    store: Any,
    index_dir: Path,
    embedder: Any,
    qs: list[str],
    qvec: dict[str, list[float]],
    repeats: int,
) -> list[list[Any]]:
    from langchain_chroma import Chroma

    from curbside.rag.retrieval import HybridRetriever
    from curbside.settings import RetrievalSettings

    retriever = HybridRetriever(store, PrecomputedQueries(qvec), RetrievalSettings(), index_dir)  # type: ignore[arg-type]
    start = time.perf_counter()
    retriever.lexical()  # build (first time) or load the cached BM25 index
    print(f"  BM25 index ready in {time.perf_counter() - start:.1f} s", flush=True)
    naive = Chroma(
        collection_name=store.collection_name, client=client, embedding_function=embedder
    )

    results = {
        "baseline: langchain similarity_search (embeds query)": measure(
            "baseline", lambda q: naive.similarity_search(q, k=8), qs, repeats
        ),
        "baseline: langchain similarity_search_by_vector": measure(
            "baseline-vec", lambda q: naive.similarity_search_by_vector(qvec[q], k=8), qs, repeats
        ),
        "dense: ChunkStore.query (50 cand.)": measure(
            "dense", lambda q: store.query(qvec[q], CANDIDATES), qs, repeats
        ),
        "bm25: HybridRetriever.bm25 (50 cand.)": measure(
            "bm25", lambda q: retriever.bm25(q, CANDIDATES), qs, repeats
        ),
        "fused: HybridRetriever.search (precomputed vector)": measure(
            "fused", lambda q: retriever.search(q), qs, repeats
        ),
    }
    base = p50(results["baseline: langchain similarity_search (embeds query)"])
    rows = []
    for name, times in results.items():
        target = ""
        if name.startswith("fused") and size >= 100_000:
            target = "p95 <= 50 ms " + ("OK" if p95(times) <= 50 else "MISSED")
        rows.append([f"{size:,}", name, p50(times), p95(times), p50(times) / base, target])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--real", type=int, default=1000, help="texts with real vectors")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    offline()

    from curbside.rag.factory import make_embedder
    from curbside.settings import Settings

    embedder = make_embedder(Settings())
    embedder.encode(["warm up"])
    texts = real_texts()
    n_real = min(args.real, len(texts))
    print(f"{len(texts):,} real text windows; {n_real} with real vectors")
    base = base_vectors(texts, n_real, embedder)
    qs = questions()
    embed_times = []
    qvec: dict[str, list[float]] = {}
    for q in qs:
        start = time.perf_counter()
        qvec[q] = embedder.embed_query(q)
        embed_times.append((time.perf_counter() - start) * 1000)

    with_expanded(qvec, embedder)  # the second query embedding, excluded like the first
    rows: list[list[Any]] = [
        [
            "-",
            "query embedding (Embedder.embed_query, excluded from fused)",
            p50(embed_times),
            p95(embed_times),
            float("nan"),
            "",
        ]
    ]
    for size in args.sizes:
        client, store, index_dir = open_collection(size, n_real, texts, base)
        rows += bench_size(size, client, store, index_dir, embedder, qs, qvec, args.repeats)
    table(
        f"Retrieval latency, ms ({len(qs)} questions x {args.repeats} repeats; "
        "ratio = p50 / baseline p50)",
        ["chunks", "what", "p50 ms", "p95 ms", "ratio vs baseline", "target"],
        rows,
    )
    print(f"\nmachine: {machine()}")
    print(
        f"vectors: {n_real} real + the rest synthetic "
        f"(real vector + N(0, {NOISE_SIGMA}) noise, re-normalised)"
    )


if __name__ == "__main__":
    main()
