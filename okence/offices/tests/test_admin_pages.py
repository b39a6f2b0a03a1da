"""The unit administrators' pages over HTTP: scoping, services, hours, leave and conflicts."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from okence.audit.models import Action, AuditEvent
from okence.booking import services as booking
from okence.booking.models import Status
from okence.conftest import LJUBLJANA, make_appointment
from okence.offices.models import ChangedHours, Closure, Leave, Service, WorkingHours
from okence.outbox import services as outbox

TUESDAY = datetime.date(2026, 12, 8)


def pages(unit, service, official):
    """Every new page of a unit administrator, as (method, url)."""
    return [
        ("get", reverse("offices:unit", args=[unit.pk])),
        ("get", reverse("offices:services", args=[unit.pk])),
        ("get", reverse("offices:service_new", args=[unit.pk])),
        ("get", reverse("offices:service", args=[unit.pk, service.pk])),
        ("get", reverse("offices:hours", args=[unit.pk])),
        ("get", reverse("offices:hours_edit", args=[unit.pk, official.pk])),
        ("get", reverse("offices:absences", args=[unit.pk])),
        ("post", reverse("offices:absence_add", args=[unit.pk, "zaprtje"])),
        ("post", reverse("offices:absence_delete", args=[unit.pk, "zaprtje", 1])),
    ]


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(ana, unit):
    ana.administers.add(unit)
    return client_of(ana.user)


def test_an_official_who_administers_nothing_gets_not_found_everywhere(clock, service, ana):
    client = client_of(ana.user)
    for method, url in pages(service.unit, service, ana):
        assert getattr(client, method)(url).status_code == 404, url


def test_an_administrator_of_another_unit_gets_not_found_whether_it_exists_or_not(
    clock, service, ana, janez, ljutomer
):
    janez.administers.add(ljutomer)
    client = client_of(janez.user)
    missing = service.unit.pk + ljutomer.pk + 100
    for method, url in pages(service.unit, service, ana):
        assert getattr(client, method)(url).status_code == 404, url
        response = getattr(client, method)(url.replace(f"/{service.unit.pk}/", f"/{missing}/", 1))
        assert response.status_code == 404, url
    assert client.get(reverse("offices:services", args=[ljutomer.pk])).status_code == 200


def test_a_unit_administrator_cannot_reach_another_units_service_or_official(
    clock, service, ana, janez, ljutomer, admin
):
    foreign = ljutomer.services.first()
    unit = service.unit
    assert admin.get(reverse("offices:service", args=[unit.pk, foreign.pk])).status_code == 404
    assert admin.get(reverse("offices:hours_edit", args=[unit.pk, janez.pk])).status_code == 404


def test_an_organisation_administrator_reaches_every_unit(clock, service, ana, ljutomer, janez):
    boss = get_user_model().objects.create_superuser("boss", "boss@example.si", "x")
    client = client_of(boss)
    for method, url in pages(service.unit, service, ana)[:7]:
        assert getattr(client, method)(url).status_code == 200, url
    assert client.get(reverse("offices:hours", args=[ljutomer.pk])).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(db, service, ana):
    response = Client().get(reverse("offices:services", args=[service.unit.pk]))
    assert response.status_code == 302 and "/prijava/" in response["Location"]


SERVICE_FORM = {
    "name_sl": "Vozniška dovoljenja",
    "slug": "vozniska",
    "description_sl": "Menjava vozniškega dovoljenja.",
    "preparation_sl": "Staro dovoljenje, fotografija.",
    "duration_minutes": "20",
    "min_notice_minutes": "60",
    "max_advance_days": "14",
    "cancel_cutoff_minutes": "120",
    "active": "on",
}


def test_an_administrator_adds_a_service_with_its_rules_and_officials(
    clock, service, ana, marko, admin
):
    unit = service.unit
    form = SERVICE_FORM | {"officials": [marko.pk]}
    response = admin.post(reverse("offices:service_new", args=[unit.pk]), form)
    assert response.status_code == 302
    created = Service.objects.get(unit=unit, slug="vozniska")
    assert (created.duration_minutes, created.min_notice_minutes, created.max_advance_days) == (
        20,
        60,
        14,
    )
    assert created.cancel_cutoff_minutes == 120 and created.preparation.startswith("Staro")
    assert list(created.officials.all()) == [marko]
    assert AuditEvent.objects.filter(action=Action.SERVICES_CHANGED, unit=unit).count() == 1
    # The citizens' free times follow at once: Marko offers it, with 20-minute slots.
    slots = booking.free_slots(created, TUESDAY, TUESDAY, timezone.now())
    assert [s.official_ids for s in slots[TUESDAY]][:1] == [(marko.pk,)]
    assert slots[TUESDAY][0].end - slots[TUESDAY][0].start == datetime.timedelta(minutes=20)


def test_bad_input_is_refused_next_to_the_field_and_nothing_typed_is_lost(
    clock, service, ana, admin
):
    form = SERVICE_FORM | {"duration_minutes": "3", "slug": service.slug}
    response = admin.post(reverse("offices:service_new", args=[service.unit.pk]), form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Menjava vozniškega dovoljenja." in html and 'value="Vozniška dovoljenja"' in html
    assert 'aria-invalid="true"' in html
    assert "Another service of this unit has this address." not in html  # Slovenian by default
    assert not Service.objects.filter(name="Vozniška dovoljenja").exists()
    assert response.context["form"].errors.keys() == {"duration_minutes", "slug"}


def test_weekly_hours_change_and_the_free_times_follow(clock, service, ana, admin):
    unit = service.unit
    url = reverse("offices:hours_edit", args=[unit.pk, ana.pk])
    formset = admin.get(url).context["formset"]
    data = {
        "hours-TOTAL_FORMS": str(len(formset.forms)),
        "hours-INITIAL_FORMS": str(formset.initial_form_count()),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for index, form in enumerate(formset.forms):
        prefix = f"hours-{index}"
        if form.instance.pk:
            data |= {
                f"{prefix}-id": str(form.instance.pk),
                f"{prefix}-weekday": str(form.instance.weekday),
                f"{prefix}-start": "08:00",
                f"{prefix}-end": "09:00" if form.instance.weekday == 1 else "12:00",
            }
    response = admin.post(url, data)
    assert response.status_code == 302
    assert WorkingHours.objects.get(official=ana, weekday=1).end == datetime.time(9, 0)
    slots = booking.free_slots(service, TUESDAY, TUESDAY, timezone.now())
    assert [f"{s.start.astimezone(LJUBLJANA):%H:%M}" for s in slots[TUESDAY]] == ["08:00", "08:30"]
    assert AuditEvent.objects.filter(action=Action.HOURS_CHANGED).count() == 1


def test_hours_that_end_before_they_start_are_refused(clock, service, ana, admin):
    url = reverse("offices:hours_edit", args=[service.unit.pk, ana.pk])
    data = {
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
        "hours-0-weekday": "5",
        "hours-0-start": "12:00",
        "hours-0-end": "10:00",
    }
    response = admin.post(url, data)
    assert response.status_code == 200
    assert "Konec delovnega časa mora biti kasneje od začetka." in response.content.decode()
    assert not WorkingHours.objects.filter(official=ana, weekday=5).exists()


def test_the_absences_page_shows_the_public_holidays(clock, service, ana, admin):
    response = admin.get(reverse("offices:absences", args=[service.unit.pk]))
    html = response.content.decode()
    assert "25. 12. 2026: božič" in html and "1. 1. 2027" in html
    english = admin.get("/en" + reverse("offices:absences", args=[service.unit.pk]))
    assert "25. 12. 2026: Christmas Day" in english.content.decode()


def test_leave_without_bookings_is_saved_and_takes_the_days_away(clock, service, ana, admin):
    url = reverse("offices:absence_add", args=[service.unit.pk, "odsotnost"])
    form = {
        "leave-official": ana.pk,
        "leave-first_day": "2026-12-08",
        "leave-last_day": "2026-12-08",
        "leave-reason": "dopust",
    }
    assert admin.post(url, form).status_code == 302
    assert Leave.objects.filter(official=ana, first_day=TUESDAY).exists()
    assert TUESDAY not in booking.free_slots(service, TUESDAY, TUESDAY, timezone.now())
    assert AuditEvent.objects.filter(action=Action.LEAVE_CHANGED).count() == 1


def test_a_last_day_before_the_first_is_refused_next_to_the_field(clock, service, ana, admin):
    url = reverse("offices:absence_add", args=[service.unit.pk, "zaprtje"])
    form = {"closure-first_day": "2026-12-10", "closure-last_day": "2026-12-08"}
    response = admin.post(url, form)
    assert response.status_code == 400
    assert response.context["closure_form"].errors.keys() == {"last_day"}
    assert 'value="2026-12-10"' in response.content.decode()
    assert not Closure.objects.exists()


@pytest.fixture
def booked(clock, service, ana):
    start = datetime.datetime(2026, 12, 8, 9, 0, tzinfo=LJUBLJANA)
    appointment, _ = make_appointment(ana, start=start)
    return appointment


LEAVE_ON_TUESDAY = {
    "leave-first_day": "2026-12-08",
    "leave-last_day": "2026-12-08",
    "leave-reason": "bolniška",
}


def test_leave_on_a_booked_day_lists_the_appointment_and_saves_nothing(
    booked, service, ana, marko, admin
):
    url = reverse("offices:absence_add", args=[service.unit.pk, "odsotnost"])
    response = admin.post(url, LEAVE_ON_TUESDAY | {"leave-official": ana.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "8. 12. 2026, 09:00–09:30" in html
    assert f'value="move-{marko.pk}"' in html
    assert not Leave.objects.exists()
    booked.refresh_from_db()
    assert booked.official == ana and booked.status == Status.CONFIRMED
    assert not AuditEvent.objects.exclude(action=Action.SIGNED_IN).exists()


def test_moving_to_a_free_official_sends_an_updated_invite(booked, service, ana, marko, admin):
    url = reverse("offices:absence_add", args=[service.unit.pk, "odsotnost"])
    form = LEAVE_ON_TUESDAY | {"leave-official": ana.pk}
    response = admin.post(url, form | {"resolve": "1", f"choice-{booked.pk}": f"move-{marko.pk}"})
    assert response.status_code == 302
    assert Leave.objects.filter(official=ana).exists()
    booked.refresh_from_db()
    assert booked.official == marko and booked.invite_sequence == 1
    outbox.deliver_due(timezone.now())
    [citizen] = [m for m in mail.outbox if m.to == ["rajko.lah@example.si"]]
    [invite] = citizen.attachments
    assert "METHOD:REQUEST" in invite.content and "SEQUENCE:1" in invite.content
    assert f"UID:{booked.public_id}@okence" in invite.content
    assert {m.to[0] for m in mail.outbox} >= {"ana@example.si", "marko@example.si"}
    assert AuditEvent.objects.filter(action=Action.MOVED, appointment=booked).exists()


def test_cancelling_with_a_message_sends_a_cancel_and_frees_nothing_silently(
    booked, service, ana, admin
):
    url = reverse("offices:absence_add", args=[service.unit.pk, "odsotnost"])
    form = LEAVE_ON_TUESDAY | {"leave-official": ana.pk, "resolve": "1"}
    form |= {f"choice-{booked.pk}": "cancel", f"message-{booked.pk}": "Uradnica je bolna."}
    assert admin.post(url, form).status_code == 302
    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED and booked.invite_sequence == 1
    outbox.deliver_due(timezone.now())
    [citizen] = [m for m in mail.outbox if m.to == ["rajko.lah@example.si"]]
    assert "Uradnica je bolna." in citizen.body
    assert "METHOD:CANCEL" in citizen.attachments[0].content
    assert AuditEvent.objects.filter(action=Action.CANCELLED, appointment=booked).exists()


def test_a_choice_for_an_official_who_is_not_free_is_refused(booked, service, ana, admin):
    # Marko does not exist here, so nobody is free; Ana herself is the one going on leave.
    url = reverse("offices:absence_add", args=[service.unit.pk, "odsotnost"])
    form = LEAVE_ON_TUESDAY | {"leave-official": ana.pk, "resolve": "1"}
    form |= {f"choice-{booked.pk}": f"move-{ana.pk}", f"message-{booked.pk}": "Besedilo"}
    response = admin.post(url, form)
    assert response.status_code == 409
    assert "Besedilo</textarea>" in response.content.decode()  # nothing typed is lost
    assert not Leave.objects.exists()
    booked.refresh_from_db()
    assert booked.status == Status.CONFIRMED


def test_withdrawing_a_service_with_bookings_asks_first(booked, service, ana, admin):
    url = reverse("offices:service", args=[service.unit.pk, service.pk])
    form = SERVICE_FORM | {"name_sl": service.name, "slug": service.slug, "officials": [ana.pk]}
    del form["active"]
    response = admin.post(url, form)
    assert response.status_code == 200 and "8. 12. 2026, 09:00–09:30" in response.content.decode()
    service.refresh_from_db()
    assert service.active


def test_changed_hours_that_leave_out_a_booking_ask_first(booked, service, ana, admin):
    url = reverse("offices:absence_add", args=[service.unit.pk, "spremenjen-cas"])
    form = {
        "changed-official": ana.pk,
        "changed-day": "2026-12-08",
        "changed-start": "10:00",
        "changed-end": "12:00",
    }
    response = admin.post(url, form)
    assert response.status_code == 200 and "8. 12. 2026, 09:00–09:30" in response.content.decode()
    assert not ChangedHours.objects.exists()


def test_a_hold_on_withdrawn_time_can_no_longer_be_confirmed(clock, service, ana, admin):
    start = datetime.datetime(2026, 12, 8, 9, 0, tzinfo=LJUBLJANA)
    held, _ = make_appointment(
        ana,
        start=start,
        status=Status.HELD,
        hold_expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    untouched, _ = make_appointment(
        ana,
        start=start + datetime.timedelta(days=1),
        status=Status.HELD,
        hold_expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    url = reverse("offices:absence_add", args=[service.unit.pk, "odsotnost"])
    assert admin.post(url, LEAVE_ON_TUESDAY | {"leave-official": ana.pk}).status_code == 302
    held.refresh_from_db()
    untouched.refresh_from_db()
    assert held.status == Status.EXPIRED and untouched.status == Status.HELD
