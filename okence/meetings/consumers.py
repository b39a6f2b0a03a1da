"""WebSocket consumers: the meeting room (citizen and official) and the official's console.

They are thin: check the message's shape and the sender's right to send it, call a service,
relay. Every message is authorised by role and by the appointment's state on the server; see
docs/meeting-protocol.md for the messages.
"""

import json
import logging
import re
import time
from enum import IntEnum
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from okence.booking import services as booking
from okence.booking.models import Status
from okence.meetings import chat, events, services
from okence.meetings.exceptions import MeetingError, NotAllowed
from okence.meetings.protocol import ProtocolError, parse
from okence.offices.access import official_of
from okence.ratelimits import TokenBucket
from okence.tokens import hash_token, new_token

logger = logging.getLogger(__name__)


DEVICE_COOKIE = "okence_device"
DEVICE_COOKIE_AGE = 2 * 24 * 3600  # s; a meeting's link opens on one day only
DEVICE_SECRET = re.compile(r"[A-Za-z0-9_-]{32}")  # as new_token() makes them


class Close(IntEnum):
    SERVER_ERROR = 1011  # a fault of ours: the page reconnects
    MALFORMED = 4400
    NOT_FOUND = 4404
    REPLACED = 4409
    ENDED = 4410
    TOO_LARGE = 4413
    FLOOD = 4429


class GuardedConsumer(AsyncWebsocketConsumer):
    """Size, shape and rate checks common to every socket; a bad socket is closed, alone."""

    handlers: dict[str, str] = {}

    async def websocket_connect(self, message):
        self.bucket = TokenBucket(
            settings.WEBSOCKET_MESSAGES_PER_SECOND,
            settings.WEBSOCKET_MESSAGE_BURST,
            time.monotonic(),
        )
        await super().websocket_connect(message)

    async def receive(self, text_data=None, bytes_data=None):
        # Whatever goes wrong, the socket is closed with a code and disconnect() runs (it clears
        # the connection's state); an exception escaping here would end the consumer silently,
        # leaving a ghost on the console.
        try:
            await self.handle_frame(text_data, bytes_data)
        except Exception:
            logger.exception("websocket_failed", extra={"path": self.scope["path"]})
            await self.close(code=Close.SERVER_ERROR)

    async def handle_frame(self, text_data, bytes_data):
        frame = text_data.encode() if text_data is not None else bytes_data or b""
        if len(frame) > settings.WEBSOCKET_MAX_MESSAGE_BYTES:
            await self.refuse(Close.TOO_LARGE)
            return
        if text_data is None:  # a binary frame is not JSON text
            await self.refuse(Close.MALFORMED)
            return
        if not self.bucket.take(time.monotonic()):
            await self.refuse(Close.FLOOD)
            return
        try:
            message = parse(text_data)
        except ProtocolError:
            await self.refuse(Close.MALFORMED)
            return
        handler = self.handlers.get(message.type)
        if handler is None:
            await self.send_json(
                {"type": "error", "code": NotAllowed.code, "message": str(NotAllowed.message)}
            )
            return
        try:
            await getattr(self, handler)(message.data)
        except MeetingError as refusal:
            await self.send_json({"type": "error", "code": refusal.code, "message": str(refusal)})

    async def refuse(self, code: Close) -> None:
        logger.info("websocket_refused", extra={"code": int(code), "path": self.scope["path"]})
        await self.close(code=code)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content))

    async def ping(self, data):
        await self.send_json({"type": "pong"})


# A page names itself with ?page=<random id> on its socket's address, the same on every
# reconnection of that page and new with every page load.
PAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def page_of(scope) -> str:
    """The page id the socket's address gives, or "" (none, or not one)."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("page", [""])
    return values[0] if PAGE_ID.fullmatch(values[0]) else ""


class RoomConsumer(GuardedConsumer):
    """One participant's socket in the room of one appointment."""

    role = ""

    async def connect(self):
        self.page = page_of(self.scope)
        self.appointment = await self.find_appointment()
        if self.appointment is None or self.refused(self.appointment):
            await self.close()  # before accept: the handshake is refused, nothing is said
            return
        self.group = events.room_group(self.appointment.pk)
        self.state = self.appointment.status
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.joined()

    def refused(self, appointment) -> bool:
        return False

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.left()
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def to_room(self, kind: str, **content) -> None:
        await self.channel_layer.group_send(
            self.group, {"type": kind, "sender": self.channel_name, "role": self.role} | content
        )

    def in_call(self) -> bool:
        return self.state == Status.IN_MEETING

    async def relay_signal(self, data):
        if not self.in_call():
            raise NotAllowed
        await self.to_room("room.signal", signal=data)

    async def say(self, data):
        if not self.in_call():
            raise NotAllowed
        await database_sync_to_async(services.post)(
            self.appointment, self.role, data["text"], timezone.now()
        )

    async def ice(self) -> dict:
        return {
            "iceServers": services.ice_servers(self.appointment, self.role, timezone.now()),
            "iceTransportPolicy": settings.MEETING_ICE_TRANSPORT_POLICY,
        }

    # Events from the room's group.

    async def room_signal(self, event):
        if event["role"] != self.role and self.in_call():
            await self.send_json({"type": "signal"} | event["signal"])

    def listening(self) -> bool:
        """Whether this socket may hear the room at all (a citizen only while holding a place)."""
        return True

    async def room_chat(self, event):
        message = event["message"]
        if self.in_call() or (message["waiting_room"] and self.listening()):
            await self.send_json({"type": "chat", "message": message})

    async def room_folder(self, event):
        """The shared folder changed: the meeting page's panel reloads its list."""
        if self.in_call():
            await self.send_json({"type": "folder"})

    async def room_peer(self, event):
        if event["role"] == self.role or not (self.in_call() or self.role == "official"):
            return
        # The page tells the other side whether the same page is back (its socket reconnected,
        # e.g. when a web worker restarted: its call goes on) or a new one (a reload).
        page = {"page": event["page"]} if event.get("page") else {}
        await self.send_json(
            {"type": "peer", "role": event["role"], "present": event["present"]} | page
        )
        if event["present"] and event.get("reply", True) and await self.present():
            await self.to_room("room.peer", present=True, reply=False, page=self.page)

    async def room_state(self, event):
        previous, self.state = self.state, event["state"]
        self.summary = event.get("appointment")
        await self.state_changed(previous)


class CitizenConsumer(RoomConsumer):
    """The citizen, holding the meeting token: may knock; once admitted, may signal and chat.

    Each browser is told apart by a secret cookie of its own (set on its first socket's
    handshake, sent only to this meeting's socket): a reload or another tab of the admitted
    browser goes back in; another device during the meeting waits for the official.
    """

    role = "citizen"
    handlers = {"ping": "ping", "knock": "knock", "signal": "relay_signal", "chat": "say"}
    has_place = False
    second_device = False  # waiting, during the meeting, to be admitted instead of the first

    async def websocket_connect(self, message):
        self.device_secret = self.scope.get("cookies", {}).get(DEVICE_COOKIE, "")
        self.new_device = not DEVICE_SECRET.fullmatch(self.device_secret)
        if self.new_device:
            self.device_secret = new_token()
        await super().websocket_connect(message)

    async def accept(self, subprotocol=None, headers=None):
        headers = list(headers or [])
        if self.new_device:
            headers.append((b"set-cookie", self.device_cookie().encode()))
        await super().accept(subprotocol, headers)

    def device_cookie(self) -> str:
        cookie = SimpleCookie()
        cookie[DEVICE_COOKIE] = self.device_secret
        morsel = cookie[DEVICE_COOKIE]
        morsel["path"] = self.scope["path"]  # this meeting's socket only
        morsel["max-age"] = DEVICE_COOKIE_AGE
        morsel["httponly"] = True
        morsel["samesite"] = "Strict"
        morsel["secure"] = settings.HTTPS
        return morsel.OutputString()

    async def find_appointment(self):
        return await database_sync_to_async(booking.by_meeting_token)(
            self.scope["url_route"]["kwargs"]["token"]
        )

    def refused(self, appointment) -> bool:
        return services.refuses_sockets(appointment, timezone.now())

    async def ping(self, data):
        if self.has_place:
            await database_sync_to_async(services.heartbeat)(
                self.appointment, self.channel_name, timezone.now()
            )
        await super().ping(data)

    async def joined(self):
        now = timezone.now()
        await self.send_json(
            {
                "type": "hello",
                "role": self.role,
                "state": self.state,
                "phase": services.phase(self.appointment, now),
                "opens_at": services.opens_at(self.appointment).isoformat(),
            }
        )

    async def left(self):
        # A turned-away socket lost its place but is still the room's connection: release it too.
        released = await database_sync_to_async(services.leave)(self.appointment, self.channel_name)
        if released and self.has_place:
            await self.to_room("room.peer", present=False)

    async def present(self) -> bool:
        return self.in_call()

    def listening(self) -> bool:
        return self.has_place

    def in_call(self) -> bool:
        return self.has_place and self.state == Status.IN_MEETING

    async def knock(self, data):
        status = await database_sync_to_async(services.knock)(
            self.appointment,
            data["name"],
            self.channel_name,
            timezone.now(),
            device=hash_token(self.device_secret),
        )
        if status == services.SECOND_DEVICE:
            self.second_device = True
            await self.send_json(
                {"type": "state", "state": "waiting", "second_device": True, "messages": []}
            )
            return
        self.has_place, self.state = True, status
        await self.to_room("room.replaced")
        if status == Status.IN_MEETING:
            await self.admitted()
        else:
            await self.send_json(
                {
                    "type": "state",
                    "state": "waiting",
                    "messages": await self.waiting_room_messages(),
                }
            )

    async def waiting_room_messages(self) -> list[dict]:
        history = await database_sync_to_async(chat.history)(self.appointment.pk)
        return [message for message in history if message["waiting_room"]]

    async def admitted(self):
        await self.send_json(
            {
                "type": "state",
                "state": "admitted",
                "ice": await self.ice(),
                "messages": await database_sync_to_async(chat.history)(self.appointment.pk),
            }
        )
        await self.to_room("room.peer", present=True, page=self.page)

    async def room_second_device(self, event):
        """The official answered this device's request (sent to this socket alone)."""
        self.second_device = False
        if event["admitted"]:
            self.has_place, self.state = True, Status.IN_MEETING
            await self.admitted()
        else:
            await self.send_json({"type": "state", "state": "turned_away"})

    async def state_changed(self, previous):
        if self.second_device and self.state in (Status.COMPLETED, Status.NO_SHOW):
            self.second_device = False
            await self.send_json({"type": "state", "state": "ended"})
            await self.close(code=Close.ENDED)
        if not self.has_place:
            return
        if self.state == Status.IN_MEETING and previous != Status.IN_MEETING:
            await self.admitted()
        elif self.state == Status.CONFIRMED and previous == Status.WAITING:
            self.has_place = False  # turned away: a new knock and a new admission are needed
            await self.send_json({"type": "state", "state": "turned_away"})
        elif self.state in (Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED):
            await self.send_json({"type": "state", "state": "ended"})
            await self.close(code=Close.ENDED)

    async def room_replaced(self, event):
        if event["sender"] != self.channel_name and event["role"] == self.role and self.has_place:
            self.has_place = False
            await self.send_json({"type": "replaced"})
            await self.close(code=Close.REPLACED)


class OfficialConsumer(RoomConsumer):
    """The official in the room of an appointment of their unit: admits, signals, chats, ends."""

    role = "official"
    handlers = {
        "ping": "ping",
        "admit": "admit",
        "turn_away": "turn_away",
        "end": "end",
        "notice": "notice",
        "signal": "relay_signal",
        "chat": "say",
    }

    async def find_appointment(self):
        official = await database_sync_to_async(official_of)(self.scope["user"])
        self.official = official
        try:
            return await database_sync_to_async(services.appointment_for_official)(
                official, self.scope["url_route"]["kwargs"]["public_id"]
            )
        except NotAllowed:
            return None

    async def joined(self):
        await self.send_json(
            {
                "type": "hello",
                "role": self.role,
                "state": self.state,
                "phase": services.phase(self.appointment, timezone.now()),
                "ice": await self.ice(),
                "messages": await database_sync_to_async(chat.history)(self.appointment.pk),
                "appointment": await database_sync_to_async(events.summary)(self.appointment),
            }
        )
        await self.to_room("room.peer", present=True, page=self.page)

    async def left(self):
        await self.to_room("room.peer", present=False)

    async def present(self) -> bool:
        return True

    async def act(self, action) -> None:
        await database_sync_to_async(action)(self.appointment, self.official, timezone.now())

    async def admit(self, data):
        await self.act(services.admit)

    async def turn_away(self, data):
        await self.act(services.turn_away)

    async def end(self, data):
        await self.act(services.end)

    async def notice(self, data):
        await database_sync_to_async(services.post)(
            self.appointment, self.role, data["text"], timezone.now(), waiting_room=True
        )

    async def state_changed(self, previous):
        await self.send_json({"type": "state", "state": self.state, "appointment": self.summary})

    async def room_replaced(self, event):
        pass


class ConsoleConsumer(GuardedConsumer):
    """The official's console: today's appointments of their units, live; admit from the list."""

    handlers = {"ping": "ping", "admit": "admit", "turn_away": "turn_away", "notice": "notice"}

    async def connect(self):
        self.official = await database_sync_to_async(official_of)(self.scope["user"])
        if self.official is None:
            await self.close()
            return
        self.groups_joined = [
            events.unit_group(pk)
            for pk in await database_sync_to_async(
                lambda: list(self.official.units.values_list("pk", flat=True))
            )()
        ]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def appointment(self, data):
        if data["id"] is None:
            raise NotAllowed
        return await database_sync_to_async(services.appointment_for_official)(
            self.official, data["id"]
        )

    async def admit(self, data):
        appointment = await self.appointment(data)
        await database_sync_to_async(services.admit)(appointment, self.official, timezone.now())

    async def turn_away(self, data):
        appointment = await self.appointment(data)
        await database_sync_to_async(services.turn_away)(appointment, self.official, timezone.now())

    async def notice(self, data):
        appointment = await self.appointment(data)
        message = await database_sync_to_async(services.post)(
            appointment, "official", data["text"], timezone.now(), waiting_room=True
        )
        await self.send_json({"type": "notice_sent", "id": data["id"], "message": message})

    async def console_appointment(self, event):
        await self.send_json({"type": "appointment", "appointment": event["appointment"]})
