"""Telling the room and the unit's consoles that an appointment changed (any worker, any process).

The channel layer carries these: in memory for the one embedded process, Redis at scale.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from okence.booking.models import Appointment
from okence.meetings.models import Room


def unit_group(unit_id: int) -> str:
    return f"unit.{unit_id}"


def room_group(appointment_id: int) -> str:
    return f"room.{appointment_id}"


def summary(appointment: Appointment, room: Room | None = None) -> dict:
    """What a console shows of one appointment (never the contact details)."""
    if room is None:
        room = Room.objects.filter(appointment=appointment).first()
    return {
        "id": str(appointment.public_id),
        "state": appointment.status,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "name": (room.display_name if room and room.display_name else appointment.name),
        "waiting_since": room.knocked_at.isoformat() if room and room.knocked_at else None,
        "connected": bool(room and room.citizen_connected(timezone.now())),
        # During the meeting, another device with the citizen's link asks to come in.
        "second_device": bool(room and room.second_device_connection),
        "official": appointment.official_id,
    }


def send(group: str, message: dict) -> None:
    async_to_sync(get_channel_layer().group_send)(group, message)


def send_to(connection: str, message: dict) -> None:
    """To one socket (a channel name), wherever it is served."""
    async_to_sync(get_channel_layer().send)(connection, message)


def changed(appointment: Appointment) -> None:
    """The unit's consoles and the room hear the new state; the official's side also gets the
    summary (the name the citizen shows, since when they wait), never the citizen's side."""
    about = summary(appointment)
    send(unit_group(appointment.unit_id), {"type": "console.appointment", "appointment": about})
    send(
        room_group(appointment.pk),
        {"type": "room.state", "state": appointment.status, "appointment": about},
    )
