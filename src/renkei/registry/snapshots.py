"""Snapshots: which one a reference means, what it holds (partners, entries, declared counts), diffs.

A snapshot is one list as imported (see :mod:`.imports`); its partners are the first
entry of each code, rebuilt whenever a review changes an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from ..diff import Diff, SnapshotContent
from ..diff import Partner as DiffPartner
from ..diff import diff as diff_contents
from ..directory import Directory
from ..i18n import N_, _, current_language, wareki
from .base import REVIEW_STATUSES, Core, RegistryError, iso
from .schema import Entry, Government, Partner, Snapshot, SnapshotBlock, table_of
from .visibility import snapshot_states  # what the public sees: one place


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A snapshot with its state and counts. ``file`` is the imported file's name (internal: never a label);
    ``source`` the address of the original publication, if known; ``note`` the public note."""

    id: int
    as_of: str | None
    kind: str
    state: str
    edition: int | None
    file: str
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
    published_at: str | None = None
    published_by: str | None = None
    withdrawn_at: str | None = None
    withdrawn_by: str | None = None
    withdrawn_reason: str | None = None
    revises: int | None = None
    superseded_by: int | None = None

    @property
    def label(self) -> str:
        """「令和7年8月1日現在（第1版）」 for an edition, 「令和8年8月1日現在 下書き（未公表）」 for a draft."""
        return edition_label(self.as_of, self.state, self.edition)

    @property
    def is_public(self) -> bool:
        return self.state == "published"

    def as_dict(self) -> dict[str, object]:
        """The ``renkei snapshots --json`` contract: id, as_of, kind, state, label, source, note, declared,
        listed, partners, review; then the rest."""
        head = {"id": self.id, "as_of": self.as_of, "kind": self.kind, "state": self.state, "label": self.label,
                "source": self.source or None, "note": self.note, "declared": self.declared, "listed": self.listed,
                "partners": self.partners, "review": self.needs_review}
        rest = {k: getattr(self, k) for k in ("edition", "revises", "superseded_by", "file", "sha256", "format",
                                              "title", "imported_at", "imported_by", "published_at",
                                              "published_by", "withdrawn_at", "withdrawn_by", "withdrawn_reason")}
        return {**head, **rest}

    def public_dict(self) -> dict[str, object]:
        """What ``/api/v1/snapshots`` shows: no file names and no account names."""
        private = ("file", "imported_by", "published_by", "withdrawn_by", "imported_at", "format", "title")
        return {k: v for k, v in self.as_dict().items() if k not in private}


# gettext() them when shown
STATE_NAMES = {"draft": N_("下書き（未公表）"), "published": N_("公表済み"), "withdrawn": N_("取り下げ済み")}


def edition_label(as_of: str | None, state: str, edition: int | None) -> str:
    if not as_of:
        return _("時点不明 下書き（未公表）") if state == "draft" else _("時点不明（第{n}版）").format(n=edition or 1)
    day = wareki(as_of) if current_language() == "ja" else as_of  # 令和7年8月1日 / 2025-08-01
    if state == "draft":
        return _("{date}現在 下書き（未公表）").format(date=day)
    return _("{date}現在（第{n}版）").format(date=day, n=edition or 1)


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


def all_snapshots(core: Core, states: tuple[str, ...] | None = None) -> list[SnapshotInfo]:
    """Snapshots by as-of date, then id. Every state, unless ``states`` says which (a public view: published)."""
    states = states or snapshot_states(core)
    with core.Session() as s:
        q = select(Snapshot).order_by(Snapshot.as_of.nulls_first(), Snapshot.id)
        if states:
            q = q.where(Snapshot.state.in_(states))
        return [info(s, snap) for snap in s.scalars(q).all()]


def get(core: Core, ref: int | str | None = None) -> SnapshotInfo:
    with core.Session() as s:
        snap = s.get(Snapshot, resolve_ref(s, ref, core.public_only))
        assert snap is not None  # resolve_ref answers only with a snapshot that exists, or refuses
        return info(s, snap)


def resolve_ref(s: Session, ref: int | str | None, public_only: bool = False) -> int:
    """Which snapshot ``ref`` means, from ids, states and dates only (no counting: every read asks this).

    None / 'latest' is the latest *published* edition by as-of date (a superseded one never);
    'previous' the published one before it; a date the latest published edition of that date.
    An id means that snapshot in any state, except for a public view, which sees published ones only.
    """
    rows = s.execute(select(Snapshot.id, Snapshot.as_of, Snapshot.state, Snapshot.revises)
                     .order_by(Snapshot.as_of.nulls_first(), Snapshot.id)).all()
    published = [r for r in rows if r.state == "published"]
    if ref is None or ref in ("latest", "previous"):
        superseded = {r.revises for r in published if r.revises}
        current = [r for r in published if r.id not in superseded]
        if not current:
            raise RegistryError(_("公表済みの版がまだありません（`renkei release N` で公表します）") if rows
                                else _("レジストリにはまだスナップショットがありません"))
        latest = current[-1]
        if ref != "previous":
            return latest.id
        before = published[:published.index(latest)]
        if not before:
            raise RegistryError(_("公表済みの版が一つしかありません"))
        return before[-1].id
    text = str(ref).lstrip("#")
    visible = published if public_only else rows
    if text.isdigit() and any(r.id == int(text) for r in visible):
        return int(text)
    from ..documents.wareki import parse

    iso = parse(text) or text
    hits = [r.id for r in published if r.as_of and r.as_of.isoformat() == iso]
    if hits:
        return hits[-1]
    raise RegistryError(_("スナップショット「{ref}」はありません。一覧は renkei snapshots で見られます").format(
        ref=ref))


def snapshot_id(core: Core, ref: int | str | None = None) -> int:
    with core.Session() as s:
        return resolve_ref(s, ref, core.public_only)


def info(s: Session, snap: Snapshot) -> SnapshotInfo:
    declared = s.scalar(select(func.coalesce(func.sum(SnapshotBlock.declared), 0))
                        .where(SnapshotBlock.snapshot_id == snap.id)) or 0
    listed = s.scalar(select(func.count()).select_from(Entry).where(Entry.snapshot_id == snap.id)) or 0
    partners = s.scalar(select(func.count()).select_from(Partner).where(Partner.snapshot_id == snap.id)) or 0
    review = s.scalar(select(func.count()).select_from(Entry).where(Entry.snapshot_id == snap.id,
                                                                     Entry.status.in_(REVIEW_STATUSES))) or 0
    superseded_by = s.scalar(select(func.max(Snapshot.id)).where(Snapshot.revises == snap.id,
                                                                  Snapshot.state == "published"))
    imported_at = snap.imported_at.isoformat(timespec="seconds")
    return SnapshotInfo(snap.id, iso(snap.as_of), snap.kind, snap.state, snap.edition, snap.source, snap.source_url,
                        snap.sha256, snap.format, snap.title, imported_at, snap.imported_by, snap.note,
                        int(declared), listed, partners, review, _time(snap.published_at), snap.published_by,
                        _time(snap.withdrawn_at), snap.withdrawn_by, snap.withdrawn_reason, snap.revises,
                        superseded_by)


def _time(t: datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


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
                         .where(SnapshotBlock.snapshot_id == resolve_ref(s, snapshot, core.public_only))).all()
    out: dict[str, int | None] = {}
    for pc, n in rows:
        if pc:
            out[pc] = n if out.get(pc) is None else (out[pc] or 0) + (n or 0)
    return out


def entries(core: Core, snapshot: int | str | None = None, *, needs_review: bool = False) -> list[EntryRow]:
    with core.Session() as s:
        q = (select(Entry).where(Entry.snapshot_id == resolve_ref(s, snapshot, core.public_only))
             .order_by(Entry.block_id, Entry.position))
        if needs_review:
            q = q.where(Entry.status.in_(REVIEW_STATUSES))
        return [entry_row(core.directory, e) for e in s.scalars(q)]


def entry_row(d: Directory, e: Entry) -> EntryRow:
    pref = d.get(e.pref_code) if e.pref_code else None
    gov = d.get(e.code) if e.code else None
    return EntryRow(e.id, e.snapshot_id, e.pref_code, pref.name if pref else "", e.written, e.cell, e.status,
                    e.auto_status, e.code, gov.name if gov else None, reason_text(e.reasons, e.reason), e.candidates)


def reason_text(stored: list | None, text: str) -> str:
    """An entry's reasons in the reader's language: from their keys and parameters, or, for an entry kept only as
    text (a published edition imported before migration 0009), from that text read back where it can be."""
    from ..reasons import from_text, render, render_stored

    if stored is not None:
        return render_stored(stored)
    parsed = from_text(text)
    return render(parsed) if parsed is not None else text


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
        if code is not None:  # the query keeps only coded entries; this tells the type checker
            seen.setdefault(code, eid)
    if seen:
        s.execute(insert(table_of(Partner)),
                  [{"snapshot_id": snapshot_id, "code": c, "entry_id": e} for c, e in seen.items()])
