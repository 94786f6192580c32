"""The rendered-page cache: anonymous GETs only, keyed by path and the route's own query parameters, bounded in bytes.

What an outsider controls must not decide what the cache holds: a query parameter the route does
not declare (``?x=random``) never makes a new entry, and the whole cache is a least-recently-used
store bounded in bytes (``RENKEI_CACHE_MB``), so flooding it costs the server neither memory nor
the entries real visitors use. Signed-in responses never enter it (see :meth:`Site.cached`).
"""

from __future__ import annotations

import builtins
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qsl, urlencode

from ..i18n import _
from .security import COOKIE, SECURITY_HEADER_BYTES

SESSION_COOKIE = COOKIE.encode() + b"="
DEFAULT_CACHE_MB = 64
MAX_PATHS = 20_000  # paths whose parameters are remembered for the front (forgotten all at once past this)
ENTRY_OVERHEAD = 256  # bytes counted per entry on top of its body, key and headers

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def cache_bytes_setting() -> int:
    """The cache's budget in bytes: ``RENKEI_CACHE_MB`` (default 64; 0 turns the cache off)."""
    raw = os.environ.get("RENKEI_CACHE_MB", "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_CACHE_MB
    except ValueError as exc:
        raise ValueError(_("RENKEI_CACHE_MB は数値で指定してください（{value}）").format(value=repr(raw))) from exc
    return max(0, int(mb * 1024 * 1024))


class Entry(NamedTuple):
    body: bytes
    etag: str
    media_type: str
    headers: tuple[tuple[bytes, bytes], ...]  # Cache-Control, Content-Disposition, ... (lower-case, bytes)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + ENTRY_OVERHEAD


def cache_key(path: str, query: str | bytes, known: Iterable[str]) -> str:
    """``path?query`` with only the parameters the route declares, sorted by name (values keep their order)."""
    names = frozenset(known)
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    pairs = [(k, v) for k, v in parse_qsl(text, keep_blank_values=True) if k in names]
    pairs.sort(key=lambda kv: kv[0])
    return path + "?" + urlencode(pairs)


class PageCache:
    """A least-recently-used map from key to :class:`Entry`, bounded by the bytes it holds, for one generation.

    The registry's generation (its newest audit-log id) changes on every write; entries of an older
    generation can never be served again, so the whole cache is dropped when it moves.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 4  # one huge download may not push out every page
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._paths: dict[str, frozenset[str]] = {}  # path -> the query parameters its route declares
        self._bytes = 0
        self._generation: int | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def _at(self, generation: int) -> None:
        if generation != self._generation:
            self._entries.clear()
            self._paths.clear()
            self._bytes, self._generation = 0, generation

    def get(self, key: str, generation: int) -> Entry | None:
        with self._lock:
            self._at(generation)
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: str, entry: Entry, generation: int, path: str, known: frozenset[str]) -> None:
        size = entry.size + len(key)
        if size > self.max_entry:
            return
        with self._lock:
            self._at(generation)
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size + len(key)
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                k, e = self._entries.popitem(last=False)
                self._bytes -= e.size + len(k)
            if len(self._paths) >= MAX_PATHS and path not in self._paths:
                self._paths.clear()
            self._paths[path] = known

    def knows(self, path: str) -> bool:
        """Whether ``path`` has been cached in some generation (its route's parameters are remembered)."""
        return path in self._paths

    def front_key(self, path: str, query: builtins.bytes, generation: int) -> str | None:  # (bytes is a method here)
        """The key a request would get inside the application, if its path's route has been seen."""
        with self._lock:
            self._at(generation)
            known = self._paths.get(path)
        return None if known is None else cache_key(path, query, known)


class Lookup(Protocol):
    def lookup(self, path: str, query: bytes) -> Entry | None: ...


class CacheFront:
    """Answer public GETs and HEADs that are already rendered without entering FastAPI (no routing, no middleware).

    Only anonymous requests (no session cookie) are served here; everything else, and every
    miss, goes through the application, which fills the cache.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], site: Lookup) -> None:
        self.app, self.site = app, site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        hit = None if SESSION_COOKIE in headers.get(b"cookie", b"") else self.site.lookup(
            scope["path"], scope["query_string"])
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
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else hit.body})


class HeadAsGet:
    """``HEAD`` wherever ``GET`` works: the request runs as a GET and its body is dropped (headers kept)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
