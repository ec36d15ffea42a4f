"""The portal's counts of open listings answered from an index alone.

Revision ID: 0012
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_opportunities_open", "opportunities", ["last_day", "withdrawn_at", "provider_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_opportunities_open", table_name="opportunities")
