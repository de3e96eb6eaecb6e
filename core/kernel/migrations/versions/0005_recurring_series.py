"""recurring series

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:49:09.195838
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import core.kernel.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# SQLite reflects the old UNIQUE(appointment_id) of booking without a name; batch mode names it by this
# convention so it can be dropped. PostgreSQL named it itself (booking_appointment_id_key); we look it up.
UNNAMED = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_booking_unique() -> str | None:
    for uq in sa.inspect(op.get_bind()).get_unique_constraints('booking'):
        if uq['column_names'] == ['appointment_id']:
            return uq['name'] or 'uq_booking_appointment_id'
    return None


PLAIN = ['rrule', 'exclusions', 'series_ends_at', 'booked_until', 'recurrence_id']


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.add_column('appointment', sa.Column('rrule', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.add_column('appointment', sa.Column('exclusions', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.add_column('appointment', sa.Column('series_ends_at', core.kernel.models.UTCDateTime(), nullable=True))
    op.add_column('appointment', sa.Column('booked_until', core.kernel.models.UTCDateTime(), nullable=True))
    op.add_column('appointment', sa.Column('recurrence_id', core.kernel.models.UTCDateTime(), nullable=True))
    if sqlite:
        # Never batch-copy appointment: under foreign_keys=ON its DROP TABLE is a DELETE that cascades to
        # every booking. SQLite adds a column with a REFERENCES clause in place instead (a downgrade leaves
        # these two columns behind, so they may exist already).
        present = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('appointment')}
        for column, target in (('series_room_id', 'room'), ('series_id', 'appointment')):
            if column not in present:
                op.execute(f'ALTER TABLE appointment ADD COLUMN {column} INTEGER REFERENCES {target} (id)')
    else:
        op.add_column('appointment', sa.Column('series_room_id', sa.Integer(), nullable=True))
        op.add_column('appointment', sa.Column('series_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_appointment_series_room_id_room', 'appointment', 'room', ['series_room_id'], ['id'])
        op.create_foreign_key('fk_appointment_series_id_appointment', 'appointment', 'appointment', ['series_id'],
                              ['id'])
    op.create_index('uq_appointment_occurrence', 'appointment', ['series_id', 'recurrence_id'], unique=True)

    # Nothing refers to booking, so copying it (SQLite) loses nothing.
    old = _old_booking_unique()
    with op.batch_alter_table('booking', schema=None, naming_convention=UNNAMED) as batch_op:
        if old:
            batch_op.drop_constraint(old, type_='unique')
        batch_op.create_unique_constraint('uq_booking_occurrence', ['appointment_id', 'starts_at'])


def downgrade() -> None:
    # Series keep one booking per occurrence; only the first occurrence's survives the way back.
    op.execute('DELETE FROM booking WHERE id NOT IN (SELECT MIN(id) FROM booking GROUP BY appointment_id)')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint('uq_booking_occurrence', type_='unique')
        batch_op.create_unique_constraint('booking_appointment_id_key', ['appointment_id'])
    op.drop_index('uq_appointment_occurrence', table_name='appointment')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot drop a column that takes part in a foreign key without copying the table (see above):
        # series_room_id and series_id stay behind, always NULL, and harmless to the older code.
        for column in PLAIN:
            op.execute(f'ALTER TABLE appointment DROP COLUMN {column}')
        return
    op.drop_constraint('fk_appointment_series_id_appointment', 'appointment', type_='foreignkey')
    op.drop_constraint('fk_appointment_series_room_id_room', 'appointment', type_='foreignkey')
    for column in [*PLAIN, 'series_id', 'series_room_id']:
        op.drop_column('appointment', column)
