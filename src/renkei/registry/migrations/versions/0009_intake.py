"""reasons kept as key and parameters; a staged upload keeps its checked report, not its bytes

Revision ID: 0009_intake
Revises: project_changes
Create Date: 2026-12-04

entries.reasons holds each reason's key, catalogue template and parameters, so pages render it in the
reader's language; entries.reason (the text) stays, readable by older tools. Draft entries get their
reasons read back from the text where it matches a known reason (renkei.reasons.from_text); published
editions never change (the triggers of 0004 refuse it), so for those the same reading happens when shown.

pending_uploads gains kind (list or projects) and checked (a list's validation report); data (a project
template's file) may be empty. Uploads waiting for confirmation at the upgrade are dropped: upload again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_intake'
down_revision = '0007_frozen_everywhere'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('entries', sa.Column('reasons', sa.JSON(), nullable=True))
    op.execute("DELETE FROM pending_uploads")
    with op.batch_alter_table('pending_uploads') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=12), nullable=True))
        batch.add_column(sa.Column('checked', sa.JSON(), nullable=True))
        batch.alter_column('data', existing_type=sa.LargeBinary(), nullable=True)
    _read_back_draft_reasons()


def _read_back_draft_reasons() -> None:
    from renkei.reasons import from_text

    conn = op.get_bind()
    update = sa.text("UPDATE entries SET reasons = :r WHERE id = :id").bindparams(sa.bindparam("r", type_=sa.JSON()))
    rows = conn.execute(sa.text("SELECT e.id, e.reason FROM entries e JOIN snapshots s ON s.id = e.snapshot_id "
                                "WHERE s.state = 'draft' AND e.reason <> ''")).all()
    for entry_id, text in rows:
        parsed = from_text(text)
        if parsed is not None:
            conn.execute(update, {"r": [r.stored() for r in parsed], "id": entry_id})


def downgrade() -> None:
    op.execute("DELETE FROM pending_uploads WHERE data IS NULL")
    with op.batch_alter_table('pending_uploads') as batch:
        batch.alter_column('data', existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column('checked')
        batch.drop_column('kind')
    op.execute("ALTER TABLE entries DROP COLUMN reasons")  # in place: a batch rebuild of entries would cascade
