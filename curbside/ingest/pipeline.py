"""Ingestion: files -> sources -> chunks -> vectors -> Chroma (+ BM25), idempotently.

Order of writes per batch of sources: upsert new chunks, delete the source's stale chunks,
then record the source in the manifest. A crash anywhere leaves a state that the next run
repairs to exactly what a clean run gives (same ids, no duplicates, no stale chunks).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from curbside.ingest.chunking import chunk_document, embedding_text
from curbside.ingest.loaders import (
    SUPPORTED_SUFFIXES,
    LoaderOptions,
    LoadError,
    LoadProblem,
    loader_for,
)
from curbside.ingest.manifest import Manifest, ManifestEntry, content_hash
from curbside.rag.index_state import ingest_finished, ingest_started
from curbside.rag.injection import quarantine_instructions
from curbside.rag.lexical import load_fresh_lexical_index
from curbside.rag.models import Chunk, SourceDocument
from curbside.rag.safe_text import printable_path, single_line
from curbside.rag.store import ChunkStore, source_metadata

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder
    from curbside.settings import Settings

log = logging.getLogger(__name__)

Status = Literal["added", "updated", "unchanged", "removed"]
QUARANTINE_VERSION = "q1"  # bump when the instruction detector changes what it removes


class IngestProgress(Protocol):
    def files_found(self, total: int) -> None: ...
    def file_done(self, path: Path) -> None: ...
    def chunks_planned(self, total: int) -> None: ...
    def chunks_done(self, count: int) -> None: ...


class _Silent:
    def files_found(self, total: int) -> None: ...
    def file_done(self, path: Path) -> None: ...
    def chunks_planned(self, total: int) -> None: ...
    def chunks_done(self, count: int) -> None: ...


@dataclass
class Failure:
    where: str
    reason: str
    file: str = ""  # the file it came from (where may add ":line" or "#PMID")


@dataclass
class Note:
    """Something ingested, but worth an operator's look (a flagged source, a renamed path)."""

    source_id: str
    message: str


@dataclass
class IngestReport:
    statuses: dict[str, Status] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def count(self, status: Status) -> int:
        return sum(1 for s in self.statuses.values() if s == status)

    @property
    def ok(self) -> bool:
        return not self.failures


def discover_files(paths: Iterable[Path]) -> tuple[list[Path], list[Failure]]:
    """Files to ingest under the given paths (folders are walked; hidden files skipped)."""
    found: list[Path] = []
    missing: list[Failure] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                parts = candidate.relative_to(path).parts
                if (
                    candidate.is_file()
                    and not any(p.startswith(".") for p in parts)
                    and candidate.suffix.lower() in SUPPORTED_SUFFIXES
                    and candidate.name.lower() != "readme.md"
                ):
                    found.append(candidate)
        elif path.is_file():
            found.append(path)
        else:
            missing.append(Failure(str(path), "no such file or folder"))
    return found, missing


@dataclass
class _Planned:
    document: SourceDocument
    digest: str
    status: Status
    file: str = ""
    flagged: int = 0  # instruction-like sentences left out of the index


class Ingestor:
    """Runs one ingest; the embedder is only loaded when there is something to embed."""

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embedder: Embedder,
        options: LoaderOptions | None = None,
        progress: IngestProgress | None = None,
        replace_ids: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.options = options or LoaderOptions.from_settings(settings.ingest)
        self.progress: IngestProgress = progress or _Silent()
        self.replace_ids = replace_ids
        self.manifest = Manifest.load(settings.index_dir / "manifest.json")

    # ---- reading ----------------------------------------------------------------------
    def _load_file(self, path: Path) -> Iterator[SourceDocument | Failure]:
        limit = self.settings.ingest.max_file_mb
        shown = printable_path(path)
        try:
            size = path.stat().st_size
            if size == 0:
                raise LoadError("the file is empty")
            if size > limit * 1024 * 1024:
                raise LoadError(
                    f"{size / 1024 / 1024:.1f} MB is over the {limit:g} MB limit "
                    "(CURBSIDE_INGEST__MAX_FILE_MB)"
                )
            for item in loader_for(path, self.options).load(path):
                if isinstance(item, LoadProblem):
                    yield Failure(printable_path(item.where), item.reason, shown)
                else:
                    yield item
        except LoadError as exc:
            yield Failure(shown, str(exc), shown)
        except OSError as exc:
            yield Failure(shown, f"cannot read the file: {exc.strerror or exc}", shown)
        except Exception as exc:  # a loader bug must not stop the other files
            log.exception("unexpected error loading %s", shown)
            yield Failure(shown, f"unexpected {type(exc).__name__}: {exc}", shown)

    def _owned_elsewhere(self, source_id: str, file: str) -> str | None:
        """The other file that owns this id in the index, if it still exists."""
        entry = self.manifest.entries.get(source_id)
        if entry is None or self.replace_ids:
            return None
        owner = entry.file or entry.origin
        if not owner or _same_file(owner, file) or not Path(owner).exists():
            return None  # same file, or the old file is gone (moved or renamed): allowed
        return owner

    def plan(self, paths: Sequence[Path], report: IngestReport) -> list[_Planned]:
        files, missing = discover_files(paths)
        report.failures.extend(missing)
        self.progress.files_found(len(files))
        planned: list[_Planned] = []
        seen: dict[str, str] = {}
        for path in files:
            file = printable_path(path)
            if file != str(path):
                report.notes.append(Note("", f"file name is not valid UTF-8; recorded as {file}"))
            for item in self._load_file(path):
                if isinstance(item, Failure):
                    report.failures.append(item)
                    continue
                sid = item.meta.id
                if sid in seen:
                    report.failures.append(
                        Failure(
                            item.meta.origin,
                            f"duplicate source id {sid!r} (also in {seen[sid]})",
                            file,
                        )
                    )
                    continue
                seen[sid] = item.meta.origin
                # Hash the document as loaded: an unchanged file stays "unchanged" even when
                # the instruction detector changes; what is indexed is the cleaned copy.
                digest = content_hash(item)
                cleaned, removed = quarantine_instructions(item)
                if removed:
                    report.notes.append(Note(sid, _flag_message(removed)))
                    digest += f"+{QUARANTINE_VERSION}"  # re-index copies made before cleaning
                if self.manifest.is_current(sid, digest):
                    report.statuses[sid] = "unchanged"  # same content, wherever it lies
                    continue
                owner = self._owned_elsewhere(sid, file)
                if owner:  # different content under an id another file owns
                    report.failures.append(
                        Failure(
                            item.meta.origin,
                            f"source id {sid!r} is already indexed from {owner}; give this "
                            "source another id, or use --replace to replace it on purpose",
                            file,
                        )
                    )
                    continue
                status: Status = "updated" if sid in self.manifest.entries else "added"
                planned.append(_Planned(cleaned, digest, status, file, len(removed)))
            self.progress.file_done(path)
        return planned

    # ---- writing ----------------------------------------------------------------------
    def _write_batch(self, batch: list[tuple[_Planned, list[Chunk]]]) -> int:
        chunks = [c for _, cs in batch for c in cs]
        titles = {p.document.meta.id: p.document.meta.title for p, _ in batch}
        vectors = self.embedder.encode([embedding_text(titles[c.source_id], c) for c in chunks])
        metas_by_source = {
            p.document.meta.id: source_metadata(p.document.meta, p.digest, p.flagged)
            for p, _ in batch
        }
        self.store.upsert(chunks, vectors, [metas_by_source[c.source_id] for c in chunks])
        for planned, source_chunks in batch:
            sid = planned.document.meta.id
            keep = {c.id for c in source_chunks}
            stale = [cid for cid in self.store.ids_for_source(sid) if cid not in keep]
            self.store.delete_ids(stale)
            self.manifest.entries[sid] = ManifestEntry(
                content_hash=planned.digest,
                origin=planned.document.meta.origin,
                chunks=len(source_chunks),
                title=planned.document.meta.title,
                file=planned.file,
                flagged=planned.flagged,
            )
        self.manifest.save()
        self.progress.chunks_done(len(chunks))
        return len(chunks)

    def run(
        self, paths: Sequence[Path], prune: bool = False, dry_run: bool = False
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport(dry_run=dry_run)
        planned = self.plan(paths, report)
        for item in planned:
            report.statuses[item.document.meta.id] = item.status

        gone = self._sources_to_prune(report) if prune else []
        for sid in gone:
            report.statuses[sid] = "removed"
        if dry_run:
            report.seconds = time.perf_counter() - started
            return report
        if planned or gone:
            # Removed again only when this run ends normally: a kill leaves it, and answers
            # then say the index is incomplete until an ingest is re-run.
            ingest_started(self.settings.index_dir)

        budget = self.settings.ingest.chunk_tokens
        overlap = self.settings.ingest.chunk_overlap_tokens
        batch: list[tuple[_Planned, list[Chunk]]] = []
        pending = 0
        if planned:
            self.progress.chunks_planned(0)
        for item in planned:
            chunks = chunk_document(item.document, self.embedder.count_tokens, budget, overlap)
            self.progress.chunks_planned(len(chunks))
            batch.append((item, chunks))
            pending += len(chunks)
            if pending >= self.settings.ingest.batch_chunks:
                report.chunks_written += self._write_batch(batch)
                batch, pending = [], 0
        if batch:
            report.chunks_written += self._write_batch(batch)

        for sid in gone:
            self.store.delete_source(sid)
            self.manifest.entries.pop(sid, None)
        if gone:
            self.manifest.save()
        # Rebuilds only if the chunk ids changed since the index was last saved.
        load_fresh_lexical_index(self.store, self.settings.index_dir)
        ingest_finished(self.settings.index_dir)
        report.seconds = time.perf_counter() - started
        return report

    def _sources_to_prune(self, report: IngestReport) -> list[str]:
        """Indexed sources not seen in this run, except those whose file failed to load."""
        failed_files = {f.file or f.where for f in report.failures}
        indexed = set(self.manifest.entries) | set(self.store.sources())
        gone = []
        for sid in sorted(indexed - set(report.statuses)):
            entry = self.manifest.entries.get(sid)
            file = (entry.file or entry.origin) if entry else ""
            if file and any(_same_file(file, failed) for failed in failed_files):
                continue  # the file is still there but broken: keep what was ingested
            gone.append(sid)
        return gone


def _same_file(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):
        return False


def _flag_message(removed: list[str]) -> str:
    example = single_line(removed[0], 90)
    return (
        f"{len(removed)} instruction-like sentence(s) left out of the index "
        f"(e.g. {example!r}); check this source"
    )
