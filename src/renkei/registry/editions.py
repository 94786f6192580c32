"""The life of an edition: draft → published (公表) → withdrawn (取り下げ), and corrections as new editions.

Only these functions change a snapshot's state, each in one transaction with an audit row
(who, when, why). Publishing freezes a snapshot: the database triggers of migration 0004
refuse any later change to it, so the rules here are a courtesy (clear messages), not the guard.

- :func:`release` publishes a draft as the next edition (第N版) of its as-of date;
- :func:`withdraw` withdraws a published edition, with a reason: the public sees the previous one again;
- :func:`revise` makes a draft copy of a published edition; releasing it supersedes the original,
  which stays on record (and the diff between the two is public);
- :func:`discard` deletes a draft (never a published or withdrawn edition: the triggers refuse that too).

:func:`release_preview` and :func:`public_after_withdrawal` say beforehand what the public will see, so that
the web area can ask for a deliberate second confirmation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, false, func, insert, select, update
from sqlalchemy.orm import Session

from ..diff import Diff
from ..i18n import _, gettext
from ..validate import shown_problem
from . import audit
from .base import Core, RegistryError, default_actor, now
from .schema import Entry, Partner, Project, ProjectWard, Snapshot, SnapshotBlock, table_of
from .snapshots import (
    STATE_NAMES,
    EntryRow,
    SnapshotInfo,
    diff,
    edition_label,
    entries,
    get,
    info,
    rebuild_partners,
    resolve_ref,
    snapshot_id,
)

WARDS = 23  # the special wards of Tokyo
DROP_WARNING = 0.10  # a fall in partners beyond this share asks for a second look


def _load(s: Session, ref: int | str) -> Snapshot:
    """The snapshot, locked for the rest of the transaction (see :func:`lock`)."""
    sid = resolve_ref(s, ref)
    return lock(s, [sid])[sid]


def lock(s: Session, ids: Iterable[int]) -> dict[int, Snapshot]:
    """Lock snapshots ``ids`` until the transaction ends and read their state as it is now.

    A release, a withdrawal and a review decision each lock the snapshots they change, so that two
    of them serialise: the second waits for the first, then sees its outcome (a draft that has become
    an edition) instead of changing an edition. PostgreSQL locks the rows (``FOR UPDATE``, in id order,
    so two lockers cannot deadlock); SQLite locks the whole database for writing at once, by starting
    the transaction with a write that changes nothing.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if s.get_bind().dialect.name == "sqlite":
        s.execute(update(Snapshot).where(false()).values(state=Snapshot.state))
    rows = s.scalars(select(Snapshot).where(Snapshot.id.in_(wanted)).order_by(Snapshot.id).with_for_update()
                     .execution_options(populate_existing=True))
    return {snap.id: snap for snap in rows}


def _claim_draft(core: Core, s: Session, ref: int | str) -> Snapshot:
    """Snapshot ``ref``, held for this transaction if it is a draft (as it is, in its state, if not);
    RegistryError if it is gone.

    A compare-and-set is the transaction's first statement, a write: on PostgreSQL it locks the row until
    commit, on SQLite the database. Of two admins changing one draft at once (publishing and discarding it),
    the second waits and then finds it changed, instead of failing half-way. (Only a draft: the triggers of
    migration 0004 refuse any UPDATE of a published snapshot, even one that changes nothing.)
    """
    sid = snapshot_id(core, ref)  # read before the transaction: its first statement must be the write
    s.execute(update(Snapshot).where(Snapshot.id == sid, Snapshot.state == "draft").values(state="draft")
              .execution_options(synchronize_session=False))
    snap = s.get(Snapshot, sid)
    if snap is None:
        raise RegistryError(_("#{id} はもうありません（破棄されました）").format(id=sid))
    return snap


def _name(snap: Snapshot) -> str:
    as_of = snap.as_of.isoformat() if snap.as_of else None
    return f"#{snap.id}（{edition_label(as_of, snap.state, snap.edition)}）"


def check_source(url: str | None) -> str | None:
    """The original publication's address: http(s) only (it becomes a link on the public pages)."""
    if url and not url.strip().lower().startswith(("https://", "http://")):
        raise RegistryError(_("原資料のアドレスは http:// または https:// で始まるURLにしてください: {url}")
                            .format(url=repr(url)))
    return url.strip() if url else url


def release(core: Core, ref: int | str, *, actor: str | None = None, note: str | None = None,
            source: str | None = None) -> SnapshotInfo:
    """Publish draft ``ref`` as the next edition of its as-of date; ``note`` replaces its public note."""
    actor = actor or default_actor()
    source = check_source(source)
    with core.Session.begin() as s:
        snap = _claim_draft(core, s, ref)
        if snap.state != "draft":
            raise RegistryError(_("{snapshot} は{state}です。公表できるのは下書きだけです")
                                .format(snapshot=_name(snap), state=gettext(STATE_NAMES[snap.state])))
        if snap.revises is not None:
            original = s.get(Snapshot, snap.revises)
            if original is not None and original.state == "draft":
                raise RegistryError(_("{snapshot} が訂正する #{original} は公表されていません")
                                    .format(snapshot=_name(snap), original=original.id))
        before = {"state": snap.state, "note": snap.note, "source_url": snap.source_url}
        editions = s.scalar(select(func.max(Snapshot.edition)).where(
            Snapshot.as_of == snap.as_of if snap.as_of else Snapshot.as_of.is_(None),
            Snapshot.state.in_(("published", "withdrawn"))))
        snap.state, snap.edition = "published", (editions or 0) + 1
        snap.published_at, snap.published_by = now(), actor
        if note is not None:
            snap.note = note
        if source is not None:
            snap.source_url = source
        audit.record(s, actor, "publish", "snapshots", str(snap.id), before,
                     {"state": "published", "edition": snap.edition, "note": snap.note,
                      "source_url": snap.source_url, "supersedes": snap.revises})
        sid = snap.id
    return get(core, sid)


def withdraw(core: Core, ref: int | str, *, reason: str, actor: str | None = None) -> SnapshotInfo:
    """Withdraw a published edition. It stays on record, marked with the reason; the public sees the one before."""
    actor = actor or default_actor()
    if not reason.strip():
        raise RegistryError(_("取り下げの理由（--reason）を入力してください"))
    with core.Session.begin() as s:
        snap = _load(s, ref)
        if snap.state != "published":
            raise RegistryError(_("{snapshot} は公表中ではないため、取り下げられません").format(snapshot=_name(snap)))
        snap.state, snap.withdrawn_at, snap.withdrawn_by, snap.withdrawn_reason = "withdrawn", now(), actor, \
            reason.strip()
        audit.record(s, actor, "withdraw", "snapshots", str(snap.id), {"state": "published"},
                     {"state": "withdrawn", "reason": snap.withdrawn_reason})
        sid = snap.id
    return get(core, sid)


def revise(core: Core, ref: int | str, *, actor: str | None = None, note: str = "") -> SnapshotInfo:
    """A draft copy of published edition ``ref`` (blocks, entries with their decisions, partners).

    The copy keeps the file name, as-of date, note and source address; its ``sha256`` names the
    revision (the original's file hash stays with the original), since one file makes one snapshot.
    """
    actor = actor or default_actor()
    with core.Session.begin() as s:
        original = _load(s, ref)
        if original.state != "published":
            raise RegistryError(_("{snapshot} は公表中ではないため、訂正版を作れません")
                                .format(snapshot=_name(original)))
        pending = s.scalar(select(Snapshot.id).where(Snapshot.revises == original.id, Snapshot.state == "draft"))
        if pending:
            raise RegistryError(_("#{original} の訂正版の下書き #{draft} が既にあります")
                                .format(original=original.id, draft=pending))
        count = s.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.revises == original.id)) or 0
        digest = hashlib.sha256(f"renkei revision {count + 1} of snapshot {original.id} ({original.sha256})"
                                .encode()).hexdigest()
        copy = Snapshot(as_of=original.as_of, kind=original.kind, source=original.source, sha256=digest,
                        format=original.format, encoding=original.encoding, title=original.title, imported_at=now(),
                        imported_by=actor, note=note or original.note, directory_as_of=original.directory_as_of,
                        problems=original.problems, state="draft", source_url=original.source_url,
                        revises=original.id)
        s.add(copy)
        s.flush()
        blocks = s.scalars(select(SnapshotBlock).where(SnapshotBlock.snapshot_id == original.id)
                           .order_by(SnapshotBlock.position)).all()
        for b in blocks:
            nb = SnapshotBlock(snapshot_id=copy.id, position=b.position, written=b.written, pref_code=b.pref_code,
                               declared=b.declared, listed=b.listed)
            s.add(nb)
            s.flush()
            columns = [c for c in table_of(Entry).c if c.name not in ("id", "snapshot_id", "block_id")]
            rows = [{**{c.name: getattr(e, c.key) for c in columns}, "snapshot_id": copy.id, "block_id": nb.id}
                    for e in s.scalars(select(Entry).where(Entry.block_id == b.id).order_by(Entry.position))]
            if rows:
                s.execute(insert(table_of(Entry)), rows)
        rebuild_partners(s, copy.id)
        audit.record(s, actor, "revise", "snapshots", str(copy.id), None,
                     {"state": "draft", "revises": original.id})
        return info(s, copy)


def find_duplicate(core: Core, sha256: str, as_of: str | None, kind: str) -> SnapshotInfo | None:
    """The snapshot already made from this file for this date, if any (one file makes one snapshot)."""
    from datetime import date

    with core.Session() as s:
        snap = s.scalar(select(Snapshot).where(Snapshot.sha256 == sha256, Snapshot.kind == kind,
                                               Snapshot.as_of == (date.fromisoformat(as_of) if as_of else None)))
        return info(s, snap) if snap else None


def discard(core: Core, ref: int | str, *, actor: str | None = None) -> SnapshotInfo:
    """Delete a draft with its blocks, entries and partners (audited). Published and withdrawn editions stay.

    Review decisions are kept (they belong to names, not to one draft); projects imported with the draft
    lose the link to it. Returns the draft as it was, for the caller's message.
    """
    actor = actor or default_actor()
    with core.Session.begin() as s:
        snap = _claim_draft(core, s, ref)
        if snap.state != "draft":
            raise RegistryError(_("{snapshot} は{state}です。破棄できるのは下書きだけです"
                                  "（公表済みの版は取り下げます）").format(
                                      snapshot=_name(snap), state=gettext(STATE_NAMES[snap.state])))
        gone = info(s, snap)
        for table in (Partner, Entry, SnapshotBlock):
            s.execute(delete(table).where(table.snapshot_id == snap.id))
        s.execute(update(Project).where(Project.snapshot_id == snap.id).values(snapshot_id=None))
        audit.record(s, actor, "discard", "snapshots", str(snap.id),
                     {"state": "draft", "label": gone.label, "as_of": gone.as_of, "source": gone.file,
                      "partners": gone.partners}, None)
        s.delete(snap)
    return gone


@dataclass(slots=True)
class ReleasePreview:
    """What publishing a draft would show the public, for the confirmation page.

    ``current`` is what the public sees now (for a correction: the edition it replaces), ``diff`` the
    partners before → after per prefecture, ``problems`` the validation problems still open (errors first),
    ``unresolved`` the names still 要確認, ``note`` the public note exactly as it will appear, ``warnings``
    the reasons to stop and look again.
    """

    draft: SnapshotInfo
    label: str
    current: SnapshotInfo | None
    diff: Diff | None
    problems: list[dict[str, object]]
    unresolved: list[EntryRow]
    note: str
    warnings: list[str] = field(default_factory=list)


def release_preview(core: Core, ref: int | str, *, note: str | None = None) -> ReleasePreview:
    """What :func:`release` of draft ``ref`` (with ``note``, or the draft's own) would publish; changes nothing."""
    draft = get(core, ref)
    if draft.state != "draft":
        raise RegistryError(_("{snapshot} は{state}です。公表できるのは下書きだけです")
                            .format(snapshot=f"#{draft.id}（{draft.label}）",
                                    state=gettext(STATE_NAMES[draft.state])))
    with core.Session() as s:
        snap = _load(s, draft.id)
        editions = s.scalar(select(func.max(Snapshot.edition)).where(
            Snapshot.as_of == snap.as_of if snap.as_of else Snapshot.as_of.is_(None),
            Snapshot.state.in_(("published", "withdrawn"))))
        wards = s.scalar(select(func.count(func.distinct(ProjectWard.ward_code))).join(
            Project, Project.id == ProjectWard.project_id).where(Project.deleted_at.is_(None))) or 0
        problems = sorted((shown_problem(p) for p in snap.problems or []), key=lambda p: p.get("severity") != "error")
    try:
        current = get(core, draft.revises) if draft.revises else get(core)
    except RegistryError:  # nothing published yet
        current = None
    preview = ReleasePreview(draft=draft, label=edition_label(draft.as_of, "published", (editions or 0) + 1),
                             current=current, diff=diff(core, current.id, draft.id) if current else None,
                             problems=problems, unresolved=entries(core, draft.id, needs_review=True),
                             note=draft.note if note is None else note.strip())
    if current and current.partners and draft.partners < current.partners * (1 - DROP_WARNING):
        preview.warnings.append(
            _("連携自治体が {before} から {after} に減ります（{share:.0%} 減）。"
              "一覧の一部だけを取り込んでいないか確かめてください").format(
                before=current.partners, after=draft.partners, share=1 - draft.partners / current.partners))
    if draft.kind == "projects" and wards < WARDS:
        preview.warnings.append(
            _("この下書きは連携事業から作られていますが、連携事業を登録した区は23区のうち{n}区だけです。"
              "公表すると、公表一覧に載るのはその{n}区の連携先だけになります").format(n=wards))
    return preview


def public_after_withdrawal(core: Core, ref: int | str) -> SnapshotInfo | None:
    """The edition the public would see if published edition ``ref`` were withdrawn (None: no edition at all)."""
    with core.Session() as s:
        target = resolve_ref(s, ref)
        rows = s.execute(select(Snapshot.id, Snapshot.revises).where(Snapshot.state == "published",
                                                                       Snapshot.id != target)
                         .order_by(Snapshot.as_of.nulls_first(), Snapshot.id)).all()
    superseded = {r.revises for r in rows if r.revises}
    current = [r.id for r in rows if r.id not in superseded]
    return get(core, current[-1]) if current else None
