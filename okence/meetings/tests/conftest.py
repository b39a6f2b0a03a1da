"""Servers for meeting tests: Okence over real HTTP and WebSockets, coturn, a media browser;
an appointment open now, and a raw WebSocket client. (Okence in a process of its own, as several
workers run it: server_process.py.)

pytest-django's live_server speaks only WSGI, so meetings get uvicorn (the server Okence runs
on) in a thread of the test process: the test database, settings overrides and the in-memory
channel layer are shared with the test.
"""

import json
import secrets
import shutil
import socket
import subprocess
import threading
import time

import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from okence.booking.tests.chromium import CHROMIUM_ARGS, MEDIA_ARGS
from okence.booking.tests.conftest import launched_chromium
from okence.conftest import make_appointment
from okence.meetings.tests.server_process import free_port
from okence.server.serving import uvicorn_config


class AsgiServer:
    """uvicorn serving okence.asgi:application on 127.0.0.1 in a background thread, with the
    options ``manage.py serve`` gives it."""

    def __init__(self, config=None):
        """``config(app, port)``: the uvicorn configuration, quiet by default."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from okence.asgi import application

        config = config or (
            lambda app, port: uvicorn_config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.server = uvicorn.Server(config(application, self.port))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        from okence.exchange import inspection

        # The file checks' workers, started with the application, are up before any upload.
        inspection.start().result(timeout=120)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def wait_until_idle(self, timeout: float = 10) -> None:
        """Until every request the server took has been handled to its end (uvicorn's tasks of
        running ASGI cycles are gone): a test waits on that, not on the clock."""
        deadline = time.monotonic() + timeout
        while self.server.server_state.tasks:
            if time.monotonic() > deadline:
                raise AssertionError(f"requests still running after {timeout} s")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def asgi_server(transactional_db):
    server = AsgiServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def booked(ana):
    """Ana's appointment, open now on the real clock (as a server reads it): (row, token)."""
    return make_appointment(ana)


# A raw WebSocket client, as a browser's page opens the sockets (no cookies unless given).

SOCKET_TIMEOUT = 10  # s for a handshake or a message; generous, on a shared machine


def open_socket(port: int, path: str, *, origin: str | None = None, **options):
    """A socket to Okence on 127.0.0.1:``port``, from its own origin unless ``origin`` says."""
    return connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=origin or f"http://127.0.0.1:{port}",
        open_timeout=SOCKET_TIMEOUT,
        close_timeout=SOCKET_TIMEOUT,
        **options,
    )


def receive(websocket) -> dict:
    return json.loads(websocket.recv(timeout=SOCKET_TIMEOUT))


def receive_hello(websocket) -> tuple[str, str, str, str]:
    """The next message's type, role, state and phase (the first on a socket is the hello)."""
    hello = receive(websocket)
    return hello["type"], hello["role"], hello["state"], hello["phase"]


def close_code(websocket) -> int:
    """Read until the server closes the socket; the code it closed with."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            websocket.recv(timeout=SOCKET_TIMEOUT)
    assert closed.value.rcvd is not None, "the server did not send a close frame"
    return closed.value.rcvd.code


class TurnServer:
    """Debian's coturn on loopback with time-limited credentials (TURN REST API): TURN over UDP
    and TCP on ``port``, and with ``tls`` over TLS on ``tls_port`` too (a self-signed
    certificate: only a browser told to ignore certificate errors accepts it)."""

    def __init__(self, folder, *, tls: bool = False):
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        tls_options = ["--no-tls"]
        if tls:
            from okence.server.tests.arrangement import self_signed_certificate

            certificate, key = self_signed_certificate(folder)
            tls_options = [
                f"--tls-listening-port={self.tls_port}",
                f"--cert={certificate}",
                f"--pkey={key}",
            ]
        self.secret = secrets.token_hex(16)
        self.url = f"turn:127.0.0.1:{self.port}?transport=udp"
        relay_low = 49152 + secrets.randbelow(10000)
        self.command = [
            "turnserver",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={self.port}",
            f"--min-port={relay_low}",
            f"--max-port={relay_low + 200}",
            "--use-auth-secret",
            f"--static-auth-secret={self.secret}",
            "--realm=okence.test",
            *tls_options,
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",  # loopback tests only, never in production
            f"--userdb={folder / 'turn.db'}",
            f"--pidfile={folder / 'turn.pid'}",
            "--log-file=stdout",
            "--simple-log",
            "--no-stdout-log",
        ]
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:  # coturn answers a STUN binding request once it listens
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("coturn did not start")
            if self.answers_binding():
                return
            time.sleep(0.05)

    def answers_binding(self) -> bool:
        request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + secrets.token_bytes(12)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.settimeout(0.2)
            probe.sendto(request, ("127.0.0.1", self.port))
            try:
                answer, _ = probe.recvfrom(2048)
            except OSError:
                return False
        return answer[:2] == b"\x01\x01"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def turn_server(tmp_path):
    if shutil.which("turnserver") is None:
        pytest.skip("the relay test needs Debian's coturn (apt-get install coturn)")
    server = TurnServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def media_browser(django_db_setup, django_db_blocker):
    """Chromium with a fake camera and microphone, for calls between two pages."""
    with launched_chromium(CHROMIUM_ARGS + MEDIA_ARGS) as browser:
        yield browser
