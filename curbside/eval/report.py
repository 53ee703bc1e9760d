"""report.md and report.html of a run: the metrics with CIs, plots, and the worst questions
with their sentences beside the passages they cite."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from curbside.eval.summary import LABELS
from curbside.eval.svg import histogram, metric_bars

WORST = 10


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def worst_questions(results: list[dict[str, Any]], n: int = WORST) -> list[dict[str, Any]]:
    """Answered questions with the lowest citation recall, then precision, then the
    not-covered ones."""
    answered = [
        r for r in results if not r.get("error") and r["scores"].get("citation_recall") is not None
    ]
    answered.sort(
        key=lambda r: (r["scores"]["citation_recall"], r["scores"].get("citation_precision") or 0.0)
    )
    rest = [r for r in results if r not in answered]
    return (answered + rest)[:n]


def _cited_passages(record: dict[str, Any], numbers: list[int]) -> list[tuple[int, str, str]]:
    refs = {ref["number"]: ref for ref in (record.get("answer") or {}).get("references", [])}
    out = []
    for n in numbers:
        ref = refs.get(n)
        if ref is None:
            out.append((n, "(no such reference)", ""))
            continue
        text = " … ".join(p["text"] for p in ref.get("passages", []))
        out.append((n, ref["meta"]["id"], text[:1200]))
    return out


def _header_lines(summary: dict[str, Any]) -> list[str]:
    return [
        f"Data set: {summary['dataset']} ({summary['dataset_path']}), "
        f"{summary['questions']} questions, {summary['errors']} errors.",
        f"Judge: {summary['judge']} (threshold {summary['judge_threshold']}); enforcement scorer: "
        f"{summary['enforcement_scorer']}; "
        f"self-judged: {'YES' if summary['self_judged'] else 'no'}.",
        f"Backend: {summary['backend']}; settings hash {summary['settings_hash']}; index "
        f"{summary['index']['collection']} ({summary['index']['chunks']} chunks).",
    ]


def write_markdown(summary: dict[str, Any], results: list[dict[str, Any]], path: Path) -> None:
    lines = [f"# curbside evaluation: {summary['dataset']}", ""]
    lines += [f"- {line}" for line in _header_lines(summary)]
    lines += (
        [""]
        + [f"> {note}" for note in summary["notes"]]
        + ["", "## Metrics", "", "| metric | mean | 95% CI | n |", "|---|---|---|---|"]
    )
    for key, value in summary["metrics"].items():
        lines.append(
            f"| {LABELS.get(key, key)} | {_fmt(value['mean'])} | "
            f"[{_fmt(value['low'])}, {_fmt(value['high'])}] | {value['n']} |"
        )
    lines += ["", "## Latency (seconds)", "", "| stage | p50 | p95 | n |", "|---|---|---|---|"]
    for stage, value in summary["latency_seconds"].items():
        lines.append(f"| {stage} | {_fmt(value['p50'])} | {_fmt(value['p95'])} | {value['n']} |")
    if summary.get("label_confusion"):
        lines += ["", "## PubMedQA labels (gold->predicted)", ""]
        lines += [f"- {k}: {v}" for k, v in summary["label_confusion"].items()]
    lines += ["", f"## The {WORST} worst questions", ""]
    for record in worst_questions(results):
        scores = record.get("scores") or {}
        lines.append(f"### {record['id']}: {record['question']}")
        lines.append(
            f"recall {_fmt(scores.get('citation_recall'))}, precision "
            f"{_fmt(scores.get('citation_precision'))}"
            + (", not covered" if scores.get("not_covered") else "")
            + (f", error: {record['error']}" if record.get("error") else "")
        )
        lines.append("")
        for verdict in record.get("verdicts", []):
            mark = "supported" if verdict["supported"] else "NOT supported"
            lines.append(f"- **{mark}** {verdict['text']} {verdict['citations']}")
            for n, sid, text in _cited_passages(record, verdict["citations"]):
                lines.append(f"  - [{n}] {sid}: {text[:300]}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


_CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
.warn{background:#fde8e8;border:1px solid #c33;padding:8px}.note{background:#eef3fa;padding:8px}
.bad{color:#b00}.ok{color:#070}.side td{width:50%;font-size:13px}"""


def write_html(summary: dict[str, Any], results: list[dict[str, Any]], path: Path) -> None:
    scored = [r for r in results if not r.get("error")]
    rows = [
        (LABELS.get(k, k), v["mean"], v["low"], v["high"])
        for k, v in summary["metrics"].items()
        if v["mean"] is not None
    ]
    recall_values = [
        r["scores"]["citation_recall"]
        for r in scored
        if r["scores"].get("citation_recall") is not None
    ]
    support_values = [
        s["support"]
        for r in scored
        for s in r["answer"]["sentences"]
        if s.get("support") is not None
    ]
    totals = [r["timings"]["total"] for r in scored if "total" in (r.get("timings") or {})]
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>curbside eval "
        f"{escape(summary['dataset'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>curbside evaluation: {escape(summary['dataset'])}</h1><ul>",
    ]
    parts += [f"<li>{escape(line)}</li>" for line in _header_lines(summary)]
    parts.append("</ul>")
    for note in summary["notes"]:
        css = "warn" if note.startswith("SELF-JUDGED") else "note"
        parts.append(f"<p class='{css}'>{escape(note)}</p>")
    parts.append("<h2>Metrics (mean, 95% bootstrap CI)</h2>" + metric_bars(rows))
    parts.append("<table><tr><th>metric</th><th>mean</th><th>95% CI</th><th>n</th></tr>")
    for key, value in summary["metrics"].items():
        parts.append(
            f"<tr><td>{escape(LABELS.get(key, key))}</td><td>{_fmt(value['mean'])}</td>"
            f"<td>[{_fmt(value['low'])}, {_fmt(value['high'])}]</td><td>{value['n']}</td></tr>"
        )
    parts.append("</table><h2>Distributions</h2>")
    parts.append(histogram(recall_values, "Per-question citation recall", lo=0, hi=1))
    parts.append(
        histogram(support_values, "Delivered sentences' support scores (enforcer)", lo=0, hi=1)
    )
    parts.append(histogram(totals, "Total latency per question (s)", lo=0))
    parts.append(
        "<h2>Latency (seconds)</h2><table><tr><th>stage</th><th>p50</th><th>p95</th><th>n</th></tr>"
    )
    for stage, value in summary["latency_seconds"].items():
        parts.append(
            f"<tr><td>{escape(stage)}</td><td>{_fmt(value['p50'])}</td>"
            f"<td>{_fmt(value['p95'])}</td><td>{value['n']}</td></tr>"
        )
    parts.append(f"</table><h2>The {WORST} worst questions</h2>")
    for record in worst_questions(results):
        scores = record.get("scores") or {}
        parts.append(
            f"<h3>{escape(record['id'])}: {escape(record['question'])}</h3>"
            f"<p>recall {_fmt(scores.get('citation_recall'))}, precision "
            f"{_fmt(scores.get('citation_precision'))}"
            f"{', not covered' if scores.get('not_covered') else ''}</p>"
        )
        parts.append("<table class='side'><tr><th>sentence</th><th>cited passages</th></tr>")
        for verdict in record.get("verdicts", []):
            css, mark = ("ok", "supported") if verdict["supported"] else ("bad", "NOT supported")
            cited = "".join(
                f"<p><b>[{n}] {escape(sid)}</b>: {escape(text)}</p>"
                for n, sid, text in _cited_passages(record, verdict["citations"])
            )
            parts.append(
                f"<tr><td><span class='{css}'>{mark}</span> {escape(verdict['text'])} "
                f"{verdict['citations']}</td><td>{cited}</td></tr>"
            )
        parts.append("</table>")
    parts.append(f"<h2>Packages</h2><p>{escape(str(summary['packages']))}</p></body></html>")
    path.write_text("".join(parts), encoding="utf-8")
