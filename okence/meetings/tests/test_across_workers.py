"""A whole meeting across two server processes: the Redis channel layer and PostgreSQL, shared.

At scale Okence runs several uvicorn workers; the citizen and the official may land on different
ones. Two uvicorn subprocesses serve the test database (committed rows, ``transaction=True``)
with REDIS_URL as their channel layer and cache. The citizen's socket is on worker A, the
official's room socket and console on worker B: every step must cross from one process to the
other through Redis (knock → the console and the official hear it; admit → the citizen is
admitted; a quiet pause longer than the layer's blocking Redis read; signals and chat both ways;
end → the citizen is told and closed with 4410).

Runs only with REDIS_URL set and PostgreSQL as the database (``-m redis``; see .ci/run). The
Redis database named by REDIS_URL is flushed before and after: give it a database of its own,
e.g. ``redis://127.0.0.1:6379/5``.
"""

import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from okence.booking.models import Status
from okence.conftest import session_cookie
from okence.meetings.models import Room
from okence.meetings.tests.conftest import (
    SOCKET_TIMEOUT,
    close_code,
    open_socket,
    receive,
    receive_hello,
)
from okence.meetings.tests.server_process import ServerProcess

START_TIMEOUT = 30
# The channel layer waits for messages with a blocking Redis read (BZPOPMIN, 5 s at a time); a
# quiet room must outlast it: the sockets stay idle for longer than that once.
QUIET_PAUSE = 7

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs REDIS_URL (e.g. redis://127.0.0.1:6379/5, a Redis database of its own: "
        "it is flushed) for the channel layer the two workers share",
    ),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL (DATABASE_URL=postgres://...): the scale-out setup it checks, "
        "two worker processes on one shared database",
    ),
    pytest.mark.django_db(transaction=True),
]

OFFER = {"type": "signal", "description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 0.0.0.0"}}
ANSWER = {
    "type": "signal",
    "description": {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 0.0.0.0"},
}


def candidate(address: str) -> dict:
    return {
        "type": "signal",
        "candidate": {
            "candidate": f"candidate:1 1 udp 2122260223 {address} 54400 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
            "usernameFragment": "abcd",
        },
    }


class Worker(ServerProcess):
    """``python -m uvicorn okence.asgi:application`` in a subprocess on a free port."""

    def __init__(self, name: str, env: dict, folder: Path):
        self.name = name
        var_dir = folder / f"var-{name}"
        var_dir.mkdir()
        super().__init__(env | {"OKENCE_VAR_DIR": str(var_dir)}, folder / f"worker-{name}.log")

    def wait_until_it_answers(self) -> None:
        why_not = self.why_not_serving(START_TIMEOUT)
        if why_not:
            pytest.fail(f"worker {self.name} {why_not}:\n{self.log()}")


def worker_database_url() -> str:
    """DATABASE_URL, pointing at the test database that pytest-django made (e.g. test_test)."""
    parts = urlsplit(settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def flushed_redis():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()
    client.close()


@pytest.fixture
def workers(flushed_redis, transactional_db, tmp_path):
    """Workers A and B: separate processes on one database and one Redis."""
    env = os.environ | {
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "OKENCE_PROFILE": "test",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    started = []
    try:
        for name in ("A", "B"):
            started.append(Worker(name, env, tmp_path))
        for worker in started:
            worker.wait_until_it_answers()
        yield started
    finally:
        for worker in started:
            worker.stop()
        for worker in started:  # shown when the test fails
            print(f"--- worker {worker.name} log:\n{worker.log()}")


def expect(websocket, kind: str, **fields) -> dict:
    """The next message of this type (with these top-level fields), skipping other messages.

    An error message is never skipped: the server refused something the flow needs.
    """
    skipped = []
    deadline = time.monotonic() + SOCKET_TIMEOUT
    while True:
        try:
            message = json.loads(websocket.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            pytest.fail(f"no {kind} {fields} within {SOCKET_TIMEOUT} s; got meanwhile: {skipped}")
        assert message["type"] != "error", message
        if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
            return message
        skipped.append(message)


def expect_summary(console, state: str) -> dict:
    """The console's next update that shows the appointment in this state."""
    skipped = []
    deadline = time.monotonic() + SOCKET_TIMEOUT
    while True:
        try:
            message = json.loads(console.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            pytest.fail(f"the console saw no {state!r} within {SOCKET_TIMEOUT} s; got: {skipped}")
        if message["type"] == "appointment" and message["appointment"]["state"] == state:
            return message["appointment"]
        skipped.append(message)


def test_a_whole_meeting_across_two_workers(workers, booked, ana):
    worker_a, worker_b = workers
    appointment, token = booked
    signed_in = {"additional_headers": {"Cookie": session_cookie(ana.user)}}
    room = f"/ws/uradnik/sestanek/{appointment.public_id}/"

    with (
        open_socket(worker_b.port, "/ws/uradnik/konzola/", **signed_in) as console,
        open_socket(worker_b.port, room, **signed_in) as official,
        open_socket(worker_a.port, f"/ws/sestanek/{token}/") as citizen,
    ):
        assert receive_hello(official) == ("hello", "official", "confirmed", "open")
        assert receive_hello(citizen) == ("hello", "citizen", "confirmed", "open")

        # The citizen knocks on worker A; the official and the console on worker B hear it.
        citizen.send(json.dumps({"type": "knock", "name": "Rajko"}))
        assert receive(citizen) == {"type": "state", "state": "waiting", "messages": []}
        waiting = expect(official, "state")
        assert waiting["state"] == "waiting"
        # The official's page learns the name shown and since when, from the other worker.
        assert waiting["appointment"]["name"] == "Rajko"
        assert waiting["appointment"]["waiting_since"] is not None
        summary = expect_summary(console, "waiting")
        assert summary["id"] == str(appointment.public_id)
        assert summary["name"] == "Rajko"
        assert summary["connected"] is True
        assert summary["waiting_since"] is not None

        # The official admits on worker B; the citizen on worker A is admitted.
        official.send(json.dumps({"type": "admit"}))
        assert expect(official, "state")["state"] == "in_meeting"
        admitted = expect(citizen, "state")
        assert admitted["state"] == "admitted"
        assert set(admitted["ice"]) == {"iceServers", "iceTransportPolicy"}
        assert admitted["messages"] == []
        assert expect(citizen, "peer") == {"type": "peer", "role": "official", "present": True}
        assert expect(official, "peer") == {"type": "peer", "role": "citizen", "present": True}
        assert expect_summary(console, "in_meeting")["connected"] is True

        # A quiet while, as before the first offer in a browser; every socket must outlast it.
        time.sleep(QUIET_PAUSE)

        # Signalling, relayed both ways between the processes.
        official.send(json.dumps(OFFER))
        assert expect(citizen, "signal") == OFFER
        citizen.send(json.dumps(ANSWER))
        assert expect(official, "signal") == ANSWER
        citizen.send(json.dumps(candidate("192.0.2.10")))
        assert expect(official, "signal") == candidate("192.0.2.10")
        official.send(json.dumps(candidate("192.0.2.20")))
        assert expect(citizen, "signal") == candidate("192.0.2.20")
        official.send(json.dumps({"type": "signal", "candidate": None}))
        assert expect(citizen, "signal") == {"type": "signal", "candidate": None}

        # Chat both ways; the history is in the shared database.
        citizen.send(json.dumps({"type": "chat", "text": "Dober dan"}))
        heard = expect(official, "chat")["message"]
        assert (heard["from"], heard["text"], heard["waiting_room"]) == (
            "citizen",
            "Dober dan",
            False,
        )
        official.send(json.dumps({"type": "chat", "text": "Pozdravljeni, kako lahko pomagam?"}))
        heard = expect(citizen, "chat", message=expect(official, "chat")["message"])["message"]
        assert (heard["from"], heard["text"]) == ("official", "Pozdravljeni, kako lahko pomagam?")

        # The official ends on worker B; the citizen on worker A is told and closed.
        official.send(json.dumps({"type": "end"}))
        assert expect(citizen, "state") == {"type": "state", "state": "ended"}
        assert close_code(citizen) == 4410
        assert expect(official, "state")["state"] == "completed"
        assert expect_summary(console, "completed")["id"] == str(appointment.public_id)

    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED
    room_row = Room.objects.get(appointment=appointment)
    assert room_row.admitted_at is not None and room_row.ended_at is not None


@pytest.mark.browser
def test_a_browser_call_across_two_workers(workers, media_browser, ana):
    """Two real browsers: the citizen's page served by worker A, the official's by worker B.
    Signalling crosses the processes through Redis; the media then flows peer to peer."""
    from types import SimpleNamespace

    from okence.meetings.tests.test_call_browser import (
        STATE,
        People,
        end_meeting,
        media_flows,
        open_meeting,
        state_of,
    )
    from okence.meetings.tests.test_call_browser import expect as expect_page

    worker_a, worker_b = workers
    appointment, token = open_meeting(ana)
    citizens = People(media_browser, SimpleNamespace(url=worker_a.origin))
    officials = People(media_browser, SimpleNamespace(url=worker_b.origin))
    try:
        official = officials.official(officials.official_context(ana), appointment)
        expect_page(state_of(official)).to_have_attribute("data-state", "prejoin", timeout=STATE)
        citizen = citizens.citizen(token)
        expect_page(state_of(citizen)).to_have_attribute("data-state", "prejoin", timeout=STATE)
        citizen.locator("#join").click()
        expect_page(state_of(official)).to_have_attribute("data-state", "waiting", timeout=STATE)
        official.locator("#admit").click()
        expect_page(state_of(citizen)).to_have_attribute("data-state", "call", timeout=STATE)
        media_flows(citizen, "citizen")
        media_flows(official, "official")
        end_meeting(official, citizen)
    finally:
        citizens.close()
        officials.close()
    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED
