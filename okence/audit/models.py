"""The audit log: what members of staff did, when, for which unit and appointment. No content."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    SIGNED_IN = "signed_in", _("signed in")
    SIGNED_OUT = "signed_out", _("signed out")
    ADMITTED = "admitted", _("admitted to the meeting")
    TURNED_AWAY = "turned_away", _("turned away")
    ENDED = "ended", _("ended the meeting")
    CANCELLED = "cancelled", _("cancelled the appointment")
    MOVED = "moved", _("moved the appointment")
    NO_SHOW = "no_show", _("marked as a no-show")
    NOTE_WRITTEN = "note_written", _("wrote a note")
    FILE_DOWNLOADED = "file_downloaded", _("downloaded a file")
    EXPORT_DOWNLOADED = "export_downloaded", _("downloaded an export")
    HOURS_CHANGED = "hours_changed", _("changed working hours")
    LEAVE_CHANGED = "leave_changed", _("changed leave or closures")
    SERVICES_CHANGED = "services_changed", _("changed services")
    UNIT_CHANGED = "unit_changed", _("changed the unit's names")
    STAFF_INVITED = "staff_invited", _("invited a member of staff")
    STAFF_DEACTIVATED = "staff_deactivated", _("deactivated a member of staff")
    PASSWORD_RESET = "password_reset", _("asked for a password reset")
    SECOND_FACTOR_CHANGED = "second_factor_changed", _("changed the second factor")
    CALENDAR_FEED_CHANGED = "calendar_feed_changed", _("changed the calendar feed")


class AuditEvent(models.Model):
    """One staff action. Written only through ``okence.audit.record``; never edited. Kept
    AUDIT_KEEP_DAYS (one year by default), then removed by the retention job."""

    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    unit = models.ForeignKey(
        "offices.Unit", models.SET_NULL, null=True, related_name="+", verbose_name=_("unit")
    )
    appointment = models.ForeignKey(
        "booking.Appointment",
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("appointment"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("member of staff concerned"),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
