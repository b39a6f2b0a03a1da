"""Calendar invites (iCalendar) for an appointment: REQUEST when booked, CANCEL when cancelled."""

import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from okence.booking.models import Appointment
from okence.booking.vtimezone import vtimezone

FILENAMES = {"REQUEST": "invite.ics", "CANCEL": "cancel.ics"}


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
    # The citizen chose the time, so it is accepted; no reply is expected from their calendar.
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee, encode=False)
    calendar.add_component(vtimezone(zone, appointment.start))
    calendar.add_component(event)
    return calendar.to_ical()


def attachment(ics: bytes, method: str) -> dict:
    """The invite as an outbox attachment, also shown as the message's calendar part.

    Mainstream clients (Outlook, Gmail, Apple Mail, Thunderbird) recognise an invitation by a
    ``text/calendar; method=...`` part beside the text and HTML bodies; the same data as a named
    ``.ics`` file lets anyone else import it by hand.
    """
    return {
        "filename": FILENAMES[method],
        "content": ics.decode(),
        "mimetype": f"text/calendar; method={method}; charset=utf-8",
        "alternative": True,
    }
