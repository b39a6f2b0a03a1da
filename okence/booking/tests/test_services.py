"""The booking rules, through the booking services, on the real database."""

import datetime
import re
import smtplib
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from okence.booking import exceptions, services
from okence.booking.models import Appointment, Status
from okence.conftest import LJUBLJANA, make_official
from okence.offices.models import ChangedHours, Closure, Leave
from okence.outbox import services as outbox
from okence.tokens import hash_token

CONTACT = services.Contact(
    name="Rajko Lah",
    email="rajko.lah@example.si",
    phone="041 123 456",
    notes="Potrebujem potrdilo o stalnem prebivališču.",
)
CODE_SUBJECT = re.compile(r": (\d{6})$")
# Tuesday 8 December 2026, 08:30 in Ljubljana.
TUESDAY_0830 = datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA)


def hold(service, start=TUESDAY_0830, contact=CONTACT, client="192.0.2.1", **kwargs):
    return services.hold(
        service,
        start.astimezone(datetime.UTC),
        contact,
        language="sl",
        client=client,
        now=timezone.now(),
        **kwargs,
    )


def resend(appointment, client="192.0.2.1"):
    services.resend_code(appointment, timezone.now(), client=client)


def sent_code() -> str:
    """Deliver what is queued and read the code from the newest code e-mail."""
    outbox.deliver_due(timezone.now())
    message = next(m for m in reversed(mail.outbox) if CODE_SUBJECT.search(m.subject))
    return CODE_SUBJECT.search(message.subject).group(1)


@pytest.fixture
def held(clock, service, ana):
    appointment, token = hold(service)
    return appointment, token


def test_free_slots_use_a_constant_number_of_queries(
    clock, service, ana, marko, django_assert_max_num_queries
):
    for hour in range(8, 12):
        for official in (ana, marko):
            Appointment.objects.create(
                unit=service.unit,
                service=service,
                official=official,
                status=Status.CONFIRMED,
                start=datetime.datetime(2026, 12, 9, hour, tzinfo=LJUBLJANA),
                end=datetime.datetime(2026, 12, 9, hour, 30, tzinfo=LJUBLJANA),
                name="X",
                email="x@example.si",
                phone="041000000",
                hold_token_hash=f"{official.pk}-{hour}",
                created_at=timezone.now(),
            )
    first, last = datetime.date(2026, 12, 7), datetime.date(2026, 12, 31)
    with django_assert_max_num_queries(6):
        slots = services.free_slots(service, first, last, timezone.now())
    assert [
        f"{s.start.astimezone(LJUBLJANA):%H:%M}" for s in slots[datetime.date(2026, 12, 9)]
    ] == ["08:30", "09:30", "10:30", "11:30"]


def test_holidays_and_closures_have_no_free_times(clock, service, ana):
    Closure.objects.create(
        unit=service.unit,
        first_day=datetime.date(2026, 12, 14),
        last_day=datetime.date(2026, 12, 15),
    )
    slots = services.free_slots(
        service, datetime.date(2026, 12, 14), datetime.date(2026, 12, 31), timezone.now()
    )
    assert datetime.date(2026, 12, 14) not in slots
    assert datetime.date(2026, 12, 15) not in slots
    assert datetime.date(2026, 12, 16) in slots
    assert datetime.date(2026, 12, 25) not in slots  # božič
    assert datetime.date(2026, 12, 28) in slots


def test_leave_and_changed_hours_shape_the_free_times(clock, service, ana):
    Leave.objects.create(
        official=ana, first_day=datetime.date(2026, 12, 14), last_day=datetime.date(2026, 12, 15)
    )
    ChangedHours.objects.create(
        official=ana,
        day=datetime.date(2026, 12, 16),
        start=datetime.time(13, 0),
        end=datetime.time(14, 0),
    )
    slots = services.free_slots(
        service, datetime.date(2026, 12, 14), datetime.date(2026, 12, 17), timezone.now()
    )
    assert set(slots) == {datetime.date(2026, 12, 16), datetime.date(2026, 12, 17)}
    assert [
        f"{s.start.astimezone(LJUBLJANA):%H:%M}" for s in slots[datetime.date(2026, 12, 16)]
    ] == [
        "13:00",
        "13:30",
    ]


def test_the_service_sets_how_soon_and_how_far_ahead_times_are_offered(clock, service, ana):
    service.min_notice_minutes = 24 * 60
    service.max_advance_days = 3
    service.save()
    slots = services.free_slots(
        service, datetime.date(2026, 12, 7), datetime.date(2026, 12, 31), timezone.now()
    )
    # Monday 07:00: Tuesday from 07:00 on is past a day's notice; Thursday is past three days.
    assert set(slots) == {
        datetime.date(2026, 12, 8),
        datetime.date(2026, 12, 9),
        datetime.date(2026, 12, 10),
    }


def test_the_citizen_may_not_cancel_past_the_services_cut_off(held, clock, service):
    appointment, _ = held
    services.confirm(appointment, sent_code(), timezone.now())
    appointment.refresh_from_db()
    service.cancel_cutoff_minutes = (appointment.start - timezone.now()).total_seconds() // 60 + 1
    service.save()
    appointment.service.refresh_from_db()
    assert not services.can_cancel(appointment, timezone.now())
    with pytest.raises(exceptions.NotCancellable):
        services.cancel(appointment, timezone.now())
    service.cancel_cutoff_minutes -= 2
    service.save()
    appointment.service.refresh_from_db()
    assert services.can_cancel(appointment, timezone.now())
    services.cancel(appointment, timezone.now())


def test_a_hold_takes_the_time_and_emails_a_code(held, service):
    appointment, token = held
    assert appointment.status == Status.HELD
    assert appointment.hold_token_hash == hash_token(token)
    assert token not in str(Appointment.objects.filter(pk=appointment.pk).values().get())
    assert services.find_slot(service, appointment.start, timezone.now()) is None
    code = sent_code()
    assert len(code) == 6 and code.isdigit()
    assert mail.outbox[-1].to == ["rajko.lah@example.si"]
    assert code not in str(appointment.codes.values().get())


def test_the_hold_goes_to_the_least_loaded_official(clock, service, ana, marko):
    first, _ = hold(service, TUESDAY_0830)
    second, _ = hold(
        service,
        TUESDAY_0830 + datetime.timedelta(minutes=30),
        services.Contact("Druga Oseba", "druga@example.si", "041 222 333"),
    )
    assert {first.official, second.official} == {ana, marko}


def test_the_right_code_confirms_and_announces(held, clock):
    appointment, _ = held
    code = sent_code()
    links = services.confirm(appointment, code, timezone.now())
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert appointment.meeting_token_hash == hash_token(links.meeting)
    assert appointment.manage_token_hash == hash_token(links.manage)
    assert len(links.meeting) >= 22 and len(links.manage) >= 22  # ≥ 128 bits, URL-safe base64
    outbox.deliver_due(timezone.now())
    citizen, official = mail.outbox[-2], mail.outbox[-1]
    assert citizen.to == ["rajko.lah@example.si"]
    assert links.meeting in citizen.body and links.manage in citizen.body
    assert "torek, 8. december 2026, 08:30 – 09:00 (UTC+01:00) Ljubljana" in citizen.body
    assert official.to == ["ana@example.si"]
    assert "Potrebujem potrdilo" in official.body
    # The official's e-mail tells the time in the unit's zone too (mutmut: a zone dropped).
    assert "torek, 8. december 2026, 08:30 – 09:00 (UTC+01:00) Ljubljana" in official.body


def test_a_code_is_single_use(held):
    appointment, _ = held
    code = sent_code()
    services.confirm(appointment, code, timezone.now())
    appointment.refresh_from_db()
    with pytest.raises(exceptions.HoldExpired):
        services.confirm(appointment, code, timezone.now())


def test_a_code_expires_with_the_hold_after_ten_minutes(held, clock, service):
    appointment, _ = held
    code = sent_code()
    clock.shift(datetime.timedelta(minutes=10))
    with pytest.raises(exceptions.HoldExpired):
        services.confirm(appointment, code, timezone.now())
    assert services.find_slot(service, appointment.start, timezone.now()) is not None


def test_a_code_is_still_good_just_before_ten_minutes(held, clock):
    appointment, _ = held
    code = sent_code()
    clock.shift(datetime.timedelta(minutes=9, seconds=59))
    services.confirm(appointment, code, timezone.now())


def test_five_wrong_tries_invalidate_the_code_and_release_the_time(held, service):
    appointment, _ = held
    code = sent_code()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for remaining in (4, 3, 2, 1):
        with pytest.raises(exceptions.WrongCode) as refusal:
            services.confirm(appointment, wrong, timezone.now())
        assert refusal.value.remaining == remaining
        appointment.refresh_from_db()
    with pytest.raises(exceptions.CodeLocked):
        services.confirm(appointment, wrong, timezone.now())
    appointment.refresh_from_db()
    with pytest.raises(exceptions.CodeLocked):
        services.confirm(appointment, code, timezone.now())
    assert services.find_slot(service, appointment.start, timezone.now()) is not None


def test_a_new_code_does_not_reset_the_wrong_tries(held, clock):
    appointment, _ = held
    first = sent_code()
    for _ in range(4):
        with pytest.raises(exceptions.WrongCode):
            services.confirm(appointment, f"{(int(first) + 1) % 1000000:06d}", timezone.now())
    clock.shift(datetime.timedelta(seconds=61))
    appointment.refresh_from_db()
    resend(appointment)
    second = sent_code()
    with pytest.raises(exceptions.CodeLocked):
        services.confirm(appointment, f"{(int(second) + 1) % 1000000:06d}", timezone.now())


def test_only_the_newest_code_counts(held, clock, monkeypatch):
    """Caught: an older code still accepted after a new one was sent."""
    appointment, _ = held
    first = sent_code()
    second = f"{(int(first) + 1) % 1000000:06d}"  # never the same code by chance
    monkeypatch.setattr(services, "new_code", lambda: second)
    clock.shift(datetime.timedelta(seconds=61))
    resend(appointment)
    assert sent_code() == second
    with pytest.raises(exceptions.WrongCode):
        services.confirm(appointment, first, timezone.now())
    services.confirm(appointment, second, timezone.now())
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_resend_at_most_once_a_minute(held, clock):
    appointment, _ = held
    with pytest.raises(exceptions.ResendTooSoon):
        resend(appointment)
    clock.shift(datetime.timedelta(seconds=59))
    with pytest.raises(exceptions.ResendTooSoon):
        resend(appointment)
    clock.shift(datetime.timedelta(seconds=1))
    resend(appointment)


@pytest.mark.parametrize("waited", [0, 0.5, 30, 59.5])
def test_the_wait_told_is_enough_and_hardly_more(held, clock, waited):
    """Caught: telling a wait that is too short (the resend is refused again), or much too long.
    How the fraction of a second is rounded is not the point."""
    appointment, _ = held
    clock.shift(datetime.timedelta(seconds=waited))
    with pytest.raises(exceptions.ResendTooSoon) as refusal:
        resend(appointment)
    told = refusal.value.seconds
    assert 60 - waited <= told <= 60 - waited + 1
    clock.shift(datetime.timedelta(seconds=told))
    resend(appointment)


def code_emails_sent() -> int:
    outbox.deliver_due(timezone.now())
    return sum(bool(CODE_SUBJECT.search(m.subject)) for m in mail.outbox)


def test_past_five_codes_an_hour_an_address_gets_no_more_and_no_one_is_told(
    clock, service, ana, marko
):
    appointment, _ = hold(service)
    for _ in range(4):
        clock.shift(datetime.timedelta(seconds=60))
        resend(appointment)
    assert code_emails_sent() == 5
    clock.shift(datetime.timedelta(seconds=60))
    resend(appointment)  # accepted like any other, so the page cannot tell ...
    other, _ = hold(service, TUESDAY_0830 + datetime.timedelta(hours=1))
    assert code_emails_sent() == 5  # ... that nothing more went to the address this hour
    clock.shift(datetime.timedelta(minutes=56))
    later, _ = hold(service, TUESDAY_0830 + datetime.timedelta(hours=1, minutes=30))
    assert code_emails_sent() == 6
    services.confirm(later, sent_code(), timezone.now())


def test_the_previous_holds_token_does_not_skip_the_minute_between_codes(
    clock, service, ana, marko
):
    stranger = services.Contact("Kdorkoli", "rajko.lah@example.si", "041 555 555")
    _, token = hold(service, contact=stranger)
    for _ in range(4):  # five codes to one address within a second
        _, token = hold(service, contact=stranger, replaces=token)
    assert code_emails_sent() == 1
    for sent in range(2, 6):
        clock.shift(datetime.timedelta(seconds=60))
        assert code_emails_sent() == sent  # one a minute, however they were asked for


def test_resent_codes_count_toward_the_senders_hourly_limit(held, clock, settings):
    settings.BOOKING_HOLDS_PER_IP_PER_HOUR = 2  # the hold was the first
    appointment, _ = held
    clock.shift(datetime.timedelta(seconds=60))
    resend(appointment)
    clock.shift(datetime.timedelta(seconds=60))
    with pytest.raises(exceptions.TooManyHolds):
        resend(appointment)
    resend(appointment, client="198.51.100.7")  # another sender has its own limit


def test_a_hold_lasts_at_most_its_cap_from_the_first_code_however_often_codes_are_resent(
    held, clock, service, settings
):
    appointment, _ = held
    cap = appointment.created_at + datetime.timedelta(minutes=settings.BOOKING_HOLD_MAX_MINUTES)
    for _ in range(3):
        clock.shift(datetime.timedelta(minutes=9))
        resend(appointment)
    code = sent_code()
    appointment.refresh_from_db()
    assert appointment.hold_expires_at == cap
    clock.move_to(cap)
    with pytest.raises(exceptions.HoldExpired):
        services.confirm(appointment, code, timezone.now())
    assert services.find_slot(service, appointment.start, timezone.now()) is not None


class RefusingMailer:
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("the mail server is down")


def test_a_hold_waits_for_its_delayed_code_but_not_past_its_cap(held, clock, settings, monkeypatch):
    appointment, _ = held
    monkeypatch.setattr(outbox, "mailers", SimpleNamespace(default=RefusingMailer()))
    first = appointment.created_at
    cap = first + datetime.timedelta(minutes=settings.BOOKING_HOLD_MAX_MINUTES)
    attempt = first
    for delay in settings.EMAIL_RETRY_DELAYS[:5]:
        clock.move_to(attempt)
        assert outbox.deliver_due(timezone.now()) == 0
        attempt += datetime.timedelta(seconds=delay)
        appointment.refresh_from_db()
        # Reserved until the retry could have arrived and been typed in, never past the cap.
        assert appointment.hold_expires_at == min(attempt + datetime.timedelta(minutes=10), cap)
        assert services.release_lapsed_holds(timezone.now()) == 0
    clock.move_to(cap)
    assert services.release_lapsed_holds(timezone.now()) == 1


def test_a_lapsed_hold_frees_the_time_for_someone_else(held, clock, service):
    appointment, _ = held
    clock.shift(datetime.timedelta(minutes=10))
    other, _ = hold(
        service, contact=services.Contact("Druga Oseba", "druga@example.si", "041 222 333")
    )
    appointment.refresh_from_db()
    assert appointment.status == Status.EXPIRED
    assert other.status == Status.HELD and other.start == appointment.start


def test_a_taken_time_is_refused(held, service):
    with pytest.raises(exceptions.SlotTaken):
        hold(service, contact=services.Contact("Druga Oseba", "druga@example.si", "041 222 333"))


def test_the_database_refuses_overlapping_active_appointments(held, service, ana):
    from django.db import IntegrityError, transaction

    appointment, _ = held
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            unit=service.unit,
            service=service,
            official=ana,
            status=Status.CONFIRMED,
            start=appointment.start + datetime.timedelta(minutes=15),
            end=appointment.end + datetime.timedelta(minutes=15),
            name="X",
            email="x@example.si",
            phone="041000000",
            hold_token_hash="other",
            created_at=timezone.now(),
        )


def test_a_refused_replacement_keeps_the_earlier_hold(held, service, settings):
    appointment, token = held
    settings.BOOKING_HOLDS_PER_IP_PER_HOUR = 1
    other = services.Contact("Rajko Lah", "drug.naslov@example.si", "041 123 456")
    with pytest.raises(exceptions.TooManyHolds):
        hold(service, contact=other, replaces=token)
    appointment.refresh_from_db()
    assert appointment.status == Status.HELD


def test_going_back_and_correcting_the_details_sends_the_new_code_after_the_minute(
    held, clock, service
):
    appointment, token = held
    corrected = services.Contact("Rajko Lah", "rajko.lah@example.si", "041 999 999")
    again, _ = hold(service, contact=corrected, replaces=token)
    assert again.phone == "041 999 999" and again.status == Status.HELD
    assert code_emails_sent() == 1
    clock.shift(datetime.timedelta(seconds=60))
    services.confirm(again, sent_code(), timezone.now())


def test_going_back_releases_ones_own_hold_so_the_same_time_can_be_taken_again(
    held, clock, service
):
    appointment, token = held
    clock.shift(datetime.timedelta(seconds=61))
    corrected = services.Contact("Rajko Lah", "rajko.lah@example.si", "041 123 457")
    again, _ = hold(service, contact=corrected, replaces=token)
    appointment.refresh_from_db()
    assert appointment.status == Status.EXPIRED
    assert again.start == appointment.start and again.phone == "041 123 457"


def test_too_many_holds_from_one_client_are_refused(clock, service, ana, marko, settings):
    settings.BOOKING_HOLDS_PER_IP_PER_HOUR = 2
    for minutes in (0, 30):
        hold(
            service,
            TUESDAY_0830 + datetime.timedelta(minutes=minutes),
            client="198.51.100.7",
            contact=services.Contact("Oseba", f"o{minutes}@example.si", "041 222 333"),
        )
    with pytest.raises(exceptions.TooManyHolds):
        hold(
            service,
            TUESDAY_0830 + datetime.timedelta(minutes=60),
            client="198.51.100.7",
            contact=services.Contact("Oseba", "o60@example.si", "041 222 333"),
        )


def test_cancelling_frees_the_time_and_sends_cancel_invites(held, service):
    appointment, _ = held
    services.confirm(appointment, sent_code(), timezone.now())
    appointment.refresh_from_db()
    services.cancel(appointment, timezone.now())
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert services.find_slot(service, appointment.start, timezone.now()) is not None
    outbox.deliver_due(timezone.now())
    citizen = next(
        m
        for m in mail.outbox
        if "METHOD:CANCEL" in str(m.attachments) and m.to == ["rajko.lah@example.si"]
    )
    [invite] = citizen.attachments
    assert invite.filename == "cancel.ics"
    assert "METHOD:CANCEL" in invite.content and "STATUS:CANCELLED" in invite.content
    assert "SEQUENCE:1" in invite.content
    with pytest.raises(exceptions.NotCancellable):
        services.cancel(appointment, timezone.now())


def test_an_official_of_another_unit_is_never_assigned(clock, service, unit):
    from okence.offices.models import Unit

    ljutomer = Unit.objects.create(name="Upravna enota Ljutomer", slug="ljutomer")
    janez = make_official(ljutomer, service, "janez", "Janez")  # offers it, but not at Domžale
    assert (
        services.free_slots(
            service, datetime.date(2026, 12, 8), datetime.date(2026, 12, 8), timezone.now()
        )
        == {}
    )
    assert janez.appointments.count() == 0
