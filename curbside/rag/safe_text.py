"""Source text is data: helpers that keep it inert wherever it is shown or stored.

- `escape_markdown` turns a sentence into Markdown that renders as exactly that text: no
  links, no images, no emphasis, no autolinked URLs, no fake citation markers.
- `safe_answer_markdown` applies it to an answer body built by curbside, keeping only the
  structure curbside itself wrote (headings, bullets) and the citation markers.
- `safe_link` admits only http(s) URLs without characters that could break out of markup.
- `printable_path` gives a file name that is valid UTF-8 whatever the file system held.
"""

from __future__ import annotations

import re

from curbside.rag.text import CITATION_MARKER

__all__ = [
    "escape_markdown",
    "printable_path",
    "safe_answer_markdown",
    "safe_link",
    "single_line",
]

# Characters that start Markdown syntax. "<", ">" and "&" are left to the HTML layer
# (the chat escapes them as HTML; an export escapes them as entities).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
# GFM autolinks "http://x", "www.x" and "a@b.c"; an escaped ":" "." or "@" defeats them and
# still renders as the character itself.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<=\bwww)(\.)|(@)(?=[\w-])")
_LEADING_BLOCK = re.compile(r"^(\s*)(-|\d+[.)])")
_STRUCTURE = re.compile(r"^(#{1,6}\s+|\s*[-*]\s+|\s*\d+\.\s+)")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown syntax so the text renders literally."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(0), text)
    # A leading "-" or "1." would start a list: escape its mark ("\\-", "1\\.").
    return _LEADING_BLOCK.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def _escape_keeping_citations(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in CITATION_MARKER.finditer(text):
        out.append(escape_markdown(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(escape_markdown(text[last:]))
    return "".join(out)


def safe_answer_markdown(body: str) -> str:
    """Escape an answer body line by line, keeping curbside's own structure.

    A line may open with a heading mark ("## "), a bullet ("- ") or a list number ("1. "):
    those were written by the answer writer. Everything after them is text from sources or
    a model and is escaped, except the citation markers, which stay live.
    """
    lines = []
    for line in body.split("\n"):
        match = _STRUCTURE.match(line)
        prefix = match.group(0) if match else ""
        lines.append(prefix + _escape_keeping_citations(line[len(prefix) :]))
    return "\n".join(lines)


_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)


def safe_link(url: str) -> str:
    """The URL if it is a plain http(s) link, else "" (no javascript:, data:, file:...)."""
    url = (url or "").strip()
    return url if _SAFE_URL.match(url) else ""


def printable_path(path: object) -> str:
    """A file path as valid UTF-8 text: undecodable bytes become \\xNN escapes.

    Python keeps such bytes as lone surrogates, which Chroma, JSON and terminals reject.
    """
    text = str(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def single_line(text: str, limit: int = 300) -> str:
    """Collapse white space (newlines included) and cut to `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
