"""scripts/check_verbatim.py: delivered claims counted as quotes only when they are."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_verbatim.py"


def run(tmp_path: Path, claim: str) -> subprocess.CompletedProcess[str]:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "src.md").write_text(
        "---\nid: src\ntitle: T\n---\n\n# T\n\nFoot drop is weakness of the dorsiflexor "
        "muscles\nof the foot (2008). It is common.\n",
        encoding="utf-8",
    )
    answer = {
        "references": [{"number": 1, "meta": {"id": "src"}}],
        "sentences": [{"text": claim, "is_claim": True, "citations": [1]}],
    }
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({"id": "q1", "answer": answer}) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(results), "--corpus", str(corpus)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_quote_across_a_line_break_with_escapes_and_marker_counts(tmp_path: Path) -> None:
    done = run(
        tmp_path, r"Foot drop is weakness of the dorsiflexor muscles of the foot \(2008\) [1]."
    )
    assert done.returncode == 0, done.stdout
    assert "1/1 delivered claims" in done.stdout


def test_a_changed_word_is_not_a_quote(tmp_path: Path) -> None:
    done = run(tmp_path, "Foot drop is weakness of the plantar flexor muscles of the foot [1].")
    assert done.returncode == 1
    assert "0/1 delivered claims" in done.stdout
