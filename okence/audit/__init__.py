"""Recording what staff do, for the unit administrators' audit log (see models.AuditEvent).

Apps call ``record`` at the moment an action succeeds; nothing else writes the log, and the
product has no way to change or delete an entry (the retention job removes old ones).
"""

import datetime


def record(
    actor,
    action: str,
    *,
    now: datetime.datetime,
    unit=None,
    appointment=None,
    subject=None,
) -> None:
    """Record that ``actor`` (a user) did ``action`` (an ``Action``); the unit defaults to the
    appointment's. ``subject``: the member of staff an action concerns (invited, deactivated)."""
    from okence.audit.models import AuditEvent

    AuditEvent.objects.create(
        at=now,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        unit_id=unit.pk if unit is not None else getattr(appointment, "unit_id", None),
        appointment=appointment,
        subject=subject,
    )


def forget_old(now: datetime.datetime) -> int:
    """Delete entries older than AUDIT_KEEP_DAYS; how many."""
    from django.conf import settings

    from okence.audit.models import AuditEvent

    cutoff = now - datetime.timedelta(days=settings.AUDIT_KEEP_DAYS)
    return AuditEvent.objects.filter(at__lt=cutoff).delete()[0]
