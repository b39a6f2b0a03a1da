"""The meeting sockets behind a real server: uvicorn in a thread, a raw WebSocket client.

What the in-memory communicator cannot show: the HTTP handshake's status when the origin or the
token is wrong, and close codes as they reach a real client over TCP. The server thread reads
the test database, so the rows are committed (``transaction=True``).
"""

import base64
import json
import os
import socket
import struct
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from websockets.exceptions import InvalidStatus

from okence.booking.models import Appointment, Status
from okence.conftest import session_cookie
from okence.exchange.models import SharedFolder
from okence.meetings.models import Room
from okence.meetings.tests.conftest import (
    SOCKET_TIMEOUT,
    AsgiServer,
    close_code,
    open_socket,
    receive,
    receive_hello,
)
from okence.tokens import new_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server():
    """okence.asgi:application on a free port of 127.0.0.1, for the module: its port."""
    served = AsgiServer()
    served.start()
    yield served.port
    served.stop()


@pytest.fixture(autouse=True)
def _empty_channel_layer():
    yield
    async_to_sync(get_channel_layer().flush)()


def receive_until(websocket, kind: str) -> dict:
    """The first message of this type (a room's socket first says hello)."""
    while (message := receive(websocket))["type"] != kind:
        pass
    return message


def refused_with(port: int, path: str, **options) -> int:
    """The HTTP status a refused handshake got."""
    with pytest.raises(InvalidStatus) as refusal:
        open_socket(port, path, **options).close()
    return refusal.value.response.status_code


def test_a_foreign_origin_is_refused_at_the_handshake(server, booked):
    path = f"/ws/sestanek/{booked[1]}/"
    assert refused_with(server, path, origin="http://evil.example") == 403
    assert refused_with(server, path, origin=f"http://evil.example:{server}") == 403
    assert refused_with(server, path, origin="https://127.0.0.1.evil.example") == 403


@pytest.fixture
def every_socket(booked, ana):
    """The paths of the citizen's, the official's, the console's and the folder's sockets."""
    appointment, token = booked
    SharedFolder.objects.create(
        appointment=appointment, created_at=timezone.now(), created_by=ana.user
    )
    return [
        f"/ws/sestanek/{token}/",
        f"/ws/uradnik/sestanek/{appointment.public_id}/",
        "/ws/uradnik/konzola/",
        f"/ws/mapa/{token}/",
        f"/ws/uradnik/mapa/{appointment.public_id}/",
    ]


def test_the_same_host_on_another_scheme_or_port_is_another_origin(server, every_socket, ana):
    """A page on plain http or on another port of our host may not use the official's cookies."""
    headers = {"Cookie": session_cookie(ana.user)}
    for path in every_socket:
        for origin in (
            f"https://127.0.0.1:{server}",
            f"http://127.0.0.1:{server + 1}",
            "http://127.0.0.1",
            f"ws://127.0.0.1:{server}",
            "null",
        ):
            assert refused_with(server, path, origin=origin, additional_headers=headers) == 403
        with open_socket(server, path, additional_headers=headers) as ours:
            ours.send(json.dumps({"type": "ping"}))
            assert receive_until(ours, "pong")


def test_our_origin_opens_the_citizens_socket(server, booked):
    appointment, token = booked
    for origin in (f"http://127.0.0.1:{server}", f"http://localhost:{server}"):
        with open_socket(server, f"/ws/sestanek/{token}/", origin=origin) as citizen:
            assert receive_hello(citizen) == ("hello", "citizen", "confirmed", "open")
            citizen.send(json.dumps({"type": "ping"}))
            assert receive(citizen) == {"type": "pong"}
    with open_socket(server, f"/ws/sestanek/{token}/") as citizen:
        receive(citizen)
        citizen.send(json.dumps({"type": "knock", "name": "Rajko"}))
        assert receive(citizen) == {"type": "state", "state": "waiting", "messages": []}
    assert Appointment.objects.get(pk=appointment.pk).status == Status.WAITING


def test_a_foreign_token_is_refused_at_the_handshake(server, booked):
    assert refused_with(server, f"/ws/sestanek/{new_token()}/") == 403
    assert refused_with(server, f"/ws/sestanek/{booked[1][:-1]}/") == 403


def test_officials_sockets_need_an_official_of_the_unit(server, booked, ana, janez):
    appointment, _ = booked
    room = f"/ws/uradnik/sestanek/{appointment.public_id}/"
    assert refused_with(server, room) == 403
    assert refused_with(server, "/ws/uradnik/konzola/") == 403
    headers = {"Cookie": session_cookie(janez.user)}
    assert refused_with(server, room, additional_headers=headers) == 403
    with open_socket(
        server, room, additional_headers={"Cookie": session_cookie(ana.user)}
    ) as official:
        assert receive(official)["role"] == "official"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", 4400),
        (json.dumps({"type": "dance"}), 4400),
        (b'{"type": "ping"}', 4400),
        (json.dumps({"type": "ping", "pad": "x" * 65 * 1024}), 4413),
    ],
)
def test_a_bad_frame_closes_that_socket_and_no_other(server, booked, ana, frame, code):
    appointment, token = booked
    headers = {"Cookie": session_cookie(ana.user)}
    with (
        open_socket(server, f"/ws/sestanek/{token}/") as citizen,
        open_socket(
            server, f"/ws/uradnik/sestanek/{appointment.public_id}/", additional_headers=headers
        ) as official,
        open_socket(server, f"/ws/sestanek/{token}/") as other_tab,
    ):
        assert receive(citizen)["type"] == "hello"
        assert receive(official)["type"] == "hello"
        assert receive(other_tab)["type"] == "hello"
        citizen.send(frame)
        assert close_code(citizen) == code
        for survivor in (official, other_tab):
            survivor.send(json.dumps({"type": "ping"}))
            assert receive(survivor) == {"type": "pong"}


def raw_handshake(port: int, path: str) -> socket.socket:
    """A WebSocket opened by hand, so that a frame can be sent in part."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += raw.recv(4096)
    assert response.startswith(b"HTTP/1.1 101"), response
    return raw


def test_uvicorn_refuses_a_huge_frame_without_reading_it(server, booked):
    """uvicorn's default would read up to 16 MiB before our 64 KiB check (40 such frames cost
    420 MB): the frame's header announces 1 MiB, and the server closes (1009) at once."""
    raw = raw_handshake(server, f"/ws/sestanek/{booked[1]}/")
    with raw:
        mask = os.urandom(4)
        raw.sendall(struct.pack("!BBQ", 0x81, 0x80 | 127, 1024 * 1024) + mask + b"x" * 1024)
        answer = b""
        while len(answer) < 4 or answer[0] != 0x88:  # skip the hello, find the close frame
            chunk = raw.recv(65536)  # times out if the server waits for the rest of the frame
            assert chunk, "closed without a close frame"
            answer += chunk
            if answer[0] != 0x88 and len(answer) >= 2 and len(answer) >= 2 + answer[1]:
                answer = answer[2 + answer[1] :]  # a short text frame (the hello) skipped
        assert struct.unpack("!H", answer[2:4])[0] == 1009


def wait_for(condition, seconds: float = SOCKET_TIMEOUT) -> None:
    """Waits until ``condition()`` holds (the server works in another thread)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.02)


def test_a_deeply_nested_frame_closes_with_4400_and_the_citizen_is_gone(server, booked, ana):
    appointment, token = booked
    headers = {"Cookie": session_cookie(ana.user)}
    with (
        open_socket(server, f"/ws/sestanek/{token}/") as citizen,
        open_socket(server, "/ws/uradnik/konzola/", additional_headers=headers) as console,
    ):
        receive(citizen)
        citizen.send(json.dumps({"type": "knock", "name": "Rajko"}))
        assert receive(citizen)["state"] == "waiting"
        assert receive_until(console, "appointment")["appointment"]["connected"] is True
        citizen.send('{"type": "knock", "name": ' + "[" * 30_000 + "]" * 30_000 + "}")
        assert close_code(citizen) == 4400
        assert receive_until(console, "appointment")["appointment"]["connected"] is False
    wait_for(lambda: Room.objects.get(appointment=appointment).citizen_connection == "")
