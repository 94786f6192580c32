"""Projects as the public sees them: listing and filtering the approved, not deleted projects.

Every change to a project (add, edit, delete) goes through :mod:`.changes`, which waits for an
admin's approval and keeps optimistic locking (an edit names the version it read).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import Row, Select, delete, func, select, update
from sqlalchemy.orm import Session

from ..i18n import _
from . import audit, visibility
from . import values as value_rules
from .base import Core, RegistryError, iso, now
from .schema import Project, ProjectPartner, ProjectWard, Ward

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
         .where(ProjectWard.ward_code == ward, ProjectPartner.code.is_not(None), visibility.live_projects())
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
           year: int | None) -> Select[Project]:
    q = select(Project).where(visibility.live_projects())
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
        if p is None or not visibility.is_live(p):
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


class _Recoded(TypedDict):
    """What the audit entry of a recoded project shows (before and after)."""

    title: str
    wards: list[dict[str, str]]
    written: str
    version: int


def recode_partners(s: Session, pref_code: str, written: str, code: str | None, actor: str) -> list[int]:
    """Give every partner written ``written`` in ``pref_code`` the code a review decided (or undid).

    Each project whose partners change gets a new version (so a form or a pending change made against
    the old one is a conflict, not a silent overwrite) and one audit entry. Returns the project ids.

    A project that already has ``code`` under another written name (女川村 decided to be 亘理町, which it
    also lists) has one partner, not two: the recoded row is merged into the row that holds the code
    (a project lists a partner once, the ``(project_id, code)`` unique key), and the audit entry keeps
    both written names. So are two rows of one project that the decision gives the same code (a name
    written twice, unresolved). Undoing the decision later does not split them again.
    """
    found = s.execute(select(ProjectPartner.id, ProjectPartner.project_id, ProjectPartner.code)
                      .where(ProjectPartner.pref_code == pref_code, ProjectPartner.written == written,
                             ProjectPartner.code.is_distinct_from(code))
                      .order_by(ProjectPartner.project_id, ProjectPartner.id)).all()
    if not found:
        return []
    rows = [(pid, old) for _id, pid, old in found]
    pids = sorted({pid for pid, _old in rows})
    named = {pid: _Recoded(title=title, wards=[], written=written, version=version)
             for pid, title, version in s.execute(select(Project.id, Project.title, Project.version)
                                                  .where(Project.id.in_(pids)))}
    for pid, code_, name in s.execute(select(ProjectWard.project_id, Ward.code, Ward.name)
                                      .join(Ward, Ward.code == ProjectWard.ward_code)
                                      .where(ProjectWard.project_id.in_(pids)).order_by(Ward.code)):
        named[pid]["wards"].append({"code": code_, "name": name})
    held = _holding(s, pids, code)
    merged = _merged_rows(found, held) if code is not None else []
    if merged:  # the row that already has the code stays (or the first recoded one); the others go
        s.execute(delete(ProjectPartner).where(ProjectPartner.id.in_(merged)))
    s.execute(update(ProjectPartner).where(ProjectPartner.pref_code == pref_code, ProjectPartner.written == written)
              .values(code=code))
    s.execute(update(Project).where(Project.id.in_(pids))
              .values(version=Project.version + 1, updated_at=now(), updated_by=actor)
              .execution_options(synchronize_session=False))
    for pid, old in dict(rows).items():  # one entry per project: 判断 — 港区の事業「…」 — コード old → new
        version = named[pid]["version"]
        kept = {"written": [written, held[pid]]} if pid in held else {}
        audit.record(s, actor, "review", "projects", str(pid), {**named[pid], "code": old},
                     {**named[pid], "code": code, "version": version + 1, **kept})
    return pids


def _merged_rows(found: Sequence[Row], held: dict[int, str]) -> list[int]:
    """The ids of the recoded partner rows (``found``: id, project id, old code, by project and id) that would
    repeat a code in their project: all of them where the project already holds the code, else all but the first."""
    out, first = [], set()
    for row_id, pid, _old in found:
        if pid in held or pid in first:
            out.append(row_id)
        first.add(pid)
    return out


def _holding(s: Session, pids: list[int], code: str | None) -> dict[int, str]:
    """Project id → the written name of its partner that already has ``code``, for the projects of ``pids``
    that have one (none for no code: a project may list many unresolved partners)."""
    if code is None:
        return {}
    return dict(s.execute(select(ProjectPartner.project_id, ProjectPartner.written)
                          .where(ProjectPartner.project_id.in_(pids), ProjectPartner.code == code)).all())


def _check_codes(core: Core, wards: list[str], partners: list[str]) -> None:
    value_rules.check_codes(core.directory, wards, partners)


def _values(changes: dict[str, object]) -> dict[str, object]:
    """The project fields in ``changes``, checked by the project value rules (InvalidProjectValue)."""
    return value_rules.check(changes)
