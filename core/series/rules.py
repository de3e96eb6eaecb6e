"""Series rules (RFC 5545 RRULE): build them from form choices, check them, expand them in the organizer's zone.

Pure functions: no session, no HTTP. Expansion runs on naive wall-clock times and only then attaches the zone,
so a 09:00 Europe/Berlin series stays at 09:00 on both sides of a DST change. Times that do not exist (the
spring gap) or exist twice (the autumn fold) resolve as RFC 5545 says: with the offset before the change,
and the first of the two, which is exactly zoneinfo's fold=0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from dateutil import rrule as du

from core.kernel.errors import RoomDeskError
from core.kernel.i18n import translate

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
POSITIONS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
HORIZON = timedelta(days=731)  # open-ended series are booked about two years ahead
MAX_INTERVAL, MAX_COUNT, LAST_YEAR = 99, 1000, 2099
# Time of day and duration come from the first occurrence; a rule may only choose days.
PARTS = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT", "UNTIL")
_LOCALES = {"en": "en_GB", "de": "de_DE"}


@dataclass(frozen=True)
class RuleSpec:
    """What the series form asks for; `build_rule` turns it into an RRULE value."""

    freq: str = "WEEKLY"
    interval: int = 1
    weekdays: tuple[str, ...] = ()  # WEEKLY: the days; by position: the day(s) the position counts
    by_position: bool = False  # MONTHLY/YEARLY: "the last Friday" rather than "the 31st"
    position: int = 1  # 1..4, or -1 for the last
    month_day: int | None = None  # MONTHLY by date: 1..31, -1 = last day; None: the first occurrence's day
    count: int | None = None
    until: date | None = None  # the last day (inclusive), in the series' zone


@dataclass(frozen=True)
class Occurrence:
    start: datetime  # UTC
    end: datetime  # UTC
    day: date  # local date in the series' zone: identifies the occurrence (rules pick days, not times)


def _problem(key: str, **params: object) -> RoomDeskError:
    return RoomDeskError(key, field="rrule", **params)


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _end_of_day(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(zone)).astimezone(UTC)


def build_rule(spec: RuleSpec, *, first_day: date, zone: str) -> str:
    """The RRULE value for the form's choices (UNTIL in UTC, as RFC 5545 demands with a zoned start)."""
    parts = [f"FREQ={spec.freq}"] + ([f"INTERVAL={spec.interval}"] if spec.interval != 1 else [])
    days = ",".join(d for d in WEEKDAYS if d in spec.weekdays)
    if spec.freq == "WEEKLY" and days:
        parts.append(f"BYDAY={days}")
    if spec.freq in ("MONTHLY", "YEARLY") and spec.by_position and days:
        if spec.freq == "YEARLY":
            parts.append(f"BYMONTH={first_day.month}")
        parts += (
            [f"BYDAY={spec.position}{days}"]
            if len(spec.weekdays) == 1
            else [f"BYDAY={days}", f"BYSETPOS={spec.position}"]
        )
    elif spec.freq == "MONTHLY" and spec.month_day is not None:
        parts.append(f"BYMONTHDAY={spec.month_day}")
    if spec.count is not None:
        parts.append(f"COUNT={spec.count}")
    elif spec.until is not None:
        parts.append(f"UNTIL={_utc_stamp(_end_of_day(spec.until, zone))}")
    return ";".join(parts)


def _split(rule: str) -> dict[str, str]:
    text = rule.strip()
    text = text[6:] if text.upper().startswith("RRULE:") else text
    parts: dict[str, str] = {}
    for item in filter(None, text.replace(" ", "").upper().split(";")):
        key, sep, value = item.partition("=")
        if not sep or not value or key in parts:
            raise _problem("error.series_rule_invalid", rule=rule, reason=item)
        parts[key] = value
    return parts


def _until(value: str, zone: str) -> datetime:
    """UNTIL as a UTC moment; a date or a floating time (seen in imports) is read in the series' zone."""
    try:
        if len(value) == 8:
            return _end_of_day(datetime.strptime(value, "%Y%m%d").date(), zone)
        moment = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        raise _problem("error.series_rule_invalid", rule=value, reason="UNTIL") from None
    return moment.replace(tzinfo=UTC if value.endswith("Z") else ZoneInfo(zone)).astimezone(UTC)


def normalize_rule(rule: str, zone: str) -> str:
    """The rule checked and in canonical form (UNTIL in UTC); raises RoomDeskError naming what is wrong."""
    if not rule.strip():
        raise _problem("error.series_rule_required")
    parts = _split(rule)
    unknown = [k for k in parts if k not in PARTS]
    if unknown:
        raise _problem("error.series_rule_part", part=", ".join(unknown))
    if parts.get("FREQ") not in FREQUENCIES:
        raise _problem("error.series_frequency", freq=parts.get("FREQ", ""))
    if "COUNT" in parts and "UNTIL" in parts:
        raise _problem("error.series_count_and_until")
    for key, low, high, error in (
        ("INTERVAL", 1, MAX_INTERVAL, "error.series_interval"),
        ("COUNT", 1, MAX_COUNT, "error.series_count"),
    ):
        if key in parts and not (parts[key].isdigit() and low <= int(parts[key]) <= high):
            raise _problem(error, low=low, high=high)
    if "UNTIL" in parts:
        until = _until(parts["UNTIL"], zone)
        if until.year > LAST_YEAR:
            raise _problem("error.series_until_range", year=LAST_YEAR)
        parts["UNTIL"] = _utc_stamp(until)
    text = ";".join(f"{k}={parts[k]}" for k in PARTS if k in parts)
    try:  # UNTIL is checked above; dateutil would refuse a UTC one next to a floating start
        du.rrulestr(
            ";".join(f"{k}={parts[k]}" for k in PARTS if k in parts and k != "UNTIL"), dtstart=datetime(2026, 1, 1)
        )
    except (ValueError, TypeError, KeyError) as err:
        raise _problem("error.series_rule_invalid", rule=rule, reason=str(err) or type(err).__name__) from None
    return text


def _naive(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _aware(naive: datetime, zone: str) -> datetime:
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)  # fold=0: RFC 5545's choice


def _recurrence(rule: str, first_start: datetime, zone: str) -> tuple[du.rrule, datetime | None]:
    parts = _split(rule)
    until = _until(parts.pop("UNTIL"), zone) if "UNTIL" in parts else None
    recurrence = du.rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=_naive(first_start, zone))
    if until is not None:  # compared on wall-clock times here, and exactly in UTC afterwards
        recurrence = recurrence.replace(until=_naive(until, zone) + timedelta(hours=3))
    return recurrence, until


def first_occurrence(rule: str, start: datetime, zone: str) -> datetime | None:
    """The first start on or after `start` that the rule yields (a series begins on a day its rule picks)."""
    recurrence, until = _recurrence(rule, start, zone)
    for naive in recurrence:
        moment = _aware(naive, zone)
        return moment if until is None or moment <= until else None
    return None


def expand(
    rule: str,
    *,
    first_start: datetime,
    first_end: datetime,
    zone: str,
    window_start: datetime | None = None,
    window_end: datetime,
    skip: Iterable[str] = (),
) -> list[Occurrence]:
    """Occurrences overlapping [window_start, window_end), minus the skipped local dates (ISO strings).

    Every occurrence keeps the first one's wall-clock start and end in `zone`.
    """
    recurrence, until = _recurrence(rule, first_start, zone)
    base_start, base_end = _naive(first_start, zone), _naive(first_end, zone)
    length, elapsed = base_end - base_start, first_end - first_start
    skipped = set(skip)
    lo = _naive(window_start, zone) - length - timedelta(days=2) if window_start else base_start
    hi = _naive(window_end, zone) + timedelta(days=2)
    found: list[Occurrence] = []
    for naive in recurrence.between(max(lo, base_start), hi, inc=True):
        start = _aware(naive, zone)
        if until is not None and start > until:
            break
        end = _aware(naive + length, zone)
        end = end if end > start else start + elapsed  # a wall-clock end swallowed by a DST change
        if (
            start < window_end
            and (window_start is None or end > window_start)
            and naive.date().isoformat() not in skipped
        ):
            found.append(Occurrence(start, end, naive.date()))
    return found


def last_end(rule: str, *, first_start: datetime, first_end: datetime, zone: str) -> datetime | None:
    """When the last occurrence ends; None for a series without COUNT or UNTIL."""
    parts = _split(rule)
    if "COUNT" not in parts and "UNTIL" not in parts:
        return None
    everything = expand(
        rule,
        first_start=first_start,
        first_end=first_end,
        zone=zone,
        window_end=datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC),
    )
    return everything[-1].end if everything else first_end


def ending_before(rule: str, day: date, zone: str) -> str:
    """The rule cut so that its last occurrence falls before `day` (COUNT becomes UNTIL)."""
    parts = {k: v for k, v in _split(rule).items() if k not in ("COUNT", "UNTIL")}
    last = datetime.combine(day, time(0), ZoneInfo(zone)) - timedelta(seconds=1)
    return ";".join([*(f"{k}={v}" for k, v in parts.items()), f"UNTIL={_utc_stamp(last)}"])


def parse_rule(rule: str, zone: str) -> RuleSpec | None:
    """The form's choices for a rule, or None when the rule says more than the form can show."""
    try:
        parts = _split(normalize_rule(rule, zone))
    except RoomDeskError:
        return None
    freq, byday = parts.pop("FREQ"), parts.pop("BYDAY", "")
    spec = RuleSpec(
        freq=freq,
        interval=int(parts.pop("INTERVAL", "1")),
        count=int(parts["COUNT"]) if "COUNT" in parts else None,
        until=_until(parts["UNTIL"], zone).astimezone(ZoneInfo(zone)).date() if "UNTIL" in parts else None,
    )
    parts.pop("COUNT", None), parts.pop("UNTIL", None), parts.pop("WKST", None)
    days = tuple(byday.split(",")) if byday else ()
    if freq == "WEEKLY" and not parts and all(d in WEEKDAYS for d in days):
        return _replace(spec, weekdays=days)
    if freq == "MONTHLY" and not days and set(parts) <= {"BYMONTHDAY"}:
        month_day = int(parts["BYMONTHDAY"]) if parts.get("BYMONTHDAY", "").lstrip("-").isdigit() else None
        return _replace(spec, month_day=month_day) if month_day in (None, -1, *range(1, 32)) else None
    if freq in ("MONTHLY", "YEARLY") and days and set(parts) <= {"BYSETPOS", "BYMONTH"}:
        if (freq == "YEARLY") != ("BYMONTH" in parts):
            return None
        if len(days) == 1 and "BYSETPOS" not in parts and days[0][-2:] in WEEKDAYS and days[0][:-2]:
            position, days = int(days[0][:-2]), (days[0][-2:],)
        elif "BYSETPOS" in parts and all(d in WEEKDAYS for d in days) and parts["BYSETPOS"].lstrip("-").isdigit():
            position = int(parts["BYSETPOS"])
        else:
            return None
        return _replace(spec, weekdays=days, by_position=True, position=position) if position in POSITIONS else None
    return spec if freq in ("DAILY", "YEARLY") and not parts and not days else None


def _replace(spec: RuleSpec, **changes: object) -> RuleSpec:
    from dataclasses import replace

    return replace(spec, **changes)  # type: ignore[arg-type]


def describe_rule(rule: str, zone: str, lang: str = "en") -> str:
    """The rule in words, e.g. "every 2 weeks on Mon, Wed, until 31 Mar 2027"."""
    spec = parse_rule(rule, zone)
    if spec is None:
        return rule
    locale = _LOCALES.get(lang, "en_GB")
    names = get_day_names("abbreviated", locale=locale)
    days = ", ".join(names[WEEKDAYS.index(d)] for d in WEEKDAYS if d in spec.weekdays)
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}[spec.freq]
    text = translate(f"series.every_{unit}" if spec.interval == 1 else f"series.every_n_{unit}s", lang, n=spec.interval)
    if spec.by_position:
        text += " " + translate(
            "series.on_position",
            lang,
            position=translate(f"series.position_{POSITIONS[spec.position]}", lang),
            days=days,
        )
    elif spec.month_day == -1:
        text += " " + translate("series.on_last_day", lang)
    elif spec.month_day is not None:
        text += " " + translate("series.on_month_day", lang, day=spec.month_day)
    elif days:
        text += " " + translate("series.on_days", lang, days=days)
    if spec.count is not None:
        text += ", " + translate("series.times", lang, count=spec.count)
    elif spec.until is not None:
        text += ", " + translate("series.until", lang, date=format_date(spec.until, "medium", locale=locale))
    return text
