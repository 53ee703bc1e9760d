"""Evaluation runs: every question through the real engine, scored, appended to results.jsonl.

A run directory holds ``results.jsonl`` (one line per question, appended as each finishes,
so an interrupted run resumes by skipping the ids already there), ``summary.json`` and the
reports. Scoring lives in `curbside.eval.metrics`; this module only runs and collects.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curbside.eval import answer_quality, metrics
from curbside.eval.datasets import EvalQuestion
from curbside.rag.models import Answer, Turn

if TYPE_CHECKING:
    from curbside.eval.judge import ScorerJudge
    from curbside.rag.engine import AnswerEngine

log = logging.getLogger(__name__)

RESULTS = "results.jsonl"
RANK_DEPTH = 10  # recall@1/5/10 and MRR are computed over this many ranked sources


def ranked_sources(retriever: Any, query: str, depth: int = RANK_DEPTH) -> list[str]:
    """Source ids in fused-rank order (undiversified), first `depth` distinct sources."""
    hits, _ = retriever.search(query, top_k=retriever.settings.candidates, diverse=False)
    ranked = list(dict.fromkeys(passage.source_id for passage, _ in hits))
    return ranked[:depth]


def done_ids(run_dir: Path) -> set[str]:
    path = run_dir / RESULTS
    if not path.exists():
        return set()
    ids = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            ids.add(json.loads(line)["id"])
        except (ValueError, KeyError):
            continue  # a line cut by a crash is redone
    return ids


def read_results(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / RESULTS
    records: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                records[record["id"]] = record
            except (ValueError, KeyError):
                continue
    return list(records.values())


def score_answer(
    question: EvalQuestion,
    answer: Answer,
    judge: ScorerJudge,
    threshold: float,
    draft_passages: dict[int, list[str]] | None,
    ranked: Sequence[str],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """All per-question scores of one answer (None where a metric does not apply)."""
    cited = metrics.citation_scores(answer, judge)
    scores: dict[str, Any] = {
        "citation_recall": cited.recall,
        "citation_precision": cited.precision,
        "claims": cited.claims,
        "citations": cited.citations,
        "invalid_citation_rate_before": metrics.draft_invalid_citation_rate(answer),
        "invalid_citation_rate_after": metrics.answer_invalid_citation_rate(answer),
        "unsupported_rate_before": (
            metrics.unsupported_rate(answer.draft_sentences, draft_passages, judge)
            if draft_passages is not None
            else metrics.unsupported_rate_by_score(answer.draft_sentences, threshold)
        ),
        "unsupported_rate_before_by_enforcer": metrics.unsupported_rate_by_score(
            answer.draft_sentences, threshold
        ),
        "unsupported_rate_after": metrics.unsupported_rate(
            answer.sentences, metrics.reference_passages(answer), judge
        ),
        "not_covered": 1.0 if answer.not_covered else 0.0,
    }
    for k in (1, 5, 10):
        scores[f"recall@{k}"] = metrics.recall_at_k(ranked, question.gold_source_ids, k)
    scores["mrr"] = metrics.reciprocal_rank(ranked, question.gold_source_ids)
    if question.gold_label:
        predicted = metrics.yes_no_maybe(answer)
        scores["predicted_label"] = predicted
        scores["accuracy"] = 1.0 if predicted == question.gold_label else 0.0
    if question.gold_turn is not None:
        scores.update(
            answer_quality.quality_scores(
                answer, question.gold_turn, follow_up=bool(question.history)
            )
        )
    if question.gold_label:  # PubMedQA: is the opening line from the gold abstract?
        scores["opener_from_gold_source"] = answer_quality.opener_from_gold_source(
            answer, question.gold_source_ids
        )
        scores["rouge_l"] = answer_quality.answer_rouge_l(answer, question.gold_answer)
    if question.must_have:
        statements = metrics.statement_scores(answer, question.must_have, judge)
        scores["must_have_covered"] = statements.covered
        scores["must_have_contradicted"] = statements.contradicted
    verdicts = [
        {
            "text": v.text,
            "citations": v.citations,
            "supported": v.supported,
            "invalid": v.invalid,
            "irrelevant": v.irrelevant,
        }
        for v in cited.verdicts
    ]
    return scores, verdicts


def replay_history(engine: AnswerEngine, questions: Sequence[str]) -> list[Turn]:
    """Ask a chain's earlier questions, so the last one is condensed as in a real chat."""
    turns: list[Turn] = []
    for earlier in questions:
        answer = engine.ask(earlier, turns)
        turns.append(Turn.from_answer(answer))
    return turns


@dataclass
class RunConfig:
    run_dir: Path
    dataset: str
    dataset_path: str
    settings_hash: str


def run_questions(
    engine: AnswerEngine,
    judge: ScorerJudge,
    questions: Sequence[EvalQuestion],
    config: RunConfig,
    on_done: Callable[[EvalQuestion, dict[str, Any]], None] | None = None,
) -> int:
    """Answer and score every question not yet in results.jsonl; returns how many ran."""
    from curbside.rag.engine import QuestionRejected

    config.run_dir.mkdir(parents=True, exist_ok=True)
    skip = done_ids(config.run_dir)
    threshold = engine.settings.citations.support_threshold
    ran = 0
    with (config.run_dir / RESULTS).open("a", encoding="utf-8") as out:
        for question in questions:
            if question.id in skip:
                continue
            record: dict[str, Any] = {
                "id": question.id,
                "question": question.question,
                "history": question.history,
                "split": question.split,
                "kind": question.kind,
                "gold_source_ids": question.gold_source_ids,
                "gold_label": question.gold_label,
                "settings_hash": config.settings_hash,
            }
            try:
                answer = engine.ask(question.question, replay_history(engine, question.history))
                # The draft's [n] are the numbers of the evidence it was written from.
                evidence = answer.evidence
                draft_passages = (
                    {s.number: [p.text for p in s.passages] for s in evidence.sources}
                    if evidence is not None
                    else None
                )
                mark = time.perf_counter()
                ranked = ranked_sources(engine.retriever, answer.standalone_question)
                rank_seconds = time.perf_counter() - mark
                mark = time.perf_counter()
                scores, verdicts = score_answer(
                    question, answer, judge, threshold, draft_passages, ranked
                )
                record.update(
                    answer=answer.model_dump(mode="json"),
                    ranked_source_ids=ranked,
                    scores=scores,
                    verdicts=verdicts,
                    timings=answer.timings,
                    eval_seconds={
                        "rank": round(rank_seconds, 4),
                        "judge": round(time.perf_counter() - mark, 4),
                    },
                    error=None,
                )
            except QuestionRejected as exc:
                record.update(error=f"rejected: {exc}", scores={}, timings={})
            out.write(json.dumps(record) + "\n")
            out.flush()
            ran += 1
            if on_done is not None:
                on_done(question, record)
    return ran
