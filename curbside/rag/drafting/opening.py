"""The opening line: the rules that choose it, as a table read top to bottom.

A clinician reads the first line first; it must be the answer to what was asked. The writer
starts from the on-topic sentences and applies each rule in `OPENING_RULES` in turn. Most
rules are a `Prefer`: when the question asks something ("What causes foot drop?"), keep the
sentences that fit ("names a cause"), or all of them when none does, so no rule can leave
the answer without an opening line. The few rules that are not a plain preference are
functions with their own reasons. `pick` then takes the best-scored sentence of the first
non-empty group: the focus and the setting named specifically, then both, then ...

Each rule is one row with its reason beside it, and can be tested alone
(`tests/unit/test_opening_line_rules.py`). The order matters where two rules pull apart:
what the turn asks ("What if it ends up permanent?") comes before the form the
conversation carries, a specific ask ("threshold", "points") before the question type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from curbside.rag.drafting.candidate import (
    Candidate,
    asks_about_a_specific_finding,
    aspect_words,
    for_every_patient,
    from_the_body_asked,
    in_source_words,
    known_share,
    names_all,
    of_the_type_asked,
    rules_answer,
    shared_share,
    word_key,
)
from curbside.rag.drafting.layout import WANTED
from curbside.rag.drafting.statements import (
    ADVISES_AGAINST,
    AFTER_FAILURE,
    ASKS_ABOUT_A_LATER_LINE,
    ASKS_ABOUT_A_LINK,
    ASKS_ABOUT_EVIDENCE,
    ASKS_ABOUT_SCOPE,
    ASKS_ABOUT_TIMING,
    ASKS_FOR_A_THRESHOLD,
    ASKS_FOR_ACCURACY,
    ASKS_FOR_AN_EFFECT_SIZE,
    ASKS_FOR_GUIDELINES,
    ASKS_FOR_HARMS,
    ASKS_FOR_RISK,
    ASKS_FOR_THE_COMMONEST,
    ASKS_IF_IT_OCCURS,
    ASKS_TO_COMPARE,
    ASKS_WHAT_EXCLUDES,
    ASKS_WHAT_IT_SHOWS,
    ASKS_WHAT_TO_AVOID,
    ASKS_WHO_ACTS,
    ASKS_WITHOUT_DRUGS,
    CAUSE_UNCLEAR,
    EVIDENCE_CLASS,
    HEDGE,
    LATER_LINE,
    LEANS_ON_CONTEXT,
    NAMES_A_CAUSE,
    NAMES_A_DRUG,
    NAMES_A_HARM,
    NAMES_A_RISK,
    NAMES_A_THRESHOLD,
    NAMES_ACCURACY,
    NAMES_AN_EFFECT_SIZE,
    NAMES_POINTS,
    NAMES_THE_COMMONEST,
    NAMES_WHO_ACTS,
    PREVENTS,
    RECOMMENDS,
    REPORTS_A_RESULT,
    SAYS_WHAT_EXCLUDES,
    SAYS_WHEN,
    STATES_SCOPE,
    answers_the_type,
    defines,
    forms_asked,
    names_its_kind,
    names_something_else,
    names_the_other_phase,
    says_it_fails,
    speaks_to_one_form,
    speaks_to_the_form_asked,
)
from curbside.rag.lexicon import Entity, entities_in
from curbside.rag.question import (
    ASKS_AFTER_FAILURE,
    ASKS_FOR_CAUSES,
    ASKS_FOR_POINTS,
    ASKS_TO_PREVENT,
    Concept,
    QuestionAnalysis,
    QuestionType,
    mentions,
)
from curbside.rag.text import QUESTION_GENERIC_WORDS, content_words

TOP_SOURCE_BONUS = 0.2  # the opening line leans to the best-retrieved source
GENERAL_BONUS = 0.15  # ...and to a statement for every patient with what is asked


@dataclass(frozen=True)
class Asked:
    """The question as the opening-line rules read it, worked out once per question."""

    analysis: QuestionAnalysis
    gated: tuple[Candidate, ...]  # every on-topic sentence, before any rule
    # The lexicon knows most of the question's words. Research questions, whose words it
    # mostly does not know, are left to the ranker and retrieval's best source: their
    # wording of a treatment, an outcome or an aim is their own ("Is it always necessary?").
    known: bool
    has_setting: bool  # a population or listed entities
    definitional_ok: bool  # rules of a definition may answer (work-up questions)

    @classmethod
    def of(cls, gated: Sequence[Candidate], analysis: QuestionAnalysis) -> Asked:
        return cls(
            analysis=analysis,
            gated=tuple(gated),
            known=known_share(analysis) >= 0.5,
            has_setting=bool(analysis.populations or analysis.facets),
            definitional_ok=rules_answer(analysis),
        )

    @property
    def question(self) -> str:
        return self.analysis.question

    @property
    def type(self) -> QuestionType:
        return self.analysis.type

    # What several rules read of the question, worked out on first use, not per sentence.
    @cached_property
    def circumstance(self) -> set[str]:
        return circumstance_words(self.analysis)

    @cached_property
    def names_no_disease(self) -> bool:
        """The question speaks of no disease ("Is skin biopsy worth doing for suspected
        small fiber neuropathy?") and does not ask which one causes something."""
        return (
            # Whether a sentence names another disease is the lexicon's call: it must know
            # the question's topic ("aromatase inhibitor-related musculoskeletal symptoms"
            # is a breast cancer question it cannot read).
            known_share(self.analysis) >= 1 / 3
            and not self.analysis.families()
            and not any(e.kind == "condition" for e in entities_in(self.question))
            # The lexicon does not know every disease: "tarsal tunnel syndrome" is one.
            and not _NAMES_A_DISEASE.search(self.question)
            and not self.asks(ASKS_FOR_CAUSES)
            # "Do they still need a muscle biopsy?": the disease is the conversation's.
            and not self.asks(_LEANS_ON_THE_CONVERSATION)
        )

    @cached_property
    def group_asked(self) -> Entity | None:
        """The group a "which one" question asks to pick from: "Facial numbness - which
        connective tissue disease should I be thinking of?" -> connective tissue disease."""
        found = _WHICH_ONE.search(self.question)
        named = entities_in(found.group("group")) if found else []
        return next((e for e in named if e.kind == "condition" and e.members), None)

    @cached_property
    def ordered(self) -> set[str]:
        """Word forms of what a "What antibodies should I send?" question would order."""
        found = _ASKS_WHAT_TO_ORDER.search(self.question)
        return {word_key(w) for w in content_words(found["what"])} if found else set()

    @cached_property
    def forms(self) -> list[str]:
        return forms_asked(self.analysis)

    @cached_property
    def tests(self) -> list[Concept]:
        return [c for c in self.analysis.focus if c.kind == "test"]

    @cached_property
    def items_scored(self) -> set[str]:
        """The items a points question names ("Raynaud's"), without its scoring words."""
        return aspect_words(self.question, self.analysis) - _SCORING_WORDS

    @cached_property
    def heard(self) -> list[Candidate]:
        """The sentences of the guideline bodies the question names that say what is asked."""
        return from_the_body_asked(list(self.gated), self.analysis)

    def asks(self, pattern: re.Pattern[str]) -> bool:
        return bool(pattern.search(self.analysis.question))

    def in_setting(self, candidate: Candidate) -> bool:
        """Names the setting asked about, or the question has none."""
        return candidate.names_setting or not self.has_setting

    def of_focus(self, candidate: Candidate) -> bool:
        """Names the focus, or the question has none."""
        return candidate.names_focus or not self.analysis.focus


Rule = Callable[[list[Candidate], Asked], list[Candidate]]


@dataclass(frozen=True)
class Prefer:
    """When the question `asks`, keep the sentences that `fit`; all of them if none does."""

    why: str
    asks: Callable[[Asked], bool]
    fits: Callable[[Candidate, Asked], bool]

    @classmethod
    def said(cls, why: str, asked: re.Pattern[str], said: re.Pattern[str]) -> Prefer:
        """The common row: when the question's words match `asked`, the sentences whose
        words match `said`."""
        return cls(why, lambda q: q.asks(asked), lambda c, q: bool(said.search(c.text)))

    def __call__(self, usable: list[Candidate], q: Asked) -> list[Candidate]:
        if not self.asks(q):
            return usable
        return [c for c in usable if self.fits(c, q)] or usable


def _always(q: Asked) -> bool:
    return True


# ---- words a rule reads in the question ------------------------------------------------
# Words of a question about scoring that name no item scored.
_SCORING_WORDS = frozenset(
    content_words("many points point score scores criteria classification classify regarding")
)
# "How does the ACR define X?" asks what X is as much as "What is X?" does.
_ABOUT_A_DEFINITION = frozenset(
    content_words("define defined definition mean means exactly actually really")
)
_WHAT_IF = re.compile(r"^\s*what if\b(?P<clause>[^(?]*)", re.IGNORECASE)
# Words of a circumstance that say nothing of which one it is.
_PLAIN_WORDS = frozenset(
    content_words(
        "treatment therapy patient patients become becomes became end ends ended start starting "
        "started already before after during later still get gets suspected suspect done "
        "given used tried"
    )
)
_ASKS_IF_IT_CAUSES = re.compile(r"^\s*(can|could|does|do|may)\b.*\b(cause|lead to)\b", re.I)
# "Do I need an EMG?", "Is a nerve biopsy necessary?", "Should I order an MRI?".
_ASKS_IF_NEEDED = re.compile(
    r"\b(do|does|did|should|must) (i|we|you|they|s?he|the patient) (really )?"
    r"(need|order|get|send|request)\b|\b(necessary|needed|required|worth (doing|it))\b",
    re.IGNORECASE,
)
# "... without a nerve biopsy", "rather than on nerve histology", "seldom confirmed by
# biopsy", "evidence supporting routine testing is lacking".
_SAYS_IF_NEEDED = re.compile(
    r"\b(without (an? |the )?([\w-]+ )?(biopsy|biopsies|test\w*|studies|imaging|mri|histology)|"
    r"rather than|instead of|seldom|not (always |routinely )?(needed|necessary|"
    r"required)|unnecessary|lacking|routine(ly)?)\b",
    re.IGNORECASE,
)
_NAMES_A_DISEASE = re.compile(r"\b(syndrome|disease|disorder)s?\b", re.IGNORECASE)
_ASKS_WHO_RESPONDS = re.compile(
    r"\b(respond\w*|responders?|response rates?|benefit\w*|relief|effective(ness)?|work)\b",
    re.IGNORECASE,
)
_ASKS_IF_SAFE = re.compile(r"\bsafe(ty|ly)?\b", re.IGNORECASE)
_ASKS_FOR_DIAGNOSTIC_CRITERIA = re.compile(
    r"\bdiagnostic criteri(a|on)\b|\bcriteri(a|on) (for|of) (the |a )?diagnos", re.IGNORECASE
)
# "Is X one of the classification criteria?", "Does it count in the EGPA criteria?".
_ASKS_IF_A_CRITERION = re.compile(
    r"\b(one of|among|part of|included in|counts? (in|towards?)|in)\s+the\s+"
    r"([\w/-]+\s+){0,4}criteri(a|on)\b",
    re.IGNORECASE,
)
_NAMES_A_CRITERION = re.compile(r"\bcriteri(a|on)\b", re.IGNORECASE)
_SAYS_WHAT_IT_REQUIRES = re.compile(r"\b(requires?|required|core criteri\w*)\b", re.IGNORECASE)
_LEANS_ON_THE_CONVERSATION = re.compile(r"\b(they|them|their|she|he|her|his|it|this)\b", re.I)
_ROUTINE = re.compile(r"\broutine(ly)?\b", re.IGNORECASE)
_A_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
_DEFINITION_HEADING = re.compile(r"\bdefin", re.IGNORECASE)
_MAINTENANCE = re.compile(r"\bmaintenance\b", re.IGNORECASE)
# "What antibodies should I send?", "Which bloods do we check?"
_ASKS_WHAT_TO_ORDER = re.compile(
    r"\b(what|which) (?P<what>[\w-]+( [\w-]+)?) (should|do|would|must) (i|we|you) "
    r"(send|order|check|request|test for)\b",
    re.IGNORECASE,
)
# "which connective tissue disease should I think of", "what kind of vasculitis is it".
_WHICH_ONE = re.compile(
    r"\b(which|what)\s+((kind|type|form|sort)s? of\s+)?(?P<group>[\w'-]+(\s+[\w'-]+){0,3}?)"
    r"\s+(should|would|could|might|is|are|was|do|does|did|to)\b",
    re.IGNORECASE,
)


def names_a_member(text: str, group: Entity) -> bool:
    """Does the text name one of the group's members ("mixed connective tissue disease" for
    connective tissue disease), not just the group?"""
    members = {m.lower() for m in group.members}
    return any(e.name.lower() in members for e in entities_in(text))


def circumstance_words(analysis: QuestionAnalysis) -> set[str]:
    """The words of a "What if ...?" question's circumstance, without the names of what it
    is about: {"permanent"} for "What if the foot drop ends up permanent?"; empty for "What
    if IVIg stops working?" (what to do when a treatment fails has its own rule)."""
    found = _WHAT_IF.match(analysis.question)
    if found is None or ASKS_AFTER_FAILURE.search(analysis.question):
        return set()
    named = {
        word_key(w)
        for c in analysis.topic_concepts()
        for t in [c.name, *c.terms]
        for w in content_words(t)
    }
    words = {word_key(w) for w in content_words(found["clause"]) if w not in _PLAIN_WORDS}
    words |= {word_key(w) for w in in_source_words(found["clause"])}
    return {w for w in words if w not in named and w not in QUESTION_GENERIC_WORDS}


def names_a_disease_not_asked(text: str, question: str) -> bool:
    """Does the sentence speak of patients with a disease (lupus, MMN) that the question does
    not name, even in another form of the word or by its family ("vasculitic neuropathy"
    names nonsystemic vasculitic neuropathy, "prediabetes" diabetes, "chemo"
    chemotherapy-induced neuropathy)?"""
    asked = question.lower()
    return any(
        e.kind == "condition"
        and e.family
        and not any(t.lower()[:5] in asked for t in (e.name, e.family, *e.terms) if len(t) >= 4)
        for e in entities_in(text)
    )


def _words_of(candidate: Candidate) -> set[str]:
    return {word_key(w) for w in content_words(candidate.text)}


def _asks_a_list(q: Asked) -> bool:
    """ "Which ones should I avoid?" and "What are the risk factors for X?" ask for a list of
    that kind; "Is X a risk factor for Y?" (yes/no) asks about one association."""
    return q.type != "yes_no"


# ---- rules that are not a plain preference ---------------------------------------------
def _the_verdict_on_the_one_drug(usable: list[Candidate], q: Asked) -> list[Candidate]:
    """ "Does duloxetine help CIPN pain?" opens with what duloxetine does, said as advice or
    a result, not with the share of patients who reported any change."""
    drugs = q.analysis.treatments
    if not (q.type in ("yes_no", "other") and len(drugs) == 1 and q.known):
        return usable
    verdicts = [
        c
        for c in usable
        if mentions(c.text, drugs[0]) and answers_the_type(c.text, "management", q.question) >= 2
    ]
    if not q.asks(ASKS_AFTER_FAILURE):
        # "Does IVIg work for MMN?" is not answered by what to do if IVIg is not effective
        # enough ("Tramadol is recommended as second-line treatment" does answer "Is
        # tramadol recommended?").
        verdicts = [c for c in verdicts if not says_it_fails(c.text, drugs[0])] or verdicts
    if not q.asks(ASKS_ABOUT_A_LATER_LINE):
        # ...nor by how often to give it as maintenance.
        verdicts = [c for c in verdicts if not _MAINTENANCE.search(c.text)] or verdicts
    return verdicts or usable


def _the_treatment_of_the_finding_asked(usable: list[Candidate], q: Asked) -> list[Candidate]:
    """ "How is trigeminal neuropathy in CTD treated?" is answered by what the sources say of
    treating it, in the setting asked, however little; not by how Sjogren's neuropathy is
    treated (a CTD, so in the setting, but another neuropathy)."""
    if not (
        asks_about_a_specific_finding(q.analysis) and q.known and q.type in ("management", "dose")
    ):
        return usable
    on_focus = [c for c in usable if c.names_focus and q.in_setting(c)]
    if any(
        answers_the_type(c.text, q.type, q.question)
        or (q.type == "management" and c.names_treatment)
        # a drug the lexicon does not know ("iloprost"), read as treatment by meaning
        or c.section in WANTED.get(q.type, set())
        for c in on_focus
    ):
        return on_focus
    return usable


def _of_the_type_in_the_setting_first(usable: list[Candidate], q: Asked) -> list[Candidate]:
    """ "How is X treated?" opens with a treatment said as advice or a result, "What tests
    ...?" with a test, "What dose ...?" with a dose, when any sentence gives one; in the
    setting asked about first: a treatment of peripheral neuropathy in systemic sclerosis
    named plainly beats a first-line treatment in Sjogren's said as advice. (Named plainly
    and in the setting; a mere mention of surgery as a marker of severe RA is not a
    treatment of foot drop in RA.)"""
    if not q.known:
        return usable
    pools = [[c for c in usable if c.names_setting], usable] if q.has_setting else [usable]
    for pool in pools:
        for level in (2,) if pool is not usable else (2, 1):
            answering = [c for c in pool if answers_the_type(c.text, q.type, q.question) >= level]
            if answering:
                return answering
    return usable


def _what_it_is(usable: list[Candidate], q: Asked) -> list[Candidate]:
    """A bare "What is X?" ("What is the most common cause of X?" asks a finding) opens with
    a sentence that says what X is: "What is sensory ataxic neuropathy in Sjogren's?" asks
    what the neuropathy is, not what Sjogren's syndrome is."""
    asked_of_it = (
        aspect_words(q.question, q.analysis)
        - _ABOUT_A_DEFINITION
        - {b.lower() for b in q.analysis.bodies}
    )
    if q.type != "definition" or asked_of_it:
        return usable
    subjects = q.analysis.focus or q.analysis.populations
    usable = (
        [c for c in usable if defines(c.text, subjects, q.analysis.populations)]
        or [c for c in usable if names_its_kind(c.text, subjects)]
        or usable
    )
    # What it is before when it was named: "Clinically, MCTD showed a mixture of features
    # resembling SLE, scleroderma and polymyositis" before "MCTD was named and described in
    # 1972 as an apparently distinct syndrome".
    usable = [c for c in usable if not _A_YEAR.search(c.text)] or usable
    # A source's own "Definition" section says it best ("Foot drop is weakness of the
    # dorsiflexor muscles of the foot", not "Foot drop is a common condition").
    named = [c for c in usable if _DEFINITION_HEADING.search(c.passage_section)]
    return [c for c in named if c.first_in_passage] or named or usable


# ---- the table ------------------------------------------------------------------------
OPENING_RULES: tuple[Rule, ...] = (
    Prefer.said(
        "Whom the source speaks to is the answer to a question about scope, not a caveat.",
        ASKS_ABOUT_SCOPE,
        STATES_SCOPE,
    ),
    Prefer(
        "A finding opens before a statement about the evidence, unless the evidence or the "
        'scope is what is asked; "Do I need an EMG or an MRI?" is answered by "evidence '
        'supporting routine electrodiagnostic testing or MRI is lacking".',
        lambda q: not q.asks(ASKS_ABOUT_SCOPE) and not q.asks(ASKS_ABOUT_EVIDENCE),
        lambda c, q: (
            not HEDGE.search(c.text) or (q.asks(_ASKS_IF_NEEDED) and bool(_ROUTINE.search(c.text)))
        ),
    ),
    Prefer(
        "A sentence that leans on the one before it does not stand first.",
        _always,
        lambda c, q: not LEANS_ON_CONTEXT.match(c.text),
    ),
    Prefer(
        '"... for remission induction?" is not answered by the maintenance recommendation.',
        _always,
        lambda c, q: not names_the_other_phase(c.text, q.question),
    ),
    Prefer.said(
        "What to do when a treatment fails is answered by the next step.",
        ASKS_AFTER_FAILURE,
        AFTER_FAILURE,
    ),
    Prefer(
        '"What causes foot drop?" does not open with "the cause may not be obvious".',
        lambda q: q.asks(ASKS_FOR_CAUSES),
        lambda c, q: not CAUSE_UNCLEAR.search(c.text),
    ),
    Prefer(
        '...but with causes named ("L5 radiculopathy and injury of the peroneal nerve"), '
        'not "Foot drop has many causes".',
        lambda q: q.asks(ASKS_FOR_CAUSES),
        lambda c, q: names_something_else(c.text, q.analysis) or bool(NAMES_A_CAUSE.search(c.text)),
    ),
    Prefer(
        '"Does mononeuritis multiplex occur in PAN?" opens with it occurring, not with advice '
        "on imaging in PAN presenting with it.",
        lambda q: q.asks(ASKS_IF_IT_OCCURS) and q.type == "yes_no",
        lambda c, q: not RECOMMENDS.search(c.text),
    ),
    Prefer(
        '"Can vasculitis cause mononeuritis multiplex?" opens with what vasculitis does to the '
        'nerves, not with what vasculitic neuropathies are ("a heterogeneous group ...").',
        lambda q: q.type == "yes_no" and (q.asks(ASKS_IF_IT_OCCURS) or q.asks(_ASKS_IF_IT_CAUSES)),
        lambda c, q: not defines(c.text, q.analysis.focus),
    ),
    Prefer(
        "A recommendation opens before a conclusion about the evidence for it.",
        _always,
        lambda c, q: not EVIDENCE_CLASS.search(c.text),
    ),
    Prefer(
        '"How should diabetic foot ulcers be prevented?" is not answered by how the pain of '
        "diabetic neuropathy is treated.",
        lambda q: q.asks(ASKS_TO_PREVENT) and q.known,
        lambda c, q: bool(PREVENTS.search(c.text)),
    ),
    Prefer(
        '"What if the foot drop ends up permanent?" opens with what is said of permanent foot '
        "drop; what the turn asks comes before the form the conversation carries.",
        lambda q: bool(q.circumstance),
        lambda c, q: bool(q.circumstance & _words_of(c)),
    ),
    Prefer(
        "One form of the condition only when the question asks about that form.",
        _always,
        lambda c, q: not speaks_to_one_form(c.text, q.analysis),
    ),
    Prefer(
        '"Is skin biopsy worth doing for suspected small fiber neuropathy?" names no disease: '
        'it does not open with "In SLE small-fiber neuropathy, skin biopsy ...".',
        lambda q: q.names_no_disease,
        lambda c, q: not names_a_disease_not_asked(c.text, q.question),
    ),
    Prefer(
        '...and that form when it does ("In spastic foot drop, botulinum toxin ..."), said '
        "of the kind asked (its treatment, not how often it occurs).",
        lambda q: bool(q.forms),
        lambda c, q: speaks_to_the_form_asked(c.text, q.forms) and of_the_type_asked(c, q.analysis),
    ),
    Prefer(
        '"Which ones should I avoid?" opens with advice against.',
        lambda q: _asks_a_list(q) and q.asks(ASKS_WHAT_TO_AVOID),
        lambda c, q: bool(ADVISES_AGAINST.search(c.text)),
    ),
    Prefer.said(
        '"What findings would argue against MMN?" opens with what excludes the diagnosis.',
        ASKS_WHAT_EXCLUDES,
        SAYS_WHAT_EXCLUDES,
    ),
    Prefer.said(
        '"Who should decide on an implanted stimulator?" opens with who decides (a '
        "multidisciplinary team), not with the condition it is for.",
        ASKS_WHO_ACTS,
        NAMES_WHO_ACTS,
    ),
    Prefer.said(
        '"Is hep B serology one of the classification criteria?" opens with the criteria, not '
        "with how hepatitis B-related disease differs from the rest.",
        _ASKS_IF_A_CRITERION,
        _NAMES_A_CRITERION,
    ),
    Prefer.said(
        "Scored criteria: the threshold, when a threshold is asked.",
        ASKS_FOR_A_THRESHOLD,
        NAMES_A_THRESHOLD,
    ),
    Prefer.said(
        '"Diagnostic criteria for MMN?" opens with what the diagnosis requires, before what '
        "rules it out.",
        _ASKS_FOR_DIAGNOSTIC_CRITERIA,
        _SAYS_WHAT_IT_REQUIRES,
    ),
    Prefer.said(
        "...in points when points are asked.",
        ASKS_FOR_POINTS,
        NAMES_POINTS,
    ),
    Prefer(
        "...and an item's points for the items named (\"Raynaud's phenomenon scores 3 "
        'points"), when no threshold is asked.',
        lambda q: q.asks(ASKS_FOR_POINTS) and not q.asks(ASKS_FOR_A_THRESHOLD),
        lambda c, q: shared_share(q.items_scored, content_words(c.text)) > 0,
    ),
    Prefer.said(
        '"Does it matter how quickly we treat it?" opens with what is said of timing ("Early '
        'treatment of vasculitic neuropathy can prevent morbidity and mortality").',
        ASKS_ABOUT_TIMING,
        SAYS_WHEN,
    ),
    Prefer.said(
        '"What\'s the NNT for gabapentin?" opens with the number needed to treat (or the effect '
        "size asked), not with who took part in the trials.",
        ASKS_FOR_AN_EFFECT_SIZE,
        NAMES_AN_EFFECT_SIZE,
    ),
    Prefer.said(
        '"How does it perform?" opens with sensitivity and specificity.',
        ASKS_FOR_ACCURACY,
        NAMES_ACCURACY,
    ),
    Prefer(
        '"Main side effects of tricyclics, ...?" opens with adverse effects, not with the '
        "recommendation to offer them.",
        # (A named drug is enough: "Is duloxetine well tolerated compared with placebo?")
        lambda q: q.asks(ASKS_FOR_HARMS) and (q.known or bool(q.analysis.treatments)),
        lambda c, q: bool(NAMES_A_HARM.search(c.text)),
    ),
    Prefer(
        '"How many actually respond to duloxetine?" opens with how many had relief, not how '
        "many had adverse events.",
        lambda q: (
            q.asks(_ASKS_WHO_RESPONDS)
            and not q.asks(ASKS_FOR_HARMS)
            and not q.asks(_ASKS_IF_SAFE)
            and bool(q.analysis.treatments)
        ),
        lambda c, q: not NAMES_A_HARM.search(c.text),
    ),
    Prefer(
        'Risk factors asked for, and "Is X linked to Y?", open with an association said as '
        'such, of the focus and in the setting asked. "How common is painful CIPN and who '
        'is at risk?" opens with how common it is: the first thing asked leads.',
        lambda q: (
            (_asks_a_list(q) and q.type != "frequency" and q.asks(ASKS_FOR_RISK))
            or (q.type == "yes_no" and q.known and q.asks(ASKS_ABOUT_A_LINK))
        ),
        lambda c, q: bool(NAMES_A_RISK.search(c.text)) and q.in_setting(c) and q.of_focus(c),
    ),
    Prefer(
        '"What non-drug treatments ...?" opens with care that is not a medicine.',
        lambda q: q.asks(ASKS_WITHOUT_DRUGS),
        lambda c, q: not NAMES_A_DRUG.search(c.text),
    ),
    Prefer(
        '"What antibodies should I send?" opens with the antibodies to test for, not with the '
        "facial pain that goes with the numbness.",
        lambda q: bool(q.ordered),
        lambda c, q: bool(q.ordered & {word_key(w) for w in content_words(c.text)}),
    ),
    Prefer(
        '"Facial numbness - which connective tissue disease should I be thinking of?" is '
        "answered by the ones the sources name with it (undifferentiated or mixed CTD), not by "
        "its being rare in connective tissue disease as a group.",
        lambda q: q.group_asked is not None,
        lambda c, q: q.group_asked is not None and names_a_member(c.text, q.group_asked),
    ),
    Prefer.said(
        '"What is the most common ...?" opens with the most common.',
        ASKS_FOR_THE_COMMONEST,
        NAMES_THE_COMMONEST,
    ),
    Prefer(
        '"How common is peripheral neuropathy in DM/PM?" is answered by how common it is '
        "there, not one form of it (mononeuritis multiplex).",
        lambda q: q.type == "frequency",
        lambda c, q: c.names_focus_directly and q.in_setting(c),
    ),
    Prefer(
        '"How is CIDP treated?" opens with the initial treatment, not maintenance, second-line '
        'or rescue treatment (not for a yes/no question on one drug: "Tramadol is '
        'recommended as second-line treatment" answers "Is tramadol recommended?"). What is '
        "said of the very form asked stands, whatever line it is.",
        lambda q: q.type in ("management", "comparison") and not q.asks(ASKS_ABOUT_A_LATER_LINE),
        lambda c, q: (
            not LATER_LINE.search(c.text)
            or (
                q.known and asks_about_a_specific_finding(q.analysis) and c.names_focus_specifically
            )
        ),
    ),
    Prefer(
        "A question about guidelines opens with a guideline.",
        lambda q: q.asks(ASKS_FOR_GUIDELINES),
        lambda c, q: c.guideline,
    ),
    Prefer(
        '"What does the AAN recommend ...?" opens with the AAN\'s word when it gives one.',
        lambda q: bool(q.analysis.bodies),
        lambda c, q: c in q.heard,
    ),
    Prefer(
        '"How common is painful CIPN?" is not answered by how many patients taking duloxetine '
        "reported less pain.",
        lambda q: q.type == "frequency" and not q.analysis.treatments,
        lambda c, q: not c.names_treatment,
    ),
    Prefer(
        '"Do I need a nerve biopsy before calling it vasculitic neuropathy?" is answered by '
        'whether it is needed ("the diagnosis usually rests on the clinical picture rather '
        'than on nerve histology"), not by what biopsy is recommended for.',
        lambda q: bool(q.tests) and q.asks(_ASKS_IF_NEEDED),
        lambda c, q: bool(_SAYS_IF_NEEDED.search(c.text)),
    ),
    Prefer(
        '"What do nerve conduction studies show in peroneal neuropathy?" opens with what the '
        "studies show, in the setting asked.",
        lambda q: bool(q.tests) and q.type != "comparison",
        lambda c, q: any(mentions(c.text, t) for t in q.tests) and q.in_setting(c),
    ),
    Prefer(
        "...and in the form asked: what the biopsy shows in sensory ataxic neuropathy, not "
        "what a skin biopsy shows in small-fibre neuropathy.",
        lambda q: (
            bool(q.tests) and q.type != "comparison" and asks_about_a_specific_finding(q.analysis)
        ),
        lambda c, q: any(mentions(c.text, f) for f in q.analysis.focus if f.kind == "finding"),
    ),
    Prefer(
        '"What do they usually show?" is answered by what they showed ("an axonal neuropathy '
        'in 70%"), not by the definition that accepts either finding.',
        lambda q: bool(q.tests) and q.type != "comparison" and q.asks(ASKS_WHAT_IT_SHOWS),
        lambda c, q: bool(REPORTS_A_RESULT.search(c.text)),
    ),
    Prefer(
        "A question naming no setting opens with a sentence naming no other condition.",
        lambda q: not q.has_setting and q.known,
        lambda c, q: not c.names_other_condition,
    ),
    _the_verdict_on_the_one_drug,
    Prefer(
        '"Raynaud\'s phenomenon in systemic sclerosis" is answered by a sentence about both, '
        "not by compression neuropathies in SSc.",
        lambda q: len(q.analysis.populations) >= 2,
        lambda c, q: names_all(c.text, q.analysis.populations),
    ),
    _the_treatment_of_the_finding_asked,
    _of_the_type_in_the_setting_first,
    Prefer(
        '"What is the difference between foot drop and flail foot?" is answered by a sentence '
        "about both, not by the treatment of foot drop.",
        lambda q: (
            q.type != "comparison" and len(q.analysis.facets) >= 2 and q.asks(ASKS_TO_COMPARE)
        ),
        lambda c, q: len(c.facets) >= 2,
    ),
    _what_it_is,
    Prefer(
        "Statements of the kind asked for first (a treatment question opens with treatment).",
        lambda q: q.type not in ("yes_no", "other", "definition"),
        lambda c, q: c.section in WANTED.get(q.type, set()),
    ),
)


def choose_opener(gated: list[Candidate], analysis: QuestionAnalysis) -> Candidate | None:
    """The best sentence that names the focus together with the population or a listed
    entity, among those every rule of `OPENING_RULES` kept; else the best sentence naming
    the focus; else the best on the list."""
    q = Asked.of(gated, analysis)
    usable = [c for c in gated if not c.off_population and (c.states_finding or q.definitional_ok)]
    for rule in OPENING_RULES:
        usable = rule(usable, q)
    return pick(usable, q)


def pick(usable: list[Candidate], q: Asked) -> Candidate | None:
    """The best-scored sentence of the first group that has one."""
    analysis = q.analysis
    both = [c for c in usable if q.of_focus(c) and q.in_setting(c)]
    if analysis.type == "comparison" and len(analysis.facets) >= 2:
        # A comparison is answered by a sentence naming the options compared ("studies
        # comparing an AFO directly with FES after stroke ..."), focus word or not.
        both += [c for c in usable if len(c.facets) >= 2 and c not in both]
    # Retrieval ranks whole passages with their titles; when the lexicon knows none of the
    # question's concepts, its best source is the better guide to the answer.
    top_bonus = 0.0 if q.known else TOP_SOURCE_BONUS
    # "Can foot drop occur in SLE?" opens with the peroneal nerves in SLE before
    # mononeuritis multiplex in myositis: the finding asked about, in a setting asked about.
    specific = [c for c in both if c.names_focus_specifically and analysis.type != "comparison"]
    setting_and_finding = [c for c in usable if c.names_setting and c.names_finding]
    focus_only = [c for c in usable if c.names_focus]
    for group in (specific, both, setting_and_finding, focus_only, usable, list(q.gated)):
        if group:
            return max(
                group,
                key=lambda c: (
                    c.score
                    + 0.06 * c.names_focus_directly
                    + 0.02 * min(len(c.facets), 2)
                    + top_bonus * (c.number == 1)
                    + GENERAL_BONUS * for_every_patient(c, analysis)
                ),
            )
    return None
