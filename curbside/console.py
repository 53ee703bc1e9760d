"""The terminal, owned by the command line: one stderr console, one progress-bar style, and
the settings plumbing `curbside` and `curbside eval` share (so eval never imports the CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.progress import Progress

    from curbside.settings import Settings

err = Console(stderr=True)


def progress_bar(quiet: bool = False) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
    )


def load_settings(chroma_url: str | None = None, data_dir: Path | None = None) -> Settings:
    from pydantic import ValidationError

    from curbside.settings import Settings

    try:
        settings = Settings()  # type: ignore[call-arg]  # values come from the environment
    except ValidationError as exc:
        err.print(
            f"[red]Invalid CURBSIDE_ setting:[/red] {exc.errors()[0]['loc']}: "
            f"{exc.errors()[0]['msg']}"
        )
        raise typer.Exit(2) from exc
    if chroma_url:
        override(settings.store, "chroma_url", chroma_url, "--chroma-url")
    if data_dir:
        override(settings.store, "data_dir", data_dir, "--data-dir")
    return settings


def override(group: object, field: str, value: object, option: str) -> None:
    """Set a settings field from a command-line option, validated like an environment value
    (settings validate on assignment): a bad value is an error message, not a traceback."""
    from pydantic import ValidationError

    try:
        setattr(group, field, value)
    except ValidationError as exc:
        raise fail(f"{option}: {exc.errors()[0]['msg']}", 2) from exc


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]Error:[/red] {escape(message)}")
    return typer.Exit(code)


def set_backend(settings: Settings, backend: str | None) -> None:
    """Apply --backend, refusing unknown names with the list of known ones."""
    from curbside.settings import unknown_backend_message

    if not backend:
        return
    problem = unknown_backend_message(backend)
    if problem:
        raise fail(problem, 2)
    settings.generation.backend = backend  # type: ignore[assignment]
