"""activation requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 10:50:52.148593
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import core.kernel.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activation_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('url_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('url_hint', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('requested_at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('decided_at', core.kernel.models.UTCDateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('registered_via', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['activation_request.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activation_request', schema=None) as batch_op:
        batch_op.create_index('ix_activation_request_status', ['status', 'requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_activation_request_system_name'), ['system_name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activation_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_request_system_name'))
        batch_op.drop_index('ix_activation_request_status')

    op.drop_table('activation_request')
