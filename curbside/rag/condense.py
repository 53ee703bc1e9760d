"""Follow-up condensation: turn "what about Sjogren's?" into a standalone question.

The deterministic rewrite (used with the extractive default) carries the topic of the
earlier turn; with an LLM backend the model rewrites, and the deterministic rewrite is the
fallback when the model fails. Small talk and standalone questions pass through unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from curbside.rag.expansion import spelled_out_abbreviations
from curbside.rag.lexicon import ENTITIES, entities_in
from curbside.rag.models import Turn
from curbside.rag.question import (
    ASKS_AFTER_FAILURE,
    ASKS_FOR_POINTS,
    PHASES,
    QuestionAnalysis,
    analyze_question,
)
from curbside.rag.text import (
    PATIENT_NOUNS,
    content_words,
    patient_story,
    spelled_out_contractions,
    story_then_question,
)

log = logging.getLogger(__name__)

_SMALL_TALK = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|thanks?( you)?( very much| so much)?|"
    r"thank you|thx|cheers|ok(ay)?|great|perfect|bye|goodbye|got it|cool)\b"
    r"[\s!.,]*(doctor|doc|curbside)?[\s!.]*$",
    re.IGNORECASE,
)
_FOLLOW_UP_START = re.compile(
    r"^\s*(what|how) about\s+|^\s*(and|also|but|or)\b\s*|^\s*what if\s+|^\s*same\s+(for|in)\s+",
    re.IGNORECASE,
)
# "there" as in "is there a role for surgery?" points at nothing.
_PRONOUN = re.compile(
    r"\b(it|its|this|that|these|those|they|them|(?<!is )(?<!are )there|such)\b", re.IGNORECASE
)
_SLOT = re.compile(
    r"^(?P<head>.*\b(?:in|with|for|among|after|during|from|of))\s+(?P<slot>[^?]+?)\s*\?*\s*$",
    re.IGNORECASE,
)
_QUESTION_LEAD = re.compile(
    r"^\s*(can|could|does|do|did|is|are|should|will|would|may|what (is|are)( the)?|"
    r"(it|there) (is|are)|"
    # "How often do patients with NSVN relapse?" is about NSVN relapse.
    r"(how (often|common(ly)?|frequent(ly)?|rare(ly)?|likely) (is|are|do|does)|"
    r"what (percentage|proportion|share) of)( (patients|people|adults|children) with)?|"
    r"how (is|are|do|does|did|should)( i| we| you)?|"
    r"what|when|which|why|how|tell me about)\s+",
    re.IGNORECASE,
)


def is_small_talk(text: str) -> bool:
    return bool(_SMALL_TALK.match(text))


_BACK_REFERENCE = re.compile(
    r"\b(afterwards|after that|then|instead|as well|too|in that case|in this case|"
    r"for that|for this|for them|next step|the same)\b",
    re.IGNORECASE,
)


_NAMES_A_SCORING_SYSTEM = re.compile(
    r"\b(criteri\w*|classification|nomenclature|definitions?|scales?|scores?|index)\b", re.I
)


def needs_context(question: str) -> bool:
    """A follow-up leans on the conversation: it starts like one, points back, is tiny, or
    names nothing specific ("What do guidelines recommend for treatment?")."""
    if _FOLLOW_UP_START.match(question) or _IF_IT.match(question):
        return True
    words = content_words(question)
    if (_PRONOUN.search(question) or _BACK_REFERENCE.search(question)) and len(words) <= 6:
        return True
    if len(words) <= 2:
        return True
    if ASKS_FOR_POINTS.search(question) and not _NAMES_A_SCORING_SYSTEM.search(question):
        # "How many points for Raynaud's and the antibodies?" scores by the criteria talked
        # about, though it names a condition of its own.
        return True
    # No clinical entity and no proper name: the topic must come from the conversation.
    names = re.findall(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-z]+", question.strip())
    analysis = analyze_question(question)
    named = analysis.focus + analysis.populations + analysis.facets
    kinds = {c.kind for c in named}
    if named and (
        (kinds <= {"treatment", "test"} and len(words) <= 6)
        or (kinds <= {"treatment", "test", "finding"} and len(words) <= 3)
    ):
        # "When is surgery better than conservative care?" in a talk about disc herniation,
        # "Does mononeuritis multiplex count?" in a talk about EGPA criteria: without a
        # condition of its own, a short question is asked about the condition talked about.
        return True
    return len(words) <= 5 and not names and all(c.kind == "phrase" for c in named)


# "If it's severe and 8 weeks in, does early surgery help?" leans on what "it" was.
_IF_IT = re.compile(r"^\s*(if|when|once)\s+(it|they|this|that)\b", re.IGNORECASE)


_LINKING_VERB = re.compile(
    r"\s+(occur|happen|develop|appear|arise|present|be seen|be found|be caused)\b", re.IGNORECASE
)
_ASPECT = re.compile(
    r"^(the\s+)?(treatment|therapy|management|dose|dosing|dosage|diagnosis|work-?up|"
    r"evaluation|tests?|testing|imaging|prognosis|outcome|causes?|mechanisms?|side effects|"
    r"risks?|surgery|prevention|screening|first[- ]line|second[- ]line|follow-?up|duration|"
    r"maintenance|induction)\b",
    re.IGNORECASE,
)


_VERB = re.compile(
    # Not a noun after an article: "a cause of neuropathy", "the use of".
    r"(?<!\ba)(?<!\ban)(?<!\bthe)\s+(be|been|being|get|gets|is|are|was|were|be used|used|"
    r"treated|managed|diagnosed|"
    r"recommended|needed|indicated|helpful|useful|effective|safe|work|works|help|helps|"
    # "caused by" stays: "foot drop in lupus caused by vasculitis", not "... by vasculitis".
    r"improve|improves|cause|caused(?!\s+by\b)|mean|means|have|has)\b",
    re.IGNORECASE,
)


_CARE_VERBS = r"(diagnosed|treated|managed|evaluated|investigated|assessed|followed up)"
_COORDINATED_VERBS = re.compile(
    rf"(?<!\ba)(?<!\ban)(?<!\bthe)\s+{_CARE_VERBS}(\s*,\s*{_CARE_VERBS})*,?\s+(and|or)\s+"
    rf"{_CARE_VERBS}\b",
    re.IGNORECASE,
)


_ADVERB = re.compile(
    r"\s+(usually|typically|commonly|generally|actually|really|normally)\b", re.IGNORECASE
)


# What a yes/no question asks of its subject, in predicate position (before a preposition or
# at the end): "Is peroneal neuropathy at the fibular head usually compressive?" is about the
# neuropathy, so "How long does it take to recover?" must not carry "compressive". Before a
# noun the word is part of the name and stays ("common peroneal nerve", "painful diabetic
# neuropathy").
_PREDICATE_ADJECTIVE = re.compile(
    r"\s+(necessary|required|mandatory|compressive|hereditary|inherited|genetic|common|"
    r"uncommon|rare|frequent|permanent|reversible|painful|curable|treatable|preventable|"
    r"dangerous|serious|harmful|contraindicated|appropriate|worthwhile|reliable|accurate|"
    r"typical|likely|possible)(?=\s+(in|for|after|with|at|during|among|on|to|from)\b|$)",
    re.IGNORECASE,
)
# "Is gabapentin better than pregabalin for sciatica?" compares the two.
_COMPARED_WITH = re.compile(
    r"\s+(better|worse|superior|inferior|preferable)\s+(than|to)\s+", re.IGNORECASE
)

_IS_OR_CAN = re.compile(r"^\s*(is|are|was|were|can|could)\b", re.IGNORECASE)

_LEADING_ACTION = re.compile(
    r"^(treat|manage|diagnose|investigate|evaluate|assess|work up|approach|recognise|"
    r"recognize|prevent|monitor|test for|screen for|pick up|detect|confirm|rule out)\s+",
    re.IGNORECASE,
)


_LEADING_NOUN = re.compile(
    r"^(the\s+)?(role|place|use|value|usefulness|benefit|efficacy|effectiveness|safety)\s+of\s+",
    re.IGNORECASE,
)


_CLASSIFIED_UNDER = re.compile(
    r"\bto (classify|diagnose) (?P<what>[\w'-]+( [\w'-]+){0,3}?) (under|by|with|using) (the )?"
    r"(?P<criteria>[\w/-]+( [\w/-]+){0,3}? criteria)\b",
    re.IGNORECASE,
)
# "65 yo woman with RA and foot drop - is it vasculitis?": a story, then a question about it.
_COMMON_NOUN_LEAD = re.compile(rf"^({PATIENT_NOUNS}|a|an|my|the|our)\b", re.IGNORECASE)
_IS_IT = re.compile(
    r"^(is|could|can|might|would) (it|this|that) (?:(?:be|likely|possibly|probably|really)\s+)*"
    r"(?P<what>[^?]{3,60}?)\s*\??$",
    re.IGNORECASE,
)
# "what do you use?", "what should I do?", "how do I treat?": a question with no subject
# but the person asking.
_NO_SUBJECT = re.compile(
    r"^(what|how|which)( else)? (do|does|would|should|can|could) (you|i|we|one)"
    r"( \w+){1,2}\s*\??$",
    re.IGNORECASE,
)


def topic_of(question: str) -> str:
    """The subject of a standalone question as a noun phrase, without question words or verbs:
    "Should an ankle-foot orthosis be used for foot drop after stroke?" ->
    "ankle-foot orthosis for foot drop after stroke"."""
    question = story_then_question(question.strip())
    # "Diagnostic criteria for MMN? Pt has asymmetric hand weakness": the first question
    # names the subject; what follows is the patient's story or a second question.
    first, mark, rest = question.partition("?")
    if mark and rest.strip() and len(first.split()) >= 2:
        question = first + "?"
    # "Do you need a positive ANA to classify lupus under the 2019 EULAR/ACR criteria?" is
    # about the criteria: "it" in "Is it more sensitive than SLICC?" is them, not lupus.
    classified = _CLASSIFIED_UNDER.search(question)
    if classified:
        return f"{classified['criteria']} for {classified['what']}"
    # "Sjogren's pt with bad dry mouth - what do you use?": a question that names no subject
    # after the patient's story is about the story.
    story, dash, asked = question.partition(" - ")
    if dash and _NO_SUBJECT.match(asked.strip()) and len(story.split()) >= 2:
        return story.strip()
    # "65 yo woman with RA and foot drop - is it vasculitis?" is about vasculitis in her.
    about_it = _IS_IT.match(asked.strip()) if dash else None
    if about_it and len(story.split()) >= 2:
        story = story.strip()
        if _COMMON_NOUN_LEAD.match(story):
            story = story[:1].lower() + story[1:]  # "vasculitis in pt with lupus ..."
        return f"{about_it['what']} in {story}"
    topic = _QUESTION_LEAD.sub("", spelled_out_contractions(question))
    topic = topic.rstrip("?. ").strip()
    # "What forms does peripheral neuropathy in SSc take?" is about the neuropathy; the
    # forms are what was asked of it.
    topic = re.sub(
        r"^[\w-]+(\s+of\s+[\w-]+)?\s+(do|does|did)\s+(?P<subject>.+?)\s+"
        r"(take|have|cause|show|involve|include|produce|need|require)$",
        r"\g<subject>",
        topic,
        flags=re.IGNORECASE,
    )
    if _IS_OR_CAN.match(question):
        topic = _COMPARED_WITH.sub(" versus ", topic)
    # "Does duloxetine work better for X after A or after B?" is about duloxetine for X: the
    # settings compared were what it asked of it.
    compared = re.compile(r"\s+(better|worse)(?=\s+(for|in|at|after|than)\b)", re.IGNORECASE)
    if compared.search(topic):
        topic = compared.sub("", topic)
        topic = re.sub(
            r"\s+(after|in|with|during)\s+[^,]+?\s+or\s+((after|in|with|during)\s+)?[^,]+$",
            "",
            topic,
            flags=re.IGNORECASE,
        )
    # "How common is X and who is at risk?": the second question is not part of the subject.
    topic = re.sub(r",?\s+and (who|what|which|how|when|why|where)\b.*$", "", topic, flags=re.I)
    # "What do nerve conduction studies usually show in X?" is about the studies in X.
    topic = re.sub(r"^(do|does|did)\s+", "", topic, flags=re.IGNORECASE)
    # "non-drug treatments does NICE recommend for sciatica" -> "non-drug treatments for ..."
    topic = re.sub(
        r"\s+(do|does|did)( the)? [\w/-]+( guidelines?)? (recommend|advise|suggest|say)\w*",
        "",
        topic,
        flags=re.IGNORECASE,
    )
    # "What kinds of neuropathy do you see in AAV?" is about neuropathy in AAV.
    topic = re.sub(
        r"\s+(do|does|would|will|can|should) (you|i|we|one) \w+\b", "", topic, flags=re.I
    )
    topic = _ADVERB.sub("", topic)
    if _IS_OR_CAN.match(question):
        topic = _PREDICATE_ADJECTIVE.sub("", topic)
    topic = re.sub(r"\s+(show|shows|find|finds|reveal|reveals)\s+(?=in\b)", " ", topic)
    # "... MMN be treated if IVIg does not help" is about MMN: the condition clause goes.
    topic = re.sub(
        r"\s+(if|when|after) .*? (does|do|did|is|are) ?n[o']t .*$", "", topic, flags=re.I
    )
    if re.match(r"^\s*(can|could|does|do|did|may|might|will|would)\b", question, re.I):
        # "Can prediabetes cause a peripheral neuropathy?" is about neuropathy from
        # prediabetes.
        topic = re.sub(
            r"^(?P<cause>\S.*?)\s+(?:cause|lead to)\s+(?:an?\s+)?(?P<effect>.+)$",
            r"\g<effect> from \g<cause>",
            topic,
            flags=re.IGNORECASE,
        )
    if re.match(r"^\s*(is|are)\b", question, re.I):
        # "Is diabetic amyotrophy a vasculitic neuropathy?" is about diabetic amyotrophy as a
        # vasculitic neuropathy (not "diabetic amyotrophy a vasculitic neuropathy").
        topic = re.sub(
            r"^(?P<what>(?!(there|it|this|that)\b)[\w'/-]+"
            r"(\s+(?!(in|of|for|with|on|at|to|from|by|after|during)\b)[\w'/-]+){0,3})"
            r"\s+(?P<article>an?)\s+(?=\S)",
            r"\g<what> as \g<article> ",
            topic,
            count=1,
            flags=re.I,
        )
    # "How do I pick up X if the fasting glucose is normal?" is about X.
    topic = re.sub(r"^(\S+\s+\S+.*?)\s+if\s+.*$", r"\1", topic, flags=re.I)
    topic = _LINKING_VERB.sub("", topic)
    # "How is X diagnosed and treated?": both verbs go, not one ("X and").
    topic = _COORDINATED_VERBS.sub("", topic)
    topic = _VERB.sub("", topic)
    # "How do I treat vasculitic neuropathy?" is about vasculitic neuropathy.
    topic = _LEADING_ACTION.sub("", topic)
    topic = _LEADING_NOUN.sub("", topic)  # "the role of IVIg in MMN" -> "IVIg in MMN"
    topic = re.sub(r"^(a|an|the|my|our|your)\s+", "", topic, flags=re.IGNORECASE)
    # "How common is each of A and B?" is about A and B.
    topic = re.sub(r"^(each|both|either)\s+of\s+", "", topic, flags=re.IGNORECASE)
    topic = re.sub(r"\s+", " ", topic).strip()
    lead = _ASPECT_LEAD.match(topic)  # matches the empty string when there is no lead
    if lead and lead.group(0):
        # "Options for spastic foot drop?" reads "options for spastic foot drop" inside a
        # sentence; a name keeps its capital ("Sjogren's syndrome", "IVIg").
        topic = topic[:1].lower() + topic[1:]
    return topic or question.strip().rstrip("?")


# A standalone question never grows past this: a chain of twenty "and ...?" follow-ups must
# not snowball into a 40,000-character query (and the slot pattern is quadratic in length).
MAX_STANDALONE_CHARS = 400


def _bounded(question: str) -> str:
    if len(question) <= MAX_STANDALONE_CHARS:
        return question
    cut = question[:MAX_STANDALONE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;.?")
    return cut + "?"


def rule_based_standalone(question: str, history: Sequence[Turn]) -> str:
    asked = question.strip()
    standalone = _rule_based_standalone(asked, history)
    if standalone != asked:
        # "For how long?" loses its "For": the rewrite still reads as a question.
        standalone = standalone[:1].upper() + standalone[1:]
    return _bounded(standalone)


def spelled_out_standalone(question: str, history: Sequence[Turn]) -> str:
    """The rule-based rewrite as the engine searches with it and shows it ("Searched for:
    ..."): a rewrite is read without the conversation, so an abbreviation it carries from
    turns ago is spelled out ("MPA" -> "microscopic polyangiitis (MPA)"). A question that
    needed no rewrite stays as the user typed it."""
    asked = question.strip()
    standalone = rule_based_standalone(asked, history)
    return standalone if standalone == asked else _bounded(spelled_out_abbreviations(standalone))


# "If so, how is it treated?", "and if it is, treatment?": the condition grants what the
# last question asked; what follows is the follow-up.
_IF_SO = re.compile(
    r"^\s*(and\s+|but\s+)?(if|assuming) (so|yes|it is|it does|they are|they do|that is "
    r"the case|confirmed|positive)\s*[,:;-]\s*",
    re.IGNORECASE,
)


def _rule_based_standalone(question: str, history: Sequence[Turn]) -> str:
    question = _IF_SO.sub("", question) or question
    earlier = [t for t in history if not is_small_talk(t.question)]
    if not earlier or is_small_talk(question) or not needs_context(question):
        return question
    question = spelled_out_contractions(question)
    # Already standalone when the engine stores turns; bounded for histories from elsewhere.
    previous, carried = _split_regarding(_bounded(earlier[-1].question.strip()))
    new_part = _FOLLOW_UP_START.sub("", question).strip().rstrip("?. ").strip()
    new_part = re.sub(r"^(in|with|for|among|the)\s+", "", new_part, flags=re.IGNORECASE)
    if re.match(r"^\s*what if\b", question, re.IGNORECASE) and not _PRONOUN.search(question):
        # "What if the foot drop ends up permanent?" is a circumstance as "And if ...?" is,
        # not a new setting for the earlier question. (One with a pronoun is rewritten
        # below: "What if they are normal?" names what "they" stand for.)
        new_part = "if " + re.sub(r"^\s*what if\s+", "", question, flags=re.I).rstrip("?. ")
    story = patient_story(previous)
    if story and not carried and _IS_IT.match(question.strip()):
        # "pt with lupus and foot drop, what should i check first?" + "is it likely
        # vasculitis?": the same patient, asked about.
        follow_up = question.strip()
        return f"{story} - {follow_up[:1].lower()}{follow_up[1:]}"
    analysis = analyze_question(previous)
    # The user's own words while they read as a short noun phrase ("foot drop with L4\\L5
    # disc herniation"); the analysis's subject for long or enumerating questions.
    whole = topic_of(previous)
    own = _without_aspect(whole)
    # (A short list is the user's noun phrase too: "peripheral neuropathy in dermatomyositis
    # and polymyositis", not the analysis's "peripheral neuropathy" without its setting.)
    short = len(own.split()) <= 12
    # "Can I call it diabetic ...?" has no subject in its own words ("I call ...").
    # Nor does "findings would argue against MMN" (a noun phrase has no modal verb).
    worded = (
        short
        and not re.match(r"^(i|we|you)\b", own, re.IGNORECASE)
        and not re.search(r"\b(would|could|should|might|must|will|can)\b", own, re.I)
    )
    topic = own if worded or not analysis.subject else analysis.subject
    if carried and (
        not any(e.kind in ("condition", "finding", "treatment") for e in entities_in(previous))
        # An earlier follow-up kept as asked ("What if they already have diabetic
        # neuropathy?") names no subject of its own.
        or _PRONOUN.search(previous)
        or re.match(r"^\s*what (if|about)\b", previous, re.IGNORECASE)
    ):
        # The earlier rewrite asked an aspect ("How do I localise the lesion?", "What do the
        # nerve biopsy and other tests show?"): its subject was the carried topic alone.
        topic = _without_aspect(carried)
    elif carried and carried.lower() not in topic.lower():
        # A third turn keeps the first turn's setting without nesting: "dose of rituximab
        # (regarding severe GPA)" + "is maintenance needed?" -> "(regarding rituximab in
        # severe GPA)".
        topic = f"{topic} in {carried}" if topic else carried
        previous = f"{previous.rstrip('?. ')} in {carried}?"
    if carried:
        analysis = analyze_question(previous)  # now with the setting it was asked in
    failed = _when_treatment_fails(question, f"{previous} {carried}" if carried else previous)
    if failed:
        return failed
    if _CONDITIONAL.match(new_part):
        # "And if the foot drop ends up permanent?", "And when it is traumatic?": the same
        # subject in another circumstance, said as asked with the subject it is about.
        # The conversation's subject, when a third turn carries it, not the second turn's
        # aspect ("Will the orthosis reduce the spasticity?").
        lead = "What " if new_part[:2].lower() == "if" else "What about "
        if _IF_IT.match(question):
            lead = ""  # asked as a whole question: "If it is severe, does surgery help?"
        # The same question in another circumstance keeps what it asked ("when it is
        # traumatic" is about what nerve conduction studies show, as before).
        same_question = whole if len(whole.split()) <= 12 else topic
        return f"{lead}{new_part} (regarding {carried or same_question})?"
    if _PARTICIPLE.fullmatch(new_part):
        # "And treated?" -> "How is nonsystemic vasculitic neuropathy treated?"
        return f"How is {topic} {new_part.lower()}?"
    swaps_phase = new_part.lower() in PHASES and re.search(
        r"\b(induction|maintenance)\b", previous, re.IGNORECASE
    )
    # "What is the prognosis?" asks an aspect as "And the prognosis?" does.
    aspect_part = re.sub(r"^(what|which) (is|are)\s+", "", new_part, flags=re.IGNORECASE)
    if _ASPECT.match(aspect_part) and len(content_words(aspect_part)) <= 3 and not swaps_phase:
        # "and the treatment?" -> "What is the treatment of foot drop in SLE?"
        aspect = re.sub(r"^the\s+", "", aspect_part, flags=re.IGNORECASE)
        verb = "are" if re.match(r"^(what|which) are\b", new_part, re.IGNORECASE) else "is"
        # "What about maintenance?" asks about maintenance treatment (of remission).
        aspect = re.sub(r"^(maintenance|induction)$", r"\1 treatment", aspect, flags=re.I)
        joint = "for" if re.search(r"\s(of|for)\s", aspect) else "of"  # "dose of gabapentin"
        return f"What {verb} the {aspect} {joint} {topic}?"
    slot = _SLOT.match(previous.strip())
    if (
        slot
        and new_part
        and not _PRONOUN.search(new_part)
        and len(content_words(new_part)) <= 4
        and _FOLLOW_UP_START.match(question)
        # "What about X?" names something; "And who should be assessed for X?" asks anew.
        and not _ASKS_ANEW.match(new_part)
    ):
        if _WHO.fullmatch(new_part):
            # "And in children?" narrows the same question to a group of patients.
            return f"{previous.rstrip('?. ')} in {new_part}?"
        swapped = _swap_condition(previous, analysis, new_part)
        if swapped:
            return swapped
        # "Can foot drop occur in SLE?" + "what about Sjogren's?" -> "... occur in Sjogren's?"
        rebuilt = _with_setting(analysis, new_part)
        if rebuilt:
            return rebuilt
        if _adds_a_setting(question, new_part, analysis):
            # "What is the prognosis of vasculitic neuropathy?" + "what about in rheumatoid
            # arthritis?": the same question in that setting, not about the setting itself.
            return f"{previous.rstrip('?. ')} in {new_part}?"
        return f"{slot.group('head')} {new_part}?"
    if (
        new_part
        and _FOLLOW_UP_START.match(question)
        and _adds_a_setting(question, new_part, analysis)
    ):
        # "How is vasculitic neuropathy treated?" + "and in rheumatoid arthritis?"
        asked_again = _asked_in(analysis, new_part)
        if asked_again:
            return asked_again
        findings = [c.name for c in analysis.findings]
        if findings and previous.rstrip("?. ").lower().endswith(findings[0].lower()):
            return f"{previous.rstrip('?. ')} in {new_part}?"  # "What causes foot drop in lupus?"
    phrasal = _PHRASAL.search(question)
    if phrasal and (phrasal.group(2).lower() != "them" or _plural(topic)):
        rewritten = (
            f"{question[: phrasal.start()]}{phrasal.group(1)} {phrasal.group(3)} {topic}"
            f"{question[phrasal.end() :]}"
        )
        return rewritten if rewritten.endswith("?") else rewritten.rstrip(".") + "?"
    if _THING.search(question) or (_PEOPLE.search(question) and _plural(topic)):
        # A function, not a template: a topic holding "\\L" or "\\g<0>" is text, not syntax.
        pronoun = _THING if _THING.search(question) else _PEOPLE
        # "it" before "this"/"that": in "Anything that helps stop it progressing?" "that"
        # is a relative pronoun and "it" the condition.
        if pronoun is _THING and _IT.search(question):
            pronoun = _IT
        rewritten = pronoun.sub(lambda _: topic, question, count=1)
        return rewritten if rewritten.endswith("?") else rewritten.rstrip(".") + "?"
    compared = _compared_items(previous) if _EACH.search(question) else None
    if compared:
        # "How common is each?" after "... a polyneuropathy vs a focal neuropathy?" asks about
        # both things compared: "How common is each of polyneuropathy and focal neuropathy?".
        asked_of_each = _EACH.sub(lambda m: f"{m.group(0)} of {compared}", question, count=1)
        return f"{asked_of_each.rstrip('?. ')} (regarding {topic})?"
    # "they", "them", "these": most often the patients, not the condition ("What if they
    # already have diabetic neuropathy?"); the topic goes beside the question instead.
    if re.match(r"^\s*what if\b", question, re.IGNORECASE):
        return f"What if {new_part} (regarding {topic})?"
    conditions = [c for c in analysis.populations if c.kind == "condition"]
    if _PEOPLE.search(question) and len(conditions) == 1:
        # "When do they need systemic treatment?" after questions on Sjogren's: the patients
        # with it ("When do patients with Sjogren's need systemic treatment?").
        patients = f"patients with {conditions[0].name}"
        rewritten = _PEOPLE.sub(lambda _: patients, question, count=1)
        return rewritten if rewritten.endswith("?") else rewritten.rstrip(".") + "?"
    asked = analyze_question(question)
    if not (asked.focus or asked.populations or asked.facets):
        # "How often?" after "Can foot drop occur in lupus?" -> "How often does foot drop
        # occur in lupus?", a question that reads as asked.
        spelled = _spelled_out(topic, asked.type)
        if spelled:
            return spelled
    return f"{new_part or question.rstrip('?')} (regarding {topic})?"


_EACH = re.compile(r"\b(each|both|either)\b(?!\s+of\b)", re.IGNORECASE)
# "X vs Y", "X versus Y": the one or two words on each side, past an article.
_VERSUS = re.compile(
    r"(?:\b(?:an?|the)\s+)?\b(?P<first>[\w'/-]+(?:\s+[\w'/-]+)?)\s+(?:vs\.?|versus)\s+"
    r"(?:(?:an?|the)\s+)?(?P<second>[\w'/-]+(?:\s+[\w'/-]+)?)",
    re.IGNORECASE,
)
_NOT_AN_ITEM = frozenset(
    [
        "a",
        "an",
        "the",
        "as",
        "for",
        "in",
        "of",
        "on",
        "to",
        "with",
        "what",
        "which",
        "is",
        "are",
        "counts",
    ]
)


def _compared_items(question: str) -> str | None:
    """ "polyneuropathy and focal neuropathy" from "... counts as a polyneuropathy vs a focal
    neuropathy?"; None when the question compares nothing by "vs" or "versus"."""
    found = _VERSUS.search(question)
    if found is None:
        return None
    items = []
    for part in (found["first"], found["second"]):
        words = [w for w in part.split() if w.lower() not in _NOT_AN_ITEM]
        if not words:
            return None
        items.append(" ".join(words))
    return " and ".join(items)


# A pronoun that stands for the topic itself ("Is it recommended?", "How is that treated?").
# ("this time", "that dose": a determiner, not the topic; "does it matter", "is it worth":
# no one's name.)
_THING = re.compile(
    r"\b(it|this|that)\b(?!\s+(is|are)\s+(not\s+)?(?:a|an|the)\b)"
    r"(?<!\bdoes it(?= matter\b))(?<!\bis it(?= worth\b))"
    r"(?!\s+(time|point|stage|case|patient|visit|episode|dose|drug|week|month|year)\b)",
    re.IGNORECASE,
)
_IT = re.compile(
    r"(?<!\bdoes )(?<!\bis )\bit\b(?!\s+(is|are)\s+(not\s+)?(?:a|an|the)\b)|"
    # "it" in "Does it matter how quickly we treat it?" is no one's name: the second one is.
    r"(?<=\bdoes )\bit\b(?!\s+matter\b)|(?<=\bis )\bit\b(?!\s+(worth|possible|"
    r"necessary|reasonable|ok|okay)\b)",
    re.IGNORECASE,
)
# "How do I pick it up?", "Does that rule it out?": the phrasal verb keeps its particle
# before the topic ("pick up peripheral neuropathy"), and "it" is what is picked up.
_PHRASAL = re.compile(
    r"\b(pick|rule|sort|work|try|wean|taper|back|cut)\s+(it|this|them)\s+"
    r"(up|out|off|down)\b",
    re.IGNORECASE,
)
_PEOPLE = re.compile(r"\b(they|them)\b", re.IGNORECASE)


def _plural(topic: str) -> bool:
    """ "nerve conduction studies done in CIDP" can be "they"; "painful diabetic neuropathy"
    cannot (there "they" are the patients)."""
    head = re.split(r"\s+(?:in|for|of|with|after|during|done|from)\s+", topic)[0].lower()
    return head.endswith("s") and not head.endswith(("sis", "ss", "us", "itis"))


# "if it is severe", "when it is traumatic"; not the question "When is surgery better?".
_CONDITIONAL = re.compile(
    r"^(if|once|(when|after)(?!\s+(is|are|do|does|did|should|can|could|will|would|was|were|"
    r"must|may)\b))\s+\w",
    re.IGNORECASE,
)
_ASKS_ANEW = re.compile(r"^(who|what|which|when|where|why|how|if|whether|is|are|does|do)\b", re.I)
_REGARDING = re.compile(r"\s*\(regarding (?P<topic>.+)\)\s*\?*\s*$", re.IGNORECASE)
_ASPECT_LEAD = re.compile(
    r"^((the|most|more|less|common|commonest|frequent|usual|main|typical|best|recommended|"
    r"first-line|second-line|diagnostic|classification)\s+)*"
    r"((causes?|treatments?|therapy|management|dose|dosing|dosage|diagnosis|work-?up|criteria|"
    r"evaluation|prognosis|outcomes?|mechanisms?|risks?|prevention|signs|symptoms|features|"
    r"drugs?|medications?|options|types?|kinds?|forms?|risk factors)"
    r"\s+(of|for|in)\s+)?",
    re.IGNORECASE,
)


_WHO = re.compile(
    r"(children|adults|older adults|the elderly|elderly patients|infants|adolescents|"
    r"pregnancy|pregnant women|women|men)",
    re.IGNORECASE,
)


def _split_regarding(question: str) -> tuple[str, str]:
    """An earlier rewrite's own question and the topic it carried in "(regarding ...)"."""
    found = _REGARDING.search(question)
    if not found:
        return question, ""
    return question[: found.start()].rstrip() + "?", found.group("topic").strip()


def _without_aspect(topic: str) -> str:
    """The subject without what was asked about it: "common causes of foot drop" ->
    "foot drop", "dose of rituximab" -> "rituximab", "causes mononeuritis multiplex in
    vasculitis" -> "mononeuritis multiplex in vasculitis" (the new question asks its own
    aspect)."""
    topic = re.sub(r"^(causes?|leads? to|triggers?)\s+(?!of\b)", "", topic, flags=re.I)
    # "nerve conduction studies in peroneal neuropathy" asked what a test shows: the subject
    # is the condition ("And when should I refer?" is about peroneal neuropathy).
    for entity in ENTITIES:
        if entity.kind != "test":
            continue
        for term in entity.terms:
            lead = re.match(rf"{re.escape(term)}\s+(in|for|of)\s+(?=\S)", topic, re.IGNORECASE)
            if lead:
                return topic[lead.end() :]
    rest = _ASPECT_LEAD.sub("", topic, count=1).strip()
    rest = re.sub(r"^(of|for|in)\s+", "", rest, flags=re.IGNORECASE)  # "first-line for X"
    return rest if len(rest.split()) >= 1 and rest != topic.strip() and rest else topic


def _swap_condition(previous: str, analysis: QuestionAnalysis, new_part: str) -> str | None:
    """The earlier question about one condition asked again, word for word, about another:
    "Does mononeuritis multiplex count in the EGPA classification criteria?" + "what about
    in the lupus criteria?" -> "... count in the lupus classification criteria?". A treatment
    instead of a condition ("what about epidural steroid injections?" after "Which drugs are
    recommended for sciatica?") asks about that treatment for the same condition."""
    if analysis.facets:
        return None
    incoming = analyze_question(new_part)
    # "Is skin biopsy worth doing for suspected small fiber neuropathy?" + "what about
    # autonomic testing?": the other test (or drug) for the same condition.
    asked = [c for c in analysis.focus if c.kind in ("treatment", "test")]
    offered = [c for c in incoming.focus if c.kind in ("treatment", "test")]
    if asked and offered and not incoming.populations and asked[0].kind == offered[0].kind:
        found = _worded(previous, asked[0])
        if found is not None:
            return previous[: found.start()] + new_part + previous[found.end() :]
    if len(analysis.populations) != 1:
        return None
    old = analysis.populations[0]
    if incoming.populations:
        name = incoming.populations[0].name
        # The user's own wording, whole words ("Sjogren's", not the lexicon's "Sjogren").
        worded = re.search(re.escape(name) + r"[\w'\u2019]*", new_part, re.IGNORECASE)
        new = worded.group(0) if worded else name
        at = previous.lower().find(old.name.lower())
        if at < 0:
            return None
        return previous[:at] + new + previous[at + len(old.name) :]
    phase = PHASES.get(new_part.lower())
    if phase and re.search(rf"\b{phase}\b", previous, re.IGNORECASE):
        # "... for remission induction in GPA?" + "what about maintenance?" -> "... for
        # remission maintenance in GPA?" (the other phase, not another drug)
        return re.sub(rf"\b{phase}\b", new_part.lower(), previous, count=1, flags=re.IGNORECASE)
    parallel = _parallel_phrase(previous, new_part)
    if parallel:
        # "Sjogren's pt with bad dry mouth - what do you use?" + "And the dry eyes?": the
        # same question about the other part, not whether dry eyes are recommended.
        return previous[: parallel.start()] + new_part + previous[parallel.end() :]
    # "what about foot care?" (something done, named or not) after a question on diabetes;
    # not a finding ("the foot drop", asked as a circumstance above).
    if incoming.focus and not any(c.kind in ("finding", "condition") for c in incoming.focus):
        verb = "Are" if new_part.lower().endswith("s") else "Is"
        return f"{verb} {new_part} recommended for {old.name}?"
    return None


def _parallel_phrase(previous: str, new_part: str) -> re.Match[str] | None:
    """Where the earlier question names the counterpart of a two-word follow-up: "dry mouth"
    for "dry eyes", "upper limbs" for "lower limbs" (same first or last word, the other
    differs)."""
    words = new_part.split()
    if len(words) != 2 or not all(re.fullmatch(r"[A-Za-z]+", w) for w in words):
        return None
    first, last = (re.escape(w) for w in words)
    return re.search(
        rf"\b{first}\s+(?!{last}\b)[A-Za-z]+\b|\b(?!{first}\b)[A-Za-z]+\s+{last}\b",
        previous,
        re.IGNORECASE,
    )


def _worded(text: str, concept: Any) -> re.Match[str] | None:
    """Where the text names the concept, by any of its terms (the user's own wording)."""
    for term in sorted([concept.name, *concept.terms], key=len, reverse=True):
        found = re.search(rf"\b{re.escape(term)}\b", text, re.IGNORECASE)
        if found:
            return found
    return None


_PARTICIPLE = re.compile(r"(treated|diagnosed|managed|prevented|monitored)", re.IGNORECASE)
_TIME_SPAN = re.compile(
    r"\b(after|within|for)\s+(\w+\s+){0,2}(days?|weeks?|months?|years?)\b", re.IGNORECASE
)


def _when_treatment_fails(question: str, previous: str) -> str | None:
    """ "What if it doesn't help after three months?" after a question about treating X asks
    what to do next for X: "How should painful diabetic neuropathy be treated if gabapentin
    does not help after three months?", not about the drug's own trials again."""
    if not ASKS_AFTER_FAILURE.search(question):
        return None
    own = analyze_question(question)
    own_drugs = [c.name for c in [*own.focus, *own.facets] if c.kind == "treatment"]
    if not _PRONOUN.search(question) and own.condition:
        # "What if duloxetine does not work for neuropathic pain?" is a question of its own.
        return question
    if not _PRONOUN.search(question) and not own_drugs:
        return None
    analysis = analyze_question(previous)
    drugs = [c.name for c in [*analysis.focus, *analysis.facets] if c.kind == "treatment"]
    # "What if duloxetine does not work?" names what failed; "What if it doesn't help?"
    # means what was asked about before.
    drugs = own_drugs or drugs
    if analysis.type not in ("management", "dose", "comparison") and not drugs:
        return None
    if not analysis.condition:
        return None
    span = _TIME_SPAN.search(question)
    tail = f" {span.group(0)}" if span else ""
    what = drugs[0] if len(drugs) == 1 else "first-line treatment"
    return f"How should {analysis.condition} be treated if {what} does not help{tail}?"


def _adds_a_setting(question: str, new_part: str, analysis: QuestionAnalysis) -> bool:
    """ "... in rheumatoid arthritis?" after a question that named no population or list."""
    return not (analysis.facets or analysis.populations) and bool(
        re.search(r"\bin\s+" + re.escape(new_part), question, re.IGNORECASE)
    )


_SETTING_TEMPLATES = {
    "yes_no": "Can {focus} occur in {setting}?",
    "frequency": "How often does {focus} occur in {setting}?",
    "management": "How is {focus} in {setting} treated?",
    "diagnosis": "How is {focus} in {setting} diagnosed?",
    "dose": "What is the dose of {focus} in {setting}?",
    "prognosis": "What is the prognosis of {focus} in {setting}?",
}


def _spelled_out(topic: str, question_type: str) -> str | None:
    """A bare follow-up ("How often?") asked of a topic that names a finding in a setting
    ("foot drop in lupus"), written as a whole question."""
    about = analyze_question(topic)
    if about.facets or not about.populations:
        return None
    return _asked_in(about, about.populations[0].name, question_type)


def _with_setting(analysis: QuestionAnalysis, setting: str) -> str | None:
    """The earlier question asked again for another population or condition.

    Rebuilt from the analysis rather than by splicing words, so a long earlier question
    ("... such as SLE, systemic sclerosis, MCTD, ...") gives "Can foot drop occur in
    rheumatoid arthritis?", not the old list with the new condition glued to its end.
    """
    if not (analysis.facets or analysis.populations):
        return None
    return _asked_in(analysis, setting)


def _asked_in(analysis: QuestionAnalysis, setting: str, question_type: str = "") -> str | None:
    """The question's findings asked about in a setting, in the words of its type's template
    ("How often does foot drop occur in lupus?"); None when either is missing."""
    findings = [c.name for c in analysis.findings]
    template = _SETTING_TEMPLATES.get(question_type or analysis.type)
    if not (findings and template):
        return None
    return template.format(focus=" and ".join(findings[:2]), setting=setting)


CONDENSE_PROMPT = (
    "Rewrite the clinician's last message as one standalone question that can be understood "
    "without the conversation. Keep medical terms exactly. If it is already standalone or is "
    "small talk, return it unchanged. Reply with the question only.\n\n"
    "Conversation:\n{history}\n\nLast message: {question}\n\nStandalone question:"
)


def llm_standalone(question: str, history: Sequence[Turn], chat_model: Any) -> str:
    from langchain_core.messages import HumanMessage

    if not history or is_small_talk(question):
        return question.strip()
    convo = "\n".join(f"Clinician: {t.question}\nAssistant: {t.answer[:300]}" for t in history[-4:])
    try:
        reply = chat_model.invoke(
            [HumanMessage(content=CONDENSE_PROMPT.format(history=convo, question=question))]
        )
        text = str(reply.content).strip().splitlines()[0].strip().strip('"')
    except Exception as exc:  # the rule-based rewrite is a safe fallback
        log.warning(
            "LLM condensation failed (%s); using the rule-based rewrite", type(exc).__name__
        )
        return rule_based_standalone(question, history)
    if 3 <= len(text) <= MAX_STANDALONE_CHARS:
        return text
    return rule_based_standalone(question, history)
