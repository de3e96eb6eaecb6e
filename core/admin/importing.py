"""Import bookings from CSV: validate the whole file with pandas, then bulk-insert it, or nothing at all."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from zoneinfo import available_timezones

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from core.access import policy
from core.booking.appointments import EARLIEST, LATEST, MAX_DURATION
from core.booking.rooms import GOTO_ACCOUNT
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import ImportRejected
from core.kernel.i18n import translate
from core.kernel.models import Appointment, Booking, MeetingJob, Room, RoomLink, User, utcnow
from core.series import importing as series_import

REQUIRED = ("room", "goto_account", "subject", "start", "end", "organizer")
MUST_FILL = ("room", "subject", "start", "end", "organizer")
LIMITS = {"room": 80, "subject": 200, "organizer": 120, "goto_account": 254}
CHUNK = 5_000
_STAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
_OFFSET = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
_PARSER_LINE = re.compile(r"Expected \d+ fields in line (\d+)")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    rows: int
    rooms_created: int
    room_names: tuple[str, ...] = ()
    meetings_planned: int = 0


def _text(key: str, **params: object) -> str:
    return translate(key, "en", **params)


def read_csv(source: str | Path | IO[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The file's rows as text (blank lines dropped) and each row's line number in the file (header = 1)."""
    try:
        with warnings.catch_warnings():
            # pandas only warns (and drops data) when the first row is longer than the header.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                source,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                index_col=False,
                encoding="utf-8-sig",
            )
    except pd.errors.ParserWarning:
        raise ImportRejected([(2, _text("import.too_many_fields"))]) from None
    except pd.errors.EmptyDataError:
        raise ImportRejected([(1, _text("import.file_empty"))]) from None
    except pd.errors.ParserError as err:
        found = _PARSER_LINE.search(str(err))
        text = _text("import.too_many_fields") if found else _text("import.unreadable", reason=err)
        raise ImportRejected([(int(found.group(1)) if found else 1, text)]) from None
    except UnicodeDecodeError as err:
        raise ImportRejected([(1, _text("import.unreadable", reason=err))]) from None
    header_lines = 1 + sum(str(name).count("\n") for name in frame.columns)
    frame.columns = [str(name).lstrip("\ufeff").strip().lower() for name in frame.columns]
    frame = frame.fillna("")
    # Quoted fields may span lines; count them so every problem names the line an editor shows.
    breaks = sum((frame[c].str.count("\n") for c in frame.columns), pd.Series(0, index=frame.index)).to_numpy()
    lines = header_lines + 1 + np.arange(len(frame)) + np.concatenate([[0], np.cumsum(breaks)[:-1]]).astype(int)
    filled = (frame != "").any(axis=1).to_numpy() if len(frame.columns) else np.zeros(len(frame), bool)
    return frame[filled].reset_index(drop=True), lines[filled]


class _Problems:
    """Problems gathered check by check; reported all at once, ordered by line."""

    def __init__(self, lines: np.ndarray) -> None:
        self.lines = lines
        self.found: list[tuple[int, int, str]] = []

    def add(self, mask: pd.Series | np.ndarray, render: Callable[[int], str]) -> None:
        for row in np.flatnonzero(np.asarray(mask)):
            self.found.append((int(self.lines[row]), len(self.found), render(int(row))))

    def raise_any(self) -> None:
        if self.found:
            by_line: dict[int, list[str]] = {}
            for line, _, text in sorted(self.found):
                by_line.setdefault(line, []).append(text)
            raise ImportRejected([(line, " ".join(texts)) for line, texts in by_line.items()])


def _times(data: pd.DataFrame, column: str, problems: _Problems) -> pd.Series:
    raw = data[column]
    full = raw.str.match(_STAMP + _OFFSET)
    parsed = pd.to_datetime(raw.where(full), format="ISO8601", utc=True, errors="coerce")
    naive = raw.str.match(_STAMP + "$") & (raw != "")
    problems.add(naive, lambda r: _text("import.time_no_offset", field=column, value=raw.iat[r]))
    problems.add(
        parsed.isna() & ~naive & (raw != ""), lambda r: _text("import.time_invalid", field=column, value=raw.iat[r])
    )
    return parsed


def _rooms(session: Session) -> pd.DataFrame:
    rows = session.execute(sa.select(Room.id, Room.name, Room.goto_account, Room.active)).all()
    rooms = pd.DataFrame(rows, columns=["id", "name", "goto_account", "active"]).astype(
        {"name": "str", "goto_account": "str", "active": bool}
    )
    return rooms.assign(key=rooms["name"].str.lower())


def _lookup(values: pd.Series, table: pd.Series) -> pd.Series:
    # object dtype: a lookup in an empty table must not turn into floats that refuse text as a filler.
    return values.map(table).astype(object)


def _check_accounts(data: pd.DataFrame, rooms: pd.DataFrame, problems: _Problems) -> pd.Series:
    """Each room has one GoTo account and each account one room, across the file and the database."""
    acct = data["goto_account"].str.lower()
    given = acct != ""
    valid = given & acct.str.match(GOTO_ACCOUNT.pattern) & (acct.str.len() <= LIMITS["goto_account"])
    problems.add(given & ~valid, lambda r: _text("error.goto_account_invalid", account=data["goto_account"].iat[r]))
    stored = rooms.dropna(subset=["goto_account"])
    named = data.assign(acct=acct, line=problems.lines)[valid]
    first = named.drop_duplicates("key")
    ref = _lookup(data["key"], stored.set_index("key")["goto_account"])
    from_file = ref.isna()
    ref = ref.fillna(_lookup(data["key"], first.set_index("key")["acct"]))
    ref_line = data["key"].map(first.set_index("key")["line"])
    differs = valid & ref.notna() & (acct != ref)
    problems.add(
        differs & ~from_file,
        lambda r: _text(
            "import.account_conflict_stored", room=data["room"].iat[r], account=acct.iat[r], other=ref.iat[r]
        ),
    )
    problems.add(
        differs & from_file,
        lambda r: _text(
            "import.account_conflict_line",
            room=data["room"].iat[r],
            account=acct.iat[r],
            other=ref.iat[r],
            line=ref_line.iat[r],
        ),
    )
    by_acct, first_use = stored.set_index("goto_account"), named.drop_duplicates("acct").set_index("acct")
    owner_key = _lookup(acct, by_acct["key"]).fillna(_lookup(acct, first_use["key"]))
    owner = _lookup(acct, by_acct["name"]).fillna(_lookup(acct, first_use["room"]))
    problems.add(
        valid & ~differs & owner_key.notna() & (owner_key != data["key"]),
        lambda r: _text("error.goto_account_taken", account=acct.iat[r], room=owner.iat[r]),
    )
    return ref


def validate(data: pd.DataFrame, lines: np.ndarray, rooms: pd.DataFrame, *, create_rooms: bool) -> pd.DataFrame:
    """The rows ready to write (parsed times, room key, account); ImportRejected listing every bad line."""
    missing = [c for c in REQUIRED if c not in data.columns]
    if missing:
        raise ImportRejected([(1, _text("import.columns_missing", columns=", ".join(missing)))])
    data = data.assign(**{c: data[c].str.strip() for c in REQUIRED})
    data["key"] = data["room"].str.lower()
    problems = _Problems(lines)
    empty = pd.DataFrame({c: data[c] == "" for c in MUST_FILL})
    problems.add(
        empty.any(axis=1),
        lambda r: _text("import.fields_missing", fields=", ".join(empty.columns[empty.iloc[r].to_numpy()])),
    )
    for column, limit in LIMITS.items():
        if column != "goto_account":
            problems.add(
                data[column].str.len() > limit, lambda r, c=column, n=limit: _text("import.too_long", field=c, max=n)
            )
    start, end = _times(data, "start", problems), _times(data, "end", problems)
    both = start.notna() & end.notna()
    in_range = start.dt.year.between(EARLIEST, LATEST - 1) & end.dt.year.between(EARLIEST, LATEST - 1)
    problems.add(both & ~in_range, lambda r: _text("error.date_out_of_range", low=EARLIEST, high=LATEST))
    problems.add(both & in_range & (end <= start), lambda r: _text("error.end_before_start"))
    problems.add(
        both & in_range & (end - start > MAX_DURATION),
        lambda r: _text("error.duration_absurd", hours=int(MAX_DURATION.total_seconds() // 3600)),
    )
    known = data["key"].isin(rooms["key"])
    named = data["room"] != ""
    if not create_rooms:
        problems.add(named & ~known, lambda r: _text("import.room_unknown", room=data["room"].iat[r]))
    inactive = data["key"].isin(rooms.loc[~rooms["active"].astype(bool), "key"])
    problems.add(inactive, lambda r: _text("error.room_inactive", room=data["room"].iat[r]))
    account = _check_accounts(data, rooms, problems)
    zone = data["timezone"].str.strip() if "timezone" in data.columns else pd.Series("", index=data.index)
    problems.add(
        (zone != "") & ~zone.isin(available_timezones()), lambda r: _text("error.time_zone_invalid", zone=zone.iat[r])
    )
    rules = data["rrule"].str.strip() if "rrule" in data.columns else pd.Series("", index=data.index)
    bad_rules, rules = series_import.check_rules(rules, zone, start)
    problems.add(np.isin(np.arange(len(data)), list(bad_rules)), lambda r: bad_rules[r])
    problems.raise_any()
    return data.assign(start=start, end=end, account=account, time_zone=zone.where(zone != "", "UTC"), rrule=rules)


def _create_rooms(session: Session, data: pd.DataFrame, rooms: pd.DataFrame) -> dict[str, int]:
    new = data[~data["key"].isin(rooms["key"])].drop_duplicates("key")
    ids = dict(zip(rooms["key"], rooms["id"].astype(int)))
    if new.empty:
        return ids
    now = utcnow()
    params = [
        {
            "name": name,
            "goto_account": None if pd.isna(acct) else acct,
            "description": "",
            "active": True,
            "created_at": now,
        }
        for name, acct in zip(new["room"], new["account"])
    ]
    table = Room.__table__  # type: ignore[attr-defined]
    created = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), params)
    return ids | dict(zip(new["key"], created.scalars().all()))


def _organizer_ids(session: Session, organizer: pd.Series) -> pd.Series:
    users = pd.DataFrame(
        session.execute(sa.select(User.id, User.username, User.email)).all(), columns=["id", "username", "email"]
    )
    by_name = users.assign(k=users["username"].str.lower()).drop_duplicates("k").set_index("k")["id"]
    by_mail = users.dropna(subset=["email"]).assign(k=lambda u: u["email"].str.lower())
    by_mail = by_mail.drop_duplicates("k").set_index("k")["id"]
    wanted = organizer.str.lower()
    return wanted.map(by_name).fillna(wanted.map(by_mail))


def _write(session: Session, rows: pd.DataFrame, progress: Progress | None, *, plan_meetings: bool) -> int:
    appointments, bookings = Appointment.__table__, Booking.__table__  # type: ignore[attr-defined]
    add_appointments = sa.insert(appointments).returning(appointments.c.id, sort_by_parameter_order=True)
    now, total = utcnow(), len(rows)
    starts, ends = rows["start"].dt.to_pydatetime(), rows["end"].dt.to_pydatetime()
    organizer_ids = [None if pd.isna(v) else int(v) for v in rows["organizer_id"]]
    # Upcoming bookings of linked rooms get their GoTo meetings from the worker, like any pending meeting.
    linked = set(session.execute(sa.select(RoomLink.room_id)).scalars()) if plan_meetings else set()
    planned = 0
    for at in range(0, total, CHUNK):
        part = slice(at, at + CHUNK)
        rules, zones, room_ids = rows["rrule"].iloc[part], rows["time_zone"].iloc[part], rows["room_id"].iloc[part]
        params = [
            {
                "subject": s,
                "starts_at": b,
                "ends_at": e,
                "time_zone": z,
                "organizer_id": o,
                "organizer_name": n,
                "note": "",
                "external_emails": "",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                **series_import.appointment_fields(q, b, e, z, int(r), now),
            }
            for s, b, e, z, o, n, q, r in zip(
                rows["subject"].iloc[part],
                starts[part],
                ends[part],
                zones,
                organizer_ids[part],
                rows["organizer"].iloc[part],
                rules,
                room_ids,
            )
        ]
        ids = session.execute(add_appointments, params).scalars().all()
        # A series (rrule) books its room once per occurrence and gets no meeting of its own (rule 7).
        session.execute(
            sa.insert(bookings),
            [
                {"appointment_id": i, "room_id": r, "starts_at": sb, "ends_at": se}
                for i, r, b, e, z, q in zip(ids, room_ids, starts[part], ends[part], zones, rules)
                for sb, se in series_import.booked_slots(q, b, e, z, now)
            ],
        )
        jobs = [
            {
                "kind": "sync",
                "appointment_id": i,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            }
            for i, r, e, q in zip(ids, room_ids, ends[part], rules)
            if r in linked and e > now and not q
        ]
        if jobs:
            session.execute(sa.insert(MeetingJob.__table__), jobs)  # type: ignore[attr-defined]
            planned += len(jobs)
        if progress:
            progress(min(at + CHUNK, total), total)
    return planned


def import_bookings(
    session: Session,
    *,
    source: str | Path | IO[str],
    create_rooms: bool,
    progress: Progress | None = None,
    actor: User | None = None,
    plan_meetings: bool = True,
) -> ImportResult:
    """Import a bookings CSV whole, or reject it whole with every bad line (ImportRejected)."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    policy.authorize_import(actor)
    data, lines = read_csv(source)
    rooms = _rooms(session)
    rows = validate(data, lines, rooms, create_rooms=create_rooms)
    if progress:
        progress(0, len(rows))
    room_ids = _create_rooms(session, rows, rooms)
    created = tuple(rows[~rows["key"].isin(rooms["key"])].drop_duplicates("key")["room"])
    rows = rows.assign(
        room_id=rows["key"].map(room_ids).astype(int), organizer_id=_organizer_ids(session, rows["organizer"])
    )
    planned = _write(session, rows, progress, plan_meetings=plan_meetings)
    name = str(source) if isinstance(source, (str, Path)) else getattr(source, "name", None)
    audit.record(
        session,
        actor=actor,
        action="bookings.import",
        entity="booking",
        after={"rows": len(rows), "rooms_created": list(created), "source": name, "meetings_planned": planned},
    )
    return ImportResult(rows=len(rows), rooms_created=len(created), room_names=created, meetings_planned=planned)
