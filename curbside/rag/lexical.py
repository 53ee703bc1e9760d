"""The BM25 index (bm25s) over the same chunks as the Chroma collection.

The index is persisted next to the manifest with a fingerprint of the chunk ids (and their
sources' content hashes) it was built from. Retrieval checks the fingerprint against the
store and rebuilds when they differ, so the lexical side can never drift from Chroma, in
embedded or in server mode.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curbside.rag.text import content_words

if TYPE_CHECKING:
    import numpy as np

    from curbside.rag.store import ChunkStore

log = logging.getLogger(__name__)


def _bm25s() -> Any:
    """bm25s, with its logger quietened: bm25s sets it to DEBUG on import, which prints
    "Building index from tokens" at the CLI's default verbosity."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def tokenize(text: str) -> list[str]:
    return content_words(text)


def ids_fingerprint(ids: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def rows_fingerprint(rows: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """Fingerprint of (chunk id, metadata) rows: the id covers the chunk's text, the source's
    content hash its metadata (title, kind and year are indexed too), so a metadata-only
    change of a source, which keeps its chunk ids, still makes the index stale."""
    return ids_fingerprint(f"{chunk_id}\0{meta.get('source_hash', '')}" for chunk_id, meta in rows)


@dataclass
class LexicalIndex:
    """BM25 plus the per-chunk facts needed to filter and to map hits back to chunks."""

    bm25: Any
    chunk_ids: list[str]
    kinds: list[str]
    years: list[int]
    fingerprint: str

    @functools.cached_property
    def term_prefixes(self) -> tuple[frozenset[str], frozenset[str]]:
        """Four- and six-letter prefixes of every indexed term (stemmed as `tokenize` does)
        and of its hyphen/apostrophe parts. Computed once per loaded index: the engine's
        not-covered check reads them on every question."""
        vocab = getattr(self.bm25, "vocab_dict", None) or {}
        terms = [*vocab, *(p for t in vocab for p in re.split(r"[-']", t) if p)]
        return frozenset(t[:4] for t in terms), frozenset(t[:6] for t in terms)

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, dict[str, Any]]]) -> LexicalIndex:
        bm25s = _bm25s()

        chunk_ids, kinds, years, corpus, keys = [], [], [], [], []
        for chunk_id, text, meta in rows:
            chunk_ids.append(chunk_id)
            keys.append((chunk_id, meta))
            kinds.append(str(meta.get("kind") or ""))
            years.append(int(meta.get("year") or 0))
            # Title and section are indexed with the text: they name the topic.
            corpus.append(tokenize(f"{meta.get('title', '')} {meta.get('section', '')} {text}"))
        bm25 = bm25s.BM25()
        if corpus:
            bm25.index(corpus, show_progress=False)
        return cls(bm25, chunk_ids, kinds, years, rows_fingerprint(keys))

    # ---- persistence ------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write to a temporary folder, then swap it in, so a crash never leaves half an index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=directory.parent))
        if self.chunk_ids:
            self.bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "chunks.json").write_text(
            json.dumps(
                {
                    "fingerprint": self.fingerprint,
                    "chunk_ids": self.chunk_ids,
                    "kinds": self.kinds,
                    "years": self.years,
                }
            )
        )
        old = directory.with_name(directory.name + ".old")
        if directory.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        bm25s = _bm25s()

        try:
            facts = json.loads((directory / "chunks.json").read_text())
            bm25 = (
                bm25s.BM25.load(str(directory / "bm25"), show_progress=False)
                if facts["chunk_ids"]
                else bm25s.BM25()
            )
        except (OSError, ValueError, KeyError) as exc:
            log.info("no usable BM25 index at %s (%s)", directory, exc)
            return None
        return cls(bm25, facts["chunk_ids"], facts["kinds"], facts["years"], facts["fingerprint"])

    # ---- search -----------------------------------------------------------------------
    def mask(
        self, kind: str | None, year_min: int | None, year_max: int | None
    ) -> np.ndarray | None:
        import numpy as np

        if not (kind or year_min or year_max):
            return None
        keep = np.ones(len(self.chunk_ids), dtype=bool)
        if kind:
            keep &= np.array([k == kind for k in self.kinds])
        years = np.array(self.years)
        if year_min:
            keep &= years >= year_min
        if year_max:
            keep &= (years <= year_max) & (years > 0)
        return keep.astype("float32")

    def search(
        self,
        query: str,
        k: int,
        kind: str | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
    ) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if not tokens or not self.chunk_ids:
            return []
        weight_mask = self.mask(kind, year_min, year_max)
        docs, scores = self.bm25.retrieve(
            [tokens], k=min(k, len(self.chunk_ids)), show_progress=False, weight_mask=weight_mask
        )
        return [
            (self.chunk_ids[int(d)], float(s))
            for d, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        ]

    def scores_of(self, query: str, chunk_ids: Iterable[str]) -> dict[str, float]:
        """BM25 scores of the question for the given chunks (those the index holds)."""
        tokens = [t for t in tokenize(query) if t in self.vocabulary]
        if not tokens:
            return {}
        scores = self.bm25.get_scores(tokens)
        return {
            cid: float(scores[i]) for cid in chunk_ids if (i := self.position.get(cid)) is not None
        }

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(getattr(self.bm25, "vocab_dict", None) or {})

    @functools.cached_property
    def position(self) -> dict[str, int]:
        return {cid: i for i, cid in enumerate(self.chunk_ids)}


def index_path(index_dir: Path) -> Path:
    return index_dir / "bm25"


def rebuild_lexical_index(store: ChunkStore, index_dir: Path) -> LexicalIndex:
    index = LexicalIndex.build(store.iter_rows())
    index.save(index_path(index_dir))
    return index


def load_fresh_lexical_index(store: ChunkStore, index_dir: Path) -> LexicalIndex:
    """The persisted index if it matches the store's chunks, else a rebuilt one."""
    current = rows_fingerprint(
        (chunk_id, meta) for chunk_id, _, meta in store.iter_rows(include_documents=False)
    )
    index = LexicalIndex.load(index_path(index_dir))
    if index is not None and index.fingerprint == current:
        return index
    log.info("BM25 index missing or stale for %s; rebuilding", store.collection_name)
    return rebuild_lexical_index(store, index_dir)
