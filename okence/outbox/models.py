"""Outgoing e-mail, kept until delivered so that a mail server outage loses nothing."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from okence.redaction import redact


class Email(models.Model):
    """One message waiting for, or past, delivery by the background jobs."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")  # gave up after the last retry

    reference = models.CharField(
        _("reference"),
        max_length=100,
        db_index=True,
        blank=True,
        help_text=_("What the message is about, e.g. appointment:12:code."),
    )
    to = models.JSONField(_("to"))
    subject = models.CharField(_("subject"), max_length=250)
    reply_to = models.EmailField(_("reply to"), blank=True)
    # Made once when queued, so that every retry sends the same message: a recipient's mail
    # system tells a repeated delivery (after a timeout that hid a success) from a new one.
    message_id = models.CharField(_("Message-ID"), max_length=250, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    attachments = models.JSONField(
        _("attachments"), default=list, help_text=_("A list of {filename, content, mimetype}.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")

    def __str__(self) -> str:
        return redact(self.subject)  # a code e-mail's subject carries the code

    @property
    def delayed(self) -> bool:
        """A delivery failed, or waits out the mail server's outage; the next attempt is to come."""
        return self.status == self.Status.PENDING and bool(self.last_error)
