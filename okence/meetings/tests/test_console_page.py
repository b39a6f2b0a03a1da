"""The official's console page, the staff sign-in and who may open an official's meeting page.

Personas: Ana and Marko are officials at Domžale; Janez is an official at Ljutomer; Tina is staff
but no official. The clock stands on Monday 7 December 2026, 07:00 in Ljubljana.
"""

import datetime
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from okence.booking.models import Appointment, Status
from okence.conftest import LJUBLJANA, make_appointment
from okence.meetings.models import Room

CONSOLE = "/uradnik/"


def book(official, at, *, name, status=Status.CONFIRMED, notes=""):
    """An appointment of ``official`` at local time ``at``, as the booking flow leaves it."""
    appointment, _ = make_appointment(
        official,
        start=at.replace(tzinfo=LJUBLJANA),
        status=status,
        name=name,
        email="citizen@example.si",
        phone="041000000",
        notes=notes,
        created_at=timezone.now(),
    )
    return appointment


def today(hour, minute=0):
    return datetime.datetime(2026, 12, 7, hour, minute)


@pytest.fixture
def day(clock, ana, marko, janez):
    """A day at Domžale and Ljutomer, with appointments that must never show up on Monday."""
    return {
        "ana_morning": book(ana, today(8), name="Rajko Lah", notes="Potrebujem potrdilo."),
        "ana_cancelled": book(ana, today(9), name="Mojca Pokrajculja", status=Status.CANCELLED),
        "ana_held": book(ana, today(10), name="Held Hold", status=Status.HELD),
        "ana_tomorrow": book(ana, datetime.datetime(2026, 12, 8, 8), name="Tomorrow Jutri"),
        "ana_yesterday": book(ana, datetime.datetime(2026, 12, 6, 23, 30), name="Včeraj Sinoči"),
        "marko_morning": book(marko, today(8, 30), name="Marko's Citizen"),
        "janez_morning": book(janez, today(8), name="Ljutomer Citizen"),
    }


def signed_in(client, official):
    client.force_login(official.user)
    return client


def listed(response) -> list[str]:
    return [str(a.public_id) for a in response.context["appointments"]]


def ids(*appointments) -> list[str]:
    return [str(a.public_id) for a in appointments]


# Access -------------------------------------------------------------------------------------


def test_it_sends_a_visitor_to_the_staff_sign_in(client, db):
    response = client.get(CONSOLE)

    assert response.status_code == 302
    assert response.url == f"/prijava/?next={CONSOLE}"


def test_it_is_not_found_for_staff_who_are_not_officials(client, db):
    tina = get_user_model().objects.create_user("tina", "tina@example.si", "x", is_staff=True)
    client.force_login(tina)

    assert client.get(CONSOLE).status_code == 404
    assert client.get(CONSOLE + "?vsi=1").status_code == 404


# What the console lists --------------------------------------------------------------------


def test_it_lists_only_the_officials_own_appointments_of_today_in_time_order(client, day, ana):
    response = signed_in(client, ana).get(CONSOLE)

    assert response.status_code == 200
    assert response.context["whole_unit"] is False
    assert listed(response) == ids(day["ana_morning"], day["ana_cancelled"])
    content = response.content.decode()
    assert "Rajko Lah" in content
    for other in ("marko_morning", "janez_morning", "ana_held", "ana_tomorrow", "ana_yesterday"):
        assert str(day[other].public_id) not in content
        assert day[other].name not in content


def test_the_whole_unit_adds_colleagues_but_never_another_unit(client, day, ana):
    response = signed_in(client, ana).get(CONSOLE + "?vsi=1")

    assert response.status_code == 200
    assert response.context["whole_unit"] is True
    assert listed(response) == ids(day["ana_morning"], day["marko_morning"], day["ana_cancelled"])
    content = response.content.decode()
    assert "Marko&#x27;s Citizen" in content
    assert str(day["janez_morning"].public_id) not in content
    assert "Ljutomer Citizen" not in content


def test_the_other_units_official_sees_only_their_own(client, day, janez):
    response = signed_in(client, janez).get(CONSOLE + "?vsi=1")

    assert listed(response) == ids(day["janez_morning"])
    assert "Rajko Lah" not in response.content.decode()


def row(response, appointment) -> str:
    """The <tr> of one appointment in the page."""
    content = response.content.decode()
    match = re.search(
        rf'<tr id="appointment-{appointment.public_id}".*?</tr>', content, flags=re.DOTALL
    )
    assert match, f"no row for {appointment.name}"
    return match.group(0)


def test_a_row_shows_time_name_service_notes_state_and_the_meeting_link(client, day, ana):
    html = row(signed_in(client, ana).get(CONSOLE), day["ana_morning"])

    assert ">08:00</time>–<time" in html
    assert ">09:00<" not in html  # local time, not UTC, and 30 minutes long
    assert ">08:30</time>" in html
    assert "Rajko Lah" in html
    assert "Pridobivanje splošnih informacij" in html
    assert "Potrebujem potrdilo." in html
    assert 'data-state="confirmed"' in html
    official_room = reverse("meetings:official_room", args=[day["ana_morning"].public_id])
    assert f'href="{official_room}"' in html
    # The waiting-room actions exist, but only the script shows them, and only while waiting.
    assert "data-waiting-actions hidden" in html


def test_a_waiting_citizen_shows_the_chosen_name_since_when_and_a_lost_connection(client, day, ana):
    appointment = day["ana_morning"]
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.WAITING)
    Room.objects.create(
        appointment=appointment,
        display_name="Rajko",
        knocked_at=datetime.datetime(2026, 12, 7, 7, 52, tzinfo=LJUBLJANA),
        citizen_connection="",
    )

    html = row(signed_in(client, ana).get(CONSOLE), appointment)

    assert 'data-state="waiting"' in html
    assert 'data-name="Rajko"' in html
    assert 'data-booked-name="Rajko Lah"' in html
    assert "07:52" in html
    assert 'data-connected="0"' in html
    assert re.search(r"<span class=\"not-connected\" data-not-connected>", html)


def test_a_silent_connection_and_a_second_device_show_in_the_row(client, clock, day, ana):
    appointment = day["ana_morning"]
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.IN_MEETING)
    room = Room.objects.create(
        appointment=appointment,
        citizen_connection="specific.laptop",
        citizen_seen_at=timezone.now() - datetime.timedelta(seconds=30),
        second_device_connection="specific.phone",
        second_device_since=timezone.now(),
    )
    html = row(signed_in(client, ana).get(CONSOLE), appointment)
    assert 'data-connected="1"' in html
    assert 'data-second-device="1"' in html
    assert re.search(r"<span class=\"second-device\" data-second-device-text>", html)
    assert "druga naprava se želi pridružiti" in html

    clock.shift(datetime.timedelta(seconds=31))  # a minute without a heartbeat: gone
    Room.objects.filter(pk=room.pk).update(second_device_connection="")
    html = row(signed_in(client, ana).get(CONSOLE), appointment)
    assert 'data-connected="0"' in html
    assert re.search(r"<span class=\"not-connected\" data-not-connected>", html)
    assert re.search(r"<span class=\"second-device\" data-second-device-text hidden>", html)


def test_long_notes_fold_away(client, day, ana):
    long_notes = "Potrebujem potrdilo o stalnem prebivališču za vpis otroka v vrtec. " * 4
    Appointment.objects.filter(pk=day["ana_morning"].pk).update(notes=long_notes)

    html = row(signed_in(client, ana).get(CONSOLE), day["ana_morning"])

    assert "<details>" in html
    assert long_notes.strip() in html


def test_an_empty_day_says_so(client, clock, ana):
    response = signed_in(client, ana).get(CONSOLE)

    assert response.status_code == 200
    assert listed(response) == []
    assert "data-empty" in response.content.decode()


def test_the_page_tells_its_script_which_states_were_never_booked(client, day, ana):
    """The script hides rows in these states; the server, not the script, knows which."""
    response = signed_in(client, ana).get(CONSOLE)
    assert 'data-unbooked-states="held expired"' in response.content.decode()


def test_the_page_runs_no_inline_script_and_signs_out_by_post(client, day, ana):
    response = signed_in(client, ana).get(CONSOLE)
    content = response.content.decode()

    scripts = re.findall(r"<script\b[^>]*>", content)
    assert scripts, "the console script is missing"
    for tag in scripts:
        assert ' src="' in tag and ' nonce="' in tag and 'type="module"' in tag
    assert "style=" not in content
    assert re.search(r'<form method="post" action="/odjava/">\s*<input type="hidden"', content)


# Signing in -------------------------------------------------------------------------------


def test_the_sign_in_page_renders(client, db):
    response = client.get(f"/prijava/?next={CONSOLE}")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert f'name="next" value="{CONSOLE}"' in content


def test_signing_in_leads_to_the_console(client, clock, ana):
    ana.user.set_password("okence-demo")
    ana.user.save()

    response = client.post(
        "/prijava/", {"username": "ana", "password": "okence-demo", "next": CONSOLE}
    )

    assert response.status_code == 302
    assert response.url == CONSOLE
    assert client.get(CONSOLE).status_code == 200


def test_signing_in_without_next_also_leads_to_the_console(client, clock, ana):
    ana.user.set_password("okence-demo")
    ana.user.save()

    response = client.post("/prijava/", {"username": "ana", "password": "okence-demo"})

    assert response.status_code == 302
    assert response.url == reverse("meetings:console")


def test_a_wrong_password_is_refused_with_a_message(client, db, ana):
    response = client.post("/prijava/", {"username": "ana", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_needs_a_post(client, clock, ana):
    """Caught: signing out by GET (a link or an image on any page could sign the official out)."""
    signed_in(client, ana)

    assert client.get("/odjava/").status_code == 405
    assert client.get(CONSOLE).status_code == 200  # still signed in

    response = client.post("/odjava/")

    assert response.status_code == 302 and response["Location"] == "/prijava/"
    assert "_auth_user_id" not in client.session
    assert client.get(CONSOLE).status_code == 302


# The official's meeting page ---------------------------------------------------------------


def test_an_official_opens_the_meeting_page_of_their_unit(client, day, ana):
    signed_in(client, ana)

    for appointment in (day["ana_morning"], day["marko_morning"]):
        url = reverse("meetings:official_room", args=[appointment.public_id])
        response = client.get(url)
        content = response.content.decode()
        assert response.status_code == 200
        assert response.context["appointment"] == appointment
        assert f"<h1>Sestanek s stranko {escape(appointment.name)}</h1>" in content
        assert f'data-ws="/ws/uradnik/sestanek/{appointment.public_id}/"' in content


def test_the_meeting_page_of_another_unit_is_not_found(client, day, ana, janez):
    signed_in(client, ana)
    foreign = reverse("meetings:official_room", args=[day["janez_morning"].public_id])
    unknown = reverse("meetings:official_room", args=[uuid.uuid4()])

    assert client.get(foreign).status_code == 404
    assert client.get(unknown).status_code == 404


def test_the_meeting_page_needs_an_official(client, day):
    url = reverse("meetings:official_room", args=[day["ana_morning"].public_id])

    assert client.get(url).status_code == 302
    client.force_login(get_user_model().objects.create_user("tina", "tina@example.si", "x"))
    assert client.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_new_booking_and_its_cancellation_reach_the_units_consoles(clock, unit, service, ana):
    """Booking tells the meetings app through a signal; the unit's console group hears both."""
    import datetime as dt
    import re

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.core import mail
    from django.utils import timezone as tz

    from okence.booking import services as booking_services
    from okence.meetings.events import unit_group
    from okence.outbox import services as outbox

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(unit_group(unit.pk), channel)
    tuesday = dt.datetime(2026, 12, 8, 7, 30, tzinfo=dt.UTC)
    contact = booking_services.Contact("Rajko Lah", "rajko@example.si", "041 123 456")
    appointment, _ = booking_services.hold(
        service, tuesday, contact, language="sl", client="192.0.2.1", now=tz.now()
    )
    outbox.deliver_due(tz.now())
    code = re.search(r"(\d{6})$", mail.outbox[-1].subject).group(1)
    booking_services.confirm(appointment, code, tz.now())
    booked = async_to_sync(layer.receive)(channel)
    assert booked["type"] == "console.appointment"
    assert booked["appointment"]["id"] == str(appointment.public_id)
    assert booked["appointment"]["state"] == "confirmed"
    appointment.refresh_from_db()
    booking_services.cancel(appointment, tz.now())
    assert async_to_sync(layer.receive)(channel)["appointment"]["state"] == "cancelled"


@pytest.mark.django_db
def test_sign_in_stops_checking_passwords_after_ten_wrong_ones(client, ana, marko):
    url = reverse("login")
    for _ in range(10):
        assert client.post(url, {"username": "ana", "password": "wrong"}).status_code == 200
    blocked = client.post(url, {"username": "ana", "password": "x"})  # the right password
    assert blocked.status_code == 429
    assert not blocked.wsgi_request.user.is_authenticated
    other = client.post(url, {"username": "marko", "password": "x"}, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 302  # another account from another address is not affected


@pytest.mark.django_db
def test_sign_in_counts_wrong_passwords_per_ipv6_64_not_per_address(client, ana, marko):
    url = reverse("login")
    for n in range(10):
        address = f"2001:db8:5:6::{n + 1:x}"  # a new address of the same /64 each time
        client.post(url, {"username": "marko", "password": "wrong"}, REMOTE_ADDR=address)
    blocked = client.post(
        url, {"username": "marko", "password": "x"}, REMOTE_ADDR="2001:db8:5:6::ff"
    )
    assert blocked.status_code == 429
    other = client.post(url, {"username": "marko", "password": "x"}, REMOTE_ADDR="2001:db8:5:7::1")
    assert other.status_code == 302


def test_the_official_sees_the_language_the_citizen_booked_in(client, day, ana):
    Appointment.objects.filter(pk=day["ana_morning"].pk).update(language="hu")
    content = signed_in(client, ana).get(CONSOLE).content.decode()
    assert '<span class="muted citizen-language">Jezik: Madžarščina</span>' in content
