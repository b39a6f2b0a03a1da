"""Fixed-window rate limits in the cache (local memory by default, Redis at scale)."""

from django.core.cache import cache


def hit(key: str, *, limit: int, window_seconds: int, now: float) -> bool:
    """Count one event for key; False when it is over the limit for the current window."""
    bucket = f"ratelimit:{key}:{int(now // window_seconds)}"
    if cache.add(bucket, 1, timeout=window_seconds):
        return True
    try:
        return cache.incr(bucket) <= limit
    except ValueError:  # the window just expired between add and incr
        cache.add(bucket, 1, timeout=window_seconds)
        return True
