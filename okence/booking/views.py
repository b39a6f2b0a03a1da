"""The citizen's booking journey: unit → service → day and time → details → code → booked.

Every step is a plain page that works without JavaScript; booking.js only turns the code step
into a dialog over the details page.
"""

import calendar as monthcalendar
import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from okence import clientaddress
from okence.booking import calendar_page, exceptions, free_times, states
from okence.booking import services as booking
from okence.booking.availability import bookable_window
from okence.booking.formatting import long_day, time_range
from okence.booking.forms import CodeForm, ContactForm
from okence.booking.models import Status
from okence.offices.models import Service, Unit
from okence.outbox import services as outbox


def units(request):
    return render(request, "booking/units.html", {"units": Unit.objects.all()})


def services(request, unit: str):
    unit = get_object_or_404(Unit, slug=unit)
    return render(
        request,
        "booking/services.html",
        {"unit": unit, "services": unit.services.filter(active=True)},
    )


def _service(unit: str, service: str) -> Service:
    return get_object_or_404(
        Service.objects.select_related("unit"), unit__slug=unit, slug=service, active=True
    )


def _parse_month(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return default.replace(day=1)


def _parse_day(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _parse_start(value: str | None) -> datetime.datetime | None:
    try:
        start = datetime.datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return start.astimezone(datetime.UTC) if start.tzinfo else None


def _month_after(month: datetime.date, step: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + step
    return datetime.date(index // 12, index % 12 + 1, 1)


def calendar(request, unit: str, service: str):
    """A month of days with free times; the chosen day's free times under it."""
    now = timezone.now()
    if (kept := calendar_page.kept(request, unit, service, now)) is not None:
        return kept
    found = _service(unit, service)
    versions = free_times.versions(found)
    found = _service(unit, service)  # read after the versions the page will be kept under
    month = _month(found, now, request.GET.get("month"), request.GET.get("date"))
    own = {calendar_page.query(month["month"], day) for day in (None, month["selected"])}
    return calendar_page.render_and_keep(
        request,
        found,
        "booking/calendar.html",
        {"service": found, "unit": found.unit} | month,
        versions=versions,
        own_queries=tuple(own),
        now=now,
        valid_until=month["valid_until"],
    )


def _month(service: Service, now, month: str | None, day: str | None, *, leave_out=None) -> dict:
    """The calendar's month (``month``, from the current month on) and the chosen ``day``'s free
    times; ``leave_out``: a start not to offer (the appointment's own)."""
    zone = service.unit.zone
    today = now.astimezone(zone).date()
    _, last_day = bookable_window(booking.rules_for(service), now)
    month = _parse_month(month, today)
    month = min(max(month, today.replace(day=1)), last_day.replace(day=1))
    month_end = _month_after(month, 1) - datetime.timedelta(days=1)
    slots, valid_until = free_times.month_free_times(
        service, max(month, today), min(month_end, last_day), now
    )
    if leave_out is not None:
        slots = {
            day: kept
            for day, times in slots.items()
            if (kept := [slot for slot in times if slot.start != leave_out])
        }
    selected = _parse_day(day)
    if selected not in slots:
        selected = None
    weeks = [
        [_day_cell(day, month, len(slots.get(day, ())), selected) for day in week]
        for week in monthcalendar.Calendar().monthdatescalendar(month.year, month.month)
    ]
    previous_month = _month_after(month, -1)
    next_month = _month_after(month, 1)
    return {
        "month": month,
        "weeks": weeks,
        "previous_month": previous_month if previous_month >= today.replace(day=1) else None,
        "next_month": next_month if next_month <= last_day else None,
        "selected": selected,
        "times": _times(service, slots.get(selected, [])),
        "any_free": bool(slots),
        "valid_until": valid_until,
    }


def _day_cell(day: datetime.date, month: datetime.date, free: int, selected) -> dict:
    """One day of the month's table, its link and label made here: in the template, 42 cells
    of date formats and plural lookups were a third of the page's time."""
    cell = {"number": day.day, "in_month": day.month == month.month, "selected": day == selected}
    if free and cell["in_month"]:
        count = ngettext("%(n)s free time", "%(n)s free times", free) % {"n": free}
        cell["href"] = f"?month={month:%Y-%m}&date={day.isoformat()}#times"
        cell["label"] = f"{long_day(day)}: {count}"
    return cell


def _times(service: Service, slots) -> list[dict]:
    zone = service.unit.zone
    return [
        {
            "value": slot.start.isoformat(),
            "start": slot.start.astimezone(zone),
            "label": time_range(slot.start, slot.end, zone),
        }
        for slot in slots
    ]


@require_http_methods(["GET", "POST"])
def details(request, unit: str, service: str):
    """The chosen time and the contact details; Rezerviraj holds the time and e-mails a code."""
    service = _service(unit, service)
    now = timezone.now()
    data = request.POST if request.method == "POST" else None
    start = _parse_start((data or request.GET).get("start"))
    if start is None:
        return redirect("booking:calendar", unit=service.unit.slug, service=service.slug)
    previous = request.GET.get("hold") or (data or {}).get("replaces") or ""
    initial = {}
    if previous and (held := booking.held_by_token(previous)) and held.service_id == service.pk:
        initial = {"name": held.name, "email": held.email, "phone": held.phone, "notes": held.notes}
    form = ContactForm(data, initial=initial)
    error = None
    if form.is_valid():
        contact = booking.Contact(
            **{key: form.cleaned_data[key] for key in ("name", "email", "phone", "notes")}
        )
        try:
            _, token = booking.hold(
                service,
                start,
                contact,
                language=translation.get_language(),
                client=clientaddress.of(request),
                now=now,
                replaces=previous or None,
            )
        except exceptions.BookingError as refusal:
            error = refusal
        else:
            return HttpResponseRedirect(reverse("booking:verify", args=[token]), status=303)
    day = start.astimezone(service.unit.zone).date()
    day_slots = booking.free_slots(service, day, day, now).get(day, [])
    chosen = next((slot for slot in day_slots if slot.start == start), None)
    if chosen is None and error is None:
        error = exceptions.SlotTaken()
    return render(
        request,
        "booking/details.html",
        {
            "service": service,
            "unit": service.unit,
            "form": form,
            "error": error,
            "start": start if chosen else None,
            "times": _times(service, day_slots),
            "day": day,
            "when": time_range(chosen.start, chosen.end, service.unit.zone) if chosen else None,
            "replaces": previous,
        },
        status=409 if isinstance(error, exceptions.SlotTaken) and data else 200,
    )


def _held(token: str):
    appointment = booking.held_by_token(token)
    if appointment is None:
        raise Http404
    return appointment


@require_http_methods(["GET", "POST"])
def verify(request, token: str):
    """Potrdite svoj e-poštni naslov: the code step, with Nadaljuj, Znova mi pošlji kodo, Nazaj."""
    appointment = _held(token)
    if appointment.status not in states.UNBOOKED:
        return redirect("booking:done", token=token)
    now = timezone.now()
    form = CodeForm(request.POST if request.POST.get("action") == "confirm" else None)
    error = notice = None
    if request.POST.get("action") == "resend":
        try:
            booking.resend_code(appointment, now, client=clientaddress.of(request))
        except exceptions.BookingError as refusal:
            error = refusal
        else:  # see the page by GET, so that reloading it does not ask for yet another code
            url = reverse("booking:verify", args=[token]) + "?" + urlencode({"sent": 1})
            return HttpResponseRedirect(url, status=303)
    elif request.GET.get("sent"):
        # The same words whether or not the address's limits let the code go at once.
        notice = _(
            "A new code is on its way. One address gets at most one code a minute and "
            "%(n)d an hour."
        ) % {"n": settings.BOOKING_CODE_SENDS_PER_HOUR}
    elif form.is_bound and form.is_valid():
        try:
            booking.confirm(appointment, form.cleaned_data["code"], now)
        except exceptions.BookingError as refusal:
            error = refusal
        else:
            return HttpResponseRedirect(reverse("booking:done", args=[token]), status=303)
    appointment.refresh_from_db()
    ended = (
        appointment.status != Status.HELD
        or appointment.hold_expires_at <= now
        or isinstance(error, exceptions.CodeLocked)
    )
    back = (
        reverse("booking:details", args=[appointment.unit.slug, appointment.service.slug])
        + "?"
        + urlencode({"start": appointment.start.isoformat(), "hold": token})
    )
    return render(
        request,
        "booking/verify.html",
        {
            "appointment": appointment,
            "form": form,
            "error": error,
            "notice": notice,
            "ended": ended,
            "back_url": back,
            "token": token,
            "when": time_range(appointment.start, appointment.end, appointment.unit.zone),
            # One state: a lapsed hold no longer waits for its code, however late that comes.
            "delayed": not ended and outbox.is_delayed(booking.code_reference(appointment)),
        },
        status=400 if error and not notice else 200,
    )


def done(request, token: str):
    appointment = _held(token)
    if appointment.status in states.UNBOOKED:
        return redirect("booking:verify", token=token)
    return render(
        request,
        "booking/done.html",
        {
            "appointment": appointment,
            "when": time_range(appointment.start, appointment.end, appointment.unit.zone),
            "delayed": outbox.is_delayed(booking.confirmation_reference(appointment)),
            "undelivered": outbox.gave_up(booking.confirmation_reference(appointment)),
        },
    )


def _by_manage_token(token: str):
    appointment = booking.by_manage_token(token)
    if appointment is None:
        raise Http404
    return appointment


@require_http_methods(["GET", "POST"])
def manage(request, token: str):
    """The manage link from the confirmation e-mail: see the appointment, move or cancel it;
    past the cut-off, how to reach the unit instead."""
    appointment = _by_manage_token(token)
    now = timezone.now()
    error = None
    if request.method == "POST":
        try:
            booking.cancel(appointment, now)
        except exceptions.BookingError as refusal:
            if appointment.status != Status.CANCELLED:  # a repeated cancel is no error
                error = refusal
        if error is None:  # see the result by GET, so that reloading it sends nothing again
            return HttpResponseRedirect(reverse("booking:manage", args=[token]), status=303)
    zone = appointment.unit.zone
    deadline = booking.cancel_deadline(appointment).astimezone(zone)
    return render(
        request,
        "booking/manage.html",
        {
            "appointment": appointment,
            "token": token,
            "error": error,
            "cancellable": booking.can_cancel(appointment, now),
            "movable": booking.can_move(appointment, now),
            "too_late": booking.past_cutoff(appointment, now),
            "deadline": f"{long_day(deadline)}, {deadline:%H:%M}",
            "moved": bool(request.GET.get("prestavljeno")) and appointment.moved_at is not None,
            "when": time_range(appointment.start, appointment.end, zone),
        },
        status=409 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def reschedule(request, token: str):
    """Prestavi termin: the booking calendar of the same service, from the current month; a
    chosen time (``?start=``) is confirmed with a button, which moves the appointment there.

    Plain links and one form, so it works without JavaScript. Past the cut-off it leads back
    to the manage page, which says why and how to reach the unit.
    """
    appointment = _by_manage_token(token)
    now = timezone.now()
    if not booking.can_move(appointment, now):
        return HttpResponseRedirect(reverse("booking:manage", args=[token]), status=303)
    service, zone = appointment.service, appointment.unit.zone
    data = request.POST if request.method == "POST" else request.GET
    start = _parse_start(data.get("start"))
    error = None
    if request.method == "POST":
        try:
            if start is None:
                raise exceptions.SlotTaken
            booking.reschedule(appointment, start, now)
        except (exceptions.NotMovable, exceptions.SameTime):
            # The cut-off passed meanwhile (the manage page says so), or the form was sent
            # again after the move: either way, nothing to move.
            return HttpResponseRedirect(reverse("booking:manage", args=[token]), status=303)
        except exceptions.BookingError as refusal:
            error = refusal
        else:  # see the result by GET, so that reloading it moves nothing again
            url = reverse("booking:manage", args=[token]) + "?" + urlencode({"prestavljeno": 1})
            return HttpResponseRedirect(url, status=303)
    chosen = None
    if start is not None and start != appointment.start:
        chosen = booking.find_slot(service, start, now)
        if chosen is None and error is None:
            error = exceptions.SlotTaken()
    month = day = None
    if start is not None and chosen is None:  # show what else is free on the day asked for
        local = start.astimezone(zone)
        month, day = f"{local:%Y-%m}", local.date().isoformat()
    return render(
        request,
        "booking/reschedule.html",
        {
            "appointment": appointment,
            "service": service,
            "unit": appointment.unit,
            "token": token,
            "error": error,
            "when": time_range(appointment.start, appointment.end, zone),
            "chosen": chosen,
            "new_when": time_range(chosen.start, chosen.end, zone) if chosen else None,
        }
        | _month(
            service,
            now,
            month or request.GET.get("month"),
            day or request.GET.get("date"),
            leave_out=appointment.start,
        ),
        status=409 if error and request.method == "POST" else 200,
    )
