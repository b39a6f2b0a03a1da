"""``manage.py serve``: how it configures uvicorn, and what it reconciles before serving.

uvicorn's ``Server.run`` is replaced by one that records its configuration and returns, as
after a graceful shutdown; the real server is tested in okence/meetings/tests.
"""

import json

import pytest
import uvicorn
from django.core.management import CommandError, call_command
from django.urls import reverse

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


def test_a_start_forgets_what_was_kept_before_it(served, client, clock, service, ana):
    """After an upgrade or a restore, no calendar page rendered before the start is served."""
    url = reverse("booking:calendar", args=[service.unit.slug, service.slug])
    client.get(url)
    assert client.get(url).templates == []  # kept
    call_command("serve", "--no-worker")
    assert client.get(url).templates != []  # rendered again


@pytest.fixture
def production_static(settings, tmp_path):
    """The production profile's static storage, collecting into an empty folder."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "okence.staticstorage.StaticStorage"}
    }
    return settings.STATIC_ROOT


def test_serve_refuses_to_start_before_the_static_files_are_collected(served, production_static):
    with pytest.raises(CommandError, match=r"collectstatic --no-input"):
        call_command("serve", "--no-worker")
    assert served == []
    call_command("collectstatic", "--no-input", verbosity=0)
    call_command("serve", "--no-worker")
    assert len(served) == 1


def test_serve_refuses_a_collection_older_than_the_code(served, production_static):
    call_command("collectstatic", "--no-input", verbosity=0)
    manifest = production_static / "staticfiles.json"
    stored = json.loads(manifest.read_text())
    del stored["paths"]["okence/meeting/ui.js"]  # a file that came with an upgrade
    manifest.write_text(json.dumps(stored))
    with pytest.raises(CommandError, match=r"okence/meeting/ui\.js"):
        call_command("serve", "--no-worker")


def test_serve_believes_forwarded_addresses_from_the_trusted_proxies_only(served, settings):
    settings.FORWARDED_ALLOW_IPS = ["192.0.2.7", "198.51.100.0/24"]
    call_command("serve", "--no-worker")
    (config,) = served
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == ["192.0.2.7", "198.51.100.0/24"]
