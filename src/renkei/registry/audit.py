"""The audit log: who changed what, when, with the values before and after. Every write records one row."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from .base import Core, default_actor, jsonable, now
from .schema import AuditLog


class AuditEntry(TypedDict):
    """One row of the log as :func:`log` gives it (``at`` in ISO form, UTC)."""

    id: int
    at: str
    actor: str
    action: str
    target: str
    target_id: str
    before: dict[str, Any] | None  # the values as JSON stored them
    after: dict[str, Any] | None


def record(s: Session, actor: str | None, action: str, target: str, target_id: str,
           before: dict | None, after: dict | None) -> None:
    """Add an audit row in the caller's transaction, so it commits (or rolls back) with the change."""
    s.add(AuditLog(at=now(), actor=actor or default_actor(), action=action, target=target, target_id=target_id,
                   before=jsonable(before), after=jsonable(after)))


def log(core: Core, limit: int = 100, offset: int = 0, *, actor: str | None = None, action: str | None = None,
        since: datetime | None = None, until: datetime | None = None) -> list[AuditEntry]:
    """The newest entries first; only one person's, one action's, or those in [since, until) when given
    (aware datetimes in any zone, compared as moments; :func:`japan_days` gives the bounds of days in Japan)."""
    q = select(AuditLog)
    if actor:
        q = q.where(AuditLog.actor == actor)
    if action:
        q = q.where(AuditLog.action == action)
    if since:
        q = q.where(AuditLog.at >= since)
    if until:
        q = q.where(AuditLog.at < until)
    with core.Session() as s:
        rows = s.scalars(q.order_by(AuditLog.id.desc()).limit(limit).offset(offset))
        return [AuditEntry(id=a.id, at=a.at.isoformat(timespec="seconds"), actor=a.actor, action=a.action,
                           target=a.target, target_id=a.target_id, before=a.before, after=a.after) for a in rows]


def japan_days(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The moments [since, until) of the days ``first`` to ``last`` (both included) as days in Japan (JST).

    An entry made at 05:00 JST on 1 August is 20:00 UTC on 31 July: it belongs to 1 August.
    """
    from ..i18n import JST

    since = datetime.combine(first, time.min, JST) if first else None
    until = datetime.combine(last + timedelta(days=1), time.min, JST) if last else None
    return since, until


def facets(core: Core) -> tuple[list[str], list[str]]:
    """Every person and every action in the log, for the filters."""
    with core.Session() as s:
        actors = sorted(s.scalars(select(AuditLog.actor).distinct()))
        actions = sorted(s.scalars(select(AuditLog.action).distinct()))
    return actors, actions
