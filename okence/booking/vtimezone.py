"""A VTIMEZONE that every calendar program reads the same way: yearly rules, as Outlook and Google
write them.

icalendar's own VTIMEZONE lists every past clock change as one RDATE with dozens of values;
some readers (Thunderbird's among them) take only the first value and put every summer appointment
an hour off. A zone's current rule ("last Sunday of March at 02:00") is written instead as an
RRULE for each of its two observances, starting from the earliest year since which the rule has
held unchanged, and checked against the zone's own transitions, so a zone whose rule cannot be
written that way is caught rather than described wrongly.
"""

import datetime
import functools
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

# Years of the zone's rules that are checked against the RRULE around an appointment.
CHECKED_YEARS_AFTER = 10
EARLIEST_YEAR = 1970


class UnsupportedZone(ValueError):
    """The zone's clock changes do not follow a yearly weekday rule."""


def _transitions(zone: ZoneInfo, year: int) -> list[datetime.datetime]:
    """The instants (UTC) in ``year`` at which the zone's offset changes, found by bisection."""
    found = []
    step = datetime.timedelta(days=1)
    moment = datetime.datetime(year, 1, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=datetime.UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + step
        if following.astimezone(zone).utcoffset() != offset:
            low, high = moment, following
            while high - low > datetime.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
            offset = following.astimezone(zone).utcoffset()
        moment = following
    return found


def _observance(zone: ZoneInfo, instant: datetime.datetime) -> dict:
    """What a clock change at ``instant`` looks like as a yearly rule."""
    before = (instant - datetime.timedelta(minutes=1)).astimezone(zone)
    after = instant.astimezone(zone)
    # The onset is given in the local time that was in force before the change.
    onset = (instant + before.utcoffset()).replace(tzinfo=None)
    last_week = onset.day + 7 > _days_in_month(onset.year, onset.month)
    week = -1 if last_week else (onset.day - 1) // 7 + 1
    return {
        "dst": bool(after.dst()),
        "name": after.tzname(),
        "offset_from": before.utcoffset(),
        "offset_to": after.utcoffset(),
        "month": onset.month,
        "week": week,
        "weekday": onset.weekday(),
        "time": onset.time(),
        "onset": onset,
    }


def _days_in_month(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def _rule(observance: dict) -> tuple:
    keys = ("dst", "offset_from", "offset_to", "month", "week", "weekday", "time")
    return tuple(observance[key] for key in keys)


@functools.lru_cache(maxsize=256)
def _rules_of(zone: ZoneInfo, year: int) -> list[dict]:
    return [_observance(zone, instant) for instant in _transitions(zone, year)]


WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def vtimezone(zone: ZoneInfo, around: datetime.datetime) -> Timezone:
    """The VTIMEZONE of ``zone`` for an event at ``around``, with one yearly rule per observance."""
    component = Timezone()
    component.add("tzid", zone.key)
    year = around.astimezone(zone).year
    rules = _rules_of(zone, year)
    if not rules:  # no clock changes this year: one standard time from the year's start
        start = datetime.datetime(year, 1, 1, tzinfo=zone)
        standard = TimezoneStandard()
        standard.add("dtstart", start.replace(tzinfo=None))
        standard.add("tzoffsetfrom", start.utcoffset())
        standard.add("tzoffsetto", start.utcoffset())
        standard.add("tzname", start.tzname())
        component.add_component(standard)
        return component
    current = [_rule(rule) for rule in rules]
    for checked in range(year + 1, year + CHECKED_YEARS_AFTER + 1):
        if [_rule(rule) for rule in _rules_of(zone, checked)] != current:
            raise UnsupportedZone(f"{zone.key} changes its rules in {checked}")
    first = year
    while first > EARLIEST_YEAR and [_rule(r) for r in _rules_of(zone, first - 1)] == current:
        first -= 1
    for rule in _rules_of(zone, first):
        observance = TimezoneDaylight() if rule["dst"] else TimezoneStandard()
        observance.add("dtstart", rule["onset"])
        observance.add("tzoffsetfrom", rule["offset_from"])
        observance.add("tzoffsetto", rule["offset_to"])
        observance.add("tzname", rule["name"])
        observance.add(
            "rrule",
            vRecur(
                freq="YEARLY",
                bymonth=rule["month"],
                byday=f"{rule['week']}{WEEKDAYS[rule['weekday']]}",
            ),
        )
        component.add_component(observance)
    return component
