"""Question analysis: what kind of question, about what, in whom, and which entities it lists.

One typed `QuestionAnalysis` per (standalone) question, computed once and read by retrieval
(a sub-query per facet), the answer writer (what counts as on topic, which sections, the
opening line), follow-up condensation and the title. Deterministic: rules over the clinical
lexicon and the thesaurus; no model is needed.

    "Can foot drop occur in patients with connective-tissue diseases such as SLE, systemic
     sclerosis, MCTD, Sjogren's syndrome, polymyositis, or dermatomyositis?"
    -> type yes_no; focus [foot drop]; population [connective tissue disease];
       facets [SLE, systemic sclerosis, MCTD, Sjogren's syndrome, polymyositis,
       dermatomyositis]; title "Foot drop in connective-tissue diseases"
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from pydantic import BaseModel, Field

from curbside.rag.bodies import bodies_named
from curbside.rag.expansion import THESAURUS
from curbside.rag.lexicon import ENTITIES, Entity, entities_in, find_entity, term_pattern
from curbside.rag.text import (
    QUESTION_GENERIC_WORDS,
    content_words,
    normalize,
    patient_story,
    spelled_out_contractions,
    story_then_question,
)

__all__ = ["Concept", "QuestionAnalysis", "QuestionType", "analyze_question", "mentions"]

QuestionType = Literal[
    "yes_no",
    "definition",
    "frequency",
    "diagnosis",
    "management",
    "prognosis",
    "comparison",
    "dose",
    "other",
]


class Concept(BaseModel):
    """Something the question is about, with the terms that name it in sources."""

    name: str = Field(description="As the question words it (e.g. 'connective-tissue diseases').")
    terms: list[str] = Field(description="Lower-case terms that count as naming it.")
    kind: str = Field("", description="condition | finding | treatment | test | phrase")
    family: str = Field("", description="Population family of a condition.")
    direct_terms: int = Field(
        0, description="How many of `terms` name the concept itself (the rest are related)."
    )


class QuestionAnalysis(BaseModel):
    question: str
    type: QuestionType = "other"
    focus: list[Concept] = Field(default_factory=list, description="What is asked about.")
    populations: list[Concept] = Field(
        default_factory=list, description="In whom: conditions or settings the question names."
    )
    facets: list[Concept] = Field(
        default_factory=list, description="Entities the question enumerates or compares."
    )
    constraints: list[str] = Field(
        default_factory=list, description="Setting phrases such as 'after stroke'."
    )
    bodies: list[str] = Field(
        default_factory=list,
        description="Guideline bodies the question names ('AAN', 'EULAR'), by abbreviation.",
    )
    title: str = ""

    def topic_concepts(self) -> list[Concept]:
        """Every concept whose mention makes a sentence on topic."""
        return [*self.focus, *self.facets, *self.populations]

    def families(self) -> set[str]:
        return {c.family for c in [*self.populations, *self.facets, *self.focus] if c.family}

    @property
    def treatments(self) -> list[Concept]:
        """The treatments the question's focus names ("rituximab", "IVIg")."""
        return [c for c in self.focus if c.kind == "treatment"]

    @property
    def findings(self) -> list[Concept]:
        """The focus without treatments and tests: what is treated, found or asked about."""
        return [c for c in self.focus if c.kind not in ("treatment", "test")]

    @property
    def condition(self) -> str:
        """What is treated or asked about, without the treatments: "peripheral neuropathy in
        Sjogren's syndrome", "painful diabetic neuropathy" ("" when the question names none)."""
        findings = [c.name for c in self.findings]
        places = [c.name for c in self.populations]
        return " in ".join([*findings[:1], *places[:1]])

    @property
    def subject(self) -> str:
        """The question's subject as a noun phrase: "foot drop in rheumatoid arthritis",
        "ankle-foot orthosis for foot drop after stroke"."""
        treatments = [c.name for c in self.focus if c.kind in ("treatment", "test")]
        others = [c.name for c in self.findings]
        focus = " and ".join(others[:2])
        compound = self._compound(others[:1])
        if compound:
            # "vasculitic neuropathies", not "neuropathies in vasculitic"; the drug asked
            # about stays ("duloxetine for chemotherapy-induced neuropathic pain").
            drugs = " and ".join(treatments[:2])
            return f"{drugs} for {compound}" if drugs else compound
        if treatments:
            focus = f"{' and '.join(treatments[:2])}" + (f" for {focus}" if focus else "")
        settings = []
        for population in self.populations[:2]:
            phrase = next(
                (c for c in self.constraints if population.name.lower() in c.lower()), None
            )
            settings.append(phrase or f"in {noun_name(population)}")
        where = " and ".join(settings).replace(" and in ", " and ")
        if others and not treatments and all(f.lower() in where.lower() for f in others[:2]):
            # "neuropathy in diabetic neuropathy" says "diabetic neuropathy".
            focus, where = "", where.removeprefix("in ")
        if focus and where:
            return f"{focus} {where}"
        if where:
            return where.removeprefix("in ")
        return focus or " and ".join(c.name for c in self.facets[:3])

    def _compound(self, findings: list[str]) -> str:
        """The population's word written before the finding in the question itself
        ("vasculitic neuropathies"), when there is one population and no treatment."""
        if len(self.populations) != 1 or len(findings) != 1:
            return ""
        phrase = f"{self.populations[0].name} {findings[0]}"
        return phrase if phrase.lower() in self.question.lower() else ""


_TYPE_RULES: list[tuple[QuestionType, re.Pattern[str]]] = [
    (
        "frequency",
        re.compile(
            r"\b(how (often|common|frequent|many)|prevalen\w*|incidence|"
            r"frequen\w*|proportion|percentage|rate of|what (is|are) the [\w-]+ rates?)\b",
            re.I,
        ),
    ),
    ("dose", re.compile(r"\b(dose|doses|dosing|dosage|how much|mg|titrat\w*)\b", re.I)),
    (
        "comparison",
        re.compile(
            r"\b(compare\w*|comparison|versus|vs\.?|difference between|"
            r"better than|or .{3,40}\bbetter\b|which is better)\b",
            re.I,
        ),
    ),
    # "Which tests are recommended ...?" asks for a work-up, not a treatment.
    ("diagnosis", re.compile(r"\b(which|what)( of these| other)? tests?\b", re.I)),
    (
        "management",
        re.compile(
            r"\b(treat\w*|manag\w*|therap\w*|first[- ]line|second[- ]line|"
            r"surgery|rehabilitat\w*|drugs?|medication\w*|"
            r"orthos[ie]s|prevent\w*|"
            # "Anything that helps stop it progressing?" asks what to do about it.
            r"stop\b[^?]{0,60}\bprogress\w*|slow (it|its progression))\b",
            re.I,
        ),
    ),
    (
        "diagnosis",
        re.compile(
            r"\b(diagnos\w*|work-?up|evaluat\w*|investigat\w*|tests?|testing|"
            r"biopsy|electrodiagnos\w*|nerve conduction|imaging|criteria|"
            r"classif\w*|distinguish|differentiat\w*|locali[sz]\w*|screen\w* for|"
            # "How do I pick it up if the fasting glucose is normal?": how to detect it.
            r"pick (it |them |this |that )?up|detect\w*|"
            # "How do I tell it from an L5 radiculopathy?": a differential diagnosis.
            r"tell\b[^?]{1,60}\b(from|apart)|"
            r"which nerves?)\b",
            re.I,
        ),
    ),
    # "Recommend" alone asks what to do: "What does the ADA recommend for screening ...?"
    # asks for tests, "What is recommended for foot drop?" for treatment.
    ("management", re.compile(r"\brecommend\w*", re.I)),
    (
        # Asked outright ("What is the prognosis of ...?"); a study title that mentions
        # "outcome measures" is not a question about prognosis.
        "prognosis",
        re.compile(
            r"^\s*(what|how|which|when)\b.*\b(prognos\w*|outcomes?|recover\w*|natural history|"
            r"long-term|relapse\w*|surviv\w*|mortality)\b",
            re.I,
        ),
    ),
    (
        "definition",
        re.compile(
            # ("What exactly is a vasculitic neuropathy?")
            r"^\s*(what ((exactly|actually|really) )?(is|are)|define|definition of|"
            r"what does .* mean|"
            r"how (does|do|is|are) .{0,60}\bdefined?)\b",
            re.I,
        ),
    ),
]
_YES_NO = re.compile(r"^\s*(can|could|does|do|is|are|should|will|was|were|has|have|may)\b", re.I)
_CONSTRAINT = re.compile(
    r"\b((after|following|during|post)[\s-]+[a-z][\w'-]*(\s+[a-z][\w'-]*){0,2}|"
    r"in (children|adults|the elderly|older adults|pregnan\w+|women|men|infants)|"
    r"(pediatric|paediatric|elderly|pregnant))\b",
    re.I,
)
_DANGLING = re.compile(
    r"(\s+(or|and|a|an|the|of|to|for|with|in|on|at|by|after|following|during|post))+$", re.I
)


def _without_dangling_words(phrase: str) -> str:
    """ "after oxaliplatin or after" (the pattern's word limit reached inside "or after a
    taxane") reads "after oxaliplatin": a setting never ends on "or after"."""
    return _DANGLING.sub("", phrase)


_LIST_INTRO = re.compile(
    # "... which of these tests are recommended: A, B, or C?" lists after a colon.
    r"(?:\b(?:such as|including|like|e\.g\.,?|namely|compare|comparing|between|among|"
    r"in|with|for|of|due to|caused by|(?:also|already) ha(?:ve|s)|(?:if|when) (?:they|he|she|"
    r"the patient) ha(?:ve|s))\s+|:\s*)"
    r"(?P<items>[^?;:]+?(?:,\s*|\s+)(?:and|or|versus|vs\.?)\s+[^?;:,]+"
    # "..., tramadol or tapentadol, valproic acid or alpha-lipoic acid be used": the list
    # goes on past a second "or".
    r"(?:,\s*[^?;:,]+)*)",
    re.I,
)
# "aged 80 or older", "6 weeks or more": a bound, not a second item.
_A_BOUND = r"(?!(?:older|younger|more|less|fewer|greater|longer|shorter|above|below|over|under)\b)"
_ITEM_SPLIT = re.compile(rf"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|versus|vs\.?)\s+{_A_BOUND}", re.I)
_ITEM_LEAD = re.compile(r"^(the|a|an|patients with|people with|those with|in|with)\s+", re.I)


def mentions(text: str, concept: Concept) -> bool:
    """Does the text name the concept (any of its terms, whole words)? The single-word terms
    of a phrase the lexicon does not know are stems ("tailor"), compared as stems, so
    "tailored" names it."""
    folded = normalize(text).replace("\u2019", "'")
    if concept.kind == "phrase":
        stems = set(content_words(folded.replace("-", " ")))  # "double-balloon"
        if any(" " not in t and t in stems for t in concept.terms):
            return True
    return any(term_pattern(t).search(folded) for t in concept.terms)


def _concept(entity: Entity, wording: str | None = None) -> Concept:
    terms = [t.lower() for t in entity.terms]
    for member in entity.members:  # a group is named by its members too
        found = find_entity(member)
        terms += [t.lower() for t in found.terms] if found else [member.lower()]
    related = THESAURUS.get(entity.name.lower(), ())
    if entity.kind == "finding":  # "foot drop" is written as peroneal neuropathy, L5 ...
        terms += [t.lower() for t in related]
    return Concept(
        name=wording or entity.name,
        terms=list(dict.fromkeys(terms)),
        kind=entity.kind,
        family=entity.family,
        direct_terms=len(set(entity.terms)),
    )


# A word before a condition that says which form of it is asked about ("neuropsychiatric
# lupus", "severe GPA"): kept in the wording, so the title does not widen the question.
_QUALIFIER_WORD = (
    r"(?:neuropsychiatric|severe|refractory|relapsing|active|juvenile|primary|secondary|"
    r"painful|chronic|acute|non-?systemic|generali[sz]ed|localised|localized|limited|diffuse|"
    r"cutaneous)"
)
_QUALIFIER = re.compile(rf"(?:^|\s)({_QUALIFIER_WORD}(?:\s+{_QUALIFIER_WORD})?)\s+$", re.IGNORECASE)


def _wording(question: str, entity: Entity) -> str:
    """The entity as the question words it ("connective-tissue diseases", "RA",
    "neuropsychiatric lupus")."""
    folded = normalize(question).replace("\u2019", "'")
    for term in sorted(entity.terms, key=len, reverse=True):
        match = term_pattern(term).search(folded)
        if match:
            text = match.group(0)
            # "Sjogren's" as typed, not "Sjogren" (the term without its possessive).
            if folded[match.end() : match.end() + 2] == "'s" and not text.endswith("'s"):
                text += "'s"
            if len(text) <= 3 and not text.isupper():
                return entity.name
            qualifier = _QUALIFIER.search(folded[: match.start()])
            return f"{qualifier.group(1)} {text}" if qualifier else text
    return entity.name


_INTRO_WORD = re.compile(
    r".*\b(?:such as|including|like|e\.g\.,?|namely|compare|comparing|between|among|in|with|"
    r"for|of)\s+",
    re.I,
)


_ITEM_TAIL = re.compile(
    r"\s+(?:be|been|is|are|was|were)\s+(?:used|given|tried|recommended|effective|better|"
    r"preferred|considered|offered)\b.*$",
    re.I,
)
_ASKING = re.compile(
    r"^(?:should|can|could|do|does|is|are|would|will|may)\s+(?:there\s+(?:any\s+)?"
    r"evidence\s+(?:for|of|on|that)\s+)?",
    re.I,
)


# A list after a colon only when the question is asked before it ("which of these tests are
# recommended: A, B or C?"), not when a title precedes the question ("X: is it safe?").
_ASKS_BEFORE_COLON = re.compile(
    r"\b(which|what|should|are|is|do|does|can|could|would|will)\b", re.IGNORECASE
)


def _split_items(text: str) -> list[str]:
    """Split on commas and the list's conjunction. With both "and" and "or", the list is the
    "or" one (options are offered with "or"), and an "and" inside an item stays there unless
    each side names something on its own: "a nerve biopsy alone or a combined nerve and
    muscle biopsy" is two tests; "SLE and systemic sclerosis or Sjogren's" three conditions."""
    joins = {j.lower() for j in re.findall(r"\s(and|or)\s", text, re.IGNORECASE)}
    if joins != {"and", "or"}:
        return _ITEM_SPLIT.split(text)
    parts: list[str] = []
    for part in _OR_LIST.split(text):
        sides = re.split(r"\s+and\s+", part, flags=re.IGNORECASE)
        whole = len(sides) > 1 and not all(entities_in(side) for side in sides)
        parts += [part] if whole else sides
    return parts


_OR_LIST = re.compile(rf"\s*,\s*(?:or\s+)?|\s+(?:or|versus|vs\.?)\s+{_A_BOUND}", re.IGNORECASE)


def _is_setting_of_options(items: list[str]) -> bool:
    kinds = [named[0].kind if (named := entities_in(item)) else "" for item in items]
    options = ("treatment", "test")
    rest = kinds[1:]
    return (
        kinds[0] in ("condition", "finding")
        and all(k in (*options, "") for k in rest)  # an option the lexicon does not know
        and any(k in options for k in rest)
    )


def _syntactic_items(question: str) -> list[str]:
    """Items of an explicit list ("such as A, B, or C"; "compare A and B")."""
    best: list[str] = []
    # The findings of the patient's story ("pt with dry eyes/mouth, abnormal Schirmer and
    # low saliva flow - can I classify ...?") are one patient's, not entities to cover.
    story_ends = len(patient_story(question))
    for match in _LIST_INTRO.finditer(question):
        if match.start() < story_ends:
            continue
        if match.group(0).startswith(":") and not _ASKS_BEFORE_COLON.search(
            question[: match.start()]
        ):
            continue  # "Double balloon enteroscopy: is it efficacious and safe ...?"
        items = _split_items(match["items"])
        # "patients with CTDs such as SLE" -> "SLE": the list starts at the last introducer.
        items[0] = _INTRO_WORD.sub("", items[0])
        # "In painful diabetic neuropathy, should opioids, tramadol or ..." -> the list
        # starts where the question does; the clause before it is the setting.
        # (Not from the last item: "..., or are a woman who could get pregnant" is an item.)
        for k in range(len(items) - 2, -1, -1):
            asked = _ASKING.match(items[k])
            if asked:
                items = [items[k][asked.end() :], *items[k + 1 :]]
                break
        # "for chemo neuropathy after oxaliplatin or after a taxane": the settings compared
        # are what follows "after" in each, not the neuropathy.
        parallel = _PARALLEL_LEAD.match(items[-1])
        if parallel and len(items) == 2:
            at = list(re.finditer(rf"\b{parallel[1]}\s+", items[0], re.IGNORECASE))
            if at:
                items = [items[0][at[-1].end() :], items[1][parallel.end() :]]
        items = [_ITEM_LEAD.sub("", i).strip(" .") for i in items]
        items[-1] = _ITEM_TAIL.sub("", items[-1])  # "alpha-lipoic acid be used"
        if match.group(0).lower().startswith("with ") and _one_patient(items):
            continue  # "a patient with lupus and foot drop" has both; it lists nothing
        items = [i for i in items if i and len(i.split()) <= 6]
        # "Which is better for foot drop after stroke, an AFO or FES?": the condition before
        # the comma is the setting of a choice between treatments, not one of the options.
        if len(items) >= 3 and _is_setting_of_options(items):
            items = items[1:]
        if len(items) >= 2 and len(items) > len(best):
            best = items
    apart = _TELL_APART.search(question)
    if apart and not best:
        # "How do I tell peroneal palsy from an L5 radiculopathy?": the two told apart.
        best = [_ITEM_LEAD.sub("", apart[k]).strip(" .") for k in ("a", "b")]
    if not best:
        # "Total contact cast or removable walker for a plantar ulcer in diabetes?": two
        # options asked outright, before what they are for.
        options = _LEADING_OPTIONS.match(question)
        if options:
            best = [options["a"].strip(), options["b"].strip()]
    return best


_TELL_APART = re.compile(
    r"\b(?:tell|distinguish|differentiate|separate)\s+(?P<a>(?!it\b|this\b|them\b)[^?]{3,60}?)"
    r"\s+from\s+(?P<b>[^?]{3,60}?)\s*(?:\?|$|,| on | by | with )",
    re.IGNORECASE,
)
_PARALLEL_LEAD = re.compile(r"^(after|during|before)\s+(?:an?\s+|the\s+)?", re.IGNORECASE)


def _one_patient(items: list[str]) -> bool:
    """Two items that are a condition and a finding describe one patient ("with lupus and
    foot drop"): the finding in that condition, not two entities to cover one by one."""
    if len(items) != 2:
        return False
    kinds = set()
    for item in items:
        named = entities_in(item)
        if not named:
            return False
        kinds.add(named[0].kind)
    return kinds == {"condition", "finding"}


_LEADING_OPTIONS = re.compile(
    r"^\s*(?!(?:what|which|how|when|why|who|where|is|are|can|could|does|do|should|would|will)"
    r"\b)(?P<a>[\w' -]{3,40}?) (?:or|versus|vs\.?) (?P<b>[\w' -]{3,40}?) "
    r"(?:for|in|after|to)\b",
    re.IGNORECASE,
)


_HOW_MANY_POINTS = re.compile(r"\bhow many points\b", re.I)
# "How often should it be given?" asks for an interval (a dose question), not how common.
_INTERVAL = re.compile(
    r"\bhow (often|frequently) should\b.*\b(given|taken|repeated|administered|infused)\b", re.I
)


def _question_type(question: str, comparison: bool = True) -> QuestionType:
    if _INTERVAL.search(question):
        return "dose"
    if _HOW_MANY_POINTS.search(question):
        # "How many points for Raynaud's?" asks about classification criteria, not how often.
        return "diagnosis"
    for qtype, pattern in _TYPE_RULES[:3]:  # frequency, dose, comparison win outright
        if pattern.search(question) and (comparison or qtype != "comparison"):
            return qtype
    if _WHEN_IT_FAILS.search(question):
        return "management"  # "What if IVIg does not work in MMN?" asks what to do next
    if _YES_NO.match(question):
        return "yes_no"
    for qtype, pattern in _TYPE_RULES[3:]:
        if pattern.search(question):
            return qtype
    return "other"


# An eponymous condition the lexicon may not know ("Bell's palsy", "Paget's disease"): it is
# the question's population all the same, and an answer must name it.
_EPONYM = re.compile(
    r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?['\u2019]s\s+(?:palsy|disease|syndrome|sign|phenomenon|"
    r"neuropathy|arteritis|encephalopathy|ataxia|myopathy|dystrophy|thyroiditis|ulcer|"
    r"contracture|neuralgia|lymphoma|sarcoma|tumou?r|fracture)\b"
)


def _unknown_eponyms(question: str, entities: list[Entity]) -> list[Concept]:
    found = []
    for match in _EPONYM.finditer(question):
        phrase = match.group(0)
        if entities_in(phrase):
            continue  # the lexicon knows it ("Sjogren's syndrome")
        bare = re.sub(r"['\u2019]s\b", "", phrase)
        found.append(
            Concept(
                name=phrase,
                terms=list(dict.fromkeys([phrase.lower(), bare.lower()])),
                kind="condition",
                direct_terms=2,
            )
        )
    return found


# "Is IVIg worth trying in EGPA despite steroids and cyclophosphamide?": treatments already
# given are the patient's history, not what is asked about.
_ALREADY_GIVEN = re.compile(
    r"\b(despite|in spite of|after failing|refractory to|resistant to|already on)\b[^?.;]*",
    re.IGNORECASE,
)


def noun_name(concept: Concept) -> str:
    """ "in diabetes", not "in diabetic": a setting named by the question's adjective reads
    by its noun."""
    if concept.kind == "condition" and concept.name.lower().endswith("ic") and concept.terms:
        return concept.terms[0]
    return concept.name


def analyze_question(question: str) -> QuestionAnalysis:
    question = story_then_question(spelled_out_contractions(" ".join(question.split())))
    given = [m.group(0) for m in _ALREADY_GIVEN.finditer(question)]
    entities = [
        e
        for e in entities_in(question)
        if not (e.kind == "treatment" and _only_in(question, e, given))
    ]
    listed = [item for item in _syntactic_items(question) if not any(item in g for g in given)]
    facet_entities: list[Entity] = []
    raw_facets: list[str] = []
    for item in listed:
        named = entities_in(item)
        if named and named[0] in facet_entities:
            continue  # the same entity listed twice in other words
        if named:
            facet_entities.append(named[0])
        elif content_words(item):
            raw_facets.append(item)
    if len(facet_entities) + len(raw_facets) < 2:
        facet_entities, raw_facets = [], []
        # Two or more conditions (or treatments) named side by side are facets too.
        for kind in ("condition", "treatment"):
            same = [e for e in entities if e.kind == kind and not e.members]
            if len(same) >= 2:
                facet_entities = same
                break
    facet_names = {e.name for e in facet_entities}

    # "After stroke, does an AFO help?": the setting as it reads inside a title.
    constraints = [
        _without_dangling_words(m.group(0)[:1].lower() + m.group(0)[1:])
        for m in _CONSTRAINT.finditer(question)
    ]
    focus: list[Concept] = []
    populations: list[Concept] = []
    for entity in entities:
        if entity.name in facet_names:
            continue
        if entity.kind == "treatment" and _only_in(question, entity, constraints):
            # "... mortality after CABG surgery?": the operation is the setting, not what
            # is judged.
            continue
        concept = _concept(entity, _wording(question, entity))
        if entity.kind == "condition":
            populations.append(concept)
        else:
            focus.append(concept)
    populations += _unknown_eponyms(question, entities)
    facets = [_concept(e, _wording(question, e)) for e in facet_entities]
    facets += [Concept(name=r, terms=_phrase_terms(r), kind="phrase") for r in raw_facets]
    # In the order the question lists them (the coverage line reads in that order).
    folded = normalize(question).replace("\u2019", "'")

    def first_at(concept: Concept) -> int:
        found = (term_pattern(t).search(folded) for t in [concept.name, *concept.terms])
        return min((m.start() for m in found if m), default=0)

    facets.sort(key=first_at)
    if not focus and not populations and not facets:
        # A topic the lexicon does not know: its specific words name it ("balloon
        # enteroscopy"), not the words saying what is asked ("efficacious", "safe").
        words = list(dict.fromkeys(content_words(question.replace("-", " "))))
        specific = [w for w in words if w not in QUESTION_GENERIC_WORDS] or words
        # "Syndrome" or "diagnosed" alone names no topic: a sentence on Sjogren's syndrome
        # does not speak to tarsal tunnel syndrome.
        specific = [w for w in specific if w not in _CLASS_WORDS] or specific
        if specific:
            focus.append(Concept(name=_plain_topic(question), terms=specific, kind="phrase"))
    qtype = _question_type(question)
    if (
        qtype == "comparison"
        and not any(f.kind in ("treatment", "test") for f in facets)
        and any(e.kind in ("condition", "finding") for f in facets for e in entities_in(f.name))
    ):
        # "What is the difference between foot drop and flail foot?", "the biopsy criteria
        # for definite vs probable vasculitic neuropathy": conditions or grades compared, not
        # options of care; the question asks what the rest of it asks (a definition, a
        # work-up).
        qtype = _question_type(question, comparison=False)
    options = [f for f in facets if f.kind == "treatment"]
    if (
        qtype in ("yes_no", "management", "other")
        and len(options) == 2
        and re.search(r"\bor\b", question, re.IGNORECASE)
    ):
        qtype = "comparison"  # "Should I use an AFO or FES for foot drop after stroke?"
    analysis = QuestionAnalysis(
        question=question,
        type=qtype,
        focus=focus,
        populations=populations,
        facets=facets,
        constraints=constraints,
        bodies=bodies_named(question),
    )
    analysis.title = make_title(analysis)
    return analysis


# "calcium-magnesium infusions" is written "calcium-magnesium" in the sources: a listed
# phrase is also found without the form it is given in.
_GIVEN_AS = re.compile(
    r"\s+(infusions?|injections?|patch(es)?|tablets?|creams?|drugs?|therapy|treatment)$", re.I
)


# Words that say what kind of thing a topic is, or what is done about it, not which topic.
_CLASS_WORDS = frozenset(
    content_words(
        "syndrome syndromes disease diseases disorder disorders diagnosed diagnosis diagnose "
        "treated treatment treat managed management manage"
    )
)


def _phrase_terms(phrase: str) -> list[str]:
    bare = _GIVEN_AS.sub("", phrase)
    if not re.search(r"[A-Za-z]{4}", bare):  # "15 min infusion" is not "15 min"
        return [phrase.lower()]
    return list(dict.fromkeys([phrase.lower(), bare.lower()]))


def _only_in(question: str, entity: Entity, phrases: list[str]) -> bool:
    """Is every mention of the entity inside one of these phrases of the question?"""
    if not phrases:
        return False
    outside = normalize(question)
    for phrase in phrases:
        outside = outside.replace(normalize(phrase), " ")
    return not any(term_pattern(t).search(outside) for t in entity.terms)


def _plain_topic(question: str) -> str:
    from curbside.rag.condense import topic_of

    return topic_of(question)


# "What causes foot drop?", "What are the common causes of ...?"; not "... caused by ...".
ASKS_FOR_CAUSES = re.compile(
    r"^\s*(what|which)\b[^?]*\bcauses?\b|\bcauses of\b|\ba?etiolog\w*|^\s*why\b|"
    # A differential diagnosis lists what else, or what, causes the finding.
    r"\bwhat leads to\b|\bdifferential( diagnos[ie]s)?\b",
    re.IGNORECASE,
)
ASKS_TO_PREVENT = re.compile(r"\bprevent(ed|ion|ing|s)?\b", re.IGNORECASE)
# "How many points for Raynaud's?", "How many points to classify?": scored criteria.
ASKS_FOR_POINTS = re.compile(r"\bhow many points\b|\bpoints? (for|do|does|is|are)\b", re.I)
_WHEN_IT_FAILS = re.compile(
    r"\bif (?P<what>[\w' -]{3,40}?) (((does|do|is|are) ?n[o']t|has not|have not) "
    r"(help|work|respond|been effective|effective)\w*|fail(s|ed)?)\b",
    re.IGNORECASE,
)
# A question about what to do when a treatment fails ("What if it doesn't help?", "... if
# gabapentin does not help?").
ASKS_AFTER_FAILURE = re.compile(
    r"\b(does ?n[o']t|do ?n[o']t|did ?n[o']t|is ?n[o']t|fails?|failed|not) "
    r"((sufficiently|fully) )?(respond\w*|help\w*|work\w*|effective|improve\w*)\b|"
    r"\b(fail|fails|failed|refractory|no (response|improvement|benefit))\b|"
    r"\b(stops?|stopped) (working|helping)\b|\bno longer (works?|helps?|effective)\b",
    re.IGNORECASE,
)
# The two phases of treating a relapsing condition such as vasculitis.
PHASES = {"induction": "maintenance", "maintenance": "induction"}
# "How is X diagnosed and treated?", "... treated or diagnosed": both are asked.
_DIAGNOSED_AND_TREATED = re.compile(
    r"\b(diagnos\w*|work(ed)?[ -]up|investigat\w*)(,? \w+)?,? (and|or) (treat|manag)\w*|"
    r"\b(treat|manag)\w*,? (and|or) diagnos\w*",
    re.IGNORECASE,
)
_TITLE_ASPECT = {
    "management": "Treatment of {}",
    "diagnosis": "Diagnosis and work-up of {}",
    "frequency": "How often: {}",
    "dose": "Dosing: {}",
    "prognosis": "Prognosis of {}",
}


TITLE_LIMIT = 120  # characters


def _listed(names: list[str], others: str, limit: int = 3) -> str:
    """ "A, B and C"; beyond `limit`, "A, B, C and other conditions": a title never drops
    listed items without saying so."""
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {others}"
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


# The topic a rewritten follow-up carries, which may hold a spelled-out abbreviation:
# "(regarding maintenance treatment of granulomatosis with polyangiitis (GPA))".
REGARDING_TOPIC = r"\(regarding (?P<topic>(?:[^()]|\([^()]*\))+)\)"
_CIRCUMSTANCE_ASKED = re.compile(
    r"^(?P<lead>what if|what about when) (?P<clause>[^()?]+?) "
    rf"{REGARDING_TOPIC}\?$",
    re.IGNORECASE,
)


_BARE_SETTING = {
    "pregnant": "in pregnancy",
    "pediatric": "in children",
    "paediatric": "in children",
    "elderly": "in older adults",
}


def make_title(analysis: QuestionAnalysis) -> str:
    """A short noun phrase for the answer's title, built from the analysis, never cut from
    the question's words by position (which once gave "Should the-up of ... include")."""
    subject = analysis.subject
    # Listed options that are not conditions: drugs, devices (unknown words count when no
    # listed item is a condition).
    conditions_listed = any(f.kind in ("condition", "finding") for f in analysis.facets)
    # "Any role for acetyl-L-carnitine, ..., venlafaxine or cryotherapy in preventing CIPN?"
    # lists options, and the condition listed with them is what they would prevent.
    preventing = analysis.type == "management" and bool(ASKS_TO_PREVENT.search(analysis.question))
    options_to_prevent = preventing and any(f.kind == "treatment" for f in analysis.facets)
    treatments = [
        f
        for f in analysis.facets
        if f.kind in ("treatment", "test")
        or (f.kind == "phrase" and (options_to_prevent or not conditions_listed))
    ]
    if len(treatments) >= 2 and analysis.type != "comparison":
        # "In painful diabetic neuropathy, should opioids, tramadol or ... be used?"
        names = [f.name for f in treatments]
        options = (
            _listed(names, "others")  # "A, B, C and others"
            if len(names) > 3
            else " or ".join([", ".join(names[:-1]), names[-1]])  # "A, B or C": options
        )
        conditions = (
            [c.name for c in analysis.populations[:1]]
            or [c.name for c in analysis.findings][:1]
            or [f.name for f in analysis.facets if f.kind in ("condition", "finding")][:1]
        )
        purpose = "for preventing" if options_to_prevent else "for"
        title = f"{options} {purpose} {conditions[0]}" if conditions else options
        if len(title) > TITLE_LIMIT and conditions:
            title = f"{_listed(names, 'others', 2)} {purpose} {conditions[0]}"
    elif analysis.type == "comparison" and len(analysis.facets) >= 2:
        names = [f.name for f in analysis.facets[:3]]
        rest = analysis.subject if analysis.focus or analysis.populations else ""
        title = " versus ".join(names) + (f" for {rest}" if rest and rest not in names else "")
    elif analysis.facets and analysis.type in ("yes_no", "frequency", "other"):
        group = analysis.populations[0].name if analysis.populations else ""
        focus = " and ".join(c.name for c in analysis.focus[:2])
        names = [f.name for f in analysis.facets]
        for limit in (3, 2, 1):  # fewer names rather than a title cut mid-phrase
            where = group or _listed(names, "other conditions", limit)
            title = f"{focus} in {where}" if focus else where
            if len(title) <= TITLE_LIMIT:
                break
    else:
        aspect = _TITLE_ASPECT.get(analysis.type, "{}")
        if analysis.type in ("definition", "other") and ASKS_FOR_CAUSES.search(analysis.question):
            aspect = "Causes of {}"
        if re.search(r"\bdifferential\b", analysis.question, re.IGNORECASE):
            aspect = "Differential diagnosis of {}"
        if analysis.type == "management" and ASKS_TO_PREVENT.search(analysis.question):
            aspect = "Prevention of {}"
        if _DIAGNOSED_AND_TREATED.search(analysis.question):
            aspect = "Diagnosis and treatment of {}"
        if any(c.kind in ("treatment", "test") for c in analysis.focus) and analysis.type in (
            "management",
            "diagnosis",
        ):
            # "Nerve biopsy for polyneuropathy", not "Diagnosis and work-up of nerve biopsy".
            aspect = "{}"
        if subject and re.match(
            re.escape(aspect.split(" ")[0].rstrip(":")), subject, re.IGNORECASE
        ):
            # "Treatment of vitamin D deficiency ...", not "Treatment of treatment of ..."
            aspect = "{}"
        title = aspect.format(subject) if subject else ""
        if _HOW_MANY_POINTS.search(analysis.question):
            # "How many points for Raynaud's?" -> "Classification points: Raynaud's".
            what = re.sub(r"^many points( (for|to))?\s*(classify\b)?\s*", "", subject, flags=re.I)
            title = f"Classification points: {what}" if what else "Classification points"
    circumstance = _CIRCUMSTANCE_ASKED.match(analysis.question)
    if circumstance:
        # "What if they already have diabetic neuropathy before starting (regarding painful
        # chemo-induced neuropathy)?": the subject, then the circumstance asked about.
        topic, lead = circumstance["topic"], circumstance["lead"].lower()
        if "?" in topic:
            # The earlier turn was itself a question ("Best analgesic for acute low back
            # pain? Is paracetamol enough?"): its subject names it.
            topic = analysis.subject or topic.split("?")[0]
        title = f"{topic[:1].upper()}{topic[1:]}: {lead} {circumstance['clause']}"
    failing = _WHEN_IT_FAILS.search(analysis.question)
    if failing and analysis.type == "management":
        # "How should painful diabetic neuropathy be treated if gabapentin does not help?"
        what = failing.group("what")
        # "when corticosteroids do not help", "when IVIg does not help"
        verb = "do" if re.search(r"[^su]s$", what) else "does"
        title = f"{analysis.condition or analysis.subject}: when {what} {verb} not help"
    if analysis.constraints and title:
        extra = analysis.constraints[0]
        said = {w.lower() for w in re.findall(r"[\w'-]+", title)}
        # ("after oxaliplatin" adds nothing to "duloxetine in neuropathy and oxaliplatin")
        # A bare word ("pregnant", "paediatric") is said as a setting: "... in pregnancy".
        extra = _BARE_SETTING.get(extra.lower(), extra)
        words = re.findall(r"[\w'-]+", extra)
        words = words[1:] if len(words) > 1 else words  # past "after", "in", "during"
        new_words = [w for w in words if w.lower() not in said]
        if (
            new_words
            and extra.lower() not in title.lower()
            and not any(p.name.lower() in extra.lower() for p in analysis.populations)
        ):
            title = f"{title} {extra}"
    title = " ".join(title.split()).strip(" ,;:")
    if not title:
        title = _plain_topic(analysis.question)
    title = re.sub(r"[\[\]]", "", title)
    title = _capital_only_at_the_start(title, analysis.question)
    if len(title) > TITLE_LIMIT:  # at a word, and visibly shortened
        title = title[:TITLE_LIMIT].rsplit(" ", 1)[0].rstrip(" ,;:") + "\u2026"
    return title[:1].upper() + title[1:] if not title[:2].isupper() else title


def _capital_only_at_the_start(title: str, question: str) -> str:
    """ "Dosing: prednisone in lupus", not "... in Lupus": a word capitalised only because it
    began the question ("Lupus pt on long-term prednisone ...") is written small inside the
    title. Proper names keep their capital ("Sjogren's", "Takayasu arteritis")."""
    # The question's first word, and the first of a topic carried from an earlier turn
    # ("Steroid dose (regarding Relapsing MPA)?").
    return title[:1] + written_small(title[1:], question)


def written_small(text: str, question: str) -> str:
    """`text` with the words that were capitalised only because they began the question
    (or the topic carried from an earlier turn) written small."""
    starts = re.findall(r"(?:^\s*|\(regarding )([A-Z][a-z]+)\b(?!['\u2019-])", question)
    for word in set(starts) - _proper_words():
        text = re.sub(rf"\b{word}\b", word.lower(), text)
    return text


@functools.cache
def _proper_words() -> frozenset[str]:
    """Capitalised words of the lexicon's names: proper names, not sentence starts."""
    return frozenset(w for e in ENTITIES for w in re.findall(r"[\w'-]+", e.name) if w[:1].isupper())
