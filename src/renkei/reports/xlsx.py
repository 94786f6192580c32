"""The validation report as a workbook: 集計, 完全一致でなかった名称 and 問題点 sheets, filterable, ready to print.

Every sheet prints on A4 landscape, one page wide, with its header row repeated on each page; every
cell wraps inside its column (nothing spills over a neighbour). The font is one Windows has
(:data:`renkei.sinks.XLSX_FONT`), declared with the Japanese character set so that a machine without
it falls back to its own Japanese Gothic. Text is written as text (no formulas, see :mod:`renkei.sinks`).
"""

from __future__ import annotations

import io
from typing import Any

from ..i18n import _, format_date
from ..sinks import XLSX_FONT, print_setup, workbook, write, write_row, write_wrapped
from ..validate import Report
from . import PROBLEM_KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS, label


def render(report: Report, attribution: list[str] | tuple[str, ...] = ()) -> bytes:
    from ..directory import load

    buf = io.BytesIO()
    wb = workbook(buf, {"in_memory": True})
    base: dict[str, Any] = {**XLSX_FONT, "border": 1, "valign": "top", "text_wrap": True}
    head = wb.add_format({**base, "bold": True, "bg_color": "#E8EEF6"})
    body = wb.add_format(base)
    warn = wb.add_format({**base, "bg_color": "#FFF4D6"})
    bad = wb.add_format({**base, "bg_color": "#FDE2E2"})
    pct = wb.add_format({**base, "num_format": "0.0%"})
    plain = wb.add_format({**XLSX_FONT, "valign": "top", "text_wrap": True})
    d = report.document

    ws = wb.add_worksheet(_("集計"))
    widths = (14, 10, 10, 10, 10, 10, 10, 10)
    for col, w in enumerate(widths):
        ws.set_column(col, col, w)
    meta = [(_("ファイル"), d.source), (_("形式"), f"{d.format} {d.encoding or ''}".strip()),
            (_("表題"), d.title or "-"), (_("時点"), format_date(d.as_of) if d.as_of else _("時点不明")),
            ("SHA-256", d.sha256)]
    for r, (k, v) in enumerate(meta):
        write(ws, r, 0, k, head)
        write_wrapped(ws, r, 1, len(widths) - 1, v, body, sum(widths[1:]))
    top = len(meta) + 1
    headers = (_("都道府県"), _("コード"), _("記載件数"), _("掲載"), _("特定"), _("カバー率"), _("要確認の名称"),
               _("エラー"))
    write_row(ws, top, 0, headers, head)
    for i, p in enumerate(report.prefectures, top + 1):
        fmt = warn if p.problems or p.needs_review else body
        write_row(ws, i, 0, (p.prefecture or p.written, p.code or "", p.declared, p.listed, p.resolved), fmt)
        write(ws, i, 5, p.coverage, pct)
        write_row(ws, i, 6, (len(p.needs_review), sum(q.severity == "error" for q in p.problems)), fmt)
    t = report.totals
    end = top + len(report.prefectures) + 1
    write_row(ws, end, 0, (_("合計"), "", t["declared"], t["listed"], t["resolved"], None, t["needs_review"],
                           t["errors"]), head)
    ws.autofilter(top, 0, end - 1, len(headers) - 1)
    for row, line in enumerate(attribution or load().attribution, end + 2):
        write_wrapped(ws, row, 0, len(widths) - 1, line, plain, sum(widths))
    print_setup(ws, header_row=top)

    ws = wb.add_worksheet(_("完全一致でなかった名称"))
    headers2 = (_("都道府県"), _("セル"), _("記載"), _("判定"), _("コード"), _("正式名称"), _("理由"), _("候補"))
    write_row(ws, 0, 0, headers2, head)
    r = 1
    for p in report.prefectures:
        for e in p.entries:
            res = e.resolution
            if res.status == "exact":
                continue
            fmt = bad if res.status in ("ambiguous", "unresolved") else warn if res.needs_review else body
            candidates = "、".join(f"{c.prefecture}{c.name}（{c.code}）" for c in res.candidates) if not res.code \
                else ""
            write_row(ws, r, 0, (p.prefecture or p.written, e.where, res.input, label(STATUS_LABELS, res.status),
                                 res.code or "", res.name or "", res.reason or "", candidates), fmt)
            r += 1
    ws.autofilter(0, 0, max(r - 1, 1), len(headers2) - 1)
    ws.freeze_panes(1, 0)
    for col, w in enumerate((10, 9, 14, 14, 8, 14, 40, 40)):
        ws.set_column(col, col, w)
    print_setup(ws, header_row=0)

    ws = wb.add_worksheet(_("問題点"))
    write_row(ws, 0, 0, (_("重要度"), _("種類"), _("内容")), head)
    for r, q in enumerate(report.all_problems, 1):
        write_row(ws, r, 0, (label(SEVERITY_LABELS, q.severity), label(PROBLEM_KIND_LABELS, q.kind), q.message),
                  bad if q.severity == "error" else body)
    ws.freeze_panes(1, 0)
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 2, 100)
    print_setup(ws, header_row=0)
    wb.close()
    return buf.getvalue()
