"""Snapshots: which one a reference means, what it holds (partners, entries, declared counts), diffs.

A snapshot is one list as imported (see :mod:`.imports`); its partners are the first
entry of each code, rebuilt whenever a review changes an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from ..diff import Diff, SnapshotContent
from ..diff import Partner as DiffPartner
from ..diff import diff as diff_contents
from ..directory import Directory
from ..i18n import _
from .base import REVIEW_STATUSES, Core, RegistryError
from .schema import Entry, Government, Partner, Snapshot, SnapshotBlock


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    id: int
    as_of: str | None
    kind: str
    source: str
    sha256: str
    format: str
    title: str | None
    imported_at: str
    imported_by: str
    note: str
    declared: int
    listed: int
    partners: int
    needs_review: int

    @property
    def label(self) -> str:
        return f"#{self.id} {self.as_of or '時点不明'} {Path(self.source).name}"

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class PartnerRow:
    code: str
    name: str
    kana: str
    kind: str
    pref_code: str
    prefecture: str
    lat: float | None
    lon: float | None
    written: str
    status: str


@dataclass(frozen=True, slots=True)
class EntryRow:
    id: int
    snapshot_id: int
    pref_code: str
    prefecture: str
    written: str
    cell: str
    status: str
    auto_status: str
    code: str | None
    name: str | None
    reason: str
    candidates: list


def all_snapshots(core: Core) -> list[SnapshotInfo]:
    with core.Session() as s:
        snaps = s.scalars(select(Snapshot).order_by(Snapshot.as_of.nulls_first(), Snapshot.id)).all()
        return [info(s, snap) for snap in snaps]


def get(core: Core, ref: int | str | None = None) -> SnapshotInfo:
    with core.Session() as s:
        return info(s, s.get(Snapshot, resolve_ref(s, ref)))  # type: ignore[arg-type]


def resolve_ref(s: Session, ref: int | str | None) -> int:
    """Which snapshot ``ref`` means, from ids and dates only (no counting: every read method asks this)."""
    snaps = s.execute(select(Snapshot.id, Snapshot.as_of).order_by(Snapshot.as_of.nulls_first(),
                                                                    Snapshot.id)).all()
    if not snaps:
        raise RegistryError(_("レジストリにはまだスナップショットがありません"))
    if ref is None or ref == "latest":
        return snaps[-1].id
    if ref == "previous":
        if len(snaps) < 2:
            raise RegistryError(_("スナップショットが一つしかありません"))
        return snaps[-2].id
    text = str(ref).lstrip("#")
    if text.isdigit() and any(snap.id == int(text) for snap in snaps):
        return int(text)
    from ..documents.wareki import parse

    iso = parse(text) or text
    hits = [snap.id for snap in snaps if snap.as_of and snap.as_of.isoformat() == iso]
    if hits:
        return hits[-1]
    raise RegistryError(_("スナップショット「{ref}」はありません。一覧は renkei snapshots で見られます").format(
        ref=ref))


def snapshot_id(core: Core, ref: int | str | None = None) -> int:
    with core.Session() as s:
        return resolve_ref(s, ref)


def info(s: Session, snap: Snapshot) -> SnapshotInfo:
    declared = s.scalar(select(func.coalesce(func.sum(SnapshotBlock.declared), 0))
                        .where(SnapshotBlock.snapshot_id == snap.id)) or 0
    listed = s.scalar(select(func.count()).select_from(Entry).where(Entry.snapshot_id == snap.id)) or 0
    partners = s.scalar(select(func.count()).select_from(Partner).where(Partner.snapshot_id == snap.id)) or 0
    review = s.scalar(select(func.count()).select_from(Entry).where(Entry.snapshot_id == snap.id,
                                                                     Entry.status.in_(REVIEW_STATUSES))) or 0
    return SnapshotInfo(snap.id, snap.as_of.isoformat() if snap.as_of else None, snap.kind, snap.source,
                        snap.sha256, snap.format, snap.title, snap.imported_at.isoformat(timespec="seconds"),
                        snap.imported_by, snap.note, int(declared), listed, partners, review)


def partners(core: Core, snapshot: int | str | None = None, prefecture: str | None = None) -> list[PartnerRow]:
    """The distinct partners of a snapshot in code order (each prefectural government first)."""
    q = (select(Government, Entry.written, Entry.status).join(Partner, Partner.code == Government.code)
         .join(Entry, Entry.id == Partner.entry_id).where(Partner.snapshot_id == snapshot_id(core, snapshot)))
    if prefecture:
        pref = core.directory.prefecture(core.resolver.prefecture_name(prefecture) or prefecture)
        if pref is None:
            raise RegistryError(_("「{prefecture}」は都道府県ではありません").format(prefecture=prefecture))
        q = q.where(Government.pref_code == pref.code)
    with core.Session() as s:
        rows = s.execute(q.order_by(Government.code)).all()
    return [PartnerRow(g.code, g.name, g.kana, g.kind, g.pref_code, g.prefecture, g.lat, g.lon, w, st)
            for g, w, st in rows]


def declared(core: Core, snapshot: int | str | None = None) -> dict[str, int | None]:
    """The count each prefecture's block declared (blocks of one prefecture added up)."""
    with core.Session() as s:
        rows = s.execute(select(SnapshotBlock.pref_code, SnapshotBlock.declared)
                         .where(SnapshotBlock.snapshot_id == resolve_ref(s, snapshot))).all()
    out: dict[str, int | None] = {}
    for pc, n in rows:
        if pc:
            out[pc] = n if out.get(pc) is None else (out[pc] or 0) + (n or 0)
    return out


def entries(core: Core, snapshot: int | str | None = None, *, needs_review: bool = False) -> list[EntryRow]:
    with core.Session() as s:
        q = (select(Entry).where(Entry.snapshot_id == resolve_ref(s, snapshot))
             .order_by(Entry.block_id, Entry.position))
        if needs_review:
            q = q.where(Entry.status.in_(REVIEW_STATUSES))
        return [entry_row(core.directory, e) for e in s.scalars(q)]


def entry_row(d: Directory, e: Entry) -> EntryRow:
    pref = d.get(e.pref_code) if e.pref_code else None
    gov = d.get(e.code) if e.code else None
    return EntryRow(e.id, e.snapshot_id, e.pref_code, pref.name if pref else "", e.written, e.cell, e.status,
                    e.auto_status, e.code, gov.name if gov else None, e.reason, e.candidates)


def content(core: Core, snapshot: int | str | None = None) -> SnapshotContent:
    snap = get(core, snapshot)
    found = {p.code: DiffPartner(p.code, p.name, p.pref_code) for p in partners(core, snap.id)}
    with core.Session() as s:
        written = {(e.pref_code, e.written): e.code for e in s.scalars(select(Entry).where(
            Entry.snapshot_id == snap.id))}
    prefs = {p.code: p.name for p in core.directory.prefectures}
    return SnapshotContent(snap.id, snap.as_of, snap.label, found, declared(core, snap.id), prefs, written)


def diff(core: Core, a: int | str | None = None, b: int | str | None = None) -> Diff:
    """Between snapshots ``a`` and ``b``; by default the previous and the latest."""
    if a is None and b is None:
        a, b = "previous", "latest"
    elif b is None:
        b = "latest"
    return diff_contents(content(core, a), content(core, b))


def rebuild_partners(s: Session, snapshot_id: int) -> None:
    """The distinct partners of a snapshot: the first entry (in list order) of each code."""
    s.execute(delete(Partner).where(Partner.snapshot_id == snapshot_id))
    rows = s.execute(select(Entry.id, Entry.code).where(Entry.snapshot_id == snapshot_id, Entry.code.is_not(None))
                     .order_by(Entry.block_id, Entry.position)).all()
    seen: dict[str, int] = {}
    for eid, code in rows:
        seen.setdefault(code, eid)
    if seen:
        s.execute(insert(Partner.__table__),
                  [{"snapshot_id": snapshot_id, "code": c, "entry_id": e} for c, e in seen.items()])
