"""`manage.py serve` in the development profile: e-mailed links name the address it serves."""

import datetime
import re

import pytest
import uvicorn
from django.core import mail
from django.core.management import call_command
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
