"""room link refresh lease

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import core.kernel.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A refresh is claimed with a lease (who, until when) and GoTo is called outside any transaction.
    with op.batch_alter_table('room_link') as batch:
        batch.add_column(sa.Column('refresh_lease_owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))
        batch.add_column(sa.Column('refresh_lease_until', core.kernel.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('room_link') as batch:
        batch.drop_column('refresh_lease_until')
        batch.drop_column('refresh_lease_owner')
