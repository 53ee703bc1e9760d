"""Retrieval against a real `chroma run` server, and N concurrent clients.

    .venv/bin/python bench/server_mode.py [--size 10000] [--queries 20] [--repeats 2]

Starts `chroma run --path TMP --host 127.0.0.1 --port FREE` (loopback only), uploads a
--size chunk collection built the same way as bench/retrieval_latency.py (real MedQuAD and
PubMedQA texts; real vectors for the first --real texts, the rest those vectors plus small
Gaussian noise, re-normalised: latency depends on count and dimension, not meaning), then:
- single client: dense / BM25 / fused (HybridRetriever.search, precomputed query vector) vs
  the naive langchain_chroma similarity_search baseline over the same HttpClient, and the
  fused path on the embedded cached collection of retrieval_latency.py when it exists;
- 1, 4 and 8 client threads sharing one retriever (as the UI's sessions do), each running
  --queries fused searches: throughput (queries/s), p50/p95, ratio vs 1 thread.
The BM25 side is built from the server's chunks and cached in a local index dir, as
curbside does in server mode. The server is stopped with SIGTERM at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from _common import machine, offline, p50, p95, table
from retrieval_latency import (
    CANDIDATES,
    PrecomputedQueries,
    base_vectors,
    measure,
    open_collection,
    questions,
    real_texts,
    synthetic_batch,
    with_expanded,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"
    log = (path.parent / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 60
    while True:
        try:
            with opener.open(f"{url}/api/v2/heartbeat", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"chroma run did not start on {url}")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--real", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=20, help="fused queries per client thread")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    offline()

    from langchain_chroma import Chroma

    from curbside.rag.factory import make_embedder, make_store
    from curbside.rag.retrieval import HybridRetriever
    from curbside.settings import RetrievalSettings, Settings

    embedder = make_embedder(Settings())
    embedder.encode(["warm up"])
    texts = real_texts()
    n_real = min(args.real, len(texts))
    base = base_vectors(texts, n_real, embedder)
    qs = questions()
    qvec = with_expanded({q: embedder.embed_query(q) for q in qs}, embedder)

    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    proc, url = start_server(work / "db")
    try:
        settings = Settings(
            data_dir=work / "data", chroma_url=url, store={"collection_prefix": "bench"}
        )
        store = make_store(settings)
        start = time.perf_counter()
        step = 1000
        for s in range(0, args.size, step):
            e = min(s + step, args.size)
            rows = [texts[i % len(texts)] for i in range(s, e)]
            store.collection.upsert(**synthetic_batch(rows, s, base))
        upload_s = time.perf_counter() - start
        print(
            f"uploaded {args.size:,} chunks over HTTP in {upload_s:.0f} s "
            f"({args.size / upload_s:.0f} chunks/s)"
        )
        retriever = HybridRetriever(
            store, PrecomputedQueries(qvec), RetrievalSettings(), settings.index_dir
        )  # type: ignore[arg-type]
        start = time.perf_counter()
        retriever.lexical()
        print(
            f"BM25 index rebuilt from the server's chunks in {time.perf_counter() - start:.1f} s "
            f"(cached at {settings.index_dir})"
        )
        naive = Chroma(
            collection_name=store.collection_name, client=store.client, embedding_function=embedder
        )

        results = {
            "baseline: langchain similarity_search (embeds query)": measure(
                "b", lambda q: naive.similarity_search(q, k=8), qs, args.repeats
            ),
            "baseline: langchain similarity_search_by_vector": measure(
                "bv", lambda q: naive.similarity_search_by_vector(qvec[q], k=8), qs, args.repeats
            ),
            "dense: ChunkStore.query over HTTP": measure(
                "d", lambda q: store.query(qvec[q], CANDIDATES), qs, args.repeats
            ),
            "bm25: local index of the server's chunks": measure(
                "l", lambda q: retriever.bm25(q, CANDIDATES), qs, args.repeats
            ),
            "fused: HybridRetriever.search over HTTP": measure(
                "f", lambda q: retriever.search(q), qs, args.repeats
            ),
        }
        cached = (
            Path.home()
            / ".cache"
            / "curbside"
            / "bench-latency"
            / f"chroma-{args.size}-real{n_real}"
            / "COMPLETE"
        )
        if cached.exists():
            _, estore, eindex = open_collection(args.size, n_real, texts, base)
            eret = HybridRetriever(estore, PrecomputedQueries(qvec), RetrievalSettings(), eindex)  # type: ignore[arg-type]
            results["fused: same size, embedded PersistentClient"] = measure(
                "e", lambda q: eret.search(q), qs, args.repeats
            )
        b = p50(results["baseline: langchain similarity_search (embeds query)"])
        table(
            f"Server mode, one client, {args.size:,} chunks "
            f"(ms; {len(qs)} questions x {args.repeats})",
            ["what", "p50 ms", "p95 ms", "ratio vs baseline p50"],
            [[k, p50(v), p95(v), p50(v) / b] for k, v in results.items()],
        )

        rows = []
        base_qps = None
        for n in args.threads:
            lat: list[float] = []
            lock = threading.Lock()
            errors: list[BaseException] = []

            def client(seed: int) -> None:
                mine = []
                try:
                    for i in range(args.queries):
                        q = qs[(seed + i) % len(qs)]
                        t = time.perf_counter()
                        retriever.search(q)
                        mine.append((time.perf_counter() - t) * 1000)
                except BaseException as exc:
                    errors.append(exc)  # noqa: B023 - threads are joined in this iteration
                with lock:  # noqa: B023
                    lat.extend(mine)  # noqa: B023

            threads = [threading.Thread(target=client, args=(k,)) for k in range(n)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            qps = len(lat) / wall
            base_qps = base_qps or qps
            rows.append([n, len(lat), len(errors), qps, p50(lat), p95(lat), qps / base_qps])
        table(
            "Server mode, concurrent clients (fused search, shared retriever, loopback)",
            [
                "threads",
                "queries",
                "errors",
                "queries/s",
                "p50 ms",
                "p95 ms",
                "throughput vs 1 thread",
            ],
            rows,
        )
        print(f"\nmachine: {machine()}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
