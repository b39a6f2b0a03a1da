"""A mail server that is down or slow costs one try per back-off, and never the periodic jobs.

The outage is a real one on loopback: a server that accepts connections and never answers
(``silent_smtp_server``), or an aiosmtpd server that keeps each message waiting in DATA
(``stalled_smtp_server``).
"""

import datetime
import smtplib
import time

import pytest
from django.conf import settings
from django.core.mail import mailers
from django.utils import timezone

from okence.booking.models import Appointment, Status
from okence.conftest import make_appointment
from okence.outbox import services as outbox
from okence.outbox import tasks
from okence.outbox.models import Email
from okence.outbox.signals import email_delayed
from okence.outbox.tests.test_smtp import CITIZEN, queued

DELAYS = [datetime.timedelta(seconds=seconds) for seconds in settings.EMAIL_RETRY_DELAYS]


def wait_until(condition, *, timeout: float = 5.0) -> None:
    """Waits for state another thread changes; time.monotonic, which the frozen clock leaves."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {timeout} s")
        time.sleep(0.02)


@pytest.mark.django_db
def test_a_silent_server_is_tried_once_and_every_message_waits_for_it(clock, silent_smtp_server):
    messages = [queued() for _ in range(20)]
    delayed = {}

    def record(sender, *, email_id, retry_at, now, **kwargs):
        delayed[email_id] = retry_at

    email_delayed.connect(record)
    try:
        assert outbox.deliver_due(timezone.now()) == 0
    finally:
        email_delayed.disconnect(record)
    assert silent_smtp_server.connections == 1  # not one wait of the timeout per message

    first, *others = Email.objects.order_by("pk")
    assert first.pk == messages[0].pk
    assert first.attempts == 1 and first.last_error.startswith(("TimeoutError", "SMTPServer"))
    back = timezone.now() + DELAYS[0]
    for email in others:
        assert email.status == Email.Status.PENDING and email.attempts == 0
        assert email.next_attempt_at == back and email.last_error == first.last_error
        assert email.delayed  # the booking pages say so
    # Whoever waits for a message (a hold for its code) learns when it can come at the earliest.
    assert delayed == {email.pk: back for email in messages}
    assert tasks.deliver_email.call_local(others[0].pk) is None  # the task waits too
    assert silent_smtp_server.connections == 1


@pytest.mark.django_db
def test_the_whole_server_backs_off_and_everything_goes_once_it_answers(
    clock, silent_smtp_server, smtp_server, settings
):
    settings.MAILERS = silent_smtp_server.mailer_settings(connect_timeout=0.2)
    for _ in range(5):
        queued()
    outbox.deliver_due(timezone.now())
    clock.shift(DELAYS[0])
    outbox.deliver_due(timezone.now())  # one probe, still down: the next, longer delay
    assert silent_smtp_server.connections == 2
    assert set(Email.objects.values_list("next_attempt_at", flat=True)) == {
        timezone.now() + DELAYS[1]
    }
    clock.shift(DELAYS[1] - datetime.timedelta(seconds=1))
    assert outbox.deliver_due(timezone.now()) == 0
    assert silent_smtp_server.connections == 2

    settings.MAILERS = smtp_server.mailer_settings()  # the server answers again
    clock.shift(datetime.timedelta(seconds=1))
    assert outbox.deliver_due(timezone.now()) == 5
    smtp_server.wait_for(count=5)
    assert not Email.objects.exclude(status=Email.Status.SENT).exists()


@pytest.mark.django_db
def test_a_message_older_than_its_retry_schedule_gives_up_tried_or_waiting(
    clock, silent_smtp_server
):
    long_ago = timezone.now() - sum(DELAYS, datetime.timedelta())
    tried, waited = (queued() for _ in range(2))
    Email.objects.filter(pk__in=[tried.pk, waited.pk]).update(created_at=long_ago)
    new = queued()
    outbox.deliver_due(timezone.now())
    assert silent_smtp_server.connections == 1
    for email in (tried, waited, new):
        email.refresh_from_db()
    assert tried.status == waited.status == Email.Status.FAILED
    assert tried.attempts == 1 and waited.attempts == 0
    assert new.status == Email.Status.PENDING and new.delayed


@pytest.mark.django_db
def test_a_server_that_does_not_greet_is_given_up_after_the_connect_timeout(
    silent_smtp_server, settings
):
    settings.MAILERS = silent_smtp_server.mailer_settings(connect_timeout=0.2, timeout=30)
    started = time.monotonic()
    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
        mailers.default.open()
    assert time.monotonic() - started < 5  # far from the transfer's 30 s


@pytest.mark.django_db
def test_once_the_server_has_answered_the_transfer_gets_the_longer_timeout(settings, smtp_server):
    settings.MAILERS = {
        "default": {
            "BACKEND": "okence.outbox.backends.SmtpBackend",
            "OPTIONS": {
                "host": smtp_server.host,
                "port": smtp_server.port,
                "connect_timeout": 2,
                "timeout": 30,
            },
        }
    }
    backend = mailers.default
    assert backend.open() is True
    try:
        assert backend.connection.sock.gettimeout() == 30
    finally:
        backend.close()


@pytest.mark.django_db(transaction=True)
def test_periodic_jobs_run_while_every_delivery_waits_on_the_mail_server(
    ana, running_queues, stalled_smtp_server
):
    for _ in range(6):
        tasks.deliver_email(queued().pk)
    # Both delivery workers are inside DATA, and four more messages wait behind them.
    wait_until(lambda: stalled_smtp_server.collector.stalled == 2)
    lapsed, _ = make_appointment(
        ana,
        status=Status.HELD,
        hold_expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    from okence.booking.tasks import release_lapsed_holds

    release_lapsed_holds()  # as the scheduler enqueues it on the minute
    try:
        wait_until(
            lambda: Appointment.objects.get(pk=lapsed.pk).status == Status.EXPIRED, timeout=3
        )
    finally:
        stalled_smtp_server.collector.released.set()
    stalled_smtp_server.wait_for(lambda message: CITIZEN in message.rcpt_tos, count=6)
