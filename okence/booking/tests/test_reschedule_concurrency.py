"""Citizens move their appointments to the same new time at the same moment: exactly as many
win as officials are free then, and every loser keeps the time they had.

Real threads, each with its own connection, against PostgreSQL (``transaction=True``); the
race helper is the booking race's (test_concurrency.py).
"""

import datetime
from collections import Counter

import pytest
from django.utils import timezone

from okence.booking import exceptions, services
from okence.booking.models import Appointment
from okence.booking.states import ACTIVE
from okence.booking.tests.test_concurrency import race, requires_postgres
from okence.conftest import LJUBLJANA, MONDAY_MORNING, make_appointment, make_official

# The clock stands on Monday 7 December 2026, 07:00; everyone wants Wednesday 10:00.
NEW_START = datetime.datetime(2026, 12, 9, 10, 0, tzinfo=LJUBLJANA)
TUESDAY_0800 = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=LJUBLJANA)


def race_to_move(citizens: list[Appointment]) -> list[object]:
    now = timezone.now()
    assert now == MONDAY_MORNING

    def attempt(i: int) -> str:
        appointment = Appointment.objects.select_related("service", "unit").get(pk=citizens[i].pk)
        services.reschedule(appointment, NEW_START.astimezone(datetime.UTC), now)
        return "moved"

    outcomes, _ = race(len(citizens), attempt)
    return outcomes


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("citizens", "free"), [(2, 1), (6, 2)])
def test_as_many_citizens_move_to_one_time_as_officials_are_free(
    clock, unit, service, ana, marko, citizens, free
):
    petra = make_official(unit, service, "petra", "Petra")
    officials = [ana, marko, petra]
    for busy in officials[free:]:  # the others have someone at that time already
        make_appointment(busy, start=NEW_START, email=f"{busy.user.username}@example.si")
    moving = [
        make_appointment(
            officials[i % len(officials)],
            start=TUESDAY_0800 + datetime.timedelta(minutes=30 * i),
            email=f"obcan{i}@example.si",
            created_at=timezone.now(),
        )[0]
        for i in range(citizens)
    ]
    rows_before = Appointment.objects.count()

    outcomes = race_to_move(moving)

    kinds = Counter(
        outcome if isinstance(outcome, str) else type(outcome).__name__ for outcome in outcomes
    )
    assert kinds == {"moved": free, "SlotTaken": citizens - free}, outcomes
    at_new_time = Appointment.objects.filter(start=NEW_START, status__in=ACTIVE)
    assert at_new_time.count() == len(officials)  # the free ones are taken now, once each
    assert len(set(at_new_time.values_list("official", flat=True))) == len(officials)
    for appointment, outcome in zip(moving, outcomes, strict=True):
        before_start = appointment.start
        appointment.refresh_from_db()
        if outcome == "moved":
            assert appointment.start == NEW_START and appointment.invite_sequence == 1
        else:
            assert isinstance(outcome, exceptions.SlotTaken)
            assert appointment.start == before_start and appointment.invite_sequence == 0
            assert appointment.status == "confirmed"
    assert Appointment.objects.count() == rows_before  # nobody got a second appointment
