"""Web pages of guidelines and articles. Journal pages' `citation_*` meta tags give metadata."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

from curbside.ingest.loaders.base import (
    LoaderOptions,
    LoadError,
    LoadResult,
    make_meta,
    read_text,
    slugify,
)
from curbside.rag.models import Section, SourceDocument

_DROP = ("script", "style", "nav", "footer", "header", "aside", "form", "noscript", "svg")


class HtmlLoader:
    suffixes = (".html", ".htm")

    def __init__(self, options: LoaderOptions | None = None) -> None:
        self.options = options or LoaderOptions()

    def load(self, path: Path) -> Iterator[LoadResult]:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(read_text(path), "html.parser")

        def meta_tag(name: str) -> str:
            # Highwire tags use name=, Open Graph tags use property=.
            tag = soup.find("meta", attrs={"name": name}) or soup.find(
                "meta", attrs={"property": name}
            )
            return str(tag.get("content", "")).strip() if tag else ""

        for tag in soup(_DROP):
            tag.decompose()
        root = soup.find("main") or soup.find("article") or soup.body or soup
        sections: list[Section] = []
        heading, parts = "", cast(list[str], [])
        for element in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "td"]):
            text = " ".join(element.get_text(" ", strip=True).split())
            if not text:
                continue
            if element.name in ("h1", "h2", "h3", "h4"):
                if parts:
                    sections.append(Section(heading=heading, text="\n".join(parts)))
                heading, parts = text, []
            else:
                parts.append(text)
        if parts:
            sections.append(Section(heading=heading, text="\n".join(parts)))
        if not sections:
            raise LoadError("no readable text in the page")

        h1 = soup.find("h1")
        title = (
            meta_tag("citation_title")
            or (soup.title.get_text(strip=True) if soup.title else "")
            or (h1.get_text(" ", strip=True) if h1 else "")
            or path.stem.replace("_", " ").replace("-", " ")
        )
        authors = [
            str(t.get("content", ""))
            for t in soup.find_all("meta", attrs={"name": "citation_author"})
        ]
        fields = {
            # Same id scheme as the PubMed loaders, so one paper never gets two ids.
            "id": (f"pmid-{meta_tag('citation_pmid')}" if meta_tag("citation_pmid") else "")
            or meta_tag("citation_doi")
            or slugify(path.stem),
            "title": title,
            # A page with journal citation tags is an article; other pages are taken to be
            # guideline pages unless --kind or a curbside_kind tag says otherwise.
            "kind": self.options.kind
            or meta_tag("curbside_kind")
            or ("research" if meta_tag("citation_journal_title") else "guideline"),
            "publisher": meta_tag("citation_journal_title") or meta_tag("citation_publisher"),
            "year": (meta_tag("citation_publication_date") or meta_tag("citation_date"))[:4]
            or None,
            "authors": authors,
            "doi": meta_tag("citation_doi"),
            "pmid": meta_tag("citation_pmid"),
            "url": meta_tag("citation_abstract_html_url") or meta_tag("og:url"),
        }
        yield SourceDocument(meta=make_meta(fields, str(path)), sections=sections)
