"""provider portal: email changes confirmed from the new address; the TOTP secret sealed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

No data migration: a TOTP secret stored before this revision (plain base32) is still read,
and sealed under the current key the next time it is used (models/services/two_factor.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OLD_COMMENT = 'base32 TOTP secret; set while enrolling, kept once confirmed'
NEW_COMMENT = (
    'TOTP secret sealed with AES-GCM under a key derived from the secret key '
    '(models.sealed; a legacy row holds it as plain base32); set while enrolling'
)


def upgrade() -> None:
    op.create_table(
        'email_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False, comment="HMAC of the confirmation link's code"),
        sa.Column('target', sa.String(length=16), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False, comment='who asked: the link works only in their session'),
        sa.Column('new_email', sa.String(length=320), nullable=False, comment='lowercased address'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True, comment='a newer change was asked'),
        sa.CheckConstraint("target IN ('account', 'organisation')", name=op.f('ck_email_changes_target_valid')),
        sa.ForeignKeyConstraint(['account_id'], ['provider_accounts.id'], name=op.f('fk_email_changes_account_id_provider_accounts')),
        sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_email_changes_provider_id_providers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_changes')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_email_changes_token_hash')),
    )
    with op.batch_alter_table('email_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_changes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_changes_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_changes_provider_id'), ['provider_id'], unique=False)

    with op.batch_alter_table('provider_accounts', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=200),
            existing_nullable=True, comment=NEW_COMMENT, existing_comment=OLD_COMMENT,
        )


def downgrade() -> None:
    with op.batch_alter_table('provider_accounts', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=200), type_=sa.String(length=64),
            existing_nullable=True, comment=OLD_COMMENT, existing_comment=NEW_COMMENT,
        )
    with op.batch_alter_table('email_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_changes_provider_id'))
        batch_op.drop_index(batch_op.f('ix_email_changes_created_at'))
        batch_op.drop_index(batch_op.f('ix_email_changes_account_id'))
    op.drop_table('email_changes')
