"""A small clinical lexicon: the entities questions and sources name, with their synonyms.

Each entry has a display name, the terms that name it in text (matched as whole words,
case-insensitive, accents folded), a kind (condition, finding, treatment, test) and, for
conditions, a family. Question analysis uses it to find the focus concepts and the facets a
question enumerates; the answer writer uses it to keep sentences on topic: a sentence about
"foot drop after stroke" names a condition of another family than "foot drop in lupus".

Extend it for the domains you ingest; unknown phrases still work as plain words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from curbside.rag.text import normalize

__all__ = ["ENTITIES", "Entity", "entities_in", "find_entity", "term_pattern"]


@dataclass(frozen=True)
class Entity:
    name: str
    terms: tuple[str, ...]
    kind: str  # condition | finding | treatment | test | aspect (of a condition)
    family: str = ""  # conditions of one family are one population ("connective tissue")
    members: tuple[str, ...] = ()  # names of narrower entities (a group such as CTD)


def _e(name: str, kind: str, family: str, *terms: str, members: tuple[str, ...] = ()) -> Entity:
    return Entity(name, (name.lower(), *terms), kind, family, members)


# Findings that take in nerve damage anywhere, foot drop included: "peripheral neuropathy in
# SSc" speaks to "can foot drop occur in SSc", "trigeminal neuropathy in MCTD" does not.
BROAD_FINDINGS = frozenset({"peripheral neuropathy", "mononeuritis multiplex"})

CTD = "connective tissue"
VASC = "vasculitis"
SPINE = "spine"
ENTITIES: tuple[Entity, ...] = (
    # ---- connective tissue diseases and their group --------------------------------------
    _e(
        "connective tissue disease",
        "condition",
        CTD,
        "connective tissue diseases",
        "connective-tissue disease",
        "connective-tissue diseases",
        "ctd",
        "ctds",
        "systemic autoimmune rheumatic disease",
        "rheumatic diseases",
        "rheumatic disease",
        "collagen vascular disease",
        members=(
            "systemic lupus erythematosus",
            "systemic sclerosis",
            "mixed connective tissue disease",
            "Sjogren's syndrome",
            "polymyositis",
            "dermatomyositis",
            "inflammatory myopathy",
            "rheumatoid arthritis",
            "undifferentiated connective tissue disease",
        ),
    ),
    # Features of a CTD without the criteria of any one (the Mayo trigeminal series' commonest).
    _e(
        "undifferentiated connective tissue disease",
        "condition",
        CTD,
        "uctd",
        "undifferentiated connective tissue diseases",
    ),
    _e("systemic lupus erythematosus", "condition", CTD, "sle", "lupus", "npsle"),
    _e("systemic sclerosis", "condition", CTD, "ssc", "scleroderma"),
    _e(
        "mixed connective tissue disease",
        "condition",
        CTD,
        "mctd",
        "mixed connective-tissue disease",
    ),
    _e(
        "Sjogren's syndrome",
        "condition",
        CTD,
        "sjogren",
        "sjogrens",
        "sjogren syndrome",
        "sjogren's disease",
        "primary sjogren's syndrome",
        "pss",
    ),
    _e("polymyositis", "condition", CTD, "pm"),
    _e("dermatomyositis", "condition", CTD, "dm"),
    _e(
        "inflammatory myopathy",
        "condition",
        CTD,
        "inflammatory myopathies",
        "idiopathic inflammatory myopathy",
        "idiopathic inflammatory myopathies",
        "myositis",
        "iim",
        "antisynthetase syndrome",
        members=("polymyositis", "dermatomyositis"),
    ),
    _e("rheumatoid arthritis", "condition", CTD, "ra", "rheumatoid"),
    # ---- vasculitis ------------------------------------------------------------------------
    _e(
        "vasculitis",
        "condition",
        VASC,
        "vasculitides",
        "vasculitic",
        "systemic vasculitis",
        members=(
            "rheumatoid vasculitis",
            "ANCA-associated vasculitis",
            "polyarteritis nodosa",
            "granulomatosis with polyangiitis",
            "microscopic polyangiitis",
            "eosinophilic granulomatosis with polyangiitis",
        ),
    ),
    _e(
        "ANCA-associated vasculitis",
        "condition",
        VASC,
        "aav",
        "anca vasculitis",
        "anca",
        # The ANCA-associated vasculitides (Chapel Hill 2012): a statement about GPA or MPA
        # speaks to AAV.
        members=(
            "granulomatosis with polyangiitis",
            "microscopic polyangiitis",
            "eosinophilic granulomatosis with polyangiitis",
        ),
    ),
    # Its own condition, not vasculitis in general: "How does rheumatoid vasculitis present?"
    # is answered from the rheumatoid vasculitis cohort, not by how vasculitic neuropathies do.
    _e("rheumatoid vasculitis", "condition", VASC),
    _e("polyarteritis nodosa", "condition", VASC, "pan"),
    _e("granulomatosis with polyangiitis", "condition", VASC, "gpa", "wegener's granulomatosis"),
    _e("microscopic polyangiitis", "condition", VASC, "mpa"),
    _e(
        "eosinophilic granulomatosis with polyangiitis",
        "condition",
        VASC,
        "egpa",
        "churg-strauss syndrome",
    ),
    _e(
        "nonsystemic vasculitic neuropathy",
        "condition",
        VASC,
        "non-systemic vasculitic neuropathy",
        "nsvn",
    ),
    # Named so that a question about them is recognised as one: the bundled corpus names
    # them at most in a nomenclature, and treatment of neuropathy in Sjogren's or AAV is
    # not how neuropathy in cryoglobulinaemic vasculitis is treated.
    _e(
        "cryoglobulinemic vasculitis",
        "condition",
        VASC,
        "cryoglobulinaemic vasculitis",
        "cryoglobulinemia",
        "cryoglobulinaemia",
    ),
    _e("IgA vasculitis", "condition", VASC, "henoch-schonlein purpura", "henoch-schonlein"),
    _e("Behcet's disease", "condition", VASC, "behcet disease", "behcet's syndrome", "behcet"),
    _e("Kawasaki disease", "condition", VASC, "kawasaki"),
    _e("relapsing polychondritis", "condition", CTD, "polychondritis"),
    _e("psoriatic arthritis", "condition", CTD),
    _e("ankylosing spondylitis", "condition", CTD, "axial spondyloarthritis"),
    _e("sarcoidosis", "condition", "granulomatous", "neurosarcoidosis"),
    # A variant of nonsystemic vasculitic neuropathy, better known by its older names.
    _e(
        "diabetic radiculoplexus neuropathy",
        "condition",
        VASC,
        "diabetic amyotrophy",
        "diabetic lumbosacral radiculoplexus neuropathy",
        "bruns-garland syndrome",
    ),
    # ---- other populations ----------------------------------------------------------------
    _e("stroke", "condition", "central", "hemiparesis", "cerebrovascular", "hemiplegia"),
    _e("multiple sclerosis", "condition", "central", "ms"),
    _e("cerebral palsy", "condition", "central"),
    _e("spinal cord injury", "condition", "central", "spinal cord injuries"),
    # NICE IPG278 names the group and its members: "Drop foot of central neurological origin
    # results from an upper motor neurone lesion, for example after stroke, multiple
    # sclerosis, cerebral palsy or spinal cord injury."
    _e(
        "central neurological origin",
        "condition",
        "central",
        "upper motor neurone lesion",
        "upper motor neuron lesion",
        members=("stroke", "multiple sclerosis", "cerebral palsy", "spinal cord injury"),
    ),
    # Common neurological conditions the bundled corpus does not cover: named, so that a
    # question about them is recognised as one (and answered "not covered", not from
    # neighbours such as IVIg in MMN for "IVIg in myasthenia gravis?").
    _e("myasthenia gravis", "condition", "neuromuscular junction", "myasthenia"),
    _e("Parkinson's disease", "condition", "parkinsonism", "parkinson's", "parkinson disease"),
    _e("epilepsy", "condition", "epilepsy", "epileptic", "seizure disorder", "seizures"),
    _e("migraine", "condition", "headache", "migraines"),
    _e(
        "motor neuron disease",
        "condition",
        "motor neuron",
        "amyotrophic lateral sclerosis",
        "als",
        "motor neurone disease",
    ),
    _e("spinal muscular atrophy", "condition", "motor neuron", "sma"),
    # Neighbours of conditions the corpus covers, named so that a question about them is not
    # answered from the neighbour: the AAV glucocorticoid taper is no dose for giant cell
    # arteritis, neuropsychiatric lupus treatment is not lupus nephritis treatment.
    _e("giant cell arteritis", "condition", VASC, "gca", "temporal arteritis"),
    _e("Takayasu arteritis", "condition", VASC, "takayasu's arteritis", "takayasu"),
    _e("lupus nephritis", "condition", CTD),
    _e(
        "vitamin B12 deficiency",
        "condition",
        "deficiency",
        "b12 deficiency",
        "vitamin b12 deficiency neuropathy",
        "cobalamin deficiency",
    ),
    _e(
        "diabetes",
        "condition",
        "diabetes",
        "diabetic",
        "diabetes mellitus",
        "diabetic neuropathy",
    ),
    # Impaired glucose tolerance or impaired fasting glucose: neuropathy occurs here too.
    _e(
        "prediabetes",
        "condition",
        "diabetes",
        "pre-diabetes",
        "impaired glucose tolerance",
        "impaired fasting glucose",
    ),
    _e(
        "diabetic foot ulcer",
        "condition",
        "diabetes",
        "diabetic foot ulcers",
        "diabetic foot",
        "foot ulcer",
        "foot ulcers",
        "foot ulceration",
    ),
    _e(
        "chemotherapy-induced peripheral neuropathy",
        "condition",
        "cancer",
        "cipn",
        "chemotherapy",
        "chemotherapy-induced",
        "chemo-induced",
        "cancer",
        "oxaliplatin",
        "paclitaxel",
        "taxane",
    ),
    _e(
        "lumbar radiculopathy",
        "condition",
        SPINE,
        "l5 radiculopathy",
        "radiculopathy",
        "sciatica",
        "lumbar disc herniation",
        "disc herniation",
        "herniated disc",
        "lumbar disc",
    ),
    _e("low back pain", "condition", SPINE),
    _e(
        "Charcot-Marie-Tooth disease",
        "condition",
        "hereditary",
        "charcot-marie-tooth",
        "cmt",
        "hereditary neuropathy",
    ),
    _e(
        "chronic inflammatory demyelinating polyneuropathy",
        "condition",
        "immune neuropathy",
        "cidp",
    ),
    _e("multifocal motor neuropathy", "condition", "immune neuropathy", "mmn"),
    _e("Guillain-Barre syndrome", "condition", "immune neuropathy", "guillain-barre", "gbs"),
    _e(
        "knee surgery or trauma",
        "condition",
        "trauma",
        "knee dislocation",
        "knee arthroplasty",
        "fracture",
        "trauma",
    ),
    # ---- findings ---------------------------------------------------------------------------
    _e(
        "foot drop",
        "finding",
        "",
        "drop foot",
        "footdrop",
        "dorsiflexion weakness",
        "weakness of ankle dorsiflexion",
        "ankle dorsiflexion",
        "dorsiflexor",
        "dorsiflexors",
        "steppage gait",
    ),
    _e(
        "peroneal neuropathy",
        "finding",
        "",
        "peroneal nerve",
        "peroneal neuropathies",
        "peroneal mononeuropathy",
        "peroneal palsy",
        "fibular nerve",
        "fibular neuropathy",
        "common peroneal",
        # Whole, so a question's "lacerated common peroneal nerve" is not titled "common
        # peroneal" (the longest term wins a stretch of text).
        "common peroneal nerve",
        "common fibular nerve",
        "fibular head",
    ),
    _e(
        "peripheral neuropathy",
        "finding",
        "",
        "neuropathy",
        "neuropathies",
        "polyneuropathy",
        "polyneuropathies",
        "peripheral nervous system",
        "peripheral nerve involvement",
        "sensory neuronopathy",
        "neuronopathy",
        "axonal neuropathy",
        "nerve involvement",
    ),
    _e(
        "mononeuritis multiplex",
        "finding",
        "",
        "mononeuropathy multiplex",
        "multiple mononeuropathy",
        "mononeuropathy",
        "mononeuropathies",
        "vasculitic neuropathy",
    ),
    _e(
        "distal symmetric polyneuropathy",
        "finding",
        "",
        "distal symmetrical polyneuropathy",
        "distal symmetric sensory polyneuropathy",
        "length-dependent polyneuropathy",
        "DSP",
        # How a clinician describes it at the bedside ("symmetric stocking numbness").
        "stocking numbness",
        "stocking sensory loss",
    ),
    # Nervous-system involvement of a systemic disease, central or peripheral ("How common are
    # neurological manifestations in PAN?"). An aspect of the disease rather than a finding
    # of its own: how PAN is treated or diagnosed answers for it, and it does not stand for
    # foot drop the way peripheral neuropathy does.
    _e(
        "neurological involvement",
        "aspect",
        "",
        "neurological manifestations",
        "neurologic manifestations",
        "neurological manifestation",
        "neurologic involvement",
        "neurological complications",
        "neurologic complications",
    ),
    _e("small fibre neuropathy", "finding", "", "small fiber neuropathy", "small-fibre"),
    # Sensory ataxia in Sjogren's syndrome is a ganglionopathy (pavlakis-sjogren-neuropathy-2012),
    # and EULAR names its treatment under that word.
    _e(
        "sensory ataxic neuropathy",
        "finding",
        "",
        "sensory ataxia",
        "sensory ataxic",
        "ganglionopathy",
        "ganglionopathies",
    ),
    _e("digital ulcer", "finding", "", "digital ulcers", "digital tip ulcers", "fingertip ulcers"),
    _e(
        "trigeminal neuropathy",
        "finding",
        "",
        "trigeminal sensory neuropathy",
        "trigeminal",
        # How it presents at the bedside ("new facial numbness in a woman with Raynaud's").
        "facial numbness",
        "numbness of the face",
    ),
    _e("carpal tunnel syndrome", "finding", "", "carpal tunnel", "median nerve entrapment"),
    _e("neuropathic pain", "finding", "", "painful neuropathy", "painful diabetic neuropathy"),
    # ---- treatments and tests ---------------------------------------------------------------
    _e(
        "ankle-foot orthosis",
        "treatment",
        "",
        "ankle-foot orthoses",
        "ankle foot orthosis",
        "afo",
        "afos",
        "orthosis",
        "orthoses",
        "brace",
    ),
    _e(
        "functional electrical stimulation",
        "treatment",
        "",
        "fes",
        "peroneal nerve stimulation",
        "electrical stimulation",
        "stimulator",
    ),
    _e("rituximab", "treatment", ""),
    _e("cyclophosphamide", "treatment", ""),
    _e(
        "glucocorticoids",
        "treatment",
        "",
        "glucocorticoid",
        "corticosteroid",
        "corticosteroids",
        "steroid",  # "Steroid dose?"
        "steroids",
        "prednisone",
        "prednisolone",
        "methylprednisolone",
    ),
    _e("intravenous immunoglobulin", "treatment", "", "ivig", "immunoglobulin"),
    _e("plasma exchange", "treatment", "", "plasmapheresis", "PLEX"),
    _e("duloxetine", "treatment", ""),
    _e("pregabalin", "treatment", ""),
    _e("gabapentin", "treatment", ""),
    _e("amitriptyline", "treatment", "", "tricyclic", "tricyclic antidepressants"),
    # Further drugs and procedures the bundled sources judge: a question naming one is about
    # it ("What is the role of avacopan in AAV?" must be answered with avacopan).
    _e("methotrexate", "treatment", ""),
    _e("azathioprine", "treatment", ""),
    _e("mycophenolate mofetil", "treatment", "", "mycophenolate"),
    _e("avacopan", "treatment", ""),
    _e("mepolizumab", "treatment", ""),
    _e("belimumab", "treatment", ""),
    _e("hydroxychloroquine", "treatment", ""),
    _e("tramadol", "treatment", ""),
    _e("tapentadol", "treatment", ""),
    _e("opioids", "treatment", "", "opioid"),
    _e("venlafaxine", "treatment", ""),
    _e("carbamazepine", "treatment", ""),
    _e("oxcarbazepine", "treatment", ""),
    _e("valproic acid", "treatment", "", "valproate"),
    _e("capsaicin", "treatment", ""),
    _e("lidocaine", "treatment", "", "lignocaine"),
    _e("botulinum toxin", "treatment", "", "botulinum"),
    _e(
        "epidural steroid injection",
        "treatment",
        "",
        "epidural injection",
        "epidural injections",
        "epidural steroid injections",
    ),
    _e("discectomy", "treatment", "", "microdiscectomy"),
    # Surgery in general ("Should people with sciatica have surgery early?"); named
    # operations have their own entries.
    _e("surgery", "treatment", "", "surgical treatment", "operation"),
    _e("surgical decompression", "treatment", "", "decompression", "neurolysis"),
    _e("nerve biopsy", "test", "", "sural nerve biopsy", "biopsy"),
    # Not nerve biopsy: skin biopsy measures intraepidermal nerve fibre density.
    _e(
        "skin biopsy",
        "test",
        "",
        "skin biopsies",
        "intraepidermal nerve fiber density",
        "intraepidermal nerve fibre density",
        "IENF density",
    ),
    _e("anti-GM1 antibodies", "test", "", "anti-GM1 antibody", "anti-GM1", "GM1 antibodies"),
    # A blood test, not the vasculitis it is named for ("Are ANCA tests useful in diagnosing
    # vasculitic neuropathy?" asks about testing).
    _e(
        "ANCA testing",
        "test",
        "",
        "anca test",
        "anca tests",
        "anca serology",
        "testing for anca",
        "testing for both pr3-anca and mpo-anca",
        "anca assay",
    ),
    # A blood test, not rheumatoid arthritis ("Does a positive rheumatoid factor predict
    # rheumatoid vasculitis?").
    _e("rheumatoid factor", "test", "", "rf positivity"),
    _e(
        "autonomic testing",
        "test",
        "",
        "autonomic tests",
        "autonomic function tests",
        "autonomic screening tests",
        "composite autonomic scoring scale",
    ),
    _e(
        "nerve conduction studies",
        "test",
        "",
        "nerve conduction",
        "electrodiagnostic",
        "electrodiagnosis",
        "electromyography",
        "emg",
    ),
)


@functools.lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """Whole-word, case-insensitive; hyphens and spaces interchangeable; a plural s allowed.
    "CTD-associated" and "SSc-related" name the condition; "non-systemic" does not name
    "systemic", nor does "SLE-like" name SLE."""
    words = [re.escape(w) for w in re.split(r"[\s-]+", normalize(term).lower()) if w]
    if words and re.search(r"[^aeiou]y$", words[-1]) and len(words[-1]) > 3:
        # "The vasculitic neuropathies are ..." names vasculitic neuropathy.
        words[-1] = words[-1][:-1] + "(?:y|ies)"
    body = r"[\s-]+".join(words).replace("'", "'?")  # "Sjogren's" and "Sjogrens"
    return re.compile(
        rf"(?<![\w-]){body}(s|es)?(?![\w-])"
        rf"|(?<![\w-]){body}(?=-(?:associated|related|induced|mediated)\b)",
        re.IGNORECASE,
    )


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, Entity]:
    return {e.name.lower(): e for e in ENTITIES}


def find_entity(name: str) -> Entity | None:
    return _by_name().get(name.lower())


def _short_upper_ok(term: str, matched: str) -> bool:
    """Two- and three-letter abbreviations ("RA", "PM", "MS", "SSc") only count written with
    two capitals: "ra", "pan" and "Pan" are words."""
    if len(term) > 3 or not term.isalpha():
        return True
    return sum(ch.isupper() for ch in matched) >= 2


# "diabetes mellitus (DM)": an abbreviation defined where it is first used.
_DEFINED = re.compile(r"([A-Za-z][\w'-]*(?:\s+[\w'-]+){0,5})\s+\(([A-Z][A-Za-z]{1,5})\)")


def abbreviations_defined(text: str) -> dict[str, Entity]:
    """What the abbreviations a text defines stand for, when the words before them name an
    entity: {"DM": diabetes} in an abstract that writes "diabetes mellitus (DM)", where the
    lexicon's own reading of "DM" (dermatomyositis, as the bundled corpus uses it) is wrong."""
    found: dict[str, Entity] = {}
    for match in _DEFINED.finditer(text):
        named = entities_in(match.group(1))
        if named:
            found.setdefault(match.group(2), named[-1])
    return found


def entities_in(text: str) -> list[Entity]:
    """Entities named in the text, in order of first mention.

    The longest term wins a stretch of text: "vasculitic neuropathy" is one finding, not also
    "vasculitis" and "neuropathy"; "painful diabetic neuropathy" is not also "diabetes".
    """
    return list(_entities_in(text))


@functools.lru_cache(maxsize=8192)
def _entities_in(text: str) -> tuple[Entity, ...]:
    # Cached: the writer asks this of every candidate sentence and of its source's title,
    # the same titles many times per question.
    folded = normalize(text).replace("\u2019", "'")
    lowered = folded.lower()
    matches: list[tuple[int, int, Entity]] = []
    for entity in ENTITIES:
        for term in entity.terms:
            if _first_word(term) not in lowered:
                continue  # cheap test first: a term cannot match without its first word
            for match in term_pattern(term).finditer(folded):
                if _short_upper_ok(term, folded[match.start() : match.end()]):
                    matches.append((match.start(), match.end(), entity))
    matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int]] = []
    kept: list[tuple[int, Entity]] = []
    for start, end, entity in matches:
        if any(start < b and a < end for a, b in taken):
            continue
        taken.append((start, end))
        kept.append((start, entity))
    kept.sort(key=lambda k: k[0])
    return tuple(dict.fromkeys(e for _, e in kept))


@functools.lru_cache(maxsize=4096)
def _first_word(term: str) -> str:
    """The term's first word up to any hyphen, space or apostrophe, lower case: present in
    any text the term's pattern matches ("sjogren" for "Sjogren's syndrome")."""
    return re.split(r"[\s'-]", normalize(term).lower(), maxsplit=1)[0]
