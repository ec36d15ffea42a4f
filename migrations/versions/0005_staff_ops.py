"""staff supervisors and delegates; provider status

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supervisor_id', sa.Integer(), nullable=True, comment='told of their absences; takes their work by default'))
        batch_op.add_column(sa.Column('delegate_id', sa.Integer(), nullable=True, comment='takes their tasks while they are away'))
        batch_op.create_foreign_key(batch_op.f('fk_staff_supervisor_id_staff'), 'staff', ['supervisor_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_staff_delegate_id_staff'), 'staff', ['delegate_id'], ['id'])

    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='approved', nullable=False))
        batch_op.add_column(sa.Column('status_until', sa.Date(), nullable=True, comment='must reapply: the last day it may work under its old approval'))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), nullable=True, comment='why the status was set'))
        batch_op.create_check_constraint(batch_op.f('ck_providers_status_valid'), "status IN ('approved', 'suspended', 'withdrawn', 'must_reapply')")


def downgrade() -> None:
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_providers_status_valid'), type_='check')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status_until')
        batch_op.drop_column('status')

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_delegate_id_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_staff_supervisor_id_staff'), type_='foreignkey')
        batch_op.drop_column('delegate_id')
        batch_op.drop_column('supervisor_id')
