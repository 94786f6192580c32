"""Escaping for the sinks the project writes to: spreadsheets, CSV/TSV, XML/PDF markup and file names.

Every writer goes through here, so one rule holds everywhere:

- **CSV/TSV** (:func:`csv_writer`, :func:`neutralise`): a text field that starts with ``= + - @``, a TAB
  or a CR is prefixed with ``'``, as OWASP recommends against formula injection (CSV injection), so that
  Excel and LibreOffice show it as text instead of evaluating it. Numbers are written as they are.
- **XLSX** (:func:`workbook`, :func:`write`, :func:`write_row`): text is written with ``write_string``,
  never with the type-guessing ``write``, and the workbook turns off xlsxwriter's conversions of
  strings to formulas, URLs and numbers, so a written name ``=HYPERLINK(...)`` stays a text cell.
- **XML and ReportLab paragraphs** (:func:`xml_text`): ``& < >`` and quotes escaped, and characters
  XML 1.0 cannot hold removed.
- **Stored file names** (:func:`clean_filename`): no folders, no control characters; ``.`` and ``..``
  are refused.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def is_formula_like(text: str) -> bool:
    """True for a cell a spreadsheet could evaluate, also once neutralised with a leading ``'``."""
    text = text.lstrip("'") if text.startswith("'") else text
    return text.startswith(FORMULA_PREFIXES)


def neutralise(value: Any) -> Any:
    """A CSV/TSV field made safe for spreadsheets: ``'`` before a text starting with ``= + - @``, TAB or CR."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every text field goes through :func:`neutralise`."""

    def __init__(self, out: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: IO[str], **kwargs: Any) -> SafeCsvWriter:
    """The one CSV/TSV writer of the project (same keywords as :func:`csv.writer`)."""
    return SafeCsvWriter(out, **kwargs)


def workbook(target: Any, options: dict[str, Any] | None = None) -> Any:
    """An ``xlsxwriter.Workbook`` that never turns a string into a formula, a link or a number."""
    import xlsxwriter

    return xlsxwriter.Workbook(target, {**(options or {}), "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})


def write(ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """One cell by its Python type: text with ``write_string``, numbers with ``write_number``, None blank."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def write_row(ws: Any, row: int, col: int, values: Iterable[Any], fmt: Any = None) -> None:
    for j, value in enumerate(values):
        write(ws, row, col + j, value, fmt)


# A font every Japanese Windows has, with the Japanese character set (128) and a sans-serif family (2)
# declared, so that Excel or LibreOffice on a machine without Meiryo substitutes its own Japanese Gothic
# (Yu Gothic, MS Gothic, IPAex Gothic, Noto Sans CJK) instead of a Latin font.
XLSX_FONT: dict[str, Any] = {"font_name": "メイリオ", "font_charset": 128, "font_family": 2, "font_size": 10}
LINE_HEIGHT = 17  # points per wrapped line at font size 10 (Meiryo's line spacing is generous)


def display_width(text: str) -> int:
    """Width in spreadsheet column units: full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def write_wrapped(ws: Any, row: int, first: int, last: int, text: str, fmt: Any, width: float) -> None:
    """Text across columns ``first..last`` (``width`` units in all), the row made tall enough to show it all.

    Spreadsheets do not grow a merged row to fit wrapped text, so the height is set from the text's width.
    """
    if last > first:
        ws.merge_range(row, first, row, last, "", fmt)
    write(ws, row, first, text, fmt)
    lines = max(1, -(-display_width(text) // max(int(width) - 2, 1)))
    if lines > 1:
        ws.set_row(row, LINE_HEIGHT * lines)


def print_setup(ws: Any, *, header_row: int | None = None, landscape: bool = True) -> None:
    """A4, one page wide (as many pages tall as needed), the header row repeated on every page, page numbers."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.fit_to_pages(1, 0)
    if header_row is not None:
        ws.repeat_rows(header_row)
    ws.set_footer("&C&P / &N")


def printable(value: object) -> str:
    """Text without the control characters XML 1.0 cannot hold (an SVG or PDF built from it stays valid)."""
    return _NOT_XML.sub("", str(value))


def xml_text(value: object) -> str:
    """Text safe inside XML and ReportLab paragraph markup."""
    from xml.sax.saxutils import escape

    return escape(printable(value), {'"': "&quot;", "'": "&#39;"})


class FileNameError(ValueError):
    """A file name that cannot be stored (``.``, ``..`` or nothing left once cleaned)."""


def clean_filename(name: str, limit: int = 200) -> str:
    """The last part of an uploaded file's name, without control characters, at most ``limit`` characters.

    Folders (``/`` and ``\\``) are dropped, so nothing can be written outside the place meant for it;
    ``.`` and ``..`` are refused with a Japanese message.
    """
    base = PureWindowsPath(PurePosixPath(name or "").name).name  # both separators, whatever the OS
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")).strip()
    if base in ("", ".", ".."):
        from .i18n import _

        shown = "".join(ch for ch in (name or "")[:80] if unicodedata.category(ch) != "Cc")
        raise FileNameError(_("ファイル名「{name}」は使えません（「.」「..」や空の名前は不可）。"
                              "名前を付けたファイルを選んでください").format(name=shown))
    if len(base) > limit:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: limit - len(ext) - 1] + dot + ext) if dot and len(ext) < 16 else base[:limit]
    return base
