"""Audit page (admin): the filtered window, both users of a run-as change, before and after, CSV export."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Engine

from core.access import addon
from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel import audit
from core.kernel.db import session_scope
from core.kernel.models import User, utcnow
from tests.conftest import make_room, make_user
from tests.ui.conftest import page


def seed(engine: Engine, admin: int) -> tuple[int, int]:
    """An external user saves a GoTo appointment as the run-as user, then edits it."""
    with session_scope(engine) as s:
        boss = s.get(User, admin)
        petra = make_user(s, username="petra", groups=("External",))
        room = make_room(s, name="Training", bookable_by=petra)
        addon.set_run_as_user(s, user=boss, run_as_user_id=admin)
        start = utcnow()
        data = AppointmentInput(
            subject="Partner call",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            room_ids=(room.id,),
            note="first",
        )
        appt = save_appointment(s, user=petra, data=data)
        audit.record(
            s,
            actor=petra,
            action="appointment.note",
            entity="appointment",
            entity_id=appt.id,
            before={"note": "first"},
            after={"note": "second"},
        )
        return petra.id, appt.id  # type: ignore[return-value]


def test_the_audit_page_lists_recent_changes_with_both_users(app_engine: Engine, admin: int) -> None:
    seed(app_engine, admin)
    at = page("pages/audit.py", user_id=admin).run()
    assert not at.exception
    table = at.dataframe[0].value
    created = table[table["Action"] == "Appointment created"].iloc[0]
    assert (created["User"], created["Acting as"]) == ("petra", "boss")
    assert "Run-as user for external users set" in set(table["Action"])  # labels in words, not codes


def test_filters_narrow_the_list_and_the_selected_change_shows_before_and_after(app_engine: Engine, admin: int) -> None:
    petra, appointment = seed(app_engine, admin)
    at = page("pages/audit.py", user_id=admin).run()
    at.selectbox(key="audit_action").set_value("appointment.note").run()
    assert list(at.dataframe[0].value["Action"]) == ["appointment.note"]
    changes = at.dataframe[1].value
    assert changes.to_dict("records") == [{"Field": "note", "Before": "first", "After": "second"}]
    at.selectbox(key="audit_action").set_value(None)
    at.selectbox(key="audit_user").set_value(petra).run()
    assert set(at.dataframe[0].value["User"]) == {"petra"}
    at.text_input(key="audit_entity_id").input("999999").run()
    assert "No audit entries match." in [i.value for i in at.info]


def test_an_empty_period_and_a_reversed_one_are_explained(app_engine: Engine, admin: int) -> None:
    at = page("pages/audit.py", user_id=admin).run()
    at.date_input(key="audit_from").set_value(date(2020, 1, 6))
    at.date_input(key="audit_to").set_value(date(2020, 1, 10)).run()
    assert "No audit entries match." in [i.value for i in at.info]
    at.date_input(key="audit_to").set_value(date(2020, 1, 1)).run()
    assert [e.value for e in at.error] == ["To: the end of the period must be after its start."]


def test_the_export_button_is_offered(app_engine: Engine, admin: int) -> None:
    seed(app_engine, admin)
    at = page("pages/audit.py", user_id=admin).run()
    [button] = at.get("download_button")
    assert "Export CSV" in button.proto.label


def test_staff_cannot_read_the_audit(app_engine: Engine, staff: int) -> None:
    at = page("pages/audit.py", user_id=staff).run()
    assert [e.value for e in at.error] == ["This page is not available for your role."]


def test_a_run_as_change_names_both_users_in_its_details(app_engine: Engine, admin: int) -> None:
    seed(app_engine, admin)
    at = page("pages/audit.py", user_id=admin).run()
    assert any(c.value.startswith("By petra, ") for c in at.caption)  # the newest entry, without run-as
    at.selectbox(key="audit_action").set_value("appointment.create").run()
    assert any(c.value.startswith("By petra as boss, ") for c in at.caption)
