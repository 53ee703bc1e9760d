"""`curbside chat`: build the engine and the app, then serve it on 127.0.0.1 (by default)."""

from __future__ import annotations

import logging
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curbside.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["allowed_hosts", "host_guard", "parse_auth", "run_chat", "warm_up"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def allowed_hosts(settings: Settings) -> list[str]:
    """Host header values the chat answers to: loopback, the bind address, configured names.

    Checking the Host header defeats DNS rebinding (a web page that makes the browser talk
    to a local server under a name of the attacker's) and forged Host headers.
    """
    import socket

    hosts = list(LOOPBACK_NAMES) + list(settings.ui.allowed_hosts)
    bind = settings.ui.host
    if bind in ("0.0.0.0", "::"):
        hosts += [socket.gethostname(), socket.getfqdn()]
    elif bind:
        hosts.append(bind)
    return list(dict.fromkeys(h for h in hosts if h))


def host_guard(settings: Settings) -> dict[str, object]:
    """`app_kwargs` for Gradio's `launch()`: FastAPI middleware refusing unknown Host headers."""
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    return {
        "middleware": [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings))]
    }


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:password' -> ('user', 'password'); None or '' -> None."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth must be given as user:password")
    return user, password


def warm_up(engine: object) -> None:
    """Load the embedding model and the lexical index now, so the first question is not slow."""
    try:
        engine.embedder.encode(["warm up"])  # type: ignore[attr-defined]
        engine.retriever.lexical()  # type: ignore[attr-defined]
    except Exception:  # an empty index has nothing to load yet; the chat says so on asking
        log.debug("warm-up skipped", exc_info=True)


def run_chat(settings: Settings) -> int:
    """Serve the chat until interrupted. Returns the process exit code."""
    from curbside.offline import apply_offline_env

    apply_offline_env()
    from curbside.rag.factory import make_engine
    from curbside.rag.store import StoreUnavailable
    from curbside.ui.app import build_app, launch_options

    secret = settings.ui.auth.get_secret_value() if settings.ui.auth else None
    try:
        auth = parse_auth(secret)
    except ValueError as exc:
        print(f"curbside chat: {exc}", file=sys.stderr)
        return 2
    try:
        engine = make_engine(settings)
        engine.retriever.store.count()  # fail now, with a clear message, not on the first question
    except StoreUnavailable as exc:
        print(
            f"curbside chat: the document store is unavailable: {exc}\n"
            "Start the Chroma server (or unset CURBSIDE_CHROMA_URL to use the embedded store) "
            "and try again.",
            file=sys.stderr,
        )
        return 3
    warm_up(engine)
    # SIGTERM (systemd, docker stop, kill) ends the server like Ctrl-C does, so the private
    # folder with exports and Gradio's cache is removed at exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = build_app(engine, settings)
    app.queue(default_concurrency_limit=settings.ui.concurrency_limit)
    log.info("serving the chat on http://%s:%d", settings.ui.host, settings.ui.port)
    app.launch(
        server_name=settings.ui.host,
        server_port=settings.ui.port,
        auth=auth,
        share=False,
        inbrowser=False,
        show_error=False,
        footer_links=[],
        app_kwargs=host_guard(settings),
        **launch_options(),
    )
    return 0
