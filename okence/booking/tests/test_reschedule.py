"""The citizen moves a booked appointment to another free time (``services.reschedule``): until
the cut-off, the new time claimed before the old one is given up, reminders of the old time
withdrawn, an updated invite (same UID, SEQUENCE + 1) to the citizen and the officials."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from okence.booking import exceptions, reminders
from okence.booking import services as booking
from okence.booking.models import Appointment, Status
from okence.booking.states import ACTIVE
from okence.conftest import LJUBLJANA, make_appointment
from okence.outbox import services as outbox
from okence.outbox.models import Email
from okence.tokens import hash_token

# The clock stands on Monday 7 December 2026, 07:00 in Ljubljana.
TUESDAY_0830 = datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA)
WEDNESDAY_1000 = datetime.datetime(2026, 12, 9, 10, 0, tzinfo=LJUBLJANA)
HALF_HOUR = datetime.timedelta(minutes=30)
HOUR = datetime.timedelta(hours=1)
MANAGE = "manage-token-of-rajko"


@pytest.fixture
def booked(clock, ana):
    """Rajko's appointment with Ana on Tuesday at 08:30, booked on Monday morning."""
    appointment, meeting = make_appointment(
        ana,
        start=TUESDAY_0830,
        created_at=timezone.now(),
        manage_token_hash=hash_token(MANAGE),
    )
    appointment.meeting_token = meeting
    return appointment


def with_cut_off(appointment, minutes: int) -> None:
    appointment.service.cancel_cutoff_minutes = minutes
    appointment.service.save()


def move(appointment, start=WEDNESDAY_1000):
    booking.reschedule(appointment, start.astimezone(datetime.UTC), timezone.now())


def invite_of(message) -> str:
    [attachment] = [a for a in message.attachments if a.filename.endswith(".ics")]
    return attachment.content


def delivered_to(address: str) -> list:
    outbox.deliver_due(timezone.now())
    return [message for message in mail.outbox if message.to == [address]]


def test_the_appointment_moves_in_place_and_the_old_time_is_free_again(booked, service, ana):
    before = Appointment.objects.values().get(pk=booked.pk)
    move(booked)
    after = Appointment.objects.values().get(pk=booked.pk)
    assert (after["start"], after["end"]) == (WEDNESDAY_1000, WEDNESDAY_1000 + HALF_HOUR)
    assert after["status"] == Status.CONFIRMED
    assert after["invite_sequence"] == before["invite_sequence"] + 1
    assert after["moved_at"] == timezone.now()
    for kept in ("public_id", "meeting_token_hash", "manage_token_hash", "confirmed_at", "name"):
        assert after[kept] == before[kept]
    assert Appointment.objects.count() == 1
    now = timezone.now()
    assert booking.find_slot(service, TUESDAY_0830, now) is not None
    assert booking.find_slot(service, WEDNESDAY_1000, now) is None
    assert booking.by_meeting_token(booked.meeting_token).start == WEDNESDAY_1000


def test_moving_is_allowed_until_just_before_the_cut_off(booked, clock):
    with_cut_off(booked, 24 * 60)
    deadline = TUESDAY_0830 - datetime.timedelta(hours=24)
    clock.move_to(deadline - datetime.timedelta(seconds=1))
    assert booking.can_cancel(booked, timezone.now())
    assert not booking.past_cutoff(booked, timezone.now())
    move(booked)
    booked.refresh_from_db()
    assert booked.start == WEDNESDAY_1000


def test_moving_is_refused_from_the_cut_off_on_and_the_time_kept(booked, clock):
    with_cut_off(booked, 24 * 60)
    clock.move_to(TUESDAY_0830 - datetime.timedelta(hours=24))
    assert booking.past_cutoff(booked, timezone.now())
    with pytest.raises(exceptions.NotMovable):
        move(booked)
    booked.refresh_from_db()
    assert booked.start == TUESDAY_0830 and booked.invite_sequence == 0
    assert not Email.objects.exists()


def test_a_time_just_taken_is_refused_and_the_old_time_kept(booked, ana):
    make_appointment(ana, start=WEDNESDAY_1000, email="someone@example.si")
    with pytest.raises(exceptions.SlotTaken):
        move(booked)
    booked.refresh_from_db()
    assert (booked.start, booked.official_id, booked.status) == (
        TUESDAY_0830,
        ana.pk,
        Status.CONFIRMED,
    )
    assert booked.invite_sequence == 0 and booked.moved_at is None
    assert not Email.objects.exists()


def test_when_the_last_official_is_taken_between_the_look_and_the_claim_nothing_moves(
    booked, service, ana
):
    """The time looked free (find_slot), then someone took it: the claim's UPDATE is refused by
    the database, so the citizen keeps the old time, and never holds two."""
    slot = booking.find_slot(service, WEDNESDAY_1000, timezone.now())
    make_appointment(ana, start=WEDNESDAY_1000, email="someone@example.si")
    with pytest.raises(exceptions.SlotTaken):
        booking.claim(service, slot, timezone.now(), moving=booked)
    booked.refresh_from_db()
    assert booked.start == TUESDAY_0830
    rajkos = Appointment.objects.filter(email="rajko.lah@example.si", status__in=ACTIVE)
    assert rajkos.count() == 1


def test_an_appointment_cancelled_meanwhile_is_not_moved(booked):
    Appointment.objects.filter(pk=booked.pk).update(status=Status.CANCELLED)  # another tab
    with pytest.raises(exceptions.NotMovable):
        move(booked)
    assert Appointment.objects.get().start == TUESDAY_0830
    assert not Email.objects.exists()


def test_its_own_time_is_no_move(booked):
    with pytest.raises(exceptions.SameTime):
        move(booked, TUESDAY_0830)


def test_the_reminders_of_the_old_time_are_withdrawn_and_the_new_time_gets_its_own(
    clock, ana, service
):
    # Booked on Monday for Wednesday 10:00; the day-before reminder goes out on Tuesday.
    appointment, _ = make_appointment(ana, start=WEDNESDAY_1000, created_at=timezone.now())
    clock.move_to(WEDNESDAY_1000 - 20 * HOUR)
    assert reminders.send_due(timezone.now()) == 1
    old = Email.objects.get(reference=f"appointment:{appointment.pk}:reminder:first")
    assert old.status == Email.Status.PENDING  # the mail server is slow; not sent yet

    thursday = WEDNESDAY_1000 + datetime.timedelta(days=1)
    move(appointment, thursday)
    old.refresh_from_db()
    assert old.status == Email.Status.DROPPED

    assert reminders.send_due(timezone.now()) == 0  # not yet a day before Thursday 10:00
    clock.move_to(thursday - 23 * HOUR)
    assert reminders.send_due(timezone.now()) == 1
    new = Email.objects.get(
        reference=f"appointment:{appointment.pk}:reminder:first", status=Email.Status.PENDING
    )
    assert new.not_after == thursday


def test_the_citizen_and_the_official_get_the_updated_invite_same_uid_next_sequence(
    booked, ana, client
):
    move(booked)
    uid = f"UID:{booked.public_id}@okence"

    [citizen] = delivered_to("rajko.lah@example.si")
    assert citizen.subject.startswith("Termin je spremenjen:")
    assert "sreda, 9. december 2026, 10:00" in citizen.body
    assert "torek, 8. december 2026, 08:30" in citizen.body  # the previous time
    invite = invite_of(citizen)
    assert "METHOD:REQUEST" in invite and uid in invite and "SEQUENCE:1" in invite
    assert "DTSTART;TZID=Europe/Ljubljana:20261209T100000" in invite
    # The e-mail's links (new ones) open the same appointment, as do the old ones.
    meeting = re.search(r"/sestanek/([^/\s]+)/", citizen.body).group(1)
    manage = re.search(r"/termin/([^/\s]+)/", citizen.body).group(1)
    assert booking.by_meeting_token(meeting).pk == booked.pk
    assert booking.by_manage_token(manage).pk == booked.pk
    assert f"/sestanek/{meeting}/" in invite.replace("\r\n ", "")
    assert f"/sestanek/{meeting}/preizkus/" in citizen.body  # the camera check, before the day

    [official] = delivered_to(ana.user.email)
    invite = invite_of(official)
    assert "METHOD:REQUEST" in invite and uid in invite and "SEQUENCE:1" in invite
    assert "DTSTART;TZID=Europe/Ljubljana:20261209T100000" in invite
    assert "Prejšnji termin" in official.body


def test_a_move_to_another_official_cancels_with_the_old_one_and_invites_the_new(
    booked, ana, marko
):
    make_appointment(ana, start=WEDNESDAY_1000, email="someone@example.si")
    move(booked)
    booked.refresh_from_db()
    assert booked.official_id == marko.pk

    [to_ana] = delivered_to(ana.user.email)
    invite = invite_of(to_ana)
    assert "METHOD:CANCEL" in invite and "SEQUENCE:1" in invite
    assert f"UID:{booked.public_id}@okence" in invite
    assert "DTSTART;TZID=Europe/Ljubljana:20261208T083000" in invite  # the time she had
    [to_marko] = delivered_to(marko.user.email)
    invite = invite_of(to_marko)
    assert "METHOD:REQUEST" in invite and "SEQUENCE:1" in invite
    assert "DTSTART;TZID=Europe/Ljubljana:20261209T100000" in invite


def test_moving_twice_counts_the_sequence_on(booked):
    move(booked)
    move(booked, WEDNESDAY_1000 + HOUR)
    booked.refresh_from_db()
    assert booked.invite_sequence == 2
    outbox.deliver_due(timezone.now())
    citizen = [m for m in mail.outbox if m.to == ["rajko.lah@example.si"]][-1]
    assert "SEQUENCE:2" in invite_of(citizen)


def test_the_console_hears_of_the_move_after_the_commit(
    booked, django_capture_on_commit_callbacks, monkeypatch
):
    heard = []
    monkeypatch.setattr(
        "okence.meetings.events.changed", lambda appointment: heard.append(appointment.start)
    )
    with django_capture_on_commit_callbacks(execute=True):
        move(booked)
    assert heard == [WEDNESDAY_1000]


def test_the_manage_page_of_a_moved_appointment_shows_the_new_time(booked, client):
    move(booked)
    page = client.get(reverse("booking:manage", args=[MANAGE])).content.decode()
    assert "sreda, 9. december 2026, 10:00" in page


# The pages, as plain HTML (no JavaScript).


def manage_url() -> str:
    return reverse("booking:manage", args=[MANAGE])


def reschedule_url() -> str:
    return reverse("booking:reschedule", args=[MANAGE])


def utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat()


def test_the_manage_page_leads_to_the_calendar_of_the_current_month(booked, client):
    page = client.get(manage_url()).content.decode()
    assert f'href="{reschedule_url()}"' in page and "Prestavi termin" in page
    calendar = client.get(reschedule_url()).content.decode()
    assert "december 2026" in calendar
    assert 'href="?month=2026-12&amp;date=2026-12-08#times"' in calendar
    day = client.get(reschedule_url(), {"month": "2026-12", "date": "2026-12-08"})
    times = re.findall(r'href="(/termin/[^"]+/prestavi/\?start=[^"]+)"', day.content.decode())
    assert times, "the day's free times link to the move page"
    offered = {re.search(r"start=([^&]+)", link).group(1) for link in times}
    assert "2026-12-08T07%3A30%3A00%2B00%3A00" not in offered  # its own time is not offered
    assert "2026-12-08T08%3A00%3A00%2B00%3A00" in offered  # 09:00 is


def test_a_move_without_javascript_is_confirmed_then_redirected(booked, client):
    chosen = client.get(reschedule_url(), {"start": utc(WEDNESDAY_1000)})
    page = chosen.content.decode()
    assert "Novi termin" in page and "sreda, 9. december 2026, 10:00" in page
    assert "Potrdi novi termin" in page
    booked.refresh_from_db()
    assert booked.start == TUESDAY_0830  # looking moves nothing

    moved = client.post(reschedule_url(), {"start": utc(WEDNESDAY_1000)})
    assert moved.status_code == 303
    assert moved["Location"] == manage_url() + "?prestavljeno=1"
    booked.refresh_from_db()
    assert booked.start == WEDNESDAY_1000
    page = client.get(moved["Location"]).content.decode()
    assert "Vaš termin je prestavljen na novi čas" in page
    assert "sreda, 9. december 2026, 10:00" in page

    sent = Email.objects.count()
    again = client.post(reschedule_url(), {"start": utc(WEDNESDAY_1000)})  # sent twice
    assert again.status_code == 303 and again["Location"] == manage_url()
    assert Email.objects.count() == sent


def test_a_time_taken_meanwhile_says_so_and_keeps_the_old_time(booked, client, ana):
    make_appointment(ana, start=WEDNESDAY_1000, email="someone@example.si")
    response = client.post(reschedule_url(), {"start": utc(WEDNESDAY_1000)})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Ta termin je bil pravkar zaseden." in page
    assert 'role="alert"' in page
    assert "torek, 8. december 2026, 08:30" in page  # the current time, still Rajko's
    assert "2026-12-09T09%3A30%3A00%2B00%3A00" in page  # other times of that day offered
    booked.refresh_from_db()
    assert (booked.start, booked.invite_sequence) == (TUESDAY_0830, 0)
    assert not Email.objects.exists()


@pytest.mark.parametrize("start", ["", "yesterday", "2026-12-09T10:00"])
def test_a_start_that_is_no_time_moves_nothing(booked, client, start):
    response = client.post(reschedule_url(), {"start": start})
    assert response.status_code == 409
    assert "Ta termin je bil pravkar zaseden." in response.content.decode()
    booked.refresh_from_db()
    assert booked.start == TUESDAY_0830
    assert client.get(reschedule_url(), {"start": start}).status_code == 200


def test_past_the_cut_off_the_page_says_why_and_how_to_reach_the_unit(booked, client, clock):
    unit = booked.unit
    unit.phone = "01 724 20 00"
    unit.save()
    with_cut_off(booked, 24 * 60)
    clock.move_to(TUESDAY_0830 - 2 * HOUR)
    page = client.get(manage_url()).content.decode()
    assert "Termina ni več mogoče spremeniti po spletu" in page
    assert "ponedeljek, 7. december 2026, 08:30" in page  # the deadline
    assert 'href="tel:017242000"' in page and "01 724 20 00" in page
    assert 'href="mailto:ue.domzale@example.si"' in page
    assert reschedule_url() not in page and "Prekliči termin" not in page

    assert client.get(reschedule_url())["Location"] == manage_url()
    refused = client.post(reschedule_url(), {"start": utc(WEDNESDAY_1000)})
    assert refused.status_code == 303 and refused["Location"] == manage_url()
    booked.refresh_from_db()
    assert booked.start == TUESDAY_0830


def test_a_wrong_token_gets_404(client, db):
    assert client.get(reverse("booking:reschedule", args=["nope"])).status_code == 404
    assert client.post(reverse("booking:reschedule", args=["nope"])).status_code == 404


def test_the_old_meeting_link_of_a_moved_appointment_shows_the_new_time(booked, client):
    move(booked)
    page = client.get(reverse("meetings:room", args=[booked.meeting_token])).content.decode()
    assert "Termin je bil prestavljen na nov čas" in page
    assert "sreda, 9. december 2026, 10:00" in page


def test_the_meeting_link_of_a_cancelled_appointment_says_so(booked, client):
    booking.cancel(booked, timezone.now())
    page = client.get(reverse("meetings:room", args=[booked.meeting_token])).content.decode()
    assert "Ta termin je bil preklican." in page
    assert reverse("booking:calendar", args=["domzale", "splosne-informacije"]) in page


def test_a_service_no_longer_offered_can_be_cancelled_but_not_moved(booked, client):
    booked.service.active = False
    booked.service.save()
    page = client.get(manage_url()).content.decode()
    assert "Prekliči termin" in page and reschedule_url() not in page
    assert client.get(reschedule_url())["Location"] == manage_url()
    with pytest.raises(exceptions.NotMovable):
        move(booked)
    booked.refresh_from_db()
    assert booked.start == TUESDAY_0830
