"""meeting history: sessions collected from GoTo and a cursor per account

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import core.kernel.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'meeting_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('session_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=True),
        sa.Column('meeting_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('starts_at', core.kernel.models.UTCDateTime(), nullable=False),
        sa.Column('ends_at', core.kernel.models.UTCDateTime(), nullable=False),
        sa.Column('attendees', sa.Integer(), nullable=False),
        sa.Column('collected_at', core.kernel.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['room_id'], ['room.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account', 'session_key', name='uq_meeting_session_key'),
    )
    with op.batch_alter_table('meeting_session', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_session_start', ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_session_room_id'), ['room_id'], unique=False)
    op.create_table(
        'history_cursor',
        sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('collected_until', core.kernel.models.UTCDateTime(), nullable=False),
        sa.Column('last_run_at', core.kernel.models.UTCDateTime(), nullable=True),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint('account'),
    )


def downgrade() -> None:
    op.drop_table('history_cursor')
    with op.batch_alter_table('meeting_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_session_room_id'))
        batch_op.drop_index('ix_meeting_session_start')
    op.drop_table('meeting_session')
