"""The shared data sets load with the JSONL loader without options and without problems."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from curbside.ingest.loaders import LoadProblem, loader_for
from curbside.rag.models import SourceDocument

pytestmark = pytest.mark.shared_data

MEDQUAD_SLICE = 300


def test_pubmedqa_abstracts_load_without_problems(shared_file: Callable[[str], Path]) -> None:
    path = shared_file("pubmedqa/abstracts.jsonl")
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    items = list(loader_for(path).load(path))

    problems = [i for i in items if isinstance(i, LoadProblem)]
    assert problems == []
    documents = [i for i in items if isinstance(i, SourceDocument)]
    assert len(documents) == len(records) > 0
    assert [d.meta.id for d in documents] == [f"pmid-{r['pmid']}" for r in records]
    for doc, record in zip(documents, records, strict=True):
        assert doc.meta.kind == "research" and doc.meta.title
        assert doc.meta.url == f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"
        if record.get("year"):
            assert doc.meta.year == int(record["year"])
        labels = record.get("sections") or []
        if labels:  # structured abstracts keep their labels as section headings
            assert [s.heading for s in doc.sections] == [str(lab).title() for lab in labels]


def test_a_slice_of_medquad_passages_loads_without_problems(
    shared_file: Callable[[str], Path], tmp_path: Path
) -> None:
    source = shared_file("medquad/passages.jsonl")
    with source.open(encoding="utf-8") as handle:
        lines = list(itertools.islice(handle, MEDQUAD_SLICE))
    path = tmp_path / "medquad-slice.jsonl"
    path.write_text("".join(lines), encoding="utf-8")

    items = list(loader_for(path).load(path))

    assert [i for i in items if isinstance(i, LoadProblem)] == []
    documents = [i for i in items if isinstance(i, SourceDocument)]
    assert len(documents) == len(lines) == MEDQUAD_SLICE
    assert len({d.meta.id for d in documents}) == len(documents)
    for doc, line in zip(documents, lines, strict=True):
        record = json.loads(line)
        assert doc.meta.id == record["id"]
        assert doc.meta.title == record["question"]
        assert doc.meta.url == record["url"]
        assert doc.full_text.strip()
