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
from curbside.rag.lexical import load_fresh_lexical_index
from curbside.rag.models import Chunk, SourceDocument
from curbside.rag.store import ChunkStore, source_metadata

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder
    from curbside.settings import Settings

log = logging.getLogger(__name__)

Status = Literal["added", "updated", "unchanged", "removed"]


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


@dataclass
class IngestReport:
    statuses: dict[str, Status] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
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


class Ingestor:
    """Runs one ingest; the embedder is only loaded when there is something to embed."""

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embedder: Embedder,
        options: LoaderOptions | None = None,
        progress: IngestProgress | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.options = options or LoaderOptions.from_settings(settings.ingest)
        self.progress: IngestProgress = progress or _Silent()
        self.manifest = Manifest.load(settings.index_dir / "manifest.json")

    # ---- reading ----------------------------------------------------------------------
    def _load_file(self, path: Path) -> Iterator[SourceDocument | Failure]:
        limit = self.settings.ingest.max_file_mb
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
                    yield Failure(item.where, item.reason)
                else:
                    yield item
        except LoadError as exc:
            yield Failure(str(path), str(exc))
        except OSError as exc:
            yield Failure(str(path), f"cannot read the file: {exc.strerror or exc}")
        except Exception as exc:  # a loader bug must not stop the other files
            log.exception("unexpected error loading %s", path)
            yield Failure(str(path), f"unexpected {type(exc).__name__}: {exc}")

    def plan(self, paths: Sequence[Path], report: IngestReport) -> list[_Planned]:
        files, missing = discover_files(paths)
        report.failures.extend(missing)
        self.progress.files_found(len(files))
        planned: list[_Planned] = []
        seen: dict[str, str] = {}
        for path in files:
            for item in self._load_file(path):
                if isinstance(item, Failure):
                    report.failures.append(item)
                    continue
                sid = item.meta.id
                if sid in seen:
                    report.failures.append(
                        Failure(
                            item.meta.origin, f"duplicate source id {sid!r} (also in {seen[sid]})"
                        )
                    )
                    continue
                seen[sid] = item.meta.origin
                digest = content_hash(item)
                if self.manifest.is_current(sid, digest):
                    report.statuses[sid] = "unchanged"
                    continue
                status: Status = "updated" if sid in self.manifest.entries else "added"
                planned.append(_Planned(item, digest, status))
            self.progress.file_done(path)
        return planned

    # ---- writing ----------------------------------------------------------------------
    def _write_batch(self, batch: list[tuple[_Planned, list[Chunk]]]) -> int:
        chunks = [c for _, cs in batch for c in cs]
        titles = {p.document.meta.id: p.document.meta.title for p, _ in batch}
        vectors = self.embedder.encode([embedding_text(titles[c.source_id], c) for c in chunks])
        metas_by_source = {
            p.document.meta.id: source_metadata(p.document.meta, p.digest) for p, _ in batch
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
        report.seconds = time.perf_counter() - started
        return report

    def _sources_to_prune(self, report: IngestReport) -> list[str]:
        """Indexed sources not seen in this run, except those whose file failed to load."""
        failed_files = {f.where.split(":")[0].split("#")[0] for f in report.failures}
        indexed = set(self.manifest.entries) | set(self.store.sources())
        gone = []
        for sid in sorted(indexed - set(report.statuses)):
            entry = self.manifest.entries.get(sid)
            origin = entry.origin.split(":")[0].split("#")[0] if entry else ""
            if origin and origin in failed_files:
                continue  # the file is still there but broken: keep what was ingested
            gone.append(sid)
        return gone
