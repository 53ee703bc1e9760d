"""all-MiniLM-L6-v2 on ONNX Runtime: exported once from the packaged weights, no torch after.

The export (``torch.onnx.export`` of the transformer, opset 17, dynamic batch and sequence
axes) runs on first use and is cached under ``<cache_dir>/onnx/<model digest>/``. Right after
exporting, the file is checked against the PyTorch model it came from (min cosine of the
sentence vectors >= PARITY_MIN_COSINE) and deleted if it does not reproduce them. Sentence
vectors are made as sentence-transformers makes them: the model's fast tokenizer (truncated at
max_seq_length), the transformer, a mean over the attention mask, L2 normalisation.

    python -m curbside.rag.onnx_encoder [--int8]     # export now (``make setup`` does)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from curbside.rag.model_files import (
    file_sha256,
    load_fast_tokenizer,
    max_seq_length,
    model_digest,
    pad_token_id,
)

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

Quantization = Literal["none", "int8"]
GraphOptimization = Literal["disable", "basic", "extended", "all"]

ONNX_OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
PARITY_MIN_COSINE = 0.9999
PARITY_TEXTS = (
    "What is the first-line treatment for anaphylaxis?",
    "Intramuscular adrenaline 0.5 mg (0.5 mL of 1:1000) into the anterolateral thigh.",
    "Metformin remains the preferred initial pharmacological agent for type 2 diabetes.",
    "Rituximab was not inferior to cyclophosphamide for remission induction in ANCA-"
    "associated vasculitis; relapses were more frequent after 18 months in both groups.",
    "ok",
)


# ---- pure helpers ---------------------------------------------------------------------
def mean_pool_normalize(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors where ``mask`` is 1, then L2-normalised (float32).

    The same arithmetic as sentence-transformers' Pooling(mean) + Normalize modules: the
    token count is clipped at 1e-9 and the norm at 1e-12, so an all-padding row gives zeros.
    """
    import numpy as np

    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return (pooled / norms).astype(np.float32)


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first, so padding is small.

    The order within equal lengths is the input order (stable), which keeps runs repeatable.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def pad_batch(
    rows: Sequence[tuple[Sequence[int], Sequence[int]]], pad_id: int = 0
) -> dict[str, np.ndarray]:
    """(ids, type_ids) rows -> int64 input_ids / attention_mask / token_type_ids, padded right."""
    import numpy as np

    width = max((len(ids) for ids, _ in rows), default=0)
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    attention = np.zeros((len(rows), width), dtype=np.int64)
    types = np.zeros((len(rows), width), dtype=np.int64)
    for row, (ids, type_ids) in enumerate(rows):
        input_ids[row, : len(ids)] = ids
        attention[row, : len(ids)] = 1
        types[row, : len(type_ids)] = type_ids
    return {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": types}


def onnx_model_path(cache_dir: Path, digest: str, quantization: Quantization) -> Path:
    name = "model-int8.onnx" if quantization == "int8" else "model-fp32.onnx"
    return Path(cache_dir) / "onnx" / digest[:16] / name


# ---- export ---------------------------------------------------------------------------
@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One exporter at a time per cache folder (another process waits, then finds the file)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: exports may race, and os.replace keeps files whole
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray((a * b).sum(axis=1), dtype=np.float64)  # both L2-normalised


def export_fp32(model_dir: Path, target: Path, max_threads: int | None = None) -> dict[str, Any]:
    """Export the transformer of `model_dir` to `target` and check it reproduces PyTorch.

    Returns the export record (also written beside the file as JSON). Raises RuntimeError,
    leaving no file behind, when the exported vectors drift from the PyTorch ones.
    """
    import numpy as np
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if max_threads:
        torch.set_num_threads(max_threads)
    # Eager attention: the SDPA path branches on Python values (the tracer warns about them),
    # which a trace freezes; eager is plain MatMul/Softmax with the mask added.
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    bert.eval()

    class _LastHiddenState(torch.nn.Module):
        """Keyword call: transformers 5 reads positional arguments as other parameters."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    tokenizer = load_fast_tokenizer(model_dir, max_seq_length(model_dir))

    def batch_of(texts: Sequence[str]) -> dict[str, np.ndarray]:
        return pad_batch([(e.ids, e.type_ids) for e in tokenizer.encode_batch(list(texts))])

    # Traced on two texts; checked on other batch shapes, with and without padding, up to
    # a text cut at max_seq_length beside a one-word one.
    example = batch_of(PARITY_TEXTS[:2])
    longest = " ".join(PARITY_TEXTS * 12)
    checks = [batch_of(PARITY_TEXTS), batch_of(PARITY_TEXTS[3:4] * 3), batch_of([longest, "ok"])]
    tensors = tuple(torch.from_numpy(example[name]) for name in INPUT_NAMES)
    wrapper = _LastHiddenState(bert).eval()
    dynamic = {name: {0: "batch", 1: "sequence"} for name in (*INPUT_NAMES, OUTPUT_NAME)}

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # Tracer notes about constant Python values; the parity check below is the proof.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                tensors,
                str(partial),
                input_names=list(INPUT_NAMES),
                output_names=[OUTPUT_NAME],
                dynamic_axes=dynamic,
                opset_version=ONNX_OPSET,
                dynamo=False,  # the dynamo exporter needs onnxscript, which is not installed
            )
        session = _session(partial, max_threads, "all")
        parity = 1.0
        for batch in checks:
            mask = batch["attention_mask"]
            with torch.no_grad():
                inputs = (torch.from_numpy(batch[name]) for name in INPUT_NAMES)
                expected = mean_pool_normalize(wrapper(*inputs).numpy(), mask)
            got = mean_pool_normalize(session.run([OUTPUT_NAME], batch)[0], mask)
            parity = min(parity, float(_cosines(expected, got).min()))
        if not np.isfinite(parity) or parity < PARITY_MIN_COSINE:
            raise RuntimeError(
                f"the ONNX export of {model_dir} does not reproduce the PyTorch vectors "
                f"(min cosine {parity:.6f} < {PARITY_MIN_COSINE}); use embedding.backend=torch"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    record = {
        "source": str(model_dir),
        "opset": ONNX_OPSET,
        "torch": torch.__version__,
        "parity_min_cosine": parity,
        "sha256": file_sha256(target),
    }
    target.with_suffix(".json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    return record


class _BelowError(logging.Filter):
    """Drops records under ERROR that come from files of the named package."""

    def __init__(self, package: str) -> None:
        super().__init__()
        self.marker = f"{os.sep}{package}{os.sep}"

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or self.marker not in record.pathname


def quantize_int8(source: Path, target: Path) -> dict[str, Any]:
    """Dynamic int8 quantisation of the weights (onnxruntime.quantization)."""
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    quiet = _BelowError("onnxruntime")  # its advice on pre-processing goes to the root logger
    logging.getLogger().addFilter(quiet)
    try:
        quantize_dynamic(str(source), str(partial), weight_type=QuantType.QInt8)
        partial.replace(target)
    finally:
        logging.getLogger().removeFilter(quiet)
        partial.unlink(missing_ok=True)
    record = {
        "source_sha256": file_sha256(source),
        "quantizer": f"onnxruntime {onnxruntime.__version__} quantize_dynamic QInt8",
        "sha256": file_sha256(target),
    }
    target.with_suffix(".json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    return record


def ensure_onnx_model(
    model_dir: Path,
    cache_dir: Path,
    quantization: Quantization = "none",
    max_threads: int | None = None,
) -> Path:
    """The cached ONNX file for `model_dir`, exported (and quantised) first if missing."""
    digest = model_digest(model_dir, cache_dir)
    fp32 = onnx_model_path(cache_dir, digest, "none")
    target = onnx_model_path(cache_dir, digest, quantization)
    if target.is_file():
        return target
    with _exclusive(target.parent / ".export.lock"):
        if not fp32.is_file():
            log.warning(
                "Exporting the embedding model to ONNX (once; 15-60 s): %s -> %s",
                model_dir,
                fp32,
            )
            started = time.perf_counter()
            record = export_fp32(model_dir, fp32, max_threads)
            log.warning(
                "ONNX export done in %.0f s (min cosine to PyTorch %.6f)",
                time.perf_counter() - started,
                record["parity_min_cosine"],
            )
        if quantization == "int8" and not target.is_file():
            log.warning("Quantising the ONNX embedding model to int8 (once): %s", target)
            quantize_int8(fp32, target)
    return target


# ---- inference ------------------------------------------------------------------------
_LEVELS = {"disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC"}
_LEVELS.update(extended="ORT_ENABLE_EXTENDED", all="ORT_ENABLE_ALL")


def _session(
    path: Path,
    max_threads: int | None,
    optimization: GraphOptimization,
    allow_spinning: bool = True,
) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, _LEVELS[optimization])
    options.intra_op_num_threads = max_threads or 0  # 0: onnxruntime's default (all cores)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if not allow_spinning:  # spinning threads burn CPU between batches on a shared machine
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Sentence vectors from an ONNX transformer file and the model folder's tokenizer."""

    def __init__(
        self,
        onnx_path: Path,
        model_dir: Path,
        max_threads: int | None = None,
        optimization: GraphOptimization = "all",
        allow_spinning: bool = True,
    ) -> None:
        self.onnx_path = Path(onnx_path)
        self.max_seq_length = max_seq_length(model_dir)
        self.tokenizer = load_fast_tokenizer(model_dir, self.max_seq_length)
        self.pad_id = pad_token_id(model_dir)
        self.session = _session(self.onnx_path, max_threads, optimization, allow_spinning)
        self.input_names = [i.name for i in self.session.get_inputs()]

    def encode(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        import numpy as np

        encoded = self.tokenizer.encode_batch(list(texts))
        dim = int(self.session.get_outputs()[0].shape[-1] or 384)
        out = np.zeros((len(encoded), dim), dtype=np.float32)
        for indices in length_sorted_batches([len(e.ids) for e in encoded], batch_size):
            batch = pad_batch([(encoded[i].ids, encoded[i].type_ids) for i in indices], self.pad_id)
            feeds = {name: batch[name] for name in self.input_names}
            hidden = self.session.run([OUTPUT_NAME], feeds)[0]
            out[indices] = mean_pool_normalize(hidden, batch["attention_mask"])
        return out


def main(argv: list[str] | None = None) -> int:
    """Export (and optionally quantise) the configured model now, e.g. from ``make setup``."""
    import argparse

    from curbside.offline import apply_offline_env
    from curbside.rag.model_files import resolve_model_dir
    from curbside.settings import Settings

    parser = argparse.ArgumentParser(description="Export the embedding model to ONNX once.")
    parser.add_argument("--int8", action="store_true", help="also write the int8 variant")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    apply_offline_env()
    settings = Settings().embedding  # type: ignore[call-arg]  # CURBSIDE_EMBEDDING__* apply
    model_dir = resolve_model_dir(settings.model_path)
    cache_dir = settings.resolved_cache_dir
    for quantization in ("none", "int8") if args.int8 else ("none",):
        path = ensure_onnx_model(model_dir, cache_dir, quantization, settings.max_threads)
        log.warning("ONNX embedding model ready: %s", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
