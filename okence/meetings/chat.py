"""The meeting chat: kept in the cache only while the meeting lasts, deleted when it ends.

Each message has its own key under a counter, so that two workers adding at once lose nothing.
"""

import datetime

from django.core.cache import cache

KEEP_SECONDS = 24 * 3600  # a safety net: the end of the meeting deletes the chat at once
MAX_MESSAGES = 500


def _counter(appointment_id: int) -> str:
    return f"chat:{appointment_id}:count"


def _message(appointment_id: int, number: int) -> str:
    return f"chat:{appointment_id}:{number}"


def add(
    appointment_id: int,
    sender: str,
    text: str,
    now: datetime.datetime,
    *,
    waiting_room: bool = False,
    kind: str = "text",
) -> dict:
    """Keep one message. ``kind`` "folder" stands for the shared folder's link, which each side's
    page shows with its own address, so that no token travels in the chat."""
    cache.add(_counter(appointment_id), 0, timeout=KEEP_SECONDS)
    number = cache.incr(_counter(appointment_id))
    message = {
        "id": number,
        "from": sender,
        "text": text,
        "at": now.isoformat(),
        "waiting_room": waiting_room,
        "kind": kind,
    }
    cache.set(_message(appointment_id, number), message, timeout=KEEP_SECONDS)
    return message


def history(appointment_id: int) -> list[dict]:
    count = cache.get(_counter(appointment_id)) or 0
    first = max(1, count - MAX_MESSAGES + 1)
    keys = [_message(appointment_id, number) for number in range(first, count + 1)]
    found = cache.get_many(keys)
    return [found[key] for key in keys if key in found]


def forget(appointment_id: int) -> None:
    count = cache.get(_counter(appointment_id)) or 0
    cache.delete_many([_message(appointment_id, n) for n in range(1, count + 1)])
    cache.delete(_counter(appointment_id))
