"""The official's agenda in a real browser at a phone's width (360 px): read the week, go to a
day, cancel an appointment with a reason; then the citizen's e-mail and its link to book again.
axe-core checks every page on the way.
"""

import datetime
import re

import pytest
from django.utils import timezone

from okence.booking.models import Status
from okence.booking.tests.chromium import CHROMIUM_ARGS
from okence.booking.tests.conftest import assert_accessible, launched_chromium
from okence.booking.tests.test_browser import wait_for_mail
from okence.conftest import make_appointment, session_key

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package")
pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    with launched_chromium(CHROMIUM_ARGS) as browser:
        yield browser


WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def signed_in_phone(browser, live_server, user):
    """A browser context 360 px wide, in Slovenian, signed in as ``user``."""
    context = browser.new_context(
        locale="sl-SI", timezone_id="Europe/Ljubljana", viewport={"width": 360, "height": 740}
    )
    context.set_default_timeout(5_000)
    context.add_cookies([{"name": "sessionid", "value": session_key(user), "url": live_server.url}])
    return context


def fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_an_official_cancels_from_the_agenda_and_the_citizen_can_book_again(
    browser, live_server, ana
):
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    start = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
    appointment, _ = make_appointment(
        ana, start=start, name="Rajko Lah", email="rajko@example.si", notes="Potrdilo."
    )
    make_appointment(ana, start=start.replace(hour=11), name="Mojca Novak")
    context = signed_in_phone(browser, live_server, ana.user)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/uradnik/teden/?teden={start.date().isoformat()}")
        row = page.locator(f"#appointment-{appointment.public_id}")
        expect(row).to_contain_text("Rajko Lah")
        expect(row).to_contain_text("Potrdilo.")
        expect(row).to_contain_text("Rezerviran")
        assert fits(page), "the week is wider than 360 px"
        assert_accessible(page, "the week")

        page.get_by_role("link", name="Dan", exact=True).click()
        page.get_by_label("Datum").fill(start.date().isoformat())
        page.get_by_role("button", name="Prikaži").click()
        expect(page.locator("h1")).to_contain_text(str(start.year))
        assert fits(page), "the day is wider than 360 px"
        assert_accessible(page, "the day")

        row.get_by_role("link", name=re.compile("^Prekliči")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Prekliči termin")
        assert_accessible(page, "the cancel page")
        page.get_by_role("button", name="Prekliči termin").click()
        expect(page.locator(".field-error")).to_be_visible()
        page.get_by_label("Razlog (stranka ga prebere v e-pošti)").fill("Uradnica je bolna.")
        page.get_by_role("button", name="Prekliči termin").click()

        expect(page.get_by_role("status").first).to_contain_text("Termin je preklican")
        expect(row).to_contain_text("Preklican")
        expect(row).to_contain_text("Razlog za preklic: Uradnica je bolna.")
        appointment.refresh_from_db()
        assert appointment.status == Status.CANCELLED

        message = wait_for_mail(lambda message: message.to == ["rajko@example.si"])
        html = message.alternatives[0].content
        assert "Uradnica je bolna." in html
        page.set_content(html)
        # An e-mail is not a page of the site: its rules are WCAG's, not the page landmarks'.
        assert_accessible(page, "the cancellation e-mail", options=WCAG)
        again = re.search(r'href="https?://[^/"]+(/[^"]*)">Rezervirajte nov termin', html)
        page.goto(live_server.url + again.group(1))
        expect(page.get_by_role("heading", level=1)).to_have_text("Izberite storitev")
        assert page.url == f"{live_server.url}/domzale/"
    finally:
        context.close()


def test_the_printed_day_list_shows_the_appointments_without_navigation_or_buttons(
    browser, live_server, ana
):
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    start = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
    appointment, _ = make_appointment(ana, start=start, name="Rajko Lah", notes="Potrdilo.")
    context = signed_in_phone(browser, live_server, ana.user)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/uradnik/dnevni-red/?dan={start.date().isoformat()}")
        print_button = page.get_by_role("button", name="Natisni")
        expect(print_button).to_be_visible()  # shown by agenda.js, which prints
        page.evaluate("() => { window.print = () => { window.printed = true; }; }")
        print_button.click()
        assert page.evaluate("() => window.printed === true")

        page.emulate_media(media="print")
        row = page.locator(f"#appointment-{appointment.public_id}")
        expect(row).to_be_visible()
        expect(row).to_contain_text("Rajko Lah")
        expect(row).to_contain_text("Potrdilo.")
        expect(page.get_by_role("columnheader", name="Storitev")).to_be_visible()
        for hidden in (
            ".site-header",
            ".agenda-nav",
            ".agenda-controls",
            ".row-actions",
            "th.no-print",
            ".site-footer",
        ):
            expect(page.locator(hidden).first).to_be_hidden()
        expect(page.get_by_role("button")).to_have_count(0)  # none left to see on paper
        # A table again on paper, not the narrow screen's cards.
        assert row.evaluate("tr => getComputedStyle(tr).display") == "table-row"
        assert_accessible(page, "the printed day list")
    finally:
        context.close()
