"""Split a source into chunks on section and sentence boundaries, within a token budget.

Tokens are counted with the embedding model's own tokenizer (passed in as a function), so a
chunk never silently overflows what the model reads. Consecutive chunks of a section share
their last sentences (the overlap), so a fact at a boundary is whole in at least one chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from curbside.rag.models import Chunk, SourceDocument
from curbside.rag.text import split_sentences

TokenCounter = Callable[[list[str]], list[int]]


def chunk_id(source_id: str, section: str, text: str) -> str:
    """Deterministic id: the same source text always gives the same ids."""
    digest = hashlib.sha256(f"{source_id}\0{section}\0{text}".encode()).hexdigest()[:16]
    return f"{source_id}::{digest}"


def _split_long(sentence: str, budget: int, count: TokenCounter) -> list[str]:
    """A sentence over the budget is cut on word boundaries (rare: tables, lists)."""
    words = sentence.split()
    pieces, current = [], []
    for word in words:
        current.append(word)
        if len(current) % 16 == 0 and count([" ".join(current)])[0] > budget:
            current.pop()
            pieces.append(" ".join(current))
            current = [word]
    if current:
        pieces.append(" ".join(current))
    # A final exact check: a piece may still be over by a few tokens; halve it if so.
    out = []
    for piece in pieces:
        while count([piece])[0] > budget and " " in piece:
            half = piece.split()
            out.append(" ".join(half[: len(half) // 2]))
            piece = " ".join(half[len(half) // 2 :])
        out.append(piece)
    return out


def chunk_document(
    document: SourceDocument, count: TokenCounter, budget: int, overlap: int
) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in document.sections:
        sentences = [s for para in section.text.split("\n") for s in split_sentences(para)]
        if not sentences:
            continue
        sizes = count(sentences)
        units: list[tuple[str, int]] = []
        for sentence, size in zip(sentences, sizes, strict=True):
            if size > budget:
                pieces = _split_long(sentence, budget, count)
                units.extend(zip(pieces, count(pieces), strict=True))
            else:
                units.append((sentence, size))

        start = 0
        while start < len(units):
            end, used = start, 0
            while end < len(units) and used + units[end][1] <= budget:
                used += units[end][1]
                end += 1
            end = max(end, start + 1)
            text = " ".join(u[0] for u in units[start:end])
            cid = chunk_id(document.meta.id, section.heading, text)
            if cid not in seen:
                seen.add(cid)
                chunks.append(
                    Chunk(
                        id=cid,
                        source_id=document.meta.id,
                        section=section.heading,
                        text=text,
                        position=len(chunks),
                    )
                )
            if end >= len(units):
                break
            # Step back over trailing sentences that fit in the overlap, but always advance.
            back, carried = end, 0
            while back - 1 > start and carried + units[back - 1][1] <= overlap:
                back -= 1
                carried += units[back][1]
            start = back
    return chunks


def embedding_text(title: str, chunk: Chunk) -> str:
    """What is embedded: the title and section name the topic the chunk's text assumes."""
    head = f"{title} - {chunk.section}" if chunk.section else title
    return f"{head}\n{chunk.text}"
