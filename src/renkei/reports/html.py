"""The validation report as one self-contained HTML page (Japanese), to mail round or print."""

from __future__ import annotations

from ..templating import render as render_template
from ..validate import Report


def render(report: Report, attribution: list[str] | None = None) -> str:
    from ..directory import load
    from .grouping import group_problems

    changed = [(p, e) for p in report.prefectures for e in p.entries if e.resolution.status != "exact"]
    return render_template("check_report.html", report=report, d=report.document, totals=report.totals,
                           changed=changed, groups=group_problems(report),
                           attribution=attribution or load().attribution)
