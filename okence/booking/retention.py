"""How long personal data is kept, per data class, and the job that lets it go.

- A hold that was never confirmed: its contact details, notes and codes go a day after it
  lapsed (the row stays, without them, for the statistics' count of unconfirmed holds).
- A booked appointment: the contact details and notes are blanked BOOKING_KEEP_PERSONAL_DAYS
  after its end (the statistics keep unit, service, official, times and outcome).
The outbox forgets delivered e-mail on its own schedule (outbox.services.forget_delivered).
"""

import datetime

from django.conf import settings
from django.db.models import Q

from okence.booking.models import Appointment, Status, VerificationCode

ANONYMOUS = {"name": "", "email": "anonymised@invalid", "phone": "", "notes": ""}


def forget_personal_data(now: datetime.datetime) -> int:
    """Blank the personal data whose time is up; the number of appointments changed."""
    lapsed_holds = Q(status=Status.EXPIRED, created_at__lte=now - datetime.timedelta(days=1))
    ended = Q(end__lte=now - datetime.timedelta(days=settings.BOOKING_KEEP_PERSONAL_DAYS))
    due = Appointment.objects.filter(lapsed_holds | ended).exclude(email=ANONYMOUS["email"])
    VerificationCode.objects.filter(appointment__in=due).delete()
    return due.update(**ANONYMOUS)
