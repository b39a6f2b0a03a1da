"""The unit administrator's pages in a real browser (Chromium), by keyboard, at 360 px: axe-core
on each page, leave that strands a booking, the conflict page, and the citizen's updated invite.
The pages have no script of their own (axe needs JavaScript on, as it waits on timers).

The live server runs on the real clock, so the booked appointment is put on a weekday ahead.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from okence.booking.models import Appointment
from okence.booking.tests.conftest import (  # noqa: F401  (fixtures, re-exported)
    assert_accessible,
    browser,
    page,
)
from okence.booking.tests.test_browser import wait_for_mail
from okence.conftest import LJUBLJANA, make_appointment, make_official, session_key
from okence.offices import services as offices

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package")
pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_working_day_ahead() -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=3)
    while day.weekday() > 4 or day in offices.public_holidays(day.year):
        day += datetime.timedelta(days=1)
    return day


def signed_in(tab, url, user):
    tab.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": session_key(user),
                "url": url,
            }
        ]
    )
    tab.set_viewport_size({"width": 360, "height": 780})


def fits_360(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth") <= 360


def test_leave_on_a_booked_day_moves_the_appointment_by_keyboard(
    page,  # noqa: F811
    live_server,
    unit,
    service,
):
    ana = make_official(unit, service, "ana", "Ana")
    marko = make_official(unit, service, "marko", "Marko")
    ana.administers.add(unit)
    day = a_working_day_ahead()
    start = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=LJUBLJANA)
    appointment, _ = make_appointment(ana, start=start)
    signed_in(page, live_server.url, ana.user)
    base = live_server.url

    for name in ("unit", "services", "service_new", "hours"):
        page.goto(base + reverse(f"offices:{name}", args=[unit.pk]))
        expect(page.get_by_role("navigation", name="Upravljanje enote")).to_be_visible()
        assert_accessible(page, name)
        assert fits_360(page), name
    page.goto(base + reverse("offices:hours_edit", args=[unit.pk, ana.pk]))
    assert_accessible(page, "the hours editor")
    assert fits_360(page)

    page.goto(base + reverse("offices:absences", args=[unit.pk]))
    expect(page.get_by_role("heading", name="Državni prazniki")).to_be_visible()
    assert_accessible(page, "leave and closures")
    assert fits_360(page)
    leave = page.get_by_role("group", name="Dodaj dopust ali bolniško odsotnost")
    leave.get_by_label("Javni uslužbenec").select_option(label="Ana Test")
    leave.get_by_label("Prvi dan").fill(day.isoformat())
    leave.get_by_label("Zadnji dan").fill(day.isoformat())
    leave.get_by_label("Razlog").fill("bolniška")
    leave.get_by_label("Razlog").press("Enter")  # the keyboard submits the form

    expect(page.get_by_role("heading", name="Sprememba zadeva rezervirane termine")).to_be_visible()
    assert_accessible(page, "the conflict page")
    assert fits_360(page)
    move = page.get_by_label("Prestavi k: Marko Test, ob istem času")
    expect(move).to_be_checked()
    confirm = page.get_by_role("button", name="Shrani spremembo in izvedi izbrano")
    confirm.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Shranjeno.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.official == marko and appointment.invite_sequence == 1
    assert not Appointment.objects.filter(official=ana, status="confirmed").exists()
    invite = wait_for_mail(lambda m: m.to == ["rajko.lah@example.si"] and m.attachments)
    content = invite.attachments[0].content
    assert "METHOD:REQUEST" in content and "SEQUENCE:1" in content
    assert f"UID:{appointment.public_id}@okence" in content
    assert "ob istem času" in invite.body
