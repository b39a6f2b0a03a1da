"""A whole booking, meeting and upload leave none of the citizen's data in the logs.

Everything goes over real HTTP and WebSockets to uvicorn configured as ``manage.py serve``
configures it, through nginx's X-Forwarded-For as in production, and everything the configured
log handler writes is read back, at DEBUG and as production's JSON lines (with extra fields).
"""

import datetime
import http.client
import json
import re
from urllib.parse import quote, urlencode

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from okence.booking import services as booking
from okence.booking.models import Appointment
from okence.conftest import make_official, session_cookie
from okence.exchange import services as exchange
from okence.exchange.tests.conftest import pdf_bytes
from okence.meetings.tests.conftest import open_socket, receive
from okence.outbox import services as outbox

pytestmark = pytest.mark.django_db(transaction=True)

CITIZEN = {
    "name": "Zofka Kvedrova",
    "email": "zofka.kvedrova@example.si",
    "phone": "031 765 432",
    "notes": "Prosim za pomoc pri vlogi za Lipico.",
}
ADDRESS = "203.0.113.77"  # the citizen's, as nginx passes it on (a documentation address)
CHAT = "Moja davcna stevilka je v priponki."
FILE_NAME = "kvedrova-potrdilo.pdf"


class Browser:
    """The citizen's requests: from ADDRESS through the proxy, with the cookies Django sets."""

    def __init__(self, server):
        self.server = server
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        sent = {"X-Forwarded-For": ADDRESS} | (headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            for header in answer.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.partition(";")[0]
            return answer.status, answer.headers, answer.read().decode(errors="replace")
        finally:
            connection.close()

    def post_form(self, path, fields):
        status, headers, page = self.request("GET", path)
        assert status == 200, page
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode(fields | {"csrfmiddlewaretoken": csrf})
        kind = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body=body, headers=kind)


def first_free_start(service) -> datetime.datetime:
    today = timezone.localdate()
    days = booking.free_slots(service, today, today + datetime.timedelta(days=14), timezone.now())
    return next(slot.start for day in sorted(days) for slot in days[day])


def code_from_mail() -> str:
    outbox.deliver_due(timezone.now())
    return re.search(r"(?<!\d)(\d{6})(?!\d)", mail.outbox[-1].subject).group(1)


def test_a_booking_a_meeting_and_an_upload_leave_no_personal_data_in_the_logs(
    captured_logs, served, unit, service, settings, tmp_path
):
    settings.STORAGES = settings.STORAGES | {
        "exchange": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "exchange")},
        }
    }
    ana = make_official(unit, service, "ana", "Ana", hours=((0, 6, "00:00", "23:30"),))
    citizen = Browser(served)

    # The booking: details, the hold, the e-mailed code, the confirmation.
    start = first_free_start(service)
    details = reverse("booking:details", args=[unit.slug, service.slug])
    details += "?" + urlencode({"start": start.isoformat()})
    status, headers, page = citizen.post_form(
        details, CITIZEN | {"privacy": "on", "start": start.isoformat()}
    )
    assert status == 303, page
    verify = headers["Location"]
    hold_token = verify.rstrip("/").rsplit("/", 1)[1]
    held_request = headers["X-Request-ID"]
    code = code_from_mail()
    status, headers, page = citizen.post_form(verify, {"action": "confirm", "code": code})
    assert status == 303, page
    assert citizen.request("GET", headers["Location"])[0] == 200
    outbox.deliver_due(timezone.now())
    confirmation = next(m for m in mail.outbox if m.attachments)
    meeting_token = re.search(r"/sestanek/([^/\s\"]+)/", confirmation.body).group(1)
    manage_token = re.search(r"/termin/([^/\s\"]+)/", confirmation.body).group(1)

    # The meeting, brought forward to now: knock, admit, chat, the shared folder, the end.
    appointment = Appointment.objects.get()
    soon = timezone.now() + datetime.timedelta(minutes=2)
    Appointment.objects.filter(pk=appointment.pk).update(
        start=soon, end=soon + (appointment.end - appointment.start)
    )
    assert citizen.request("GET", f"/sestanek/{meeting_token}/")[0] == 200
    forwarded = {"X-Forwarded-For": ADDRESS}
    official_headers = {"Cookie": session_cookie(ana.user)}
    with (
        open_socket(
            served.port, f"/ws/sestanek/{meeting_token}/", additional_headers=forwarded
        ) as room,
        open_socket(
            served.port,
            f"/ws/uradnik/sestanek/{appointment.public_id}/",
            additional_headers=official_headers,
        ) as official,
    ):
        assert receive(room)["type"] == "hello"
        assert receive(official)["type"] == "hello"
        room.send(json.dumps({"type": "knock", "name": CITIZEN["name"]}))
        assert receive(room)["state"] == "waiting"
        official.send(json.dumps({"type": "admit"}))
        while receive(room).get("state") != "admitted":
            pass
        room.send(json.dumps({"type": "chat", "text": CHAT}))
        while receive(official).get("type") != "chat":
            pass
        appointment.refresh_from_db()
        exchange.create_folder(appointment, ana, timezone.now())
        with translation.override("en"):
            upload = reverse("exchange:citizen_upload", args=[meeting_token])
        data = pdf_bytes()
        status, _, answer = citizen.request(
            "PUT",
            f"{upload}?name={quote(FILE_NAME)}",
            body=data,
            headers={"Origin": served.url, "Content-Type": "application/octet-stream"},
        )
        assert status == 201, answer
        official.send(json.dumps({"type": "end"}))
        while receive(room).get("state") != "ended":
            pass
    served.stop()  # every connection closed and logged

    records = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    assert any(r["logger"] == "uvicorn.access" for r in records), "nothing was captured"
    assert any(
        r["message"] == "appointment_held" and r["request_id"] == held_request for r in records
    ), "the service's event carries the request's id"
    for record in records:
        record.pop("time")  # its microseconds might be six digits like the code
    logs = "\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    secrets = {
        **CITIZEN,
        "first name": "Zofka",
        "surname": "Kvedrova".lower(),
        "phone digits": CITIZEN["phone"].replace(" ", ""),
        "address": ADDRESS,
        "chat": CHAT,
        "file name": FILE_NAME,
        "hold token": hold_token,
        "meeting token": meeting_token,
        "manage token": manage_token,
    }
    leaked = {what: value for what, value in secrets.items() if value.lower() in logs.lower()}
    assert not leaked, leaked
    assert not re.search(rf"(?<!\d){code}(?!\d)", logs), "the code"
