"""A realistic demo organisation, seeded on the dashboard's first start on an empty default database."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from core.access import addon, settings
from core.access.auth import DEMO_PASSWORD, add_user
from core.booking.appointments import AppointmentInput, save_appointment
from core.booking.rooms import RoomInput, create_room, grant
from core.kernel.db import write_lock
from core.kernel.models import Appointment, Booking, Group, MeetingSession, Room, User
from core.reporting.history import record_demo_sessions

ZONE = ZoneInfo("Europe/Berlin")

ROOMS = [  # name, GoTo account (matches the GoTo sandbox's seeded accounts), description
    ("Sales 1", "room1@sandbox.roomdesk.test", "Customer calls of the sales team"),
    ("Sales 2", "room2@sandbox.roomdesk.test", "Second sales account, also for webinars"),
    ("Consulting", "room3@sandbox.roomdesk.test", "Project meetings with customers"),
    ("Support Desk", "room4@sandbox.roomdesk.test", "Remote support sessions"),
    ("Board Room", "room5@sandbox.roomdesk.test", "Management and all-hands"),
    ("Training", "room6@sandbox.roomdesk.test", "Trainings and onboarding, bookable by everybody"),
]
GROUPS = ["Sales", "Consulting", "Support"]
USERS = [  # username, display name, role, groups, language
    ("admin", "Alex Admin", "admin", (), "en"),
    ("anna", "Anna Schmidt", "staff", ("Sales",), "de"),
    ("ben", "Ben Keller", "staff", ("Sales",), "en"),
    ("clara", "Clara Weber", "staff", ("Consulting",), "de"),
    ("david", "David Novak", "staff", ("Consulting", "Sales"), "en"),
    ("eva", "Eva Fischer", "staff", ("Support",), "de"),
    ("sam", "Sam Support", "support", (), "en"),
    ("petra", "Petra Partner", "staff", ("External",), "de"),
    ("mia", "Mia Manager", "admin", (), "de"),
]
GRANTS = {  # group -> rooms its members may book
    "Sales": ["Sales 1", "Sales 2", "Training"],
    "Consulting": ["Consulting", "Board Room", "Sales 2"],
    "Support": ["Support Desk", "Training"],
    "All": ["Training"],
}
SUBJECTS = [
    "Customer call {n}",
    "Kick-off {n}",
    "Weekly sync",
    "Demo for prospect {n}",
    "Support session {n}",
    "Kundentermin {n}",
    "Projektbesprechung {n}",
    "Quarterly review",
    "Onboarding {n}",
    "Webinar {n}",
]


def credentials() -> list[tuple[str, str, str]]:
    """(username, role, password) of the demo users, for the sign-in page."""
    return [(u, role, DEMO_PASSWORD) for u, _, role, _, _ in USERS]


def is_empty(session: Session) -> bool:
    return session.exec(select(User.id)).first() is None and session.exec(select(Room.id)).first() is None


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE)


def seed_demo(session: Session, *, today: date, seed: int = 7) -> None:
    """Create rooms, groups, users and four weeks of appointments around `today`, with overbooked slots."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    settings.put_value(session, settings.DEMO_SEEDED, True)  # first: the demo password is valid on the demo only
    for name in GROUPS:
        session.add(Group(name=name))
    session.flush()
    users = {}
    for username, display, role, groups, lang in USERS:
        user = add_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=display,
            email=f"{username}@example.org",
            groups=groups,
        )
        user.language = lang
        users[username] = user
    admin = users["admin"]
    # The demo's external partner (petra) books rooms, which needs a run-as user (rule 11).
    addon.set_run_as_user(session, user=admin, run_as_user_id=admin.id)
    rooms = {
        name: create_room(session, user=admin, data=RoomInput(name, account, desc)) for name, account, desc in ROOMS
    }
    group_ids = {g.name: g.id for g in session.exec(select(Group))}
    for group, names in GRANTS.items():
        for name in names:
            grant(session, user=admin, room_id=rooms[name].id, group_id=group_ids[group])  # type: ignore[arg-type]
    organizers = {
        room: [users[u] for u, _, role, groups, _ in USERS if role != "support" and _may_book(role, groups, room)]
        for room in rooms
    }
    _seed_appointments(session, today, rooms, organizers, random.Random(seed))
    _seed_history(session, today, rooms, random.Random(seed + 1))


def _may_book(role: str, groups: tuple[str, ...], room: str) -> bool:
    return role == "admin" or any(room in GRANTS.get(g, []) for g in (*groups, "All"))


def _seed_appointments(
    session: Session, today: date, rooms: dict[str, Room], organizers: dict[str, list[User]], rng: random.Random
) -> None:
    days = [today + timedelta(days=d) for d in range(-14, 15) if (today + timedelta(days=d)).weekday() < 5]
    n = 0
    for day in days:
        for name, room in rooms.items():
            hour = 8 + rng.randint(0, 1)
            while hour < 17:
                if rng.random() < 0.45:
                    length = rng.choice([30, 45, 60, 60, 90, 120])
                    start = _at(day, hour, rng.choice([0, 0, 15, 30]))
                    end = start + timedelta(minutes=length)
                    n += 1
                    _book(session, rng.choice(organizers[name]), rng.choice(SUBJECTS).format(n=n), start, end, room)
                    hour = end.astimezone(ZONE).hour + 1
                else:
                    hour += rng.randint(1, 2)
    # Deliberate overbookings this week and next, so the conflict views have something real to show.
    for offset, name, (h, m), minutes in [
        (1, "Sales 1", (10, 0), 90),
        (2, "Consulting", (14, 0), 60),
        (3, "Board Room", (9, 30), 120),
        (8, "Sales 2", (11, 0), 60),
    ]:
        day = today + timedelta(days=offset)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = _at(day, h, m)
        for k in range(2):
            n += 1
            _book(
                session,
                organizers[name][k % len(organizers[name])],
                f"{SUBJECTS[k * 3].format(n=n)} (double-booked)",
                start + timedelta(minutes=15 * k),
                start + timedelta(minutes=15 * k + minutes),
                rooms[name],
            )


def _seed_history(session: Session, today: date, rooms: dict[str, Room], rng: random.Random) -> None:
    """Two weeks of GoTo history, as the worker would have collected it: mostly held, some of everything else."""
    until = datetime.now(ZONE) if today == date.today() else _at(today, 12)
    bookings = session.exec(
        select(Booking)
        .where(Booking.starts_at >= _at(today - timedelta(days=15), 0), Booking.ends_at <= until)
        .order_by(Booking.room_id, Booking.starts_at)
    ).all()
    by_id = {room.id: room for room in rooms.values()}
    subjects = dict(session.exec(select(Appointment.id, Appointment.subject)).all())
    rows: list[MeetingSession] = []

    def held(room: Room, start: datetime, end: datetime, subject: str, people: int) -> None:
        rows.append(
            MeetingSession(
                account=room.goto_account,  # type: ignore[arg-type]
                session_key=f"demo-{len(rows) + 1}",
                room_id=room.id,
                meeting_id=str(800_000_000 + len(rows)),
                subject=subject,
                starts_at=start,
                ends_at=end,
                attendees=people,
            )
        )

    later = {b.id: nxt for b, nxt in zip(bookings, bookings[1:]) if nxt.room_id == b.room_id}
    overrun_done = no_show_done = False
    free_from: dict[int, datetime] = {}  # one meeting per account at a time: a late next meeting waits for it
    for b in bookings:
        room = by_id[b.room_id]
        if rng.random() < 0.1 or (not no_show_done and b.starts_at.date() == bookings[-1].starts_at.date()):
            no_show_done = True  # booked, nobody came (always at least one, on the latest day)
            continue
        start = b.starts_at + timedelta(minutes=rng.randint(-3, 8))
        start = max(start, free_from.get(b.room_id, start) + timedelta(minutes=1))
        end = b.ends_at - timedelta(minutes=rng.randint(0, 15))
        nxt = later.get(b.id)
        if (
            nxt is not None
            and (not overrun_done or rng.random() < 0.05)
            and nxt.starts_at - b.ends_at < timedelta(hours=1)
        ):
            overrun_done = True  # the meeting ran on into the next booking of this room
            end = nxt.starts_at + timedelta(minutes=rng.randint(10, 20))
        end = max(end, start + timedelta(minutes=10))
        free_from[b.room_id] = end
        held(room, start, end, subjects.get(b.appointment_id, ""), rng.randint(2, 9))
    for day_back, name, hour in [(2, "Sales 2", 18), (6, "Board Room", 7), (9, "Support Desk", 17)]:
        start = _at(today - timedelta(days=day_back), hour, 10)  # someone used the credentials without booking
        if start + timedelta(minutes=40) <= until:
            held(rooms[name], start, start + timedelta(minutes=40), "Quick call", rng.randint(2, 4))
    record_demo_sessions(session, rows, {room.goto_account: until for room in rooms.values()})  # type: ignore[misc]


def _book(session: Session, organizer: User, subject: str, start: datetime, end: datetime, room: Room) -> None:
    data = AppointmentInput(
        subject=subject,
        starts_at=start,
        ends_at=end,
        time_zone="Europe/Berlin",
        note="Agenda:\n- introductions\n- status\n- next steps",
        room_ids=(room.id,),
    )
    save_appointment(session, user=organizer, data=data, confirm_overbooking=True)


def clear_all(session: Session) -> None:
    """Delete every row except the built-in groups (for `roomdesk demo --reset`)."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name == "usergroup":
            session.execute(sa.delete(table).where(table.c.builtin.is_(False)))
        elif table.name != "alembic_version":
            session.execute(sa.delete(table))
