"""The unit administrators' pages: services, weekly hours, leave, closures and changed hours.

Every page asks ``offices.access`` for the unit (404 outside one's scope). Every change goes
through ``_apply``: if it strands booked appointments, it is rolled back and the administrator
is shown them, with a choice for each (move to a free official, or cancel with a message); the
change is saved only with every appointment resolved.
"""

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okence import audit
from okence.audit.models import Action
from okence.booking import conflicts as booking_conflicts
from okence.booking import services as booking
from okence.offices import forms
from okence.offices import services as offices
from okence.offices.access import access_of
from okence.offices.models import ChangedHours, Closure, Leave, Unit


def _unit(request, unit_id):
    access = access_of(request.user)
    if access is None:
        raise Http404
    return access.administered_unit(unit_id)


class _Unresolved(Exception):
    def __init__(self, conflicts, error=""):
        self.conflicts, self.error = conflicts, error


def _resolve(request, conflicts, now) -> None:
    """Carry out the administrator's choice for each stranded appointment, or raise."""
    choices = booking_conflicts.chosen(conflicts, request.POST)
    if choices is None:
        raise _Unresolved(conflicts)
    booking_conflicts.carry_out(choices, request.user, now)


def _apply(request, unit, change: Callable[[], None], action: str, done_url: str):
    """Save a change, unless it strands booked appointments nobody has decided about."""
    now = timezone.now()
    try:
        try:
            with transaction.atomic():
                change()
                conflicts = booking_conflicts.affected(unit, now)
                if conflicts and "resolve" not in request.POST:
                    raise _Unresolved(conflicts)
                _resolve(request, conflicts, now)
                booking.withdraw_holds(booking_conflicts.stranded_holds(unit, now), now)
                audit.record(request.user, action, now=now, unit=unit)
        except IntegrityError:  # the chosen official's time was taken meanwhile
            with transaction.atomic():
                change()
                conflicts = booking_conflicts.affected(unit, now)
                raise _Unresolved(
                    conflicts, _("Someone has just booked the official you chose; choose again.")
                ) from None
    except _Unresolved as unresolved:
        replay = [
            (key, value)
            for key, values in request.POST.lists()
            if key not in ("csrfmiddlewaretoken", "resolve")
            and not key.startswith(("choice-", "message-"))
            for value in values
        ]
        return render(
            request,
            "offices/conflicts.html",
            {
                "unit": unit,
                "rows": booking_conflicts.form_rows(unresolved.conflicts, request.POST),
                "error": unresolved.error,
                "tried": "resolve" in request.POST,
                "replay": replay,
                "back_url": done_url,
            },
            status=409 if "resolve" in request.POST else 200,
        )
    messages.success(request, _("Saved."))
    return redirect(done_url)


@login_required
def unit_home(request, unit_id):
    """The unit's name in each of its languages."""
    unit = _unit(request, unit_id)
    form = forms.UnitNamesForm(request.POST or None, instance=Unit.objects.get(pk=unit.pk))
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record(request.user, Action.UNIT_CHANGED, now=timezone.now(), unit=unit)
        messages.success(request, _("Saved."))
        return redirect("offices:unit", unit.pk)
    return render(request, "offices/unit.html", {"unit": unit, "form": form})


@login_required
def service_list(request, unit_id):
    unit = _unit(request, unit_id)
    services = unit.services.prefetch_related("officials__user")
    return render(request, "offices/services.html", {"unit": unit, "services": services})


@login_required
def service_edit(request, unit_id, service_id=None):
    unit = _unit(request, unit_id)
    service = get_object_or_404(unit.services, pk=service_id) if service_id else None
    form = forms.ServiceForm(request.POST or None, instance=service, unit=unit)
    if request.method == "POST" and form.is_valid():

        def change():
            form.save()
            form.save_officials()

        return _apply(
            request,
            unit,
            change,
            Action.SERVICES_CHANGED,
            reverse("offices:services", args=[unit.pk]),
        )
    return render(
        request, "offices/service_form.html", {"unit": unit, "form": form, "service": service}
    )


@login_required
def hours_list(request, unit_id):
    unit = _unit(request, unit_id)
    officials = unit.officials.select_related("user").prefetch_related("hours")
    return render(request, "offices/hours.html", {"unit": unit, "officials": officials})


@login_required
def hours_edit(request, unit_id, official_id):
    unit = _unit(request, unit_id)
    official = get_object_or_404(unit.officials.select_related("user"), pk=official_id)
    formset = forms.HoursFormSet(request.POST or None, instance=official)
    if request.method == "POST" and formset.is_valid():
        return _apply(
            request,
            unit,
            formset.save,
            Action.HOURS_CHANGED,
            reverse("offices:hours", args=[unit.pk]),
        )
    return render(
        request,
        "offices/hours_form.html",
        {"unit": unit, "official": official, "formset": formset},
    )


def _absences_context(unit, **forms_given):
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=365)
    holidays = sorted(
        day
        for year in (today.year, today.year + 1)
        for day in offices.public_holidays(year)
        if today <= day <= horizon
    )
    return {
        "unit": unit,
        "holidays": [(day, offices.holiday_name(day)) for day in holidays],
        "closures": unit.closures.filter(last_day__gte=today),
        "leave": Leave.objects.filter(official__units=unit, last_day__gte=today).select_related(
            "official__user"
        ),
        "changed_hours": ChangedHours.objects.filter(
            official__units=unit, day__gte=today
        ).select_related("official__user"),
        "closure_form": forms_given.get("closure_form") or forms.ClosureForm(prefix="closure"),
        "leave_form": forms_given.get("leave_form") or forms.LeaveForm(prefix="leave", unit=unit),
        "changed_form": forms_given.get("changed_form")
        or forms.ChangedHoursForm(prefix="changed", unit=unit),
    }


@login_required
def absences(request, unit_id):
    unit = _unit(request, unit_id)
    return render(request, "offices/absences.html", _absences_context(unit))


ABSENCE_KINDS = {
    # kind in the URL: (form class, form prefix, context name, takes the unit)
    "zaprtje": (forms.ClosureForm, "closure", "closure_form", False),
    "odsotnost": (forms.LeaveForm, "leave", "leave_form", True),
    "spremenjen-cas": (forms.ChangedHoursForm, "changed", "changed_form", True),
}


@login_required
@require_POST
def absence_add(request, unit_id, kind):
    unit = _unit(request, unit_id)
    if kind not in ABSENCE_KINDS:
        raise Http404
    form_class, prefix, name, takes_unit = ABSENCE_KINDS[kind]
    extra = {"unit": unit} if takes_unit else {}
    form = form_class(request.POST, prefix=prefix, **extra)
    if kind == "zaprtje":
        form.instance.unit = unit
    if not form.is_valid():
        return render(
            request, "offices/absences.html", _absences_context(unit, **{name: form}), status=400
        )
    action = Action.HOURS_CHANGED if kind == "spremenjen-cas" else Action.LEAVE_CHANGED
    return _apply(request, unit, form.save, action, reverse("offices:absences", args=[unit.pk]))


@login_required
@require_POST
def absence_delete(request, unit_id, kind, pk):
    unit = _unit(request, unit_id)
    rows = {
        "zaprtje": Closure.objects.filter(unit=unit),
        "odsotnost": Leave.objects.filter(official__units=unit),
        "spremenjen-cas": ChangedHours.objects.filter(official__units=unit),
    }
    if kind not in rows:
        raise Http404
    row = get_object_or_404(rows[kind].distinct(), pk=pk)
    action = Action.HOURS_CHANGED if kind == "spremenjen-cas" else Action.LEAVE_CHANGED
    return _apply(request, unit, row.delete, action, reverse("offices:absences", args=[unit.pk]))
