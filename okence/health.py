"""Probes for the load balancer and the service manager: ``/healthz`` and ``/readyz``.

Liveness says only that the process answers (no database: a database outage must not get every
web process restarted). Readiness says whether this process can serve: the database answers,
Redis answers when configured, the storage for uploads takes a write, and the job queue is
reachable; otherwise 503 with the names of what failed, e.g.
``{"status": "unavailable", "failed": ["database"]}``.

Both are small ASGI apps in front of Django, like uploads: no middleware runs, so no session,
CSRF, language redirect, HTTPS redirect, rate limit or host check. Skipping the host check is
safe here because neither answer depends on the Host header or contains an address, and the
answers are not cached; so a probe may use any Host (a load balancer often sends the backend's
IP). The answer names which parts failed and nothing more (the errors themselves are logged);
the proxy may still keep these paths to the load balancer's addresses (docs/operations.md).
"""

import json
import logging
import uuid

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connections

from okence.plain_http import respond

logger = logging.getLogger(__name__)

JSON = b"application/json"
PROBE_TIMEOUT_SECONDS = 3


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def check_storage() -> None:
    """A small file written to and deleted from the storage that uploads go to."""
    storage = storages["exchange"]
    name = storage.save(f"readyz-{uuid.uuid4().hex}", ContentFile(b"ok"))
    storage.delete(name)


def check_queue() -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.storage.queue_size()


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "queue": check_queue,
}


def failures() -> list[str]:
    """The names of the checks that failed, in order; each failure is logged."""
    failed = []
    try:
        for name, check in CHECKS.items():
            if name == "redis" and not settings.REDIS_URL:
                continue
            try:
                check()
            except Exception as error:  # any failure makes the process unready, and is logged
                details = {"check": name, "error": repr(error)}
                logger.warning("readiness_check_failed", extra=details)
                failed.append(name)
    finally:
        # This runs in a worker thread outside Django's request cycle: close its connection
        # here, so that probes neither hold connections open nor reuse a broken one.
        connections.close_all()
    return failed


async def liveness(scope, receive, send):
    await respond(send, 200, b'{"status": "ok"}', JSON)


async def readiness(scope, receive, send):
    # Not thread-sensitive: a database that hangs must not stall the thread Django shares.
    failed = await sync_to_async(failures, thread_sensitive=False)()
    if failed:
        body = json.dumps({"status": "unavailable", "failed": failed}).encode()
        await respond(send, 503, body, JSON)
    else:
        await respond(send, 200, b'{"status": "ok"}', JSON)
