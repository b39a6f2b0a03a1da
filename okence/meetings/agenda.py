"""The official's agenda: the appointments of a chosen day or week, beyond today's console.

Days are the unit's local days (a DST day is 23 or 25 hours long), so the bounds are computed
in the unit's zone and only then compared with the stored UTC times.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from okence.booking.models import Appointment, Status
from okence.offices.access import StaffAccess

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
# The pages of one appointment that a row links to.
ROW_LINKS = {
    "room_url": "meetings:official_room",
    "folder_url": "exchange:official_folder",
    "cancel_url": "meetings:cancel",
    "no_show_url": "meetings:no_show",
    "note_url": "meetings:note",
}
_SAMPLE_ID = "00000000-0000-0000-0000-000000000000"


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
    from okence.offices.models import Unit

    name = (
        Unit.objects.filter(pk__in=access.served_unit_ids)
        .order_by("pk")
        .values_list("timezone", flat=True)
        .first()
    )
    return ZoneInfo(name) if name else default


def appointments(access: StaffAccess, span: Span, *, whole_unit: bool) -> QuerySet[Appointment]:
    """The appointments of the span in the official's units (only their own unless
    ``whole_unit``), in time order, in a single query."""
    listed = (
        Appointment.objects.filter(
            unit__in=access.served_unit_ids, start__gte=span.start, start__lt=span.end
        )
        .filter(~Q(status__in=NOT_LISTED))
        .select_related("service", "unit", "official__user")
        .order_by("start", "pk")
    )
    if not whole_unit:
        listed = listed.filter(official=access.official)
    return listed


def by_day(listed, span: Span) -> list[tuple[datetime.date, list[Appointment]]]:
    """The span's days, each with its appointments (a day without any too); each appointment
    carries its state's label and its links (resolved once per page, not once per row: a week
    of a large unit has hundreds of rows)."""
    days: dict[datetime.date, list[Appointment]] = {date: [] for date in span.dates}
    links = {
        attribute: reverse(name, args=[_SAMPLE_ID]).split(_SAMPLE_ID)
        for attribute, name in ROW_LINKS.items()
    }
    state_labels = {state: str(label) for state, label in STATE_LABELS.items()}
    for appointment in listed:
        appointment.state_label = state_labels.get(
            appointment.status, appointment.get_status_display()
        )
        for attribute, (before, after) in links.items():
            setattr(appointment, attribute, f"{before}{appointment.public_id}{after}")
        days[appointment.start.astimezone(span.zone).date()].append(appointment)
    return list(days.items())


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
