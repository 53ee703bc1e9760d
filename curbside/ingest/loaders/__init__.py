"""Loaders turn one file into sources; pick one by the file's ending."""

from __future__ import annotations

from pathlib import Path

from curbside.ingest.loaders.base import (
    Loader,
    LoaderOptions,
    LoadError,
    LoadProblem,
    LoadResult,
    read_text,
)
from curbside.ingest.loaders.html import HtmlLoader
from curbside.ingest.loaders.jsonl import JsonlLoader
from curbside.ingest.loaders.markdown import MarkdownLoader
from curbside.ingest.loaders.pdf import PdfLoader
from curbside.ingest.loaders.pubmed import MedlineLoader, PubmedXmlLoader

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LoadError",
    "LoadProblem",
    "LoadResult",
    "Loader",
    "LoaderOptions",
    "loader_for",
]

_LOADERS = (MarkdownLoader, PdfLoader, HtmlLoader, JsonlLoader, PubmedXmlLoader, MedlineLoader)
SUPPORTED_SUFFIXES = tuple(s for cls in _LOADERS for s in cls.suffixes)


def loader_for(path: Path, options: LoaderOptions | None = None) -> Loader:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        # A .txt may be a MEDLINE export saved from PubMed: sniff its first tag.
        try:
            head = read_text(path)[:200]
        except LoadError:
            head = ""
        if head.lstrip().startswith("PMID-"):
            return MedlineLoader(options)
    for cls in _LOADERS:
        if suffix in cls.suffixes:
            return cls(options)
    raise LoadError(
        f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
    )
