"""What every router shares: the registry, the rendered-page cache, its ASGI front, and page rendering.

The routers (public, api, admin) import this module; :mod:`.app` assembles them. Nothing here
imports a router, so there is no import cycle.

Public responses are rendered once per registry *generation* (the newest audit-log id:
every import, review and edit writes one) and then served from memory with an ETag
(anonymous requests only; :mod:`.cache` bounds and keys that memory).
:class:`CacheFront`, a plain ASGI layer in front of FastAPI, answers repeated public GETs
straight from that memory; the generation is re-read at most once a second (and at once
after any write through this process), so a change shows within a second on every worker.

The same read fetches the schema revision, so a server whose database was migrated under it
knows within a second (:attr:`Site.state` is then ``schema_mismatch``: :mod:`.health` refuses
writes). When the read fails because the database cannot be reached, the server keeps the last
generation, so the pages already cached keep being served (``state`` is ``unavailable``); the
outage is logged once when it starts, again at most once per :data:`OUTAGE_LOG_PERIOD`, and
once when it ends. Nothing needs a restart: the next read after the database is back succeeds.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from ..logs import WEB
from ..registry import Registry, database
from ..registry.schema import AuditLog
from ..templating import environment
from . import urls
from .cache import CacheFront, Entry, PageCache, cache_bytes_setting, cache_key

STATIC = Path(__file__).parent / "static"
FONTS = Path(__file__).parent.parent / "data" / "fonts"  # IPAex Gothic and its licence
BOUNDARY_ATTRIBUTION = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"
GENERATION_TTL = 1.0  # seconds a generation read is trusted
OUTAGE_LOG_PERIOD = 60.0  # seconds between two log lines about the same database outage
log = logging.getLogger(WEB)

__all__ = ["CacheFront", "Site", "render", "render_text"]


class Site:
    """What every request shares: the registry and the rendered-page cache (:mod:`.cache`)."""

    def __init__(self, registry: Registry, *, cache_bytes: int | None = None) -> None:
        self.full = registry  # the signed-in area: drafts too
        self.registry = registry.public()  # public pages and the API: published editions only
        self.cache = PageCache(cache_bytes_setting() if cache_bytes is None else cache_bytes)
        self._generation = (-1.0, 0)  # (monotonic time read, value)
        self.head = database.head_revision()
        self.revision: str | None = self.head  # as last read
        self.reachable = True  # whether the last read reached the database
        self._outage_logged = 0.0  # monotonic time of the last outage log line

    @property
    def state(self) -> str:
        """``ok``, ``unavailable`` (the last read failed) or ``schema_mismatch`` (as of the last read)."""
        if not self.reachable:
            return "unavailable"
        return "ok" if self.revision == self.head else "schema_mismatch"

    def generation(self) -> int:
        """The registry's generation, read at most once per :data:`GENERATION_TTL` with the schema revision.

        While the database cannot be reached this is the last generation read, and ``state`` says so.
        """
        read_at, value = self._generation
        now = time.monotonic()
        if now - read_at > GENERATION_TTL:
            try:
                with self.registry.engine.connect() as conn:
                    self.revision = database.current_revision(conn)
                    value = conn.execute(select(func.coalesce(func.max(AuditLog.id), 0))).scalar() or 0
            except Exception as exc:
                if not database.is_unreachable(exc):
                    raise
                self.unreachable(exc)
            else:
                self.reached()
            self._generation = (now, value)
        return value

    def unreachable(self, exc: BaseException) -> None:
        """The database did not answer: log it once per outage period, without a traceback."""
        now = time.monotonic()
        if self.reachable or now - self._outage_logged > OUTAGE_LOG_PERIOD:
            log.error("database unreachable: %s: %s", type(exc).__name__, (str(exc).splitlines() or [""])[0])
            self._outage_logged = now
        self.reachable = False

    def reached(self) -> None:
        if not self.reachable:
            log.warning("database reachable again")
        self.reachable = True

    def changed(self) -> None:
        """Something was written through this process: read the generation again on the next request.

        The value is kept: if that read fails (the database went away), the cached pages stay servable.
        """
        self._generation = (-1.0, self._generation[1])

    def lookup(self, path: str, query: bytes) -> Entry | None:
        """The cached response for an anonymous GET of ``path?query``, as the application would key it.

        A path never cached (a probe, a static file) costs no generation read, so no database query.
        """
        if not self.cache.knows(path):
            return None
        generation = self.generation()
        key = self.cache.front_key(path, query, generation)
        return None if key is None else self.cache.get(key, generation)

    def cached(self, request: Request, make: Callable[[], tuple[bytes, str]], *, max_age: int = 60,
               headers: dict[str, str] | None = None) -> Response:
        """A public GET response, from the cache when nothing changed; 304 when the browser has it.

        Only anonymous requests use the cache. A signed-in visitor's page may carry their name, so
        it is rendered for them alone and marked ``private, no-store``.
        """
        if getattr(request.state, "account", None) is not None:
            body, media_type = make()
            return Response(body, media_type=media_type, headers={**(headers or {}),
                                                                   "Cache-Control": "private, no-store"})
        route = request.scope.get("route")
        known = frozenset(f.alias for f in route.dependant.query_params) if route is not None else frozenset()
        path = request.scope["path"]
        key, generation = cache_key(path, request.scope["query_string"], known), self.generation()
        hit = self.cache.get(key, generation)
        if hit is None:
            body, media_type = make()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            extra = {"Cache-Control": f"public, max-age={max_age}", **(headers or {})}
            hit = Entry(body, etag, media_type, tuple((k.lower().encode(), v.encode()) for k, v in extra.items()))
            self.cache.put(key, hit, generation, path, known)
        out = {"ETag": hit.etag, **{k.decode(): v.decode() for k, v in hit.headers}}
        if request.headers.get("if-none-match") == hit.etag:
            return Response(status_code=304, headers=out)
        return Response(hit.body, media_type=hit.media_type, headers=out)


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
