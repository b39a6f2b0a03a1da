"""The official's agenda (a day, a week), and cancelling, no-shows and private notes from it.

Personas: Ana and Marko are officials at Domžale; Janez is an official at Ljutomer. The clock
stands on Monday 7 December 2026, 07:00 in Ljubljana.
"""

import datetime
import uuid

import pytest
from django.core import mail
from django.utils import timezone

from okence.audit.models import Action, AuditEvent
from okence.booking import retention
from okence.booking import services as booking
from okence.booking.models import Status
from okence.conftest import LJUBLJANA, make_appointment
from okence.outbox import services as outbox

DAY, WEEK = "/uradnik/dnevni-red/", "/uradnik/teden/"


def staff_actions():
    """The audit log without the sign-ins that the tests' force_login records."""
    return AuditEvent.objects.exclude(action=Action.SIGNED_IN)


def book(official, *args, status=Status.CONFIRMED, name="Rajko Lah", **fields):
    start = datetime.datetime(*args, tzinfo=LJUBLJANA)
    return make_appointment(official, start=start, status=status, name=name, **fields)[0]


def listed(response) -> set[str]:
    return {str(a.public_id) for _, day, _rows in response.context["days"] for a in day}


def ids(*appointments) -> set[str]:
    return {str(a.public_id) for a in appointments}


@pytest.fixture
def as_ana(client, ana):
    client.force_login(ana.user)
    return client


# The agenda --------------------------------------------------------------------------------


def test_it_sends_a_visitor_to_the_staff_sign_in(client, db):
    response = client.get(DAY)

    assert response.status_code == 302
    assert response.url.startswith("/prijava/")


def test_it_is_not_found_for_staff_who_are_not_officials(client, admin_user):
    client.force_login(admin_user)

    assert client.get(DAY).status_code == 404
    assert client.get(WEEK).status_code == 404


def test_a_day_lists_the_officials_own_appointments_of_that_day(clock, as_ana, ana, marko, janez):
    mine = book(ana, 2026, 12, 9, 8, notes="Potrebujem potrdilo.")
    cancelled = book(ana, 2026, 12, 9, 9, status=Status.CANCELLED)
    book(ana, 2026, 12, 9, 10, status=Status.HELD)
    book(ana, 2026, 12, 9, 10, 30, status=Status.EXPIRED)
    book(ana, 2026, 12, 10, 8)
    colleagues = book(marko, 2026, 12, 9, 8, 30)
    book(janez, 2026, 12, 9, 8)

    own = as_ana.get(DAY, {"dan": "2026-12-09"})
    whole = as_ana.get(DAY, {"dan": "2026-12-09", "vsi": "1"})

    assert listed(own) == ids(mine, cancelled)
    assert listed(whole) == ids(mine, cancelled, colleagues)
    page = own.content.decode()
    assert "Potrebujem potrdilo." in page
    assert f"/uradnik/sestanek/{mine.public_id}/" in page
    assert f"/uradnik/mapa/{mine.public_id}/" in page


def test_without_a_date_it_shows_today(clock, as_ana, ana):
    today = book(ana, 2026, 12, 7, 8)
    book(ana, 2026, 12, 8, 8)

    assert listed(as_ana.get(DAY)) == ids(today)


def test_a_day_of_the_change_to_winter_time_has_25_hours(as_ana, ana):
    # Sunday 25 October 2026: the clocks go back at 03:00; the local day is 22:00–23:00 UTC.
    first = book(ana, 2026, 10, 25, 0, 0)
    last = book(ana, 2026, 10, 25, 23, 30)
    book(ana, 2026, 10, 24, 23, 30)
    book(ana, 2026, 10, 26, 0, 0)

    response = as_ana.get(DAY, {"dan": "2026-10-25"})

    assert listed(response) == ids(first, last)
    span = response.context["span"]
    utc = datetime.UTC
    assert span.end.astimezone(utc) - span.start.astimezone(utc) == datetime.timedelta(hours=25)


def test_a_week_runs_from_monday_to_sunday_of_the_chosen_date(clock, as_ana, ana):
    monday = book(ana, 2026, 12, 7, 0, 0)
    sunday = book(ana, 2026, 12, 13, 23, 30)
    book(ana, 2026, 12, 6, 23, 30)
    book(ana, 2026, 12, 14, 0, 0)

    response = as_ana.get(WEEK, {"teden": "2026-12-10"})

    assert listed(response) == ids(monday, sunday)
    assert [day for day, _, _rows in response.context["days"]][0] == datetime.date(2026, 12, 7)
    assert len(response.context["days"]) == 7
    page = response.content.decode()
    assert "?teden=2026-11-30" in page and "?teden=2026-12-14" in page


def test_a_date_that_is_not_one_is_refused_with_a_message(clock, as_ana, ana):
    response = as_ana.get(DAY, {"dan": "2026-13-45"})

    assert response.status_code == 400
    assert "ni datum" in response.content.decode()


def test_a_week_takes_the_same_number_of_queries_for_many_appointments(
    clock, as_ana, ana, marko, django_assert_max_num_queries, django_assert_num_queries
):
    book(ana, 2026, 12, 8, 12)
    with django_assert_max_num_queries(20) as few:
        as_ana.get(WEEK, {"vsi": "1"})
    for day in range(7, 14):
        for hour in (8, 9, 10):
            book(ana, 2026, 12, day, hour)
            book(marko, 2026, 12, day, hour)
    with django_assert_num_queries(len(few.captured_queries)):
        as_ana.get(WEEK, {"vsi": "1"})


# Acting on one appointment: scoping ---------------------------------------------------------


@pytest.mark.parametrize("action", ["odpoved", "izostanek", "zapisek"])
def test_another_units_appointment_is_not_found_like_one_that_does_not_exist(
    clock, client, ana, janez, action
):
    ljutomer = book(janez, 2026, 12, 7, 6, 30)
    client.force_login(ana.user)

    for public_id in (ljutomer.public_id, uuid.uuid4()):
        response = client.post(f"/uradnik/termin/{public_id}/{action}/", {"reason": "x"})
        assert response.status_code == 404
    ljutomer.refresh_from_db()
    assert ljutomer.status == Status.CONFIRMED and ljutomer.official_note == ""
    assert not staff_actions().exists()


# Cancelling ----------------------------------------------------------------------------------


def test_cancelling_needs_a_reason_and_changes_nothing_without_one(clock, as_ana, ana):
    appointment = book(ana, 2026, 12, 8, 8)

    response = as_ana.post(f"/uradnik/termin/{appointment.public_id}/odpoved/", {"reason": " "})

    assert response.status_code == 200
    assert "To polje je obvezno" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_the_citizen_is_told_of_the_cancellation_in_their_language(clock, as_ana, ana, marko):
    # Marko's appointment: any official of the unit may cancel it.
    appointment = book(marko, 2026, 12, 8, 8, language="en", email="citizen@example.com")
    path = f"/uradnik/termin/{appointment.public_id}/odpoved/"

    assert as_ana.get(path).status_code == 200
    response = as_ana.post(path, {"reason": "The official is ill."})

    assert response.status_code == 302
    assert response.url.startswith(f"{DAY}?dan=2026-12-08")
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert appointment.invite_sequence == 1
    event = staff_actions().get()
    assert (event.actor, event.action, event.appointment) == (
        ana.user,
        Action.CANCELLED,
        appointment,
    )
    outbox.deliver_due(timezone.now())
    [message] = mail.outbox  # the officials are not e-mailed about their own cancellation
    assert message.to == ["citizen@example.com"]
    assert message.subject.startswith("Appointment cancelled")
    assert "The official is ill." in message.body
    assert "http://testserver/domzale/" in message.body or "/domzale/" in message.body
    [invite] = message.attachments
    assert "METHOD:CANCEL" in invite.content and "SEQUENCE:1" in invite.content


def test_the_reason_is_kept_shown_to_colleagues_and_forgotten_with_the_personal_data(
    clock, as_ana, ana, marko, client
):
    appointment = book(ana, 2026, 12, 8, 8)

    as_ana.post(
        f"/uradnik/termin/{appointment.public_id}/odpoved/", {"reason": "Uradnica je\nbolna."}
    )

    appointment.refresh_from_db()
    assert appointment.cancel_reason == "Uradnica je\nbolna."
    client.force_login(marko.user)
    page = client.get(DAY, {"dan": "2026-12-08", "vsi": "1"}).content.decode()
    assert "Razlog za preklic:</strong> Uradnica je<br>bolna." in page
    retention.forget_personal_data(timezone.now() + datetime.timedelta(days=365))
    appointment.refresh_from_db()
    assert appointment.cancel_reason == ""


def test_a_citizens_own_cancellation_has_no_reason(clock, ana):
    appointment = book(ana, 2026, 12, 8, 8, cancel_reason="")

    booking.cancel(appointment, timezone.now())

    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED and appointment.cancel_reason == ""


def test_what_citizens_typed_is_escaped_in_the_agenda(clock, as_ana, ana):
    book(ana, 2026, 12, 8, 8, name='<b>Rajko</b> "Lah"', notes="<script>x</script>\nNaprej")

    page = as_ana.get(WEEK, {"vsi": "1"}).content.decode()

    assert "<b>Rajko</b>" not in page and "<script>x</script>" not in page
    assert "&lt;b&gt;Rajko&lt;/b&gt; &quot;Lah&quot;" in page
    assert "&lt;script&gt;x&lt;/script&gt;<br>Naprej" in page


def test_an_appointment_that_has_started_cannot_be_cancelled(clock, as_ana, ana):
    appointment = book(ana, 2026, 12, 7, 6, 30)
    path = f"/uradnik/termin/{appointment.public_id}/odpoved/"

    response = as_ana.post(path, {"reason": "Prepozno."})

    assert response.status_code == 409
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert not mail.outbox and not staff_actions().exists()


# No-shows -----------------------------------------------------------------------------------


def test_a_citizen_who_did_not_come_is_marked_as_a_no_show(clock, as_ana, ana):
    appointment = book(ana, 2026, 12, 7, 6, 30)

    response = as_ana.post(f"/uradnik/termin/{appointment.public_id}/izostanek/")

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Status.NO_SHOW
    assert staff_actions().get().action == Action.NO_SHOW


def test_an_appointment_still_to_come_is_not_a_no_show(clock, as_ana, ana):
    appointment = book(ana, 2026, 12, 7, 8)

    response = as_ana.post(f"/uradnik/termin/{appointment.public_id}/izostanek/", follow=True)

    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert not staff_actions().exists()
    assert "neudeležbo" in response.content.decode()


def test_marking_a_no_show_needs_a_post(clock, as_ana, ana):
    appointment = book(ana, 2026, 12, 7, 6, 30)

    assert as_ana.get(f"/uradnik/termin/{appointment.public_id}/izostanek/").status_code == 405


# Private notes --------------------------------------------------------------------------------


def test_a_private_note_is_kept_shown_and_forgotten_with_the_personal_data(clock, as_ana, ana):
    appointment = book(ana, 2026, 12, 7, 6, 30)

    as_ana.post(f"/uradnik/termin/{appointment.public_id}/zapisek/", {"note": "Zadeva 123-45/2026"})

    appointment.refresh_from_db()
    assert appointment.official_note == "Zadeva 123-45/2026"
    assert staff_actions().get().action == Action.NOTE_WRITTEN
    assert "Zadeva 123-45/2026" in as_ana.get(DAY).content.decode()
    retention.forget_personal_data(timezone.now() + datetime.timedelta(days=365))
    appointment.refresh_from_db()
    assert appointment.official_note == ""


def test_a_note_too_long_is_not_saved(clock, as_ana, ana):
    appointment = book(ana, 2026, 12, 7, 6, 30, official_note="Prej")

    as_ana.post(f"/uradnik/termin/{appointment.public_id}/zapisek/", {"note": "x" * 2001})

    appointment.refresh_from_db()
    assert appointment.official_note == "Prej"
