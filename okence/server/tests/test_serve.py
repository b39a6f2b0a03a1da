"""``manage.py serve``: how it configures uvicorn, and what it reconciles before serving.

uvicorn's ``Server.run`` is replaced by one that records its configuration and returns, as
after a graceful shutdown; the real server is tested in okence/meetings/tests.
"""

import pytest
import uvicorn
from django.core.management import call_command

from okence.conftest import make_appointment
from okence.meetings.models import Room

pytestmark = pytest.mark.django_db

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
REDIS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"]},  # never reached here
    }
}


@pytest.fixture
def served(monkeypatch):
    """The uvicorn configurations ``serve`` ran."""
    configs = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: configs.append(server.config))
    return configs


@pytest.fixture
def ghost(ana):
    """A citizen's connection recorded by a server that is gone."""
    appointment, _ = make_appointment(ana)
    Room.objects.create(appointment=appointment, citizen_connection="specific.gone!x")
    return appointment


def test_uvicorn_reads_no_websocket_frame_much_larger_than_the_consumers_allow(served, settings):
    call_command("serve", "--no-worker", "--port", "8123")
    (config,) = served
    assert config.ws_max_size == 2 * settings.WEBSOCKET_MAX_MESSAGE_BYTES == 128 * 1024
    assert config.port == 8123


def test_the_one_process_forgets_every_connection_before_serving(served, settings, ghost):
    settings.CHANNEL_LAYERS = IN_MEMORY
    call_command("serve", "--no-worker")
    assert Room.objects.get(appointment=ghost).citizen_connection == ""


def test_one_of_several_processes_leaves_the_others_connections_alone(served, settings, ghost):
    settings.CHANNEL_LAYERS = REDIS
    call_command("serve", "--no-worker")
    assert Room.objects.get(appointment=ghost).citizen_connection == "specific.gone!x"
