"""The official's agenda: the appointments of a chosen day or week, beyond today's console.

Days are the unit's local days (a DST day is 23 or 25 hours long), so the bounds are computed
in the unit's zone and only then compared with the stored UTC times.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from okence.booking.models import Appointment, Status
from okence.offices.access import StaffAccess
from okence.offices.models import Official, Service, Unit
from okence.offices.templatetags.content_language import in_language

# Holds never confirmed are not appointments yet (nor ever, once expired).
NOT_LISTED = (Status.HELD, Status.EXPIRED)
# The states as the agenda names them (the console's words).
STATE_LABELS = {
    Status.CONFIRMED: _("Booked"),
    Status.WAITING: _("In the waiting room"),
    Status.IN_MEETING: _("In the meeting"),
    Status.COMPLETED: _("Ended"),
    Status.NO_SHOW: _("Did not attend"),
    Status.CANCELLED: _("Cancelled"),
}


@dataclass(frozen=True)
class Span:
    """Local days ``first`` .. ``first + days - 1`` in ``zone``."""

    first: datetime.date
    days: int
    zone: ZoneInfo

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime.combine(self.first, datetime.time(0), tzinfo=self.zone)

    @property
    def end(self) -> datetime.datetime:
        after = self.first + datetime.timedelta(days=self.days)
        return datetime.datetime.combine(after, datetime.time(0), tzinfo=self.zone)

    @property
    def dates(self) -> list[datetime.date]:
        return [self.first + datetime.timedelta(days=n) for n in range(self.days)]

    @property
    def previous(self) -> datetime.date:
        return self.first - datetime.timedelta(days=self.days)

    @property
    def next(self) -> datetime.date:
        return self.first + datetime.timedelta(days=self.days)


def parse_date(value: str | None, today: datetime.date) -> datetime.date | None:
    """An ISO date from the address; today when none is given, None when it is not a date."""
    if not value:
        return today
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def day(date: datetime.date, zone: ZoneInfo) -> Span:
    return Span(date, 1, zone)


def week(date: datetime.date, zone: ZoneInfo) -> Span:
    """The week (Monday to Sunday) that holds ``date``."""
    return Span(date - datetime.timedelta(days=date.weekday()), 7, zone)


def zone_of(access: StaffAccess, default: ZoneInfo) -> ZoneInfo:
    """The zone of the official's units (one zone per installation in practice)."""
    name = (
        Unit.objects.filter(pk__in=access.served_unit_ids)
        .order_by("pk")
        .values_list("timezone", flat=True)
        .first()
    )
    return ZoneInfo(name) if name else default


@dataclass(frozen=True, slots=True)
class Listed:
    """One appointment as the agenda lists it: plain values, as a week of a large unit lists
    hundreds (building model instances, each with its service, unit, official and user, took as
    long as the query)."""

    public_id: uuid.UUID
    status: str
    start: datetime.datetime
    end: datetime.datetime
    name: str
    notes: str
    official_note: str
    cancel_reason: str
    service: str  # HTML: marked with lang where it falls back to Slovenian
    official: str


def appointments(access: StaffAccess, span: Span, *, whole_unit: bool) -> list[Listed]:
    """The appointments of the span in the official's units (only their own unless
    ``whole_unit``), in time order; three queries, however many there are."""
    listed = (
        Appointment.objects.filter(
            unit__in=access.served_unit_ids, start__gte=span.start, start__lt=span.end
        )
        .filter(~Q(status__in=NOT_LISTED))
        .order_by("start", "pk")
    )
    if not whole_unit:
        listed = listed.filter(official=access.official)
    rows = list(listed.values_list(*_LISTED_FIELDS, "service_id", "official_id"))
    # Names through the models (a service's name is in the reader's language, marked with
    # lang="sl" where it falls back to Slovenian).
    services = {
        service.pk: in_language(service, "name")
        for service in Service.objects.filter(pk__in={row[-2] for row in rows})
    }
    officials = {
        official.pk: str(official)
        for official in Official.objects.filter(pk__in={row[-1] for row in rows}).select_related(
            "user"
        )
    }
    return [
        Listed(*row[:-2], service=services[row[-2]], official=officials[row[-1]]) for row in rows
    ]


_LISTED_FIELDS = (
    "public_id",
    "status",
    "start",
    "end",
    "name",
    "notes",
    "official_note",
    "cancel_reason",
)


def by_day(
    listed: list[Listed], span: Span, render: Callable[[Listed], str]
) -> list[tuple[datetime.date, list[Listed], SafeString]]:
    """The span's days (a day without appointments too), each with its appointments and their
    table rows, rendered by ``render`` (see ``agenda_rows``) and joined: one template variable
    per day, not one per row."""
    days: dict[datetime.date, list[Listed]] = {date: [] for date in span.dates}
    for appointment in listed:
        days[appointment.start.astimezone(span.zone).date()].append(appointment)
    return [
        (date, appointments, mark_safe("\n".join(map(render, appointments))))  # noqa: S308
        for date, appointments in days.items()
    ]


def appointment_of(access: StaffAccess | None, public_id) -> Appointment | None:
    """An appointment of one of the units the user serves; None otherwise (also for no such
    appointment), so that the answer is the same 404 whether it exists or not."""
    if access is None or access.official is None:
        return None
    return (
        Appointment.objects.select_related("unit", "service", "official__user")
        .filter(public_id=public_id, unit__in=access.served_unit_ids)
        .exclude(status__in=NOT_LISTED)
        .first()
    )
