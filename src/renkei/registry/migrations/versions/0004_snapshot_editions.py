"""snapshot states (draft, published, withdrawn), editions, and triggers that keep a published snapshot unchanged

Revision ID: 0004_snapshot_editions
Revises: accounts_throttle
Create Date: 2026-11-29

Before states existed, the public saw the latest list snapshot of each as-of date; only those
become published editions (第1版), so an upgraded registry shows what it showed before and no
more. Older imports of the same date and lists derived from projects (kind ``projects``, never
public) stay drafts. What was published is recorded in the Alembic config's ``published``
attribute, for ``renkei db upgrade`` to print. Review decisions gain undone_at/undone_by (an
undo is kept, not deleted).

The triggers are the guarantee, not the code: on both SQLite and PostgreSQL, any UPDATE or
DELETE of a published or withdrawn snapshot, and any INSERT, UPDATE or DELETE of its blocks,
entries or partners, is refused — except the single move published → withdrawn, which may
set only state and the withdrawn_* columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_snapshot_editions'
down_revision = 'accounts_throttle'
branch_labels = None
depends_on = None

FROZEN = "('published', 'withdrawn')"
CHILDREN = ("snapshot_blocks", "entries", "partners")
WITHDRAW_COLUMNS = ("state", "withdrawn_at", "withdrawn_by", "withdrawn_reason")
MESSAGE = "公表済みの版は変更できません (a published snapshot cannot be changed)"
STATE_MESSAGE = "snapshot state must be draft, published or withdrawn"


def upgrade() -> None:
    with op.batch_alter_table('review_decisions') as batch:  # plain ADD COLUMNs: no table rebuild
        batch.add_column(sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('undone_by', sa.String(length=80), nullable=True))
    op.add_column('snapshots', sa.Column('state', sa.String(length=10), server_default='draft', nullable=False))
    op.add_column('snapshots', sa.Column('edition', sa.Integer(), nullable=True))
    op.add_column('snapshots', sa.Column('source_url', sa.Text(), server_default='', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        op.add_column('snapshots', sa.Column('revises', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_snapshots_revises'), 'snapshots', 'snapshots', ['revises'], ['id'])
    elif "revises" not in _sqlite_columns():  # kept by a downgrade; added in place (a rebuild would cascade)
        op.execute("ALTER TABLE snapshots ADD COLUMN revises INTEGER REFERENCES snapshots (id)")
    op.add_column('snapshots', sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('snapshots', sa.Column('published_by', sa.String(length=80), nullable=True))
    op.add_column('snapshots', sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('snapshots', sa.Column('withdrawn_by', sa.String(length=80), nullable=True))
    op.add_column('snapshots', sa.Column('withdrawn_reason', sa.Text(), nullable=True))
    op.create_index('ix_snapshots_state', 'snapshots', ['state'])
    _publish_existing()
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(op.f('ck_snapshots_state'), 'snapshots', "state IN ('draft', 'published', 'withdrawn')")
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _publish_existing() -> None:
    """Publish what the public saw: the latest list snapshot of each as-of date (import order is id order)."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, as_of, imported_at, imported_by FROM snapshots WHERE kind = 'list' "
                                "AND id IN (SELECT MAX(id) FROM snapshots WHERE kind = 'list' GROUP BY as_of) "
                                "ORDER BY id")).all()
    config = op.get_context().config
    assert config is not None  # renkei runs its migrations with its own Config (database._alembic_config)
    published = config.attributes.setdefault("published", [])
    for sid, as_of, imported_at, imported_by in rows:
        conn.execute(sa.text("UPDATE snapshots SET state = 'published', edition = 1, published_at = :at, "
                             "published_by = :by WHERE id = :id"),
                     {"at": imported_at, "by": imported_by, "id": sid})
        published.append({"id": sid, "as_of": str(as_of) if as_of is not None else None, "edition": 1})


def _sqlite_columns() -> list[str]:
    return [r[1] for r in op.get_bind().execute(sa.text("PRAGMA table_info(snapshots)"))]


def _sqlite_triggers() -> None:
    columns = _sqlite_columns()
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns if c not in WITHDRAW_COLUMNS)
    raise_ = f"SELECT RAISE(ABORT, '{MESSAGE}');"
    op.execute(f"CREATE TRIGGER snapshots_state_insert BEFORE INSERT ON snapshots "
               f"WHEN NEW.state NOT IN ('draft', 'published', 'withdrawn') "
               f"BEGIN SELECT RAISE(ABORT, '{STATE_MESSAGE}'); END")
    op.execute(f"CREATE TRIGGER snapshots_state_update BEFORE UPDATE ON snapshots "
               f"WHEN NEW.state NOT IN ('draft', 'published', 'withdrawn') "
               f"BEGIN SELECT RAISE(ABORT, '{STATE_MESSAGE}'); END")
    op.execute(f"CREATE TRIGGER snapshots_frozen_update BEFORE UPDATE ON snapshots "
               f"WHEN OLD.state IN {FROZEN} AND NOT (OLD.state = 'published' AND NEW.state = 'withdrawn' "
               f"AND {same}) BEGIN {raise_} END")
    op.execute(f"CREATE TRIGGER snapshots_frozen_delete BEFORE DELETE ON snapshots "
               f"WHEN OLD.state IN {FROZEN} BEGIN {raise_} END")
    for table in CHILDREN:
        state = "(SELECT state FROM snapshots WHERE id = {}.snapshot_id)"
        op.execute(f"CREATE TRIGGER {table}_frozen_insert BEFORE INSERT ON {table} "
                   f"WHEN {state.format('NEW')} IN {FROZEN} BEGIN {raise_} END")
        op.execute(f"CREATE TRIGGER {table}_frozen_update BEFORE UPDATE ON {table} "
                   f"WHEN {state.format('OLD')} IN {FROZEN} OR {state.format('NEW')} IN {FROZEN} "
                   f"BEGIN {raise_} END")
        op.execute(f"CREATE TRIGGER {table}_frozen_delete BEFORE DELETE ON {table} "
                   f"WHEN {state.format('OLD')} IN {FROZEN} BEGIN {raise_} END")


def _postgresql_triggers() -> None:
    keep = " - ".join(f"'{c}'" for c in WITHDRAW_COLUMNS)
    op.execute(f"""
CREATE FUNCTION renkei_snapshot_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state IN {FROZEN} THEN
    IF TG_OP = 'UPDATE' AND OLD.state = 'published' AND NEW.state = 'withdrawn'
       AND (to_jsonb(NEW) - {keep}) = (to_jsonb(OLD) - {keep}) THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$""")
    op.execute(f"""
CREATE FUNCTION renkei_snapshot_part_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM snapshots WHERE id = OLD.snapshot_id AND state IN {FROZEN}))
     OR (TG_OP <> 'DELETE' AND EXISTS (SELECT 1 FROM snapshots WHERE id = NEW.snapshot_id AND state IN {FROZEN}))
  THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$""")
    op.execute("CREATE TRIGGER snapshots_frozen BEFORE UPDATE OR DELETE ON snapshots "
               "FOR EACH ROW EXECUTE FUNCTION renkei_snapshot_frozen()")
    for table in CHILDREN:
        op.execute(f"CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION renkei_snapshot_part_frozen()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER snapshots_frozen ON snapshots")
        for table in CHILDREN:
            op.execute(f"DROP TRIGGER {table}_frozen ON {table}")
        op.execute("DROP FUNCTION renkei_snapshot_frozen()")
        op.execute("DROP FUNCTION renkei_snapshot_part_frozen()")
        op.drop_constraint(op.f('ck_snapshots_state'), 'snapshots')
    else:
        for name in ("snapshots_state_insert", "snapshots_state_update", "snapshots_frozen_update",
                     "snapshots_frozen_delete", *(f"{t}_frozen_{op_}" for t in CHILDREN
                                                  for op_ in ("insert", "update", "delete"))):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_snapshots_state', 'snapshots')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f('fk_snapshots_revises'), 'snapshots')
    else:  # a column with REFERENCES cannot be dropped in place on SQLite: it stays, unused by 0002
        op.execute("UPDATE snapshots SET revises = NULL")
    # ALTER TABLE ... DROP COLUMN in place (SQLite >= 3.35): a batch rebuild of snapshots would cascade-delete
    for c in ("withdrawn_reason", "withdrawn_by", "withdrawn_at", "published_by", "published_at",
              "source_url", "edition", "state", *(("revises",) if op.get_bind().dialect.name == "postgresql" else ())):
        op.execute(f"ALTER TABLE snapshots DROP COLUMN {c}")
    for c in ("undone_by", "undone_at"):
        op.execute(f"ALTER TABLE review_decisions DROP COLUMN {c}")
