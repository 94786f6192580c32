"""Public pages (Japanese, server-rendered): top, prefecture, local government, ward, search, downloads, diff, about."""

from __future__ import annotations

import functools
from collections import defaultdict

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..directory import Entity
from ..i18n import N_, _
from ..publish import FORMATS, file_name, maps, official, opendata
from ..publish import render as publish_render
from ..registry import Registry, RegistryError, SnapshotInfo
from . import urls
from .core import STATIC, Site, render_text
from .paging import Pager
from .params import PAGE, OptionalId, PageLimit, PageOffset
from .reconciliation_extend import MAX_ID, subject

router = APIRouter(include_in_schema=False)


def _site(request: Request) -> Site:
    return request.app.state.site


def pick_snapshot(reg: Registry, snapshot: int | None) -> tuple[SnapshotInfo, int | None]:
    """The requested snapshot (404 if unknown) and the value to keep in links (None for the latest)."""
    try:  # a public view: published editions only, so a draft's id is 404 like an unknown one
        snap = reg.snapshot(snapshot)
        latest = reg.snapshot()
    except RegistryError as exc:  # the registry's message speaks of snapshots and commands: not for the public
        raise HTTPException(404, _("この版は公開されていません（番号が違うか、まだ公表されていません）")) from exc
    return snap, (None if snap.id == latest.id else snap.id)


def _html(request: Request, template: str, **context: object) -> tuple[bytes, str]:
    return render_text(request, template, **context).encode("utf-8"), "text/html; charset=utf-8"


@router.get("/", response_class=HTMLResponse)
def top(request: Request, snapshot: OptionalId = None) -> Response:
    site = _site(request)
    reg = site.registry

    def make() -> tuple[bytes, str]:
        if snapshot is None and not reg.snapshots():  # a new registry (db upgrade --no-seed): nothing public yet
            return _html(request, "web/top_empty.html")
        snap, keep = pick_snapshot(reg, snapshot)
        data = opendata.build(reg, snap.id)
        svg = maps.prefecture_links(maps.prefecture_map(data, "count"), lambda c: urls.prefecture(c, keep))
        snaps = reg.snapshots()
        earlier = [s for s in snaps if (s.as_of or "", s.id) < (snap.as_of or "", snap.id)]
        change = reg.diff(earlier[-1].id, snap.id) if earlier else None
        return _html(request, "web/top.html", snap=snap, keep=keep, snaps=snaps, data=data, map_svg=svg,
                     change=change, prefectures=[c for c in data.coverage if c[2]])

    return site.cached(request, make)


@router.get("/pref/{code}/", response_class=HTMLResponse)
def prefecture(request: Request, code: str, snapshot: OptionalId = None) -> Response:
    site = _site(request)
    reg = site.registry
    pref = reg.directory.get(code)
    if pref is None or not pref.is_prefecture:
        raise HTTPException(404, _("都道府県が見つかりません"))

    def make() -> tuple[bytes, str]:
        snap, keep = pick_snapshot(reg, snapshot)
        partners = reg.partners(snap.id, pref.name)
        total = len(reg.directory.local_governments(pref.name))
        table = official.build(reg, snap.id)
        block = next((b for b in table.blocks if b.pref_code == code), None)
        listed = {p.code for p in partners}
        by_projects = project_partners(reg, code)
        svg = maps.region_map(code, listed | set(by_projects), href=lambda c: urls.government(c, keep))
        declared = reg.declared(snap.id)
        return _html(request, "web/prefecture.html", snap=snap, keep=keep, pref=pref, partners=partners,
                     total=total, notes=block.notes if block else [], map_svg=svg, declared=declared.get(code),
                     in_source=code in declared, by_projects=by_projects,
                     projects_only=[reg.directory[c] for c in sorted(set(by_projects) - listed)])

    return site.cached(request, make)


def project_partners(reg: Registry, pref_code: str) -> dict[str, list[str]]:
    """The governments of a prefecture that are partners of approved projects: code → the wards' names.

    The prefecture page lists them beside the published list, so that it agrees with each government's page.
    """
    found: dict[str, set[str]] = defaultdict(set)
    for p in reg.projects(prefecture=pref_code, limit=100_000):
        for partner, _name, partner_pref in p.partners:
            if partner and partner_pref == pref_code:
                found[partner].update(name for _code, name in p.wards)
    return {c: sorted(found[c]) for c in sorted(found)}


@router.get("/gov/{code}/", response_class=HTMLResponse)
def government(request: Request, code: str, snapshot: OptionalId = None) -> Response:
    site = _site(request)
    reg = site.registry
    e = reg.directory.get(code)
    if e is None:
        return _ended_government(request, code, snapshot)

    def make() -> tuple[bytes, str]:
        snap, keep = pick_snapshot(reg, snapshot)
        found = reg.show(code)
        by_year: dict[object, list] = defaultdict(list)
        for p in found["projects"]:
            by_year[p["fiscal_year"] or _("年度不明")].append(p)
        years = sorted(by_year, key=lambda y: (isinstance(y, str), y), reverse=True)
        svg = maps.region_map(e.pref_code, {code} if not e.is_prefecture else set(),
                              href=lambda c: urls.government(c, keep)) if not e.is_prefecture else ""
        listed = any(s["snapshot"] == snap.id for s in found["snapshots"])
        formerly = sorted((h for h in reg.directory.history if code in h.successors), key=lambda h: h.valid_to,
                          reverse=True)
        labels = {s.id: s.label for s in reg.snapshots()}  # editions by label (第N版), never by id
        return _html(request, "web/government.html", snap=snap, keep=keep, e=e, found=found, by_year=by_year,
                     years=years, map_svg=svg, listed=listed, formerly=formerly, labels=labels)

    return site.cached(request, make)


def _ended_government(request: Request, code: str, snapshot: int | None) -> Response:
    """The page of a code that ended (merged, renamed, wards reorganised): a 200 page that says so, with its
    dates and the change, linking every government it became. Not a redirect: a code can end in several
    successors (上九一色村 → 甲府市・富士河口湖町), and a link or a reconciled column keeps its own name."""
    site = _site(request)
    reg = site.registry
    ended = subject(reg.directory, code[:MAX_ID])
    if ended is None:
        raise HTTPException(404, _("自治体が見つかりません"))
    change = max(reg.directory.historical_by_code(ended.code), key=lambda h: h.valid_to)

    def make() -> tuple[bytes, str]:
        _snap, keep = pick_snapshot(reg, snapshot)
        return _html(request, "web/government_ended.html", s=ended, change=change, keep=keep)

    return site.cached(request, make)


@router.get("/ward/{code}/", response_class=HTMLResponse)
def ward(request: Request, code: str, offset: PageOffset = 0, limit: PageLimit = PAGE) -> Response:
    site = _site(request)
    reg = site.registry
    e = _special_ward(reg, code)
    static = getattr(request.state, "static", False)

    def make() -> tuple[bytes, str]:
        pager = Pager(reg.count_projects(ward=code), limit, offset)
        projects = reg.projects(ward=code, limit=limit, offset=offset)
        partners = [reg.directory[c] for c in reg.ward_partners(code)]
        snap, _keep = pick_snapshot(reg, None)  # where each partnership comes from: the edition, and/or projects
        listed = {p.code for p in reg.partners(snap.id)} if offset == 0 else set()  # partners: on the first page
        return _html(request, "web/ward.html", e=e, projects=projects, pager=pager, partners=partners, snap=snap,
                     in_list=[p for p in partners if p.code in listed],
                     projects_only=[p for p in partners if p.code not in listed],
                     page_url=lambda at: urls.ward(code, at, limit, static=static))

    return site.cached(request, make)


@router.get("/ward/{code}/map.svg")
def ward_map(request: Request, code: str) -> Response:
    """A ward's map of lines to its partners: one file for every page of the ward (it weighs hundreds of KB at
    scale, so it is not inlined in each page)."""
    site = _site(request)
    e = _special_ward(site.registry, code)

    def make() -> tuple[bytes, str]:
        from ..publish import ward_svg

        return ward_svg(site.registry, e).encode("utf-8"), "image/svg+xml"

    return site.cached(request, make)


def _special_ward(reg: Registry, code: str) -> Entity:
    e = reg.directory.get(code)
    if e is None or e not in reg.directory.special_wards:
        raise HTTPException(404, _("特別区が見つかりません"))
    return e


@router.get("/ward/", response_class=HTMLResponse)
def wards(request: Request) -> Response:
    site = _site(request)

    def make() -> tuple[bytes, str]:
        d = site.registry.directory
        return _html(request, "web/wards.html", wards=d.special_wards)

    return site.cached(request, make)


def search_results(reg: Registry, q: str, limit: int = 10, as_of: str | None = None) -> list[dict[str, object]]:
    """Matches for a query through the resolver: kana, variant kanji and typos all find their government.

    ``as_of`` (ISO date): the query is a name as it stood on that date (old names lead to their successors).
    """
    from ..normalize import clean, fold, is_kana, to_katakana

    q = clean(q)
    if not q:
        return []
    d = reg.directory
    out: dict[str, dict[str, object]] = {}

    def add(code: str, how: str, score: float) -> None:
        if code not in out and d.get(code) is not None:
            e = d[code]
            out[code] = {"code": code, "name": e.name, "kana": e.kana, "prefecture": e.prefecture,
                         "kind": e.kind_label, "how": how, "score": round(score, 3),
                         "url": urls.prefecture(code) if e.is_prefecture else urls.government(code)}

    pref = reg.resolver.prefecture_name(q)
    prefecture = d.prefecture(pref) if pref else None
    if prefecture:
        add(prefecture.code, _("都道府県"), 1.0)
    r = reg.resolver.resolve_cached(q, as_of=as_of)
    if r.code:
        add(r.code, r.reason or _("一致"), 1.0)
    for part in r.parts:  # several names in the query (城島町・三潴町): each one's answer
        if part.code:
            add(part.code, part.reason or _("一致"), 1.0)
    for c in r.candidates:
        add(c.code, _("候補"), c.score)
    if len(out) < limit:
        kana = to_katakana(q) if is_kana(q) else None
        for e in d.entities:
            if len(out) >= limit:
                break
            if e.name.startswith(q) or (kana and e.kana.startswith(kana)):
                add(e.code, _("前方一致"), 0.5)
    if len(out) < limit and len(q) >= 2:
        for c in reg.resolver.rank(fold(q), None, limit=limit):
            add(c.code, _("候補"), c.score)
    return list(out.values())[:limit]


@router.get("/search/", response_class=HTMLResponse)
def search(request: Request, q: str = Query("", max_length=100)) -> Response:
    site = _site(request)

    def make() -> tuple[bytes, str]:
        results = search_results(site.registry, q) if q.strip() else []
        resolution = site.registry.resolver.resolve_cached(q) if q.strip() else None
        return _html(request, "web/search.html", q=q, results=results, resolution=resolution)

    return site.cached(request, make)


@router.get("/search/suggest", response_class=HTMLResponse)
def suggest(request: Request, q: str = Query("", max_length=100)) -> Response:
    site = _site(request)

    def make() -> tuple[bytes, str]:
        results = search_results(site.registry, q, limit=8) if q.strip() else []
        return _html(request, "web/suggest.html", results=results)

    return site.cached(request, make, max_age=300)


@router.get("/downloads/", response_class=HTMLResponse)
def downloads(request: Request) -> Response:
    site = _site(request)

    def make() -> tuple[bytes, str]:
        snaps = site.registry.snapshots()
        groups = {s.id: download_groups(site.registry, s) for s in snaps}
        history = site.registry.snapshots(states=("published", "withdrawn"))
        replaced_by = {s.id: next(r for r in history if r.id == s.superseded_by) for s in history if s.superseded_by}
        return _html(request, "web/downloads.html", snaps=list(reversed(snaps)), groups=groups,
                     history=list(reversed(history)), replaced_by=replaced_by)

    return site.cached(request, make)


# the downloads page: three groups, one line each (gettext when shown)
DOWNLOAD_GROUPS = (
    (N_("公表一覧の再現"), ("xlsx", "pdf", "html", "csv", "tsv")),
    (N_("オープンデータ"), ("opendata", "json", "geojson", "coverage", "entries", "datapackage")),
    (N_("地図"), ("map-prefectures", "map-prefectures-png", "map-coverage", "map-coverage-png",
                  "map-municipalities", "map-municipalities-png")),
)
DOWNLOAD_LINES = {
    "xlsx": N_("公表一覧と同じ表（Excel）"), "pdf": N_("公表一覧と同じ表（印刷用）"),
    "html": N_("公表一覧と同じ表（ウェブページ）"), "csv": N_("公表一覧と同じ表（CSV、Excel でそのまま開けます）"),
    "tsv": N_("公表一覧と同じ表（タブ区切り）"), "opendata": N_("連携自治体の一覧：コード・名称・都道府県（CSV）"),
    "json": N_("連携自治体の一覧（JSON）"), "geojson": N_("連携自治体の位置（GeoJSON、地図ソフト用）"),
    "coverage": N_("都道府県別の連携自治体数と割合（CSV）"), "entries": N_("原資料の表記と判定の一覧（CSV）"),
    "datapackage": N_("ファイルの説明（Frictionless Data Package）"),
    "map-prefectures": N_("都道府県別の連携自治体数の地図（SVG）"),
    "map-coverage": N_("都道府県別の割合の地図（SVG）"), "map-municipalities": N_("連携自治体の地図（市区町村、SVG）"),
    "png": N_("同じ地図の画像（PNG）"),
}


def download_groups(reg: Registry, snap: SnapshotInfo) -> list[tuple[str, list[tuple[str, str, int | None]]]]:
    """(group, [(file name, one line, size or None)]) for one edition's downloads page."""
    sizes = _edition_sizes(reg, snap)
    out = []
    for group, formats in DOWNLOAD_GROUPS:
        rows = []
        for fmt in formats:
            base = fmt.removesuffix("-png")
            name = "datapackage.json" if fmt == "datapackage" else file_name(base, snap.as_of, snap.id, snap.edition)
            if fmt.endswith("-png"):
                name = name.removesuffix(".svg") + ".png"
            line = _(DOWNLOAD_LINES["png" if fmt.endswith("-png") else fmt])
            rows.append((name, line, sizes.get(fmt)))
        out.append((_(group), rows))
    return out


_SIZES: dict[tuple[str, int, str, str | None], dict[str, int]] = {}


def _edition_sizes(reg: Registry, snap: SnapshotInfo) -> dict[str, int]:
    """Each download's size in bytes (not the PNG images, which are slow to draw). A published edition never
    changes, so its sizes are kept for the life of the process (keyed by database, id, hash and publication)."""
    from ..publish import Sources

    key = (str(reg.engine.url), snap.id, snap.sha256, snap.published_at)
    if key not in _SIZES:
        if len(_SIZES) >= 256:  # bounded: a long-running server sees few editions, tests many databases
            _SIZES.clear()
        sources = Sources(reg, snap.id)
        _SIZES[key] = {f: len(publish_render(reg, f, snap.id, sources=sources)) for f in FORMATS
                       if f != "datapackage"}
    return _SIZES[key]


@router.get("/diff/", response_class=HTMLResponse)
def diff(request: Request, a: OptionalId = None, b: OptionalId = None) -> Response:
    site = _site(request)
    reg = site.registry

    def make() -> tuple[bytes, str]:
        snaps = reg.snapshots()
        result, error = None, None
        if len(snaps) >= 2 or (a and b):
            try:
                result = reg.diff(a if a is not None else "previous", b if b is not None else "latest")
            except RegistryError:
                error = _("この版は公開されていません（番号が違うか、まだ公表されていません）")
        else:
            error = _("公表された版が1つしかないため、比較できません")
        return _html(request, "web/diff.html", snaps=snaps, d=result, error=error, a=a, b=b)

    return site.cached(request, make)


@router.get("/about/", response_class=HTMLResponse)
def about(request: Request) -> Response:
    site = _site(request)
    contact = contact_setting()
    service = str(request.base_url).rstrip("/") + "/reconcile"  # as this server is reached (behind a proxy too)
    return site.cached(request, lambda: _html(request, "web/about.html", directory_as_of=site.registry.directory.as_of,
                                              contact=contact, reconcile_url=service))


CONTACT_ENV = "RENKEI_CONTACT"


def contact_setting() -> dict[str, str] | None:
    """The 問い合わせ先 shown on /about/ (env ``RENKEI_CONTACT``): an e-mail address, a web address or a line of text.

    Returns the text and, for an address, the link (``mailto:`` or http(s) only: nothing else becomes a link).
    """
    import os

    text = " ".join(os.environ.get(CONTACT_ENV, "").split())[:300]
    if not text:
        return None
    if text.startswith(("https://", "http://")) and " " not in text:
        return {"text": text, "href": text}
    if "@" in text and " " not in text and "/" not in text and ":" not in text:
        return {"text": text, "href": "mailto:" + text}
    return {"text": text, "href": ""}


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """Swagger UI, vendored from npm and served from /static: it works offline and under the site's CSP."""
    site = _site(request)
    return site.cached(request, lambda: _html(request, "web/api_docs.html", openapi_url=request.app.openapi_url),
                       max_age=300)


@functools.cache
def _favicon_png() -> bytes:
    return maps.svg_to_png((STATIC / "favicon.svg").read_text(encoding="utf-8"), width=32)


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers and feed readers ask for /favicon.ico whatever the page says: the site's icon as PNG."""
    return Response(_favicon_png(), media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


def install_error_pages(app: FastAPI) -> None:
    from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        """The API answers FastAPI's JSON body; a page says in Japanese which value was refused."""
        if request.url.path.startswith("/api/"):
            from .validation import translated_errors

            return await request_validation_exception_handler(
                request, RequestValidationError(translated_errors(list(exc.errors())), body=exc.body))
        names = "、".join(dict.fromkeys(str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()))
        text = render_text(request, "web/error.html", status=422, message=_("入力値が正しくありません"),
                           detail=_("範囲外または不正な値です（{names}）").format(names=names))
        return HTMLResponse(text, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def pages(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or exc.status_code in (304,):
            return await http_exception_handler(request, exc)
        if exc.status_code in (302, 303) and exc.headers:
            return Response(status_code=exc.status_code, headers=exc.headers)
        if exc.status_code == 405:  # a GET of an address that only takes a form's POST (a reload, a bookmark)
            back = request.url.path.rstrip("/").rsplit("/", 1)[0] or "/"
            text = render_text(request, "web/error.html", status=405,
                               message=_("このアドレスはフォームの送信専用です"),
                               detail=_("ページを読み込み直したか、ブックマークから開いたようです。"
                                        "何も変更していません。元のページから操作してください。"), back=back)
            return HTMLResponse(text, status_code=405, headers=exc.headers)
        messages = {403: _("この操作は許可されていません"), 404: _("ページが見つかりません"),
                    429: _("しばらくしてから再度お試しください")}
        text = render_text(request, "web/error.html", status=exc.status_code,
                           message=messages.get(exc.status_code, _("エラーが発生しました")),
                           detail=str(exc.detail or ""))
        return HTMLResponse(text, status_code=exc.status_code, headers=exc.headers)
