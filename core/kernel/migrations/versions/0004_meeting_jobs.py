"""meeting jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:27:57.578810
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import core.kernel.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('meeting_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', core.kernel.models.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appointment_id')
    )
    with op.batch_alter_table('meeting_job', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_job_due', ['next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('meeting_job', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_job_due')

    op.drop_table('meeting_job')
