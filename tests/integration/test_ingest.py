"""Ingestion end to end with the real embedder and real embedded Chroma in tmp dirs.

The bundled corpus is ingested once per session (``corpus_index``); tests that write work
on a private copy of that index (``corpus_index_copy``), so only the changed sources are
embedded again. Expected chunk ids come from the loaders and the chunker (tokenizer only,
no embedding), so every comparison is against an independent computation.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import cli_env

if TYPE_CHECKING:
    from curbside.ingest.pipeline import IngestReport
    from curbside.rag.embedding import Embedder
    from curbside.settings import Settings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
Rows = dict[str, tuple[str, dict[str, Any]]]
Ingest = Callable[..., "IngestReport"]
ReadStore = Callable[["Settings"], Rows]


# ---- helpers ------------------------------------------------------------------------------
def load_documents(paths: Iterable[Path]) -> list[Any]:
    from curbside.ingest.loaders import loader_for
    from curbside.rag.models import SourceDocument

    return [d for p in paths for d in loader_for(p).load(p) if isinstance(d, SourceDocument)]


def expected_chunks(
    paths: Iterable[Path], embedder: Embedder, settings: Settings
) -> dict[str, str]:
    """chunk id -> text, as a clean ingest of these files must store them."""
    from curbside.ingest.chunking import chunk_document

    budget, overlap = settings.ingest.chunk_tokens, settings.ingest.chunk_overlap_tokens
    return {
        c.id: c.text
        for doc in load_documents(paths)
        for c in chunk_document(doc, embedder.count_tokens, budget, overlap)
    }


def documents_by_id(rows: Rows) -> dict[str, str]:
    return {chunk_id: text for chunk_id, (text, _) in rows.items()}


def of_source(rows: Rows, source_id: str) -> Rows:
    return {k: v for k, v in rows.items() if v[1]["source_id"] == source_id}


def without_source(rows: Rows, source_id: str) -> Rows:
    return {k: v for k, v in rows.items() if v[1]["source_id"] != source_id}


def manifest_entries(settings: Settings) -> dict[str, Any]:
    from curbside.ingest.manifest import Manifest

    return Manifest.load(settings.index_dir / "manifest.json").entries


def assert_lexical_index_matches_store(settings: Settings, rows: Rows) -> None:
    from curbside.rag.lexical import LexicalIndex, index_path, rows_fingerprint

    index = LexicalIndex.load(index_path(settings.index_dir))
    assert index is not None, "no BM25 index was saved"
    assert sorted(index.chunk_ids) == sorted(rows)
    assert index.fingerprint == rows_fingerprint((k, meta) for k, (_, meta) in rows.items())
    by_id = dict(zip(index.chunk_ids, zip(index.kinds, index.years, strict=True), strict=True))
    for chunk_id, (_, meta) in rows.items():
        assert by_id[chunk_id] == (meta["kind"], meta["year"]), chunk_id


def index_files_state(settings: Settings) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file of the manifest and BM25 index, to prove nothing was written."""
    return {
        str(p.relative_to(settings.index_dir)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(settings.index_dir.rglob("*"))
        if p.is_file()
    }


def edit_file(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


FOOT_DROP = "stewart-foot-drop-2008"
NEW_SENTENCE = "An added test sentence says that peroneal nerve compression is often reversible."


# ---- the bundled corpus -------------------------------------------------------------------
def test_bundled_corpus_is_ingested_completely(corpus_index: Any, embedder: Embedder) -> None:
    settings = corpus_index.settings()
    files = sorted(corpus_index.corpus_dir.glob("*.md"))
    report, rows = corpus_index.report, corpus_index.rows
    documents = load_documents(files)

    assert len(files) >= 40
    assert report.ok, report.failures
    assert report.statuses == {d.meta.id: "added" for d in documents}
    assert report.chunks_written == len(rows)

    from curbside.rag.factory import make_store

    assert make_store(settings).count() == len(rows)
    assert documents_by_id(rows) == expected_chunks(files, embedder, settings)

    entries = manifest_entries(settings)
    assert set(entries) == set(report.statuses)
    for sid, entry in entries.items():
        own = of_source(rows, sid)
        assert entry.chunks == len(own) > 0, sid
        assert {meta["source_hash"] for _, meta in own.values()} == {entry.content_hash}
    assert sum(e.chunks for e in entries.values()) == len(rows)

    stewart = next(meta for _, meta in of_source(rows, FOOT_DROP).values())
    assert (stewart["kind"], stewart["year"], stewart["publisher"]) == (
        "research",
        2008,
        "Practical Neurology",
    )
    assert stewart["origin"] == str(corpus_index.corpus_dir / f"{FOOT_DROP}.md")
    assert_lexical_index_matches_store(settings, rows)


def test_the_ingested_index_answers_dense_and_bm25_queries(
    corpus_index: Any, embedder: Embedder
) -> None:
    from curbside.rag.factory import make_store
    from curbside.rag.lexical import LexicalIndex, index_path

    settings = corpus_index.settings()
    store = make_store(settings)
    hits = store.query(
        embedder.embed_query("rituximab versus cyclophosphamide for ANCA vasculitis"), 3
    )
    assert hits[0][0].source_id == "stone-rave-rituximab-2010"
    assert hits[0][0].dense_score and hits[0][0].dense_score > 0.5
    index = LexicalIndex.load(index_path(settings.index_dir))
    assert index is not None
    top, _ = index.search("rituximab cyclophosphamide remission", 1)[0]
    assert top.startswith("stone-rave-rituximab-2010::")


def test_reingest_of_an_unchanged_corpus_writes_nothing(
    corpus_index_copy: Any, ingest: Ingest, read_store: ReadStore
) -> None:
    settings = corpus_index_copy.settings()
    before_files = index_files_state(settings)

    report = ingest(settings, corpus_index_copy.corpus_dir)

    assert report.ok, report.failures
    assert report.chunks_written == 0
    assert set(report.statuses.values()) == {"unchanged"}
    assert len(report.statuses) == len(corpus_index_copy.report.statuses)
    assert read_store(settings) == corpus_index_copy.rows
    assert index_files_state(settings) == before_files  # manifest and BM25 not rewritten


def test_a_changed_source_alone_is_updated(
    corpus_index_copy: Any, ingest: Ingest, read_store: ReadStore, embedder: Embedder
) -> None:
    settings = corpus_index_copy.settings()
    path = corpus_index_copy.corpus_dir / f"{FOOT_DROP}.md"
    edit_file(path, "## Limitations\n", f"## Limitations\n\n{NEW_SENTENCE}\n")
    old_rows = corpus_index_copy.rows

    report = ingest(settings, corpus_index_copy.corpus_dir)

    assert report.ok, report.failures
    assert report.statuses[FOOT_DROP] == "updated"
    assert report.count("updated") == 1
    assert report.count("unchanged") == len(report.statuses) - 1
    rows = read_store(settings)
    new_chunks = expected_chunks([path], embedder, settings)
    assert report.chunks_written == len(new_chunks)
    assert documents_by_id(of_source(rows, FOOT_DROP)) == new_chunks
    assert any(NEW_SENTENCE in text for text in new_chunks.values())
    gone = set(of_source(old_rows, FOOT_DROP)) - set(new_chunks)
    assert gone, "the edit should have changed at least one chunk id"
    assert gone.isdisjoint(rows)
    assert without_source(rows, FOOT_DROP) == without_source(old_rows, FOOT_DROP)
    entry = manifest_entries(settings)[FOOT_DROP]
    assert {m["source_hash"] for _, m in of_source(rows, FOOT_DROP).values()} == {
        entry.content_hash
    }
    assert_lexical_index_matches_store(settings, rows)


def test_a_metadata_only_change_reaches_the_store_and_the_bm25_index(
    corpus_index_copy: Any, ingest: Ingest, read_store: ReadStore
) -> None:
    """Same text, so the same chunk ids: kind and year must still be updated everywhere."""
    from curbside.rag.lexical import LexicalIndex, index_path

    settings = corpus_index_copy.settings()
    path = corpus_index_copy.corpus_dir / f"{FOOT_DROP}.md"
    edit_file(path, "kind: research\n", "kind: guideline\n")
    edit_file(path, "year: 2008\n", "year: 2009\n")

    report = ingest(settings, corpus_index_copy.corpus_dir)

    assert report.statuses[FOOT_DROP] == "updated"
    rows = read_store(settings)
    own = of_source(rows, FOOT_DROP)
    assert set(own) == set(of_source(corpus_index_copy.rows, FOOT_DROP))  # ids unchanged
    assert {(m["kind"], m["year"]) for _, m in own.values()} == {("guideline", 2009)}
    assert_lexical_index_matches_store(settings, rows)
    index = LexicalIndex.load(index_path(settings.index_dir))
    assert index is not None
    hits = index.search(
        "foot drop peroneal nerve", 50, kind="guideline", year_min=2009, year_max=2009
    )
    assert any(chunk_id.startswith(f"{FOOT_DROP}::") for chunk_id, _ in hits)


def test_prune_removes_sources_whose_file_was_deleted(
    corpus_index_copy: Any, ingest: Ingest, read_store: ReadStore
) -> None:
    settings = corpus_index_copy.settings()
    (corpus_index_copy.corpus_dir / f"{FOOT_DROP}.md").unlink()
    old_rows = corpus_index_copy.rows

    kept = ingest(settings, corpus_index_copy.corpus_dir)  # without --prune nothing is removed
    assert FOOT_DROP not in kept.statuses and kept.count("removed") == 0
    assert read_store(settings) == old_rows

    report = ingest(settings, corpus_index_copy.corpus_dir, prune=True)

    assert report.ok, report.failures
    assert report.statuses[FOOT_DROP] == "removed"
    assert report.count("removed") == 1 and report.chunks_written == 0
    rows = read_store(settings)
    assert of_source(rows, FOOT_DROP) == {}
    assert rows == without_source(old_rows, FOOT_DROP)
    assert FOOT_DROP not in manifest_entries(settings)
    assert_lexical_index_matches_store(settings, rows)


def test_dry_run_reports_what_would_change_and_changes_nothing(
    corpus_index_copy: Any, ingest: Ingest, read_store: ReadStore
) -> None:
    settings = corpus_index_copy.settings()
    corpus = corpus_index_copy.corpus_dir
    edit_file(corpus / f"{FOOT_DROP}.md", "## Limitations\n", f"## Limitations\n\n{NEW_SENTENCE}\n")
    (corpus / "wiffen-gabapentin-2017.md").unlink()
    new = (
        (corpus / "peul-sciatica-surgery-2007.md")
        .read_text()
        .replace("id: peul-sciatica-surgery-2007", "id: test-new-source")
    )
    (corpus / "test-new-source.md").write_text(new)
    before_files = index_files_state(settings)

    dry = ingest(settings, corpus, prune=True, dry_run=True)

    assert dry.dry_run and dry.chunks_written == 0
    changes = {sid: s for sid, s in dry.statuses.items() if s != "unchanged"}
    assert changes == {
        FOOT_DROP: "updated",
        "wiffen-gabapentin-2017": "removed",
        "test-new-source": "added",
    }
    assert read_store(settings) == corpus_index_copy.rows
    assert index_files_state(settings) == before_files

    real = ingest(settings, corpus, prune=True)  # the real run does what the dry run said
    assert real.statuses == dry.statuses
    assert read_store(settings) != corpus_index_copy.rows


# ---- bad files ----------------------------------------------------------------------------
GOOD_FILES = ["stewart-foot-drop-2008.md", "wiffen-gabapentin-2017.md", "sharp-mctd-1972.md"]
GOOD_RECORD = json.dumps({"id": "rec-good-1", "title": "A record", "text": "Foot drop is common."})
GOOD_RECORD_2 = json.dumps({"id": "rec-good-2", "title": "Another", "text": "Gabapentin helps."})


def _markdown(source_id: str, text: str, title: str = "A test source") -> str:
    return f"---\nid: {source_id}\ntitle: {title}\nkind: research\n---\n\n## Findings\n\n{text}\n"


def _encrypted_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_mixed_folder(folder: Path) -> dict[str, str]:
    """Good files and one file of every bad class; returns failing location -> reason part."""
    folder.mkdir()
    for name in GOOD_FILES:
        shutil.copy(CORPUS / name, folder / name)
    bad = folder / "bad"
    bad.mkdir()
    (bad / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    (bad / "encrypted.pdf").write_bytes(_encrypted_pdf())
    (bad / "empty.md").write_bytes(b"")
    (bad / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (bad / "too-big.md").write_text(_markdown("too-big", "Foot drop is common. " * 4000))
    (bad / "latin1.md").write_bytes(_markdown("latin1", "Sjögren syndrome.").encode("latin-1"))
    (bad / "records.jsonl").write_text(
        f'{GOOD_RECORD}\n{{"id": "broken", "text": \n{GOOD_RECORD_2}\n'
    )
    (bad / "no-kind.md").write_text("---\nid: no-kind\ntitle: Missing kind\n---\n\n## A\n\nText.\n")
    (bad / "dup-a.md").write_text(_markdown("dup-id", "The first file with this id."))
    (bad / "dup-b.md").write_text(_markdown("dup-id", "The second file with this id."))
    return {
        str(bad / "corrupt.pdf"): "corrupt or unreadable PDF",
        str(bad / "encrypted.pdf"): "encrypted",
        str(bad / "empty.md"): "the file is empty",
        str(bad / "image.md"): "binary content",
        str(bad / "too-big.md"): "over the 0.05 MB limit",
        str(bad / "latin1.md"): "not valid UTF-8",
        f"{bad / 'records.jsonl'}:2": "invalid JSON",
        str(bad / "no-kind.md"): "missing required metadata: kind",
        str(bad / "dup-b.md"): f"duplicate source id 'dup-id' (also in {bad / 'dup-a.md'})",
    }


def test_bad_files_are_reported_and_the_good_ones_ingested(
    settings_factory: Callable[..., Settings],
    tmp_path: Path,
    ingest: Ingest,
    read_store: ReadStore,
    embedder: Embedder,
) -> None:
    folder = tmp_path / "mixed"
    expected_failures = make_mixed_folder(folder)
    assert (folder / "bad" / "too-big.md").stat().st_size > 0.05 * 1024 * 1024
    settings = settings_factory(ingest={"max_file_mb": 0.05})

    report = ingest(settings, folder)

    failures = {f.where: f.reason for f in report.failures}
    assert set(failures) == set(expected_failures), failures
    for where, reason in expected_failures.items():
        assert reason in failures[where], (where, failures[where])
    assert not report.ok
    good_ids = {
        "stewart-foot-drop-2008",
        "wiffen-gabapentin-2017",
        "sharp-mctd-1972",
        "rec-good-1",
        "rec-good-2",
        "dup-id",
    }
    assert report.statuses == dict.fromkeys(good_ids, "added")
    rows = read_store(settings)
    good_paths = [folder / n for n in GOOD_FILES]
    good_paths += [folder / "bad" / "dup-a.md", folder / "bad" / "records.jsonl"]
    assert documents_by_id(rows) == expected_chunks(good_paths, embedder, settings)
    assert {m["source_id"] for _, m in rows.values()} == good_ids
    dup_text = " ".join(text for text, m in rows.values() if m["source_id"] == "dup-id")
    assert "first file" in dup_text and "second file" not in dup_text

    # The same folder again, with --prune: same failures, nothing re-written or removed.
    again = ingest(settings, folder, prune=True)
    assert {f.where for f in again.failures} == set(expected_failures)
    assert again.statuses == dict.fromkeys(good_ids, "unchanged")
    assert again.chunks_written == 0
    assert read_store(settings) == rows

    # A file that was ingested and is now broken is reported, and its source is kept.
    (folder / "wiffen-gabapentin-2017.md").write_bytes(b"\xff\xfe broken now")
    broken = ingest(settings, folder, prune=True)
    assert (
        "not valid UTF-8"
        in {f.where: f.reason for f in broken.failures}[str(folder / "wiffen-gabapentin-2017.md")]
    )
    assert "wiffen-gabapentin-2017" not in broken.statuses
    assert read_store(settings) == rows


# ---- the CLI ------------------------------------------------------------------------------
def summary_row(stdout: str) -> dict[str, str]:
    """The numbers of rich's 'ingest summary' table, by column name."""
    lines = stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if "ingest summary" in line)
    header = re.findall(r"[a-z]+", lines[title + 2])
    values = next(
        re.findall(r"[\d.]+", line) for line in lines[title + 3 :] if re.search(r"\d", line)
    )
    return dict(zip(header, values, strict=True))


def test_cli_ingest_exit_codes_and_summary(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / f"{FOOT_DROP}.md", folder)
    (folder / "empty.md").write_bytes(b"")
    command = [sys.executable, "-m", "curbside", "ingest", str(folder)]
    env = cli_env(tmp_path / "data")

    failed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"failed {folder / 'empty.md'}: the file is empty" in " ".join(failed.stderr.split())
    assert re.search(rf"^\s*added\s+{FOOT_DROP}$", failed.stdout, re.MULTILINE)
    row = summary_row(failed.stdout)
    assert {k: row[k] for k in ("added", "updated", "unchanged", "removed", "failed")} == {
        "added": "1",
        "updated": "0",
        "unchanged": "0",
        "removed": "0",
        "failed": "1",
    }
    assert int(row["chunks"]) > 0
    assert "Traceback" not in failed.stderr
    assert "DEBUG" not in failed.stderr + failed.stdout  # bm25s logs at DEBUG on its own

    (folder / "empty.md").unlink()
    ok = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)

    assert ok.returncode == 0, ok.stdout + ok.stderr
    row = summary_row(ok.stdout)
    assert (row["unchanged"], row["failed"], row["chunks"]) == ("1", "0", "0")


# ---- crash safety -------------------------------------------------------------------------
class SimulatedCrash(BaseException):
    """Raised by the store after a write, as a kill would stop the process there."""


def crashing_store(settings: Settings, crash_after_upserts: int) -> Any:
    """A real ChunkStore that dies right after its n-th upsert (before stale chunks are
    deleted and before the manifest records the batch)."""
    from curbside.rag.store import ChunkStore

    class CrashingStore(ChunkStore):
        upserts = 0

        def upsert(self, *args: Any, **kwargs: Any) -> None:
            super().upsert(*args, **kwargs)
            self.upserts += 1
            if self.upserts == crash_after_upserts:
                raise SimulatedCrash

    return CrashingStore.from_settings(settings)


# In file order, which is the order sources are planned and written in.
EDITED = [
    "pareyson-cmt-2009",
    "peul-sciatica-surgery-2007",
    "sharp-mctd-1972",
    "stewart-foot-drop-2008",
    "tyson-afo-stroke-2013",
    "wiffen-gabapentin-2017",
]


def edit_sources(corpus: Path) -> list[Path]:
    """Change one sentence's worth of text in the first section of several sources."""
    paths = []
    for sid in EDITED:
        path = corpus / f"{sid}.md"
        text = path.read_text()
        first_heading = text.index("\n## ")
        end_of_line = text.index("\n", first_heading + 1)
        path.write_text(text[:end_of_line] + f"\n\n{NEW_SENTENCE}" + text[end_of_line:])
        paths.append(path)
    return paths


def assert_index_is_clean_state(
    settings: Settings, rows: Rows, old_rows: Rows, edited: list[Path], embedder: Embedder
) -> None:
    """Unedited sources exactly as before; edited ones exactly as the chunker says; no extras."""
    expected_edited = expected_chunks(edited, embedder, settings)
    assert {
        k: v for k, v in documents_by_id(rows).items() if k.split("::")[0] in EDITED
    } == expected_edited
    untouched = {k: v for k, v in old_rows.items() if k.split("::")[0] not in EDITED}
    assert {k: v for k, v in rows.items() if k.split("::")[0] not in EDITED} == untouched
    entries = manifest_entries(settings)
    assert set(entries) == {m["source_id"] for _, m in old_rows.values()}
    assert sum(e.chunks for e in entries.values()) == len(rows)
    assert_lexical_index_matches_store(settings, rows)


def test_crash_between_upsert_and_manifest_is_repaired_by_the_next_run(
    corpus_index_copy: Any,
    ingest: Ingest,
    read_store: ReadStore,
    embedder: Embedder,
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(data_dir=corpus_index_copy.data_dir, ingest={"batch_chunks": 1})
    edited = edit_sources(corpus_index_copy.corpus_dir)
    old_rows = corpus_index_copy.rows

    with pytest.raises(SimulatedCrash):
        ingest(settings, corpus_index_copy.corpus_dir, store=crashing_store(settings, 2))

    # The second source's new chunks are in, its old ones are still there: the crash window.
    mid = read_store(settings)
    second = EDITED[1]
    assert set(of_source(old_rows, second)) < set(of_source(mid, second))
    assert (
        manifest_entries(settings)[second].content_hash
        == (next(m for _, m in of_source(old_rows, second).values())["source_hash"])
    )

    report = ingest(settings, corpus_index_copy.corpus_dir)

    assert report.ok, report.failures
    assert report.statuses[EDITED[0]] == "unchanged"  # committed before the crash
    assert [report.statuses[s] for s in EDITED[1:]] == ["updated"] * (len(EDITED) - 1)
    assert_index_is_clean_state(settings, read_store(settings), old_rows, edited, embedder)


def test_kill_9_during_an_update_then_rerun_gives_a_clean_index(
    corpus_index_copy: Any,
    ingest: Ingest,
    read_store: ReadStore,
    embedder: Embedder,
    settings_factory: Callable[..., Settings],
    wait_until: Callable[..., Any],
) -> None:
    """A real `curbside ingest` process is killed with SIGKILL after some batches of an
    update have been committed (the manifest changed) and before it finished."""
    from curbside.ingest.manifest import Manifest

    settings = settings_factory(data_dir=corpus_index_copy.data_dir, ingest={"batch_chunks": 4})
    edited = edit_sources(corpus_index_copy.corpus_dir)
    old_rows = corpus_index_copy.rows
    manifest = settings.index_dir / "manifest.json"
    old_hashes = {sid: e.content_hash for sid, e in manifest_entries(settings).items()}

    def committed() -> list[str]:
        entries = Manifest.load(manifest).entries
        return [s for s in EDITED if s in entries and entries[s].content_hash != old_hashes[s]]

    process = subprocess.Popen(
        [sys.executable, "-m", "curbside", "ingest", str(corpus_index_copy.corpus_dir)],
        env=cli_env(corpus_index_copy.data_dir, CURBSIDE_INGEST__BATCH_CHUNKS="4"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: len(committed()) >= 2 or process.poll() is not None,
            600,
            "two committed batches",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    done_before_kill = committed()
    assert 2 <= len(done_before_kill) < len(EDITED), done_before_kill

    report = ingest(settings, corpus_index_copy.corpus_dir)

    assert report.ok, report.failures
    assert {s for s in EDITED if report.statuses[s] == "unchanged"} == set(done_before_kill)
    assert {s for s in EDITED if report.statuses[s] == "updated"} == set(EDITED) - set(
        done_before_kill
    )
    rows = read_store(settings)
    assert_index_is_clean_state(settings, rows, old_rows, edited, embedder)

    # The vector index agrees with the records: every chunk's own vector finds that chunk first.
    from curbside.rag.factory import make_store

    collection = make_store(settings).collection
    stored = collection.get(include=["embeddings"])
    found = collection.query(
        query_embeddings=stored["embeddings"], n_results=5, include=["distances"]
    )
    mismatched = [
        (own, list(zip(ids, (round(d, 4) for d in dists), strict=True)))
        for own, ids, dists in zip(stored["ids"], found["ids"], found["distances"], strict=True)
        if ids[0] != own or dists[0] > 1e-3
    ]
    assert not mismatched, mismatched[:5]


def test_a_50_mb_text_file_is_refused_by_the_default_limit(
    tmp_path: Path, settings_factory: Callable[..., Any]
) -> None:
    """The default size limit (not a test-sized one) stops a 50 MB file before reading it,
    and the good file beside it is still planned for ingestion."""
    from curbside.ingest.pipeline import Ingestor, IngestReport
    from curbside.rag.factory import make_store

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS / GOOD_FILES[0], folder / GOOD_FILES[0])
    huge = folder / "huge.md"
    line = _markdown("huge", "x").encode()
    with huge.open("wb") as handle:
        handle.write(line)
        chunk = b"Foot drop is weakness of ankle dorsiflexion. " * 20000
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(chunk)
    settings = settings_factory()
    assert settings.ingest.max_file_mb < 50
    report = IngestReport()
    planned = Ingestor(settings, make_store(settings), embedder=None).plan([folder], report)  # type: ignore[arg-type]
    assert [p.document.meta.id for p in planned] == ["stewart-foot-drop-2008"]
    assert len(report.failures) == 1
    assert report.failures[0].where == str(huge)
    assert "over the 40 MB limit" in report.failures[0].reason
