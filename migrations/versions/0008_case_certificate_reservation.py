"""a case's certificate reserved at ACCEPT, rendered after the decision commits

Revision ID: 0008
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('cases', sa.Column('certificate_number', sa.String(length=24), nullable=True, comment='reserved at ACCEPT, before rendering'))
    op.add_column('cases', sa.Column('certificate_code', sa.String(length=40), nullable=True))
    op.add_column('cases', sa.Column('certificate_reserved_at', sa.DateTime(timezone=True), nullable=True, comment="the certificate's issue instant"))
    op.add_column('cases', sa.Column('certificate_failure', sa.Text(), nullable=True, comment='why the reserved certificate was not issued; staff told'))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('certificate_failure')
        batch.drop_column('certificate_reserved_at')
        batch.drop_column('certificate_code')
        batch.drop_column('certificate_number')
