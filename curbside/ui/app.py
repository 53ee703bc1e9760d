"""The Gradio chat app: a thin layer over `AnswerEngine.stream`.

`build_app(engine, settings)` only builds the Blocks; launching (with `launch_options()`,
since Gradio 6 takes theme/css at launch) is `curbside.ui.launch`'s job. Every piece of a
conversation lives in per-session `gr.State`, so two browser sessions never share one.
"""

from __future__ import annotations

import html
import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from curbside.rag.disclaimer import AUDIENCES
from curbside.rag.models import Answer, Turn
from curbside.rag.safe_text import escape_markdown
from curbside.ui.private_dir import private_workdir, write_private_file
from curbside.ui.render import answer_html, conversation_markdown, draft_html

if TYPE_CHECKING:
    import gradio as gr

    from curbside.rag.engine import AnswerEngine
    from curbside.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["APP_CSS", "build_app", "export_file", "launch_options"]

MAX_CHIPS = 3
KIND_CHOICES = [
    ("Guidelines and research", "both"),
    ("Guidelines only", "guideline"),
    ("Research only", "research"),
]
SYSTEM_FONTS = (
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
)
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

APP_CSS = """
#chat h3 { font-size: 1.2em; margin: 0.2em 0 0.5em; }
#chat h4 { font-size: 1.02em; margin: 0.8em 0 0.3em; }
#chat h5, #chat h6 { font-size: 0.95em; }
.cite a { text-decoration: none; font-weight: 600; font-size: 0.8em; padding: 0 1px; }
.references h4 { margin: 0.8em 0 0.3em; }
.references ol { padding-left: 1.4em; margin: 0; }
.references li { margin: 0.25em 0; line-height: 1.4; }
.references li:target { background: rgba(255, 214, 0, 0.25); border-radius: 4px; }
.badge { display: inline-block; font-size: 0.72em; font-weight: 700; padding: 1px 7px;
  border-radius: 9px; margin-right: 4px; vertical-align: 1px; color: #fff; }
.badge-guideline { background: #1f7a4d; }
.badge-research { background: #2f5fb3; }
.evidence-type { font-size: 0.8em; font-style: italic; opacity: 0.8; margin-right: 4px; }
.ref-where { opacity: 0.85; }
.ref-passages summary { cursor: pointer; font-size: 0.8em; opacity: 0.8; }
.ref-passages blockquote { font-size: 0.85em; margin: 0.3em 0 0.3em 0.5em; }
.disclaimer { font-size: 0.8em; opacity: 0.85; border-left: 3px solid #c98a00;
  padding: 0.3em 0.6em; margin-top: 0.8em; }
.searched { font-size: 0.8em; opacity: 0.8; margin-top: 0.4em; }
.searched summary { cursor: pointer; }
.follow-up-invite { margin-top: 0.6em; }
.status-line { font-style: italic; opacity: 0.8; }
.coverage { font-size: 0.85em; border-left: 3px solid #2f5fb3; padding: 0.2em 0.6em; }
.index-warning { font-size: 0.85em; border-left: 3px solid #b3261e; padding: 0.3em 0.6em;
  margin-bottom: 0.6em; }
#backend-line { font-size: 0.85em; opacity: 0.85; }
.chip button, button.chip { white-space: normal; text-align: left; }
"""


def _gradio() -> Any:
    from curbside.offline import apply_offline_env

    apply_offline_env()
    import gradio as gr

    return gr


def launch_options() -> dict[str, Any]:
    """theme and css for `Blocks.launch()` (Gradio 6), with system fonts only (offline)."""
    gr = _gradio()
    theme = gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)
    return {"theme": theme, "css": APP_CSS}


# ---- pure helpers (no gradio) -------------------------------------------------------------
def audience_choices() -> list[tuple[str, str]]:
    return [(label, key) for key, label in AUDIENCES.items()]


def make_filters(kind: str | None, year_min: float | None, year_max: float | None) -> Any:
    from curbside.rag.retrieval import SearchFilters

    try:
        return SearchFilters.from_user(kind, year_min, year_max)
    except ValueError:  # the dropdown offers only valid kinds; anything else means any
        return SearchFilters.from_user(None, year_min, year_max)


def backend_line(engine: AnswerEngine) -> str:
    from curbside.rag.store import StoreUnavailable

    try:
        sources, chunks = engine.corpus_size()
    except StoreUnavailable as exc:
        return f"Backend: {engine.backend} · document store unreachable ({html.escape(str(exc))})"
    except Exception:  # an index not built yet has no lexical part to count
        log.debug("could not count the index", exc_info=True)
        sources, chunks = 0, 0
    line = f"Backend: {engine.backend} · {sources} sources, {chunks} chunks"
    if not chunks:
        line += " · the index is empty: run `curbside ingest corpus/` first"
    return line


def error_message(exc: BaseException, engine: AnswerEngine) -> str:
    """A kind assistant message for a failure (never a traceback)."""
    from curbside.rag.engine import EmptyIndex, GeneratorUnavailable, QuestionRejected
    from curbside.rag.store import StoreUnavailable

    if isinstance(exc, QuestionRejected | EmptyIndex):
        return html.escape(str(exc))
    if isinstance(exc, GeneratorUnavailable):
        return (
            "The answer generator (backend "
            f"`{html.escape(engine.backend)}`) is unreachable right now: "
            f"{html.escape(str(exc))}. Your conversation is kept; please try again in a moment."
        )
    if isinstance(exc, StoreUnavailable):
        return (
            "The document store (Chroma) is unreachable right now: "
            f"{html.escape(str(exc))}. Your conversation is kept; please try again in a moment."
        )
    return (
        "Sorry, something went wrong while answering. Your conversation is kept; "
        "please try again or rephrase the question."
    )


def export_file(answers: list[Answer]) -> str | None:
    """Write the conversation for download, only when asked, into the private folder."""
    if not answers:
        return None
    return str(write_private_file("curbside-conversation.md", conversation_markdown(answers)))


def warnings_html(answer: Answer) -> str:
    return "".join(
        f'<div class="index-warning">{html.escape(w)}</div>\n\n' for w in answer.warnings
    )


def user_message_html(question: str) -> str:
    """The user's own question as shown in the chat: text only, never live Markdown."""
    return html.escape(escape_markdown(" ".join(question.split())), quote=False)


# ---- the app --------------------------------------------------------------------------------
def build_app(engine: AnswerEngine, settings: Settings) -> gr.Blocks:
    private_workdir()  # before any component: Gradio's file cache goes there, not /tmp/gradio
    gr = _gradio()
    log_questions = settings.ui.log_questions

    def respond(
        message: str,
        history: list[dict[str, Any]],
        turns: list[Turn],
        answers: list[Answer],
        audience: str,
        kind: str,
        year_min: float | None,
        year_max: float | None,
    ) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        turns, answers = list(turns or []), list(answers or [])
        question = (message or "").strip()
        hidden = [gr.update(visible=False)] * MAX_CHIPS

        def out(chips: list[Any] | None = None) -> tuple[Any, ...]:
            # An earlier export no longer holds the whole conversation: hide it.
            stale_export = gr.update(value=None, visible=False)
            return (history, "", turns, answers, *(chips or hidden), stale_export)

        if not question:
            yield (
                gr.update(),
                gr.update(),
                turns,
                answers,
                *[gr.update()] * MAX_CHIPS,
                gr.update(),
            )
            return
        if log_questions:
            log.info("question: %s", question)
        else:
            log.info("question received (%d characters)", len(question))
        history.append({"role": "user", "content": user_message_html(question)})
        history.append(
            {"role": "assistant", "content": '<span class="status-line">Thinking…</span>'}
        )
        yield out()
        final: Answer | None = None
        try:
            for event in engine.stream(
                question, turns, make_filters(kind, year_min, year_max), audience
            ):
                if event.kind == "status":
                    history[-1] = {
                        "role": "assistant",
                        "content": f'<span class="status-line">{html.escape(event.text)}…</span>',
                    }
                elif event.kind == "draft":
                    history[-1] = {"role": "assistant", "content": draft_html(event.text)}
                elif event.answer is not None:
                    final = event.answer
                yield out()
        except Exception as exc:  # every failure becomes a kind message, the chat goes on
            if not isinstance(exc, ValueError | RuntimeError):
                log.exception("answering failed")
            else:
                log.warning("answering failed: %s", type(exc).__name__)
            history[-1] = {"role": "assistant", "content": error_message(exc, engine)}
            yield out()
            return
        if final is None:
            return
        history[-1] = {
            "role": "assistant",
            "content": warnings_html(final) + answer_html(final, uuid.uuid4().hex[:8]),
        }
        # Store the standalone form: the next follow-up is condensed against it, so a chain
        # ("... in SLE?" -> "what about Sjogren's?" -> "and the treatment?") keeps its topic.
        turns.append(Turn.from_answer(final))
        answers.append(final)
        chips = [gr.update(value=text, visible=True) for text in final.follow_ups[:MAX_CHIPS]]
        chips += [gr.update(visible=False)] * (MAX_CHIPS - len(chips))
        log.info(
            "answered in %.2f s (%d references)",
            final.timings.get("total", 0.0),
            len(final.references),
        )
        yield out(chips)

    def export_conversation(answers: list[Answer]) -> Any:
        path = export_file(list(answers or []))
        return gr.update(value=path, visible=path is not None)

    def new_conversation() -> tuple[Any, ...]:
        return (
            [],
            "",
            [],
            [],
            *[gr.update(visible=False)] * MAX_CHIPS,
            gr.update(value=None, visible=False),
        )

    with gr.Blocks(
        title="curbside: cited clinical answers", analytics_enabled=False, fill_width=False
    ) as demo:
        turns_state = gr.State([])
        answers_state = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                gr.Markdown(
                    "## curbside\nAnswers from guideline and research sources, "
                    "with a citation on every claim."
                )
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    height=620,
                    buttons=["copy"],
                    show_label=False,
                    placeholder="Ask a clinical question, e.g. *Can foot drop occur in "
                    "connective tissue diseases?*",
                    feedback_options=None,
                    group_consecutive_messages=False,
                )
                with gr.Row(elem_id="chips"):
                    chips = [
                        gr.Button(visible=False, size="sm", elem_classes="chip")
                        for _ in range(MAX_CHIPS)
                    ]
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        scale=8,
                        lines=1,
                        max_lines=6,
                        placeholder="Type a clinical question and press Enter",
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            with gr.Column(scale=1, min_width=240):
                audience = gr.Radio(
                    audience_choices(),
                    value="clinician",
                    label="Which best describes you?",
                    elem_id="audience",
                )
                kind = gr.Radio(KIND_CHOICES, value="both", label="Sources", elem_id="kind")
                with gr.Row():
                    year_min = gr.Number(
                        label="From year (0 = any)",
                        precision=0,
                        value=0,
                        minimum=0,
                        elem_id="year-min",
                    )
                    year_max = gr.Number(
                        label="To year (0 = any)",
                        precision=0,
                        value=0,
                        minimum=0,
                        elem_id="year-max",
                    )
                new = gr.Button("New conversation", elem_id="new-conversation")
                export = gr.Button("Export conversation (.md)", elem_id="export")
                export_download = gr.File(
                    label="Conversation (Markdown)",
                    visible=False,
                    interactive=False,
                    elem_id="export-file",
                )
                backend = gr.Markdown(elem_id="backend-line")

        inputs = [question, chatbot, turns_state, answers_state, audience, kind, year_min, year_max]
        outputs = [chatbot, question, turns_state, answers_state, *chips, export_download]
        question.submit(respond, inputs, outputs)
        ask.click(respond, inputs, outputs)
        for chip in chips:
            chip.click(lambda text: text, chip, question, queue=False).then(
                respond, inputs, outputs
            )
        export.click(export_conversation, answers_state, export_download)
        new.click(new_conversation, None, outputs, queue=False)
        chatbot.clear(new_conversation, None, outputs, queue=False)  # its trash icon, too
        demo.load(lambda: backend_line(engine), None, backend)
    return demo
