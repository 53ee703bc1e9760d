"""The gold answer set stays anchored in the corpus: every key point and nice-to-have is a
sentence (or span) of the corpus file it names, so a corpus edit that breaks one fails here.

Relies on: evalsets/answers.jsonl and corpus/ read as files.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ITEMS = [
    json.loads(line)
    for line in (REPO / "evalsets" / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def _body(source: str) -> str:
    text = (REPO / "corpus" / f"{source}.md").read_text(encoding="utf-8")
    return " ".join(re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL).split())


def test_the_set_has_the_promised_shape() -> None:
    kinds = Counter(item["kind"] for item in ITEMS)
    assert len(ITEMS) >= 60
    assert kinds["facets"] >= 15 and kinds["chain"] >= 15 and kinds["uncovered"] >= 8
    splits = Counter(item["split"] for item in ITEMS)
    assert abs(splits["dev"] - splits["test"]) <= 2
    assert all(2 <= len(i["turns"]) <= 3 for i in ITEMS if i["kind"] == "chain")
    assert len({item["id"] for item in ITEMS}) == len(ITEMS)


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_every_gold_point_is_in_its_corpus_source(item: dict) -> None:  # type: ignore[type-arg]
    for turn in item["turns"]:
        for point in turn["key_points"] + turn["nice_to_have"]:
            assert " ".join(point["text"].split()) in _body(point["source"]), point
        if not turn["covered"]:
            assert not turn["key_points"]
