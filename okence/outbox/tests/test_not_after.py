"""A message with a last useful time (``not_after``) is dropped, not sent late; a sender can
withdraw a message it no longer wants."""

import datetime

from django.core import mail
from django.utils import timezone

from okence.outbox import services as outbox
from okence.outbox.models import Email

MINUTE = datetime.timedelta(minutes=1)


def queue(not_after=None, reference="appointment:1:reminder:first") -> Email:
    return outbox.queue(
        to=["rajko.lah@example.si"],
        template="booking/emails/code",
        context={"code": "123456", "appointment": None, "minutes": 10},
        now=timezone.now(),
        not_after=not_after,
        reference=reference,
    )


def test_a_message_is_sent_before_its_last_useful_time(db, clock):
    email = queue(not_after=timezone.now() + MINUTE)
    assert outbox.deliver(email.pk, timezone.now()) is True
    assert len(mail.outbox) == 1


def test_a_message_still_waiting_at_its_last_useful_time_is_dropped(db, clock, settings):
    email = queue(not_after=timezone.now() + 10 * MINUTE)
    clock.shift(10 * MINUTE)  # e.g. the mail server was down until now
    assert outbox.deliver_due(timezone.now()) == 0
    email.refresh_from_db()
    assert email.status == Email.Status.DROPPED and mail.outbox == []
    assert outbox.deliver_due(timezone.now() + MINUTE) == 0  # and it is never tried again


def test_a_withdrawn_message_is_not_sent(db, clock):
    email = queue()
    other = queue(reference="appointment:2:reminder:first")
    assert outbox.withdraw("appointment:1:reminder:first", timezone.now()) == 1
    assert outbox.deliver_due(timezone.now()) == 1
    email.refresh_from_db()
    assert email.status == Email.Status.DROPPED
    assert [message.extra_headers["Message-ID"] for message in mail.outbox] == [other.message_id]


def test_dropped_messages_are_forgotten_like_sent_ones(db, clock, settings):
    email = queue(not_after=timezone.now())
    outbox.deliver(email.pk, timezone.now())
    kept = datetime.timedelta(hours=settings.OUTBOX_KEEP_SENT_HOURS)
    assert outbox.forget_delivered(timezone.now() + kept - MINUTE) == 0
    assert outbox.forget_delivered(timezone.now() + kept) == 1
