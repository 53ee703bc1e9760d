"""`curbside eval run | calibrate | compare`: thin commands over the eval library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

eval_app = typer.Typer(
    help="Citation-faithfulness and retrieval evaluation runs.", no_args_is_help=True
)
console = Console()
from curbside.console import err  # noqa: E402


def _settings(data_dir: Path | None) -> Any:
    from curbside.console import load_settings

    return load_settings(None, data_dir)


def _index_fingerprint(engine: Any) -> dict[str, Any]:
    return {"collection": engine.settings.collection_name, "chunks": engine.retriever.store.count()}


@eval_app.command("run")
def run(
    dataset: Annotated[
        str, typer.Option(help="bundled | answers | curbside | pubmedqa | kqa | expertqa")
    ] = "bundled",
    split: Annotated[
        str,
        typer.Option(
            help="Gold sets with dev/test halves: dev | test | all; the answers set also has "
            "dev2 and dev3 (written blind after tuning on dev began; further development sets)."
        ),
    ] = "all",
    path: Annotated[
        Path | None, typer.Option(help="Question file (not needed for bundled).")
    ] = None,
    backend: Annotated[
        str | None, typer.Option(help="Answer writer: extractive | openai | ollama | llamacpp.")
    ] = None,
    judge: Annotated[str, typer.Option(help="Scorer that grades: offline | llm.")] = "offline",
    judge_backend: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="LLM judge backend (openai | ollama | llamacpp); default: --backend."),
    ] = None,
    judge_model: Annotated[Optional[str], typer.Option(help="LLM judge model name.")] = None,  # noqa: UP045
    judge_base_url: Annotated[Optional[str], typer.Option(help="LLM judge endpoint.")] = None,  # noqa: UP045
    judge_gguf: Annotated[Optional[Path], typer.Option(help="LLM judge GGUF file.")] = None,  # noqa: UP045
    limit: Annotated[Optional[int], typer.Option(help="Only the first N questions.")] = None,  # noqa: UP045
    out: Annotated[
        Path, typer.Option(help="Run folder (results are appended; re-runs resume).")
    ] = Path("eval-runs/latest"),
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Index folder (else CURBSIDE_DATA_DIR).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Run a question set through the engine; write results.jsonl, summary.json and reports."""
    from curbside.console import progress_bar, set_backend
    from curbside.eval.datasets import DatasetError, load_dataset
    from curbside.eval.judge import is_self_judged, make_judge
    from curbside.eval.runner import RunConfig, done_ids, run_questions
    from curbside.rag.engine import GeneratorUnavailable
    from curbside.rag.factory import make_engine
    from curbside.rag.store import StoreUnavailable

    settings = _settings(data_dir)
    set_backend(settings, backend)
    if split not in ("dev", "dev2", "dev3", "test", "all"):
        err.print("[red]Error:[/red] --split must be dev, dev2, dev3, test or all")
        raise typer.Exit(2)
    try:
        questions = load_dataset(dataset, path)
    except DatasetError as exc:
        err.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if split != "all":
        questions = [q for q in questions if q.split == split]
    questions = questions[:limit] if limit else questions
    try:
        engine = make_engine(settings)
        llm = None
        if judge_backend:
            updates = {
                "backend": judge_backend,
                "model": judge_model,
                "base_url": judge_base_url,
                "gguf_path": judge_gguf,
            }
            llm = settings.generation.model_copy(
                update={k: v for k, v in updates.items() if v is not None}
            )
        grader = make_judge(judge, settings, engine.embedder, llm)
    except (GeneratorUnavailable, StoreUnavailable, ValueError) as exc:
        err.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if engine.retriever.store.count() == 0:
        err.print(
            "[red]Error:[/red] the index is empty; ingest first (e.g. `curbside ingest corpus/`)."
        )
        raise typer.Exit(1)
    default_path = {"bundled": "evalsets/bundled.jsonl", "answers": "evalsets/answers.jsonl"}
    config = RunConfig(
        out,
        dataset + (f" ({split})" if split != "all" else ""),
        str(path or default_path.get(dataset, "")),
        settings.settings_hash(),
    )
    skipped = len({q.id for q in questions} & done_ids(out))
    if skipped:
        err.print(
            f"resuming: {skipped} of {len(questions)} questions already in {out / 'results.jsonl'}"
        )
    progress = progress_bar(quiet)
    with progress:
        task = progress.add_task(f"eval {dataset}", total=len(questions) - skipped)
        run_questions(
            engine, grader, questions, config, on_done=lambda q, r: progress.advance(task)
        )
    self_judged = is_self_judged(grader.name, engine.scorer.name)
    run_info = {
        "dataset": dataset,
        "dataset_path": config.dataset_path,
        "limit": limit,
        "backend": settings.generation.backend,
        "judge": grader.name,
        "judge_threshold": grader.threshold,
        "enforcement_scorer": engine.scorer.name,
        "self_judged": self_judged,
        "settings_hash": config.settings_hash,
        "settings": settings.model_dump(mode="json", exclude={"ui"}),
        "index": _index_fingerprint(engine),
    }
    summary = write_outputs(out, run_info, {q.id for q in questions})
    print_summary(summary)
    console.print(f"wrote {out}/results.jsonl, summary.json, report.md, report.html")


def write_outputs(
    out: Path, run_info: dict[str, Any], ids: set[str] | None = None
) -> dict[str, Any]:
    from curbside.eval.report import write_html, write_markdown
    from curbside.eval.runner import read_results
    from curbside.eval.summary import build_summary

    results = [r for r in read_results(out) if ids is None or r["id"] in ids]
    summary = build_summary(results, run_info)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    write_markdown(summary, results, out / "report.md")
    write_html(summary, results, out / "report.html")
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    from curbside.eval.summary import LABELS

    table = Table(
        title=f"{summary['dataset']}: {summary['questions']} questions, judge {summary['judge']}"
        + (" (SELF-JUDGED)" if summary["self_judged"] else "")
    )
    for column in ("metric", "mean", "95% CI", "n"):
        table.add_column(column)
    for key, v in summary["metrics"].items():
        table.add_row(
            LABELS.get(key, key),
            f"{v['mean']:.3f}",
            f"[{v['low']:.3f}, {v['high']:.3f}]",
            str(v["n"]),
        )
    console.print(table)
    total = summary["latency_seconds"].get("total")
    if total:
        console.print(f"latency total: p50 {total['p50']:.2f} s, p95 {total['p95']:.2f} s")
    for note in summary["notes"]:
        console.print(f"[dim]{note}[/dim]")


@eval_app.command("calibrate")
def calibrate_command(
    data: Annotated[
        Path,
        typer.Option(help="ExpertQA JSONL with claim support labels (e.g. medicine_val.jsonl)."),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Weights file (default: <data dir>/scorer_weights.json).")
    ] = None,
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Shuffle seed of the folds.")] = 0,
    min_kappa: Annotated[
        float,
        typer.Option(
            help="Install the weights only if held-out Cohen's kappa reaches this; "
            "else write them beside as *.candidate.json (not loaded)."
        ),
    ] = 0.2,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data folder (else CURBSIDE_DATA_DIR).")
    ] = None,
) -> None:
    """Fit the offline scorer's weights on human support labels; report held-out agreement."""
    from curbside.eval.calibrate import calibrate, load_expertqa_claims
    from curbside.rag.factory import make_embedder
    from curbside.rag.support import SCORER_WEIGHTS_FILE, OfflineSupportScorer

    if not data.exists():
        err.print(f"[red]Error:[/red] not found: {data}")
        raise typer.Exit(2)
    settings = _settings(data_dir)
    claims = load_expertqa_claims(data)
    err.print(f"{len(claims)} labelled claims from {data}")
    try:
        result = calibrate(OfflineSupportScorer(make_embedder(settings)), claims, folds, seed)
    except ValueError as exc:
        err.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from exc
    result["source"] = str(data)
    target = out or settings.resolved_data_dir / SCORER_WEIGHTS_FILE
    kappa = result["cross_validation"]["pooled"]["kappa"]
    if kappa < min_kappa:
        target = target.with_suffix(".candidate.json")
        err.print(
            f"[yellow]held-out kappa {kappa:.3f} < --min-kappa {min_kappa}: the fit does "
            "not agree with the human labels well enough to enforce citations with it; "
            f"not installed, written to {target}[/yellow]"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2), encoding="utf-8")
    table = Table(
        title=f"agreement with human labels ({result['claims']} claims, {folds}-fold held out)"
    )
    for column in ("scorer", "accuracy", "kappa", "precision", "recall"):
        table.add_column(column)
    for name, a in (
        ("default weights", result["default_weights_agreement"]),
        ("calibrated (CV)", result["cross_validation"]["pooled"]),
    ):
        table.add_row(name, *(f"{a[k]:.3f}" for k in ("accuracy", "kappa", "precision", "recall")))
    console.print(table)
    console.print(
        f"majority baseline accuracy {result['majority_baseline_accuracy']:.3f}; "
        f"wrote {target} (loaded by the offline scorer when it is in the data dir)"
    )


@eval_app.command("compare")
def compare(
    run_a: Annotated[Path, typer.Argument(help="Baseline run folder.")],
    run_b: Annotated[Path, typer.Argument(help="Run folder to compare with the baseline.")],
) -> None:
    """Metric deltas (B - A) with paired bootstrap CIs over the questions both runs share."""
    from curbside.eval.compare import compare_runs
    from curbside.eval.summary import LABELS

    result = compare_runs(run_a, run_b)
    table = Table(title=f"{run_b} - {run_a}: {result['shared_questions']} shared questions")
    for column in ("metric", "A", "B", "delta", "95% CI", "n"):
        table.add_column(column)
    for key, v in result["metrics"].items():
        table.add_row(
            LABELS.get(key, key),
            f"{v['a']:.3f}",
            f"{v['b']:.3f}",
            f"{v['delta']:+.3f}",
            f"[{v['low']:+.3f}, {v['high']:+.3f}]",
            str(v["n"]),
        )
    console.print(table)
    for warning in result["warnings"]:
        console.print(f"[yellow]{warning}[/yellow]")
