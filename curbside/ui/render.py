"""Pure rendering of an `Answer` for the chat (HTML inside Markdown) and for export (Markdown).

Source text is data: every piece of it (answer sentences drawn from documents, titles,
passages, publishers) is HTML-escaped before it is placed in the page. Only the markup built
here (citation links, badges, the reference list) is HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from curbside.rag.citations import parse_citation_numbers
from curbside.rag.models import Answer, Passage, Reference, Turn, coverage_line, end_sentence
from curbside.rag.safe_text import escape_markdown, safe_answer_markdown, safe_link
from curbside.rag.text import CITATION_MARKER, content_words

__all__ = [
    "FOLLOW_UP_INVITE",
    "answer_html",
    "conversation_markdown",
    "reference_link",
    "render_citations",
]

FOLLOW_UP_INVITE = "Have a follow-up question?"
PASSAGE_TOOLTIP_CHARS = 500
_MARKER = CITATION_MARKER
_HEADING = re.compile(r"^(#{1,6})\s+", re.MULTILINE)


def _best_passage(reference: Reference, context: str) -> Passage | None:
    """The cited passage of `reference` sharing most content words with the citing line."""
    if not reference.passages:
        return None
    wanted = set(content_words(context))
    return max(reference.passages, key=lambda p: len(wanted & set(content_words(p.text))))


def _tooltip(reference: Reference, passage: Passage | None) -> str:
    where = reference.meta.title + (f" — {passage.section}" if passage and passage.section else "")
    if passage is None:
        return where
    text = " ".join(passage.text.split())
    if len(text) > PASSAGE_TOOLTIP_CHARS:
        text = text[:PASSAGE_TOOLTIP_CHARS].rsplit(" ", 1)[0] + " …"
    return f"“{text}” ({where})"


def _marker_html(number: int, reference: Reference | None, answer_id: str, context: str) -> str:
    if reference is None:  # enforcement removes these; never link to nothing
        return f"<sup>[{number}]</sup>"
    passage = _best_passage(reference, context)
    title = html.escape(_tooltip(reference, passage), quote=True)
    return (
        f'<sup class="cite"><a href="#ref-{answer_id}-{number}" title="{title}" '
        f'data-ref="{number}">[{number}]</a></sup>'
    )


def render_citations(escaped_markdown: str, references: Sequence[Reference], answer_id: str) -> str:
    """Replace `[n]` markers in already-escaped Markdown with links to the reference list.

    The supporting passage chosen for each marker is the one closest to the citing line.
    """
    by_number = {r.number: r for r in references}
    out: list[str] = []
    for line in escaped_markdown.split("\n"):
        context = html.unescape(_MARKER.sub("", line))

        def link(match: re.Match[str], context: str = context) -> str:
            return "".join(
                _marker_html(n, by_number.get(n), answer_id, context)
                for n in parse_citation_numbers(match.group(1))
            )

        out.append(_MARKER.sub(link, line))
    return "\n".join(out)


def reference_link(reference: Reference) -> str:
    """The reference's link if it is a plain http(s) URL, else "" (never javascript:)."""
    return safe_link(reference.link)


def _reference_item(reference: Reference, answer_id: str) -> str:
    meta = reference.meta
    esc = html.escape
    kind = reference.kind_label
    parts = [
        f'<span class="badge badge-{kind.lower()}">{kind}</span>',
    ]
    if meta.evidence_type and meta.evidence_type.lower() != kind.lower():
        parts.append(f'<span class="evidence-type">{esc(meta.evidence_type)}</span>')
    parts.append(f'<span class="ref-title">{esc(end_sentence(meta.title))}</span>')
    where = ", ".join(x for x in (esc(meta.publisher), str(meta.year) if meta.year else "") if x)
    if where:
        parts.append(f'<span class="ref-where">{where}.</span>')
    url = reference_link(reference)
    if url:
        parts.append(
            f'<a class="ref-link" href="{esc(url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">link</a>'
        )
    passages = "".join(
        f"<blockquote>{esc(' '.join(p.text.split()))}"
        f"<br><small>— {esc(meta.title)}{', ' + esc(p.section) if p.section else ''}</small>"
        "</blockquote>"
        for p in reference.passages
    )
    plural = "s" if len(reference.passages) > 1 else ""
    details = (
        f'<details class="ref-passages"><summary>Cited passage{plural}</summary>'
        f"{passages}</details>"
        if passages
        else ""
    )
    number = reference.number
    return f'<li id="ref-{answer_id}-{number}" value="{number}">{" ".join(parts)}{details}</li>'


def _body_markdown(text: str) -> str:
    """Escape the answer body and demote headings so they fit a chat bubble."""
    escaped = html.escape(text, quote=False)
    return _HEADING.sub(lambda m: "#" * min(len(m.group(1)) + 2, 6) + " ", escaped)


def _after_title(body: str, block: str) -> str:
    title, newline, rest = body.partition("\n")
    if title.startswith("#") and newline:
        return f"{title}\n\n{block}\n{rest}"
    return f"{block}\n\n{body}"


def answer_html(answer: Answer, answer_id: str, *, show_searched: bool = True) -> str:
    """The chat message for a finished answer: body with linked citation markers, numbered
    references with Guideline/Research badges and their passages, disclaimer, invitation."""
    answer_id = re.sub(r"[^A-Za-z0-9_-]", "", answer_id) or "a"
    body = render_citations(_body_markdown(answer.text), answer.references, answer_id)
    if answer.coverage:
        # For a question listing entities, which ones the sources speak to is the first
        # thing a clinician needs: the line goes under the title, above the first point.
        coverage = f'<p class="coverage">{html.escape(coverage_line(answer.coverage))}</p>'
        body = _after_title(body, coverage)
    blocks = [body]
    if answer.references:
        items = "".join(_reference_item(r, answer_id) for r in answer.references)
        blocks.append(f'<div class="references"><h4>References</h4><ol>{items}</ol></div>')
    if answer.disclaimer:
        blocks.append(f'<div class="disclaimer">{html.escape(answer.disclaimer)}</div>')
    if show_searched and answer.standalone_question:
        blocks.append(
            '<details class="searched"><summary>Searched for</summary>'
            f"{html.escape(answer.standalone_question)}</details>"
        )
    blocks.append(f'<p class="follow-up-invite"><strong>{FOLLOW_UP_INVITE}</strong></p>')
    return "\n\n".join(blocks)


def draft_html(draft: str) -> str:
    """A draft as it streams in: escaped like a final answer, markers kept as plain text."""
    return _body_markdown(safe_answer_markdown(draft))


# ---- export -----------------------------------------------------------------------------
def _text_md(text: str) -> str:
    """Plain text (a question, a title) as inert Markdown: no syntax, no raw HTML."""
    return html.escape(escape_markdown(" ".join(text.split())), quote=False)


def _body_md(text: str) -> str:
    """An answer body (Markdown made safe by the engine) with raw HTML neutralised and
    headings demoted under the question's heading."""
    escaped = html.escape(text.strip(), quote=False)
    return _HEADING.sub(lambda m: "#" * min(len(m.group(1)) + 2, 6) + " ", escaped)


def _reference_markdown(reference: Reference) -> str:
    meta = reference.meta
    title = end_sentence(meta.title)
    bits = [f"{reference.number}. **{_text_md(title[:-1])}**{title[-1]}"]
    where = ", ".join(x for x in (meta.publisher, str(meta.year) if meta.year else "") if x)
    if where:
        bits.append(_text_md(end_sentence(where)))
    bits.append(f"({_text_md(reference.evidence_label)})")
    link = reference_link(reference)  # http(s) only, no spaces, quotes or angle brackets
    if link:
        bits.append(f"<{link}>")
    return " ".join(bits)


def conversation_markdown(
    turns: Sequence[Answer | Turn], title: str = "curbside conversation"
) -> str:
    """The conversation as a Markdown document, each answer with its references and disclaimer.

    Whatever came from a user or a source is escaped: rendered by any CommonMark viewer, the
    export shows text, never live links, images or HTML; the only links are references'.
    """
    lines = [f"# {_text_md(title)}", ""]
    for index, turn in enumerate(turns, start=1):
        lines += [f"## Question {index}", "", f"> {_text_md(turn.question)}", ""]
        if isinstance(turn, Turn):
            lines += [_body_md(turn.answer), ""]
            continue
        if turn.standalone_question and turn.standalone_question != turn.question:
            lines += [f"_Searched for: {_text_md(turn.standalone_question)}_", ""]
        lines += [_body_md(turn.text), ""]
        if turn.references:
            lines += ["**References**", ""]
            lines += [_reference_markdown(r) for r in turn.references]
            lines.append("")
        if turn.disclaimer:
            lines += [f"_{_text_md(turn.disclaimer)}_", ""]
    return "\n".join(lines).rstrip() + "\n"
