"""Log lines: JSON in production, text in development, each with its request's id, and without
the addresses citizens connect from unless the operator opts in."""

import json
import logging
import os
import subprocess
import sys

import pytest
from channels.testing import HttpCommunicator
from django.conf import settings

from okence.logs import AccessLogWithoutQuery
from okence.redaction import RedactEmailAddresses, RedactTokens
from okence.tokens import new_token

LOG_A_LINE = (
    "import django, logging; django.setup(); "
    "logging.getLogger('okence.booking.services').info("
    "'appointment_held from %s', '203.0.113.5:41234', extra={'appointment': 7})"
)


def log_a_line(script: str = LOG_A_LINE, **environment) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OKENCE_", "LOG_")) and key not in {"SECRET_KEY", "SMTP_URL"}
    }
    env |= {"DJANGO_SETTINGS_MODULE": "okence.settings"} | environment
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=True,
    )
    return result.stderr + result.stdout


PRODUCTION = {"SECRET_KEY": "s" * 50, "SMTP_URL": "smtp://127.0.0.1:25"}


def test_production_writes_one_json_object_a_line_without_the_clients_address():
    (line,) = log_a_line(**PRODUCTION).splitlines()
    record = json.loads(line)
    assert record["level"] == "INFO" and record["logger"] == "okence.booking.services"
    assert record["message"] == "appointment_held from …:41234"
    assert record["appointment"] == 7 and record["request_id"] == "-"
    assert record["time"].endswith("+00:00")


def test_the_operator_may_opt_into_client_addresses():
    (line,) = log_a_line(**PRODUCTION, LOG_CLIENT_ADDRESSES="true").splitlines()
    assert json.loads(line)["message"] == "appointment_held from 203.0.113.5:41234"


def test_development_writes_readable_text():
    (line,) = log_a_line(OKENCE_PROFILE="development").splitlines()
    assert line.endswith(" INFO okence.booking.services [-] appointment_held from …:41234")


def test_the_services_events_are_counted_when_the_log_level_hides_them():
    count = (
        "import django, logging; django.setup(); "
        "logging.getLogger('okence.booking.services').info('appointment_held'); "
        "from prometheus_client import REGISTRY; "
        "print(REGISTRY.get_sample_value('okence_booking_holds_total'))"
    )
    assert log_a_line(count, **PRODUCTION, LOG_LEVEL="WARNING") == "1.0\n"


async def get(path: str, request_id: bytes | None = None) -> dict:
    from okence.asgi import application

    headers = [(b"host", b"127.0.0.1")]
    if request_id is not None:
        headers.append((b"x-request-id", request_id))
    return await HttpCommunicator(application, "GET", path, headers=headers).get_response(10)


def response_id(response: dict) -> str:
    return dict(response["headers"])[b"x-request-id"].decode()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_well_formed_request_id_from_the_proxy_is_kept_in_logs_and_answer(
    captured_logs,
):
    nginx_id = "3f2a9c0d4b1e4f6a8c7d2e1f0a9b8c7d"
    response = await get(f"/no/page/is/here/{new_token()}/", nginx_id.encode())
    assert response["status"] == 404 and response_id(response) == nginx_id
    # Django writes "Not Found" from the thread that ran the sync view and middleware.
    records = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    warning = next(r for r in records if r["logger"] == "django.request")
    assert warning["request_id"] == nginx_id


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "sent",
    [None, b"", b"short", b"x" * 65, b"has space inside", b"new\nline-in-it", b"\xc5\xbe" * 8],
)
async def test_a_missing_or_malformed_request_id_is_replaced(sent):
    response = await get("/healthz", sent)
    made = response_id(response)
    assert len(made) == 32 and made.isalnum() and made.encode() != sent


@pytest.mark.asyncio
async def test_each_request_gets_its_own_id():
    assert response_id(await get("/healthz")) != response_id(await get("/healthz"))


def record(name: str, msg: str, *args, **extra) -> logging.LogRecord:
    made = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
    made.__dict__.update(extra)
    return made


def test_the_access_log_leaves_out_query_strings():
    access = record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        "…:4000",
        "PUT",
        "/sestanek/…/mapa/nalozi/?name=zofka-kvedrova.pdf",
        "1.1",
        201,
    )
    assert AccessLogWithoutQuery().filter(access)
    assert access.getMessage() == '…:4000 - "PUT /sestanek/…/mapa/nalozi/ HTTP/1.1" 201'


def test_e_mail_addresses_are_left_out_of_messages_extra_fields_and_tracebacks():
    line = record(
        "okence.outbox.services",
        "email_delivery_failed for %s",
        "zofka@example.si",
        error="{'zofka@example.si': (550, b'No such user')}",
    )
    try:
        raise ValueError("refused: zofka@example.si")
    except ValueError:
        line.exc_info = sys.exc_info()
    assert RedactEmailAddresses().filter(line) and RedactTokens().filter(line)
    text = logging.Formatter("%(message)s %(error)s").format(line)
    assert "zofka" not in text and "example.si" not in text
    assert "ValueError: refused: …" in text
