"""The JSON API (``/api/v1``): stable 6-digit codes as keys, pagination, filters, CSV alongside JSON.

Every resource answers JSON by default, and CSV with a ``.csv`` suffix or ``?format=csv``
(UTF-8 with BOM, so Japanese Excel opens it). Responses carry an ETag and Cache-Control;
a repeated request with If-None-Match gets 304.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from ..documents.projects import FIELDS
from ..i18n import N_, _, gettext
from ..publish import opendata
from ..registry import RegistryError, visibility
from ..sinks import csv_writer
from . import models
from .core import Site
from .params import MAX_ID, PAGE, PageLimit, PageOffset
from .public import pick_snapshot, search_results

router = APIRouter(prefix="/api/v1", tags=["api"])
CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}, "example": "code,name\r\n040002,宮城県\r\n"}}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": N_("変更なし（If-None-Match が ETag と一致）")}}
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": models.Message, "description": N_("見つかりません：該当するリソースまたは版がありません")},
    422: {"model": models.ValidationProblem,
          "description": N_("入力の誤り：パラメーターがないか、範囲外か、選べる値のどれでもありません")}}
Format = Literal["json", "csv"]
CSV_SUMMARY = N_("同じ内容の CSV（UTF-8、BOM 付き）")
JSON_OR_CSV = N_("JSON、または format=csv で CSV（UTF-8、BOM 付き）")
AS_OF_HELP = N_("この日付の時点の名称として探す（YYYY-MM-DD）")
Snapshot = Query(None, ge=1, le=MAX_ID, description=N_("版の ID（省略時は最新の公表版）"))


def _enum_values() -> tuple[list[str], list[str]]:
    from ..directory import load

    d = load()
    prefs = [v for p in d.prefectures for v in (p.code, p.name)]
    wards = [v for e in d.special_wards for v in (e.code, e.name)]
    return prefs, wards


PREFECTURE_VALUES, WARD_VALUES = _enum_values()
PrefectureFilter = Query(None, description=N_("都道府県：6桁のコードまたは名称"),
                         json_schema_extra={"enum": PREFECTURE_VALUES})
WardFilter = Query(None, description=N_("特別区：6桁のコードまたは名称"),
                   json_schema_extra={"enum": WARD_VALUES})
Limit = Query(100, ge=1, le=1000)
Offset = Query(0, ge=0, le=10_000_000)


def resource(path: str, model: Any, summary: str, *, listing: bool = True) -> Callable[[Callable[..., Response]],
                                                                                        Callable[..., Response]]:
    """Register a GET operation answering ``model`` as JSON, or CSV with ``?format=csv``.

    A ``listing`` (a collection) is also served at ``path.csv`` (its own documented operation)
    and ``path.json``, the file names the static export writes.
    """

    def register(endpoint: Callable[..., Response]) -> Callable[..., Response]:
        responses: dict[int | str, dict[str, Any]] = {200: {"content": CSV_CONTENT, "description": JSON_OR_CSV},
                     **NOT_MODIFIED, **ERRORS}
        name = endpoint.__name__
        router.get(path, response_model=model, responses=responses, summary=summary, description=summary,
                   operation_id=name)(endpoint)
        if listing:
            router.get(path + ".csv", response_class=Response, summary=summary, description=CSV_SUMMARY,
                       operation_id=name + "_csv",
                       responses={200: {"content": CSV_CONTENT, "description": N_("CSV（UTF-8、BOM 付き）")},
                                  **NOT_MODIFIED, **ERRORS})(endpoint)
            router.get(path + ".json", response_model=model, include_in_schema=False)(endpoint)
        return endpoint

    return register


def bad_input(where: str, name: str, value: object, message: str) -> RequestValidationError:
    """A 422 with the same body as FastAPI's own validation errors (``{"detail": [{"loc", "msg", …}]}``)."""
    return RequestValidationError([{"type": "value_error", "loc": (where, name), "msg": message, "input": value}])


def _site(request: Request) -> Site:
    return request.app.state.site


def _split(value: str) -> tuple[str, Format | None]:
    extensions: tuple[Format, ...] = ("json", "csv")
    for ext in extensions:
        if value.endswith("." + ext):
            return value[: -len(ext) - 1], ext
    return value, None


def _respond(request: Request, fmt: Format | None, make: Callable[[], Any],
             rows: Callable[[Any], list[dict[str, Any]]] | None = None) -> Response:
    site = _site(request)
    suffix = request.scope["path"].rsplit("/", 1)[-1].rpartition(".")[2]  # a .csv/.json path wins over ?format=
    want = suffix if suffix in ("json", "csv") else fmt or "json"

    def produce() -> tuple[bytes, str]:
        data = make()
        if want == "csv":
            table = rows(data) if rows else (data if isinstance(data, list) else [data])
            return _csv(table), "text/csv; charset=utf-8"
        return json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json"

    return site.cached(request, produce)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    if rows:
        fields = list(rows[0])
        w = csv_writer(buf, lineterminator="\r\n")  # neutralises formula-like text (renkei.sinks)
        w.writerow(fields)
        for r in rows:
            w.writerow("、".join(map(str, v)) if isinstance(v, list) else v for v in (r.get(k) for k in fields))
    return buf.getvalue().encode("utf-8-sig")


def _pref_code(request: Request, prefecture: str | None) -> str | None:
    if not prefecture:
        return None
    reg = _site(request).registry
    name = reg.resolver.prefecture_name(prefecture)
    pref = reg.directory.prefecture(name) if name else None
    if pref is None:
        raise bad_input("query", "prefecture", prefecture,
                        _("都道府県「{value}」はありません（6桁のコードまたは名称）").format(value=prefecture))
    return pref.code


def _ward_code(request: Request, ward: str | None) -> str | None:
    if not ward:
        return None
    e = _site(request).registry.resolver.resolve_ward(ward)
    if e is None:
        raise bad_input("query", "ward", ward, _("「{value}」は23特別区のどれでもありません").format(value=ward))
    return e.code


def _page(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"total": total, "limit": limit, "offset": offset, "items": items,
            "next_offset": offset + limit if offset + limit < total else None}


@resource("/snapshots", list[models.Snapshot], N_("公表された版（古い順）"))
def snapshots(request: Request, format: Format | None = None) -> Response:
    return _respond(request, format, lambda: [s.public_dict() for s in _site(request).registry.snapshots()])


def _prefectures(request: Request, snapshot: int | None) -> list[dict[str, Any]]:
    reg = _site(request).registry
    snap, _keep = pick_snapshot(reg, snapshot)
    data = opendata.build(reg, snap.id)
    declared = reg.declared(snap.id)
    return [{"code": c, "name": n, "partners": k, "local_governments": t, "coverage_percent": pct,
             "declared": declared.get(c), "in_source": c in declared, "as_of": snap.as_of, "snapshot": snap.id}
            for c, n, k, t, pct in data.coverage]


@resource("/prefectures", list[models.PrefectureSummary], N_("47都道府県：連携自治体の数と割合"))
def prefectures(request: Request, snapshot: int | None = Snapshot, format: Format | None = None) -> Response:
    return _respond(request, format, lambda: _prefectures(request, snapshot))


@resource("/prefectures/{code}", models.PrefectureDetail,
          N_("一つの都道府県：連携自治体をコード順に（末尾に .json・.csv も可）"), listing=False)
def prefecture(request: Request, code: str, snapshot: int | None = Snapshot, format: Format | None = None) -> Response:
    code, fmt = _split(code)
    reg = _site(request).registry
    pref = reg.directory.get(code) if code.isdigit() else reg.directory.prefecture(reg.resolver.prefecture_name(code)
                                                                                    or code)
    if pref is None or not pref.is_prefecture:
        raise HTTPException(404, _("都道府県「{code}」はありません").format(code=code))

    def make() -> dict[str, Any]:
        row = next(p for p in _prefectures(request, snapshot) if p["code"] == pref.code)
        snap, _keep = pick_snapshot(reg, snapshot)
        partners = [{"code": p.code, "name": p.name, "kana": p.kana, "kind": p.kind, "lat": p.lat, "lon": p.lon,
                     "written": p.written, "status": p.status} for p in reg.partners(snap.id, pref.name)]
        return {**row, "partners_list": partners}

    return _respond(request, format or fmt, make, rows=lambda d: d["partners_list"])


@resource("/partners", models.PartnerPage, N_("版の連携自治体（ページ分け）"))
def partners(request: Request, snapshot: int | None = Snapshot, prefecture: str | None = PrefectureFilter,
             limit: int = Limit,
             offset: int = Offset, format: Format | None = None) -> Response:
    reg = _site(request).registry
    pc = _pref_code(request, prefecture)

    def make() -> dict[str, Any]:
        snap, _keep = pick_snapshot(reg, snapshot)
        rows = [p for p in reg.partners(snap.id) if pc is None or p.pref_code == pc]
        items = [{"code": p.code, "name": p.name, "kana": p.kana, "kind": p.kind, "prefecture": p.prefecture,
                  "pref_code": p.pref_code, "lat": p.lat, "lon": p.lon, "written": p.written, "status": p.status,
                  "as_of": snap.as_of} for p in rows[offset:offset + limit]]
        return _page(items, len(rows), limit, offset)

    return _respond(request, format, make, rows=lambda d: d["items"])


@resource("/governments/{code}", models.Government,
          N_("一つの自治体：掲載された版、特別区、連携事業（末尾に .json・.csv も可）"),
          listing=False)
def government(request: Request, code: str, format: Format | None = None) -> Response:
    code, fmt = _split(code)
    reg = _site(request).registry
    if not (code.isdigit() and reg.directory.get(code)):
        raise HTTPException(404, _("自治体「{code}」はありません").format(code=code))

    def make() -> dict[str, Any]:
        try:
            return reg.show(code)
        except RegistryError as exc:
            raise HTTPException(404, str(exc)) from exc

    return _respond(request, format or fmt, make, rows=lambda d: d["snapshots"])


@resource("/wards", list[models.WardSummary], N_("23特別区と連携事業の数"))
def wards(request: Request, format: Format | None = None) -> Response:
    reg = _site(request).registry

    def make() -> list[dict[str, Any]]:
        return [{"code": e.code, "name": e.name, "kana": e.kana, "projects": reg.count_projects(ward=e.code)}
                for e in reg.directory.special_wards]

    return _respond(request, format, make)


@resource("/wards/{code}", models.Ward, N_("一つの特別区：連携先と連携事業（末尾に .json・.csv も可）"),
          listing=False)
def ward(request: Request, code: str, limit: PageLimit = PAGE, offset: PageOffset = 0,
         format: Format | None = None) -> Response:
    code, fmt = _split(code)
    reg = _site(request).registry
    e = reg.directory.get(code) if code.isdigit() else None  # a path: codes only, anything else is 404
    if e is None or e not in reg.directory.special_wards:
        raise HTTPException(404, _("特別区「{code}」はありません").format(code=code))
    ward_code = e.code

    def make() -> dict[str, Any]:
        projects = [visibility.public_project(p.as_dict())
                    for p in reg.projects(ward=ward_code, limit=limit, offset=offset)]
        e = reg.directory[ward_code]
        page = _page(projects, reg.count_projects(ward=ward_code), limit, offset)
        return {"code": e.code, "name": e.name, "kana": e.kana,
                "partners": [{"code": c, "name": reg.directory[c].name} for c in reg.ward_partners(ward_code)],
                "projects": page.pop("items"), **page}

    return _respond(request, format or fmt, make, rows=lambda d: d["partners"])


@resource("/projects", models.ProjectPage, N_("連携事業：特別区・都道府県・分野・年度で絞り込み（ページ分け）"))
def projects(request: Request, ward: str | None = WardFilter, prefecture: str | None = PrefectureFilter,
             field: str | None = Query(None, description=N_("分野"), json_schema_extra={"enum": list(FIELDS)}),
             year: int | None = Query(None, ge=1900, le=2200), limit: int = Limit, offset: int = Offset,
             format: Format | None = None) -> Response:
    reg = _site(request).registry
    wc, pc = _ward_code(request, ward), _pref_code(request, prefecture)
    if field is not None and field not in FIELDS:
        raise bad_input("query", "field", field, _("分野は {fields} のいずれかです").format(fields="、".join(FIELDS)))

    def make() -> dict[str, Any]:
        filters = {"ward": wc, "prefecture": pc, "field": field, "year": year}
        items = [visibility.public_project(p.as_dict()) for p in reg.projects(**filters, limit=limit, offset=offset)]
        return _page(items, reg.count_projects(**filters), limit, offset)

    def rows(d: dict[str, Any]) -> list[dict[str, Any]]:
        return [{**{k: v for k, v in p.items() if k not in ("wards", "partners")},
                 "wards": [w["name"] for w in p["wards"]], "ward_codes": [w["code"] for w in p["wards"]],
                 "partners": [x["name"] for x in p["partners"]],
                 "partner_codes": [x["code"] or "" for x in p["partners"]]} for p in d["items"]]

    return _respond(request, format, make, rows=rows)


@resource("/search", list[models.SearchHit], N_("自治体を名称・かな・異体字・誤記から探す"))
def search(request: Request, q: str = Query(..., min_length=1, max_length=100),
           as_of: date | None = Query(None, description=AS_OF_HELP),
           format: Format | None = None) -> Response:
    iso = as_of.isoformat() if as_of else None
    return _respond(request, format, lambda: search_results(_site(request).registry, q, as_of=iso))


@resource("/diff", models.Diff, N_("二つの版の差分"))
def diff(request: Request, a: int | None = Query(None, ge=1, le=MAX_ID), b: int | None = Query(None, ge=1, le=MAX_ID),
         format: Format | None = None) -> Response:
    from ..reports import diff as render_diff

    reg = _site(request).registry

    def make() -> dict[str, Any]:
        try:
            return reg.diff(a if a is not None else "previous", b if b is not None else "latest").as_dict()
        except RegistryError as exc:
            raise HTTPException(404, str(exc)) from exc

    def rows(d: dict[str, Any]) -> list[dict[str, Any]]:
        return [dict(zip(render_diff.CSV_HEADER, r, strict=True)) for r in render_diff.rows(
            reg.diff(a if a is not None else "previous", b if b is not None else "latest"))]

    return _respond(request, format, make, rows=rows)


def install_translated_schema(app: FastAPI) -> None:
    """The OpenAPI document in the server's language (``RENKEI_LANG`` / ``--lang``; Japanese by default).

    Every summary and description above is a catalogue message (a Japanese msgid marked with ``N_``); the schema
    is built once, at its first request, and each of them is translated then.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if getattr(app.state, "translated_openapi", None) is None:
            app.state.translated_openapi = _translated(build())
            app.openapi_schema = app.state.translated_openapi
        return app.state.translated_openapi

    # FastAPI's documented way to customise the schema is to replace this method on the instance
    app.openapi = openapi  # type: ignore[method-assign]


def _translated(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: gettext(v) if k in ("summary", "description") and isinstance(v, str) and v else _translated(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_translated(v) for v in node]
    return node

