"""Collection naming from the embedding identity, on fake model folders (no model loaded).

What the tests rely on: ``EmbeddingSettings.identity()`` hashes the vector-shaping files of
``model_path`` (model_files.VECTOR_FILES); torch and fp32 ONNX are one vector family, int8 is
another; settings groups validate assignments.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from curbside.rag import model_files
from curbside.settings import Settings


def fake_model(folder: Path, weights: bytes = b"weights-v1") -> Path:
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "config.json").write_text('{"hidden_size": 384}')
    (folder / "sentence_bert_config.json").write_text('{"max_seq_length": 256}')
    (folder / "README.md").write_text("a model card")
    return folder


@pytest.fixture
def make(tmp_path: Path):  # type: ignore[no-untyped-def]
    model = fake_model(tmp_path / "model")

    def settings(**embedding: object) -> Settings:
        embedding = {"model_path": model, "cache_dir": tmp_path / "cache", **embedding}
        return Settings(data_dir=tmp_path / "data", embedding=embedding)

    return settings


def test_torch_and_fp32_onnx_share_a_collection_int8_does_not(make) -> None:  # type: ignore[no-untyped-def]
    onnx = make(backend="onnx")
    torch = make(backend="torch")
    int8 = make(backend="onnx", quantization="int8")
    assert onnx.collection_name == torch.collection_name
    assert int8.collection_name != onnx.collection_name
    assert "-int8-" in int8.collection_name
    assert int8.index_dir != onnx.index_dir


def test_the_collection_follows_the_model_files_not_the_label(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = make()
    other_model = fake_model(tmp_path / "other", weights=b"weights-v2")
    assert make(model_path=other_model).collection_name != base.collection_name
    # The label names the collection but is not the identity of the vectors.
    relabelled = make(model_name="acme/my-encoder")
    assert relabelled.vector_fingerprint() == base.vector_fingerprint()
    assert relabelled.collection_name.startswith("curbside-my-encoder-")


def test_assigning_model_path_changes_the_collection(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make()
    before = settings.collection_name
    settings.embedding.model_path = str(fake_model(tmp_path / "swapped", weights=b"other"))  # type: ignore[assignment]
    assert isinstance(settings.embedding.model_path, Path)  # validated and coerced
    assert settings.collection_name != before


def test_files_that_do_not_shape_vectors_are_ignored(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make()
    before = settings.collection_name
    (tmp_path / "model" / "README.md").write_text("an edited model card")
    assert settings.collection_name == before
    (tmp_path / "model" / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    assert settings.collection_name != before


def test_digest_is_cached_by_size_and_mtime(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make()
    first = settings.embedding.identity()["model_sha256"]
    cache = json.loads((tmp_path / "cache" / model_files.DIGEST_CACHE_FILE).read_text())
    assert cache[str(tmp_path / "model")]["sha256"] == first
    # Same size and mtime: the remembered digest is used, the file is not read again.
    weights = tmp_path / "model" / "model.safetensors"
    stat = weights.stat()
    weights.write_bytes(b"weights-v9")
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    model_files._digest_cached.cache_clear()
    assert settings.embedding.identity()["model_sha256"] == first
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert settings.embedding.identity()["model_sha256"] != first


def test_a_missing_model_folder_is_a_clear_error(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileNotFoundError, match="no model files"):
        make(model_path=tmp_path / "nowhere").collection_name  # noqa: B018


def test_int8_needs_the_onnx_backend(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="int8 needs backend onnx"):
        make(backend="torch", quantization="int8")
    settings = make(quantization="int8")
    with pytest.raises(ValidationError):
        settings.embedding.backend = "torch"


def test_assignments_are_validated_like_environment_values(make) -> None:  # type: ignore[no-untyped-def]
    settings = make()
    with pytest.raises(ValidationError):
        settings.embedding.backend = "tensorflow"  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        settings.ui.port = 70000
    with pytest.raises(ValidationError):
        settings.embedding.max_threads = 0


def test_environment_chooses_backend_and_quantisation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CURBSIDE_EMBEDDING__BACKEND", "torch")
    monkeypatch.setenv("CURBSIDE_EMBEDDING__CACHE_DIR", str(tmp_path / "c"))
    settings = Settings()  # type: ignore[call-arg]
    assert settings.embedding.backend == "torch"
    assert settings.embedding.resolved_cache_dir == tmp_path / "c"
    assert Settings(embedding={"backend": "onnx"}).embedding.quantization == "none"
