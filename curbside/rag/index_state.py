"""Whether the last ingest into an index finished.

An ingest writes a marker file before its first write to the store and removes it when it
ends (whatever the outcome of single files). A marker left behind means the process was
killed mid-way: the index holds part of what was asked for, and answers should say so until
an ingest is re-run. A marker whose process is still alive means an ingest is running now.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Literal

__all__ = ["IngestState", "ingest_finished", "ingest_started", "ingest_state"]

MARKER = "ingest-in-progress.json"
IngestState = Literal["complete", "running", "interrupted"]


def ingest_started(index_dir: Path) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    payload = {"pid": os.getpid(), "host": socket.gethostname()}
    (index_dir / MARKER).write_text(json.dumps(payload), encoding="utf-8")


def ingest_finished(index_dir: Path) -> None:
    (index_dir / MARKER).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def ingest_state(index_dir: Path) -> IngestState:
    marker = index_dir / MARKER
    if not marker.exists():
        return "complete"
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        pid, host = int(data["pid"]), str(data["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return "interrupted"
    # Our own pid means an ingest in this process raised before it finished.
    if host == socket.gethostname() and pid != os.getpid() and _alive(pid):
        return "running"
    return "interrupted"
