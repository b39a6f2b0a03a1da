"""Shared test fixtures: a small unit with officials, and frozen time.

Personas: Ana and Marko are officials at Domžale who offer the general-information service;
Janez works at Ljutomer. The clock stands on a Monday morning in Ljubljana unless a test moves it.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from okence.offices.models import Official, Service, Unit, WorkingHours

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


@pytest.fixture
def ana(unit, service):
    return make_official(unit, service, "ana", "Ana")


@pytest.fixture
def marko(unit, service):
    return make_official(unit, service, "marko", "Marko")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
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
