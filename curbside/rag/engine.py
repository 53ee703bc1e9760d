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
from curbside.rag.condense import is_small_talk, llm_standalone, spelled_out_standalone, topic_of
from curbside.rag.disclaimer import disclaimer_for
from curbside.rag.drafting.base import Drafter
from curbside.rag.drafting.extractive import ExtractiveDrafter
from curbside.rag.drafting.layout import DIAGNOSIS, TREATMENT, lead_with_first_point
from curbside.rag.drafting.llm import GeneratorUnavailable, HybridDrafter, LLMDrafter
from curbside.rag.expansion import expansion_terms
from curbside.rag.injection import without_instructions
from curbside.rag.models import Answer, CitedSentence, Evidence, FacetCoverage, Turn
from curbside.rag.question import Concept, QuestionAnalysis, analyze_question, mentions
from curbside.rag.retrieval import QUESTION_WORDS, HybridRetriever, SearchFilters
from curbside.rag.safe_text import escape_markdown, safe_answer_markdown
from curbside.rag.text import QUESTION_GENERIC_WORDS, content_words

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder
    from curbside.rag.support import SupportScorer
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
UNKNOWN_NAME_SIMILARITY = 0.6  # below this best dense similarity an unknown name decides
PATIENT_NOTE = "Please discuss what this means for you with your doctor."
MODEL_DRAFT_UNSUPPORTED = (
    "The language model's draft had no sentence its sources support; this answer quotes the "
    "sources directly instead."
)


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

    # ---- helpers --------------------------------------------------------------------
    def corpus_size(self) -> tuple[int, int]:
        """(sources, chunks) in the index."""
        lexical = self.retriever.lexical()
        chunks = len(lexical.chunk_ids)
        sources = len({cid.split("::")[0] for cid in lexical.chunk_ids})
        return sources, chunks

    def validate(self, question: str) -> str:
        text = (question or "").strip()
        # Any script counts as words (Chinese, Arabic, ...); only symbols and emoji do not.
        if not any(ch.isalnum() for ch in text):
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
        return spelled_out_standalone(question, history)

    def follow_ups(
        self, standalone: str, sections: set[str], analysis: QuestionAnalysis | None = None
    ) -> list[str]:
        """Two or three suggested next questions, phrased around the question's subject."""
        topic = (analysis.subject if analysis else "") or topic_of(standalone)
        if not topic[:2].isupper():  # keep "SLE", lower "Foot drop"
            topic = topic[:1].lower() + topic[1:]
        asked = analysis.type if analysis else "other"
        options = []
        if asked != "management" and TREATMENT not in sections and not _INTERVENTION.search(topic):
            options.append(f"How is {topic} treated?")
        options.append(f"What do guidelines recommend about {topic}?")
        if asked != "diagnosis" and DIAGNOSIS not in sections and not _INTERVENTION.search(topic):
            options.append(f"How is {topic} diagnosed?")
        options.append(f"What are the limitations of the evidence on {topic}?")
        return options[:3]

    def covers(
        self, question: str, evidence: Evidence, analysis: QuestionAnalysis | None = None
    ) -> bool:
        """Do the retrieved sources speak to the question at all?

        Two signals: the best dense similarity, and the share of the question's specific
        terms found in the retrieved text (an off-topic question still gets *some* nearest
        neighbours; they just do not mention its terms).
        """
        if not evidence.sources:
            return False
        if evidence.best_similarity < self.settings.retrieval.min_dense_similarity:
            return False
        # Words of each passage's title + section + text, cached by the retriever.
        passage_words = [
            self.retriever.chunk_words(passage.chunk_id, (passage, source.meta))
            for source in evidence.sources
            for passage in source.passages
        ]
        if analysis is not None and (
            missing_population(evidence, analysis)
            or missing_setting(passage_words, analysis)
            or none_of_the_listed(passage_words, analysis)
        ):
            return False
        found: set[str] = set().union(*passage_words)
        terms = [w for w in set(content_words(question)) if len(w) >= 4 and w not in QUESTION_WORDS]
        if not terms:
            return True
        # A name the library never uses, and no chunk close to the question: not covered.
        # (Either alone is weak: PubMedQA titles use words their abstracts do not.)
        if evidence.best_similarity < UNKNOWN_NAME_SIMILARITY and self.names_unknown_thing(
            question, analysis
        ):
            return False
        return sum(1 for t in terms if t in found) / len(terms) > 0.6

    def names_unknown_thing(self, question: str, analysis: QuestionAnalysis | None = None) -> bool:
        """Does the question name something the whole library never mentions ("nusinersen",
        "Bell's palsy", "mitral valve")? Then nearest neighbours on its other words would be
        a guess. Specific means a proper name, or a rare word the embedding model's own
        vocabulary splits into pieces; everyday words ("compare", "afterwards") never count.
        Questions that list entities are left to the per-entity coverage map instead."""
        if (analysis or analyze_question(question)).facets:
            return False
        # Stems differ ("classified" / "classification", "Cushing" / "cushing's"): compare
        # prefixes of the word and of its stem with prefixes of indexed terms and their parts.
        known4, known6 = self.retriever.lexical().term_prefixes
        if not known4:
            return False
        first = question.split()[0] if question.split() else ""

        def indexed(term: str) -> bool:
            return all(w[:4] in known4 for w in content_words(term))

        for raw in re.findall(r"[A-Za-z][A-Za-z'-]+", question):
            # An abbreviation the thesaurus spells out in words the library uses ("RPGN",
            # rapidly progressive glomerulonephritis) is known under those words.
            if any(indexed(t) for t in expansion_terms(raw)):
                continue
            for part in [raw, *raw.split("-")]:
                word = re.sub(r"'s?$", "", part)
                stems = content_words(word)
                if len(word) < 4 or not stems or "'" in word:
                    continue
                lower = word.lower()
                if word[:1].isupper() and raw != first:  # a proper name
                    if stems[0][:4] not in known4 and lower[:4] not in known4:
                        return True
                elif (
                    stems[0][:6] not in known6
                    and lower[:6] not in known6
                    # a word the embedding model splits into three or more pieces is rare
                    and self.embedder.count_tokens([lower])[0] >= 3
                ):
                    return True
        return False

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
        analysis = analyze_question(standalone)
        base.analysis = analysis
        evidence = without_instruction_sentences(
            self.retriever.retrieve(standalone, filters, analysis)
        )
        timings["retrieve"] = time.perf_counter() - mark
        base.warnings = self.index_warnings()
        base.retrieved_source_ids = [s.meta.id for s in evidence.sources]
        base.evidence = evidence

        if not self.covers(standalone, evidence, analysis):
            yield self._finish(self._not_covered(base, evidence, filters), timings, started)
            return

        mark = time.perf_counter()
        draft = yield from self._draft(standalone, evidence, audience, timings, started, analysis)
        timings["draft"] = time.perf_counter() - mark
        base.draft = draft

        mark = time.perf_counter()
        # Model-written drafts may copy a distractor faithfully; the extractive writer has
        # its own topicality gate.
        off_topic = (
            off_topic_sources(evidence, analysis) if self.chat_model is not None else frozenset()
        )
        enforced = enforce_citations(
            draft, evidence, self.scorer, self.settings.citations.support_threshold, off_topic
        )
        timings["enforce"] = time.perf_counter() - mark
        base.draft_sentences = enforced.draft_sentences
        base.repairs = enforced.repairs
        if (
            self.chat_model is not None
            and not enforced.has_claims
            and not NOT_COVERED_MARK.search(draft)
        ):
            # The model wrote about the question but nothing it wrote is supported: quote
            # the sources rather than say they do not cover what they cover. Said openly.
            fallback = self.extractive_drafter(audience).draft(standalone, evidence, analysis)
            enforced = enforce_citations(
                fallback, evidence, self.scorer, self.settings.citations.support_threshold
            )
            base.repairs = [*base.repairs, *enforced.repairs]
            if enforced.has_claims:
                base.warnings = [*base.warnings, MODEL_DRAFT_UNSUPPORTED]
        if not enforced.has_claims or (NOT_COVERED_MARK.search(draft) and not enforced.references):
            yield self._finish(self._not_covered(base, evidence, filters), timings, started)
            return

        # Source (or model) text rendered as Markdown must stay text: escape it, keeping
        # only the headings, bullets and citation markers that curbside wrote.
        led = lead_with_first_point(enforced.text)
        body = safe_answer_markdown(led)
        base.title = analysis.title
        if not body.lstrip().startswith("# "):  # a model's "## Section" is not a title
            body = f"# {escape_markdown(base.title)}\n\n{body}"
        if audience == "patient":
            body = f"{body}\n\n{PATIENT_NOTE}"
        base.text = body
        base.sentences = (
            first_claim_leads(enforced.sentences) if led != enforced.text else enforced.sentences
        )
        base.references = enforced.references
        base.follow_ups = self.follow_ups(
            standalone, {s.section for s in enforced.sentences}, analysis
        )
        base.coverage = facet_coverage(analysis, enforced.sentences)
        yield self._finish(base, timings, started)

    def extractive_drafter(self, audience: str) -> ExtractiveDrafter:
        limit = {"patient": 5}.get(audience, self.settings.generation.max_sentences)
        return ExtractiveDrafter(self.embedder, limit)

    def drafter(self, audience: str) -> Drafter:
        """The answer writer of the configured backend and mode, for this audience."""
        extractive = self.extractive_drafter(audience)
        if self.chat_model is None:
            return extractive
        mode = self.settings.generation.mode
        llm = LLMDrafter(self.chat_model, self.backend, mode, audience)
        return HybridDrafter(llm, extractive) if mode == "hybrid" else llm

    def _draft(
        self,
        question: str,
        evidence: Evidence,
        audience: str,
        timings: dict[str, float],
        started: float,
        analysis: QuestionAnalysis,
    ) -> Generator[AnswerEvent, None, str]:
        parts: list[str] = []
        for delta in self.drafter(audience).stream(question, evidence, analysis):
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
            f'(searched for: "{escape_markdown(answer.standalone_question)}"). curbside answers '
            "only from the "
            "guidelines and papers in its index, so it will not guess.\n\n"
            "To get an answer, ingest a guideline or a systematic review on this topic, for "
            "example `curbside ingest path/to/guideline.pdf`, or PubMed records exported as "
            "MEDLINE (.nbib) or XML."
        )
        answer.sentences, answer.references, answer.follow_ups = [], [], []
        return answer

    def index_warnings(self) -> list[str]:
        """Warnings about the index itself (e.g. an ingest that did not finish)."""
        from curbside.rag.index_state import ingest_state

        state = ingest_state(self.settings.index_dir)
        if state == "interrupted":
            return [
                "The index is incomplete: an ingest was interrupted. Re-run `curbside ingest` "
                "on your sources before relying on this answer."
            ]
        if state == "running":
            return ["The index is being updated by a running ingest; answers may change."]
        return []

    def _finish(self, answer: Answer, timings: dict[str, float], started: float) -> AnswerEvent:
        timings["total"] = time.perf_counter() - started
        answer.timings = {k: round(v, 4) for k, v in timings.items()}
        return AnswerEvent("answer", answer.text, answer)


# A sentence saying its source is silent on an entity ("... is not mentioned among the
# features of MCTD, so this source gives no frequency ...") is no evidence *for* it.
SAYS_NOTHING_ON_IT = re.compile(
    r"\b(is|are|was|were) not (mentioned|reported|described|addressed)|\bgives? no\b|"
    r"\bno (data|evidence|reports?|frequency) (on|of|for|about)\b|"
    r"\bdoes not (report|address|mention|describe)\b",
    re.IGNORECASE,
)


def facet_coverage(
    analysis: QuestionAnalysis, sentences: Sequence[CitedSentence]
) -> list[FacetCoverage]:
    """For each entity the question lists: the references of delivered claims naming it."""
    coverage = []
    for facet in analysis.facets:
        numbers: list[int] = []
        for sentence in sentences:
            if (
                sentence.is_claim
                and sentence.citations
                and mentions(sentence.text, facet)
                and not SAYS_NOTHING_ON_IT.search(sentence.text)
            ):
                numbers.extend(n for n in sentence.citations if n not in numbers)
        coverage.append(FacetCoverage(facet=facet.name, references=sorted(numbers)))
    return coverage


def first_claim_leads(sentences: list[CitedSentence]) -> list[CitedSentence]:
    """The sentences in the order `lead_with_first_point` gave the text: when no claim
    opens the answer outside a section, the first claim does."""
    claims = [s for s in sentences if s.is_claim]
    if not claims or any(not s.section for s in claims):
        return sentences
    lead = claims[0].model_copy(update={"section": ""})
    return [lead, *(s for s in sentences if s is not claims[0])]


def missing_population(evidence: Evidence, analysis: QuestionAnalysis) -> Concept | None:
    """A condition the question is asked about ("... for Bell's palsy?") that no retrieved
    source names: answering from sources about other conditions would be a guess.
    Enumerated entities are left to the per-entity coverage map."""
    if analysis.facets:
        return None
    texts = [
        " ".join([s.meta.title, *(p.section for p in s.passages), *(p.text for p in s.passages)])
        for s in evidence.sources
    ]
    for population in analysis.populations:
        if not any(mentions(text, population) for text in texts):
            return population
    return None


def none_of_the_listed(passage_words: list[set[str]], analysis: QuestionAnalysis) -> bool:
    """ "Total contact cast or removable walker for a plantar ulcer in diabetes?": when no
    retrieved passage names any of the entities the question lists, the passages about the
    rest of it (diabetic foot care) do not answer it. A listed phrase the lexicon does not
    know counts as named when most of its words are in one passage (lists are read loosely:
    "patients aged 80 or older after ...")."""
    if not analysis.facets:
        return False
    for facet in analysis.facets:
        terms = [facet.name, *facet.terms] if facet.kind != "phrase" else [facet.name]
        for term in terms:
            words = set(content_words(term))
            if words and any(2 * len(words & found) >= len(words) for found in passage_words):
                return False
    return True


_SETTING_LEAD = frozenset(content_words("after following during post"))
_TIME_SPAN = re.compile(r"\b(hours?|days?|weeks?|months?|years?)\b", re.IGNORECASE)


# A setting the sources name in other words: a woman who could become pregnant is one "of
# childbearing potential" (the AAN's advice on valproate).
_SAME_SETTING = {
    w: {w, *others}
    for w, others in {
        "pregnant": content_words("pregnancy childbearing child-bearing"),
        "pregnancy": content_words("pregnant childbearing child-bearing"),
    }.items()
}


def missing_setting(passage_words: list[set[str]], analysis: QuestionAnalysis) -> str | None:
    """A setting the question names ("after hip replacement surgery") that no retrieved
    passage speaks of: foot drop in general is not foot drop after hip replacement. Most of
    its words must meet in one passage ("replacement" of a disc in one and "surgery" in
    another do not count; "shockwave" written "shock wave" may be missing). Time spans are
    not settings ("after three months" is written "after 12 weeks")."""
    if not analysis.constraints:
        return None
    ignored = _SETTING_LEAD | QUESTION_WORDS | QUESTION_GENERIC_WORDS
    for constraint in analysis.constraints:
        if _TIME_SPAN.search(constraint):
            continue
        words = {w for w in content_words(constraint) if w not in ignored}
        if words and not any(
            len({w for w in words if _SAME_SETTING.get(w, {w}) & found}) * 2 > len(words)
            for found in passage_words
        ):
            return constraint
    return None


def off_topic_sources(evidence: Evidence, analysis: QuestionAnalysis) -> frozenset[int]:
    """Numbers of the sources that name none of the question's concepts in their title or
    passages (for a topic the lexicon does not know: fewer than half of its specific words).
    Empty when the analysis found nothing to judge by."""
    concepts = analysis.topic_concepts()
    if not concepts:
        return frozenset()
    off = set()
    for source in evidence.sources:
        text = " ".join([source.meta.title, *(p.text for p in source.passages)])
        if not any(is_about(text, c) for c in concepts):
            off.add(source.number)
    return frozenset(off)


def is_about(text: str, concept: Concept) -> bool:
    if concept.kind != "phrase" or len(concept.terms) < 2:
        return mentions(text, concept)
    found = sum(
        1 for t in concept.terms if mentions(text, Concept(name=t, terms=[t], kind="phrase"))
    )
    return found * 2 >= len(concept.terms)


def without_instruction_sentences(evidence: Evidence) -> Evidence:
    """Evidence with instruction-like sentences cut from every passage.

    Ingest already removes them; this second pass covers indexes built by older versions or
    by other tools (a shared Chroma server), so no drafter and no re-citation ever sees them.
    """
    changed = False
    sources = []
    for source in evidence.sources:
        passages = []
        for passage in source.passages:
            text, removed = without_instructions(passage.text)
            if removed:
                changed = True
                log.warning(
                    "left %d instruction-like sentence(s) of %s out of the evidence",
                    len(removed),
                    source.meta.id,
                )
                passage = passage.model_copy(update={"text": text})
            if passage.text.strip():
                passages.append(passage)
        sources.append(source.model_copy(update={"passages": passages}))
    if not changed:
        return evidence
    return evidence.model_copy(update={"sources": [s for s in sources if s.passages]})
