"""`manage.py serve` in the development profile: e-mailed links name the address it serves."""

import datetime
import json
import re

import pytest
import uvicorn
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from okence.booking import services as booking
from okence.conftest import LJUBLJANA
from okence.outbox import services as outbox
from okence.server.management.commands.serve import site_url_for


@pytest.fixture
def served(settings, monkeypatch):
    """Run serve's start-up without serving: uvicorn's loop returns at once."""
    settings.SITE_URL_FOLLOWS_SERVE = True  # development without SITE_URL
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: None)

    def serve(**options):
        call_command("serve", no_worker=True, **options)

    return serve


def test_e_mailed_links_follow_the_port_served(served, clock, service, ana):
    served(host="127.0.0.1", port=9000)
    contact = booking.Contact("Rajko Lah", "rajko.lah@example.si", "041 123 456")
    start = datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA).astimezone(datetime.UTC)
    appointment, _ = booking.hold(
        service, start, contact, language="sl", client="192.0.2.1", now=timezone.now()
    )
    outbox.deliver_due(timezone.now())
    code = re.search(r"(\d{6})$", mail.outbox[-1].subject)[1]
    booking.confirm(appointment, code, timezone.now())
    outbox.deliver_due(timezone.now())
    confirmation = next(m for m in mail.outbox if "/termin/" in m.body)
    links = re.findall(r"https?://[^/\s]+/", confirmation.body)
    assert links and set(links) == {"http://127.0.0.1:9000/"}


def test_a_configured_site_url_is_kept(served, settings, db):
    settings.SITE_URL_FOLLOWS_SERVE = False
    settings.SITE_URL = "https://okence.example.si"
    served(host="127.0.0.1", port=9000)
    assert settings.SITE_URL == "https://okence.example.si"


def test_the_site_url_names_the_bound_address():
    assert site_url_for("127.0.0.1", 9000) == "http://127.0.0.1:9000"
    assert site_url_for("::1", 9000) == "http://[::1]:9000"
    assert site_url_for("0.0.0.0", 9000) == "http://localhost:9000"  # noqa: S104
    assert site_url_for("okence.local", 8001) == "http://okence.local:8001"


@pytest.fixture
def production_static(settings, tmp_path):
    """The production profile's static storage, collecting into an empty folder."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "okence.staticstorage.StaticStorage"}
    }
    return settings.STATIC_ROOT


def test_serve_refuses_to_start_before_the_static_files_are_collected(
    served, production_static, db
):
    with pytest.raises(CommandError, match=r"collectstatic --no-input"):
        served(host="127.0.0.1", port=9000)
    call_command("collectstatic", "--no-input", verbosity=0)
    served(host="127.0.0.1", port=9000)  # starts


def test_serve_refuses_a_collection_older_than_the_code(served, production_static, db):
    call_command("collectstatic", "--no-input", verbosity=0)
    manifest = production_static / "staticfiles.json"
    stored = json.loads(manifest.read_text())
    del stored["paths"]["okence/meeting/ui.js"]  # a file that came with an upgrade
    manifest.write_text(json.dumps(stored))
    with pytest.raises(CommandError, match=r"okence/meeting/ui\.js"):
        served(host="127.0.0.1", port=9000)


def test_serve_believes_forwarded_addresses_from_the_trusted_proxies_only(
    settings, monkeypatch, db
):
    settings.FORWARDED_ALLOW_IPS = ["192.0.2.7", "198.51.100.0/24"]
    configs = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: configs.append(server.config))
    call_command("serve", no_worker=True)
    (config,) = configs
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == ["192.0.2.7", "198.51.100.0/24"]
