"""The official's agenda (a day, a week) and what they do to one appointment from it: cancel
with a reason, mark a no-show, keep a private note. Who may act for which unit is decided by
``offices.access``; an appointment outside it is "not found", the same as one that does not exist.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from okence import audit
from okence.audit.models import Action
from okence.booking import exceptions
from okence.booking import services as booking
from okence.booking.models import Appointment
from okence.meetings import agenda, agenda_rows, calendar_feed
from okence.offices.access import access_of


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (the citizen reads it in the e-mail)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Private note (for example the case reference)"),
        max_length=Appointment._meta.get_field("official_note").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _serving_access(request):
    access = access_of(request.user)
    if access is None or access.official is None:
        raise Http404
    return access


def _appointment_or_404(request, public_id):
    appointment = agenda.appointment_of(access_of(request.user), public_id)
    if appointment is None:
        raise Http404
    return appointment


def _agenda(request, *, weekly: bool):
    access = _serving_access(request)
    zone = agenda.zone_of(access, timezone.get_current_timezone())
    now = timezone.now()
    today = now.astimezone(zone).date()
    chosen = agenda.parse_date(request.GET.get("teden" if weekly else "dan"), today)
    invalid = chosen is None
    chosen = chosen or today
    span = agenda.week(chosen, zone) if weekly else agenda.day(chosen, zone)
    whole_unit = request.GET.get("vsi") == "1"
    listed = agenda.appointments(access, span, whole_unit=whole_unit)
    return render(
        request,
        "meetings/agenda.html",
        {
            "official": access.official,
            "weekly": weekly,
            "span": span,
            "chosen": chosen,
            "today": today,
            "invalid_date": invalid,
            "whole_unit": whole_unit,
            "days": agenda.by_day(
                listed,
                span,
                agenda_rows.renderer(
                    zone=zone, now=now, whole_unit=whole_unit, csrf_token=get_token(request)
                ),
            ),
            "zone": zone,
            "now": now,
        },
        status=400 if invalid else 200,
    )


@login_required
def day(request):
    """The appointments of one day (``?dan=YYYY-MM-DD``, today by default)."""
    return _agenda(request, weekly=False)


@login_required
def week(request):
    """The appointments of the week holding ``?teden=YYYY-MM-DD`` (this week by default)."""
    return _agenda(request, weekly=True)


def _back_to_day(appointment):
    local = appointment.start.astimezone(appointment.unit.zone).date()
    day = f"{reverse('meetings:agenda_day')}?dan={local.isoformat()}"
    return f"{day}#appointment-{appointment.public_id}"


@login_required
def cancel(request, public_id):
    """Ask for the reason, then cancel: the citizen is e-mailed a CANCEL invite."""
    appointment = _appointment_or_404(request, public_id)
    now = timezone.now()
    form = CancelForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            booking.cancel_by_official(appointment, form.cleaned_data["reason"], now)
        except exceptions.NotCancellable as failure:
            error = failure.message
        else:
            audit.record(request.user, Action.CANCELLED, now=now, appointment=appointment)
            messages.success(request, _("The appointment is cancelled; the citizen is told."))
            return redirect(_back_to_day(appointment))
    return render(
        request,
        "meetings/cancel.html",
        {
            "appointment": appointment,
            "form": form,
            "error": error,
            "cancellable": booking.can_cancel(appointment, now),
            "back": _back_to_day(appointment),
        },
        status=409 if error else 200,
    )


@login_required
@require_POST
def no_show(request, public_id):
    appointment = _appointment_or_404(request, public_id)
    now = timezone.now()
    try:
        booking.mark_no_show(appointment, now)
    except exceptions.NotMarkable as failure:
        messages.error(request, failure.message)
    else:
        audit.record(request.user, Action.NO_SHOW, now=now, appointment=appointment)
        messages.success(request, _("Marked as a no-show."))
    return redirect(_back_to_day(appointment))


@login_required
@require_POST
def note(request, public_id):
    appointment = _appointment_or_404(request, public_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long; it was not saved."))
        return redirect(_back_to_day(appointment))
    Appointment.objects.filter(pk=appointment.pk).update(official_note=form.cleaned_data["note"])
    audit.record(request.user, Action.NOTE_WRITTEN, now=timezone.now(), appointment=appointment)
    messages.success(request, _("The note is saved."))
    return redirect(_back_to_day(appointment))


@login_required
def calendar_feed_settings(request):
    """The official's calendar feed: make a secret address (shown once), replace or revoke it."""
    access = _serving_access(request)
    official = access.official
    address = None
    if request.method == "POST":
        now = timezone.now()
        if request.POST.get("action") == "revoke":
            calendar_feed.revoke(official)
            messages.success(request, _("The calendar address no longer works."))
        else:
            token = calendar_feed.renew(official, now)
            address = settings.SITE_URL + reverse("meetings:calendar_feed", args=[token])
        audit.record(request.user, Action.CALENDAR_FEED_CHANGED, now=now)
    return render(
        request,
        "meetings/calendar_feed.html",
        {"address": address, "has_feed": calendar_feed.has_feed(official)},
    )


@never_cache
def calendar_feed_file(request, token: str):
    """The feed itself, read by a calendar program: no sign-in, the secret address is the key."""
    official = calendar_feed.official_by_token(token)
    if official is None:
        raise Http404
    response = HttpResponse(
        calendar_feed.feed(official, timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "no-store, private"
    return response
