"""Server mode against a real `chroma run`: answer, lose the server, recover without restart.

The session ``chroma_server`` fixture cannot be stopped by one test, so this module runs its
own server on a fixed free port and data path, stops it with SIGTERM and starts it again on
the same port and path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, REPO, SERVER_START_TIMEOUT_S, _heartbeat_ok, free_port, stop_process

pytestmark = [pytest.mark.integration, pytest.mark.server]

QUESTION = "What is the first-line treatment for painful diabetic neuropathy?"


class Server:
    def __init__(self, root: Path) -> None:
        self.path = root / "db"
        self.log = root / "chroma.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(chroma),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _heartbeat_ok(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"chroma run did not come up on {self.url}:\n{self.log.read_text()[-2000:]}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("own-chroma-server"))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "curbside", *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ask_survives_server_stop_and_restart(
    server: Server, tmp_path: Path, embedder: Any, ingest: Callable[..., Any]
) -> None:
    from curbside.rag.factory import make_engine
    from curbside.rag.store import StoreUnavailable
    from curbside.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", chroma_url=server.url)
    assert settings.store.chroma_url == server.url
    report = ingest(settings, CORPUS)
    assert report.ok and report.chunks_written > 0

    engine = make_engine(settings, embedder=embedder)
    first = engine.ask(QUESTION)
    assert first.references and not first.not_covered
    # The BM25 index of server mode is cached locally, keyed by collection and server URL.
    assert (settings.index_dir / "bm25" / "chunks.json").exists()
    assert settings.index_dir != Settings(data_dir=tmp_path / "data").index_dir

    server.stop()
    with pytest.raises(StoreUnavailable) as info:
        engine.ask(QUESTION)
    message = str(info.value)
    assert server.url in message and "Chroma" in message

    cli = _cli("ask", QUESTION, "--chroma-url", server.url, data_dir=tmp_path / "data")
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert "Error:" in cli.stderr
    assert "Traceback" not in cli.stderr + cli.stdout

    server.start()  # same port, same path
    again = engine.ask(QUESTION)  # the same engine object, not re-created
    assert again.text == first.text
    assert [r.meta.id for r in again.references] == [r.meta.id for r in first.references]


def test_bearer_token_setting_reaches_the_client(tmp_path: Path, server: Server) -> None:
    """CURBSIDE_STORE__CHROMA_TOKEN is sent as `Authorization: Bearer ...` (server accepts it)."""
    from curbside.rag.factory import make_store
    from curbside.settings import Settings

    os.environ["CURBSIDE_STORE__CHROMA_TOKEN"] = "s3cret-token"
    os.environ["CURBSIDE_CHROMA_URL"] = server.url
    try:
        settings = Settings(data_dir=tmp_path / "data")
    finally:
        del os.environ["CURBSIDE_STORE__CHROMA_TOKEN"], os.environ["CURBSIDE_CHROMA_URL"]
    assert settings.store.chroma_url == server.url
    store = make_store(settings)
    headers = store.client.get_settings().chroma_server_headers or {}
    assert headers.get("Authorization") == "Bearer s3cret-token"
    assert store.count() >= 0  # an open server ignores the header; the call still works
