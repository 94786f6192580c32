"""a project records the change that created it, so a creation can never be applied twice

Revision ID: 0006_workflow
Revises: project_changes
Create Date: 2026-12-04 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_workflow'
down_revision = 'project_changes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_change_id', sa.Integer(), nullable=True))
    # the approved creations of earlier versions: each names the project it made
    op.execute("UPDATE projects SET created_by_change_id = (SELECT MIN(c.id) FROM project_changes c "
               "WHERE c.project_id = projects.id AND c.action = 'create' AND c.state = 'approved')")
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('uq_projects_created_by_change_id'), ['created_by_change_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('uq_projects_created_by_change_id'))
        batch_op.drop_column('created_by_change_id')
