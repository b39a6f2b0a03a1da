"""Many citizens claim one free time at the same moment: exactly one gets it.

The claim is an INSERT guarded by the database's no-overlap rule (an exclusion constraint on
PostgreSQL, triggers under SQLite's single writer), so the tests race real threads, each with its
own database connection, against a real test database; hence ``transaction=True``.
"""

import datetime
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import resolve
from django.utils import timezone, translation
from django.utils.html import escape

from okence.booking import exceptions, services
from okence.booking.models import Appointment
from okence.booking.states import ACTIVE as ACTIVE_STATES
from okence.booking.tests.test_journey import DETAILS, details_url
from okence.conftest import LJUBLJANA, MONDAY_MORNING
from okence.tokens import hash_token

# Tuesday 8 December 2026, 08:30 in Ljubljana: free, and the only time anyone asks for here.
START = datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA)

requires_postgres = pytest.mark.skipif(
    connections["default"].vendor != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL=postgres://...); the default database is "
    f"{connections['default'].vendor}",
)


def race(
    n: int, attempt: Callable[[int], object]
) -> tuple[list[object], list[datetime.datetime | None]]:
    """Run ``attempt(i)`` for i in 0..n-1 in n threads released together; their outcomes.

    An outcome is what ``attempt`` returned or the exception it raised. Each thread connects to
    the database before the start line, so the race is over the claim and not over connecting,
    and closes its connection at the end. Also returns the time each thread saw at the start
    (None if it failed before).
    """
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n
    clocks: list[datetime.datetime | None] = [None] * n

    def run(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            clocks[i] = timezone.now()
            outcomes[i] = attempt(i)
        except BaseException as error:  # every outcome is reported, whatever it is
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), name=f"racer-{i}") for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racer is stuck"
    return outcomes, clocks


def contact(i: int) -> services.Contact:
    return services.Contact(
        name=f"Občan Številka{i}", email=f"obcan{i}@example.si", phone=f"041 000 {i:03d}"
    )


def race_holds(service, n: int) -> list[object]:
    """n citizens, each from their own address, hold START at once through the services."""
    now = timezone.now()  # frozen; passed explicitly, though the racers see the same clock
    assert now == MONDAY_MORNING

    def attempt(i: int) -> Appointment:
        appointment, _ = services.hold(
            service,
            START.astimezone(datetime.UTC),
            contact(i),
            language="sl",
            client=f"192.0.2.{i + 1}",
            now=now,
        )
        return appointment

    outcomes, clocks = race(n, attempt)
    seen = {clock for clock in clocks if clock is not None}
    assert seen == {MONDAY_MORNING}, "time_machine's frozen time should apply in every thread"
    return outcomes


def assert_one_winner(outcomes: list[object], official) -> None:
    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds == {"Appointment": 1, "SlotTaken": len(outcomes) - 1}, outcomes
    (winner,) = [outcome for outcome in outcomes if isinstance(outcome, Appointment)]
    active = Appointment.objects.filter(official=official, start=START, status__in=ACTIVE_STATES)
    assert list(active.values_list("pk", flat=True)) == [winner.pk]
    assert Appointment.objects.count() == 1


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_holds_of_one_time_give_it_to_exactly_one(clock, service, ana):
    assert_one_winner(race_holds(service, 50), ana)


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_bookings_tell_the_others_and_keep_what_they_typed(clock, service, ana):
    start = START.astimezone(datetime.UTC).isoformat()

    def typed(i: int) -> dict[str, str]:
        person = contact(i)
        return DETAILS | {
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "notes": f"Opomba občana {i}.",
            "start": start,
        }

    def attempt(i: int):
        browser = Client(REMOTE_ADDR=f"192.0.2.{i + 1}")
        return browser.post(details_url(service), typed(i))

    responses, _ = race(50, attempt)
    assert Counter(getattr(r, "status_code", type(r).__name__) for r in responses) == {
        303: 1,
        409: 49,
    }, responses
    with translation.override("sl"):
        taken = escape(str(exceptions.SlotTaken.message))
    for i, response in enumerate(responses):
        if response.status_code == 303:
            with translation.override("sl"):  # the language the racers were answered in
                token = resolve(response["Location"]).kwargs["token"]
            winner = Appointment.objects.get(hold_token_hash=hash_token(token))
            assert winner.email == typed(i)["email"]
            continue
        page = response.content.decode()
        assert f'<p class="error" role="alert" id="booking-error">{taken}</p>' in page
        assert f'value="{escape(typed(i)["name"])}"' in page
        assert f'value="{typed(i)["email"]}"' in page
        assert f'value="{typed(i)["phone"]}"' in page
        assert f"Opomba občana {i}." in page
    active = Appointment.objects.filter(official=ana, start=START, status__in=ACTIVE_STATES)
    assert list(active) == [winner]
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_holds_of_one_time_give_it_to_exactly_one(clock, service, ana):
    """On either database; SQLite queues the writers (BEGIN IMMEDIATE, 20 s busy timeout)."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "the SQLite test database is in memory (shared cache), where a second writer fails "
            "at once with 'database table is locked' instead of waiting; set "
            'DATABASES["default"]["TEST"]["NAME"] to a file to run this test on SQLite'
        )
    assert_one_winner(race_holds(service, 10), ana)


@pytest.mark.django_db(transaction=True)
def test_twenty_code_guesses_sent_at_once_compare_no_more_than_five(
    clock, service, ana, monkeypatch
):
    """Each comparison waits until every guess has either reached one or been refused, so a
    limit read before the comparison and counted after it lets them all through."""
    from okence.booking.tests.test_services import hold, sent_code

    appointment, _ = hold(service)
    wrong = f"{(int(sent_code()) + 1) % 1000000:06d}"
    n, state, compared, refused = 20, threading.Condition(), [], []
    codes_match = services.codes_match

    def waiting_match(*args):
        with state:
            compared.append(1)
            state.notify_all()
            state.wait_for(lambda: len(compared) + len(refused) >= n, timeout=30)
        return codes_match(*args)

    def attempt(i: int):
        try:
            return services.confirm(appointment, wrong, timezone.now())
        except exceptions.CodeLocked as locked:
            with state:
                refused.append(1)
                state.notify_all()
            return locked

    monkeypatch.setattr(services, "codes_match", waiting_match)
    outcomes, _ = race(n, attempt)

    assert len(compared) == settings.BOOKING_CODE_MAX_WRONG_TRIES
    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds["CodeLocked"] >= n - settings.BOOKING_CODE_MAX_WRONG_TRIES, outcomes
    appointment.refresh_from_db()
    assert appointment.code_failures == settings.BOOKING_CODE_MAX_WRONG_TRIES
