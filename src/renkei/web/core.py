"""What every router shares: the registry, the rendered-page cache, its ASGI front, and page rendering.

The routers (public, api, admin) import this module; :mod:`.app` assembles them. Nothing here
imports a router, so there is no import cycle.

Public responses are rendered once per registry *generation* (the newest audit-log id:
every import, review and edit writes one) and then served from memory with an ETag.
:class:`CacheFront`, a plain ASGI layer in front of FastAPI, answers repeated public GETs
straight from that memory; the generation is re-read at most once a second (and at once
after any write through this process), so a change shows within a second on every worker.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from ..registry import Registry
from ..registry.schema import AuditLog
from ..templating import environment
from . import urls
from .security import SECURITY_HEADER_BYTES

STATIC = Path(__file__).parent / "static"
FONTS = Path(__file__).parent.parent / "data" / "fonts"  # IPAex Gothic and its licence
BOUNDARY_ATTRIBUTION = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"
CACHE_SIZE = 2000
GENERATION_TTL = 1.0  # seconds a generation read is trusted
SESSION_COOKIE = b"renkei_session="


class Entry(NamedTuple):
    body: bytes
    etag: str
    media_type: str
    headers: tuple[tuple[bytes, bytes], ...]  # Cache-Control, Content-Disposition, ... (lower-case, bytes)


class Site:
    """What every request shares: the registry and the rendered-page cache."""

    def __init__(self, registry: Registry) -> None:
        self.full = registry  # the signed-in area: drafts too
        self.registry = registry.public()  # public pages and the API: published editions only
        self._cache: OrderedDict[tuple[str, int], Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = (-1.0, 0)  # (monotonic time read, value)

    def generation(self) -> int:
        read_at, value = self._generation
        now = time.monotonic()
        if now - read_at > GENERATION_TTL:
            with self.registry.engine.connect() as conn:
                value = conn.execute(select(func.coalesce(func.max(AuditLog.id), 0))).scalar() or 0
            self._generation = (now, value)
        return value

    def changed(self) -> None:
        """Something was written through this process: read the generation again on the next request."""
        self._generation = (-1.0, 0)

    def lookup(self, key: str) -> Entry | None:
        with self._lock:
            return self._cache.get((key, self.generation()))

    def cached(self, request: Request, make: Callable[[], tuple[bytes, str]], *, max_age: int = 60,
               headers: dict[str, str] | None = None) -> Response:
        """A public GET response, from the cache when nothing changed; 304 when the browser has it."""
        key = (request.url.path + "?" + request.url.query, self.generation())
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        if hit is None:
            body, media_type = make()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            extra = {"Cache-Control": f"public, max-age={max_age}", **(headers or {})}
            hit = Entry(body, etag, media_type, tuple((k.lower().encode(), v.encode()) for k, v in extra.items()))
            with self._lock:
                self._cache[key] = hit
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        out = {"ETag": hit.etag, **{k.decode(): v.decode() for k, v in hit.headers}}
        if request.headers.get("if-none-match") == hit.etag:
            return Response(status_code=304, headers=out)
        return Response(hit.body, media_type=hit.media_type, headers=out)


class CacheFront:
    """Answer public GETs that are already rendered without entering FastAPI (no routing, no middleware).

    Only anonymous requests (no session cookie) are served here; everything else, and every
    miss, goes through the application, which fills the cache.
    """

    def __init__(self, app: FastAPI, site: Site) -> None:
        self.app, self.site = app, site

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] != "GET" or SESSION_COOKIE in headers.get(b"cookie", b"") or b"x-renkei-static" in headers:
            await self.app(scope, receive, send)
            return
        key = scope["path"] + "?" + scope["query_string"].decode("latin-1")
        hit = self.site.lookup(key)
        if hit is None:
            await self.app(scope, receive, send)
            return
        out = [(b"etag", hit.etag.encode()), *hit.headers, *SECURITY_HEADER_BYTES]
        if headers.get(b"if-none-match", b"").decode("latin-1") == hit.etag:
            await send({"type": "http.response.start", "status": 304, "headers": out})
            await send({"type": "http.response.body", "body": b""})
            return
        out += [(b"content-type", hit.media_type.encode()), (b"content-length", str(len(hit.body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": hit.body})


def render(request: Request, template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(render_text(request, template, **context), status_code=status_code)


def render_text(request: Request, template: str, **context: object) -> str:
    site: Site = request.app.state.site
    account = getattr(request.state, "account", None)
    return environment().get_template(template).render(
        urls=urls, request=request, account=account, csrf=getattr(request.state, "csrf", ""),
        static=getattr(request.state, "static", False),
        attribution=(*site.registry.directory.attribution, BOUNDARY_ATTRIBUTION),
        **context)
