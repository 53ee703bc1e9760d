"""Builds the heavy collaborators (embedder, store, engine) from settings, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder
    from curbside.rag.engine import AnswerEngine
    from curbside.rag.store import ChunkStore
    from curbside.settings import Settings


def make_embedder(settings: Settings) -> Embedder:
    from curbside.rag.embedding import Embedder

    return Embedder(
        model_path=settings.embedding.model_path,
        batch_size=settings.embedding.batch_size,
        max_threads=settings.embedding.max_threads,
    )


def make_store(settings: Settings) -> ChunkStore:
    from curbside.rag.store import ChunkStore

    return ChunkStore.from_settings(settings)


def make_engine(settings: Settings, embedder: Embedder | None = None) -> AnswerEngine:
    from curbside.rag.engine import AnswerEngine

    return AnswerEngine.from_settings(settings, embedder=embedder)
