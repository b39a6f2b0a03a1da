"""The meeting sockets behind a real server: uvicorn in a thread, a raw WebSocket client.

What the in-memory communicator cannot show: the HTTP handshake's status when the origin or the
token is wrong, and close codes as they reach a real client over TCP. The server thread reads
the test database, so the rows are committed (``transaction=True``).
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from websockets.exceptions import InvalidStatus

from okence.booking.models import Appointment, Status
from okence.conftest import session_cookie
from okence.exchange.models import SharedFolder
from okence.meetings.tests.conftest import (
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
