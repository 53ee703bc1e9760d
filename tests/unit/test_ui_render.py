"""Rendering of a hand-made Answer (pure), the UI's small helpers, and build_app on a fake engine.

Relies on: curbside.ui.render being pure (no gradio, no model); build_app importing gradio
(a few seconds) but doing no work until a browser connects.
"""

from __future__ import annotations

import re

import pytest

from curbside.rag.disclaimer import disclaimer_for
from curbside.rag.models import Answer, Passage, Reference, SourceMeta, Turn
from curbside.ui.render import FOLLOW_UP_INVITE, answer_html, conversation_markdown


def _answer(audience: str = "clinician") -> Answer:
    guideline = SourceMeta(
        id="g1",
        title="Mixed Connective Tissue Disease Management",
        kind="guideline",
        evidence_type="guideline",
        publisher="Rheum Society",
        year=2026,
        url="https://example.org/mctd",
    )
    research = SourceMeta(
        id="r1",
        title="The Interdisciplinary Management of Foot Drop",
        kind="research",
        evidence_type="review",
        publisher="Deutsches Arzteblatt international",
        year=2019,
        doi="10.1/abc",
    )
    return Answer(
        question="Can foot drop occur in connective tissue diseases?",
        standalone_question="Can foot drop occur in connective tissue diseases?",
        title="Foot drop in connective tissue diseases",
        text=(
            "# Foot drop in connective tissue diseases\n\n"
            "Foot drop can occur through peripheral neuropathy [1].\n\n"
            "## Mechanisms\n\n"
            "- Vasculitic mononeuritis multiplex affects the peroneal nerve [1, 2].\n"
            "- A <b>bold</b> claim with 5 < 6 & more [2]."
        ),
        references=[
            Reference(
                number=1,
                meta=research,
                passages=[
                    Passage(
                        chunk_id="r1::a",
                        source_id="r1",
                        section="Causes",
                        text="Peripheral neuropathy is a common cause of foot drop.",
                    )
                ],
            ),
            Reference(
                number=2,
                meta=guideline,
                passages=[
                    Passage(
                        chunk_id="g1::b",
                        source_id="g1",
                        section="Neurology",
                        text='Mononeuritis <script>alert("x")</script> of the peroneal nerve.',
                    )
                ],
            ),
        ],
        disclaimer=disclaimer_for(audience),
        follow_ups=["How is foot drop managed?"],
        audience=audience,
    )


def test_markers_link_to_references_of_this_answer() -> None:
    page = answer_html(_answer(), "abc123")
    links = re.findall(r'<sup class="cite"><a href="#ref-abc123-(\d)" title="([^"]*)"', page)
    assert [n for n, _ in links] == ["1", "1", "2", "2"]
    for number in ("1", "2"):
        assert f'<li id="ref-abc123-{number}"' in page
    assert "Peripheral neuropathy is a common cause of foot drop." in dict(links)["1"]
    assert "[1, 2]" not in page and "[1]" in page


def test_references_have_badges_details_disclaimer_and_invitation() -> None:
    page = answer_html(_answer(), "x")
    assert '<span class="badge badge-research">Research</span>' in page
    assert '<span class="badge badge-guideline">Guideline</span>' in page
    assert "Deutsches Arzteblatt international, 2019." in page
    assert 'href="https://doi.org/10.1/abc"' in page
    assert "<details" in page and "Cited passage" in page
    assert disclaimer_for("clinician") in page
    assert page.rstrip().endswith(
        f'<p class="follow-up-invite"><strong>{FOLLOW_UP_INVITE}</strong></p>'
    )
    assert "Searched for" in page
    assert "#### Mechanisms" in page  # headings demoted to fit a chat bubble


def test_source_text_is_escaped() -> None:
    page = answer_html(_answer(), "x")
    assert "<script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "5 &lt; 6 &amp; more" in page


def test_unsafe_link_and_bad_answer_id_are_dropped() -> None:
    answer = _answer()
    answer.references[0].meta.url = "javascript:alert(1)"
    answer.references[0].meta.doi = ""
    page = answer_html(answer, 'x" onmouseover="y')
    assert "javascript:" not in page and 'onmouseover="' not in page


def test_title_ending_in_a_question_mark_gets_no_extra_period() -> None:
    answer = _answer()
    answer.references[0].meta.title = "Foot drop: where, why and what to do?"
    assert "what to do?</span>" in answer_html(answer, "t")
    assert "**Foot drop: where, why and what to do**?" in conversation_markdown([answer])


def test_patient_disclaimer() -> None:
    assert disclaimer_for("patient") in answer_html(_answer("patient"), "p")


def test_conversation_markdown_has_questions_answers_and_references() -> None:
    text = conversation_markdown([_answer(), Turn(question="and in SLE?", answer="Rarely [1].")])
    assert "## Question 1" in text and "## Question 2" in text
    assert "> Can foot drop occur in connective tissue diseases?" in text
    assert (
        "1. **The Interdisciplinary Management of Foot Drop**. "
        "Deutsches Arzteblatt international, 2019. (Research, review)" in text
    )
    assert "(Guideline)" in text and "Professional Medical Disclaimer" in text


def test_filters_and_kind_messages() -> None:
    from curbside.rag.engine import EmptyIndex, GeneratorUnavailable, QuestionRejected
    from curbside.rag.store import StoreUnavailable
    from curbside.ui.app import error_message, make_filters

    filters = make_filters("guideline", 2020.0, 2010.0)
    assert (filters.kind, filters.year_min, filters.year_max) == ("guideline", 2010, 2020)
    assert make_filters("both", None, None).kind is None

    engine = _FakeEngine()
    assert error_message(QuestionRejected("too long"), engine) == "too long"  # type: ignore[arg-type]
    assert "ingest" in error_message(EmptyIndex("The index is empty. ingest"), engine)  # type: ignore[arg-type]
    assert "answer generator" in error_message(GeneratorUnavailable("down"), engine)  # type: ignore[arg-type]
    assert "document store" in error_message(StoreUnavailable("down"), engine)  # type: ignore[arg-type]
    assert "Traceback" not in error_message(KeyError("x"), engine)  # type: ignore[arg-type]


def test_parse_auth() -> None:
    from curbside.ui.launch import parse_auth

    assert parse_auth("ann:s3:cret") == ("ann", "s3:cret")
    assert parse_auth(None) is None
    with pytest.raises(ValueError):
        parse_auth("nopassword")


class _FakeEngine:
    backend = "extractive"

    def corpus_size(self) -> tuple[int, int]:
        return 2, 10

    def stream(self, *args: object, **kwargs: object):  # pragma: no cover - not driven here
        yield from ()


@pytest.mark.integration  # imports gradio: ~15 s on this machine
def test_build_app_builds_on_a_fake_engine() -> None:
    pytest.importorskip("gradio")
    from curbside.settings import Settings
    from curbside.ui.app import backend_line, build_app

    app = build_app(_FakeEngine(), Settings())  # type: ignore[arg-type]
    assert type(app).__name__ == "Blocks"
    assert backend_line(_FakeEngine()) == "Backend: extractive · 2 sources, 10 chunks"  # type: ignore[arg-type]


def test_the_coverage_line_comes_under_the_title_before_the_first_point() -> None:
    from curbside.rag.models import FacetCoverage

    answer = _answer().model_copy(
        update={
            "coverage": [
                FacetCoverage(facet="SLE", references=[1]),
                FacetCoverage(facet="MCTD", references=[]),
            ]
        }
    )
    page = answer_html(answer, "a1")
    coverage = page.index('class="coverage"')
    assert page.index("Foot drop in connective tissue diseases") < coverage
    assert coverage < page.index("Foot drop can occur through peripheral neuropathy")
    assert "none in the indexed sources for: MCTD" in page
