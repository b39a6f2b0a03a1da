"""The appointment's life in one place: allowed moves, conditional writes, signals, local days."""

import datetime
import pathlib
import re
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q
from django.utils import timezone

from okence.booking import states
from okence.booking.signals import status_moved
from okence.booking.states import Status
from okence.conftest import make_appointment, make_official
from okence.meetings import services as meetings
from okence.offices.models import Unit


def test_a_move_from_the_expected_state_writes_it_and_tells_after_commit(
    ana, clock, django_capture_on_commit_callbacks
):
    appointment, _ = make_appointment(ana)
    heard = []

    def receiver(sender, signal, **kwargs):
        heard.append(kwargs)

    status_moved.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            moved = states.move(
                appointment, to=Status.WAITING, from_=[Status.CONFIRMED], now=timezone.now()
            )
            assert heard == []  # nothing is said before the change is committed
    finally:
        status_moved.disconnect(receiver)

    assert moved and appointment.status == Status.WAITING
    appointment.refresh_from_db()
    assert appointment.status == Status.WAITING
    assert callbacks  # the signal, and the calendar's free times forgotten again (free_times)
    assert heard == [
        {"appointment_id": appointment.pk, "to": Status.WAITING, "now": timezone.now()}
    ]


def test_a_move_that_lost_the_race_writes_nothing_and_shows_the_winner(ana, clock):
    stale, _ = make_appointment(ana)
    other = type(stale).objects.get(pk=stale.pk)
    assert states.move(other, to=Status.CANCELLED, from_=[Status.CONFIRMED], now=timezone.now())

    assert not states.move(stale, to=Status.WAITING, from_=[Status.CONFIRMED], now=timezone.now())
    assert stale.status == Status.CANCELLED


def test_a_condition_on_other_fields_is_part_of_the_same_update(ana, clock):
    appointment, _ = make_appointment(ana)

    assert not states.move(
        appointment,
        to=Status.CANCELLED,
        from_=[Status.CONFIRMED],
        now=timezone.now(),
        where=Q(start__lt=timezone.now()),
    )
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (Status.CANCELLED, Status.CONFIRMED),
        (Status.COMPLETED, Status.IN_MEETING),
        (Status.CONFIRMED, Status.IN_MEETING),  # nobody skips the waiting room
        (Status.EXPIRED, Status.CONFIRMED),
    ],
)
def test_a_move_the_life_does_not_allow_is_refused_before_any_write(ana, clock, source, target):
    appointment, _ = make_appointment(ana, status=source)
    with pytest.raises(ValueError, match="does not move"):
        states.move(appointment, to=target, from_=[source], now=timezone.now())
    appointment.refresh_from_db()
    assert appointment.status == source


def test_every_state_is_in_the_moves_and_every_group_is_made_of_states():
    assert set(states.MOVES) == set(Status)
    assert set(states.BOOKED) | set(states.UNBOOKED) == set(Status)
    assert not set(states.BOOKED) & set(states.UNBOOKED)


def test_a_local_day_has_23_hours_when_the_clocks_go_forward(unit):
    start, end = states.day_bounds(unit, datetime.date(2027, 3, 28))
    assert start == datetime.datetime(2027, 3, 28, tzinfo=ZoneInfo("Europe/Ljubljana"))
    assert end - start == datetime.timedelta(hours=23)


def test_the_console_day_is_the_units_own_day_not_the_servers(db, clock, service):
    """A unit in another zone (the Azores are an hour behind UTC) lists its own day."""
    azores = Unit.objects.create(
        name="Delegação Açores",
        slug="acores",
        email="acores@example.pt",
        timezone="Atlantic/Azores",
    )
    service.unit = azores
    service.save()
    official = make_official(azores, service, "rui", "Rui")
    # 06:00 UTC on Monday is 05:00 in the Azores; 23:30 UTC on Monday is still Monday there,
    # but already Tuesday in Ljubljana, the server's zone.
    late, _ = make_appointment(
        official, start=datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC)
    )
    listed = list(meetings.todays_appointments(official, timezone.now()))
    assert listed == [late]


def test_no_app_but_booking_writes_an_appointments_status():
    """The command the issue asks for, as a test: status writes outside booking are UPDATEs
    or assignments of a Status outside booking's own modules (demo data and tests create rows)."""
    root = pathlib.Path(__file__).resolve().parents[2]
    write = re.compile(r"(\.update\([^)]*\bstatus=Status\.|\.status\s*=\s*Status\.)")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "booking" not in path.parts
        and "tests" not in path.parts
        and write.search(path.read_text())
    ]
    assert offenders == []


def test_the_statistics_count_each_appointment_on_its_units_own_day(db, clock, service):
    """23:30 UTC on Monday is 22:30 on Monday in the Azores, already Tuesday in Ljubljana."""
    from okence.reports import statistics

    azores = Unit.objects.create(
        name="Delegação Açores",
        slug="acores",
        email="acores@example.pt",
        timezone="Atlantic/Azores",
    )
    service.unit = azores
    service.save()
    official = make_official(azores, service, "rui", "Rui")
    make_appointment(official, start=datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC))
    monday = datetime.date(2026, 12, 7)

    report = statistics.report(statistics.Filters(monday, monday, frozenset([azores.pk])))

    assert report.booked == 1
    assert report.by_day == [(monday, 1)]
    assert report.by_hour == {22: 1}  # 22:30 local
