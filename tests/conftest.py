"""Fixtures shared by every test: offline switches, settings in tmp dirs, the real embedder,
a real `chroma run` server, an ingested copy of the bundled corpus and ../shared/data.

What tests may rely on:
- ``settings_factory`` gives ``Settings`` whose data dir is under the test's ``tmp_path``;
  CURBSIDE_* variables of the developer's shell are cleared for the session, so only what a
  test passes shapes its settings.
- ``embedder`` is the real offline all-MiniLM-L6-v2, loaded once per session.
- ``chroma_server`` is the URL of a real ``chroma run`` on 127.0.0.1 (one per session; give
  each test its own ``store.collection_prefix`` so tests do not share a collection).
- ``corpus_index`` is the bundled corpus ingested once per session into an embedded store.
  It is read-only: a test that writes takes ``corpus_index_copy`` (a private copy).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from curbside.offline import apply_offline_env

if TYPE_CHECKING:
    from curbside.ingest.pipeline import IngestReport
    from curbside.rag.embedding import Embedder
    from curbside.rag.store import ChunkStore
    from curbside.settings import Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SHARED_DATA = REPO.parent / "shared" / "data"

SERVER_START_TIMEOUT_S = 60.0


# ---- session set-up ---------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    apply_offline_env()
    for key in [k for k in os.environ if k.startswith("CURBSIDE_")]:
        del os.environ[key]  # a developer's CURBSIDE_CHROMA_URL must not leak into tests


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that start the Chroma server carry the `server` marker, so `-m "not server"` works."""
    for item in items:
        if "chroma_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.server)
            item.add_marker(pytest.mark.integration)


# ---- ../shared/data ----------------------------------------------------------------------
def _require_shared(relative: str = "") -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; skips the test when it is absent."""
    return _require_shared()


@pytest.fixture(scope="session")
def shared_file() -> Callable[[str], Path]:
    """``shared_file("pubmedqa/abstracts.jsonl")``: the path, or a clean skip when absent."""
    return _require_shared


# ---- settings and heavy collaborators ----------------------------------------------------
@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """``settings_factory(**overrides)``: Settings with the data dir under tmp_path.

    Nested groups are given as dicts: ``settings_factory(ingest={"max_file_mb": 0.05})``;
    ``data_dir=`` points at another folder (e.g. a copied index).
    """
    from curbside.settings import Settings

    def make(data_dir: Path | None = None, **overrides: Any) -> Settings:
        return Settings(data_dir=data_dir or tmp_path / "data", **overrides)

    return make


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real offline embedding model, loaded once for the whole session."""
    from curbside.rag.factory import make_embedder
    from curbside.settings import Settings

    model = make_embedder(Settings())
    model.encode(["warm up"])  # load now, so the first test's timing is its own
    return model


@pytest.fixture(scope="session")
def ingest(embedder: Embedder) -> Callable[..., IngestReport]:
    """``ingest(settings, *paths, prune=False, dry_run=False, store=None)`` with the real
    embedder, as the CLI does it (fresh manifest and store handles on every call)."""
    from curbside.ingest.pipeline import Ingestor
    from curbside.rag.factory import make_store

    def run(
        settings: Settings,
        *paths: Path,
        prune: bool = False,
        dry_run: bool = False,
        store: ChunkStore | None = None,
    ) -> IngestReport:
        ingestor = Ingestor(settings, store or make_store(settings), embedder)
        return ingestor.run(list(paths), prune=prune, dry_run=dry_run)

    return run


@pytest.fixture(scope="session")
def read_store() -> Callable[[Settings], dict[str, tuple[str, dict[str, Any]]]]:
    """``read_store(settings)``: every stored chunk as id -> (document, metadata).

    Fails the test when an id occurs twice, so callers get duplicate detection for free.
    """
    from curbside.rag.factory import make_store

    def read(settings: Settings) -> dict[str, tuple[str, dict[str, Any]]]:
        rows: dict[str, tuple[str, dict[str, Any]]] = {}
        for chunk_id, text, meta in make_store(settings).iter_rows():
            assert chunk_id not in rows, f"chunk id {chunk_id} stored twice"
            rows[chunk_id] = (text, meta)
        return rows

    return read


# ---- the bundled corpus, ingested once ---------------------------------------------------
@dataclass(frozen=True)
class IngestedCorpus:
    corpus_dir: Path  # the copy of corpus/ that was ingested
    data_dir: Path
    report: IngestReport
    rows: dict[str, tuple[str, dict[str, Any]]]  # id -> (document, metadata) after ingest

    def settings(self, **overrides: Any) -> Settings:
        from curbside.settings import Settings

        return Settings(data_dir=self.data_dir, **overrides)


@pytest.fixture(scope="session")
def corpus_index(
    tmp_path_factory: pytest.TempPathFactory,
    ingest: Callable[..., IngestReport],
    read_store: Callable[[Settings], dict[str, tuple[str, dict[str, Any]]]],
) -> IngestedCorpus:
    """The bundled corpus ingested into an embedded store (once per session; do not write)."""
    from curbside.settings import Settings

    root = tmp_path_factory.mktemp("corpus-index")
    corpus_dir = root / "corpus"
    shutil.copytree(CORPUS, corpus_dir)
    settings = Settings(data_dir=root / "data")
    report = ingest(settings, corpus_dir)
    return IngestedCorpus(corpus_dir, root / "data", report, read_store(settings))


@pytest.fixture
def corpus_index_copy(corpus_index: IngestedCorpus, tmp_path: Path) -> IngestedCorpus:
    """A private, writable copy of ``corpus_index`` (its corpus folder and its data dir).

    The copied manifest names the copied files as the sources' owners, so editing a copied
    file is an update of that source (not another file claiming its id). Chroma metadata
    keeps the original origin paths, which is harmless: the content hash leaves them out.
    """
    import json

    corpus_dir = tmp_path / "corpus"
    data_dir = tmp_path / "data"
    shutil.copytree(corpus_index.corpus_dir, corpus_dir)
    shutil.copytree(corpus_index.data_dir, data_dir)
    for manifest in data_dir.rglob("manifest.json"):
        text = manifest.read_text(encoding="utf-8")
        payload = json.loads(text.replace(str(corpus_index.corpus_dir), str(corpus_dir)))
        manifest.write_text(json.dumps(payload), encoding="utf-8")
    return IngestedCorpus(corpus_dir, data_dir, corpus_index.report, corpus_index.rows)


# ---- a real Chroma server ----------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _heartbeat_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_chroma_server(path: Path, log_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.fail(f"the chroma command is not installed beside {sys.executable}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not _heartbeat_ok(url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            tail = log_file.read_text(errors="replace")[-2000:]
            pytest.fail(f"chroma run did not come up on {url}:\n{tail}")
        time.sleep(0.1)  # poll interval; the loop waits on the heartbeat, not on time
    return process, url


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real ``chroma run`` server on a free port, stopped with SIGTERM at the end."""
    root = tmp_path_factory.mktemp("chroma-server")
    process, url = start_chroma_server(root / "db", root / "chroma.log")
    try:
        yield url
    finally:
        stop_process(process)


# ---- small shared helpers ----------------------------------------------------------------
def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for running `python -m curbside` in a subprocess: the developer's
    CURBSIDE_ variables removed, the index in `data_dir`, a wide terminal for rich tables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    env.update(CURBSIDE_DATA_DIR=str(data_dir), COLUMNS="200", PYTHONPATH=str(REPO), **extra)
    return env


@pytest.fixture(scope="session")
def wait_until() -> Callable[..., Any]:
    """``wait_until(predicate, timeout, what)``: poll until the predicate is truthy."""

    def wait(
        predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(interval)

    return wait
