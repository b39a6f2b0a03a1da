"""The public API of the offices app: which days are closed, who offers a service and when."""

import datetime
from functools import cache

import holidays

from okence.offices.models import Official, Service, Unit


@cache
def public_holidays(year: int) -> frozenset[datetime.date]:
    """Slovenian public holidays on which the counter is closed (work-free days only)."""
    return frozenset(holidays.country_holidays("SI", years=year).keys())


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
        service.officials.filter(units=service.unit_id)
        .select_related("user")
        .prefetch_related("hours")
    )


def weekly_hours(official: Official) -> dict[int, list[tuple[datetime.time, datetime.time]]]:
    hours: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
    for block in official.hours.all():
        hours.setdefault(block.weekday, []).append((block.start, block.end))
    return hours
