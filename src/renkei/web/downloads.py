"""The downloads: every publishing format of each published edition, its datapackage.json, and the SQLite file.

Small files (CSV, JSON, SVG, HTML) are rendered once per change of the registry and kept in the page cache
like any page. Large ones — the public SQLite file, the XLSX and PDF tables, the PNG maps — are built once
per change of the public data into files (:mod:`.filecache`) and sent from disk: at scale they outgrow the
memory cache, and building them per request cost seconds of CPU each and failed when several ran at once.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from ..i18n import _
from ..publish import FILE_NAMES, FORMATS, MAP_FORMATS, file_name, maps, opendata
from ..publish import render as publish_render
from ..registry import Registry
from ..registry.backup import export_sqlite, public_generation
from .core import Site
from .filecache import FileCache
from .params import Id
from .public import pick_snapshot

router = APIRouter(include_in_schema=False)

MEDIA = {"tsv": "text/tab-separated-values; charset=utf-8", "csv": "text/csv; charset=utf-8",
         "html": "text/html; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf", "json": "application/json", "geojson": "application/geo+json",
         "svg": "image/svg+xml", "png": "image/png", "sqlite3": "application/vnd.sqlite3"}
AS_FILES = ("xlsx", "pdf", "png")  # extensions built into files rather than kept in memory


class Downloads:
    """The file cache of one application, and the public data's generation as last read."""

    def __init__(self, registry: Registry) -> None:
        self.files = FileCache.for_database(registry.engine.url.render_as_string(hide_password=True))
        self._key: tuple[int, str] = (-1, "")  # (registry generation, public generation)
        self._lock = threading.Lock()

    def key(self, site: Site) -> str:
        """The public data's generation, read again only when the registry's generation moved."""
        generation = site.generation()
        with self._lock:
            if self._key[0] != generation:
                self._key = (generation, public_generation(site.registry.engine))
            return self._key[1]

    def respond(self, request: Request, name: str, build: Callable[[Path], None], media_type: str,
                disposition: str, max_age: int) -> Response:
        """The file for the current public data (built if needed), or 304 when the browser has it."""
        site: Site = request.app.state.site
        key = self.key(site)
        path = self.files.get(name, key, build)
        headers = {"ETag": '"' + hashlib.sha256(f"{name}/{key}".encode()).hexdigest()[:32] + '"',
                   "Cache-Control": f"public, max-age={max_age}", "Content-Disposition": disposition}
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
        return FileResponse(path, media_type=media_type, headers=headers)


def _site(request: Request) -> Site:
    return request.app.state.site


def _downloads(request: Request) -> Downloads:
    return request.app.state.downloads


@router.get("/downloads/renkei.sqlite3")
def sqlite_file(request: Request) -> Response:
    """The whole public registry as one SQLite file (no accounts, no audit log)."""
    reg = _site(request).registry
    return _downloads(request).respond(request, "renkei.sqlite3", lambda path: _export(reg, path),
                                       MEDIA["sqlite3"], 'attachment; filename="renkei.sqlite3"', max_age=300)


def _export(reg: Registry, path: Path) -> None:
    export_sqlite(reg, str(path), public=True)


@router.get("/downloads/{snapshot_id}/{filename}")
def download(request: Request, snapshot_id: Id, filename: str) -> Response:
    site = _site(request)
    reg = site.registry
    snap, _unused = pick_snapshot(reg, snapshot_id)
    if filename == "datapackage.json":
        return site.cached(request, lambda: (datapackage_for(reg, snap.id), MEDIA["json"]), max_age=3600)
    names = {file_name(f, snap.as_of, snap.id, snap.edition): f for f in FILE_NAMES if f != "datapackage"}
    png = filename.endswith(".png")
    fmt = names.get(filename.removesuffix(".png") + ".svg" if png else filename)
    if fmt is None or (png and fmt not in MAP_FORMATS):
        raise HTTPException(404, _("ファイルが見つかりません"))
    extension = filename.rsplit(".", 1)[-1]

    def make() -> bytes:
        raw = publish_render(reg, fmt, snap.id)
        return maps.svg_to_png(raw.decode("utf-8")) if png else raw

    def build(path: Path) -> None:
        path.write_bytes(make())

    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    if extension in AS_FILES:
        return _downloads(request).respond(request, f"{snap.id}-{filename}", build, MEDIA[extension], disposition,
                                           max_age=3600)
    return site.cached(request, lambda: (make(), MEDIA[extension]), max_age=3600,
                       headers={"Content-Disposition": disposition})


def datapackage_for(reg: Registry, snapshot_id: int) -> bytes:
    """The Frictionless descriptor of a snapshot's downloads, with their sizes and hashes (as `renkei publish`)."""
    from ..publish import ENCODINGS, Sources, resource_name

    snap = reg.snapshot(snapshot_id)
    sources = Sources(reg, snap.id)
    files: dict[str, tuple[str, bytes]] = {}
    for fmt in FORMATS:
        if fmt == "datapackage":
            continue
        raw = publish_render(reg, fmt, snap.id, sources=sources)
        files[resource_name(fmt)] = (file_name(fmt, snap.as_of, snap.id, snap.edition), raw)
    return opendata.datapackage(sources.data, files, ENCODINGS["utf-8"]).encode("utf-8")
