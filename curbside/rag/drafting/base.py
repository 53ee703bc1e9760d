"""The one interface every answer writer implements.

A drafter turns the question, its numbered evidence and its analysis into a Markdown draft
with [n] markers, streamed as text deltas; the engine concatenates them and enforces the
citations. The extractive writer yields its draft at once, an LLM writer token by token,
the hybrid writer the model's verdict and synthesis and then the extractive sections.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curbside.rag.models import Evidence
    from curbside.rag.question import QuestionAnalysis


class Drafter(ABC):
    name: str = "drafter"

    @abstractmethod
    def stream(
        self, question: str, evidence: Evidence, analysis: QuestionAnalysis | None = None
    ) -> Iterator[str]:
        """The draft as text deltas, in order (no analysis: the writer makes its own)."""

    def draft(
        self, question: str, evidence: Evidence, analysis: QuestionAnalysis | None = None
    ) -> str:
        return "".join(self.stream(question, evidence, analysis))
