"""The W3C Reconciliation Service API, version 0.2, as OpenRefine speaks it, at ``/reconcile``.

- ``GET /reconcile`` without parameters: the service manifest.
- ``POST /reconcile`` with a form field ``queries`` (what OpenRefine sends) or a JSON body,
  and ``GET /reconcile?queries=…``: a batch of queries → a batch of results. A query may carry
  the properties ``prefecture`` (name or code) and ``as_of`` (a date, ISO or 和暦).
- ``/reconcile/suggest/{entity,property,type}?prefix=…``: auto-complete; entity suggest forgives
  misspellings and reads kana (:mod:`.reconciliation_suggest`), with a flyout at ``/reconcile/flyout?id=…``.
- ``/reconcile/preview?id=…``: a small HTML card, meant for an iframe.
- Data extension (:mod:`.reconciliation_extend`): ``extend=…`` (a POST form field or a GET parameter) and
  the property proposals at ``/reconcile/properties?type=…``.

Candidates come from the resolver; ``match`` is true only for the answer of a resolved name
(exact, normalized, variant, corrected, merged to one successor), so OpenRefine auto-matches
exactly what ``renkei resolve`` would answer, and every other row waits for a person.
The specification requires CORS on every endpoint and allows JSONP: GETs accept
``callback``. Costs are bounded: batch size, query length, candidate limit, body size and a
per-address budget of queries.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ..directory import Entity
from ..i18n import gettext as _
from ..reconcile import resolve_at
from ..resolve import Resolution
from . import reconciliation_extend as extension
from . import urls
from .core import render_text
from .params import MAX_JSON_DEPTH, TooDeep, load_json
from .ratelimit import RateLimiter
from .reconciliation_suggest import suggest as suggest_entities

router = APIRouter(prefix="/reconcile", include_in_schema=False)

TYPES = dict(extension.TYPE_NAMES)  # id → Japanese name
PROPERTIES = {"prefecture": ("都道府県", "名前またはコード（例: 宮城県、04、040002）"),
              "as_of": ("時点", "この日付の時点の名称として照合（例: 2004-04-01、平成16年4月1日）")}
BATCH_SIZE = 50  # announced in the manifest; a larger batch gets 413
MAX_BODY = 512 * 1024
MAX_QUERY = 100  # characters; a longer "name" is not one
DEFAULT_LIMIT, MAX_LIMIT = 5, 10
SUGGEST_PAGE = 10
PREVIEW_SIZE = (360, 150)
limiter = RateLimiter(rate=200.0, burst=2000.0)  # queries per second and burst, per address
CALLBACK = re.compile(r"[A-Za-z_$][\w$.]{0,63}")
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400",
        "Cache-Control": "no-store"}


class BadBatch(ValueError):
    """A malformed batch (400), or too large a one (413); the message is in the reader's language."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def entity_types(e: Entity) -> list[str]:
    if e.is_prefecture:
        return ["prefecture"]
    return ["municipality", "special_ward"] if e.kind == "special_ward" else ["municipality"]


def _type_objects(e: Entity) -> list[dict[str, str]]:
    return [{"id": t, "name": TYPES[t]} for t in entity_types(e)]


def _describe(e: Entity) -> str:
    where = "" if e.is_prefecture else e.prefecture
    return f"{where}{e.name}（{e.kind_label}・{e.code}）"


def manifest(base: str) -> dict[str, Any]:
    """The service manifest (0.2), with absolute URLs on ``base`` (scheme://host, no trailing slash)."""
    from importlib.metadata import version

    suggest: dict[str, dict[str, str]] = {kind: {"service_url": base, "service_path": f"/reconcile/suggest/{kind}"}
                                          for kind in ("entity", "property", "type")}
    suggest["entity"]["flyout_service_path"] = "/reconcile/flyout?id=${id}"
    return {
        "versions": ["0.2"],
        "name": "renkei 全国地方公共団体コード",
        "identifierSpace": "https://www.soumu.go.jp/denshijiti/code.html",
        "schemaSpace": f"{base}/reconcile/schema",
        "documentation": f"{base}{urls.about()}",
        "serviceVersion": version("renkei"),
        "defaultTypes": [{"id": t, "name": n} for t, n in TYPES.items()],
        "view": {"url": f"{base}{urls.government('{{id}}')}"},
        "preview": {"url": f"{base}/reconcile/preview?id={{{{id}}}}", "width": PREVIEW_SIZE[0],
                    "height": PREVIEW_SIZE[1]},
        "suggest": suggest,
        "batchSize": BATCH_SIZE,
        "extend": {"propose_properties": {"service_url": base, "service_path": "/reconcile/properties"},
                   "property_settings": extension.property_settings()},
    }


def parse_batch(raw: object) -> dict[str, dict[str, Any]]:
    """A query batch as sent (JSON text or already decoded) → {id: query}. Raises BadBatch."""
    if isinstance(raw, str | bytes):
        try:
            raw = load_json(raw)
        except TooDeep:
            raise BadBatch(too_deep()) from None
        except ValueError as exc:
            raise BadBatch(_("queries が JSON ではありません（{error}）").format(error=exc)) from exc
    if not isinstance(raw, dict) or not raw:
        raise BadBatch(_("queries は、ID をキーとする照会のオブジェクトにしてください"))
    if len(raw) > BATCH_SIZE:
        raise BadBatch(_("一度に照会できるのは {limit} 件までです（{n} 件）").format(limit=BATCH_SIZE, n=len(raw)), 413)
    for key, query in raw.items():
        if not isinstance(query, dict) or not (isinstance(query.get("query"), str) or query.get("properties")):
            raise BadBatch(_("照会「{key}」に query（文字列）も properties もありません").format(key=key))
    return raw


def _property_values(query: dict[str, Any]) -> dict[str, str]:
    """The properties this service knows, as text: {'prefecture': '宮城県', 'as_of': '2004-04-01'}."""
    out: dict[str, str] = {}
    props = query.get("properties") or []
    for prop in props if isinstance(props, list) else []:
        if not isinstance(prop, dict) or not isinstance(prop.get("pid"), str) or prop["pid"] not in PROPERTIES:
            continue
        value = prop.get("v")
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("id") or value.get("name")
        if isinstance(value, str | int | float) and str(value).strip():
            out[prop["pid"]] = str(value).strip()[:MAX_QUERY]
    return out


def _wanted_types(query: dict[str, Any]) -> set[str]:
    raw = query.get("type")
    types = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return {t for t in types if isinstance(t, str) and t in TYPES}


def answer(query: dict[str, Any], resolver: Any) -> list[dict[str, Any]]:  # Resolver; Any keeps tests light
    """One query → its candidates, best first. ``match`` only for a resolved name's answer."""
    from ..documents.wareki import parse as parse_date

    d = resolver.directory
    written = query.get("query")
    text = written.strip()[:MAX_QUERY] if isinstance(written, str) else ""
    props = _property_values(query)
    wanted = _wanted_types(query)
    limit = query.get("limit")
    if isinstance(limit, int | float) and not isinstance(limit, bool) and math.isfinite(limit) and limit >= 1:
        limit = min(int(limit), MAX_LIMIT)
    else:
        limit = DEFAULT_LIMIT
    notes = []
    as_of = parse_date(props["as_of"]) if "as_of" in props else None
    if "as_of" in props and as_of is None:
        notes.append(_("時点「{date}」を日付として読めないため、現在の名称で照合").format(date=props["as_of"]))
    if not text:
        return []
    by_code = _by_code(d, text)
    if by_code is not None:
        results = [(by_code, 100.0, True, _("コードで一致"))]
    else:
        r: Resolution = resolve_at(resolver, text, props.get("prefecture"), as_of)
        results = _from_resolution(d, r)
    out = []
    for e, score, match, why in results:
        if wanted and not wanted & set(entity_types(e)):
            continue
        description = "；".join(x for x in (_describe(e), why, *notes) if x)
        out.append({"id": e.code, "name": e.name, "description": description, "score": score,
                    "match": match, "type": _type_objects(e),
                    "features": [{"id": "name_score", "value": round(score / 100, 3)}]})
        if len(out) >= limit:
            break
    return out


def _by_code(d: Any, text: str) -> Entity | None:
    """A 6-digit code (or 5 digits without the check digit) given as the query."""
    from ..codes import is_valid, to_code6

    digits = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if len(digits) == 6 and is_valid(digits):
        return d.get(digits)
    if len(digits) == 5 and digits.isdigit():
        return d.get(to_code6(digits))
    return None


def _from_resolution(d: Any, r: Resolution) -> list[tuple[Entity, float, bool, str]]:
    rows: list[tuple[Entity, float, bool, str]] = []
    seen: set[str] = set()
    parts = getattr(r, "parts", None) or ()
    for part in parts:  # several names in one cell: each part's answer, none auto-matched
        if part.code and part.code not in seen:
            seen.add(part.code)
            rows.append((d[part.code], 100.0 * (1.0 if part.resolved else 0.5), False, part.reason))
    if r.code and r.resolved and r.code not in seen:
        seen.add(r.code)
        rows.append((d[r.code], 100.0, True, r.reason))
    for c in r.candidates:
        if c.code not in seen and d.get(c.code) is not None:
            seen.add(c.code)
            rows.append((d[c.code], round(c.score * 100, 1), False, r.reason if not r.code else ""))
    return rows


# ---------------------------------------------------------------------------------------------
# HTTP


def _json(request: Request, payload: object, status_code: int = 200) -> Response:
    """JSON with CORS, or JSONP when a GET names a ``callback``."""
    body = json.dumps(payload, ensure_ascii=False)
    callback = request.query_params.get("callback") if request.method == "GET" else None
    if callback is not None:
        if not CALLBACK.fullmatch(callback):
            return Response(json.dumps({"error": _("callback の名前が不正です")}, ensure_ascii=False), 400,
                            media_type="application/json", headers=CORS)
        return Response(f"/**/{callback}({body});", status_code, media_type="application/javascript",
                        headers=CORS)
    return Response(body, status_code, media_type="application/json", headers=CORS)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _over_budget(request: Request, cost: int) -> Response | None:
    """A 429 with CORS when the caller's address has spent its budget, else None (and ``cost`` is spent)."""
    try:
        limiter.check(request, cost=cost)
    except HTTPException as exc:
        return Response(json.dumps({"error": exc.detail}, ensure_ascii=False), 429, media_type="application/json",
                        headers={**CORS, **(exc.headers or {})})
    return None


def _results(request: Request, raw: object) -> Response:
    try:
        batch = parse_batch(raw)
    except BadBatch as exc:
        return _json(request, {"error": str(exc)}, exc.status)
    refused = _over_budget(request, len(batch))
    if refused is not None:
        return refused
    resolver = request.app.state.site.registry.resolver
    return _json(request, {key: {"result": answer(query, resolver)} for key, query in batch.items()})


@router.get("")
def service(request: Request) -> Response:
    """The manifest; with ``queries``, a batch of results (for debugging in a browser)."""
    queries = request.query_params.get("queries")
    if queries is None and "extend" in request.query_params:
        return _extension(request, request.query_params["extend"])
    if queries is None:
        return _json(request, manifest(_base(request)))
    return _results(request, queries)


def _extension(request: Request, raw: object) -> Response:
    """A data extension query → its response (both checked against the specification's schemas in the tests)."""
    try:
        ids, properties = extension.parse_query(raw)
    except extension.ExtensionError as exc:
        return _json(request, {"error": str(exc)}, exc.status)
    refused = _over_budget(request, max(1, len(ids)))
    if refused is not None:
        return refused
    registry = request.app.state.site.registry
    return _json(request, extension.extend(ids, properties, registry.directory, extension.public_from(registry)))


def too_deep() -> str:
    return _("JSON の入れ子が深すぎます（{depth} 段まで）").format(depth=MAX_JSON_DEPTH)


def too_big() -> str:
    return _("要求が大きすぎます（{kb} KB まで）").format(kb=MAX_BODY // 1024)


@router.post("")
async def reconcile(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        return _json(request, {"error": too_big()}, 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return _json(request, {"error": too_big()}, 413)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            raw: object = load_json(body or b"null")
        except TooDeep:
            return _json(request, {"error": too_deep()}, 400)
        except ValueError:
            return _json(request, {"error": _("JSON として読めません")}, 400)
        if isinstance(raw, dict) and set(raw) == {"extend"}:
            return await run_in_threadpool(_extension, request, raw["extend"])
        if isinstance(raw, dict) and set(raw) == {"queries"}:
            raw = raw["queries"]
    else:
        from urllib.parse import parse_qs

        fields = parse_qs(body.decode("utf-8", "replace"))
        if "extend" in fields and "queries" not in fields:  # what OpenRefine posts to add columns
            return await run_in_threadpool(_extension, request, fields["extend"][0])
        raw = fields.get("queries", [""])[0]
    return await run_in_threadpool(_results, request, raw)


@router.options("")
@router.options("/{rest:path}")
def preflight(rest: str = "") -> Response:
    return Response(status_code=204, headers=CORS)


@router.get("/suggest/entity")
def suggest_entity(request: Request, prefix: str = "", cursor: int = 0) -> Response:
    limiter.check(request, cost=5)  # up to five resolver look-ups (the prefix, and with each kind's suffix)
    cursor = max(0, min(cursor, 100))
    reg = request.app.state.site.registry
    found = suggest_entities(reg.directory, reg.resolver, prefix, cursor + SUGGEST_PAGE)
    exact = _by_code(reg.directory, prefix.strip())
    if exact is not None:  # an identifier given as the prefix comes first (what the specification expects)
        found = [exact, *(e for e in found if e.code != exact.code)]
    items = [{"id": e.code, "name": e.name, "description": _describe(e), "notable": _type_objects(e)}
             for e in found[cursor:cursor + SUGGEST_PAGE]]
    return _json(request, {"result": items})


@router.get("/flyout")
def flyout(request: Request, id: str = "") -> Response:
    """The card OpenRefine shows beside a suggestion: name, prefecture, code and kind (escaped by the template)."""
    reg = request.app.state.site.registry
    found = extension.subject(reg.directory, id.strip()[:extension.MAX_ID])
    if found is None:
        return _json(request, {"error": _("自治体が見つかりません")}, 404)
    html = render_text(request, "web/reconcile_flyout.html", s=found)
    return _json(request, {"id": found.code, "html": html.strip()})


@router.get("/suggest/property")
def suggest_property(request: Request, prefix: str = "", cursor: int = 0) -> Response:
    """The properties to match on (reconciliation) and those to fetch (data extension)."""
    text = prefix.strip().lower()
    matching = [{"id": pid, "name": name, "description": help_text} for pid, (name, help_text) in PROPERTIES.items()]
    known = {item["id"] for item in matching}
    items = [*matching, *(extension.describe(p) for p in extension.PROPERTIES if p.id not in known)]
    items = [item for item in items if not text or text in item["id"] or text in item["name"]]
    return _json(request, {"result": items[max(0, cursor):]})


@router.get("/properties")
def propose_properties(request: Request, type: str = "", limit: str = "") -> Response:
    """Data extension property proposals for a type (the manifest's ``extend.propose_properties``)."""
    return _json(request, extension.proposals(type.strip() or None, limit.strip()[:4]))


@router.get("/suggest/type")
def suggest_type(request: Request, prefix: str = "", cursor: int = 0) -> Response:
    text = prefix.strip().lower()
    items = [{"id": tid, "name": name} for tid, name in TYPES.items() if not text or text in tid or text in name]
    return _json(request, {"result": items[max(0, cursor):]})


@router.get("/preview", response_class=HTMLResponse)
def preview(request: Request, id: str = "") -> Response:
    """The card for OpenRefine's iframe: a current government, or an ended one (merged, renamed) with its dates
    and the government(s) it became, linked: a column reconciled against older data shows its matches too."""
    found = extension.subject(request.app.state.site.registry.directory, id.strip()[:extension.MAX_ID])
    if found is None:
        raise HTTPException(404, _("自治体が見つかりません"))
    types = [TYPES[t] for t in entity_types(found.entity)] if found.entity else []
    html = render_text(request, "web/reconcile_preview.html", s=found, types=types, base=_base(request))
    # meant for an iframe in OpenRefine: framing is allowed here, and only here
    headers = {**CORS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                   "frame-ancestors *; base-uri 'none'; form-action 'none'"}
    return HTMLResponse(html, headers=headers)
