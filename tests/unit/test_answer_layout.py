"""Answer layout rules of the extractive writer that need no model: what counts as a
sentence about the source rather than a finding, and the opening line after enforcement."""

from __future__ import annotations

import pytest

from curbside.rag.drafting.candidate import (
    Candidate,
    aspect_words,
    known_share,
    shared_share,
)
from curbside.rag.drafting.extractive import ExtractiveDrafter
from curbside.rag.drafting.layout import lead_with_first_point
from curbside.rag.drafting.statements import (
    ABOUT_THE_SOURCE,
    CAUSE_UNCLEAR,
    HEDGE,
    LATER_LINE,
    LEANS_ON_CONTEXT,
    NAMES_A_CAUSE,
    answers_the_type,
    defines,
    names_as_subject,
    names_something_else,
    names_the_other_phase,
)
from curbside.rag.question import analyze_question
from curbside.rag.text import content_words


@pytest.mark.parametrize(
    "sentence",
    [
        "The aim of the study was to see whether or not balloon predilatation is necessary.",
        "To determine current practice and to assess the value of routine follow-up.",
        "We sought to compare two induction regimens.",
        "A cross-sectional study from Kolkata examined how often neuropathy occurs in RA.",
        "In the RAVE trial, a double-blind, double-dummy design compared the two drugs.",
        "The treatment pathway for foot drop is based on a narrative review.",
        "The 1972 description of mixed connective tissue disease was a case series of 25.",
        "ACR guideline recommendations for polyarteritis nodosa are voluntary guidance.",
        "The 2021 ACR/Vasculitis Foundation PAN guideline appeared in both Arthritis & "
        "Rheumatology and Arthritis Care & Research.",
        "The NASS guideline does not include every proper method of care.",
        "Consensus recommendations on NSVN were published by a Peripheral Nerve Society "
        "guideline group in 2010.",
        "The treatment conclusions for NSVN are drawn from a narrative review of the available "
        "evidence and are stated tentatively.",
        "The 2017 EULAR SSc recommendations address Raynaud's phenomenon and digital ulcers.",
        "This multicentre Italian study enrolled consecutive patients with peroneal "
        "mononeuropathy.",
        "The University of Toronto Lupus Clinic database was used to study peripheral "
        "neuropathy in SLE.",
        "Randomisation was stratified by chemotherapy drug and comorbid pain risk.",
        "From 2001 to 2003, 219 patients were eligible for analysis.",
        "The 2021 EAN/PNS guideline on CIDP revises the 2010 EFNS/PNS guideline.",
        "The American Academy of Neurology regards the AHA/ASA stroke rehabilitation guideline "
        "as a useful educational tool for neurologists.",
        "The AHA/ASA guideline on adult stroke rehabilitation summarises best clinical practice.",
        # A study's aim opened a PubMedQA answer, was dropped as unsupported, and the first
        # bullet of the first section took its place.
        "The study goal was to determine whether pre-operative fasting blood glucose is "
        "associated with an increased mortality after coronary artery bypass grafting.",
        # What was measured, and numbered aims (PubMedQA openers once).
        "The main variables were the number of general practitioner visits in the last 4 weeks.",
        "(1) To describe the prevalence of general practitioner visits; (2) to identify which "
        "factors are associated with a higher use of health care services.",
    ],
)
def test_how_a_study_was_done_is_not_a_finding(sentence: str) -> None:
    assert ABOUT_THE_SOURCE.search(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Peripheral neuropathy in SLE shows a predilection for the lower limbs.",
        "For remission induction, rituximab was not inferior to cyclophosphamide.",
        "Patients were randomised to a reduced glucocorticoid dose to determine safety.",
        # A finding placed in its study is still a finding.
        "The overall relapse rate of NSVN in this cohort was 46%.",
        "In this study, sensory neuropathy was the most common form in RA.",
        "Eligibility for IVIg maintenance depends on the response to the first course.",
        "The primary end point was reached by 63 patients (64%) given rituximab.",
    ],
)
def test_findings_are_not_taken_for_study_methods(sentence: str) -> None:
    assert not ABOUT_THE_SOURCE.search(sentence)


def test_aspect_words_are_what_is_asked_about_the_subject() -> None:
    question = "When should a patient with suspected polyneuropathy be referred to a neurologist?"
    aspect = aspect_words(question, analyze_question(question))
    assert {"referr", "neurologist"} <= aspect
    assert "polyneuropathy" not in aspect
    # "neurologist" and "neurological" share a start; "cause" and "caused" too.
    assert shared_share({"neurologist"}, content_words("neurological referral")) == 1.0
    assert shared_share(set(content_words("cause always")), content_words("caused")) == 0.5


def test_a_section_that_comes_first_gives_up_its_first_point_as_the_opening_line() -> None:
    text = "# Title\n\n## How often it occurs\n\n- A [1].\n- B [1].\n\n## Treatment\n\n- C [2]."
    assert lead_with_first_point(text) == (
        "# Title\n\nA [1].\n\n## How often it occurs\n\n- B [1].\n\n## Treatment\n\n- C [2]."
    )
    # A section left empty goes.
    only = "## How often it occurs\n\n- A [1].\n\n## Treatment\n\n- C [2]."
    assert lead_with_first_point(only) == "A [1].\n\n## Treatment\n\n- C [2]."


def test_an_answer_that_opens_with_a_finding_is_left_alone() -> None:
    for text in (
        "Opener [1].\n\n## Treatment\n\n- C [2].",
        "## Key evidence\n\nOpener [1].\n\n## Treatment\n\n- C [2].",
        "## Treatment",
    ):
        assert lead_with_first_point(text) == text


def test_how_much_of_a_question_the_lexicon_knows() -> None:
    # A research question on a topic the lexicon does not cover leans on retrieval's best
    # source for its opening line; a question in the corpus's own field does not.
    research = "Does induction chemotherapy have a role in nasopharyngeal carcinoma?"
    assert known_share(analyze_question(research)) < 0.5
    clinical = "Compare an ankle-foot orthosis with functional electrical stimulation after stroke."
    assert known_share(analyze_question(clinical)) > 0.8


def test_a_sentence_saying_its_source_is_silent_is_no_evidence_for_an_entity() -> None:
    from curbside.rag.engine import facet_coverage
    from curbside.rag.models import CitedSentence

    analysis = analyze_question(
        "Can foot drop occur in SLE, systemic sclerosis or mixed connective tissue disease?"
    )
    sentences = [
        CitedSentence(
            text="Peripheral neuropathy in SLE shows a predilection for the peroneal nerve [1].",
            citations=[1],
        ),
        CitedSentence(
            text="Peripheral neuropathy is not mentioned among the features of mixed connective "
            "tissue disease in the 1972 abstract, so this source gives no frequency [2].",
            citations=[2],
        ),
    ]
    coverage = {c.facet: c.references for c in facet_coverage(analysis, sentences)}
    assert coverage["SLE"] == [1]
    assert coverage["mixed connective tissue disease"] == []
    assert coverage["systemic sclerosis"] == []


@pytest.mark.parametrize(
    ("sentence", "hedge"),
    [
        ("Evidence for gabapentin in painful diabetic neuropathy was of moderate certainty.", True),
        (
            "High-quality studies of advanced imaging in lumbar disc herniation are relatively "
            "scarce.",
            True,
        ),
        ("The final decision on any treatment rests with the clinician and patient.", True),
        # ...but "the cause is unknown" answers "What causes X?"
        ("The cause of mixed connective tissue disease (MCTD) is largely unknown.", False),
        (
            "MRI should be considered the most appropriate noninvasive test to confirm the "
            "herniation.",
            False,
        ),
        ("Peripheral neuropathy was found in 34 of 186 patients with DM or PM (18.3%).", False),
        ("Further published evidence on the efficacy of FES for drop foot would be useful.", True),
        ("Whether long-term AFO use after stroke is effective remains to be tested.", True),
        ("Recommendations for tapentadol and capsaicin cream are inconclusive.", True),
        ("The RA neuropathy study was small, cross-sectional and from a single centre.", True),
    ],
)
def test_statements_about_the_evidence_are_told_from_findings(sentence: str, hedge: bool) -> None:
    # The opening line skips the first kind unless the question asks about the evidence.
    assert bool(HEDGE.search(sentence)) is hedge


@pytest.mark.parametrize(
    ("sentence", "defining"),
    [
        (
            "Mixed connective tissue disease (MCTD) combines features of SLE, systemic sclerosis "
            "and polymyositis.",
            True,
        ),
        ("Clinically, mixed connective tissue disease showed a mixture of features.", True),
        ("The cause of mixed connective tissue disease (MCTD) is largely unknown.", False),
        ("In 1972, mixed connective tissue disease was thought to respond to steroids.", False),
        ("Trigeminal neuropathy is characteristic of mixed connective tissue disease.", False),
        # A subtype is not the thing itself.
        ("Mixed connective tissue disease with myositis is sometimes called overlap.", False),
    ],
)
def test_what_is_x_is_answered_by_a_sentence_with_x_as_its_subject(
    sentence: str, defining: bool
) -> None:
    analysis = analyze_question("What is mixed connective tissue disease?")
    assert defines(sentence, [*analysis.focus, *analysis.populations]) is defining


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("The other 3 patients with trigeminal neuropathy had an overlap of SSc and SLE.", True),
        ("These patients more often had a history of herpes zoster.", True),
        ("This subgroup had a worse prognosis.", True),
        (
            "Both symmetrical polyneuropathy and focal neuropathies occur in systemic sclerosis.",
            False,
        ),
        ("This guideline recommends an AFO.", False),
    ],
)
def test_a_sentence_that_leans_on_the_one_before_is_recognised(sentence: str, leans: bool) -> None:
    # Such a sentence never opens an answer or speaks first for a listed condition.
    assert bool(LEANS_ON_CONTEXT.match(sentence)) is leans


@pytest.mark.parametrize(
    ("sentence", "question", "qtype", "level"),
    [
        # A named treatment said as advice, a named treatment, no treatment at all.
        (
            "Either pregabalin or duloxetine is recommended as the initial drug treatment.",
            "What is the first-line treatment for painful diabetic neuropathy?",
            "management",
            2,
        ),
        (
            "Nonsystemic vasculitic neuropathy was treated with a corticosteroid in 40 patients.",
            "How do I treat vasculitic neuropathy?",
            "management",
            1,
        ),
        (
            "Early treatment of vasculitic neuropathy can prevent morbidity and mortality.",
            "How do I treat vasculitic neuropathy?",
            "management",
            0,
        ),
        # Tests, for a question that asks about tests; not for one about classification.
        (
            "Biopsy of a clinically affected nerve gives the highest yield for the diagnosis.",
            "Is nerve biopsy needed to diagnose vasculitic neuropathy?",
            "diagnosis",
            2,
        ),
        (
            "Biopsy of a clinically affected nerve gives the highest yield for the diagnosis.",
            "How are vasculitic neuropathies classified?",
            "diagnosis",
            0,
        ),
        # A dose is an amount; an outcome is how the condition turns out.
        (
            "In the RAVE trial, rituximab was given at 375 mg per square metre weekly.",
            "What dose of rituximab?",
            "dose",
            2,
        ),
        (
            "Greater baseline strength predicted a better outcome in peroneal mononeuropathy.",
            "What is the prognosis of peroneal mononeuropathy?",
            "prognosis",
            2,
        ),
        (
            "Peroneal mononeuropathy was diagnosed in 69 patients.",
            "What is the prognosis of peroneal mononeuropathy?",
            "prognosis",
            0,
        ),
        # A proportion answers "how often"; a word of frequency less well.
        (
            "In a database of 1,533 patients with SLE, 207 (14%) had peripheral neuropathy.",
            "How often does neuropathy occur in SLE?",
            "frequency",
            2,
        ),
        (
            "Peripheral neuropathy of any cause is fairly frequent in systemic sclerosis.",
            "How often does neuropathy occur in SSc?",
            "frequency",
            1,
        ),
        # Other question types ask for nothing in particular.
        ("Either pregabalin or duloxetine is recommended.", "Can foot drop occur?", "yes_no", 0),
    ],
)
def test_what_answers_a_question_type(sentence: str, question: str, qtype: str, level: int) -> None:
    assert answers_the_type(sentence, qtype, question) == level


@pytest.mark.parametrize(
    ("sentence", "names_a_cause"),
    [
        ("Foot drop has many causes, including a range of diseases and injuries.", False),
        ("The most common causes of foot drop are L5 radiculopathy and peroneal injury.", True),
        ("Other causes of foot drop include lumbar plexopathy and L5 radiculopathy.", True),
    ],
)
def test_a_cause_question_opens_with_a_cause_named(sentence: str, names_a_cause: bool) -> None:
    analysis = analyze_question("What causes foot drop?")
    assert names_something_else(sentence, analysis) is names_a_cause


@pytest.mark.parametrize(
    ("sentence", "judged"),
    [
        # The patients' circumstance: says nothing on whether rituximab works.
        (
            "Prophylaxis against PJP is recommended for patients with GPA, MPA or EGPA receiving "
            "rituximab or cyclophosphamide.",
            False,
        ),
        ("Prophylaxis is recommended for patients receiving cyclophosphamide or rituximab.", False),
        ("For active, severe GPA or MPA, rituximab is recommended over cyclophosphamide.", True),
        ("Patients treated with rituximab had remission in 64%.", True),
    ],
)
def test_a_treatment_named_as_the_patients_circumstance_is_not_judged(
    sentence: str, judged: bool
) -> None:
    analysis = analyze_question("Does rituximab work for EGPA neuropathy?")
    (rituximab,) = [c for c in analysis.focus if c.kind == "treatment"]
    assert names_as_subject(sentence, rituximab) is judged


def test_a_question_about_one_phase_of_treatment_is_not_answered_with_the_other() -> None:
    induction = "Is rituximab effective for remission induction in GPA?"
    maintenance_rule = "After remission induction, rituximab is recommended for maintenance."
    assert names_the_other_phase(maintenance_rule, induction)
    assert not names_the_other_phase("Rituximab is recommended for remission induction.", induction)
    # A question about both phases, or neither, prefers none.
    assert not names_the_other_phase(maintenance_rule, "Is rituximab used in GPA?")


@pytest.mark.parametrize(
    ("sentence", "later"),
    [
        ("For maintenance treatment of CIDP, IVIg or corticosteroids are recommended.", True),
        ("Plasma exchange is recommended for CIDP when IVIg and steroids are ineffective.", True),
        ("In refractory vasculitic Sjogren's neuropathy, cyclophosphamide is the rescue.", True),
        ("IVIg or corticosteroids are recommended as initial treatment for typical CIDP.", False),
        ("For new-onset or relapsing, organ-threatening GPA, rituximab is recommended.", False),
    ],
)
def test_later_lines_of_treatment_are_told_from_the_first(sentence: str, later: bool) -> None:
    assert bool(LATER_LINE.search(sentence)) is later


@pytest.mark.parametrize(
    ("sentence", "names_a_cause"),
    [
        ("Habitual leg crossing may be the most frequent cause of peroneal neuropathy.", True),
        ("The most common causes of foot drop are L5 radiculopathy and peroneal injury.", True),
        ("Even at the fibular neck, the cause may not be immediately obvious.", False),
    ],
)
def test_a_cause_named_is_told_from_a_cause_unclear(sentence: str, names_a_cause: bool) -> None:
    assert (bool(NAMES_A_CAUSE.search(sentence)) and not CAUSE_UNCLEAR.search(sentence)) is (
        names_a_cause
    )


def test_the_guideline_point_names_what_is_asked_about_before_the_population_alone() -> None:
    """An all-research answer about foot drop in lupus gets the guideline statement naming
    mononeuritis multiplex, not the one counting lupus syndromes; with none naming it, the
    best-scored guideline statement still joins, and none joins an answer that has one."""

    def candidate(text: str, score: float, guideline: bool, names_focus: bool) -> Candidate:
        return Candidate(
            text=text,
            number=1,
            passage_section="",
            quality=1.0,
            guideline=guideline,
            names_focus=names_focus,
            names_population=True,
            names_finding=True,
            score=score,
        )

    opening = candidate("Neuropathy in SLE favours the peroneal nerves.", 0.3, False, True)
    counting = candidate(
        "Seven of the 19 lupus syndromes involve peripheral nerves.", 0.2, True, False
    )
    naming = candidate("The SLICC criterion includes mononeuritis multiplex.", 0.15, True, True)
    point = ExtractiveDrafter._guideline_point
    assert point([opening, counting, naming], [opening], 0.15) == [naming]
    assert point([opening, counting], [opening], 0.15) == [counting]
    assert point([opening, counting, naming], [opening, counting], 0.15) == []


def test_a_work_up_question_is_not_answered_by_treatment() -> None:
    """Sentences the layout files under Treatment stay out of a work-up answer, unless they
    speak to what was asked of the work-up."""
    from curbside.rag.drafting.extractive import of_the_kind_asked
    from curbside.rag.drafting.layout import DIAGNOSIS, TREATMENT

    def point(text: str, section: str) -> Candidate:
        return Candidate(text=text, number=1, passage_section="", quality=1.0, section=section)

    shows = point("Nerve conduction studies show conduction block at the fibular head.", DIAGNOSIS)
    splint = point("An ankle-foot orthosis is recommended for persistent foot drop.", TREATMENT)
    localise = point(
        "In foot drop, localisation of the lesion is a precondition for treatment.", TREATMENT
    )
    studies = analyze_question("What do nerve conduction studies show in foot drop?")
    assert of_the_kind_asked([shows, splint, localise], studies) == [shows]
    where = analyze_question("How do I localise the lesion in foot drop?")
    assert of_the_kind_asked([shows, splint, localise], where) == [shows, localise]
    treated = analyze_question("How is foot drop treated?")
    assert splint in of_the_kind_asked([shows, splint, localise], treated)


class _NoEmbedder:
    """Section vectors for a classifier whose similarities the test gives itself."""

    def encode_cached(self, texts: list[str]) -> object:
        import numpy as np

        return np.eye(len(texts))


@pytest.mark.parametrize(
    ("sentence", "caveat"),
    [
        ("Opioids should not be used to treat painful diabetic neuropathy (Level B).", True),
        ("Trigeminal sensory neuropathy is a rare association of connective tissue disease.", True),
        # What the condition is, though it says "uncommon": no caveat.
        (
            "Multifocal motor neuropathy (MMN) is an uncommon, purely motor, asymmetric "
            "neuropathy with multifocal conduction block.",
            False,
        ),
    ],
)
def test_a_definition_is_no_caveat(sentence: str, caveat: bool) -> None:
    import numpy as np

    from curbside.rag.drafting.layout import CAVEATS, SECTION_DESCRIPTIONS, SectionClassifier

    classifier = SectionClassifier(_NoEmbedder())  # type: ignore[arg-type]
    nearest_first = np.linspace(1.0, 0.0, len(SECTION_DESCRIPTIONS))
    assert (classifier.section(sentence, nearest_first) == CAVEATS) is caveat


def test_a_studys_aim_is_never_offered_as_a_point() -> None:
    """The support check never accepts an aim ("We evaluated whether ..."): offered as the
    opening line, enforcement dropped it and a heading's first bullet opened the answer."""
    from curbside.rag.models import Evidence, EvidenceSource, Passage, SourceMeta

    aim = "We evaluated whether structural characteristics of a practice were associated with use."
    finding = "Larger practices used the new system more often than smaller practices did."
    meta = SourceMeta(id="s1", title="Practice characteristics and uptake", kind="research")
    passage = Passage(chunk_id="s1::0", source_id="s1", section="", text=f"{aim} {finding}")
    evidence = Evidence(
        question="Does size matter?",
        sources=[EvidenceSource(number=1, meta=meta, passages=[passage])],
    )
    drafter = ExtractiveDrafter.__new__(ExtractiveDrafter)  # candidates need no embedder
    found = {c.text: c for c in drafter.candidates(evidence, analyze_question("Does size matter?"))}
    assert found[aim].about_source and not found[finding].about_source
