"""Review decisions: names that need a person, and the answers, remembered per (prefecture, written name)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from ..i18n import _
from . import audit
from .base import REVIEW_STATUSES, Core, RegistryError, default_actor, now
from .schema import Entry, ProjectPartner, ReviewDecision, Snapshot
from .snapshots import entry_row, rebuild_partners


@dataclass(slots=True)
class ReviewItem:
    """A written name (per prefecture) that needs a person, with every place it occurs."""

    pref_code: str
    prefecture: str
    written: str
    status: str
    code: str | None
    name: str | None
    reason: str
    candidates: list
    occurrences: list[tuple[int, str]] = field(default_factory=list)  # (snapshot id, cell)


def queue(core: Core) -> list[ReviewItem]:
    """Names that need a person, grouped by (prefecture, written name), across all drafts."""
    items: dict[tuple[str, str], ReviewItem] = {}
    with core.Session() as s:
        for e in s.scalars(select(Entry).where(Entry.status.in_(REVIEW_STATUSES), Entry.snapshot_id.in_(_drafts()))
                           .order_by(Entry.pref_code, Entry.snapshot_id, Entry.id)):
            key = (e.pref_code, e.written)
            if key not in items:
                row = entry_row(core.directory, e)
                items[key] = ReviewItem(e.pref_code, row.prefecture, e.written, e.status, e.code, row.name,
                                        e.reason, e.candidates)
            items[key].occurrences.append((e.snapshot_id, e.cell))
    return list(items.values())


def decide(core: Core, pref_code: str, written: str, *, code: str | None, action: str, actor: str | None = None,
           note: str = "") -> int:
    """Record a decision and apply it to every entry with that written name; returns entries changed.

    ``action`` is accept (the suggested code), choose (a candidate), manual (a code typed in) or
    reject (not a local government: no partner).
    """
    actor = actor or default_actor()
    if action == "reject":
        code = None
    elif not code or core.directory.get(code) is None:
        raise RegistryError(_("「{code}」は全国地方公共団体コードにありません").format(code=code))
    with core.Session.begin() as s:
        old = s.scalar(select(ReviewDecision).where(ReviewDecision.pref_code == pref_code,
                                                     ReviewDecision.written == written))
        before = decision_dict(old) if old else None
        if old is None:
            old = ReviewDecision(pref_code=pref_code, written=written)
            s.add(old)
        old.action, old.code, old.decided_by, old.decided_at, old.note = action, code, actor, now(), note
        s.flush()
        entries = s.scalars(select(Entry).where(Entry.pref_code == pref_code, Entry.written == written,
                                                Entry.auto_status.in_(REVIEW_STATUSES),
                                                Entry.snapshot_id.in_(_drafts()))).all()
        for e in entries:
            e.status, e.code, e.decision_id = ("reviewed" if code else "rejected"), code, old.id
        s.flush()
        for sid in {e.snapshot_id for e in entries}:
            rebuild_partners(s, sid)
        s.execute(update(ProjectPartner).where(ProjectPartner.pref_code == pref_code,
                                               ProjectPartner.written == written).values(code=code))
        audit.record(s, actor, "review", "review_decisions", f"{pref_code}:{written}", before, decision_dict(old))
    return len(entries)


def _drafts():  # type: ignore[no-untyped-def]
    """Decisions apply to drafts only: a published edition never changes (the database refuses it too)."""
    return select(Snapshot.id).where(Snapshot.state == "draft")


def decisions(core: Core) -> list[dict[str, object]]:
    with core.Session() as s:
        return [decision_dict(d) for d in s.scalars(select(ReviewDecision).order_by(ReviewDecision.id))]


def decision_dict(d: ReviewDecision) -> dict[str, object]:
    return {"id": d.id, "pref_code": d.pref_code, "written": d.written, "action": d.action, "code": d.code,
            "decided_by": d.decided_by, "decided_at": d.decided_at.isoformat(timespec="seconds")
            if d.decided_at else None, "note": d.note}
