"""Fixed-window rate limits, counted in the database.

The counters live in one small table, in SQLite by default and PostgreSQL at scale, so that a
restart does not forget them and no other data can push them out (a cache evicts its oldest keys
when it fills up). A guess is counted before it is checked: ``hit`` takes one unit of the window
with a conditional UPDATE, so requests sent at once cannot all pass one check made before any of
them is counted. Spent windows are deleted by a periodic job (``tasks.forget_spent_windows``).
"""

import datetime

from django.db.models import F

# The model is imported in the functions: this package is also the app Django loads it from.


def _window(key: str, window_seconds: int, now: float) -> tuple[str, datetime.datetime]:
    index = int(now // window_seconds)
    ends = datetime.datetime.fromtimestamp((index + 1) * window_seconds, datetime.UTC)
    return f"{key}:{window_seconds}:{index}", ends


def used(key: str, *, window_seconds: int, now: float) -> int:
    """How many events were counted for key in the current window (counting none)."""
    from okence.ratelimits.models import Counter

    bucket, _ = _window(key, window_seconds, now)
    return Counter.objects.filter(bucket=bucket).values_list("count", flat=True).first() or 0


def hit(key: str, *, limit: int, window_seconds: int, now: float) -> bool:
    """Count one event for key; False (and nothing counted) when the window's limit is reached."""
    from okence.ratelimits.models import Counter

    bucket, ends = _window(key, window_seconds, now)
    Counter.objects.get_or_create(bucket=bucket, defaults={"count": 0, "expires_at": ends})
    return bool(Counter.objects.filter(bucket=bucket, count__lt=limit).update(count=F("count") + 1))


def give_back(key: str, *, window_seconds: int, now: float) -> None:
    """Uncount one event counted by ``hit`` with the same ``now`` (it turned out not to count,
    such as a guess that was right)."""
    from okence.ratelimits.models import Counter

    bucket, _ = _window(key, window_seconds, now)
    Counter.objects.filter(bucket=bucket, count__gt=0).update(count=F("count") - 1)


def forget_spent(now: datetime.datetime) -> int:
    """Delete the counters of windows that have ended; how many."""
    from okence.ratelimits.models import Counter

    return Counter.objects.filter(expires_at__lte=now).delete()[0]


class TokenBucket:
    """A per-connection limit held in memory: ``rate`` events a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int, now: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.updated = float(burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
