"""Query expansion with a small clinical thesaurus (MeSH-style entry terms and narrower terms).

Lexical retrieval only finds the words a question uses. A clinician asking about "connective
tissue diseases" means lupus, Sjogren's, systemic sclerosis, MCTD and myositis, and the
sources name those; "foot drop" is written as peroneal (fibular) neuropathy or dorsiflexion
weakness. Expansion adds such terms to the BM25 query (dense retrieval sees the question as
asked) and to the extractive writer's notion of a relevant sentence. The table is small and
readable on purpose; extend it for the domains you ingest.
"""

from __future__ import annotations

import functools
import re

# concept (as written in questions) -> terms the literature uses for it or for its members
THESAURUS: dict[str, tuple[str, ...]] = {
    "connective tissue disease": (
        "systemic lupus erythematosus",
        "SLE",
        "lupus",
        "Sjogren's syndrome",
        "systemic sclerosis",
        "scleroderma",
        "mixed connective tissue disease",
        "MCTD",
        "dermatomyositis",
        "polymyositis",
        "inflammatory myopathy",
        "rheumatoid arthritis",
    ),
    # The AAN practice parameters say "distal symmetric polyneuropathy"; reviews and cohorts
    # often just "polyneuropathy".
    "distal symmetric polyneuropathy": ("polyneuropathy", "sensory polyneuropathy"),
    # The bedside description of it: numbness in a stocking distribution.
    "stocking numbness": ("distal symmetric polyneuropathy", "polyneuropathy"),
    "foot drop": (
        "drop foot",
        "peroneal neuropathy",
        "fibular neuropathy",
        "peroneal nerve",
        "peroneal",
        "fibular",
        "dorsiflexion weakness",
        "L5 radiculopathy",
        "mononeuritis multiplex",
    ),
    "lupus": ("systemic lupus erythematosus", "SLE"),
    "sle": ("systemic lupus erythematosus", "lupus"),
    "sjogren": ("Sjogren's syndrome", "sicca"),
    "scleroderma": ("systemic sclerosis", "SSc"),
    "vasculitis": (
        "vasculitic neuropathy",
        "mononeuritis multiplex",
        "ANCA-associated vasculitis",
        "polyarteritis nodosa",
    ),
    "peripheral neuropathy": ("polyneuropathy", "mononeuropathy", "mononeuritis multiplex"),
    "neuropathic pain": (
        "painful neuropathy",
        "duloxetine",
        "pregabalin",
        "gabapentin",
        "amitriptyline",
    ),
    "sciatica": ("lumbar radiculopathy", "lumbar disc herniation"),
    "orthosis": ("ankle-foot orthosis", "AFO", "brace"),
    "afo": ("ankle-foot orthosis", "orthosis"),
    "myositis": ("dermatomyositis", "polymyositis", "inflammatory myopathy"),
    "diabetic neuropathy": ("diabetic peripheral neuropathy", "distal symmetric polyneuropathy"),
    "rpgn": ("rapidly progressive glomerulonephritis",),
}

_PATTERNS = [
    (
        re.compile(
            r"\b" + re.escape(concept).replace(r"\ ", r"[\s-]+") + r"(s|es)?\b", re.IGNORECASE
        ),
        terms,
    )
    for concept, terms in THESAURUS.items()
]


@functools.lru_cache(maxsize=1024)
def _expansion_terms(question: str) -> tuple[str, ...]:
    return tuple(_find_expansion_terms(question))


def expansion_terms(question: str) -> list[str]:
    """Terms the thesaurus and the lexicon add to the question (see below); cached, since
    retrieval expands the same question for BM25, dense search and each facet."""
    return list(_expansion_terms(question))


def _find_expansion_terms(question: str) -> list[str]:
    """Terms the thesaurus adds for the concepts the question names (not already in it), and
    the full name of a concept the question names by an abbreviation or another term ("GPA"
    is written out as granulomatosis with polyangiitis: the embedding model does not know the
    abbreviation, and "How is GPA treated?" was once taken for a question the sources do not
    cover)."""
    from curbside.rag.lexicon import entities_in

    lowered = question.lower()
    found: list[str] = []
    for pattern, terms in _PATTERNS:
        if pattern.search(question):
            found.extend(t for t in terms if t.lower() not in lowered)
    abbreviations = {m.group(0).lower() for m in _ABBREVIATION.finditer(question)}
    found.extend(
        e.name
        for e in entities_in(question)
        if e.name.lower() not in lowered and abbreviations & {t.lower() for t in e.terms}
    )
    return list(dict.fromkeys(found))


# "GPA", "CIDP", "IVIg": two or more capitals in a short word.
_ABBREVIATION = re.compile(r"\b(?=\w*[A-Z]\w*[A-Z])[A-Za-z]{2,6}\b")


def expand_query(question: str) -> str:
    extra = expansion_terms(question)
    return f"{question} {' '.join(extra)}" if extra else question


def spelled_out_abbreviations(text: str) -> str:
    """The text with each abbreviation the lexicon or the thesaurus knows preceded by its full
    name: "add plasma exchange (regarding relapsing MPA)?" -> "... (regarding relapsing
    microscopic polyangiitis (MPA))?". A rewritten follow-up carries words the user typed
    turns ago; written out, it is unambiguous to the reader ("MPA" is also
    medroxyprogesterone acetate) and to the embedding model, which does not know most
    abbreviations. Only a true abbreviation of the name is spelled out ("EMG" is listed under
    nerve conduction studies but does not abbreviate it), once, and a name the text already
    spells out is left alone."""
    from curbside.rag.lexicon import entities_in

    written = {text.lower()}  # names already in the text, or spelled out once here

    def full_name(found: re.Match[str]) -> str:
        short = found.group(0)
        names = [e.name for e in entities_in(short) if short.lower() in map(str.lower, e.terms)]
        names += [t for t in THESAURUS.get(short.lower(), ())[:1] if " " in t]
        for name in names:
            if _abbreviates(short, name) and not any(name.lower() in w for w in written):
                written.add(name.lower())
                # The abbreviation stays beside the name: the sources use it too ("GPA or MPA
                # with active glomerulonephritis"), and the writer matches their words.
                return f"{name} ({short})"
        return short

    return _ABBREVIATION.sub(full_name, text)


def _abbreviates(short: str, name: str) -> bool:
    """Are the abbreviation's letters the name's initial followed by later letters of it, in
    order ("PAN" polyarteritis nodosa, "GPA" granulomatosis with polyangiitis)?"""
    if re.search(rf"\b{re.escape(short.lower())}\b", name.lower()):
        return False  # "ANCA" in ANCA-associated vasculitis is a word of the name
    letters = iter(name.lower())
    return name[:1].lower() == short[:1].lower() and all(ch in letters for ch in short.lower())
