"""How long personal data is kept, per data class, and the job that lets it go.

- A hold that was never confirmed: its contact details, notes and codes go a day after it
  lapsed (the row stays, without them, for the statistics' count of unconfirmed holds).
- A booked appointment: the contact details, notes, the official's note and the reason for
  cancelling are blanked BOOKING_KEEP_PERSONAL_DAYS after its end (the statistics keep unit,
  service, official, times and outcome); other apps' data about it goes at the same time (signal
  ``personal_data_forgotten``).
- A verification code (the address it went to, for the sending limits) is deleted a day after
  it was sent.
Every field that may hold personal data, and the job that forgets it, is listed in
``okence.personal_data``.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from okence.booking.models import Appointment, Status, VerificationCode
from okence.booking.signals import personal_data_forgotten

BATCH = 500  # appointments forgotten in one transaction
ANONYMOUS = {
    "name": "",
    "email": "anonymised@invalid",
    "phone": "",
    "notes": "",
    "official_note": "",
    "cancel_reason": "",
}


def forget_personal_data(now: datetime.datetime) -> int:
    """Blank the personal data whose time is up; the number of appointments changed."""
    day_ago = now - datetime.timedelta(days=1)
    # A day from when the hold lapsed (a hold kept for a delayed code lapses hours after it was
    # made); a row without the time (older data) counts from when it was made.
    lapsed_holds = Q(status=Status.EXPIRED) & (
        Q(hold_expires_at__lte=day_ago) | Q(hold_expires_at=None, created_at__lte=day_ago)
    )
    ended = Q(end__lte=now - datetime.timedelta(days=settings.BOOKING_KEEP_PERSONAL_DAYS))
    VerificationCode.objects.filter(created_at__lte=day_ago).delete()
    due = Appointment.objects.filter(lapsed_holds | ended).exclude(email=ANONYMOUS["email"])
    forgotten = 0
    while batch := list(due.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            VerificationCode.objects.filter(appointment__in=batch).delete()
            forgotten += Appointment.objects.filter(pk__in=batch).update(**ANONYMOUS)
            personal_data_forgotten.send(Appointment, appointment_ids=batch)
    return forgotten
