"""Delivery through a real SMTP server (aiosmtpd): the booking's e-mails, outages and retries.

The test transaction never commits, so the on_commit delivery tasks do not run by themselves; the
tests call ``deliver_due`` as the periodic job would. Sending is synchronous (the server has the
message once ``deliver`` returns), but the tests still wait for it on the server's list.
"""

import datetime
import email.policy
import re
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from okence.booking import services as booking
from okence.booking.models import Appointment, Status
from okence.conftest import LJUBLJANA
from okence.outbox import services as outbox
from okence.outbox.models import Email

CITIZEN = "rajko.lah@example.si"
CONTACT = booking.Contact(
    name="Rajko Lah", email=CITIZEN, phone="041 123 456", notes="Opomba za uradnico."
)
# Tuesday 8 December 2026, 08:30 in Ljubljana; the clock stands on the Monday before.
TUESDAY_0830 = datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA)
WHEN = "torek, 8. december 2026, 08:30 – 09:00 (UTC+01:00) Ljubljana"
DETAILS = {
    "name": "Rajko Lah",
    "email": CITIZEN,
    "phone": "041 123 456",
    "notes": "Opomba za uradnico.",
    "privacy": "on",
}
WARNING = 'class="warning"'


def parse(content: bytes) -> EmailMessage:
    return BytesParser(policy=email.policy.default).parsebytes(content)


def code_from(message: EmailMessage) -> str:
    return re.search(r"\b(\d{6})\b", message["subject"]).group(1)


def hold(service):
    return booking.hold(
        service,
        TUESDAY_0830.astimezone(datetime.UTC),
        CONTACT,
        language="sl",
        client="192.0.2.1",
        now=timezone.now(),
    )


def queued() -> Email:
    """A plain message waiting in the outbox, due now."""
    now = timezone.now()
    return Email.objects.create(
        to=[CITIZEN], subject="Preizkus", body_text="Besedilo.", next_attempt_at=now, created_at=now
    )


@pytest.mark.django_db
def test_the_whole_booking_is_sent_through_smtp(clock, service, ana, smtp_server):
    appointment, _ = hold(service)
    assert outbox.deliver_due(timezone.now()) == 1
    received = smtp_server.wait_for_message_to(CITIZEN)
    assert received.rcpt_tos == [CITIZEN]
    assert received.mail_from == "okence@localhost"
    code_message = parse(received.content)
    assert code_from(code_message) in code_message.get_body(("plain",)).get_content()

    links = booking.confirm(appointment, code_from(code_message), timezone.now())
    assert outbox.deliver_due(timezone.now()) == 2  # the citizen's and the official's
    smtp_server.wait_for(count=3)
    official = smtp_server.wait_for_message_to("ana@example.si")
    citizen = smtp_server.wait_for(lambda m: m.rcpt_tos == [CITIZEN], count=2)[1]
    assert Email.objects.filter(status=Email.Status.SENT).count() == 3

    message = parse(citizen.content)
    assert message.is_multipart()
    assert WHEN in message["subject"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    meeting_url = f"{settings.SITE_URL}/sestanek/{links.meeting}/"
    assert meeting_url == settings.SITE_URL + reverse("meetings:room", args=[links.meeting])
    assert WHEN in text.get_content() and meeting_url in text.get_content()
    html_content = html.get_content()
    assert WHEN in html_content
    link = re.search(rf'<a href="{re.escape(meeting_url)}"[^>]*>([^<]+)</a>', html_content)
    assert link is not None

    # As Google and Outlook send invitations: the calendar is one more form of the message beside
    # the text and HTML, and the same data is attached as a file.
    assert message.get_content_type() == "multipart/mixed"
    alternatives = next(message.iter_parts())
    assert [part.get_content_type() for part in alternatives.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    invite = list(alternatives.iter_parts())[2]
    assert invite.get_param("method") == "REQUEST"
    [attached] = message.iter_attachments()
    assert attached.get_filename() == "invite.ics"
    assert attached.get_content_type() == "application/ics"
    assert attached.get_content() == invite.get_content().encode()
    calendar = Calendar.from_ical(invite.get_content())
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Europe/Ljubljana"
    assert str(start.tzinfo) == "Europe/Ljubljana"
    assert start.replace(tzinfo=None) == datetime.datetime(2026, 12, 8, 8, 30)
    assert end.replace(tzinfo=None) == datetime.datetime(2026, 12, 8, 9, 0)
    assert start == TUESDAY_0830
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Ljubljana"
    assert event["ORGANIZER"] == "mailto:ue.domzale@example.si"
    assert event["ATTENDEE"] == f"mailto:{CITIZEN}"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"
    assert event["LOCATION"] == meeting_url and event["URL"] == meeting_url

    official_message = parse(official.content)
    assert official.rcpt_tos == ["ana@example.si"]
    assert WHEN in official_message.get_body(("plain",)).get_content()
    assert "Rajko Lah" in official_message.get_body(("plain",)).get_content()

    # Last, as it needs the compiled Slovenian catalog: the button's label.
    assert link.group(1).strip() == "Pridružite se sestanku"


@pytest.mark.django_db
def test_the_booking_waits_out_an_outage_and_the_code_follows(
    client, clock, service, ana, smtp_server
):
    smtp_server.stop()
    response = client.post(
        reverse("booking:details", args=[service.unit.slug, service.slug]),
        DETAILS | {"start": TUESDAY_0830.astimezone(datetime.UTC).isoformat()},
    )
    assert response.status_code == 303
    verify_url = response["Location"]
    assert outbox.deliver_due(timezone.now()) == 0  # the delivery task's attempt fails

    appointment = Appointment.objects.get()
    assert appointment.status == Status.HELD and appointment.hold_expires_at > timezone.now()
    code_email = Email.objects.get(reference=booking.code_reference(appointment))
    assert code_email.status == Email.Status.PENDING
    assert code_email.attempts == 1
    assert code_email.last_error.startswith("ConnectionRefusedError")
    page = client.get(verify_url)
    assert page.status_code == 200
    assert WARNING in page.content.decode()

    smtp_server.start()
    first_delay = datetime.timedelta(seconds=settings.EMAIL_RETRY_DELAYS[0])
    clock.shift(first_delay - datetime.timedelta(seconds=1))
    assert outbox.deliver_due(timezone.now()) == 0  # not yet time to retry
    assert smtp_server.messages == []

    clock.shift(datetime.timedelta(seconds=2))
    assert outbox.deliver_due(timezone.now()) == 1
    code_message = parse(smtp_server.wait_for_message_to(CITIZEN).content)
    code_email.refresh_from_db()
    assert code_email.status == Email.Status.SENT
    assert code_email.sent_at == timezone.now()
    assert code_email.attempts == 2 and code_email.last_error == ""
    page = client.get(verify_url).content.decode()
    assert WARNING not in page

    response = client.post(verify_url, {"action": "confirm", "code": code_from(code_message)})
    assert response.status_code == 303
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


@pytest.mark.django_db
def test_the_code_page_says_one_thing_while_the_code_is_retried_and_after_the_hold_lapses(
    client, clock, service, ana, smtp_server
):
    smtp_server.stop()
    response = client.post(
        reverse("booking:details", args=[service.unit.slug, service.slug]),
        DETAILS | {"start": TUESDAY_0830.astimezone(datetime.UTC).isoformat()},
    )
    verify_url = response["Location"]
    appointment = Appointment.objects.get()
    reserved, ended = "ostaja rezerviran", "ni več veljavna"
    for delay in settings.EMAIL_RETRY_DELAYS[:4]:  # retried for 18 minutes
        assert outbox.deliver_due(timezone.now()) == 0
        page = client.get(verify_url).content.decode()
        assert WARNING in page and reserved in page and ended not in page
        clock.shift(datetime.timedelta(seconds=delay))
    clock.move_to(booking.hold_cap(appointment))
    page = client.get(verify_url).content.decode()
    assert ended in page and WARNING not in page and reserved not in page


@pytest.mark.django_db
def test_the_confirmation_page_says_when_the_confirmation_is_delayed(
    client, clock, service, ana, smtp_server
):
    appointment, token = hold(service)
    outbox.deliver_due(timezone.now())
    code = code_from(parse(smtp_server.wait_for_message_to(CITIZEN).content))
    smtp_server.stop()
    response = client.post(
        reverse("booking:verify", args=[token]), {"action": "confirm", "code": code}
    )
    assert response.status_code == 303
    assert outbox.deliver_due(timezone.now()) == 0
    assert WARNING in client.get(response["Location"]).content.decode()

    smtp_server.start()
    clock.shift(datetime.timedelta(seconds=settings.EMAIL_RETRY_DELAYS[0]))
    assert outbox.deliver_due(timezone.now()) == 2
    assert WARNING not in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_retries_follow_the_delays_and_the_last_failure_gives_up(clock, smtp_server):
    smtp_server.stop()
    message = queued()
    delays = settings.EMAIL_RETRY_DELAYS
    for attempt, delay in enumerate(delays, start=1):
        assert outbox.deliver_due(timezone.now()) == 0
        message.refresh_from_db()
        assert message.status == Email.Status.PENDING and message.attempts == attempt
        assert message.next_attempt_at == timezone.now() + datetime.timedelta(seconds=delay)
        clock.shift(datetime.timedelta(seconds=delay))
    assert outbox.deliver_due(timezone.now()) == 0  # the last retry fails too
    message.refresh_from_db()
    assert message.status == Email.Status.FAILED
    assert message.attempts == len(delays) + 1 and message.last_error
    assert not outbox.is_delayed(message.reference)  # failed for good, no longer "delayed"

    smtp_server.start()
    clock.shift(datetime.timedelta(days=1))
    assert outbox.deliver_due(timezone.now()) == 0
    assert outbox.deliver(message.pk, timezone.now()) is False
    message.refresh_from_db()
    assert message.status == Email.Status.FAILED and message.attempts == len(delays) + 1
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_a_message_is_never_sent_twice(clock, smtp_server, monkeypatch):
    message = queued()
    now = timezone.now()
    as_message = outbox.as_message
    meanwhile = []

    def second_worker_meanwhile(email):
        # Another worker picks up the same message while the first one is sending it.
        if not meanwhile:
            meanwhile.append(outbox.deliver(email.pk, now + datetime.timedelta(minutes=1)))
        return as_message(email)

    monkeypatch.setattr(outbox, "as_message", second_worker_meanwhile)
    assert outbox.deliver(message.pk, now) is True
    assert meanwhile == [False]
    assert outbox.deliver(message.pk, now) is False
    assert outbox.deliver_due(now + datetime.timedelta(hours=1)) == 0
    smtp_server.wait_for_message_to(CITIZEN)
    assert len(smtp_server.messages) == 1  # sending is synchronous: nothing else is on its way
    message.refresh_from_db()
    assert message.status == Email.Status.SENT and message.attempts == 1


@pytest.mark.django_db
def test_the_delivery_task_sends_once_the_transaction_commits(
    clock, service, ana, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment, _ = hold(service)
    received = smtp_server.wait_for_message_to(CITIZEN)
    assert code_from(parse(received.content))
    assert (
        Email.objects.get(reference=booking.code_reference(appointment)).status == Email.Status.SENT
    )
