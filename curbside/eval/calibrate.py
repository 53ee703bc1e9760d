"""Calibrate the offline support scorer on ExpertQA claims with human support labels.

ExpertQA (Malaviya et al. 2024) records, per answer system, claims with the evidence the
answer cited and an annotator's judgement ``support``: Complete / Partial / Incomplete /
Missing (N/A when there was nothing to judge). We take Complete as *supported* and Partial,
Incomplete and Missing as *not supported*; N/A and claims without evidence are left out.

The scorer's signals (`OfflineSupportScorer.signals`) are the features of an L2-regularised
logistic regression (fitted with Newton's method in numpy). The decision threshold on its
probability is chosen on the training folds to maximise accuracy and then folded into the
bias, so the fitted weights decide at 0.5, the engine's default `support_threshold`.
Agreement with the labels (accuracy, Cohen's kappa, precision and recall of "supported") is
measured on held-out folds of a k-fold cross-validation.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from curbside.rag.support import OfflineSupportScorer, ScorerWeights

SUPPORTED = {"complete"}
NOT_SUPPORTED = {"partial", "incomplete", "missing"}
FEATURES = (
    "similarity",
    "coverage",
    "missing_numbers",
    "missing_specific",
    "negation_mismatch",
    "modality_mismatch",
)


@dataclass
class LabelledClaim:
    claim: str
    evidence: list[str]
    supported: bool


def _evidence_text(raw: str) -> str:
    """ExpertQA evidence starts with '[n] url' on its own line; keep the quoted text."""
    return re.sub(r"^\s*\[\d+\][^\n]*\n+", "", raw).strip()


def load_expertqa_claims(path: Path) -> list[LabelledClaim]:
    claims: list[LabelledClaim] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            for answer in (record.get("answers") or {}).values():
                for claim in answer.get("claims") or []:
                    label = str(claim.get("support") or "").strip().lower()
                    evidence = [_evidence_text(e) for e in claim.get("evidence") or []]
                    evidence = [e for e in evidence if e]
                    text = str(claim.get("claim_string") or "").strip()
                    if not text or not evidence or label not in SUPPORTED | NOT_SUPPORTED:
                        continue
                    key = (text, tuple(evidence))
                    if key in seen:
                        continue
                    seen.add(key)
                    claims.append(LabelledClaim(text, evidence, label in SUPPORTED))
    return claims


# ---- logistic regression and agreement (pure) -------------------------------------------------
def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> np.ndarray:
    """Weights [bias, w1..wd] by Newton's method; the bias is not penalised."""
    design = np.hstack([np.ones((x.shape[0], 1)), x])
    w = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(design @ w, -30, 30)))
        gradient = design.T @ (p - y) + penalty @ w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def predict_proba(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(w[0] + x @ w[1:], -30, 30)))


def agreement(truth: ArrayLike, predicted: ArrayLike) -> dict[str, float]:
    """Accuracy, Cohen's kappa, precision and recall of 'supported'."""
    t = np.asarray(truth, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    n = len(t)
    if n == 0:
        return {
            "accuracy": math.nan,
            "kappa": math.nan,
            "precision": math.nan,
            "recall": math.nan,
            "n": 0,
        }
    accuracy = float((t == p).mean())
    expected = float(t.mean() * p.mean() + (1 - t.mean()) * (1 - p.mean()))
    kappa = (accuracy - expected) / (1 - expected) if expected < 1 else 0.0
    tp = float((t & p).sum())
    precision = tp / p.sum() if p.sum() else 0.0
    recall = tp / t.sum() if t.sum() else 0.0
    return {
        "accuracy": accuracy,
        "kappa": float(kappa),
        "precision": float(precision),
        "recall": float(recall),
        "n": n,
    }


def best_threshold(proba: np.ndarray, y: np.ndarray) -> float:
    """The probability cut that maximises accuracy on these values (ties: closest to 0.5)."""
    candidates = np.unique(np.concatenate([proba, [0.5]]))
    scored = [((proba >= c) == y).mean() - 1e-6 * abs(c - 0.5) for c in candidates]
    return float(candidates[int(np.argmax(scored))])


def cross_validate(
    x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0, l2: float = 1.0
) -> dict[str, Any]:
    """Held-out agreement: fit + threshold on k-1 folds, predict the k-th; pooled and per fold."""
    order = np.random.default_rng(seed).permutation(len(y))
    parts = np.array_split(order, folds)
    predicted = np.zeros(len(y), dtype=bool)
    per_fold = []
    for k, test in enumerate(parts):
        train = np.concatenate([p for j, p in enumerate(parts) if j != k])
        w = fit_logistic(x[train], y[train], l2)
        cut = best_threshold(predict_proba(w, x[train]), y[train])
        predicted[test] = predict_proba(w, x[test]) >= cut
        per_fold.append(agreement(y[test].astype(bool), predicted[test]))
    return {"pooled": agreement(y.astype(bool), predicted), "folds": per_fold, "k": folds}


# ---- the whole calibration -------------------------------------------------------------------
def weights_from_fit(w: np.ndarray, cut: float) -> ScorerWeights:
    """ScorerWeights deciding at 0.5 exactly where the fit decides at `cut`."""
    from curbside.rag.support import ScorerWeights

    cut = min(max(cut, 1e-6), 1 - 1e-6)
    bias = float(w[0] - math.log(cut / (1 - cut)))
    return ScorerWeights(bias, *(float(v) for v in w[1:]))


def feature_matrix(scorer: OfflineSupportScorer, claims: Sequence[LabelledClaim]) -> np.ndarray:
    return np.array(
        [scorer.signals(c.claim, c.evidence).as_features() for c in claims], dtype=float
    )


def calibrate(
    scorer: OfflineSupportScorer,
    claims: Sequence[LabelledClaim],
    folds: int = 5,
    seed: int = 0,
    l2: float = 1.0,
) -> dict[str, Any]:
    """Fit on all claims, report held-out agreement, and the default weights' agreement."""
    from curbside.rag.support import ScorerWeights

    if len(claims) < folds * 2:
        raise ValueError(f"only {len(claims)} labelled claims; need at least {folds * 2}")
    x = feature_matrix(scorer, claims)
    y = np.array([c.supported for c in claims], dtype=float)
    default = ScorerWeights()
    default_scores = np.array([default.combine(_signals(row)) for row in x])
    cv = cross_validate(x, y, folds, seed, l2)
    w = fit_logistic(x, y, l2)
    cut = best_threshold(predict_proba(w, x), y)
    fitted = weights_from_fit(w, cut)
    return {
        "weights": asdict(fitted),
        "features": list(FEATURES),
        "probability_threshold": cut,
        "decides_at": 0.5,
        "claims": len(claims),
        "supported_share": float(y.mean()),
        "cross_validation": cv,
        "default_weights_agreement": agreement(y.astype(bool), default_scores >= 0.5),
        "majority_baseline_accuracy": float(max(y.mean(), 1 - y.mean())),
        "labels": "Complete = supported; Partial, Incomplete, Missing = not supported",
    }


def _signals(row: np.ndarray) -> Any:
    from curbside.rag.support import SupportSignals

    return SupportSignals(
        float(row[0]), float(row[1]), int(row[2] > 0), float(row[3]), bool(row[4]), bool(row[5])
    )
