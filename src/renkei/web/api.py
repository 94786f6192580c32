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

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from ..documents.projects import FIELDS
from ..publish import opendata
from ..registry import RegistryError
from ..sinks import csv_writer
from .core import Site
from .public import pick_snapshot, search_results

router = APIRouter(prefix="/api/v1", tags=["api"])
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}}, "description": "JSON, or CSV with format=csv"},
    304: {"description": "Not modified (If-None-Match)"}}
ERRORS: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}, 422: {"description": "Bad input"}}
Format = Literal["json", "csv"]
Snapshot = Query(None, ge=1, description="Snapshot id (default: the latest)")


def _enum_values() -> tuple[list[str], list[str]]:
    from ..directory import load

    d = load()
    prefs = [v for p in d.prefectures for v in (p.code, p.name)]
    wards = [v for e in d.special_wards for v in (e.code, e.name)]
    return prefs, wards


PREFECTURE_VALUES, WARD_VALUES = _enum_values()
PrefectureFilter = Query(None, description="A prefecture: its 6-digit code or its name",
                         json_schema_extra={"enum": PREFECTURE_VALUES})
WardFilter = Query(None, description="A special ward: its 6-digit code or its name",
                   json_schema_extra={"enum": WARD_VALUES})
Limit = Query(100, ge=1, le=1000)
Offset = Query(0, ge=0, le=10_000_000)


def _site(request: Request) -> Site:
    return request.app.state.site


def _split(value: str) -> tuple[str, Format | None]:
    for ext in ("json", "csv"):
        if value.endswith("." + ext):
            return value[: -len(ext) - 1], ext  # type: ignore[return-value]
    return value, None


def _respond(request: Request, fmt: Format | None, make: Callable[[], Any],
             rows: Callable[[Any], list[dict[str, Any]]] | None = None) -> Response:
    site = _site(request)
    want = fmt or request.query_params.get("format") or "json"
    if want not in ("json", "csv"):
        raise HTTPException(422, "format must be json or csv")

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
        raise HTTPException(422, f"unknown prefecture {prefecture!r}")
    return pref.code


def _ward_code(request: Request, ward: str | None) -> str | None:
    if not ward:
        return None
    e = _site(request).registry.resolver.resolve_ward(ward)
    if e is None:
        raise HTTPException(422, f"{ward!r} is not one of the 23 special wards")
    return e.code


def _page(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"total": total, "limit": limit, "offset": offset, "items": items,
            "next_offset": offset + limit if offset + limit < total else None}


@router.get("/snapshots", responses={**CSV_RESPONSE, **ERRORS}, summary="Snapshots, oldest first")
def snapshots(request: Request, format: Format | None = None) -> Response:
    return _respond(request, format, lambda: [s.public_dict() for s in _site(request).registry.snapshots()])


def _prefectures(request: Request, snapshot: int | None) -> list[dict[str, Any]]:
    reg = _site(request).registry
    snap, _ = pick_snapshot(reg, snapshot)
    data = opendata.build(reg, snap.id)
    declared = reg.declared(snap.id)
    return [{"code": c, "name": n, "partners": k, "local_governments": t, "coverage_percent": pct,
             "declared": declared.get(c), "in_source": c in declared, "as_of": snap.as_of, "snapshot": snap.id}
            for c, n, k, t, pct in data.coverage]


@router.get("/prefectures", responses={**CSV_RESPONSE, **ERRORS},
            summary="All 47 prefectures with partner counts and coverage")
def prefectures(request: Request, snapshot: int | None = Snapshot, format: Format | None = None) -> Response:
    return _respond(request, format, lambda: _prefectures(request, snapshot))


@router.get("/prefectures/{code}", responses={**CSV_RESPONSE, **ERRORS},
            summary="One prefecture: its partners in code order (suffix .json or .csv allowed)")
def prefecture(request: Request, code: str, snapshot: int | None = Snapshot, format: Format | None = None) -> Response:
    code, fmt = _split(code)
    reg = _site(request).registry
    pref = reg.directory.get(code) if code.isdigit() else reg.directory.prefecture(reg.resolver.prefecture_name(code)
                                                                                    or code)
    if pref is None or not pref.is_prefecture:
        raise HTTPException(404, f"no prefecture {code!r}")

    def make() -> dict[str, Any]:
        row = next(p for p in _prefectures(request, snapshot) if p["code"] == pref.code)
        snap, _ = pick_snapshot(reg, snapshot)
        partners = [{"code": p.code, "name": p.name, "kana": p.kana, "kind": p.kind, "lat": p.lat, "lon": p.lon,
                     "written": p.written, "status": p.status} for p in reg.partners(snap.id, pref.name)]
        return {**row, "partners_list": partners}

    return _respond(request, format or fmt, make, rows=lambda d: d["partners_list"])


@router.get("/partners", responses={**CSV_RESPONSE, **ERRORS}, summary="Partners of a snapshot, paginated")
def partners(request: Request, snapshot: int | None = Snapshot, prefecture: str | None = PrefectureFilter,
             limit: int = Limit,
             offset: int = Offset, format: Format | None = None) -> Response:
    reg = _site(request).registry
    pc = _pref_code(request, prefecture)

    def make() -> dict[str, Any]:
        snap, _ = pick_snapshot(reg, snapshot)
        rows = [p for p in reg.partners(snap.id) if pc is None or p.pref_code == pc]
        items = [{"code": p.code, "name": p.name, "kana": p.kana, "kind": p.kind, "prefecture": p.prefecture,
                  "pref_code": p.pref_code, "lat": p.lat, "lon": p.lon, "written": p.written, "status": p.status,
                  "as_of": snap.as_of} for p in rows[offset:offset + limit]]
        return _page(items, len(rows), limit, offset)

    return _respond(request, format, make, rows=lambda d: d["items"])


@router.get("/governments/{code}", responses={**CSV_RESPONSE, **ERRORS},
            summary="A local government: snapshots that list it, wards and projects")
def government(request: Request, code: str, format: Format | None = None) -> Response:
    code, fmt = _split(code)
    reg = _site(request).registry
    if not (code.isdigit() and reg.directory.get(code)):
        raise HTTPException(404, f"no local government {code!r}")

    def make() -> dict[str, Any]:
        try:
            return reg.show(code)
        except RegistryError as exc:
            raise HTTPException(404, str(exc)) from exc

    return _respond(request, format or fmt, make, rows=lambda d: d["snapshots"])


@router.get("/wards", responses={**CSV_RESPONSE, **ERRORS}, summary="The 23 special wards with their project counts")
def wards(request: Request, format: Format | None = None) -> Response:
    reg = _site(request).registry

    def make() -> list[dict[str, Any]]:
        return [{"code": e.code, "name": e.name, "kana": e.kana, "projects": reg.count_projects(ward=e.code)}
                for e in reg.directory.special_wards]

    return _respond(request, format, make)


@router.get("/wards/{code}", responses={**CSV_RESPONSE, **ERRORS}, summary="A ward, its partners and projects")
def ward(request: Request, code: str, format: Format | None = None) -> Response:
    code, fmt = _split(code)
    reg = _site(request).registry
    e = reg.directory.get(code) if code.isdigit() else None  # a path: codes only, anything else is 404
    if e is None or e not in reg.directory.special_wards:
        raise HTTPException(404, f"no special ward {code!r}")
    ward_code = e.code

    def make() -> dict[str, Any]:
        projects = [p.as_dict() for p in reg.projects(ward=ward_code, limit=10000)]
        e = reg.directory[ward_code]
        return {"code": e.code, "name": e.name, "kana": e.kana,
                "partners": [{"code": c, "name": reg.directory[c].name} for c in reg.ward_partners(ward_code)],
                "projects": projects}

    return _respond(request, format or fmt, make, rows=lambda d: d["partners"])


@router.get("/projects", responses={**CSV_RESPONSE, **ERRORS},
            summary="Projects, filtered by ward, prefecture, 分野 and fiscal year; paginated")
def projects(request: Request, ward: str | None = WardFilter, prefecture: str | None = PrefectureFilter,
             field: str | None = Query(None, description="分野", json_schema_extra={"enum": list(FIELDS)}),
             year: int | None = Query(None, ge=1900, le=2200), limit: int = Limit, offset: int = Offset,
             format: Format | None = None) -> Response:
    reg = _site(request).registry
    wc, pc = _ward_code(request, ward), _pref_code(request, prefecture)
    if field is not None and field not in FIELDS:
        raise HTTPException(422, f"field must be one of {'、'.join(FIELDS)}")

    def make() -> dict[str, Any]:
        filters = {"ward": wc, "prefecture": pc, "field": field, "year": year}
        items = [p.as_dict() for p in reg.projects(**filters, limit=limit, offset=offset)]
        return _page(items, reg.count_projects(**filters), limit, offset)

    def rows(d: dict[str, Any]) -> list[dict[str, Any]]:
        return [{**{k: v for k, v in p.items() if k not in ("wards", "partners")},
                 "wards": [w["name"] for w in p["wards"]], "ward_codes": [w["code"] for w in p["wards"]],
                 "partners": [x["name"] for x in p["partners"]],
                 "partner_codes": [x["code"] or "" for x in p["partners"]]} for p in d["items"]]

    return _respond(request, format, make, rows=rows)


@router.get("/search", responses={**CSV_RESPONSE, **ERRORS},
            summary="Find local governments by name, kana, variant kanji or typo")
def search(request: Request, q: str = Query(..., min_length=1, max_length=100),
           as_of: date | None = Query(None, description="Resolve the name as it stood on this date (YYYY-MM-DD)"),
           format: Format | None = None) -> Response:
    iso = as_of.isoformat() if as_of else None
    return _respond(request, format, lambda: search_results(_site(request).registry, q, as_of=iso))


@router.get("/diff", responses={**CSV_RESPONSE, **ERRORS}, summary="What changed between two snapshots")
def diff(request: Request, a: int | None = Query(None, ge=1), b: int | None = Query(None, ge=1),
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
