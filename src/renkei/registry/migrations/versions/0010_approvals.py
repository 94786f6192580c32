"""a change proposed again after its rejection names the rejected change (once only)

Revision ID: 0010_approvals
Revises: 0006_workflow
Create Date: 2026-12-04 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_approvals'
down_revision = '0009_intake'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopens_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('uq_project_changes_reopens_id'), ['reopens_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('project_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('uq_project_changes_reopens_id'))
        batch_op.drop_column('reopens_id')
