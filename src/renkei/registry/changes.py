"""Projects and their approvals: what a ward reports waits for the secretariat before anyone sees it.

A ward editor's form edit or template upload never writes ``projects`` (what the public sees) and
never makes a list. It records :class:`ProjectChange`\\ s — add, edit or delete one project — that wait
as 承認待ち until an admin approves or rejects them, one by one or all of one ward's at once. An
admin's own changes are approved as they are made. Deleting is a change like any other: the approved
deletion hides the project from the public and keeps it, with its history, in the database.

The summary list is made from approved projects only, on purpose, by :func:`derive`: a draft that the
admin compares with the last edition and publishes.

Proposing is here; deciding (approve, reject, withdraw, replace) and applying are in :mod:`.workflow`, the
one writer of change states, and who may do what in :mod:`.permissions`, checked on the server whatever
the form sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..documents.model import Cell
from ..documents.projects import ProjectFile, ProjectRecord, RowProblems
from ..i18n import N_, _, gettext
from . import imports, locks, permissions, projects, visibility, workflow
from .base import ConflictError, Core, PermissionDenied, Progress, RegistryError, iso, now
from .schema import Project, ProjectChange, ProjectPartner, ProjectWard, ReviewDecision, table_of

if TYPE_CHECKING:
    from ..validate import Report

FIELDS = projects.PROJECT_FIELDS
# a proposed project has every field (the approval page compares them all), empty unless given
BLANK = {"field": None, "fiscal_year": None, "start_date": None, "end_date": None, "summary": "", "source_url": ""}
BATCH = 500
TEMPLATE_LOCK = "project-templates"  # held by every template import while it reads and writes (:mod:`.locks`)


# how a change's action and state read (gettext when shown)
CHANGE_ACTIONS = {"create": N_("追加"), "update": N_("変更"), "delete": N_("削除")}
CHANGE_STATES = {"pending": N_("承認待ち"), "approved": N_("承認済み"), "rejected": N_("却下"),
                 "superseded": N_("置き換え済み")}


@dataclass(frozen=True, slots=True)
class ChangeView:
    """A change as people read it: the proposed project, and the project as it is now (for an edit)."""

    id: int
    action: str  # create | update | delete
    state: str  # pending | approved | rejected | superseded
    project_id: int | None
    base_version: int | None
    ward_code: str
    ward_name: str
    values: dict
    current: dict | None  # the approved project now (update, delete)
    source: str
    proposed_by: str
    proposed_at: str
    decided_by: str | None
    decided_at: str | None
    reason: str
    reopens_id: int | None = None  # the rejected change this one proposes again, corrected

    @property
    def title(self) -> str:
        return str((self.values or self.current or {}).get("title", ""))

    @property
    def action_label(self) -> str:
        return gettext(CHANGE_ACTIONS[self.action])

    @property
    def state_label(self) -> str:
        return gettext(CHANGE_STATES[self.state])

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(slots=True)
class TemplateResult:
    """What a project template did (or, for a preview, would do) to the projects."""

    file: ProjectFile
    problems: RowProblems
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    approved: bool = False
    change_ids: list[int] = field(default_factory=list)
    report: Report | None = None  # the corrections found in the good rows (names that were not exact)
    records: list[ProjectRecord] = field(default_factory=list)  # the good rows, as read once

    @property
    def changes(self) -> int:
        return self.created + self.updated


# -- proposing ------------------------------------------------------------------------------------------------

def propose_create(core: Core, *, title: str, wards: list[str], partners: list[str], actor: str,
                   actor_ward: str | None = None, reopens: int | None = None, **values: object) -> ChangeView:
    """Add a project: pending for a ward editor (``actor_ward``), applied at once for an admin.

    ``reopens``: the rejected change this one proposes again (see :func:`_new_change`).
    """

    projects._check_codes(core, wards, partners)
    if not wards:
        raise RegistryError(_("区を1つ以上選んでください"))
    permissions.check_propose(actor_ward, wards, _ward_name(core))
    proposed = {**BLANK, **_jsonable_values(projects._values({"title": title, **values})),
                "wards": list(dict.fromkeys(wards)), "partners": _partners_of(core, partners)}
    with workflow.conflicts_as_errors(), core.Session.begin() as s:
        change = _new_change(s, "create", actor_ward or wards[0], proposed, None, None, actor, "form",
                             reopens=_reopened(s, reopens, actor_ward))
        if not actor_ward:
            workflow.approve_in(core, s, [change], actor)
        return _view(core, s, change)


def propose_update(core: Core, project_id: int, expected_version: int, changes: dict[str, Any], *,
                   actor: str, actor_ward: str | None = None, pending_seen: int | None = None,
                   reopens: int | None = None) -> ChangeView:
    """Edit a project if it is still at ``expected_version`` (and its pending change is still ``pending_seen``,
    the one the editor was shown; 0 for none, None not to check); else :class:`ConflictError`.
    ``reopens``: the rejected change this one proposes again."""

    yours = {**changes, "version": expected_version}
    try:
        with workflow.conflicts_as_errors():
            return _propose_update(core, project_id, expected_version, changes, actor, actor_ward, pending_seen,
                                   reopens)
    except workflow.ChangeConflict as exc:  # a concurrent writer committed first: show both versions
        if isinstance(exc.__cause__, StaleDataError):
            raise ConflictError(project_id, yours, projects.get(core, project_id).as_dict()) from None
        raise


def _propose_update(core: Core, project_id: int, expected_version: int, changes: dict[str, Any], actor: str,
                    actor_ward: str | None, pending_seen: int | None, reopens: int | None) -> ChangeView:
    with core.Session.begin() as s:
        p, current, pending = _for_change(core, s, project_id, expected_version, actor_ward, pending_seen, changes)
        shown = pending.values if pending is not None and pending.values is not None else current
        base = {k: v for k, v in shown.items() if k != "id"}
        proposed = {**base}
        wards = changes.pop("wards", None)
        partners = changes.pop("partners", None)
        proposed.update(_jsonable_values(projects._values(changes)))
        if wards is not None:
            projects._check_codes(core, list(wards), [])
            if not wards:
                raise RegistryError(_("区を1つ以上選んでください"))
            permissions.check_wards(actor_ward, current["wards"], wards, _ward_name(core))
            proposed["wards"] = list(dict.fromkeys(wards))
        if partners is not None:
            projects._check_codes(core, [], list(partners))
            proposed["partners"] = _partners_of(core, list(partners))
        projects._values({k: proposed[k] for k in ("start_date", "end_date") if k in proposed})  # end ≥ start
        rejected = _reopened(s, reopens, actor_ward, project_id=p.id)
        change = _new_change(s, "update", actor_ward or current["wards"][0], proposed, p.id, p.version, actor,
                             "form", supersede=pending, reopens=rejected, base=base)
        if not actor_ward:
            workflow.approve_in(core, s, [change], actor)
        return _view(core, s, change)


def propose_delete(core: Core, project_id: int, expected_version: int, *, actor: str,
                   actor_ward: str | None = None, pending_seen: int | None = None, reason: str = "") -> ChangeView:
    """Delete a project: once approved it is hidden from the public and kept in the database."""

    with workflow.conflicts_as_errors(), core.Session.begin() as s:
        p, current, pending = _for_change(core, s, project_id, expected_version, actor_ward, pending_seen, {})
        permissions.check_delete(actor_ward, current["wards"])
        change = _new_change(s, "delete", actor_ward or current["wards"][0], None, p.id, p.version, actor, "form",
                             supersede=pending, reason=reason)
        if not actor_ward:
            workflow.approve_in(core, s, [change], actor)
        return _view(core, s, change)


def _for_change(core: Core, s: Session, project_id: int, expected_version: int, actor_ward: str | None,
                pending_seen: int | None, changes: dict) -> tuple[Project, dict, ProjectChange | None]:
    """The live project, as change values, and its pending change, if the editor may change it and saw both."""
    p = s.get(Project, project_id)
    if p is None or not visibility.is_live(p):
        raise RegistryError(_("事業 {id} はありません").format(id=project_id))
    current = _project_dict(core, s, p)
    if actor_ward and actor_ward not in current["wards"]:
        raise PermissionDenied(_("事業 {id} は{ward}の事業ではありません").format(
            id=project_id, ward=core.directory[actor_ward].name))
    pending = _pending_of(s, project_id)
    if pending is not None:
        permissions.check_replace(actor_ward, pending.ward_code)
    if p.version != expected_version or (pending_seen is not None and (pending.id if pending else 0) != pending_seen):
        theirs: dict[str, Any] = projects.view(core, s, p).as_dict()
        if pending is not None:
            theirs.update(pending.values or {}, updated_by=pending.proposed_by,
                          updated_at=pending.proposed_at.isoformat(timespec="seconds"))
            theirs["wards"] = [{"code": w, "name": core.directory[w].name} for w in theirs["wards"]]
            theirs["partners"] = [{"code": x["code"], "name": x["written"], "pref_code": x["pref_code"]}
                                  for x in theirs["partners"]]
        raise ConflictError(project_id, {**changes, "version": expected_version}, theirs)
    return p, current, pending


def _new_change(s: Session, action: str, ward: str, values: dict | None, project_id: int | None,
                base_version: int | None, actor: str, source: str, *, supersede: ProjectChange | None = None,
                reason: str = "", reopens: ProjectChange | None = None, base: dict | None = None) -> ProjectChange:
    """A new pending change (replacing ``supersede``, which must still be pending; proposing ``reopens`` again).

    ``base``: the values the change was made from (the project, or the pending change it replaces), so the
    audit entry lists only the fields the editor really changed.
    """
    if supersede is not None:
        workflow.supersede(s, supersede, actor)
    change = ProjectChange(action=action, state="pending", project_id=project_id, base_version=base_version,
                           ward_code=ward, values=values, source=source, proposed_by=actor, proposed_at=now(),
                           reason=reason, reopens_id=reopens.id if reopens is not None else None)
    s.add(change)
    s.flush()  # a second reopening of the same rejection breaks the unique reopens_id: ChangeConflict
    workflow.audit_change(s, actor, "request", change.id, base,
                          {"change": action, "project_id": project_id, **(values or {}),
                           **({"reopens": reopens.id} if reopens is not None else {})})
    return change


def _reopened(s: Session, change_id: int | None, actor_ward: str | None, *,
              project_id: int | None = None) -> ProjectChange | None:
    """The rejected change a new one proposes again: the secretariat's rejection, of the actor's ward, of the
    same project, not yet proposed again."""
    if not change_id:
        return None
    old = s.scalar(select(ProjectChange).where(ProjectChange.id == change_id, workflow.rejected_by_secretariat()))
    if old is None or old.project_id != project_id or old.action == "delete":
        raise RegistryError(_("申請番号 {id} は再申請できる却下された申請ではありません（すでに再申請されたか、"
                              "別の事業の申請です）").format(id=change_id))
    permissions.check_reopen(actor_ward, old.ward_code)
    return old


def _ward_name(core: Core) -> permissions.WardName:
    return lambda code: core.directory[code].name


# -- templates ------------------------------------------------------------------------------------------------

def import_template(core: Core, path: str | Path, *, actor: str, actor_ward: str | None = None,
                    data: bytes | None = None, format: str | None = None, encoding: str | None = None,
                    dry_run: bool = False, progress: Progress | None = None) -> TemplateResult:
    """Read a project template once (:func:`read_template`) and, unless ``dry_run``, apply what was read
    (:func:`apply_template`): the CLI's ``renkei import`` of a template."""
    result = read_template(core, path, actor_ward=actor_ward, data=data, format=format, encoding=encoding)
    return result if dry_run else apply_template(core, result, actor=actor, actor_ward=actor_ward, progress=progress)


def read_template(core: Core, path: str | Path, *, actor_ward: str | None = None, data: bytes | None = None,
                  format: str | None = None, encoding: str | None = None) -> TemplateResult:
    """Read and check a project template once: its good records, every bad row, and what applying them now
    would do (adds, edits, unchanged; the report of the names that were corrected).

    Nothing is written: the upload preview shows this and :mod:`.staging` keeps its records until the person
    confirms, when :func:`apply_template` writes exactly them (the file is never read again).
    """
    from ..aggregate import checked_records, derive_list
    from ..documents.projects import read_projects
    from ..validate import check

    file = str(path)
    info, problems = ProjectFile(file, ""), RowProblems()
    result = TemplateResult(info, problems, approved=actor_ward is None)
    result.records = list(checked_records(read_projects(path, format=format, encoding=encoding, data=data,
                                                        info=info, problems=problems),
                                          core.resolver, problems, file=file, ward=actor_ward))
    with core.Session() as s:
        _plan(core, s, result, actor_ward)
    if not problems:
        result.report = check(derive_list(iter(result.records), source=file, resolver=core.resolver,
                                          format="projects"), core.resolver)
    return result


def apply_template(core: Core, checked: TemplateResult, *, actor: str, actor_ward: str | None = None,
                   progress: Progress | None = None) -> TemplateResult:
    """Turn the records of a template read by :func:`read_template` into changes: an add, or an edit of the
    same project.

    A row is the same project as an existing one when it has the same 区, 事業名, 年度 and 連携先; then its
    other columns (分野, dates, 概要, 出典URL) are compared, against the projects as they are now, and an edit
    is proposed if they differ. Rows of a ward editor wait for approval; an admin's are approved at once.
    Nothing is written while any row is bad (every bad row is reported, up to a cap, with the total); the
    wards are checked again against ``actor_ward`` (cheap, no reading), in case the account changed since.

    Imports serialise on :data:`TEMPLATE_LOCK`, taken before the existing projects are read, so two
    imports of the same new project at the same moment create it once: the second waits, sees it and
    reports it unchanged.
    """
    from ..aggregate import checked_records
    from ..documents.model import DocumentError

    info, file = checked.file, checked.file.source
    problems = checked.problems
    records = checked.records if problems else list(checked_records(checked.records, core.resolver,
                                                                    problems := RowProblems(), file=file,
                                                                    ward=actor_ward))
    if problems:
        raise DocumentError(problems.summary() + "\n" + "\n".join(str(e) for e in problems.items), file=file)
    result = TemplateResult(info, problems, approved=actor_ward is None, records=records)
    with workflow.conflicts_as_errors(), core.Session.begin() as s:
        locks.hold(s, TEMPLATE_LOCK)  # first: a concurrent import of the same file waits, then reads its projects
        decisions = {(d.pref_code, d.written): d.code for d in s.scalars(select(ReviewDecision))}
        plan = _plan(core, s, result, actor_ward)
        done = 0
        for start in range(0, len(plan), BATCH):
            done += _write_plan(core, s, plan[start:start + BATCH], decisions, actor, actor_ward, file, result)
            if progress:
                progress(done)
        if progress:
            progress(info.rows)
        workflow.audit_change(s, actor, "import", 0, None,
               {"source": Path(file).name, "sha256": info.sha256, "created": result.created,
                "updated": result.updated, "unchanged": result.unchanged, "approved": result.approved})
    return result


def _plan(core: Core, s: Session, result: TemplateResult, actor_ward: str | None
          ) -> list[tuple[str, ProjectRecord, int | None]]:
    """What each record would do to the projects as they are now (counted in ``result``): an add, an edit of
    the project with the same key, or nothing."""
    existing = _existing_keys(core, s, actor_ward)
    plan: list[tuple[str, ProjectRecord, int | None]] = []
    result.created = result.updated = result.unchanged = 0
    for record in result.records:
        key = _record_key(core, record)
        found = existing.get(key)
        if found is None:
            result.created += 1
            plan.append(("create", record, None))
            existing[key] = (-1, _comparable(record))  # a repeated row in the file is the same project
        elif found[0] == -1 or found[1] == _comparable(record):
            result.unchanged += 1
        else:
            result.updated += 1
            plan.append(("update", record, found[0]))
    return plan


def _write_plan(core: Core, s: Session, plan: list, decisions: dict, actor: str, actor_ward: str | None,
                file: str, result: TemplateResult) -> int:

    if not plan:
        return 0
    stamp, name = now(), Path(file).name
    versions = dict(s.execute(select(Project.id, Project.version)
                              .where(Project.id.in_([pid for _, _, pid in plan if pid]))).all())
    rows = []
    for action, record, pid in plan:
        values: dict[str, Any] = {**_record_values(record),
                                  "wards": [w.code for w in _wards_of(core, record, file)],
                                  "partners": _record_partners(core, record, decisions)}
        rows.append({"action": action, "state": "pending", "project_id": pid,
                     "base_version": versions.get(pid) if pid else None,
                     "ward_code": actor_ward or values["wards"][0], "values": values,
                     "source": f"{name} {record.sheet + ' ' if record.sheet else ''}{record.row}行目",
                     "proposed_by": actor, "proposed_at": stamp, "decided_by": None, "decided_at": None,
                     "reason": ""})
    table = table_of(ProjectChange)
    for (*_kinds, pid), row in zip(plan, rows, strict=True):  # an edit replaces a pending edit of the project
        if pid:
            old = _pending_of(s, pid)
            if old is not None:
                _check_replace(core, actor_ward, old, str(row["source"]))
                workflow.supersede(s, old, actor)
    ids = s.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).all()
    result.change_ids.extend(ids)
    if actor_ward is None:
        workflow.approve_in(core, s, list(s.scalars(select(ProjectChange).where(ProjectChange.id.in_(ids))
                                                    .order_by(ProjectChange.id))), actor, audit_each=False)
    return len(plan)


def _check_replace(core: Core, actor_ward: str | None, pending: ProjectChange, source: str) -> None:
    """The form's rule on the template path: a row never replaces another ward's pending change, unseen."""
    try:
        permissions.check_replace(actor_ward, pending.ward_code)
    except PermissionDenied as exc:
        raise PermissionDenied(_("{source}: {error}（承認待ちの変更は{ward}のものです）").format(
            source=source, error=exc, ward=core.directory[pending.ward_code].name)) from None


def _existing_keys(core: Core, s: Session, ward: str | None) -> dict[tuple, tuple[int, tuple]]:
    """(区, 事業名, 年度, 連携先) → (project id, the other columns) for the live projects (of ``ward``)."""
    q = select(Project).where(visibility.live_projects())
    if ward:
        q = q.where(Project.id.in_(select(ProjectWard.project_id).where(ProjectWard.ward_code == ward)))
    wards: dict[int, set[str]] = {}
    partners: dict[int, set[str]] = {}
    for pid, w in s.execute(select(ProjectWard.project_id, ProjectWard.ward_code)):
        wards.setdefault(pid, set()).add(w)
    for pid, written in s.execute(select(ProjectPartner.project_id, ProjectPartner.written)):
        partners.setdefault(pid, set()).add(written)
    out = {}
    for p in s.scalars(q.execution_options(yield_per=BATCH)):
        key = (frozenset(wards.get(p.id, ())), p.title, p.fiscal_year, frozenset(partners.get(p.id, ())))
        out[key] = (p.id, (p.field, iso(p.start_date), iso(p.end_date), p.summary, p.source_url))
    return out


def _record_key(core: Core, record: ProjectRecord) -> tuple:
    wards = frozenset(w.code for w in _wards_of(core, record, ""))
    return wards, record.title, record.fiscal_year, frozenset(c.text for c in record.partners)


def _comparable(record: ProjectRecord) -> tuple:
    return record.field, record.start, record.end, record.summary, record.url


def _wards_of(core: Core, record: ProjectRecord, file: str) -> list:
    from ..aggregate import resolve_wards

    return list({w.code: w for w in resolve_wards(record, core.resolver, file)}.values())


def _record_values(record: ProjectRecord) -> dict[str, object]:
    return {"title": record.title, "field": record.field, "fiscal_year": record.fiscal_year,
            "start_date": record.start, "end_date": record.end, "summary": record.summary, "source_url": record.url}


def _record_partners(core: Core, record: ProjectRecord, decisions: dict) -> list[dict[str, object]]:
    """The partners of a row as written, each with its code (earlier review decisions applied)."""
    from ..aggregate import partner_prefecture

    out, seen = [], set()
    for cell in record.partners:
        pref = partner_prefecture(record, cell, core.resolver)
        res = core.resolver.resolve_cached(cell.text, pref)
        pref_entity = core.directory.prefecture(pref) if pref else None
        pc = pref_entity.code if pref_entity else ""
        code = decisions.get((pc, cell.text), res.code) if res.needs_review else res.code
        if code and code in seen:
            continue
        if code:
            seen.add(code)
        out.append({"code": code, "written": cell.text, "pref_code": pc})
    return out


# -- deciding (in :mod:`.workflow`, the one writer of change states) --------------------------------------------

def approve(core: Core, change_ids: Iterable[int] = (), *, ward: str | None = None, actor: str) -> int:
    """Approve exactly the given pending changes, or every pending change of ``ward``; returns how many."""
    return workflow.approve(core, change_ids, ward=ward, actor=actor)


def reject(core: Core, change_id: int, *, actor: str, reason: str = "") -> ChangeView:
    workflow.reject(core, change_id, actor=actor, reason=reason)
    with core.Session() as s:
        return _view(core, s, s.get_one(ProjectChange, change_id))


def withdraw_change(core: Core, change_id: int, *, actor: str, actor_ward: str | None = None) -> None:
    """The proposer's ward takes back a pending change (recorded as rejected, by its own editor)."""
    workflow.withdraw(core, change_id, actor=actor, actor_ward=actor_ward)


# -- reading --------------------------------------------------------------------------------------------------

def changes(core: Core, *, state: str | None = "pending", ward: str | None = None, project: int | None = None,
            limit: int = 500, offset: int = 0) -> list[ChangeView]:
    """Changes in id order (pending by default), of one ward or one project; ``state='decided'``: the decided
    ones, newest first."""
    q = select(ProjectChange).order_by(ProjectChange.id)
    if state == "decided":
        q = select(ProjectChange).where(ProjectChange.state != "pending").order_by(ProjectChange.id.desc())
    elif state:
        q = q.where(ProjectChange.state == state)
    if ward:
        q = q.where(ProjectChange.ward_code == ward)
    if project:
        q = q.where(ProjectChange.project_id == project)
    with core.Session() as s:
        return [_view(core, s, c) for c in s.scalars(q.limit(limit).offset(offset))]


def rejections(core: Core, ward: str | None, *, limit: int = 100) -> tuple[int, list[ChangeView]]:
    """The changes the secretariat rejected that their ward has not proposed again (how many, the newest first),
    of one ward or of all: what the ward's dashboard shows with each reason."""
    from sqlalchemy import func

    where = [workflow.rejected_by_secretariat(), *([ProjectChange.ward_code == ward] if ward else [])]
    with core.Session() as s:
        total = s.scalar(select(func.count()).select_from(ProjectChange).where(*where)) or 0
        found = s.scalars(select(ProjectChange).where(*where).order_by(ProjectChange.id.desc()).limit(limit))
        return total, [_view(core, s, c) for c in found]


def reopenable(core: Core, change_id: int, *, actor_ward: str | None) -> ChangeView:
    """A rejected change its ward may propose again (for the form, pre-filled with its values)."""
    with core.Session() as s:
        found = s.get(ProjectChange, change_id)
        old = _reopened(s, change_id, actor_ward, project_id=found.project_id if found else None)
        assert old is not None  # given a change id, _reopened returns that change or refuses
        return _view(core, s, old)


def pending_counts(core: Core) -> dict[str, int]:
    """Pending changes per ward code."""
    from sqlalchemy import func

    with core.Session() as s:
        return dict(s.execute(select(ProjectChange.ward_code, func.count()).where(ProjectChange.state == "pending")
                              .group_by(ProjectChange.ward_code).order_by(ProjectChange.ward_code)).all())


def pending_change(core: Core, project_id: int, *, actor_ward: str | None = None) -> ChangeView | None:
    """The project's pending change, if the reader may see it (an admin; the editor of the ward whose change it
    is). Another ward's editor sees the approved project only: no pending values, no proposer."""
    with core.Session() as s:
        c = _pending_of(s, project_id)
        if c is None or not permissions.may_see_pending(actor_ward, c.ward_code):
            return None
        return _view(core, s, c)


def _pending_of(s: Session, project_id: int) -> ProjectChange | None:
    return s.scalar(select(ProjectChange).where(ProjectChange.project_id == project_id,
                                                ProjectChange.state == "pending")
                    .order_by(ProjectChange.id.desc()).limit(1))


def _view(core: Core, s: Session, c: ProjectChange) -> ChangeView:
    current = None
    if c.project_id is not None and c.action != "create":
        p = s.get(Project, c.project_id)
        current = _project_dict(core, s, p) if p is not None else None
    return ChangeView(c.id, c.action, c.state, c.project_id, c.base_version, c.ward_code,
                      core.directory[c.ward_code].name, _named(core, c.values), _named(core, current), c.source,
                      c.proposed_by, c.proposed_at.isoformat(timespec="seconds"), c.decided_by,
                      c.decided_at.isoformat(timespec="seconds") if c.decided_at else None, c.reason,
                      c.reopens_id)


def _named(core: Core, values: dict | None) -> dict:
    """Values with ward names, for people (partners are shown by code as labels: ``place_label``; a bare name such
    as 「府中市」 would not say which one)."""
    if values is None:
        return {}
    return {**values, "ward_names": [core.directory[w].name for w in values.get("wards", [])]}


def _project_dict(core: Core, s: Session, p: Project) -> dict[str, Any]:
    """An approved project as change values: the fields, ward codes and partners."""
    values = {k: getattr(p, k) for k in FIELDS}
    values["start_date"], values["end_date"] = iso(p.start_date), iso(p.end_date)
    values["wards"] = list(s.scalars(select(ProjectWard.ward_code).where(ProjectWard.project_id == p.id)
                                     .order_by(ProjectWard.ward_code)))
    values["partners"] = [{"code": x.code, "written": x.written, "pref_code": x.pref_code} for x in
                          s.scalars(select(ProjectPartner).where(ProjectPartner.project_id == p.id)
                                    .order_by(ProjectPartner.id))]
    values["id"] = p.id
    return values


def _partners_of(core: Core, codes: list[str]) -> list[dict[str, object]]:
    d = core.directory
    return [{"code": c, "written": d[c].name, "pref_code": d[c].pref_code} for c in dict.fromkeys(codes)]


def _jsonable_values(values: dict[str, object]) -> dict[str, object]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


# -- deriving the list ----------------------------------------------------------------------------------------

def approved_records(core: Core, s: Session) -> Iterator[ProjectRecord]:
    """Every approved, live project as a record, one per partner prefecture (streamed)."""
    d = core.directory
    wards: dict[int, list[str]] = {}
    for pid, w in s.execute(select(ProjectWard.project_id, ProjectWard.ward_code).order_by(ProjectWard.ward_code)):
        wards.setdefault(pid, []).append(d[w].name)
    q = (select(Project, ProjectPartner).join(ProjectPartner, ProjectPartner.project_id == Project.id)
         .where(visibility.live_projects()).order_by(Project.id, ProjectPartner.id))
    group: dict[tuple[int, str], list] = {}
    last = None

    def flush() -> Iterator[ProjectRecord]:
        for (_pid, pc), items in group.items():
            p = items[0][0]
            cells = tuple(Cell(d[x.code].name if x.code else x.written, 1, 3, f"事業#{p.id}") for _p, x in items)
            yield ProjectRecord(row=p.id, sheet=f"事業#{p.id}", wards=tuple(wards.get(p.id, ())),
                                partner_prefecture=d[pc].name if pc else "", partners=cells, title=p.title,
                                field=p.field, fiscal_year=p.fiscal_year, start=iso(p.start_date),
                                end=iso(p.end_date), summary=p.summary, url=p.source_url)
        group.clear()

    for p, x in s.execute(q.execution_options(yield_per=BATCH)):
        if last is not None and p.id != last:
            yield from flush()
        last = p.id
        group.setdefault((p.id, x.pref_code), []).append((p, x))
    yield from flush()


def derive(core: Core, *, since: str | None, until: str | None, as_of: str | None = None, note: str = "",
           actor: str) -> imports.ImportResult:
    """A draft list from the approved projects active between ``since`` and ``until``.

    The public as-of date is the admin's to choose (``as_of``, by default ``until``). Deriving the same
    content twice is refused as a duplicate, naming the snapshot it would repeat.
    """
    from ..aggregate import derive_list

    if not (since and until):
        raise RegistryError("期間（--since と --until）を指定してください")
    if until < since:
        raise RegistryError(f"期間の終わり {until} が始め {since} より前です")
    with core.Session() as s:
        document = derive_list(approved_records(core, s), source="連携事業（承認済み）", resolver=core.resolver,
                               since=since, until=until, as_of=as_of or until)
    digest = hashlib.sha256()
    for b in document.blocks:
        digest.update(("\t".join([b.prefecture, *(c.text for c in b.names)]) + "\n").encode())
    document.sha256 = digest.hexdigest()
    document.source = f"連携事業（承認済み、{since}〜{until}）"
    return imports.import_list(core, document, note=note or f"連携事業から集計（{since}〜{until}）", imported_by=actor)
