"""An official's own appointments as a read-only iCalendar feed at a secret, revocable address,
so that bookings appear in Outlook or Thunderbird.

The feed says no more than the official's agenda: the service, the time and the link to the
meeting page (which needs the official's sign-in); the citizen's name only if the operator
allows it (CALENDAR_FEED_NAMES). A new address replaces the old one at once.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from icalendar import Calendar, Event

from okence.booking.models import Appointment, Status
from okence.booking.vtimezone import vtimezone
from okence.meetings.models import CalendarFeed
from okence.offices.models import Official
from okence.tokens import hash_token, new_token

# What the feed shows: from a month back, booked or already under way or over.
PAST_DAYS = 31
LISTED = (Status.CONFIRMED, Status.WAITING, Status.IN_MEETING, Status.COMPLETED, Status.NO_SHOW)


def renew(official: Official, now: datetime.datetime) -> str:
    """A new secret address for the official's feed; the old one stops working. The token."""
    token = new_token()
    with transaction.atomic():
        CalendarFeed.objects.update_or_create(
            official=official, defaults={"token_hash": hash_token(token), "created_at": now}
        )
    return token


def revoke(official: Official) -> bool:
    return CalendarFeed.objects.filter(official=official).delete()[0] > 0


def has_feed(official: Official) -> bool:
    return CalendarFeed.objects.filter(official=official).exists()


def official_by_token(token: str) -> Official | None:
    feed = (
        CalendarFeed.objects.select_related("official__user")
        .filter(token_hash=hash_token(token), official__user__is_active=True)
        .first()
    )
    return feed.official if feed else None


def feed(official: Official, now: datetime.datetime) -> bytes:
    appointments = list(
        Appointment.objects.filter(
            official=official,
            status__in=LISTED,
            start__gte=now - datetime.timedelta(days=PAST_DAYS),
            unit__in=official.units.all(),
        )
        .select_related("service", "unit")
        .order_by("start")
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Okence//Virtualno okence//SL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Okence – {official}")
    zones = {appointment.unit.timezone: appointment.unit.zone for appointment in appointments}
    for zone in zones.values():
        calendar.add_component(vtimezone(zone, now))
    for appointment in appointments:
        zone = appointment.unit.zone
        event = Event()
        event.add("uid", f"{appointment.public_id}@okence")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.start.astimezone(zone))
        event.add("dtend", appointment.end.astimezone(zone))
        summary = appointment.service.name
        if settings.CALENDAR_FEED_NAMES and appointment.name:
            summary = f"{summary} – {appointment.name}"
        event.add("summary", summary)
        url = settings.SITE_URL + reverse("meetings:official_room", args=[appointment.public_id])
        event.add("url", url)
        event.add("location", url)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
