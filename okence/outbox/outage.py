"""The mail server's outage, recorded once for every worker: one back-off for the whole server.

When a delivery finds the server unreachable or silent, the next message would find the same;
trying each one would hold a delivery worker for the connect timeout per message. So the first
failure records "down until T" in the cache (shared by every process when ``REDIS_URL`` is set),
messages that come due before T wait for it without a try, and the first try after T is the probe:
it either clears the record or extends it with the next, longer, delay.

Two workers may both probe at T, and two failures at once may both count; the worst is one extra
try or one step of back-off, which is not worth a lock.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

KEY = "outbox:mail-server-down"


@dataclass(frozen=True)
class Outage:
    until: datetime.datetime
    failures: int  # tries in a row that found the server down
    error: str


def current(now: datetime.datetime) -> Outage | None:
    """The outage that still lasts at ``now``, if any."""
    outage = cache.get(KEY)
    if outage is None or outage.until <= now:
        return None
    return outage


def record_failure(error: Exception, now: datetime.datetime) -> Outage:
    """A try found the server down: it stays so for the next delay of the retry schedule."""
    delays = settings.EMAIL_RETRY_DELAYS
    previous = cache.get(KEY)
    failures = previous.failures + 1 if previous is not None else 1
    until = now + datetime.timedelta(seconds=delays[min(failures, len(delays)) - 1])
    outage = Outage(until=until, failures=failures, error=f"{type(error).__name__}: {error}")
    # Forgotten a while after it ends, so that a failure next week starts the back-off afresh.
    cache.set(KEY, outage, timeout=int((until - now).total_seconds()) + max(delays))
    return outage


def record_success() -> None:
    cache.delete(KEY)
