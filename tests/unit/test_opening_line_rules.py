"""Pure rules the extractive writer uses to choose its opening line."""

from __future__ import annotations

import pytest

from curbside.rag.drafting.candidate import Candidate, for_every_patient
from curbside.rag.drafting.opening import circumstance_words
from curbside.rag.drafting.statements import (
    ABOUT_THE_SOURCE,
    ASKS_ABOUT_A_LINK,
    ASKS_ABOUT_SCOPE,
    ASKS_FOR_A_THRESHOLD,
    ASKS_FOR_ACCURACY,
    ASKS_FOR_HARMS,
    ASKS_FOR_RISK,
    LEANS_ON_CONTEXT,
    defines,
    forms_asked,
    names_its_kind,
    says_it_fails,
    speaks_to_one_form,
    speaks_to_the_form_asked,
)
from curbside.rag.question import ASKS_FOR_POINTS, analyze_question


def candidate(text: str) -> Candidate:
    return Candidate(text=text, number=1, passage_section="", quality=1.0)


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "How is foot drop treated?",
            "An ankle-foot orthosis helps patients with severe foot drop of any cause to walk.",
            True,
        ),
        # Wider than what was asked: the question names diabetes, the sentence any cause.
        (
            "What are the first-line drugs for painful diabetic neuropathy?",
            "Tricyclic antidepressants are recommended as first-line treatment for neuropathic "
            "pain of any cause.",
            False,
        ),
        # A treatment for foot drop of any cause treats it in lupus too...
        (
            "How is foot drop in lupus treated?",
            "An ankle-foot orthosis helps patients with severe foot drop of any cause to walk.",
            True,
        ),
        # ...but a finding about foot drop of any cause does not say how often it occurs there.
        (
            "How often does foot drop occur in lupus?",
            "Foot drop of any cause is common.",
            False,
        ),
        ("How is foot drop treated?", "In permanent foot drop, muscle transfer helps.", False),
        # Two things asked about: a statement on one of them does not answer.
        (
            "Can vasculitic neuropathy present as foot drop?",
            "An ankle-foot orthosis helps patients with severe foot drop of any cause to walk.",
            False,
        ),
    ],
)
def test_a_statement_for_every_patient(question: str, sentence: str, expected: bool) -> None:
    assert for_every_patient(candidate(sentence), analyze_question(question)) is expected


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "What is the first-line treatment for CIDP?",
            "In motor CIDP, IVIg should be considered as first-line treatment.",
            True,
        ),
        ("What is the first-line treatment in motor CIDP?", "In motor CIDP, IVIg ...", False),
        (
            "What is the first-line treatment for CIDP?",
            "IVIg or corticosteroids are recommended as initial treatment for typical CIDP and "
            "CIDP variants.",
            False,
        ),
        # Severity is not a form: "For severe sciatica ..." answers a question on sciatica.
        (
            "Should people with sciatica have surgery early?",
            "For severe sciatica of 6 to 12 weeks' duration, outcomes were similar.",
            False,
        ),
    ],
)
def test_an_opening_about_one_form(question: str, sentence: str, expected: bool) -> None:
    assert speaks_to_one_form(sentence, analyze_question(question)) is expected


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "Does IVIg work for MMN?",
            "If IVIg is not sufficiently effective in MMN, immunosuppressive treatment may be "
            "considered.",
            True,
        ),
        (
            "Does IVIg work for MMN?",
            "Intravenous immunoglobulin (IVIg) 2 g/kg is the first-line treatment for MMN.",
            False,
        ),
        # Another treatment failing is the place of the one asked, not its failure.
        (
            "Is plasma exchange used in CIDP?",
            "Plasma exchange is recommended for CIDP when IVIg and corticosteroids are "
            "ineffective.",
            False,
        ),
    ],
)
def test_a_sentence_about_the_treatment_asked_failing(
    question: str, sentence: str, expected: bool
) -> None:
    drug = analyze_question(question).treatments[0]
    assert says_it_fails(sentence, drug) is expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Medium-vessel vasculitis comprises polyarteritis nodosa and Kawasaki disease.", True),
        ("Small-vessel vasculitides include microscopic polyangiitis and PAN.", True),
        # Named as a criterion's item, or as the subject, is not a group listing it.
        ("The SLICC criterion includes mononeuritis multiplex and polyarteritis nodosa.", False),
        ("Polyarteritis nodosa comprises several forms.", False),
        ("Medium-vessel vasculitis comprises Kawasaki disease.", False),
    ],
)
def test_a_group_that_lists_the_condition_says_what_kind_it_is(
    sentence: str, expected: bool
) -> None:
    concepts = analyze_question("What is polyarteritis nodosa?").populations
    assert concepts, "the lexicon knows polyarteritis nodosa"
    assert names_its_kind(sentence, concepts) is expected


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("Other frequent findings in PAN were skin involvement (49.7%).", True),
        ("Similarly, the evidence was weak.", True),
        ("In addition, A. schaalii was found in two children with a urinary infection.", False),
        ("These patients improved.", True),
        ("Otherwise healthy adults rarely develop foot drop.", False),
        ("Frequent findings in PAN were skin involvement.", False),
    ],
)
def test_a_sentence_that_leans_on_the_one_before(sentence: str, leans: bool) -> None:
    assert bool(LEANS_ON_CONTEXT.match(sentence)) is leans


def test_a_definition_placed_in_its_source_still_defines() -> None:
    concepts = analyze_question("What is polyneuropathy?").focus
    assert defines(
        "In the ACR NPSLE nomenclature, polyneuropathy is a symmetric, distal disorder.", concepts
    )
    assert defines("Clinically, polyneuropathy is a distal disorder.", concepts)
    assert not defines("In SLE patients, the polyneuropathy rate was 5%.", concepts)


def test_a_definition_says_what_it_is_not_how_often() -> None:
    analysis = analyze_question("What exactly is a vasculitic neuropathy?")
    assert analysis.type == "definition"
    concepts = analyze_question("What is polyneuropathy?").focus
    assert not defines("Polyneuropathy is common in patients with diabetes.", concepts)
    # The plural, after "The", is the concept too.
    assert defines("The polyneuropathies are disorders of many peripheral nerves.", concepts)


def test_a_definition_narrowed_to_the_setting_asked_still_defines() -> None:
    analysis = analyze_question("What is sensory ataxic neuropathy in Sjogren's?")
    sentence = (
        "Sensory ataxia in Sjogren's syndrome results from loss of large proprioceptive "
        "fibres, a pattern called ganglionopathy."
    )
    assert defines(sentence, analysis.focus, analysis.populations)
    # Narrowed to another group, it says what the neuropathy is there, not what it is.
    assert not defines(sentence.replace("Sjogren's syndrome", "lupus"), analysis.focus)
    assert not defines(sentence, analysis.focus)  # no setting asked: a narrowed subject


@pytest.mark.parametrize(
    ("sentence", "about_the_source"),
    [
        (
            "SLE patients with peripheral neuropathy were compared with SLE patients without "
            "neuropathy for clinical and lupus-related features.",
            True,
        ),
        (
            "The 2017 Cochrane review assessed the pain-relieving efficacy and adverse effects "
            "of gabapentin for chronic neuropathic pain in adults.",
            True,
        ),
        (
            "Data for the 2017 EULAR/ACR IIM criteria came from 47 rheumatology, dermatology, "
            "neurology and paediatric clinics worldwide.",
            True,
        ),
        (
            "The SLICC criteria were then validated in a separate sample of 690 expert-rated "
            "patient scenarios.",
            True,
        ),
        (
            "Evidence for the 2021 ACR/Vasculitis Foundation PAN guideline was rated with GRADE "
            "methodology, and each recommendation needed at least 70% agreement of the voting "
            "panel.",
            True,
        ),
        # A comparison with its result is a finding.
        (
            "Patients with vasculitic neuropathy were compared with those without, and were "
            "more often MPO-ANCA positive.",
            False,
        ),
    ],
)
def test_how_a_study_was_done_is_about_the_source(sentence: str, about_the_source: bool) -> None:
    assert bool(ABOUT_THE_SOURCE.search(sentence)) is about_the_source


@pytest.mark.parametrize(
    ("question", "harms", "link"),
    [
        ("Main side effects of tricyclics and duloxetine for neuropathic pain?", True, False),
        ("Is duloxetine well tolerated compared with placebo?", True, False),
        # The balance of benefit and harm is a research question of its own.
        ("Is fundectomy safe and effective as revision surgery?", False, False),
        ("Is neuropathy in ANCA vasculitis linked to a particular ANCA?", False, True),
        ("Is trigeminal neuropathy associated with MCTD?", False, True),
        ("How is neuropathy in ANCA vasculitis treated?", False, False),
    ],
)
def test_questions_asking_for_harms_or_for_an_association(
    question: str, harms: bool, link: bool
) -> None:
    assert bool(ASKS_FOR_HARMS.search(question)) is harms
    assert bool(ASKS_ABOUT_A_LINK.search(question)) is link


def test_the_form_of_the_condition_the_question_names() -> None:
    forms = forms_asked(analyze_question("Options for spastic foot drop after a stroke?"))
    assert forms
    assert speaks_to_the_form_asked("In spastic foot drop, botulinum toxin helps.", forms)
    assert not speaks_to_the_form_asked("Foot drop after stroke is treated with an AFO.", forms)
    assert not forms_asked(analyze_question("How is foot drop treated after stroke?"))


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("What are the risk factors for neuropsychiatric lupus?", True),
        ("Who is at risk of chemotherapy-induced neuropathy?", True),
        # One association, asked yes or no, is a research question of its own.
        ("Human papillomavirus and pterygium. Is the virus a risk factor?", False),
        ("Are there risk factors that increase the rate of staple line leakage?", False),
        ("Which clinical features are associated with peripheral neuropathy in SSc?", True),
    ],
)
def test_a_question_asking_for_risk_factors(question: str, asks: bool) -> None:
    assert bool(ASKS_FOR_RISK.search(question)) is asks


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("What if the foot drop ends up permanent (regarding foot drop after stroke)?", {"perm"}),
        (
            "What if it becomes intolerable during treatment (regarding chemotherapy-induced "
            "peripheral neuropathy)?",
            {"into"},
        ),
        # What to do when a treatment fails has its own rule; the names asked are no
        # circumstance.
        ("What if IVIg stops working in MMN?", set()),
        ("What if nerve conduction studies done in suspected CIDP are normal?", {"norm"}),
        # "already have" is what the sources call pre-existing.
        (
            "What if they already have diabetic neuropathy before starting (regarding painful "
            "chemo-induced neuropathy)?",
            {"pre-"},
        ),
    ],
)
def test_the_circumstance_of_a_what_if_question(question: str, words: set[str]) -> None:
    found = circumstance_words(analyze_question(question))
    assert {w[:4] for w in found} == words


def test_a_dose_question_wants_a_dose_not_any_treatment_statement() -> None:
    from curbside.rag.drafting.candidate import of_the_type_asked

    analysis = analyze_question("What dose of duloxetine for painful CIPN?")
    offered = candidate("Duloxetine may be offered for painful CIPN (moderate recommendation).")
    offered.section = "Treatment"
    dosed = candidate("Duloxetine was given as 30 mg daily for a week, then 60 mg daily.")
    assert not of_the_type_asked(offered, analysis)
    assert of_the_type_asked(dosed, analysis)


def test_an_abbreviation_means_what_its_own_source_defines() -> None:
    from curbside.rag.drafting.extractive import ExtractiveDrafter
    from curbside.rag.lexicon import abbreviations_defined
    from curbside.rag.models import Evidence, EvidenceSource, Passage, SourceMeta

    defined = abbreviations_defined("FDG uptake is sometimes influenced by diabetes mellitus (DM).")
    assert defined["DM"].name == "diabetes"
    passage = Passage(
        chunk_id="c1",
        source_id="s1",
        section="Results",
        text=(
            "FDG uptake is sometimes influenced by diabetes mellitus (DM). "
            "The diagnostic power of PET in the hyperglycaemic DM and non-DM groups did not "
            "differ significantly."
        ),
    )
    meta = SourceMeta(id="s1", title="FDG-PET in cervical cancer", kind="research")
    evidence = Evidence(
        question="q", sources=[EvidenceSource(number=1, meta=meta, passages=[passage])]
    )
    analysis = analyze_question("Does diabetes mellitus influence the efficacy of FDG-PET?")
    # No embedder is needed to read the candidates.
    drafter = ExtractiveDrafter.__new__(ExtractiveDrafter)
    result = next(c for c in drafter.candidates(evidence, analysis) if "hyperglycaemic" in c.text)
    # "DM" is diabetes here, not dermatomyositis (the lexicon's reading of the bundled corpus).
    assert result.names_population
    assert not result.names_other_condition


@pytest.mark.parametrize(
    ("question", "threshold", "points", "accuracy"),
    [
        ("What score do you need for definite myositis on the 2017 criteria?", True, False, False),
        ("How many points to classify (regarding lupus)?", True, True, False),
        ("How many points for Raynaud's and the antibodies?", False, True, False),
        ("And how does it perform vs the old 1980 criteria?", False, False, True),
        ("Is the 2019 lupus classification more sensitive than SLICC?", False, False, True),
        # Not about scoring at all.
        ("How is CIDP treated?", False, False, False),
        ("Should a nerve biopsy be performed in suspected vasculitis?", False, False, False),
    ],
)
def test_questions_about_scored_criteria(
    question: str, threshold: bool, points: bool, accuracy: bool
) -> None:
    assert bool(ASKS_FOR_A_THRESHOLD.search(question)) is threshold
    assert bool(ASKS_FOR_POINTS.search(question)) is points
    assert bool(ASKS_FOR_ACCURACY.search(question)) is accuracy


@pytest.mark.parametrize(
    ("question", "scope"),
    [
        ("Do the 2021 ACR PAN recommendations apply to hepatitis B-related PAN?", True),
        ("Does the CIDP guideline cover children?", True),
        ("Do the results apply to older adults?", True),
        ("Does IVIg apply to MMN?", False),
        ("How is PAN treated?", False),
    ],
)
def test_a_question_about_whom_a_source_speaks_to(question: str, scope: bool) -> None:
    assert bool(ASKS_ABOUT_SCOPE.search(question)) is scope


def test_a_listed_option_the_sources_miss_is_named_for_the_focus() -> None:
    from curbside.rag.drafting.extractive import _missing_facet
    from curbside.rag.question import Concept

    stimulation = Concept(name="spinal cord stimulation", terms=["scs"], kind="treatment")
    mctd = Concept(name="MCTD", terms=["mctd"], kind="condition")
    assert _missing_facet(stimulation, "neuropathic pain") == (
        "spinal cord stimulation for neuropathic pain"
    )
    assert _missing_facet(mctd, "foot drop") == "foot drop in MCTD"
    assert _missing_facet(mctd, "") == "MCTD"


# ---- the table of opening-line rules (curbside/rag/drafting/opening.py) -------------------
def test_every_opening_rule_says_why() -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Prefer

    for rule in OPENING_RULES:
        reason = rule.why if isinstance(rule, Prefer) else (rule.__doc__ or "")
        assert len(reason.split()) >= 6, rule


def test_no_opening_rule_leaves_the_answer_without_a_line() -> None:
    # A rule keeps what fits, or everything when nothing does: for any question, one
    # sentence that fits none of the rules still reaches the end of the table.
    from curbside.rag.drafting.opening import OPENING_RULES, Asked

    odd = candidate("Xylophones were tuned weekly in the cohort.")
    for question in (
        "How is CIDP treated?",
        "What causes foot drop?",
        "How many points for Raynaud's?",
        "What is multifocal motor neuropathy?",
        "How common is peripheral neuropathy in lupus?",
        "Does duloxetine help CIPN pain?",
    ):
        q = Asked.of([odd], analyze_question(question))
        for rule in OPENING_RULES:
            assert rule([odd], q) == [odd], (question, rule)


@pytest.mark.parametrize(
    ("question", "wanted", "other"),
    [
        # One row at a time: whom the recommendations apply to answers a scope question...
        (
            "Do the 2021 ACR PAN recommendations apply to hepatitis B-related PAN?",
            "The recommendations apply to PAN that is not associated with hepatitis B.",
            "The evidence for each recommendation was graded as low or very low.",
        ),
        # ...causes named answer "What causes ...?", not "has many causes".
        (
            "What causes foot drop?",
            "The most common causes of foot drop are L5 radiculopathy and peroneal injury.",
            "Foot drop has many causes, and the cause may not be immediately obvious.",
        ),
        # ...an item's points answer "How many points for Raynaud's?".
        (
            "How many points for Raynaud's?",
            "Raynaud's phenomenon scores 3 points.",
            "A total score of 9 or more classifies a patient as having systemic sclerosis.",
        ),
        # ...and a question naming no disease is not answered by what was seen in lupus.
        (
            "Is skin biopsy worth doing for suspected small fiber neuropathy?",
            "Skin biopsy with IENF density may be considered for the diagnosis of distal small "
            "fiber sensory polyneuropathy.",
            "In SLE small-fiber neuropathy, skin biopsy results suggested loss of dorsal root "
            "ganglion neurons.",
        ),
    ],
)
def test_an_opening_rule_keeps_what_the_question_asks_for(
    question: str, wanted: str, other: str
) -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Asked, Prefer

    analysis = analyze_question(question)
    keep, drop = candidate(wanted), candidate(other)
    q = Asked.of([keep, drop], analysis)
    deciding = [r for r in OPENING_RULES if r([keep, drop], q) == [keep]]
    assert deciding, question
    assert all(isinstance(r, Prefer) for r in deciding)


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("ASKS_FOR_AN_EFFECT_SIZE", "What's the NNT for gabapentin?", True),
        ("ASKS_FOR_AN_EFFECT_SIZE", "What's the number needed to harm?", True),
        ("ASKS_FOR_AN_EFFECT_SIZE", "Does gabapentin work?", False),
        (
            "NAMES_AN_EFFECT_SIZE",
            "38% versus 21% (risk ratio 1.9; number needed to treat 5.9).",
            True,
        ),
        ("NAMES_AN_EFFECT_SIZE", "Most participants had postherpetic neuralgia.", False),
        ("ASKS_ABOUT_TIMING", "Does it matter how quickly we treat it?", True),
        ("ASKS_ABOUT_TIMING", "How soon should the nerve be repaired?", True),
        ("ASKS_ABOUT_TIMING", "How is it treated?", False),
        # How fast something happens is not when to act.
        ("ASKS_ABOUT_TIMING", "How quickly does foot drop recover after compression?", False),
        ("SAYS_WHEN", "Early treatment can prevent morbidity and mortality.", True),
        ("SAYS_WHEN", "Repair within 3 months gave the best results.", True),
        # When a study was done, or how obvious a cause is, is not when to act.
        ("SAYS_WHEN", "Earlier series suggested a combined biopsy.", False),
        ("SAYS_WHEN", "The cause may not be immediately obvious.", False),
        ("ASKS_FOR_A_THRESHOLD", "How do the 2013 ACR/EULAR scleroderma criteria work?", True),
        ("HEDGE", "The epidemiology of neuropathy in SSc has been poorly understood.", True),
        # How a study found its patients is about the study, not an answer.
        ("ABOUT_THE_SOURCE", "A retrospective cohort study reviewed all nerve biopsies.", True),
        ("ABOUT_THE_SOURCE", "Over 5 years, the two London centres identified 53 patients.", True),
        ("ABOUT_THE_SOURCE", "A cohort study found neuropathy in 14%.", False),
    ],
)
def test_timing_effect_size_and_criteria_words(pattern: str, text: str, expected: bool) -> None:
    from curbside.rag.drafting import statements

    assert bool(getattr(statements, pattern).search(text)) is expected


def test_a_condition_is_named_by_its_plural() -> None:
    from curbside.rag.lexicon import term_pattern

    assert term_pattern("vasculitic neuropathy").search("The vasculitic neuropathies are ...")
    assert term_pattern("neuropathy").search("Neuropathies of the feet")
    # Not a vowel before the y ("days" is the plural of "day"), nor short words.
    assert not term_pattern("day").search("daies")


@pytest.mark.parametrize(
    ("sentence", "question", "expected"),
    [
        (
            "In SLE small-fiber neuropathy, skin biopsy results suggested loss of neurons.",
            "Is skin biopsy worth doing for suspected small fiber neuropathy?",
            True,
        ),
        # Findings and tests are what such a question asks about, not a disease.
        (
            "Skin biopsy is a validated technique for measuring intraepidermal nerve fiber "
            "density.",
            "Is skin biopsy worth doing for suspected small fiber neuropathy?",
            False,
        ),
        # The disease asked about in another form of its word.
        (
            "Neuropathies resembling diabetic neuropathy can also occur in prediabetes.",
            "Can prediabetes cause a peripheral neuropathy?",
            False,
        ),
        (
            "No agent is recommended for the prevention of chemotherapy-induced peripheral "
            "neuropathy.",
            "Any role for venlafaxine in preventing chemo neuropathy?",
            False,
        ),
        # ...or by the family it belongs to: NSVN is a vasculitic neuropathy.
        (
            "In this NSVN cohort, the diagnostic sensitivity of a combined nerve and muscle "
            "biopsy was 58%.",
            "What is the diagnostic sensitivity of a nerve biopsy for vasculitic neuropathy?",
            False,
        ),
    ],
)
def test_a_sentence_about_a_disease_the_question_does_not_name(
    sentence: str, question: str, expected: bool
) -> None:
    from curbside.rag.drafting.opening import names_a_disease_not_asked

    assert names_a_disease_not_asked(sentence, question) is expected


@pytest.mark.parametrize(
    ("question", "names_none"),
    [
        ("Is skin biopsy worth doing for suspected small fiber neuropathy?", True),
        ("Is skin biopsy worth doing in lupus?", False),
        # The disease is the conversation's: "they" have it.
        ("Do they still need a muscle biopsy if there's a heliotrope rash?", False),
        # Which disease causes it is what is asked.
        ("What causes foot drop?", False),
        # A disease the lexicon does not know is still a disease.
        ("How is tarsal tunnel syndrome diagnosed and treated?", False),
        # A topic the lexicon cannot read: it cannot tell which disease is another one.
        (
            "Aromatase inhibitor-related musculoskeletal symptoms: is preventing osteoporosis "
            "the key to eliminating these symptoms?",
            False,
        ),
    ],
)
def test_a_question_that_names_no_disease(question: str, names_none: bool) -> None:
    from curbside.rag.drafting.opening import Asked

    assert Asked.of([], analyze_question(question)).names_no_disease is names_none


def test_stocking_numbness_is_distal_symmetric_polyneuropathy() -> None:
    from curbside.rag.expansion import expand_query
    from curbside.rag.question import mentions

    analysis = analyze_question("Symmetric stocking numbness - do I need an EMG/NCS?")
    assert any(
        mentions("Distal symmetric polyneuropathy is the most common neuropathy.", c)
        for c in analysis.focus
    )
    assert "distal symmetric polyneuropathy" in expand_query("stocking numbness, EMG?")


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        # "Do I need an EMG or an MRI?" is answered by the evidence on doing them routinely,
        # though that is a statement about the evidence...
        ("Symmetric stocking numbness - do I need an EMG/NCS or an MRI spine?", 2),
        # ...which does not open an answer to a question that asks something else.
        ("How is distal symmetric polyneuropathy evaluated?", 1),
    ],
)
def test_the_evidence_on_routine_testing_answers_whether_a_test_is_needed(
    question: str, kept: int
) -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Asked, Prefer

    routine = candidate(
        "Evidence supporting routine electrodiagnostic testing or neuraxis MRI in distal "
        "symmetric polyneuropathy is lacking."
    )
    finding = candidate(
        "When electrodiagnostic studies and examination signs disagree, the likelihood of "
        "distal symmetric polyneuropathy is lower."
    )
    q = Asked.of([routine, finding], analyze_question(question))
    rule = next(r for r in OPENING_RULES if isinstance(r, Prefer) and "about the evidence" in r.why)
    assert rule([routine, finding], q) == [routine, finding][2 - kept :]


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        # "How many respond?" is answered by how many had relief...
        ("How many actually respond (regarding duloxetine for chemo neuropathy)?", ["relief"]),
        # ...and a question about its harms by the harms.
        ("Is duloxetine safe in chemo neuropathy?", ["harm", "relief"]),
    ],
)
def test_who_responds_is_not_answered_by_adverse_events(question: str, kept: list[str]) -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Asked, Prefer

    harm = candidate(
        "Moderate adverse events were reported by 7% of patients during duloxetine treatment."
    )
    relief = candidate("Only 59% of patients taking duloxetine reported any decrease in pain.")
    q = Asked.of([harm, relief], analyze_question(question))
    rule = next(r for r in OPENING_RULES if isinstance(r, Prefer) and "actually respond" in r.why)
    named = {"harm": harm, "relief": relief}
    assert rule([harm, relief], q) == [named[k] for k in ["harm", "relief"] if k in kept]


def test_diagnostic_criteria_open_with_what_the_diagnosis_requires() -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Asked, Prefer

    excludes = candidate(
        "Upper motor neuron signs or marked bulbar involvement exclude a diagnosis of MMN."
    )
    requires = candidate("A diagnosis of MMN requires definite or probable motor conduction block.")
    rule = next(r for r in OPENING_RULES if isinstance(r, Prefer) and "requires" in r.why)
    asked = Asked.of([excludes, requires], analyze_question("Diagnostic criteria for MMN?"))
    assert rule([excludes, requires], asked) == [requires]
    # Another question about MMN is not asking for its criteria.
    other = Asked.of([excludes, requires], analyze_question("How is MMN treated?"))
    assert rule([excludes, requires], other) == [excludes, requires]


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        # "Which CTD?" is answered by the CTDs named with the finding...
        (
            "Woman with Raynaud's now has new facial numbness - which connective tissue disease "
            "should I be thinking of?",
            ["member"],
        ),
        # ...but a question that does not ask which one keeps both.
        ("Is facial numbness common in connective tissue disease?", ["group", "member"]),
    ],
)
def test_which_one_of_a_group_is_answered_by_a_member(question: str, kept: list[str]) -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Asked, Prefer

    group = candidate(
        "Trigeminal sensory neuropathy is a rare association of connective tissue disease."
    )
    member = candidate(
        "Undifferentiated connective tissue disease was the most frequent associated diagnosis, "
        "in 38 of 81 patients with trigeminal sensory neuropathy (47%)."
    )
    rule = next(r for r in OPENING_RULES if isinstance(r, Prefer) and "thinking of" in r.why)
    asked = Asked.of([group, member], analyze_question(question))
    named = {"group": group, "member": member}
    assert rule([group, member], asked) == [named[k] for k in ["group", "member"] if k in kept]
    # Facial numbness is how trigeminal sensory neuropathy presents.
    assert [c.name for c in analyze_question(question).focus] == ["facial numbness"]


def test_whether_something_is_a_criterion_is_answered_by_the_criteria() -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Asked, Prefer

    differs = candidate(
        "Peripheral neuropathy was more frequent in HBV-related PAN than in PAN without HBV."
    )
    criterion = candidate(
        "Hepatitis B surface antigen or antibody in serum is an ACR 1990 criterion for "
        "polyarteritis nodosa."
    )
    rule = next(r for r in OPENING_RULES if isinstance(r, Prefer) and "hep B serology" in r.why)
    asked = Asked.of(
        [differs, criterion],
        analyze_question("Is hep B serology one of the classification criteria for PAN?"),
    )
    assert rule([differs, criterion], asked) == [criterion]
    other = Asked.of([differs, criterion], analyze_question("How does HBV-related PAN differ?"))
    assert rule([differs, criterion], other) == [differs, criterion]
    # Whom a cohort took is not a statement about the criteria.
    assert ABOUT_THE_SOURCE.search(
        "All 348 patients met both the American College of Rheumatology criteria and the "
        "Chapel Hill Consensus Conference definition of PAN."
    )


def test_what_to_send_is_answered_by_what_is_sent() -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Asked, Prefer

    pain = candidate(
        "Moderate to severe facial pain often accompanied the numbness of CTD-associated "
        "trigeminal sensory neuropathy."
    )
    antibodies = candidate(
        "All 9 patients with CTD-associated trigeminal neuropathy tested positive for both "
        "antinuclear antibody and anti-RNP antibody."
    )
    rule = next(r for r in OPENING_RULES if isinstance(r, Prefer) and "antibodies" in r.why)
    asked = Asked.of(
        [pain, antibodies],
        analyze_question("What antibodies should I send (regarding facial numbness in CTD)?"),
    )
    assert rule([pain, antibodies], asked) == [antibodies]
    other = Asked.of([pain, antibodies], analyze_question("Is facial numbness painful in CTD?"))
    assert rule([pain, antibodies], other) == [pain, antibodies]


def test_whether_a_test_is_needed_is_answered_by_whether_it_is_needed() -> None:
    from curbside.rag.drafting.opening import OPENING_RULES, Asked, Prefer

    recommended = candidate(
        "Biopsy is recommended to help establish a new diagnosis of ANCA-associated vasculitis."
    )
    seldom = candidate(
        "In routine practice, vasculitic neuropathy in AAV is seldom confirmed by nerve biopsy."
    )
    rule = next(r for r in OPENING_RULES if isinstance(r, Prefer) and "nerve histology" in r.why)
    asked = Asked.of(
        [recommended, seldom],
        analyze_question(
            "Known ANCA vasculitis, new mononeuritis multiplex - do I need a nerve biopsy "
            "before calling it vasculitic neuropathy?"
        ),
    )
    assert rule([recommended, seldom], asked) == [seldom]
    # "Do you need a positive ANA?" asks about an entry criterion, not a test to order.
    criterion = Asked.of(
        [recommended, seldom],
        analyze_question("Do you need a positive ANA to classify lupus under the criteria?"),
    )
    assert rule([recommended, seldom], criterion) == [recommended, seldom]
