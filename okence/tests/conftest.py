"""Logs as the configured handler writes them; Okence served as ``manage.py serve`` serves it."""

import io
import logging
import logging.config

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from okence.logs import JSON_FORMATTER
from okence.meetings.tests.conftest import AsgiServer
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


def ServedOkence() -> AsgiServer:  # noqa: N802  (it stands for a class)
    """okence.asgi:application in uvicorn configured as ``serve`` configures it (its logs go
    through settings.LOGGING), in a thread of the test process on 127.0.0.1."""
    return AsgiServer(config=lambda app, port: server_config(app, "127.0.0.1", port))


@pytest.fixture
def served(transactional_db):
    server = ServedOkence()
    server.start()
    yield server
    server.stop()
