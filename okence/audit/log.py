"""Reading the audit log: whose entries an administrator sees, with the page's filters."""

import datetime

from django.db.models import Q, QuerySet

from okence.audit.models import AuditEvent
from okence.offices.access import StaffAccess


def visible_to(access: StaffAccess) -> QuerySet[AuditEvent]:
    """An organisation administrator reads every entry; a unit administrator the entries of the
    units they administer, and the sign-ins and sign-outs (no unit) of those units' officials."""
    events = AuditEvent.objects.select_related("actor", "subject", "unit", "appointment")
    if access.organisation:
        return events
    units = access.administered_unit_ids
    return events.filter(
        Q(unit__in=units)
        | Q(unit__isnull=True, actor__official__units__in=units)
        | Q(unit__isnull=True, subject__official__units__in=units)
    ).distinct()


def filtered(
    events: QuerySet[AuditEvent],
    *,
    unit: int | None,
    action: str | None,
    first_day: datetime.date | None,
    last_day: datetime.date | None,
    zone,
) -> QuerySet[AuditEvent]:
    if unit is not None:
        events = events.filter(unit_id=unit)
    if action:
        events = events.filter(action=action)
    if first_day is not None:
        events = events.filter(at__gte=datetime.datetime.combine(first_day, datetime.time(), zone))
    if last_day is not None:
        next_day = last_day + datetime.timedelta(days=1)
        events = events.filter(at__lt=datetime.datetime.combine(next_day, datetime.time(), zone))
    return events
