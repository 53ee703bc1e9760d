"""The typed objects that flow through curbside: sources, chunks, evidence and answers.

Ingestion produces ``SourceDocument``/``Chunk``; retrieval produces ``Evidence`` (numbered
sources with their passages); the engine produces one ``Answer`` that the CLI, the UI and
the evaluation all consume.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Repair(BaseModel):
    """A change citation enforcement made to the draft."""

    action: Literal[
        "removed_invalid_citation", "removed_unsupporting_citation", "recited", "dropped"
    ]
    sentence: str
    detail: str = ""


class CitedSentence(BaseModel):
    text: str = Field(description="The sentence as delivered, with its [n] markers.")
    section: str = ""
    citations: list[int] = Field(default_factory=list, description="Reference numbers.")
    support: float | None = Field(None, description="Support score; None for non-claims.")
    is_claim: bool = True


class Reference(BaseModel):
    number: int
    meta: SourceMeta
    passages: list[Passage] = Field(
        default_factory=list, description="The passages of this source that were cited."
    )

    @property
    def kind_label(self) -> str:
        return "Guideline" if self.meta.kind == "guideline" else "Research"


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
    backend: str = ""
    audience: str = "clinician"
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    retrieved_source_ids: list[str] = Field(
        default_factory=list, description="Source ids in retrieval order (for evaluation)."
    )
