"""One private working folder per chat server, removed when the server exits.

Exports and Gradio's own file cache go here instead of world-readable /tmp folders that
outlive the server (Gradio's default is /tmp/gradio, which any Gradio server on the host
serves). `tempfile.mkdtemp` creates the folder with mode 0700: only this user can read it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["private_workdir"]

_workdir: Path | None = None


def private_workdir() -> Path:
    """The process's private folder (created on first use); Gradio's cache points into it.

    Call before Gradio components are built: each component reads GRADIO_TEMP_DIR then.
    """
    global _workdir
    if _workdir is None or not _workdir.exists():
        _workdir = Path(tempfile.mkdtemp(prefix="curbside-chat-"))
        os.environ["GRADIO_TEMP_DIR"] = str(_workdir / "gradio")
        atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


def write_private_file(name: str, text: str) -> Path:
    """Write `text` to a new file of mode 0600 in a fresh sub-folder of the private folder."""
    folder = Path(tempfile.mkdtemp(dir=private_workdir(), prefix="export-"))
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
