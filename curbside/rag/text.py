"""Small text tools shared by chunking, drafting and citation checks.

Kept dependency-free so they are cheap to import and easy to unit-test.
"""

from __future__ import annotations

import re
import unicodedata

# Abbreviations after which a period does not end a sentence in clinical prose.
_ABBREVIATIONS = frozenset(
    """
    e.g i.e et al vs dr fig figs approx no incl ca cf st mr mrs ms prof resp ref refs
    vol pp jr sr al etc eg ie u.s n.b
    """.split()  # noqa: SIM905
)
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s*(?:\[[\d,\s\-–]+\])+)?\s+(?=[\"'(\[]?[A-Z0-9])")
_CITATION_TAIL = re.compile(r"^(\s*(?:\[[\d,\s\-–]+\])+)")

STOPWORDS = frozenset(
    # A word list reads best as prose.
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how however i if
    in into is it its itself just may might more most much must my no nor not of off on
    once only or other our out over own same shall she should so some such than that the
    their them then there these they this those through to too under until up upon very
    was we were what when where which while who whom why will with would you your yes
    whether within without via per among across overall including include includes
    included usually often commonly generally patients patient people person persons use
    used using one two three also well
    """.split()  # noqa: SIM905
)

NEGATION_CUES = frozenset(
    # A word list reads best as prose.
    """
    no not never none neither nor without cannot can't don't doesn't didn't isn't aren't
    wasn't weren't won't shouldn't absent absence lack lacks lacking fail fails failed
    unlikely ineffective
    """.split()  # noqa: SIM905
)

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_NUMBER = re.compile(r"(?<![a-z])\d+(?:[.,]\d+)?(?:\s?%)?")


def normalize(text: str) -> str:
    """Unicode-normalise, fold accents (Sjögren -> Sjogren) and collapse white space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping trailing citation markers with their sentence."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        candidate = text[start:end].rstrip()
        # A period after a known abbreviation or a single initial is not a boundary.
        last_word = re.search(r"([A-Za-z][A-Za-z.]*)\.$", candidate)
        if last_word and (
            last_word.group(1).lower().rstrip(".") in _ABBREVIATIONS or len(last_word.group(1)) == 1
        ):
            continue
        # Keep "[1]" that follows the period with this sentence.
        tail = _CITATION_TAIL.match(text[end:])
        if tail:
            candidate = (candidate + tail.group(1)).strip()
            end += len(tail.group(1))
        pieces.append(candidate)
        start = end
    rest = text[start:].strip()
    if rest:
        pieces.append(rest)
    return [p.strip() for p in pieces if p.strip()]


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text).lower())


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'neuropathies' with 'neuropathy'."""
    for suffix in (
        "ically",
        "ations",
        "ation",
        "ities",
        "ness",
        "ments",
        "ment",
        "ings",
        "ing",
        "ies",
        "ied",
        "ed",
        "es",
        "s",
        "ly",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied", "ities") else base
    return word


def content_words(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stop words, no bare numbers)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and not w.isdigit() and len(w) > 1]


# Content words too general to identify a topic or to count as a "specific term" a passage
# must contain (drug, disease and test names are specific; these are not). Stemmed.
GENERIC_WORDS = frozenset(
    content_words(
        """treatment treatments therapy therapies management recommended recommendation
        recommendations guideline guidelines associated association including include
        clinical clinically disease diseases condition conditions symptoms symptom common
        commonly important significant significantly evidence studies study review reviews
        outcome outcomes effective effect effects increase increased reduce reduced reduction
        individuals adults children people approach approaches assessment evaluation
        diagnosis diagnostic considered consider should recommend suggests suggested
        available different several various possible however although whether because
        between important typically usually frequently present presented presentation
        involvement involving reported report reports described describes occur occurs
        occurred cause causes caused related relevant further additional"""
    )
)
# Evaluative and linking words of research questions ("Is X efficacious and safe in a
# community setting?"): they say what is asked about X, not what X is.
QUESTION_GENERIC_WORDS = GENERIC_WORDS | frozenset(
    content_words(
        """efficacious efficacy safe safety useful usefulness benefit beneficial benefits
        promote promotes improve improves improved improvement better worse good poor use
        used using setting settings community patients patient role impact influence affect
        affects predict predicts predictor predictors value valuable necessary needed really
        worth justified appropriate feasible possible likely change changes factor factors
        among within without"""
    )
)


def numbers(text: str) -> set[str]:
    """Numbers as written (commas and spaces removed), e.g. {'30', '2.5%'}."""
    found = set()
    for raw in _NUMBER.findall(strip_citations(text).lower()):
        found.add(raw.replace(",", "").replace(" ", ""))
    return found


def is_negated(text: str) -> bool:
    tokens = set(words(text))
    return bool(tokens & NEGATION_CUES) or "n't" in text.lower()


#: The one grammar of a citation marker: [1], [1, 2], [1-3], [1–3], [1; 2]. The group holds
#: the numbers; enforcement, rendering, escaping and evaluation all use this pattern.
CITATION_MARKER = re.compile(r"\[(\d+(?:\s*[-–,;]\s*\d+)*)\]")
_CITATION_WITH_SPACE = re.compile(r"\s*" + CITATION_MARKER.pattern)


def strip_citations(text: str) -> str:
    return _CITATION_WITH_SPACE.sub("", text).strip()


# "What's the prognosis?", "And when it's traumatic?": spelled out before the question rules
# read them, so "What's the X?" reads as "What is the X?" and a follow-up's "it" is not
# replaced inside "it's".
_CONTRACTIONS = {
    "what's": "what is",
    "it's": "it is",
    "that's": "that is",
    "who's": "who is",
    "there's": "there is",
    "they're": "they are",
    "isn't": "is not",
    "aren't": "are not",
    "doesn't": "does not",
    "don't": "do not",
    "didn't": "did not",
    "can't": "cannot",
    "won't": "will not",
}
_CONTRACTION = re.compile(
    r"\b(" + "|".join(re.escape(c) for c in _CONTRACTIONS).replace("'", "['\u2019]") + r")\b",
    re.IGNORECASE,
)


def spelled_out_contractions(text: str) -> str:
    def expand(found: re.Match[str]) -> str:
        word = found.group(0)
        full = _CONTRACTIONS[word.lower().replace("\u2019", "'")]
        return full[:1].upper() + full[1:] if word[:1].isupper() else full

    return _CONTRACTION.sub(expand, text)


# "pt with lupus and foot drop, what should i check first?": a patient's story, then the
# question. Written with a dash ("Sjogren's pt with bad dry mouth - what do you use?"),
# the story is read as the setting of the question; after a comma or colon, "lupus", "foot
# drop" and "what should i check first" once read as three listed entities.
# Words that name the patient a story is about.
PATIENT_NOUNS = r"pt|pts|patient|patients|woman|women|man|men|lady|girl|boy|child|kid|infant"
_STORY_THEN_QUESTION = re.compile(
    r"^(?P<story>(?:[\w'/-]+\s+){0,6}?"
    rf"(?:{PATIENT_NOUNS}|"
    r"\d+\s?(?:yo|y/o|year[- ]old))\b[^?]{3,}?)(?P<mark>\s*[,:;]|\s+-)\s+"
    r"(?P<asked>(?:what|which|how|when|why|who|where|is|are|can|could|should|would|will|"
    r"do|does|did|any|anything|worth)\b[^?]*\??)\s*$",
    re.IGNORECASE,
)


def patient_story(text: str) -> str:
    """The patient's story before the question ("Anti-Ro negative pt with dry eyes/mouth,
    abnormal Schirmer and low saliva flow"), or "" when the question tells none."""
    found = _STORY_THEN_QUESTION.match(text.strip())
    return found["story"].strip() if found else ""


def story_then_question(text: str) -> str:
    """A patient's story followed after a comma or colon by the question, written as the
    story, a dash and the question, the form the question analysis reads as story + ask."""
    found = _STORY_THEN_QUESTION.match(text.strip())
    if not found or found["mark"].strip() == "-":
        return text
    return f"{found['story'].strip()} - {found['asked'].strip()}"
