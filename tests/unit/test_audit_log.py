"""Audit queries and the CSV export: windows and filters, what changed, spreadsheet-safe cells."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import Session

from core.kernel import audit
from core.kernel.errors import PermissionDenied, ValidationFailed
from core.reporting import audit_log
from core.reporting.audit_log import AuditFilter
from tests.conftest import at, make_user


def entry(
    session: Session,
    actor,
    action: str,
    hours: float,
    *,
    entity: str = "appointment",
    entity_id: int = 1,  # type: ignore[no-untyped-def]
    effective=None,
    before=None,
    after=None,
):
    row = audit.record(
        session,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        effective_user=effective,
    )
    row.at = at(hours)
    session.add(row)
    session.flush()
    return row


def window(**over) -> AuditFilter:  # type: ignore[no-untyped-def]
    return AuditFilter(**({"start": at(0), "end": at(24)} | over))


@pytest.fixture
def log(session: Session):  # type: ignore[no-untyped-def]
    admin = make_user(session, username="boss", role="admin")
    petra = make_user(session, username="petra")
    service = make_user(session, username="service", role="admin")
    entry(session, petra, "appointment.create", 1, effective=service, after={"subject": "Call"})
    entry(
        session,
        petra,
        "appointment.update",
        2,
        before={"subject": "Call", "note": "a"},
        after={"subject": "Call", "note": "b"},
    )
    entry(session, admin, "room.create", 3, entity="room", entity_id=7, after={"name": "=HYPERLINK(1)"})
    entry(session, admin, "room.create", 30, entity="room", entity_id=8)  # outside the window
    return admin, petra, service


def test_only_admins_read_the_audit_log(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        audit_log.search(session, user=log[1], filters=window())


def test_the_window_holds_the_newest_entries_first(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    rows = audit_log.search(session, user=log[0], filters=window()).rows
    assert [r.action for r in rows] == ["room.create", "appointment.update", "appointment.create"]


def test_a_user_filter_finds_entries_as_signed_in_or_as_effective_user(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    admin, petra, service = log
    found = audit_log.search(session, user=admin, filters=window(user_id=service.id)).rows
    assert [(r.user, r.effective_user) for r in found] == [("petra", "service")]
    assert len(audit_log.search(session, user=admin, filters=window(user_id=petra.id)).rows) == 2


def test_action_entity_and_id_filters_narrow_the_window(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    admin = log[0]
    assert [r.action for r in audit_log.search(session, user=admin, filters=window(entity="room")).rows] == [
        "room.create"
    ]
    assert len(audit_log.search(session, user=admin, filters=window(action="appointment.update")).rows) == 1
    assert audit_log.search(session, user=admin, filters=window(entity="room", entity_id="8")).rows == []
    assert len(audit_log.search(session, user=admin, filters=window(end=at(48), entity_id=" 8 ")).rows) == 1


def test_a_limit_says_that_more_entries_matched(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    result = audit_log.search(session, user=log[0], filters=window(), limit=2)
    assert len(result.rows) == 2 and result.more
    assert not audit_log.search(session, user=log[0], filters=window(), limit=3).more


@pytest.mark.parametrize("over", [{"end": at(0)}, {"end": at(-1)}, {"start": at(0).replace(tzinfo=None)}])
def test_a_wrong_window_is_refused(session: Session, log, over) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed):
        audit_log.search(session, user=log[0], filters=window(**over))


def test_facets_offer_what_occurs_in_the_window(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    actions, entities = audit_log.facets(session, user=log[0], start=at(0), end=at(24))
    assert actions == ["appointment.create", "appointment.update", "room.create"]
    assert entities == ["appointment", "room"]


def test_changes_lists_only_what_differs() -> None:
    assert audit_log.changes({"subject": "Call", "note": "a"}, {"subject": "Call", "note": "b"}) == [("note", "a", "b")]
    assert audit_log.changes(None, {"name": "A"}) == [("name", None, "A")]
    assert audit_log.changes({"name": "A"}, None) == [("name", "A", None)]


def test_internal_meeting_data_never_leaves_the_log(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    entry(session, log[0], "appointment.update", 5, after={"goto_meeting_data": {"meeting_id": "42"}})
    [row] = audit_log.search(session, user=log[0], filters=window(start=at(5), end=at(6))).rows
    assert row.after == {"goto_meeting_data": "(internal)"}


def test_the_csv_has_both_users_the_values_and_safe_cells(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    data, more = audit_log.export_csv(session, user=log[0], filters=window(), tz="Europe/Berlin")
    assert data.startswith(b"\xef\xbb\xbf") and not more
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == ["room.create", "appointment.update", "appointment.create"]
    created = rows[2]
    assert (created["user"], created["effective_user"]) == ("petra", "service")
    assert created["after"] == '{"subject": "Call"}' and created["before"] == ""
    assert created["time"] == (at(1) + timedelta(hours=1)).replace(tzinfo=None).isoformat() + "+01:00"
    assert rows[0]["after"] == '{"name": "=HYPERLINK(1)"}'  # JSON starts with "{": harmless


def test_cells_a_spreadsheet_would_run_as_formulas_stay_text(session: Session, log) -> None:  # type: ignore[no-untyped-def]
    from core.access.auth import add_user

    mallory = add_user(session, username="mallory", password=None, role="staff", display_name="=cmd|' /C calc'!A0")
    entry(session, mallory, "appointment.create", 6)
    data, _ = audit_log.export_csv(session, user=log[0], filters=window(start=at(6), end=at(7)))
    [row] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert row["user"] == "'=cmd|' /C calc'!A0"
