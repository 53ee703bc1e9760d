"""Reliability: crash safety of ingest, ingest while answering, concurrent answers, privacy.

Crash points are reached without any test hook in product code: the test polls the data dir
of a real `python -m curbside ingest` subprocess and sends SIGKILL when it observes

- ``embedding``: the store has been opened (chroma.sqlite3 exists) but nothing is written
  yet: the process is loading the model / embedding its first batch;
- ``upsert``: the Chroma database changed for the first time (a batch is being written) and
  no manifest exists yet: killed between/inside upsert, stale-delete and manifest write;
- ``manifest``: the manifest has just been (re)written for the second time: the process is
  past a manifest write and inside the next batch, so the manifest describes only part of
  the store.

Batches are made small (CURBSIDE_INGEST__BATCH_CHUNKS) so one run has many batches. After each
kill the ingest is re-run and the index must equal a clean run's exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, REPO

pytestmark = pytest.mark.integration

SUBSET = [
    "asco-cipn-2020.md",
    "aan-painful-diabetic-neuropathy-2022.md",
    "eular-aav-2022.md",
    "stewart-foot-drop-2008.md",
    "pareyson-cmt-2009.md",
    "smith-duloxetine-cipn-2013.md",
    "nass-lumbar-disc-herniation-2014.md",
    "acr-eular-sjogren-criteria-2016.md",
]
BATCH_CHUNKS = 12
KILL_TIMEOUT_S = 180.0

TOPICS = {
    "What is the first-line treatment for painful diabetic neuropathy?": "diabetic",
    "Which drug is recommended for chemotherapy-induced peripheral neuropathy pain?": (
        "chemotherapy"
    ),
    "What are the classification criteria for primary Sjogren syndrome?": "sjogren",
    "How is ANCA-associated vasculitis treated?": "vasculitis",
    "What are the classification criteria for systemic sclerosis?": "sclerosis",
    "Does an ankle-foot orthosis help foot drop after stroke?": "foot",
    "When is surgery indicated for sciatica from lumbar disc herniation?": "sciatica",
    "What is Charcot-Marie-Tooth disease?": "charcot",
}


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        PYTHONPATH=str(REPO),
        **extra,
    )
    return env


def _subset_corpus(root: Path) -> Path:
    folder = root / "corpus-subset"
    folder.mkdir(parents=True, exist_ok=True)
    for name in SUBSET:
        shutil.copy(CORPUS / name, folder / name)
    return folder


def _manifest_path(settings: Any) -> Path:
    return settings.index_dir / "manifest.json"


def _wait_for_kill_point(process: subprocess.Popen[bytes], point: str, settings: Any) -> bool:
    """Poll the data dir; True when the point was reached and the process killed."""
    sqlite = settings.chroma_path / "chroma.sqlite3"
    manifest = _manifest_path(settings)
    deadline = time.monotonic() + KILL_TIMEOUT_S
    first_db_mtime: float | None = None
    manifest_writes, last_manifest = 0, 0.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # finished before the point: the caller reports it
        reached = False
        if sqlite.exists():
            mtime = sqlite.stat().st_mtime_ns
            wal = sqlite.with_name("chroma.sqlite3-wal")
            if wal.exists():
                mtime = max(mtime, wal.stat().st_mtime_ns)
            if first_db_mtime is None:
                first_db_mtime = mtime
                if point == "embedding":
                    reached = True
            elif point == "upsert" and mtime != first_db_mtime and not manifest.exists():
                reached = True
        if manifest.exists():
            m = manifest.stat().st_mtime_ns
            if m != last_manifest:
                manifest_writes, last_manifest = manifest_writes + 1, m
            if point == "manifest" and manifest_writes >= 2:
                reached = True
        if reached:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.kill()
    process.wait()
    pytest.fail(f"ingest never reached kill point {point!r}")


@pytest.fixture(scope="module")
def clean_run(
    tmp_path_factory: pytest.TempPathFactory,
    ingest: Callable[..., Any],
    read_store: Callable[[Any], dict[str, tuple[str, dict[str, Any]]]],
) -> tuple[Path, dict[str, tuple[str, dict[str, Any]]]]:
    """The subset ingested in one uninterrupted run: the reference."""
    from curbside.settings import Settings

    root = tmp_path_factory.mktemp("clean")
    corpus = _subset_corpus(root)
    settings = Settings(data_dir=root / "data", ingest={"batch_chunks": BATCH_CHUNKS})
    report = ingest(settings, corpus)
    assert report.ok and report.chunks_written > 2 * BATCH_CHUNKS
    return corpus, read_store(settings)


@pytest.mark.parametrize("point", ["embedding", "upsert", "manifest"])
def test_kill_9_during_ingest_then_rerun_equals_clean_run(
    point: str,
    tmp_path: Path,
    clean_run: tuple[Path, dict[str, tuple[str, dict[str, Any]]]],
    ingest: Callable[..., Any],
    read_store: Callable[[Any], dict[str, tuple[str, dict[str, Any]]]],
) -> None:
    from curbside.ingest.manifest import Manifest
    from curbside.settings import Settings

    corpus, clean_rows = clean_run  # same corpus folder, so origins match too
    data = tmp_path / "data"
    settings = Settings(data_dir=data, ingest={"batch_chunks": BATCH_CHUNKS})
    process = subprocess.Popen(
        [sys.executable, "-m", "curbside", "ingest", str(corpus), "--data-dir", str(data)],
        env=_subprocess_env(CURBSIDE_INGEST__BATCH_CHUNKS=str(BATCH_CHUNKS)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed = _wait_for_kill_point(process, point, settings)
    assert killed, f"ingest finished before kill point {point!r} was observed"

    manifest = _manifest_path(settings)
    if manifest.exists():  # whatever the moment, the manifest is whole JSON
        json.loads(manifest.read_text())
    if read_store(settings):  # chunks were written: answers must say the index is incomplete
        from curbside.rag.index_state import ingest_state

        assert ingest_state(settings.index_dir) == "interrupted"

    report = ingest(settings, corpus)
    assert report.ok, report.failures
    from curbside.rag.index_state import ingest_state

    assert ingest_state(settings.index_dir) == "complete"
    rows = read_store(settings)  # fails on duplicate ids
    assert sorted(rows) == sorted(clean_rows), "chunk ids differ from a clean run"
    for chunk_id, (text, meta) in clean_rows.items():
        assert rows[chunk_id][0] == text
        assert rows[chunk_id][1] == meta
    loaded = json.loads(manifest.read_text())
    assert set(loaded["sources"]) == {m["source_id"] for _, m in clean_rows.values()}
    assert set(Manifest.load(manifest).entries) == set(loaded["sources"])
    # A second re-run is a no-op.
    again = ingest(settings, corpus)
    assert again.chunks_written == 0 and again.count("unchanged") == len(SUBSET)


# ---- answering while ingesting ------------------------------------------------------------
NEW_SOURCE = """---
id: test-reliability-new-source
title: "Zolmarin for hypothetical peripheral neuritis: a test source"
kind: research
evidence_type: review
publisher: "Test Journal"
year: 2024
---

# Zolmarin for hypothetical peripheral neuritis

## Findings

Zolmarin is a fictional compound used only in this reliability test. In the test, zolmarin
reduced neuritis pain scores by 40 percent over 12 weeks compared with placebo. Adverse
effects of zolmarin were mild and transient in the fictional trial.
"""


def test_ingest_while_answering_never_raises(
    corpus_index_copy: Any, embedder: Any, ingest: Callable[..., Any]
) -> None:
    from curbside.rag.factory import make_engine

    settings = corpus_index_copy.settings()
    engine = make_engine(settings, embedder=embedder)
    errors: list[BaseException] = []
    answers: list[Any] = []
    stop = threading.Event()
    questions = list(TOPICS)[:3]

    def answer_loop() -> None:
        i = 0
        while not stop.is_set() or i < 2:
            try:
                answers.append(engine.ask(questions[i % len(questions)]))
            except BaseException as exc:
                errors.append(exc)
                return
            i += 1

    worker = threading.Thread(target=answer_loop)
    worker.start()
    new_dir = corpus_index_copy.corpus_dir / "new"
    new_dir.mkdir()
    (new_dir / "zolmarin.md").write_text(NEW_SOURCE)
    report = ingest(settings, corpus_index_copy.corpus_dir)
    stop.set()
    worker.join(timeout=300)
    assert not worker.is_alive()
    assert not errors, errors
    assert report.ok and report.count("added") == 1
    assert len(answers) >= 2
    for answer in answers:
        assert answer.references and not answer.not_covered
        assert answer.disclaimer
        cited = {r.number for r in answer.references}
        assert cited == set(range(1, len(cited) + 1))
    # The same engine sees the new source without being re-created.
    fresh = engine.ask("What did the trial find about zolmarin for peripheral neuritis?")
    assert any(r.meta.id == "test-reliability-new-source" for r in fresh.references)


def test_eight_concurrent_asks_get_their_own_answers(corpus_index: Any, embedder: Any) -> None:
    from curbside.rag.factory import make_engine

    engine = make_engine(corpus_index.settings(), embedder=embedder)
    sequential = {q: engine.ask(q) for q in TOPICS}
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(TOPICS))

    def one(question: str) -> None:
        try:
            barrier.wait(timeout=60)
            results[question] = engine.ask(question)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(q,)) for q in TOPICS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for question, word in TOPICS.items():
        answer = results[question]
        assert answer.question == question
        assert answer.text == sequential[question].text, f"answer to {question!r} changed"
        assert not answer.not_covered, question
        assert word in answer.text.lower() or word in answer.title.lower(), (question, answer.title)


# ---- privacy and defaults ---------------------------------------------------------------
def test_ask_verbose_does_not_log_the_question(corpus_index: Any) -> None:
    question = "What is the first-line treatment for painful diabetic neuropathy in adults?"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "curbside",
            "-v",
            "ask",
            question,
            "--data-dir",
            str(corpus_index.data_dir),
        ],
        env=_subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "INFO" in done.stderr  # -v is on: logging really is verbose
    assert question not in done.stderr
    assert "first-line treatment for painful diabetic" not in done.stderr.lower()
    assert "References" in done.stdout  # the answer itself is printed, on stdout


def test_ui_binds_to_loopback_by_default() -> None:
    from curbside.settings import Settings

    assert Settings().ui.host == "127.0.0.1"
    assert Settings.model_fields["ui"].default_factory().host == "127.0.0.1"  # type: ignore[misc]
