"""summary.json of a run: metric means with bootstrap CIs, and what the run ran with."""

from __future__ import annotations

import importlib.metadata
import platform
from collections import Counter
from typing import Any

from curbside.eval import metrics
from curbside.eval.stats import mean_ci

#: (key in a result's scores, label in reports, higher is better)
METRICS: list[tuple[str, str, bool]] = [
    ("citation_recall", "Citation recall (ALCE)", True),
    ("citation_precision", "Citation precision (ALCE)", True),
    ("invalid_citation_rate_before", "Invalid-citation rate, draft", False),
    ("invalid_citation_rate_after", "Invalid-citation rate, delivered", False),
    ("unsupported_rate_before", "Unsupported sentences, draft", False),
    (
        "unsupported_rate_before_by_enforcer",
        "Unsupported sentences, draft (enforcer's scores)",
        False,
    ),
    ("unsupported_rate_after", "Unsupported sentences, delivered", False),
    ("not_covered", "Share not covered", False),
    ("recall@1", "Retrieval recall@1", True),
    ("recall@5", "Retrieval recall@5", True),
    ("recall@10", "Retrieval recall@10", True),
    ("mrr", "Retrieval MRR", True),
    ("accuracy", "PubMedQA yes/no/maybe accuracy", True),
    ("key_point_recall", "Key-point recall", True),
    ("answer_precision", "Answer precision (key or nice-to-have points)", True),
    ("opener_is_key_point", "Opening line is a key point", True),
    ("off_topic_rate", "Off-topic sentences", False),
    ("facet_coverage_accuracy", "Facet coverage correct", True),
    ("topic_retained", "Follow-up topic retained", True),
    ("uncovered_correct", "Uncovered question answered 'not covered'", True),
    ("opener_from_gold_source", "PubMedQA: opening line from the gold abstract", True),
    ("rouge_l", "PubMedQA: ROUGE-L F1 against the long answer", True),
    ("must_have_covered", "K-QA must-have covered", True),
    ("must_have_contradicted", "K-QA must-have contradicted", False),
]
LABELS = {key: label for key, label, _ in METRICS}
HIGHER_IS_BETTER = {key: better for key, _, better in METRICS}

JUDGE_NOTE = (
    "Citation recall and precision follow ALCE's compute_autoais (princeton-nlp/ALCE), with "
    "the judge named here in place of ALCE's TRUE NLI model: {judge} at threshold {threshold}."
)
SELF_JUDGED_NOTE = (
    "SELF-JUDGED RUN: the judge is the scorer that enforced the citations, so the delivered "
    "answer's support figures grade the enforcement's own homework. Use --judge llm for an "
    "independent judge."
)

PACKAGES = (
    "curbside",
    "chromadb",
    "sentence-transformers",
    "torch",
    "transformers",
    "langchain-core",
    "bm25s",
    "numpy",
    "scikit-learn",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def metric_summary(results: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    scored = [r for r in results if not r.get("error")]
    out: dict[str, Any] = {}
    for key, _, _ in METRICS:
        values = [r["scores"].get(key) for r in scored]
        if any(v is not None for v in values):
            out[key] = mean_ci(values, seed=seed)
    return out


def build_summary(results: list[dict[str, Any]], run_info: dict[str, Any]) -> dict[str, Any]:
    scored = [r for r in results if not r.get("error")]
    labels = Counter(
        (r.get("gold_label"), r["scores"].get("predicted_label"))
        for r in scored
        if r.get("gold_label")
    )
    return {
        **run_info,
        "questions": len(results),
        "errors": len(results) - len(scored),
        "metrics": metric_summary(results),
        "latency_seconds": metrics.latency_percentiles([r.get("timings") or {} for r in scored]),
        "label_confusion": {f"{g}->{p}": n for (g, p), n in sorted(labels.items())} or None,
        "notes": [JUDGE_NOTE.format(judge=run_info["judge"], threshold=run_info["judge_threshold"])]
        + ([SELF_JUDGED_NOTE] if run_info.get("self_judged") else []),
        "packages": package_versions(),
    }
