"""Renderings of a snapshot :class:`~renkei.diff.Diff`: text, Markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json

from ..diff import Diff
from ..textfmt import table

CSV_HEADER = ("change", "都道府県", "全国地方公共団体コード", "名称", "before", "after")


def _names(partners) -> str:  # type: ignore[no-untyped-def]
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
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    w.writerows(("" if v is None else v for v in row) for row in rows(d))
    return buf.getvalue()


def json_text(d: Diff) -> str:
    return json.dumps(d.as_dict(), ensure_ascii=False, indent=2)
