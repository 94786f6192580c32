"""Projects as the public sees them: listing and filtering the approved, not deleted projects.

Every change to a project (add, edit, delete) goes through :mod:`.changes`, which waits for an
admin's approval and keeps optimistic locking (an edit names the version it read).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..i18n import _
from .base import Core, RegistryError, iso
from .base import parse_date as _date
from .schema import Project, ProjectPartner, ProjectWard

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
        return views(core, s, list(s.scalars(q.order_by(Project.id).limit(limit).offset(offset))))


def count(core: Core, *, ward: str | None = None, partner: str | None = None, prefecture: str | None = None,
          field: str | None = None, year: int | None = None) -> int:
    q = _query(ward, partner, prefecture, field, year)
    with core.Session() as s:
        return s.scalar(select(func.count()).select_from(q.subquery())) or 0


def ward_partners(core: Core, ward: str) -> list[str]:
    """The codes of every partner of a ward's projects, in code order."""
    q = (select(ProjectPartner.code).join(ProjectWard, ProjectWard.project_id == ProjectPartner.project_id)
         .join(Project, Project.id == ProjectPartner.project_id)
         .where(ProjectWard.ward_code == ward, ProjectPartner.code.is_not(None), Project.deleted_at.is_(None))
         .distinct().order_by(ProjectPartner.code))
    with core.Session() as s:
        return list(s.scalars(q))


def partner_codes(core: Core) -> list[str]:
    """The codes of every partner of a project the public sees (not deleted), in code order."""
    q = (select(ProjectPartner.code).join(Project, Project.id == ProjectPartner.project_id)
         .where(ProjectPartner.code.is_not(None), Project.deleted_at.is_(None))
         .distinct().order_by(ProjectPartner.code))
    with core.Session() as s:
        return list(s.scalars(q))


def _query(ward: str | None, partner: str | None, prefecture: str | None, field: str | None,
           year: int | None):  # type: ignore[no-untyped-def]
    q = select(Project).where(Project.deleted_at.is_(None))  # deleted projects are kept, never shown
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
        if p is None or p.deleted_at is not None:  # a deleted project is kept, but not shown
            raise RegistryError(_("事業 {id} はありません").format(id=project_id))
        return view(core, s, p)


def view(core: Core, s: Session, p: Project) -> ProjectView:
    return views(core, s, [p])[0]


BATCH = 500  # project ids per query (well under SQLite's limit on bound parameters)


def views(core: Core, s: Session, found: Sequence[Project]) -> list[ProjectView]:
    """The views of many projects with two queries per :data:`BATCH` (their wards, their partners), not two
    per project: a ward's page, a local government's page and the API list dozens to hundreds at once."""
    d = core.directory
    wards: dict[int, list[tuple[str, str]]] = defaultdict(list)
    partners: dict[int, list[tuple[str | None, str, str]]] = defaultdict(list)
    ids = [p.id for p in found]
    for at in range(0, len(ids), BATCH):
        chunk = ids[at:at + BATCH]
        for pid, w in s.execute(select(ProjectWard.project_id, ProjectWard.ward_code)
                                .where(ProjectWard.project_id.in_(chunk)).order_by(ProjectWard.ward_code)):
            wards[pid].append((w, d[w].name))
        for pp in s.scalars(select(ProjectPartner).where(ProjectPartner.project_id.in_(chunk))
                            .order_by(ProjectPartner.id)):
            partners[pp.project_id].append((pp.code, d[pp.code].name if pp.code else pp.written, pp.pref_code))
    return [ProjectView(p.id, p.version, p.title, p.field, p.fiscal_year, iso(p.start_date), iso(p.end_date),
                        p.summary, p.source_url, tuple(wards[p.id]), tuple(partners[p.id]),
                        p.updated_at.isoformat(timespec="seconds"), p.updated_by) for p in found]


def _check_codes(core: Core, wards: list[str], partners: list[str]) -> None:
    for w in wards:
        if core.directory.get(w) not in core.directory.special_wards:
            raise RegistryError(_("「{ward}」は特別区（23区）ではありません").format(ward=w))
    for c in partners:
        if core.directory.get(c) is None:
            raise RegistryError(_("「{code}」は全国地方公共団体コードにありません").format(code=c))


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
