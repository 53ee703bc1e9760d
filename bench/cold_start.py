"""Cold start: whole-process wall time and peak RSS of `curbside ask`, torch vs onnx backends.

    .venv/bin/python bench/cold_start.py [--runs 5] [--before-src DIR]

Each run is a new process (`python -m curbside ask QUESTION --data-dir D`, extractive
backend), timed from spawn to exit; peak RSS is the child's own (os.wait4). Variants run
interleaved, run after run. The bundled corpus is ingested once into D (untimed); torch and
fp32 ONNX read the same collection. "Cold" means a new interpreter and fresh model load; the
OS file cache is warm (one untimed run per variant first). `--before-src DIR` adds the code of
another checkout (e.g. `git archive HEAD | tar -x -C DIR`), run with PYTHONPATH=DIR against
its own data dir, as the "before" row. Also times `curbside --help` and records whether each
variant imported torch, sentence-transformers or gradio (`python -X importtime`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import CACHE, REPO, machine, offline, p50, table

QUESTION = "Which drugs are recommended first for painful diabetic neuropathy?"
HEAVY = ("torch", "sentence_transformers", "transformers", "gradio")


@dataclass
class Variant:
    name: str
    env: dict[str, str]
    data_dir: Path
    cwd: Path = REPO  # `python -m` puts the working folder first on sys.path
    walls: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)


def run_timed(variant: Variant, cmd: list[str]) -> tuple[float, float, int, str]:
    """(wall s, peak RSS MB, exit code, stderr tail) of one whole process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        cmd, env=variant.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=variant.cwd
    )
    assert process.stderr is not None
    stderr = process.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, process.returncode, stderr[-2000:]


def ask_cmd(variant: Variant, *extra: str) -> list[str]:
    return [
        sys.executable,
        *extra,
        "-m",
        "curbside",
        "ask",
        QUESTION,
        "--data-dir",
        str(variant.data_dir),
    ]


def ensure_index(variant: Variant) -> None:
    if (variant.data_dir / "chroma").exists():
        return
    print(f"ingesting the bundled corpus for {variant.name} into {variant.data_dir} (untimed)")
    cmd = [sys.executable, "-m", "curbside", "ingest", str(REPO / "corpus")]
    subprocess.run(
        [*cmd, "--data-dir", str(variant.data_dir)], env=variant.env, cwd=variant.cwd, check=True
    )


def heavy_imports(variant: Variant) -> str:
    done = subprocess.run(
        ask_cmd(variant, "-X", "importtime"),
        env=variant.env,
        cwd=variant.cwd,
        capture_output=True,
        text=True,
    )
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    return ", ".join(m for m in HEAVY if m in modules) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before-src", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=CACHE / "bench-cold-start")
    args = parser.parse_args()
    offline()
    base_env = dict(os.environ)
    data = args.data_dir
    variants = []
    if args.before_src:
        src = args.before_src.resolve()
        before_env = {**base_env, "PYTHONPATH": str(src)}
        variants.append(Variant("before (--before-src, torch)", before_env, data / "before", src))
    variants.append(
        Variant("torch backend", {**base_env, "CURBSIDE_EMBEDDING__BACKEND": "torch"}, data / "now")
    )
    variants.append(Variant("onnx backend (default)", base_env, data / "now"))

    print(f"machine: {machine()}", flush=True)
    for variant in variants:
        ensure_index(variant)
        wall, _, code, err = run_timed(variant, ask_cmd(variant))  # warm the file cache
        assert code == 0, f"{variant.name} failed:\n{err}"
    for run in range(args.runs):
        for variant in variants:
            wall, rss, code, err = run_timed(variant, ask_cmd(variant))
            assert code == 0, f"{variant.name} failed:\n{err}"
            variant.walls.append(wall)
            variant.rss_mb.append(rss)
        print(f"  run {run + 1}/{args.runs} | {machine()}", flush=True)

    helps: dict[str, list[float]] = {v.name: [] for v in variants}
    for _ in range(args.runs):
        for variant in variants:
            cmd = [sys.executable, "-m", "curbside", "--help"]
            helps[variant.name].append(run_timed(variant, cmd)[0])

    base = p50(variants[0].walls)
    table(
        f"Cold `curbside ask` (whole process, median of {args.runs}, interleaved)",
        ["variant", "wall s", "min", "max", "vs first row", "peak RSS MB", "`--help` s", "imports"],
        [
            [
                v.name,
                p50(v.walls),
                min(v.walls),
                max(v.walls),
                p50(v.walls) / base,
                max(v.rss_mb),
                p50(helps[v.name]),
                heavy_imports(v),
            ]
            for v in variants
        ],
    )
    print(f"\nquestion: {QUESTION!r}\nmachine: {machine()}")


if __name__ == "__main__":
    main()
