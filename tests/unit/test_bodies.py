"""Which guideline body a question names, and which sources are that body's."""

from __future__ import annotations

import pytest

from curbside.rag.bodies import bodies_named, described, issued_by
from curbside.rag.question import analyze_question


@pytest.mark.parametrize(
    ("question", "bodies"),
    [
        ("What does the AHA recommend for foot drop after stroke?", ["AHA"]),
        ("What do the EULAR recommendations say about Sjogren's syndrome?", ["EULAR"]),
        ("What does the American College of Rheumatology recommend for PAN?", ["ACR"]),
        ("What does the EAN/PNS guideline recommend for CIDP?", ["EAN", "PNS"]),
        ("According to the ACR, which criteria define PAN?", ["ACR"]),
        ("What does the ADA recommend for screening for diabetic neuropathy?", ["ADA"]),
        ("What does NICE say about FES for drop foot?", ["NICE"]),
        # The same letters as everyday terms of the field are not a body.
        ("Does PNS involvement occur in SLE?", []),
        ("Is the PNS involved in Sjogren's syndrome?", []),
        ("What ACR threshold defines albuminuria?", []),
        ("Is it a nice idea to use an AFO?", []),
        ("Who is at risk of foot drop?", []),
    ],
)
def test_bodies_named_in_a_question(question: str, bodies: list[str]) -> None:
    assert bodies_named(question) == bodies
    assert analyze_question(question).bodies == bodies


def test_a_source_is_a_bodys_when_its_title_or_publisher_names_it() -> None:
    aha = (
        "Guidelines for Adult Stroke Rehabilitation and Recovery: A Guideline for Healthcare "
        "Professionals From the American Heart Association/American Stroke Association"
    )
    assert issued_by(aha, "Stroke", "AHA")
    assert not issued_by(aha, "Stroke", "AAN")
    assert issued_by("EULAR recommendations for the management of AAV", "Ann Rheum Dis", "EULAR")
    assert issued_by(
        "Guideline on CIDP",
        "European Journal of Neurology (European Academy of Neurology and Peripheral Nerve "
        "Society)",
        "PNS",
    )
    # An ambiguous abbreviation in a title is not enough: "PNS" there is the nervous system.
    assert not issued_by("PNS involvement in systemic lupus erythematosus", "Lupus", "PNS")
    assert described("AAN") == "the American Academy of Neurology (AAN)"


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        # "Recommend" alone asks what to do; what it recommends *for* decides the kind.
        ("What does the ADA recommend for screening for diabetic neuropathy?", "diagnosis"),
        ("How should patients with diabetes be screened for neuropathy?", "diagnosis"),
        ("What is recommended for foot drop?", "management"),
        ("What does the AAN recommend for painful diabetic neuropathy?", "management"),
    ],
)
def test_recommend_for_screening_asks_for_a_work_up(question: str, qtype: str) -> None:
    assert analyze_question(question).type == qtype
