"""The staff actions that exist today land in the audit log: sign-in and sign-out, admit, turn
away, end, and a downloaded export (file downloads: exchange/tests/test_download_audit.py)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from okence.audit.models import Action, AuditEvent
from okence.booking.models import Status
from okence.conftest import make_appointment
from okence.meetings import services
from okence.meetings.exceptions import NotAllowed

MINUTE = datetime.timedelta(minutes=1)


def actions():
    return list(AuditEvent.objects.order_by("pk").values_list("actor__username", "action"))


def test_signing_in_and_out_is_recorded(client, clock, ana):
    response = client.post(reverse("login"), {"username": "ana", "password": "x"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    assert actions() == [("ana", Action.SIGNED_IN), ("ana", Action.SIGNED_OUT)]
    assert AuditEvent.objects.filter(at=timezone.now()).count() == 2


def test_a_wrong_password_is_no_sign_in(client, clock, ana):
    client.post(reverse("login"), {"username": "ana", "password": "wrong"})
    assert actions() == []


def test_admit_turn_away_and_end_are_recorded_with_the_appointment(clock, ana, marko):
    appointment, _ = make_appointment(ana, status=Status.WAITING)
    services.turn_away(appointment, marko, timezone.now())
    appointment.status = Status.WAITING
    appointment.save(update_fields=["status"])
    services.admit(appointment, ana, timezone.now())
    services.end(appointment, ana, timezone.now())
    assert actions() == [
        ("marko", Action.TURNED_AWAY),
        ("ana", Action.ADMITTED),
        ("ana", Action.ENDED),
    ]
    assert set(AuditEvent.objects.values_list("unit_id", "appointment_id")) == {
        (appointment.unit_id, appointment.pk)
    }


def test_a_refused_action_is_not_recorded(clock, ana, janez):
    appointment, _ = make_appointment(ana, status=Status.WAITING)
    with pytest.raises(NotAllowed):
        services.admit(appointment, janez, timezone.now())
    assert actions() == []


def test_a_downloaded_export_is_recorded_for_its_unit(client, clock, ana, unit):
    ana.administers.add(unit)
    client.force_login(ana.user)
    today = timezone.localdate()
    period = {"first_day": today.isoformat(), "last_day": today.isoformat()}
    assert client.get(reverse("reports:csv"), period).status_code == 200
    exports = AuditEvent.objects.filter(action=Action.EXPORT_DOWNLOADED)
    assert list(exports.values_list("actor", "unit")) == [(ana.user.pk, unit.pk)]
