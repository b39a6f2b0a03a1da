"""Who may enter a folder: the citizen by the meeting token, an official of the unit by sign-in.

Everything else gets the same "not found", whether the folder exists or not.
"""

from dataclasses import dataclass

from django.urls import reverse

from okence.booking import services as booking
from okence.booking.models import Appointment
from okence.exchange.models import Role, SharedFolder
from okence.exchange.services import Visitor
from okence.meetings import services as meetings
from okence.meetings.exceptions import NotAllowed
from okence.offices.access import official_of


@dataclass(frozen=True)
class Access:
    appointment: Appointment
    folder: SharedFolder | None
    visitor: Visitor
    key: str  # the token or the public id, as it appears in this visitor's addresses

    @property
    def socket_path(self) -> str:
        """The folder's live-update socket (WebSocket paths carry no language prefix)."""
        if self.visitor.role == Role.CITIZEN:
            return f"/ws/mapa/{self.key}/"
        return f"/ws/uradnik/mapa/{self.key}/"

    def url(self, name: str, *args) -> str:
        prefix = "exchange:citizen_" if self.visitor.role == Role.CITIZEN else "exchange:official_"
        return reverse(prefix + name, args=[self.key, *args])


def _folder(appointment: Appointment) -> SharedFolder | None:
    return SharedFolder.objects.filter(appointment=appointment).first()


def for_citizen(token: str) -> Access | None:
    appointment = booking.by_meeting_token(token)
    if appointment is None:
        return None
    return Access(appointment, _folder(appointment), Visitor(Role.CITIZEN), token)


def for_official(user, public_id) -> Access | None:
    official = official_of(user)
    try:
        appointment = meetings.appointment_for_official(official, public_id)
    except NotAllowed:
        return None
    return Access(appointment, _folder(appointment), Visitor(Role.OFFICIAL, user), str(public_id))
