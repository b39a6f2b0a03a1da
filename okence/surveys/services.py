"""The public API of the surveys app: inviting, answering, the follow-up e-mail.

Answering is a conditional update of the ticket (answered_at still empty, not expired), so a
second attempt, even at the same moment, is refused. The answer row is not linked to the
appointment or the ticket: the statistics see the unit, service, official and day only.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from okence.booking import services as booking
from okence.booking.models import Appointment, Status
from okence.outbox import services as outbox
from okence.surveys.models import Answer, Ticket
from okence.tokens import hash_token, new_token

logger = logging.getLogger(__name__)


class SurveyClosed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "answered" or "expired"


def invite(appointment: Appointment, now: datetime.datetime | None = None) -> Ticket | None:
    """A meeting that took place may be rated, for 14 days; others get no survey."""
    if appointment.status != Status.COMPLETED:
        return None
    now = now or timezone.now()
    ticket, _ = Ticket.objects.get_or_create(
        appointment=appointment,
        defaults={
            "created_at": now,
            "expires_at": now + datetime.timedelta(days=settings.SURVEY_VALID_DAYS),
        },
    )
    return ticket


def by_meeting_token(token: str) -> Ticket | None:
    """The ticket of the meeting behind a meeting link. The page asks for it the moment the
    meeting ends, possibly before the end's signal has made it: then it is made here."""
    appointment = booking.by_meeting_token(token)
    if appointment is None:
        return None
    ticket = Ticket.objects.filter(appointment=appointment).select_related("appointment").first()
    return ticket or invite(appointment)


def by_token(token: str) -> Ticket | None:
    return (
        Ticket.objects.select_related("appointment__unit", "appointment__service")
        .filter(token_hash=hash_token(token))
        .first()
    )


def state(ticket: Ticket, now: datetime.datetime) -> str:
    if ticket.answered_at is not None:
        return "answered"
    if ticket.expires_at <= now:
        return "expired"
    return "open"


def answer(ticket: Ticket, rating: int, comment: str, now: datetime.datetime) -> Answer:
    appointment = ticket.appointment
    with transaction.atomic():
        claimed = Ticket.objects.filter(pk=ticket.pk, answered_at=None, expires_at__gt=now).update(
            answered_at=now
        )
        if not claimed:
            ticket.refresh_from_db()
            raise SurveyClosed(state(ticket, now))  # answered meanwhile, or expired
        return Answer.objects.create(
            unit_id=appointment.unit_id,
            service_id=appointment.service_id,
            official_id=appointment.official_id,
            meeting_day=appointment.start.astimezone(appointment.unit.zone).date(),
            rating=rating,
            comment=comment.strip(),
        )


def send_follow_ups(now: datetime.datetime) -> int:
    """E-mail the survey link once to each citizen who has not answered half an hour after the
    meeting. The ticket is claimed before sending, so no citizen gets it twice."""
    due = Ticket.objects.filter(
        answered_at=None,
        follow_up_sent_at=None,
        expires_at__gt=now,
        created_at__lte=now - datetime.timedelta(minutes=settings.SURVEY_FOLLOW_UP_AFTER_MINUTES),
    )
    sent = 0
    for ticket_id in list(due.values_list("pk", flat=True)):
        token = new_token()
        with transaction.atomic():
            # Re-checked at the claim: the citizen may have answered since the list was read.
            claimed = Ticket.objects.filter(
                pk=ticket_id, follow_up_sent_at=None, answered_at=None, expires_at__gt=now
            ).update(follow_up_sent_at=now, token_hash=hash_token(token))
            if not claimed:
                continue
            ticket = Ticket.objects.select_related("appointment__unit", "appointment__service").get(
                pk=ticket_id
            )
            appointment = ticket.appointment
            with translation.override(appointment.language):
                url = booking.absolute_url(reverse("surveys:answer", args=[token]))
                outbox.queue(
                    to=[appointment.email],
                    template="surveys/emails/follow-up",
                    context={
                        "appointment": appointment,
                        "url": url,
                        "days": settings.SURVEY_VALID_DAYS,
                    },
                    reference=f"appointment:{appointment.pk}:survey",
                    now=now,
                    reply_to=appointment.unit.email,
                )
        sent += 1
    logger.info("survey_follow_ups_sent", extra={"count": sent})
    return sent


def forget_old_comments(now: datetime.datetime) -> int:
    """Blank comments SURVEY_KEEP_COMMENTS_DAYS after the meeting's day; the rating stays."""
    today = timezone.localdate(now)
    cutoff = today - datetime.timedelta(days=settings.SURVEY_KEEP_COMMENTS_DAYS)
    return Answer.objects.filter(meeting_day__lte=cutoff).exclude(comment="").update(comment="")
