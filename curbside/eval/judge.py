"""The judge that grades answers: a support scorer plus a threshold, with a cache.

The default judge is the offline scorer; ``llm`` uses the LLM-judge scorer with a chat
model from the generation settings. A run is *self-judged* when the judge is the same
scorer that enforced the citations; reports flag it, because the run then grades its own
homework.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder
    from curbside.rag.support import SupportScorer
    from curbside.settings import GenerationSettings, Settings

JUDGES = ("offline", "llm")


class ScorerJudge:
    """``supports(sentence, passages)``: the scorer's score reaches the threshold."""

    def __init__(self, scorer: SupportScorer, threshold: float) -> None:
        self.scorer = scorer
        self.threshold = threshold
        self.name = scorer.name
        self._cache: dict[tuple[str, tuple[str, ...]], float] = {}

    def score(self, sentence: str, passages: Sequence[str]) -> float:
        key = (sentence, tuple(passages))
        if key not in self._cache:
            self._cache[key] = self.scorer.score(sentence, list(passages))
        return self._cache[key]

    def supports(self, sentence: str, passages: Sequence[str]) -> bool:
        return bool(passages) and self.score(sentence, passages) >= self.threshold


def make_judge(
    kind: str, settings: Settings, embedder: Embedder, llm: GenerationSettings | None = None
) -> ScorerJudge:
    """Build the judge named on the command line ("offline" or "llm").

    The LLM judge uses ``llm`` when given (e.g. a local GGUF while the answers were drafted
    extractively), else the generation settings of the run.
    """
    from curbside.rag.factory import make_chat_model, make_llm_judge_scorer, make_offline_scorer

    if kind == "offline":
        return ScorerJudge(
            make_offline_scorer(settings, embedder), settings.citations.support_threshold
        )
    if kind == "llm":
        generation = llm or settings.generation
        if generation.backend == "extractive":
            raise ValueError(
                "--judge llm needs an LLM: give --judge-backend (openai, ollama or llamacpp) "
                "with --judge-model/--judge-base-url/--judge-gguf, or an LLM generation backend"
            )
        return ScorerJudge(make_llm_judge_scorer(make_chat_model(generation), generation), 0.5)
    raise ValueError(f"unknown judge {kind!r}; choose one of {', '.join(JUDGES)}")


def is_self_judged(judge_name: str, enforcement_scorer_name: str) -> bool:
    return judge_name == enforcement_scorer_name
