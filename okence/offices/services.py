"""The public API of the offices app: which days are closed, who offers a service and when."""

import datetime
from functools import cache

import holidays

from okence.offices.models import ChangedHours, Leave, Official, Service, Unit


@cache
def public_holidays(year: int) -> frozenset[datetime.date]:
    """Slovenian public holidays on which the counter is closed (work-free days only)."""
    return frozenset(holidays.country_holidays("SI", years=year).keys())


def holiday_name(day: datetime.date) -> str:
    """The holiday's name in the active language (the library knows Slovenian and English)."""
    from django.utils.translation import get_language

    language = "en_US" if (get_language() or "sl").startswith("en") else "sl"
    names = holidays.country_holidays("SI", years=day.year, language=language)
    return names.get(day, "")


def closed_days(
    unit: Unit, first_day: datetime.date, last_day: datetime.date
) -> set[datetime.date]:
    """Public holidays and the unit's own closures between two days, inclusive."""
    days = {
        day
        for year in range(first_day.year, last_day.year + 1)
        for day in public_holidays(year)
        if first_day <= day <= last_day
    }
    for first, last in unit.closures.filter(
        first_day__lte=last_day, last_day__gte=first_day
    ).values_list("first_day", "last_day"):
        day = max(first, first_day)
        while day <= min(last, last_day):
            days.add(day)
            day += datetime.timedelta(days=1)
    return days


def officials_offering(service: Service) -> list[Official]:
    """Officials of the service's unit who offer it, with their weekly hours loaded."""
    return list(
        service.officials.filter(units=service.unit_id, user__is_active=True)
        .select_related("user")
        .prefetch_related("hours")
    )


def days_away(
    officials: list[Official], first_day: datetime.date, last_day: datetime.date
) -> dict[int, set[datetime.date]]:
    """Each official's days of leave between two days, inclusive."""
    away: dict[int, set[datetime.date]] = {official.pk: set() for official in officials}
    for official_id, first, last in Leave.objects.filter(
        official__in=away.keys(), first_day__lte=last_day, last_day__gte=first_day
    ).values_list("official_id", "first_day", "last_day"):
        day = max(first, first_day)
        while day <= min(last, last_day):
            away[official_id].add(day)
            day += datetime.timedelta(days=1)
    return away


def changed_hours(
    officials: list[Official], first_day: datetime.date, last_day: datetime.date
) -> dict[int, dict[datetime.date, list[tuple[datetime.time, datetime.time]]]]:
    """Each official's hours on the dates where they differ from the week's."""
    changed: dict[int, dict] = {official.pk: {} for official in officials}
    for official_id, day, start, end in ChangedHours.objects.filter(
        official__in=changed.keys(), day__gte=first_day, day__lte=last_day
    ).values_list("official_id", "day", "start", "end"):
        changed[official_id].setdefault(day, []).append((start, end))
    return changed


def weekly_hours(official: Official) -> dict[int, list[tuple[datetime.time, datetime.time]]]:
    hours: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
    for block in official.hours.all():
        hours.setdefault(block.weekday, []).append((block.start, block.end))
    return hours
