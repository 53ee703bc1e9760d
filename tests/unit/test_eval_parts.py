"""The pure parts of the eval package besides metrics: data set loaders, bootstrap CIs,
calibration maths, run comparison, summary and reports (no model, no store)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curbside.eval import calibrate, datasets, stats
from curbside.eval.compare import compare_results
from curbside.eval.report import write_html, write_markdown
from curbside.eval.summary import SELF_JUDGED_NOTE, build_summary
from curbside.eval.svg import histogram, metric_bars


def write_jsonl(path: Path, rows: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# ---- data sets -----------------------------------------------------------------------------
def test_bundled_set_names_real_corpus_sources() -> None:
    questions = datasets.load_dataset("bundled")
    assert len(questions) >= 20
    corpus = Path(datasets.BUNDLED_SET).parent.parent / "corpus"
    ids = {
        line.split(":", 1)[1].strip()
        for f in corpus.glob("*.md")
        for line in f.read_text().splitlines()[:3]
        if line.startswith("id:")
    }
    for q in questions:
        assert q.gold_source_ids and set(q.gold_source_ids) <= ids, q.id
    assert len({q.id for q in questions}) == len(questions)


def test_pubmedqa_loader(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {
                "qid": "pqal-1",
                "question": "Does X work?",
                "gold_pmids": ["123"],
                "final_decision": "Yes",
            }
        ],
    )
    (q,) = datasets.load_dataset("pubmedqa", path)
    assert (q.id, q.gold_source_ids, q.gold_label) == ("pqal-1", ["pmid-123"], "yes")


def test_kqa_and_curbside_loaders(tmp_path: Path) -> None:
    kqa = write_jsonl(
        tmp_path / "k.jsonl", [{"Question": "What is Lexapro?", "Must_have": ["It is an SSRI"]}]
    )
    (k,) = datasets.load_dataset("kqa", kqa)
    assert k.must_have == ["It is an SSRI"] and k.id.startswith("kqa-")
    mine = write_jsonl(
        tmp_path / "c.jsonl", [{"question": "Q?", "gold_source_ids": ["a"], "gold_answer": "A"}]
    )
    (c,) = datasets.load_dataset("curbside", mine)
    assert c.gold_source_ids == ["a"] and c.gold_answer == "A"


def test_loader_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(datasets.DatasetError, match="not found"):
        datasets.load_dataset("pubmedqa", tmp_path / "missing.jsonl")
    with pytest.raises(datasets.DatasetError, match="--path"):
        datasets.load_dataset("kqa")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with pytest.raises(datasets.DatasetError, match=r"bad\.jsonl:1"):
        datasets.load_dataset("curbside", bad)
    # The data set's folder instead of its question file (as ../shared/data/pubmedqa is).
    (tmp_path / "questions.jsonl").write_text("")
    with pytest.raises(datasets.DatasetError, match=r"is a folder.*questions\.jsonl"):
        datasets.load_dataset("pubmedqa", tmp_path)
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"question": "ok"}\n\xff\xfe\x00')
    with pytest.raises(datasets.DatasetError, match=r"binary\.jsonl: not UTF-8"):
        datasets.load_dataset("curbside", binary)


# ---- statistics ------------------------------------------------------------------------------
def test_mean_ci_brackets_the_mean_and_skips_missing() -> None:
    ci = stats.mean_ci([0.0, 1.0, None, 1.0, 1.0])
    assert ci["n"] == 4 and ci["mean"] == 0.75
    assert ci["low"] <= 0.75 <= ci["high"]
    assert stats.mean_ci([None])["mean"] is None
    const = stats.mean_ci([0.5] * 10)
    assert const["low"] == const["high"] == 0.5


def test_paired_delta() -> None:
    ci = stats.paired_delta_ci([0.0, 0.5, 1.0], [0.5, 1.0, 1.0])
    assert ci["mean"] == pytest.approx(1 / 3) and ci["low"] >= 0


# ---- calibration -------------------------------------------------------------------------------
def test_logistic_fit_separates_and_agreement() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] - x[:, 1] > 0).astype(float)
    w = calibrate.fit_logistic(x, y, l2=0.1)
    assert w[1] > 0 > w[2]
    cv = calibrate.cross_validate(x, y, folds=5)
    assert cv["pooled"]["accuracy"] > 0.9 and cv["pooled"]["kappa"] > 0.8
    perfect = calibrate.agreement([True, False, True], [True, False, True])
    assert perfect == {"accuracy": 1.0, "kappa": 1.0, "precision": 1.0, "recall": 1.0, "n": 3}
    chance = calibrate.agreement([True, False, True, False], [True, True, True, True])
    assert chance["kappa"] == 0.0 and chance["recall"] == 1.0 and chance["precision"] == 0.5


def test_weights_from_fit_decide_at_half_where_the_fit_decided_at_cut() -> None:
    from curbside.rag.support import SupportSignals

    w = np.array([-1.0, 2.0, 1.0, -1.0, -1.0, -1.0, -1.0])
    weights = calibrate.weights_from_fit(w, cut=0.3)
    signals = SupportSignals(0.5, 0.5, 0, 0.0, False)
    raw = calibrate.predict_proba(w, np.array([signals.as_features()]))[0]
    assert (raw >= 0.3) == (weights.combine(signals) >= 0.5)
    assert weights.combine(signals) == pytest.approx(
        0.5 * raw / 0.3 / (0.5 * raw / 0.3 + 0.5 * (1 - raw) / 0.7)
    )


def test_expertqa_claims_loader(tmp_path: Path) -> None:
    claim = {
        "claim_string": "Store pills dry.",
        "evidence": ["[1] http://x\n\nKeep pills in a dry place."],
        "support": "Complete",
    }
    rows = [
        {
            "question": "q",
            "answers": {
                "a": {
                    "claims": [
                        claim,
                        {**claim, "claim_string": "Other.", "support": "Missing"},
                        {**claim, "claim_string": "NA.", "support": "N/A"},
                        {**claim, "claim_string": "E.", "evidence": []},
                    ]
                }
            },
        }
    ]
    claims = calibrate.load_expertqa_claims(write_jsonl(tmp_path / "e.jsonl", rows))
    assert [(c.claim, c.supported) for c in claims] == [
        ("Store pills dry.", True),
        ("Other.", False),
    ]
    assert claims[0].evidence == ["Keep pills in a dry place."]


def test_load_scorer_weights_hook(tmp_path: Path) -> None:
    from curbside.rag.support import SCORER_WEIGHTS_FILE, ScorerWeights, load_scorer_weights

    assert load_scorer_weights(tmp_path) is None
    (tmp_path / SCORER_WEIGHTS_FILE).write_text(
        json.dumps(
            {
                "weights": {
                    "bias": -1,
                    "similarity": 2,
                    "coverage": 3,
                    "missing_numbers": -4,
                    "missing_specific": -5,
                    "negation_mismatch": -6,
                }
            }
        )
    )
    assert load_scorer_weights(tmp_path) == ScorerWeights(-1, 2, 3, -4, -5, -6)
    (tmp_path / SCORER_WEIGHTS_FILE).write_text("{}")
    assert load_scorer_weights(tmp_path) is None


# ---- summary, reports, compare -------------------------------------------------------------------
def record(qid: str, recall: float, judge_note: str = "") -> dict:  # type: ignore[type-arg]
    return {
        "id": qid,
        "question": f"question {qid}",
        "gold_label": "yes",
        "error": None,
        "scores": {
            "citation_recall": recall,
            "citation_precision": 1.0,
            "accuracy": 1.0,
            "predicted_label": "yes",
            "not_covered": 0.0,
        },
        "timings": {"total": 0.5, "retrieve": 0.1},
        "verdicts": [
            {
                "text": "Claim.",
                "citations": [1],
                "supported": recall > 0.5,
                "invalid": False,
                "irrelevant": [],
            }
        ],
        "answer": {
            "sentences": [{"text": "Claim [1].", "support": 0.8}],
            "references": [
                {
                    "number": 1,
                    "meta": {"id": "src-1"},
                    "passages": [{"text": "Passage <b>text</b>."}],
                }
            ],
        },
    }


RUN_INFO = {
    "dataset": "t",
    "dataset_path": "p",
    "backend": "extractive",
    "judge": "offline-signals",
    "judge_threshold": 0.5,
    "enforcement_scorer": "offline-signals",
    "self_judged": True,
    "settings_hash": "abc",
    "index": {"collection": "c", "chunks": 3},
}


def test_summary_and_reports(tmp_path: Path) -> None:
    results = [record("a", 1.0), record("b", 0.0)]
    summary = build_summary(results, RUN_INFO)
    assert summary["metrics"]["citation_recall"]["mean"] == 0.5
    assert SELF_JUDGED_NOTE in summary["notes"] and "ALCE" in summary["notes"][0]
    assert summary["latency_seconds"]["total"]["p50"] == 0.5
    write_markdown(summary, results, tmp_path / "r.md")
    write_html(summary, results, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "offline-signals" in html and "SELF-JUDGED" in html and "<svg" in html
    assert "Passage &lt;b&gt;text&lt;/b&gt;" in html  # passages are escaped
    assert "question b" in (tmp_path / "r.md").read_text()


def test_compare_results_pairs_shared_questions() -> None:
    a = [record("x", 0.0), record("y", 0.5), record("only-a", 1.0)]
    b = [record("x", 1.0), record("y", 1.0)]
    out = compare_results(a, b)
    assert out["shared_questions"] == 2
    assert out["metrics"]["citation_recall"]["delta"] == pytest.approx(0.75)


def test_svg_charts() -> None:
    assert metric_bars([("recall", 0.5, 0.4, 0.6)]).startswith("<svg")
    assert histogram([0.1, 0.2, 0.9], "h", lo=0, hi=1).count("<rect") == 10
    assert "no values" in histogram([], "empty")


# ---- the judge ---------------------------------------------------------------------
def test_scorer_judge_thresholds_and_caches(tmp_path: Path) -> None:
    from curbside.eval.judge import ScorerJudge, is_self_judged, make_judge
    from curbside.rag.support import SupportScorer
    from curbside.settings import Settings

    class Counting(SupportScorer):
        name = "counting"
        calls = 0

        def score(self, sentence: str, passages: object) -> float:
            Counting.calls += 1
            return 0.7 if "yes" in sentence else 0.2

    judge = ScorerJudge(Counting(), 0.5)
    assert judge.supports("yes it is", ["p"]) and judge.supports("yes it is", ["p"])
    assert not judge.supports("nope", ["p"]) and not judge.supports("yes", [])
    assert Counting.calls == 2 and judge.name == "counting"
    assert is_self_judged("offline-signals", "offline-signals")
    assert not is_self_judged("llm-judge:qwen", "offline-signals")
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(ValueError, match="needs an LLM"):
        make_judge("llm", settings, embedder=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown judge"):
        make_judge("oracle", settings, embedder=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("enforcer", "judge", "self_judged"),
    [
        (None, None, True),  # offline scorer enforces, offline scorer judges
        (None, {"backend": "llamacpp", "gguf_path": "/m/a.gguf"}, False),
        ({"backend": "llamacpp", "gguf_path": "/m/a.gguf"}, None, False),
        (
            {"backend": "llamacpp", "gguf_path": "/m/a.gguf"},
            {"backend": "llamacpp", "gguf_path": "/m/a.gguf"},
            True,
        ),
        (
            {"backend": "llamacpp", "gguf_path": "/m/a.gguf"},
            {"backend": "llamacpp", "gguf_path": "/m/b.gguf"},
            False,
        ),
        (
            {"backend": "openai", "model": "qwen", "base_url": "http://127.0.0.1:8080/v1"},
            {"backend": "openai", "model": "qwen", "base_url": "http://127.0.0.1:8080/v1"},
            True,
        ),
        (
            {"backend": "openai", "model": "qwen", "base_url": "http://127.0.0.1:8080/v1"},
            {"backend": "ollama", "model": "qwen", "base_url": "http://127.0.0.1:11434"},
            False,
        ),
        (
            {"backend": "openai", "model": "gpt-4o-mini"},
            {"backend": "openai", "model": "gpt-4o"},
            False,
        ),
    ],
)
def test_self_judging_is_flagged_for_every_backend_and_judge(
    tmp_path: Path,
    enforcer: dict[str, str] | None,
    judge: dict[str, str] | None,
    self_judged: bool,
) -> None:
    """The engine's scorer and eval's judge come from the same factory functions, so a run
    judged by the model that enforced its citations carries the same name on both sides."""
    from curbside.eval.judge import ScorerJudge, is_self_judged
    from curbside.rag.factory import make_llm_judge_scorer, make_offline_scorer, make_support_scorer
    from curbside.settings import GenerationSettings, Settings

    chat_model = object()  # the scorers only keep it; nothing is asked here
    settings = Settings(data_dir=tmp_path)
    if enforcer is not None:
        settings.generation = GenerationSettings(**enforcer)  # type: ignore[arg-type]
        settings.citations.scorer = "llm"
    engine_scorer = make_support_scorer(settings, embedder=None, chat_model=chat_model)  # type: ignore[arg-type]
    if judge is None:
        grader = ScorerJudge(make_offline_scorer(settings, embedder=None), 0.5)  # type: ignore[arg-type]
    else:
        generation = GenerationSettings(**judge)  # type: ignore[arg-type]
        grader = ScorerJudge(make_llm_judge_scorer(chat_model, generation), 0.5)
    assert is_self_judged(grader.name, engine_scorer.name) is self_judged
