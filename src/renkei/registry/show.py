"""``renkei show``: where a prefecture, a local government or a ward appears (snapshots, wards, projects)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..i18n import _
from ..resolve import Resolution
from . import projects, snapshots, visibility
from .base import Core, RegistryError
from .schema import Entry, Project, ProjectPartner, ProjectWard, Snapshot


def show(core: Core, query: str) -> dict[str, Any]:
    """A prefecture, a local government (by name or code) or a ward: where it appears (a JSON document whose keys
    depend on what the query names, the contract of ``renkei show --json``)."""
    pref_name = core.resolver.prefecture_name(query)
    if (pref_name and not query.strip().isdigit()) or (query.strip().isdigit() and len(query.strip()) <= 2):
        pref = core.directory.prefecture(pref_name or query)
        if pref is not None:
            return _prefecture(core, pref.code)
    code = query.strip()
    entity = core.directory.get(code) if code.isdigit() else None
    resolution = None
    if entity is None:
        resolution = core.resolver.resolve(query)
        entity = core.directory.get(resolution.code) if resolution.code else None
    if entity is None:
        cands = resolution.candidates if resolution else []
        raise RegistryError(_("「{query}」は都道府県でも地方公共団体でもありません").format(query=query)
                            + (_("。候補：{candidates}").format(candidates="、".join(c.prefecture + c.name
                                                                                  for c in cands[:5]))
                               if cands else ""))
    return _government(core, entity.code, resolution)


def _prefecture(core: Core, pref_code: str) -> dict[str, object]:
    pref = core.directory[pref_code]
    snaps = []
    for snap in snapshots.all_snapshots(core):
        found = snapshots.partners(core, snap.id, pref.name)
        snaps.append({"snapshot": snap.id, "as_of": snap.as_of, "state": snap.state,
                      "declared": snapshots.declared(core, snap.id).get(pref_code), "partners": len(found)})
    published = any(s.state == "published" for s in snapshots.all_snapshots(core, visibility.PUBLIC_STATES))
    latest = snapshots.partners(core, None, pref.name) if published else []
    return {"type": "prefecture", "code": pref.code, "name": pref.name,
            "local_governments": len(core.directory.local_governments(pref.name)),
            "snapshots": snaps, "partners": [{"code": p.code, "name": p.name} for p in latest]}


def _government(core: Core, code: str, resolution: Resolution | None) -> dict[str, object]:
    e = core.directory[code]
    with core.Session() as s:
        q = (select(Snapshot.id, Snapshot.as_of, Snapshot.state, Entry.written, Entry.status, Entry.cell)
             .join(Entry, Entry.snapshot_id == Snapshot.id).where(Entry.code == code)
             .order_by(Snapshot.as_of, Snapshot.id))
        states = visibility.snapshot_states(core)
        if states:
            q = q.where(Snapshot.state.in_(states))
        listed = s.execute(q).all()
        pids = select(ProjectPartner.project_id).where(ProjectPartner.code == code)
        if e.kind == "special_ward":
            pids = select(ProjectWard.project_id).where(ProjectWard.ward_code == code)
        found = projects.views(core, s, list(s.scalars(select(Project).where(Project.id.in_(pids),
                                                                             visibility.live_projects())
                                                      .order_by(Project.fiscal_year, Project.id))))
    wards = sorted({w for p in found for w in p.wards}) if e.kind != "special_ward" else []
    return {"type": "government", "code": e.code, "name": e.name, "kana": e.kana, "kind": e.kind_label,
            "prefecture": e.prefecture, "url": e.url,
            "resolved_from": resolution.as_dict() if resolution and resolution.status != "exact" else None,
            "snapshots": [{"snapshot": sid, "as_of": a.isoformat() if a else None, "state": state, "written": w,
                           "status": st, "cell": cell} for sid, a, state, w, st, cell in listed],
            "wards": [{"code": c, "name": n} for c, n in wards],
            "projects": [visibility.public_project(p.as_dict()) for p in found]}
