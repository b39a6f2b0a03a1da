"""Calendar invites (iCalendar) for an appointment: REQUEST when booked, CANCEL when cancelled."""

import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from okence.booking.models import Appointment


def invite(
    appointment: Appointment,
    *,
    method: str,
    summary: str,
    description: str,
    meeting_url: str | None,
    now: datetime.datetime,
) -> bytes:
    zone = appointment.unit.zone
    calendar = Calendar()
    calendar.add("prodid", "-//Okence//Virtualno okence//SL")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{appointment.public_id}@okence")
    event.add("sequence", appointment.invite_sequence)
    event.add("dtstamp", now)
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    event.add("summary", summary)
    event.add("description", description)
    if meeting_url:
        event.add("location", meeting_url)
        event.add("url", meeting_url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{appointment.unit.email or 'noreply@okence.invalid'}")
    organizer.params["cn"] = vText(appointment.unit.name)
    event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{appointment.email}")
    attendee.params["cn"] = vText(appointment.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
