"""Fixed-window rate limits in the cache (local memory by default, Redis at scale)."""

from django.core.cache import cache


def _bucket(key: str, window_seconds: int, now: float) -> str:
    return f"ratelimit:{key}:{int(now // window_seconds)}"


def used(key: str, *, window_seconds: int, now: float) -> int:
    """How many events were counted for key in the current window (counting none)."""
    return cache.get(_bucket(key, window_seconds, now), 0)


def hit(key: str, *, limit: int, window_seconds: int, now: float) -> bool:
    """Count one event for key; False when it is over the limit for the current window."""
    bucket = _bucket(key, window_seconds, now)
    if cache.add(bucket, 1, timeout=window_seconds):
        return True
    try:
        return cache.incr(bucket) <= limit
    except ValueError:  # the window just expired between add and incr
        cache.add(bucket, 1, timeout=window_seconds)
        return True


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
