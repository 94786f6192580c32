"""One reader per format, each turning a file into rows of Cells for :mod:`.layout`.

Format and encoding are sniffed from the bytes (not trusted from the extension),
with an option to force either. Every failure is a DocumentError naming the file
and, where it applies, the sheet, page, row and cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from .layout import grid_rows, parse_rows
from .model import Cell, DocumentError, PublishedList

MAX_BYTES = 20 * 1024 * 1024  # the real lists are a few hundred KB; a bigger file is not one of them
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
            raise DocumentError(f"cannot decode as {encoding}: {exc}", file=file, row=_line_of(data, exc)) from exc
    head = data[:4096]
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    if b"\x00" in head or controls > len(head) * 0.05:
        raise DocumentError("this is a binary file, not a text, spreadsheet or PDF document", file=file)
    try:
        return data.decode("utf-8-sig"), ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as utf8_error:
        line = _line_of(data, utf8_error)
        # UTF-8 text before the first bad byte means the file mixes encodings
        mixed = bool(line and line > 1 and any(b >= 0x80 for b in data[: utf8_error.start]))
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError as exc:
            what = "mixed encodings (UTF-8 before this line, something else here)" if mixed else \
                "an unknown encoding: neither UTF-8 nor CP932/Shift_JIS"
            raise DocumentError(f"the text is in {what}; use --encoding to force one", file=file,
                                row=line) from exc
        if mixed:
            raise DocumentError("mixed encodings: UTF-8 before this line, CP932 here; save the file in one "
                                "encoding", file=file, row=line) from None
        return text, "cp932"


def _line_of(data: bytes, exc: BaseException) -> int | None:
    start = getattr(exc, "start", None)
    return data[:start].count(b"\n") + 1 if isinstance(start, int) else None


def text_rows(text: str, fmt: str, file: str) -> list[list[Cell]]:
    sample = text[:4096]
    delimiter = "\t" if fmt == "tsv" or "\t" in sample else ","
    # splitlines() accepts LF, CRLF and a lone CR alike; csv then sees one record per line
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    try:
        grid = list(reader)
    except csv.Error as exc:
        raise DocumentError(f"malformed {fmt.upper()} ({exc})", file=file, row=reader.line_num) from exc
    return grid_rows(grid)


def xlsx_rows(data: bytes, file: str) -> list[list[Cell]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise DocumentError(f"the XLSX file is damaged or truncated ({exc.__class__.__name__}: {exc})",
                            file=file) from exc
    rows: list[list[Cell]] = []
    for ws in wb.worksheets:
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        rows.extend(grid_rows(grid, sheet=ws.title))
    return rows


def xls_rows(data: bytes, file: str) -> list[list[Cell]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
    except Exception as exc:  # xlrd raises bare XLRDError and others for damaged or encrypted files
        hint = "encrypted (password-protected) workbooks cannot be read" if b"EncryptionInfo" in data \
            or "encrypt" in str(exc).lower() else "the XLS file is damaged"
        raise DocumentError(f"{hint} ({exc})", file=file) from exc
    rows: list[list[Cell]] = []
    for sheet in book.sheets():
        grid = [[v if v != "" else None for v in sheet.row_values(r)] for r in range(sheet.nrows)]
        rows.extend(grid_rows(grid, sheet=sheet.name))
    return rows


def pdf_rows(data: bytes, file: str) -> list[list[Cell]]:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as exc:  # pdfminer raises several unrelated types for broken or locked files
        name = exc.__class__.__name__
        if "Password" in name or "Encrypt" in name or "encrypt" in str(exc).lower():
            raise DocumentError("the PDF is encrypted; save an unlocked copy", file=file) from exc
        raise DocumentError(f"the PDF is damaged or truncated ({name})", file=file) from exc
    rows: list[list[Cell]] = []
    text_found = False
    with pdf:
        for number, page in enumerate(pages, 1):
            try:
                text_found = text_found or bool(page.chars)
                found = page.find_tables()
                tables = [t.extract() for t in found]
                top = min((t.bbox[1] for t in found), default=None)
                if top and top > 1:  # the title and notes above the table
                    above = page.crop((0, 0, page.width, top)).extract_text() or ""
                    rows.extend(grid_rows([[line] for line in above.splitlines()], page=number))
            except Exception as exc:
                raise DocumentError(f"cannot read this page ({exc.__class__.__name__})", file=file,
                                    page=number) from exc
            if tables:
                offset = 0
                for table in tables:
                    rows.extend(grid_rows(table, page=number, row_offset=offset))
                    offset += len(table)
            else:
                lines = (page.extract_text() or "").splitlines()
                rows.extend(grid_rows([[line] for line in lines], page=number))
    if not text_found:
        raise DocumentError("the PDF has no text layer (a scan?): OCR is needed before it can be read",
                            file=file)
    return rows


def read(path: str | Path, *, format: str | None = None, encoding: str | None = None,
         as_of: str | None = None, data: bytes | None = None, max_bytes: int = MAX_BYTES) -> PublishedList:
    """Read a published summary list in any supported format."""
    path = Path(path)
    file = str(path)
    try:
        size = len(data) if data is not None else path.stat().st_size  # stat first: never load a huge file
    except OSError as exc:
        raise DocumentError(f"cannot open: {exc.strerror}", file=file) from exc
    if size > max_bytes:
        raise DocumentError(f"the file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB "
                            "(is this really a published list?)", file=file)
    if data is None:
        data = path.read_bytes()
    if not data.strip():
        raise DocumentError("the file is empty", file=file)
    fmt = (format or sniff_format(data, path.name)).lower()
    if fmt not in FORMATS:
        raise DocumentError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", file=file)
    used_encoding = None
    if fmt in ("tsv", "csv", "txt"):
        text, used_encoding = decode(data, file, encoding)
        rows = text_rows(text, fmt, file)
    elif fmt == "xlsx":
        rows = xlsx_rows(data, file)
    elif fmt == "xls":
        rows = xls_rows(data, file)
    else:
        rows = pdf_rows(data, file)
    result = parse_rows(rows, source=file, format=fmt, encoding=used_encoding, as_of=as_of)
    result.sha256 = hashlib.sha256(data).hexdigest()
    return result
