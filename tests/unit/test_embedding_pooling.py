"""The arithmetic of the ONNX encoder without a model: pooling, batching, padding.

Relies on numpy only; the comparison with sentence-transformers' own vectors is in
tests/integration/test_onnx_embedding.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from curbside.rag.onnx_encoder import (
    length_sorted_batches,
    mean_pool_normalize,
    onnx_model_path,
    pad_batch,
)


def test_mean_pool_ignores_padding_and_normalises() -> None:
    hidden = np.array(
        [
            [[3.0, 0.0], [1.0, 0.0], [100.0, 100.0]],  # last token is padding
            [[0.0, 2.0], [0.0, 4.0], [0.0, 6.0]],
        ],
        dtype=np.float32,
    )
    mask = np.array([[1, 1, 0], [1, 1, 1]])
    pooled = mean_pool_normalize(hidden, mask)
    assert pooled.dtype == np.float32
    np.testing.assert_allclose(pooled, [[1.0, 0.0], [0.0, 1.0]], atol=1e-7)


def test_mean_pool_equals_the_reference_formula() -> None:
    rng = np.random.default_rng(7)
    hidden = rng.normal(size=(4, 6, 8)).astype(np.float32)
    mask = np.array([[1] * 6, [1] * 3 + [0] * 3, [1] + [0] * 5, [1] * 5 + [0]])
    expected = []
    for row, m in zip(hidden, mask, strict=True):
        mean = row[m.astype(bool)].mean(axis=0)
        expected.append(mean / np.linalg.norm(mean))
    np.testing.assert_allclose(mean_pool_normalize(hidden, mask), expected, rtol=1e-5, atol=1e-6)
    assert np.allclose(np.linalg.norm(mean_pool_normalize(hidden, mask), axis=1), 1.0)


def test_mean_pool_of_an_all_padding_row_is_zero_not_nan() -> None:
    pooled = mean_pool_normalize(np.ones((1, 3, 4), dtype=np.float32), np.zeros((1, 3)))
    assert np.all(pooled == 0.0)


def test_length_sorted_batches_cover_every_index_once_longest_first() -> None:
    lengths = [5, 90, 12, 90, 3, 40, 7]
    batches = length_sorted_batches(lengths, batch_size=3)
    assert [len(b) for b in batches] == [3, 3, 1]
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    assert flat[:2] == [1, 3]  # equal lengths keep their input order


def test_length_sorted_batches_edge_cases() -> None:
    assert length_sorted_batches([], 4) == []
    with pytest.raises(ValueError):
        length_sorted_batches([1], 0)


def test_pad_batch_pads_right_with_mask_and_types() -> None:
    batch = pad_batch([([101, 7, 102], [0, 0, 0]), ([101, 102], [0, 1])], pad_id=0)
    np.testing.assert_array_equal(batch["input_ids"], [[101, 7, 102], [101, 102, 0]])
    np.testing.assert_array_equal(batch["attention_mask"], [[1, 1, 1], [1, 1, 0]])
    np.testing.assert_array_equal(batch["token_type_ids"], [[0, 0, 0], [0, 1, 0]])
    assert all(a.dtype == np.int64 for a in batch.values())


def test_onnx_files_are_kept_per_model_digest_and_quantisation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fp32 = onnx_model_path(tmp_path, "ab" * 32, "none")
    int8 = onnx_model_path(tmp_path, "ab" * 32, "int8")
    other = onnx_model_path(tmp_path, "cd" * 32, "none")
    assert fp32.parent == int8.parent != other.parent
    assert fp32 != int8
    assert fp32.is_relative_to(tmp_path)
