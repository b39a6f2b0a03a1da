"""The meeting pages: the citizen's (from the e-mailed link) and the official's console and room."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from okence.booking import services as booking
from okence.booking import states
from okence.booking.formatting import time_range
from okence.meetings import services, turn
from okence.meetings.exceptions import NotAllowed
from okence.offices.access import official_of


def room(request, token: str):
    """Pre-join, waiting room and call for the citizen; no account, only the link's token.

    Before the meeting opens the page says when and reopens by itself then; after it ended or
    was cancelled, it says so (and offers the survey after a meeting that took place).
    """
    appointment = booking.by_meeting_token(token)
    if appointment is None:
        raise Http404
    now = timezone.now()
    opens_at = services.opens_at(appointment)
    return render(
        request,
        "meetings/room.html",
        {
            "appointment": appointment,
            "token": token,
            "phase": services.phase(appointment, now),
            "opens_at": opens_at,
            "seconds_to_open": max(1, int((opens_at - now).total_seconds()) + 1),
            "when": time_range(appointment.start, appointment.end, appointment.unit.zone),
            # The survey that the page turns into when the official ends the meeting.
            "survey_url": reverse("surveys:from_meeting", args=[token]),
        },
    )


def check(request, token: str):
    """Camera, microphone, speakers and network, tried any time before the meeting.

    Per appointment, under the meeting's own link, because the network check needs TURN
    credentials: only a holder of a meeting link gets them, for a short while, and only while the
    meeting is still ahead (after it ended or was cancelled the page says so and checks nothing).
    """
    appointment = booking.by_meeting_token(token)
    if appointment is None:
        raise Http404
    now = timezone.now()
    phase = services.phase(appointment, now)
    over = phase in (services.Phase.ENDED, services.Phase.CANCELLED)
    probes = None if over else services.check_probes(appointment, now)
    transports = sorted(
        {relay["transport"] for relay in probes["relays"]} if probes else set(),
        key=turn.TRANSPORTS.index,
    )
    return render(
        request,
        "meetings/check.html",
        {
            "appointment": appointment,
            "token": token,
            "phase": phase,
            "over": over,
            "when": time_range(appointment.start, appointment.end, appointment.unit.zone),
            "probes": probes,
            "transports": transports,
            "servers": ", ".join(dict.fromkeys(turn.host(url) for url in settings.TURN_URLS)),
        },
    )


def _official_or_404(request):
    official = official_of(request.user)
    if official is None:
        raise Http404
    return official


@login_required
def console(request):
    """The official's day: today's appointments, live states, the waiting room."""
    official = _official_or_404(request)
    whole_unit = request.GET.get("vsi") == "1"
    appointments = services.todays_appointments(official, timezone.now(), whole_unit=whole_unit)
    return render(
        request,
        "meetings/console.html",
        {
            "official": official,
            "whole_unit": whole_unit,
            "appointments": appointments,
            # Which states the script leaves out, from the one place that groups them.
            "unbooked_states": states.UNBOOKED,
        },
    )


@login_required
def official_room(request, public_id):
    """The official's side of one meeting: the call, the chat, admit and end."""
    official = _official_or_404(request)
    try:
        appointment = services.appointment_for_official(official, public_id)
    except NotAllowed:
        raise Http404 from None
    return render(
        request,
        "meetings/official_room.html",
        {
            "appointment": appointment,
            "when": time_range(appointment.start, appointment.end, appointment.unit.zone),
            "phase": services.phase(appointment, timezone.now()),
            "ice_transport_policy": settings.MEETING_ICE_TRANSPORT_POLICY,
        },
    )
