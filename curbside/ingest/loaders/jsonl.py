"""JSON Lines records (PubMedQA abstracts, MedQuAD passages, users' own exports).

Field names are configurable; common alternatives are tried so the shared data sets load
without options. A broken line is reported and skipped; the other lines are ingested.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curbside.ingest.loaders.base import (
    LoaderOptions,
    LoadError,
    LoadProblem,
    LoadResult,
    make_meta,
    read_text,
)
from curbside.rag.models import Section, SourceDocument
from curbside.rag.text import split_sentences


def _first(record: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, "", []):
            return value
    return None


def record_sections(record: dict[str, Any], text: str) -> list[Section]:
    """PubMedQA-style abstracts list their section labels; pair them with the text's lines."""
    labels = record.get("sections") or record.get("labels")
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if isinstance(labels, list) and len(labels) == len(lines):
        return [
            Section(heading=str(label).title(), text=line)
            for label, line in zip(labels, lines, strict=True)
        ]
    heading = str(record.get("question") or "")
    return [Section(heading=heading, text=text.strip())]


class JsonlLoader:
    suffixes = (".jsonl", ".ndjson")

    def __init__(self, options: LoaderOptions | None = None) -> None:
        self.options = options or LoaderOptions()

    def record_to_document(self, record: dict[str, Any], where: str) -> SourceDocument:
        opts = self.options
        text = _first(record, opts.text_field, "text", "abstract", "answer", "contents", "body")
        if not isinstance(text, str) or not text.strip():
            raise LoadError(f"no text in field {opts.text_field!r}")
        rid = _first(record, opts.id_field, "id", "pmid", "doc_id", "qid")
        pmid = str(record.get("pmid") or "")
        title = _first(record, opts.title_field, "title", "question", "focus")
        if not title:
            first = split_sentences(text.replace("\n", " "))[:1]
            title = (first[0] if first else text)[:160]
        url = record.get("url") or (f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "")
        fields = {
            "id": f"pmid-{rid}" if rid and str(rid) == pmid else rid,
            "title": title,
            "kind": opts.kind or record.get("kind") or opts.default_kind,
            "evidence_type": record.get("evidence_type") or record.get("qtype") or "",
            "publisher": _first(record, "publisher", "journal", "source") or "",
            "year": record.get("year"),
            "authors": record.get("authors") or [],
            "url": url,
            "doi": record.get("doi") or "",
            "pmid": pmid,
            "license": record.get("license") or "",
        }
        return SourceDocument(meta=make_meta(fields, where), sections=record_sections(record, text))

    def load(self, path: Path) -> Iterator[LoadResult]:
        text = read_text(path)
        good = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise LoadError("the line is JSON but not an object")
                yield self.record_to_document(record, where)
                good += 1
            except json.JSONDecodeError as exc:
                yield LoadProblem(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
            except LoadError as exc:
                yield LoadProblem(where, str(exc))
        if good == 0:
            raise LoadError("no valid records in the file")
