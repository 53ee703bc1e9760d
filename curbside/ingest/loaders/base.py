"""What every loader shares: the error type, file checks and metadata helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml
from pydantic import ValidationError

from curbside.rag.models import SourceDocument, SourceMeta
from curbside.rag.safe_text import printable_path

if TYPE_CHECKING:
    from curbside.settings import IngestSettings


class LoadError(Exception):
    """A file (or one record of it) that cannot be ingested; the message says why."""


@dataclass
class LoadProblem:
    """A bad record inside an otherwise readable file (e.g. one broken JSONL line)."""

    where: str
    reason: str


LoadResult = SourceDocument | LoadProblem


class Loader(Protocol):
    @property
    def suffixes(self) -> tuple[str, ...]: ...

    def load(self, path: Path) -> Iterator[LoadResult]: ...


@dataclass
class LoaderOptions:
    """Per-run choices the CLI passes to loaders."""

    kind: str | None = None  # force guideline/research for formats that do not say
    text_field: str = "text"
    id_field: str = "id"
    title_field: str = "title"
    default_kind: str = "research"
    max_pdf_pages: int = 2000

    @classmethod
    def from_settings(cls, ingest: IngestSettings, kind: str | None = None) -> LoaderOptions:
        return cls(
            kind=kind,
            text_field=ingest.jsonl_text_field,
            id_field=ingest.jsonl_id_field,
            title_field=ingest.jsonl_title_field,
            default_kind=ingest.jsonl_default_kind,
            max_pdf_pages=ingest.max_pdf_pages,
        )


def read_text(path: Path) -> str:
    """Read a text file, refusing binary content and invalid UTF-8 with a clear reason."""
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise LoadError("binary content (NUL bytes), not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not valid UTF-8 text (bad byte at offset {exc.start})") from exc
    if not text.strip():
        raise LoadError("the file is empty")
    return text


MAX_FRONT_MATTER_CHARS = 64_000


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases: metadata never needs them, and nested aliases expand
    exponentially (a few hundred bytes can ask for gigabytes: the "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise LoadError(
                "metadata uses a YAML alias (*name) at line "
                f"{event.start_mark.line + 1}; aliases are not accepted in metadata"
            )
        return super().compose_node(parent, index)


def parse_metadata_yaml(text: str, what: str = "front matter") -> Any:
    """Parse a small YAML metadata block safely (no aliases, no tags, bounded size)."""
    if len(text) > MAX_FRONT_MATTER_CHARS:
        raise LoadError(
            f"{what} is {len(text):,} characters; the limit is {MAX_FRONT_MATTER_CHARS:,}"
        )
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as exc:
        raise LoadError(f"{what} is not valid YAML: {exc}".splitlines()[0]) from exc


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "source"


MAX_ID_CHARS = 200
MAX_TITLE_CHARS = 500
MIN_YEAR, MAX_YEAR = 1800, 2100
# Any printable text without line breaks or tabs; "::" separates source and chunk in chunk ids.
_ID = re.compile(r"^(?!.*::)[^\x00-\x1f\x7f]+$")


def make_meta(fields: dict[str, Any], where: str) -> SourceMeta:
    """Validate metadata, turning pydantic's report into one readable sentence."""
    missing = [name for name in ("id", "title", "kind") if not str(fields.get(name) or "").strip()]
    if missing:
        raise LoadError(f"missing required metadata: {', '.join(missing)}")
    for name in ("id", "title", "kind", "publisher", "journal", "url", "doi", "pmid"):
        if isinstance(fields.get(name), dict | list | set | tuple):
            raise LoadError(f"{name} must be text, not a {type(fields[name]).__name__}")
    source_id = str(fields["id"]).strip()
    if len(source_id) > MAX_ID_CHARS or not _ID.match(source_id):
        raise LoadError(
            f"id must be 1-{MAX_ID_CHARS} characters without line breaks, tabs or '::', "
            f"not {source_id[:60]!r}"
        )
    kind = str(fields["kind"]).strip().lower()
    if kind not in ("guideline", "research"):
        raise LoadError(f"kind must be 'guideline' or 'research', not {fields['kind']!r}")
    authors = fields.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r";|\band\b", authors) if a.strip()]
    year = fields.get("year")
    try:
        year_int = int(str(year).strip()[:4]) if year not in (None, "") else None
    except ValueError as exc:
        raise LoadError(f"year is not a number: {year!r}") from exc
    if year_int is not None and not MIN_YEAR <= year_int <= MAX_YEAR:
        raise LoadError(f"year {year!r} is not a publication year ({MIN_YEAR}-{MAX_YEAR})")
    try:
        return SourceMeta(
            id=source_id,
            title=re.sub(r"\s+", " ", str(fields["title"])).strip()[:MAX_TITLE_CHARS],
            kind=kind,  # type: ignore[arg-type]
            evidence_type=str(fields.get("evidence_type") or "").strip(),
            publisher=str(fields.get("publisher") or fields.get("journal") or "").strip(),
            year=year_int,
            authors=[str(a) for a in authors],
            url=str(fields.get("url") or "").strip(),
            doi=str(fields.get("doi") or "").strip(),
            pmid=str(fields.get("pmid") or "").strip(),
            license=str(fields.get("license") or "").strip(),
            origin=printable_path(where),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LoadError(f"invalid metadata field {first['loc'][0]}: {first['msg']}") from exc
