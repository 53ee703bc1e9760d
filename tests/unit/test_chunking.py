"""Chunking on section and sentence boundaries within a token budget (whitespace tokens)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import pytest

from curbside.ingest.chunking import chunk_document, chunk_id, embedding_text
from curbside.rag.models import Chunk, Section, SourceDocument, SourceMeta
from curbside.rag.text import split_sentences


def count_words(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def sentence(section: int, number: int, length: int = 9) -> str:
    """A distinct sentence of `length` words, e.g. 's1n4 w w w ... end.'."""
    return f"S{section}n{number} " + " ".join(["word"] * (length - 2)) + " end."


def document(sections: dict[str, list[str]], source_id: str = "src-1") -> SourceDocument:
    return SourceDocument(
        meta=SourceMeta(id=source_id, title="A test source", kind="research"),
        sections=[Section(heading=h, text=" ".join(s)) for h, s in sections.items()],
    )


def three_sections() -> dict[str, list[str]]:
    return {
        "Background": [sentence(1, i) for i in range(12)],
        "Methods": [sentence(2, i) for i in range(3)],
        "Results": [sentence(3, i, length=5) for i in range(20)],
    }


def chunks_of(doc: SourceDocument, budget: int = 40, overlap: int = 10) -> list[Chunk]:
    return chunk_document(doc, count_words, budget, overlap)


def test_chunk_ids_are_deterministic_and_name_their_source() -> None:
    first = chunks_of(document(three_sections()))
    second = chunks_of(document(three_sections()))
    assert [c.id for c in first] == [c.id for c in second]
    assert all(re.fullmatch(r"src-1::[0-9a-f]{16}", c.id) for c in first)
    assert len({c.id for c in first}) == len(first)
    assert chunk_id("a", "s", "t") == chunk_id("a", "s", "t")
    assert (
        len(
            {
                chunk_id("a", "s", "t"),
                chunk_id("b", "s", "t"),
                chunk_id("a", "x", "t"),
                chunk_id("a", "s", "u"),
            }
        )
        == 4
    )


def test_a_changed_sentence_changes_only_the_chunks_that_contain_it() -> None:
    original = three_sections()
    changed = three_sections()
    changed["Results"][0] = changed["Results"][0].replace("end.", "changed.")
    before = chunks_of(document(original))
    after = chunks_of(document(changed))
    untouched = [c.id for c in before if c.section != "Results" or "S3n0 " not in c.text]
    assert untouched, "the test needs chunks that do not contain the changed sentence"
    after_ids = {c.id for c in after}
    assert all(cid in after_ids for cid in untouched)
    assert {c.id for c in before if "S3n0 " in c.text}.isdisjoint(after_ids)


@pytest.mark.parametrize(("budget", "overlap"), [(20, 0), (40, 10), (64, 30), (200, 40)])
def test_chunks_stay_within_the_budget(budget: int, overlap: int) -> None:
    chunks = chunks_of(document(three_sections()), budget, overlap)
    assert chunks
    assert max(count_words([c.text])[0] for c in chunks) <= budget


def test_every_sentence_is_kept_in_order_and_sections_are_respected() -> None:
    sections = three_sections()
    chunks = chunks_of(document(sections), budget=40, overlap=10)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for heading, sentences in sections.items():
        own = [c for c in chunks if c.section == heading]
        assert own, f"no chunk for section {heading}"
        prefix = f"S{list(sections).index(heading) + 1}n"
        for chunk in own:
            # no sentence of another section leaks into this section's chunks
            assert all(s.startswith(prefix) for s in split_sentences(chunk.text))
        seen: list[str] = []
        for chunk in own:
            for s in split_sentences(chunk.text):
                if s not in seen:
                    seen.append(s)
        assert seen == sentences  # all sentences, once each, in their order


def test_consecutive_chunks_overlap_by_whole_trailing_sentences() -> None:
    sections = {"Background": [sentence(1, i) for i in range(12)]}  # 9 words each
    chunks = chunks_of(document(sections), budget=40, overlap=10)
    assert len(chunks) >= 3
    for before, after in itertools.pairwise(chunks):
        previous, following = split_sentences(before.text), split_sentences(after.text)
        shared = [s for s in following if s in previous]
        assert shared, f"no overlap between chunk {before.position} and {after.position}"
        assert shared == previous[-len(shared) :]  # the tail of one is the head of the next
        assert following[: len(shared)] == shared
        assert sum(count_words(shared)) <= 10


def test_no_overlap_when_overlap_is_zero() -> None:
    sections = {"Background": [sentence(1, i) for i in range(12)]}
    chunks = chunks_of(document(sections), budget=40, overlap=0)
    all_sentences = [s for c in chunks for s in split_sentences(c.text)]
    assert all_sentences == sections["Background"]


def test_a_sentence_longer_than_the_budget_is_cut_on_word_boundaries() -> None:
    long_sentence = " ".join(f"w{i}" for i in range(100)) + "."
    doc = document({"Table": [sentence(1, 0), long_sentence, sentence(1, 1)]})
    chunks = chunks_of(doc, budget=30, overlap=0)
    assert max(count_words([c.text])[0] for c in chunks) <= 30
    joined = " ".join(c.text for c in chunks).split()
    assert joined == (sentence(1, 0) + " " + long_sentence + " " + sentence(1, 1)).split()


def test_newlines_separate_units_and_empty_sections_give_no_chunks() -> None:
    doc = SourceDocument(
        meta=SourceMeta(id="s", title="T", kind="guideline"),
        sections=[
            Section(heading="Empty", text="   "),
            Section(heading="List", text="- first item without period\n- second item"),
        ],
    )
    chunks = chunks_of(doc, budget=6, overlap=0)
    assert [c.section for c in chunks] == ["List", "List"]
    assert [c.text for c in chunks] == ["- first item without period", "- second item"]


def test_repeated_text_in_a_section_is_stored_once() -> None:
    doc = document({"Repeated": [sentence(1, 0)] * 6})
    chunks = chunks_of(doc, budget=9, overlap=0)
    assert len(chunks) == 1
    assert chunks[0].position == 0


def test_embedding_text_names_title_and_section() -> None:
    chunk = Chunk(id="s::1", source_id="s", section="Dosing", text="Start low.", position=0)
    assert embedding_text("Gabapentin guide", chunk) == "Gabapentin guide - Dosing\nStart low."
    chunk.section = ""
    assert embedding_text("Gabapentin guide", chunk) == "Gabapentin guide\nStart low."
