"""Projects: listing and filtering, creating and editing with optimistic locking, and bulk insert from a template.

An edit names the version it read; if someone saved meanwhile, :class:`ConflictError`
carries both versions instead of one silently overwriting the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..documents.projects import ProjectRecord
from ..i18n import _
from . import audit
from .base import BATCH, ConflictError, Core, PermissionDenied, Progress, RegistryError, default_actor, iso, now
from .base import parse_date as _date
from .schema import Project, ProjectPartner, ProjectWard, ReviewDecision

PROJECT_FIELDS = ("title", "field", "fiscal_year", "start_date", "end_date", "summary", "source_url")


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: int
    version: int
    title: str
    field: str | None
    fiscal_year: int | None
    start_date: str | None
    end_date: str | None
    summary: str
    source_url: str
    wards: tuple[tuple[str, str], ...]  # (code, name)
    partners: tuple[tuple[str | None, str, str], ...]  # (code, official name or written, pref_code)
    updated_at: str
    updated_by: str

    def as_dict(self) -> dict[str, object]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["wards"] = [{"code": c, "name": n} for c, n in self.wards]
        d["partners"] = [{"code": c, "name": n, "pref_code": p} for c, n, p in self.partners]
        return d


def projects(core: Core, *, ward: str | None = None, partner: str | None = None, prefecture: str | None = None,
             field: str | None = None, year: int | None = None, limit: int = 100, offset: int = 0) -> list[ProjectView]:
    """Projects in id order, filtered by ward, partner or prefecture code, 分野 and fiscal year."""
    q = _query(ward, partner, prefecture, field, year)
    with core.Session() as s:
        return [view(core, s, p) for p in s.scalars(q.order_by(Project.id).limit(limit).offset(offset))]


def count(core: Core, *, ward: str | None = None, partner: str | None = None, prefecture: str | None = None,
          field: str | None = None, year: int | None = None) -> int:
    q = _query(ward, partner, prefecture, field, year)
    with core.Session() as s:
        return s.scalar(select(func.count()).select_from(q.subquery())) or 0


def ward_partners(core: Core, ward: str) -> list[str]:
    """The codes of every partner of a ward's projects, in code order."""
    q = (select(ProjectPartner.code).join(ProjectWard, ProjectWard.project_id == ProjectPartner.project_id)
         .where(ProjectWard.ward_code == ward, ProjectPartner.code.is_not(None)).distinct()
         .order_by(ProjectPartner.code))
    with core.Session() as s:
        return list(s.scalars(q))


def _query(ward: str | None, partner: str | None, prefecture: str | None, field: str | None,
           year: int | None):  # type: ignore[no-untyped-def]
    q = select(Project)
    if ward:
        q = q.where(Project.id.in_(select(ProjectWard.project_id).where(ProjectWard.ward_code == ward)))
    if partner:
        q = q.where(Project.id.in_(select(ProjectPartner.project_id).where(ProjectPartner.code == partner)))
    if prefecture:
        q = q.where(Project.id.in_(select(ProjectPartner.project_id).where(ProjectPartner.pref_code == prefecture)))
    if field:
        q = q.where(Project.field == field)
    if year:
        q = q.where(Project.fiscal_year == year)
    return q


def get(core: Core, project_id: int) -> ProjectView:
    with core.Session() as s:
        p = s.get(Project, project_id)
        if p is None:
            raise RegistryError(_("事業 {id} はありません").format(id=project_id))
        return view(core, s, p)


def view(core: Core, s: Session, p: Project) -> ProjectView:
    d = core.directory
    wards = tuple((w, d[w].name) for w in s.scalars(select(ProjectWard.ward_code)
                                                     .where(ProjectWard.project_id == p.id)
                                                     .order_by(ProjectWard.ward_code)))
    partners = tuple((pp.code, d[pp.code].name if pp.code else pp.written, pp.pref_code)
                     for pp in s.scalars(select(ProjectPartner).where(ProjectPartner.project_id == p.id)
                                         .order_by(ProjectPartner.id)))
    return ProjectView(p.id, p.version, p.title, p.field, p.fiscal_year, iso(p.start_date), iso(p.end_date),
                       p.summary, p.source_url, wards, partners, p.updated_at.isoformat(timespec="seconds"),
                       p.updated_by)


def add(core: Core, *, title: str, wards: list[str], partners: list[str], actor: str | None = None,
        actor_ward: str | None = None, **values: object) -> ProjectView:
    """Create a project. ``actor_ward`` (a ward editor's ward) must be among the project's wards."""
    actor = actor or default_actor()
    _check_codes(core, wards, partners)
    if actor_ward and actor_ward not in wards:
        raise PermissionDenied(_("{ward}の担当者は自分の区の事業だけを追加できます").format(
            ward=core.directory[actor_ward].name))
    with core.Session.begin() as s:
        stamp = now()
        p = Project(title=title, created_at=stamp, updated_at=stamp, updated_by=actor, **_values(values))
        s.add(p)
        s.flush()
        _set_links(core, s, p.id, wards, partners)
        audit.record(s, actor, "create", "projects", str(p.id), None, view(core, s, p).as_dict())
        return view(core, s, p)


def update(core: Core, project_id: int, expected_version: int, changes: dict[str, object], *,
           actor: str | None = None, actor_ward: str | None = None) -> ProjectView:
    """Apply ``changes`` if the project is still at ``expected_version``; else raise ConflictError."""
    actor = actor or default_actor()
    try:
        with core.Session.begin() as s:
            p = s.get(Project, project_id, with_for_update=False)
            if p is None:
                raise RegistryError(_("事業 {id} はありません").format(id=project_id))
            before = view(core, s, p)
            if actor_ward and actor_ward not in {w for w, _ in before.wards}:
                raise PermissionDenied(_("事業 {id} は{ward}の事業ではありません").format(
                    id=project_id, ward=core.directory[actor_ward].name))
            if p.version != expected_version:
                raise ConflictError(project_id, {**changes, "version": expected_version}, before.as_dict())
            wards = changes.pop("wards", None)
            partners = changes.pop("partners", None)
            if wards is not None or partners is not None:
                _check_codes(core, wards or [], partners or [])
                if actor_ward and wards is not None and actor_ward not in wards:
                    raise PermissionDenied(_("区の担当者は事業から自分の区を外せません"))
            for k, v in _values(changes).items():
                setattr(p, k, v)
            p.updated_at, p.updated_by = now(), actor
            s.flush()  # UPDATE ... WHERE version = expected: a concurrent writer makes this match nothing
            if wards is not None or partners is not None:
                _set_links(core, s, p.id, wards, partners)  # type: ignore[arg-type]
            after = view(core, s, p)
            audit.record(s, actor, "update", "projects", str(p.id), before.as_dict(), after.as_dict())
            return after
    except StaleDataError:
        theirs = get(core, project_id)
        raise ConflictError(project_id, {**changes, "version": expected_version}, theirs.as_dict()) from None


def _check_codes(core: Core, wards: list[str], partners: list[str]) -> None:
    for w in wards:
        if core.directory.get(w) not in core.directory.special_wards:
            raise RegistryError(_("「{ward}」は特別区（23区）ではありません").format(ward=w))
    for c in partners:
        if core.directory.get(c) is None:
            raise RegistryError(_("「{code}」は全国地方公共団体コードにありません").format(code=c))


def _set_links(core: Core, s: Session, pid: int, wards: list[str] | None, partners: list[str] | None) -> None:
    if wards is not None:
        s.execute(delete(ProjectWard).where(ProjectWard.project_id == pid))
        rows = [{"project_id": pid, "ward_code": w} for w in dict.fromkeys(wards)]
        s.execute(insert(ProjectWard.__table__), rows)
    if partners is not None:
        s.execute(delete(ProjectPartner).where(ProjectPartner.project_id == pid))
        rows = [{"project_id": pid, "code": c, "written": core.directory[c].name,
                 "pref_code": core.directory[c].pref_code} for c in dict.fromkeys(partners)]
        if rows:
            s.execute(insert(ProjectPartner.__table__), rows)


def insert_records(core: Core, s: Session, snapshot_id: int, records: Iterable[ProjectRecord], actor: str,
                   progress: Progress | None, file: str) -> Iterator[ProjectRecord]:
    """Insert projects in batches while passing each record on (to derive the list): bounded memory."""
    from ..aggregate import partner_prefecture, resolve_wards

    resolver = core.resolver
    decisions = {(d.pref_code, d.written): d.code for d in s.scalars(select(ReviewDecision)
                                                                      .where(ReviewDecision.undone_at.is_(None)))}
    batch: list[ProjectRecord] = []
    done = 0

    def flush() -> None:
        nonlocal done
        stamp = now()
        values = [{"title": r.title, "field": r.field, "fiscal_year": r.fiscal_year,
                   "start_date": _date(r.start), "end_date": _date(r.end), "summary": r.summary,
                   "source_url": r.url, "snapshot_id": snapshot_id, "source_row": r.row, "created_at": stamp,
                   "updated_at": stamp, "updated_by": actor, "version": 1} for r in batch]
        table = Project.__table__
        ids = s.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), values).all()
        wards, partners = [], []
        for pid, r in zip(ids, batch, strict=True):
            for w in dict.fromkeys(w.code for w in resolve_wards(r, resolver, file)):
                wards.append({"project_id": pid, "ward_code": w})
            seen: set[str] = set()
            for cell in r.partners:
                pref = partner_prefecture(r, cell, resolver)
                res = resolver.resolve_cached(cell.text, pref)
                pc = core.directory.prefecture(pref).code if pref else ""  # type: ignore[union-attr]
                code = decisions.get((pc, cell.text), res.code) if res.needs_review else res.code
                if code in seen:
                    continue
                if code:
                    seen.add(code)
                partners.append({"project_id": pid, "pref_code": pc, "written": cell.text, "code": code})
        if wards:
            s.execute(insert(ProjectWard.__table__), wards)
        if partners:
            s.execute(insert(ProjectPartner.__table__), partners)
        done += len(batch)
        batch.clear()
        if progress:
            progress(done)

    for record in records:
        batch.append(record)
        yield record
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()


def _values(values: dict[str, object]) -> dict[str, object]:
    from ..documents.projects import FIELDS

    out: dict[str, object] = {}
    for k, v in values.items():
        if k not in PROJECT_FIELDS:
            raise RegistryError(_("事業に項目「{field}」はありません").format(field=k))
        if k in ("start_date", "end_date"):
            v = _date(v) if isinstance(v, str) else v
        if k == "field" and v is not None and v not in FIELDS:
            raise RegistryError(_("分野「{value}」は {fields} のどれでもありません").format(
                value=v, fields="、".join(FIELDS)))
        if k == "title" and not (isinstance(v, str) and v.strip()):
            raise RegistryError(_("事業名は空にできません"))
        out[k] = v
    start, end = out.get("start_date"), out.get("end_date")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        raise RegistryError(_("終了日が開始日より前です"))
    return out
