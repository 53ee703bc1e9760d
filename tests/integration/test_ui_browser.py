"""The chat web UI, driven in headless Debian Chromium against the real engine and index.

Relies on: the session fixtures of tests/conftest.py (``corpus_index``: the bundled corpus
ingested once; ``embedder``: the real offline model); Chromium at /usr/bin/chromium and the
playwright Python package (skips cleanly when either is absent). Screenshots go to
artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from curbside.rag.embedding import Embedder

pytestmark = [pytest.mark.integration, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
BOTS = '#chat .message.bot, #chat [data-testid="bot"]'
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANSWER_TIMEOUT_MS = 120_000
FOOT_DROP = "Can foot drop occur in connective tissue diseases?"
LUPUS = "Does peripheral neuropathy occur in lupus?"  # retrieves a guideline and research
STROKE = "Should an ankle-foot orthosis be used for foot drop after stroke?"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(settings: Any, embedder: Embedder) -> tuple[Any, str]:
    from curbside.rag.factory import make_engine
    from curbside.ui.app import build_app, launch_options
    from curbside.ui.launch import warm_up

    engine = make_engine(settings, embedder=embedder)
    warm_up(engine)
    app = build_app(engine, settings)
    app.queue(default_concurrency_limit=settings.ui.concurrency_limit)
    port = _free_port()
    app.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        footer_links=[],
        **launch_options(),
    )
    return app, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def app_url(corpus_index: Any, embedder: Embedder) -> Iterator[str]:
    app, url = _serve(corpus_index.settings(), embedder)
    try:
        yield url
    finally:
        app.close()


@pytest.fixture(scope="module")
def empty_app_url(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    from curbside.settings import Settings

    app, url = _serve(Settings(data_dir=tmp_path_factory.mktemp("empty") / "data"), embedder)
    try:
        yield url
    finally:
        app.close()


HOSTILE_ID = "hostile-markdown-note"
HOSTILE_QUESTION = "Does peroneal nerve palsy after knee dislocation cause foot drop?"


def _hostile_doc(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return f"""---
id: {HOSTILE_ID}
title: "Peroneal palsy after knee dislocation <img src={base}/title.png> [t]({base}/t)"
kind: research
evidence_type: review
publisher: "<b>Test</b> Journal"
year: 2022
url: "javascript:alert(1)"
---

# Peroneal palsy after knee dislocation

## Findings

Peroneal nerve palsy after knee dislocation causes foot drop ![pixel]({base}/track.png) in many
patients. Foot drop from peroneal nerve palsy after knee dislocation is described at
[this page]({base}/link) and ![d](data:image/png;base64,iVBORw0KGgo=) often persists.
Peroneal nerve palsy after knee dislocation causing foot drop is reported at {base}/bare and
www.example.org/foot-drop-peroneal-palsy.
"""


class _Counter:
    def __init__(self) -> None:
        self.paths: list[str] = []


@pytest.fixture(scope="module")
def hostile_app(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, ingest: Callable[..., Any]
) -> Iterator[tuple[str, _Counter]]:
    """An app over a small index holding a source whose text is hostile Markdown, and a local
    HTTP server that counts every request the page makes to it (none are allowed)."""
    import http.server
    import threading

    from curbside.settings import Settings

    counter = _Counter()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            counter.paths.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    pixel = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=pixel.serve_forever, daemon=True).start()
    root = tmp_path_factory.mktemp("hostile")
    docs = root / "docs"
    docs.mkdir()
    (docs / "hostile.md").write_text(_hostile_doc(pixel.server_address[1]), encoding="utf-8")
    for name in ("carolus-foot-drop-2019", "stewart-foot-drop-2008"):
        shutil.copy(REPO / "corpus" / f"{name}.md", docs)
    settings = Settings(data_dir=root / "data")
    assert ingest(settings, docs).ok
    app, url = _serve(settings, embedder)
    try:
        yield url, counter
    finally:
        app.close()
        pixel.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def make(url: str) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        external: list[str] = []
        page.on(
            "request",
            lambda r: (
                external.append(r.url)
                if not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else None
            ),
        )
        page.external_requests = external  # offline: the app must fetch nothing from elsewhere
        page.goto(url, wait_until="load")
        page.wait_for_selector("#question textarea", timeout=60_000)
        return page

    yield make
    for context in contexts:
        context.close()


# ---- helpers ------------------------------------------------------------------------------
def _answers(page: Any) -> Any:
    return page.locator("#chat .follow-up-invite")


def _bot_count(page: Any) -> int:
    return int(page.locator(BOTS).count())


def _bot_text(page: Any) -> str:
    """Text of the last assistant message."""
    return str(
        page.evaluate(
            """(bots) => { const m = document.querySelectorAll(bots);
                   return m.length ? m[m.length - 1].innerText : ''; }""",
            BOTS,
        )
    )


def ask(page: Any, question: str, wait_for_answer: bool = True) -> dict[str, float]:
    """Type a question, press Enter; return seconds to the first streamed text and to the end."""
    before, bots_before = _answers(page).count(), _bot_count(page)
    page.fill("#question textarea", question)
    started = time.perf_counter()
    page.press("#question textarea", "Enter")
    timings: dict[str, float] = {}
    if not wait_for_answer:
        return timings
    deadline = started + ANSWER_TIMEOUT_MS / 1000
    while time.perf_counter() < deadline:
        text = _bot_text(page) if _bot_count(page) > bots_before else ""
        if "first_text" not in timings and text and "Thinking" not in text:
            timings["first_text"] = time.perf_counter() - started  # "Searching for: ..." status
        if (
            "first_draft" not in timings
            and text
            and "Thinking" not in text
            and "Searching for" not in text
        ):
            timings["first_draft"] = time.perf_counter() - started
        if _answers(page).count() > before:
            timings["complete"] = time.perf_counter() - started
            return timings
        time.sleep(0.02)  # poll interval
    pytest.fail(
        f"no answer within {ANSWER_TIMEOUT_MS / 1000:.0f} s; last message: {_bot_text(page)[:300]}"
    )


def wait_for_message(page: Any, needle: str) -> str:
    page.wait_for_function(
        """([bots, needle]) => { const m = document.querySelectorAll(bots);
                          return m.length && m[m.length - 1].innerText.includes(needle); }""",
        arg=[BOTS, needle],
        timeout=ANSWER_TIMEOUT_MS,
    )
    return _bot_text(page)


def last_answer(page: Any) -> Any:
    return page.locator(BOTS).last


def _unscroll_chat(page: Any) -> None:
    page.evaluate(
        """() => { const chat = document.querySelector('#chat');
                   for (const el of [chat, ...chat.querySelectorAll('*')]) {
                     const style = getComputedStyle(el);
                     if (['auto', 'scroll'].includes(style.overflowY) || el === chat) {
                       el.style.height = 'auto'; el.style.maxHeight = 'none';
                       el.style.overflowY = 'visible'; } } }"""
    )


# ---- tests --------------------------------------------------------------------------------
def test_answer_has_citations_references_and_disclaimer(
    open_page: Callable[[str], Any], app_url: str
) -> None:
    page = open_page(app_url)
    page.wait_for_function(
        "() => (document.querySelector('#backend-line')?.innerText || '').includes('sources,')",
        timeout=30_000,
    )
    print("\n" + page.locator("#backend-line").inner_text())
    assert page.external_requests == [], "the page fetched from outside 127.0.0.1"
    timings = ask(page, FOOT_DROP)
    print(
        f"\nbrowser timings (warm engine) for {FOOT_DROP!r}: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
    )
    answer = last_answer(page)
    markers = answer.locator("sup.cite a")
    assert markers.count() >= 1 and markers.first.inner_text().startswith("[")
    first_href = markers.first.get_attribute("href")
    assert first_href and answer.locator(f"li[id='{first_href[1:]}']").count() == 1
    assert answer.locator(".references li").count() >= 1
    assert "Professional Medical Disclaimer" in answer.inner_text()
    assert "Have a follow-up question?" in answer.inner_text()
    foot_drop_badges = set(answer.locator(".badge").all_inner_texts())

    timings = ask(page, LUPUS)
    print(
        f"browser timings (warm engine) for {LUPUS!r}: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
    )
    badges = set(last_answer(page).locator(".badge").all_inner_texts())
    print(f"badges: foot drop {sorted(foot_drop_badges)}, lupus {sorted(badges)}")
    assert {"Guideline", "Research"} <= badges | foot_drop_badges
    assert {"Guideline", "Research"} <= badges, "the lupus question retrieves both kinds"
    _unscroll_chat(page)  # show the whole conversation, not just the scrolled-to end
    page.locator("#chat").screenshot(path=str(SHOTS / "two-turn-chat.png"))
    page.screenshot(path=str(SHOTS / "two-turn-page.png"), full_page=True)

    # the searched-for line is there on demand
    searched = last_answer(page).locator("details.searched")
    searched.locator("summary").click()
    assert "peripheral neuropathy" in searched.inner_text().lower()

    # export: written only when asked for, then downloaded from the file link
    assert page.locator("#export-file a").count() == 0
    page.locator("#export").click()
    link = page.locator("#export-file a").first
    link.wait_for(timeout=30_000)
    with page.expect_download() as download_info:
        link.click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert FOOT_DROP in exported and LUPUS in exported and "(Guideline" in exported


def test_citation_marker_shows_its_passage(open_page: Callable[[str], Any], app_url: str) -> None:
    page = open_page(app_url)
    ask(page, STROKE)
    marker = last_answer(page).locator("sup.cite a").first
    title = marker.get_attribute("title") or ""
    assert len(title) > 40 and "“" in title  # the quoted passage, then source and section
    marker.hover()
    marker.click()
    target = last_answer(page).locator(f"li[id='{(marker.get_attribute('href') or '#')[1:]}']")
    details = target.locator("details.ref-passages")
    details.locator("summary").click()
    passage = details.locator("blockquote").first
    assert passage.is_visible()
    quoted = title.split("”")[0].lstrip("“").rstrip(" …")[:60]
    assert quoted in " ".join(details.inner_text().split())
    target.screenshot(path=str(SHOTS / "reference-with-passage.png"))


def test_follow_up_chip_answers_its_topic(open_page: Callable[[str], Any], app_url: str) -> None:
    page = open_page(app_url)
    ask(page, LUPUS)
    chip = page.locator("#chips button").first
    chip.wait_for(state="visible")
    chip_text = chip.inner_text()
    before = _answers(page).count()
    chip.click()
    page.wait_for_function(
        "(n) => document.querySelectorAll('#chat .follow-up-invite').length > n",
        arg=before,
        timeout=ANSWER_TIMEOUT_MS,
    )
    answer = last_answer(page)
    answer.locator("details.searched summary").click()
    searched = answer.locator("details.searched").inner_text()
    print(f"\nchip {chip_text!r} -> searched for {searched!r}")
    assert chip_text.rstrip("?").lower() in searched.lower()
    body = answer.inner_text().lower()
    assert "lupus" in body or "neuropath" in body
    page.screenshot(path=str(SHOTS / "follow-up-chip.png"), full_page=True)


def test_patient_audience_gets_the_patient_disclaimer(
    open_page: Callable[[str], Any], app_url: str
) -> None:
    from curbside.rag.disclaimer import disclaimer_for

    page = open_page(app_url)
    page.get_by_label("Patient or caregiver").check()
    ask(page, STROKE)
    text = " ".join(last_answer(page).inner_text().split())
    assert disclaimer_for("patient") in text
    assert "Professional Medical Disclaimer" not in text


def test_over_long_question_gets_the_length_message(
    open_page: Callable[[str], Any], app_url: str, corpus_index: Any
) -> None:
    page = open_page(app_url)
    limit = corpus_index.settings().ui.max_question_chars
    ask(page, "a" * (limit + 1), wait_for_answer=False)
    text = wait_for_message(page, "the limit is")
    assert f"{limit + 1:,} characters long" in text and "Traceback" not in text


def test_empty_index_shows_the_ingest_hint(
    open_page: Callable[[str], Any], empty_app_url: str
) -> None:
    page = open_page(empty_app_url)
    ask(page, FOOT_DROP, wait_for_answer=False)
    text = wait_for_message(page, "The index is empty")
    assert "curbside ingest" in text
    page.screenshot(path=str(SHOTS / "empty-index.png"))


def test_two_sessions_keep_separate_conversations(
    open_page: Callable[[str], Any], app_url: str
) -> None:
    first, second = open_page(app_url), open_page(app_url)
    ask(first, LUPUS, wait_for_answer=False)
    ask(second, STROKE, wait_for_answer=False)
    for page in (first, second):
        page.wait_for_function(
            "() => document.querySelectorAll('#chat .follow-up-invite').length >= 1",
            timeout=ANSWER_TIMEOUT_MS,
        )
    first_text, second_text = (
        first.locator("#chat").inner_text(),
        second.locator("#chat").inner_text(),
    )
    assert LUPUS in first_text and STROKE not in first_text
    assert STROKE in second_text and LUPUS not in second_text
    # a follow-up is condensed with its own session's conversation only
    ask(first, "How is it managed?")
    first.locator("#chat details.searched summary").last.click()
    searched = first.locator("#chat details.searched").last.inner_text().lower()
    assert "stroke" not in searched and "orthosis" not in searched
    # New conversation clears one session only
    first.locator("#new-conversation").click()
    first.wait_for_function(
        "() => document.querySelectorAll('#chat .follow-up-invite').length === 0"
    )
    assert STROKE in second.locator("#chat").inner_text()


def test_markdown_in_source_text_stays_text(
    open_page: Callable[[str], Any], hostile_app: tuple[str, _Counter]
) -> None:
    url, counter = hostile_app
    page = open_page(url)
    ask(page, HOSTILE_QUESTION)
    answer = last_answer(page)
    text = answer.inner_text()
    assert "knee dislocation" in text, text  # the hostile source was quoted...
    assert "![pixel]" in text or "track.png" in text, text  # ...as text
    page.wait_for_timeout(500)  # give a live image time to load, were there one
    assert counter.paths == [], f"the page fetched {counter.paths}"
    assert answer.locator("img").count() == 0
    hrefs = answer.locator("a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    for href in hrefs:  # citation anchors and http(s) reference links only
        assert href.startswith("#ref-") or href.startswith(("http://", "https://")), href
        assert "127.0.0.1" not in href and "example.org" not in href, href
    assert not any("javascript" in (h or "").lower() for h in hrefs)
    page.screenshot(path=str(SHOTS / "hostile-markdown.png"), full_page=True)
