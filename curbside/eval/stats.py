"""Bootstrap confidence intervals for per-question metric values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_RESAMPLES = 2000


def mean_ci(
    values: Sequence[float | None],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float | int | None]:
    """Mean of the non-missing values with a percentile-bootstrap CI."""
    data = np.array([v for v in values if v is not None], dtype=float)
    if data.size == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    return {
        "mean": float(data.mean()),
        "low": float(np.percentile(means, tail)),
        "high": float(np.percentile(means, 100 - tail)),
        "n": int(data.size),
    }


def paired_delta_ci(
    a: Sequence[float],
    b: Sequence[float],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float | int | None]:
    """Mean of b - a over paired questions, with a paired bootstrap CI."""
    if len(a) != len(b):
        raise ValueError("paired values must have the same length")
    return mean_ci([y - x for x, y in zip(a, b, strict=True)], resamples, seed, level)
