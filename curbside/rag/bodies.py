"""Guideline bodies a question may name, and whether a source is theirs.

"What does the AAN recommend for painful diabetic neuropathy?" asks for one body's word, not
the best sentence of any source: the answer opens with that body's guideline when one is
indexed, and says so when none addresses the question. A source is a body's when its title
or publisher names it (the front matter of every bundled source does); text that merely
cites a body ("EULAR recommends ...", in a review) does not make the review EULAR's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Body:
    short: str
    names: tuple[str, ...]
    # The abbreviation is also an everyday term of the field ("PNS" is the peripheral nervous
    # system, "ACR" an albumin-creatinine ratio): in a question it names the body only beside
    # a word that points to one ("the PNS guideline", "EAN/PNS", "according to the ACR").
    ambiguous: bool = False

    @property
    def name(self) -> str:
        return self.names[0]


BODIES: tuple[Body, ...] = (
    Body("AHA", ("American Heart Association", "American Stroke Association")),
    Body(
        "EULAR",
        (
            "European League Against Rheumatism",
            "European Alliance of Associations for Rheumatology",
        ),
    ),
    Body("ACR", ("American College of Rheumatology",), ambiguous=True),
    Body("NICE", ("National Institute for Health and Care Excellence",)),
    Body("ADA", ("American Diabetes Association",), ambiguous=True),
    Body("AAN", ("American Academy of Neurology",)),
    Body("ASCO", ("American Society of Clinical Oncology",)),
    Body("EAN", ("European Academy of Neurology",)),
    Body("PNS", ("Peripheral Nerve Society",), ambiguous=True),
    Body("EFNS", ("European Federation of Neurological Societies",)),
    Body("IWGDF", ("International Working Group on the Diabetic Foot",)),
    Body("NASS", ("North American Spine Society",)),
    Body("ANPT", ("Academy of Neurologic Physical Therapy",)),
    Body("SLICC", ("Systemic Lupus International Collaborating Clinics",)),
    Body("AANEM", ("American Association of Neuromuscular and Electrodiagnostic Medicine",)),
    Body("WHO", ("World Health Organization",), ambiguous=True),
)

# Words beside an abbreviation that make it a body: "the PNS guideline", "EAN/PNS",
# "according to the ACR", "What does the ADA recommend ...". Not "does": "Does PNS
# involvement ...?" is about the nerves.
_BEFORE = r"(?i:according to (?:the )?|/)"
_AFTER = (
    r"(?i:/|\s*(?:'s\s+)?(?:guidelines?|guidance|recommend\w*|criteria|classification|"
    r"nomenclature|statement|position|consensus|task force|panel|says?|advises?|suggests?|"
    r"defines?|classif\w+))"
)


@functools.cache
def _question_pattern(body: Body) -> re.Pattern[str]:
    names = "|".join(re.escape(n) for n in body.names)
    short = re.escape(body.short)
    if body.ambiguous:
        abbreviation = rf"(?:{_BEFORE}){short}\b|\b{short}(?={_AFTER})"
    else:
        abbreviation = rf"(?<![\w-]){short}(?![\w-])"
    return re.compile(rf"(?i:\b(?:{names})\b)|{abbreviation}")


@functools.cache
def _source_pattern(body: Body) -> re.Pattern[str]:
    names = "|".join(re.escape(n) for n in body.names)
    if body.ambiguous:
        return re.compile(rf"(?i:\b(?:{names})\b)")
    return re.compile(rf"(?i:\b(?:{names})\b)|(?<![\w-]){re.escape(body.short)}(?![\w-])")


def bodies_named(question: str) -> list[str]:
    """The bodies a question names, by their abbreviation, in the order of BODIES."""
    return [b.short for b in BODIES if _question_pattern(b).search(question)]


def body(short: str) -> Body:
    return next(b for b in BODIES if b.short == short)


def issued_by(title: str, publisher: str, short: str) -> bool:
    """Is a source with this title and publisher the body's (its guideline or statement)?"""
    return bool(_source_pattern(body(short)).search(f"{title} | {publisher}"))


def described(short: str) -> str:
    """ "the American Academy of Neurology (AAN)": how a note names the body."""
    return f"the {body(short).name} ({short})"
