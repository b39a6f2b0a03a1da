"""A unit administrator invites an official in a real browser (Chromium); the official follows
the link in the e-mail, sets a password and signs in. axe-core checks every new staff page, at
360 px wide as on a phone (no page scrolls sideways)."""

import re
import time

import pytest
from django.core import mail

from okence.booking.tests.conftest import assert_accessible
from okence.staff.tests.conftest import fits

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package")
pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Okence-geslo-2026!"
LINK = re.compile(r"https?://\S+/racun/nastavi-geslo/\S+/")


def sign_in(page, url, username, password):
    page.goto(f"{url}/prijava/")
    page.get_by_label("Uporabniško ime").fill(username)
    page.get_by_label("Geslo").fill(password)
    page.get_by_role("button", name="Prijava").click()


def wait_for_mail(to: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not (found := [m for m in mail.outbox if m.to == [to]]):
        if time.monotonic() > deadline:
            pytest.fail(f"no e-mail to {to}")
        time.sleep(0.05)
    return found[-1]


def test_an_invited_official_sets_a_password_from_the_email_and_signs_in(
    phone, live_server, ana, unit, settings
):
    settings.SITE_URL = live_server.url
    ana.user.set_password(PASSWORD)
    ana.user.save()
    ana.administers.add(unit)
    sign_in(phone, live_server.url, "ana", PASSWORD)

    phone.goto(f"{live_server.url}/uprava/osebje/")
    expect(phone.get_by_role("heading", name="Osebje", exact=True)).to_be_visible()
    assert_accessible(phone, "the staff list")
    assert fits(phone)
    phone.get_by_role("link", name="Povabi uradno osebo").click()
    assert_accessible(phone, "the invitation form")
    assert fits(phone)
    phone.get_by_role("textbox", name="Ime:", exact=True).fill("Petra")
    phone.get_by_label("Priimek").fill("Novak")
    phone.get_by_label("E-pošta").fill("petra.novak@example.si")
    phone.get_by_role("button", name="Pošlji vabilo").click()
    expect(phone.get_by_role("status")).to_contain_text("petra.novak@example.si")
    expect(phone.get_by_role("cell", name="povabljena, še brez gesla")).to_be_visible()

    phone.goto(f"{live_server.url}/uprava/revizija/")
    expect(phone.get_by_role("cell", name="povabilo uslužbencu")).to_be_visible()
    assert_accessible(phone, "the audit log")
    assert fits(phone)
    phone.goto(f"{live_server.url}/racun/")
    assert_accessible(phone, "my account")
    assert fits(phone)
    phone.goto(f"{live_server.url}/racun/drugi-faktor/")
    expect(phone.get_by_role("heading", name="Drugi faktor")).to_be_visible()
    assert_accessible(phone, "the second-factor page")
    assert fits(phone)
    phone.get_by_role("button", name="Odjava").click()

    email = wait_for_mail("petra.novak@example.si")
    phone.goto(LINK.search(email.body).group(0))
    expect(phone.get_by_role("heading", name="Nastavite geslo")).to_be_visible()
    assert_accessible(phone, "the set-password page")
    assert fits(phone)
    phone.get_by_label("Novo geslo:", exact=True).fill(PASSWORD)
    phone.get_by_label("Potrditev novega gesla").fill(PASSWORD)
    phone.get_by_role("button", name="Nastavi geslo").click()
    expect(phone.get_by_role("heading", name="Prijava za zaposlene")).to_be_visible()
    sign_in(phone, live_server.url, "petra.novak@example.si", PASSWORD)
    expect(phone).to_have_url(re.compile(r"/uradnik/$"))
