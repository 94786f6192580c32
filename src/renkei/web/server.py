"""The ASGI entry point for uvicorn workers: ``renkei.web.server:app`` (the registry from RENKEI_DATABASE_URL).

When the server is told to stop (SIGTERM, Ctrl-C), parses still running in worker threads are told
at once to end at their next row (documents.limits.STOP), so a stop never waits for a large upload
to be read: uvicorn's own signal handler is wrapped to set it before the graceful shutdown starts.

A worker that finds no database setting, or a schema that is not this code's (migrated between
`renkei serve`'s own check and the worker's start), logs one line and exits 2, with no traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.server import Server

from ..documents.limits import STOP
from ..logs import WEB
from ..registry import database
from .app import create_asgi

_handle_exit = Server.handle_exit


def _stop_parses_then_exit(self: Server, sig: int, frame: Any) -> None:
    STOP.set()
    _handle_exit(self, sig, frame)


# uvicorn offers no hook on a stop signal: the method is replaced on the class, before any server starts
Server.handle_exit = _stop_parses_then_exit  # type: ignore[method-assign]
try:
    app = create_asgi()
except (database.DatabaseNotConfigured, database.SchemaMismatch) as exc:
    logging.getLogger(WEB).critical("%s", exc)
    raise SystemExit(2) from None
