"""Citation enforcement: no citation that points nowhere, no claim its source does not support.

The draft (Markdown with [n] markers) is split into blocks (headings, bullets, paragraphs)
and sentences. Every citation is parsed and checked against the numbered evidence; each
claim must be supported by the passages it cites, else it is re-cited to a source that
supports it, or dropped. Surviving references are renumbered in order of first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from curbside.rag.models import CitedSentence, Evidence, Reference, Repair
from curbside.rag.support import SupportScorer
from curbside.rag.text import CITATION_MARKER, content_words, split_sentences

_MARKER = re.compile(r"\s*" + CITATION_MARKER.pattern)
_CLAIM_VERB = re.compile(
    r"\b(is|are|was|were|causes?|caused|should|must|can|cannot|may|reduces?|increases?|"
    r"improves?|prevents?|cures?|recommends?|recommended|occurs?|leads?|results?)\b",
    re.IGNORECASE,
)
# In a heading, "Causes" is a noun; these verbs make a heading a statement.
_HEADING_CLAIM_VERB = re.compile(
    r"\b(is|are|was|were|should|must|can|cannot|may|does|do|reduces|increases|improves|"
    r"prevents|cures|recommends?|leads to)\b",
    re.IGNORECASE,
)
_META = re.compile(
    r"^(in summary|in short|overall|to summari[sz]e|here is|here are|based on the (provided |"
    r"available )?(sources|evidence))\b",
    re.IGNORECASE,
)
NOT_COVERED_MARK = re.compile(r"sources? (do|does) not (answer|cover|address)", re.IGNORECASE)
MAX_RANGE = 50  # "[1-999]" is not a real citation; cap expansion


def parse_citation_numbers(inner: str) -> list[int]:
    """'1' -> [1]; '1, 3' -> [1, 3]; '1-3' -> [1, 2, 3] (en dash too)."""
    found: list[int] = []
    for part in re.split(r"[,;]", inner):
        part = part.strip()
        if not part:
            continue
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            low, high = int(bounds[0]), int(bounds[1])
            if low <= high and high - low <= MAX_RANGE:
                found.extend(range(low, high + 1))
            else:
                found.extend([low, high])
        elif part.isdigit():
            found.append(int(part))
    return list(dict.fromkeys(found))


def extract_citations(sentence: str) -> tuple[str, list[int]]:
    """The sentence without markers, and the numbers it cites in order."""
    numbers: list[int] = []
    for match in _MARKER.finditer(sentence):
        numbers.extend(parse_citation_numbers(match.group(1)))
    clean = _MARKER.sub("", sentence)
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean).strip()
    return tidy_removed_markers(clean), list(dict.fromkeys(numbers))


_MARKERS = r"(?:\s*\[[\d,;\s\-–]+\](?:\s*(?:,|and|&)\s*\[[\d,;\s\-–]+\])*)"
# "The evidence from [4] and [5] clearly states that X." / "Source [2] shows that X."
_EVIDENCE_TALK = re.compile(
    r"^(?:the |this |these |both )?(?:evidence|sources?|studies|study|literature|references?|"
    r"data|passages?|documents?|authors?)(?:\s+(?:from|in|of|cited in|provided in|numbered))?"
    + _MARKERS
    + r"?\s+(?:clearly |also |further |consistently |both )?(?:states?|shows?|suggests?|"
    r"indicates?|notes?|reports?|confirms?|demonstrates?|mentions?|explains?|says?|"
    r"highlights?|emphasi[sz]es?)\s+that\s+",
    re.IGNORECASE,
)
# "According to [3], X." / "As shown in [1] and [2], X."
_ACCORDING_TO = re.compile(
    r"^(?:according to|as (?:stated|shown|noted|reported|described|seen) (?:in|by))\s+"
    r"(?:the )?(?:evidence|sources?|studies|study|guidelines?)?" + _MARKERS + r"\s*,\s*",
    re.IGNORECASE,
)
# Left when a citation used as a noun is removed: "from and", "in ,", "( )".
_DANGLING = re.compile(
    r"\((?:see|cf\.?|e\.g\.,?|in|ref\.?)?\s*\)|\b(?:from|in|by|see|of)\s+(?:and|or)\s+|"
    r"\s+(?=[,.;])"
)


def restate_evidence_talk(sentence: str) -> tuple[str, bool]:
    """A sentence about the evidence ("The evidence from [4] and [5] states that X") becomes
    the claim it carries ("X [4, 5]"), so removing the markers cannot leave "from and"."""
    for pattern in (_EVIDENCE_TALK, _ACCORDING_TO):
        match = pattern.match(sentence.strip())
        if not match:
            continue
        numbers = [
            n
            for m in CITATION_MARKER.finditer(match.group(0))
            for n in parse_citation_numbers(m.group(1))
        ]
        rest = sentence.strip()[match.end() :]
        if len(content_words(rest)) < 2:
            return sentence, False
        rest = rest[:1].upper() + rest[1:]
        clean, cited = extract_citations(rest)
        return place_citations(clean, list(dict.fromkeys(numbers + cited))), True
    return sentence, False


def tidy_removed_markers(text: str) -> str:
    """Readable text after markers were cut out of it."""
    previous = None
    while previous != text:
        previous, text = text, _DANGLING.sub("", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def place_citations(clean: str, numbers: list[int]) -> str:
    """Put ' [1, 3]' before the sentence's final punctuation."""
    if not numbers:
        return clean
    marker = f" [{', '.join(str(n) for n in numbers)}]"
    match = re.search(r"([.!?]+[\"')\]]*)$", clean)
    if match:
        return clean[: match.start()] + marker + clean[match.start() :]
    return clean + marker


BlockKind = Literal["heading", "bullet", "paragraph"]


def is_claim(clean: str, block: BlockKind) -> bool:
    """Headings, questions, short hedges and transitions are not claims; a heading that
    states a fact (a verb, a number, a long phrase) is, so it cannot smuggle one in."""
    if not clean:
        return False
    if block == "heading":
        return (
            len(clean.split()) > 8
            or bool(re.search(r"\d", clean))
            or bool(_HEADING_CLAIM_VERB.search(clean))
        )
    if clean.endswith("?") or NOT_COVERED_MARK.search(clean):
        return False
    if _META.match(clean) and len(content_words(clean)) < 6:
        return False
    return len(content_words(clean)) >= 3


@dataclass
class Block:
    kind: BlockKind
    prefix: str  # "## " or "- " or ""
    sentences: list[str]


def parse_blocks(markdown: str) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", "", split_sentences(" ".join(paragraph))))
            paragraph.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        bullet = re.match(r"^([-*•]|\d+[.)])\s+(.*)$", line)
        if heading:
            flush()
            blocks.append(Block("heading", heading.group(1) + " ", [heading.group(2).strip()]))
        elif bullet:
            flush()
            blocks.append(Block("bullet", "- ", split_sentences(bullet.group(2))))
        elif re.match(r"^\*\*[^*]+\*\*:?$", line):  # "**Mechanisms**" used as a heading
            flush()
            blocks.append(Block("heading", "### ", [line.strip("*: ")]))
        else:
            paragraph.append(line)
    flush()
    return blocks


@dataclass
class Enforced:
    text: str
    sentences: list[CitedSentence]
    draft_sentences: list[CitedSentence]
    references: list[Reference]
    repairs: list[Repair] = field(default_factory=list)

    @property
    def has_claims(self) -> bool:
        return any(s.is_claim for s in self.sentences)


def enforce_citations(
    draft: str, evidence: Evidence, scorer: SupportScorer, threshold: float
) -> Enforced:
    passages = {s.number: [p.text for p in s.passages] for s in evidence.sources}
    repairs: list[Repair] = []
    draft_scored: list[CitedSentence] = []
    kept_blocks: list[tuple[Block, list[tuple[str, list[int], float | None, bool]]]] = []
    section = ""

    def support(clean: str, numbers: list[int]) -> float:
        texts = [t for n in numbers for t in passages[n]]
        return scorer.score(clean, texts) if texts else 0.0

    for block in parse_blocks(draft):
        if block.kind == "heading":
            section = block.sentences[0]
        out: list[tuple[str, list[int], float | None, bool]] = []
        for sentence in block.sentences:
            sentence, rewritten = restate_evidence_talk(sentence)
            if rewritten:
                repairs.append(
                    Repair(
                        action="rewritten",
                        sentence=sentence,
                        detail="a sentence about the evidence restated as its claim",
                    )
                )
            clean, cited = extract_citations(sentence)
            if not clean:
                continue
            valid = [n for n in cited if n in passages]
            for n in cited:
                if n not in passages:
                    repairs.append(
                        Repair(
                            action="removed_invalid_citation",
                            sentence=clean,
                            detail=f"[{n}] is not one of the {len(passages)} sources",
                        )
                    )
            if not is_claim(clean, block.kind):
                draft_scored.append(
                    CitedSentence(text=sentence, section=section, citations=cited, is_claim=False)
                )
                out.append((clean, [], None, False))
                continue
            joint = support(clean, valid) if valid else 0.0
            draft_scored.append(
                CitedSentence(text=sentence, section=section, citations=cited, support=joint)
            )
            if valid and joint >= threshold:
                alone = (
                    {n: support(clean, [n]) for n in valid} if len(valid) > 1 else {valid[0]: joint}
                )
                keep = [n for n in valid if alone[n] >= threshold] or valid
                for n in valid:
                    if n not in keep:
                        repairs.append(
                            Repair(
                                action="removed_unsupporting_citation",
                                sentence=clean,
                                detail=f"[{n}] does not support it ({alone[n]:.2f})",
                            )
                        )
                out.append((clean, keep, joint, True))
                continue
            # Unsupported as cited: look for a retrieved source that does support it.
            tried = set(valid)
            best_n, best_score = 0, 0.0
            for n in passages:
                if n in tried:
                    continue
                score = support(clean, [n])
                if score > best_score:
                    best_n, best_score = n, score
            if best_score >= threshold:
                repairs.append(
                    Repair(
                        action="recited",
                        sentence=clean,
                        detail=f"{cited or 'no citation'} -> [{best_n}] ({best_score:.2f})",
                    )
                )
                out.append((clean, [best_n], best_score, True))
            elif block.kind == "heading":
                repairs.append(
                    Repair(
                        action="dropped",
                        sentence=clean,
                        detail="heading states an unsupported claim",
                    )
                )
            else:
                repairs.append(
                    Repair(
                        action="dropped",
                        sentence=clean,
                        detail=f"no source supports it (best {max(joint, best_score):.2f})",
                    )
                )
        kept_blocks.append((block, out))

    return _render(kept_blocks, evidence, repairs, draft_scored)


def _render(kept_blocks, evidence: Evidence, repairs: list[Repair], draft_scored) -> Enforced:  # type: ignore[no-untyped-def]
    renumber: dict[int, int] = {}
    for _, out in kept_blocks:
        for _, numbers, _, claim in out:
            if claim:
                for n in numbers:
                    renumber.setdefault(n, len(renumber) + 1)

    # Drop headings whose section lost every claim, and empty bullets/paragraphs.
    lines: list[str] = []
    sentences: list[CitedSentence] = []
    section = ""
    pending_heading: tuple[Block, str] | None = None
    for block, out in kept_blocks:
        if block.kind == "heading":
            if out and out[0][3]:  # a heading that is a supported claim
                pending_heading = None
                rendered = place_citations(out[0][0], [renumber[n] for n in out[0][1]])
                lines.append(f"{block.prefix}{rendered}")
                section = out[0][0]
            elif out:
                pending_heading = (block, out[0][0])
            else:
                pending_heading = None
            continue
        rendered_sentences = []
        has_claim = any(claim for _, _, _, claim in out)
        for clean, numbers, _score, _claim in out:
            new_numbers = [renumber[n] for n in numbers]
            rendered_sentences.append(place_citations(clean, new_numbers))
        if not rendered_sentences or (not has_claim and block.kind == "bullet"):
            continue
        if pending_heading is not None and has_claim:
            lines.append(f"{pending_heading[0].prefix}{pending_heading[1]}")
            section = pending_heading[1]
            pending_heading = None
        for clean, numbers, score, claim in out:
            sentences.append(
                CitedSentence(
                    text=place_citations(clean, [renumber[n] for n in numbers]),
                    section=section,
                    citations=[renumber[n] for n in numbers],
                    support=score,
                    is_claim=claim,
                )
            )
        lines.append(f"{block.prefix}{' '.join(rendered_sentences)}")
        if block.kind == "paragraph":
            lines.append("")

    references = []
    for old, new in sorted(renumber.items(), key=lambda kv: kv[1]):
        source = evidence.by_number(old)
        if source is not None:
            references.append(Reference(number=new, meta=source.meta, passages=source.passages))
    text = "\n".join(_tidy(lines)).strip()
    return Enforced(
        text=text,
        sentences=sentences,
        draft_sentences=draft_scored,
        references=references,
        repairs=repairs,
    )


def _tidy(lines: list[str]) -> list[str]:
    """Blank line before headings, none doubled."""
    out: list[str] = []
    for line in lines:
        if line.startswith("#") and out and out[-1] != "":
            out.append("")
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
        if line.startswith("#"):
            out.append("")
    return out
