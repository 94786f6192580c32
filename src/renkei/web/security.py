"""What stands between the network and the application.

- Headers every response carries: no sniffing, no framing, a strict same-origin content policy.
- :class:`WebSettings`: trusted proxies, Secure cookies and body limits, from the environment
  (``renkei serve`` options set the same variables).
- :class:`BodyGuard`: a POST is refused *before its body is read* when it is larger than its
  route allows (Content-Length, then a running byte count) or, in the signed-in area, when it
  carries no valid session. Starlette would otherwise spool a whole upload to disk first.
- :class:`RelativeRedirects`: redirects never reflect the Host header.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..i18n import _

if TYPE_CHECKING:
    from starlette.requests import Request

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
}
SECURITY_HEADER_BYTES = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
TRUSTED_PROXIES_ENV = "RENKEI_TRUSTED_PROXIES"
SECURE_COOKIES_ENV = "RENKEI_SECURE_COOKIES"
MAX_FORM_ENV = "RENKEI_MAX_FORM_BYTES"
SIGNED_IN_PREFIXES = ("/admin", "/logout")  # every POST here needs a session
UPLOAD_PATHS = ("/admin/upload", "/convert/")  # the public conversion page takes a file too
LOGIN_PATH = "/login"
COOKIE = "renkei_session"  # the session cookie
MULTIPART_OVERHEAD = 64 * 1024
MAX_FORM_BYTES = 1024 * 1024
MAX_LOGIN_BYTES = 16 * 1024  # the form's other fields and part headers around an upload


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class WebSettings:
    """Settings of the web server; :meth:`from_env` reads them from the environment."""

    trusted_proxies: str = ""  # comma-separated addresses or networks whose X-Forwarded-For/-Proto are believed
    secure_cookies: bool = False  # Secure cookies even when the request arrives as http (TLS ends at a proxy)
    max_form_bytes: int = MAX_FORM_BYTES  # any other POST body
    max_login_bytes: int = MAX_LOGIN_BYTES  # the sign-in form, the only POST without a session

    @classmethod
    def from_env(cls) -> WebSettings:
        form = os.environ.get(MAX_FORM_ENV)
        return cls(trusted_proxies=os.environ.get(TRUSTED_PROXIES_ENV, "").strip(),
                   secure_cookies=_flag(os.environ.get(SECURE_COOKIES_ENV)),
                   max_form_bytes=int(form) if form and form.isdigit() else MAX_FORM_BYTES)


def settings_of(app: Any) -> WebSettings:
    return getattr(app.state, "settings", None) or WebSettings()


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure when the request came over https (as seen through a trusted proxy) or by setting."""
    return settings_of(request.app).secure_cookies or request.url.scheme == "https"


def upload_limit() -> int:
    from ..documents.limits import Limits

    return Limits.from_env().max_bytes + MULTIPART_OVERHEAD


async def _refuse(send: Any, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close"), *SECURITY_HEADER_BYTES, *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> str:
    return _("送信されたデータが大きすぎます（上限 {limit:,} バイト）").format(limit=limit)


class BodyGuard:
    """Refuse request bodies before reading them: too large, or in the signed-in area without a session."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        settings = settings_of(scope["app"])
        if path in UPLOAD_PATHS:
            limit = upload_limit()
        elif path == LOGIN_PATH:
            limit = settings.max_login_bytes
        else:
            limit = settings.max_form_bytes
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if length and (not length.isdigit() or int(length) > limit):
            await _refuse(send, 413, _too_large(limit))
            return
        if path.startswith(SIGNED_IN_PREFIXES) and not await _signed_in(scope, headers):
            await _refuse(send, 303, _("ログインしてください"), [(b"location", b"/login")])
            return
        received, refused, started = 0, False, False

        async def counted() -> Any:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a body without Content-Length, or longer than it said
                    refused = True
                    if not started:
                        await _refuse(send, 413, _too_large(limit))
                    return {"type": "http.disconnect"}  # the application stops reading; its answer is dropped
            return message

        async def guarded_send(message: Any) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not refused:
                raise


async def _signed_in(scope: Any, headers: dict[bytes, bytes]) -> bool:
    from http.cookies import SimpleCookie

    from starlette.concurrency import run_in_threadpool

    from ..registry import accounts

    cookie = SimpleCookie()
    try:
        cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # a malformed Cookie header: no session
        return False
    token = cookie[COOKIE].value if COOKIE in cookie else None
    if not token:
        return False
    registry = scope["app"].state.site.registry
    return await run_in_threadpool(accounts.session, registry, token) is not None


class RelativeRedirects:
    """Turn an absolute Location on this host (built from the Host header) into a path, so it cannot be steered."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()

        async def relative(message: Any) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message = {**message, "headers": [(k, _relative(v, host) if k == b"location" else v)
                                                  for k, v in message.get("headers", [])]}
            await send(message)

        await self.app(scope, receive, relative)


def _relative(location: bytes, host: str) -> bytes:
    """http://<the request's Host>/admin/?x → /admin/?x; any other location is left as it is."""
    from urllib.parse import urlsplit

    parts = urlsplit(location.decode("latin-1"))
    if parts.scheme in ("http", "https") and parts.netloc.lower() == host:
        path = "/" + parts.path.lstrip("/")  # never //host: that would be another site
        return (path + (f"?{parts.query}" if parts.query else "")).encode("latin-1")
    return location


def add_guards(app: Any, settings: WebSettings) -> None:
    """Install the guards on a FastAPI app: the last added runs first (proxy headers, redirects, body limits)."""
    app.state.settings = settings
    app.add_middleware(BodyGuard)
    app.add_middleware(RelativeRedirects)
    if settings.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
