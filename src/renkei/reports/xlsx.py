"""The validation report as a workbook: 集計, 要確認の名称 and 問題点 sheets, filterable, Japanese font."""

from __future__ import annotations

import io

from ..validate import Report
from . import SEVERITY_LABELS, STATUS_LABELS

FONT = "IPAexGothic"


def render(report: Report, attribution: list[str] | tuple[str, ...] = ()) -> bytes:
    import xlsxwriter

    from ..directory import load

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#E8EEF6", "border": 1, "font_name": FONT})
    body = wb.add_format({"border": 1, "font_name": FONT, "valign": "top", "text_wrap": True})
    warn = wb.add_format({"border": 1, "font_name": FONT, "bg_color": "#FFF4D6", "text_wrap": True})
    bad = wb.add_format({"border": 1, "font_name": FONT, "bg_color": "#FDE2E2", "text_wrap": True})
    pct = wb.add_format({"border": 1, "font_name": FONT, "num_format": "0.0%"})
    d = report.document

    ws = wb.add_worksheet("集計")
    meta = [("ファイル", d.source), ("形式", f"{d.format} {d.encoding or ''}".strip()), ("表題", d.title or "-"),
            ("時点", d.as_of or "不明"), ("SHA-256", d.sha256)]
    for r, (k, v) in enumerate(meta):
        ws.write(r, 0, k, head)
        ws.write(r, 1, v, body)
    top = len(meta) + 1
    headers = ("都道府県", "コード", "記載件数", "掲載名", "特定", "カバー率", "要確認", "問題")
    ws.write_row(top, 0, headers, head)
    for i, p in enumerate(report.prefectures, top + 1):
        fmt = warn if p.problems or p.needs_review else body
        ws.write_row(i, 0, (p.prefecture or p.written, p.code or "", p.declared, p.listed, p.resolved), fmt)
        ws.write(i, 5, p.coverage, pct)
        ws.write_row(i, 6, (len(p.needs_review), len(p.problems)), fmt)
    t = report.totals
    end = top + len(report.prefectures) + 1
    ws.write_row(end, 0, ("合計", "", t["declared"], t["listed"], t["resolved"], None, t["needs_review"],
                          t["errors"] + t["warnings"]), head)
    ws.autofilter(top, 0, end - 1, len(headers) - 1)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 7, 10)
    for k, line in enumerate(attribution or load().attribution, end + 2):
        ws.write(k, 0, line)

    ws = wb.add_worksheet("要確認の名称")
    headers2 = ("都道府県", "セル", "記載", "判定", "コード", "正式名称", "理由", "候補")
    ws.write_row(0, 0, headers2, head)
    r = 1
    for p in report.prefectures:
        for e in p.entries:
            res = e.resolution
            if res.status == "exact":
                continue
            fmt = bad if res.status in ("ambiguous", "unresolved") else warn if res.needs_review else body
            candidates = "、".join(f"{c.prefecture}{c.name}（{c.code}）" for c in res.candidates) if not res.code \
                else ""
            ws.write_row(r, 0, (p.prefecture or p.written, e.where, res.input, STATUS_LABELS.get(res.status),
                                res.code or "", res.name or "", res.reason or "", candidates), fmt)
            r += 1
    ws.autofilter(0, 0, max(r - 1, 1), len(headers2) - 1)
    ws.freeze_panes(1, 0)
    for col, w in enumerate((10, 10, 14, 14, 9, 14, 50, 50)):
        ws.set_column(col, col, w)

    ws = wb.add_worksheet("問題点")
    ws.write_row(0, 0, ("重要度", "種類", "内容"), head)
    for r, q in enumerate(report.all_problems, 1):
        ws.write_row(r, 0, (SEVERITY_LABELS.get(q.severity, q.severity), q.kind, q.message),
                     bad if q.severity == "error" else body)
    ws.set_column(0, 1, 14)
    ws.set_column(2, 2, 100)
    wb.close()
    return buf.getvalue()
