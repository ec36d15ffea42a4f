"""records brought in from the old system: imported certificates, legacy event ids

Revision ID: 0009
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True, comment="brought in from the old system by `pdu import legacy` (no PDF here)"))
    with op.batch_alter_table('provider_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legacy_id', sa.String(length=40), nullable=True, comment="the old system's event id (imported events only)"))
        batch_op.create_unique_constraint(batch_op.f('uq_provider_events_provider_id'), ['provider_id', 'legacy_id'])


def downgrade() -> None:
    with op.batch_alter_table('provider_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_provider_events_provider_id'), type_='unique')
        batch_op.drop_column('legacy_id')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('imported_at')
