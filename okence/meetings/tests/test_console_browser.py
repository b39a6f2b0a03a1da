"""The official's console in a real browser, when its live connection silently stops.

A connection can die without a close: a laptop's Wi-Fi changes, a proxy drops the flow, and the
socket stays "open" on the page for many minutes while nothing arrives. The console is the page
left open all day, so a knock sent into such a socket would never show. Playwright stands between
the page and the server (``route_web_socket``) and stops passing frames either way on the first
connection, keeping it open; the page's clock is Playwright's, so the heartbeat's minute passes at
once.
"""

import datetime
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from okence.booking import services as booking
from okence.booking.tests.conftest import assert_accessible
from okence.conftest import LJUBLJANA, session_key
from okence.meetings.tests.conftest import open_socket, receive
from okence.meetings.tests.test_call_browser import STATE, open_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The socket client pings every 20 s and gives a connection up after 45 s of silence; the first
# reconnection follows within half a second. 70 s covers it; the old console never gave up.
HEARTBEAT_MS = 70_000


class SilentFirstConnection:
    """Passes the console socket's frames through, except on the first connection once
    ``silence()`` was called: from then on its frames are dropped both ways and it stays open."""

    def __init__(self):
        self.connections = []
        self.silent = False
        self.dropped_from_server = []

    def silence(self):
        self.silent = True

    def __call__(self, page_side):
        server_side = page_side.connect_to_server()
        first = not self.connections
        self.connections.append(page_side)

        def to_server(message):
            if not (first and self.silent):
                server_side.send(message)

        def to_page(message):
            if first and self.silent:
                self.dropped_from_server.append(json.loads(message))
            else:
                page_side.send(message)

        page_side.on_message(to_server)
        server_side.on_message(to_page)


def until(page, condition, what: str) -> None:
    """Lets Playwright deliver its events until ``condition()`` holds (or fails after STATE)."""
    for _ in range(STATE // 25):
        if condition():
            return
        page.wait_for_timeout(25)
    pytest.fail(f"timed out waiting for {what}")


def signed_in(browser, official):
    """A browser context (Slovenian, Ljubljana) signed in as ``official``."""
    context = browser.new_context(locale="sl-SI", timezone_id="Europe/Ljubljana")
    context.set_default_timeout(10_000)
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": session_key(official.user),
                "domain": "127.0.0.1",
                "path": "/",
            }
        ]
    )
    return context


def open_console(console, server) -> str:
    """Open the console on the page and wait until it is live; the words it shows then."""
    console.goto(f"{server.url}{reverse('meetings:console')}")
    live = console.evaluate(
        "() => document.getElementById('console-text').content"
        ".querySelector('[data-key=live]').textContent.trim()"
    )
    expect(console.locator("[data-connection]")).to_have_text(live, timeout=STATE)
    return live


def test_a_console_whose_connection_goes_silent_reconnects_and_shows_who_knocked(
    media_browser, asgi_server, ana
):
    appointment, token = open_meeting(ana)
    context = signed_in(media_browser, ana)
    try:
        console = context.new_page()
        console.clock.install()
        link = SilentFirstConnection()
        console.route_web_socket(re.compile(r"/ws/uradnik/konzola/$"), link)
        live = open_console(console, asgi_server)
        row = console.locator(f"#appointment-{appointment.public_id}")
        expect(row).to_have_attribute("data-state", "confirmed")

        link.silence()
        with open_socket(asgi_server.port, f"/ws/sestanek/{token}/") as citizen:
            receive(citizen)  # hello
            citizen.send(json.dumps({"type": "knock", "name": "Rajko"}))
            assert receive(citizen)["state"] == "waiting"
            # The server told the console, into the silent connection: the page heard nothing.
            until(
                console,
                lambda: any(m["type"] == "appointment" for m in link.dropped_from_server),
                "the knock's event on the console socket",
            )
            expect(row).to_have_attribute("data-state", "confirmed")

            console.clock.run_for(HEARTBEAT_MS)

            expect(row).to_have_attribute("data-state", "waiting", timeout=STATE)
            expect(row.locator("[data-name-text]")).to_have_text("Rajko")
            expect(row.locator("[data-admit]")).to_be_visible()
            expect(console.locator("[data-badge] [data-count]")).to_have_text("1")
            expect(console.locator("[data-connection]")).to_have_text(live)
            assert len(link.connections) == 2
            assert_accessible(console, "the console after reconnecting")
    finally:
        context.close()


def test_a_row_leaves_the_console_when_its_citizen_moves_it_to_another_day(
    media_browser, asgi_server, ana
):
    appointment, _ = open_meeting(ana)
    other, _ = open_meeting(ana, name="Mojca Kos", minutes_from_now=40)
    context = signed_in(media_browser, ana)
    try:
        console = context.new_page()
        open_console(console, asgi_server)
        row = console.locator(f"#appointment-{appointment.public_id}")
        expect(row).to_have_count(1)

        now = timezone.now()
        first = now.astimezone(LJUBLJANA).date() + datetime.timedelta(days=1)
        slots = booking.free_slots(appointment.service, first, first + datetime.timedelta(30), now)
        # As the citizen's request would, in a thread of its own: this one runs Playwright's loop.
        with ThreadPoolExecutor(1) as request:
            request.submit(
                booking.reschedule, appointment, slots[min(slots)][0].start, now
            ).result()

        expect(row).to_have_count(0, timeout=STATE)
        expect(console.locator(f"#appointment-{other.public_id}")).to_have_count(1)
        expect(console.locator("tr[data-empty]")).to_have_count(0)

        # The last one moves away too: the day's list says it is empty, without a reload.
        with ThreadPoolExecutor(1) as request:
            request.submit(
                booking.reschedule, other, slots[min(slots)][1].start, timezone.now()
            ).result()
        expect(console.locator(f"#appointment-{other.public_id}")).to_have_count(0, timeout=STATE)
        expect(console.locator("tr[data-empty]")).to_contain_text("Danes ni terminov.")
    finally:
        context.close()
