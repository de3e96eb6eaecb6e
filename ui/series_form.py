"""The series form: times, rule, room and people; the edit scope for an occurrence; what to do with conflicts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st
from babel.dates import get_day_names

from core.access import auth
from core.booking import rooms
from core.booking.appointments import AppointmentInput, parse_emails
from core.kernel.db import session_scope
from core.kernel.errors import OverbookingWarning, RoomDeskError, StaleAppointment
from core.kernel.i18n import format_date, format_datetime, format_time
from core.kernel.models import User
from core.meetings import jobs as meetings
from core.series import occurrences
from core.series.booking import ASK, BOOK_ANYWAY, MOVE, SKIP, SeriesInput, SeriesOverbooking, SeriesSaved, save_series
from core.series.rules import FREQUENCIES, POSITIONS, WEEKDAYS, RuleSpec, build_rule, describe_rule, expand
from core.series.views import SeriesView, preview
from ui.goto import goto
from ui.session import engine, error, flash, lang, t

PENDING = "series_pending"
WORKDAYS = ("MO", "TU", "WE", "TH", "FR")


def _day_name(code: str) -> str:
    if code == "WORKDAY":
        return t("series.workday")
    return get_day_names("wide", locale="de_DE" if lang() == "de" else "en_GB")[WEEKDAYS.index(code)]


def _rule(key: str, spec: RuleSpec | None, first: date, zone: str, custom: str | None) -> str:
    """The rule fields; a rule the fields cannot show (e.g. imported) is edited as text."""
    if spec is None and custom:
        return st.text_input(t("series.rule_text"), value=custom, key=f"series_rule_{key}", help=t("series.rule_help"))
    spec = spec or RuleSpec(weekdays=(WEEKDAYS[first.weekday()],))
    c1, c2 = st.columns([2, 1])
    freq = c1.selectbox(
        t("series.repeat"),
        FREQUENCIES,
        index=FREQUENCIES.index(spec.freq),
        key=f"series_freq_{key}",
        format_func=lambda f: t(f"series.freq_{f.lower()}"),
    )
    interval = int(c2.number_input(t("series.interval"), 1, 99, spec.interval, key=f"series_interval_{key}"))
    days, by_position, position, month_day = spec.weekdays, spec.by_position, spec.position, spec.month_day
    if freq == "WEEKLY":
        days = tuple(
            st.multiselect(
                t("series.weekdays"),
                WEEKDAYS,
                default=list(days) or [WEEKDAYS[first.weekday()]],
                format_func=_day_name,
                key=f"series_days_{key}",
            )
        )
    elif freq in ("MONTHLY", "YEARLY"):
        by_position = st.radio(
            t("series.monthly_mode"),
            [False, True],
            index=int(by_position),
            horizontal=True,
            key=f"series_mode_{key}",
            format_func=lambda p: t("series.mode_position" if p else "series.mode_date"),
        )
        if by_position:
            c1, c2 = st.columns(2)
            position = c1.selectbox(
                t("series.position"),
                list(POSITIONS),
                index=list(POSITIONS).index(position),
                key=f"series_position_{key}",
                format_func=lambda p: t(f"series.position_{POSITIONS[p]}"),
            )
            chosen = "WORKDAY" if len(days) > 1 else (days[0] if days else WEEKDAYS[first.weekday()])
            pick = c2.selectbox(
                t("series.weekday"),
                [*WEEKDAYS, "WORKDAY"],
                index=[*WEEKDAYS, "WORKDAY"].index(chosen),
                key=f"series_weekday_{key}",
                format_func=_day_name,
            )
            days = WORKDAYS if pick == "WORKDAY" else (pick,)
        elif freq == "MONTHLY":
            choices = [*range(1, 32), -1]
            month_day = st.selectbox(
                t("series.month_day"),
                choices,
                index=choices.index(month_day or first.day),
                key=f"series_month_day_{key}",
                format_func=lambda d: t("series.last_day") if d == -1 else str(d),
            )
    ends = "count" if spec.count else "until" if spec.until else "never"
    c1, c2 = st.columns(2)
    ends = c1.radio(
        t("series.ends"),
        ["never", "count", "until"],
        index=["never", "count", "until"].index(ends),
        horizontal=True,
        key=f"series_ends_{key}",
        format_func=lambda e: t(f"series.ends_{e}"),
    )
    count = (
        int(c2.number_input(t("series.count"), 1, 1000, spec.count or 10, key=f"series_count_{key}"))
        if ends == "count"
        else None
    )
    until = (
        c2.date_input(
            t("series.until_day"),
            value=spec.until or first + timedelta(days=90),
            key=f"series_until_{key}",
            format="DD.MM.YYYY",
        )
        if ends == "until"
        else None
    )
    return build_rule(
        RuleSpec(freq, interval, days, by_position, position, month_day, count, until), first_day=first, zone=zone
    )


def series_editor(user: User, *, view: SeriesView | None, seed: dict[str, object], occurrence: datetime | None) -> None:
    """Create a series (view None), change one, or change it from one of its occurrences (with a scope)."""
    zone = view.time_zone if view else user.time_zone
    tz, key = ZoneInfo(zone), f"{view.id}" if view else str(seed.get("key", "new"))
    scope = "series"
    if view and occurrence:
        scope = st.radio(
            t("series.scope"),
            ["occurrence", "following", "series"],
            index=1,
            horizontal=True,
            key=f"series_scope_{key}",
            format_func=lambda s: t(f"series.scope_{s}"),
        )
    start0: datetime = (
        view.starts_at.astimezone(tz)
        if view
        else seed.get("start")
        or datetime.combine(  # type: ignore[assignment]
            date.today() + timedelta(days=1), time(10), tz
        )
    )
    end0: datetime = view.ends_at.astimezone(tz) if view else seed.get("end") or start0 + timedelta(hours=1)  # type: ignore[assignment]
    if occurrence and scope != "series":
        shift = occurrence.astimezone(tz).date() - start0.date()
        start0, end0 = start0 + shift, end0 + shift
    with session_scope(engine()) as s:
        bookable, people = rooms.bookable_rooms(s, user=user), auth.list_users(s)
    subject = st.text_input(
        t("series.subject"), value=view.subject if view else str(seed.get("subject", "")), key=f"series_subject_{key}"
    )
    c1, c2, c3 = st.columns(3)
    first = c1.date_input(
        t("series.first_day" if scope != "occurrence" else "series.day"),
        value=start0.date(),
        key=f"series_first_{key}_{scope}",
        format="DD.MM.YYYY",
    )
    start_time = c2.time_input(t("series.start_time"), value=start0.time(), step=900, key=f"series_start_{key}")
    end_time = c3.time_input(t("series.end_time"), value=end0.time(), step=900, key=f"series_end_{key}")
    st.caption(t("series.zone_note", zone=zone))
    starts, ends = datetime.combine(first, start_time, tz), datetime.combine(first, end_time, tz)
    rule, skip = "", ()
    if scope != "occurrence":
        spec = view.spec if view else None
        if view and spec and spec.count and scope == "following" and occurrence:
            done = len(
                expand(view.rule, first_start=view.starts_at, first_end=view.ends_at, zone=zone, window_end=occurrence)
            )
            spec = RuleSpec(**{**spec.__dict__, "count": max(1, spec.count - done)})
        rule = _rule(f"{key}_{scope}", spec, first, zone, view.rule if view else None)
        skip = _exclusions(key, rule, starts, ends, zone, view.exclusions if view else ())
    room_names = {r.id: r.name for r in bookable} | ({view.room_id: view.room} if view and view.room_id else {})
    room0 = view.room_id if view else seed.get("room_id")
    room = st.selectbox(
        t("series.room"),
        [None, *room_names],
        index=[None, *room_names].index(room0) if room0 in room_names else 0,
        key=f"series_room_{key}",
        format_func=lambda r: room_names[r] if r else "—",
        help=t("series.room_help"),
    )
    names = {p.id: p.display_name for p in people}
    participants = st.multiselect(
        t("appointments.participants"),
        list(names),
        format_func=names.get,
        key=f"series_people_{key}",
        default=list(view.participant_ids if view else seed.get("participant_ids", ())),
    )  # type: ignore[arg-type]
    externals = st.text_area(
        t("appointments.external"),
        value="\n".join(view.external_emails if view else seed.get("external_emails", ())),  # type: ignore[arg-type]
        key=f"series_external_{key}",
        height=68,
    )
    note = st.text_area(
        t("appointments.note"), value=view.note if view else str(seed.get("note", "")), key=f"series_note_{key}"
    )
    data = AppointmentInput(
        subject=subject,
        starts_at=starts,
        ends_at=ends,
        time_zone=zone,
        note=note,
        room_ids=(room,) if room else (),
        participant_ids=tuple(participants),
        external_emails=parse_emails(externals),
    )
    version = view.version if view else seed.get("version")
    target = view.id if view else seed.get("convert_id")

    def submit(resolution: str = ASK, move_to: int | None = None, confirm: bool = False) -> None:
        try:
            with session_scope(engine()) as s:
                if scope == "occurrence":
                    opened = occurrences.edit_occurrence(
                        s,
                        user=user,
                        series_id=view.id,
                        start=occurrence,  # type: ignore[union-attr, arg-type]
                        data=data,
                        confirm_overbooking=confirm,
                    )
                elif scope == "following":
                    saved = occurrences.split_series(
                        s,
                        user=user,
                        series_id=view.id,
                        start=occurrence,  # type: ignore[union-attr, arg-type]
                        data=SeriesInput(data, rule, skip),
                        expected_version=version,  # type: ignore[arg-type]
                        resolution=resolution,
                        move_to_room=move_to,
                    )
                else:
                    saved = save_series(
                        s,
                        user=user,
                        data=SeriesInput(data, rule, skip),
                        series_id=target,  # type: ignore[arg-type]
                        expected_version=version,
                        resolution=resolution,
                        move_to_room=move_to,
                    )  # type: ignore[arg-type]
            if scope == "occurrence":
                meetings.sync_now(engine(), goto().client, opened.id)  # type: ignore[arg-type]
                flash(t("series.occurrence_saved", subject=subject))
            else:
                flash(
                    t(
                        "series.saved",
                        subject=subject,
                        count=saved.booked,
                        skipped=len(saved.skipped),
                        moved=len(saved.moved),
                    )
                    + _opened_summary(saved, zone)
                )
            for k in [k for k in st.session_state if str(k).startswith("series_") or k == PENDING]:
                del st.session_state[k]
            if scope == "occurrence":
                st.session_state["editing"] = opened.id
                st.switch_page("pages/appointments.py")
            st.session_state["series_edit"] = {"id": saved.series.id}  # stays open: its next occurrences below
            st.rerun()
        except (SeriesOverbooking, OverbookingWarning) as warning:
            st.session_state[PENDING] = warning
        except StaleAppointment as err:
            st.session_state.pop(PENDING, None)
            error(err)
        except RoomDeskError as err:
            st.session_state.pop(PENDING, None)
            error(err)

    if rule:
        opened = tuple(view.opened) if view else ()  # opened occurrences are appointments of their own now
        coming = preview(rule, start=starts, end=ends, zone=zone, skip=skip, opened=opened, count=5)
        if coming and not view and coming[0].astimezone(tz).date() != first:
            # the rule decides the days: a Thursday start on a Wednesday rule begins the next Wednesday
            st.warning(t("series.first_moved", day=format_date(coming[0], lang(), zone)), icon=":material/event:")
        st.caption(
            t(
                "series.summary",
                rule=describe_rule(rule, zone, lang()),
                next=", ".join(format_datetime(p, lang(), zone) for p in coming),
            )
        )
    if st.button(t("action.save"), type="primary", key=f"series_save_{key}"):
        submit()
    _resolution(submit, zone)


def _exclusions(
    key: str, rule: str, start: datetime, end: datetime, zone: str, current: tuple[date, ...]
) -> tuple[date, ...]:
    try:
        days = [
            o.day
            for o in expand(rule, first_start=start, first_end=end, zone=zone, window_end=start + timedelta(days=731))
        ][:400]
    except RoomDeskError:
        return current
    options = sorted({*days, *current})
    return tuple(
        st.multiselect(
            t("series.exclusions"),
            options,
            default=list(current),
            key=f"series_skip_{key}",
            format_func=lambda d: d.strftime("%d.%m.%Y"),
            help=t("series.exclusions_help"),
        )
    )


def _resolution(submit, zone: str) -> None:  # type: ignore[no-untyped-def]
    pending = st.session_state.get(PENDING)
    if pending is None:
        return
    with st.container(border=True):
        st.error(f"**{t('appointments.overbooking_title')}**  \n{pending.message(lang())}", icon=":material/warning:")
        if isinstance(pending, OverbookingWarning):
            if st.button(t("appointments.book_anyway"), key="series_confirm_single"):
                submit(confirm=True)
            return
        for c in pending.conflicts:
            names = ", ".join(f"“{o['subject']}”" for o in c.others)
            st.write(f"- {format_datetime(c.start, lang(), zone)} – {format_time(c.end, lang(), zone)}: {names}")
        st.caption(t("appointments.overbooking_explain"))
        cols = st.columns(3)
        if not pending.forbidden and cols[0].button(t("appointments.book_anyway"), key="series_book_anyway"):
            submit(BOOK_ANYWAY)
        if cols[1].button(t("series.skip_conflicts", count=len(pending.conflicts)), key="series_skip_conflicts"):
            submit(SKIP)
        rooms_free = dict(pending.common_rooms)
        if rooms_free:
            target = cols[2].selectbox(
                t("series.move_to"), list(rooms_free), format_func=rooms_free.get, key="series_move_room"
            )
            if cols[2].button(t("series.move_conflicts"), key="series_move"):
                submit(MOVE, target)
        elif all(c.free_rooms for c in pending.conflicts):
            if cols[2].button(t("series.move_each"), key="series_move"):
                submit(MOVE)
        else:
            cols[2].caption(t("series.no_free_room"))


def _opened_summary(saved: SeriesSaved, zone: str) -> str:
    """Which opened occurrences took the change and which were left as they are (changed by hand)."""

    def days(found: list[date]) -> str:
        return ", ".join(format_date(datetime.combine(d, time(12), ZoneInfo(zone)), lang(), zone) for d in found)

    parts = [t("rules.series_followed", days=days(saved.followed))] if saved.followed else []
    parts += [t("rules.series_left_as_is", days=days(saved.left_as_is))] if saved.left_as_is else []
    return "".join(" " + p for p in parts)
