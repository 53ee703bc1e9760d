"""The extractive answer writer: no LLM, deterministic, offline.

It answers with evidence sentences, chosen for the question the analysis describes:

1. **On topic or out.** A sentence must name a focus concept or an enumerated entity (or a
   population of the question together with a finding such as neuropathy); a sentence about
   another population ("foot drop after stroke" for a lupus question) is left out, unless
   nothing else is there.
2. **Answer-bearing first.** Sentences are ranked by similarity to the question, by how much
   of the question they cover (focus and population), by whether they are the kind of
   statement the question type wants (treatment statements for a treatment question), and
   by evidence quality (guidelines and systematic reviews first).
3. **An opening line that answers**: the best sentence naming both the focus and the
   population or a listed entity ("Can X occur in Y?" opens with X in Y), of the kind the
   question asks for (a named treatment for "How is X treated?", a test, a dose, an outcome;
   `statements.py`), and never a statement about the source or the evidence, or one that
   leans on the sentence before it. The rules are a table, one row each with its reason
   (`opening.py`); a candidate sentence and the checks they share are in `candidate.py`.
4. **Layout by question type**: sections chosen by meaning (`layout.py`), one bullet per
   enumerated entity under "By condition" (or "By option"), and a plain statement for each
   entity no indexed source addresses. Sentences about the paper itself are not used.
5. **Indirect evidence said as such**: "Can foot drop occur in lupus?", when no sentence
   names foot drop in lupus, adds what causes foot drop and how it is worked up, and says
   under "Important caveats" that the sources do not address it in lupus (`bridge.py`).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from curbside.rag.bodies import described, issued_by
from curbside.rag.drafting.base import Drafter
from curbside.rag.drafting.bridge import bridge_points
from curbside.rag.drafting.candidate import (
    Candidate,
    asks_about_a_specific_finding,
    aspect_words,
    by_own_words,
    for_every_patient,
    from_the_body_asked,
    known_share,
    names_all,
    rules_answer,
    share_of_keys,
    word_key,
)
from curbside.rag.drafting.layout import (
    BY_CONDITION,
    BY_OPTION,
    CAVEATS,
    OUTCOMES,
    SECTION_ORDER,
    TREATMENT,
    WANTED,
    SectionClassifier,
)
from curbside.rag.drafting.opening import choose_opener
from curbside.rag.drafting.ranker import LearnedRanker, features, load_ranker
from curbside.rag.drafting.statements import (
    ABOUT_THE_SOURCE,
    ABOUT_THE_SOURCE_SECTION,
    AFTER_FAILURE,
    AMOUNT,
    ASKS_ABOUT_TIMING,
    ASKS_FOR_HARMS,
    ASKS_FOR_RISK,
    ASKS_FOR_THE_FIRST_LINE,
    FARES,
    HEDGE,
    LATER_LINE,
    LEANS_ON_CONTEXT,
    LIKE_ANOTHER,
    NAMES_A_HARM,
    NAMES_A_RISK,
    PREVENTS,
    RECOMMENDS,
    SAYS_WHEN,
    TREATMENT_WORDS,
    answers_the_type,
    names_as_subject,
    names_something_else,
)
from curbside.rag.lexicon import (
    BROAD_FINDINGS,
    Entity,
    abbreviations_defined,
    entities_in,
    find_entity,
)
from curbside.rag.models import Evidence
from curbside.rag.question import (
    ASKS_AFTER_FAILURE,
    ASKS_TO_PREVENT,
    REGARDING_TOPIC,
    Concept,
    QuestionAnalysis,
    analyze_question,
    mentions,
    noun_name,
    written_small,
)
from curbside.rag.support import states_an_aim
from curbside.rag.text import content_words, split_sentences

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder

NOT_ADDRESSED = "The indexed sources do not address {what}."
NOT_ANSWERED = "The sources do not answer this question."
RELATIVE_FLOOR = 0.5  # further points score at least this share of the opening line's score
ABSOLUTE_FLOOR = 0.3  # ...or at least this (a strong opening line must not silence the rest)
MIN_POINTS = 2  # further points offered whatever their score, when on-topic ones exist
# A sentence from the guideline body the question names ranks above one from another
# source that answers about as well ("What does the AAN recommend ...?").
BODY_BONUS = 0.1
SOURCE_CAP = 6  # further points from one source, at most
MAX_HEDGES = 1  # statements about the evidence rather than the patient, per answer
GUIDELINE_SHARE = 0.4  # a guideline point joins an all-research answer above this share
# Conditions of these families are one population for the purpose of staying on topic:
# neuropathy in connective tissue disease is very often vasculitic.
_RELATED_FAMILIES = {"connective tissue": {"vasculitis"}, "vasculitis": {"connective tissue"}}


def quality_of(evidence_type: str, kind: str) -> float:
    """Evidence weight: guidelines and syntheses first, single reports last."""
    value = (evidence_type or "").lower()
    if kind == "guideline":
        return 1.0
    for needle, weight in (
        ("systematic", 0.97),
        ("meta-analysis", 0.97),
        ("guideline", 1.0),
        ("consensus", 0.97),
        ("criteria", 0.95),
        ("randomi", 0.94),
        ("rct", 0.94),
        ("trial", 0.92),
        ("cohort", 0.9),
        ("review", 0.9),
        ("case-control", 0.88),
        ("cross-sectional", 0.87),
        ("case series", 0.85),
        ("case report", 0.8),
    ):
        if needle in value:
            return weight
    return 0.88


def rarity_weights(question: str, sentences: list[set[str]]) -> dict[str, float]:
    """The question's words weighted by how few of these candidate sentences share them: the
    focus is in most of them and decides little, "neurologist" is in two and decides much."""
    n = len(sentences)
    weights = {}
    for key in {word_key(w) for w in content_words(question)}:
        df = sum(1 for have in sentences if key in have)
        weights[key] = math.log((n + 1) / (df + 1))
    return weights


def in_setting(gated: list[Candidate], analysis: QuestionAnalysis) -> list[Candidate]:
    """For a question about a population or listed entities, further points name them:
    "Foot drop has many causes" is background to foot drop in lupus, not an answer. Left as
    is when fewer than three sentences do."""
    if not (analysis.populations or analysis.facets):
        return about_the_condition(gated, analysis)
    named = [c for c in gated if c.names_setting and speaks_to_focus(c, analysis)]
    if len(analysis.populations) >= 2:
        every = [c for c in named if names_all(c.text, analysis.populations)]
        named = every if len(every) >= MIN_POINTS else named
    return named if len(named) >= MIN_POINTS else gated


def same_finding_again(candidate: Candidate, other: Candidate) -> bool:
    """One source saying the same thing of the same listed entities twice ("mononeuritis
    multiplex was found in only 1 of 186 patients with DM or PM" and "... in only 1 patient
    with DM or PM (0.5%)"): same source, same listed entities, the same lexicon entities
    named, and a number in common. The second adds nothing."""
    if candidate.number != other.number or not candidate.facets:
        return False
    if set(candidate.facets) != set(other.facets):
        return False
    if {e.name for e in entities_in(candidate.text)} != {e.name for e in entities_in(other.text)}:
        return False
    return bool(set(_NUMBER.findall(candidate.text)) & set(_NUMBER.findall(other.text)))


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def about_the_treatment_asked(
    further: list[Candidate], analysis: QuestionAnalysis
) -> list[Candidate]:
    """ "Are epidural steroid injections recommended for sciatica?" asks about one
    treatment: what the guideline says of opioids or gabapentinoids is another question.
    The same for one test ("Should autonomic testing be part of the evaluation of
    polyneuropathy?" is not answered by what nerve biopsy adds). Not for a question about
    what to do when that treatment fails."""
    treatments = [c for c in analysis.focus if c.kind in ("treatment", "test")]
    if (
        len(treatments) != 1
        or analysis.facets
        or analysis.type not in ("yes_no", "management", "other")
        or ASKS_AFTER_FAILURE.search(analysis.question)
    ):
        return further
    return [c for c in further if mentions(c.text, treatments[0])]


_ASKS_HOW_LONG = re.compile(
    r"^\s*(?:for\s+)?how long\s+(should|does|do|is|are|will|can|would|must)\s+(.+?)\s+"
    r"(continue|last|take|persist|remain|stay|go on|be (?:given|continued|used|treated|kept))"
    r"\b(.*?)\??\s*$",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\b\d+(?:\.\d+)?(?:\s*(?:to|-|or)\s*\d+(?:\.\d+)?)?\s*(?:days?|weeks?|months?|years?)\b|"
    r"\b(?:lifelong|indefinitely)\b",
    re.IGNORECASE,
)


def duration_not_given(gated: list[Candidate], analysis: QuestionAnalysis) -> str:
    """ "How long should maintenance therapy continue in AAV?" asks for a duration: when no
    sentence about the subject gives one, the answer says so before what the sources do say,
    instead of opening with advice on screening as if it answered. "For how long?" after a
    treatment ("how long (regarding rituximab in GPA)?") asks how long to continue it."""
    question = analysis.question
    if not _HOW_LONG.search(question):
        return ""
    drugs = analysis.treatments
    carried = _REGARDING.search(question)
    asked = _ASKS_HOW_LONG.match(question)
    if asked:
        aux, subject, verb, rest = asked.groups()
        # A duration of the thing asked: the 4-5 month glucocorticoid taper is not how long
        # maintenance therapy lasts.
        wanted = {word_key(w) for w in content_words(subject)} - _GENERIC_KEYS
        about = [c for c in gated if c.names_focus or not analysis.focus]
        gives = [c for c in about if wanted <= {word_key(w) for w in content_words(c.text)}]
        aux = aux.lower()
        if aux in ("do", "does"):  # "how long recovery takes", not "... does take"
            verb, aux = (verb + "s" if aux == "does" else verb), ""
        what = " ".join(w for w in ("how long", subject, aux, verb) if w) + rest
    elif len(drugs) == 1:
        # A duration of treatment, not of an infusion ("2 g/kg given over 2 to 5 days").
        about = [c for c in gated if mentions(c.text, drugs[0])]
        gives = [c for c in about if MAINTAINS.search(c.text)]
        where = f" in {noun_name(analysis.populations[0])}" if analysis.populations else ""
        what = f"how long to continue {drugs[0].name}{where}"
    elif carried:  # "How long (regarding maintenance treatment of GPA)?"
        gives = [c for c in gated if MAINTAINS.search(c.text)]
        what = f"the duration of {carried['topic']}"
    else:
        return ""
    if any(_DURATION.search(c.text) for c in gives):
        return ""
    return NOT_ADDRESSED.format(what=what)


# "How soon should the nerve be repaired?" (when to act; ASKS_ABOUT_TIMING says which acts).
_ASKS_HOW_SOON = re.compile(r"^\s*how (soon|quickly|early|fast)\b", re.IGNORECASE)
TIMING_NOT_GIVEN = "The indexed sources do not address the timing asked about."


def timing_not_given(gated: list[Candidate], analysis: QuestionAnalysis) -> str:
    """ "How soon should a lacerated peroneal nerve be repaired?" asks when: when no sentence
    about the subject says when (early, delayed, within weeks), the answer says so before
    what the sources do say, instead of opening with a predictor of outcome as if it
    answered."""
    question = analysis.question
    if not (_ASKS_HOW_SOON.search(question) and ASKS_ABOUT_TIMING.search(question)):
        return ""
    about = [c for c in gated if c.names_focus or not analysis.focus]
    if any(SAYS_WHEN.search(c.text) for c in about):
        return ""
    return TIMING_NOT_GIVEN


_CANNOT_TAKE = re.compile(
    r"\b(?:can ?n[o']t|cannot|unable to) (?:take|tolerate|use|have) (?P<what>[\w' /-]{2,40}?)"
    r"(?=\s*[(?,.;]|\s+(?:because|due|since|and|or)\b|$)",
    re.IGNORECASE,
)
_REGARDING = re.compile(REGARDING_TOPIC)
# Anywhere in the question: "Once pregabalin has controlled the pain, how long should I keep
# it going?"
_HOW_LONG = re.compile(r"(?:^|[,;-]\s*)(?:for\s+)?how long\b", re.IGNORECASE)
MAINTAINS = re.compile(r"\b(maintenance|continue\w*|for at least|stop\w*|withdraw\w*)\b", re.I)


# Words that do not tell one treatment or course from another.
_GENERIC_KEYS = frozenset(word_key(w) for w in ("therapy", "treatment", "drug", "patients"))


def prefer_the_body_asked(gated: list[Candidate], analysis: QuestionAnalysis) -> list[Candidate]:
    """ "What does the AAN recommend ...?": the AAN's sentences that answer rank above
    another source's that answer about as well."""
    heard = from_the_body_asked(gated, analysis)
    if not heard:
        return gated
    for candidate in heard:
        candidate.score += BODY_BONUS
    return sorted(gated, key=lambda c: -c.score)


def body_not_heard(gated: list[Candidate], analysis: QuestionAnalysis) -> str:
    """ "What does the AHA recommend ...?" when no sentence of an AHA source says what is
    asked (none indexed, or none on this question): said first, then what other sources
    say. The body is named from the table in `bodies`, not from the question's words."""
    heard = from_the_body_asked(gated, analysis)
    silent = [b for b in analysis.bodies if not any(b in c.from_bodies for c in heard)]
    if not silent:
        return ""
    verb = "says" if len(silent) == 1 else "say"
    names = " and ".join(described(b) for b in silent)
    return NOT_ADDRESSED.format(what=f"what {names} {verb} on this question")


# Question types that ask for one kind of statement (a treatment, a test, a dose, a rate).
TYPED = ("management", "dose", "diagnosis", "frequency", "prognosis")


def source_about_something_else(candidate: Candidate, analysis: QuestionAnalysis) -> bool:
    """The sentence's source is about a condition the question does not name, and about none
    it does (by their own words: a title naming duloxetine does not name neuropathic pain).
    The PAN guideline of the Vasculitis Foundation is about PAN."""
    title = candidate.source_title
    if not names_something_else(title, analysis):
        return False
    own = [by_own_words(c) for c in [*analysis.populations, *analysis.findings]]
    return not any(mentions(title, c) for c in own)


def of_the_kind_asked(further: list[Candidate], analysis: QuestionAnalysis) -> list[Candidate]:
    """A treatment question is answered by treatment: "RA is a multisystem autoimmune
    disease" is no answer to "How is foot drop in RA treated?", however well it matches the
    words. Statements about treatment, its outcomes and caveats stay, and any sentence that
    names a treatment or gives advice (how to monitor the disease is management too)."""
    if analysis.type in TYPED and asks_about_a_specific_finding(analysis):
        # ...and of the thing asked: how Sjogren's neuropathy is treated is not how
        # trigeminal neuropathy in CTD is, though Sjogren's is a CTD. Left as is when fewer
        # than MIN_POINTS sentences name it.
        named = [c for c in further if c.names_focus]
        further = named if len(named) >= MIN_POINTS else further
    if analysis.type in ("management", "dose", "comparison") and analysis.findings:
        # "Duloxetine versus pregabalin for painful diabetic neuropathy": a duloxetine result
        # in chemotherapy-induced neuropathy names the drug (which the lexicon relates to
        # neuropathic pain) but another condition, and not the one asked; so does an adverse
        # event from a trial in that condition.
        further = [
            c
            for c in further
            if c.names_focus_directly
            or not (c.names_other_condition or source_about_something_else(c, analysis))
        ]
    if analysis.type == "diagnosis":
        # "What do nerve conduction studies show in peroneal neuropathy?" is not answered by
        # how it is treated; a treatment sentence about what is asked stays ("localisation
        # of the lesion is a precondition for treatment" answers "How do I localise it?"),
        # as does a treatment that is part of the work-up ("response to IVIg supports MMN").
        asked = {word_key(w) for w in aspect_words(analysis.question, analysis) if len(w) >= 5}
        return [
            c
            for c in further
            if c.section != TREATMENT
            or answers_the_type(c.text, analysis.type, analysis.question)
            or asked & {word_key(w) for w in content_words(c.text)}
        ]
    if analysis.type not in ("management", "dose"):
        return further
    return [
        c
        for c in further
        if c.section in (TREATMENT, OUTCOMES, CAVEATS)
        or answers_the_type(c.text, analysis.type, analysis.question)
        or RECOMMENDS.search(c.text)
    ]


def about_the_condition(gated: list[Candidate], analysis: QuestionAnalysis) -> list[Candidate]:
    """A question about treating a condition with a named drug ("How is vasculitic
    neuropathy treated if corticosteroids fail?") is answered by sentences about that
    condition: the drug's place in CIDP is another question. Left as is when fewer than
    MIN_POINTS sentences name it."""
    treatments = analysis.treatments
    conditions = analysis.findings
    if analysis.type != "management" or not (treatments and conditions):
        return gated
    named = [c for c in gated if any(mentions(c.text, condition) for condition in conditions)]
    return named if len(named) >= MIN_POINTS else gated


@functools.lru_cache(maxsize=1)
def _broad_terms() -> frozenset[str]:
    entities = (find_entity(name) for name in BROAD_FINDINGS)
    return frozenset(t.lower() for e in entities if e for t in e.terms)


def specific_terms(concept: Concept) -> list[str]:
    return [t for t in concept.terms if t not in _broad_terms()]


def speaks_to_focus(candidate: Candidate, analysis: QuestionAnalysis) -> bool:
    """When the question asks about a finding (foot drop), a sentence about a listed
    condition speaks to it if it names the finding or nerve damage that takes it in, not
    damage elsewhere (trigeminal neuropathy, carpal tunnel syndrome)."""
    if not analysis.focus or any(c.kind != "finding" for c in analysis.focus):
        return True
    return candidate.names_focus or candidate.names_broad_finding


def speaks_to(gated: list[Candidate], analysis: QuestionAnalysis) -> bool:
    """Does any sentence answer what is asked, rather than sit near it? Sources that only
    neighbour the question are a guess, and the answer says they do not cover it:

    - a treatment in a condition ("Should GBS be treated with IVIg or plasma exchange?") needs
      a sentence naming both (plasma exchange in Sjogren's neuropathy and GBS in lupus, side
      by side, would be a guess);
    - "How is X treated?" needs a sentence about treating X (not how often X occurs), and
      "What is the prognosis of X?" one about how X turns out.

    (A setting no source names, "after hip replacement", is the engine's `missing_setting`.)
    """
    asked = [c for c in [*analysis.focus, *analysis.facets] if c.kind == "treatment"]
    treatments = {c.name for c in asked}
    # "Is rituximab effective for vasculitic neuropathy?": the condition may be the focus.
    conditions = [c for c in analysis.focus if c.kind in ("condition", "finding")]
    if (
        (analysis.populations or conditions)
        and treatments
        and not any(
            (
                # "drop foot of central neurological origin" speaks of MS, in a source
                # that names MS among those origins
                c.names_population
                or (c.source_names_population and names_a_group_holding_it(c.text, analysis))
                if analysis.populations
                else any(mentions(c.text, x) for x in conditions)
            )
            and (c.names_focus or treatments & set(c.facets))
            # "... for patients with EGPA receiving rituximab" does not say rituximab works
            and any(names_as_subject(c.text, t) for t in asked)
            for c in gated
        )
    ):
        return False
    # "How should X be prevented?" needs a sentence about preventing X, not treating it.
    if (
        ASKS_TO_PREVENT.search(analysis.question)
        and known_share(analysis) >= 0.5
        and not any(
            PREVENTS.search(c.text) and (c.names_focus or c.names_population) for c in gated
        )
    ):
        return False
    # "What is the prognosis of CIDP?" needs a sentence about how CIDP turns out, not its
    # criteria or its treatment.
    if (
        analysis.type == "prognosis"
        and known_share(analysis) >= 0.5
        and not any(FARES.search(c.text) and (c.names_focus or c.names_population) for c in gated)
    ):
        return False
    known = known_share(analysis) >= 0.5
    findings = [c for c in analysis.focus if c.kind == "finding"]
    in_one_condition = bool(analysis.populations) and not analysis.facets
    # "Can foot drop occur in Behcet's disease?" needs a sentence naming the condition with
    # the finding (or nerve damage that takes it in), not foot drop in general beside a
    # nomenclature that lists Behcet's.
    if (
        analysis.type in ("yes_no", "frequency")
        and in_one_condition
        and findings
        and not treatments
        and known
        and not any(c.names_population and speaks_to_focus(c, analysis) for c in gated)
    ):
        return False
    # Research questions (words the lexicon mostly does not know) word treatment their own way.
    # "How is neuropathy in sarcoidosis treated?" is not answered by its treatment in SSc: in
    # one condition, the sentence names it (or is said of every patient: an ankle-foot
    # orthosis for foot drop of any cause).
    return (
        analysis.type != "management"
        or bool(treatments)
        or not known
        or any(
            c.names_treatment
            and (
                c.names_population
                or names_a_group_holding_it(c.text, analysis)
                or for_every_patient(c, analysis)
                if in_one_condition
                else c.names_focus or c.names_population
            )
            for c in gated
        )
    )


def names_a_group_holding_it(text: str, analysis: QuestionAnalysis) -> bool:
    """ "Systemic vasculitis in which neuropathy predominates ..." speaks of EGPA: the group
    it names holds the condition asked about."""
    asked = {t.lower() for c in analysis.populations for t in [c.name, *c.terms]}
    return any(
        e.kind == "condition" and any(m.lower() in asked for m in e.members)
        for e in entities_in(text)
    )


def _condition_families(text: str) -> set[str]:
    return {e.family for e in entities_in(text) if e.kind == "condition" and e.family}


def _families(analysis: QuestionAnalysis) -> set[str]:
    families = set(analysis.families())
    for family in list(families):
        families |= _RELATED_FAMILIES.get(family, set())
    return families


@dataclass(frozen=True)
class _Asked:
    """What the question names, in the forms sentences are checked against: worked out once
    per question, since every candidate sentence is checked against the same."""

    parts: list[Concept]  # focus, populations and listed entities
    direct_focus: list[Concept]  # the focus by its own words only
    specific_focus: list[Concept]  # ...and related terms, without nerve damage anywhere
    terms: frozenset[str]
    families: set[str]
    # Keys of the question's own words: "painful diabetic neuropathy" asks about diabetes.
    word_keys: frozenset[str] = frozenset()
    population_terms: frozenset[str] = frozenset()
    # Populations that are themselves the finding asked about, in a setting: in "How common
    # is painful chemo-induced neuropathy?" a sentence naming CIPN (chemotherapy-induced
    # peripheral neuropathy) names the neuropathy.
    focus_in_population: tuple[Concept, ...] = ()

    @classmethod
    def of(cls, analysis: QuestionAnalysis) -> _Asked:
        parts = [*analysis.focus, *analysis.populations, *analysis.facets]
        return cls(
            parts=parts,
            direct_focus=[by_own_words(c) for c in analysis.focus],
            specific_focus=[
                c.model_copy(update={"terms": specific_terms(c)}) for c in analysis.focus
            ],
            terms=frozenset(t.lower() for c in parts for t in [c.name, *c.terms]),
            families=_families(analysis),
            word_keys=frozenset(word_key(w) for w in content_words(analysis.question)),
            population_terms=frozenset(
                t.lower() for c in analysis.populations for t in [c.name, *c.terms]
            ),
            focus_in_population=tuple(
                p
                for p in analysis.populations
                if any(
                    mentions(t, f) for f in analysis.focus if f.kind == "finding" for t in p.terms
                )
            ),
        )

    def names(self, terms: tuple[str, ...] | list[str]) -> bool:
        """Is a condition with these terms asked about? A subtype counts ("nonsystemic
        vasculitic neuropathy" for "vasculitic neuropathy"), and so does one the question
        names in another form ("diabetes" in "painful diabetic neuropathy")."""
        if any(a in t.lower() for a in self.terms for t in terms):
            return True
        return any(" " not in t and word_key(t.lower()) in self.word_keys for t in terms)

    def names_population(self, terms: tuple[str, ...]) -> bool:
        """Is this condition (or a subtype of it) one of the question's populations?"""
        return any(a in t.lower() for a in self.population_terms for t in terms)

    def share_named(self, title: str) -> float:
        """Share of the question's parts a source title names."""
        if not self.parts:
            return 0.0
        return sum(mentions(title, c) for c in self.parts) / len(self.parts)


class ExtractiveDrafter(Drafter):
    name = "extractive"

    def __init__(self, embedder: Embedder, max_sentences: int = 8, learned: bool = True) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        # learned=False: the hand-set score only (the ranker's training script needs it).
        self.ranker: LearnedRanker | None = load_ranker() if learned else None

    # ---- candidates ---------------------------------------------------------------------
    def candidates(self, evidence: Evidence, analysis: QuestionAnalysis) -> list[Candidate]:
        found: list[Candidate] = []
        seen: set[str] = set()
        asked = _Asked.of(analysis)  # once per question, not per sentence
        for source in evidence.sources:
            quality = quality_of(source.meta.evidence_type, source.meta.kind)
            title_share = asked.share_named(source.meta.title)
            # A trial "after stroke" speaks about stroke even where a sentence does not say so.
            source_families = _condition_families(source.meta.title)
            from_bodies = [
                b for b in analysis.bodies if issued_by(source.meta.title, source.meta.publisher, b)
            ]
            # An abbreviation means what its own source defines it as ("DM" is diabetes
            # mellitus in a diabetes abstract, dermatomyositis in the DM/PM cohort).
            source_text = " ".join([source.meta.title, *(p.text for p in source.passages)])
            defined = abbreviations_defined(source_text)
            source_names_population = any(mentions(source_text, c) for c in analysis.populations)
            for passage in source.passages:
                about_section = bool(ABOUT_THE_SOURCE_SECTION.search(passage.section.strip()))
                for position, sentence in enumerate(split_sentences(passage.text)):
                    key = sentence.lower()
                    # Fragments and headings-as-sentences make poor answer points.
                    if key in seen or len(content_words(sentence)) < 4 or sentence[-1:] not in ".!":
                        continue
                    seen.add(key)
                    found.append(
                        self._annotate(
                            Candidate(
                                text=sentence,
                                number=source.number,
                                passage_section=passage.section,
                                quality=quality,
                                guideline=source.meta.kind == "guideline",
                                source_title=source.meta.title,
                                first_in_passage=position == 0,
                                from_bodies=from_bodies,
                                source_names_population=source_names_population,
                                # A study's aim is never a supported claim:
                                # offered first, enforcement would drop it and a
                                # heading's first bullet would open the answer.
                                about_source=about_section
                                or bool(ABOUT_THE_SOURCE.search(sentence))
                                or states_an_aim(sentence),
                            ),
                            analysis,
                            asked,
                            source_families,
                            title_share,
                            defined,
                        )
                    )
        return found

    @staticmethod
    def _annotate(
        candidate: Candidate,
        analysis: QuestionAnalysis,
        asked: _Asked,
        source_families: set[str],
        title_share: float,
        defined: dict[str, Entity] | None = None,
    ) -> Candidate:
        text = candidate.text
        # "CIPN" names the neuropathy of "How common is painful chemo-induced neuropathy?".
        names_it_as_a_setting = any(mentions(text, p) for p in asked.focus_in_population)
        candidate.names_focus = names_it_as_a_setting or any(
            mentions(text, c) for c in analysis.focus
        )
        candidate.names_focus_directly = names_it_as_a_setting or any(
            mentions(text, c) for c in asked.direct_focus
        )
        candidate.names_focus_specifically = candidate.names_focus and any(
            mentions(text, c) for c in asked.specific_focus
        )
        candidate.names_population = any(mentions(text, c) for c in analysis.populations)
        candidate.facets = [f.name for f in analysis.facets if mentions(text, f)]
        named = entities_in(text)
        for abbreviation, meant in (defined or {}).items():
            if not re.search(rf"\b{re.escape(abbreviation)}\b", text):
                continue
            named = [e for e in named if e == meant or abbreviation.lower() not in e.terms]
            named += [] if meant in named else [meant]
            stands_for = [meant.name.lower(), *meant.terms]
            if any(
                p.name.lower() in stands_for or meant.name.lower() in p.terms
                for p in analysis.populations
            ):
                candidate.names_population = True
            candidate.facets += [
                f.name
                for f in analysis.facets
                if f.name not in candidate.facets
                and (f.name.lower() in stands_for or meant.name.lower() in f.terms)
            ]
        treated_in_plain_words = bool(TREATMENT_WORDS.search(text))
        candidate.names_finding = treated_in_plain_words or any(
            e.kind in ("finding", "treatment", "test") for e in named
        )
        candidate.names_broad_finding = any(e.name in BROAD_FINDINGS for e in named)
        candidate.names_treatment = treated_in_plain_words or any(
            e.kind == "treatment" for e in named
        )
        candidate.question_has_focus = bool(analysis.focus)
        candidate.title_names_question = title_share
        conditions = {e.family for e in named if e.kind == "condition" and e.family}
        candidate.names_other_condition = any(
            e.kind == "condition" and not asked.names(e.terms) for e in named
        )
        # About another population: it (or its source's title) names conditions, none of the
        # question's families, and the sentence names none of the question's own.
        about = conditions or source_families
        families = asked.families
        candidate.off_population = bool(
            families and about and not about & families and not candidate.names_setting
        )
        # Or about a neighbour in the same family: "In Sjogren's syndrome with vasculitic
        # neuropathy, high-dose glucocorticoids ..." is not how EGPA neuropathy is treated,
        # though both are "vasculitic". A question listing several entities is left to its
        # facets.
        if analysis.populations and not analysis.facets and not candidate.names_setting:
            candidate.off_population = candidate.off_population or any(
                e.kind == "condition"
                and e.name.lower() not in asked.terms
                and not asked.names_population(e.terms)
                # A group is a neighbour unless it holds the one asked (AAV holds EGPA, not
                # giant cell arteritis).
                and not any(m.lower() in asked.population_terms for m in e.members)
                for e in named
            )
        return candidate

    # ---- ranking --------------------------------------------------------------------------
    def rank(
        self, question: str, evidence: Evidence, analysis: QuestionAnalysis
    ) -> list[Candidate]:
        candidates = self.candidates(evidence, analysis)
        if not candidates:
            return []
        titles = list(dict.fromkeys(c.source_title for c in candidates))
        aspect = aspect_words(question, analysis)
        vectors = self.embedder.encode_cached([question] + titles + [c.text for c in candidates])
        query = vectors[0]
        title_relevance = {
            t: float(v @ query) for t, v in zip(titles, vectors[1 : 1 + len(titles)], strict=True)
        }
        sentence_vectors = vectors[1 + len(titles) :]
        classifier = SectionClassifier(self.embedder)
        headings = [c.passage_section for c in candidates]
        section_sims = classifier.similarities(sentence_vectors, headings)
        wanted = WANTED.get(analysis.type, set())
        has_setting = bool(analysis.populations or analysis.facets)
        definitional_ok = rules_answer(analysis)
        for i, candidate in enumerate(candidates):
            candidate.relevance = float(sentence_vectors[i] @ query)
            candidate.source_relevance = title_relevance[candidate.source_title]
            candidate.section = classifier.section(candidate.text, section_sims[i])
            candidate.shown_under = classifier.shown_under(
                candidate.text, section_sims[i], sentence_vectors[i]
            )
            covers = [candidate.names_focus or not analysis.focus]
            if has_setting:
                covers.append(candidate.names_population or bool(candidate.facets))
            coverage = sum(covers) / len(covers)
            fits = 1.0 if candidate.section in wanted else 0.0
            candidate.score = (
                0.6 * candidate.relevance + 0.25 * coverage + 0.12 * fits
            ) * candidate.quality + (0.02 if candidate.guideline else 0.0)
            if not candidate.states_finding and not definitional_ok:
                candidate.score *= 0.75  # rules of a definition answer work-up questions only
        by_relevance = sorted(candidates, key=lambda c: -c.relevance)
        for position, candidate in enumerate(by_relevance):
            candidate.relevance_rank = position
            candidate.relevance_gap = by_relevance[0].relevance - candidate.relevance
        keyed = [{word_key(w) for w in content_words(c.text)} for c in candidates]
        weights = rarity_weights(question, keyed)
        total = sum(weights.values()) or 1.0
        for candidate, have in zip(candidates, keyed, strict=True):
            candidate.aspect_overlap = share_of_keys(aspect, have)  # keys made once above
            candidate.rare_word_overlap = sum(v for k, v in weights.items() if k in have) / total
        if self.ranker is not None:
            question_words = set(content_words(question))
            for candidate in candidates:
                candidate.features = features(candidate, question_words, wanted, analysis.type)
                candidate.score = self.ranker.probability(candidate.features)
        return sorted(candidates, key=lambda c: -c.score)

    @staticmethod
    def gate(ranked: list[Candidate]) -> list[Candidate]:
        """On-topic sentences about the question's population; relaxed only when too few."""
        usable = [c for c in ranked if not c.about_source]
        strict = [c for c in usable if c.on_topic and not c.off_population]
        if len(strict) >= 3:
            return strict
        loose = [c for c in usable if c.on_topic]
        return loose if len(loose) >= 2 else strict or loose or usable

    @staticmethod
    def opener(gated: list[Candidate], analysis: QuestionAnalysis) -> Candidate | None:
        """The opening line, by the rules in `opening.py`."""
        return choose_opener(gated, analysis)

    # ---- the draft ------------------------------------------------------------------------
    def stream(
        self, question: str, evidence: Evidence, analysis: QuestionAnalysis | None = None
    ) -> Iterator[str]:
        yield self.draft(question, evidence, analysis)

    def draft(
        self, question: str, evidence: Evidence, analysis: QuestionAnalysis | None = None
    ) -> str:
        analysis = analysis or analyze_question(question)
        gated = self.gate(self.rank(question, evidence, analysis))
        if analysis.bodies:
            gated = prefer_the_body_asked(gated, analysis)
        gated, note = self._about_the_drug_asked(gated, analysis)
        note = (
            note
            or duration_not_given(gated, analysis)
            or timing_not_given(gated, analysis)
            or body_not_heard(gated, analysis)
        )
        opening = self.opener(gated, analysis) if gated and speaks_to(gated, analysis) else None
        if opening is None:
            return NOT_ANSWERED
        chosen = [opening]
        facet_points, missing = self._facet_points(gated, analysis, chosen)
        chosen += [c for c in facet_points if c not in chosen]
        # Links to what the question asks (what causes foot drop, for nerve damage in lupus),
        # when no sentence names it in the setting: they take no setting point's place.
        bridge, caveat = bridge_points(gated, analysis, chosen)
        # Further points must answer nearly as well as the opening line: a short answer of
        # good points reads better than a long one that drifts.
        floor = min(RELATIVE_FLOOR * opening.score, ABSOLUTE_FLOOR)
        further = about_the_treatment_asked(in_setting(gated, analysis), analysis)
        further = of_the_kind_asked(further, analysis)
        if ASKS_FOR_THE_FIRST_LINE.search(analysis.question):
            # "What are the first-line drugs?" is not answered by what to do when they fail.
            further = [c for c in further if not LATER_LINE.search(c.text)]
        if ASKS_AFTER_FAILURE.search(analysis.question):
            # "What if gabapentin does not help?" is answered by what to do next (switch, add,
            # one of the remaining drugs), not by the trials of the drug that failed.
            next_steps = [c for c in further if AFTER_FAILURE.search(c.text)]
            advice = [c for c in further if c not in next_steps and RECOMMENDS.search(c.text)]
            further = next_steps + advice
        if ASKS_FOR_HARMS.search(analysis.question):
            # "Is it well tolerated compared with placebo?" is answered by its adverse events,
            # not by how well it works: the harms reported, when any are.
            harms = [c for c in further if NAMES_A_HARM.search(c.text)]
            further = harms if [c for c in harms if c is not opening] else further
        ruled_out = _CANNOT_TAKE.search(analysis.question)
        if ruled_out:
            # "What if they cannot take NSAIDs?" is not answered by how to use NSAIDs; what
            # to give when they cannot be used or are not tolerated stays.
            words = set(content_words(ruled_out["what"]))
            further = [
                c
                for c in further
                if AFTER_FAILURE.search(c.text)
                or not (words & set(content_words(c.text)) and RECOMMENDS.search(c.text))
            ]
        further = [c for c in further if c not in bridge]
        chosen += self._rest(further, chosen, floor)
        chosen += self._guideline_point(further, chosen, floor)
        chosen += self._second_source_point(further, chosen, floor)
        chosen += bridge
        text = self._layout(opening, facet_points, missing, chosen, analysis, caveat)
        return f"{note}\n\n{text}" if note else text

    @staticmethod
    def _about_the_drug_asked(
        gated: list[Candidate], analysis: QuestionAnalysis
    ) -> tuple[list[Candidate], str]:
        """A dose question about a named drug is answered about that drug only: a gabapentin
        dose in reply to "What dose of pregabalin?" would be read as the answer. When no
        sentence gives its dose, the answer says so first, then what the sources say of it."""
        if analysis.type != "dose":
            return gated, ""
        drugs = analysis.treatments
        if not drugs:
            return gated, ""
        about = [c for c in gated if any(mentions(c.text, d) for d in drugs)]
        # A dose given for another condition is not the answer either: the IVIg dose for
        # MMN in reply to "What dose of IVIg in CIDP?".
        # By their own names (a sentence naming duloxetine does not name the pain it treats).
        conditions = [by_own_words(c) for c in [*analysis.populations, *analysis.findings]]
        if conditions:
            about = [
                c
                for c in about
                if not (c.names_other_condition or names_something_else(c.text, analysis))
                or any(mentions(c.text, x) for x in conditions)
            ]
        if any(AMOUNT.search(c.text) for c in about):
            return about, ""
        names = " and ".join(d.name for d in drugs)
        where = f" in {conditions[0].name}" if conditions else ""
        return about, NOT_ADDRESSED.format(what=f"the dose of {names}{where}") if about else ""

    def _facet_points(
        self, gated: list[Candidate], analysis: QuestionAnalysis, chosen: list[Candidate]
    ) -> tuple[list[Candidate], list[Concept]]:
        """The best sentence for each enumerated entity, or a note that none is indexed."""
        points: list[Candidate] = []
        missing: list[Concept] = []
        for facet in analysis.facets:
            options = [
                c
                for c in gated
                if facet.name in c.facets
                and (c.names_focus or c.names_finding or not analysis.focus)
                and speaks_to_focus(c, analysis)
                and c not in points
            ]
            # A sentence already chosen for another listed entity may speak for this one too
            # ("... 1 of 186 patients with dermatomyositis or polymyositis").
            already = [c for c in [*chosen, *points] if facet.name in c.facets]
            if already:
                continue
            if options:
                # A sentence naming the focus ("peroneal" for foot drop) before one naming only
                # some finding; within each, a source about this entity speaks for it before a
                # passing mention in a source about something else (SLE neuropathy cohort >
                # trigeminal series). A sentence that leans on the one before it comes last.
                options = [c for c in options if not LEANS_ON_CONTEXT.match(c.text)] or options
                # "... involved in a similar way to scleroderma" says what Sjogren's is like,
                # not what happens in it.
                options = [c for c in options if not LIKE_ANOTHER.search(c.text)] or options
                if analysis.type != "yes_no" and ASKS_FOR_RISK.search(analysis.question):
                    # "Which features are associated with neuropathy in SSc, RA and SLE?":
                    # each one's associated features.
                    options = [c for c in options if NAMES_A_RISK.search(c.text)] or options
                # "How often ... in A, B and C?": a proportion for each, where one is given;
                # "How is it treated in A, B and C?": each one's treatment, not its forms.
                kind = [answers_the_type(c.text, analysis.type, analysis.question) for c in options]
                options = (
                    [c for c, k in zip(options, kind, strict=True) if k == 2]
                    or [c for c, k in zip(options, kind, strict=True) if k == 1]
                    or options
                )
                dedicated = [c for c in options if mentions(c.source_title, facet)]
                focused = [c for c in options if c.names_focus]
                pool = [c for c in dedicated if c.names_focus] or focused or dedicated or options
                points.append(pool[0])
            else:
                missing.append(facet)
        return points, missing

    def _rest(
        self, gated: list[Candidate], chosen: list[Candidate], floor: float
    ) -> list[Candidate]:
        """Further points by score: the best MIN_POINTS on-topic ones, then only those above
        the floor; no near-duplicates, no single source filling the answer."""
        picked: list[Candidate] = []
        per_source: dict[int, int] = {}
        for c in chosen:
            per_source[c.number] = per_source.get(c.number, 0) + 1
        cap = SOURCE_CAP
        seen_words = [set(content_words(c.text)) for c in chosen]
        # One statement about the evidence (its grade, what is lacking) is a caveat worth
        # reading; five of them crowd out the recommendations.
        hedges = sum(1 for c in chosen if HEDGE.search(c.text))
        for candidate in gated:
            if len(chosen) + len(picked) >= self.max_sentences:
                break
            if candidate in chosen or candidate in picked:
                continue
            if len(picked) >= MIN_POINTS and candidate.score < floor:
                break  # ranked by score: nothing further clears the floor
            if per_source.get(candidate.number, 0) >= cap:
                continue
            words = set(content_words(candidate.text))
            if any(len(words & s) / max(1, len(words | s)) > 0.6 for s in seen_words):
                continue
            if any(same_finding_again(candidate, c) for c in [*chosen, *picked]):
                continue
            if candidate.facets and LIKE_ANOTHER.search(candidate.text):
                # "In Sjogren's syndrome, the PNS is involved in a similar way to scleroderma"
                # says nothing of either listed condition that their own points do not.
                continue
            # ...but "the evidence is insufficient to recommend routine nerve biopsy" answers
            # a question that lists nerve biopsy.
            if HEDGE.search(candidate.text) and not candidate.facets:
                if hedges >= MAX_HEDGES:
                    continue
                hedges += 1
            picked.append(candidate)
            seen_words.append(words)
            per_source[candidate.number] = per_source.get(candidate.number, 0) + 1
        return picked

    @staticmethod
    def _guideline_point(
        gated: list[Candidate], chosen: list[Candidate], floor: float
    ) -> list[Candidate]:
        """Clinicians weigh guidelines first: when no chosen point comes from one, the best
        on-topic guideline statement joins if it answers at least half as well as the floor."""
        if any(c.guideline for c in chosen):
            return []
        eligible = [
            c
            for c in gated
            if c.guideline
            and c.on_topic
            and not c.off_population
            and c not in chosen
            and not HEDGE.search(c.text)  # a recommendation, not its evidence grade
        ]
        # One naming what is asked about (mononeuritis multiplex in lupus, for foot drop in
        # lupus) before one about the population alone (how many lupus syndromes there are).
        best = next((c for c in eligible if c.names_focus), None) or next(iter(eligible), None)
        if best is None or best.score < GUIDELINE_SHARE * floor:
            return []
        return [best]

    def _second_source_point(
        self, gated: list[Candidate], chosen: list[Candidate], floor: float
    ) -> list[Candidate]:
        """An answer quoting one source alone gets the best on-topic point of another, if it
        answers at least half as well as the floor: a clinician wants to see whether a
        second cohort or guideline agrees (14% in one lupus cohort, 5.9% in another)."""
        if len({c.number for c in chosen}) != 1:
            return []
        best = next(
            (
                c
                for c in gated
                if c.number != chosen[0].number
                and c.on_topic
                and not c.off_population
                and not HEDGE.search(c.text)
            ),
            None,
        )
        if best is None or best.score < GUIDELINE_SHARE * floor:
            return []
        return [best]

    def _layout(
        self,
        opening: Candidate,
        facet_points: list[Candidate],
        missing: list[Concept],
        chosen: list[Candidate],
        analysis: QuestionAnalysis,
        caveat: str = "",
    ) -> str:
        comparison = analysis.type == "comparison"
        # "Where do capsaicin patches, lidocaine plasters and strong opioids fit in?" lists
        # options, not conditions.
        options_listed = bool(analysis.facets) and all(
            f.kind in ("treatment", "test") for f in analysis.facets
        )
        by_entity = BY_OPTION if comparison or options_listed else BY_CONDITION
        grouped: dict[str, list[Candidate]] = {}
        for candidate in chosen[1:]:
            section = by_entity if candidate in facet_points else candidate.heading
            # "Can X occur in A, B or C?": a finding about one of the conditions listed is
            # read under that condition (design page), whatever else it is about; treatment
            # stays under Treatment, and a comparison's options are all treatments.
            if candidate.facets and not comparison and section not in (TREATMENT, CAVEATS):
                section = by_entity
            if candidate.heading == CAVEATS and candidate not in facet_points:
                section = CAVEATS
            grouped.setdefault(section, []).append(candidate)
        facet_order = {f.name: i for i, f in enumerate(analysis.facets)}
        # No title here: the engine adds it after enforcement (it restates the question and
        # is not a claim to cite).
        lines = [cite(opening), ""]
        order = SECTION_ORDER.get(analysis.type, SECTION_ORDER["other"])
        # "Painful diabetic neuropathy - which drug ...?": small inside a sentence
        focus = written_small(analysis.focus[0].name, analysis.question) if analysis.focus else ""
        notes_under = {
            by_entity: [NOT_ADDRESSED.format(what=_missing_facet(f, focus)) for f in missing],
            CAVEATS: [caveat] if caveat else [],
        }
        names = [by_entity if n == BY_CONDITION else n for n in order]
        # A chosen point under a section the question type does not list ("How often it
        # occurs" in a comparison: adverse event rates) is shown before the caveats, not
        # dropped.
        unlisted = [n for n in grouped if n not in names]
        at = names.index(CAVEATS) if CAVEATS in names else len(names)
        names[at:at] = unlisted
        for name in names:
            points = grouped.get(name, [])
            notes = notes_under.get(name, [])
            if not points and not notes:
                continue
            lines.append(f"## {name}")
            # Guideline statements first where they answer about equally well; under "By
            # condition", the conditions in the order the question lists them.
            points = sorted(points, key=lambda c: -(c.score + (0.03 if c.guideline else 0.0)))
            if name == by_entity and not comparison:
                points.sort(key=lambda c: min((facet_order[f] for f in c.facets), default=99))
            lines.extend(f"- {cite(c)}" for c in points)
            if notes:
                lines.append("")
                lines.extend(notes)
            lines.append("")
        return "\n".join(lines).strip()


def _missing_facet(facet: Concept, focus: str) -> str:
    """ "foot drop in mixed connective tissue disease"; "spinal cord stimulation for
    neuropathic pain" (an option listed is for the focus, not a setting of it)."""
    if not focus:
        return facet.name
    if facet.kind in ("treatment", "test"):
        return f"{facet.name} for {focus}"
    return f"{focus} in {facet.name}"


def cite(candidate: Candidate) -> str:
    from curbside.rag.citations import place_citations

    return place_citations(candidate.text, [candidate.number])
