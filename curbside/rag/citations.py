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

from curbside.rag.models import CitedSentence, Evidence, Outcome, Reference, Repair, RepairAction
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
# Not a claim only when that is all the sentence says: "The sources do not cover dosing, but
# amputation is first-line" carries a claim past the mark and is checked like any other.
_ONLY_NOT_COVERED = re.compile(
    r"^(the )?([\w-]+ )?sources? (do|does) not (answer|cover|address)\b"
    r"(?![^.]*(\bbut\b|\bhowever\b|\balthough\b|\bwhile\b|\bwhereas\b|\bthough\b|;|:))",
    re.IGNORECASE,
)
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
    # "text [1] ." -> "text."; not "P = .003" -> "P =.003" (a decimal is not punctuation).
    clean = re.sub(r"\s+([.,;:!?])(?!\d)", r"\1", clean).strip()
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
    r"\s+(?=[,.;](?!\d))"  # not before a decimal: "P = .003" stays as written
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
    if clean.endswith("?") or _ONLY_NOT_COVERED.match(clean):
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
class CheckedSentence:
    """One draft sentence after checking: the text without markers, the evidence numbers it
    keeps (draft numbering), its support score and what enforcement did with it."""

    clean: str
    numbers: list[int]
    support: float | None
    outcome: Outcome

    @property
    def delivered(self) -> bool:
        return self.outcome not in ("dropped", "off_topic")

    @property
    def is_claim(self) -> bool:
        return self.outcome != "not_claim"


@dataclass
class CheckedBlock:
    block: Block
    sentences: list[CheckedSentence]

    @property
    def has_claim(self) -> bool:
        return any(s.is_claim and s.delivered for s in self.sentences)


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


class _Checker:
    """Checks one draft sentence at a time against the numbered evidence."""

    def __init__(
        self,
        evidence: Evidence,
        scorer: SupportScorer,
        threshold: float,
        off_topic: frozenset[int] = frozenset(),
    ) -> None:
        self.passages = {s.number: [p.text for p in s.passages] for s in evidence.sources}
        self.scorer = scorer
        self.threshold = threshold
        self.off_topic = off_topic
        self.repairs: list[Repair] = []

    def support(self, clean: str, numbers: list[int]) -> float:
        texts = [t for n in numbers for t in self.passages[n]]
        return self.scorer.score(clean, texts) if texts else 0.0

    def check(self, clean: str, cited: list[int], kind: BlockKind) -> CheckedSentence:
        passages, threshold = self.passages, self.threshold
        valid = [n for n in cited if n in passages]
        for n in cited:
            if n not in passages:
                self.repair(
                    "removed_invalid_citation",
                    clean,
                    f"[{n}] is not one of the {len(passages)} sources",
                )
        if not is_claim(clean, kind):
            return CheckedSentence(clean, [], None, "not_claim")
        if valid and all(n in self.off_topic for n in valid):
            # Faithful to a source that is not about the question (a model copying a
            # distractor verbatim): true, cited, and no answer. Not delivered.
            self.repair("dropped", clean, f"cites only sources not about the question {valid}")
            return CheckedSentence(clean, [], None, "off_topic")
        joint = self.support(clean, valid) if valid else 0.0
        if valid and joint >= threshold:
            alone = (
                {n: self.support(clean, [n]) for n in valid}
                if len(valid) > 1
                else {valid[0]: joint}
            )
            keep = [n for n in valid if alone[n] >= threshold] or valid
            for n in valid:
                if n not in keep:
                    self.repair(
                        "removed_unsupporting_citation",
                        clean,
                        f"[{n}] does not support it ({alone[n]:.2f})",
                    )
            outcome: Outcome = "kept" if keep == valid and valid == cited else "trimmed"
            return CheckedSentence(clean, keep, joint, outcome)
        # Unsupported as cited: look for a retrieved source that does support it.
        best_n, best_score, stray_score = 0, 0.0, 0.0
        for n in passages:
            if n in valid:
                continue
            score = self.support(clean, [n])
            if n in self.off_topic:  # never cited to, but worth knowing where it came from
                stray_score = max(stray_score, score)
            elif score > best_score:
                best_n, best_score = n, score
        if best_score < threshold <= stray_score:
            self.repair("dropped", clean, "supported only by sources not about the question")
            return CheckedSentence(clean, [], stray_score, "off_topic")
        if best_score >= threshold:
            self.repair(
                "recited", clean, f"{cited or 'no citation'} -> [{best_n}] ({best_score:.2f})"
            )
            return CheckedSentence(clean, [best_n], best_score, "recited")
        if kind == "heading":
            self.repair("dropped", clean, "heading states an unsupported claim")
        else:
            self.repair(
                "dropped", clean, f"no source supports it (best {max(joint, best_score):.2f})"
            )
        return CheckedSentence(clean, [], max(joint, best_score), "dropped")

    def repair(self, action: RepairAction, sentence: str, detail: str) -> None:
        self.repairs.append(Repair(action=action, sentence=sentence, detail=detail))


def enforce_citations(
    draft: str,
    evidence: Evidence,
    scorer: SupportScorer,
    threshold: float,
    off_topic: frozenset[int] = frozenset(),
) -> Enforced:
    """Check every sentence of the draft; `off_topic` numbers sources that are not about the
    question: a claim citing only those is dropped, and none is re-cited to them."""
    checker = _Checker(evidence, scorer, threshold, off_topic)
    draft_scored: list[CitedSentence] = []
    checked_blocks: list[CheckedBlock] = []
    section = ""
    for block in parse_blocks(draft):
        if block.kind == "heading":
            section = block.sentences[0]
        checked: list[CheckedSentence] = []
        for sentence in block.sentences:
            sentence, rewritten = restate_evidence_talk(sentence)
            if rewritten:
                checker.repair(
                    "rewritten", sentence, "a sentence about the evidence restated as its claim"
                )
            clean, cited = extract_citations(sentence)
            if not clean:
                continue
            result = checker.check(clean, cited, block.kind)
            checked.append(result)
            draft_scored.append(
                CitedSentence(
                    text=sentence,
                    section=section,
                    citations=cited,
                    support=result.support,
                    is_claim=result.is_claim,
                    outcome=result.outcome,
                    delivered_citations=result.numbers,
                )
            )
        checked_blocks.append(CheckedBlock(block, checked))
    return _render(checked_blocks, evidence, checker.repairs, draft_scored)


def _render(
    checked_blocks: list[CheckedBlock],
    evidence: Evidence,
    repairs: list[Repair],
    draft_scored: list[CitedSentence],
) -> Enforced:
    renumber: dict[int, int] = {}
    for checked in checked_blocks:
        for sentence in checked.sentences:
            if sentence.is_claim and sentence.delivered:
                for n in sentence.numbers:
                    renumber.setdefault(n, len(renumber) + 1)

    # Drop headings whose section lost every claim, and empty bullets/paragraphs.
    lines: list[str] = []
    sentences: list[CitedSentence] = []
    section = ""
    pending_heading: tuple[Block, str] | None = None
    for checked in checked_blocks:
        block = checked.block
        delivered = [s for s in checked.sentences if s.delivered]
        if block.kind == "heading":
            first = delivered[0] if delivered else None
            if first is not None and first.is_claim:  # a heading that is a supported claim
                pending_heading = None
                rendered = place_citations(first.clean, [renumber[n] for n in first.numbers])
                lines.append(f"{block.prefix}{rendered}")
                section = first.clean
            elif first is not None:
                pending_heading = (block, first.clean)
            else:
                pending_heading = None
            continue
        if not delivered or (not checked.has_claim and block.kind == "bullet"):
            continue
        # A section may hold only a plain statement of what the sources do not address
        # ("Important caveats: the indexed sources do not address foot drop itself in
        # connective-tissue diseases"); its heading is shown for it too.
        says_not_addressed = any(NOT_COVERED_MARK.search(s.clean) for s in delivered)
        if pending_heading is not None and (checked.has_claim or says_not_addressed):
            lines.append(f"{pending_heading[0].prefix}{pending_heading[1]}")
            section = pending_heading[1]
            pending_heading = None
        rendered_sentences = []
        for sentence in delivered:
            numbers = [renumber[n] for n in sentence.numbers]
            rendered_sentences.append(place_citations(sentence.clean, numbers))
            sentences.append(
                CitedSentence(
                    text=rendered_sentences[-1],
                    section=section,
                    citations=numbers,
                    support=sentence.support,
                    is_claim=sentence.is_claim,
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
