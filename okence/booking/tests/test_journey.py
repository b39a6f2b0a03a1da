"""The booking journey as plain pages (no JavaScript), through the test client."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from okence.booking.models import Appointment, Status
from okence.conftest import LJUBLJANA
from okence.outbox import services as outbox
from okence.outbox.models import Email

START = datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA)
DETAILS = {
    "name": "Rajko Lah",
    "email": "rajko.lah@example.si",
    "phone": "041 123 456",
    "notes": "Opomba za uradnico.",
    "privacy": "on",
}


def details_url(service):
    return reverse("booking:details", args=[service.unit.slug, service.slug])


def book(client, service, start=START, REMOTE_ADDR="127.0.0.1", **changes):  # noqa: N803
    data = DETAILS | {"start": start.astimezone(datetime.UTC).isoformat()} | changes
    return client.post(details_url(service), data, REMOTE_ADDR=REMOTE_ADDR)


def latest_code() -> str:
    outbox.deliver_due(timezone.now())
    return re.search(r"(\d{6})", mail.outbox[-1].subject).group(1)


@pytest.fixture
def verify_url(client, clock, service, ana):
    response = book(client, service)
    assert response.status_code == 303
    return response["Location"]


def test_the_unit_and_service_pages_list_what_is_offered(client, service, ana):
    assert "Upravna enota Domžale" in client.get("/").content.decode()
    page = client.get(reverse("booking:services", args=["domzale"])).content.decode()
    assert "Pridobivanje splošnih informacij" in page and "Osebni dokument." in page


def test_the_calendar_links_days_with_free_times_and_lists_a_days_times(
    client, clock, service, ana
):
    url = reverse("booking:calendar", args=["domzale", "splosne-informacije"])
    month = client.get(url).content.decode()
    assert 'href="?month=2026-12&amp;date=2026-12-08#times"' in month
    assert "date=2026-12-12" not in month  # a Saturday
    assert "date=2026-12-25" not in month  # a holiday
    day = client.get(url, {"month": "2026-12", "date": "2026-12-08"}).content.decode()
    assert 'aria-label="torek, 8. december 2026, 08:30 – 09:00 (UTC+01:00) Ljubljana"' in day


def test_a_wrong_month_or_day_in_the_address_falls_back_gracefully(client, clock, service, ana):
    """Caught: a 500 on nonsense, or a past month shown (nothing in it can be booked)."""
    url = reverse("booking:calendar", args=["domzale", "splosne-informacije"])
    for query in ({"month": "nonsense", "date": "2026-13-45"}, {"month": "1999-01"}):
        response = client.get(url, query)
        page = response.content.decode()
        assert response.status_code == 200
        # This month, with its bookable days linked, and no day chosen.
        assert 'href="?month=2026-12&amp;date=2026-12-08#times"' in page
        assert "08:30 – 09:00" not in page


def test_invalid_details_are_explained_and_nothing_typed_is_lost(client, clock, service, ana):
    response = book(client, service, email="not-an-address", phone="abc", privacy="")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Rajko Lah"' in page and 'value="not-an-address"' in page
    assert "Opomba za uradnico." in page
    assert page.count('class="errorlist') == 2  # the address and the phone
    assert "Potrdite, da ste prebrali obvestilo o varstvu osebnih podatkov." in page
    assert not Appointment.objects.exists()


def test_booking_without_the_privacy_acknowledgement_is_refused_and_nothing_is_lost(
    client, clock, service, ana
):
    """Caught: the acknowledgement made optional. An unticked box is not sent at all."""
    data = {key: value for key, value in DETAILS.items() if key != "privacy"}
    start = START.astimezone(datetime.UTC).isoformat()
    response = client.post(details_url(service), data | {"start": start})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Potrdite, da ste prebrali obvestilo o varstvu osebnih podatkov." in page
    assert 'class="errorlist' not in page  # the other details were right
    for typed in ('value="Rajko Lah"', 'value="rajko.lah@example.si"', 'value="041 123 456"'):
        assert typed in page
    assert "Opomba za uradnico." in page
    chosen = re.search(r'name="start" value="([^"]+)"', page)[1]
    assert datetime.datetime.fromisoformat(chosen) == START  # the chosen time stays chosen
    assert not Appointment.objects.exists()
    assert not Email.objects.exists()


def test_notes_longer_than_1000_characters_are_refused(client, clock, service, ana):
    response = book(client, service, notes="x" * 1001)
    assert response.status_code == 200 and not Appointment.objects.exists()


def test_the_whole_journey_books_the_appointment(client, clock, service, ana, verify_url):
    page = client.get(verify_url).content.decode()
    assert "rajko.lah@example.si" in page
    for label in ("Nadaljuj", "Znova mi pošlji kodo", "Nazaj", "Potrdite svoj e-poštni naslov"):
        assert label in page
    response = client.post(verify_url, {"action": "confirm", "code": latest_code()})
    assert response.status_code == 303
    done = client.get(response["Location"]).content.decode()
    assert "rajko.lah@example.si" in done
    appointment = Appointment.objects.get()
    assert appointment.status == Status.CONFIRMED
    outbox.deliver_due(timezone.now())
    confirmation = next(
        m for m in mail.outbox if m.to == ["rajko.lah@example.si"] and m.attachments
    )
    html = confirmation.alternatives[0].content
    assert "Pridružite se sestanku" in html
    meeting = re.search(r'href="http://[^"]+(/sestanek/[^"]+/)"', html).group(1)
    assert client.get(meeting).status_code == 200
    manage = re.search(r"(/termin/[^/\s]+/)", confirmation.body).group(1)
    assert "Opomba za uradnico." in confirmation.body
    cancelled = client.post(manage)
    assert cancelled.status_code == 303 and cancelled["Location"] == manage
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED


def test_cancelling_answers_with_a_redirect_and_sending_it_again_changes_nothing(
    client, clock, service, ana, verify_url
):
    client.post(verify_url, {"action": "confirm", "code": latest_code()})
    outbox.deliver_due(timezone.now())
    confirmation = next(m for m in mail.outbox if "/termin/" in m.body)
    manage = re.search(r"(/termin/[^/\s]+/)", confirmation.body)[1]
    first = client.post(manage)
    assert first.status_code == 303 and first["Location"] == manage
    page = client.get(manage)
    assert page.status_code == 200 and "Termin je preklican" in page.content.decode()
    sent = Email.objects.count()
    again = client.post(manage)  # the browser's reload of the POST, or a second click
    assert again.status_code == 303
    assert Email.objects.count() == sent  # no second cancellation is announced
    assert Appointment.objects.get().status == Status.CANCELLED


def test_a_wrong_code_says_how_many_tries_are_left(client, verify_url):
    code = latest_code()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    response = client.post(verify_url, {"action": "confirm", "code": wrong})
    assert response.status_code == 400
    assert "Koda ni pravilna. Imate še 4 poskuse." in response.content.decode()


def test_a_code_that_is_not_six_digits_is_explained(client, verify_url):
    response = client.post(verify_url, {"action": "confirm", "code": "12ab"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()


def test_resend_is_refused_within_a_minute_and_allowed_after(client, clock, verify_url):
    assert client.post(verify_url, {"action": "resend"}).status_code == 400
    clock.shift(datetime.timedelta(seconds=61))
    sent = client.post(verify_url, {"action": "resend"})
    assert sent.status_code == 303  # reloading the page that follows asks for no other code
    assert "Nova koda je na poti" in client.get(sent["Location"]).content.decode()


def test_back_leads_to_the_details_filled_in(client, verify_url):
    page = client.get(verify_url).content.decode()
    back = re.search(r'href="([^"]+)" data-back', page).group(1).replace("&amp;", "&")
    details = client.get(back).content.decode()
    assert 'value="Rajko Lah"' in details and 'value="041 123 456"' in details


def test_a_taken_time_says_so_keeps_the_details_and_offers_other_times(
    client, clock, service, ana, verify_url
):
    response = book(client, service, name="Druga Oseba", email="druga@example.si")
    page = response.content.decode()
    assert response.status_code == 409
    assert 'role="alert"' in page and 'value="Druga Oseba"' in page
    assert 'name="start" value="2026-12-08T08:00:00+00:00"' in page  # 09:00 is offered instead


def test_wrong_tokens_get_404(client, db):
    for name in ("booking:verify", "booking:done", "booking:manage", "meetings:room"):
        assert client.get(reverse(name, args=["x" * 32])).status_code == 404


def test_english_is_the_second_language(client, clock, service, ana):
    page = client.get("/en/domzale/splosne-informacije/", {"date": "2026-12-08"}).content.decode()
    assert '<html lang="en">' in page
    assert "Tuesday, 8 December 2026, 08:30 – 09:00 (UTC+01:00) Ljubljana" in page


def test_pages_carry_a_strict_content_security_policy(client, clock, service, ana):
    response = client.get(details_url(service), {"start": START.isoformat()})
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'nonce="{nonce}"' in response.content.decode()
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy and "default-src 'self'" in policy


def test_holds_from_addresses_of_one_ipv6_64_share_one_limit(client, clock, service, ana, settings):
    settings.BOOKING_HOLDS_PER_IP_PER_HOUR = 1
    first = book(client, service, REMOTE_ADDR="2001:db8:7:8::1")
    assert first.status_code == 303
    later = START + datetime.timedelta(hours=1)
    refused = book(client, service, later, email="b@example.si", REMOTE_ADDR="2001:db8:7:8::2")
    assert refused.status_code == 200 and 'role="alert"' in refused.content.decode()
    other = book(client, service, later, email="c@example.si", REMOTE_ADDR="2001:db8:7:9::1")
    assert other.status_code == 303


def _without_what_differs_between_holds(page: str) -> str:
    return re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"|/rezervacija/[^/]+/|hold=[^"&]+|'
        r'<p class="address">[^<]*</p>|(data-token|nonce)="[^"]+"',
        "",
        page,
    )


def test_whether_an_address_was_just_used_is_never_told(client, clock, service, ana, marko):
    fresh = book(client, service, email="nikoli.prej@example.si")
    # A stranger books for an address that received a code a moment ago.
    used = book(client, service, REMOTE_ADDR="192.0.2.99")
    assert fresh.status_code == used.status_code == 303
    for _ in range(4):  # the used address is then past its five codes an hour
        clock.shift(datetime.timedelta(seconds=61))
        client.post(used["Location"], {"action": "resend"})
    clock.shift(datetime.timedelta(seconds=61))
    answers = [
        client.post(url, {"action": "resend"}, follow=True)
        for url in (fresh["Location"], used["Location"])
    ]
    assert answers[0].status_code == answers[1].status_code == 200
    pages = [_without_what_differs_between_holds(a.content.decode()) for a in answers]
    assert pages[0] == pages[1]


@pytest.mark.parametrize(
    ("language", "day", "join", "subject"),
    [
        ("sl", "torek, 8. december 2026", "Pridružite se sestanku", "Vaša koda za preverjanje"),
        ("en", "Tuesday, 8 December 2026", "Join the meeting", "Your verification code"),
        ("it", "martedì 8 dicembre 2026", "Partecipa all", "Il suo codice di verifica"),
        ("hu", "2026. december 8., kedd", "Csatlakozás a megbeszéléshez", "Az Ön ellenőrző kódja"),
    ],
)
def test_the_citizen_s_language_at_booking_is_kept_for_the_e_mails_and_the_meeting(
    client, clock, service, ana, language, day, join, subject
):
    prefix = "" if language == "sl" else f"/{language}"
    calendar = client.get(f"{prefix}/domzale/splosne-informacije/", {"date": "2026-12-08"}).text
    assert f'<html lang="{language}">' in calendar and day in calendar
    client.cookies.clear()
    with translation.override(language):
        url = details_url(service)
    response = client.post(
        url,
        DETAILS | {"start": START.astimezone(datetime.UTC).isoformat()},
    )
    assert response.status_code == 303
    code = latest_code()
    assert subject in mail.outbox[-1].subject
    client.post(response["Location"], {"action": "confirm", "code": code})
    assert Appointment.objects.get().language == language
    outbox.deliver_due(timezone.now())
    html = next(m for m in mail.outbox if m.attachments).alternatives[0].content
    assert join in html
    meeting = re.search(r'href="http://[^/"]+([^"]*/sestanek/[^"]+/)"', html).group(1)
    assert meeting.startswith(f"{prefix}/sestanek/")  # the meeting pages follow
    assert f'<html lang="{language}">' in client.get(meeting).text


@pytest.mark.parametrize(
    ("language", "name"),
    [("en", "General information"), ("it", "Informazioni generali"), ("hu", "Tájékoztatás")],
)
def test_the_e_mails_and_the_invite_name_the_service_in_the_citizen_s_language(
    client, clock, service, ana, language, name
):
    setattr(service, f"name_{language}", name)  # no translation of what to prepare
    service.save()
    with translation.override(language):
        url = details_url(service)
    response = client.post(url, DETAILS | {"start": START.astimezone(datetime.UTC).isoformat()})
    code = latest_code()
    assert name in mail.outbox[-1].alternatives[0].content  # the code's e-mail
    client.post(response["Location"], {"action": "confirm", "code": code})
    outbox.deliver_due(timezone.now())
    confirmation = next(m for m in mail.outbox if m.attachments)
    assert name in confirmation.subject and name in confirmation.body
    html = confirmation.alternatives[0].content
    assert f'<html lang="{language}">' in html
    assert f">{name}</p>" in html  # in the citizen's language: not marked
    assert '<span lang="sl">Upravna enota Domžale</span>' in html
    assert '<span lang="sl">Osebni dokument.</span>' in html  # the Slovenian fallback
    invite = Calendar.from_ical(confirmation.attachments[0].content)
    event = invite.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == f"{name} – Upravna enota Domžale"
    assert name in str(event["DESCRIPTION"])
