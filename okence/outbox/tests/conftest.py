"""A real SMTP server (aiosmtpd) for the outbox tests, which can go down and come back.

The clock fixture freezes ``time.time``; waiting here uses ``time.monotonic``, which time-machine
leaves alone, so a wait still ends when its timeout is up.
"""

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller

from okence.outbox.tests.silent_smtp import SilentSmtpServer

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the raw content."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes


class Collector:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd 1.4 cannot be asked to pick one itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server on a fixed port; ``stop()`` and ``start()`` again simulate an outage.

    A stopped aiosmtpd Controller has closed its event loop, so each start makes a new one on the
    same port, with the same collector: messages received before the outage stay in the list.
    """

    def __init__(self, host: str = HOST, port: int | None = None):
        self.host = host
        self.port = port or free_port()
        self.collector = Collector()
        self.controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self.controller is not None

    @property
    def messages(self) -> list[Received]:
        with self.collector.lock:
            return list(self.collector.messages)

    def start(self) -> None:
        assert not self.running, "the SMTP server is already running"
        controller = Controller(
            self.collector, hostname=self.host, port=self.port, server_hostname="smtp.test"
        )
        controller.start()
        self.controller = controller

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def mailer_settings(self) -> dict:
        """MAILERS sending to this server through Django's SMTP backend."""
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": self.host, "port": self.port, "timeout": 5},
            }
        }

    def wait_for(
        self,
        predicate: Callable[[Received], bool] = lambda message: True,
        *,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Received]:
        """The first ``count`` received messages that match, once there are that many."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [message for message in self.messages if predicate(message)]
            if len(matching) >= count:
                return matching[:count]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} matching message(s) within {timeout}s, "
                    f"got {len(matching)} of {len(self.messages)} received"
                )
            time.sleep(0.01)

    def wait_for_message_to(self, address: str, *, timeout: float = 5.0) -> Received:
        """The first message whose envelope recipients include ``address``."""
        return self.wait_for(lambda message: address in message.rcpt_tos, timeout=timeout)[0]


@pytest.fixture
def smtp_server(settings):
    """A running aiosmtpd server that the default mailer sends to (instead of locmem)."""
    server = SmtpServer()
    server.start()
    settings.MAILERS = server.mailer_settings()
    yield server
    server.stop()


@pytest.fixture
def silent_smtp_server(settings):
    """A server that accepts connections and never answers; the mailer gives up after 0.2 s."""
    with SilentSmtpServer(HOST) as server:
        settings.MAILERS = server.mailer_settings(connect_timeout=0.2)
        yield server


class Stalling(Collector):
    """A handler that holds every message in DATA until released: a slow server, not a dead one."""

    def __init__(self):
        super().__init__()
        self.released = threading.Event()
        self.stalled = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.stalled += 1
        await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 10)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def stalled_smtp_server(settings):
    """An aiosmtpd server that keeps each delivery waiting inside DATA until ``release()``."""
    server = SmtpServer()
    server.collector = Stalling()
    server.start()
    settings.MAILERS = server.mailer_settings()
    yield server
    server.collector.released.set()
    server.stop()


@pytest.fixture
def running_queues():
    """Both huey queues with their consumers running as ``manage.py serve`` starts them.

    The test profile runs tasks inline; here they go through the queues (kept in memory) and
    the worker threads, so that a test sees which job waits for which.
    """
    from huey.contrib.djhuey import HUEY

    from okence.outbox import delivery_queue
    from okence.server.management.commands import serve

    queues = [HUEY, delivery_queue.HUEY]
    for huey in queues:
        huey.immediate_use_memory = False  # keep the in-memory storage of the immediate mode
        huey.immediate = False
    consumers = serve.start_consumers()
    yield
    serve.stop_consumers(consumers)
    for huey in queues:
        huey.storage.flush_all()
        huey.immediate = True
        huey.immediate_use_memory = True
