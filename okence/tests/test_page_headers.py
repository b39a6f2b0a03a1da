"""Which pages may be stored, and which may use the camera (okence/page_headers.py).

Every private page is requested for real, with a valid token or a signed-in official, and a
URL pattern that is neither listed here nor public fails the last test: a new page must be
classified before it ships.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from okence.booking.models import Appointment, Status
from okence.conftest import make_appointment
from okence.exchange import services as exchange
from okence.meetings import calendar_feed
from okence.meetings import services as meetings
from okence.page_headers import PUBLIC_PAGES
from okence.surveys.models import Ticket
from okence.tokens import hash_token

HOLD, DONE = "hold-token-for-tests", "confirmed-hold-token-for-tests"
MANAGE, SURVEY = "manage-token-for-tests", "survey-token-for-tests"

# Private pages: URL name -> (who asks, the address with the tokens of the ``pages`` fixture).
PRIVATE = {
    "login": ("citizen", "/prijava/"),
    "logout": ("official", "/odjava/"),
    "set_language": ("citizen", "/i18n/setlang/"),
    "booking:details": ("citizen", "/domzale/splosne-informacije/podatki/"),
    "booking:verify": ("citizen", f"/rezervacija/{HOLD}/"),
    "booking:done": ("citizen", f"/rezervacija/{DONE}/potrjeno/"),
    "booking:manage": ("citizen", f"/termin/{MANAGE}/"),
    "meetings:room": ("citizen", "/sestanek/{meeting}/"),
    "meetings:check": ("citizen", "/sestanek/{meeting}/preizkus/"),
    "meetings:console": ("official", "/uradnik/"),
    "meetings:official_room": ("official", "/uradnik/sestanek/{public_id}/"),
    "meetings:agenda_day": ("official", "/uradnik/dnevni-red/?dan=2026-12-07"),
    "meetings:agenda_week": ("official", "/uradnik/teden/?teden=2026-12-07"),
    "meetings:cancel": ("official", "/uradnik/termin/{public_id}/odpoved/"),
    "meetings:no_show": ("official", "/uradnik/termin/{public_id}/izostanek/"),
    "meetings:note": ("official", "/uradnik/termin/{public_id}/zapisek/"),
    "meetings:calendar_feed_settings": ("official", "/uradnik/koledar/"),
    "meetings:calendar_feed": ("citizen", "/koledar/{feed}.ics"),
    "exchange:citizen_folder": ("citizen", "/sestanek/{meeting}/mapa/"),
    "exchange:citizen_files": ("citizen", "/sestanek/{meeting}/mapa/datoteke/"),
    "exchange:citizen_download": ("citizen", "/sestanek/{meeting}/mapa/prenesi/?id=1"),
    "exchange:citizen_upload": ("citizen", "/sestanek/{meeting}/mapa/nalozi/"),
    "exchange:official_folder": ("official", "/uradnik/mapa/{public_id}/"),
    "exchange:official_files": ("official", "/uradnik/mapa/{public_id}/datoteke/"),
    "exchange:official_download": ("official", "/uradnik/mapa/{public_id}/prenesi/?id=1"),
    "exchange:official_upload": ("official", "/uradnik/mapa/{public_id}/nalozi/"),
    "exchange:create": ("official", "/uradnik/mapa/{public_id}/ustvari/"),
    "surveys:from_meeting": ("citizen", "/sestanek/{ended}/anketa/"),
    "surveys:meeting_thanks": ("citizen", "/sestanek/{ended}/anketa/hvala/"),
    "surveys:answer": ("citizen", f"/anketa/{SURVEY}/"),
    "surveys:thanks": ("citizen", f"/anketa/{SURVEY}/hvala/"),
    "reports:overview": ("official", "/statistika/"),
    "reports:chart": ("official", "/statistika/grafi/po-dnevih.svg"),
    "reports:csv": ("official", "/statistika/izvoz.csv"),
    "reports:xlsx": ("official", "/statistika/izvoz.xlsx"),
    "outbox:index": ("citizen", "/dev/outbox/"),
    "outbox:html": ("citizen", "/dev/outbox/20261207T060000.0-abcd.eml/html/"),
    "outbox:attachment": ("citizen", "/dev/outbox/20261207T060000.0-abcd.eml/attachment/0/"),
    "staff:list": ("official", "/uprava/osebje/"),
    "staff:invite": ("official", "/uprava/osebje/{unit}/povabi/"),
    "staff:reset_password": ("official", "/uprava/osebje/{unit}/{official}/geslo/"),
    "staff:deactivate": ("official", "/uprava/osebje/{unit}/{official}/deaktiviraj/"),
    "staff:account": ("official", "/racun/"),
    "staff:second_factor": ("official", "/racun/drugi-faktor/"),
    "staff:verify": ("official", "/racun/potrditev/"),
    "staff:set_password": ("citizen", "/racun/nastavi-geslo/MQ/abc-123/"),
    "audit:log": ("official", "/uprava/revizija/"),
    "legal:accessibility": ("citizen", "/dostopnost/"),  # its form carries a CSRF token
    "admin:index": ("official", "/admin/"),
    "offices:unit": ("official", "/uprava/{unit}/"),
    "offices:services": ("official", "/uprava/{unit}/storitve/"),
    "offices:service_new": ("official", "/uprava/{unit}/storitve/nova/"),
    "offices:service": ("official", "/uprava/{unit}/storitve/{service}/"),
    "offices:hours": ("official", "/uprava/{unit}/delovni-cas/"),
    "offices:hours_edit": ("official", "/uprava/{unit}/delovni-cas/{official}/"),
    "offices:absences": ("official", "/uprava/{unit}/odsotnosti/"),
    "offices:absence_add": ("official", "/uprava/{unit}/odsotnosti/zaprtje/"),
    "offices:absence_delete": ("official", "/uprava/{unit}/odsotnosti/zaprtje/1/izbrisi/"),
    "admin:booking_appointment_changelist": ("official", "/admin/booking/appointment/"),
}
# Every admin page is private (Django's admin sets never-cache headers itself as well).
PRIVATE_NAMESPACES = {"admin"}

PUBLIC = {
    "booking:units": "/",
    "booking:services": "/domzale/",
    "booking:calendar": "/domzale/splosne-informacije/",
    "reports:open_data": "/odprti-podatki/statistika.json",
    "reports:open_data_schema": "/odprti-podatki/shema.json",
    "legal:privacy": "/zasebnost/",
    "legal:feedback_thanks": "/dostopnost/hvala/",
}
MEDIA_PAGES = {"meetings:room", "meetings:official_room", "meetings:check"}


@pytest.fixture
def pages(clock, client, ana, service):
    """Ana's meeting in progress with its folder, an earlier one's survey; Ana a superuser."""
    appointment, meeting = make_appointment(
        ana,
        start=timezone.now(),
        status=Status.IN_MEETING,
        manage_token_hash=hash_token(MANAGE),
    )
    Appointment.objects.filter(pk=appointment.pk).update(hold_token_hash=hash_token(DONE))
    held, _ = make_appointment(
        ana,
        start=timezone.now() + datetime.timedelta(hours=3),
        status=Status.HELD,
        hold_expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    Appointment.objects.filter(pk=held.pk).update(hold_token_hash=hash_token(HOLD))
    room = meetings.room_of(appointment)
    room.admitted_at = timezone.now()
    room.save(update_fields=["admitted_at"])
    exchange.create_folder(appointment, ana, timezone.now())
    ended, ended_token = make_appointment(
        ana, start=timezone.now() - datetime.timedelta(hours=2), status=Status.COMPLETED
    )
    Ticket.objects.create(
        appointment=ended,
        token_hash=hash_token(SURVEY),
        created_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    ana.user.is_superuser = True  # reads statistics and the admin
    ana.user.save()
    feed = calendar_feed.renew(ana, timezone.now())
    return {
        "meeting": meeting,
        "public_id": appointment.public_id,
        "ended": ended_token,
        "feed": feed,
        "unit": appointment.unit_id,
        "service": service.pk,
        "official": ana.pk,
    }


def get(client, pages, who, address, ana):
    if who == "official":
        client.force_login(ana.user)
    return client.get(address.format(**pages))


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PRIVATE))
def test_a_private_page_is_never_stored(client, pages, ana, name):
    who, address = PRIVATE[name]
    response = get(client, pages, who, address, ana)
    assert response.resolver_match.view_name == name
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "booking:verify",
        "booking:done",
        "booking:manage",
        "meetings:room",
        "meetings:check",
        "meetings:console",
        "meetings:official_room",
        "meetings:agenda_day",
        "meetings:agenda_week",
        "meetings:cancel",
        "meetings:calendar_feed_settings",
        "meetings:calendar_feed",
        "exchange:citizen_folder",
        "exchange:official_folder",
        "surveys:from_meeting",
        "surveys:answer",
        "reports:overview",
        "reports:csv",
        "admin:index",
    ],
)
def test_the_pages_with_personal_data_are_real_pages_not_refusals(client, pages, ana, name):
    """The tokens above open the real pages, so the header is tested on what it protects."""
    who, address = PRIVATE[name]
    assert get(client, pages, who, address, ana).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_a_public_page_keeps_its_own_caching(client, pages, name):
    response = client.get(PUBLIC[name])
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_the_open_data_may_be_cached_by_anyone(client, pages):
    response = client.get(PUBLIC["reports:open_data"])
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PRIVATE | PUBLIC))
def test_only_the_meeting_pages_may_use_the_camera_microphone_and_screen(client, pages, ana, name):
    who, address = PRIVATE.get(name, ("citizen", PUBLIC.get(name)))
    policy = get(client, pages, who, address, ana)["Permissions-Policy"]
    features = dict(item.strip().split("=") for item in policy.split(","))
    expected = "(self)" if name in MEDIA_PAGES else "()"
    assert features == {"camera": expected, "microphone": expected, "display-capture": expected}


def names(patterns, namespace: str = "") -> set[str]:
    found = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.add(namespace + pattern.name)
    return found


def test_every_page_is_classified_public_or_private():
    unclassified = {
        name
        for name in names(get_resolver().url_patterns)
        if name not in PUBLIC and name not in PRIVATE
        if name.split(":")[0] not in PRIVATE_NAMESPACES
    }
    assert unclassified == set(), "add each page to PRIVATE (and test it) or to PUBLIC"
    assert set(PUBLIC) == PUBLIC_PAGES
