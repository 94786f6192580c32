"""project changes waiting for approval; deleted projects are kept, marked deleted

Revision ID: project_changes
Revises: 0004_snapshot_editions
Create Date: 2026-11-29 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'project_changes'
down_revision = '0004_snapshot_editions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('project_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('ward_code', sa.String(length=6), nullable=False),
    sa.Column('values', sa.JSON(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('proposed_by', sa.String(length=80), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("action IN ('create', 'update', 'delete')", name=op.f('ck_project_changes_action')),
    sa.CheckConstraint("state IN ('pending', 'approved', 'rejected', 'superseded')",
                       name=op.f('ck_project_changes_state')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_changes_project_id'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_code'], ['wards.code'], name=op.f('fk_project_changes_ward_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_changes'))
    )
    with op.batch_alter_table('project_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_changes_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_changes_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_changes_ward_code'), ['ward_code'], unique=False)
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_by', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('deleted_by')
        batch_op.drop_column('deleted_at')
    op.drop_table('project_changes')
