"""The ONNX inference path on a tiny hand-made model and tokenizer (no real weights).

The "transformer" is one Gather: each token id looks up a row of a small table, so the
expected sentence vector is the normalised mean of the rows of its tokens. The padding row
is huge, so any padding that leaks into the mean shows. Relies on onnx, onnxruntime and
tokenizers, which the project depends on; nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

VOCAB = ["[PAD]", "[UNK]", "fever", "rash", "joint", "pain", "nerve", "biopsy", "weakness"]
DIM = 4


def write_tokenizer(folder: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    tokenizer = Tokenizer(WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    # As in all-MiniLM-L6-v2's tokenizer.json: fixed padding and truncation at 128.
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", length=128)
    tokenizer.enable_truncation(max_length=128)
    tokenizer.save(str(folder / "tokenizer.json"))


def write_lookup_model(path: Path, table: np.ndarray) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info(
        "last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", DIM]
    )
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"], axis=0)],
        "lookup",
        inputs,
        [output],
        initializer=[numpy_helper.from_array(table.astype(np.float32), "table")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


@pytest.fixture
def encoder(tmp_path: Path):  # type: ignore[no-untyped-def]
    from curbside.rag.onnx_encoder import OnnxEncoder

    rng = np.random.default_rng(3)
    table = rng.normal(size=(len(VOCAB), DIM))
    table[0] = 1000.0  # padding must never reach the mean
    write_tokenizer(tmp_path)
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 5}')
    write_lookup_model(tmp_path / "lookup.onnx", table)
    return OnnxEncoder(tmp_path / "lookup.onnx", tmp_path, max_threads=1), table


def expected(table: np.ndarray, text: str, limit: int = 5) -> np.ndarray:
    ids = [VOCAB.index(w) if w in VOCAB else 1 for w in text.split()][:limit]
    mean = table[ids].mean(axis=0)
    return mean / np.linalg.norm(mean)


def test_vectors_do_not_depend_on_the_batch_they_are_in(encoder) -> None:  # type: ignore[no-untyped-def]
    onnx_encoder, table = encoder
    texts = ["fever", "joint pain rash", "nerve biopsy weakness fever rash pain", "rash", "x y"]
    together = onnx_encoder.encode(texts, batch_size=2)
    for i, text in enumerate(texts):
        np.testing.assert_allclose(together[i], expected(table, text), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(onnx_encoder.encode([text])[0], together[i], atol=1e-6)


def test_texts_are_cut_at_max_seq_length_and_not_padded_by_the_tokenizer(encoder) -> None:  # type: ignore[no-untyped-def]
    onnx_encoder, _ = encoder
    assert onnx_encoder.max_seq_length == 5
    assert len(onnx_encoder.tokenizer.encode("fever rash joint pain nerve biopsy").ids) == 5
    assert len(onnx_encoder.tokenizer.encode("fever").ids) == 1


def test_counting_tokenizer_neither_truncates_nor_pads(tmp_path: Path) -> None:
    from curbside.rag.model_files import load_fast_tokenizer, pad_token_id

    write_tokenizer(tmp_path)
    counting = load_fast_tokenizer(tmp_path, max_length=None)
    assert len(counting.encode(" ".join(["rash"] * 300)).ids) == 300
    assert len(counting.encode("rash").ids) == 1
    assert pad_token_id(tmp_path) == 0


def test_empty_input_gives_an_empty_matrix(encoder) -> None:  # type: ignore[no-untyped-def]
    onnx_encoder, _ = encoder
    assert onnx_encoder.encode([]).shape == (0, DIM)
