"""/metrics: only with the token; requests, bookings, e-mail, sockets, meetings, uploads."""

import datetime
import http.client
import os
import subprocess
import sys

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.conf import settings as django_settings
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from okence.booking import services as booking
from okence.booking.models import Status
from okence.conftest import make_appointment
from okence.exchange import services as exchange
from okence.meetings.tests.server_process import free_port
from okence.outbox import services as outbox
from okence.outbox.models import Email
from okence.tokens import new_token

TOKEN = "metrics-token-for-tests"
HOST = [(b"host", b"127.0.0.1")]


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN


async def answer(method, path, headers=(), body=b""):
    from okence.asgi import application

    communicator = HttpCommunicator(application, method, path, body=body, headers=[*HOST, *headers])
    return await communicator.get_response(timeout=15)


async def scrape() -> dict[tuple, float]:
    """Every sample of /metrics: {(name, (label, value)...): value}."""
    response = await answer("GET", "/metrics", [(b"authorization", f"Bearer {TOKEN}".encode())])
    assert response["status"] == 200
    text = response["body"].decode()
    return {
        (sample.name, *sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.asyncio
async def test_metrics_are_not_served_without_a_token_configured(settings):
    settings.METRICS_TOKEN = ""
    response = await answer("GET", "/metrics", [(b"authorization", b"Bearer ")])
    assert response["status"] == 404


@pytest.mark.asyncio
@pytest.mark.parametrize("authorization", [None, b"Bearer wrong", f"Basic {TOKEN}".encode()])
async def test_metrics_need_the_bearer_token(authorization):
    headers = [(b"authorization", authorization)] if authorization else []
    response = await answer("GET", "/metrics", headers)
    assert response["status"] == 401 and b"okence_" not in response["body"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_requests_are_counted_by_the_routes_name_never_its_path():
    token = new_token()
    before = value("okence_http_requests_total", route="meetings:room", status="404")
    assert (await answer("GET", f"/sestanek/{token}/"))["status"] == 404
    assert (await answer("GET", f"/no/page/is/here/{token}/"))["status"] == 404
    samples = await scrape()
    room = ("okence_http_requests_total", ("route", "meetings:room"), ("status", "404"))
    assert samples[room] == before + 1
    assert ("okence_http_requests_total", ("route", "unmatched"), ("status", "404")) in samples
    assert not any(token in str(key) for key in samples)


@pytest.mark.django_db
def test_holds_and_confirmations_are_counted(clock, service, ana):
    holds, confirmations = (
        value("okence_booking_holds_total"),
        value("okence_booking_confirmations_total"),
    )
    start = datetime.datetime(2026, 12, 8, 7, 30, tzinfo=datetime.UTC)
    contact = booking.Contact("Rajko Lah", "rajko.lah@example.si", "041 123 456", "")
    appointment, _ = booking.hold(
        service, start, contact, language="sl", client="192.0.2.1", now=timezone.now()
    )
    assert value("okence_booking_holds_total") == holds + 1
    assert value("okence_booking_confirmations_total") == confirmations
    outbox.deliver_due(timezone.now())
    from django.core import mail

    code = next(word for word in mail.outbox[-1].subject.split() if word.isdigit())
    booking.confirm(appointment, code, timezone.now())
    assert value("okence_booking_confirmations_total") == confirmations + 1


@pytest.mark.django_db
def test_failed_deliveries_are_counted(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    before = value("okence_email_delivery_failures_total", gave_up="false")
    now = timezone.now()
    email = Email.objects.create(
        to=["rajko@example.si"], subject="x", body_text="x", next_attempt_at=now, created_at=now
    )
    assert not outbox.deliver(email.pk, now)
    assert value("okence_email_delivery_failures_total", gave_up="false") == before + 1


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_queue_and_meetings_in_progress_are_read_from_the_database(ana):
    @database_sync_to_async
    def fill():
        now = timezone.now()
        for status in ("pending", "pending", "failed", "sent"):
            Email.objects.create(
                to=["x@example.si"], subject="x", body_text="x", status=status,
                next_attempt_at=now, created_at=now,
            )  # fmt: skip
        hour = datetime.timedelta(hours=1)
        make_appointment(ana, status=Status.WAITING)
        make_appointment(ana, status=Status.IN_MEETING, start=timezone.now() + hour)
        make_appointment(ana, status=Status.CONFIRMED, start=timezone.now() + 2 * hour)

    await fill()
    samples = await scrape()
    assert samples[("okence_email_queue", ("status", "pending"))] == 2
    assert samples[("okence_email_queue", ("status", "failed"))] == 1
    assert samples[("okence_meetings_in_progress", ("state", "waiting"))] == 1
    assert samples[("okence_meetings_in_progress", ("state", "in_meeting"))] == 1


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_websocket_connections_are_counted_by_kind_while_open(ana):
    from okence.asgi import application

    _, token = await database_sync_to_async(make_appointment)(ana)
    citizens = value("okence_websocket_connections", kind="citizen")
    socket = WebsocketCommunicator(
        application, f"/ws/sestanek/{token}/", headers=[*HOST, (b"origin", b"http://127.0.0.1")]
    )
    connected, _ = await socket.connect(timeout=10)
    assert connected
    assert value("okence_websocket_connections", kind="citizen") == citizens + 1
    await socket.disconnect()
    assert value("okence_websocket_connections", kind="citizen") == citizens


def test_the_bytes_of_stored_uploads_are_counted(served, ana, settings, tmp_path):
    """Over real HTTP: the upload app streams the body from uvicorn."""
    from okence.exchange.tests.conftest import pdf_bytes

    settings.STORAGES = settings.STORAGES | {
        "exchange": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        }
    }
    appointment, token = make_appointment(ana, status=Status.IN_MEETING)
    exchange.create_folder(appointment, ana, timezone.now())
    data = pdf_bytes()
    before = value("okence_upload_bytes_total")

    def upload(name: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        try:
            connection.request(
                "PUT",
                f"/sestanek/{token}/mapa/nalozi/?name={name}",
                body=data,
                headers={"Origin": served.url, "Content-Type": "application/octet-stream"},
            )
            return connection.getresponse().status
        finally:
            connection.close()

    assert upload("a.pdf") == 201
    assert value("okence_upload_bytes_total") == before + len(data)
    assert upload("b.exe") == 422
    assert value("okence_upload_bytes_total") == before + len(data)


def test_processes_sharing_a_multiprocess_directory_are_added_up(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR, any process answers for every process on the machine."""
    env = dict(
        os.environ,
        OKENCE_PROFILE="test",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="okence.settings",
    )
    count = "import django; django.setup(); from okence import metrics; metrics.HOLDS.inc(2)"
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-c", count], env=env, check=True, cwd=django_settings.BASE_DIR
        )
    expose = (
        "import django; django.setup(); from okence import metrics; "
        "from prometheus_client import generate_latest; "
        "print(generate_latest(metrics.EXPOSED).decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", expose],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )
    assert "okence_booking_holds_total 4.0" in result.stdout
