"""The meeting chat: kept in the database while the meeting lasts, deleted when it ends.

Every message is kept (a restart or a full cache once lost some): ``MAX_MESSAGES`` bounds a
meeting's chat only so that one participant cannot fill the disk or the history sent on joining.
"""

import datetime

from okence.meetings.exceptions import ChatFull
from okence.meetings.models import ChatMessage

MAX_MESSAGES = 2000


def _as_dict(message: ChatMessage) -> dict:
    return {
        "id": message.pk,
        "from": message.sender,
        "text": message.text,
        "at": message.at.astimezone(datetime.UTC).isoformat(),
        "waiting_room": message.waiting_room,
        "kind": message.kind,
    }


def add(
    appointment_id: int,
    sender: str,
    text: str,
    now: datetime.datetime,
    *,
    waiting_room: bool = False,
    kind: str = "text",
) -> dict:
    """Keep one message. ``kind`` "folder" stands for the shared folder's link."""
    # Two messages at once may both pass this count: the bound is loose by design.
    if ChatMessage.objects.filter(appointment_id=appointment_id).count() >= MAX_MESSAGES:
        raise ChatFull
    message = ChatMessage.objects.create(
        appointment_id=appointment_id,
        sender=sender,
        text=text,
        at=now,
        waiting_room=waiting_room,
        kind=kind,
    )
    return _as_dict(message)


def history(appointment_id: int) -> list[dict]:
    return [_as_dict(m) for m in ChatMessage.objects.filter(appointment_id=appointment_id)]


def forget(appointment_id: int) -> None:
    ChatMessage.objects.filter(appointment_id=appointment_id).delete()


def forget_all(appointments) -> int:
    """Delete the chats of these appointments (a queryset); how many messages."""
    return ChatMessage.objects.filter(appointment__in=appointments).delete()[0]
