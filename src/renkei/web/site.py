"""``renkei build-site OUT/``: the whole public site as static files (pages, JSON, CSV, maps, downloads).

The pages are produced by the running application itself, requested in-process, so the
static site and the dynamic one cannot drift apart. What needs a server becomes a file:
the API's resources get ``.json``/``.csv`` names, and search runs in the browser over
``search/index.json`` (kana, variant kanji and small typos; the server's resolver does more).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import cast

from ..publish import FORMATS, MAP_FORMATS, file_name
from ..registry import Registry
from ..registry.projects import partner_codes
from . import urls
from .cache import PageCache
from .paging import Pager
from .params import PAGE

Progress = Callable[[int, int], None]


def site_urls(reg: Registry) -> list[tuple[str, str]]:
    """(URL to request, file to write) for every public resource of the latest snapshot, and every download."""
    d = reg.directory
    snaps = reg.snapshots()
    wards = [e.code for e in d.special_wards]
    listed = {p.code for s in snaps for p in reg.partners(s.id)}
    with_projects = set(partner_codes(reg))
    governments = sorted(listed | with_projects)  # a prefecture (県庁) listed as a partner has its /gov/ page too
    out = [(u, _page(u)) for u in ("/", "/ward/", "/downloads/", "/diff/", "/about/")] + [("/favicon.ico",
                                                                                          "favicon.ico")]
    out += [(urls.prefecture(p.code), _page(urls.prefecture(p.code))) for p in d.prefectures]
    for c in governments:  # a government's page and its JSON one after the other: they share one reading
        out += [(urls.government(c), _page(urls.government(c))),
                (urls.api(f"governments/{c}", "json"), f"api/v1/governments/{c}.json")]
    for c in wards:  # every page of each ward's projects; later pages are folders (/ward/C/p/2/)
        pager = Pager(reg.count_projects(ward=c), PAGE, 0)
        out += [(urls.ward(c, at), _page(urls.ward(c, at, static=True))) for at in pager.offsets() or [0]]
        out.append((urls.ward_map(c), urls.ward_map(c).lstrip("/")))
    out += [("/api/v1/snapshots", "api/v1/snapshots.json"), ("/api/v1/prefectures", "api/v1/prefectures.json"),
            ("/api/v1/prefectures?format=csv", "api/v1/prefectures.csv"), ("/api/v1/wards", "api/v1/wards.json"),
            ("/api/v1/openapi.json", "api/v1/openapi.json")]
    for p in d.prefectures:
        out += [(urls.api(f"prefectures/{p.code}", ext), f"api/v1/prefectures/{p.code}.{ext}")
                for ext in ("json", "csv")]
    out += [(urls.api(f"wards/{c}", "json"), f"api/v1/wards/{c}.json") for c in wards]
    if len(snaps) > 1:
        out.append(("/api/v1/diff", "api/v1/diff.json"))
    for s in snaps:
        out.append((urls.download(s.id, "datapackage.json"), f"downloads/{s.id}/datapackage.json"))
        for fmt in FORMATS:
            if fmt == "datapackage":
                continue
            name = file_name(fmt, s.as_of, s.id, s.edition)
            out.append((urls.download(s.id, name), f"downloads/{s.id}/{name}"))
            if fmt in MAP_FORMATS:
                png = name.removesuffix(".svg") + ".png"
                out.append((urls.download(s.id, png), f"downloads/{s.id}/{png}"))
    out.append((urls.sqlite_download(), "downloads/renkei.sqlite3"))
    return out


def _page(url: str) -> str:
    return url.strip("/") + "/index.html" if url != "/" else "index.html"


def search_index(reg: Registry, pages: set[str]) -> list[dict[str, str]]:
    """Every local government, with the page to open (its own, else its prefecture's)."""
    from ..normalize import fold

    out = []
    for e in reg.directory.entities:
        own = urls.prefecture(e.code) if e.is_prefecture else urls.government(e.code)
        url = own if _page(own) in pages else urls.prefecture(e.pref_code)
        out.append({"code": e.code, "name": e.name, "kana": e.kana, "prefecture": e.prefecture,
                    "folded": fold(e.name), "url": url})
    return out


def build_site(reg: Registry, out: str | Path, progress: Progress | None = None) -> list[Path]:
    """Build the site into a temporary folder next to ``out``, then put it in ``out``'s place.

    ``out`` may be the live web root: it is never half-written. The previous site is kept as
    ``OUT.previous`` (replacing an older one); a build that fails leaves ``out`` exactly as it was.
    """
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        written = _write_site(reg, staging, progress)
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a web server must read the site
        previous = out.with_name(out.name + ".previous")
        replacing = out.exists()
        if replacing:
            if previous.exists():
                shutil.rmtree(previous)
            out.rename(previous)
        try:
            staging.rename(out)
        except BaseException:
            if replacing:
                previous.rename(out)  # the old site back in its place
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / p.relative_to(staging) for p in written]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class BuildView:
    """The public registry as it stands when a build starts, with its repeated reads remembered.

    A build asks the same questions thousands of times — the latest edition for each of 1,700 pages, a local
    government's projects for its page and again for its JSON — and the answers cannot change in between
    (a change made during a build shows in the next one). Everything else goes to the registry itself.
    """

    REMEMBERED = frozenset({"snapshot", "snapshots", "snapshot_id", "partners", "declared", "diff", "show",
                            "ward_partners", "count_projects"})
    RECENT = 64  # answers kept: the few every page asks, and the last pages' own (their JSON follows them)

    def __init__(self, registry: Registry) -> None:
        self._registry = registry.public()  # published editions only: drafts are never written out
        self._answers: OrderedDict[tuple[object, ...], object] = OrderedDict()

    def public(self) -> BuildView:
        return self

    def __getattr__(self, name: str) -> object:
        found = getattr(self._registry, name)
        if name not in self.REMEMBERED:
            return found

        def remembered(*args: object, **kwargs: object) -> object:
            key = (name, args, tuple(sorted(kwargs.items())))
            if key not in self._answers:
                self._answers[key] = found(*args, **kwargs)
                if len(self._answers) > self.RECENT:
                    self._answers.popitem(last=False)
            self._answers.move_to_end(key)
            answer = self._answers[key]
            return list(answer) if isinstance(answer, list) else answer  # a caller may sort or extend its copy

        return remembered


def _write_site(reg: Registry, out: Path, progress: Progress | None) -> list[Path]:
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # starlette's note about httpx
    from fastapi.testclient import TestClient

    from .app import create_app
    from .core import render_text

    view = cast(Registry, BuildView(reg))
    app = create_app(registry=view, static=True)
    app.state.site.cache = PageCache(0)  # every page is asked for once: keeping them would only cost memory
    targets = site_urls(view)
    written = []
    with TestClient(app) as client:  # one event loop for every request, not one each
        for i, (url, target) in enumerate(targets, 1):
            r = client.get(url)
            if r.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {r.status_code}")
            path = out / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(r.content)
            written.append(path)
            if progress:
                progress(i, len(targets))
    pages = {t for _, t in targets}
    index = out / "search" / "index.json"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(json.dumps(search_index(reg, pages), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    from starlette.requests import Request

    request = Request({"type": "http", "app": app, "path": "/search/", "query_string": b"", "headers": [],
                       "state": {}})
    request.state.account, request.state.csrf, request.state.static = None, "", True
    (out / "search" / "index.html").write_text(render_text(request, "web/search_static.html"), encoding="utf-8")
    from .core import FONTS, STATIC

    for source, into in ((STATIC, out / "static"), (FONTS, out / "static" / "fonts")):
        for f in source.rglob("*"):
            if f.is_file():
                copy = into / f.relative_to(source)
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(f.read_bytes())
    return [*written, index, out / "search" / "index.html"]
