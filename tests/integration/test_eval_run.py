"""`curbside eval run` and `curbside eval calibrate` end to end, through the CLI in a
subprocess, on the bundled corpus ingested into a private data dir (conftest's
``corpus_index_copy``) and on ExpertQA from ../shared/data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def curbside(
    args: list[str], data_dir: Path, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CURBSIDE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "curbside", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _unit_interval(value: Any) -> bool:
    return value is None or 0.0 <= value <= 1.0


def test_eval_run_bundled_writes_valid_outputs_and_resumes(
    corpus_index_copy: Any, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    args = [
        "eval",
        "run",
        "--dataset",
        "bundled",
        "--backend",
        "extractive",
        "--limit",
        "5",
        "--out",
        str(out),
        "--quiet",
    ]
    first = curbside(args, corpus_index_copy.data_dir)
    assert first.returncode == 0, first.stderr[-3000:]

    lines = (out / "results.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 5 and len({r["id"] for r in records}) == 5
    for record in records:
        assert record["error"] is None
        assert record["answer"]["question"] == record["question"]
        assert all(
            _unit_interval(v)
            for k, v in record["scores"].items()
            if k not in ("claims", "citations", "predicted_label")
        )
        assert record["scores"]["invalid_citation_rate_after"] in (0.0, None)
        assert "total" in record["timings"]

    summary = json.loads((out / "summary.json").read_text())
    assert summary["questions"] == 5 and summary["judge"] == "offline-signals"
    assert summary["self_judged"] is True and summary["settings_hash"]
    assert summary["index"]["chunks"] > 0 and summary["index"]["collection"]
    for key, value in summary["metrics"].items():
        assert _unit_interval(value["mean"]), key
        assert value["low"] <= value["mean"] <= value["high"], key
    assert summary["metrics"]["invalid_citation_rate_after"]["mean"] == 0.0
    assert summary["metrics"]["recall@10"]["mean"] > 0.5  # the bundled set's gold is in the index
    html = (out / "report.html").read_text()
    assert "offline-signals" in html and "SELF-JUDGED" in html and "<svg" in html
    assert "ALCE" in (out / "report.md").read_text()

    again = curbside(args, corpus_index_copy.data_dir)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resuming: 5 of 5" in again.stderr
    assert (
        out / "results.jsonl"
    ).read_text().splitlines() == lines  # nothing redone, no duplicates


@pytest.mark.shared_data
def test_calibrate_on_expertqa(shared_file: Callable[[str], Path], tmp_path: Path) -> None:
    source = shared_file("expertqa/medicine_val.jsonl")
    subset = tmp_path / "expertqa_subset.jsonl"  # 6 records keep the test within minutes
    subset.write_text("".join(source.read_text(encoding="utf-8").splitlines(keepends=True)[:6]))
    data_dir = tmp_path / "data"
    args = ["eval", "calibrate", "--data", str(subset), "--folds", "3"]
    guarded = curbside([*args, "--min-kappa", "1.01"], data_dir)  # nothing reaches kappa > 1
    assert guarded.returncode == 0, guarded.stderr[-3000:]
    assert not (data_dir / "scorer_weights.json").exists()
    assert json.loads((data_dir / "scorer_weights.candidate.json").read_text())["claims"] >= 6
    result = curbside([*args, "--min-kappa", "-1"], data_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    fitted = json.loads((data_dir / "scorer_weights.json").read_text())
    pooled = fitted["cross_validation"]["pooled"]
    assert fitted["claims"] >= 6 and 0 <= pooled["accuracy"] <= 1 and -1 <= pooled["kappa"] <= 1

    from curbside.rag.support import ScorerWeights, load_scorer_weights

    assert load_scorer_weights(data_dir) == ScorerWeights(**fitted["weights"])
