"""The audit log records who did what for which unit and appointment, and forgets after a year."""

import datetime

from django.utils import timezone

from okence import audit
from okence.audit.models import Action, AuditEvent
from okence.audit.tasks import forget_old_audit_events
from okence.conftest import make_appointment

DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


def test_an_action_on_an_appointment_is_recorded_for_its_unit(clock, ana):
    appointment, _ = make_appointment(ana)
    audit.record(ana.user, Action.ADMITTED, appointment=appointment, now=timezone.now())
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.unit_id, event.appointment) == (
        ana.user,
        Action.ADMITTED,
        appointment.unit_id,
        appointment,
    )


def test_entries_are_kept_a_year_and_not_a_minute_longer(clock, ana, settings):
    settings.AUDIT_KEEP_DAYS = 365
    audit.record(ana.user, Action.SIGNED_IN, unit=ana.units.first(), now=timezone.now())
    clock.shift(365 * DAY)
    forget_old_audit_events.call_local()
    assert AuditEvent.objects.count() == 1
    clock.shift(MINUTE)
    forget_old_audit_events.call_local()
    assert AuditEvent.objects.count() == 0
