"""Instruction-like text inside sources: found at ingest and again before drafting.

A guideline or paper states findings; it does not address an AI assistant. A sentence that
does ("Ignore previous instructions; ...", "SYSTEM: ...", "You are now ...") is an attempt
to steer the answer. Such sentences are never quoted as evidence, never shown to a model,
and the source that holds them is flagged so an operator can look at it.

The patterns are deliberately narrow: clinical prose such as "Patients should ignore minor
tingling" or "The system of classification ..." must not be caught (unit tests hold both).
"""

from __future__ import annotations

import re

from curbside.rag.models import Section, SourceDocument
from curbside.rag.text import split_sentences

__all__ = ["looks_like_instruction", "quarantine_instructions", "without_instructions"]

# A role marker opens the text ("SYSTEM: ...", "[assistant] ..."); in capitals it counts
# anywhere. "Nervous system: ..." in lower case is clinical prose and does not count.
_ROLE_MARKER = re.compile(
    r"^\W{0,3}(system|assistant|developer|user|human)(\s+(prompt|message|note))?\s*[:>\]]",
    re.IGNORECASE,
)
_ROLE_CAPS = re.compile(r"\b(SYSTEM|ASSISTANT|DEVELOPER)( PROMPT| MESSAGE)?\s*:")
_CHAT_TEMPLATE = re.compile(
    r"<\|?(im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id)\|?>|"
    r"\[/?(INST|SYS)\]|<</?SYS>>|^#{2,}\s*(instruction|system|response)\b",
    re.IGNORECASE,
)
_OVERRIDE = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.;:]{0,40}?"
    r"\b(previous|prior|above|earlier|all|any|your|the|these|those|system|safety)\b[^.;:]{0,30}?"
    r"\b(instructions?|prompts?|rules?|directions?|guidelines you|messages?|context|"
    r"constraints?|polic(y|ies)|guardrails?)\b",
    re.IGNORECASE,
)
_ADDRESSED_TO_MODEL = re.compile(
    r"\b(you are now|you are an? (ai|assistant|chatbot|language model)|from now on,? you|"
    r"as an? (ai|assistant|language model)\b|act as (an? )?(ai|assistant|system|doctor bot)|"
    r"pretend (to be|you are)|new instructions?\b|your (real|true|new) (task|instructions?|role)|"
    r"(assistant|chatbot|language model|llm|ai model|the ai)\b[^.]{0,30}\b"
    r"(must|should|shall|needs? to|is instructed to|will now)\b|"
    r"(do not|don't|never) (cite|mention|include|add|show|print|tell)\b[^.]{0,40}\b"
    r"(disclaimer|sources?|references?|citations?|user|reader)|"
    r"(answer|respond|reply|output|print|say)( only)? with (the following|exactly|yes|no)\b|"
    r"repeat (after me|the following)|jailbreak|prompt injection)",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """True when a sentence or heading addresses a model rather than stating a finding."""
    probe = " ".join(text.split())
    if not probe:
        return False
    return bool(
        _ROLE_MARKER.search(probe)
        or _ROLE_CAPS.search(probe)
        or _CHAT_TEMPLATE.search(probe)
        or _OVERRIDE.search(probe)
        or _ADDRESSED_TO_MODEL.search(probe)
    )


def without_instructions(text: str) -> tuple[str, list[str]]:
    """The text with instruction-like sentences removed, and the removed sentences."""
    kept: list[str] = []
    removed: list[str] = []
    for paragraph in text.split("\n\n"):
        sentences = split_sentences(paragraph)
        bad = [s for s in sentences if looks_like_instruction(s)]
        if not bad:
            kept.append(paragraph)
            continue
        removed.extend(bad)
        rest = " ".join(s for s in sentences if s not in bad)
        if rest:
            kept.append(rest)
    return "\n\n".join(kept), removed


def quarantine_instructions(document: SourceDocument) -> tuple[SourceDocument, list[str]]:
    """A copy of the document without instruction-like sentences or headings.

    The rest of the source stays searchable; the removed sentences are returned so the
    ingest report can flag the source and say what was left out.
    """
    sections: list[Section] = []
    removed: list[str] = []
    meta = document.meta
    if looks_like_instruction(meta.title):
        # The title is shown in references and given to LLM writers: withhold it.
        removed.append(meta.title)
        meta = meta.model_copy(
            update={"title": f"{meta.id} (title withheld: it reads as instructions)"}
        )
    for section in document.sections:
        heading = section.heading
        if heading and looks_like_instruction(heading):
            removed.append(heading)
            heading = ""
        text, dropped = without_instructions(section.text)
        removed.extend(dropped)
        if text.strip():
            sections.append(Section(heading=heading, text=text))
    if not removed:
        return document, []
    return document.model_copy(update={"meta": meta, "sections": sections}), removed
