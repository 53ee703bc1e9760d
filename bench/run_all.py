"""Run every benchmark in sequence (`make bench`); each prints its own tables.

    .venv/bin/python bench/run_all.py [--skip NAME ...]

bench/retrieval_quality.py (owned separately) is run too when present.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "cold_start",
    "embedding_throughput",
    "ingest_throughput",
    "retrieval_latency",
    "ask_latency",
    "server_mode",
    "retrieval_quality",
    "embedding_quality",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[])
    args = parser.parse_args()
    failed = []
    for name in ORDER:
        script = HERE / f"{name}.py"
        if name in args.skip or not script.exists():
            continue
        print(f"\n# {name}\n", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)])
        print(f"\n({name}: exit {code}, {time.perf_counter() - start:.0f} s)", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
