"""The FastAPI application: public pages, the JSON API and the signed-in area, over one :class:`Registry`.

The shared machinery (the page cache, its ASGI front, rendering) is in :mod:`.core`; the
routers import that, never this module. What `renkei serve` runs is :func:`create_asgi`, from
the outside in: the trusted-proxy headers, the access log (:mod:`.access`), the page cache's
front, then the application, whose outermost layer refuses what cannot be served safely
(:class:`.health.ServiceGuard`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..i18n import N_
from ..registry import Registry
from . import admin, admin_editions, api, approvals, convert, downloads, health, public, reconciliation, users
from .access import AccessLog
from .cache import HeadAsGet
from .core import FONTS, STATIC, CacheFront, Site
from .security import WebSettings, add_guards

__all__ = ["CacheFront", "Site", "create_app", "create_asgi"]
API_DESCRIPTION = N_("特別区全国連携プロジェクトの連携先レジストリ。キーは6桁の全国地方公共団体コードです。"
                     "OpenRefine などで使う照合サービス（Reconciliation Service API）は /reconcile にあります。")


def create_app(url: str | None = None, *, registry: Registry | None = None,
               settings: WebSettings | None = None, static: bool = False) -> FastAPI:
    """The application for the registry at ``url`` (created with the embedded list on first use; a database at
    another schema revision raises :class:`~renkei.registry.database.SchemaMismatch`).

    ``settings`` (trusted proxies, Secure cookies, body limits) default to the environment's.
    ``static=True`` is the variant ``renkei build-site`` requests its files from (no sign-in link, no
    snapshot picker). It is chosen here, in the process, never by anything a request carries.
    """
    reg = registry or Registry.open(url)
    app = FastAPI(title="renkei API", version=health.package_version(), openapi_url="/api/v1/openapi.json",
                  docs_url=None, redoc_url=None,  # /api/docs: public.api_docs
                  description=API_DESCRIPTION)
    app.state.site = Site(reg)
    app.state.static = static
    app.state.downloads = downloads.Downloads(reg)
    app.mount("/static/fonts", StaticFiles(directory=FONTS), name="fonts")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.middleware("http")(admin.session_middleware)
    add_guards(app, settings or WebSettings.from_env())
    app.include_router(health.router)
    app.include_router(public.router)
    app.include_router(downloads.router)
    app.include_router(api.router)
    app.include_router(admin.router)
    app.include_router(users.router)
    app.include_router(reconciliation.router)
    app.include_router(convert.router)
    app.include_router(admin_editions.router)
    app.include_router(approvals.router)
    public.install_error_pages(app)
    approvals.install_conflict_page(app)
    api.install_translated_schema(app)
    app.add_exception_handler(Exception, health.server_error)
    app.add_middleware(HeadAsGet)
    app.add_middleware(health.ServiceGuard)
    return app


def create_asgi(url: str | None = None, *, registry: Registry | None = None,
                settings: WebSettings | None = None) -> Callable[..., Awaitable[None]]:
    """The application behind its cache front and access log: what `renkei serve` runs.

    The trusted-proxy rules apply outside the access log too, so it logs the client they give.
    """
    settings = settings or WebSettings.from_env()
    app = create_app(url, registry=registry, settings=settings)
    front: Callable[..., Awaitable[None]] = AccessLog(CacheFront(app, app.state.site))
    if settings.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        front = ProxyHeadersMiddleware(front, trusted_hosts=settings.trusted_proxies)
    return front
