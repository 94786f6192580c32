"""The ASGI entry point for uvicorn workers: ``renkei.web.server:app`` (the registry from RENKEI_DATABASE_URL).

When the server is told to stop (SIGTERM, Ctrl-C), parses still running in worker threads are told
at once to end at their next row (documents.limits.STOP), so a stop never waits for a large upload
to be read: uvicorn's own signal handler is wrapped to set it before the graceful shutdown starts.
"""

from __future__ import annotations

from typing import Any

from uvicorn.server import Server

from ..documents.limits import STOP
from .app import create_asgi

_handle_exit = Server.handle_exit


def _stop_parses_then_exit(self: Server, sig: int, frame: Any) -> None:
    STOP.set()
    _handle_exit(self, sig, frame)


Server.handle_exit = _stop_parses_then_exit  # type: ignore[method-assign]
app = create_asgi()
