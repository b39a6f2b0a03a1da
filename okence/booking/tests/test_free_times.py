"""The calendar's free times kept between requests: shown from the cache, and never stale.

Each test first shows a page (so its free times are kept), then makes one kind of change and
shows it again: the change must be there at once, with no entry left to expire.
"""

import datetime
import os
import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from okence.booking import free_times, states
from okence.booking import services as booking
from okence.booking.states import Status
from okence.conftest import LJUBLJANA, make_appointment, make_official
from okence.offices.models import ChangedHours, Closure, Leave, Service, WorkingHours

TUESDAY = datetime.date(2026, 12, 8)
TUESDAY_0830 = datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA)
TIME = re.compile(r'<a class="time" [^>]*>(\d\d:\d\d)</a>')


def times_on(client, service, day=TUESDAY) -> list[str]:
    """The free times the day page shows, as HH:MM."""
    url = reverse("booking:calendar", args=[service.unit.slug, service.slug])
    response = client.get(url, {"month": f"{day:%Y-%m}", "date": day.isoformat()})
    assert response.status_code == 200
    return TIME.findall(response.content.decode())


@pytest.fixture
def shown(client, clock, service, ana):
    """Tuesday's times, shown once (and so kept): 08:00 to 11:30."""
    times = times_on(client, service)
    assert times[0] == "08:00" and "08:30" in times and times[-1] == "11:30"
    return times


def test_a_second_view_is_served_from_the_cache(client, clock, service, ana):
    """Caught: the free times computed on every view (the calendar's cost under load)."""
    with CaptureQueriesContext(connection) as first:
        times_on(client, service)
    with CaptureQueriesContext(connection) as second:
        again = times_on(client, service)
    assert "08:30" in again
    assert len(second.captured_queries) <= len(first.captured_queries) - 5


def hold_0830(service) -> str:
    """Rajko holds Tuesday 08:30 as the details page does; the hold's token."""
    return booking.hold(
        service,
        TUESDAY_0830,
        booking.Contact("Rajko Lah", "rajko.lah@example.si", "041 123 456"),
        language="sl",
        client="192.0.2.1",
        now=timezone.now(),
    )[1]


def test_a_hold_takes_the_time_off_the_calendar_at_once(client, service, shown):
    hold_0830(service)
    assert "08:30" not in times_on(client, service)


def test_a_hold_given_up_frees_the_time_at_once(client, service, shown):
    token = hold_0830(service)
    assert "08:30" not in times_on(client, service)
    booking.release(token, timezone.now())  # states.move_all
    assert "08:30" in times_on(client, service)


def test_a_hold_that_lapses_frees_the_time_without_any_write(client, clock, service, shown):
    """Nothing is written when a hold lapses (the sweeper may come later): the kept entry
    knows when its first hold lapses."""
    make_appointment(
        service.officials.get(),
        start=TUESDAY_0830,
        status=Status.HELD,
        hold_expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    assert "08:30" not in times_on(client, service)
    clock.shift(datetime.timedelta(minutes=9))
    assert "08:30" not in times_on(client, service)
    clock.shift(datetime.timedelta(minutes=1))
    assert "08:30" in times_on(client, service)


def test_a_cancellation_frees_the_time_at_once(client, service, shown):
    appointment, _ = make_appointment(service.officials.get(), start=TUESDAY_0830)
    assert "08:30" not in times_on(client, service)
    assert states.move(
        appointment, to=Status.CANCELLED, from_=[Status.CONFIRMED], now=timezone.now()
    )
    assert "08:30" in times_on(client, service)


def test_times_that_come_too_close_drop_out_as_the_clock_moves(client, clock, service, ana):
    """The minimum notice (2 hours) is applied to the kept entry on every view."""
    monday = TUESDAY - datetime.timedelta(days=1)
    assert times_on(client, service, monday)[0] == "09:00"  # it is 07:00
    clock.shift(datetime.timedelta(minutes=31))
    assert times_on(client, service, monday)[0] == "10:00"


def test_an_official_of_two_units_busy_in_one_is_busy_in_the_other(
    client, clock, service, ana, ljutomer
):
    other = Service.objects.create(unit=ljutomer, name="Potrdila", slug="potrdila")
    ana.units.add(ljutomer)
    ana.services.add(other)
    assert "08:30" in times_on(client, other)
    make_appointment(ana, start=TUESDAY_0830, service=service)  # in Domžale
    assert "08:30" not in times_on(client, other)


def test_a_reassigned_appointment_frees_the_first_officials_time(clock, service, ana, marko):
    appointment, _ = make_appointment(ana, start=TUESDAY_0830)
    now = timezone.now()

    def officials_at_0830():
        slots = free_times.month_free_times(service, TUESDAY, TUESDAY, now)[0][TUESDAY]
        return next(s.official_ids for s in slots if s.start == TUESDAY_0830)

    assert officials_at_0830() == (marko.pk,)
    booking.reassign(appointment, marko, now)
    assert officials_at_0830() == (ana.pk,)


def test_a_moved_appointment_frees_its_old_time_and_takes_the_new_one_at_once(
    client, service, ana, shown
):
    """Caught: the move is one UPDATE, which sends no post_save."""
    appointment, _ = make_appointment(ana, start=TUESDAY_0830)
    assert "08:30" not in times_on(client, service) and "10:00" in times_on(client, service)
    booking.reschedule(appointment, TUESDAY_0830.replace(hour=10, minute=0), timezone.now())
    after = times_on(client, service)
    assert "08:30" in after and "10:00" not in after


def change_hours(service, ana):
    WorkingHours.objects.filter(official=ana, weekday=1).update(start=datetime.time(10))
    # An administrator's form saves each block (a queryset update sends no signal).
    WorkingHours.objects.get(official=ana, weekday=1).save()


def remove_hours(service, ana):
    WorkingHours.objects.get(official=ana, weekday=1).delete()


def add_leave(service, ana):
    Leave.objects.create(official=ana, first_day=TUESDAY, last_day=TUESDAY)


def change_the_day(service, ana):
    ChangedHours.objects.create(
        official=ana, day=TUESDAY, start=datetime.time(10), end=datetime.time(12)
    )


def close_the_unit(service, ana):
    Closure.objects.create(unit=service.unit, first_day=TUESDAY, last_day=TUESDAY)


def lengthen_the_service(service, ana):
    service.duration_minutes = 60
    service.save()


def withdraw_the_service_from_the_official(service, ana):
    ana.services.remove(service)


def withdraw_the_official_from_the_service(service, ana):
    service.officials.set([])  # the reverse side, as the service's form does


def move_the_official_to_another_unit(service, ana):
    ana.units.clear()


@pytest.mark.parametrize(
    "change",
    [
        change_hours,
        remove_hours,
        add_leave,
        change_the_day,
        close_the_unit,
        lengthen_the_service,
        withdraw_the_service_from_the_official,
        withdraw_the_official_from_the_service,
        move_the_official_to_another_unit,
    ],
)
def test_an_administrators_change_shows_at_once(client, service, ana, shown, change):
    change(service, ana)
    assert times_on(client, service) != shown


def test_a_new_official_adds_times_at_once(client, clock, service, ana, shown):
    marko = make_official(service.unit, None, "marko", "Marko", hours=((1, 1, "12:00", "14:00"),))
    assert times_on(client, service) == shown  # not offering the service yet
    marko.services.add(service)
    assert times_on(client, service) == shown + ["12:00", "12:30", "13:00", "13:30"]


def test_lost_versions_mean_fresh_entries(client, service, shown):
    """A cache that dropped the versions (culled, evicted) still never serves a stale entry."""
    from django.core.cache import cache

    make_appointment(service.officials.get(), start=TUESDAY_0830)
    cache.delete_many([free_times.ALL_KEY, f"free-times:version:unit:{service.unit_id}"])
    assert "08:30" not in times_on(client, service)


@pytest.mark.redis  # run in .ci/run's Redis leg
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs REDIS_URL (a Redis database of its own: it is flushed), the production cache",
)
def test_the_free_times_are_kept_in_redis_and_forgotten_there(client, service, ana, clock):
    redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    with override_settings(CACHES=redis):
        from django.core.cache import cache

        cache.clear()
        try:
            assert "08:30" in times_on(client, service)
            kept = _redis_keys()
            assert any(key.startswith(b":1:free-times:") for key in kept)
            assert any(key.startswith(b":1:calendar-page:") for key in kept)
            make_appointment(ana, start=TUESDAY_0830)
            assert "08:30" not in times_on(client, service)
            assert sorted(_redis_keys()) == sorted(kept)  # replaced, not added beside
        finally:
            cache.clear()


def _redis_keys() -> list[bytes]:
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        return [key for key in client.keys("*") if b"free-times" in key or b"calendar-page" in key]
    finally:
        client.close()
