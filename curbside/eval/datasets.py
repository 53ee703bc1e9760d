"""Question sets for evaluation runs, each read from a path given on the command line.

Every loader yields `EvalQuestion`s: an id (stable across runs, so runs resume and can be
compared), the question, the gold source ids (as ids in the index), and what the set
offers for answer accuracy (a PubMedQA label, K-QA must-have statements, a free answer).

Formats:
- ``curbside``: JSONL of {id?, question, gold_source_ids, gold_answer?}; the bundled set
  ``evalsets/bundled.jsonl`` is in this format and is written over ``corpus/``.
- ``pubmedqa``: questions.jsonl of {qid, question, gold_pmids, final_decision, long_answer};
  the abstracts are ingested as ``pmid-<pmid>``.
- ``kqa``: K-QA questions.jsonl of {Question, Free_form_answer, Must_have, Nice_to_have, ...}
  (no gold sources in our index).
- ``expertqa``: ExpertQA JSONL; each record's question (gold sources are web pages that are
  not in the index). For calibration data see `curbside.eval.calibrate`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from curbside.eval.answer_quality import GoldTurn

EVALSETS = Path(__file__).resolve().parent.parent.parent / "evalsets"
BUNDLED_SET = EVALSETS / "bundled.jsonl"
ANSWERS_SET = EVALSETS / "answers.jsonl"
DATASETS = ("bundled", "answers", "curbside", "pubmedqa", "kqa", "expertqa")


@dataclass
class EvalQuestion:
    id: str
    question: str
    gold_source_ids: list[str] = field(default_factory=list)
    gold_label: str | None = None  # PubMedQA yes / no / maybe
    must_have: list[str] = field(default_factory=list)  # K-QA
    gold_answer: str | None = None
    history: list[str] = field(default_factory=list)  # earlier turns of a follow-up chain
    gold_turn: GoldTurn | None = None  # answer-quality gold (evalsets/answers.jsonl)
    split: str = ""  # dev | test
    kind: str = ""  # single | facets | chain | uncovered


class DatasetError(ValueError):
    """A question file is missing or malformed; the message says where."""


def _records(path: Path) -> Iterator[tuple[int, dict]]:  # type: ignore[type-arg]
    if not path.exists():
        raise DatasetError(f"question file not found: {path}")
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.jsonl"))
        hint = f" (it holds {', '.join(inside)})" if inside else ""
        raise DatasetError(f"{path} is a folder; give the question file itself{hint}")
    with path.open(encoding="utf-8") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise DatasetError(f"{path}:{number}: not JSON ({exc})") from exc
                if not isinstance(record, dict):
                    raise DatasetError(f"{path}:{number}: expected a JSON object")
                yield number, record
        except UnicodeDecodeError as exc:
            raise DatasetError(f"{path}: not UTF-8 text (is it a JSONL question file?)") from exc


def _short_id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def load_curbside(path: Path) -> Iterator[EvalQuestion]:
    for number, record in _records(path):
        question = str(record.get("question") or "").strip()
        if not question:
            raise DatasetError(f"{path}:{number}: no question")
        yield EvalQuestion(
            id=str(record.get("id") or _short_id("q", question)),
            question=question,
            gold_source_ids=[str(x) for x in record.get("gold_source_ids") or []],
            gold_answer=record.get("gold_answer"),
        )


def load_answers(path: Path) -> Iterator[EvalQuestion]:
    """Gold answer sets: each item's turns, one question per turn; a chain's later turns
    carry the earlier questions as history (the runner asks them first)."""
    for number, record in _records(path):
        turns = record.get("turns")
        if not isinstance(turns, list) or not turns:
            raise DatasetError(f"{path}:{number}: no turns (is this an answers set?)")
        item_id = str(record.get("id") or _short_id("a", json.dumps(turns)))
        asked: list[str] = []
        for index, turn in enumerate(turns, start=1):
            try:
                gold = GoldTurn.from_record(turn)
            except (KeyError, TypeError) as exc:
                raise DatasetError(f"{path}:{number}: turn {index} is malformed ({exc})") from exc
            sources = list(dict.fromkeys(p.source for p in gold.key_points))
            yield EvalQuestion(
                id=f"{item_id}-t{index}" if len(turns) > 1 else item_id,
                question=gold.question,
                gold_source_ids=sources,
                history=list(asked),
                gold_turn=gold,
                split=str(record.get("split") or ""),
                kind=str(record.get("kind") or ""),
            )
            asked.append(gold.question)


def load_pubmedqa(path: Path) -> Iterator[EvalQuestion]:
    for number, record in _records(path):
        if "question" not in record:
            raise DatasetError(f"{path}:{number}: no question (is this PubMedQA questions.jsonl?)")
        pmids = [str(p) for p in record.get("gold_pmids") or []]
        yield EvalQuestion(
            id=str(
                record.get("qid")
                or (f"pqal-{pmids[0]}" if pmids else _short_id("pq", record["question"]))
            ),
            question=str(record["question"]),
            gold_source_ids=[f"pmid-{p}" for p in pmids],
            gold_label=str(record.get("final_decision") or "").lower() or None,
            gold_answer=record.get("long_answer"),
        )


def load_kqa(path: Path) -> Iterator[EvalQuestion]:
    for number, record in _records(path):
        question = str(record.get("Question") or record.get("question") or "").strip()
        if not question:
            raise DatasetError(f"{path}:{number}: no Question (is this K-QA?)")
        yield EvalQuestion(
            id=_short_id("kqa", question),
            question=question,
            must_have=[str(s) for s in record.get("Must_have") or []],
            gold_answer=record.get("Free_form_answer"),
        )


def load_expertqa(path: Path) -> Iterator[EvalQuestion]:
    seen: set[str] = set()
    for number, record in _records(path):
        question = str(record.get("question") or "").strip()
        if not question:
            raise DatasetError(f"{path}:{number}: no question (is this ExpertQA?)")
        qid = _short_id("eqa", question)
        if qid in seen:
            continue
        seen.add(qid)
        yield EvalQuestion(id=qid, question=question)


def load_dataset(name: str, path: Path | None = None) -> list[EvalQuestion]:
    """The questions of a named set; ``bundled`` needs no path."""
    if name == "bundled":
        return list(load_curbside(path or BUNDLED_SET))
    if name == "answers":
        return list(load_answers(path or ANSWERS_SET))
    if path is None:
        raise DatasetError(f"--path is required for the {name} data set")
    loaders = {
        "answers": load_answers,
        "curbside": load_curbside,
        "pubmedqa": load_pubmedqa,
        "kqa": load_kqa,
        "expertqa": load_expertqa,
    }
    if name not in loaders:
        raise DatasetError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    questions = list(loaders[name](path))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{path}: question ids are not unique")
    return questions
