"""Booked appointments that a change to a unit's hours, leave or services no longer fits.

The administrators' pages apply a change inside a transaction, ask ``affected`` what it would
strand, and either roll it back to show the list or resolve each appointment (move it to another
free official at the same time, or cancel it with a message) in the same transaction.
"""

import datetime
from dataclasses import dataclass

from okence.booking import availability, states
from okence.booking.models import Appointment
from okence.booking.services import occupying
from okence.booking.states import Status
from okence.offices import services as offices
from okence.offices.models import Official, Unit


@dataclass(frozen=True)
class Conflict:
    appointment: Appointment
    free_officials: list[Official]  # who could take it at the same time


def _schedule(official: Official, day: datetime.date) -> availability.Schedule:
    return availability.Schedule(
        official.pk,
        offices.weekly_hours(official),
        away=offices.days_away([official], day, day)[official.pk],
        changed=offices.changed_hours([official], day, day)[official.pk],
    )


def works_through(official: Official, appointment: Appointment) -> bool:
    """The official offers the service and works for the appointment's whole length."""
    service, unit = appointment.service, appointment.unit
    if not service.active or not official.services.filter(pk=service.pk, unit=unit).exists():
        return False
    if not official.units.filter(pk=unit.pk).exists():
        return False
    day = appointment.start.astimezone(unit.zone).date()
    if offices.closed_days(unit, day, day):
        return False
    return any(
        availability.local_datetime(day, start, unit.zone) <= appointment.start
        and appointment.end <= availability.local_datetime(day, end, unit.zone)
        for start, end in _schedule(official, day).hours_on(day)
    )


def _is_free(official: Official, appointment: Appointment, now: datetime.datetime) -> bool:
    return not (
        occupying(now)
        .filter(official=official, start__lt=appointment.end, end__gt=appointment.start)
        .exists()
    )


def stranded_holds(unit: Unit, now: datetime.datetime) -> list[Appointment]:
    """Unconfirmed holds of the unit's future times that their official no longer works through:
    the citizen is told the time is gone when they enter the code, instead of booking it."""
    return [
        appointment
        for appointment in occupying(now)
        .filter(unit=unit, status=Status.HELD, start__gt=now)
        .select_related("official", "service", "unit")
        if not works_through(appointment.official, appointment)
    ]


def affected(unit: Unit, now: datetime.datetime) -> list[Conflict]:
    """The unit's booked, future appointments whose official no longer works through them."""
    conflicts = []
    appointments = Appointment.objects.filter(
        unit=unit, status__in=states.CANCELLABLE, start__gt=now
    ).select_related("official__user", "service", "unit")
    for appointment in appointments:
        if works_through(appointment.official, appointment):
            continue
        others = unit.officials.exclude(pk=appointment.official_id).select_related("user")
        conflicts.append(
            Conflict(
                appointment,
                [
                    official
                    for official in others.prefetch_related("hours")
                    if works_through(official, appointment) and _is_free(official, appointment, now)
                ],
            )
        )
    return conflicts
