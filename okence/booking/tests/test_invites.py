"""Calendar invites read by independent iCalendar readers: Thunderbird's (ical.js) and vobject.

Each reader is given only the file: the event's times come out right only if the VTIMEZONE in it
describes the zone correctly for the date of the event. The bug these catch: a VTIMEZONE whose
daylight-saving changes are one RDATE with dozens of values, which ical.js (and so Thunderbird)
reads as its first value only, putting every summer appointment an hour late.
"""

import datetime
import io
import json
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from okence.booking import invites
from okence.booking.vtimezone import UnsupportedZone, vtimezone
from okence.conftest import LJUBLJANA, make_appointment

READERS = Path(__file__).parent / "calendar_readers"
WINTER = datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA)  # UTC+1
SUMMER = datetime.datetime(2027, 7, 6, 8, 30, tzinfo=LJUBLJANA)  # UTC+2
FIRST_SUMMER_DAY = datetime.datetime(2027, 3, 29, 8, 30, tzinfo=LJUBLJANA)  # after the change
LAST_SUMMER_DAY = datetime.datetime(2027, 10, 29, 8, 30, tzinfo=LJUBLJANA)  # Friday before


def ics_of(appointment, method="REQUEST") -> bytes:
    return invites.invite(
        appointment,
        method=method,
        summary="Osebni dokumenti – Upravna enota Domžale",
        description="Virtualno okence",
        meeting_url="https://okence.example.si/sestanek/x/",
        now=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
    )


def read_with_icaljs(ics: bytes) -> list[dict]:
    """The events as Thunderbird's parser reads them: start and end in UTC."""
    if not (READERS / "node_modules" / "ical.js").exists():
        pytest.skip("ical.js is not installed: run `make test` (npm ci in calendar_readers)")
    result = subprocess.run(
        [shutil.which("node") or "node", str(READERS / "read.mjs")],
        input=ics,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def read_with_vobject(ics: bytes) -> list[dict]:
    calendar = vobject.readOne(io.StringIO(ics.decode()))
    return [
        {
            "uid": event.uid.value,
            "start": event.dtstart.value.astimezone(datetime.UTC),
            "end": event.dtend.value.astimezone(datetime.UTC),
        }
        for event in calendar.vevent_list
    ]


@pytest.mark.parametrize("start", [WINTER, SUMMER, FIRST_SUMMER_DAY, LAST_SUMMER_DAY])
def test_thunderbirds_reader_puts_the_appointment_at_its_time(ana, start):
    appointment, _ = make_appointment(ana, start=start)
    [event] = read_with_icaljs(ics_of(appointment))
    assert event["start"] == start.astimezone(datetime.UTC).isoformat().replace("+00:00", ".000Z")
    end = (start + datetime.timedelta(minutes=30)).astimezone(datetime.UTC)
    assert event["end"] == end.isoformat().replace("+00:00", ".000Z")


@pytest.mark.parametrize("start", [WINTER, SUMMER, FIRST_SUMMER_DAY, LAST_SUMMER_DAY])
def test_vobject_puts_the_appointment_at_its_time(ana, start):
    appointment, _ = make_appointment(ana, start=start)
    [event] = read_with_vobject(ics_of(appointment))
    assert event["start"] == start.astimezone(datetime.UTC)
    assert event["end"] == (start + datetime.timedelta(minutes=30)).astimezone(datetime.UTC)


def test_the_zone_is_written_as_yearly_rules_as_outlook_and_google_write_it(ana):
    appointment, _ = make_appointment(ana, start=SUMMER)
    [zone] = Calendar.from_ical(ics_of(appointment)).walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Ljubljana"
    observances = {part.name: part for part in zone.subcomponents}
    assert set(observances) == {"STANDARD", "DAYLIGHT"}
    daylight, standard = observances["DAYLIGHT"], observances["STANDARD"]
    assert daylight["RRULE"] == {"FREQ": ["YEARLY"], "BYMONTH": [3], "BYDAY": ["-1SU"]}
    assert standard["RRULE"] == {"FREQ": ["YEARLY"], "BYMONTH": [10], "BYDAY": ["-1SU"]}
    assert "RDATE" not in daylight and "RDATE" not in standard
    assert daylight.decoded("TZOFFSETTO") == datetime.timedelta(hours=2)
    assert standard.decoded("TZOFFSETTO") == datetime.timedelta(hours=1)
    assert daylight.decoded("DTSTART") == datetime.datetime(1996, 3, 31, 2, 0)


def test_rules_of_other_zones_match_their_clock_changes():
    new_york = vtimezone(ZoneInfo("America/New_York"), SUMMER)
    daylight = next(part for part in new_york.subcomponents if part.name == "DAYLIGHT")
    assert daylight["RRULE"]["BYDAY"] == ["2SU"] and daylight["RRULE"]["BYMONTH"] == [3]
    tokyo = vtimezone(ZoneInfo("Asia/Tokyo"), SUMMER)
    assert [part.name for part in tokyo.subcomponents] == ["STANDARD"]


def test_a_zone_about_to_change_its_rules_is_refused_rather_than_described_wrongly():
    # Mexico City dropped daylight-saving time after 2022: a 2021 rule would be wrong later.
    with pytest.raises(UnsupportedZone):
        vtimezone(ZoneInfo("America/Mexico_City"), datetime.datetime(2021, 7, 1, tzinfo=LJUBLJANA))


def test_the_citizen_is_an_accepted_attendee_of_whom_no_reply_is_asked(ana):
    appointment, _ = make_appointment(ana, start=WINTER)
    [event] = Calendar.from_ical(ics_of(appointment)).walk("VEVENT")
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"


def test_a_cancellation_is_named_for_what_it_is(ana):
    appointment, _ = make_appointment(ana, start=WINTER)
    assert invites.attachment(ics_of(appointment, "CANCEL"), "CANCEL")["filename"] == "cancel.ics"
    assert invites.attachment(ics_of(appointment), "REQUEST")["filename"] == "invite.ics"
