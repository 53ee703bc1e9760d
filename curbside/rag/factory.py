"""Builds the heavy collaborators (embedder, store, chat model, support scorer, engine) from
settings, in one place: the engine, the CLI, the UI and eval all come here, and the engine
itself never imports this module. The table of LLM backends is here too: settings, the CLI
and eval take their names from `curbside.settings.BACKENDS`, and a unit test holds the two
lists equal."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder
    from curbside.rag.engine import AnswerEngine
    from curbside.rag.store import ChunkStore
    from curbside.rag.support import SupportScorer
    from curbside.settings import GenerationSettings, Settings


def make_embedder(settings: Settings) -> Embedder:
    from curbside.rag.embedding import Embedder

    return Embedder.from_settings(settings.embedding)


def make_store(settings: Settings) -> ChunkStore:
    from curbside.rag.store import ChunkStore

    return ChunkStore.from_settings(settings)


def make_engine(settings: Settings, embedder: Embedder | None = None) -> AnswerEngine:
    from curbside.rag.engine import AnswerEngine
    from curbside.rag.retrieval import HybridRetriever

    embedder = embedder or make_embedder(settings)
    retriever = HybridRetriever(
        make_store(settings), embedder, settings.retrieval, settings.index_dir
    )
    chat_model = None
    if settings.generation.backend not in BUILT_IN_BACKENDS:
        chat_model = make_chat_model(settings.generation)
    scorer = make_support_scorer(settings, embedder, chat_model)
    return AnswerEngine(settings, retriever, scorer, embedder, chat_model)


def make_support_scorer(
    settings: Settings, embedder: Embedder, chat_model: Any = None
) -> SupportScorer:
    """The scorer that enforces citations: the LLM judge when `citations.scorer` is "llm"
    and a chat model is there, else the offline scorer with the calibrated weights
    (`curbside eval calibrate`) when the data folder has them."""
    if settings.citations.scorer == "llm" and chat_model is not None:
        return make_llm_judge_scorer(chat_model, settings.generation)
    return make_offline_scorer(settings, embedder)


def make_offline_scorer(settings: Settings, embedder: Embedder) -> SupportScorer:
    from curbside.rag.support import OfflineSupportScorer, load_scorer_weights

    return OfflineSupportScorer(embedder, load_scorer_weights(settings.resolved_data_dir))


def make_llm_judge_scorer(chat_model: Any, generation: GenerationSettings) -> SupportScorer:
    """Named after the model (`model_label`), so eval can tell when a run judges itself."""
    from curbside.rag.support import LLMJudgeScorer

    return LLMJudgeScorer(chat_model, model_label(generation))


def _llm_backends() -> dict[str, Callable[[GenerationSettings], Any]]:
    from curbside.rag.drafting import llm

    return {
        "openai": llm.openai_chat_model,
        "ollama": llm.ollama_chat_model,
        "llamacpp": llm.llamacpp_chat_model,
    }


#: Backends that need no chat model (the built-in writers).
BUILT_IN_BACKENDS = ("extractive",)


def llm_backend_names() -> tuple[str, ...]:
    return tuple(_llm_backends())


def make_chat_model(settings: GenerationSettings) -> Any:
    """The LangChain chat model of an LLM backend; a clear error for any other name."""
    from curbside.rag.drafting.llm import GeneratorUnavailable

    builders = _llm_backends()
    if settings.backend not in builders:
        raise GeneratorUnavailable(
            f"{settings.backend!r} is not an LLM backend; choose one of: {', '.join(builders)}"
        )
    return builders[settings.backend](settings)


def model_label(settings: GenerationSettings) -> str:
    """The name a model is known by in reports (and compared by to flag self-judging): the
    GGUF file for llamacpp, the model name and endpoint otherwise."""
    if settings.backend == "llamacpp":
        return f"llamacpp:{settings.gguf_path}"
    where = f"@{settings.base_url}" if settings.base_url else ""
    return f"{settings.backend}:{settings.model}{where}"
