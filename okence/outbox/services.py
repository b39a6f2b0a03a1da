"""Queueing and delivering e-mail. The public API of the outbox app."""

import datetime
import logging
import smtplib
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string

from okence.outbox import outage
from okence.outbox.models import Email
from okence.outbox.signals import email_delayed

logger = logging.getLogger(__name__)


def render(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of the e-mail template triplet ``<template>-subject.txt`` etc."""
    subject = render_to_string(f"{template}-subject.txt", context).strip()
    subject = " ".join(subject.split())
    return (
        subject,
        render_to_string(f"{template}-body.txt", context),
        render_to_string(f"{template}-body.html", context),
    )


def queue(
    *,
    to: list[str],
    template: str,
    context: dict,
    now: datetime.datetime,
    reference: str = "",
    attachments: list[dict] | None = None,
    not_before: datetime.datetime | None = None,
    reply_to: str = "",
) -> Email:
    """Store a message and ask the background jobs to deliver it once the transaction commits
    (or, with ``not_before``, once that time has come).

    ``reply_to``: where an answer goes, e.g. the unit's address for a message about an
    appointment; nobody reads the sender's mailbox.
    """
    subject, text, html = render(template, context)
    email = Email.objects.create(
        to=to,
        subject=subject,
        reply_to=reply_to,
        message_id=make_msgid(domain=site_domain()),
        body_text=text,
        body_html=html,
        attachments=attachments or [],
        reference=reference,
        next_attempt_at=max(now, not_before or now),
        created_at=now,
    )
    from okence.outbox import tasks

    transaction.on_commit(lambda: tasks.deliver_email(email.pk))
    return email


def site_domain() -> str:
    """The site's own host name, from SITE_URL (not the host's name, which Django would use)."""
    return urlsplit(settings.SITE_URL).hostname


def as_message(email: Email) -> EmailMultiAlternatives:
    """The message as sent: every header Okence sets on its e-mail is set here."""
    message = EmailMultiAlternatives(
        email.subject,
        email.body_text,
        settings.DEFAULT_FROM_EMAIL,
        email.to,
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={
            "Message-ID": email.message_id or make_msgid(domain=site_domain()),
            # RFC 3834: sent by a machine, so out-of-office and other automatic replies stay
            # silent; Exchange and Outlook heed only their own header.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
        },
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        if attachment.get("alternative"):
            # A calendar invitation: shown as one more form of the message (which is how mail
            # programs recognise an invitation) and also attached as a file to import by hand.
            message.attach_alternative(attachment["content"], attachment["mimetype"])
            message.attach(attachment["filename"], attachment["content"], "application/ics")
        else:
            message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return message


# Errors that concern one message, not the server: retried on the message's own schedule.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def deliver(email_id: int, now: datetime.datetime) -> bool:
    """Try to send one pending message; on failure, schedule the next attempt. True if sent.

    Claimed with a conditional update so that two workers never send the same message twice.
    While the mail server is known to be down, the message waits for it without a try.
    """
    down = outage.current(now)
    if down is not None:
        _wait_out(Email.objects.filter(pk=email_id), down, now)
        return False
    claim_until = now + datetime.timedelta(minutes=5)  # a crashed worker's claim lapses
    claimed = Email.objects.filter(
        pk=email_id, status=Email.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=claim_until)
    if not claimed:
        return False
    email = Email.objects.get(pk=email_id)
    try:
        mailers.default.send_messages([as_message(email)])
    except MESSAGE_ERRORS as error:  # e.g. a mailbox that is full for now: retry this one later
        _record_failure(email, error, now, permanent=False)
        return False
    except OSError as error:  # unreachable, silent or hung up (SMTPException is an OSError)
        down = outage.record_failure(error, now)
        _record_failure(email, error, now, permanent=False, not_before=down.until)
        return False
    except ValueError as error:  # a message no server will ever take, e.g. a malformed address
        _record_failure(email, error, now, permanent=True)
        return False
    outage.record_success()
    Email.objects.filter(pk=email_id).update(
        status=Email.Status.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=""
    )
    return True


def _record_failure(
    email: Email,
    error: Exception,
    now: datetime.datetime,
    *,
    permanent: bool,
    not_before: datetime.datetime | None = None,
):
    delays = settings.EMAIL_RETRY_DELAYS
    attempts = email.attempts + 1
    gave_up = permanent or attempts > len(delays) or email.created_at <= _given_up_before(now)
    retry_at = now + datetime.timedelta(seconds=delays[min(attempts, len(delays)) - 1])
    retry_at = max(retry_at, not_before or retry_at)
    Email.objects.filter(pk=email.pk).update(
        attempts=F("attempts") + 1,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        status=Email.Status.FAILED if gave_up else Email.Status.PENDING,
        next_attempt_at=retry_at,
    )
    if not gave_up:
        email_delayed.send(Email, email_id=email.pk, retry_at=retry_at, now=now)
    logger.warning(
        "email_delivery_failed",
        extra={"email_id": email.pk, "attempt": attempts, "error": str(error), "gave_up": gave_up},
    )


def _wait_out(emails, down: outage.Outage, now: datetime.datetime) -> None:
    """Due messages wait for the end of the server's outage; it costs them no attempt.

    One that has waited longer than its whole retry schedule fails, as if it had been tried.
    """
    due = emails.filter(status=Email.Status.PENDING, next_attempt_at__lte=now)
    due.filter(created_at__lte=_given_up_before(now)).update(
        status=Email.Status.FAILED, last_error=down.error
    )
    due.filter(last_error="").update(last_error=down.error)
    waiting = list(due.values_list("pk", flat=True))
    due.filter(pk__in=waiting).update(next_attempt_at=down.until)
    for pk in waiting:  # e.g. a booking keeps the hold until the code could arrive
        email_delayed.send(Email, email_id=pk, retry_at=down.until, now=now)


def _given_up_before(now: datetime.datetime) -> datetime.datetime:
    """Messages created before this are past their whole retry schedule: they fail for good."""
    return now - datetime.timedelta(seconds=sum(settings.EMAIL_RETRY_DELAYS))


def deliver_due(now: datetime.datetime) -> int:
    """Send every pending message whose time has come; the number sent."""
    due = Email.objects.filter(status=Email.Status.PENDING, next_attempt_at__lte=now)
    sent = 0
    for pk in due.order_by("next_attempt_at", "pk").values_list("pk", flat=True):
        down = outage.current(now)
        if down is not None:  # the server went down during this round: the rest wait for it
            _wait_out(due, down, now)
            break
        sent += deliver(pk, now)
    return sent


def is_delayed(reference: str) -> bool:
    """Whether the newest message about this reference failed once and waits for a retry."""
    email = Email.objects.filter(reference=reference).order_by("-created_at", "-pk").first()
    return email is not None and email.delayed


def gave_up(reference: str) -> bool:
    """Whether the newest message about this reference could not be delivered at all."""
    email = Email.objects.filter(reference=reference).order_by("-created_at", "-pk").first()
    return email is not None and email.status == Email.Status.FAILED


def forget_delivered(now: datetime.datetime) -> int:
    """Delete delivered messages after OUTBOX_KEEP_SENT_HOURS, and ones that failed for good
    after OUTBOX_KEEP_FAILED_DAYS: their bodies hold codes, meeting links and personal data."""
    sent = Email.objects.filter(
        status=Email.Status.SENT,
        sent_at__lte=now - datetime.timedelta(hours=settings.OUTBOX_KEEP_SENT_HOURS),
    )
    failed = Email.objects.filter(
        status=Email.Status.FAILED,
        created_at__lte=now - datetime.timedelta(days=settings.OUTBOX_KEEP_FAILED_DAYS),
    )
    return sent.delete()[0] + failed.delete()[0]
