"""Indirect evidence: the sources speak of the setting asked, and of the finding, apart.

"Can foot drop occur in connective-tissue diseases such as SLE, ...?" No indexed source names
foot drop in lupus or scleroderma. They report peripheral neuropathy there ("... a
predilection for the lower limbs, particularly the peroneal and sural nerves"), and a review
of foot drop names a peroneal neuropathy as its most frequent cause. A clinician joins the
two; the answer gives both links, each cited to its own source, and says plainly that the
sources do not address the finding itself in that setting. The design page's "though it is
not a common or characteristic manifestation" is a judgement no sentence here states, so
the answer does not make it.

Only for "Can X occur in Y?" (or "Does X occur ...", "Is X seen ...") when no sentence names
X in its own words together with Y: when one does, that sentence is the answer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from curbside.rag.drafting.layout import DIAGNOSIS, MECHANISMS
from curbside.rag.drafting.statements import (
    ASKS_IF_IT_OCCURS,
    CAUSE_UNCLEAR,
    HEDGE,
    LEANS_ON_CONTEXT,
    NAMES_A_CAUSE,
)
from curbside.rag.lexicon import entities_in
from curbside.rag.text import content_words

if TYPE_CHECKING:
    from curbside.rag.drafting.extractive import Candidate
    from curbside.rag.question import QuestionAnalysis

NOT_DIRECT = "The indexed sources do not address {finding} itself in {setting}."


def needs_a_bridge(gated: list[Candidate], analysis: QuestionAnalysis) -> bool:
    """Is X asked about in Y, with no sentence naming X (in its own words) in Y?"""
    if analysis.type != "yes_no" or not ASKS_IF_IT_OCCURS.search(analysis.question):
        return False
    if not any(c.kind == "finding" for c in analysis.focus):
        return False
    if not (analysis.populations or analysis.facets):
        return False
    return not any(c.names_focus_directly and c.names_setting for c in gated)


def bridge_points(
    gated: list[Candidate], analysis: QuestionAnalysis, chosen: list[Candidate]
) -> tuple[list[Candidate], str]:
    """What causes the finding and how it is worked up, in general, each preferring the
    sentence that shares most with what the sources report in the setting (the peroneal
    neuropathy of foot drop, for lupus neuropathy that favours the peroneal nerve; nerve
    conduction studies, which the lupus and myositis cohorts used); and the caveat that no
    source speaks of the finding in the setting itself."""
    if not needs_a_bridge(gated, analysis):
        return [], ""
    finding = next(c for c in analysis.focus if c.kind == "finding")
    setting = analysis.populations[0].name if analysis.populations else "the conditions listed"
    caveat = NOT_DIRECT.format(finding=finding.name, setting=setting)
    general = [
        c
        for c in gated
        if c.names_focus_directly
        and not c.names_setting
        and not c.off_population
        and not c.names_other_condition
        and c.states_finding
        and c not in chosen
        and not HEDGE.search(c.text)
        and not LEANS_ON_CONTEXT.match(c.text)
    ]
    shared = _words_of_the_setting(gated, analysis)
    causes = [
        c for c in general if NAMES_A_CAUSE.search(c.text) and not CAUSE_UNCLEAR.search(c.text)
    ]
    tests = [
        c
        for c in general
        if c.section == DIAGNOSIS and any(e.kind == "test" for e in entities_in(c.text))
    ]
    points: list[Candidate] = []
    for pool, section in ((causes, MECHANISMS), (tests, DIAGNOSIS)):
        if pool:
            best = max(pool, key=lambda c: (_link(c, shared), c.score))
            # Read under the heading of what it links: the cause under Mechanisms, whatever
            # its words are nearest to ("The most frequent cause ..." reads as frequency).
            best.section = best.shown_under = section
            points.append(best)
    return points, caveat


def _words_of_the_setting(gated: list[Candidate], analysis: QuestionAnalysis) -> dict[str, int]:
    """How many sentences about the setting use each word (the setting's and the finding's
    own names left out: every one of them names those)."""
    # The finding by its own words only: "peroneal" is a related term of foot drop, and
    # the very link wanted.
    own = {
        w
        for c in [*analysis.focus, *analysis.populations, *analysis.facets]
        for t in [c.name, *c.terms[: c.direct_terms or None]]
        for w in content_words(t)
    }
    counts: dict[str, int] = {}
    for c in gated:
        if c.names_setting:
            for w in set(content_words(c.text)) - own:
                counts[w] = counts.get(w, 0) + 1
    return counts


def _link(candidate: Candidate, shared: dict[str, int]) -> float:
    words = set(content_words(candidate.text))
    return sum(math.log1p(shared.get(w, 0)) for w in words)
