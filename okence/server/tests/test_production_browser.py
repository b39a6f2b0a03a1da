"""A citizen's whole path in real browsers, through nginx with TLS, on the production arrangement.

The arrangement (okence/server/tests/arrangement.py, started per module) is nginx from
deploy/nginx/okence.conf in front of two web workers and a huey worker in the production profile,
on PostgreSQL and Redis, with e-mail to an aiosmtpd server. The browser helpers are the booking and
meeting tests' own; only the address (nginx's, self-signed: ``ignore_https_errors``) differs.

Which worker holds a page's socket is read from the workers' logs (uvicorn logs each accepted
WebSocket); nginx chooses by ``least_conn``.
"""

import datetime
import email
import email.policy
import re
import time

import pytest
from django.utils import timezone

from okence.booking.models import Appointment, Status
from okence.booking.tests.test_browser import (
    CITIZEN,
    CODE_IN_SUBJECT,
    SERVICE,
    UNIT,
    VERIFY_TITLE,
    choose_first_free_time,
    fill_details,
    offer,  # noqa: F401  (a fixture)
    show_a_month_with_free_days,
)
from okence.exchange.tests.test_folder_browser import PDF_NAME, downloaded, pdf_of_about, upload
from okence.meetings.tests.conftest import media_browser  # noqa: F401  (a fixture)
from okence.meetings.tests.test_call_browser import (
    STATE,
    People,
    admitted_call,
    end_meeting,
    expect,
    media_flows,
    state_of,
)
from okence.server.tests.arrangement import Coturn
from okence.server.tests.conftest import PRODUCTION
from okence.surveys.models import Answer

pytestmark = [*PRODUCTION, pytest.mark.browser]

MAIL_TIMEOUT = 20  # s: the huey worker delivers through SMTP


def mails_to(arrangement, address: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(received.content, policy=email.policy.default)
        for received in arrangement.smtp.messages
        if address in received.rcpt_tos
    ]


def wait_for_mail(arrangement, address: str, predicate) -> email.message.EmailMessage:
    """The first e-mail to ``address`` that matches, as the SMTP server received it."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while True:
        found = [message for message in mails_to(arrangement, address) if predicate(message)]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            subjects = [m["Subject"] for m in mails_to(arrangement, address)]
            pytest.fail(f"no such e-mail to {address} in {MAIL_TIMEOUT} s; got {subjects}")
        time.sleep(0.1)


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def sockets_per_worker(arrangement, path: str) -> list[int]:
    """How many WebSockets on ``path`` (a prefix; tokens show as "…") each web worker accepted."""
    pattern = re.compile(rf'"WebSocket {re.escape(path)}[^"]*" \[accepted\]')
    return [len(pattern.findall(worker.log())) for worker in arrangement.web]


def worker_of_next_socket(arrangement, path: str, before: list[int]) -> int:
    """The worker that accepted a socket on ``path`` since the counts ``before``."""
    deadline = time.monotonic() + STATE / 1000
    while True:
        now = sockets_per_worker(arrangement, path)
        grown = [index for index, (a, b) in enumerate(zip(before, now, strict=True)) if b > a]
        if grown:
            return grown[0]
        if time.monotonic() > deadline:
            pytest.fail(f"no worker logged a socket on {path}: {before} → {now}")
        time.sleep(0.05)


@pytest.fixture
def people(media_browser, arrangement):  # noqa: F811  (media_browser: imported above)
    people = People(media_browser, type("Nginx", (), {"url": arrangement.origin}), **TLS)
    yield people
    people.close()


TLS = {"ignore_https_errors": True}  # nginx's certificate is the test's own, self-signed


def test_a_citizen_books_meets_exchanges_a_file_and_answers_through_nginx(
    arrangement,
    people,
    offer,  # noqa: F811
    tmp_path,
):
    # Booking, confirmed with the code that the huey worker sent through SMTP.
    booking = people.context().new_page()
    booking.goto(arrangement.origin + "/")
    booking.get_by_role("link", name=UNIT).click()
    booking.get_by_role("link", name=SERVICE).click()
    show_a_month_with_free_days(booking)
    choose_first_free_time(booking)
    fill_details(booking)
    booking.get_by_role("button", name="Rezerviraj").click()
    dialog = booking.get_by_role("dialog", name=VERIFY_TITLE)
    expect(dialog).to_be_visible()
    address = CITIZEN["Elektronski naslov"]
    code_mail = wait_for_mail(arrangement, address, lambda m: CODE_IN_SUBJECT.search(m["Subject"]))
    dialog.get_by_label("Koda za preverjanje").fill(CODE_IN_SUBJECT.search(code_mail["Subject"])[1])
    dialog.get_by_role("button", name="Nadaljuj").click()
    expect(booking).to_have_url(re.compile(r"/rezervacija/[^/]+/potrjeno/$"))
    appointment = Appointment.objects.get()
    assert appointment.status == Status.CONFIRMED

    # The confirmation's link names the public address: nginx's, with TLS.
    confirmation = wait_for_mail(arrangement, address, lambda m: "/sestanek/" in text_of(m))
    meeting_link = re.search(r"https://\S+/sestanek/[^/\s]+/", text_of(confirmation))[0]
    assert meeting_link.startswith(arrangement.origin + "/sestanek/"), meeting_link

    # The booked time is at least two hours away: bring it to now, so that the room is open.
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=3)
    duration = appointment.end - appointment.start
    Appointment.objects.filter(pk=appointment.pk).update(start=start, end=start + duration)
    official_of = appointment.official

    # The official's room page; then the citizen's, until nginx gives its socket to the other
    # worker than the official's (least_conn usually does at once).
    official_sockets = sockets_per_worker(arrangement, "/ws/uradnik/sestanek/")
    official = people.official(people.official_context(official_of), appointment)
    expect(state_of(official)).to_have_attribute("data-state", "prejoin", timeout=STATE)
    official_worker = worker_of_next_socket(arrangement, "/ws/uradnik/sestanek/", official_sockets)
    citizen = people.context().new_page()
    for _ in range(6):
        before = sockets_per_worker(arrangement, "/ws/sestanek/")
        citizen.goto(meeting_link)
        expect(state_of(citizen)).to_have_attribute("data-state", "prejoin", timeout=STATE)
        citizen_worker = worker_of_next_socket(arrangement, "/ws/sestanek/", before)
        if citizen_worker != official_worker:
            break
    assert citizen_worker != official_worker, "nginx sent every socket to one worker"

    # The call, its signalling crossing from one worker to the other through Redis.
    citizen.locator("#join").click()
    expect(state_of(official)).to_have_attribute("data-state", "waiting", timeout=STATE)
    official.locator("#admit").click()
    expect(state_of(citizen)).to_have_attribute("data-state", "call", timeout=STATE)
    media_flows(citizen, "citizen")
    media_flows(official, "official")

    # A file from the citizen to the official, through nginx's unbuffered upload location.
    pdf = pdf_of_about(300_000)
    (tmp_path / PDF_NAME).write_bytes(pdf)
    official.locator("#folder-create").click()
    expect(citizen.locator("#chat-log a.folder-link")).to_have_count(1, timeout=STATE)
    with citizen.context.expect_page() as opened:
        citizen.locator("#chat-log a.folder-link").click()
    citizen_folder = opened.value
    with official.context.expect_page() as opened:
        official.locator("#folder-open").click()
    official_folder = opened.value
    upload(citizen_folder, tmp_path / PDF_NAME)
    expect(citizen_folder.locator("#uploads .upload-item", has_text=PDF_NAME)).to_have_attribute(
        "data-state", "done", timeout=STATE
    )
    link = official_folder.locator("#file-rows tr", has_text=PDF_NAME).get_by_role("link").first
    expect(link).to_be_visible(timeout=STATE)
    name, content = downloaded(official_folder, link.click)
    assert (name, content) == (PDF_NAME, pdf)

    # The end; the citizen answers the survey.
    end_meeting(official, citizen)
    citizen.get_by_role("radio", name=re.compile("^5")).check()
    citizen.get_by_role("button", name="Pošlji").click()
    expect(citizen).to_have_url(re.compile(r"/anketa/hvala/$"), timeout=STATE)
    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED
    assert list(Answer.objects.values_list("rating", flat=True)) == [5]


# Records what the page's connection line says, and the peer connection of the call now.
WATCH_CONNECTION = """() => {
  const line = document.getElementById("connection");
  window.__connection = [];
  new MutationObserver(() => window.__connection.push(line.textContent)).observe(
    line, { childList: true, characterData: true, subtree: true });
  window.__callBefore = window.okence.pc();
}"""
RECONNECTED = "Povezava je znova vzpostavljena."
RECONNECT_TIMEOUT = 30  # s: the page retries with backoff, up to 10 s apart


def wait_for_reconnection(page, who: str) -> None:
    """Until the page has reconnected and is connected now.

    A page whose new socket landed on the worker that restarted next loses it again: having said
    "reconnected" once is not enough, its connection line must not say "reconnecting" since.
    """
    deadline = time.monotonic() + RECONNECT_TIMEOUT
    while not connected_again(seen := page.evaluate("() => window.__connection")):
        if time.monotonic() > deadline:
            pytest.fail(f"the {who}'s page did not reconnect; its connection line said {seen}")
        time.sleep(0.1)


def connected_again(seen: list[str]) -> bool:
    # The line empties itself a while after "reconnected".
    return RECONNECTED in seen and seen[-1] in (RECONNECTED, "")


def test_a_relayed_call_goes_on_while_the_web_workers_restart_one_by_one(
    arrangement, people, ana, tmp_path
):
    # coturn on deploy/coturn/turnserver.conf; on loopback it must relay to 127.0.0.1 itself,
    # which production denies.
    relay = Coturn(tmp_path / "coturn", "--allow-loopback-peers", "--allowed-peer-ip=127.0.0.1")
    try:
        arrangement.reconfigure(
            TURN_URLS=relay.url, TURN_SECRET=relay.secret, MEETING_ICE_TRANSPORT_POLICY="relay"
        )
        _, citizen, official = admitted_call(people, ana)
        for page, who in ((citizen, "citizen"), (official, "official")):
            flowing = media_flows(page, who)
            # Okence's credentials were accepted: the media goes through coturn only.
            assert flowing["pair"]["local"] == "relay", (who, flowing)
            assert set(flowing["localCandidates"]) == {"relay"}, (who, flowing)
        citizen.locator("#chat-input").fill("Pred ponovnim zagonom.")
        citizen.locator("#chat-input").press("Enter")
        expect(official.locator("#chat-log")).to_contain_text("Pred ponovnim", timeout=STATE)
        for page in (citizen, official):
            page.evaluate(WATCH_CONNECTION)

        # An upgrade's restarts: each worker in turn, the next once the first answers again.
        # Every page's socket is on one of them, so each page loses its socket at least once.
        arrangement.restart_web(0)
        arrangement.restart_web(1)

        for page, who in ((citizen, "citizen"), (official, "official")):
            wait_for_reconnection(page, who)
            expect(state_of(page)).to_have_attribute("data-state", "call")
            # The same call went on: its connection was never replaced, and video still arrives.
            assert page.evaluate("() => window.okence.pc() === window.__callBefore"), who
            assert media_flows(page, who)["pair"]["local"] == "relay", who
        # Nothing lost or doubled: the chat before, once on each side, and a new message across.
        official.locator("#chat-input").fill("Po ponovnem zagonu.")
        official.locator("#chat-input").press("Enter")
        expect(citizen.locator("#chat-log")).to_contain_text("Po ponovnem zagonu.", timeout=STATE)
        for page in (citizen, official):
            expect(page.locator("#chat-log li", has_text="Pred ponovnim zagonom.")).to_have_count(1)
        end_meeting(official, citizen)
    finally:
        people.close()
        arrangement.reconfigure(TURN_URLS="", TURN_SECRET="", MEETING_ICE_TRANSPORT_POLICY="all")
        relay.stop()
