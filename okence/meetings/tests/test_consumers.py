"""The meeting sockets through the whole ASGI stack (origin check, session, routing), in memory.

Every state transition and every refusal of docs/meeting-protocol.md, with the citizen, the
official and the console each on their own WebsocketCommunicator. The appointment starts five
minutes from the real now, so its room is open; the database is real (``transaction=True``)
because the consumers reach it from asgiref's worker thread.
"""

import contextlib
import datetime
import json

import pytest
import pytest_asyncio
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.utils import timezone

from okence.asgi import application
from okence.booking import services as booking
from okence.booking.models import Appointment, Status
from okence.conftest import make_appointment, session_cookie
from okence.meetings import chat, events
from okence.meetings.models import Room
from okence.tokens import new_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
# The secret cookies of the citizen's browsers (see CitizenConsumer), as new_token() makes them.
LAPTOP = "L" * 32
PHONE = "P" * 32
TIMEOUT = 2
OFFER = {"type": "signal", "description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 0.0.0.0"}}
ANSWER = {
    "type": "signal",
    "description": {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 0.0.0.0"},
}
CANDIDATE = {
    "type": "signal",
    "candidate": {
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "abcd",
    },
}


# The people and the appointments (``booked``, ``janez`` ...) are made by synchronous fixtures,
# before the test's loop runs.


async def signed_in(user) -> tuple[bytes, bytes]:
    """The Cookie header of a new signed-in session of ``user``."""
    return (b"cookie", (await sync_to_async(session_cookie)(user)).encode())


@pytest.fixture(autouse=True)
def _empty_channel_layer():
    """Groups live in the process's in-memory layer; no test hears another's."""
    yield
    async_to_sync(get_channel_layer().flush)()


class Sockets:
    """Opens the sockets of a test and closes whatever is left open at its end."""

    def __init__(self):
        self.opened: list[WebsocketCommunicator] = []

    def socket(self, path: str, headers=ORIGIN) -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(application, path, headers=list(headers))
        self.opened.append(communicator)
        return communicator

    async def connect(self, path: str, headers=ORIGIN) -> WebsocketCommunicator:
        communicator = self.socket(path, headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected, f"{path} refused"
        return communicator

    async def refused(self, path: str, headers=ORIGIN) -> bool:
        connected, _ = await self.socket(path, headers).connect(timeout=TIMEOUT)
        return not connected

    async def citizen(
        self, token: str, *, state: str = "confirmed", device: str = LAPTOP
    ) -> WebsocketCommunicator:
        """The citizen's socket from one browser (``device``: its secret cookie)."""
        cookie = (b"cookie", f"okence_device={device}".encode())
        citizen = await self.connect(f"/ws/sestanek/{token}/", ORIGIN + [cookie])
        hello = await expect(citizen, type="hello", role="citizen", state=state)
        assert set(hello) == {"type", "role", "state", "phase", "opens_at"}
        return citizen

    async def official(self, appointment, user, *, state="confirmed") -> WebsocketCommunicator:
        official = await self.connect(
            f"/ws/uradnik/sestanek/{appointment.public_id}/", ORIGIN + [await signed_in(user)]
        )
        await expect(official, type="hello", role="official", state=state, phase="open")
        return official

    async def console(self, user) -> WebsocketCommunicator:
        return await self.connect("/ws/uradnik/konzola/", ORIGIN + [await signed_in(user)])

    async def close_all(self):
        for communicator in self.opened:
            # A refused or already failed socket has nothing to close; the test said so.
            with contextlib.suppress(Exception):
                await communicator.disconnect(timeout=TIMEOUT)


@pytest_asyncio.fixture
async def sockets():
    opened = Sockets()
    yield opened
    await opened.close_all()
    # The consumers' queries ran in asgiref's one worker thread; its connection goes too.
    await sync_to_async(connections.close_all)()


# Helpers.


async def expect(socket: WebsocketCommunicator, **fields) -> dict:
    """The next message on the socket; it has these fields with these values."""
    message = await socket.receive_json_from(timeout=TIMEOUT)
    for key, value in fields.items():
        assert message.get(key) == value, f"{key}={value!r} expected in {message}"
    return message


async def expect_close(socket: WebsocketCommunicator, code: int) -> None:
    output = await socket.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": code}


async def nothing(*sockets: WebsocketCommunicator) -> None:
    """Nothing came to these sockets from what was done and answered so far.

    Waits on state, not on the clock: a consumer handles its socket and its channel-layer
    messages one at a time, and whatever another consumer sent it before answering is already
    in its channel, so it is handled before a ping sent now. The first thing back must be the
    pong; a message that should not have come arrives before it.
    """
    for socket in sockets:
        await send(socket, {"type": "ping"})
        assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}


async def send(socket: WebsocketCommunicator, message: dict) -> None:
    await socket.send_json_to(message)


async def forbidden(socket: WebsocketCommunicator, message: dict, code: str = "forbidden") -> None:
    await send(socket, message)
    await expect(socket, type="error", code=code)


@sync_to_async
def status_of(appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


@sync_to_async
def room_of(appointment) -> Room:
    return Room.objects.get(appointment=appointment)


@sync_to_async
def chat_of(appointment) -> list[dict]:
    return chat.history(appointment.pk)


async def knock(citizen: WebsocketCommunicator, name: str = "Rajko") -> dict:
    await send(citizen, {"type": "knock", "name": name})
    return await expect(citizen, type="state", state="waiting")


async def waiting_meeting(sockets, booked, ana):
    """A citizen who knocked, and Ana's room socket that sees them waiting: (citizen, official)."""
    appointment, token = booked
    citizen = await sockets.citizen(token)
    await knock(citizen)
    official = await sockets.official(appointment, ana.user, state="waiting")
    return citizen, official


async def admitted_meeting(sockets, booked, ana):
    """A citizen admitted by Ana, both sockets quiet: (citizen, official)."""
    citizen, official = await waiting_meeting(sockets, booked, ana)
    await send(official, {"type": "admit"})
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=True)
    await expect(citizen, type="state", state="admitted")
    await expect(citizen, type="peer", role="official", present=True)
    await nothing(citizen, official)
    return citizen, official


# The citizen's way in.


async def test_the_citizen_is_greeted_with_the_state_and_the_phase(sockets, booked):
    appointment, token = booked
    citizen = await sockets.connect(f"/ws/sestanek/{token}/")
    hello = await citizen.receive_json_from(timeout=TIMEOUT)
    assert hello == {
        "type": "hello",
        "role": "citizen",
        "state": "confirmed",
        "phase": "open",
        "opens_at": (appointment.start - datetime.timedelta(minutes=10)).isoformat(),
    }


async def test_knock_waits_and_the_official_admits_with_ice(sockets, booked, ana, settings):
    settings.TURN_URLS = ["turn:turn.example.si:3478"]
    settings.TURN_SECRET = "coturn-secret"
    appointment, token = booked
    citizen = await sockets.citizen(token)
    waiting = await knock(citizen)
    assert waiting == {"type": "state", "state": "waiting", "messages": []}
    assert await status_of(appointment) == Status.WAITING

    official = await sockets.connect(
        f"/ws/uradnik/sestanek/{appointment.public_id}/", ORIGIN + [await signed_in(ana.user)]
    )
    hello = await expect(official, type="hello", role="official", state="waiting", phase="open")
    assert hello["messages"] == []
    assert hello["ice"]["iceServers"][0]["username"].endswith("-official")
    # The official's side knows the name shown and since when; never the contact details.
    assert hello["appointment"]["name"] == "Rajko"
    assert hello["appointment"]["waiting_since"] is not None
    assert "email" not in hello["appointment"] and "phone" not in hello["appointment"]
    await nothing(citizen)  # the official's presence is not news in the waiting room

    await send(official, {"type": "admit"})
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=True)
    admitted = await expect(citizen, type="state", state="admitted", messages=[])
    assert admitted["ice"]["iceTransportPolicy"] == "all"
    (turn,) = admitted["ice"]["iceServers"]
    assert turn["urls"] == ["turn:turn.example.si:3478"]
    assert turn["username"].endswith("-citizen")
    await expect(citizen, type="peer", role="official", present=True)
    assert await status_of(appointment) == Status.IN_MEETING
    await nothing(citizen, official)


async def test_a_knock_before_the_room_opens_is_refused(sockets, ana):
    later = timezone.now() + datetime.timedelta(minutes=60)
    appointment, token = await sync_to_async(make_appointment)(ana, start=later)
    citizen = await sockets.connect(f"/ws/sestanek/{token}/")
    await expect(citizen, type="hello", phase="not_open")
    await forbidden(citizen, {"type": "knock", "name": "Rajko"}, code="not_open")
    assert await status_of(appointment) == Status.CONFIRMED


# The meeting: signalling and chat both ways, only inside.


async def test_signals_and_chat_are_relayed_both_ways_in_the_meeting(sockets, booked, ana):
    citizen, official = await admitted_meeting(sockets, booked, ana)

    await send(official, OFFER)
    assert await citizen.receive_json_from(timeout=TIMEOUT) == OFFER
    await send(citizen, ANSWER)
    assert await official.receive_json_from(timeout=TIMEOUT) == ANSWER
    await send(citizen, CANDIDATE)
    assert await official.receive_json_from(timeout=TIMEOUT) == CANDIDATE
    await send(official, {"type": "signal", "candidate": None})
    assert await citizen.receive_json_from(timeout=TIMEOUT) == {
        "type": "signal",
        "candidate": None,
    }
    await nothing(citizen, official)  # nobody hears their own signals

    await send(citizen, {"type": "chat", "text": "Dober dan"})
    for socket in (citizen, official):
        message = (await expect(socket, type="chat"))["message"]
        assert message["from"] == "citizen"
        assert message["text"] == "Dober dan"
        assert message["waiting_room"] is False
    await send(official, {"type": "chat", "text": "Dober dan, izvolite."})
    for socket in (citizen, official):
        message = (await expect(socket, type="chat"))["message"]
        assert (message["from"], message["text"]) == ("official", "Dober dan, izvolite.")
    assert [m["text"] for m in await chat_of(booked[0])] == ["Dober dan", "Dober dan, izvolite."]


async def test_a_waiting_citizen_can_neither_signal_nor_chat(sockets, booked, ana):
    appointment, token = booked
    citizen = await sockets.citizen(token)
    official = await sockets.official(appointment, ana.user)
    for message in (OFFER, ANSWER, CANDIDATE, {"type": "chat", "text": "Halo?"}):
        await forbidden(citizen, message)  # before knocking
    await knock(citizen)
    await expect(official, type="state", state="waiting")
    for message in (OFFER, ANSWER, CANDIDATE, {"type": "chat", "text": "Halo?"}):
        await forbidden(citizen, message)  # in the waiting room
    await nothing(official)
    assert await chat_of(appointment) == []


async def test_only_the_meetings_sides_hear_that_the_folder_changed(sockets, booked, ana):
    """The bug (mutation testing): room_folder telling every socket of the room, or none; a
    waiting citizen, or a tab that never knocked, learns nothing of the meeting's folder."""
    appointment, token = booked
    citizen, official = await admitted_meeting(sockets, booked, ana)
    other_tab = await sockets.citizen(token, state="in_meeting")
    await get_channel_layer().group_send(events.room_group(appointment.pk), {"type": "room.folder"})
    assert await citizen.receive_json_from(timeout=TIMEOUT) == {"type": "folder"}
    assert await official.receive_json_from(timeout=TIMEOUT) == {"type": "folder"}
    await nothing(other_tab, citizen, official)


async def test_the_official_cannot_signal_or_chat_before_the_meeting(sockets, booked, ana):
    citizen, official = await waiting_meeting(sockets, booked, ana)
    await forbidden(official, OFFER)
    await forbidden(official, {"type": "chat", "text": "Halo?"})
    await nothing(citizen)


async def test_a_tab_that_did_not_knock_cannot_join_a_meeting_in_progress(sockets, booked, ana):
    citizen, official = await admitted_meeting(sockets, booked, ana)
    other_tab = await sockets.citizen(booked[1], state="in_meeting")
    await forbidden(other_tab, ANSWER)
    await forbidden(other_tab, {"type": "chat", "text": "Jaz sem tudi tu."})
    await nothing(official, citizen)
    await send(official, OFFER)  # and it overhears nothing
    assert await citizen.receive_json_from(timeout=TIMEOUT) == OFFER
    await send(official, {"type": "chat", "text": "Samo za vas."})
    await expect(citizen, type="chat")
    await expect(official, type="chat")
    await nothing(other_tab)


async def test_a_citizen_cannot_give_the_officials_orders(sockets, booked, ana):
    appointment, _ = booked
    citizen, official = await waiting_meeting(sockets, booked, ana)
    for message in (
        {"type": "admit"},
        {"type": "turn_away"},
        {"type": "end"},
        {"type": "notice", "text": "Sprejmite me."},
        {"type": "admit", "id": str(appointment.public_id)},
    ):
        await forbidden(citizen, message)
    await nothing(official)
    assert await status_of(appointment) == Status.WAITING
    assert await chat_of(appointment) == []


async def test_a_citizen_cannot_touch_another_appointment(sockets, booked, ana, marko):
    appointment, token = booked
    other, _ = await sync_to_async(make_appointment)(marko)
    citizen = await sockets.citizen(token)
    other_official = await sockets.official(other, marko.user)
    await knock(citizen)
    for kind in ("admit", "turn_away", "end"):
        await forbidden(citizen, {"type": kind, "id": str(other.public_id)})
    await forbidden(citizen, {"type": "notice", "text": "Halo", "id": str(other.public_id)})
    await nothing(other_official)
    assert await status_of(other) == Status.CONFIRMED
    assert await status_of(appointment) == Status.WAITING

    # Even admitted, the citizen's words stay in their own room.
    official = await sockets.official(appointment, ana.user, state="waiting")
    await send(official, {"type": "admit"})
    await expect(citizen, type="state", state="admitted")
    await send(citizen, OFFER)
    await send(citizen, {"type": "chat", "text": "Samo Ani."})
    await nothing(other_official)


# Refused handshakes.


async def test_a_wrong_token_is_refused(sockets, booked):
    assert await sockets.refused(f"/ws/sestanek/{new_token()}/")
    assert await sockets.refused(f"/ws/sestanek/{booked[1]}x/")


async def test_a_socket_without_our_origin_is_refused(sockets, booked):
    token = booked[1]
    assert await sockets.refused(f"/ws/sestanek/{token}/", [(b"host", b"127.0.0.1")])
    assert await sockets.refused(
        f"/ws/sestanek/{token}/", [(b"origin", b"http://evil.example"), (b"host", b"127.0.0.1")]
    )


@pytest.mark.parametrize("status", [Status.CONFIRMED, Status.COMPLETED, Status.CANCELLED])
async def test_the_link_of_a_meeting_long_over_or_cancelled_is_refused(sockets, ana, status):
    past = timezone.now() - datetime.timedelta(hours=3)  # closed 2 h after its end
    _, token = await sync_to_async(make_appointment)(ana, start=past, status=status)
    assert await sockets.refused(f"/ws/sestanek/{token}/")
    _, token = await sync_to_async(make_appointment)(ana, status=Status.CANCELLED)
    assert await sockets.refused(f"/ws/sestanek/{token}/")


async def test_an_official_of_another_unit_is_refused(sockets, booked, janez):
    appointment, _ = booked
    cookie = await signed_in(janez.user)
    assert await sockets.refused(
        f"/ws/uradnik/sestanek/{appointment.public_id}/", ORIGIN + [cookie]
    )


async def test_an_anonymous_visitor_is_refused_on_the_officials_sockets(sockets, booked):
    appointment, _ = booked
    assert await sockets.refused(f"/ws/uradnik/sestanek/{appointment.public_id}/")
    assert await sockets.refused("/ws/uradnik/konzola/")


async def test_a_signed_in_user_who_is_not_an_official_is_refused(
    sockets, booked, django_user_model
):
    appointment, _ = booked
    user = await sync_to_async(django_user_model.objects.create_user)("gost", "g@example.si", "x")
    cookie = await signed_in(user)
    assert await sockets.refused(
        f"/ws/uradnik/sestanek/{appointment.public_id}/", ORIGIN + [cookie]
    )
    assert await sockets.refused("/ws/uradnik/konzola/", ORIGIN + [cookie])


async def test_an_unknown_appointment_is_refused(sockets, ana):
    cookie = await signed_in(ana.user)
    path = "/ws/uradnik/sestanek/00000000-0000-4000-8000-000000000000/"
    assert await sockets.refused(path, ORIGIN + [cookie])


# Turned away.


async def test_a_turned_away_citizen_must_knock_and_be_admitted_again(sockets, booked, ana):
    appointment, _ = booked
    citizen, official = await waiting_meeting(sockets, booked, ana)
    await send(official, {"type": "turn_away"})
    await expect(citizen, type="state", state="turned_away")
    await expect(official, type="state", state="confirmed")
    assert await status_of(appointment) == Status.CONFIRMED
    assert (await room_of(appointment)).turned_away_at is not None

    await forbidden(citizen, OFFER)
    await forbidden(citizen, {"type": "chat", "text": "Zakaj?"})
    await nothing(official)
    await send(official, {"type": "notice", "text": "Oglasite se kasneje."})
    await expect(official, type="chat")
    await nothing(citizen)  # out of the waiting room: no notices either

    await knock(citizen)
    await expect(official, type="state", state="waiting")
    await forbidden(citizen, OFFER)  # waiting again, not admitted
    await nothing(official)
    await send(official, {"type": "admit"})
    await expect(citizen, type="state", state="admitted")
    await send(citizen, ANSWER)
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=True)
    assert await official.receive_json_from(timeout=TIMEOUT) == ANSWER


async def test_a_turned_away_citizen_who_leaves_is_no_longer_shown_connected(sockets, booked, ana):
    appointment, _ = booked
    citizen, official = await waiting_meeting(sockets, booked, ana)
    await send(official, {"type": "turn_away"})
    await expect(citizen, type="state", state="turned_away")
    await citizen.disconnect()
    await expect(official, type="state", state="confirmed")
    assert (await room_of(appointment)).citizen_connection == ""


# Notices to the waiting room.


async def test_a_notice_reaches_the_waiting_citizen_only(sockets, booked, ana):
    _, token = booked
    waiting, official = await waiting_meeting(sockets, booked, ana)
    other_tab = await sockets.citizen(token, state="waiting")

    await send(official, {"type": "notice", "text": "Še pet minut, prosim."})
    notice = (await expect(waiting, type="chat"))["message"]
    assert (notice["from"], notice["text"], notice["waiting_room"]) == (
        "official",
        "Še pet minut, prosim.",
        True,
    )
    assert (await expect(official, type="chat"))["message"] == notice
    await nothing(other_tab)


async def test_notices_sent_before_the_knock_are_in_the_waiting_room(sockets, booked, ana):
    appointment, token = booked
    citizen = await sockets.citizen(token)
    official = await sockets.official(appointment, ana.user)
    await send(official, {"type": "notice", "text": "Zamujam dve minuti."})
    await expect(official, type="chat")
    await nothing(citizen)  # not knocked: not listening
    state = await knock(citizen)
    assert [m["text"] for m in state["messages"]] == ["Zamujam dve minuti."]


# A second tab, a reload.


async def test_a_second_tab_takes_the_place_and_the_first_is_closed(sockets, booked, ana):
    appointment, token = booked
    first, official = await waiting_meeting(sockets, booked, ana)
    second = await sockets.citizen(token, state="waiting")
    await knock(second, "Rajko (drugi zavihek)")
    await expect(first, type="replaced")
    await expect_close(first, 4409)
    await expect(official, type="state", state="waiting")
    await first.disconnect()
    the_room = await room_of(appointment)
    assert the_room.citizen_connection != ""
    assert the_room.display_name == "Rajko (drugi zavihek)"
    await nothing(official)  # the replaced tab leaving does not look like the citizen leaving

    await send(official, {"type": "admit"})
    await expect(second, type="state", state="admitted")


async def test_a_reload_after_admission_goes_straight_back_in(sockets, booked, ana):
    appointment, token = booked
    citizen, official = await admitted_meeting(sockets, booked, ana)
    await send(citizen, {"type": "chat", "text": "Se vidimo?"})
    await expect(citizen, type="chat")
    await expect(official, type="chat")

    await citizen.disconnect()  # the reload
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=False)
    assert (await room_of(appointment)).citizen_connection == ""

    reloaded = await sockets.citizen(token, state="in_meeting")
    await send(reloaded, {"type": "knock", "name": "Rajko"})
    back = await expect(reloaded, type="state", state="admitted")
    assert [m["text"] for m in back["messages"]] == ["Se vidimo?"]
    await expect(reloaded, type="peer", role="official", present=True)
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=True)
    await send(official, OFFER)
    assert await reloaded.receive_json_from(timeout=TIMEOUT) == OFFER


# A second device: someone else may hold the link.


async def second_device_knocks(sockets, booked, ana):
    """In the meeting (the laptop admitted), the phone knocks: (laptop, official, phone)."""
    laptop, official = await admitted_meeting(sockets, booked, ana)
    await send(laptop, {"type": "chat", "text": "Moja davčna številka je 12345678."})
    await expect(laptop, type="chat")
    await expect(official, type="chat")
    phone = await sockets.citizen(booked[1], state="in_meeting", device=PHONE)
    await send(phone, {"type": "knock", "name": "Rajko"})
    assert await phone.receive_json_from(timeout=TIMEOUT) == {
        "type": "state",
        "state": "waiting",
        "second_device": True,
        "messages": [],
    }
    update = await expect(official, type="state", state="in_meeting")
    assert update["appointment"]["second_device"] is True
    assert update["appointment"]["connected"] is True  # the laptop, still in
    return laptop, official, phone


async def test_a_second_device_waits_to_be_admitted_and_hears_nothing(sockets, booked, ana):
    appointment, _ = booked
    laptop, official, phone = await second_device_knocks(sockets, booked, ana)
    await nothing(laptop)  # not pushed out
    assert (await room_of(appointment)).citizen_connection != ""
    for message in (ANSWER, {"type": "chat", "text": "Jaz sem Rajko."}):
        await forbidden(phone, message)
    await send(official, OFFER)
    assert await laptop.receive_json_from(timeout=TIMEOUT) == OFFER
    await send(official, {"type": "chat", "text": "Samo za vas."})
    await expect(laptop, type="chat")
    await expect(official, type="chat")
    await send(official, {"type": "notice", "text": "Tudi to ne."})
    await expect(official, type="chat")
    await expect(laptop, type="chat")
    await nothing(phone)  # no signal, no chat, no notice, no summary

    await send(official, {"type": "admit"})
    admitted = await expect(phone, type="state", state="admitted")
    assert "appointment" not in admitted  # the citizen's side never gets the summary
    assert [m["text"] for m in admitted["messages"]][0] == "Moja davčna številka je 12345678."
    await expect(laptop, type="replaced")
    await expect_close(laptop, 4409)
    await laptop.disconnect()
    messages = [await official.receive_json_from(timeout=TIMEOUT) for _ in range(2)]
    assert {"type": "peer", "role": "citizen", "present": True} in messages
    (update,) = [m for m in messages if m["type"] == "state"]
    assert update["appointment"]["second_device"] is False
    await expect(phone, type="peer", role="official", present=True)
    await send(official, OFFER)
    assert await phone.receive_json_from(timeout=TIMEOUT) == OFFER
    await nothing(official)  # the laptop's leaving is not the citizen's

    # Now the laptop is the other device: a reload of it must be admitted again.
    again = await sockets.citizen(booked[1], state="in_meeting", device=LAPTOP)
    await send(again, {"type": "knock", "name": "Rajko"})
    await expect(again, type="state", state="waiting", second_device=True)


async def test_a_second_device_turned_away_leaves_the_meeting_as_it_was(sockets, booked, ana):
    appointment, _ = booked
    laptop, official, phone = await second_device_knocks(sockets, booked, ana)
    console = await sockets.console(ana.user)
    await send(console, {"type": "turn_away", "id": str(appointment.public_id)})
    await expect(phone, type="state", state="turned_away")
    update = (await expect(console, type="appointment"))["appointment"]
    assert (update["state"], update["second_device"]) == ("in_meeting", False)
    await expect(official, type="state", state="in_meeting")
    await nothing(laptop, phone)
    await send(laptop, {"type": "chat", "text": "Še vedno tu."})
    await expect(laptop, type="chat")
    await nothing(phone)
    assert await status_of(appointment) == Status.IN_MEETING


async def test_a_second_device_that_leaves_withdraws_its_request(sockets, booked, ana):
    appointment, _ = booked
    laptop, official, phone = await second_device_knocks(sockets, booked, ana)
    await phone.disconnect()
    update = await expect(official, type="state", state="in_meeting")
    assert update["appointment"]["second_device"] is False
    await forbidden(official, {"type": "admit"}, code="wrong_state")
    await nothing(laptop)


async def test_the_end_closes_a_waiting_second_device_too(sockets, booked, ana):
    laptop, official, phone = await second_device_knocks(sockets, booked, ana)
    await send(official, {"type": "end"})
    for citizen in (laptop, phone):
        await expect(citizen, type="state", state="ended")
        await expect_close(citizen, 4410)


async def test_a_browser_without_the_cookie_gets_one_on_the_handshake(sockets, booked):
    """Each new browser gets its secret: a new device, even with a cookie not of our making."""
    for headers in (ORIGIN, ORIGIN + [(b"cookie", b"okence_device=guessed")]):
        citizen = sockets.socket(f"/ws/sestanek/{booked[1]}/", headers)
        await citizen.send_input({"type": "websocket.connect"})
        accept = await citizen.receive_output(timeout=TIMEOUT)
        assert accept["type"] == "websocket.accept"
        ((name, value),) = accept["headers"]
        assert name == b"set-cookie"
        cookie = value.decode()
        assert cookie.startswith("okence_device=") and "guessed" not in cookie
        for attribute in ("HttpOnly", f"Path=/ws/sestanek/{booked[1]}/", "SameSite=Strict"):
            assert attribute in cookie
    known = sockets.socket(
        f"/ws/sestanek/{booked[1]}/", ORIGIN + [(b"cookie", f"okence_device={LAPTOP}".encode())]
    )
    await known.send_input({"type": "websocket.connect"})
    assert "headers" not in await known.receive_output(timeout=TIMEOUT)


async def test_an_official_reload_is_announced_to_the_citizen(sockets, booked, ana):
    appointment, _ = booked
    citizen, official = await admitted_meeting(sockets, booked, ana)
    await official.disconnect()
    await expect(citizen, type="peer", role="official", present=False)
    again = await sockets.official(appointment, ana.user, state="in_meeting")
    await expect(citizen, type="peer", role="official", present=True)
    await expect(again, type="peer", role="citizen", present=True)


async def test_each_side_learns_which_page_is_back(sockets, booked, ana):
    """A page names itself on its socket's address (?page=); a web worker's restart closes the
    socket, and the page reconnects under the same name, so the other side keeps the call it
    has; a reload comes back under a new name, and gets a new call."""
    appointment, token = booked
    official_path = f"/ws/uradnik/sestanek/{appointment.public_id}/"
    citizen = await sockets.connect(f"/ws/sestanek/{token}/?page=citizen-page-1")
    await expect(citizen, type="hello")
    await knock(citizen)
    signed = ORIGIN + [await signed_in(ana.user)]
    official = await sockets.connect(f"{official_path}?page=official-page-1", signed)
    await expect(official, type="hello", state="waiting")
    await send(official, {"type": "admit"})
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=True, page="citizen-page-1")
    await expect(citizen, type="state", state="admitted")
    await expect(citizen, type="peer", role="official", present=True, page="official-page-1")

    await official.disconnect()  # its worker restarts
    await expect(citizen, type="peer", role="official", present=False)
    back = await sockets.connect(f"{official_path}?page=official-page-1", signed)
    await expect(back, type="hello", state="in_meeting")
    await expect(citizen, type="peer", role="official", present=True, page="official-page-1")
    await expect(back, type="peer", role="citizen", present=True, page="citizen-page-1")

    await back.disconnect()
    await expect(citizen, type="peer", role="official", present=False)
    # Anything but a page id (8–64 letters, digits, - and _) names no page.
    reloaded = await sockets.connect(f"{official_path}?page=<b>", signed)
    await expect(reloaded, type="hello", state="in_meeting")
    assert await expect(citizen, type="peer") == {
        "type": "peer",
        "role": "official",
        "present": True,
    }


# The end.


async def test_the_official_ends_the_meeting(sockets, booked, ana):
    appointment, token = booked
    citizen, official = await admitted_meeting(sockets, booked, ana)
    await send(citizen, {"type": "chat", "text": "Hvala."})
    await expect(citizen, type="chat")
    await expect(official, type="chat")

    await send(official, {"type": "end"})
    assert await citizen.receive_json_from(timeout=TIMEOUT) == {"type": "state", "state": "ended"}
    await expect_close(citizen, 4410)
    await expect(official, type="state", state="completed")
    assert await status_of(appointment) == Status.COMPLETED
    assert await chat_of(appointment) == []
    await forbidden(official, {"type": "end"}, code="over")

    later = await sockets.connect(f"/ws/sestanek/{token}/")
    await expect(later, type="hello", state="completed", phase="ended")
    await forbidden(later, {"type": "knock", "name": "Rajko"}, code="over")


async def test_ending_before_admission_is_a_no_show(sockets, booked, ana):
    appointment, _ = booked
    citizen, official = await waiting_meeting(sockets, booked, ana)
    await send(official, {"type": "end"})
    await expect(citizen, type="state", state="ended")
    await expect_close(citizen, 4410)
    await expect(official, type="state", state="no_show")
    assert await status_of(appointment) == Status.NO_SHOW


async def test_a_stale_knock_on_an_open_socket_after_the_end_is_over(sockets, booked, ana):
    appointment, token = booked
    idle_tab = await sockets.citizen(token)  # connected while the meeting was live
    citizen, official = await admitted_meeting(sockets, booked, ana)
    await send(official, {"type": "end"})
    await expect(citizen, type="state", state="ended")
    await forbidden(idle_tab, {"type": "knock", "name": "Rajko"}, code="over")
    assert await status_of(appointment) == Status.COMPLETED


async def test_the_room_ends_a_meeting_the_console_admitted(sockets, booked, ana):
    """The official's room page was open while the console admitted: "end" completes it."""
    appointment, _ = booked
    citizen, official = await waiting_meeting(sockets, booked, ana)
    console = await sockets.console(ana.user)
    await send(console, {"type": "admit", "id": str(appointment.public_id)})
    await expect(citizen, type="state", state="admitted")
    await expect(citizen, type="peer", role="official", present=True)
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=True)
    await send(official, {"type": "end"})
    await expect(official, type="state", state="completed")
    await expect(citizen, type="state", state="ended")
    await expect_close(citizen, 4410)
    assert await status_of(appointment) == Status.COMPLETED


# The console.


async def test_the_console_hears_its_units_appointments_only(sockets, booked, ana, marko, janez):
    appointment, token = booked
    mine = await sockets.console(ana.user)
    colleague = await sockets.console(marko.user)
    stranger = await sockets.console(janez.user)
    citizen = await sockets.citizen(token)
    await knock(citizen, "Rajko L.")
    for console in (mine, colleague):
        update = (await expect(console, type="appointment"))["appointment"]
        assert update["id"] == str(appointment.public_id)
        assert update["state"] == "waiting"
        assert update["name"] == "Rajko L."
        assert update["connected"] is True
        assert update["waiting_since"] is not None
        assert update["official"] == ana.pk
        assert "rajko.lah@example.si" not in json.dumps(update)
        assert "041 123 456" not in json.dumps(update)
    await nothing(stranger)

    await citizen.disconnect()
    for console in (mine, colleague):
        update = (await expect(console, type="appointment"))["appointment"]
        assert (update["state"], update["connected"]) == ("waiting", False)
    await nothing(stranger)


async def test_the_console_admits_and_sends_notices_by_id(sockets, booked, ana):
    appointment, token = booked
    console = await sockets.console(ana.user)
    citizen = await sockets.citizen(token)
    await knock(citizen)
    await expect(console, type="appointment")

    await send(console, {"type": "notice", "id": str(appointment.public_id), "text": "Takoj."})
    sent = await expect(console, type="notice_sent", id=str(appointment.public_id))
    assert sent["message"]["text"] == "Takoj."
    assert (await expect(citizen, type="chat"))["message"] == sent["message"]

    await send(console, {"type": "admit", "id": str(appointment.public_id)})
    update = (await expect(console, type="appointment"))["appointment"]
    assert update["state"] == "in_meeting"
    admitted = await expect(citizen, type="state", state="admitted")
    assert [m["text"] for m in admitted["messages"]] == ["Takoj."]
    assert await status_of(appointment) == Status.IN_MEETING


async def test_the_console_turns_away_by_id(sockets, booked, ana):
    appointment, token = booked
    console = await sockets.console(ana.user)
    citizen = await sockets.citizen(token)
    await knock(citizen)
    await expect(console, type="appointment")
    await send(console, {"type": "turn_away", "id": str(appointment.public_id)})
    await expect(citizen, type="state", state="turned_away")
    assert (await expect(console, type="appointment"))["appointment"]["state"] == "confirmed"


def _move_to_the_first_free_time(appointment) -> str:
    """Move the appointment as its citizen would (booking.reschedule); its new start."""
    now = timezone.now()
    today = now.date()
    slots = booking.free_slots(appointment.service, today, today + datetime.timedelta(days=30), now)
    start = next(slot.start for day in sorted(slots) for slot in slots[day])
    booking.reschedule(appointment, start, now)
    return start.isoformat()


async def test_the_console_sees_a_citizen_move_the_appointment(sockets, booked, ana, marko):
    appointment, _ = booked
    mine = await sockets.console(ana.user)
    colleague = await sockets.console(marko.user)
    new_start = await sync_to_async(_move_to_the_first_free_time)(appointment)
    for console in (mine, colleague):
        update = (await expect(console, type="appointment"))["appointment"]
        assert update["id"] == str(appointment.public_id)
        assert update["start"] == new_start
        assert update["state"] == "confirmed"


async def test_the_console_cannot_act_on_a_foreign_appointment(sockets, booked, janez):
    appointment, token = booked
    citizen = await sockets.citizen(token)
    await knock(citizen)
    console = await sockets.console(janez.user)
    public_id = str(appointment.public_id)
    await forbidden(console, {"type": "admit", "id": public_id})
    await forbidden(console, {"type": "turn_away", "id": public_id})
    await forbidden(console, {"type": "notice", "id": public_id, "text": "Pridite."})
    await nothing(citizen)
    assert await status_of(appointment) == Status.WAITING
    assert await chat_of(appointment) == []


async def test_the_console_needs_an_id_and_cannot_end(sockets, booked, ana):
    appointment, token = booked
    citizen = await sockets.citizen(token)
    await knock(citizen)
    console = await sockets.console(ana.user)
    await forbidden(console, {"type": "admit"})
    await forbidden(console, {"type": "notice", "text": "Komu?"})
    await forbidden(console, {"type": "end", "id": str(appointment.public_id)})
    await forbidden(console, {"type": "admit", "id": "00000000-0000-4000-8000-000000000000"})
    await nothing(citizen)
    assert await status_of(appointment) == Status.WAITING


# Bad frames close that one socket.


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "{not json"}, 4400),
        ({"text_data": "[1, 2]"}, 4400),
        ({"text_data": json.dumps({"type": "dance"})}, 4400),
        ({"text_data": json.dumps({"name": "Rajko"})}, 4400),
        ({"text_data": json.dumps({"type": "knock", "name": "R" * 81})}, 4400),
        ({"text_data": json.dumps({"type": "knock", "name": "   "})}, 4400),
        ({"text_data": json.dumps({"type": "chat", "text": 5})}, 4400),
        ({"text_data": json.dumps({"type": "signal", "description": {"type": "pranswer"}})}, 4400),
        ({"text_data": json.dumps({"type": "signal", "candidate": {"sdpMLineIndex": 99}})}, 4400),
        ({"text_data": json.dumps({"type": "admit", "id": "not-a-uuid"})}, 4400),
        ({"bytes_data": b'{"type": "ping"}'}, 4400),
        ({"text_data": json.dumps({"type": "ping", "pad": "x" * 65 * 1024})}, 4413),
        ({"text_data": '{"type": "ping", "pad": ' + "[" * 60_000 + "]" * 60_000 + "}"}, 4413),
        ({"text_data": '{"type": "ping", "pad": ' + "[" * 30_000 + "]" * 30_000 + "}"}, 4400),
        ({"text_data": '{"type": "ping", "pad": ' + "[" * 7 + "]" * 7 + "}"}, 4400),
        (
            {"text_data": json.dumps({"type": "ping", "pad": "č" * 33 * 1024}, ensure_ascii=False)},
            4413,
        ),
        ({"bytes_data": b"x" * (65 * 1024)}, 4413),
    ],
)
async def test_a_bad_frame_closes_the_socket(sockets, booked, frame, code):
    citizen = await sockets.citizen(booked[1])
    await citizen.send_to(**frame)
    await expect_close(citizen, code)


async def test_a_frame_just_under_the_limit_is_accepted(sockets, booked):
    citizen = await sockets.citizen(booked[1])
    frame = json.dumps({"type": "ping", "pad": ""})
    frame = json.dumps({"type": "ping", "pad": "x" * (64 * 1024 - len(frame))})
    assert len(frame.encode()) == 64 * 1024
    await citizen.send_to(text_data=frame)
    await expect(citizen, type="pong")


async def test_a_frame_nested_within_the_limit_is_accepted(sockets, booked):
    citizen = await sockets.citizen(booked[1])
    await citizen.send_to(text_data='{"type": "ping", "pad": [[[[["[[[[[[[[[["]]]]]}')
    await expect(citizen, type="pong")


async def test_a_deeply_nested_frame_closes_the_socket_and_frees_the_place(sockets, booked, ana):
    """json recurses per level: a deep frame once raised RecursionError, the consumer died
    without closing and without disconnect(), and the console showed a ghost, connected."""
    appointment, _ = booked
    citizen, official = await admitted_meeting(sockets, booked, ana)
    console = await sockets.console(ana.user)
    await citizen.send_to(text_data="[" * 30_000 + "]" * 30_000)
    await expect_close(citizen, 4400)
    await citizen.disconnect()  # the server's answer to our close
    assert (await expect(console, type="appointment"))["appointment"]["connected"] is False
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=False)
    assert (await room_of(appointment)).citizen_connection == ""


async def test_a_fault_in_a_handler_closes_the_socket_and_runs_disconnect(
    sockets, booked, ana, monkeypatch
):
    appointment, _ = booked
    citizen, official = await admitted_meeting(sockets, booked, ana)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("okence.meetings.services.post", broken)
    await send(citizen, {"type": "chat", "text": "Halo?"})
    await expect_close(citizen, 1011)
    await citizen.disconnect()
    await expect(official, type="state", state="in_meeting")
    await expect(official, type="peer", role="citizen", present=False)
    assert (await room_of(appointment)).citizen_connection == ""


async def test_a_bad_frame_closes_only_that_socket(sockets, booked, ana):
    citizen, official = await admitted_meeting(sockets, booked, ana)
    await citizen.send_to(text_data="{not json")
    await expect_close(citizen, 4400)
    await send(official, {"type": "ping"})
    await expect(official, type="pong")


async def test_a_flood_closes_the_flooding_socket_and_not_the_other(sockets, booked, ana, settings):
    citizen, official = await admitted_meeting(sockets, booked, ana)
    burst = settings.WEBSOCKET_MESSAGE_BURST
    for _ in range(burst + 50):
        await citizen.send_to(text_data='{"type": "ping"}')
    pongs = 0
    while (output := await citizen.receive_output(timeout=TIMEOUT))["type"] == "websocket.send":
        assert json.loads(output["text"]) == {"type": "pong"}
        pongs += 1
    assert output == {"type": "websocket.close", "code": 4429}
    # The ping that showed the admitted sockets quiet took one of the burst just before.
    assert burst - 1 <= pongs < burst + 50
    await send(official, {"type": "ping"})
    await expect(official, type="pong")
    await send(official, {"type": "chat", "text": "Ste še tu?"})
    await expect(official, type="chat")
