"""The check before the meeting in a real browser: Chromium's fake camera and microphone, a phone's
width (360 px), the keyboard only, and a real coturn on loopback for the network check.

The meeting is two days ahead, when a check is most useful. The server is uvicorn in a thread of
this process (``asgi_server``), so ``settings`` overrides (the TURN configuration) reach it. The
check closes each of its peer connections itself; nothing outlives the page.

coturn listens for TURN over UDP and over TCP on one port, and over TLS on another with a
self-signed certificate, which only a Chromium started with --ignore-certificate-errors accepts
(``trusting_browser``, for that test alone).
"""

import datetime
import shutil

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from okence.booking.models import Status
from okence.booking.tests.chromium import CHROMIUM_ARGS, MEDIA_ARGS
from okence.booking.tests.conftest import assert_accessible
from okence.conftest import make_appointment
from okence.meetings.tests.conftest import TurnServer
from okence.meetings.tests.server_process import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATE = 15_000  # ms: generous waits on application state (a loaded 2-core machine)
NETWORK = 30_000  # ms: an unreachable relay takes the check's own timeout (10 s) to give up


@pytest.fixture
def token(ana):
    """The meeting link's token of Rajko's appointment the day after tomorrow."""
    return make_appointment(ana, start=timezone.now() + datetime.timedelta(days=2))[1]


def phone_page(browser):
    """A page 360 px wide with the camera and microphone allowed, in Slovenian."""
    context = browser.new_context(
        locale="sl-SI",
        timezone_id="Europe/Ljubljana",
        permissions=["camera", "microphone"],
        viewport={"width": 360, "height": 740},
    )
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def phone(media_browser):
    page = phone_page(media_browser)
    yield page
    page.context.close()


def open_check(page, server, token):
    page.goto(f"{server.url}/sestanek/{token}/preizkus/")
    expect(page.locator("#check")).to_have_attribute("data-state", "ready", timeout=STATE)


def tab_to(page, element_id: str, limit: int = 40) -> None:
    """Tab forward until ``element_id`` has the focus: what a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.id") == element_id:
            return
    pytest.fail(f"#{element_id} cannot be reached with the Tab key")


def network_result(page) -> dict:
    """Once the network check is done: each row's state and words, and the verdict."""
    expect(page.locator("#check")).to_have_attribute("data-network", "done", timeout=NETWORK)
    rows = page.locator("[data-probe]")
    return {
        "rows": {
            rows.nth(i).get_attribute("data-probe"): (
                rows.nth(i).get_attribute("data-state"),
                rows.nth(i).locator("[data-result]").inner_text(),
            )
            for i in range(rows.count())
        },
        "verdict": page.locator("#network-verdict").get_attribute("data-verdict"),
        "words": page.locator("#network-verdict").inner_text(),
    }


def test_the_camera_shows_the_meter_moves_and_the_tone_plays_by_keyboard(phone, asgi_server, token):
    page = phone
    open_check(page, asgi_server, token)
    expect(page.get_by_role("heading", level=1)).to_have_text("Preizkusite kamero in mikrofon")

    # The preview plays the (fake) camera once it is in view (Chromium pauses a muted video
    # that plays by itself while it is off the screen).
    page.locator("#local-video").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const v = document.getElementById('local-video');"
        " return v.videoWidth > 0 && !v.paused && v.currentTime > 0.5; }",
        timeout=STATE,
    )
    expect(page.locator("#camera-off")).to_be_hidden()
    expect(page.locator("#camera-select option").first).not_to_have_text("Kamera ni najdena")
    expect(page.locator("#mic-select")).to_be_enabled()

    # The first key starts the page's audio (browsers wait for a gesture); then the fake
    # microphone's beeps move the meter.
    tab_to(page, "camera-select")
    page.wait_for_function(
        "() => Number(document.getElementById('mic-meter').getAttribute('aria-valuenow')) > 0",
        timeout=STATE,
    )

    tab_to(page, "play-tone")
    page.keyboard.press("Enter")
    tone = page.locator("#play-tone")
    expect(tone).to_have_attribute("data-state", "playing")
    expect(tone).to_have_attribute("data-state", "played", timeout=STATE)
    expect(page.locator("#tone-status")).to_contain_text("Ste slišali ton?")

    # Without TURN (the embedded default) only the direct connection is checked, and said so.
    result = network_result(page)
    assert result["rows"] == {"direct": ("ok", "deluje")}, result
    assert result["verdict"] == "direct-ready", result
    expect(page.get_by_text("brez posredovalnega strežnika (TURN)")).to_be_visible()

    tab_to(page, "network-again")
    page.keyboard.press("Enter")
    assert network_result(page)["verdict"] == "direct-ready"

    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways at 360 px"
    assert_accessible(page, "the check page")


@pytest.fixture
def trusting_browser(media_browser):
    """Chromium with fake media that accepts the loopback relay's self-signed certificate (only
    for TURN over TLS; no certificate a browser trusts can be made for 127.0.0.1 here), started
    by the same Playwright as ``media_browser``."""
    browser = media_browser.browser_type.launch(
        executable_path=shutil.which("chromium"),
        args=CHROMIUM_ARGS + MEDIA_ARGS + ["--ignore-certificate-errors"],
    )
    yield browser
    browser.close()


@pytest.fixture
def tls_turn_server(tmp_path):
    if shutil.which("turnserver") is None:
        pytest.skip("the relay test needs Debian's coturn (apt-get install coturn)")
    server = TurnServer(tmp_path, tls=True)
    server.start()
    yield server
    server.stop()


def test_the_network_check_reaches_okences_relay_over_udp_tcp_and_tls(
    trusting_browser, asgi_server, token, settings, tls_turn_server
):
    server = tls_turn_server
    settings.TURN_URLS = [
        f"turn:127.0.0.1:{server.port}?transport=udp",
        f"turn:127.0.0.1:{server.port}?transport=tcp",
        f"turns:127.0.0.1:{server.tls_port}?transport=tcp",
    ]
    settings.TURN_SECRET = server.secret
    page = phone_page(trusting_browser)
    open_check(page, asgi_server, token)
    result = network_result(page)
    reachable = ("ok", "strežnik je dosegljiv")
    assert result["rows"] == {"udp": reachable, "tcp": reachable, "tls": reachable}, result
    assert result["verdict"] == "ready", result
    assert result["words"] == "Vaše omrežje je pripravljeno na sestanek."
    assert_accessible(page, "the check page with a relay")

    # A server with TLS only: that is the best route there is, not a slower one.
    settings.TURN_URLS = [f"turns:127.0.0.1:{server.tls_port}?transport=tcp"]
    open_check(page, asgi_server, token)
    result = network_result(page)
    assert result["rows"] == {"tls": reachable} and result["verdict"] == "ready", result
    page.context.close()


def test_a_wrong_secret_is_the_servers_fault_not_the_citizens_network(
    phone, asgi_server, token, settings, turn_server
):
    """coturn refuses Okence's credentials (401) over both transports: the check says the
    server refused it and that the unit should be told, not that the citizen's network blocks."""
    address = f"turn:127.0.0.1:{turn_server.port}"
    settings.TURN_URLS = [f"{address}?transport=udp", f"{address}?transport=tcp"]
    settings.TURN_SECRET = "not-" + turn_server.secret
    open_check(phone, asgi_server, token)
    result = network_result(phone)
    refused = ("failed", "strežnik je dosegljiv, a je preverjanje zavrnil")
    assert result["rows"] == {"udp": refused, "tcp": refused}, result
    assert result["verdict"] == "refused", result
    assert "napaka virtualnega okenca" in result["words"]
    assert "Upravna enota Domžale" in result["words"], result  # whom to tell
    assert "Informatike prosite" not in result["words"]


def test_with_udp_closed_the_meeting_goes_over_tcp_and_with_both_closed_it_is_blocked(
    phone, asgi_server, token, settings, turn_server
):
    closed = free_port()  # nothing listens there
    settings.TURN_URLS = [
        f"turn:127.0.0.1:{closed}?transport=udp",
        f"turn:127.0.0.1:{turn_server.port}?transport=tcp",
    ]
    settings.TURN_SECRET = turn_server.secret
    open_check(phone, asgi_server, token)
    result = network_result(phone)
    assert result["rows"] == {
        "udp": ("failed", "strežnik ni dosegljiv"),
        "tcp": ("ok", "strežnik je dosegljiv"),
    }, result
    assert result["verdict"] == "slow", result

    settings.TURN_URLS = [
        f"turn:127.0.0.1:{closed}?transport=udp",
        f"turn:127.0.0.1:{closed}?transport=tcp",
    ]
    open_check(phone, asgi_server, token)
    result = network_result(phone)
    assert {state for state, _ in result["rows"].values()} == {"failed"}, result
    assert result["verdict"] == "blocked", result


def test_the_meeting_page_leads_to_the_check_and_a_cancelled_ones_says_why_not(
    phone, asgi_server, token, ana
):
    page = phone
    page.goto(f"{asgi_server.url}/sestanek/{token}/")  # two days ahead: not open yet
    link = page.get_by_role("link", name="Preizkusite kamero, mikrofon, zvočnike in omrežje")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#check")).to_have_attribute("data-state", "ready", timeout=STATE)
    assert page.url.endswith(f"/sestanek/{token}/preizkus/")

    _, cancelled = make_appointment(
        ana, start=timezone.now() + datetime.timedelta(days=2), status=Status.CANCELLED
    )
    page.goto(f"{asgi_server.url}/sestanek/{cancelled}/preizkus/")
    expect(page.get_by_role("status")).to_have_text(
        "Termin je bil odpovedan, zato zanj ni več česa preizkusiti."
    )
    expect(page.locator("#local-video")).to_have_count(0)
    assert_accessible(page, "the check page of a cancelled appointment")
