"""The room of an appointment: who is in the waiting room, since when, and how the meeting went.

The appointment's status says where the meeting stands (confirmed → waiting → in_meeting →
completed); the room keeps what the meeting itself needs: the name the citizen shows, the times
of each step (for the console and, later, the statistics) and which browser tab holds the
citizen's place, so that a second tab is handled clearly.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from okence.booking.models import Appointment


class Room(models.Model):
    appointment = models.OneToOneField(
        Appointment, models.CASCADE, related_name="room", verbose_name=_("appointment")
    )
    display_name = models.CharField(_("name shown"), max_length=80, blank=True)
    # A channel name: up to 100 characters (the Redis layer's are 74).
    citizen_connection = models.CharField(max_length=100, blank=True, editable=False)
    first_knocked_at = models.DateTimeField(_("first entered the waiting room"), null=True)
    knocked_at = models.DateTimeField(_("in the waiting room since"), null=True)
    admitted_at = models.DateTimeField(_("admitted"), null=True)
    turned_away_at = models.DateTimeField(_("turned away"), null=True)
    ended_at = models.DateTimeField(_("ended"), null=True)

    class Meta:
        verbose_name = _("meeting room")
        verbose_name_plural = _("meeting rooms")

    def __str__(self) -> str:
        return f"room of appointment {self.appointment_id}"


class ChatMessage(models.Model):
    """One message of a meeting's chat. Kept while the meeting lasts, deleted when it ends.

    ``kind`` "folder" stands for the shared folder's link, which each side's page shows with its
    own address, so that no token travels in the chat.
    """

    appointment = models.ForeignKey(Appointment, models.CASCADE, related_name="chat_messages")
    sender = models.CharField(max_length=10)  # "citizen" or "official"
    text = models.TextField()
    at = models.DateTimeField()
    waiting_room = models.BooleanField(default=False)  # sent while the citizen was waiting
    kind = models.CharField(max_length=10, default="text")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"chat message {self.pk} of appointment {self.appointment_id}"
