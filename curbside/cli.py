"""The `curbside` command: thin wrappers that parse options, call the library, print results.

Heavy libraries (torch, sentence-transformers, chromadb, gradio) are imported inside the
commands, so `curbside --help` starts in a fraction of a second.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from curbside.console import err, fail, load_settings, override, set_backend

if TYPE_CHECKING:
    from curbside.ingest.pipeline import IngestReport
    from curbside.rag.models import Answer, Turn
    from curbside.settings import Settings

app = typer.Typer(
    help="curbside: cited answers to clinical questions from guideline and research sources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()

BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"

ChromaUrl = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional here
    typer.Option("--chroma-url", help="Chroma server URL (else CURBSIDE_CHROMA_URL or embedded)."),
]
DataDir = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--data-dir", help="Folder for the index (else CURBSIDE_DATA_DIR)."),
]


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# ---- ingest ---------------------------------------------------------------------------
def run_ingest(
    settings: Settings,
    paths: list[Path],
    prune: bool = False,
    dry_run: bool = False,
    kind: str | None = None,
    quiet: bool = False,
    replace: bool = False,
) -> IngestReport:
    from curbside.console import progress_bar
    from curbside.ingest.loaders import LoaderOptions
    from curbside.ingest.pipeline import Ingestor
    from curbside.rag.factory import make_embedder, make_store

    options = LoaderOptions.from_settings(settings.ingest, kind)
    progress = progress_bar(quiet)

    class RichProgress:
        def __init__(self) -> None:
            self.files = progress.add_task("files", total=None)
            self.chunks = progress.add_task("chunks", total=0, visible=False)

        def files_found(self, total: int) -> None:
            progress.update(self.files, total=total)

        def file_done(self, path: Path) -> None:
            progress.advance(self.files)

        def chunks_planned(self, total: int) -> None:
            task = progress.tasks[self.chunks]
            progress.update(self.chunks, total=(task.total or 0) + total, visible=True)

        def chunks_done(self, count: int) -> None:
            progress.advance(self.chunks, count)

    with progress:
        ingestor = Ingestor(
            settings,
            make_store(settings),
            make_embedder(settings),
            options,
            RichProgress(),
            replace_ids=replace,
        )
        return ingestor.run(paths, prune=prune, dry_run=dry_run)


def print_ingest_report(report: IngestReport) -> None:
    for failure in report.failures:
        err.print(f"[red]failed[/red] {escape(failure.where)}: {escape(failure.reason)}")
    for note in report.notes:
        where = f"{escape(note.source_id)}: " if note.source_id else ""
        err.print(f"[yellow]flagged[/yellow] {where}{escape(note.message)}")
    if len(report.statuses) <= 60:
        for sid, status in sorted(report.statuses.items()):
            console.print(f"  {status:<9} {escape(sid)}")
    table = Table(title="would change (dry run)" if report.dry_run else "ingest summary")
    columns = ("added", "updated", "unchanged", "removed", "failed", "flagged", "chunks", "seconds")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(
        str(report.count("added")),
        str(report.count("updated")),
        str(report.count("unchanged")),
        str(report.count("removed")),
        str(len(report.failures)),
        str(len(report.notes)),
        str(report.chunks_written),
        f"{report.seconds:.1f}",
    )
    console.print(table)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    prune: Annotated[bool, typer.Option(help="Remove indexed sources not found in PATHS.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change.")] = False,
    kind: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Force kind guideline|research for files that do not say."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(help="Let a file take over a source id already indexed from another file."),
    ] = False,
    chroma_url: ChromaUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Ingest guideline PDFs, web pages, PubMed records, Markdown and JSONL into the index."""
    from curbside.rag.store import StoreUnavailable

    if kind and kind not in ("guideline", "research"):
        raise fail("--kind must be guideline or research", 2)
    settings = load_settings(chroma_url, data_dir)
    try:
        report = run_ingest(
            settings, paths, prune=prune, dry_run=dry_run, kind=kind, replace=replace
        )
    except StoreUnavailable as exc:
        raise fail(str(exc)) from exc
    print_ingest_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def sources(chroma_url: ChromaUrl = None, data_dir: DataDir = None) -> None:
    """List the indexed sources (id, kind, title, year, chunks)."""
    from curbside.rag.factory import make_store
    from curbside.rag.store import StoreUnavailable

    settings = load_settings(chroma_url, data_dir)
    try:
        store = make_store(settings)
        found = store.sources()
        flagged = store.flagged_sources()
    except StoreUnavailable as exc:
        raise fail(str(exc)) from exc
    table = Table(title=f"{len(found)} sources, {sum(n for _, n in found.values())} chunks")
    for column in ("id", "kind", "title", "year", "chunks", "flagged"):
        table.add_column(column)
    for sid, (meta, chunks) in sorted(found.items()):
        mark = f"{flagged[sid]} instruction-like sentence(s) left out" if sid in flagged else ""
        table.add_row(
            escape(sid),
            meta.kind,
            escape(meta.title[:70]),
            str(meta.year or ""),
            str(chunks),
            f"[yellow]{mark}[/yellow]" if mark else "",
        )
    console.print(table)
    if flagged:
        err.print(
            f"[yellow]{len(flagged)} source(s) held text addressed to an AI assistant; it is "
            "never quoted. Check those files.[/yellow]"
        )


# ---- ask ------------------------------------------------------------------------------
def print_answer(answer: Answer, show_repairs: bool = False) -> None:
    from rich.markdown import Markdown
    from rich.panel import Panel

    from curbside.rag.safe_text import safe_link

    # Everything below is text from sources or from the user: escaped for Rich markup
    # ("[/bold]" in a title is text), while the answer body is Markdown already made safe
    # by the engine.
    for warning in answer.warnings:
        err.print(f"[yellow]Warning:[/yellow] {escape(warning)}")
    if answer.coverage:
        # Which listed entities the sources speak to is read first, above the answer.
        from curbside.rag.models import coverage_line

        console.print(escape(coverage_line(answer.coverage)), highlight=False)
    console.print(Panel(Markdown(answer.text), title=escape(answer.title or "Answer"), expand=True))
    if answer.references:
        console.print("[bold]References[/bold]")
        for ref in answer.references:
            line = f"  {ref.number}. {ref.citation_line()} {safe_link(ref.link)}".rstrip()
            console.print(escape(line), highlight=False)
    console.print(f"\n[dim]{escape(answer.disclaimer)}[/dim]")
    if answer.follow_ups:
        console.print("\n[bold]Have a follow-up question?[/bold]")
        for question in answer.follow_ups:
            console.print(f"  - {escape(question)}", highlight=False)
    if show_repairs and answer.repairs:
        console.print("\n[bold]Citation repairs[/bold]")
        for repair in answer.repairs:
            console.print(
                f"  {repair.action}: {escape(repair.sentence[:90])} ({escape(repair.detail)})",
                highlight=False,
            )
    timing = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.timings.items())
    console.print(
        f"[dim]searched for: {escape(answer.standalone_question)} | {escape(answer.backend)} "
        f"| {timing}[/dim]",
        highlight=False,
    )


def _history_from_file(path: Path) -> list[Turn]:
    import json

    from curbside.rag.models import Turn  # lazy: pydantic models cost ~1 s to import

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        turns = data.get("turns", data) if isinstance(data, dict) else data
        return [Turn(question=str(t["question"]), answer=str(t.get("answer", ""))) for t in turns]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise fail(f"cannot read history {path}: {exc}", 2) from exc


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The clinical question.")] = None,  # noqa: UP045
    interactive: Annotated[
        bool, typer.Option("-i", "--interactive", help="Ask follow-ups in a loop.")
    ] = False,
    history: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="JSON conversation to continue; updated with this turn."),
    ] = None,
    backend: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="extractive | openai | ollama | llamacpp"),
    ] = None,
    kind: Annotated[Optional[str], typer.Option(help="Only guideline or research sources.")] = None,  # noqa: UP045
    year_min: Annotated[Optional[int], typer.Option(help="Only sources from this year on.")] = None,  # noqa: UP045
    year_max: Annotated[Optional[int], typer.Option(help="Only sources up to this year.")] = None,  # noqa: UP045
    audience: Annotated[str, typer.Option(help="clinician | student | patient")] = "clinician",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the Answer object as JSON.")
    ] = False,
    repairs: Annotated[bool, typer.Option(help="Show citation repairs.")] = False,
    chroma_url: ChromaUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Answer a clinical question from the indexed sources, with enforced citations."""
    import json

    from curbside.rag.engine import EmptyIndex, GeneratorUnavailable, QuestionRejected
    from curbside.rag.factory import make_engine
    from curbside.rag.models import Turn
    from curbside.rag.retrieval import SearchFilters
    from curbside.rag.store import StoreUnavailable

    settings = load_settings(chroma_url, data_dir)
    set_backend(settings, backend)
    try:
        filters = SearchFilters.from_user(kind, year_min, year_max)
    except ValueError as exc:
        raise fail("--kind must be guideline or research", 2) from exc
    turns = _history_from_file(history) if history and history.exists() else []
    if question is not None and not question.strip():
        raise fail("the question is empty; type a clinical question", 2)
    if question is None and not interactive:
        raise fail("give a question, or use -i for an interactive session", 2)
    try:
        engine = make_engine(settings)
    except (GeneratorUnavailable, StoreUnavailable) as exc:
        raise fail(str(exc)) from exc

    def one(q: str) -> bool:
        try:
            answer = engine.ask(q, turns, filters, audience)
        except QuestionRejected as exc:
            err.print(f"[yellow]{escape(str(exc))}[/yellow]")
            return False
        except (EmptyIndex, StoreUnavailable, GeneratorUnavailable) as exc:
            err.print(f"[red]Error:[/red] {escape(str(exc))}")
            return False
        turns.append(Turn.from_answer(answer))
        if as_json:
            console.print_json(answer.model_dump_json())
        else:
            print_answer(answer, repairs)
        return True

    ok = one(question) if question else True
    if history is not None:
        history.write_text(json.dumps({"turns": [t.model_dump() for t in turns]}, indent=2))
    while interactive:
        try:
            follow = console.input("\n[bold]Follow-up[/bold] (empty to quit): ").strip()
        except EOFError:
            break
        if not follow:
            break
        one(follow)
    if not ok:
        raise typer.Exit(1)


# ---- chat and eval live in their own modules ---------------------------------------------
@app.command()
def chat(
    corpus: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(help="Ingest these files/folders first if they changed (e.g. corpus)."),
    ] = None,
    host: Annotated[Optional[str], typer.Option(help="Bind address (default 127.0.0.1).")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port (default 7860).")] = None,  # noqa: UP045
    auth: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Require login user:password (visible in the process list: prefer "
            "--auth-file or CURBSIDE_UI__AUTH)."
        ),
    ] = None,
    auth_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="File holding user:password on its first line."),
    ] = None,
    backend: Annotated[
        str | None, typer.Option(help="Answer writer: extractive | openai | ollama | llamacpp.")
    ] = None,
    chroma_url: ChromaUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Open the chat web UI (ingesting --corpus first when it changed)."""
    from curbside.ui.launch import run_chat

    settings = load_settings(chroma_url, data_dir)
    if host:
        override(settings.ui, "host", host, "--host")
    if port:
        override(settings.ui, "port", port, "--port")
    if auth or auth_file:
        from pydantic import SecretStr

        if auth_file:
            try:
                auth = auth_file.read_text(encoding="utf-8").splitlines()[0].strip()
            except (OSError, UnicodeDecodeError, IndexError) as exc:
                raise fail(f"cannot read --auth-file {auth_file}: {exc}", 2) from exc
        else:
            err.print(
                "[yellow]--auth is visible to other users in the process list; "
                "prefer --auth-file or CURBSIDE_UI__AUTH.[/yellow]"
            )
        settings.ui.auth = SecretStr(auth or "")
    set_backend(settings, backend)
    if corpus:
        report = run_ingest(settings, list(corpus))
        print_ingest_report(report)
    raise typer.Exit(run_chat(settings))


def _register_eval() -> None:
    try:
        from curbside.eval.commands import eval_app
    except ImportError:  # the eval package is optional at this point of development
        return
    app.add_typer(eval_app, name="eval")


_register_eval()


def entrypoint() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    entrypoint()
