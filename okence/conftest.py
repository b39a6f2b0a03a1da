"""Shared test fixtures: a small unit with officials, appointments made directly, frozen time.

Personas: Ana and Marko are officials at Domžale who offer the general-information service;
Janez works at Ljutomer. The clock stands on a Monday morning in Ljubljana unless a test moves it.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from okence.booking.models import Appointment, Status
from okence.offices.models import Official, Service, Unit, WorkingHours
from okence.tokens import hash_token, new_token

LJUBLJANA = ZoneInfo("Europe/Ljubljana")
# Monday 7 December 2026, 07:00 in Ljubljana (06:00 UTC): no holiday near, winter time.
MONDAY_MORNING = datetime.datetime(2026, 12, 7, 7, 0, tzinfo=LJUBLJANA)


@pytest.fixture
def clock():
    """The frozen clock; ``clock.move_to(...)`` moves it, ``clock.shift(...)`` advances it."""
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def unit(db):
    return Unit.objects.create(
        name="Upravna enota Domžale", slug="domzale", email="ue.domzale@example.si"
    )


@pytest.fixture
def service(unit):
    return Service.objects.create(
        unit=unit,
        name="Pridobivanje splošnih informacij",
        slug="splosne-informacije",
        duration_minutes=30,
        description="Splošne informacije o postopkih.",
        preparation="Osebni dokument.",
    )


def make_official(unit, service, username, first_name, hours=((0, 4, "08:00", "12:00"),)):
    user = get_user_model().objects.create_user(
        username,
        f"{username}@example.si",
        "x",
        first_name=first_name,
        last_name="Test",
        is_staff=True,
    )
    official = Official.objects.create(user=user)
    official.units.add(unit)
    if service:
        official.services.add(service)
    for first_weekday, last_weekday, start, end in hours:
        for weekday in range(first_weekday, last_weekday + 1):
            WorkingHours.objects.create(
                official=official,
                weekday=weekday,
                start=datetime.time.fromisoformat(start),
                end=datetime.time.fromisoformat(end),
            )
    return official


def make_appointment(
    official,
    *,
    start: datetime.datetime | None = None,
    status: str = Status.CONFIRMED,
    service: Service | None = None,
    minutes: int = 30,
    name: str = "Rajko Lah",
    email: str = "rajko.lah@example.si",
    phone: str = "041 123 456",
    token: str | None = None,
    created_at: datetime.datetime | None = None,
    **fields,
) -> tuple[Appointment, str]:
    """An appointment of ``official``, made directly (not booked), and its meeting token.

    By default it is Rajko's, confirmed, 30 minutes of the official's first service, starting
    five minutes from now (so its room is open) and booked two days before; a held or expired
    one was never confirmed. ``fields`` are further columns (``notes``, ``language`` ...).
    """
    now = timezone.now()
    service = service or official.services.first()
    start = start or now + datetime.timedelta(minutes=5)
    token = token or new_token()
    created_at = created_at or now - datetime.timedelta(days=2)
    confirmed = status not in (Status.HELD, Status.EXPIRED)
    appointment = Appointment.objects.create(
        unit=service.unit,
        service=service,
        official=official,
        status=status,
        start=start,
        end=start + datetime.timedelta(minutes=minutes),
        name=name,
        email=email,
        phone=phone,
        hold_token_hash=hash_token(new_token()),
        meeting_token_hash=hash_token(token),
        created_at=created_at,
        confirmed_at=created_at if confirmed else None,
        **fields,
    )
    return appointment, token


def session_key(user) -> str:
    """A new signed-in session of ``user``, stored in the test database: its key."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def session_cookie(user) -> str:
    """The Cookie header of a new signed-in session of ``user``."""
    return f"sessionid={session_key(user)}"


@pytest.fixture
def ana(unit, service):
    return make_official(unit, service, "ana", "Ana")


@pytest.fixture
def marko(unit, service):
    return make_official(unit, service, "marko", "Marko")


@pytest.fixture
def ljutomer(db):
    return Unit.objects.create(name="Upravna enota Ljutomer", slug="ljutomer")


@pytest.fixture
def janez(ljutomer):
    """An official of another unit than Ana's."""
    service = Service.objects.create(
        unit=ljutomer, name="Osebni dokumenti", slug="osebni-dokumenti", duration_minutes=30
    )
    return make_official(ljutomer, service, "janez", "Janez")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate limits and the chat are in the database)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English leaves English active in the thread; each test starts in Slovenian."""
    from django.utils import translation

    translation.activate("sl")
    yield
    translation.activate("sl")
