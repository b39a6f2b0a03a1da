"""Personal data is kept only as long as needed: lapsed holds a day, bookings 90 days after the
meeting, delivered e-mail a day."""

import datetime

import pytest
from django.utils import timezone

from okence.booking import retention
from okence.booking.models import Appointment, Status, VerificationCode
from okence.conftest import make_appointment
from okence.outbox import services as outbox
from okence.outbox.models import Email

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


def personal(appointment) -> tuple:
    appointment.refresh_from_db()
    return appointment.name, appointment.email, appointment.phone, appointment.notes


def lapsed_hold(ana, lapsed_at, **fields):
    now = timezone.now()
    hold, _ = make_appointment(
        ana,
        start=now + 3 * DAY,
        status=Status.EXPIRED,
        created_at=now,
        hold_expires_at=lapsed_at,
        notes="Opomba",
        **fields,
    )
    VerificationCode.objects.create(
        appointment=hold, email=hold.email, code_hash="x", created_at=now, expires_at=now
    )
    return hold


def test_a_lapsed_hold_keeps_its_details_for_a_day_after_it_lapsed(clock, ana):
    """Caught: counting from another moment than the lapse, or keeping them a minute longer."""
    hold = lapsed_hold(ana, timezone.now() + 15 * MINUTE)
    clock.shift(15 * MINUTE + DAY - MINUTE)
    assert retention.forget_personal_data(timezone.now()) == 0
    assert personal(hold) == ("Rajko Lah", "rajko.lah@example.si", "041 123 456", "Opomba")
    clock.shift(MINUTE)
    assert retention.forget_personal_data(timezone.now()) == 1
    assert personal(hold) == ("", "anonymised@invalid", "", "")
    assert not VerificationCode.objects.exists()
    assert Appointment.objects.get(pk=hold.pk).status == Status.EXPIRED  # still counted


def test_a_hold_kept_for_a_delayed_code_keeps_its_details_a_day_after_it_lapsed(clock, ana):
    """The day counts from the lapse, not from when the hold was made: a hold kept six hours
    for a delayed code still has them a day after it was made."""
    hold = lapsed_hold(ana, timezone.now() + 6 * 60 * MINUTE)
    clock.shift(DAY)
    assert retention.forget_personal_data(timezone.now()) == 0
    clock.shift(6 * 60 * MINUTE - MINUTE)
    assert retention.forget_personal_data(timezone.now()) == 0
    assert personal(hold)[0] == "Rajko Lah"
    clock.shift(MINUTE)
    assert retention.forget_personal_data(timezone.now()) == 1
    assert personal(hold)[0] == ""


def test_a_lapsed_hold_without_its_lapse_time_counts_the_day_from_when_it_was_made(clock, ana):
    hold = lapsed_hold(ana, None)
    clock.shift(DAY - MINUTE)
    assert retention.forget_personal_data(timezone.now()) == 0
    clock.shift(MINUTE)
    assert retention.forget_personal_data(timezone.now()) == 1
    assert personal(hold)[0] == ""


def test_a_meeting_keeps_its_details_for_90_days_after_its_end(clock, ana):
    now = timezone.now()
    meeting, _ = make_appointment(ana, start=now, status=Status.COMPLETED, created_at=now)
    clock.shift(90 * DAY + 30 * MINUTE - MINUTE)  # a minute before 90 days after its end
    assert retention.forget_personal_data(timezone.now()) == 0
    assert personal(meeting)[0] == "Rajko Lah"
    clock.shift(MINUTE)
    assert retention.forget_personal_data(timezone.now()) == 1
    assert personal(meeting)[0] == ""
    assert retention.forget_personal_data(timezone.now()) == 0  # once is enough


def mail(status, now) -> Email:
    return Email.objects.create(
        to=["a@example.si"],
        subject="s",
        body_text="link",
        status=status,
        sent_at=now if status == Email.Status.SENT else None,
        next_attempt_at=now,
        created_at=now,
    )


def remaining() -> set[str]:
    return set(Email.objects.values_list("status", flat=True))


def test_delivered_mail_is_kept_24_hours_and_not_a_minute_longer(clock):
    mail(Email.Status.SENT, timezone.now())
    mail(Email.Status.PENDING, timezone.now())
    clock.shift(DAY - MINUTE)
    assert outbox.forget_delivered(timezone.now()) == 0
    clock.shift(MINUTE)
    assert outbox.forget_delivered(timezone.now()) == 1
    assert remaining() == {Email.Status.PENDING}  # what is still to be sent is never forgotten


def test_failed_mail_is_kept_7_days_and_not_a_minute_longer(clock):
    mail(Email.Status.FAILED, timezone.now())
    clock.shift(7 * DAY - MINUTE)
    assert outbox.forget_delivered(timezone.now()) == 0
    assert remaining() == {Email.Status.FAILED}
    clock.shift(MINUTE)
    assert outbox.forget_delivered(timezone.now()) == 1
    assert remaining() == set()
