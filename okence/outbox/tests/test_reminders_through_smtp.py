"""Reminders through a real SMTP server (aiosmtpd): two job workers at once send each reminder
once; a mail server that was down sends it when back, unless the meeting has started by then.

The workers are threads with their own database connections racing on a committed database
(``transaction=True``), as two huey workers would.
"""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from okence.booking import reminders
from okence.conftest import LJUBLJANA, make_appointment
from okence.outbox import services as outbox
from okence.outbox.models import Email

# Wednesday 9 December 2026, 10:00 in Ljubljana; the clock starts on the Monday before.
START = datetime.datetime(2026, 12, 9, 10, 0, tzinfo=LJUBLJANA)
HOUR = datetime.timedelta(hours=1)


def citizens(ana, n: int) -> list[str]:
    addresses = [f"obcan{i}@example.si" for i in range(n)]
    for i, address in enumerate(addresses):
        start = START + i * datetime.timedelta(minutes=30)
        make_appointment(ana, start=start, email=address, created_at=timezone.now())
    return addresses


def two_workers_at_once(job) -> list[object]:
    """Run ``job()`` in two threads released together; what each returned or raised."""
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[i] = job()
        except BaseException as error:  # every outcome is reported
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck"
    return outcomes


def reminders_received(smtp_server) -> list[str]:
    return sorted(
        address
        for message in smtp_server.messages
        if b"Subject: Opomnik" in message.content
        for address in message.rcpt_tos
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_reminder_once(clock, ana, smtp_server):
    addresses = citizens(ana, 4)
    clock.move_to(START - 20 * HOUR)

    def job():
        now = timezone.now()
        return reminders.send_due(now), outbox.deliver_due(now)

    outcomes = two_workers_at_once(job)
    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert sum(queued for queued, _ in outcomes) == 4
    smtp_server.wait_for(count=4)
    assert reminders_received(smtp_server) == addresses

    # Both workers run again a minute later, and again at the hour before the first start.
    clock.shift(datetime.timedelta(minutes=1))
    assert [queued for queued, _ in two_workers_at_once(job)] == [0, 0]
    assert reminders_received(smtp_server) == addresses
    assert Email.objects.filter(reference__contains=":reminder:").count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_reminder_waits_out_the_mail_servers_outage_and_is_sent_once(clock, ana, smtp_server):
    [address] = citizens(ana, 1)
    smtp_server.stop()
    clock.move_to(START - HOUR)
    assert reminders.send_due(timezone.now()) == 1  # its delivery fails: the server is down
    [email] = Email.objects.filter(reference__contains=":reminder:second")
    assert email.status == Email.Status.PENDING and email.last_error

    smtp_server.start()
    clock.move_to(START - 30 * datetime.timedelta(minutes=1))  # past the back-off
    assert reminders.send_due(timezone.now()) == 0  # a restart queues nothing again
    assert outbox.deliver_due(timezone.now()) == 1
    assert reminders_received(smtp_server) == [address]


@pytest.mark.django_db(transaction=True)
def test_a_reminder_is_dropped_when_the_server_is_back_only_after_the_start(
    clock, ana, smtp_server
):
    citizens(ana, 1)
    smtp_server.stop()
    clock.move_to(START - HOUR)
    reminders.send_due(timezone.now())
    smtp_server.start()
    clock.move_to(START)
    assert outbox.deliver_due(timezone.now()) == 0
    assert Email.objects.get(reference__contains=":reminder:").status == Email.Status.DROPPED
    assert reminders_received(smtp_server) == []
