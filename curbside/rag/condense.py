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

from curbside.rag.models import Turn
from curbside.rag.text import content_words

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
_PRONOUN = re.compile(r"\b(it|its|this|that|these|those|they|them|there|such)\b", re.IGNORECASE)
_SLOT = re.compile(
    r"^(?P<head>.*\b(?:in|with|for|among|after|during|from|of))\s+(?P<slot>[^?]+?)\s*\?*\s*$",
    re.IGNORECASE,
)
_QUESTION_LEAD = re.compile(
    r"^\s*(can|could|does|do|is|are|should|what (is|are)( the)?|"
    r"how (is|are|do|should)( i| we| you)?|"
    r"what|when|which|why|how|tell me about)\s+",
    re.IGNORECASE,
)


def is_small_talk(text: str) -> bool:
    return bool(_SMALL_TALK.match(text))


def needs_context(question: str) -> bool:
    """A follow-up leans on the conversation: it starts like one, points back, or is tiny."""
    if _FOLLOW_UP_START.match(question):
        return True
    words = content_words(question)
    if _PRONOUN.search(question) and len(words) <= 5:
        return True
    return len(words) <= 2


_LINKING_VERB = re.compile(
    r"\s+(occur|happen|develop|appear|arise|present|be seen|be found|be caused)\b", re.IGNORECASE
)
_ASPECT = re.compile(
    r"^(the\s+)?(treatment|therapy|management|dose|dosing|dosage|diagnosis|work-?up|"
    r"evaluation|tests?|testing|imaging|prognosis|outcome|causes?|mechanisms?|side effects|"
    r"risks?|surgery|prevention|screening|first[- ]line|second[- ]line|follow-?up|duration)\b",
    re.IGNORECASE,
)


_VERB = re.compile(
    r"\s+(be|been|being|get|gets|is|are|was|were|be used|used|treated|managed|diagnosed|"
    r"recommended|needed|indicated|helpful|useful|effective|safe|work|works|help|helps|"
    r"improve|improves|cause|caused|mean|means)\b",
    re.IGNORECASE,
)


def topic_of(question: str) -> str:
    """The subject of a standalone question as a noun phrase, without question words or verbs:
    "Should an ankle-foot orthosis be used for foot drop after stroke?" ->
    "ankle-foot orthosis for foot drop after stroke"."""
    topic = _QUESTION_LEAD.sub("", question.strip()).rstrip("?. ").strip()
    topic = _LINKING_VERB.sub("", topic)
    topic = _VERB.sub("", topic)
    topic = re.sub(r"^(a|an|the|my|our|your)\s+", "", topic, flags=re.IGNORECASE)
    topic = re.sub(r"\s+", " ", topic).strip()
    return topic or question.strip().rstrip("?")


def rule_based_standalone(question: str, history: Sequence[Turn]) -> str:
    question = question.strip()
    earlier = [t for t in history if not is_small_talk(t.question)]
    if not earlier or is_small_talk(question) or not needs_context(question):
        return question
    previous = earlier[-1].question  # already standalone when the engine stores turns
    new_part = _FOLLOW_UP_START.sub("", question).strip().rstrip("?. ").strip()
    new_part = re.sub(r"^(in|with|for|among|the)\s+", "", new_part, flags=re.IGNORECASE)
    topic = topic_of(previous)
    if _ASPECT.match(new_part) and len(content_words(new_part)) <= 3:
        # "and the treatment?" -> "What is the treatment of foot drop in SLE?"
        aspect = re.sub(r"^the\s+", "", new_part, flags=re.IGNORECASE)
        return f"What is the {aspect} of {topic}?"
    slot = _SLOT.match(previous.strip())
    if (
        slot
        and new_part
        and not _PRONOUN.search(new_part)
        and len(content_words(new_part)) <= 4
        and _FOLLOW_UP_START.match(question)
    ):
        # "Can foot drop occur in SLE?" + "what about Sjogren's?" -> "... occur in Sjogren's?"
        return f"{slot.group('head')} {new_part}?"
    if _PRONOUN.search(question):
        rewritten = _PRONOUN.sub(topic, question, count=1)
        return rewritten if rewritten.endswith("?") else rewritten.rstrip(".") + "?"
    return f"{new_part or question.rstrip('?')} (regarding {topic})?"


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
    return text if 3 <= len(text) <= 500 else rule_based_standalone(question, history)
