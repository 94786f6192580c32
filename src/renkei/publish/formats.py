"""Writers for the official table: TSV, CSV, HTML, XLSX (print-ready) and PDF (embedded Japanese font)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..sinks import csv_writer, workbook, write, xml_text
from .official import HEADER, PER_ROW, OfficialTable

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import BaseDocTemplate

FONT_PATH = Path(__file__).resolve().parent.parent / "data" / "fonts" / "ipaexg.ttf"
PDF_FONT = "IPAexGothic"
XLSX_FONT = "ＭＳ Ｐゴシック"  # present on every Japanese Windows (LGWAN terminals included)


def _stamp(as_of: str | None) -> datetime:
    """A fixed creation time (the as-of date), so the same snapshot always gives the same bytes."""
    return datetime.fromisoformat(as_of) if as_of else datetime(2000, 1, 1)


def tsv(table: OfficialTable) -> str:
    return _delimited(table, "\t", "\n")


def csv_text(table: OfficialTable) -> str:
    """CSV as Excel writes it (CRLF); encode with utf-8-sig or cp932 for Japanese Excel."""
    return _delimited(table, ",", "\r\n")


def _delimited(table: OfficialTable, delimiter: str, newline: str) -> str:
    buf = io.StringIO()
    writer = csv_writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerows(table.grid())
    writer.writerow([])  # a blank line, then the credits
    writer.writerows([line] for line in table.attribution)
    return buf.getvalue()


def html(table: OfficialTable) -> str:
    from ..templating import render

    return render("official_table.html", table=table, header=HEADER, per_row=PER_ROW,
                  attribution=table.attribution)


def xlsx(table: OfficialTable) -> bytes:
    """A4 landscape, merged prefecture cells, borders, header repeated on each page, fitted to the width."""
    buf = io.BytesIO()
    wb = workbook(buf, {"in_memory": True})
    wb.set_properties({"title": table.title, "author": "renkei", "created": _stamp(table.as_of)})  # reproducible
    base = {"font_name": XLSX_FONT, "font_size": 9, "border": 1, "valign": "vcenter"}
    title_fmt = wb.add_format({"font_name": XLSX_FONT, "font_size": 14, "bold": True})
    head = wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
    cell = wb.add_format(base)
    num = wb.add_format({**base, "align": "right"})
    pref = wb.add_format({**base, "align": "center"})
    note = wb.add_format({"font_name": XLSX_FONT, "font_size": 8, "font_color": "#9C0006"})
    small = wb.add_format({"font_name": XLSX_FONT, "font_size": 8})
    ws = wb.add_worksheet("連携自治体数一覧")
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(1)  # the header row (0-based row 1) on every page
    ws.set_footer("&C&P / &N")
    ws.set_column(0, 0, 11)
    ws.set_column(1, 1, 7)
    ws.set_column(2, 1 + PER_ROW, 11)
    write(ws, 0, 0, table.title, title_fmt)
    write(ws, 1, 0, HEADER[0], head)
    write(ws, 1, 1, HEADER[1], head)
    ws.merge_range(1, 2, 1, 1 + PER_ROW, HEADER[2], head)
    r = 2
    for b in table.blocks:
        rows = b.rows
        if len(rows) > 1:
            ws.merge_range(r, 0, r + len(rows) - 1, 0, b.prefecture, pref)
            ws.merge_range(r, 1, r + len(rows) - 1, 1, b.count, num)
        else:
            write(ws, r, 0, b.prefecture, pref)
            write(ws, r, 1, b.count, num)
        for i, names in enumerate(rows):
            for j in range(PER_ROW):
                write(ws, r + i, 2 + j, names[j] if j < len(names) else "", cell)
        r += len(rows)
        for line in b.notes:
            write(ws, r, 0, line, note)
            r += 1
    write(ws, r, 0, "合計", head)
    write(ws, r, 1, table.total, num)
    for k, line in enumerate((f"出典: {table.source}（SHA-256 {table.sha256[:16]}…）", *table.attribution), r + 2):
        write(ws, k, 0, line, small)
    wb.close()
    return buf.getvalue()


def pdf(table: OfficialTable) -> bytes:
    """A4 landscape with IPAex Gothic embedded (subset): no missing glyphs, the same everywhere."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(PDF_FONT, str(FONT_PATH)))
    rows: list[list[str]] = [[HEADER[0], HEADER[1], HEADER[2]] + [""] * (PER_ROW - 1)]
    style: list[tuple[Any, ...]] = [  # ReportLab's commands: (name, from cell, to cell, *values)
        ("FONT", (0, 0), (-1, -1), PDF_FONT, 7.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("SPAN", (2, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9E1F2")),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 1), (1, -1), "RIGHT")]
    for b in table.blocks:
        start = len(rows)
        for i, names in enumerate(b.rows):
            rows.append(([b.prefecture, str(b.count)] if i == 0 else ["", ""]) + names + [""] * (PER_ROW - len(names)))
        if len(b.rows) > 1:
            style += [("SPAN", (0, start), (0, len(rows) - 1)), ("SPAN", (1, start), (1, len(rows) - 1))]
        for line in b.notes:
            rows.append([line] + [""] * (PER_ROW + 1))
            style += [("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                      ("TEXTCOLOR", (0, len(rows) - 1), (0, len(rows) - 1), colors.HexColor("#9C0006"))]
    rows.append(["合計", str(table.total)] + [""] * PER_ROW)
    widths = [22 * mm, 14 * mm] + [23.5 * mm] * PER_ROW
    grid = Table(rows, colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle(style))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), invariant=True, leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=10 * mm, bottomMargin=12 * mm, title=table.title, author="renkei",
                            # pages start in IPAex Gothic, not ReportLab's Helvetica: no font is left unembedded
                            initialFontName=PDF_FONT, initialFontSize=7.5, lang="ja")
    title = ParagraphStyle("title", fontName=PDF_FONT, fontSize=13, leading=18)
    small = ParagraphStyle("small", fontName=PDF_FONT, fontSize=6.5, leading=9)

    def footer(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.setFont(PDF_FONT, 7)
        canvas.drawCentredString(landscape(A4)[0] / 2, 6 * mm, f"{table.title}  {document.page}ページ")

    # every value is escaped: a paragraph is markup, and a name or title may hold < & > (renkei.sinks)
    story = [Paragraph(xml_text(table.title), title), grid, Spacer(1, 4 * mm),
             *[Paragraph(xml_text(line), small) for line in (f"出典: {table.source}", *table.attribution)]]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
