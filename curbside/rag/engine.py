"""The answer engine: question (+ conversation) -> condensed -> retrieved -> drafted ->
enforced -> one `Answer`. The CLI, the UI and the evaluation all go through `stream`/`ask`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from curbside.rag.citations import NOT_COVERED_MARK, enforce_citations
from curbside.rag.condense import is_small_talk, llm_standalone, rule_based_standalone, topic_of
from curbside.rag.disclaimer import disclaimer_for
from curbside.rag.drafting.extractive import ExtractiveDrafter, title_for
from curbside.rag.drafting.llm import GeneratorUnavailable, LLMDrafter, make_chat_model
from curbside.rag.models import Answer, Evidence, Turn
from curbside.rag.retrieval import QUESTION_WORDS, HybridRetriever, SearchFilters
from curbside.rag.support import OfflineSupportScorer, SupportScorer
from curbside.rag.text import content_words

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder
    from curbside.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["AnswerEngine", "AnswerEvent", "EmptyIndex", "GeneratorUnavailable", "QuestionRejected"]


class QuestionRejected(ValueError):
    """The question cannot be answered as asked; the message tells the user why."""


class EmptyIndex(RuntimeError):
    """Nothing is ingested yet."""


@dataclass
class AnswerEvent:
    kind: Literal["status", "draft", "answer"]
    text: str = ""
    answer: Answer | None = None


_INTERVENTION = re.compile(
    r"\b(orthos[ie]s|therapy|treatment|drug|surgery|stimulation|dose|screening|test|criteria)\b",
    re.IGNORECASE,
)
PATIENT_NOTE = "Please discuss what this means for you with your doctor."


class AnswerEngine:
    def __init__(
        self,
        settings: Settings,
        retriever: HybridRetriever,
        scorer: SupportScorer,
        embedder: Embedder,
        chat_model: Any = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.scorer = scorer
        self.embedder = embedder
        self.chat_model = chat_model
        self.backend = settings.generation.backend

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> AnswerEngine:
        from curbside.rag.factory import make_embedder, make_store
        from curbside.rag.support import LLMJudgeScorer, load_scorer_weights

        embedder = embedder or make_embedder(settings)
        store = make_store(settings)
        retriever = HybridRetriever(store, embedder, settings.retrieval, settings.index_dir)
        chat_model = None
        if settings.generation.backend != "extractive":
            chat_model = make_chat_model(settings.generation)
        weights = load_scorer_weights(settings.resolved_data_dir)  # from `curbside eval calibrate`
        scorer: SupportScorer = OfflineSupportScorer(embedder, weights)
        if settings.citations.scorer == "llm" and chat_model is not None:
            scorer = LLMJudgeScorer(chat_model, settings.generation.model)
        return cls(settings, retriever, scorer, embedder, chat_model)

    # ---- helpers --------------------------------------------------------------------
    def corpus_size(self) -> tuple[int, int]:
        """(sources, chunks) in the index."""
        lexical = self.retriever.lexical()
        chunks = len(lexical.chunk_ids)
        sources = len({cid.split("::")[0] for cid in lexical.chunk_ids})
        return sources, chunks

    def validate(self, question: str) -> str:
        text = (question or "").strip()
        if not re.search(r"[A-Za-z0-9]", text):
            raise QuestionRejected("Please type a clinical question (words, not only symbols).")
        limit = self.settings.ui.max_question_chars
        if len(text) > limit:
            raise QuestionRejected(
                f"Your question is {len(text):,} characters long; the limit is {limit:,}. "
                "Please shorten it to the clinical question itself."
            )
        return text

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        if self.chat_model is not None:
            return llm_standalone(question, history, self.chat_model)
        return rule_based_standalone(question, history)

    def follow_ups(self, standalone: str, sections: set[str]) -> list[str]:
        """Two or three suggested next questions, phrased around the question's topic."""
        topic = topic_of(standalone)
        if not topic[:2].isupper():  # keep "SLE", lower "Foot drop"
            topic = topic[:1].lower() + topic[1:]
        options = []
        if "Management" not in sections and not _INTERVENTION.search(topic):
            options.append(f"How is {topic} treated?")
        options.append(f"What do guidelines recommend about {topic}?")
        options.append(f"What are the limitations of the evidence on {topic}?")
        if "Diagnosis and evaluation" not in sections and not _INTERVENTION.search(topic):
            options.append(f"How is {topic} diagnosed?")
        return options[:3]

    def covers(self, question: str, evidence: Evidence) -> bool:
        """Do the retrieved sources speak to the question at all?

        Two signals: the best dense similarity, and the share of the question's specific
        terms found in the retrieved text (an off-topic question still gets *some* nearest
        neighbours; they just do not mention its terms).
        """
        if not evidence.sources:
            return False
        if evidence.best_similarity < self.settings.retrieval.min_dense_similarity:
            return False
        found: set[str] = set()
        for source in evidence.sources:
            for passage in source.passages:  # title + section + text, cached by the retriever
                found |= self.retriever.chunk_words(passage.chunk_id, (passage, source.meta))
        terms = [w for w in set(content_words(question)) if len(w) >= 4 and w not in QUESTION_WORDS]
        if not terms:
            return True
        return sum(1 for t in terms if t in found) / len(terms) > 0.6

    # ---- answering ------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
        audience: str = "clinician",
    ) -> Answer:
        answer = None
        for event in self.stream(question, history, filters, audience):
            if event.answer is not None:
                answer = event.answer
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
        audience: str = "clinician",
    ) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        question = self.validate(question)
        history = list(history)[-self.settings.ui.max_history_turns :]
        base = Answer(
            question=question,
            standalone_question=question,
            backend=self.backend,
            audience=audience,
            disclaimer=disclaimer_for(audience),
        )

        if is_small_talk(question):
            base.text = (
                "I answer clinical questions from the guideline and research sources in "
                "my index. What would you like to know?"
            )
            base.timings = {"total": time.perf_counter() - started}
            yield AnswerEvent("answer", base.text, base)
            return

        mark = time.perf_counter()
        standalone = self.standalone(question, history)
        timings["condense"] = time.perf_counter() - mark
        base.standalone_question = standalone
        yield AnswerEvent("status", f"Searching for: {standalone}")

        mark = time.perf_counter()
        if self.retriever.store.count() == 0:
            raise EmptyIndex(
                "The index is empty. Ingest sources first, e.g. `curbside ingest corpus/` "
                "for the bundled library or `curbside ingest path/to/guidelines/`."
            )
        evidence = self.retriever.retrieve(standalone, filters)
        timings["retrieve"] = time.perf_counter() - mark
        base.retrieved_source_ids = [s.meta.id for s in evidence.sources]

        if not self.covers(standalone, evidence):
            yield self._finish(self._not_covered(base, evidence, filters), timings, started)
            return

        mark = time.perf_counter()
        draft = yield from self._draft(standalone, evidence, audience, timings, started)
        timings["draft"] = time.perf_counter() - mark
        base.draft = draft

        mark = time.perf_counter()
        enforced = enforce_citations(
            draft, evidence, self.scorer, self.settings.citations.support_threshold
        )
        timings["enforce"] = time.perf_counter() - mark
        base.draft_sentences = enforced.draft_sentences
        base.repairs = enforced.repairs
        if not enforced.has_claims or (NOT_COVERED_MARK.search(draft) and not enforced.references):
            yield self._finish(self._not_covered(base, evidence, filters), timings, started)
            return

        body = enforced.text
        if not body.lstrip().startswith("#"):
            body = f"# {title_for(standalone)}\n\n{body}"
        if audience == "patient":
            body = f"{body}\n\n{PATIENT_NOTE}"
        base.title = title_for(standalone)
        base.text = body
        base.sentences = enforced.sentences
        base.references = enforced.references
        base.follow_ups = self.follow_ups(standalone, {s.section for s in enforced.sentences})
        yield self._finish(base, timings, started)

    def _draft(
        self,
        question: str,
        evidence: Evidence,
        audience: str,
        timings: dict[str, float],
        started: float,
    ) -> Generator[AnswerEvent, None, str]:
        if self.chat_model is None:
            limit = {"patient": 6, "student": 10}.get(
                audience, self.settings.generation.max_sentences
            )
            draft = ExtractiveDrafter(self.embedder, limit).draft(question, evidence)
            timings["first_text"] = time.perf_counter() - started
            yield AnswerEvent("draft", draft)
            return draft
        drafter = LLMDrafter(self.chat_model, self.backend)
        parts: list[str] = []
        for delta in drafter.stream(question, evidence, audience):
            if not parts:
                timings["first_text"] = time.perf_counter() - started
            parts.append(delta)
            yield AnswerEvent("draft", "".join(parts))
        return "".join(parts)

    def _not_covered(
        self, answer: Answer, evidence: Evidence, filters: SearchFilters | None
    ) -> Answer:
        answer.not_covered = True
        answer.title = "Not covered by the indexed sources"
        narrowed = (
            " with the current filters"
            if filters and (filters.kind or filters.year_min or filters.year_max)
            else ""
        )
        answer.text = (
            f"# Not covered by the indexed sources\n\n"
            f"The indexed sources{narrowed} do not answer this question "
            f'(searched for: "{answer.standalone_question}"). curbside answers only from the '
            "guidelines and papers in its index, so it will not guess.\n\n"
            "To get an answer, ingest a guideline or a systematic review on this topic, for "
            "example `curbside ingest path/to/guideline.pdf`, or PubMed records exported as "
            "MEDLINE (.nbib) or XML."
        )
        answer.sentences, answer.references, answer.follow_ups = [], [], []
        return answer

    def _finish(self, answer: Answer, timings: dict[str, float], started: float) -> AnswerEvent:
        timings["total"] = time.perf_counter() - started
        answer.timings = {k: round(v, 4) for k, v in timings.items()}
        return AnswerEvent("answer", answer.text, answer)
