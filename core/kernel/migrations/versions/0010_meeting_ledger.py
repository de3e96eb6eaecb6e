"""create ledger and job versions on meeting_job; ids never reused; activated URL kept only as a hash

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:30:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import core.kernel.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ACTIVATED_URL, ACTIVATED_HASH = "external.activated_url", "external.activated_url_hash"
setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite hands out max(id)+1 unless the table says AUTOINCREMENT, which only a table copy can add.
    with op.batch_alter_table(
        "appointment", recreate="always" if sqlite else "auto", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass
    with op.batch_alter_table(
        "meeting_job", recreate="always" if sqlite else "auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("failed_at", core.kernel.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("sent_for", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column("starts_at", core.kernel.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("ends_at", core.kernel.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("sent_at", core.kernel.models.UTCDateTime(), nullable=True))
        batch_op.create_index("ix_meeting_job_sent_for", ["sent_for"], unique=False)
    conn = op.get_bind()
    url = conn.execute(sa.select(setting.c.value).where(setting.c.key == ACTIVATED_URL)).scalar()
    conn.execute(setting.delete().where(setting.c.key == ACTIVATED_URL))
    if url:
        digest = hashlib.sha256(str(url).encode()).hexdigest()
        conn.execute(setting.insert().values(key=ACTIVATED_HASH, value=digest))


def downgrade() -> None:
    # The plain activated URL cannot come back from its hash: linking needs a new activation after a downgrade.
    op.get_bind().execute(setting.delete().where(setting.c.key == ACTIVATED_HASH))
    with op.batch_alter_table("meeting_job") as batch_op:
        batch_op.drop_index("ix_meeting_job_sent_for")
        for column in ("sent_at", "ends_at", "starts_at", "subject", "sent_for", "failed_at", "version"):
            batch_op.drop_column(column)
