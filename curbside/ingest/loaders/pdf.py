"""PDF guidelines and papers (pypdf). Metadata from a YAML sidecar or the PDF itself."""

from __future__ import annotations

import logging
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
    slugify,
)
from curbside.rag.models import Section, SourceDocument

log = logging.getLogger(__name__)
_NUMBERED_HEADING = re.compile(r"^(\d+(\.\d+)*\.?|[IVX]+\.)\s+[A-Z][^.]{2,70}$")


def _is_heading(line: str) -> bool:
    line = line.strip()
    if not line or len(line) > 80 or line.endswith((".", ",", ";", ":")):
        return False
    if _NUMBERED_HEADING.match(line):
        return True
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def sidecar_fields(path: Path) -> dict[str, object]:
    """Metadata from `guide.pdf.yaml` or `guide.yaml` beside the PDF, if present."""
    for candidate in (path.with_name(path.name + ".yaml"), path.with_suffix(".yaml")):
        if candidate.exists():
            try:
                text = candidate.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise LoadError(f"metadata sidecar {candidate.name} is not UTF-8 text") from exc
            data = parse_metadata_yaml(text, f"metadata sidecar {candidate.name}") or {}
            return dict(data) if isinstance(data, dict) else {}
    return {}


class PdfLoader:
    suffixes = (".pdf",)

    def __init__(self, options: LoaderOptions | None = None) -> None:
        self.options = options or LoaderOptions()

    def load(self, path: Path) -> Iterator[LoadResult]:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        if path.read_bytes()[:5] != b"%PDF-":
            raise LoadError("not a PDF (the file does not start with %PDF-)")
        try:
            reader = PdfReader(str(path))
            if reader.is_encrypted:
                try:  # owner-password-only PDFs (print/copy restrictions) open with ""
                    opened = reader.decrypt("")
                except Exception:  # e.g. AES without the cryptography package
                    opened = None
                if not opened:
                    raise LoadError("encrypted (password-protected) PDF; save an unprotected copy")
            limit = self.options.max_pdf_pages
            if len(reader.pages) > limit:
                raise LoadError(
                    f"{len(reader.pages):,} pages is over the {limit:,}-page limit "
                    "(CURBSIDE_INGEST__MAX_PDF_PAGES)"
                )
            pages = [page.extract_text() or "" for page in reader.pages]
            info: dict[str, object] = dict(reader.metadata or {})
        except LoadError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            raise LoadError(f"corrupt or unreadable PDF: {exc}") from exc
        except Exception as exc:  # pypdf raises assorted errors on damaged files
            raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
        if not any(p.strip() for p in pages):
            raise LoadError("the PDF has no text layer (a scanned image?); OCR it first")

        sections: list[Section] = []
        heading, lines = "", cast(list[str], [])
        for number, page in enumerate(pages, start=1):
            for line in page.splitlines():
                if _is_heading(line):
                    if "".join(lines).strip():
                        sections.append(Section(heading=heading, text=_join(lines)))
                    heading, lines = line.strip().title() if line.isupper() else line.strip(), []
                else:
                    lines.append(line)
            if not heading and lines:
                heading = f"Page {number}"
        if "".join(lines).strip():
            sections.append(Section(heading=heading, text=_join(lines)))

        fields = sidecar_fields(path)
        first_line = next((ln.strip() for p in pages for ln in p.splitlines() if ln.strip()), "")
        fields.setdefault("title", str(info.get("/Title") or "").strip() or first_line[:200])
        fields.setdefault("id", slugify(path.stem))
        fields.setdefault("kind", self.options.kind or "guideline")
        if self.options.kind:
            fields["kind"] = self.options.kind
        if info.get("/Author"):
            fields.setdefault("authors", str(info["/Author"]))
        yield SourceDocument(meta=make_meta(fields, str(path)), sections=sections)


def _join(lines: list[str]) -> str:
    """Re-join PDF lines into prose, mending words hyphenated across line ends."""
    text = "\n".join(lines)
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    return re.sub(r"\s*\n\s*", " ", text).strip()
