"""Markdown or text with YAML front matter: the format of the bundled corpus."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from curbside.ingest.loaders.base import (
    LoaderOptions,
    LoadError,
    LoadResult,
    make_meta,
    parse_metadata_yaml,
    read_text,
)
from curbside.rag.models import Section, SourceDocument

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def split_markdown_sections(body: str, title: str = "") -> list[Section]:
    """Sections by heading; a level-1 heading equal to the title is not a section."""
    sections: list[Section] = []
    heading, lines = "", cast(list[str], [])

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(heading=heading, text=text))

    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            flush()
            lines = []
            name = match.group(2).strip()
            heading = "" if len(match.group(1)) == 1 and name == title else name
        else:
            lines.append(line)
    flush()
    return sections


class MarkdownLoader:
    suffixes = (".md", ".markdown", ".txt")

    def __init__(self, options: LoaderOptions | None = None) -> None:
        self.options = options or LoaderOptions()

    def load(self, path: Path) -> Iterator[LoadResult]:
        text = read_text(path)
        match = _FRONT_MATTER.match(text)
        if not match:
            raise LoadError(
                "no YAML front matter (a '---' block with id, title and kind at the top)"
            )
        fields = parse_metadata_yaml(match.group(1)) or {}
        if not isinstance(fields, dict):
            raise LoadError("front matter must be a mapping of fields")
        if self.options.kind:
            fields["kind"] = self.options.kind
        meta = make_meta(fields, str(path))
        sections = split_markdown_sections(text[match.end() :], meta.title)
        if not sections:
            raise LoadError("front matter but no text")
        yield SourceDocument(meta=meta, sections=sections)
