"""Ingest throughput: chunks/s of the real Ingestor vs raw Embedder.encode on the same texts.

    .venv/bin/python bench/ingest_throughput.py [--repeats 3] [--pubmedqa N] [--tracemalloc]

Texts: the bundled corpus (and optionally the first N PubMedQA abstracts from
../shared/data/pubmedqa/abstracts.jsonl, skipped when absent). The baseline embeds exactly
the texts the Ingestor embeds (same chunks, same "title + section + text" embedding input),
with the same model object, in the same run; raw and ingest repeats are interleaved so a
change in machine load hits both. Target: ingest >= 0.8x raw.
Peak memory: the process's peak RSS (resource.getrusage) after each phase, and with
--tracemalloc the peak of Python-level allocations during one extra, untimed ingest.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from _common import CACHE, REPO, SHARED_DATA, machine, offline, p50, peak_rss_mb, table


def pubmedqa_folder(n: int, root: Path) -> Path | None:
    source = SHARED_DATA / "pubmedqa" / "abstracts.jsonl"
    if n <= 0 or not source.exists():
        if n > 0:
            print(f"(skipping PubMedQA: {source} not found)")
        return None
    folder = root / "pubmedqa"
    folder.mkdir()
    with source.open() as src, (folder / "abstracts.jsonl").open("w") as dst:
        for i, line in enumerate(src):
            if i >= n:
                break
            dst.write(line)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pubmedqa", type=int, default=0, help="also ingest N PubMedQA abstracts")
    parser.add_argument("--tracemalloc", action="store_true", help="one extra traced ingest")
    args = parser.parse_args()
    offline()

    from curbside.ingest.chunking import chunk_document, embedding_text
    from curbside.ingest.pipeline import Ingestor, IngestReport
    from curbside.rag.factory import make_embedder, make_store
    from curbside.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=CACHE if CACHE.exists() else None))
    try:
        paths = [REPO / "corpus"]
        extra = pubmedqa_folder(args.pubmedqa, work)
        if extra:
            paths.append(extra)

        def settings_for(i: int) -> Settings:
            return Settings(data_dir=work / f"data-{i}")

        t0 = time.perf_counter()
        embedder = make_embedder(settings_for(0))
        embedder.encode(["warm up"])
        load_s = time.perf_counter() - t0
        rss_after_load = peak_rss_mb()

        # The exact texts the Ingestor embeds.
        probe = Ingestor(settings_for(0), make_store(settings_for(0)), embedder)
        planned = probe.plan(paths, IngestReport())
        s = settings_for(0).ingest
        texts = []
        for item in planned:
            for chunk in chunk_document(
                item.document, embedder.count_tokens, s.chunk_tokens, s.chunk_overlap_tokens
            ):
                texts.append(embedding_text(item.document.meta.title, chunk))
        shutil.rmtree(work / "data-0", ignore_errors=True)
        print(f"{len(planned)} sources, {len(texts)} chunks; model load {load_s:.1f} s")

        raw_rates, ingest_rates, ingest_secs = [], [], []
        for r in range(args.repeats):
            start = time.perf_counter()
            embedder.encode(texts)
            raw_rates.append(len(texts) / (time.perf_counter() - start))
            settings = settings_for(r + 1)
            start = time.perf_counter()
            report = Ingestor(settings, make_store(settings), embedder).run(paths)
            wall = time.perf_counter() - start
            assert report.ok and report.chunks_written == len(texts), (
                report.failures,
                report.chunks_written,
            )
            ingest_rates.append(report.chunks_written / wall)
            ingest_secs.append(wall)
            print(
                f"  repeat {r + 1}: raw {raw_rates[-1]:.1f} chunks/s, "
                f"ingest {ingest_rates[-1]:.1f} chunks/s"
            )
        rss_after = peak_rss_mb()

        traced_peak = float("nan")
        if args.tracemalloc:
            import tracemalloc

            settings = settings_for(99)
            tracemalloc.start()
            Ingestor(settings, make_store(settings), embedder).run(paths)
            traced_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()

        raw, ing = p50(raw_rates), p50(ingest_rates)
        out = table(
            f"Ingest throughput ({len(texts)} chunks, median of {args.repeats})",
            ["what", "chunks/s (median)", "min", "max", "ratio vs raw", "target"],
            [
                ["raw Embedder.encode (baseline)", raw, min(raw_rates), max(raw_rates), 1.0, ""],
                [
                    "Ingestor.run (load+chunk+embed+upsert+BM25)",
                    ing,
                    min(ingest_rates),
                    max(ingest_rates),
                    ing / raw,
                    ">= 0.8x " + ("OK" if ing / raw >= 0.8 else "MISSED"),
                ],
            ],
        )
        out += table(
            "Memory",
            ["what", "MB"],
            [
                ["peak RSS after model load", rss_after_load],
                ["peak RSS after all runs", rss_after],
                ["tracemalloc peak during one ingest (Python objects)", traced_peak],
            ],
        )
        print(f"\nmachine: {machine()}")
        (CACHE / "bench-results").mkdir(parents=True, exist_ok=True)
        (CACHE / "bench-results" / "ingest_throughput.json").write_text(
            json.dumps(
                {
                    "chunks": len(texts),
                    "raw_rates": raw_rates,
                    "ingest_rates": ingest_rates,
                    "rss_mb": rss_after,
                    "tracemalloc_mb": traced_peak,
                    "machine": machine(),
                }
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
