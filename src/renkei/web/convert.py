"""The public page 「名称をコードに変換」: a pasted column or an uploaded table comes back with codes.

Stateless: the table is read from the request, converted in memory and sent back (CSV with
BOM, XLSX, or shown on the page); nothing is written to disk or the database, so no CSRF
token is needed. Bounded: upload bytes, rows, pasted characters, conversions at once, and a
per-address budget of conversions.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePath
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from .. import sinks
from ..documents import DocumentError
from ..documents.limits import Limits, check_xlsx
from ..documents.readers import MAX_BYTES
from ..documents.table import cell_text, describe
from ..i18n import N_
from ..i18n import gettext as _
from ..reconcile import COLUMNS, STATUS_LABELS, Row, appended, letter
from ..reports.table import open_planned, open_writer, write_reconciled
from .core import Site, render, render_text
from .ratelimit import RateLimiter

router = APIRouter(include_in_schema=False)

MAX_ROWS = 20_000  # a few seconds of resolving even when every name is a different misspelling
MAX_PASTE = 400_000  # characters
MAX_BODY = MAX_BYTES + 2 * MAX_PASTE * 4 + 64 * 1024  # an upload and a paste (UTF-8) and the form's overhead
SHOWN_ROWS = 300  # rows shown on the page; the downloads carry all of them
OUTPUTS = {"html": N_("画面に表示"), "csv": N_("CSV（UTF-8 BOM付き、Excel で開けます）"),  # msgids
           "xlsx": N_("Excel（XLSX、判定ごとに色分け）")}
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
limiter = RateLimiter(rate=1 / 20, burst=10)  # conversions per address: 10 at once, then one every 20 s
busy = threading.BoundedSemaphore(2)  # conversions running at once, whoever asks


class TooLarge(DocumentError):
    pass


def _context(request: Request, **values: str) -> dict[str, object]:
    site: Site = request.app.state.site
    return {"prefectures": [p.name for p in site.registry.directory.prefectures], "outputs": OUTPUTS,
            "limits": {"rows": MAX_ROWS, "mb": MAX_BYTES // 1_000_000}, "error": None, "result": None,
            "values": {"names": "", "prefecture": "", "column": "", "sheet": "", "as_of": "", "output": "html",
                       **values}}


@router.get("/convert/", response_class=HTMLResponse)
def form(request: Request) -> Response:
    site: Site = request.app.state.site
    return site.cached(request, lambda: (render_text(request, "web/convert.html", **_context(request)).encode(),
                                         "text/html; charset=utf-8"))


@router.post("/convert/", response_class=HTMLResponse)
async def convert(request: Request) -> Response:
    limiter.check(request)  # before reading anything
    too_big = _("{mb} MB を超えるファイルは変換できません").format(mb=MAX_BYTES // 1_000_000)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        return _page(request, _values({}), 413, too_big)
    body = bytearray()
    async for chunk in request.stream():  # counted while it arrives: a body without Content-Length too
        body += chunk
        if len(body) > MAX_BODY:
            return _page(request, _values({}), 413, too_big)
    request._body = bytes(body)  # what Request.body() would keep; request.form() then parses it from memory
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_PASTE * 4)
    except Exception as exc:  # starlette raises its own MultiPartException / HTTPException for bad forms
        raise HTTPException(400, _("フォームを読み取れません")) from exc
    values = _values(form)
    file = form.get("file")
    uploaded = isinstance(file, StarletteUpload) and bool(file.filename)
    if uploaded:
        data = await file.read(MAX_BYTES + 1)  # type: ignore[union-attr]
        try:
            name = sinks.clean_filename(file.filename or "upload", 100)  # type: ignore[union-attr]
        except sinks.FileNameError:
            name = "upload"
        if len(data) > MAX_BYTES:
            return _page(request, values, 413, f"{name}: {too_big}")
    elif values["names"].strip():
        data, name = values["names"].encode("utf-8"), _("貼り付け") + ".tsv"
    else:
        return _page(request, values, 422, _("名称を貼り付けるか、ファイルを選んでください"))
    if not busy.acquire(blocking=False):
        raise HTTPException(503, _("混み合っています。しばらくしてから再度お試しください"),
                            headers={"Retry-After": "10"})
    try:
        return await run_in_threadpool(_convert, request, values, data, name, uploaded)
    finally:
        busy.release()


def _values(form: Mapping[str, object]) -> dict[str, str]:
    """The form's text fields, bounded, with defaults (what the page shows back)."""
    sizes = {"names": MAX_PASTE, "prefecture": 10, "column": 100, "sheet": 100, "as_of": 30, "output": 10}
    values = {}
    for key, size in sizes.items():
        value = form.get(key)
        values[key] = value[:size] if isinstance(value, str) else ""
    if values["output"] not in OUTPUTS:
        values["output"] = "html"
    return values


def _page(request: Request, values: dict[str, str], status: int, error: str | None = None,
          result: object = None) -> HTMLResponse:
    context = {**_context(request, **values), "error": error, "result": result}
    response = render(request, "web/convert.html", status_code=status, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _convert(request: Request, values: dict[str, str], data: bytes, name: str, uploaded: bool) -> Response:
    from ..documents.wareki import parse as parse_date

    site: Site = request.app.state.site
    resolver = site.registry.resolver
    as_of = parse_date(values["as_of"]) if values["as_of"].strip() else None
    if values["as_of"].strip() and as_of is None:
        message = _("時点「{date}」を日付として読めません（例: 2004-04-01、平成16年4月1日）")
        return _page(request, values, 422, message.format(date=values["as_of"]))
    prefecture = resolver.prefecture_name(values["prefecture"]) if values["prefecture"] else None
    limits = Limits.from_env()
    try:
        limits.check_size(len(data), name)
        if data.startswith(b"PK\x03\x04"):
            check_xlsx(io.BytesIO(data), limits, name)  # zip bombs and entity declarations, before any parsing
        table, plan = open_planned(name, resolver, data=data, name=name, sheet=values["sheet"] or None,
                                   column=values["column"] or None)
        if table.height > MAX_ROWS:
            raise TooLarge(_("{rows}行あります。この画面で変換できるのは {limit}行までです"
                             "（それ以上は renkei reconcile をお使いください）").format(
                rows=f"{table.height:,}", limit=f"{MAX_ROWS:,}"), file=name, sheet=table.sheet)
        plan = replace(plan, default_prefecture=prefecture)
        fmt = values["output"]
        buffer = io.BytesIO()
        shown: list[Row] = []
        writer = open_writer("xlsx" if fmt == "xlsx" else "csv", buffer, table.sheet, in_memory=True)
        budget = limits.budget(name)  # cells per row and parse time, as every upload

        def on_row(row: Row) -> None:
            budget.row(len(row.values), row=row.number, sheet=table.sheet)
            if len(shown) < SHOWN_ROWS:
                shown.append(row)

        summary = write_reconciled(table, plan, resolver, writer, as_of=as_of, on_row=on_row)
    except DocumentError as exc:
        return _page(request, values, 413 if isinstance(exc, TooLarge) else 422,
                     describe(exc) if uploaded else exc.message)
    if fmt in MEDIA:
        stem = PurePath(name).stem if uploaded else _("名称")
        filename = _("{name}_コード付き").format(name=stem) + f".{fmt}"
        return Response(buffer.getvalue(), media_type=MEDIA[fmt], headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}", "Cache-Control": "no-store"})
    rows = [(row, [*(cell_text(v) for v in row.values), *[""] * (table.width - len(row.values))], appended(row))
            for row in shown]
    columns = [letter(i) for i in range(table.width)] + list(COLUMNS)
    result = {"columns": columns, "plan": plan.describe(), "summary": summary.describe(), "rows": rows,
              "labels": STATUS_LABELS, "total": summary.rows, "shown": len(shown), "review": summary.to_review,
              "uploaded": uploaded, "sheet": table.sheet}
    return _page(request, values, 200, None, result)


