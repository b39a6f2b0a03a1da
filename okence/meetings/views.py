from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from okence.booking import services as booking
from okence.booking.formatting import time_range


def room(request, token: str):
    """The meeting link from the confirmation e-mail (the call itself arrives with the meeting
    issue; until then this page says when the meeting is)."""
    appointment = booking.by_meeting_token(token)
    if appointment is None:
        raise Http404
    return render(
        request,
        "meetings/room.html",
        {
            "appointment": appointment,
            "when": time_range(appointment.start, appointment.end, appointment.unit.zone),
            "ended": appointment.end <= timezone.now(),
        },
    )
