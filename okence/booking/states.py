"""The life of an appointment: its states, their groups, the allowed moves, and its local days.

This module is the one writer of ``Appointment.status``. Other apps read the groups below and
change a state only through ``move`` (one appointment) or ``move_all`` (a sweep), never with an
UPDATE of their own; they follow changes through the ``status_moved`` signal (see signals.py).

    held ──code──▶ confirmed ──knock──▶ waiting ──admit──▶ in_meeting ──end──▶ completed
      │               │  ▲                 │
      ▼               │  └───turn away─────┤
    expired           ├──▶ cancelled        └──end──▶ no_show ◀──end── confirmed

Each move is a conditional UPDATE on the states it starts from, so of two racing writers
(two officials, an official and the sweeper) exactly one wins and the other learns it lost.
"""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _

from okence.booking import free_times
from okence.booking.availability import local_datetime
from okence.booking.signals import status_moved


class Status(TextChoices):
    HELD = "held", _("held, awaiting the code")
    CONFIRMED = "confirmed", _("booked")
    WAITING = "waiting", _("in the waiting room")
    IN_MEETING = "in_meeting", _("in the meeting")
    COMPLETED = "completed", _("completed")
    NO_SHOW = "no_show", _("did not attend")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("not confirmed in time")


# States that occupy the official's time. The database refuses two of them overlapping.
ACTIVE = (Status.HELD, Status.CONFIRMED, Status.WAITING, Status.IN_MEETING)
# States the citizen may still cancel from (before the start).
CANCELLABLE = (Status.CONFIRMED,)
# States in which the meeting link still leads somewhere.
LIVE = (Status.CONFIRMED, Status.WAITING, Status.IN_MEETING)
# The citizen is at the counter: in the waiting room or in the meeting.
IN_PROGRESS = (Status.WAITING, Status.IN_MEETING)
# A meeting that was held or missed: the official ended it.
ENDED = (Status.COMPLETED, Status.NO_SHOW)
# Never booked: a hold that was not confirmed. Consoles and counts of bookings leave them out.
UNBOOKED = (Status.HELD, Status.EXPIRED)
# Every state a confirmed booking can be in, whatever became of it.
BOOKED = tuple(state for state in Status if state not in UNBOOKED)

MOVES: dict[Status, frozenset[Status]] = {
    Status.HELD: frozenset({Status.CONFIRMED, Status.EXPIRED}),
    Status.CONFIRMED: frozenset({Status.WAITING, Status.CANCELLED, Status.NO_SHOW}),
    Status.WAITING: frozenset({Status.IN_MEETING, Status.CONFIRMED, Status.NO_SHOW}),
    Status.IN_MEETING: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.NO_SHOW: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.EXPIRED: frozenset(),
}


def _check_allowed(to: Status, from_: Iterable[Status]) -> list[Status]:
    sources = list(from_)
    for source in sources:
        if to not in MOVES[source]:
            raise ValueError(f"an appointment does not move from {source} to {to}")
    return sources


def move(
    appointment,
    *,
    to: Status,
    from_: Iterable[Status],
    now: datetime.datetime,
    where: Q | None = None,
    **changes,
) -> bool:
    """Move one appointment to ``to`` if it is in one of ``from_`` (and matches ``where``).

    ``changes`` are other fields written in the same UPDATE. Returns False, with the
    appointment's status refreshed, when another writer got there first. On success the
    instance carries the new state and ``status_moved`` is sent once the transaction commits.
    """
    sources = _check_allowed(to, from_)
    rows = type(appointment).objects.filter(pk=appointment.pk, status__in=sources)
    if where is not None:
        rows = rows.filter(where)
    if not rows.update(status=to, **changes):
        appointment.refresh_from_db(fields=["status"])
        return False
    appointment.status = to
    appointment_id = appointment.pk
    free_times.forget_officials_time([appointment.official_id], [appointment.unit_id])
    transaction.on_commit(
        lambda: status_moved.send(type(appointment), appointment_id=appointment_id, to=to, now=now)
    )
    return True


def move_all(appointments, *, to: Status, from_: Iterable[Status], **changes) -> int:
    """Move every appointment of a queryset that is in one of ``from_``; how many moved.

    For sweeps (lapsed holds): no signal, as nobody follows appointments that were never booked.
    """
    sources = _check_allowed(to, from_)
    moving = appointments.filter(status__in=sources)
    # Read before the UPDATE: afterwards the rows no longer match. A row that starts matching
    # in between was written by someone who forgets the free times themselves.
    whose = set(moving.values_list("official_id", "unit_id").distinct())
    moved = moving.update(status=to, **changes)
    if moved:
        free_times.forget_officials_time(
            [official for official, _ in whose], [unit for _, unit in whose]
        )
    return moved


def day_bounds(unit, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """When a local day starts and the next one does, in the unit's zone (23 or 25 hours apart
    on the days the clocks change)."""
    return days_bounds(unit, day, day)


def days_bounds(
    unit, first_day: datetime.date, last_day: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """From the start of ``first_day`` to the end of ``last_day``, in the unit's zone."""
    zone = unit.zone
    return (
        local_datetime(first_day, datetime.time(0), zone),
        local_datetime(last_day + datetime.timedelta(days=1), datetime.time(0), zone),
    )


def _by_zone(units) -> list[tuple]:
    """The units grouped by their zone: (one of them, all their ids), so one range per zone."""
    found: dict = {}
    for unit in units:
        found.setdefault(unit.timezone, (unit, []))[1].append(unit.pk)
    return list(found.values())


def starting_on(units, first_day: datetime.date, last_day: datetime.date) -> Q:
    """Appointments of these units that start on these local days, each in its unit's zone."""
    condition = Q(pk__in=[])
    for unit, ids in _by_zone(units):
        start, end = days_bounds(unit, first_day, last_day)
        condition |= Q(unit__in=ids, start__gte=start, start__lt=end)
    return condition


def starting_today(units, now: datetime.datetime) -> Q:
    """Appointments of these units that start on the day it is ``now`` where each unit is."""
    condition = Q(pk__in=[])
    for unit, ids in _by_zone(units):
        start, end = day_bounds(unit, now.astimezone(unit.zone).date())
        condition |= Q(unit__in=ids, start__gte=start, start__lt=end)
    return condition
