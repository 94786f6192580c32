"""The public page 「名称をコードに変換」: a pasted column or an uploaded table comes back with codes.

Stateless: the table is read from the request, converted and sent back (CSV with BOM, XLSX,
or shown on the page); nothing is written to the database, so no CSRF token is needed. A
download is written to a temporary file (XLSX in XlsxWriter's constant-memory mode), so
memory does not grow with the table, then streamed back and deleted once sent.

Bounded in every direction an outsider controls, cheapest check first:

1. the address's budget, counted in cells read (429 once it is spent; a conversion is charged
   afterwards for the cells it read, so one wide table costs what a hundred narrow ones do);
2. a conversion slot (two at once for the whole server), taken *before the body is read*, so
   excess requests get 503 at once instead of after uploading 20 MB;
3. one deadline from the slot on, for receiving, reading, resolving and writing;
4. the body's bytes, then the file's rows, cells per row and cells in all, counted while
   streaming, before a row is resolved or written.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import IO
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from .. import sinks
from ..documents import DocumentError
from ..documents.limits import Budget, Deadline, Limits, check_xlsx
from ..documents.readers import MAX_BYTES
from ..documents.table import Table, cell_text, describe
from ..i18n import N_
from ..i18n import gettext as _
from ..reconcile import COLUMNS, Row, Summary, added_headers, appended, letter
from ..reports.table import DiscardingWriter, open_planned, open_writer, write_reconciled
from .core import Site, render, render_text
from .ratelimit import RateLimiter, address

router = APIRouter(include_in_schema=False)

MAX_ROWS = 20_000  # a few seconds of resolving even when every name is a different misspelling
MAX_PASTE = 400_000  # characters
MAX_BODY = MAX_BYTES + 2 * MAX_PASTE * 4 + 64 * 1024  # an upload and a paste (UTF-8) and the form's overhead
SHOWN_ROWS = 300  # rows shown on the page; the downloads carry all of them
OUTPUTS = {"html": N_("画面に表示"), "csv": N_("CSV（UTF-8 BOM付き、Excel で開けます）"),  # msgids
           "xlsx": N_("Excel（XLSX、判定ごとに色分け）")}
DOWNLOADS = {"csv": N_("CSV で受け取る"), "xlsx": N_("Excel（XLSX）で受け取る")}  # msgids: under a shown result
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CODE_COLUMNS = (COLUMNS.index("全国地方公共団体コード"), COLUMNS.index("判定コード"))  # never wrapped on the page
# the per-address budget, in cells read: 2 million at once (two of the largest conversions), then 25,000 a second
limiter = RateLimiter(rate=25_000, burst=2_000_000)
busy = threading.BoundedSemaphore(2)  # conversions running at once, whoever asks
RETRY_AFTER = "10"  # seconds, when both slots are taken


class TooLarge(DocumentError):
    pass


@dataclass(slots=True)
class Work:
    """One conversion's bounds and what it has cost so far (the cells charged to the address)."""

    limits: Limits
    deadline: Deadline
    budgets: list[Budget] = field(default_factory=list)

    def budget(self, file: str) -> Budget:
        budget = self.limits.budget(file, self.deadline)
        self.budgets.append(budget)
        return budget

    @property
    def cells(self) -> int:
        return sum(b.cells for b in self.budgets)


def _context(request: Request, **values: str) -> dict[str, object]:
    site: Site = request.app.state.site
    return {"prefectures": [p.name for p in site.registry.directory.prefectures], "outputs": OUTPUTS,
            "downloads": DOWNLOADS, "limits": {"rows": MAX_ROWS, "mb": MAX_BYTES // 1_000_000},
            "error": None, "result": None,
            "values": {"names": "", "prefecture": "", "column": "", "sheet": "", "as_of": "", "output": "html",
                       **values}}


@router.get("/convert/", response_class=HTMLResponse)
def form(request: Request) -> Response:
    site: Site = request.app.state.site
    return site.cached(request, lambda: (render_text(request, "web/convert.html", **_context(request)).encode(),
                                         "text/html; charset=utf-8"))


@router.post("/convert/", response_class=HTMLResponse)
async def convert(request: Request) -> Response:
    limiter.check(request)  # before reading anything: the address has some of its budget left
    limits = Limits.from_env()
    if not busy.acquire(blocking=False):  # before reading the body: no slot, no upload
        raise HTTPException(503, _("混み合っています。しばらくしてから再度お試しください"),
                            headers={"Retry-After": RETRY_AFTER})
    work = Work(limits, limits.conversion_deadline())  # the deadline runs from the slot on
    try:
        return await _receive_and_convert(request, work)
    finally:
        busy.release()
        limiter.charge(address(request), work.cells)


async def _receive_and_convert(request: Request, work: Work) -> Response:
    too_big = _("{mb} MB を超えるファイルは変換できません").format(mb=MAX_BYTES // 1_000_000)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        return _page(request, _values({}), 413, too_big)
    body = bytearray()
    try:
        async with asyncio.timeout(work.deadline.remaining()):  # a slow sender holds a slot no longer than this
            async for chunk in request.stream():  # counted while it arrives: a body without Content-Length too
                body += chunk
                if len(body) > MAX_BODY:
                    return _page(request, _values({}), 413, too_big)
    except TimeoutError:
        return _page(request, _values({}), 408, work.deadline.message())
    request._body = bytes(body)  # what Request.body() would keep; request.form() then parses it from memory
    del body
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_PASTE * 4)
    except Exception as exc:  # starlette raises its own MultiPartException / HTTPException for bad forms
        raise HTTPException(400, _("フォームを読み取れません")) from exc
    values = _values(form)
    file = form.get("file")
    upload = file if isinstance(file, StarletteUpload) and file.filename else None
    uploaded = upload is not None
    if upload is not None:
        data = await upload.read(MAX_BYTES + 1)
        try:
            name = sinks.clean_filename(upload.filename or "upload", 100)
        except sinks.FileNameError:
            name = "upload"
        if len(data) > MAX_BYTES:
            return _page(request, values, 413, f"{name}: {too_big}")
    elif values["names"].strip():
        data, name = values["names"].encode("utf-8"), _("貼り付け") + ".tsv"
    else:
        return _page(request, values, 422, _("名称を貼り付けるか、ファイルを選んでください"))
    await form.close()
    return await run_in_threadpool(_convert, request, values, data, name, uploaded, work)


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


def _count_cells(table: Table, work: Work) -> None:
    """Refuse a table over the cell limit before any row is resolved or written.

    The table's width × height bounds its cells; only a table whose bound passes the limit is
    counted, row by row (the count stops at the limit), so a narrow table costs nothing here.
    """
    if table.width * table.height <= work.limits.max_table_cells:
        return
    for _row in work.budget(table.source).through(table.rows(), table.sheet):
        pass


def _convert(request: Request, values: dict[str, str], data: bytes, name: str, uploaded: bool,
             work: Work) -> Response:
    from ..documents.wareki import parse as parse_date

    site: Site = request.app.state.site
    resolver = site.registry.resolver
    as_of = parse_date(values["as_of"]) if values["as_of"].strip() else None
    if values["as_of"].strip() and as_of is None:
        message = _("時点「{date}」を日付として読めません（例: 2004-04-01、平成16年4月1日）")
        return _page(request, values, 422, message.format(date=values["as_of"]))
    prefecture = resolver.prefecture_name(values["prefecture"]) if values["prefecture"] else None
    fmt = values["output"]
    shown: list[Row] = []
    header: list[Row] = []

    def on_row(row: Row) -> None:
        if row.kind == "header":
            header.append(row)
        elif len(shown) < SHOWN_ROWS:
            shown.append(row)

    # the download outlives this function (sent by FileResponse, then deleted by _discard): no `with`
    target = tempfile.NamedTemporaryFile(prefix="renkei-convert-", suffix=f".{fmt}", delete=False) \
        if fmt in MEDIA else None  # noqa: SIM115
    try:
        work.limits.check_size(len(data), name)
        if data.startswith(b"PK\x03\x04"):
            check_xlsx(io.BytesIO(data), work.limits, name)  # zip bombs and entity declarations, before any parsing
        table, plan = open_planned(name, resolver, data=data, name=name, sheet=values["sheet"] or None,
                                   column=values["column"] or None, check=lambda: work.deadline.check(name))
        if table.height > MAX_ROWS:
            raise TooLarge(_("{rows}行あります。この画面で変換できるのは {limit}行までです"
                             "（それ以上は renkei reconcile をお使いください）").format(
                rows=f"{table.height:,}", limit=f"{MAX_ROWS:,}"), file=name, sheet=table.sheet)
        _count_cells(table, work)
        plan = replace(plan, default_prefecture=prefecture)
        writer = open_writer(fmt, target, table.sheet) if target else DiscardingWriter()
        summary = write_reconciled(table, plan, resolver, writer, as_of=as_of, on_row=on_row,
                                   budget=work.budget(name))
        if target:
            target.close()
    except DocumentError as exc:
        _discard(target)
        return _page(request, values, 413 if isinstance(exc, TooLarge) else 422,
                     describe(exc) if uploaded else str(exc.message))
    except BaseException:
        _discard(target)
        raise
    if target:
        stem = PurePath(name).stem if uploaded else _("名称")
        filename = _("{name}_コード付き").format(name=stem) + f".{fmt}"
        return FileResponse(target.name, media_type=MEDIA[fmt], background=BackgroundTask(_discard, target),
                            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
                                     "Cache-Control": "no-store"})
    return _page(request, values, 200, None, _result(table, plan.describe(), summary, shown, header, uploaded))


def _discard(target: IO[bytes] | None) -> None:
    """Close and delete a download's temporary file (after it was sent, or when the conversion failed)."""
    if target is not None:
        target.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target.name)


def _result(table: Table, plan: str, summary: Summary, shown: list[Row], header: list[Row],
            uploaded: bool) -> dict[str, object]:
    """What the page shows: the input's own header (detected) as the table's header, then the first rows."""
    if header:
        texts = [cell_text(v).strip() for v in header[0].values]
        columns = [texts[i] if i < len(texts) and texts[i] else letter(i) for i in range(table.width)]
        added = added_headers(header[0].values)
    else:
        columns, added = [letter(i) for i in range(table.width)], list(COLUMNS)
    rows = [(row, [*(cell_text(v) for v in row.values), *[""] * (table.width - len(row.values))], appended(row))
            for row in shown]
    return {"columns": columns, "added": added, "code_columns": CODE_COLUMNS, "plan": plan,
            "summary": summary.describe(), "rows": rows, "total": summary.rows,
            "shown": len(shown), "review": summary.to_review, "uploaded": uploaded, "sheet": table.sheet}
