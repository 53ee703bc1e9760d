"""A minimal LangChain chat model over llama-cpp-python, for a local GGUF file.

llama-cpp-python is an optional extra (it builds from source); it is imported only here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


@functools.lru_cache(maxsize=2)
def _load(path: str, n_ctx: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise RuntimeError(
            "the llamacpp backend needs llama-cpp-python: pip install 'curbside[llamacpp]'"
        ) from exc
    return Llama(model_path=path, n_ctx=n_ctx, n_threads=2, verbose=False)


@functools.lru_cache(maxsize=8)
def _lock_for(path: str, n_ctx: int) -> threading.Lock:
    """One lock per loaded model: a llama context cannot serve two calls at once, and every
    chat model object for the same file shares that context (`_load` caches it).

    A module-level lock, not a field: pydantic deep-copies field defaults, and a lock cannot
    be copied ("cannot pickle '_thread.lock' object" on construction)."""
    return threading.Lock()


class LlamaCppChat(BaseChatModel):
    model_path: str
    max_tokens: int = 600
    temperature: float = 0.0
    n_ctx: int = 4096

    @classmethod
    def from_path(cls, path: str, **kwargs: Any) -> LlamaCppChat:
        return cls(model_path=path, **kwargs)

    @property
    def _llm_type(self) -> str:
        return "curbside-llamacpp"

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(c.message.content for c in self._stream(messages, stop, run_manager))  # type: ignore[misc]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llm = _load(self.model_path, self.n_ctx)
        with _lock_for(self.model_path, self.n_ctx):
            for part in llm.create_chat_completion(
                messages=self._messages(messages),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                stop=stop,
                stream=True,
            ):
                delta = part["choices"][0].get("delta", {}).get("content") or ""
                if delta:
                    yield ChatGenerationChunk(message=AIMessageChunk(content=delta))
