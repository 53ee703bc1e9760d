"""One candidate sentence as the extractive writer sees it, and the checks on the question
that choosing among candidates needs (shared by the writer and its opening-line rules).

A `Candidate` is a sentence of a retrieved passage with what the writer worked out about it:
which of the question's concepts it names, whether it is about another population, its
section by meaning and its score. The functions below ask of the question what kind of
answer it wants ("does it name a specific finding?", "does the lexicon know its words?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from curbside.rag.drafting.layout import WANTED
from curbside.rag.drafting.statements import DEFINITIONAL, answers_the_type
from curbside.rag.lexicon import BROAD_FINDINGS, term_pattern
from curbside.rag.question import Concept, QuestionAnalysis, mentions
from curbside.rag.text import QUESTION_GENERIC_WORDS, content_words


@dataclass
class Candidate:
    text: str
    number: int
    passage_section: str
    quality: float
    guideline: bool = False
    source_title: str = ""
    about_source: bool = False
    names_focus: bool = False
    names_focus_directly: bool = False  # the focus's own words, not a related term
    names_population: bool = False
    # Its source names the population somewhere: "drop foot of central neurological origin"
    # speaks of MS in the NICE guidance that lists MS among those origins; "rituximab in
    # ANCA-associated vasculitis" does not speak of EGPA in a trial that never names it.
    source_names_population: bool = False
    names_finding: bool = False  # any finding, treatment or test of the lexicon
    names_broad_finding: bool = False  # nerve damage anywhere (lexicon.BROAD_FINDINGS)
    # A condition the question does not name ("In Sjogren's syndrome with ...", for a question
    # about vasculitic neuropathy in general): a narrower statement than the one asked for.
    names_other_condition: bool = False
    # The focus by its own words or a specific related term ("peroneal" for foot drop), not
    # by nerve damage that may be anywhere ("mononeuritis multiplex").
    names_focus_specifically: bool = False
    names_treatment: bool = False  # a treatment of the lexicon or treatment in plain words
    title_names_question: float = 0.0  # share of the question's parts its source's title names
    first_in_passage: bool = False
    # The guideline bodies the question names that issued its source ("AAN").
    from_bodies: list[str] = field(default_factory=list)
    question_has_focus: bool = True
    facets: list[str] = field(default_factory=list)
    off_population: bool = False
    relevance: float = 0.0
    # Against the other candidates of the same question: cosine similarities are not
    # comparable across questions, their order within one is.
    relevance_gap: float = 0.0  # best relevance of the question minus this one
    relevance_rank: int = 0
    source_relevance: float = 0.0  # the question against the source's title
    aspect_overlap: float = 0.0  # share of what the question asks *about* its subject it names
    rare_word_overlap: float = 0.0  # question words it shares, weighted by rarity among these
    score: float = 0.0
    # Two readings of what kind of statement it is. `section` (nearest section description)
    # is what the ranker and the opening-line rules were fitted with; `shown_under` (the
    # learned head, `layout.load_section_head`) is the heading a reader finds it under,
    # placed more as a clinician would (80% against 60% on sentences two annotators agreed
    # on). Empty: the same as `section`.
    section: str = ""
    shown_under: str = ""
    features: list[float] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """The answer section it is shown under."""
        return self.shown_under or self.section

    @property
    def by_body_asked(self) -> bool:
        return bool(self.from_bodies)

    @property
    def states_finding(self) -> bool:
        """A finding, not a rule of a definition or a classification ("... are exclusions in
        the ACR definition"): those answer work-up questions, not "does X occur in Y"."""
        return not DEFINITIONAL.search(self.text)

    @property
    def names_setting(self) -> bool:
        return self.names_population or bool(self.facets)

    @property
    def on_topic(self) -> bool:
        """Names the focus, or a population or listed entity together with a finding
        ("peripheral neuropathy in SSc" answers "foot drop in SSc"; "MCTD combines features
        of SLE and SSc" does not). A question about a condition itself ("How is PAN
        treated?") has no other focus: naming the condition is enough."""
        if self.names_focus:
            return True
        return self.names_setting and (self.names_finding or not self.question_has_focus)


# A clinician's plain words and the words the sources use for the same thing: "without
# ruling out other causes" is answered by "only after other causes are excluded", "what if
# they already have diabetic neuropathy" by "patients with pre-existing neuropathy".
_SOURCE_WORDS = (
    (re.compile(r"\brul(e|es|ed|ing) (\w+ )?out\b", re.IGNORECASE), ("excluded",)),
    (re.compile(r"\bside[- ]effects?\b", re.IGNORECASE), ("adverse",)),
    (re.compile(r"\balready (have|has|had)\b", re.IGNORECASE), ("pre-existing",)),
)


def in_source_words(question: str) -> set[str]:
    return {w for pattern, words in _SOURCE_WORDS if pattern.search(question) for w in words}


def aspect_words(question: str, analysis: QuestionAnalysis) -> set[str]:
    """What the question asks about its subject: its content words other than the names of
    its concepts ("referred", "neurologist" in "When should a patient with suspected DSP be
    referred to a neurologist?"; "caused" in "Is neuropathy in lupus always caused by
    lupus?"). The sentence that answers usually says them too."""
    named = {
        w for c in analysis.topic_concepts() for t in [c.name, *c.terms] for w in content_words(t)
    }
    asked = {w for w in content_words(question) if w not in named and len(w) > 2}
    return asked | in_source_words(question)


def shared_share(wanted: set[str], words: list[str]) -> float:
    """Share of `wanted` words among `words`, counting a shared start as the same word
    ("neurologist" and "neurological", "cause" and "caused")."""
    return share_of_keys(wanted, {word_key(w) for w in words})


def share_of_keys(wanted: set[str], keys: set[str]) -> float:
    if not wanted:
        return 0.0
    return sum(1 for w in wanted if word_key(w) in keys) / len(wanted)


def word_key(word: str) -> str:
    return word.rstrip("e")[:6]


def known_share(analysis: QuestionAnalysis) -> float:
    """Share of the question's specific words that name a concept the lexicon knows:
    low for "Does induction chemotherapy have a role in nasopharyngeal carcinoma?" (only
    "chemotherapy"), high for "How should severe granulomatosis with polyangiitis be
    treated?"."""
    specific = {
        w
        for w in content_words(analysis.question.replace("-", " "))
        if w not in QUESTION_GENERIC_WORDS and len(w) > 2
    }
    if not specific:
        return 1.0
    known = {
        w
        for c in analysis.topic_concepts()
        if c.kind != "phrase"
        for t in [c.name, *c.terms]
        for w in content_words(t.replace("-", " "))
    }
    return len(specific & known) / len(specific)


def rules_answer(analysis: QuestionAnalysis) -> bool:
    """Rules of a definition or criteria answer work-up questions, questions about the rules,
    and questions about a test ("Should nerve conduction studies be done in suspected
    CIDP?" is answered by the electrodiagnostic criteria, not by when a nerve biopsy helps)."""
    return (
        analysis.type in ("diagnosis", "definition")
        or bool(DEFINITIONAL.search(analysis.question))
        or any(c.kind == "test" for c in analysis.focus)
    )


def asks_about_a_specific_finding(analysis: QuestionAnalysis) -> bool:
    """Trigeminal neuropathy in CTD, not neuropathy or neurological involvement in PAN: how
    PAN is treated answers the second, how Sjogren's neuropathy is treated not the first."""
    broad = {b.lower() for b in BROAD_FINDINGS}
    return any(c.kind == "finding" and c.terms[0] not in broad for c in analysis.focus)


def by_own_words(concept: Concept) -> Concept:
    """The concept named only by its own terms, without related ones: "neuropathic pain" is
    related to duloxetine, but a sentence naming duloxetine does not name the pain."""
    return concept.model_copy(update={"terms": concept.terms[: concept.direct_terms or None]})


def names_all(text: str, concepts: list[Concept]) -> bool:
    """Does the text name every one of these concepts ("SSc-related Raynaud's phenomenon"
    names both systemic sclerosis and Raynaud's phenomenon)?"""
    return all(mentions(text, c) for c in concepts)


def of_the_type_asked(candidate: Candidate, analysis: QuestionAnalysis) -> bool:
    """Is the sentence the kind of statement the question type asks for (any kind, for
    yes/no, definition and other questions)?"""
    if analysis.type in ("yes_no", "other", "definition"):
        return True
    kind = answers_the_type(candidate.text, analysis.type, analysis.question)
    if analysis.type == "dose":
        return bool(kind)  # a dose, not any statement under Treatment
    return candidate.section in WANTED.get(analysis.type, set()) or bool(kind)


def from_the_body_asked(gated: list[Candidate], analysis: QuestionAnalysis) -> list[Candidate]:
    """The on-topic sentences of the guideline bodies the question names that say what is
    asked: the PNS vasculitic-neuropathy guideline's pathology criteria do not answer "What
    does the PNS guideline say about treating vasculitic neuropathy?"."""
    return [c for c in gated if c.by_body_asked and of_the_type_asked(c, analysis)]


# A statement for every patient with the condition ("An ankle-foot orthosis helps patients
# with severe foot drop of any cause to walk better") answers a question that names no
# setting before one for a single form ("In permanent foot drop, ... muscle-transfer").
ANY_CAUSE = re.compile(r"\b(of any (cause|aetiology|etiology)|regardless of (the )?cause)\b", re.I)


def for_every_patient(candidate: Candidate, analysis: QuestionAnalysis) -> bool:
    """Said of every patient with what the question names in its own words: "foot drop of
    any cause" for "How is foot drop treated?", but "neuropathic pain of any cause" is
    wider than "painful diabetic neuropathy", and "foot drop of any cause" does not answer
    "Can vasculitic neuropathy present as foot drop?"."""
    if not ANY_CAUSE.search(candidate.text):
        return False
    if (analysis.populations or analysis.facets) and analysis.type != "management":
        # A treatment for foot drop of any cause treats foot drop in RA; a finding about foot
        # drop of any cause does not say how often it occurs in lupus.
        return False
    focus = analysis.focus
    return bool(focus) and all(term_pattern(c.name).search(candidate.text) for c in focus)
