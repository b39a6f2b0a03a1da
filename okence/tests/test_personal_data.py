"""Every field that may hold personal data has a rule and a job that forgets it, and the jobs
forget it at the boundary, not before and not after."""

import datetime

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone
from django.utils.module_loading import import_string
from huey.contrib.djhuey import HUEY

from okence.booking import retention
from okence.booking.models import VerificationCode
from okence.booking.tasks import forget_personal_data
from okence.conftest import LJUBLJANA, make_appointment, session_key
from okence.exchange.models import FileEvent
from okence.meetings.models import Room
from okence.personal_data import NOT_PERSONAL, PERSONAL_DATA
from okence.server.tasks import clear_expired_sessions
from okence.surveys import services as surveys
from okence.surveys.models import Answer

TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.GenericIPAddressField,
    models.FileField,
    models.BinaryField,
)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)


def text_fields() -> set[str]:
    return {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, TEXT_FIELDS)
    }


def covered(field: str) -> bool:
    model = field.rsplit(".", 1)[0]
    kept = {name for rule in PERSONAL_DATA for name in rule.fields}
    return field in kept or field in NOT_PERSONAL or model in NOT_PERSONAL


def test_every_text_field_of_every_model_is_kept_by_a_rule_or_exempted_with_a_reason():
    uncovered = sorted(field for field in text_fields() if not covered(field))
    assert uncovered == [], "add these to okence/personal_data.py"


def test_the_inventory_names_only_fields_that_exist():
    fields = text_fields()
    models_ = {field.rsplit(".", 1)[0] for field in fields}
    listed = {name for rule in PERSONAL_DATA for name in rule.fields} | set(NOT_PERSONAL)
    assert sorted(name for name in listed if name not in fields and name not in models_) == []
    assert all(reason.strip() for reason in NOT_PERSONAL.values())


@pytest.mark.parametrize("rule", PERSONAL_DATA, ids=lambda rule: rule.forgotten_by)
def test_each_rule_is_applied_by_a_periodic_job_at_least_daily(rule):
    job = import_string(rule.forgotten_by)
    start = datetime.datetime(2026, 12, 7)  # huey's clock: naive UTC
    runs = sum(
        isinstance(task, job.task_class)
        for minute in range(24 * 60)
        for task in HUEY.read_periodic(start + minute * MINUTE)
    )
    assert runs >= 1


def test_the_name_shown_in_the_room_and_the_file_names_go_with_the_contact_details(clock, ana):
    now = timezone.now()
    appointment, _ = make_appointment(ana, start=now, status="completed")
    other, _ = make_appointment(ana, start=now + 60 * MINUTE, status="completed")
    for meeting in (appointment, other):
        Room.objects.create(appointment=meeting, display_name="Rajko")
        FileEvent.objects.create(
            appointment=meeting,
            action=FileEvent.Action.UPLOADED,
            file_name="Rajko_Lah_potni_list.pdf",
            detail="Rajko_Lah",
            at=now,
        )
    clock.shift(90 * DAY + 30 * MINUTE - MINUTE)  # a minute before the first one's time is up
    forget_personal_data.call_local()
    assert Room.objects.get(appointment=appointment).display_name == "Rajko"
    assert FileEvent.objects.get(appointment=appointment).file_name
    clock.shift(MINUTE)
    forget_personal_data.call_local()
    assert Room.objects.get(appointment=appointment).display_name == ""
    event = FileEvent.objects.get(appointment=appointment)
    assert (event.file_name, event.detail, event.action) == ("", "", FileEvent.Action.UPLOADED)
    assert Room.objects.get(appointment=other).display_name == "Rajko"  # its time is not up
    assert FileEvent.objects.get(appointment=other).file_name


def test_a_failure_of_one_app_leaves_nothing_half_forgotten(clock, ana, monkeypatch):
    now = timezone.now()
    appointment, _ = make_appointment(ana, start=now, status="completed")
    Room.objects.create(appointment=appointment, display_name="Rajko")
    clock.shift(91 * DAY)

    def broken(appointment_ids):
        raise RuntimeError("the exchange app failed")

    monkeypatch.setattr("okence.exchange.retention.forget_file_names", broken)
    with pytest.raises(RuntimeError):
        retention.forget_personal_data(timezone.now())
    appointment.refresh_from_db()
    assert appointment.name == "Rajko Lah"  # rolled back: the next run tries again
    monkeypatch.undo()
    assert retention.forget_personal_data(timezone.now()) == 1
    assert Room.objects.get(appointment=appointment).display_name == ""


def test_a_verification_code_is_forgotten_a_day_after_it_was_sent(clock, ana):
    now = timezone.now()
    appointment, _ = make_appointment(ana, start=now + 3 * DAY)
    VerificationCode.objects.create(
        appointment=appointment,
        email=appointment.email,
        code_hash="x",
        created_at=now,
        expires_at=now + 10 * MINUTE,
    )
    clock.shift(DAY - MINUTE)
    forget_personal_data.call_local()
    assert VerificationCode.objects.exists()
    clock.shift(MINUTE)
    forget_personal_data.call_local()
    assert not VerificationCode.objects.exists()
    appointment.refresh_from_db()
    assert appointment.name == "Rajko Lah"  # the booking itself is still to come


def test_survey_comments_are_forgotten_after_the_kept_days_and_the_rating_stays(
    clock, ana, settings
):
    settings.SURVEY_KEEP_COMMENTS_DAYS = 365
    today = timezone.localdate()
    answer = Answer.objects.create(
        unit=ana.units.first(), meeting_day=today, rating=2, comment="Rajko Lah, hvala."
    )
    last_day = datetime.datetime.combine(today + 364 * DAY, datetime.time(23, 59), LJUBLJANA)
    clock.move_to(last_day)
    assert surveys.forget_old_comments(timezone.now()) == 0
    clock.shift(2 * MINUTE)
    assert surveys.forget_old_comments(timezone.now()) == 1
    answer.refresh_from_db()
    assert (answer.comment, answer.rating) == ("", 2)


def test_expired_staff_sessions_are_deleted(clock, ana, settings):
    key = session_key(ana.user)
    clock.shift(datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE) - MINUTE)
    clear_expired_sessions.call_local()
    assert Session.objects.filter(session_key=key).exists()
    clock.shift(2 * MINUTE)
    clear_expired_sessions.call_local()
    assert not Session.objects.filter(session_key=key).exists()
