"""Helpers of the embedding benches: real chunk texts and the encoder variants compared.

Chunk texts are made as the Ingestor makes them (real loaders, the real chunker, title and
section prefixed). Variants share one ONNX export in the user cache (made on first use).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from curbside.rag.embedding import Embedder

Encode = Callable[[list[str]], "np.ndarray"]


def chunk_texts(paths: Iterable[Path], embedder: Embedder) -> list[tuple[str, str]]:
    """(source id, embedding text) of every chunk of the files, as the Ingestor embeds them."""
    from curbside.ingest.chunking import chunk_document, embedding_text
    from curbside.ingest.loaders import SUPPORTED_SUFFIXES, loader_for
    from curbside.rag.models import SourceDocument
    from curbside.settings import IngestSettings

    settings = IngestSettings(max_file_mb=200)
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            files.append(path)
    out: list[tuple[str, str]] = []
    for path in files:
        for doc in loader_for(path).load(path):
            if not isinstance(doc, SourceDocument):
                continue
            for chunk in chunk_document(
                doc, embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens
            ):
                out.append((doc.meta.id, embedding_text(doc.meta.title, chunk)))
    return out


def bert_optimized(fp32: Path) -> Path:
    """fp32 export run through onnxruntime's offline BERT optimiser (fused attention)."""
    from onnxruntime.transformers.optimizer import optimize_model

    target = fp32.with_name("model-fp32-bert-optimized.onnx")
    if not target.exists():
        optimize_model(
            str(fp32), model_type="bert", num_heads=12, hidden_size=384
        ).save_model_to_file(str(target))
    return target


def onnx_variants(names: Sequence[str], batch_size: int = 16) -> dict[str, Encode]:
    """Encoders on the cached export, by name (see VARIANTS)."""
    from curbside.rag.model_files import default_cache_dir, packaged_model_dir
    from curbside.rag.onnx_encoder import OnnxEncoder, ensure_onnx_model

    model_dir = packaged_model_dir()
    fp32 = ensure_onnx_model(model_dir, default_cache_dir(), "none")
    out: dict[str, Encode] = {}
    for name in names:
        spec = VARIANTS[name]
        path = fp32
        if spec.get("file") == "int8":
            path = ensure_onnx_model(model_dir, default_cache_dir(), "int8")
        elif spec.get("file") == "bert":
            path = bert_optimized(fp32)
        encoder = OnnxEncoder(
            path,
            model_dir,
            max_threads=spec.get("threads"),
            optimization=spec.get("optimization", "all"),
            allow_spinning=spec.get("spinning", True),
        )
        size = int(spec.get("batch", batch_size))
        if spec.get("unsorted"):
            out[name] = _in_input_order(encoder, size)
        else:
            out[name] = _bound(encoder, size)
    return out


def _bound(encoder: Any, size: int) -> Encode:
    return lambda texts: encoder.encode(texts, batch_size=size)


def _in_input_order(encoder: Any, size: int) -> Encode:
    """Consecutive slices of the input, each padded to its own longest text (no sorting)."""
    import numpy as np

    def encode(texts: list[str]) -> np.ndarray:
        parts = [
            encoder.encode(texts[i : i + size], batch_size=size) for i in range(0, len(texts), size)
        ]
        return np.concatenate(parts) if parts else encoder.encode([])

    return encode


#: name -> OnnxEncoder options; "onnx" is the product default (batch 16, as in settings).
VARIANTS: dict[str, dict[str, Any]] = {
    "onnx": {},
    "onnx input-order batches": {"unsorted": True},
    "onnx 1 thread": {"threads": 1},
    "onnx no thread spinning": {"spinning": False},
    "onnx graph opt basic": {"optimization": "basic"},
    "onnx graph opt off": {"optimization": "disable"},
    "onnx offline BERT optimiser": {"file": "bert"},
    "onnx batch 8": {"batch": 8},
    "onnx batch 32": {"batch": 32},
    "onnx batch 64": {"batch": 64},
    "onnx int8": {"file": "int8"},
}
