"""Renderings of a snapshot :class:`~renkei.diff.Diff`: text, Markdown, CSV and JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable

from ..diff import Diff, Partner
from ..sinks import XLSX_FONT, csv_writer, print_setup, workbook, write, write_row
from ..textfmt import table

CSV_HEADER = ("change", "都道府県", "全国地方公共団体コード", "名称", "before", "after")


def _names(partners: Iterable[Partner]) -> str:
    return "、".join(p.name for p in partners) or "-"


def _count(a: int | None, b: int | None) -> str:
    return f"{a if a is not None else '-'} → {b if b is not None else '-'}"


def text(d: Diff) -> str:
    t = d.totals
    out = [f"{d.a.label}  →  {d.b.label}",
           f"partners {t['partners_before']} → {t['partners_after']}: +{t['added']} -{t['removed']}", ""]
    if d.changed:
        rows = [(p.prefecture, _count(p.declared_before, p.declared_after),
                 _count(p.partners_before, p.partners_after), _names(p.added), _names(p.removed)) for p in d.changed]
        out.append(table(["prefecture", "declared", "partners", "added", "removed"], rows))
    else:
        out.append("no partner or count changes")
    if d.reresolved:
        out += ["", "Names that resolve differently:"]
        out.append(table(["prefecture", "written", "before", "after"],
                         [(r.prefecture, r.written, r.before, r.after) for r in d.reresolved]))
    return "\n".join(out)


def markdown(d: Diff) -> str:
    t = d.totals
    out = [f"# 差分: {d.a.label} → {d.b.label}", "",
           f"連携自治体 {t['partners_before']} → {t['partners_after']}（追加 {t['added']}、削除 {t['removed']}）", ""]
    if d.changed:
        out += ["| 都道府県 | 記載件数 | 連携自治体 | 追加 | 削除 |", "|---|---|---|---|---|"]
        out += [f"| {p.prefecture} | {_count(p.declared_before, p.declared_after)} | "
                f"{_count(p.partners_before, p.partners_after)} | {_names(p.added)} | {_names(p.removed)} |"
                for p in d.changed]
    if d.reresolved:
        out += ["", "## 判定が変わった名称", "", "| 都道府県 | 記載 | 前 | 後 |", "|---|---|---|---|"]
        out += [f"| {r.prefecture} | {r.written} | {r.before or '-'} | {r.after or '-'} |" for r in d.reresolved]
    return "\n".join(out) + "\n"


def rows(d: Diff) -> list[tuple[object, ...]]:
    """One row per change: added, removed, count, resolved."""
    out: list[tuple[object, ...]] = []
    for p in d.changed:
        out += [("added", p.prefecture, x.code, x.name, "", "") for x in p.added]
        out += [("removed", p.prefecture, x.code, x.name, "", "") for x in p.removed]
        if p.declared_before != p.declared_after:
            out.append(("declared", p.prefecture, p.pref_code, "", p.declared_before, p.declared_after))
        if p.partners_before != p.partners_after:
            out.append(("partners", p.prefecture, p.pref_code, "", p.partners_before, p.partners_after))
    out += [("resolved", r.prefecture, r.after or "", r.written, r.before, r.after) for r in d.reresolved]
    return out


def csv_text(d: Diff) -> str:
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    w.writerows(("" if v is None else v for v in row) for row in rows(d))
    return buf.getvalue()


def json_text(d: Diff) -> str:
    return json.dumps(d.as_dict(), ensure_ascii=False, indent=2)


def html(d: Diff, attribution: tuple[str, ...] | list[str] = ()) -> str:
    """A page to hand round: added in green, removed in red, count changes highlighted."""
    from ..directory import load
    from ..templating import render

    return render("diff_report.html", d=d, totals=d.totals, attribution=attribution or load().attribution)


def xlsx(d: Diff) -> bytes:
    """Sheets 概要 (per prefecture) and 変更一覧 (one row per change), highlighted, filterable."""
    from ..directory import load

    buf = io.BytesIO()
    wb = workbook(buf, {"in_memory": True})
    base = {**XLSX_FONT, "border": 1, "text_wrap": True, "valign": "top"}
    head = wb.add_format({**base, "bold": True, "bg_color": "#D9E1F2"})
    body = wb.add_format(base)
    added = wb.add_format({**base, "bg_color": "#E2EFDA"})
    removed = wb.add_format({**base, "bg_color": "#FCE4E4"})
    changed = wb.add_format({**base, "bg_color": "#FFF2CC", "bold": True})
    ws = wb.add_worksheet("概要")
    write(ws, 0, 0, f"差分: {d.a.label} → {d.b.label}", wb.add_format({**XLSX_FONT, "bold": True, "font_size": 13}))
    headers = ("都道府県", "記載件数（前）", "記載件数（後）", "連携自治体（前）", "連携自治体（後）", "追加", "削除")
    write_row(ws, 2, 0, headers, head)
    for r, p in enumerate(d.changed, 3):
        count_fmt = changed if p.declared_before != p.declared_after else body
        write(ws, r, 0, p.prefecture, body)
        write(ws, r, 1, p.declared_before, count_fmt)
        write(ws, r, 2, p.declared_after, count_fmt)
        partner_fmt = changed if p.partners_before != p.partners_after else body
        write(ws, r, 3, p.partners_before, partner_fmt)
        write(ws, r, 4, p.partners_after, partner_fmt)
        write(ws, r, 5, "、".join(x.name for x in p.added), added if p.added else body)
        write(ws, r, 6, "、".join(x.name for x in p.removed), removed if p.removed else body)
    ws.autofilter(2, 0, 2 + max(len(d.changed), 1), len(headers) - 1)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 4, 14)
    ws.set_column(5, 6, 60)
    print_setup(ws, header_row=2)
    for k, line in enumerate(load().attribution, 5 + len(d.changed)):
        write(ws, k, 0, line)
    ws2 = wb.add_worksheet("変更一覧")
    write_row(ws2, 0, 0, CSV_HEADER, head)
    for r, row in enumerate(rows(d), 1):
        fmt = added if row[0] == "added" else removed if row[0] == "removed" else changed
        write_row(ws2, r, 0, ["" if v is None else v for v in row], fmt)
    ws2.autofilter(0, 0, max(len(rows(d)), 1), len(CSV_HEADER) - 1)
    ws2.freeze_panes(1, 0)
    ws2.set_column(0, 5, 16)
    print_setup(ws2, header_row=0)
    wb.close()
    return buf.getvalue()
