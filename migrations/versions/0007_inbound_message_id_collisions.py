"""Inbound de-duplication on Message-ID + sender + content: the Message-ID's own hash
(indexed) and the earlier message a colliding one reuses the ID of.

Revision ID: 0007
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "message_id_key", sa.String(length=64), nullable=True,
                comment="sha256 of the Message-ID alone: finds collisions",
            )
        )  # fmt: skip
        batch_op.add_column(
            sa.Column(
                "collides_with_id", sa.Integer(), nullable=True,
                comment="an earlier message with this Message-ID but another sender or content",
            )
        )  # fmt: skip
        batch_op.create_foreign_key(
            batch_op.f("fk_inbound_messages_collides_with_id_inbound_messages"),
            "inbound_messages", ["collides_with_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_message_id_key"), ["message_id_key"], unique=False
        )
        batch_op.alter_column(
            "dedupe_key",
            existing_type=sa.String(length=80),
            comment="sha256 of Message-ID, sender and body (or of the raw bytes without an ID)",
            existing_comment="sha256 of Message-ID (or of the raw bytes when absent)",
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_message_id_key"))
        batch_op.drop_constraint(
            batch_op.f("fk_inbound_messages_collides_with_id_inbound_messages"), type_="foreignkey"
        )
        batch_op.drop_column("collides_with_id")
        batch_op.drop_column("message_id_key")
        batch_op.alter_column(
            "dedupe_key",
            existing_type=sa.String(length=80),
            comment="sha256 of Message-ID (or of the raw bytes when absent)",
            existing_nullable=False,
        )
