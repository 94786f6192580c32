"""Any table, not only the official layout: CSV/TSV/text, XLSX or XLS, read row by row.

:func:`open_table` sniffs the format from the bytes and the text encoding (UTF-8, UTF-8
with BOM, CP932) without loading the file: text is checked with incremental decoders and
parsed by :mod:`csv` straight from the file, XLSX is read by openpyxl's streaming
(read-only) mode. Memory therefore stays flat however many rows a file has. XLS (at most
65,536 rows by design) is read whole by xlrd.

Rows come back as lists of values exactly as the file holds them: strings for text
formats; strings, numbers, dates and booleans for spreadsheets; ``None`` for an empty cell.
Every failure is a :class:`DocumentError` naming the file, sheet, row and cell; :func:`describe`
renders it as one Japanese line.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..i18n import gettext as _
from .model import DocumentError
from .readers import sniff_format

if TYPE_CHECKING:
    import xlrd.sheet
    from openpyxl import Workbook

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx", "xls")
CHUNK = 1 << 16
Opener = Callable[[], IO[bytes]]  # a new binary stream of the file each time (closed with `with`)


def describe(exc: DocumentError) -> str:
    """One line in the reader's language (Japanese by default): ファイル、シート、行、セル：内容."""
    return str(exc)


@dataclass(slots=True)
class Table:
    """One sheet of a table, opened for streaming. :meth:`rows` may be called more than once."""

    source: str
    format: str
    encoding: str | None
    sheet: str | None
    sheets: tuple[str, ...]
    width: int  # the widest row, so that appended columns line up
    height: int  # rows, including empty ones
    _rows: Callable[[], Iterator[list[object]]] = field(repr=False)

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        """(1-based row number, values) for every row, empty rows included."""
        return enumerate(self._rows(), 1)

    def error(self, message: str, row: int | None = None, col: int | None = None) -> DocumentError:
        return DocumentError(message, file=self.source, sheet=self.sheet, row=row, col=col)


def _opener(path: Path, data: bytes | None) -> Opener:
    if data is not None:
        return lambda: io.BytesIO(data)
    return lambda: path.open("rb")


def open_table(path: str | Path, *, data: bytes | None = None, sheet: str | None = None,
               encoding: str | None = None, format: str | None = None, name: str | None = None) -> Table:
    """Open one sheet of a table (the first one unless ``sheet`` names it, by name or 1-based number)."""
    path = Path(path)
    file = name or str(path)
    opener = _opener(path, data)
    try:
        with opener() as f:
            head = f.read(4096)
    except OSError as exc:
        raise DocumentError(_("開けません（{error}）").format(error=exc.strerror), file=file) from exc
    if not head.strip():
        raise DocumentError(_("ファイルが空です"), file=file)
    fmt = (format or sniff_format(head, path.name)).lower()
    if fmt == "pdf":
        raise DocumentError(_("PDF は表として読めません。CSV・XLSX で保存し直してください"), file=file)
    if fmt not in TABLE_FORMATS:
        raise DocumentError(_("対応していない形式です（{format}）。CSV・TSV・XLSX・XLS が使えます").format(format=fmt),
                            file=file)
    if fmt == "xlsx":
        return _xlsx(opener, file, sheet)
    if fmt == "xls":
        return _xls(opener, file, sheet)
    if sheet:
        raise DocumentError(_("--sheet は XLSX・XLS にだけ使えます"), file=file)
    return _text(opener, file, fmt, encoding)


# ---------------------------------------------------------------------------------------------
# Text


def sniff_encoding(opener: Opener, file: str) -> str:
    """UTF-8 (with or without BOM) if every byte decodes as UTF-8, else CP932; a mix is an error.

    Reads the stream once through incremental decoders, so the file is never held whole.
    """
    with opener() as f:
        head = f.read(4096)
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    if b"\x00" in head or controls > len(head) * 0.05:
        raise DocumentError(_("バイナリファイルです。CSV・TSV・XLSX・XLS の表ではありません"), file=file)
    failure = _first_failure(opener, "utf-8")
    if failure is None:
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    line, non_ascii_before = failure
    if non_ascii_before:
        raise DocumentError(_("文字コードが混在しています（この行より前は UTF-8、ここから別の文字コード）。"
                              "一つの文字コードで保存し直してください"), file=file, row=line)
    failure = _first_failure(opener, "cp932")
    if failure is not None:
        raise DocumentError(_("文字コードが UTF-8 でも CP932（Shift_JIS）でもありません。"
                              "--encoding で指定してください"), file=file, row=failure[0])
    return "cp932"


def _first_failure(opener: Opener, encoding: str) -> tuple[int, bool] | None:
    """Where ``encoding`` first fails: (line, whether non-ASCII bytes decoded fine before it); None if never."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines, non_ascii = 1, False
    with opener() as f:
        while True:
            chunk = f.read(CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                before = exc.object[: exc.start]  # what the decoder held back (no newline) and this chunk
                return lines + before.count(b"\n"), non_ascii or any(b >= 0x80 for b in before)
            if not chunk:
                return None
            lines += chunk.count(b"\n")
            non_ascii = non_ascii or any(b >= 0x80 for b in chunk)


def _text(opener: Opener, file: str, fmt: str, encoding: str | None) -> Table:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise DocumentError(_("文字コード「{encoding}」は使えません").format(encoding=encoding), file=file) from exc
        failure = _first_failure(opener, encoding)
        if failure is not None:
            raise DocumentError(_("{encoding} として読めません").format(encoding=encoding), file=file, row=failure[0])
    else:
        encoding = sniff_encoding(opener, file)
    with opener() as f:
        sample = io.TextIOWrapper(f, encoding=encoding, errors="replace").read(4096)
    first = sample.split("\n", 1)[0]
    delimiter = "\t" if fmt == "tsv" or first.count("\t") > first.count(",") else ","
    used = encoding

    def rows() -> Iterator[list[object]]:
        with opener() as raw:
            text = io.TextIOWrapper(raw, encoding=used, newline="")
            reader = csv.reader(text, delimiter=delimiter)
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    message = _("{format} の形式が崩れています（{error}）").format(format=fmt.upper(), error=exc)
                    raise DocumentError(message, file=file, row=reader.line_num) from exc
                yield [v if v != "" else None for v in record]

    width = height = 0
    for values in rows():  # one cheap pass: the widest row places the appended columns
        width = max(width, len(values))
        height += 1
    return Table(file, "tsv" if delimiter == "\t" else "csv", encoding, None, (), width, height, rows)


# ---------------------------------------------------------------------------------------------
# Spreadsheets


def _pick_sheet(names: list[str], sheet: str | None, file: str) -> str:
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    message = _("シート「{sheet}」がありません（あるのは {sheets}）").format(sheet=sheet, sheets=_("、").join(names))
    raise DocumentError(message, file=file)


def _xlsx(opener: Opener, file: str, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    def workbook() -> Workbook:
        try:
            return load_workbook(opener(), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
            raise DocumentError(_("XLSX ファイルが壊れているか途中で切れています（{error}）").format(
                error=exc.__class__.__name__), file=file) from exc

    wb = workbook()
    names = list(wb.sheetnames)
    chosen = _pick_sheet(names, sheet, file)
    ws = wb[chosen]
    width, height = ws.max_column or 0, ws.max_row or 0
    wb.close()

    def rows() -> Iterator[list[object]]:
        book = workbook()
        try:
            for values in book[chosen].iter_rows(values_only=True):
                yield list(values)
        finally:
            book.close()

    if not width or not height:  # no <dimension> in the file: count once
        width = height = 0
        for values in rows():
            width, height = max(width, len(values)), height + 1
    return Table(file, "xlsx", None, chosen, tuple(names), width, height, rows)


def _xls(opener: Opener, file: str, sheet: str | None) -> Table:
    import xlrd

    with opener() as f:
        content = f.read()
    try:
        book = xlrd.open_workbook(file_contents=content)
    except Exception as exc:  # xlrd raises bare XLRDError and others for damaged or encrypted files
        raise DocumentError(_("XLS ファイルが壊れているか、パスワードで保護されています（{error}）").format(error=exc),
                            file=file) from exc
    names = book.sheet_names()
    chosen = _pick_sheet(names, sheet, file)
    ws = book.sheet_by_name(chosen)

    def value(cell: xlrd.sheet.Cell) -> object:
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if cell.ctype == xlrd.XL_CELL_DATE:
            return xlrd.xldate.xldate_as_datetime(float(cell.value), book.datemode)
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
            return int(cell.value)
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return None
        return cell.value

    def rows() -> Iterator[list[object]]:
        for r in range(ws.nrows):
            yield [value(c) for c in ws.row(r)]

    return Table(file, "xls", None, chosen, tuple(names), ws.ncols, ws.nrows, rows)


def cell_text(value: object) -> str:
    """A cell value as text: integers without '.0', dates as ISO, empty as ''."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
