"""The legal pages' rules: feedback on accessibility is stored, then sent to the organisation."""

import datetime

from django.conf import settings
from django.db import transaction

from okence import ratelimits
from okence.legal.models import AccessibilityFeedback
from okence.outbox import services as outbox


class TooMuchFeedback(Exception):
    """This address has sent LEGAL_FEEDBACK_PER_ADDRESS_PER_HOUR reports this hour."""


def send_feedback(
    feedback: AccessibilityFeedback, *, client: str, language: str, now: datetime.datetime
) -> AccessibilityFeedback:
    """Store the report and queue its e-mail to the accessibility contact, in one transaction:
    the report is kept even if the e-mail cannot be delivered. The reporter's address is the
    reply-to, so that the organisation answers them directly."""
    if not ratelimits.hit(
        f"legal-feedback:{client}",
        limit=settings.LEGAL_FEEDBACK_PER_ADDRESS_PER_HOUR,
        window_seconds=3600,
        now=now.timestamp(),
    ):
        raise TooMuchFeedback
    with transaction.atomic():
        feedback.language, feedback.created_at = language, now
        feedback.save()
        outbox.queue(
            to=[settings.ACCESSIBILITY_CONTACT_EMAIL],
            template="legal/emails/feedback",
            context={"feedback": feedback, "organisation": settings.ORGANISATION_NAME},
            now=now,
            reference=f"accessibility-feedback:{feedback.pk}",
            reply_to=feedback.email,
        )
    return feedback


def forget_old_feedback(now: datetime.datetime) -> int:
    """Delete reports older than LEGAL_KEEP_FEEDBACK_DAYS; how many."""
    cutoff = now - datetime.timedelta(days=settings.LEGAL_KEEP_FEEDBACK_DAYS)
    return AccessibilityFeedback.objects.filter(created_at__lte=cutoff).delete()[0]
