"""Hybrid retrieval: dense (Chroma) and BM25, fused by weighted reciprocal rank.

The fused chunks are thinned for diversity (at most a few chunks per source) and grouped
into numbered sources, the evidence the generator may cite.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curbside.rag.bodies import issued_by
from curbside.rag.expansion import expand_query
from curbside.rag.lexical import LexicalIndex, index_path, load_fresh_lexical_index
from curbside.rag.models import Evidence, EvidenceSource, Passage, SourceMeta
from curbside.rag.question import QuestionAnalysis, mentions
from curbside.rag.text import content_words

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder
    from curbside.rag.store import ChunkStore
    from curbside.settings import RetrievalSettings

log = logging.getLogger(__name__)


# The store's size is compared with the loaded BM25 index at most this often: one count()
# per query would be a round trip per question in server mode.
LEXICAL_CHECK_INTERVAL_S = 2.0


@dataclass(frozen=True)
class SearchFilters:
    kind: str | None = None  # "guideline" or "research"
    year_min: int | None = None
    year_max: int | None = None

    @classmethod
    def from_user(
        cls, kind: str | None, year_min: float | None, year_max: float | None
    ) -> SearchFilters:
        """Filters as typed in the CLI or picked in the chat: "" / "any" kind means any,
        years become whole numbers (0 means none), a reversed range is put the right way
        round. Raises ValueError for a kind other than guideline or research."""
        kind = (kind or "").strip().lower() or None
        if kind == "any":
            kind = None
        if kind not in (None, "guideline", "research"):
            raise ValueError("the kind must be guideline or research")
        low = int(year_min) if year_min else None
        high = int(year_max) if year_max else None
        if low and high and low > high:
            low, high = high, low
        return cls(kind=kind, year_min=low, year_max=high)

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.kind:
            clauses.append({"kind": self.kind})
        if self.year_min:
            clauses.append({"year": {"$gte": self.year_min}})
        if self.year_max:
            clauses.append({"year": {"$lte": self.year_max}})
            clauses.append({"year": {"$gt": 0}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def reciprocal_rank_fusion(
    rankings: list[tuple[list[str], float]], k: int
) -> list[tuple[str, float]]:
    """Weighted RRF: score(d) = sum over rankings of weight / (k + rank of d)."""
    scores: dict[str, float] = {}
    for ranked_ids, weight in rankings:
        for rank, item in enumerate(ranked_ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def diversify(
    ranked: list[str], source_of: Callable[[str], str], top_k: int, per_source: int
) -> list[str]:
    """Keep rank order but at most `per_source` chunks of one source, up to top_k chunks."""
    kept: list[str] = []
    taken: dict[str, int] = {}
    for chunk_id in ranked:
        source = source_of(chunk_id)
        if taken.get(source, 0) >= per_source:
            continue
        taken[source] = taken.get(source, 0) + 1
        kept.append(chunk_id)
        if len(kept) == top_k:
            break
    return kept


class HybridRetriever:
    def __init__(
        self, store: ChunkStore, embedder: Embedder, settings: RetrievalSettings, index_dir: Path
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.index_dir = index_dir
        self._lexical: LexicalIndex | None = None
        self._lexical_stamp: tuple[int, float] | None = None
        self._lock = threading.Lock()
        self._words: dict[str, set[str]] = {}
        self._checked_at = 0.0  # when the lexical index was last compared with the store
        # Indexed sources' metadata, read again when the lexical index's fingerprint changes.
        self._metas: tuple[str, dict[str, SourceMeta]] = ("", {})

    # ---- the lexical side, kept in step with the store -----------------------------
    def _stamp(self) -> tuple[int, float]:
        marker = index_path(self.index_dir) / "chunks.json"
        mtime = marker.stat().st_mtime if marker.exists() else 0.0
        return self.store.count(), mtime

    def lexical(self) -> LexicalIndex:
        """Reload when the store's size or the saved index changed (e.g. an ingest ran)."""
        now = time.monotonic()
        if self._lexical is not None and now - self._checked_at < LEXICAL_CHECK_INTERVAL_S:
            return self._lexical
        stamp = self._stamp()
        with self._lock:
            if self._lexical is None or stamp != self._lexical_stamp:
                self._lexical = load_fresh_lexical_index(self.store, self.index_dir)
                self._lexical_stamp = self._stamp()
            self._checked_at = now
            return self._lexical

    def chunk_words(self, chunk_id: str, pair: tuple[Passage, SourceMeta]) -> set[str]:
        """Content words of a chunk, cached: chunk ids are content hashes, so never stale."""
        words = self._words.get(chunk_id)
        if words is None:
            words = _chunk_words(pair)
            if len(self._words) > 200_000:
                self._words.clear()
            self._words[chunk_id] = words
        return words

    # ---- the two retrievers --------------------------------------------------------
    def dense(
        self,
        query: str,
        k: int,
        filters: SearchFilters | None = None,
        vector: list[float] | None = None,
    ) -> list[tuple[Passage, SourceMeta]]:
        if vector is None:  # cached: widen() and repeated questions reuse it
            vector = self.embedder.encode_cached([query])[0].tolist()
        where = filters.chroma_where() if filters else None
        return self.store.query(vector, k, where)

    def bm25(
        self, query: str, k: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        f = filters or SearchFilters()
        if self.settings.expand_queries:
            query = expand_query(query)
        return self.lexical().search(query, k, f.kind, f.year_min, f.year_max)

    # ---- fused ---------------------------------------------------------------------
    def search(
        self,
        query: str,
        filters: SearchFilters | None = None,
        mode: str | None = None,
        top_k: int | None = None,
        diverse: bool = True,
    ) -> tuple[list[tuple[Passage, SourceMeta]], float]:
        """Ranked chunks and the best dense similarity (the coverage signal)."""
        mode = mode or self.settings.mode
        top_k = top_k or self.settings.top_k
        n = self.settings.candidates
        found: dict[str, tuple[Passage, SourceMeta]] = {}
        rankings: list[tuple[list[str], float]] = []
        best_similarity = 1.0
        if mode in ("hybrid", "dense"):
            dense_hits = self.dense(query, n, filters)
            for passage, meta in dense_hits:
                found[passage.chunk_id] = (passage, meta)
            rankings.append(([p.chunk_id for p, _ in dense_hits], self.settings.dense_weight))
            best_similarity = max((p.dense_score or 0.0 for p, _ in dense_hits), default=0.0)
            expanded = expand_query(query) if self.settings.expand_queries else query
            if expanded != query and self.settings.expansion_weight > 0:
                # A second dense ranking for the thesaurus-expanded question reaches sources
                # that name the narrower terms ("lupus" for "connective tissue disease").
                expanded_hits = self.dense(expanded, n, filters)
                for passage, meta in expanded_hits:
                    found.setdefault(passage.chunk_id, (passage, meta))
                # The question written out ("GPA" as granulomatosis with polyangiitis) is
                # as close to the sources as the question itself.
                best_similarity = max(
                    best_similarity,
                    max((p.dense_score or 0.0 for p, _ in expanded_hits), default=0.0),
                )
                rankings.append(
                    ([p.chunk_id for p, _ in expanded_hits], self.settings.expansion_weight)
                )
        if mode in ("hybrid", "bm25"):
            lexical_hits = self.bm25(query, n, filters)
            missing = [cid for cid, _ in lexical_hits if cid not in found]
            for cid, pair in self.store.get_passages(missing).items():
                found[cid] = pair
            lexical_hits = [(cid, s) for cid, s in lexical_hits if cid in found]  # drop stale
            for cid, score in lexical_hits:
                found[cid][0].bm25_score = score
            rankings.append(([cid for cid, _ in lexical_hits], self.settings.bm25_weight))
        fused = reciprocal_rank_fusion(rankings, self.settings.rrf_k)
        for cid, score in fused:
            found[cid][0].fused_score = score
        ordered = [cid for cid, _ in fused]
        if diverse:
            selected = diversify(
                ordered,
                lambda cid: found[cid][0].source_id,
                top_k,
                self.settings.max_chunks_per_source,
            )
            covered = cover_query_terms(
                query, ordered, selected, lambda cid: self.chunk_words(cid, found[cid])
            )
            ordered = include_both_kinds(
                ordered, covered[:top_k], lambda cid: found[cid][1].kind, self.settings.candidates
            )
        return [found[cid] for cid in ordered[:top_k]], best_similarity

    def retrieve(
        self,
        query: str,
        filters: SearchFilters | None = None,
        analysis: QuestionAnalysis | None = None,
    ) -> Evidence:
        hits, best = self.search(query, filters)
        if self.settings.widen_sources:
            hits = self.widen(query, hits)
        if analysis is not None and analysis.type == "definition":
            hits = self.add_opening_passages(hits)
        if analysis is not None and analysis.facets and self.settings.facet_quota:
            hits = self.add_facet_evidence(hits, analysis, filters)
        if analysis is not None and analysis.bodies and self.settings.body_quota:
            hits = self.add_body_evidence(query, hits, analysis, filters)
        if self.settings.guideline_quota and (filters is None or filters.kind is None):
            hits = self.add_guideline_evidence(query, hits, filters)
        return group_into_sources(query, hits, best)

    def sources_issued_by(self, body: str) -> list[str]:
        """Ids of the indexed sources a guideline body issued ("AAN")."""
        fingerprint = self.lexical().fingerprint  # changes whenever the indexed chunks do
        stamp, metas = self._metas
        if stamp != fingerprint:
            metas = {sid: meta for sid, (meta, _) in self.store.sources().items()}
            self._metas = (fingerprint, metas)
        return [sid for sid, m in metas.items() if issued_by(m.title, m.publisher, body)]

    def add_body_evidence(
        self,
        query: str,
        hits: list[tuple[Passage, SourceMeta]],
        analysis: QuestionAnalysis,
        filters: SearchFilters | None = None,
    ) -> list[tuple[Passage, SourceMeta]]:
        """ "What does the AAN recommend for ...?": the chunks of that body's sources nearest
        to the question, and the one sharing its words best, even when another source
        answers the question more closely (that one's word is not what was asked)."""
        ids = list(dict.fromkeys(s for b in analysis.bodies for s in self.sources_issued_by(b)))
        if not ids:
            return hits
        quota = self.settings.body_quota
        clauses: list[dict[str, Any]] = [{"source_id": {"$in": ids}}]
        if filters is not None and (where := filters.chroma_where()) is not None:
            clauses.append(where)
        where_all = clauses[0] if len(clauses) == 1 else {"$and": clauses}
        vector = self.embedder.encode_cached([query])[0].tolist()
        have = {p.chunk_id for p, _ in hits}
        found = self.store.query(vector, quota + len(hits), where_all)
        added = [(p, m) for p, m in found if p.chunk_id not in have][:quota]
        result = [*hits, *added]
        own = list(dict.fromkeys(m.id for _, m in added))[:2]
        return self.widen_by_words(query, result, own)

    def add_guideline_evidence(
        self,
        query: str,
        hits: list[tuple[Passage, SourceMeta]],
        filters: SearchFilters | None = None,
    ) -> list[tuple[Passage, SourceMeta]]:
        """The best guideline chunks for the question, searched among guidelines alone:
        research on a narrow question outranks every guideline in a mixed ranking, yet a
        clinician weighs what a guideline says first. Up to `guideline_quota` are added;
        the writer still uses them only when they are on topic."""
        quota = self.settings.guideline_quota
        have = {p.chunk_id for p, _ in hits}
        guideline_filters = SearchFilters(
            kind="guideline",
            year_min=filters.year_min if filters else None,
            year_max=filters.year_max if filters else None,
        )
        found, _ = self.search(query, guideline_filters, top_k=quota + len(hits))
        added = [(p, m) for p, m in found if p.chunk_id not in have][:quota]
        return [*hits, *added]

    def widen(
        self, query: str, hits: list[tuple[Passage, SourceMeta]]
    ) -> list[tuple[Passage, SourceMeta]]:
        """More chunks of the best sources: the diversity cap keeps two chunks a source, and
        the sentence that answers best often sits in a third. Each top source gets its
        chunks nearest to the question, up to `widen_chunks` in all."""
        vector = self.embedder.encode_cached([query])[0].tolist()  # computed once per question
        result = list(hits)
        have = {p.chunk_id for p, _ in result}
        top = list(dict.fromkeys(p.source_id for p, _ in hits))[: self.settings.widen_sources]
        for source_id in top:
            count = sum(1 for p, _ in result if p.source_id == source_id)
            room = self.settings.widen_chunks - count
            if room <= 0:
                continue
            for passage, meta in self.store.query(vector, room + count, {"source_id": source_id}):
                if room <= 0:
                    break
                if passage.chunk_id not in have:
                    result.append((passage, meta))
                    have.add(passage.chunk_id)
                    room -= 1
        return self.widen_by_words(query, result, top)

    def widen_by_words(
        self, query: str, hits: list[tuple[Passage, SourceMeta]], source_ids: list[str]
    ) -> list[tuple[Passage, SourceMeta]]:
        """The chunk of each top source that shares the question's words best (BM25), when
        it is not there yet. Dense widening finds chunks *about* the question; a sentence
        that names its exact aspect ("the overall relapse rate was 46%" for "How often does
        NSVN relapse?") can sit in a chunk whose embedding is about something else."""
        per_source = self.settings.widen_word_chunks
        if per_source <= 0 or not source_ids:
            return hits
        lexical = self.lexical()
        if self.settings.expand_queries:
            query = expand_query(query)
        have = {p.chunk_id for p, _ in hits}
        ids_of = self.store.ids_by_source(source_ids)
        scores = lexical.scores_of(query, [cid for ids in ids_of.values() for cid in ids])
        wanted: list[str] = []
        for ids in ids_of.values():
            new = [cid for cid in ids if cid not in have and scores.get(cid, 0.0) > 0]
            wanted.extend(sorted(new, key=lambda cid: -scores[cid])[:per_source])
        if not wanted:
            return hits
        found = self.store.get_passages(wanted)
        return [*hits, *(found[cid] for cid in wanted if cid in found)]

    def add_opening_passages(
        self, hits: list[tuple[Passage, SourceMeta]]
    ) -> list[tuple[Passage, SourceMeta]]:
        """ "What is X?": a source's opening chunk usually says what its subject is ("Foot
        drop is weakness of the dorsiflexor muscles of the foot"), but its embedding is about
        the whole topic and a chunk on causes or treatment ranks first."""
        top = list(dict.fromkeys(p.source_id for p, _ in hits))[: self.settings.widen_sources]
        have = {p.chunk_id for p, _ in hits}
        opening = self.store.opening_passages(top)
        return [*hits, *(pair for pair in opening if pair[0].chunk_id not in have)]

    def add_facet_evidence(
        self,
        hits: list[tuple[Passage, SourceMeta]],
        analysis: QuestionAnalysis,
        filters: SearchFilters | None = None,
    ) -> list[tuple[Passage, SourceMeta]]:
        """A sub-query per enumerated entity, so each one gets its best evidence when the
        index holds any: "SLE, systemic sclerosis and MCTD" must not be answered from the
        SLE sources alone. Only chunks that name the entity count towards its quota."""
        quota = self.settings.facet_quota
        result = list(hits)
        have = {p.chunk_id for p, _ in result}
        topic = " ".join(c.name for c in analysis.focus[:2])
        # "foot drop" is mostly written as peroneal neuropathy: search with related terms too.
        related = [t for c in analysis.focus[:1] for t in c.terms[c.direct_terms :]][:2]
        # "How is neuropathy treated in SLE, SSc and Sjogren's?" wants each one's treatment,
        # not its best description: the aspect asked joins every sub-query.
        aspect, aspect_words = FACET_ASPECT.get(analysis.type, ("", None))
        for facet in analysis.facets:
            sub_query = " ".join([facet.name, topic, *related, aspect]).strip()
            found, _ = self.search(sub_query, filters, top_k=quota * 3)
            fresh = [
                (passage, meta)
                for passage, meta in found
                if passage.chunk_id not in have and mentions(_chunk_text(passage, meta), facet)
            ]
            if aspect_words is not None:
                # Dense search ranks a passage about the entity above one about its
                # treatment; those that speak of the aspect asked come first.
                fresh.sort(key=lambda pair: not aspect_words.search(_chunk_text(*pair)))
            for passage, meta in fresh[:quota]:
                result.append((passage, meta))
                have.add(passage.chunk_id)
            if aspect:
                # The sources about this entity also bring the chunk that names the aspect
                # asked ("Treatment" in an SSc neuropathy review whose summary is found first).
                own = [m.id for _, m in result if mentions(m.title, facet)]
                result = self.widen_by_words(sub_query, result, list(dict.fromkeys(own))[:2])
                have = {p.chunk_id for p, _ in result}
        return result


# The words a passage answering each kind of question tends to use.
FACET_ASPECT: dict[str, tuple[str, re.Pattern[str]]] = {
    "management": (
        "treatment",
        re.compile(r"\b(treat|therap|manag|recommend|first-line|second-line)", re.I),
    ),
    "dose": ("dose", re.compile(r"\b(dose|dosing|mg)\b", re.I)),
    "diagnosis": (
        "diagnosis",
        re.compile(r"\b(diagnos|test|biops|nerve conduction|electrodiagnos|imaging)", re.I),
    ),
    "frequency": (
        "prevalence",
        re.compile(r"\d%|\b\d+ of \d+\b|\b(prevalen|inciden|frequen|common)", re.I),
    ),
    "prognosis": ("outcome", re.compile(r"\b(outcome|prognos|recover|mortality|relapse)", re.I)),
}


def _chunk_text(passage: Passage, meta: SourceMeta) -> str:
    return f"{meta.title} {passage.section} {passage.text}"


def _chunk_words(pair: tuple[Passage, SourceMeta]) -> set[str]:
    passage, meta = pair
    return set(content_words(f"{meta.title} {passage.section} {passage.text}"))


def cover_query_terms(
    query: str, ranked: list[str], selected: list[str], words_of: Callable[[str], set[str]]
) -> list[str]:
    """Make every specific query term appear in the context when any candidate has it.

    "Can foot drop occur in SLE?" should not be answered from foot-drop reviews alone: when
    no selected chunk mentions SLE, the best-ranked candidate that does replaces the last
    selected chunk. Generic words do not count as terms.
    """
    terms = [
        w for w in dict.fromkeys(content_words(query)) if len(w) >= 3 and w not in QUESTION_WORDS
    ]
    result = list(selected)
    covered = set().union(*(words_of(cid) for cid in result)) if result else set()
    protected = 1  # never displace the top chunk
    for term in terms:
        if term in covered:
            continue
        candidate = next(
            (cid for cid in ranked if cid not in result and term in words_of(cid)), None
        )
        if candidate is None:
            continue
        if len(result) > protected:
            result.pop()
        result.insert(protected, candidate)
        protected += 1
        covered |= words_of(candidate)
    return result


def include_both_kinds(
    ranked: list[str], selected: list[str], kind_of: Callable[[str], str], window: int
) -> list[str]:
    """Clinicians weigh guidelines and research differently and want to see both: when the
    selection holds only one kind and the best `window` candidates hold the other, the
    best-ranked chunk of the other kind replaces the last selected chunk."""
    kinds = {kind_of(cid) for cid in selected}
    if len(kinds) != 1 or len(selected) < 2:
        return selected
    other = next(
        (cid for cid in ranked[:window] if cid not in selected and kind_of(cid) not in kinds), None
    )
    if other is None:
        return selected
    return [*selected[:-1], other]


QUESTION_WORDS = frozenset(
    content_words(
        "occur happen best treat treated treatment manage managed management cause "
        "causes recommend recommended dose doses first line role evidence "
        # A clinician's chat words say nothing of the topic: "Worth sending anti-GM1
        # antibodies?", "Is MCTD really ...?", "which drug would you pick?"
        "worth send sending pick really realistically actually exactly made bother "
        "anything something woman patient patients trying argue"
    )
)


def group_into_sources(
    question: str, hits: list[tuple[Passage, SourceMeta]], best_similarity: float
) -> Evidence:
    """Number sources in order of their best chunk; passages keep retrieval order."""
    sources: dict[str, EvidenceSource] = {}
    for passage, meta in hits:
        if passage.source_id not in sources:
            sources[passage.source_id] = EvidenceSource(
                number=len(sources) + 1, meta=meta, passages=[]
            )
        sources[passage.source_id].passages.append(passage)
    return Evidence(
        question=question, sources=list(sources.values()), best_similarity=best_similarity
    )
