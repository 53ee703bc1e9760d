"""The ONNX Runtime encoder against the real packaged all-MiniLM-L6-v2 and PyTorch.

What the tests rely on: the ONNX export is made once per session into a tmp cache dir (the
real ``torch.onnx.export`` path, as on a user's first run); the PyTorch reference is the
sentence-transformers model itself (``backend="torch"``); the chunks are the bundled
corpus's, made by the real loaders and chunker exactly as the Ingestor embeds them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
MAX_CHUNKS = 300  # enough to cover every corpus topic; encoding them twice takes ~30 s
HEAVY_MODULES = ("torch", "sentence_transformers", "transformers", "gradio")
ASK_FILES = (
    "aan-painful-diabetic-neuropathy-2022.md",
    "wiffen-gabapentin-2017.md",
    "stone-rave-rituximab-2010.md",
)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A cache dir holding a fresh fp32 export, and the log messages of that first use."""
    from curbside.rag.model_files import packaged_model_dir
    from curbside.rag.onnx_encoder import ensure_onnx_model

    cache = tmp_path_factory.mktemp("onnx-cache")
    records = _Records()
    logger = logging.getLogger("curbside.rag.onnx_encoder")
    logger.addHandler(records)
    try:
        ensure_onnx_model(packaged_model_dir(), cache, "none")
        ensure_onnx_model(packaged_model_dir(), cache, "none")  # second use: no export
    finally:
        logger.removeHandler(records)
    return cache, records.messages


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache: tuple[Path, list[str]]) -> Embedder:
    from curbside.rag.embedding import Embedder

    return Embedder(backend="onnx", cache_dir=onnx_cache[0])


@pytest.fixture(scope="session")
def torch_embedder() -> Embedder:
    from curbside.rag.embedding import Embedder

    return Embedder(backend="torch")


@pytest.fixture(scope="session")
def corpus_texts(onnx_embedder: Embedder) -> list[str]:
    """Embedding inputs of the bundled corpus's chunks (title + section + text), as ingested."""
    from curbside.ingest.chunking import chunk_document, embedding_text
    from curbside.ingest.loaders import SUPPORTED_SUFFIXES, loader_for
    from curbside.rag.models import SourceDocument
    from curbside.settings import IngestSettings

    budget, overlap = IngestSettings().chunk_tokens, IngestSettings().chunk_overlap_tokens
    texts: list[str] = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES):
        for doc in loader_for(path).load(path):
            if isinstance(doc, SourceDocument):
                for chunk in chunk_document(doc, onnx_embedder.count_tokens, budget, overlap):
                    texts.append(embedding_text(doc.meta.title, chunk))
    assert len(texts) >= 200, "the bundled corpus should give a few hundred chunks"
    return texts[:MAX_CHUNKS]


def test_first_use_exports_once_with_a_clear_message(onnx_cache: tuple[Path, list[str]]) -> None:
    cache, messages = onnx_cache
    exports = [m for m in messages if m.startswith("Exporting the embedding model to ONNX")]
    assert len(exports) == 1, messages
    (fp32,) = cache.glob("onnx/*/model-fp32.onnx")
    record = json.loads(fp32.with_suffix(".json").read_text())
    assert record["parity_min_cosine"] >= 0.9999
    assert not list(cache.glob("onnx/*/*.partial"))


def test_fp32_onnx_reproduces_pytorch_vectors_on_real_chunks(
    onnx_embedder: Embedder, torch_embedder: Embedder, corpus_texts: list[str]
) -> None:
    import numpy as np

    onnx = onnx_embedder.encode(corpus_texts)
    reference = torch_embedder.encode(corpus_texts)
    assert onnx.shape == reference.shape == (len(corpus_texts), 384)
    cosines = (onnx * reference).sum(axis=1)
    assert float(cosines.min()) >= 0.9999, f"min cosine {cosines.min():.6f}"
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    # Batch composition must not change a vector (length-sorted batches, padding).
    alone = onnx_embedder.encode([corpus_texts[7]])[0]
    assert float(alone @ onnx[7]) >= 0.99999
    assert onnx_embedder.embed_query(corpus_texts[0]) == pytest.approx(onnx[0].tolist(), abs=1e-5)


def test_token_counts_match_the_transformers_tokenizer(
    onnx_embedder: Embedder, torch_embedder: Embedder, corpus_texts: list[str]
) -> None:
    """Chunk boundaries (and so chunk ids) must not depend on the backend."""
    hf = torch_embedder.model.tokenizer
    texts = [*corpus_texts, "Sjögren's syndrome – naïve 0.5 mg/kg", "", "x " * 600]
    expected = hf(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    assert onnx_embedder.count_tokens(texts) == [len(ids) for ids in expected]
    assert torch_embedder.count_tokens(texts) == onnx_embedder.count_tokens(texts)
    assert onnx_embedder.max_tokens == torch_embedder.model.max_seq_length == 256


def test_int8_is_usable_but_never_shares_the_fp32_collection(
    onnx_cache: tuple[Path, list[str]], onnx_embedder: Embedder, corpus_texts: list[str]
) -> None:
    from curbside.rag.embedding import Embedder
    from curbside.settings import Settings

    int8 = Embedder(backend="onnx", quantization="int8", cache_dir=onnx_cache[0])
    vectors = int8.encode(corpus_texts[:32])
    cosines = (vectors * onnx_embedder.encode(corpus_texts[:32])).sum(axis=1)
    assert 0.5 < float(cosines.mean()) < 0.9999  # close, yet not the same vectors
    assert list(onnx_cache[0].glob("onnx/*/model-int8.onnx"))

    cache = {"cache_dir": onnx_cache[0]}
    torch_name = Settings(embedding={"backend": "torch", **cache}).collection_name
    assert Settings(embedding={"backend": "onnx", **cache}).collection_name == torch_name
    assert Settings(embedding={"quantization": "int8", **cache}).collection_name != torch_name


def test_packaged_model_named_by_path_is_the_same_collection(
    onnx_cache: tuple[Path, list[str]],
) -> None:
    from curbside.rag.model_files import packaged_model_dir
    from curbside.settings import Settings

    cache = {"cache_dir": onnx_cache[0]}
    default = Settings(embedding=cache)
    explicit = Settings(embedding={"model_path": packaged_model_dir(), **cache})
    assert default.collection_name == explicit.collection_name


ASK_SCRIPT = """
import json, sys
from curbside.cli import app
try:
    app(["ask", sys.argv[1], "--data-dir", sys.argv[2], "--json"])
    code = 0
except SystemExit as exc:
    code = exc.code or 0
heavy = [m for m in {heavy!r} if m in sys.modules]
print("RESULT " + json.dumps({{"code": code, "heavy": heavy, "ort": "onnxruntime" in sys.modules}}))
"""


def test_ask_runs_on_onnx_without_importing_torch(
    onnx_cache: tuple[Path, list[str]], onnx_embedder: Embedder, tmp_path: Path
) -> None:
    from curbside.ingest.pipeline import Ingestor
    from curbside.rag.factory import make_store
    from curbside.settings import Settings

    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, embedding={"cache_dir": onnx_cache[0]})
    report = Ingestor(settings, make_store(settings), onnx_embedder).run(
        [CORPUS / name for name in ASK_FILES]
    )
    assert report.ok and report.chunks_written > 0

    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    env["CURBSIDE_EMBEDDING__CACHE_DIR"] = str(onnx_cache[0])
    question = "Which drugs are recommended for painful diabetic neuropathy?"
    done = subprocess.run(
        [sys.executable, "-c", ASK_SCRIPT.format(heavy=HEAVY_MODULES), question, str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"no result line; stderr:\n{done.stderr[-3000:]}"
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result == {"code": 0, "heavy": [], "ort": True}, done.stderr[-3000:]
    assert "Exporting" not in done.stderr  # the cached export was found
    answer = json.loads(done.stdout[: done.stdout.index("RESULT ")])
    assert answer["references"], "the answer should cite the ingested sources"
