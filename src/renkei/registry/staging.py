"""Uploads waiting for their uploader's confirmation: the only code that reads or writes ``pending_uploads``.

A published list is read and validated once, at the preview; what is kept until the person confirms is
that checked report (serialised here: every entry with its resolution, reasons as key and parameters, every
problem as a catalogue message), never the file's bytes. The confirmation writes the kept report as it
was shown (:func:`.imports.import_report`): nothing is read, resolved or validated a second time.

A ward project template likewise (``kind`` projects): its checked records (:func:`.changes.read_template`)
are kept, and the confirmation applies exactly those (:func:`.changes.apply_template`), never the bytes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..documents.model import Cell, PublishedList
from ..documents.projects import ProjectFile, ProjectRecord, RowProblems
from ..i18n import Message, message_from_json, message_to_json
from ..reasons import Reason
from ..resolve import Candidate, Resolution
from ..validate import Entry, PrefectureReport, Problem, Report
from .base import Core, now
from .changes import TemplateResult
from .schema import PendingUpload

FORMAT_VERSION = 1  # of the serialised report: a staged upload in another version is refused, not misread


@dataclass(slots=True)
class Staged:
    """An upload taken back for its confirmation: the checked report of a list, or a template's checked records."""

    filename: str
    kind: str  # documents.classify: "list" or "projects"
    report: Report | None = None
    template: TemplateResult | None = None


def keep(core: Core, user_id: int, filename: str, *, report: Report | None = None,
         template: TemplateResult | None = None) -> str:
    """Keep a checked upload, a list's ``report`` or a template's records (one per person: a new one replaces
    the last), and return its confirmation token."""
    if report is not None and template is None:
        kind, checked = "list", report_to_json(report)
    elif template is not None and report is None:
        kind, checked = "projects", template_to_json(template)
    else:
        raise ValueError("keep a report or a template")
    token = secrets.token_urlsafe(24)
    with core.Session.begin() as s:
        forget_user(s, user_id)
        s.add(PendingUpload(token=token, user_id=user_id, filename=filename, kind=kind, created_at=now(),
                            checked=checked, data=None))
    return token


def take(core: Core, token: str, user_id: int) -> Staged | None:
    """The upload behind ``token`` if it is ``user_id``'s, removed: one DELETE … RETURNING, so of two confirmations
    of the same token (a double click, two tabs) exactly one gets it and the other a 404."""
    columns = (PendingUpload.filename, PendingUpload.kind, PendingUpload.checked)
    with core.Session.begin() as s:
        row = s.execute(delete(PendingUpload).where(PendingUpload.token == token, PendingUpload.user_id == user_id)
                        .returning(*columns)).one_or_none()
    if row is None or row.checked is None:  # a template kept as bytes by an older version: upload again
        return None
    filename, kind, checked = row
    if kind == "projects":
        return Staged(filename, kind, template=template_from_json(checked))
    return Staged(filename, kind, report=report_from_json(checked))


def forget_user(s: Session, user_id: int) -> None:
    """Drop a person's waiting upload (a new upload replaces it; a removed account leaves none)."""
    s.execute(delete(PendingUpload).where(PendingUpload.user_id == user_id))


# -- the checked report, as JSON ------------------------------------------------------------------------------

def report_to_json(report: Report) -> dict[str, Any]:
    d = report.document
    return {"version": FORMAT_VERSION,
            "document": {"source": d.source, "format": d.format, "encoding": d.encoding, "title": d.title,
                         "as_of": d.as_of, "sha256": d.sha256},
            "prefectures": [{"written": p.written, "prefecture": p.prefecture, "code": p.code, "declared": p.declared,
                             "local_governments": p.local_governments,
                             "problems": [_problem_json(q) for q in p.problems],
                             "entries": [[e.row, e.col, e.where, _resolution_json(e.resolution)] for e in p.entries]}
                            for p in report.prefectures],
            "missing_prefectures": report.missing_prefectures,
            "problems": [_problem_json(q) for q in report.problems]}


def report_from_json(data: dict[str, Any]) -> Report:
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"staged report version {data.get('version')!r}")
    document = PublishedList(blocks=[], **data["document"])
    prefectures = [PrefectureReport(p["written"], p["prefecture"], p["code"], p["declared"],
                                    [Entry(row, col, where, _resolution(r)) for row, col, where, r in p["entries"]],
                                    p["local_governments"], [_problem(q) for q in p["problems"]])
                   for p in data["prefectures"]]
    return Report(document, prefectures, list(data["missing_prefectures"]), [_problem(q) for q in data["problems"]])


def template_to_json(template: TemplateResult) -> dict[str, Any]:
    """The good records of a template read once (a file with bad rows is never kept) and the file's identity."""
    f = template.file
    return {"version": FORMAT_VERSION,
            "file": {"source": f.source, "format": f.format, "encoding": f.encoding, "sha256": f.sha256,
                     "rows": f.rows},
            "records": [_record_json(r) for r in template.records]}


def template_from_json(data: dict[str, Any]) -> TemplateResult:
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"staged template version {data.get('version')!r}")
    return TemplateResult(ProjectFile(**data["file"]), RowProblems(),
                          records=[_record(r) for r in data["records"]])


def _record_json(r: ProjectRecord) -> dict[str, Any]:
    return {"row": r.row, "sheet": r.sheet, "wards": list(r.wards), "partner_prefecture": r.partner_prefecture,
            "partners": [_cell_json(c) for c in r.partners], "title": r.title, "field": r.field,
            "fiscal_year": r.fiscal_year, "start": r.start, "end": r.end, "summary": r.summary, "url": r.url,
            "ward_cell": _cell_json(r.ward_cell) if r.ward_cell else None}


def _record(d: dict[str, Any]) -> ProjectRecord:
    return ProjectRecord(**{**d, "wards": tuple(d["wards"]), "partners": tuple(Cell(*c) for c in d["partners"]),
                            "ward_cell": Cell(*d["ward_cell"]) if d["ward_cell"] else None})


def _cell_json(c: Cell) -> list[object]:
    return [c.text, c.row, c.col, c.sheet, c.page]


def _resolution_json(r: Resolution) -> dict[str, Any]:
    return {"input": r.input, "status": r.status, "code": r.code, "name": r.name, "prefecture": r.prefecture,
            "reasons": [x.stored() for x in r.reasons],
            "candidates": [[c.code, c.name, c.prefecture, c.score, c.cost] for c in r.candidates],
            "given_prefecture": r.given_prefecture, "flags": list(r.flags),
            "parts": [_resolution_json(p) for p in r.parts], "query": r.query}


def _resolution(d: dict[str, Any]) -> Resolution:
    return Resolution(d["input"], d["status"], d["code"], d["name"], d["prefecture"],
                      tuple(Reason.from_stored(x) for x in d["reasons"]),
                      tuple(Candidate(*c) for c in d["candidates"]), d["given_prefecture"], tuple(d["flags"]),
                      tuple(_resolution(p) for p in d["parts"]), d["query"])


def _problem_json(p: Problem) -> dict[str, Any]:
    return {"kind": p.kind, "severity": p.severity, "text": message_to_json(p.text)}


def _problem(d: dict[str, Any]) -> Problem:
    text = message_from_json(d["text"])  # a Message, or text as it was kept
    return Problem(d["kind"], text if isinstance(text, Message) else str(text), d["severity"])
