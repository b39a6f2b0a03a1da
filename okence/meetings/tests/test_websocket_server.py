"""The meeting sockets behind a real server: uvicorn in a thread, a raw WebSocket client.

What the in-memory communicator cannot show: the HTTP handshake's status when the origin or the
token is wrong, and close codes as they reach a real client over TCP. The server thread reads
the test database, so the rows are committed (``transaction=True``).
"""

import datetime
import json
import socket
import threading
import time

import pytest
import uvicorn
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from okence.booking.models import Appointment, Status
from okence.conftest import make_official
from okence.offices.models import Service, Unit
from okence.tokens import hash_token, new_token

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


@pytest.fixture(scope="module")
def server():
    """okence.asgi:application on a free port of 127.0.0.1, for the module: (port, origin)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        "okence.asgi:application", lifespan="off", log_config=None, log_level="warning"
    )
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not served.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield port
    served.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture(autouse=True)
def _empty_channel_layer():
    yield
    async_to_sync(get_channel_layer().flush)()


@pytest.fixture
def booked(ana, service):
    """Ana's appointment, open now: (appointment, meeting token)."""
    now = timezone.now()
    start = now + datetime.timedelta(minutes=5)
    token = new_token()
    appointment = Appointment.objects.create(
        unit=service.unit,
        service=service,
        official=ana,
        status=Status.CONFIRMED,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        name="Rajko Lah",
        email="rajko.lah@example.si",
        phone="041 123 456",
        hold_token_hash=hash_token(new_token()),
        meeting_token_hash=hash_token(token),
        created_at=now - datetime.timedelta(days=2),
    )
    return appointment, token


def cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def open_socket(port: int, path: str, *, origin: str | None = None, **options):
    return connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=origin or f"http://127.0.0.1:{port}",
        open_timeout=TIMEOUT,
        close_timeout=TIMEOUT,
        **options,
    )


def receive(websocket) -> dict:
    return json.loads(websocket.recv(timeout=TIMEOUT))


def refused_with(port: int, path: str, **options) -> int:
    """The HTTP status a refused handshake got."""
    with pytest.raises(InvalidStatus) as refusal:
        open_socket(port, path, **options).close()
    return refusal.value.response.status_code


def close_code(websocket) -> int:
    """Read until the server closes the socket; the code it closed with."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            websocket.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None, "the server did not send a close frame"
    return closed.value.rcvd.code


def test_a_foreign_origin_is_refused_at_the_handshake(server, booked):
    path = f"/ws/sestanek/{booked[1]}/"
    assert refused_with(server, path, origin="http://evil.example") == 403
    assert refused_with(server, path, origin=f"http://evil.example:{server}") == 403
    assert refused_with(server, path, origin="https://127.0.0.1.evil.example") == 403


def test_our_origin_opens_the_citizens_socket(server, booked):
    appointment, token = booked
    for origin in (f"http://127.0.0.1:{server}", f"http://localhost:{server}"):
        with open_socket(server, f"/ws/sestanek/{token}/", origin=origin) as citizen:
            hello = receive(citizen)
            assert (hello["type"], hello["role"], hello["state"], hello["phase"]) == (
                "hello",
                "citizen",
                "confirmed",
                "open",
            )
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


def test_officials_sockets_need_an_official_of_the_unit(server, booked, ana):
    appointment, _ = booked
    room = f"/ws/uradnik/sestanek/{appointment.public_id}/"
    assert refused_with(server, room) == 403
    assert refused_with(server, "/ws/uradnik/konzola/") == 403
    ljutomer = Unit.objects.create(name="Upravna enota Ljutomer", slug="ljutomer")
    service = Service.objects.create(
        unit=ljutomer, name="Osebni dokumenti", slug="osebni-dokumenti", duration_minutes=30
    )
    janez = make_official(ljutomer, service, "janez", "Janez")
    headers = {"Cookie": cookie(janez.user)}
    assert refused_with(server, room, additional_headers=headers) == 403
    with open_socket(server, room, additional_headers={"Cookie": cookie(ana.user)}) as official:
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
    headers = {"Cookie": cookie(ana.user)}
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
