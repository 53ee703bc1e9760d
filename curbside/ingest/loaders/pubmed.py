"""PubMed records: efetch XML (PubmedArticleSet) and MEDLINE/.nbib tagged exports."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from curbside.ingest.loaders.base import (
    LoaderOptions,
    LoadError,
    LoadProblem,
    LoadResult,
    make_meta,
    read_text,
)
from curbside.rag.models import Section, SourceDocument

# PubMed publication types, most specific first, mapped to (kind, evidence type).
_PUBLICATION_TYPES = [
    ("practice guideline", "guideline", "guideline"),
    ("guideline", "guideline", "guideline"),
    ("consensus development conference", "guideline", "consensus statement"),
    ("meta-analysis", "research", "meta-analysis"),
    ("systematic review", "research", "systematic review"),
    ("randomized controlled trial", "research", "RCT"),
    ("clinical trial", "research", "clinical trial"),
    ("observational study", "research", "cohort"),
    ("case reports", "research", "case report"),
    ("review", "research", "review"),
]
_LABEL = re.compile(r"(?:^|\s)([A-Z][A-Z /&-]{2,40}):\s")


def classify(publication_types: list[str]) -> tuple[str, str]:
    lowered = [p.lower() for p in publication_types]
    for needle, kind, evidence in _PUBLICATION_TYPES:
        if any(needle == p or needle in p for p in lowered):
            return kind, evidence
    return "research", "journal article"


def _sections_from_labelled_text(text: str) -> list[Section]:
    """Split 'BACKGROUND: ... METHODS: ...' abstracts into sections."""
    marks = list(_LABEL.finditer(text))
    if not marks:
        return [Section(heading="Abstract", text=text.strip())]
    sections = []
    if text[: marks[0].start()].strip():
        sections.append(Section(heading="Abstract", text=text[: marks[0].start()].strip()))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[mark.end() : end].strip()
        if body:
            sections.append(Section(heading=mark.group(1).strip().title(), text=body))
    return sections


class PubmedXmlLoader:
    suffixes = (".xml",)

    def __init__(self, options: LoaderOptions | None = None) -> None:
        self.options = options or LoaderOptions()

    def load(self, path: Path) -> Iterator[LoadResult]:
        text = read_text(path)
        if "<!ENTITY" in text:
            raise LoadError("XML with entity declarations is refused (entity expansion risk)")
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise LoadError(f"invalid XML: {exc}") from exc
        articles = root.iter("PubmedArticle")
        found = False
        for article in articles:
            found = True
            pmid = article.findtext(".//MedlineCitation/PMID") or ""
            where = f"{path}#PMID{pmid}"
            try:
                yield self._article(article, pmid, where)
            except LoadError as exc:
                yield LoadProblem(where, str(exc))
        if not found:
            raise LoadError("no PubmedArticle records (expected PubMed efetch XML)")

    def _article(self, article: ET.Element, pmid: str, where: str) -> SourceDocument:
        title_node = article.find(".//ArticleTitle")
        title = "".join(title_node.itertext()) if title_node is not None else ""
        sections = []
        for node in article.findall(".//Abstract/AbstractText"):
            body = " ".join("".join(node.itertext()).split())
            if body:
                label = node.get("Label") or "Abstract"
                sections.append(Section(heading=label.title(), text=body))
        if not sections:
            raise LoadError("record has no abstract text")
        year = (
            article.findtext(".//JournalIssue/PubDate/Year")
            or (article.findtext(".//JournalIssue/PubDate/MedlineDate") or "")[:4]
        )
        authors = []
        for author in article.findall(".//AuthorList/Author"):
            last, initials = author.findtext("LastName"), author.findtext("Initials")
            if last:
                authors.append(f"{last} {initials or ''}".strip())
        types = [t.text or "" for t in article.findall(".//PublicationTypeList/PublicationType")]
        kind, evidence = classify(types)
        doi = next(
            (e.text or "" for e in article.findall(".//ELocationID") if e.get("EIdType") == "doi"),
            "",
        ) or next(
            (e.text or "" for e in article.findall(".//ArticleId") if e.get("IdType") == "doi"), ""
        )
        fields = {
            "id": f"pmid-{pmid}",
            "title": title,
            "kind": self.options.kind or kind,
            "evidence_type": evidence,
            "publisher": article.findtext(".//Journal/Title") or "",
            "year": year or None,
            "authors": authors,
            "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            "doi": doi,
            "pmid": pmid,
        }
        return SourceDocument(meta=make_meta(fields, where), sections=sections)


def parse_medline(text: str) -> list[dict[str, list[str]]]:
    """MEDLINE tagged records ('PMID- 123', continuation lines indented) as tag -> values."""
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] = {}
    tag = ""
    for line in text.splitlines():
        if not line.strip():
            if current:
                records.append(current)
                current, tag = {}, ""
            continue
        match = re.match(r"^([A-Z]{2,4})\s*-\s?(.*)$", line)
        if match:
            tag = match.group(1)
            current.setdefault(tag, []).append(match.group(2).strip())
        elif tag and line.startswith(" "):
            current[tag][-1] += " " + line.strip()
    if current:
        records.append(current)
    return records


class MedlineLoader:
    suffixes = (".nbib", ".medline", ".ris_medline")

    def __init__(self, options: LoaderOptions | None = None) -> None:
        self.options = options or LoaderOptions()

    def load(self, path: Path) -> Iterator[LoadResult]:
        records = [r for r in parse_medline(read_text(path)) if "PMID" in r]
        if not records:
            raise LoadError("no MEDLINE records (expected lines such as 'PMID- 12345')")
        for record in records:
            pmid = record["PMID"][0]
            where = f"{path}#PMID{pmid}"
            abstract = " ".join(record.get("AB", []))
            if not abstract:
                yield LoadProblem(where, "record has no abstract (AB) text")
                continue
            kind, evidence = classify(record.get("PT", []))
            doi = next(
                (
                    v.split(" ")[0]
                    for v in record.get("LID", []) + record.get("AID", [])
                    if "[doi]" in v
                ),
                "",
            )
            fields = {
                "id": f"pmid-{pmid}",
                "title": " ".join(record.get("TI", [])),
                "kind": self.options.kind or kind,
                "evidence_type": evidence,
                "publisher": (record.get("JT") or record.get("TA") or [""])[0],
                "year": (record.get("DP") or [""])[0][:4] or None,
                "authors": record.get("AU", []),
                "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
                "doi": doi,
                "pmid": pmid,
            }
            try:
                yield SourceDocument(
                    meta=make_meta(fields, where), sections=_sections_from_labelled_text(abstract)
                )
            except LoadError as exc:
                yield LoadProblem(where, str(exc))
