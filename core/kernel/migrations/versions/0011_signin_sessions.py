"""sign-in sessions, sign-in attempts and password resets

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import core.kernel.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signin_session',
    sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.Column('ended_at', core.kernel.models.UTCDateTime(), nullable=True),
    sa.Column('ended_reason', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash')
    )
    op.create_index(op.f('ix_signin_session_user_id'), 'signin_session', ['user_id'], unique=False)
    op.create_table('signin_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_signin_attempt_username', 'signin_attempt', ['username', 'at'], unique=False)
    op.create_index('ix_signin_attempt_address', 'signin_attempt', ['client_address', 'at'], unique=False)
    op.create_table('password_reset',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', core.kernel.models.UTCDateTime(), nullable=False),
    sa.Column('used_at', core.kernel.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_password_reset_user_id'), 'password_reset', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_password_reset_user_id'), table_name='password_reset')
    op.drop_table('password_reset')
    op.drop_index('ix_signin_attempt_address', table_name='signin_attempt')
    op.drop_index('ix_signin_attempt_username', table_name='signin_attempt')
    op.drop_table('signin_attempt')
    op.drop_index(op.f('ix_signin_session_user_id'), table_name='signin_session')
    op.drop_table('signin_session')
