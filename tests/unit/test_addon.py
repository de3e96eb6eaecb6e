"""Add-on rules, called on the services directly: authorized groups, run-as, external users, fields."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.access import addon
from core.booking.appointments import AppointmentInput, get_appointment, save_appointment
from core.kernel.audit import snapshot
from core.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from core.kernel.models import Appointment, AuditEntry, Group, RoomPermission, Setting
from core.reporting.audit_log import redact
from tests.conftest import at, make_group, make_room, make_user


def form(room=None, **over) -> AppointmentInput:  # type: ignore[no-untyped-def]
    values = dict(subject="Customer call", starts_at=at(1), ends_at=at(2), room_ids=(room.id,) if room else ())
    return AppointmentInput(**(values | over))


def group_id(session: Session, name: str) -> int:
    return session.exec(select(Group.id).where(Group.name == name)).one()


def authorize(session: Session, *names: str) -> None:
    admin = make_user(session, role="admin")
    addon.set_authorized_groups(session, user=admin, group_ids=[group_id(session, n) for n in names])


def set_run_as(session: Session, user) -> None:  # type: ignore[no-untyped-def]
    addon.set_run_as_user(session, user=make_user(session, role="admin"), run_as_user_id=user.id if user else None)


# --- authorized groups: which combinations make sense ------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "key"),
    [
        ([], "error.addon_groups_empty"),
        (["None", "Sales"], "error.addon_groups_none_combined"),
        (["All", "None"], "error.addon_groups_none_combined"),
        (["All", "Sales", "External"], "error.addon_groups_all_combined"),
    ],
)
def test_illogical_group_combinations_are_refused_with_the_reason(names, key) -> None:  # type: ignore[no-untyped-def]
    [problem] = addon.validate_authorized_groups(names)
    assert problem.key == key and problem.field == "authorized_groups"


@pytest.mark.parametrize("names", [["All"], ["None"], ["Sales"], ["Sales", "External"], ["Sales", "Sales"]])
def test_sensible_group_choices_pass(names) -> None:  # type: ignore[no-untyped-def]
    assert addon.validate_authorized_groups(names) == []


def test_the_refusal_explains_what_is_wrong_in_both_languages() -> None:
    [problem] = addon.validate_authorized_groups(["All", "Sales"])
    assert "“All” already includes everybody" in problem.message("en") and "Sales" in problem.message("en")
    assert "„All“ umfasst bereits alle" in problem.message("de")


def test_set_authorized_groups_stores_nothing_when_refused(session: Session) -> None:
    admin = make_user(session, role="admin")
    sales = make_group(session, "Sales")
    with pytest.raises(ValidationFailed) as caught:
        addon.set_authorized_groups(session, user=admin, group_ids=[group_id(session, "None"), sales.id])
    assert "authorized_groups" in caught.value.by_field()
    assert session.get(Setting, addon.AUTHORIZED_GROUPS) is None
    assert addon.get_addon_settings(session).authorized_names == ("All",)  # the default is unchanged


def test_set_authorized_groups_is_audited_and_admin_only(session: Session) -> None:
    sales = make_group(session, "Sales")
    with pytest.raises(PermissionDenied):
        addon.set_authorized_groups(session, user=make_user(session), group_ids=[sales.id])
    admin = make_user(session, role="admin")
    assert addon.set_authorized_groups(session, user=admin, group_ids=[sales.id]).authorized_names == ("Sales",)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "goto.authorized_groups")).one()
    assert (entry.before, entry.after, entry.actor_id) == ({"groups": ["All"]}, {"groups": ["Sales"]}, admin.id)


@pytest.mark.parametrize(
    ("names", "run_as", "warned"),
    [
        (["External"], False, True),
        (["All"], False, True),
        (["Sales", "External"], False, True),
        (["External"], True, False),
        (["All"], True, False),
        (["Sales"], False, False),
        (["None"], False, False),
    ],
)
def test_external_users_left_out_is_warned_about(names, run_as, warned) -> None:  # type: ignore[no-untyped-def]
    assert addon.externals_left_out(names, run_as) is warned


def test_settings_warn_until_a_run_as_user_is_set(session: Session) -> None:
    keys = [w.key for w in addon.get_addon_settings(session).warnings]
    assert keys == ["addon.warning_externals_cannot_save"]  # the default "All" includes "External"
    set_run_as(session, make_user(session, username="service", role="admin"))
    assert addon.get_addon_settings(session).warnings == ()


def test_settings_warn_about_rooms_the_run_as_user_cannot_book(session: Session) -> None:
    make_room(session, name="Board Room", goto_account="board@example.org")
    set_run_as(session, make_user(session, username="helper"))
    [warning] = addon.get_addon_settings(session).warnings
    assert warning.key == "addon.warning_run_as_rooms" and "Board Room" in warning.message("en")


# --- who may use GoTo --------------------------------------------------------------------------------------


def test_a_fresh_installation_lets_everybody_use_goto(session: Session) -> None:
    assert addon.may_use_goto(session, make_user(session))


def test_only_members_of_authorized_groups_use_goto_and_admins_always(session: Session) -> None:
    make_group(session, "Sales")
    authorize(session, "Sales")
    assert addon.may_use_goto(session, make_user(session, groups=("Sales",)))
    assert not addon.may_use_goto(session, make_user(session, groups=()))
    assert addon.may_use_goto(session, make_user(session, role="admin"))


def test_none_switches_goto_off_for_everybody_but_admins(session: Session) -> None:
    authorize(session, "None")
    assert not addon.may_use_goto(session, make_user(session))
    assert addon.may_use_goto(session, make_user(session, role="admin"))


def test_a_deactivated_user_may_not_use_goto(session: Session) -> None:
    user = make_user(session)
    user.active = False
    assert not addon.may_use_goto(session, user)


def test_save_appointment_refuses_a_room_to_a_user_outside_the_authorized_groups(session: Session) -> None:
    make_group(session, "Sales")
    authorize(session, "Sales")
    outsider = make_user(session)
    room = make_room(session, bookable_by=outsider)
    with pytest.raises(PermissionDenied) as caught:
        save_appointment(session, user=outsider, data=form(room))
    assert "none of the authorized groups" in caught.value.message("en")
    assert session.exec(select(Appointment)).all() == []
    assert save_appointment(session, user=outsider, data=form()).id  # without a room it is no GoTo appointment


def test_an_unauthorized_user_cannot_drop_the_room_of_a_goto_appointment_either(session: Session) -> None:
    make_group(session, "Sales")
    seller = make_user(session, groups=("Sales",))
    room = make_room(session, bookable_by=seller)
    appt = save_appointment(session, user=seller, data=form(room))
    authorize(session, "Sales")
    with pytest.raises(PermissionDenied):
        save_appointment(
            session, user=make_user(session), data=form(), appointment_id=appt.id, expected_version=appt.version
        )


def test_booking_needs_the_read_right_on_the_room_even_for_authorized_users(session: Session) -> None:
    user = make_user(session)
    room = make_room(session)
    with pytest.raises(PermissionDenied) as caught:
        save_appointment(session, user=user, data=form(room))
    assert caught.value.field == "room"


# --- external users and the run-as user ---------------------------------------------------------------------


def external_with_room(session: Session):  # type: ignore[no-untyped-def]
    external = make_user(session, username="petra", groups=("External",))
    room = make_room(session, name="Training", bookable_by=external)
    return external, room


def test_external_users_cannot_save_goto_appointments_without_a_run_as_user(session: Session) -> None:
    external, room = external_with_room(session)
    with pytest.raises(PermissionDenied) as caught:
        save_appointment(session, user=external, data=form(room))
    assert "run-as user" in caught.value.message("en")
    assert session.exec(select(Appointment)).all() == []


def test_with_a_run_as_user_external_users_save_as_that_user_and_the_audit_names_both(session: Session) -> None:
    external, room = external_with_room(session)
    service = make_user(session, username="service", role="admin")
    set_run_as(session, service)
    appt = save_appointment(session, user=external, data=form(room))
    assert appt.organizer_id == external.id
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "appointment.create")).one()
    assert (entry.actor_id, entry.effective_user_id) == (external.id, service.id)


def test_run_as_never_widens_rights_the_run_as_user_must_book_the_room_too(session: Session) -> None:
    external, room = external_with_room(session)
    set_run_as(session, make_user(session, username="helper"))
    with pytest.raises(PermissionDenied) as caught:
        save_appointment(session, user=external, data=form(room))
    assert "helper" in caught.value.message("en") and "Training" in caught.value.message("en")


def test_external_users_still_need_their_own_read_right(session: Session) -> None:
    external = make_user(session, groups=("External",))
    set_run_as(session, make_user(session, role="admin"))
    with pytest.raises(PermissionDenied):
        save_appointment(session, user=external, data=form(make_room(session)))


def test_internal_users_act_as_the_run_as_user_too_when_one_is_set(session: Session) -> None:
    staff = make_user(session)
    room = make_room(session, bookable_by=staff)
    service = make_user(session, role="admin")
    set_run_as(session, service)
    save_appointment(session, user=staff, data=form(room))
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "appointment.create")).one()
    assert (entry.actor_id, entry.effective_user_id) == (staff.id, service.id)


def test_without_a_run_as_user_the_audit_names_the_signed_in_user_as_effective(session: Session) -> None:
    staff = make_user(session)
    save_appointment(session, user=staff, data=form(make_room(session, bookable_by=staff)))
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "appointment.create")).one()
    assert entry.effective_user_id == staff.id


def test_run_as_switches_and_always_switches_back_also_on_errors(session: Session) -> None:
    staff, service = make_user(session), make_user(session, role="admin")
    set_run_as(session, service)
    assert addon.current_acting() is None
    with addon.run_as(session, staff) as acting:
        assert addon.current_acting() == acting and acting.effective.id == service.id and acting.switched
    assert addon.current_acting() is None
    with pytest.raises(RuntimeError), addon.run_as(session, staff):
        raise RuntimeError("GoTo failed half-way")
    assert addon.current_acting() is None


def test_run_as_refuses_to_start_for_an_external_user_without_a_run_as_user(session: Session) -> None:
    external = make_user(session, groups=("External",))
    with pytest.raises(PermissionDenied), addon.run_as(session, external) as acting:
        raise AssertionError(f"an external user without run-as ran as {acting}")
    assert addon.current_acting() is None


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("external", "error.addon_run_as_external"),
        ("support", "error.addon_run_as_role"),
        ("gone", "error.user_unknown"),
    ],
)
def test_the_run_as_user_must_be_an_active_internal_user_who_may_save(session: Session, kind, key) -> None:  # type: ignore[no-untyped-def]
    target = {
        "external": lambda: make_user(session, groups=("External",)),
        "support": lambda: make_user(session, role="support"),
        "gone": lambda: None,
    }[kind]()
    admin = make_user(session, role="admin")
    with pytest.raises(ValidationFailed) as caught:
        addon.set_run_as_user(session, user=admin, run_as_user_id=target.id if target else 9999)
    assert caught.value.by_field()["run_as_user"].key == key
    assert addon.run_as_user(session) is None


def test_a_deactivated_run_as_user_lends_no_rights_and_none_clears_it(session: Session) -> None:
    service = make_user(session, role="admin")
    set_run_as(session, service)
    service.active = False
    session.add(service)
    assert addon.run_as_user(session) is None
    service.active = True
    set_run_as(session, None)
    assert addon.run_as_user(session) is None and addon.get_addon_settings(session).run_as_user_id is None


# --- fields --------------------------------------------------------------------------------------------------


def test_the_meeting_data_is_internal_and_the_goto_account_is_shown() -> None:
    assert addon.field_visibility("goto_meeting_data") is False
    assert addon.field_visibility("goto_account") is True
    with pytest.raises(NotFound):
        addon.field_visibility("nonsense")


def test_any_attempt_to_expose_the_meeting_data_is_refused(session: Session) -> None:
    admin = make_user(session, role="admin")
    with pytest.raises(addon.FieldProtected) as caught:
        addon.set_field_visible(session, user=admin, name="goto_meeting_data", visible=True)
    assert "never shown" in caught.value.message("en")
    with pytest.raises(addon.FieldProtected):
        addon.set_field_visible(session, user=admin, name="goto_account", visible=False)
    with pytest.raises(PermissionDenied):
        addon.set_field_visible(session, user=make_user(session), name="goto_account", visible=True)
    assert addon.set_field_visible(session, user=admin, name="goto_meeting_data", visible=False).internal


def test_the_meeting_data_is_neither_in_the_appointment_form_nor_in_the_audit(session: Session) -> None:
    staff = make_user(session)
    appt = save_appointment(session, user=staff, data=form(make_room(session, bookable_by=staff)))
    view = get_appointment(session, user=staff, appointment_id=appt.id)
    assert "goto_meeting_data" not in vars(view) and "goto_meeting_data" not in snapshot(appt)
    assert redact({"goto_meeting_data": {"meeting_id": "123"}, "subject": "x"}) == {
        "goto_meeting_data": "(internal)",
        "subject": "x",
    }


def test_room_permissions_through_groups_count_for_the_run_as_user(session: Session) -> None:
    sales = make_group(session, "Sales")
    external, room = external_with_room(session)
    helper = make_user(session, groups=("Sales",))
    session.add(RoomPermission(room_id=room.id, group_id=sales.id, may_book=True))
    set_run_as(session, helper)
    assert save_appointment(session, user=external, data=form(room)).id


def test_linking_and_starting_meetings_are_refused_outside_the_authorized_groups(session: Session, goto) -> None:  # type: ignore[no-untyped-def]
    from core.booking import start as starting
    from core.kernel.errors import RoomDeskError
    from core.meetings import accounts

    make_group(session, "Sales")
    authorize(session, "Sales")
    outsider, seller = make_user(session), make_user(session, groups=("Sales",))
    room = make_room(session, goto_account="sales1@example.org")
    for person in (outsider, seller):
        session.add(RoomPermission(room_id=room.id, user_id=person.id, may_book=True, may_manage=True))
    appt = save_appointment(session, user=seller, data=form(room))
    with pytest.raises(PermissionDenied) as linking:
        accounts.start_linking(session, user=outsider, room_id=room.id, oauth=goto.client)
    with pytest.raises(PermissionDenied) as starting_it:
        starting.start_meeting(session, user=outsider, appointment_id=appt.id, api=goto.client)
    assert linking.value.key == starting_it.value.key == "error.addon_not_authorized"
    with pytest.raises(RoomDeskError) as allowed:  # a member gets past the check, to the next rule
        starting.start_meeting(session, user=seller, appointment_id=appt.id, api=goto.client)
    assert allowed.value.key == "error.no_meeting_yet"
