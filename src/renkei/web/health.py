"""Health probes, and what the server answers while it cannot serve safely.

- ``GET /healthz``: the process answers (never touches the database): a liveness probe.
- ``GET /readyz``: the database answers *and* is at this code's schema revision: a readiness probe
  (a load balancer stops sending traffic to a server that says 503).
- :class:`ServiceGuard`: while the database cannot be reached (as of the last generation read,
  see :class:`~.core.Site`), every request except static files, the favicon and the probes
  gets a Japanese 503 page (JSON for the API and ``/reconcile``) with ``Retry-After``; pages
  already in the cache are answered before this, by the cache front. While the schema is not
  this code's (the database was migrated under a running server), every write gets a 503, so
  an old server cannot apply rules the new schema replaced (approvals, editions).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from ..i18n import _
from ..registry import database
from .core import Site, render_text
from .security import SECURITY_HEADER_BYTES

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PROBES = ("/healthz", "/readyz")
STATIC_PREFIXES = ("/static/", "/favicon.ico")  # answered without a database (and without a session)
JSON_PREFIXES = ("/api/", "/reconcile")
READS = ("GET", "HEAD")
RETRY_AFTER = "30"  # seconds

router = APIRouter(include_in_schema=False)


@cache
def package_version() -> str:
    """The installed package's version (``renkei --version``, OpenAPI ``info.version``, ``/readyz``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("renkei")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 when the database answers at this code's revision; 503 with the reason otherwise (read now, not cached)."""
    site: Site = request.app.state.site
    body: dict[str, object] = {"version": package_version(), "schema": site.head}
    try:
        with site.registry.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            revision = database.current_revision(conn)
    except Exception as exc:
        if not database.is_unreachable(exc):
            raise
        site.unreachable(exc)
        return JSONResponse({"status": "unavailable", **body}, status_code=503,
                            headers={"Cache-Control": "no-store", "Retry-After": RETRY_AFTER})
    site.reached()
    if revision != site.head:
        return JSONResponse({"status": "schema_mismatch", **body, "database_schema": revision}, status_code=503,
                            headers={"Cache-Control": "no-store"})
    return JSONResponse({"status": "ok", **body}, headers={"Cache-Control": "no-store"})


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug: a short Japanese page (JSON for the API) instead of an English plain-text one.

    The error itself is logged by :class:`~.access.AccessLog`, to which Starlette passes it on.
    """
    message = _("サーバーでエラーが発生しました")
    if request.url.path.startswith(JSON_PREFIXES):
        return JSONResponse({"detail": message}, status_code=500)
    return HTMLResponse(render_text(request, "web/error.html", status=500, message=message, detail=""),
                        status_code=500)


def _refusal(scope: Scope, state: str) -> tuple[bytes, bytes]:
    """The 503 body and its content type: JSON for the API, else the Japanese page."""
    from starlette.requests import Request as StarletteRequest

    if state == "unavailable":
        message = _("ただいまデータベースに接続できません。しばらくしてからもう一度お試しください")
    else:
        message = _("ただいまメンテナンス中のため、変更を受け付けていません。しばらくしてからもう一度お試しください")
    if scope["path"].startswith(JSON_PREFIXES):
        return json.dumps({"status": state, "detail": message}, ensure_ascii=False).encode(), b"application/json"
    page = render_text(StarletteRequest(scope), "web/error.html", status=503, message=message, detail="")
    return page.encode(), b"text/html; charset=utf-8"


async def _send_refusal(scope: Scope, send: Send, state: str) -> None:
    body, media_type = _refusal(scope, state)
    headers = [(b"content-type", media_type), (b"content-length", str(len(body)).encode()),
               (b"retry-after", RETRY_AFTER.encode()), (b"cache-control", b"no-store"), *SECURITY_HEADER_BYTES]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


class ServiceGuard:
    """Refuse what cannot be served safely (see the module doc); the outermost layer inside the application."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in PROBES:
            await self.app(scope, receive, send)
            return
        if path.startswith(STATIC_PREFIXES):  # no session lookup, so no database, for a file
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
            await self.app(scope, receive, send)
            return
        site: Site = scope["app"].state.site
        await run_in_threadpool(site.generation)
        state = site.state
        if state == "unavailable" or (state == "schema_mismatch" and scope["method"] not in READS):
            await _send_refusal(scope, send, state)
            return
        started = False

        async def watch(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # the database went away during this request
            if started or not database.is_unreachable(exc):
                raise
            site.unreachable(exc)
            await _send_refusal(scope, send, "unavailable")
