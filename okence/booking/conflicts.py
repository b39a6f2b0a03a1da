"""Booked appointments that a change to a unit's hours, leave, services or staff strands.

The administrators' pages apply a change inside a transaction, ask ``affected`` what it would
strand (or ``of_official`` what a deactivated official leaves behind), and either roll it back
to show the list or resolve each appointment (``chosen`` then ``carry_out``: move it to another
free official at the same time, or cancel it with a message) in the same transaction.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from okence import audit
from okence.audit.models import Action
from okence.booking import availability, states
from okence.booking import services as booking
from okence.booking.models import Appointment
from okence.booking.services import occupying
from okence.booking.states import Status
from okence.offices import services as offices
from okence.offices.models import Official, Unit

MESSAGE_MAX = 1000  # the citizen's message when cancelled (Appointment.cancel_reason)


@dataclass(frozen=True)
class Conflict:
    appointment: Appointment
    free_officials: list[Official]  # who could take it at the same time


@dataclass(frozen=True)
class Choice:
    """What the administrator chose for one conflict: a colleague, or (None) to cancel."""

    conflict: Conflict
    official: Official | None
    message: str


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


def _free_colleagues(appointment: Appointment, now: datetime.datetime) -> list[Official]:
    others = (
        appointment.unit.officials.exclude(pk=appointment.official_id)
        .filter(user__is_active=True)
        .select_related("user")
        .prefetch_related("hours")
    )
    return [
        official
        for official in others
        if works_through(official, appointment) and _is_free(official, appointment, now)
    ]


def _booked_to_come(now: datetime.datetime):
    return Appointment.objects.filter(status__in=states.CANCELLABLE, start__gt=now).select_related(
        "official__user", "service", "unit"
    )


def affected(unit: Unit, now: datetime.datetime) -> list[Conflict]:
    """The unit's booked, future appointments whose official no longer works through them."""
    return [
        Conflict(appointment, _free_colleagues(appointment, now))
        for appointment in _booked_to_come(now).filter(unit=unit)
        if not works_through(appointment.official, appointment)
    ]


def of_official(official: Official, now: datetime.datetime) -> list[Conflict]:
    """The official's booked appointments to come, in time order, each with the colleagues free
    to take it: what their deactivation would strand."""
    return [
        Conflict(appointment, _free_colleagues(appointment, now))
        for appointment in _booked_to_come(now).filter(official=official).order_by("start")
    ]


def options(conflict: Conflict) -> dict[str, Official]:
    """The form's values for moving the appointment, each with its official."""
    return {f"move-{official.pk}": official for official in conflict.free_officials}


def chosen(conflicts: list[Conflict], data: Mapping[str, str]) -> list[Choice] | None:
    """The administrator's choice for each conflict from a form's ``choice-<id>`` (``cancel`` or
    ``move-<official>``) and ``message-<id>``; None unless every one is decided."""
    choices = []
    for conflict in conflicts:
        pk = conflict.appointment.pk
        choice, free = data.get(f"choice-{pk}", ""), options(conflict)
        if choice != "cancel" and choice not in free:
            return None
        message = data.get(f"message-{pk}", "").strip()[:MESSAGE_MAX]
        choices.append(Choice(conflict, free.get(choice), message))
    return choices


def form_rows(conflicts: list[Conflict], data: Mapping[str, str]) -> list[tuple]:
    """For the form (booking/_conflict_choices.html): each conflict with its move options, and
    what was chosen and typed, kept when the page comes back."""
    return [
        (
            conflict,
            list(options(conflict).items()),
            data.get(f"choice-{conflict.appointment.pk}", ""),
            data.get(f"message-{conflict.appointment.pk}", ""),
        )
        for conflict in conflicts
    ]


def carry_out(choices: list[Choice], actor, now: datetime.datetime) -> None:
    """Move or cancel each appointment as chosen, telling the citizens (an updated invite of the
    next SEQUENCE, or a CANCEL with the message), and record it in the audit log. Raises
    IntegrityError when a chosen official's time was taken meanwhile."""
    for choice in choices:
        appointment = choice.conflict.appointment
        if choice.official is None:
            booking.cancel_by_office(appointment, choice.message, now)
            audit.record(actor, Action.CANCELLED, now=now, appointment=appointment)
        else:
            booking.reassign(appointment, choice.official, now)
            audit.record(actor, Action.MOVED, now=now, appointment=appointment)
