"""next-step instants: the sweep selects only what is due

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-03

No backfill here: with no schedule_basis row, the first sweep after the upgrade computes
every open task's and waiting case's instant (models/services/schedule.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_basis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False, comment='sha256 of the basis'),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_basis'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_step_at', sa.DateTime(timezone=True), nullable=True, comment='when the sweep next has work (proof reminders, expiry); else null'))
        batch_op.create_index(batch_op.f('ix_cases_next_step_at'), ['next_step_at'], unique=False)
        # every sweep first looks for certificates reserved but not drawn (0008's column)
        batch_op.create_index(batch_op.f('ix_cases_certificate_number'), ['certificate_number'], unique=False)
    with op.batch_alter_table('review_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_step_at', sa.DateTime(timezone=True), nullable=True, comment='the earliest ladder step not fired; null when paused, closed or all fired'))
        batch_op.create_index(batch_op.f('ix_review_tasks_next_step_at'), ['next_step_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_tasks_next_step_at'))
        batch_op.drop_column('next_step_at')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_certificate_number'))
        batch_op.drop_index(batch_op.f('ix_cases_next_step_at'))
        batch_op.drop_column('next_step_at')
    op.drop_table('schedule_basis')
