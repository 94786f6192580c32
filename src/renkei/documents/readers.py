"""One reader per format, each turning a file into rows of Cells for :mod:`.layout`.

Format and encoding are sniffed from the bytes (not trusted from the extension),
with an option to force either. Every failure is a DocumentError naming the file
and, where it applies, the sheet, page, row and cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ..i18n import _
from .layout import grid_rows, parse_rows
from .limits import Budget, Limits, check_xlsx
from .model import Cell, DocumentError, PublishedList, low_level

if TYPE_CHECKING:
    from openpyxl import Workbook

Row = TypeVar("Row", bound=Sequence[object])

MAX_BYTES = Limits().max_bytes  # the real lists are a few hundred KB; a bigger file is not one of them
FORMATS = ("tsv", "csv", "txt", "xlsx", "xls", "pdf")


def sniff_format(data: bytes, name: str) -> str:
    """The format from magic bytes; the extension only separates TSV, CSV and text."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"  # OLE2: an .xls, or an encrypted .xlsx (reported as such when opened)
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in ("tsv", "csv", "txt"):
        return suffix
    return "txt"


def decode(data: bytes, file: str, encoding: str | None = None) -> tuple[str, str]:
    """Bytes → (text, encoding). UTF-8 (with or without BOM) first, then CP932; mixed is an error."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise DocumentError(_("{encoding} として読めません").format(encoding=encoding), file=file,
                                row=_line_of(data, exc), detail=low_level(exc)) from exc
    head = data[:4096]
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    if b"\x00" in head or controls > len(head) * 0.05:
        raise DocumentError(_("バイナリファイルです。テキスト・表計算（XLSX/XLS）・PDF の一覧ではありません"),
                            file=file)
    try:
        return data.decode("utf-8-sig"), ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as utf8_error:
        line = _line_of(data, utf8_error)
        # UTF-8 text before the first bad byte means the file mixes encodings
        mixed = bool(line and line > 1 and any(b >= 0x80 for b in data[: utf8_error.start]))
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError as exc:
            what = _("文字コードが混在しています（この行より前は UTF-8、ここは別の文字コード）") if mixed else \
                _("文字コードが分かりません（UTF-8 でも CP932/Shift_JIS でもありません）")
            raise DocumentError(_("{what}。--encoding で文字コードを指定してください").format(what=what), file=file,
                                row=line) from exc
        if mixed:
            raise DocumentError(_("文字コードが混在しています（この行より前は UTF-8、ここは CP932）。"
                                  "一つの文字コードで保存し直してください"), file=file, row=line) from None
        return text, "cp932"


def _line_of(data: bytes, exc: BaseException) -> int | None:
    start = getattr(exc, "start", None)
    return data[:start].count(b"\n") + 1 if isinstance(start, int) else None


def filled_width(values: Sequence[object]) -> int:
    """The column of the last filled cell (0 for an empty row): what a row costs, whatever its padding."""
    for i in range(len(values), 0, -1):
        v = values[i - 1]
        if v is not None and (not isinstance(v, str) or v.strip()):
            return i
    return 0


def budgeted(rows: Iterable[Row], budget: Budget, *, sheet: str | None = None,
             page: int | None = None, first: int = 1) -> Iterator[Row]:
    """Pass rows through, counting each against the budget (rows, cells per row, time)."""
    for r, values in enumerate(rows, first):
        budget.row(filled_width(values), row=r, sheet=sheet, page=page)
        yield values


def text_rows(text: str, fmt: str, file: str, budget: Budget | None = None) -> list[list[Cell]]:
    budget = budget or Limits.from_env().budget(file)
    sample = text[:4096]
    delimiter = "\t" if fmt == "tsv" or "\t" in sample else ","
    # splitlines() accepts LF, CRLF and a lone CR alike; csv then sees one record per line
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    try:
        return grid_rows(budgeted(reader, budget))
    except csv.Error as exc:
        raise DocumentError(_("{format} の形式が崩れています").format(format=fmt.upper()), file=file,
                            row=reader.line_num, detail=str(exc)) from exc


def _sheet_size(ws: Any) -> None:  # Any: the private attributes of openpyxl's ReadOnlyWorksheet
    """openpyxl's ReadOnlyWorksheet._get_size, bounded: stop at the *start* of sheetData.

    openpyxl waits for sheetData's end event when a sheet has no <dimension>, so opening a
    workbook parsed every row of every sheet before any limit could apply (55 s for a 1M-row
    file). Same result, without reading the rows.
    """
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    with ws._get_source() as src:
        for _event, element in iterparse(src, events=("start",)):
            if element.tag == DIMENSION_TAG:
                dimension = SheetDimension.from_tree(element)
                if dimension is not None:
                    ws._min_column, ws._min_row, ws._max_column, ws._max_row = dimension.boundaries
                return
            if element.tag == DATA_TAG:
                return


def _bound_openpyxl() -> None:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    # a private method, replaced on purpose (see _sheet_size), which openpyxl's stubs do not declare
    ReadOnlyWorksheet._get_size = _sheet_size  # type: ignore[attr-defined]


def open_xlsx(source: IO[bytes], limits: Limits, file: str) -> Workbook:
    """An XLSX opened read-only (streamed), after :func:`limits.check_xlsx`; DocumentError when damaged."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_xlsx(source, limits, file)
    _bound_openpyxl()
    try:
        return load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, InvalidFileException) as exc:
        raise DocumentError(_("XLSX ファイルが壊れているか、途中で切れています"), file=file,
                            detail=low_level(exc)) from exc


def xlsx_values(wb: Workbook, budget: Budget, limit: int | None = None) -> Iterator[tuple[str, int, list[object]]]:
    """(sheet, row, values) of every row of every sheet, streamed and counted against the budget."""
    import zipfile

    try:
        for ws in wb.worksheets:
            for r, values in enumerate(budgeted(_sheet_rows(ws), budget, sheet=ws.title), 1):
                if limit is not None and r > limit:
                    break
                yield ws.title, r, values
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        if isinstance(exc, ValueError) and exc.__class__.__module__.startswith("defusedxml"):
            raise DocumentError(_("XLSX の XML が DTD・エンティティを含んでいます。安全のため読み込みません"),
                                file=budget.file) from exc
        raise DocumentError(_("XLSX ファイルが壊れているか、途中で切れています"), file=budget.file,
                            detail=low_level(exc)) from exc
    finally:
        wb.close()


def _sheet_rows(ws: Any) -> Iterator[list[object]]:  # Any: the private attributes of openpyxl's ReadOnlyWorksheet
    """A read-only sheet's rows as lists up to their last filled cell.

    Unlike ``iter_rows``, rows are not padded to the sheet's declared width (a tiny file can declare
    16,384 columns), and a cell far to the right is seen, so the cells-per-row limit can refuse it.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    expected = 1
    with ws._get_source() as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=ws.parent.epoch,
                                 date_formats=ws.parent._date_formats,
                                 timedelta_formats=ws.parent._timedelta_formats)
        for index, cells in parser.parse():
            while expected < index:  # rows the file leaves out are empty
                expected += 1
                yield []
            filled = [c for c in cells if c["value"] is not None]
            width = max((c["column"] for c in filled), default=0)
            row: list[object] = [None] * width
            for c in filled:
                row[c["column"] - 1] = c["value"]
            expected = index + 1
            yield row


def xlsx_rows(data: bytes, file: str, limits: Limits | None = None) -> list[list[Cell]]:
    limits = limits or Limits.from_env()
    budget = limits.budget(file)
    wb = open_xlsx(io.BytesIO(data), limits, file)
    rows: list[list[Cell]] = []
    sheet: str | None = None
    grid: list[list[object]] = []
    for title, _row, values in xlsx_values(wb, budget):
        if title != sheet:
            if sheet is not None:
                rows.extend(grid_rows(grid, sheet=sheet))
            sheet, grid = title, []
        grid.append(values)
    if sheet is not None:
        rows.extend(grid_rows(grid, sheet=sheet))
    return rows


def xls_rows(data: bytes, file: str, limits: Limits | None = None) -> list[list[Cell]]:
    import xlrd

    budget = (limits or Limits.from_env()).budget(file)
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:  # xlrd raises bare XLRDError and others for damaged or encrypted files
        hint = _("パスワードで保護されたブックは読めません。保護を解除したコピーを保存してください") \
            if b"EncryptionInfo" in data or "encrypt" in str(exc).lower() else _("XLS ファイルが壊れています")
        raise DocumentError(hint, file=file, detail=low_level(exc)) from exc
    rows: list[list[Cell]] = []
    for sheet in book.sheets():
        budget.tick(sheet=sheet.name)
        budget.expect(sheet.nrows, sheet=sheet.name)  # the sheet says how big it is: refuse before reading it
        width = min(sheet.ncols, budget.limits.max_cells + 1)  # one more column, only to notice a wider row
        values = ([v if v != "" else None for v in sheet.row_values(r, 0, width)] for r in range(sheet.nrows))
        rows.extend(grid_rows(budgeted(values, budget, sheet=sheet.name), sheet=sheet.name))
    return rows


def pdf_rows(data: bytes, file: str, limits: Limits | None = None) -> list[list[Cell]]:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as exc:  # pdfminer raises several unrelated types for broken or locked files
        # pdfplumber wraps pdfminer's errors: PdfminerException(PDFPasswordIncorrect()) for a locked file
        name = " ".join(e.__class__.__name__ for e in (exc, *exc.args) if isinstance(e, BaseException))
        if "Password" in name or "Encrypt" in name or "encrypt" in str(exc).lower():
            raise DocumentError(_("PDF が暗号化されています。保護を解除したコピーを保存してください"),
                                file=file) from exc
        raise DocumentError(_("PDF が壊れているか、途中で切れています"), file=file, detail=name) from exc
    budget = (limits or Limits.from_env()).budget(file)
    rows: list[list[Cell]] = []
    text_found = False
    with pdf:
        for number, page in enumerate(pages, 1):
            budget.tick(page=number)
            try:
                text_found = text_found or bool(page.chars)
                found = page.find_tables()
                tables = [t.extract() for t in found]
                top = min((t.bbox[1] for t in found), default=None)
                if top and top > 1:  # the title and notes above the table
                    above = page.crop((0, 0, page.width, top)).extract_text() or ""
                    rows.extend(grid_rows(budgeted([[line] for line in above.splitlines()], budget, page=number),
                                          page=number))
            except Exception as exc:
                raise DocumentError(_("このページを読めません"), detail=exc.__class__.__name__, file=file,
                                    page=number) from exc
            if tables:
                offset = 0
                for table in tables:
                    rows.extend(grid_rows(budgeted(table, budget, page=number, first=offset + 1), page=number,
                                          row_offset=offset))
                    offset += len(table)
            else:
                lines = (page.extract_text() or "").splitlines()
                rows.extend(grid_rows(budgeted([[line] for line in lines], budget, page=number), page=number))
    if not text_found:
        raise DocumentError(_("PDF に文字情報がありません（スキャン画像ですか）。読むには先に OCR が必要です"),
                            file=file)
    return rows


def read(path: str | Path, *, format: str | None = None, encoding: str | None = None,
         as_of: str | None = None, data: bytes | None = None, limits: Limits | None = None) -> PublishedList:
    """Read a published summary list in any supported format, within ``limits`` (default: the environment's)."""
    path = Path(path)
    file = str(path)
    limits = limits or Limits.from_env()
    try:
        size = len(data) if data is not None else path.stat().st_size  # stat first: never load a huge file
    except OSError as exc:
        raise DocumentError(_("ファイルを開けません"), file=file, detail=exc.strerror) from exc
    limits.check_size(size, file)
    if data is None:
        data = path.read_bytes()
    if not data.strip():
        raise DocumentError(_("ファイルが空です"), file=file)
    fmt = (format or sniff_format(data, path.name)).lower()
    if fmt not in FORMATS:
        raise DocumentError(_("形式「{format}」は読めません。{formats} のどれかを指定してください").format(
            format=fmt, formats=", ".join(FORMATS)), file=file)
    used_encoding = None
    if fmt in ("tsv", "csv", "txt"):
        text, used_encoding = decode(data, file, encoding)
        rows = text_rows(text, fmt, file, limits.budget(file))
    elif fmt == "xlsx":
        rows = xlsx_rows(data, file, limits)
    elif fmt == "xls":
        rows = xls_rows(data, file, limits)
    else:
        rows = pdf_rows(data, file, limits)
    result = parse_rows(rows, source=file, format=fmt, encoding=used_encoding, as_of=as_of)
    result.sha256 = hashlib.sha256(data).hexdigest()
    return result
