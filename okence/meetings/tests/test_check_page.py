"""The camera, microphone and network check under a meeting's link (/sestanek/<token>/preizkus/).

The clock stands on Monday 7 December 2026, 07:00 in Ljubljana; Rajko's meeting with Ana is on
Wednesday at 10:00, days ahead, when a check is most useful.
"""

import base64
import datetime
import hashlib
import hmac
import json
import re

import pytest
from django.utils import timezone

from okence.booking.models import Status
from okence.conftest import LJUBLJANA, make_appointment
from okence.meetings import turn

WEDNESDAY = datetime.datetime(2026, 12, 9, 10, 0, tzinfo=LJUBLJANA)
SECRET = "coturn-static-auth-secret"
TURN_URLS = [
    "turn:turn.example.si:3478?transport=udp",
    "turn:turn.example.si:3478?transport=tcp",
    "turns:turn.example.si:443?transport=tcp",
]


@pytest.fixture
def with_turn(settings):
    settings.STUN_URLS = ["stun:turn.example.si:3478"]
    settings.TURN_URLS = TURN_URLS
    settings.TURN_SECRET = SECRET


@pytest.fixture
def booked(clock, ana):
    """Rajko's appointment on Wednesday at 10:00: (row, meeting token)."""
    return make_appointment(ana, start=WEDNESDAY)


def check_url(token: str) -> str:
    return f"/sestanek/{token}/preizkus/"


def probes(response) -> dict:
    found = re.search(
        r'<script id="check-probes" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(found.group(1))


def password_for(username: str) -> str:
    digest = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_a_wrong_token_is_not_found(client, booked):
    assert client.get(check_url("not-a-meeting-token")).status_code == 404


def test_days_before_the_meeting_the_page_checks_every_transport_of_the_relay(
    client, booked, with_turn
):
    appointment, token = booked
    response = client.get(check_url(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Preizkusite kamero in mikrofon</h1>" in page
    assert "Pridobivanje splošnih informacij" in page and "sreda, 9. december 2026" in page
    assert response["Permissions-Policy"].startswith("camera=(self), microphone=(self)")
    assert "no-store" in response["Cache-Control"]
    for row in ("Povezava prek UDP", "Povezava prek TCP", "Povezava prek TLS"):
        assert row in page
    assert "okence/meeting/check.js" in page
    # Without JavaScript nothing can be checked: only the <noscript> note and the way back show.
    assert 'data-network="" hidden>' in page and "<noscript>" in page

    found = probes(response)
    assert [relay["transport"] for relay in found["relays"]] == ["udp", "tcp", "tls"]
    servers = [relay["iceServers"] for relay in found["relays"]]
    assert [[server["urls"] for server in one] for one in servers] == [[url] for url in TURN_URLS]
    [[first], *_] = servers
    username = first["username"]
    expires = int((timezone.now() + datetime.timedelta(minutes=30)).timestamp())
    assert username == f"{expires}:{appointment.public_id.hex[:12]}-check"
    assert first["credential"] == password_for(username)
    assert found["direct"] == {"iceServers": [{"urls": ["stun:turn.example.si:3478"]}]}


def test_without_a_relay_the_page_says_only_the_direct_connection_is_checked(client, booked):
    response = client.get(check_url(booked[1]))
    page = response.content.decode()
    assert probes(response) == {"relays": [], "direct": {"iceServers": []}}
    assert "brez posredovalnega strežnika (TURN)" in page
    assert 'data-probe="direct"' in page and 'data-probe="udp"' not in page


def test_the_relay_credentials_are_given_only_on_the_check_page(client, booked, with_turn, clock):
    """The meeting page has none: the meeting's own come over the WebSocket on admission."""
    token = booked[1]
    username = probes(client.get(check_url(token)))["relays"][0]["iceServers"][0]["username"]
    credential = password_for(username)
    for moment in (WEDNESDAY - datetime.timedelta(days=2), WEDNESDAY):  # closed, then open
        clock.move_to(moment)
        page = client.get(f"/sestanek/{token}/").content.decode()
        assert "check-probes" not in page and "-check" not in page
        assert credential not in page and SECRET not in page


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (Status.CANCELLED, "Termin je bil odpovedan, zato zanj ni več česa preizkusiti."),
        (Status.COMPLETED, "Sestanek se je končal, zato zanj ni več česa preizkusiti."),
    ],
)
def test_after_the_meeting_the_page_says_so_and_checks_nothing(
    client, clock, ana, with_turn, status, says
):
    _, token = make_appointment(ana, start=WEDNESDAY, status=status)
    response = client.get(check_url(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert says in page
    assert "check-probes" not in page and "check.js" not in page
    assert f'href="/sestanek/{token}/"' in page


def test_a_meeting_past_its_time_is_over_for_the_check_too(client, clock, booked, with_turn):
    clock.move_to(WEDNESDAY + datetime.timedelta(days=1))
    page = client.get(check_url(booked[1])).content.decode()
    assert "Sestanek se je končal" in page and "check-probes" not in page


def test_the_meeting_page_links_to_the_check_before_and_at_the_meeting(client, clock, booked):
    token = booked[1]
    label = "Preizkusite kamero, mikrofon, zvočnike in omrežje"
    link = f'<a href="/sestanek/{token}/preizkus/">{label}</a>'
    assert link in client.get(f"/sestanek/{token}/").content.decode()  # not open yet
    clock.move_to(WEDNESDAY - datetime.timedelta(minutes=5))
    assert link in client.get(f"/sestanek/{token}/").content.decode()  # the pre-join


@pytest.mark.parametrize(
    ("url", "transport", "host"),
    [
        ("turn:turn.example.si:3478?transport=udp", "udp", "turn.example.si"),
        ("turn:turn.example.si:3478?transport=tcp", "tcp", "turn.example.si"),
        ("turn:turn.example.si", "udp", "turn.example.si"),
        ("turns:turn.example.si:443?transport=tcp", "tls", "turn.example.si"),
        ("turns:[2001:db8::1]:443", "tls", "[2001:db8::1]"),
        ("turn:[2001:db8::1]", "udp", "[2001:db8::1]"),
    ],
)
def test_each_turn_address_is_checked_over_its_own_transport(url, transport, host):
    assert turn.transport(url) == transport
    assert turn.host(url) == host
