"""Who attended which session in the sandbox (its own table in sandbox.db); shared by the API and controls."""

from __future__ import annotations

from core.goto.sandbox.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attendees (session_id INTEGER NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
    joined_at REAL NOT NULL, left_at REAL);
CREATE INDEX IF NOT EXISTS attendees_by_session ON attendees (session_id);
"""


def ensure_schema(store: Store) -> None:
    """Create the attendee table (idempotent)."""
    with store.write() as db:
        for statement in filter(str.strip, _SCHEMA.split(";")):
            db.execute(statement)


def attendee_count(store: Store, session_id: int) -> int:
    """How many people attended the session."""
    with store.read() as db:
        return int(db.execute("SELECT count(*) FROM attendees WHERE session_id = ?", (session_id,)).fetchone()[0])


def attendee_counts(store: Store, session_ids: list[int]) -> dict[int, int]:
    """Attendees per session, for many sessions in one query."""
    if not session_ids:
        return {}
    marks = ",".join("?" * len(session_ids))
    with store.read() as db:
        rows = db.execute(
            f"SELECT session_id, count(*) FROM attendees WHERE session_id IN ({marks}) GROUP BY session_id",
            session_ids,
        ).fetchall()
    return {int(r[0]): int(r[1]) for r in rows}
