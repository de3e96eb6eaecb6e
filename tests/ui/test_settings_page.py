"""Settings page (admin): authorized groups, run-as user, activation request and state, fields."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access import addon, external_access
from core.kernel.db import session_scope
from core.kernel.models import ActivationRequest, Group, User
from tests.conftest import make_group, make_user
from tests.ui.conftest import page

SAVE_GROUPS = "FormSubmitter:authorized_groups_form-Save"
EXTERNALS_WARNING = "external users will not be able to save GoTo appointments"


def group_ids(engine: Engine, *names: str) -> list[int]:
    with session_scope(engine) as s:
        return [s.exec(select(Group.id).where(Group.name == n)).one() for n in names]


def test_the_page_shows_every_section_and_the_internal_field_as_never_shown(app_engine: Engine, admin: int) -> None:
    at = page("pages/settings.py", user_id=admin).run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Booking policy", "GoTo features", "External access", "Fields"]
    fields = at.dataframe[0].value
    assert fields.set_index("Field").loc["goto_meeting_data", "Shown to users"] == "Never (internal)"
    assert fields.set_index("Field").loc["goto_account", "Where"] == "Rooms"


def test_none_with_another_group_is_refused_with_the_reason_and_nothing_is_stored(
    app_engine: Engine, admin: int
) -> None:
    with session_scope(app_engine) as s:
        make_group(s, "Sales")
    at = page("pages/settings.py", user_id=admin).run()
    at.multiselect(key="authorized_groups").set_value(group_ids(app_engine, "None", "Sales"))
    at.button(key=SAVE_GROUPS).click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Authorized groups: “None” means nobody, so it cannot be combined with Sales. Choose either “None” or groups."
    ]
    with session_scope(app_engine) as s:
        assert addon.get_addon_settings(s).authorized_names == ("All",)


def test_saving_sensible_groups_and_a_run_as_user_clears_the_external_warning(app_engine: Engine, admin: int) -> None:
    with session_scope(app_engine) as s:
        make_group(s, "Sales")
    at = page("pages/settings.py", user_id=admin).run()
    assert any(EXTERNALS_WARNING in w.value for w in at.warning)
    at.multiselect(key="authorized_groups").set_value(group_ids(app_engine, "Sales", "External"))
    at.button(key=SAVE_GROUPS).click().run()
    assert [s.value for s in at.success] == ["Settings saved."]
    assert any(EXTERNALS_WARNING in w.value for w in at.warning)  # "External" is still authorized
    at.selectbox(key="run_as_user").set_value(admin)
    at.button(key=SAVE_GROUPS).click().run()
    assert not at.exception and not any(EXTERNALS_WARNING in w.value for w in at.warning)
    with session_scope(app_engine) as s:
        settings = addon.get_addon_settings(s)
    assert settings.authorized_names == ("Sales", "External") and settings.run_as_user_id == admin


def test_an_external_run_as_user_is_refused_on_the_page(app_engine: Engine, admin: int) -> None:
    with session_scope(app_engine) as s:
        petra = make_user(s, username="petra", groups=("External",)).id
    at = page("pages/settings.py", user_id=admin).run()
    at.multiselect(key="authorized_groups").set_value(group_ids(app_engine, "External"))
    at.selectbox(key="run_as_user").set_value(petra)
    at.button(key=SAVE_GROUPS).click().run()
    assert [e.value for e in at.error] == ["Run as user: petra is an external user; choose an internal one."]
    assert at.selectbox(key="run_as_user").value == petra  # the choice stays in the form to correct
    with session_scope(app_engine) as s:  # all or nothing: the groups of the refused save are not stored either
        stored = addon.get_addon_settings(s)
    assert stored.authorized_names == ("All",) and stored.run_as_user_id is None
    at.run()  # any later rerun (another widget, a reload) does not save or refuse again
    assert not at.error


def test_the_system_address_and_access_user_are_saved_together(app_engine: Engine, admin: int) -> None:
    with session_scope(app_engine) as s:
        desk = make_user(s, username="desk").id
    at = page("pages/settings.py", user_id=admin).run()
    at.text_input(key="system_address").input("https://desk.example.org/")
    at.selectbox(key="access_user").set_value(desk)
    at.button(key="FormSubmitter:external_address-Save").click().run()
    assert not at.exception and [s.value for s in at.success] == ["Settings saved."]
    with session_scope(app_engine) as s:
        stored = external_access.get_external_access(s)
    assert (stored.system_address, stored.access_user_id) == ("https://desk.example.org", desk)
    assert at.selectbox(key="access_user").value == desk and at.code[0].value.startswith("https://desk.example.org/")


def test_the_overbooking_policy_is_saved_by_its_form(app_engine: Engine, admin: int) -> None:
    from core.access import settings

    at = page("pages/settings.py", user_id=admin).run()
    at.toggle(key="forbid_overbooking").set_value(True)
    at.button(key="FormSubmitter:booking_policy_form-Save").click().run()
    with session_scope(app_engine) as s:
        assert settings.forbid_overbooking(s)
    assert at.toggle(key="forbid_overbooking").value is True


def test_the_admin_requests_activation_and_sees_it_waiting_for_support(app_engine: Engine, admin: int) -> None:
    with session_scope(app_engine) as s:
        external_access.set_system_address(s, user=s.get(User, admin), address="https://desk.example.org")
    at = page("pages/settings.py", user_id=admin).run()
    assert "The activation is not valid" in at.error[0].value
    assert at.text_input(key="activation_system_name").value == "desk.example.org"
    at.text_input(key="activation_contact").input("it@example.org")
    at.button(key="FormSubmitter:activation_request_form-Request activation").click().run()
    assert not at.exception
    assert any(i.value.startswith("Activation requested by boss") for i in at.info)
    assert [s.value for s in at.success] == [
        "Activation requested. Support will register the redirect URL at GoTo; this page shows when it is done."
    ]
    with session_scope(app_engine) as s:
        [request] = s.exec(select(ActivationRequest)).all()
    assert (request.system_name, request.contact, request.status) == ("desk.example.org", "it@example.org", "pending")
    assert "activation_system_name" not in [w.key for w in at.text_input]  # no second request offered


def test_the_settings_page_speaks_german(app_engine: Engine, admin: int) -> None:
    at = page("pages/settings.py", user_id=admin, lang="de").run()
    assert "GoTo-Funktionen" in [s.value for s in at.subheader]
    assert at.multiselect(key="authorized_groups").label == "Berechtigte Gruppen"


def test_staff_cannot_open_the_settings(app_engine: Engine, staff: int) -> None:
    at = page("pages/settings.py", user_id=staff).run()
    assert [e.value for e in at.error] == ["This page is not available for your role."]
