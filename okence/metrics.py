"""Prometheus metrics: what an operator watches, in one module.

The apps do not call into this module. What happens in them is counted from what they already
say: the services' log events (``appointment_held``, ``appointment_confirmed``,
``email_delivery_failed``) through a logging handler on the ``okence`` loggers; HTTP requests by a
middleware; WebSocket connections and upload bytes by wrappers around the ASGI apps in
okence.asgi; and what the database knows (the e-mail queue, meetings in progress) is read when
Prometheus scrapes.

``/metrics`` is served only with a bearer token (``METRICS_TOKEN``; without one it is not
served). With several processes (``serve --no-worker`` behind a proxy, ``run_huey`` workers) on
one machine, set ``PROMETHEUS_MULTIPROC_DIR`` for all of them: prometheus-client then keeps each
process's values in files there and any process answers for all of them. See docs/operations.md.
"""

import hmac
import logging
import os

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.db.models import Count
from django.urls import URLPattern
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from okence.plain_http import respond

logger = logging.getLogger(__name__)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter(
    "okence_http_requests",
    "HTTP requests answered, by the name of the URL pattern that took them and status.",
    ["route", "status"],
)
HOLDS = Counter("okence_booking_holds", "Times held for a citizen, awaiting the e-mailed code.")
CONFIRMATIONS = Counter("okence_booking_confirmations", "Bookings confirmed with the code.")
EMAIL_FAILURES = Counter(
    "okence_email_delivery_failures",
    "Failed attempts to deliver an e-mail; gave_up=true when it was the last one.",
    ["gave_up"],
)
WEBSOCKETS = Gauge(
    "okence_websocket_connections",
    "Open WebSocket connections by kind: citizen, official, console, folder.",
    ["kind"],
    multiprocess_mode="livesum",
)
UPLOAD_BYTES = Counter("okence_upload_bytes", "Bytes of files stored in shared folders.")

EVENTS = {
    "appointment_held": lambda record: HOLDS.inc(),
    "appointment_confirmed": lambda record: CONFIRMATIONS.inc(),
    "email_delivery_failed": lambda record: EMAIL_FAILURES.labels(
        gave_up=str(bool(getattr(record, "gave_up", False))).lower()
    ).inc(),
}


class CountEvents(logging.Handler):
    """Counts the services' log events (attached to the ``okence`` logger in settings.LOGGING)."""

    def emit(self, record: logging.LogRecord) -> None:
        count = EVENTS.get(record.msg) if isinstance(record.msg, str) else None
        if count is not None:
            count(record)


class CountRequests:
    """Middleware: counts every answer by its route's name (never the path, which may hold a
    token); requests that matched no route count as "unmatched"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        route = match.view_name if match else "unmatched"
        REQUESTS.labels(route=route, status=str(response.status_code)).inc()
        return response


def counting_websockets(patterns: list[URLPattern]) -> list[URLPattern]:
    """The same WebSocket routes, each counting its open connections by the kind of consumer
    (CitizenConsumer: "citizen" ...)."""
    counted = []
    for pattern in patterns:
        kind = pattern.callback.consumer_class.__name__.removesuffix("Consumer").lower()
        app = _counting_connections(pattern.callback, WEBSOCKETS.labels(kind=kind))
        counted.append(URLPattern(pattern.pattern, app, pattern.default_args, pattern.name))
    return counted


def _counting_connections(app, gauge):
    async def counted(scope, receive, send):
        accepted = False

        async def watching_send(message):
            nonlocal accepted
            await send(message)
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                gauge.inc()

        try:
            await app(scope, receive, watching_send)
        finally:
            if accepted:
                gauge.dec()

    return counted


def counting_uploads(patterns: list[URLPattern]) -> list[URLPattern]:
    """The same upload routes, counting the bytes of each upload that was stored (201)."""
    return [
        URLPattern(pattern.pattern, _counting_bytes(pattern.callback), pattern.default_args)
        for pattern in patterns
    ]


def _counting_bytes(app):
    async def counted(scope, receive, send):
        received = 0

        async def watching_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        async def watching_send(message):
            await send(message)
            if message["type"] == "http.response.start":
                REQUESTS.labels(route="exchange:upload", status=str(message["status"])).inc()
                if message["status"] == 201:
                    UPLOAD_BYTES.inc(received)

        await app(scope, watching_receive, watching_send)

    return counted


class DatabaseCollector:
    """What the database says at scrape time: the e-mail queue and meetings in progress."""

    def describe(self):
        return [self._queue(), self._meetings()]

    def collect(self):
        from okence.booking.models import Appointment, Status
        from okence.outbox.models import Email

        try:
            mail = dict(Email.objects.values_list("status").annotate(n=Count("pk")))
            states = (Status.WAITING, Status.IN_MEETING)
            meetings = dict(
                Appointment.objects.filter(status__in=states)
                .values_list("status")
                .annotate(n=Count("pk"))
            )
        except Exception as error:  # the other metrics are still worth a scrape
            logger.warning("metrics_database_failed", extra={"error": repr(error)})
            return
        queue = self._queue()
        for status in (Email.Status.PENDING, Email.Status.FAILED):
            queue.add_metric([status], mail.get(status, 0))
        in_progress = self._meetings()
        for state in states:
            in_progress.add_metric([state], meetings.get(state, 0))
        yield queue
        yield in_progress

    def _queue(self):
        return GaugeMetricFamily(
            "okence_email_queue",
            "E-mails waiting for delivery (pending) and given up on, kept for the operator "
            "(failed).",
            labels=["status"],
        )

    def _meetings(self):
        return GaugeMetricFamily(
            "okence_meetings_in_progress",
            "Appointments whose citizen is in the waiting room or in the meeting.",
            labels=["state"],
        )


def exposed_registry() -> CollectorRegistry:
    """Every process's metrics (or this process's) and the database's."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(DatabaseCollector())
    return registry


EXPOSED = exposed_registry()


def _authorised(scope) -> bool:
    expected = f"Bearer {settings.METRICS_TOKEN}".encode()
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            return hmac.compare_digest(value, expected)
    return False


def _exposition(encoder) -> bytes:
    try:
        return encoder(EXPOSED)
    finally:
        connections.close_all()  # a worker thread outside Django's request cycle


async def endpoint(scope, receive, send):
    """``/metrics``: 404 unless METRICS_TOKEN is set, 401 without it as the bearer token."""
    if not settings.METRICS_TOKEN:
        await respond(send, 404, b"Not found.", b"text/plain")
        return
    if not _authorised(scope):
        await respond(send, 401, b"Unauthorised.", b"text/plain", (b"www-authenticate", b"Bearer"))
        return
    accept = b",".join(value for name, value in scope["headers"] if name.lower() == b"accept")
    encoder, content_type = choose_encoder(accept.decode("latin-1"))
    body = await sync_to_async(_exposition, thread_sensitive=False)(encoder)
    await respond(send, 200, body, content_type.encode())
