"""Named locks held until the caller's transaction ends, for work that reads and then writes on what it read.

A template import decides which rows are new projects by reading the live projects, then creates them.
Two imports of the same file at the same moment would both read "new" and both create it; holding
``locks.hold(s, "project-templates")`` first makes the second wait until the first has committed and
then read what the first created (PostgreSQL runs each statement at READ COMMITTED; SQLite's write lock
is taken before the transaction has read anything, so it reads the newest data).

- PostgreSQL: a transaction-scoped advisory lock, keyed by the name (no privilege needed, released at
  commit or rollback).
- SQLite: the database's own write lock, taken by a write that changes nothing. SQLite has one writer
  at a time anyway, so a name adds nothing there; others wait up to the connection's timeout.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL's advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def hold(s: Session, name: str) -> None:
    """Take the lock ``name`` inside ``s``'s transaction; call it before the transaction reads anything."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key(name)})
    elif dialect == "sqlite":
        s.execute(text("UPDATE projects SET id = id WHERE 0"))  # BEGIN + the write lock, no row touched
