"""Every URL of the site is built here, so pages, the API, the static export and tests agree.

Page URLs end in a slash: the static export writes them as ``…/index.html``. API resources
accept a ``.json`` or ``.csv`` suffix, which the static export uses as file names.
"""

from __future__ import annotations

from urllib.parse import urlencode

from .params import PAGE


def _q(path: str, snapshot: int | None = None, **params: object) -> str:
    query = {k: v for k, v in {"snapshot": snapshot, **params}.items() if v not in (None, "")}
    return path + ("?" + urlencode(query) if query else "")


def top(snapshot: int | None = None) -> str:
    return _q("/", snapshot)


def prefecture(code: str, snapshot: int | None = None) -> str:
    return _q(f"/pref/{code}/", snapshot)


def government(code: str, snapshot: int | None = None) -> str:
    return _q(f"/gov/{code}/", snapshot)


def ward(code: str, offset: int = 0, limit: int = PAGE, *, static: bool = False) -> str:
    """A ward's page of projects from ``offset``. The static export has no query strings: its later pages
    are folders (``/ward/131016/p/2/``), of the default size."""
    if static and offset:
        return f"/ward/{code}/p/{offset // PAGE + 1}/"
    return _q(f"/ward/{code}/", offset=offset or None, limit=None if limit == PAGE else limit)


def ward_map(code: str) -> str:
    return f"/ward/{code}/map.svg"


def search(q: str = "") -> str:
    return _q("/search/", q=q)


def downloads() -> str:
    return "/downloads/"


def download(snapshot_id: int, filename: str) -> str:
    return f"/downloads/{snapshot_id}/{filename}"


def sqlite_download() -> str:
    return "/downloads/renkei.sqlite3"


def diff(a: int | None = None, b: int | None = None) -> str:
    return _q("/diff/", a=a, b=b)


def about() -> str:
    return "/about/"


def convert() -> str:
    return "/convert/"


def api(path: str, fmt: str = "") -> str:
    return f"/api/v1/{path}{'.' + fmt if fmt else ''}"
