"""Every field of Okence's database that may hold personal data, how long it is kept, and the
periodic job that forgets it; and every other text field, with the reason it holds none.

A test reads the models of every installed app and fails on a text field that is in neither
list, so a new field cannot hold personal data without a rule for forgetting it. The same list
is the source for the privacy notice.
"""

from dataclasses import dataclass

from django.conf import settings as django_settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

DAYS, HOURS, MINUTES, SECONDS = 86400, 3600, 60, 1


@dataclass(frozen=True)
class Kept:
    """Fields that may hold personal data, the rule for how long, and the job that applies it."""

    fields: tuple[str, ...]  # "app_label.Model.field"
    how_long: str  # in words, with a %(SETTING)s placeholder for each setting that decides it
    forgotten_by: str  # the periodic job (dotted path of a huey task)
    settings: tuple[tuple[str, int], ...] = ()  # (setting's name, seconds in one of its units)

    def in_words(self) -> str:
        """How long, with the settings' actual values ("90 days"): the privacy notice shows
        what the code does, not what it once did."""
        values = {
            name: duration(getattr(django_settings, name) * unit) for name, unit in self.settings
        }
        return str(self.how_long) % values if values else str(self.how_long)


def duration(seconds: int) -> str:
    """A length of time in the largest whole unit: "90 days", "24 hours", "15 minutes"."""
    if seconds and seconds % DAYS == 0:
        count = seconds // DAYS
        return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}
    if seconds and seconds % HOURS == 0:
        count = seconds // HOURS
        return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}
    if seconds and seconds % MINUTES == 0:
        count = seconds // MINUTES
        return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}


PERSONAL_DATA = (
    Kept(
        fields=(
            "booking.Appointment.name",
            "booking.Appointment.email",
            "booking.Appointment.phone",
            "booking.Appointment.notes",
            "booking.Appointment.official_note",
            "booking.Appointment.cancel_reason",
            "meetings.Room.display_name",
            "exchange.FileEvent.file_name",
            "exchange.FileEvent.detail",
        ),
        how_long=_(
            "A booking's contact details and notes, the official's note about it, the reason "
            "given for cancelling it, the name shown in the meeting and the names of exchanged "
            "files in the folder's records: %(BOOKING_KEEP_PERSONAL_DAYS)s after the meeting's "
            "end; of a time held but never confirmed, a day."
        ),
        forgotten_by="okence.booking.tasks.forget_personal_data",
        settings=(("BOOKING_KEEP_PERSONAL_DAYS", DAYS),),
    ),
    Kept(
        fields=("booking.VerificationCode.email", "booking.VerificationCode.code_hash"),
        how_long=_("The address a code was sent to, for the sending limits: a day."),
        forgotten_by="okence.booking.tasks.forget_personal_data",
    ),
    Kept(
        fields=(
            "exchange.SharedFile.name",
            "exchange.SharedFile.stored_name",
            "exchange.SharedFile.content_type",
            "exchange.SharedFile.sha256",
            "exchange.Upload.uploader",
        ),
        how_long=_(
            "Exchanged files: %(EXCHANGE_GRACE_MINUTES)s after the meeting's end (or after "
            "the meeting closes if it was never ended). An upload under way names the "
            "uploader's address (IPv6: its /64) until it ends, at most "
            "%(EXCHANGE_UPLOAD_SECONDS)s."
        ),
        forgotten_by="okence.exchange.tasks.purge_folders",
        settings=(("EXCHANGE_GRACE_MINUTES", MINUTES), ("EXCHANGE_UPLOAD_SECONDS", SECONDS)),
    ),
    Kept(
        fields=(
            "outbox.Email.to",
            "outbox.Email.subject",
            "outbox.Email.body_text",
            "outbox.Email.body_html",
            "outbox.Email.attachments",
            "outbox.Email.last_error",
            "outbox.Email.reference",
            "outbox.Email.reply_to",
            "outbox.Email.message_id",
        ),
        how_long=_(
            "Outgoing e-mail: until delivered, then %(OUTBOX_KEEP_SENT_HOURS)s; one that could "
            "not be delivered, %(OUTBOX_KEEP_FAILED_DAYS)s."
        ),
        forgotten_by="okence.outbox.tasks.forget_delivered_emails",
        settings=(("OUTBOX_KEEP_SENT_HOURS", HOURS), ("OUTBOX_KEEP_FAILED_DAYS", DAYS)),
    ),
    Kept(
        fields=("meetings.ChatMessage.text",),
        how_long=_(
            "The meeting's chat: until the official ends the meeting, or at the latest an hour "
            "after the meeting closes."
        ),
        forgotten_by="okence.meetings.tasks.forget_closed_chats",
    ),
    Kept(
        fields=("ratelimits.Counter.bucket",),
        how_long=_(
            "Counts of sign-in attempts, holds and codes per client address (IPv6: per /64) and "
            "per hashed account name: until their window is over, at most a day."
        ),
        forgotten_by="okence.ratelimits.tasks.forget_spent_windows",
    ),
    Kept(
        fields=("surveys.Answer.comment",),
        how_long=_(
            "Survey comments (not linked to any person, but free text): "
            "%(SURVEY_KEEP_COMMENTS_DAYS)s after the meeting's day."
        ),
        forgotten_by="okence.surveys.tasks.forget_old_comments",
        settings=(("SURVEY_KEEP_COMMENTS_DAYS", DAYS),),
    ),
    Kept(
        fields=("sessions.Session.session_key", "sessions.Session.session_data"),
        how_long=_(
            "Staff sign-in sessions: until they expire, %(SESSION_COOKIE_AGE)s after signing in."
        ),
        forgotten_by="okence.server.tasks.clear_expired_sessions",
        settings=(("SESSION_COOKIE_AGE", SECONDS),),
    ),
    Kept(
        fields=(
            "legal.AccessibilityFeedback.name",
            "legal.AccessibilityFeedback.email",
            "legal.AccessibilityFeedback.page",
            "legal.AccessibilityFeedback.message",
        ),
        how_long=_(
            "Reports of accessibility problems (the name, e-mail address, page and "
            "description given): %(LEGAL_KEEP_FEEDBACK_DAYS)s after they were sent."
        ),
        forgotten_by="okence.legal.tasks.forget_old_feedback",
        settings=(("LEGAL_KEEP_FEEDBACK_DAYS", DAYS),),
    ),
)

# Text fields that hold no personal data of citizens, each with the reason. A model's name alone
# exempts all of its text fields.
NOT_PERSONAL = {
    "offices.Unit": "the public facts of an administrative unit",
    "offices.Service": "the public description of a service",
    "offices.Closure.reason": "why a unit is closed on a day, entered by its staff",
    "offices.Leave.reason": (
        "a word on a member of staff's absence (leave, sick days), entered by the unit's "
        "administrator; no citizen's data, kept while the staff account is"
    ),
    "auth.User": (
        "staff accounts, kept while the person works for the unit and removed by an "
        "administrator; citizens have no account"
    ),
    "auth.Group": "names of staff roles",
    "auth.Permission": "names of permissions",
    "contenttypes.ContentType": "names of models",
    "admin.LogEntry": (
        "staff changes made in the administration; an appointment is named there by its "
        "service and time (Appointment.__str__), never by the citizen"
    ),
    "booking.Appointment.status": "a state",
    "booking.Appointment.language": "the language of the e-mails, one of the site's languages",
    "booking.Appointment.hold_token_hash": "SHA-256 of a random token: identifies no one",
    "booking.Appointment.meeting_token_hash": "SHA-256 of a random token: identifies no one",
    "booking.Appointment.manage_token_hash": "SHA-256 of a random token: identifies no one",
    "meetings.CalendarFeed.token_hash": "SHA-256 of a random token: identifies no one",
    "meetings.Room.citizen_connection": "the name of a server-side channel while connected",
    "meetings.Room.citizen_device": "digest of a random secret cookie of the admitted browser",
    "meetings.Room.second_device": "digest of a random secret cookie of another browser",
    "meetings.Room.second_device_connection": "the name of a server-side channel while connected",
    "meetings.ChatMessage.sender": "which side wrote: citizen or official",
    "meetings.ChatMessage.kind": "a text or the shared folder's link",
    "exchange.FileEvent.action": "what happened",
    "exchange.FileEvent.actor": "which side acted: citizen or official",
    "exchange.SharedFile.uploaded_by": "which side uploaded: citizen or official",
    "booking.ReminderLinks.meeting_token_hash": "SHA-256 of a random token: identifies no one",
    "booking.ReminderLinks.manage_token_hash": "SHA-256 of a random token: identifies no one",
    "surveys.Ticket.token_hash": "SHA-256 of a random token: identifies no one",
    "outbox.Email.status": "a state",
    "otp_totp.TOTPDevice": (
        "a member of staff's authenticator-app secret and its device name; citizens have none"
    ),
    "legal.AccessibilityFeedback.language": "the language of the form, one of the site's",
    "audit.AuditEvent.action": "what a member of staff did (no content; kept AUDIT_KEEP_DAYS)",
}
