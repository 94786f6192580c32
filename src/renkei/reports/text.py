"""The terminal form of a validation report: short, in reading order, nothing hidden."""

from __future__ import annotations

from ..textfmt import table
from ..validate import Report


def render(report: Report) -> str:
    d = report.document
    out = [f"source:  {d.source}  ({d.format}{', ' + d.encoding if d.encoding else ''})",
           f"title:   {d.title or '-'}",
           f"as of:   {d.as_of or 'unknown (use --as-of)'}", ""]
    rows = []
    for p in report.prefectures:
        cov = f"{p.coverage:.1%}" if p.coverage is not None else "-"
        rows.append((p.prefecture or p.written, p.declared, p.listed, p.resolved, cov, len(p.needs_review),
                     sum(q.severity == "error" for q in p.problems)))
    out.append(table(["prefecture", "declared", "listed", "resolved", "coverage", "review", "problems"], rows))
    changed = [(p, e) for p in report.prefectures for e in p.entries if e.resolution.status != "exact"]
    if changed:
        out += ["", "Names that were not an exact match:"]
        out.append(table(["cell", "written", "status", "code", "official", "reason"],
                         [(e.where, e.resolution.input, e.resolution.status, e.resolution.code,
                           e.resolution.name, e.resolution.reason) for _, e in changed]))
        for _, e in changed:
            r = e.resolution
            if r.status in ("ambiguous", "unresolved") and r.candidates:
                listed = ", ".join(f"{c.prefecture}{c.name}({c.code}) {c.score:.2f}" for c in r.candidates)
                out.append(f"  {e.where} {r.input}: candidates: {listed}")
    problems = report.all_problems
    if problems:
        out += ["", "Problems:"]
        out += [f"  [{p.severity}] {p.kind}: {p.message}" for p in problems]
    t = report.totals
    out += ["", f"totals: declared {t['declared']}, listed {t['listed']}, resolved {t['resolved']}, "
                f"needs review {t['needs_review']}, errors {t['errors']}, warnings {t['warnings']}"]
    return "\n".join(out)
