"""The project-change workflow: the only code that moves a change out of 承認待ち or applies it to ``projects``.

States: ``pending`` → ``approved`` (an admin approves; the change is applied in the same transaction),
``rejected`` (an admin rejects, or the proposer's ward withdraws it) or ``superseded`` (a newer change
to the same project replaces it). Nothing else ever changes a state, and a decided change never moves.

Every decision is a compare-and-set, ``UPDATE project_changes SET state = … WHERE id IN (…) AND
state = 'pending'``, issued before anything else is written in its transaction, and continues only if
every named row changed.
Two admins approving one change, or an approval racing the ward's withdrawal, therefore serialise in
the database: one wins, the other gets :class:`ChangeConflict` and its transaction changes nothing.
A creation stores its change's id in ``projects.created_by_change_id`` (unique), so even a path that
skipped the compare-and-set could not make a second project of one change. Whatever the database
still reports from a race (``StaleDataError`` from a project's version, a unique violation) becomes
:class:`ChangeConflict` too: a 409 page on the web, one line and exit 1 in the CLI — never a 500.

Who may do what is in :mod:`.permissions`; this module calls it before writing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..i18n import _
from . import audit, permissions, projects, visibility
from .base import ConflictError, Core, RegistryError, now, parse_date
from .schema import Project, ProjectChange, ProjectPartner, ProjectWard, table_of

FIELDS = projects.PROJECT_FIELDS
BATCH = 500
# reasons stored with a change (data in the registry's language, Japanese, like every stored value)
SUPERSEDED = "新しい変更で置き換えられました"
WITHDRAWN = "取り下げ"


class ChangeConflict(RegistryError):
    """The change was decided (or its project changed) by someone else at the same moment: reload and look again."""


def not_pending(ids: Iterable[int]) -> ChangeConflict:
    return ChangeConflict(_("承認待ちの変更ではありません: {ids}（他の人がすでに処理した可能性があります。"
                            "読み込み直してください）").format(ids="、".join(f"#{i}" for i in sorted(ids))))


def race() -> ChangeConflict:
    """The conflict a concurrent writer caused, as the person who lost is told."""
    return ChangeConflict(_("同時に行われた別の操作と重なったため、保存されませんでした。"
                            "読み込み直してから、もう一度操作してください"))


@contextmanager
def conflicts_as_errors() -> Iterator[None]:
    """What a race leaves in the database's hands (a stale version, a unique violation) as :class:`ChangeConflict`."""
    try:
        yield
    except (StaleDataError, IntegrityError) as exc:
        raise race() from exc


# -- the compare-and-set ----------------------------------------------------------------------------------------

def _claim(s: Session, ids: list[int], state: str, actor: str, reason: str | None = None) -> None:
    """Move every change of ``ids`` from pending to ``state``, or none: :class:`ChangeConflict` if any had moved."""
    if not ids:
        return
    values: dict[str, object] = {"state": state, "decided_by": actor, "decided_at": now()}
    if reason is not None:
        values["reason"] = reason
    done = s.execute(update(ProjectChange).where(ProjectChange.id.in_(ids), ProjectChange.state == "pending")
                     .values(**values).execution_options(synchronize_session="evaluate"))
    assert isinstance(done, CursorResult)  # an UPDATE's result, which counts the rows it changed
    if done.rowcount != len(set(ids)):  # someone decided one of them first: this transaction rolls back
        still = set(s.scalars(select(ProjectChange.id).where(ProjectChange.id.in_(ids),
                                                             ProjectChange.state == "pending")))
        raise not_pending(set(ids) - still)


def supersede(s: Session, change: ProjectChange, actor: str) -> None:
    """A newer change to the same project replaces ``change`` (still pending, or the newer one is refused)."""
    _claim(s, [change.id], "superseded", actor, SUPERSEDED)


def approve_in(core: Core, s: Session, changes: list[ProjectChange], actor: str, *, audit_each: bool = True) -> None:
    """Approve and apply ``changes`` inside the caller's transaction (an admin's own changes, as they are made)."""
    _claim(s, [c.id for c in changes], "approved", actor)
    _apply(core, s, changes, actor, audit_each=audit_each)


# -- decisions --------------------------------------------------------------------------------------------------

def approve(core: Core, change_ids: Iterable[int] = (), *, ward: str | None = None, actor: str) -> int:
    """Approve exactly the given pending changes (all of ``ward``'s when no ids are given); returns how many.

    With ids and a ward, every id must be a change of that ward: 「すべて承認」 approves what was shown.
    """
    ids = sorted(set(change_ids))
    if not ids and ward:
        with core.Session() as s:
            ids = list(s.scalars(select(ProjectChange.id).where(ProjectChange.state == "pending",
                                                                ProjectChange.ward_code == ward)))
    if not ids:
        return 0
    with conflicts_as_errors(), core.Session.begin() as s:
        _claim(s, ids, "approved", actor)  # first: the row locks decide who wins
        changes = list(s.scalars(select(ProjectChange).where(ProjectChange.id.in_(ids)).order_by(ProjectChange.id)))
        others = [c.id for c in changes if ward and c.ward_code != ward]
        if ward and others:
            raise RegistryError(_("{ward}の変更ではありません: {ids}").format(
                ward=core.directory[ward].name, ids="、".join(f"#{i}" for i in others)))
        _apply(core, s, changes, actor)
    return len(ids)


def reject(core: Core, change_id: int, *, actor: str, reason: str = "") -> ProjectChange:
    """Reject a pending change; nothing public changes. The reason is required: the ward reads it on its
    dashboard and corrects the change from it (:func:`rejected_by_secretariat`)."""
    reason = reason.strip()
    if not reason:
        raise RegistryError(_("却下の理由を入力してください（区の担当者に表示されます）"))
    with conflicts_as_errors(), core.Session.begin() as s:
        _claim(s, [change_id], "rejected", actor, reason)
        change = s.get_one(ProjectChange, change_id)
        audit_change(s, actor, "reject", change.id, None, {"change": change.action, "reason": reason,
                                                          **(change.values or {})})
        return change


def rejected_by_secretariat() -> ColumnElement[bool]:
    """Changes the secretariat rejected (a ward's own withdrawal is stored as rejected too, with :data:`WITHDRAWN`)
    that their ward has not yet proposed again."""
    reopened = select(ProjectChange.reopens_id).where(ProjectChange.reopens_id.is_not(None))
    return and_(ProjectChange.state == "rejected", ProjectChange.reason != WITHDRAWN,
                ProjectChange.id.not_in(reopened))


def withdraw(core: Core, change_id: int, *, actor: str, actor_ward: str | None = None) -> None:
    """The proposer's ward takes back a pending change (recorded as rejected, by its own editor)."""
    with conflicts_as_errors(), core.Session.begin() as s:
        change = s.get(ProjectChange, change_id)
        if change is None:
            raise not_pending([change_id])
        permissions.check_withdraw(actor_ward, change.ward_code)
        _claim(s, [change_id], "rejected", actor, WITHDRAWN)
        audit_change(s, actor, "withdraw", change.id, None, {"change": change.action, **(change.values or {})})


# -- applying ---------------------------------------------------------------------------------------------------

def _apply(core: Core, s: Session, changes: list[ProjectChange], actor: str, *, audit_each: bool = True) -> None:
    """Write approved changes into ``projects``: adds in batches, edits and deletions checked against their base."""
    stamp = now()
    creates = [c for c in changes if c.action == "create"]
    for i in range(0, len(creates), BATCH):
        batch = creates[i:i + BATCH]
        table = table_of(Project)
        rows = [{**{k: (parse_date(v) if k.endswith("_date") else v) for k, v in _proposed(c).items() if k in FIELDS},
                 "version": 1, "created_at": stamp, "updated_at": stamp, "updated_by": c.proposed_by,
                 "created_by_change_id": c.id}
                for c in batch]
        ids = s.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).all()
        links_w, links_p = [], []
        for pid, c in zip(ids, batch, strict=True):
            c.project_id = pid
            links_w += [{"project_id": pid, "ward_code": w} for w in _proposed(c)["wards"]]
            links_p += [{"project_id": pid, **x} for x in _proposed(c)["partners"]]
        s.execute(insert(table_of(ProjectWard)), links_w)
        if links_p:
            s.execute(insert(table_of(ProjectPartner)), links_p)
    for c in changes:
        before = None
        if c.action != "create":
            p = s.get(Project, c.project_id)
            if p is None or not visibility.is_live(p):
                raise RegistryError(_("変更 #{change}: 事業 {id} はすでに削除されています").format(
                    change=c.id, id=c.project_id))
            before = projects.view(core, s, p).as_dict()
            if p.version != c.base_version:
                raise ConflictError(p.id, {"version": c.base_version, **(c.values or {})}, before)
            if c.action == "delete":
                p.deleted_at, p.deleted_by = stamp, actor
            else:
                values = _proposed(c)
                for k in FIELDS:
                    setattr(p, k, parse_date(values[k]) if k.endswith("_date") else values[k])
            p.updated_at, p.updated_by = stamp, c.proposed_by
            s.flush()  # UPDATE ... WHERE version = base: one new version per change
            if c.action == "update":
                _set_links(s, p.id, _proposed(c))
        if audit_each or c.action != "create":
            audit_change(s, actor, "approve", c.id, before, {"change": c.action, "project_id": c.project_id,
                                                       **(c.values or {})})
    s.flush()


def _proposed(c: ProjectChange) -> dict[str, Any]:
    """The project an add or an edit proposes (a deletion proposes none)."""
    assert c.values is not None, c.id
    return c.values


def _set_links(s: Session, pid: int, values: dict) -> None:
    s.execute(delete(ProjectWard).where(ProjectWard.project_id == pid))
    s.execute(insert(table_of(ProjectWard)), [{"project_id": pid, "ward_code": w} for w in values["wards"]])
    s.execute(delete(ProjectPartner).where(ProjectPartner.project_id == pid))
    if values["partners"]:
        s.execute(insert(table_of(ProjectPartner)), [{"project_id": pid, **x} for x in values["partners"]])


def audit_change(s: Session, actor: str, action: str, change_id: int, before: dict | None,
                 after: dict | None) -> None:
    """One audit entry about a change (its request, approval, rejection or withdrawal)."""
    audit.record(s, actor, action, "project_changes", str(change_id), before, after)  # record makes both JSON
