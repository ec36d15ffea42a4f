"""provider portal: event revisions and cancellation, issuance batches

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0004'
branch_labels = None
depends_on = None

CHANNELS = "channel IN ('cli', 'email', 'web', 'sweep', 'system', 'prefect')"


def upgrade() -> None:
    with op.batch_alter_table('provider_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True, comment='withdrawn by the provider before any certificate (kept for the record)'))
        batch_op.create_index('ix_provider_events_listing', ['provider_id', 'start_date', 'id'], unique=False)
        batch_op.create_index('ix_provider_events_sections', ['provider_id', 'end_date', 'format'], unique=False)

    op.create_table('event_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False, comment='revised, cancelled'),
    sa.Column('changes', sa.JSON(), nullable=False, comment='field: [old, new], as text'),
    sa.Column('changed_by', sa.String(length=100), nullable=False, comment='username, or staff via CLI'),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(CHANNELS, name=op.f('ck_event_revisions_channel_valid')),
    sa.ForeignKeyConstraint(['event_id'], ['provider_events.id'], name=op.f('fk_event_revisions_event_id_provider_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_revisions'))
    )
    with op.batch_alter_table('event_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_revisions_event_id'), ['event_id'], unique=False)

    op.create_table('issuance_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False, comment='the provider acted for (scoping)'),
    sa.Column('notify_person_id', sa.Integer(), nullable=True, comment='emailed when the batch is done'),
    sa.Column('requested_by', sa.String(length=100), nullable=False, comment='username, or an address'),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('in_reply_to', sa.String(length=998), nullable=True, comment='Message-ID of the roster email the result answers'),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False, comment='attendees accepted from the roster'),
    sa.Column('skipped', sa.Integer(), nullable=False, comment='already on the roster or repeated'),
    sa.Column('rejected', sa.Integer(), nullable=False, comment='invalid lines left out on request'),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True, comment='last progress of its runner'),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(CHANNELS, name=op.f('ck_issuance_batches_channel_valid')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done')", name=op.f('ck_issuance_batches_status_valid')),
    sa.ForeignKeyConstraint(['event_id'], ['provider_events.id'], name=op.f('fk_issuance_batches_event_id_provider_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notify_person_id'], ['people.id'], name=op.f('fk_issuance_batches_notify_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_issuance_batches_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuance_batches'))
    )
    with op.batch_alter_table('issuance_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuance_batches_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issuance_batches_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issuance_batches_status'), ['status'], unique=False)

    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True, comment='the portal or email upload that queued it (its progress)'))
        batch_op.create_index(batch_op.f('ix_attendees_batch_id'), ['batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attendees_batch_id_issuance_batches'), 'issuance_batches', ['batch_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attendees_batch_id_issuance_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attendees_batch_id'))
        batch_op.drop_column('batch_id')
    op.drop_table('issuance_batches')
    op.drop_table('event_revisions')
    with op.batch_alter_table('provider_events', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_events_sections')
        batch_op.drop_index('ix_provider_events_listing')
        batch_op.drop_column('cancelled_at')
