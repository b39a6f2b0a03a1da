"""Reminders before the meeting: e-mails at the times the service sets (by default a day and an
hour before), each sent at most once per start time.

A periodic job (``tasks.send_reminders``) runs every minute. A reminder is due from its time
until the next reminder's time (or the start): a worker that was stopped for longer sends only
the latest one that still helps. A booking confirmed after a reminder's time does not get it: the
confirmation has just said everything. Claiming is a conditional UPDATE that writes the start
the reminder is for (``first_reminder_for``); in the same transaction the e-mail is queued, so a
worker that dies before the commit leaves the reminder due, and of two workers only one claims
it. The e-mail is queued with ``not_after`` = the start: if the mail server is down until the
meeting has begun, the reminder is dropped, not sent late.

Links: the confirmation's tokens exist in the clear only when it is made, and only their hashes
are kept, so each reminder carries new tokens of its own (``ReminderLinks``, hashes only); every
earlier link stays valid. This needs no new secret (a key-derived token would break every link
when SECRET_KEY is rotated, and anyone with the key and the database could make links), and a
database copy gives no working link.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import translation

from okence.booking.formatting import time_range
from okence.booking.models import Appointment, ReminderLinks
from okence.booking.services import link_urls
from okence.booking.states import Status
from okence.offices.models import Service
from okence.outbox import services as outbox
from okence.tokens import hash_token, new_token

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    name: str  # in the e-mail's reference
    lead_setting: str  # the service's field: minutes before the start
    claim_field: str  # the appointment's field: the start it was claimed for


FIRST = Reminder("first", "first_reminder_minutes", "first_reminder_for")
SECOND = Reminder("second", "second_reminder_minutes", "second_reminder_for")
REMINDERS = (FIRST, SECOND)  # earliest first


def reference(appointment: Appointment, reminder: Reminder) -> str:
    return f"appointment:{appointment.pk}:reminder:{reminder.name}"


def windows(service: Service) -> list[tuple[Reminder, datetime.timedelta, datetime.timedelta]]:
    """Each reminder the service sends, with when it is due: from ``lead`` before the start until
    ``until`` before it (the next reminder's lead, or zero)."""
    leads = [
        (reminder, datetime.timedelta(minutes=getattr(service, reminder.lead_setting)))
        for reminder in REMINDERS
        if getattr(service, reminder.lead_setting)
    ]
    leads.sort(key=lambda pair: pair[1], reverse=True)
    nexts = [lead for _, lead in leads[1:]] + [datetime.timedelta(0)]
    return [
        (reminder, lead, until)
        for (reminder, lead), until in zip(leads, nexts, strict=True)
        if lead > until
    ]


def due(service: Service, reminder: Reminder, lead, until, now: datetime.datetime):
    return (
        Appointment.objects.filter(
            service=service,
            status=Status.CONFIRMED,
            start__gt=now + until,
            start__lte=now + lead,
            # Booked before the reminder's time: the confirmation came earlier than it would.
            confirmed_at__lte=F("start") - lead,
        )
        .exclude(**{reminder.claim_field: F("start")})
        .select_related("unit", "service")
    )


def send_due(now: datetime.datetime) -> int:
    """Claim and queue every reminder that is due; how many."""
    sent = 0
    services = Service.objects.exclude(
        first_reminder_minutes__isnull=True, second_reminder_minutes__isnull=True
    ).select_related("unit")
    for service in services:
        for reminder, lead, until in windows(service):
            for appointment in due(service, reminder, lead, until, now):
                sent += _claim_and_queue(appointment, reminder, now)
    return sent


def _claim_and_queue(appointment: Appointment, reminder: Reminder, now: datetime.datetime) -> bool:
    with transaction.atomic():
        claimed = (
            Appointment.objects.filter(
                pk=appointment.pk, status=Status.CONFIRMED, start=appointment.start
            )
            .exclude(**{reminder.claim_field: F("start")})
            .update(**{reminder.claim_field: F("start")})
        )
        if not claimed:
            return False  # another worker has it, or the appointment changed meanwhile
        _queue(appointment, reminder, now)
    logger.info(
        "appointment_reminder_queued",
        extra={"appointment": appointment.pk, "reminder": reminder.name},
    )
    return True


def _queue(appointment: Appointment, reminder: Reminder, now: datetime.datetime) -> None:
    meeting, manage = new_token(), new_token()
    ReminderLinks.objects.create(
        appointment=appointment,
        meeting_token_hash=hash_token(meeting),
        manage_token_hash=hash_token(manage),
        created_at=now,
    )
    with translation.override(appointment.language):
        outbox.queue(
            to=[appointment.email],
            template="booking/emails/reminder",
            context={
                "appointment": appointment,
                "when": time_range(appointment.start, appointment.end, appointment.unit.zone),
                **link_urls(meeting, manage),
            },
            now=now,
            not_after=appointment.start,
            reference=reference(appointment, reminder),
            reply_to=appointment.unit.email,
        )


def withdraw(appointment_id: int, now: datetime.datetime) -> int:
    """Drop the reminders of an appointment not sent yet: it was cancelled, or moved to another
    time (rescheduling calls this; the new time gets reminders of its own)."""
    appointment = Appointment(pk=appointment_id)
    return sum(outbox.withdraw(reference(appointment, reminder), now) for reminder in REMINDERS)


def withdraw_when_cancelled(
    sender, *, appointment_id: int, to: Status, now: datetime.datetime, **kwargs
) -> None:
    """Connected in apps.py to ``status_moved``."""
    if to == Status.CANCELLED:
        withdraw(appointment_id, now)
