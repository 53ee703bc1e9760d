"""The Chroma chunk store, embedded or client/server, behind one small class.

Vectors are always computed by curbside and passed in: the collection has no embedding
function, so Chroma never tries to download its default ONNX model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from curbside.offline import apply_offline_env
from curbside.rag.models import Chunk, Passage, SourceMeta
from curbside.rag.safe_text import printable_path

if TYPE_CHECKING:
    from curbside.settings import Settings

log = logging.getLogger(__name__)

PAGE = 2000  # rows per Chroma get(); large enough to be quick, small enough for the server


class StoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached (or the embedded database cannot be opened)."""


def source_metadata(meta: SourceMeta, source_hash: str, flagged: int = 0) -> dict[str, Any]:
    """Flatten source metadata into Chroma's scalar metadata values.

    `flagged` counts instruction-like sentences that ingest left out of this source.
    """
    values: dict[str, Any] = {
        "source_id": meta.id,
        "title": meta.title,
        "kind": meta.kind,
        "evidence_type": meta.evidence_type,
        "publisher": meta.publisher,
        "year": int(meta.year or 0),  # Chroma has no null; 0 means unknown
        "authors": "; ".join(meta.authors),
        "url": meta.url,
        "doi": meta.doi,
        "pmid": meta.pmid,
        "license": meta.license,
        "origin": meta.origin,
        "source_hash": source_hash,
        "flagged_instructions": int(flagged),
    }
    # Chroma (and JSON) reject lone surrogates, e.g. from an undecodable file name.
    return {k: printable_path(v) if isinstance(v, str) else v for k, v in values.items()}


def meta_from_chroma(row: dict[str, Any]) -> SourceMeta:
    authors = str(row.get("authors") or "")
    return SourceMeta(
        id=str(row["source_id"]),
        title=str(row.get("title") or ""),
        kind="guideline" if row.get("kind") == "guideline" else "research",
        evidence_type=str(row.get("evidence_type") or ""),
        publisher=str(row.get("publisher") or ""),
        year=int(row["year"]) if row.get("year") else None,
        authors=[a for a in authors.split("; ") if a],
        url=str(row.get("url") or ""),
        doi=str(row.get("doi") or ""),
        pmid=str(row.get("pmid") or ""),
        license=str(row.get("license") or ""),
        origin=str(row.get("origin") or ""),
    )


def make_client(settings: Settings) -> Any:
    apply_offline_env()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    url = settings.store.chroma_url
    try:
        if url:
            parsed = urlparse(url if "://" in url else f"http://{url}")
            headers = {}
            if settings.store.chroma_token:
                headers["Authorization"] = (
                    f"Bearer {settings.store.chroma_token.get_secret_value()}"
                )
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                headers=headers or None,
                settings=chroma_settings,
            )
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
        where = url or str(settings.chroma_path)
        raise StoreUnavailable(f"cannot open the Chroma store at {where}: {exc}") from exc


class ChunkStore:
    """Chunks of one collection: upsert, delete, list and search."""

    def __init__(self, client: Any, collection_name: str, location: str = "") -> None:
        self.client = client
        self.collection_name = collection_name
        self.location = location
        self._collection: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ChunkStore:
        where = settings.store.chroma_url or str(settings.chroma_path)
        return cls(make_client(settings), settings.collection_name, where)

    @property
    def collection(self) -> Any:
        if self._collection is None:
            try:
                self._collection = self.client.get_or_create_collection(
                    self.collection_name,
                    metadata={"hnsw:space": "cosine"},
                    embedding_function=None,
                )
            except Exception as exc:
                raise StoreUnavailable(
                    f"cannot reach the Chroma store at {self.location}: {exc}"
                ) from exc
        return self._collection

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StoreUnavailable:
            raise
        except Exception as exc:
            name = type(exc).__name__
            if "Connect" in name or "Timeout" in name or "connect" in str(exc).lower():
                # A restarted server gives the collection a fresh handle next time.
                self._collection = None
                raise StoreUnavailable(
                    f"the Chroma store at {self.location} did not answer ({what}): {exc}"
                ) from exc
            raise

    # ---- writing ----------------------------------------------------------------------
    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: Any,
        metas: Sequence[dict[str, Any]],
    ) -> None:
        if not chunks:
            return
        metadatas = [
            {**meta, "section": c.section, "position": c.position}
            for c, meta in zip(chunks, metas, strict=True)
        ]
        self._call(
            "upsert",
            self.collection.upsert,
            ids=[c.id for c in chunks],
            embeddings=vectors,
            documents=[c.text for c in chunks],
            metadatas=metadatas,
        )

    def delete_ids(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), PAGE):
            self._call("delete", self.collection.delete, ids=list(ids[start : start + PAGE]))

    def ids_for_source(self, source_id: str) -> list[str]:
        got = self._call("get", self.collection.get, where={"source_id": source_id}, include=[])
        return list(got["ids"])

    def ids_by_source(self, source_ids: Sequence[str]) -> dict[str, list[str]]:
        """Chunk ids of several sources in one round trip, by source."""
        if not source_ids:
            return {}
        got = self._call(
            "get",
            self.collection.get,
            where={"source_id": {"$in": list(source_ids)}},
            include=["metadatas"],
        )
        found: dict[str, list[str]] = {source_id: [] for source_id in source_ids}
        for chunk_id, meta in zip(got["ids"], got["metadatas"], strict=True):
            found.setdefault(str(meta.get("source_id")), []).append(chunk_id)
        return found

    def delete_source(self, source_id: str) -> int:
        ids = self.ids_for_source(source_id)
        self.delete_ids(ids)
        return len(ids)

    # ---- reading ----------------------------------------------------------------------
    def count(self) -> int:
        return int(self._call("count", self.collection.count))

    def iter_rows(
        self, include_documents: bool = True
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every chunk as (id, text, metadata), page by page."""
        include = ["metadatas", "documents"] if include_documents else ["metadatas"]
        offset = 0
        while True:
            got = self._call("get", self.collection.get, include=include, limit=PAGE, offset=offset)
            ids = got["ids"]
            if not ids:
                return
            docs = got.get("documents") or [""] * len(ids)
            for chunk_id, doc, meta in zip(ids, docs, got["metadatas"], strict=True):
                yield chunk_id, doc or "", dict(meta or {})
            offset += len(ids)

    def sources(self) -> dict[str, tuple[SourceMeta, int]]:
        """Indexed sources with their chunk counts."""
        found: dict[str, tuple[SourceMeta, int]] = {}
        for _, _, meta in self.iter_rows(include_documents=False):
            sid = str(meta.get("source_id"))
            if sid in found:
                found[sid] = (found[sid][0], found[sid][1] + 1)
            else:
                found[sid] = (meta_from_chroma(meta), 1)
        return found

    def flagged_sources(self) -> dict[str, int]:
        """Sources from which ingest left out instruction-like sentences, with the count."""
        flagged: dict[str, int] = {}
        for _, _, meta in self.iter_rows(include_documents=False):
            count = int(meta.get("flagged_instructions") or 0)
            if count:
                flagged[str(meta.get("source_id"))] = count
        return flagged

    def opening_passages(self, source_ids: Sequence[str]) -> list[tuple[Passage, SourceMeta]]:
        """The first chunk of each source, in one round trip (where a source says what its
        subject is)."""
        if not source_ids:
            return []
        got = self._call(
            "get",
            self.collection.get,
            where={"$and": [{"source_id": {"$in": list(source_ids)}}, {"position": 0}]},
            include=["metadatas", "documents"],
        )
        return [
            (_passage(chunk_id, doc, meta), meta_from_chroma(meta))
            for chunk_id, doc, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=True
            )
        ]

    def get_passages(self, ids: Sequence[str]) -> dict[str, tuple[Passage, SourceMeta]]:
        if not ids:
            return {}
        got = self._call(
            "get", self.collection.get, ids=list(ids), include=["metadatas", "documents"]
        )
        out = {}
        for chunk_id, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            out[chunk_id] = (_passage(chunk_id, doc, meta), meta_from_chroma(meta))
        return out

    def query(
        self, vector: Sequence[float], n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Passage, SourceMeta]]:
        # Chroma 1.x returns fewer rows when n exceeds the collection: no count() round trip.
        got = self._call(
            "query",
            self.collection.query,
            query_embeddings=[list(vector)],
            n_results=n,
            where=where or None,
            include=["metadatas", "documents", "distances"],
        )
        results = []
        for chunk_id, doc, meta, dist in zip(
            got["ids"][0],
            got["documents"][0],
            got["metadatas"][0],
            got["distances"][0],
            strict=True,
        ):
            passage = _passage(chunk_id, doc, meta)
            passage.dense_score = 1.0 - float(dist)  # cosine distance -> similarity
            results.append((passage, meta_from_chroma(meta)))
        return results


def _passage(chunk_id: str, doc: str | None, meta: dict[str, Any]) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        source_id=str(meta.get("source_id")),
        section=str(meta.get("section") or ""),
        text=doc or "",
        position=int(meta.get("position") or 0),
    )
