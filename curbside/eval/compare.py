"""Paired comparison of two runs over the questions both answered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curbside.eval.runner import read_results
from curbside.eval.stats import paired_delta_ci
from curbside.eval.summary import METRICS


def compare_results(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    by_a = {r["id"]: r for r in a if not r.get("error")}
    by_b = {r["id"]: r for r in b if not r.get("error")}
    shared = sorted(by_a.keys() & by_b.keys())
    out: dict[str, Any] = {}
    for key, _, _ in METRICS:
        pairs = [(by_a[q]["scores"].get(key), by_b[q]["scores"].get(key)) for q in shared]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        if not pairs:
            continue
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        ci = paired_delta_ci(xs, ys)
        out[key] = {
            "a": sum(xs) / len(xs),
            "b": sum(ys) / len(ys),
            "delta": ci["mean"],
            "low": ci["low"],
            "high": ci["high"],
            "n": ci["n"],
        }
    return {"shared_questions": len(shared), "metrics": out}


def compare_runs(run_a: Path, run_b: Path) -> dict[str, Any]:
    result = compare_results(read_results(run_a), read_results(run_b))
    warnings = []
    summaries = []
    for run in (run_a, run_b):
        path = run / "summary.json"
        summaries.append(json.loads(path.read_text()) if path.exists() else {})
    if summaries[0].get("judge") != summaries[1].get("judge"):
        warnings.append(
            f"the runs used different judges ({summaries[0].get('judge')} vs "
            f"{summaries[1].get('judge')}): support deltas mix judges"
        )
    if any(s.get("self_judged") for s in summaries):
        warnings.append("at least one run is self-judged")
    result["warnings"] = warnings
    return result
