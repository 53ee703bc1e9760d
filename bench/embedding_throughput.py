"""Embedding throughput: ONNX Runtime variants against PyTorch on the same chunk texts.

    .venv/bin/python bench/embedding_throughput.py [--repeats 3] [--chunks 256] [--ingest 1]
        [--variants "onnx,onnx int8"]

Texts: chunks of the bundled corpus, made as the Ingestor makes them. Every variant encodes
the same texts in each repeat, repeats interleaved and the order of variants rotated
between repeats, so a change of machine load hits all of them. The table gives chunks/s
(median), the ratio to PyTorch in the same run, CPU seconds of the process per 100 chunks
(all threads; steadier than wall time on a shared machine) and the smallest cosine to the
PyTorch vectors. With --ingest N it also times N full `Ingestor.run`s of the bundled corpus
per backend (torch, onnx) into fresh embedded stores.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from _common import CACHE, REPO, machine, offline, p50, table
from embedding_common import VARIANTS, chunk_texts, onnx_variants

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder


def time_ingests(torch_embedder: Embedder, runs: int) -> dict[str, list[float]]:
    """chunks/s of full ingests of the bundled corpus into fresh stores: PyTorch as before
    (batch 64), and both backends with the settings' defaults."""
    from curbside.ingest.pipeline import Ingestor
    from curbside.rag.embedding import Embedder
    from curbside.rag.factory import make_store
    from curbside.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="bench-emb-", dir=CACHE if CACHE.exists() else None))
    defaults = Settings().embedding
    backends = {
        "torch, batch 64 (before)": torch_embedder,
        f"torch, default batch {defaults.batch_size}": Embedder.from_settings(
            defaults.model_copy(update={"backend": "torch"})
        ),
        f"onnx (default), batch {defaults.batch_size}": Embedder.from_settings(defaults),
    }
    rates: dict[str, list[float]] = {b: [] for b in backends}
    try:
        for repeat in range(runs):
            for number, (backend, embedder) in enumerate(backends.items()):
                settings = Settings(data_dir=work / f"{number}-{repeat}")
                start = time.perf_counter()
                report = Ingestor(settings, make_store(settings), embedder).run([REPO / "corpus"])
                assert report.ok, report.failures
                rates[backend].append(report.chunks_written / (time.perf_counter() - start))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=256, help="first N corpus chunks")
    parser.add_argument("--ingest", type=int, default=1, help="full ingests per backend")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    args = parser.parse_args()
    offline()

    import numpy as np

    from curbside.rag.embedding import Embedder

    print(f"machine: {machine()}", flush=True)
    torch_embedder = Embedder(backend="torch", batch_size=64)  # the path before ONNX
    started = time.perf_counter()
    torch_embedder.encode(["warm up"])
    torch_load = time.perf_counter() - started
    texts = [t for _, t in chunk_texts([REPO / "corpus"], torch_embedder)][: args.chunks]
    tokens = torch_embedder.count_tokens(texts)
    print(f"{len(texts)} chunks, {np.mean(tokens):.0f} tokens on average (max {max(tokens)})")

    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    started = time.perf_counter()
    torch_16 = Embedder(backend="torch", batch_size=16)  # the same loaded model
    encoders = {
        "torch batch 64 (before)": torch_embedder.encode,
        "torch batch 16": torch_16.encode,
        **onnx_variants(names),
    }
    print(f"load: torch {torch_load:.1f} s, onnx variants {time.perf_counter() - started:.1f} s")
    for encode in encoders.values():
        encode(texts[:8])  # warm up each session

    reference = torch_embedder.encode(texts)
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    cpu: dict[str, list[float]] = {name: [] for name in encoders}
    min_cos: dict[str, float] = {}
    order = list(encoders)
    for repeat in range(args.repeats):
        for name in order[repeat:] + order[:repeat]:  # rotated: no variant always runs last
            encode = encoders[name]
            start, cpu_start = time.perf_counter(), time.process_time()
            vectors = encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - start))
            cpu[name].append(100 * (time.process_time() - cpu_start) / len(texts))
            min_cos[name] = float((vectors * reference).sum(axis=1).min())
        print(f"  repeat {repeat + 1} done | {machine()}", flush=True)

    base = p50(rates["torch batch 64 (before)"])
    table(
        f"Encode throughput ({len(texts)} corpus chunks, median of {args.repeats}, interleaved)",
        ["encoder", "chunks/s", "min", "max", "vs torch", "CPU s/100 chunks", "min cos to torch"],
        [
            [name, p50(r), min(r), max(r), p50(r) / base, p50(cpu[name]), f"{min_cos[name]:.6f}"]
            for name, r in rates.items()
        ],
    )

    if args.ingest:
        ingest_rates = time_ingests(torch_embedder, args.ingest)
        ingest_base = p50(ingest_rates["torch, batch 64 (before)"])
        table(
            f"Ingestor.run, bundled corpus (load+chunk+embed+upsert+BM25), {args.ingest} run(s)",
            ["backend", "chunks/s", "min", "max", "vs torch"],
            [[b, p50(r), min(r), max(r), p50(r) / ingest_base] for b, r in ingest_rates.items()],
        )
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
