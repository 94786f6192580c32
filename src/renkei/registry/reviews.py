"""Review decisions: names that need a person, and the answers, remembered per (prefecture, written name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..i18n import _
from . import audit, editions, projects
from .base import REVIEW_STATUSES, Core, RegistryError, default_actor, now
from .schema import Entry, ReviewDecision, Snapshot
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
                                        row.reason, e.candidates)
            items[key].occurrences.append((e.snapshot_id, e.cell))
    return list(items.values())


class OutsidePrefecture(RegistryError):
    """A code from another prefecture that is not among the item's candidates: refused unless forced."""


def guard(core: Core, pref_code: str, written: str, code: str) -> str | None:
    """Why ``code`` may not be recorded for (``pref_code``, ``written``) without ``force``, or None if it may.

    It may when it belongs to the item's prefecture, or is one of the item's candidates (or its
    suggestion) in any snapshot: a typo of 大湯村 in 秋田県 is not 港区.
    """
    gov = core.directory.get(code)
    pref = core.directory.get(pref_code) if pref_code else None
    if gov is None or pref is None or gov.pref_code == pref_code:
        return None
    with core.Session() as s:
        rows = s.execute(select(Entry.auto_code, Entry.candidates).where(
            Entry.pref_code == pref_code, Entry.written == written)).all()
    if any(auto == code or any(c.get("code") == code for c in cands or []) for auto, cands in rows):
        return None
    other = core.directory[gov.pref_code]
    return _("{code}（{prefecture}{name}）は{item_prefecture}の自治体ではなく、「{written}」の候補にもありません"
             ).format(code=code, prefecture=other.name, name=gov.name if gov.code != other.code else "",
                      item_prefecture=pref.name, written=written)


def decide(core: Core, pref_code: str, written: str, *, code: str | None, action: str, actor: str | None = None,
           note: str = "", force: bool = False) -> int:
    """Record a decision and apply it to every draft entry with that written name; returns entries changed.

    ``action`` is accept (the suggested code), choose (a candidate), manual (a code typed in) or
    reject (not a local government: no partner). A code outside the item's prefecture that is not
    among its candidates raises :class:`OutsidePrefecture`, unless ``force``: then it is recorded
    with a note saying so. Published editions are never touched.
    """
    actor = actor or default_actor()
    if action == "reject":
        code = None
    elif not code or core.directory.get(code) is None:
        raise RegistryError(_("「{code}」は全国地方公共団体コードにありません").format(code=code))
    refusal = guard(core, pref_code, written, code) if code else None
    if refusal and not force:
        raise OutsidePrefecture(refusal)
    if refusal:
        forced = _("確認のうえ記録：{reason}").format(reason=refusal)
        note = f"{forced}。{note}" if note else forced
    with core.Session.begin() as s:
        drafts = _lock_drafts(s, select(Entry.snapshot_id).where(
            Entry.pref_code == pref_code, Entry.written == written, Entry.auto_status.in_(REVIEW_STATUSES),
            Entry.snapshot_id.in_(_drafts())))
        old = s.scalar(select(ReviewDecision).where(ReviewDecision.pref_code == pref_code,
                                                     ReviewDecision.written == written))
        before = decision_dict(old) if old else None
        if old is None:
            old = ReviewDecision(pref_code=pref_code, written=written)
            s.add(old)
        old.action, old.code, old.decided_by, old.decided_at, old.note = action, code, actor, now(), note
        old.undone_at, old.undone_by = None, None
        s.flush()
        entries = s.scalars(select(Entry).where(Entry.pref_code == pref_code, Entry.written == written,
                                                Entry.auto_status.in_(REVIEW_STATUSES),
                                                Entry.snapshot_id.in_(drafts))).all()
        for e in entries:
            e.status, e.code, e.decision_id = ("reviewed" if code else "rejected"), code, old.id
        s.flush()
        for sid in {e.snapshot_id for e in entries}:
            rebuild_partners(s, sid)
        projects.recode_partners(s, pref_code, written, code, actor)  # new versions: open forms conflict
        audit.record(s, actor, "review", "review_decisions", f"{pref_code}:{written}", before, decision_dict(old))
    return len(entries)


def undo(core: Core, decision_id: int, *, actor: str | None = None) -> int:
    """Undo a decision: draft entries go back to the importer's answer and later imports no longer reuse it.

    The decision stays on record, marked undone (who, when), and the undo is audited. Published
    editions keep what was decided when they were published. Returns the draft entries reverted.
    """
    actor = actor or default_actor()
    with core.Session.begin() as s:
        drafts = _lock_drafts(s, select(Entry.snapshot_id).where(Entry.decision_id == decision_id,
                                                                 Entry.snapshot_id.in_(_drafts())))
        d = s.get(ReviewDecision, decision_id)
        if d is None:
            raise RegistryError(_("判断 #{id} はありません（`renkei review --decisions` で一覧できます）")
                                .format(id=decision_id))
        if d.undone_at is not None:
            raise RegistryError(_("判断 #{id} は取り消し済みです").format(id=decision_id))
        before = decision_dict(d)
        d.undone_at, d.undone_by = now(), actor
        entries = s.scalars(select(Entry).where(Entry.decision_id == d.id, Entry.snapshot_id.in_(drafts))).all()
        for e in entries:
            e.status, e.code, e.decision_id = e.auto_status, e.auto_code, None
        s.flush()
        for sid in {e.snapshot_id for e in entries}:
            rebuild_partners(s, sid)
        pref = core.directory.get(d.pref_code) if d.pref_code else None
        res = core.resolver.resolve_cached(d.written, pref.name if pref else None)
        projects.recode_partners(s, d.pref_code, d.written, res.code, actor)
        audit.record(s, actor, "undo", "review_decisions", f"{d.pref_code}:{d.written}", before, decision_dict(d))
    return len(entries)


def _lock_drafts(s: Session, snapshot_ids: Select) -> list[int]:
    """Lock the drafts a decision changes (``snapshot_ids`` selects them), so that it and a release serialise.

    A draft published while the decision waited for its lock is not changed: the decision is refused,
    with nothing written, and the person decides again on what is now a draft.
    """
    seen = set(s.scalars(snapshot_ids.distinct()))
    locked = editions.lock(s, seen)
    published = sorted(sid for sid, snap in locked.items() if snap.state != "draft")
    if published:
        raise RegistryError(_("下書き {ids} はこの判断の間に公表されました。判断は記録していません。"
                              "もう一度お試しください").format(ids="、".join(f"#{i}" for i in published)))
    return sorted(locked)


def _drafts() -> Select[int]:
    """Decisions apply to drafts only: a published edition never changes (the database refuses it too)."""
    return select(Snapshot.id).where(Snapshot.state == "draft")


def decisions(core: Core) -> list[dict[str, object]]:
    """Every decision, oldest first, undone ones included, with the prefecture's and the code's names."""
    with core.Session() as s:
        rows = [decision_dict(r) for r in s.scalars(select(ReviewDecision).order_by(ReviewDecision.id))]
    return [_with_names(core, r) for r in rows]


def _with_names(core: Core, row: dict[str, object]) -> dict[str, object]:
    """A decision's dict with its prefecture's and its code's names (``prefecture``, ``name``)."""
    d = core.directory
    pref = d.get(str(row["pref_code"])) if row["pref_code"] else None
    gov = d.get(str(row["code"])) if row["code"] else None
    row["prefecture"], row["name"] = (pref.name if pref else ""), (gov.name if gov else None)
    return row


def decision_dict(d: ReviewDecision) -> dict[str, object]:
    """The ``renkei review --decisions --json`` contract (with ``prefecture`` and ``name`` added there)."""
    return {"id": d.id, "pref_code": d.pref_code, "written": d.written, "action": d.action, "code": d.code,
            "decided_by": d.decided_by, "decided_at": _time(d.decided_at), "note": d.note,
            "undone_at": _time(d.undone_at), "undone_by": d.undone_by}


def _time(t: datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


def decided_among(core: Core, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (prefecture code, written name) pairs have a decision in force: an import applies them (write_report)."""
    if not keys:
        return set()
    with core.Session() as s:
        rows = s.execute(select(ReviewDecision.pref_code, ReviewDecision.written)
                         .where(ReviewDecision.undone_at.is_(None),
                                ReviewDecision.written.in_({w for _pref, w in keys}))).all()
    return {(p, w) for p, w in rows} & keys


def is_cheap(item: ReviewItem) -> bool:
    """A suggestion safe to accept in bulk: the resolver corrected the spelling (status ``corrected``: a typo, a
    look-alike kanji, a wrong suffix) to its suggestion, and that suggestion was its only candidate. Merged,
    ambiguous, unresolved and multiple names, and corrections with rivals, always need a person."""
    codes = [c.get("code") for c in item.candidates or []]
    return item.status == "corrected" and item.code is not None and codes == [item.code]


def accept_suggestions(core: Core, keys: list[tuple[str, str]], *, actor: str | None = None) -> int:
    """Accept the suggestion of each (prefecture code, written name) in ``keys`` that is still in the queue and still
    :func:`is_cheap` (the list was shown to the person; anything that changed since is left for review).
    Returns how many were decided; each is an ordinary, audited decision that can be undone."""
    wanted = set(keys)
    decided = 0
    for item in queue(core):
        if (item.pref_code, item.written) in wanted and is_cheap(item):
            decide(core, item.pref_code, item.written, code=item.code, action="accept", actor=actor)
            decided += 1
    return decided


def decision_of(core: Core, decision_id: int) -> dict[str, object] | None:
    """One decision as in :func:`decisions` (names added), or None: what the queue's message names."""
    with core.Session() as s:
        d = s.get(ReviewDecision, decision_id)
        return _with_names(core, decision_dict(d)) if d else None


def latest_decision_id(core: Core, pref_code: str, written: str) -> int | None:
    with core.Session() as s:
        return s.scalar(select(ReviewDecision.id).where(ReviewDecision.pref_code == pref_code,
                                                        ReviewDecision.written == written))


def typed_code(text: str) -> str | None:
    """A code as a person typed it (the web form, ``review --choose N=CODE``): full-width digits and spaces folded;
    5 digits get their check digit (:func:`renkei.codes.to_code6`). Whether it exists is for :func:`decide`."""
    import unicodedata

    from ..codes import to_code6

    code = "".join(unicodedata.normalize("NFKC", text).split())
    return to_code6(code) if len(code) == 5 and code.isdigit() else code or None
