#!/usr/bin/env python3
"""Check, independently of the support scorer, that delivered claims are quotes of their sources.

    .venv/bin/python scripts/check_verbatim.py /tmp/run/results.jsonl [--corpus corpus/]

The extractive writer delivers sentences of the cited passages. This reads the answers an
`curbside eval run` wrote and counts the delivered claims whose text (citation markers and
Markdown escapes removed) is a verbatim part of one of the cited sources' files in the
corpus. It is string containment against the source files, not the scorer that enforced the
citations, so it can serve as an independent judge of "supported" for the extractive writer
(a paraphrasing writer needs a real judge). Exit status 1 when any claim is not a quote.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

_MARKER = re.compile(r"\s*\[\d+(?:,\s*\d+)*\]")
_ESCAPE = re.compile(r"\\(.)")


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def load_corpus(folder: Path) -> dict[str, str]:
    """Source id -> body text (front matter removed), whitespace squeezed."""
    texts = {}
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        found = re.search(r"^id:\s*(\S+)", text, re.MULTILINE)
        if not found:
            continue
        body = text.split("---", 2)[2] if text.startswith("---") else text
        texts[found.group(1).strip("\"'")] = _squeeze(body)
    return texts


def plain(text: str) -> str:
    return _squeeze(_ESCAPE.sub(r"\1", _MARKER.sub("", text)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="results.jsonl of an eval run")
    default_corpus = Path(__file__).resolve().parent.parent / "corpus"
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    args = parser.parse_args()
    corpus = load_corpus(args.corpus)
    total = quoted = 0
    for line in args.results.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        answer = record.get("answer") or {}
        ids = {r["number"]: r["meta"]["id"] for r in answer.get("references", [])}
        for sentence in answer.get("sentences", []):
            if not (sentence.get("is_claim") and sentence.get("citations")):
                continue
            total += 1
            text = plain(sentence["text"])
            if any(text in corpus.get(ids.get(n, ""), "") for n in sentence["citations"]):
                quoted += 1
            else:
                print(f"not a quote of its source ({record.get('id')}): {text[:120]}")
    print(f"{quoted}/{total} delivered claims are verbatim sentences of a cited source")
    return 0 if quoted == total else 1


if __name__ == "__main__":
    sys.exit(main())
