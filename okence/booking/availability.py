"""Free times, as pure functions: the rules and the time already taken in, free slots out.

Nothing here touches the database, so the rules are tested directly and the query side
(`booking.services.month_availability`) stays a handful of queries, whatever the bookings.
"""

import bisect
import datetime
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = datetime.UTC


@dataclass(frozen=True)
class Rules:
    """What a service allows: its length, how soon and how far ahead it may be booked."""

    duration: datetime.timedelta
    min_notice: datetime.timedelta = datetime.timedelta(hours=2)
    max_advance_days: int = 30
    zone: ZoneInfo = ZoneInfo("Europe/Ljubljana")


@dataclass
class Schedule:
    """One official's weekly hours (local times per weekday, Monday = 0) and the time taken;
    their days away, and dates whose hours differ from the week's (none: no hours that day)."""

    official_id: int
    hours: Mapping[int, Sequence[tuple[datetime.time, datetime.time]]]
    busy: list[tuple[datetime.datetime, datetime.datetime]] = field(default_factory=list)
    away: Set[datetime.date] = frozenset()
    changed: Mapping[datetime.date, Sequence[tuple[datetime.time, datetime.time]]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        self.busy.sort()
        self._busy_starts = [start for start, _ in self.busy]
        # The longest busy interval bounds how far back an overlapping one can start.
        self._longest = max(
            (end - start for start, end in self.busy), default=datetime.timedelta(0)
        )

    def hours_on(self, day: datetime.date) -> Sequence[tuple[datetime.time, datetime.time]]:
        if day in self.away:
            return ()
        if day in self.changed:
            return self.changed[day]
        return self.hours.get(day.weekday(), ())

    def is_free(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        first = bisect.bisect_left(self._busy_starts, start - self._longest)
        last = bisect.bisect_left(self._busy_starts, end)
        return all(busy_end <= start for _, busy_end in self.busy[first:last])


@dataclass(frozen=True)
class Slot:
    """A free time: its start and end (UTC) and the officials free for all of it."""

    start: datetime.datetime
    end: datetime.datetime
    official_ids: tuple[int, ...]


def bookable_window(
    rules: Rules, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.date]:
    """The earliest start allowed, and the last local day that may be booked."""
    today = now.astimezone(rules.zone).date()
    return now + rules.min_notice, today + datetime.timedelta(days=rules.max_advance_days)


def local_datetime(day: datetime.date, time: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """A wall-clock time on a day in a zone, as UTC; a time skipped by a clock change moves on."""
    aware = datetime.datetime.combine(day, time, tzinfo=zone)
    # Round-tripping through UTC normalises a non-existent wall time (the spring-forward gap).
    return aware.astimezone(UTC)


def free_slots(
    rules: Rules,
    schedules: Iterable[Schedule],
    closed_days: set[datetime.date],
    first_day: datetime.date,
    last_day: datetime.date,
    now: datetime.datetime,
) -> dict[datetime.date, list[Slot]]:
    """Free slots per local day from first_day to last_day inclusive, in time order.

    A slot is free when at least one official works for its whole length and has nothing booked
    that overlaps it. Slots follow each block of hours from its start, one duration apart.
    """
    earliest, last_bookable = bookable_window(rules, now)
    last_day = min(last_day, last_bookable)
    schedules = list(schedules)
    result: dict[datetime.date, list[Slot]] = {}
    day = first_day
    while day <= last_day:
        if day not in closed_days:
            by_start: dict[datetime.datetime, tuple[datetime.datetime, list[int]]] = {}
            for schedule in schedules:
                for block_start, block_end in schedule.hours_on(day):
                    start = local_datetime(day, block_start, rules.zone)
                    block_end_utc = local_datetime(day, block_end, rules.zone)
                    while start + rules.duration <= block_end_utc:
                        end = start + rules.duration
                        if start >= earliest and schedule.is_free(start, end):
                            by_start.setdefault(start, (end, []))[1].append(schedule.official_id)
                        start = end
            if by_start:
                result[day] = [
                    Slot(start, end, tuple(ids)) for start, (end, ids) in sorted(by_start.items())
                ]
        day += datetime.timedelta(days=1)
    return result
