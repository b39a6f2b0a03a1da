"""The counters behind every rate limit: fixed windows in the database."""

import datetime

import pytest
from django.core.cache import cache

from okence import ratelimits
from okence.ratelimits.models import Counter

NOW = datetime.datetime(2026, 12, 7, 6, 0, tzinfo=datetime.UTC)


def hit(key="hold:192.0.2.1", now=NOW):
    return ratelimits.hit(key, limit=3, window_seconds=3600, now=now.timestamp())


@pytest.mark.django_db
def test_a_key_is_allowed_up_to_its_limit_in_a_window():
    assert [hit() for _ in range(5)] == [True, True, True, False, False]
    assert ratelimits.used("hold:192.0.2.1", window_seconds=3600, now=NOW.timestamp()) == 3
    assert hit("hold:192.0.2.2")  # another key has its own count


@pytest.mark.django_db
def test_the_next_window_starts_afresh():
    for _ in range(3):
        hit()
    assert hit(now=NOW + datetime.timedelta(hours=1))


@pytest.mark.django_db
def test_counts_survive_a_full_or_cleared_cache():
    """Once they lived in a 300-entry local-memory cache: other data evicted them, and a restart
    forgot them."""
    for _ in range(3):
        hit()
    for n in range(1000):
        cache.set(f"other:{n}", n)
    cache.clear()

    assert not hit()


@pytest.mark.django_db
def test_given_back_events_no_longer_count():
    for _ in range(3):
        hit()
    ratelimits.give_back("hold:192.0.2.1", window_seconds=3600, now=NOW.timestamp())

    assert hit()
    assert not hit()


@pytest.mark.django_db
def test_spent_windows_are_forgotten():
    hit(now=NOW - datetime.timedelta(hours=1))
    hit()

    assert ratelimits.forget_spent(NOW) == 1
    assert list(Counter.objects.values_list("count", flat=True)) == [1]


@pytest.mark.django_db
def test_a_window_is_forgotten_when_it_ends_and_not_a_second_before():
    """Caught: a window's counter deleted while it still counts (its limit lifted early)."""
    hit()  # the window 06:00-07:00
    ends = NOW + datetime.timedelta(hours=1)

    assert ratelimits.forget_spent(ends - datetime.timedelta(seconds=1)) == 0
    assert ratelimits.used("hold:192.0.2.1", window_seconds=3600, now=NOW.timestamp()) == 1
    assert ratelimits.forget_spent(ends) == 1
