"""Appointments and the e-mail codes that confirm them. Their states live in ``states``."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from okence.booking.states import Status
from okence.offices.models import Official, Service, Unit
from okence.outbox.models import Email


class Appointment(models.Model):
    """A citizen's time with an official for one service.

    It starts life as a ``held`` slot when the citizen clicks Rezerviraj, becomes ``confirmed``
    with the right e-mailed code, and otherwise expires with the hold. Capabilities the citizen
    holds (the hold, the meeting and the manage link) are random tokens kept here only as hashes.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="appointments", verbose_name=_("unit")
    )
    service = models.ForeignKey(
        Service, models.PROTECT, related_name="appointments", verbose_name=_("service")
    )
    official = models.ForeignKey(
        Official, models.PROTECT, related_name="appointments", verbose_name=_("official")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.HELD
    )

    name = models.CharField(_("full name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30)
    notes = models.TextField(_("notes"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=5, default="sl")
    # The official's own, after the meeting (a case reference); never shown to the citizen.
    official_note = models.TextField(_("official's note"), max_length=2000, blank=True)
    # Why the office cancelled (the official's reason, the unit's message); the citizen read it
    # in the cancellation e-mail, the officials see it in the agenda.
    cancel_reason = models.TextField(_("reason for cancelling"), max_length=1000, blank=True)

    hold_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hold_expires_at = models.DateTimeField(_("hold expires"), null=True, blank=True)
    code_failures = models.PositiveSmallIntegerField(_("wrong codes entered"), default=0)
    # NULL until confirmed: unique, yet many unconfirmed rows may lack one.
    meeting_token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001, E501
    manage_token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001, E501
    invite_sequence = models.PositiveIntegerField(default=0, editable=False)
    # The start each reminder was claimed for: set when claimed, so that it goes out once per
    # time, and a moved appointment (another start) is reminded of its new time.
    first_reminder_for = models.DateTimeField(null=True, blank=True, editable=False)
    second_reminder_for = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("created"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # When the citizen last moved it to another time (``services.reschedule``): the same row,
    # so its links and its calendar UID stay, and its old links show the new time.
    moved_at = models.DateTimeField(_("moved"), null=True, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["official", "start"]), models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="appointment_start_before_end"
            ),
        ]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")

    def __str__(self) -> str:
        return f"{self.service.name}, {self.start:%Y-%m-%d %H:%M} UTC ({self.get_status_display()})"


class ReminderLinks(models.Model):
    """The meeting and manage links of one reminder e-mail, kept only as hashes.

    The links of the confirmation are known in the clear only when it is made, so each reminder
    carries links of its own; every one of them opens the same appointment, and all stay valid.
    """

    appointment = models.ForeignKey(Appointment, models.CASCADE, related_name="reminder_links")
    meeting_token_hash = models.CharField(max_length=64, unique=True)
    manage_token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reminder links of appointment {self.appointment_id}"


class VerificationCode(models.Model):
    """A 6-digit code sent to confirm the e-mail address of a held appointment.

    Only a keyed hash of the code is stored. Wrong tries are counted on the appointment, so a new
    code does not give a guesser a fresh set of tries. A code asked for past its address's hourly
    limit is recorded but never sent (``sends_at`` is empty), so that the hold's own page answers
    the same whether or not its address was used.
    """

    appointment = models.ForeignKey(Appointment, models.CASCADE, related_name="codes")
    email = models.EmailField(db_index=True)  # lower-cased, for the per-address sending limits
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)  # when it was asked for
    sends_at = models.DateTimeField(null=True, blank=True)  # a minute after the address's last
    message = models.ForeignKey(
        Email, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"code for appointment {self.appointment_id}, sent {self.created_at:%Y-%m-%d %H:%M}"
