"""Ingestion against the real `chroma run` server, and one contract for embedded and server.

Each test gets its own collection prefix, so tests sharing the session's server never see
each other's chunks.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from curbside.ingest.pipeline import IngestReport
    from curbside.rag.embedding import Embedder
    from curbside.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.server]

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
SUBSET = [
    "carolus-foot-drop-2019.md",
    "eular-aav-2022.md",
    "finnerup-neuropathic-pain-2015.md",
    "mori-sjogren-neuropathy-2005.md",
    "nice-cg173-neuropathic-pain-2013.md",
    "stewart-foot-drop-2008.md",
]
Rows = dict[str, tuple[str, dict[str, Any]]]


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def expected_chunks(paths: list[Path], embedder: Embedder, settings: Settings) -> dict[str, str]:
    from curbside.ingest.chunking import chunk_document
    from curbside.ingest.loaders import loader_for

    budget, overlap = settings.ingest.chunk_tokens, settings.ingest.chunk_overlap_tokens
    return {
        c.id: c.text
        for p in paths
        for doc in loader_for(p).load(p)
        for c in chunk_document(doc, embedder.count_tokens, budget, overlap)
    }


@pytest.fixture(params=["embedded", "server"])
def backend_settings(
    request: pytest.FixtureRequest, settings_factory: Callable[..., Settings]
) -> Settings:
    store: dict[str, Any] = {"collection_prefix": unique_prefix()}
    if request.param == "server":
        store["chroma_url"] = request.getfixturevalue("chroma_server")
    return settings_factory(store=store)


def test_ingest_contract_for_embedded_and_server_stores(
    backend_settings: Settings,
    tmp_path: Path,
    embedder: Embedder,
    ingest: Callable[..., IngestReport],
    read_store: Callable[[Settings], Rows],
) -> None:
    from curbside.ingest.manifest import Manifest
    from curbside.rag.factory import make_store
    from curbside.rag.lexical import LexicalIndex, index_path, rows_fingerprint

    settings = backend_settings
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SUBSET:
        shutil.copy(CORPUS / name, corpus / name)
    paths = sorted(corpus.iterdir())
    ids = [p.stem for p in paths]

    first = ingest(settings, corpus)
    assert first.ok, first.failures
    assert first.statuses == dict.fromkeys(ids, "added")
    rows = read_store(settings)
    assert {k: text for k, (text, _) in rows.items()} == expected_chunks(paths, embedder, settings)
    assert first.chunks_written == len(rows)

    listed = make_store(settings).sources()  # what `curbside sources` shows
    manifest = Manifest.load(settings.index_dir / "manifest.json")
    assert set(listed) == set(ids)
    for sid, (meta, chunks) in listed.items():
        assert chunks == manifest.entries[sid].chunks
        assert meta.title == manifest.entries[sid].title
        assert meta.origin == str(corpus / f"{sid}.md")

    again = ingest(settings, corpus)
    assert again.statuses == dict.fromkeys(ids, "unchanged") and again.chunks_written == 0
    assert read_store(settings) == rows

    (corpus / "mori-sjogren-neuropathy-2005.md").unlink()
    stewart = corpus / "stewart-foot-drop-2008.md"
    stewart.write_text(
        stewart.read_text().replace("## Limitations\n", "## Limitations\n\nA new line.\n", 1)
    )
    changed = ingest(settings, corpus, prune=True)
    assert {k: v for k, v in changed.statuses.items() if v != "unchanged"} == {
        "mori-sjogren-neuropathy-2005": "removed",
        "stewart-foot-drop-2008": "updated",
    }
    final = read_store(settings)
    remaining = sorted(corpus.iterdir())
    assert {k: text for k, (text, _) in final.items()} == expected_chunks(
        remaining, embedder, settings
    )
    index = LexicalIndex.load(index_path(settings.index_dir))
    assert index is not None
    assert index.fingerprint == rows_fingerprint((k, m) for k, (_, m) in final.items())


def test_server_store_ends_with_the_same_chunks_as_the_embedded_one(
    chroma_server: str,
    corpus_index: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ingest: Callable[..., IngestReport],
    read_store: Callable[[Settings], Rows],
) -> None:
    """The bundled corpus into the server, configured the operator's way (environment)."""
    from curbside.settings import Settings

    prefix = unique_prefix()
    env = {
        "CURBSIDE_CHROMA_URL": chroma_server,
        "CURBSIDE_DATA_DIR": str(tmp_path / "data"),
        "CURBSIDE_STORE__COLLECTION_PREFIX": prefix,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.store.chroma_url == chroma_server
    assert settings.index_dir != corpus_index.settings().index_dir  # its own manifest and BM25

    report = ingest(settings, corpus_index.corpus_dir)

    assert report.ok, report.failures
    assert report.statuses == corpus_index.report.statuses  # all added
    rows = read_store(settings)
    assert rows == corpus_index.rows  # same ids, documents and metadata as the embedded store
    again = ingest(settings, corpus_index.corpus_dir)
    assert set(again.statuses.values()) == {"unchanged"} and again.chunks_written == 0

    cli_env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    listing = subprocess.run(
        [sys.executable, "-m", "curbside", "sources"],
        env={**cli_env, **env, "COLUMNS": "250", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listing.returncode == 0, listing.stderr
    sources = {m["source_id"] for _, m in rows.values()}
    assert f"{len(sources)} sources, {len(rows)} chunks" in listing.stdout
    assert all(sid in listing.stdout for sid in sources)


def test_ingest_into_an_unreachable_server_fails_with_a_clear_error(
    settings_factory: Callable[..., Settings], ingest: Callable[..., IngestReport]
) -> None:
    from curbside.rag.store import StoreUnavailable

    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = settings_factory(chroma_url=url)
    with pytest.raises(StoreUnavailable, match=f"cannot open the Chroma store at {url}"):
        ingest(settings, CORPUS / SUBSET[0])
