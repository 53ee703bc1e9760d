"""Careless or hostile files and exports, pure parts (issue 11): YAML alias bombs, metadata
out of range, page caps, escaped exports and the interrupted-ingest marker.

Relies on: the loaders and curbside.ui.render being usable without a model or a store.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from curbside.ingest.loaders import LoaderOptions, LoadError
from curbside.ingest.loaders.markdown import MarkdownLoader
from curbside.ingest.loaders.pdf import PdfLoader
from curbside.rag.index_state import ingest_finished, ingest_started, ingest_state
from curbside.rag.models import Answer, Reference, SourceMeta
from curbside.ui.render import conversation_markdown

BODY = "\n# T\n\nFoot drop is weakness of ankle dorsiflexion.\n"


def _load(path: Path) -> None:
    list(MarkdownLoader().load(path))


def _front(tmp_path: Path, front: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(f"---\n{front}\n---\n{BODY}", encoding="utf-8")
    return path


def test_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        prev, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        levels.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    path = _front(tmp_path, "id: bomb\ntitle: T\nkind: research\n" + "\n".join(levels))
    assert path.stat().st_size < 1000
    with pytest.raises(LoadError, match="alias"):
        _load(path)


def test_a_single_alias_is_refused_too(tmp_path: Path) -> None:
    path = _front(tmp_path, "id: &x one\ntitle: *x\nkind: research")
    with pytest.raises(LoadError, match="alias"):
        _load(path)


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("id: x\ntitle: T\nkind: research\nyear: -5", "year"),
        ("id: x\ntitle: T\nkind: research\nyear: 99999", "year"),
        (f"id: {'x' * 5000}\ntitle: T\nkind: research", "id must be"),
        ('id: "a\\nb"\ntitle: T\nkind: research', "id must be"),
        ('id: "a\\tb"\ntitle: T\nkind: research', "id must be"),
        ("id: a::b\ntitle: T\nkind: research", "id must be"),
        ("id: x\ntitle: {a: 1}\nkind: research", "title must be text"),
        ("id: x\ntitle: [a, b]\nkind: research", "title must be text"),
        ("id: [x]\ntitle: T\nkind: research", "id must be text"),
    ],
)
def test_out_of_range_metadata_is_refused(tmp_path: Path, front: str, reason: str) -> None:
    with pytest.raises(LoadError, match=reason):
        _load(_front(tmp_path, front))


def test_huge_front_matter_is_refused(tmp_path: Path) -> None:
    path = _front(tmp_path, "id: x\ntitle: T\nkind: research\nnote: " + "x" * 70_000)
    with pytest.raises(LoadError, match="limit"):
        _load(path)


def _blank_pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_over_the_page_cap_is_refused_before_text_extraction(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(_blank_pdf(5))
    with pytest.raises(LoadError, match="5 pages is over the 3-page limit"):
        list(PdfLoader(LoaderOptions(max_pdf_pages=3)).load(path))


# ---- the export -----------------------------------------------------------------------------
def _hostile_answer() -> Answer:
    meta = SourceMeta(
        id="h1",
        title="Foot drop <img src=x onerror=alert(1)> [click](javascript:alert(2))",
        kind="research",
        publisher="<script>alert(3)</script>",
        year=2020,
        url="javascript:alert(4)",
    )
    return Answer(
        question="Is <b>it</b> ![p](http://127.0.0.1:7999/q.png) treatable?",
        standalone_question="Is foot drop treatable <svg onload=alert(5)>?",
        title="Foot drop",
        text="# Foot drop\n\nA <img src=x onerror=alert(6)> claim [1].",
        references=[Reference(number=1, meta=meta)],
        disclaimer="Professional Medical Disclaimer: <i>x</i>",
    )


def test_export_renders_as_text_with_no_script_link_or_image() -> None:
    from markdown_it import MarkdownIt

    exported = conversation_markdown([_hostile_answer()])
    rendered = MarkdownIt("commonmark").render(exported)
    for bad in ("<img", "<script", "<svg", "<b>", "<i>", "<a ", "href="):
        assert bad not in rendered, (bad, rendered)
    assert "&lt;script&gt;alert(3)" in rendered  # shown as text, not dropped silently
    assert "<javascript:" not in exported  # the javascript: URL is not exported as a link


def test_export_keeps_plain_http_reference_links() -> None:
    answer = _hostile_answer()
    answer.references[0].meta.url = "https://doi.org/10.3238/arztebl.2019.0347"
    exported = conversation_markdown([answer])
    assert "<https://doi.org/10.3238/arztebl.2019.0347>" in exported


# ---- interrupted ingest ---------------------------------------------------------------------
def test_ingest_marker_states(tmp_path: Path) -> None:
    assert ingest_state(tmp_path) == "complete"
    ingest_started(tmp_path)
    assert ingest_state(tmp_path) == "interrupted"  # our own pid: it raised before finishing
    ingest_finished(tmp_path)
    assert ingest_state(tmp_path) == "complete"


def test_marker_of_a_live_process_means_running_and_of_a_dead_one_interrupted(
    tmp_path: Path,
) -> None:
    code = (
        "import sys, time; from pathlib import Path; "
        "from curbside.rag.index_state import ingest_started; "
        "ingest_started(Path(sys.argv[1])); print('ready', flush=True); time.sleep(30)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert ingest_state(tmp_path) == "running"
    finally:
        child.kill()
        child.wait()
    assert ingest_state(tmp_path) == "interrupted"
    assert os.path.exists(tmp_path / "ingest-in-progress.json")
