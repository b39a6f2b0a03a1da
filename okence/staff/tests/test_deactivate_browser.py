"""In a real browser (Chromium) at 360 px, with axe-core on each page: an official with the
second factor on signs in with the code from their authenticator app; a unit administrator
deactivates a colleague, moving one appointment to another official and cancelling the other,
and the citizens get the updated invite and the cancellation."""

import datetime
import re

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from okence.booking.models import Status
from okence.booking.tests.conftest import assert_accessible
from okence.booking.tests.test_browser import wait_for_mail
from okence.conftest import LJUBLJANA, make_appointment
from okence.offices import services as offices
from okence.staff.tests.conftest import fits

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package")
pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Okence-geslo-2026!"


def sign_in(page, url, user):
    user.set_password(PASSWORD)
    user.save()
    page.goto(f"{url}/prijava/")
    page.get_by_label("Uporabniško ime").fill(user.username)
    page.get_by_label("Geslo").fill(PASSWORD)
    page.get_by_role("button", name="Prijava").click()


def next_working_day(unit) -> datetime.date:
    """The first weekday after tomorrow on which the unit is open (not a public holiday)."""
    day = timezone.localdate() + datetime.timedelta(days=2)
    while day.weekday() > 4 or offices.closed_days(unit, day, day):
        day += datetime.timedelta(days=1)
    return day


def test_an_official_signs_in_with_the_code_from_the_authenticator_app(phone, live_server, ana):
    device = TOTPDevice.objects.create(user=ana.user, name="Okence", confirmed=True)
    sign_in(phone, live_server.url, ana.user)

    expect(phone).to_have_url(re.compile(r"/racun/potrditev/"))
    expect(phone.get_by_role("heading", name="Drugi faktor")).to_be_visible()
    assert_accessible(phone, "the second-factor code page")
    assert fits(phone)
    code = phone.get_by_label("Koda iz aplikacije za preverjanje pristnosti")
    code.fill("12345x")
    code.press("Enter")  # by keyboard
    expect(phone.get_by_text("Koda ni pravilna. Vnesite trenutno kodo.")).to_be_visible()
    assert_accessible(phone, "the second-factor code page with an error")
    assert fits(phone)
    # django-otp's wait after a wrong code (tested in test_second_factor) is not this test's.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    device.refresh_from_db()
    code.fill(f"{totp(device.bin_key):06d}")
    code.press("Enter")
    expect(phone).to_have_url(re.compile(r"/uradnik/$"))


def test_an_administrator_deactivates_a_colleague_and_decides_for_each_appointment(
    phone, live_server, settings, ana, marko, unit
):
    settings.SITE_URL = live_server.url
    ana.administers.add(unit)
    day = next_working_day(unit)
    at = lambda hour: datetime.datetime.combine(day, datetime.time(hour), tzinfo=LJUBLJANA)  # noqa: E731
    moved, _ = make_appointment(marko, start=at(9), name="Rajko Lah", email="rajko@example.si")
    cancelled, _ = make_appointment(
        marko, start=at(10), name="Mojca Novak", email="mojca@example.si"
    )
    make_appointment(ana, start=at(10), email="other@example.si")  # Ana is busy at 10:00
    sign_in(phone, live_server.url, ana.user)

    phone.goto(f"{live_server.url}/uprava/osebje/")
    phone.get_by_role("link", name="Deaktiviraj: Marko Test").click()
    expect(phone.get_by_role("heading", name="Deaktiviraj: Marko Test")).to_be_visible()
    assert_accessible(phone, "the deactivate page")
    assert fits(phone)
    to_ana = phone.get_by_role("radio", name="Prestavi k: Ana Test, ob istem času")
    expect(to_ana).to_be_checked()  # the first free colleague is proposed
    # At 10:00 nobody is free: cancelling is the only choice, already chosen.
    expect(phone.get_by_role("radio", name="Odpovej ga in obvesti stranko")).to_have_count(2)
    expect(phone.get_by_text("Ob tem času ni prost noben drug javni uslužbenec.")).to_be_visible()
    phone.locator(f"#message-{cancelled.pk}").fill("Uradnik pri nas ne dela več.")
    phone.get_by_role("button", name="Deaktiviraj in izvedi izbrano").click()

    expect(phone.get_by_role("status")).to_contain_text("Račun Marko Test je deaktiviran.")
    expect(phone.get_by_role("cell", name="deaktiviran", exact=True)).to_be_visible()
    assert_accessible(phone, "the staff list after deactivating")
    moved.refresh_from_db()
    cancelled.refresh_from_db()
    assert moved.official == ana and moved.status == Status.CONFIRMED
    assert cancelled.status == Status.CANCELLED
    invite = wait_for_mail(lambda m: m.to == ["rajko@example.si"]).attachments[0].content
    assert "METHOD:REQUEST" in invite and "SEQUENCE:1" in invite
    assert f"UID:{moved.public_id}@okence" in invite
    cancellation = wait_for_mail(lambda m: m.to == ["mojca@example.si"])
    assert "Uradnik pri nas ne dela več." in cancellation.body
    assert "METHOD:CANCEL" in cancellation.attachments[0].content
