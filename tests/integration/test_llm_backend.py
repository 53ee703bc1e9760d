"""The openai backend against a real llama.cpp OpenAI-compatible server (Qwen2.5-Coder-0.5B).

Needs llama-cpp-python[server] and the GGUF: `python scripts/setup_test_llm.py`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scripts.setup_test_llm import server_command, server_is_up
from tests.conftest import CORPUS, free_port, stop_process
from tests.integration.test_answer_engine import (
    FOOT_DROP,
    INJECTION_DOC,
    INJECTION_ID,
    citation_numbers,
)

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder

pytestmark = [pytest.mark.integration, pytest.mark.llm]

GGUF = (
    Path(os.environ.get("CURBSIDE_TEST_LLM_DIR", "~/.cache/curbside/test-llm")).expanduser()
    / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
)
START_TIMEOUT_S = 120.0


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is not importable: run `python scripts/setup_test_llm.py`")
    if importlib.util.find_spec("llama_cpp.server") is None:
        pytest.skip("llama_cpp.server is missing (install llama-cpp-python[server])")
    if not GGUF.exists():
        pytest.skip(f"test model absent: {GGUF} (run `python scripts/setup_test_llm.py`)")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    log_file = tmp_path_factory.mktemp("llm-server") / "server.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            server_command(GGUF, "qwen", port), stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while not server_is_up(base_url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"llama_cpp.server did not come up:\n{log_file.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.2)
        yield base_url
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def llm_data_dir(tmp_path_factory: pytest.TempPathFactory, ingest: Callable[..., Any]) -> Path:
    from curbside.settings import Settings

    root = tmp_path_factory.mktemp("llm-corpus")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / f"{INJECTION_ID}.md").write_text(INJECTION_DOC, encoding="utf-8")
    report = ingest(Settings(data_dir=root / "data"), corpus)
    assert report.ok, report.failures
    return root / "data"


def test_llm_answer_enforced(llm_server: str, llm_data_dir: Path, embedder: Embedder) -> None:
    from curbside.rag.factory import make_engine
    from curbside.settings import Settings

    settings = Settings(
        data_dir=llm_data_dir,
        generation={
            "backend": "openai",
            "base_url": llm_server,
            "model": "qwen",
            "max_tokens": 300,
            "timeout_s": 120,
        },
    )
    engine = make_engine(settings, embedder=embedder)
    started = time.perf_counter()
    answer = engine.ask(FOOT_DROP)
    elapsed = time.perf_counter() - started
    assert answer.draft, "the model wrote nothing"
    assert answer.backend == "openai"
    n = len(answer.references)
    cited = citation_numbers(answer.text)
    assert all(1 <= c <= n for c in cited), (cited, n, answer.text)
    assert [r.number for r in answer.references] == list(range(1, n + 1))
    for sentence in answer.sentences:
        if sentence.is_claim:
            assert sentence.citations and all(1 <= c <= n for c in sentence.citations), (
                sentence.text
            )
    assert answer.disclaimer.startswith("Professional Medical Disclaimer")
    assert "[99]" not in answer.text
    assert "disclaimer is not needed" not in answer.text.lower()
    assert elapsed < 300
    print(
        f"\nLLM answer in {elapsed:.1f} s; draft claims "
        f"{sum(1 for s in answer.draft_sentences if s.is_claim)}, repairs "
        f"{[r.action for r in answer.repairs]}\n{answer.text}"
    )


def test_unreachable_base_url_is_generator_unavailable(
    llm_data_dir: Path, embedder: Embedder
) -> None:
    from curbside.rag.engine import GeneratorUnavailable
    from curbside.rag.factory import make_engine
    from curbside.settings import Settings

    settings = Settings(
        data_dir=llm_data_dir,
        generation={
            "backend": "openai",
            "base_url": f"http://127.0.0.1:{free_port()}/v1",
            "model": "qwen",
            "timeout_s": 5,
        },
    )
    engine = make_engine(settings, embedder=embedder)
    started = time.perf_counter()
    with pytest.raises(GeneratorUnavailable, match=re.compile("openai", re.I)):
        engine.ask(FOOT_DROP)
    assert time.perf_counter() - started < 30


@pytest.fixture(scope="module")
def local_gguf() -> Path:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is not importable: run `python scripts/setup_test_llm.py`")
    if not GGUF.exists():
        pytest.skip(f"test model absent: {GGUF} (run `python scripts/setup_test_llm.py`)")
    return GGUF


@pytest.mark.parametrize("mode", ["full", "hybrid"])
def test_llamacpp_backend_answers_in_process(
    mode: str, local_gguf: Path, llm_data_dir: Path, embedder: Embedder
) -> None:
    """The llamacpp backend (a GGUF loaded in this process) answers through enforcement; in
    hybrid mode the evidence sections are the extractive writer's."""
    from curbside.rag.factory import make_engine
    from curbside.settings import Settings

    settings = Settings(
        data_dir=llm_data_dir,
        generation={
            "backend": "llamacpp",
            "gguf_path": str(local_gguf),
            "mode": mode,
            "max_tokens": 160,
        },
    )
    engine = make_engine(settings, embedder=embedder)
    answer = engine.ask("Does peripheral neuropathy occur in lupus?")
    assert answer.backend == "llamacpp" and answer.draft
    n = len(answer.references)
    assert all(1 <= c <= n for c in citation_numbers(answer.text)), answer.text
    assert answer.disclaimer.startswith("Professional Medical Disclaimer")
    if mode == "hybrid":
        # The model's lines come first; the extractive sections follow in the draft.
        assert "\n## " in answer.draft, answer.draft
        assert not answer.draft.lstrip().startswith("## ")
    print(f"\n{mode}: repairs {[r.action for r in answer.repairs]}\n{answer.text}")
