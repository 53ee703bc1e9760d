"""The ingest manifest: which sources are indexed, from which file, with which content hash.

Written atomically (temporary file, fsync, rename) so a crash never leaves it half-written.
The manifest is only ever updated *after* the chunks it describes are in the store, so after
a crash a source is at worst re-ingested, which is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from curbside.rag.models import SourceDocument

MANIFEST_VERSION = 1


def content_hash(document: SourceDocument) -> str:
    """Hash of everything that ends up in the store for this source (text and metadata)."""
    payload = document.model_dump(mode="json")
    payload["meta"].pop("origin", None)  # moving a file does not change its content
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass
class ManifestEntry:
    content_hash: str
    origin: str
    chunks: int
    title: str = ""
    file: str = ""  # the file the source was read from (origin may add ":line" or "#PMID")
    flagged: int = 0  # instruction-like sentences left out of the index


class Manifest:
    def __init__(self, path: Path, entries: dict[str, ManifestEntry] | None = None) -> None:
        self.path = path
        self.entries: dict[str, ManifestEntry] = entries or {}

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = {sid: ManifestEntry(**entry) for sid, entry in data["sources"].items()}
        except (ValueError, KeyError, TypeError):
            # An unreadable manifest only costs a re-ingest: the store is the truth.
            return cls(path)
        return cls(path, entries)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "version": MANIFEST_VERSION,
            "sources": {sid: asdict(entry) for sid, entry in sorted(self.entries.items())},
        }
        fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def is_current(self, source_id: str, digest: str) -> bool:
        entry = self.entries.get(source_id)
        return entry is not None and entry.content_hash == digest
