"""The typed objects that flow through curbside: sources, chunks, evidence and answers.

Ingestion produces ``SourceDocument``/``Chunk``; retrieval produces ``Evidence`` (numbered
sources with their passages); the engine produces one ``Answer`` that the CLI, the UI and
the evaluation all consume.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from curbside.rag.question import QuestionAnalysis

SourceKind = Literal["guideline", "research"]


class SourceMeta(BaseModel):
    """Bibliographic facts about one guideline or paper."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable identifier, unique in the index.")
    title: str
    kind: SourceKind
    evidence_type: str = Field("", description="guideline, systematic review, RCT, cohort, ...")
    publisher: str = Field("", description="Journal or issuing body.")
    year: int | None = None
    authors: list[str] = Field(default_factory=list)
    url: str = ""
    doi: str = ""
    pmid: str = ""
    license: str = ""
    origin: str = Field("", description="File the source was read from.")


class Section(BaseModel):
    heading: str = Field(description="Section heading; empty for text before any heading.")
    text: str


class SourceDocument(BaseModel):
    """A loaded source: its metadata and its text as titled sections."""

    meta: SourceMeta
    sections: list[Section]

    @property
    def full_text(self) -> str:
        return "\n\n".join(f"{s.heading}\n{s.text}" if s.heading else s.text for s in self.sections)


class Chunk(BaseModel):
    id: str
    source_id: str
    section: str
    text: str
    position: int = Field(description="Order of the chunk within its source.")


class Passage(BaseModel):
    """A retrieved chunk with its retrieval scores."""

    chunk_id: str
    source_id: str
    section: str
    text: str
    position: int = 0
    dense_score: float | None = None
    bm25_score: float | None = None
    fused_score: float = 0.0


class EvidenceSource(BaseModel):
    """One numbered source of the evidence given to the generator."""

    number: int
    meta: SourceMeta
    passages: list[Passage]


class Evidence(BaseModel):
    question: str
    sources: list[EvidenceSource]
    best_similarity: float = Field(
        0.0, description="Highest dense similarity between question and any chunk."
    )

    def by_number(self, number: int) -> EvidenceSource | None:
        for source in self.sources:
            if source.number == number:
                return source
        return None


class Turn(BaseModel):
    """One exchange of a conversation."""

    question: str
    answer: str = ""

    @classmethod
    def from_answer(cls, answer: Answer) -> Turn:
        """The turn to remember: the *standalone* question, so the next follow-up is
        condensed against it and a chain of follow-ups keeps its topic."""
        return cls(question=answer.standalone_question, answer=answer.text)


RepairAction = Literal[
    "removed_invalid_citation",
    "removed_unsupporting_citation",
    "recited",
    "dropped",
    "rewritten",
]


class Repair(BaseModel):
    """A change citation enforcement made to the draft."""

    action: RepairAction
    sentence: str
    detail: str = ""


#: What enforcement did with one draft sentence: delivered as cited ("kept"), delivered
#: without some of its citations ("trimmed"), delivered with another source's citation
#: ("recited"), left out as unsupported ("dropped") or as citing only sources that are not
#: about the question ("off_topic"), or not a claim (headings, questions, transitions).
Outcome = Literal["kept", "trimmed", "recited", "dropped", "off_topic", "not_claim"]


class CitedSentence(BaseModel):
    text: str = Field(description="The sentence as delivered, with its [n] markers.")
    section: str = ""
    citations: list[int] = Field(default_factory=list, description="Reference numbers.")
    support: float | None = Field(None, description="Support score; None for non-claims.")
    is_claim: bool = True
    outcome: Outcome | None = Field(
        None, description="Draft sentences only: what citation enforcement did with it."
    )
    delivered_citations: list[int] = Field(
        default_factory=list,
        description="Draft sentences only: the evidence numbers it was delivered with.",
    )


class Reference(BaseModel):
    number: int
    meta: SourceMeta
    passages: list[Passage] = Field(
        default_factory=list, description="The passages of this source that were cited."
    )

    @property
    def kind_label(self) -> str:
        return "Guideline" if self.meta.kind == "guideline" else "Research"

    @property
    def evidence_label(self) -> str:
        """ "Guideline", or "Research, cohort study": the kind, then a differing evidence type."""
        extra = self.meta.evidence_type
        if extra and extra.lower() != self.kind_label.lower():
            return f"{self.kind_label}, {extra}"
        return self.kind_label

    @property
    def link(self) -> str:
        """Where to read the source: its URL, else its DOI or PubMed page (may be "")."""
        meta = self.meta
        if meta.url:
            return meta.url
        if meta.doi:
            return f"https://doi.org/{meta.doi}"
        if meta.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{meta.pmid}/"
        return ""

    def citation_line(self) -> str:
        """Plain text: "Title. Publisher, 2019. (Guideline, consensus statement)"."""
        parts = [end_sentence(self.meta.title)]
        where = ", ".join(x for x in (self.meta.publisher, str(self.meta.year or "")) if x)
        if where:
            parts.append(end_sentence(where))
        parts.append(f"({self.evidence_label})")
        return " ".join(parts)


def end_sentence(text: str) -> str:
    """Text ending in one mark of punctuation ("What to do?" stays, "Foot drop" gets ".")."""
    text = text.strip()
    return text if not text or text[-1:] in ".?!" else f"{text}."


class FacetCoverage(BaseModel):
    """Whether the answer found evidence for one entity the question enumerated."""

    facet: str
    references: list[int] = Field(
        default_factory=list, description="Reference numbers of the sentences about it."
    )

    @property
    def covered(self) -> bool:
        return bool(self.references)


def coverage_line(coverage: list[FacetCoverage]) -> str:
    """ "Evidence found for: SLE [2], Sjogren's syndrome [4]; none indexed for: MCTD"."""
    found = [
        f"{c.facet} [{', '.join(str(n) for n in c.references)}]" for c in coverage if c.covered
    ]
    missing = [c.facet for c in coverage if not c.covered]
    parts = []
    if found:
        parts.append("Evidence found for: " + ", ".join(found))
    if missing:
        parts.append("none in the indexed sources for: " + ", ".join(missing))
    return "; ".join(parts)


class Answer(BaseModel):
    question: str
    standalone_question: str
    title: str = ""
    text: str = Field("", description="The answer body in Markdown, citations inline.")
    sentences: list[CitedSentence] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    disclaimer: str = ""
    follow_ups: list[str] = Field(default_factory=list)
    repairs: list[Repair] = Field(default_factory=list)
    draft: str = Field("", description="The generator's draft before enforcement.")
    draft_sentences: list[CitedSentence] = Field(
        default_factory=list, description="Draft claims as scored before enforcement."
    )
    not_covered: bool = False
    analysis: QuestionAnalysis | None = Field(
        None, description="What the (standalone) question asks: type, focus, facets."
    )
    coverage: list[FacetCoverage] = Field(
        default_factory=list, description="Per enumerated entity: the references about it."
    )
    warnings: list[str] = Field(
        default_factory=list, description="Notes on the index, e.g. an interrupted ingest."
    )
    backend: str = ""
    audience: str = "clinician"
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    retrieved_source_ids: list[str] = Field(
        default_factory=list, description="Source ids in retrieval order (for evaluation)."
    )
    evidence: Evidence | None = Field(
        None,
        description="The numbered evidence the draft was written from (its [n] are these "
        "numbers; the delivered references are renumbered). For evaluation and audit.",
    )
