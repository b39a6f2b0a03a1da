"""Reminders a day and an hour before the meeting: when they are due, once only, never late,
never for a cancelled or moved time, and with links that open the same meeting."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from okence.booking import reminders
from okence.booking import services as booking
from okence.booking.models import Appointment
from okence.conftest import LJUBLJANA, make_appointment
from okence.outbox import services as outbox
from okence.outbox.models import Email

# Wednesday 9 December 2026, 10:00 in Ljubljana; the clock starts on the Monday before, 07:00.
START = datetime.datetime(2026, 12, 9, 10, 0, tzinfo=LJUBLJANA)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def booked(clock, ana):
    """Rajko's appointment on Wednesday at 10:00, booked on Monday morning."""
    appointment, _ = make_appointment(ana, start=START, created_at=timezone.now())
    return appointment


def run_at(clock, moment) -> int:
    clock.move_to(moment)
    return reminders.send_due(timezone.now())


def queued(appointment, which: str = "first"):
    return Email.objects.filter(reference=f"appointment:{appointment.pk}:reminder:{which}")


def test_the_first_reminder_is_due_a_day_before_and_not_a_minute_earlier(booked, clock):
    assert run_at(clock, START - 24 * HOUR - MINUTE) == 0
    assert run_at(clock, START - 24 * HOUR) == 1
    [email] = queued(booked)
    assert email.not_after == START
    booked.refresh_from_db()
    assert booked.first_reminder_for == START and booked.second_reminder_for is None


def test_each_reminder_is_queued_once_however_often_the_job_runs(booked, clock):
    assert run_at(clock, START - 20 * HOUR) == 1
    assert run_at(clock, START - 19 * HOUR) == 0
    assert run_at(clock, START - HOUR) == 1
    assert run_at(clock, START - 30 * MINUTE) == 0
    assert queued(booked, "first").count() == 1 and queued(booked, "second").count() == 1


def test_after_a_long_stop_only_the_latest_useful_reminder_is_sent(booked, clock):
    """The job did not run for a day: at 09:30 the day-before reminder no longer helps."""
    assert run_at(clock, START - 30 * MINUTE) == 1
    assert not queued(booked, "first").exists()
    assert queued(booked, "second").count() == 1


def test_no_reminder_once_the_meeting_has_started(booked, clock):
    assert run_at(clock, START) == 0
    assert run_at(clock, START + 10 * MINUTE) == 0


def test_a_booking_made_inside_a_reminders_window_does_not_get_it(clock, ana):
    appointment, _ = make_appointment(ana, start=START)
    Appointment.objects.filter(pk=appointment.pk).update(confirmed_at=START - 3 * HOUR)
    assert run_at(clock, START - 2 * HOUR) == 0
    assert run_at(clock, START - HOUR) == 1
    assert not queued(appointment, "first").exists()
    assert queued(appointment, "second").count() == 1


def test_either_reminder_can_be_switched_off_per_service(booked, clock, service):
    service.first_reminder_minutes = None
    service.second_reminder_minutes = 3 * 60
    service.save()
    assert run_at(clock, START - 20 * HOUR) == 0
    assert run_at(clock, START - 3 * HOUR) == 1
    assert queued(booked, "second").count() == 1 and not queued(booked, "first").exists()


def test_a_cancelled_appointment_is_not_reminded(booked, clock):
    booking.cancel(booked, timezone.now())
    assert run_at(clock, START - 20 * HOUR) == 0


def test_cancelling_withdraws_a_reminder_not_yet_delivered(
    booked, clock, django_capture_on_commit_callbacks
):
    run_at(clock, START - 20 * HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        booking.cancel(booked, timezone.now())
    assert queued(booked).get().status == Email.Status.DROPPED
    outbox.deliver_due(timezone.now())
    assert mail.outbox, "the cancellation is sent"
    assert not any("Opomnik" in message.subject for message in mail.outbox)


def test_a_moved_appointment_is_reminded_of_its_new_time_only(booked, clock):
    run_at(clock, START - 20 * HOUR)
    new_start = START + 2 * HOUR
    # As rescheduling does: another start, and the old time's reminders withdrawn.
    Appointment.objects.filter(pk=booked.pk).update(start=new_start, end=new_start + 30 * MINUTE)
    reminders.withdraw(booked.pk, timezone.now())
    assert queued(booked).get().status == Email.Status.DROPPED
    assert run_at(clock, START - 19 * HOUR) == 1  # the new time's first reminder
    assert queued(booked).filter(status=Email.Status.PENDING).get().not_after == new_start


def test_a_reminder_that_cannot_arrive_before_the_start_is_dropped(booked, clock):
    run_at(clock, START - HOUR)
    [email] = queued(booked, "second")
    clock.move_to(START)  # the mail server was down until now
    assert outbox.deliver(email.pk, timezone.now()) is False
    email.refresh_from_db()
    assert email.status == Email.Status.DROPPED and mail.outbox == []


def test_the_reminder_is_in_the_citizens_language_with_what_to_prepare(clock, ana, service):
    appointment, _ = make_appointment(ana, start=START, language="en")
    run_at(clock, START - 20 * HOUR)
    outbox.deliver_due(timezone.now())
    [message] = mail.outbox
    assert message.subject.startswith("Reminder: Pridobivanje splošnih informacij")
    body = message.body
    assert "Wednesday, 9 December 2026, 10:00" in body
    assert "Osebni dokument." in body  # the service's preparation list
    assert message.reply_to == ["ue.domzale@example.si"]


def test_slovenian_is_the_default_language_of_the_reminder(booked, clock):
    run_at(clock, START - 20 * HOUR)
    outbox.deliver_due(timezone.now())
    [message] = mail.outbox
    assert message.subject.startswith("Opomnik:")
    assert "sreda, 9. december 2026, 10:00" in message.body


def links_in(body: str) -> tuple[str, str]:
    """The tokens of the meeting link and the manage link in a message's text."""
    meeting = re.search(r"/sestanek/([^/\s]+)/", body).group(1)
    manage = re.search(r"/termin/([^/\s]+)/", body).group(1)
    return meeting, manage


def book(service):
    """Rajko holds Wednesday 10:00 and confirms it with the e-mailed code; the booking's links."""
    held, _ = booking.hold(
        service,
        START.astimezone(datetime.UTC),
        booking.Contact(name="Rajko Lah", email="rajko.lah@example.si", phone="041 123 456"),
        language="sl",
        client="192.0.2.1",
        now=timezone.now(),
    )
    outbox.deliver_due(timezone.now())
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    return held, booking.confirm(held, code, timezone.now())


def test_the_confirmation_carries_what_to_prepare(clock, service, ana):
    book(service)
    outbox.deliver_due(timezone.now())
    [confirmation] = [m for m in mail.outbox if m.to == ["rajko.lah@example.si"]][-1:]
    assert "Pripravite:" in confirmation.body and "Osebni dokument." in confirmation.body
    html = confirmation.alternatives[0].content
    assert "Osebni dokument." in html


def test_the_confirmation_and_each_reminder_link_to_the_check_of_their_meeting(
    clock, service, ana, client
):
    """In the text and the HTML part, with what to prepare; under that message's own token."""
    held, links = book(service)
    run_at(clock, START - 20 * HOUR)
    outbox.deliver_due(timezone.now())
    messages = [m for m in mail.outbox if m.to == ["rajko.lah@example.si"]]
    confirmation, reminder = messages[-2:]
    assert reminder.subject.startswith("Opomnik")
    assert links_in(confirmation.body)[0] == links.meeting
    for message in (confirmation, reminder):
        meeting, _ = links_in(message.body)
        check = f"/sestanek/{meeting}/preizkus/"
        line = f"Pred sestankom preizkusite kamero in mikrofon: {settings.SITE_URL}{check}\n"
        assert line in message.body
        html = message.alternatives[0].content
        assert re.search(rf'<a href="[^"]*{re.escape(check)}">Pred sestankom preizkusite', html)
        assert "Osebni dokument." in message.body and "Osebni dokument." in html
        page = client.get(check)
        assert page.status_code == 200 and booking.by_meeting_token(meeting).pk == held.pk
        assert "Preizkusite kamero in mikrofon" in page.content.decode()


def test_the_links_of_every_email_open_the_same_meeting(clock, service, ana, client):
    held, links = book(service)
    run_at(clock, START - 20 * HOUR)
    run_at(clock, START - HOUR)
    outbox.deliver_due(timezone.now())
    reminder_bodies = [m.body for m in mail.outbox if m.subject.startswith("Opomnik")]
    assert len(reminder_bodies) == 2
    meeting_tokens = {links.meeting}
    manage_tokens = {links.manage}
    for body in reminder_bodies:
        meeting, manage = links_in(body)
        meeting_tokens.add(meeting)
        manage_tokens.add(manage)
    assert len(meeting_tokens) == 3 and len(manage_tokens) == 3  # new links in every message
    for token in meeting_tokens:
        assert booking.by_meeting_token(token).pk == held.pk
        assert client.get(reverse("meetings:room", args=[token])).status_code == 200
    for token in manage_tokens:
        assert booking.by_manage_token(token).pk == held.pk
    assert booking.by_meeting_token("not-a-token") is None
