"""The meeting-integrity soak (issue 12): users editing at once while GoTo fails, then the invariants.

Used by tests/integration/test_soak.py (small, in CI, SQLite and PostgreSQL) and benchmarks/soak.py (big,
several processes, a separate worker killed with SIGKILL mid-run). Faults come from `ChaosTransport`: about
`fault_rate` of all GoTo calls fail - 429 with Retry-After, 500/502/503/504 before GoTo acts, 500/502/504
and stalls past the timeout *after* GoTo acted - plus expired access tokens and revoked refresh tokens
at the sandbox. Then GoTo heals, revoked rooms are linked again, the worker drains, and `check` counts.
"""

from __future__ import annotations

import html
import random
import threading
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.booking.appointments import AppointmentInput, get_appointment, save_appointment
from core.conflicts import desk
from core.goto import GotoClient, GotoConfig, goto_subject
from core.goto.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from core.goto.stored_tokens import StoredTokens
from core.kernel import crypto
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.models import Appointment, Booking, GotoMeetingData, MeetingJob, Room, RoomLink, User
from core.meetings import jobs as meetings
from core.meetings import mail
from core.meetings.invitations import split_note
from core.series.agenda import delete_appointment

ADMIN_HEADER = "X-Sandbox-Admin"
KINDS_BEFORE = ("429", "500", "502", "503", "504")
KINDS_AFTER = ("500", "502", "504", "timeout")


class ChaosTransport(httpx.BaseTransport):
    """Fails about `rate` of the calls: refused before GoTo acts, or answered badly after it acted."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate, self.random, self.inner = rate, random.Random(seed), httpx.HTTPTransport()
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            roll, after = self.random.random(), self.random.random() < 0.5
            kind = self.random.choice(KINDS_AFTER if after else KINDS_BEFORE)
        self.counts["calls"] += 1
        if roll >= self.rate or "/_sandbox" in request.url.path:
            return self.inner.handle_request(request)
        self.counts[("after " if after else "before ") + kind] += 1
        if after:
            self.inner.handle_request(request).read()  # GoTo did it; the answer is lost
            if kind == "timeout":
                raise httpx.ReadTimeout("stalled past the timeout", request=request)
        headers = {"Retry-After": "1"} if kind == "429" else {}
        return httpx.Response(int(kind), headers=headers, json={"msg": "soak fault"}, request=request)


@dataclass
class Journal:
    """What the users did, to check against what the database and GoTo hold at the end."""

    notes: dict[int, tuple[int, str]] = field(default_factory=dict)  # appointment -> (version, note) last saved
    created: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    ops: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)  # filled by `check`: whose note changed, expected vs actual
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saved(self, appt: Appointment, note: str) -> None:
        with self.lock:
            self.created.add(appt.id)  # type: ignore[arg-type]
            if self.notes.get(appt.id, (0, ""))[0] < appt.version:  # type: ignore[arg-type]
                self.notes[appt.id] = (appt.version, note)  # type: ignore[index]

    def merge(self, other: dict[str, Any]) -> None:
        """Add a journal another process sent as `as_dict()`."""
        for key, (version, note) in other["notes"].items():
            if self.notes.get(int(key), (0, ""))[0] < version:
                self.notes[int(key)] = (version, note)
        self.created |= set(other["created"])
        self.deleted |= set(other["deleted"])
        self.ops.update(other["ops"])
        self.crashes += other["crashes"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "notes": {str(k): v for k, v in self.notes.items()},
            "created": sorted(self.created),
            "deleted": sorted(self.deleted),
            "ops": dict(self.ops),
            "crashes": self.crashes,
        }


def sandbox_client(engine: Engine, sandbox_url: str, transport: httpx.BaseTransport | None) -> GotoClient:
    """Room Desk's client (stored tokens) against the sandbox; backoff waits are not slept."""
    root = sandbox_url.rstrip("/")
    config = GotoConfig(
        auth_url=root,
        api_url=f"{root}/G2M/rest",
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        read_timeout=10,
    )
    tokens = StoredTokens(engine)
    client = GotoClient(config, tokens, transport=transport, sleep=lambda _: None)
    tokens.oauth = client
    return client


def link_rooms(engine: Engine, sandbox_url: str, rooms: int) -> list[str]:
    """Rooms with fresh sandbox accounts, linked by storing tokens the sandbox issued; admins who book them."""
    accounts = []
    with httpx.Client(base_url=sandbox_url, headers={ADMIN_HEADER: SANDBOX_CLIENT_SECRET}, timeout=10) as http:
        for n in range(rooms):
            email = f"soak{n}-{random.getrandbits(32):08x}@sandbox.roomdesk.test"
            account = {"email": email, "first_name": "Soak", "last_name": str(n), "password": "sandbox"}
            http.post("/_sandbox/accounts", json=account).raise_for_status()
            accounts.append(email)
    with session_scope(engine) as session:
        for n, email in enumerate(accounts):
            room = Room(name=f"Soak room {n}", goto_account=email)
            session.add(room)
            session.flush()
            store_link(session, sandbox_url, room.id, email)  # type: ignore[arg-type]
        for n in range(5):
            session.add(User(username=f"soak-staff-{n}", display_name=f"Soak Staff {n}", role="admin"))
    return accounts


def store_link(session: Any, sandbox_url: str, room_id: int, email: str) -> None:
    with httpx.Client(base_url=sandbox_url, headers={ADMIN_HEADER: SANDBOX_CLIENT_SECRET}, timeout=10) as http:
        data = http.post(f"/_sandbox/accounts/{email}/token").json()
    link = session.get(RoomLink, room_id) or RoomLink(room_id=room_id, email=email, access_token="", refresh_token="")
    link.access_token, link.refresh_token = crypto.encrypt(data["access_token"]), crypto.encrypt(data["refresh_token"])
    link.expires_at = datetime.now(UTC) + timedelta(seconds=data["expires_in"])
    link.status, link.last_error = "linked", ""
    session.add(link)


class UserSession:
    """One user session (a browser tab): random operations on the appointments, as the pages call them."""

    def __init__(self, engine: Engine, api: GotoClient, journal: Journal, seed: int, sandbox_url: str) -> None:
        self.engine, self.api, self.journal, self.random, self.sandbox_url = (
            engine,
            api,
            journal,
            random.Random(seed),
            sandbox_url,
        )
        with session_scope(engine) as session:
            self.users = session.exec(select(User).where(User.username.startswith("soak-staff"))).all()
            self.rooms = session.exec(select(Room.id, Room.goto_account)).all()

    def run(self, operations: int) -> None:
        for _ in range(operations):
            op = self.random.choices(
                ["create", "time", "subject", "room", "move", "unroom", "delete", "stale", "token"],
                [30, 15, 10, 10, 8, 6, 10, 8, 3],
            )[0]
            try:
                getattr(self, f"op_{op}")()
                self.journal.ops[op] += 1
            except RoomDeskError:
                self.journal.ops[f"{op} refused"] += 1  # stale form, gone, move refused: told to the user
            except Exception:
                self.journal.crashes.append(f"{op}: {traceback.format_exc(limit=6)}")

    # --- the operations -----------------------------------------------------------------------------------

    def _pick(self) -> int | None:
        with self.journal.lock:
            alive = sorted(self.journal.created - self.journal.deleted)
        return self.random.choice(alive) if alive else None

    def _save(self, appointment_id: int | None = None, version: int | None = None, **change: Any) -> Appointment:
        user = self.random.choice(self.users)
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
            hours=self.random.randint(24, 24 * 20)
        )
        current: dict[str, Any] = {}
        if appointment_id is not None:
            with session_scope(self.engine) as session:
                view = get_appointment(session, user=user, appointment_id=appointment_id)
            version = version if version is not None else view.version
            current = dict(
                subject=view.subject,
                starts_at=view.starts_at,
                ends_at=view.ends_at,
                room_ids=(view.room_id,) if view.room_id else (),
            )
        note = f"notes {self.random.getrandbits(40):010x}\n─── GoTo Meeting ───\n(typed by the user)"
        data = dict(
            subject=f"Soak {self.random.getrandbits(24):06x}",
            starts_at=start,
            ends_at=start + timedelta(minutes=self.random.choice([30, 60, 90])),
            room_ids=(self.random.choice(self.rooms)[0],),
        )
        data |= current | change | {"note": note}
        with session_scope(self.engine, immediate=True) as session:  # as pages/appointments.py saves
            appt = save_appointment(
                session,
                user=user,
                data=AppointmentInput(**data),
                appointment_id=appointment_id,
                expected_version=version,
                confirm_overbooking=True,
            )
        self.journal.saved(appt, note)
        meetings.sync_now(self.engine, self.api, appt.id, patience=2)  # type: ignore[arg-type]
        return appt

    def op_create(self) -> None:
        self._save(**({"room_ids": ()} if self.random.random() < 0.1 else {}))

    def op_time(self) -> None:
        if (a := self._pick()) is not None:
            start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
                hours=self.random.randint(24, 480)
            )
            self._save(a, starts_at=start, ends_at=start + timedelta(hours=1))

    def op_subject(self) -> None:
        if (a := self._pick()) is not None:
            self._save(a, subject=f"Renamed {self.random.getrandbits(24):06x}")

    def op_room(self) -> None:
        if (a := self._pick()) is not None:
            self._save(a, room_ids=(self.random.choice(self.rooms)[0],))

    def op_unroom(self) -> None:
        if (a := self._pick()) is not None:
            self._save(a, room_ids=())

    def op_move(self) -> None:
        if (a := self._pick()) is None:
            return
        with session_scope(self.engine) as session:
            booking_id = session.exec(select(Booking.id).where(Booking.appointment_id == a)).first()
        if booking_id is None:
            return
        desk.move_booking(
            self.engine,
            user=self.random.choice(self.users),
            booking_id=booking_id,
            room_id=self.random.choice(self.rooms)[0],
            api=self.api,
        )

    def op_delete(self) -> None:
        if (a := self._pick()) is None:
            return
        with session_scope(self.engine) as session:
            version = session.get(Appointment, a).version  # type: ignore[union-attr]
        with session_scope(self.engine) as session:  # as pages/appointments.py deletes
            mail.cancel_invitation(session, user=self.random.choice(self.users), appointment_id=a)
            job = delete_appointment(
                session, user=self.random.choice(self.users), appointment_id=a, expected_version=version
            )
        with self.journal.lock:
            self.journal.deleted.add(a)
        if job is not None:
            meetings.run_now(self.engine, self.api, job)

    def op_stale(self) -> None:
        """A form opened before someone else saved: its save must be refused, nothing overwritten."""
        if (a := self._pick()) is None:
            return
        with session_scope(self.engine) as session:
            old = session.get(Appointment, a).version  # type: ignore[union-attr]
        self._save(a)
        self._save(a, version=old, subject="stale form")  # raises StaleAppointment, a RoomDeskError

    def op_token(self) -> None:
        """GoTo expires a room's access token early, or (rarely) revokes its refresh token."""
        _, account = self.random.choice(self.rooms)
        what = "revoke-refresh" if self.random.random() < 0.2 else "expire-token"
        with httpx.Client(base_url=self.sandbox_url, headers={ADMIN_HEADER: SANDBOX_CLIENT_SECRET}, timeout=10) as http:
            http.post(f"/_sandbox/accounts/{account}/{what}")


def heal_and_drain(engine: Engine, sandbox_url: str, *, rounds: int = 40) -> Counter[str]:
    """GoTo healthy again: revoked rooms linked anew, given-up jobs retried, the worker runs until idle."""
    stats: Counter[str] = Counter()
    api = sandbox_client(engine, sandbox_url, None)
    with session_scope(engine) as session:
        for room in session.exec(select(Room)).all():
            store_link(session, sandbox_url, room.id, room.goto_account)  # type: ignore[arg-type]
    columns = MeetingJob.__table__.columns  # type: ignore[attr-defined]
    for _ in range(rounds):
        with session_scope(engine, immediate=True) as session:
            values: dict[str, Any] = {"next_attempt_at": datetime.now(UTC) - timedelta(seconds=1)}  # backoff over
            if "failed_at" in columns:
                stats["given up, retried"] += session.execute(
                    sa.update(MeetingJob).where(MeetingJob.failed_at.is_not(None)).values(failed_at=None, attempts=0)
                ).rowcount
            expired = sa.or_(MeetingJob.claimed_until.is_(None), MeetingJob.claimed_until < datetime.now(UTC))
            session.execute(sa.update(MeetingJob).where(expired).values(**values))
            left = session.exec(select(sa.func.count()).select_from(MeetingJob)).one()
        if not left:
            break
        meetings.run_due(engine, api, limit=1000)
    with session_scope(engine) as session:
        stats["jobs left"] = session.exec(select(sa.func.count()).select_from(MeetingJob)).one()
    api.close()
    return stats


def check(engine: Engine, sandbox_url: str, journal: Journal) -> dict[str, int]:
    """The invariants of issue 12, counted (every count but `appointments` and `meetings` must be 0)."""
    api = sandbox_client(engine, sandbox_url, None)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        rooms = {rid: acc for rid, acc in session.exec(select(Room.id, Room.goto_account))}
        appts = {a.id: a for a in session.exec(select(Appointment).where(Appointment.rrule.is_(None)))}
        booked = {b.appointment_id: rooms[b.room_id] for b in session.exec(select(Booking))}
        stored = {d.appointment_id: d for d in session.exec(select(GotoMeetingData))}
    at_goto = {m.meeting_id: (acc, m) for acc in rooms.values() for m in api.upcoming_meetings(acc)}  # type: ignore[arg-type]
    api.close()
    counts = Counter(appointments=len(appts), meetings=len(at_goto))
    claimed: set[str] = set()
    for appt_id, appt in appts.items():
        data = stored.get(appt_id)
        account = booked.get(appt_id)
        if account is None or appt.ends_at <= now:
            counts["meeting without a linked room"] += bool(data and data.meeting_id and appt.ends_at > now)
            continue
        held = at_goto.get(data.meeting_id) if data and data.meeting_id else None
        if held is None:
            counts["missing meetings"] += 1
            continue
        claimed.add(data.meeting_id)  # type: ignore[union-attr, arg-type]
        acc, meeting = held
        same = acc == account and meeting.starts_at == appt.starts_at.replace(microsecond=0)
        same = same and meeting.ends_at == appt.ends_at.replace(microsecond=0)
        same = same and html.unescape(meeting.subject) == html.unescape(goto_subject(appt.subject))
        counts["meetings differing from their appointment"] += not same
        block = data.data.get("block") if data else None  # type: ignore[union-attr]
        if data is not None and data.join_url and (not block or data.join_url not in block):
            counts["join links not shown"] += 1
    for mid, (acc, meeting) in at_goto.items():
        if mid in claimed:
            continue
        twin = any(booked.get(a) == acc and a in appts and appts[a].subject[:100] == meeting.subject for a in appts)
        counts["duplicate meetings" if twin else "orphaned meetings"] += 1
    counts["lost appointments"] = len(journal.created - journal.deleted - set(appts))
    for appt_id, (version, note) in journal.notes.items():
        if appt_id in appts:
            block = stored[appt_id].data.get("block") if appt_id in stored else None
            text, _ = split_note(appts[appt_id].note, block)
            if text != note:
                counts["altered notes"] += 1
                journal.altered.append(
                    f"appointment {appt_id} (saved as version {version}, now {appts[appt_id].version}): "
                    f"expected {note!r}, found {text!r}; whole note {appts[appt_id].note!r}; stored block {block!r}"
                )
    counts["unhandled exceptions"] = len(journal.crashes)
    for key in ("duplicate meetings", "orphaned meetings", "missing meetings", "lost appointments", "altered notes"):
        counts.setdefault(key, 0)
    return dict(counts)


def run_sessions(
    engine: Engine,
    sandbox_url: str,
    *,
    sessions: int,
    operations: int,
    fault_rate: float,
    seed: int,
    journal: Journal,
    worker: bool = True,
) -> Counter[str]:
    """`sessions` threads of user operations (plus a worker thread) against one engine; the fault counts."""
    transport = ChaosTransport(fault_rate, seed)
    clients = [sandbox_client(engine, sandbox_url, transport) for _ in range(sessions + 1)]
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                meetings.run_due(engine, clients[-1], limit=20)
            except Exception:
                journal.crashes.append(f"worker: {traceback.format_exc(limit=6)}")
            stop.wait(0.1)

    threads = [
        threading.Thread(
            target=UserSession(engine, clients[n], journal, seed * 100 + n, sandbox_url).run, args=(operations,)
        )
        for n in range(sessions)
    ]
    background = threading.Thread(target=work) if worker else None
    for thread in [*threads, *([background] if background else [])]:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    if background:
        background.join()
    for client in clients:
        client.close()
    return transport.counts
