"""Logs as the configured handler writes them; Okence served as ``manage.py serve`` serves it."""

import io
import logging
import logging.config
import threading
import time

import pytest
import uvicorn
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from okence.logs import JSON_FORMATTER
from okence.meetings.tests.server_process import free_port
from okence.server.management.commands.serve import server_config

# What LOG_LEVEL=DEBUG lowers (loggers that settings.LOGGING pins keep their level there).
DEBUG_LEVEL = ("", "okence")
# The test's own WebSocket client logs every frame it sends at DEBUG: those are not the server's.
CLIENT_SIDE = "websockets.client"


@pytest.fixture
def captured_logs():
    """Everything the configured console handler writes (its filters included), as with
    LOG_LEVEL=DEBUG and in production's JSON lines, which also carry the records' extra fields:
    a StringIO."""
    import okence.asgi  # noqa: F401  (its django.setup() configures logging anew: before, not after)

    # Configured afresh from the settings: another test's uvicorn may have applied its own.
    logging.config.dictConfig(settings.LOGGING)
    handler = logging.getHandlerByName("console")
    stream = io.StringIO()
    handler.setStream(stream)
    handler.setFormatter(JsonFormatter(**{k: v for k, v in JSON_FORMATTER.items() if k != "()"}))
    handler.setLevel(logging.DEBUG)
    for name in DEBUG_LEVEL:
        logging.getLogger(name).setLevel(logging.DEBUG)
    client_level = logging.getLogger(CLIENT_SIDE).level
    logging.getLogger(CLIENT_SIDE).setLevel(logging.INFO)
    yield stream
    logging.getLogger(CLIENT_SIDE).setLevel(client_level)
    logging.config.dictConfig(settings.LOGGING)


class ServedOkence:
    """okence.asgi:application in uvicorn configured as ``serve`` configures it (its logs go
    through settings.LOGGING), in a thread of the test process on 127.0.0.1."""

    def __init__(self):
        from okence.asgi import application

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(server_config(application, "127.0.0.1", self.port))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def served(transactional_db):
    server = ServedOkence()
    server.start()
    yield server
    server.stop()
