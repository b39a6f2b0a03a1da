"""The official's calendar feed: a secret, revocable address with their own appointments.

Ana and Marko are officials at Domžale. The clock stands on Monday 7 December 2026, 07:00.
"""

import datetime

import pytest
from django.utils import timezone
from icalendar import Calendar

from okence.audit.models import Action, AuditEvent
from okence.booking.models import Status
from okence.conftest import LJUBLJANA, make_appointment
from okence.meetings import calendar_feed

SETTINGS = "/uradnik/koledar/"


def book(official, *args, **fields):
    start = datetime.datetime(*args, tzinfo=LJUBLJANA)
    return make_appointment(official, start=start, **fields)[0]


def events(response) -> list:
    return Calendar.from_ical(response.content).walk("VEVENT")


def token_of(response) -> str:
    address = response.context["address"]
    return address.rsplit("/", 1)[1].removesuffix(".ics")


def test_the_feed_lists_the_officials_own_appointments_without_the_citizen(
    clock, client, ana, marko
):
    mine = book(ana, 2026, 12, 8, 8, name="Rajko Lah")
    book(ana, 2026, 12, 8, 9, status=Status.CANCELLED)
    book(ana, 2026, 12, 8, 10, status=Status.HELD)
    book(marko, 2026, 12, 8, 8)
    token = calendar_feed.renew(ana, timezone.now())

    response = client.get(f"/koledar/{token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    [event] = events(response)
    assert str(event["uid"]) == f"{mine.public_id}@okence"
    assert str(event["summary"]) == mine.service.name
    assert b"Rajko" not in response.content and b"rajko" not in response.content
    assert b"BEGIN:VTIMEZONE" in response.content and b"RRULE:" in response.content


def test_the_citizens_name_is_shown_only_if_the_operator_allows_it(clock, client, ana, settings):
    settings.CALENDAR_FEED_NAMES = True
    book(ana, 2026, 12, 8, 8, name="Rajko Lah")
    token = calendar_feed.renew(ana, timezone.now())

    [event] = events(client.get(f"/koledar/{token}.ics"))

    assert str(event["summary"]).endswith("– Rajko Lah")


def test_an_unknown_or_replaced_address_is_not_found(clock, client, ana):
    old = calendar_feed.renew(ana, timezone.now())
    new = calendar_feed.renew(ana, timezone.now())

    assert client.get(f"/koledar/{old}.ics").status_code == 404
    assert client.get("/koledar/not-a-token.ics").status_code == 404
    assert client.get(f"/koledar/{new}.ics").status_code == 200


def test_an_official_makes_and_revokes_the_address(clock, client, ana):
    client.force_login(ana.user)

    made = client.post(SETTINGS, {"action": "renew"})
    token = token_of(made)
    assert client.get(f"/koledar/{token}.ics").status_code == 200
    client.post(SETTINGS, {"action": "revoke"})

    assert client.get(f"/koledar/{token}.ics").status_code == 404
    assert (
        list(AuditEvent.objects.exclude(action=Action.SIGNED_IN).values_list("action", flat=True))
        == [Action.CALENDAR_FEED_CHANGED] * 2
    )


def test_the_feed_of_a_deactivated_official_stops(clock, client, ana):
    token = calendar_feed.renew(ana, timezone.now())
    ana.user.is_active = False
    ana.user.save()

    assert client.get(f"/koledar/{token}.ics").status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_settings_page_is_for_officials_only(client, admin_user, method):
    client.force_login(admin_user)

    assert getattr(client, method)(SETTINGS).status_code == 404
