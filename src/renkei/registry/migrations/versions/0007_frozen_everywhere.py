"""editions frozen at every path (REPLACE, TRUNCATE, a write racing a release); grants for an application role;
the client address of a web session

Revision ID: 0007_frozen_everywhere
Revises: project_changes
Create Date: 2026-12-04

Migration 0004's row triggers left three ways to change a published edition:

- SQLite: ``INSERT OR REPLACE`` with the key of a published row deletes it implicitly, and the implicit
  delete fires no trigger unless ``PRAGMA recursive_triggers`` is on. New BEFORE INSERT triggers refuse an
  insert whose key (id, or another unique key) is held by a published or withdrawn snapshot or by a row of
  one, with or without the pragma; :func:`renkei.registry.database.make_engine` also sets the pragma.
- PostgreSQL: ``TRUNCATE`` fires no row trigger. BEFORE TRUNCATE triggers refuse it while any published or
  withdrawn snapshot exists.
- PostgreSQL: a write to a draft's rows that commits just after the draft is published. The child-row
  trigger now reads the snapshot's state ``FOR SHARE``, so the release (an UPDATE of that row) waits for the
  writer, or the writer waits for the release and then sees it published.

With ``RENKEI_APP_ROLE`` set (PostgreSQL), the role the web server runs as is granted what it needs (SELECT,
INSERT, UPDATE, DELETE on the tables, the sequences; the same for tables later migrations create) and
nothing more: it owns nothing, so it cannot TRUNCATE, ALTER or DROP, nor drop the triggers.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

revision = '0007_frozen_everywhere'
down_revision = '0006_workflow'
branch_labels = None
depends_on = None

FROZEN = "('published', 'withdrawn')"
CHILDREN = ("snapshot_blocks", "entries", "partners")
MESSAGE = "公表済みの版は変更できません (a published snapshot cannot be changed)"
APP_ROLE_ENV = "RENKEI_APP_ROLE"
# For each table, the unique keys an INSERT OR REPLACE could collide with (a row of a frozen snapshot).
SQLITE_KEYS = {"snapshots": (("id",), ("sha256", "as_of", "kind")),
               "snapshot_blocks": (("id",), ("snapshot_id", "position")),
               "entries": (("id",),),
               "partners": (("snapshot_id", "code"),)}


def upgrade() -> None:
    op.add_column('web_sessions', sa.Column('address', sa.String(length=64), server_default='', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
        grant_app_role(os.environ.get(APP_ROLE_ENV, "").strip())
    else:
        _sqlite()


def _sqlite() -> None:
    for table, keys in SQLITE_KEYS.items():
        held = " OR ".join("(" + " AND ".join(f"t.{c} = NEW.{c}" for c in key) + ")" for key in keys)
        owner = "t.id" if table == "snapshots" else "t.snapshot_id"
        op.execute(f"CREATE TRIGGER {table}_frozen_replace BEFORE INSERT ON {table} "
                   f"WHEN EXISTS (SELECT 1 FROM {table} AS t JOIN snapshots AS s ON s.id = {owner} "
                   f"WHERE s.state IN {FROZEN} AND ({held})) "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def _postgresql() -> None:
    op.execute(f"""
CREATE OR REPLACE FUNCTION renkei_snapshot_part_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  held text;
BEGIN
  -- FOR SHARE: a release (UPDATE of the snapshot row) and this write wait for each other
  IF TG_OP <> 'INSERT' THEN
    SELECT state INTO held FROM snapshots WHERE id = OLD.snapshot_id FOR SHARE;
    IF held IN {FROZEN} THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT state INTO held FROM snapshots WHERE id = NEW.snapshot_id FOR SHARE;
    IF held IN {FROZEN} THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$""")
    op.execute(f"""
CREATE FUNCTION renkei_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM snapshots WHERE state IN {FROZEN}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$""")
    for table in ("snapshots", *CHILDREN):
        op.execute(f"CREATE TRIGGER {table}_frozen_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION renkei_refuse_truncate()")


def grant_app_role(role: str) -> None:
    """Grant ``role`` the rows of every table (and of tables created later by this migrating role), nothing else."""
    if not role:
        return
    quoted = op.get_bind().dialect.identifier_preparer.quote(role)
    op.execute(f"GRANT USAGE ON SCHEMA {_schema()} TO {quoted}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {_schema()} TO {quoted}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_schema()} TO {quoted}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {_schema()} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES "
               f"TO {quoted}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {_schema()} GRANT USAGE, SELECT ON SEQUENCES TO {quoted}")


def _schema() -> str:
    name = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    return op.get_bind().dialect.identifier_preparer.quote(name)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("snapshots", *CHILDREN):
            op.execute(f"DROP TRIGGER {table}_frozen_truncate ON {table}")
        op.execute("DROP FUNCTION renkei_refuse_truncate()")
        op.execute(f"""
CREATE OR REPLACE FUNCTION renkei_snapshot_part_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM snapshots WHERE id = OLD.snapshot_id AND state IN {FROZEN}))
     OR (TG_OP <> 'DELETE' AND EXISTS (SELECT 1 FROM snapshots WHERE id = NEW.snapshot_id AND state IN {FROZEN}))
  THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$""")
    else:
        for table in SQLITE_KEYS:
            op.execute(f"DROP TRIGGER {table}_frozen_replace")
    op.execute("ALTER TABLE web_sessions DROP COLUMN address")
