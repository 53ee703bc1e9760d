"""Weighted reciprocal-rank fusion, per-source diversity and query-term coverage."""

from __future__ import annotations

import pytest

from curbside.rag.models import Passage, SourceMeta
from curbside.rag.retrieval import (
    SearchFilters,
    cover_query_terms,
    diversify,
    group_into_sources,
    reciprocal_rank_fusion,
)


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = dict(reciprocal_rank_fusion([(["a", "b", "c"], 1.0), (["c", "a"], 0.5)], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 0.5 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 0.5 / 61)


def test_rrf_order_and_agreement_wins() -> None:
    ranked = [
        d for d, _ in reciprocal_rank_fusion([(["a", "b", "c"], 1.0), (["b", "c", "a"], 1.0)], k=60)
    ]
    assert ranked[0] == "b"  # ranks 2 and 1 beat ranks 1 and 3
    assert set(ranked) == {"a", "b", "c"}


def test_rrf_zero_weight_keeps_first_ranking_order() -> None:
    ranked = [d for d, _ in reciprocal_rank_fusion([(["x", "y"], 1.0), (["y", "z"], 0.0)], k=60)]
    assert ranked[:2] == ["x", "y"]
    assert ranked[-1] == "z"


def test_rrf_ties_break_deterministically() -> None:
    ranked = [d for d, _ in reciprocal_rank_fusion([(["b"], 1.0), (["a"], 1.0)], k=60)]
    assert ranked == ["a", "b"]


def test_rrf_empty() -> None:
    assert reciprocal_rank_fusion([], k=60) == []
    assert reciprocal_rank_fusion([([], 1.0)], k=60) == []


def test_diversify_caps_chunks_per_source_and_keeps_order() -> None:
    ranked = ["s1::0", "s1::1", "s1::2", "s2::0", "s1::3", "s3::0", "s2::1"]
    kept = diversify(ranked, lambda cid: cid.split("::")[0], top_k=5, per_source=2)
    assert kept == ["s1::0", "s1::1", "s2::0", "s3::0", "s2::1"]
    assert diversify(ranked, lambda cid: cid.split("::")[0], top_k=2, per_source=2) == [
        "s1::0",
        "s1::1",
    ]


WORDS = {
    "footdrop-a": {"foot", "drop", "peroneal"},
    "footdrop-b": {"foot", "drop", "orthos"},
    "footdrop-c": {"foot", "drop", "stroke"},
    "sle-1": {"lupus", "sle", "neuropathy"},
    "other": {"diabet", "neuropathy"},
}


def test_cover_query_terms_brings_in_a_missing_term() -> None:
    ranked = ["footdrop-a", "footdrop-b", "footdrop-c", "other", "sle-1"]
    selected = ranked[:3]
    result = cover_query_terms("Can foot drop occur in SLE?", ranked, selected, WORDS.__getitem__)
    assert result[0] == "footdrop-a"  # the top chunk is never displaced
    assert "sle-1" in result
    assert len(result) == 3
    assert result == ["footdrop-a", "sle-1", "footdrop-b"]


def test_cover_query_terms_no_change_when_covered_or_absent() -> None:
    ranked = ["footdrop-a", "sle-1", "other"]
    assert cover_query_terms("foot drop SLE", ranked, ranked[:2], WORDS.__getitem__) == ranked[:2]
    # "sarcoidosis" is in no candidate: nothing to add
    assert (
        cover_query_terms("foot drop sarcoidosis", ranked, ranked[:1], WORDS.__getitem__)
        == ranked[:1]
    )


def test_cover_query_terms_ignores_question_words() -> None:
    ranked = ["footdrop-a", "other"]
    # "treatment", "occur" and "cause" are question words, not terms to cover
    assert (
        cover_query_terms("treatment cause occur foot drop", ranked, ranked[:1], WORDS.__getitem__)
        == ranked[:1]
    )


def _hit(cid: str, sid: str) -> tuple[Passage, SourceMeta]:
    return (
        Passage(chunk_id=cid, source_id=sid, section="", text=cid),
        SourceMeta(id=sid, title=sid, kind="research"),
    )


def test_group_into_sources_numbers_by_best_chunk() -> None:
    evidence = group_into_sources(
        "q", [_hit("b::0", "b"), _hit("a::0", "a"), _hit("b::1", "b")], 0.7
    )
    assert [(s.number, s.meta.id) for s in evidence.sources] == [(1, "b"), (2, "a")]
    assert [p.chunk_id for p in evidence.sources[0].passages] == ["b::0", "b::1"]
    assert evidence.best_similarity == 0.7


def test_search_filters_where_clause() -> None:
    assert SearchFilters().chroma_where() is None
    assert SearchFilters(kind="guideline").chroma_where() == {"kind": "guideline"}
    where = SearchFilters(kind="research", year_min=2010).chroma_where()
    assert where == {"$and": [{"kind": "research"}, {"year": {"$gte": 2010}}]}


def test_lexical_scores_of_scores_only_the_chunks_asked_for() -> None:
    from curbside.rag.lexical import LexicalIndex

    index = LexicalIndex.build(
        [
            ("nsvn::0", "NSVN is a vasculitis confined to the peripheral nerves.", {}),
            ("nsvn::1", "The overall relapse rate of NSVN in this cohort was 46%.", {}),
            ("other::0", "Relapse of ANCA vasculitis after rituximab was rare.", {}),
        ]
    )
    scores = index.scores_of("How often does NSVN relapse?", ["nsvn::0", "nsvn::1", "gone::9"])
    assert set(scores) == {"nsvn::0", "nsvn::1"}  # not other sources, not unknown ids
    assert scores["nsvn::1"] > scores["nsvn::0"] > 0
    assert index.scores_of("unrelated words entirely", ["nsvn::0"]) == {}


@pytest.mark.parametrize(
    ("question", "written_out"),
    [
        ("How is GPA treated?", "granulomatosis with polyangiitis"),
        ("Is IVIg effective in NSVN?", "intravenous immunoglobulin"),
        ("How is CIDP treated?", "chronic inflammatory demyelinating polyneuropathy"),
    ],
)
def test_an_abbreviation_is_searched_for_written_out_too(question: str, written_out: str) -> None:
    from curbside.rag.expansion import expand_query

    assert written_out in expand_query(question)


def test_only_short_words_with_two_capitals_count_as_abbreviations() -> None:
    from curbside.rag.expansion import _ABBREVIATION

    found = [m.group(0) for m in _ABBREVIATION.finditer("Is IVIg or Lupus better in GPA and SSc?")]
    assert found == ["IVIg", "GPA", "SSc"]
