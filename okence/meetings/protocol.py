"""The WebSocket messages clients may send, checked strictly before anything acts on them.

Every message is a JSON object with a ``type``; anything else, or any field out of shape, is a
ProtocolError and closes that one socket.
"""

import json
import re
import uuid
from dataclasses import dataclass


class ProtocolError(ValueError):
    pass


@dataclass(frozen=True)
class Message:
    type: str
    data: dict


def _text(value, *, max_length: int, required: bool = True, strip: bool = True) -> str:
    """A string within limits; people's text is trimmed, machine text (SDP) kept byte for byte."""
    if not isinstance(value, str):
        raise ProtocolError("text expected")
    if strip:
        value = value.strip()
    if (required and not value.strip()) or len(value) > max_length:
        raise ProtocolError("text length")
    return value


def _optional_text(value, max_length: int) -> str | None:
    return None if value is None else _text(value, max_length=max_length, required=False)


def _appointment_id(value) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as error:
        raise ProtocolError("id") from error


def _signal(data: dict) -> dict:
    if "description" in data:
        description = data["description"]
        if not isinstance(description, dict) or description.get("type") not in ("offer", "answer"):
            raise ProtocolError("description")
        return {
            "description": {
                "type": description["type"],
                "sdp": _text(description.get("sdp"), max_length=60_000, strip=False),
            }
        }
    if "candidate" in data:
        candidate = data["candidate"]
        if candidate is None:  # the end of candidates
            return {"candidate": None}
        if not isinstance(candidate, dict):
            raise ProtocolError("candidate")
        index = candidate.get("sdpMLineIndex")
        if index is not None and (not isinstance(index, int) or not 0 <= index < 64):
            raise ProtocolError("sdpMLineIndex")
        return {
            "candidate": {
                "candidate": _text(
                    candidate.get("candidate", ""), max_length=2_000, required=False, strip=False
                ),
                "sdpMid": _optional_text(candidate.get("sdpMid"), 64),
                "sdpMLineIndex": index,
                "usernameFragment": _optional_text(candidate.get("usernameFragment"), 256),
            }
        }
    raise ProtocolError("signal")


SHAPES = {
    "ping": lambda data: {},
    "knock": lambda data: {"name": _text(data.get("name"), max_length=80)},
    "chat": lambda data: {"text": _text(data.get("text"), max_length=1_000)},
    "notice": lambda data: {
        "text": _text(data.get("text"), max_length=500),
        "id": _appointment_id(data.get("id")),
    },
    "admit": lambda data: {"id": _appointment_id(data.get("id"))},
    "turn_away": lambda data: {"id": _appointment_id(data.get("id"))},
    "end": lambda data: {"id": _appointment_id(data.get("id"))},
    "signal": _signal,
    "media": lambda data: {"audio": bool(data.get("audio")), "video": bool(data.get("video"))},
}


# The deepest message is a signal's candidate: {"candidate": {...}}; a few levels to spare. A
# frame nested deeper is refused before parsing: json recurses once per level, and a 64 KiB
# frame of brackets would exhaust the stack (a RecursionError, which is no ValueError).
MAX_DEPTH = 6
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_INNERMOST = re.compile(r"\[\]|\{\}")


def shallow(raw: str) -> bool:
    """Whether the frame's arrays and objects (outside strings) are balanced and nest at most
    MAX_DEPTH deep: each pass removes the innermost level, all of it in C."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", raw))
    for _ in range(MAX_DEPTH):
        brackets, removed = _INNERMOST.subn("", brackets)
        if not removed:
            break
    return not brackets


def parse(raw: str) -> Message:
    if not shallow(raw):
        raise ProtocolError("nested too deeply or unbalanced")
    try:
        data = json.loads(raw)
    except (TypeError, ValueError) as error:
        raise ProtocolError("not JSON") from error
    if not isinstance(data, dict) or data.get("type") not in SHAPES:
        raise ProtocolError("unknown type")
    return Message(data["type"], SHAPES[data["type"]](data))
