"""The terminal form of a validation report: short, in reading order, nothing hidden, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable

from ..i18n import _, format_date
from ..resolve import Candidate
from ..textfmt import table
from ..validate import Report
from . import PROBLEM_KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS, label


def candidates_text(candidates: Iterable[Candidate]) -> str:
    return "、".join(f"{c.prefecture}{c.name}（{c.code}）{c.score:.2f}" for c in candidates)


def render(report: Report) -> str:
    d = report.document
    kind = f"{d.format}、{d.encoding}" if d.encoding else d.format
    out = [_("ファイル：{source}（{format}）").format(source=d.source, format=kind),
           _("表題：{title}").format(title=d.title or "-"),
           _("時点：{as_of}").format(as_of=format_date(d.as_of) if d.as_of else _("不明（--as-of で指定できます）")),
           ""]
    rows = []
    for p in report.prefectures:
        cov = f"{p.coverage:.1%}" if p.coverage is not None else "-"
        rows.append((p.prefecture or p.written, p.declared, p.listed, p.resolved, cov, len(p.needs_review),
                     sum(q.severity == "error" for q in p.problems)))
    out.append(table([_("都道府県"), _("記載件数"), _("掲載"), _("特定"), _("カバー率"), _("要確認の名称"),
                      _("エラー")], rows))
    changed = [(p, e) for p in report.prefectures for e in p.entries if e.resolution.status != "exact"]
    if changed:
        out += ["", _("完全一致でなかった名称：")]
        out.append(table([_("セル"), _("記載"), _("判定"), _("コード"), _("正式名称"), _("理由")],
                         [(e.where, e.resolution.input, label(STATUS_LABELS, e.resolution.status), e.resolution.code,
                           e.resolution.name, e.resolution.reason) for _p, e in changed]))
        for _p, e in changed:
            r = e.resolution
            if r.status in ("ambiguous", "unresolved") and r.candidates:
                out.append("  " + _("{cell} {input}：候補：{candidates}").format(
                    cell=e.where, input=r.input, candidates=candidates_text(r.candidates)))
    problems = report.all_problems
    if problems:
        out += ["", _("問題点：")]
        out += [f"  [{label(SEVERITY_LABELS, p.severity)}] {label(PROBLEM_KIND_LABELS, p.kind)}：{p.message}"
                for p in problems]
    t = report.totals
    out += ["", _("合計：記載件数 {declared}、掲載 {listed}、特定 {resolved}、要確認の名称 {needs_review}、"
                  "エラー {errors}、警告 {warnings}").format(**t)]
    return "\n".join(out)
