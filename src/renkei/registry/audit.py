"""The audit log: who changed what, when, with the values before and after. Every write records one row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .base import Core, default_actor, jsonable, now
from .schema import AuditLog


def record(s: Session, actor: str | None, action: str, target: str, target_id: str,
           before: dict | None, after: dict | None) -> None:
    """Add an audit row in the caller's transaction, so it commits (or rolls back) with the change."""
    s.add(AuditLog(at=now(), actor=actor or default_actor(), action=action, target=target, target_id=target_id,
                   before=jsonable(before), after=jsonable(after)))


def log(core: Core, limit: int = 100, offset: int = 0) -> list[dict[str, object]]:
    """The newest entries first."""
    with core.Session() as s:
        rows = s.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit).offset(offset))
        return [{"id": a.id, "at": a.at.isoformat(timespec="seconds"), "actor": a.actor, "action": a.action,
                 "target": a.target, "target_id": a.target_id, "before": a.before, "after": a.after}
                for a in rows]
