"""The room of an appointment: who is in the waiting room, since when, and how the meeting went.

The appointment's status says where the meeting stands (confirmed → waiting → in_meeting →
completed); the room keeps what the meeting itself needs: the name the citizen shows, the times
of each step (for the console and, later, the statistics) and which browser tab of which device
holds the citizen's place, so that a second tab is handled clearly and a second device (someone
else with the link, perhaps) only comes in when the official admits it.
"""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okence.booking.models import Appointment

# The meeting page pings every 20 s; after three missed pings its socket counts as gone.
SILENT_AFTER = datetime.timedelta(seconds=60)


class Room(models.Model):
    appointment = models.OneToOneField(
        Appointment, models.CASCADE, related_name="room", verbose_name=_("appointment")
    )
    display_name = models.CharField(_("name shown"), max_length=80, blank=True)
    # A channel name: up to 100 characters (the Redis layer's are 74).
    citizen_connection = models.CharField(max_length=100, blank=True, editable=False)
    # The citizen's socket's last heartbeat: a socket whose server died says nothing when it goes.
    citizen_seen_at = models.DateTimeField(null=True, editable=False)
    # Which browser holds the citizen's place: the digest of a secret cookie of that device. In
    # the meeting, another device with the link must be admitted again, and the place stays
    # with the first until it is; its request is kept here meanwhile.
    citizen_device = models.CharField(max_length=64, blank=True, editable=False)
    second_device = models.CharField(max_length=64, blank=True, editable=False)
    second_device_connection = models.CharField(max_length=100, blank=True, editable=False)
    second_device_since = models.DateTimeField(_("second device waiting since"), null=True)
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

    @property
    def connected_now(self) -> bool:
        return self.citizen_connected(timezone.now())

    def citizen_connected(self, now: datetime.datetime) -> bool:
        return bool(self.citizen_connection) and (
            self.citizen_seen_at is not None and now - self.citizen_seen_at < SILENT_AFTER
        )


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
