"""The access log and request ids: an ASGI layer in front of everything (the page cache's answers included).

Every request gets an id: a sane incoming ``X-Request-ID`` (from a proxy that already set one) or a
new one; it goes back in the response's ``X-Request-ID`` header and into the log lines, so a
person reporting a problem can quote it. One ``renkei.access`` line per request gives the time,
client address (as the trusted-proxy rules give it: this layer sits inside the proxy-header
layer), method, path (never the query, which may carry what people typed), status and duration.

An unhandled error is logged here once, with method, path and request id; its traceback only
when :class:`~renkei.logs.TracebackThrottle` allows (once per distinct error per period). The
error is not passed on to the server, which would print its traceback on every request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..i18n import _
from ..logs import ACCESS, WEB, TracebackThrottle

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
HEADER = b"x-request-id"
access_log = logging.getLogger(ACCESS)
error_log = logging.getLogger(WEB)


def printable(path: str) -> str:
    """The path as one line: a decoded ``%0A`` must not start a forged log line."""
    return path if path.isprintable() else path.encode("unicode_escape").decode("ascii")


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The incoming X-Request-ID when it is short and plain (letters, digits, ``._:-``), else a new one."""
    for name, value in headers:
        if name == HEADER and SANE_ID.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class AccessLog:
    """Log each HTTP request once, with its id; log an unhandled error without flooding (see module doc)."""

    def __init__(self, app: ASGIApp, throttle: TracebackThrottle | None = None) -> None:
        self.app = app
        self.throttle = throttle or TracebackThrottle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = rid  # request.state.request_id inside the application
        status = 0

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (HEADER, rid.encode())]}
            await send(message)

        path = printable(scope["path"])
        fields = {"client": (scope.get("client") or ("-",))[0], "method": scope["method"], "path": path,
                  "request_id": rid}
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error_log.error("unhandled error %s: %s %s (request %s)", type(exc).__name__, scope["method"], path, rid,
                            exc_info=exc if self.throttle.allow(exc) else None, extra=fields)
            if not status:
                status = 500
                await send_with_id({"type": "http.response.start", "status": 500,
                                    "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                await send({"type": "http.response.body", "body": _("サーバーでエラーが発生しました").encode()})
        finally:
            duration = round((time.perf_counter() - started) * 1000, 1)
            access_log.info('%s "%s %s" %s %.1fms %s', fields["client"], scope["method"], path, status,
                            duration, rid, extra={**fields, "status": status, "duration_ms": duration})
