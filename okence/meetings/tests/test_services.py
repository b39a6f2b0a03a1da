"""The meeting's state machine through the services, without sockets, on the real database.

Every service takes ``now``, so the tests pass the time explicitly: an appointment at 08:00 on
Monday 7 December 2026 (Ljubljana), which opens at 07:50 and stops opening at 10:30.
"""

import base64
import datetime
import hashlib
import hmac

import pytest
from django.utils import timezone

from okence.booking.models import Appointment, Status
from okence.conftest import LJUBLJANA, MONDAY_MORNING, make_appointment
from okence.meetings import chat, events, services
from okence.meetings.exceptions import MeetingOver, NotAllowed, NotOpenYet, WrongState
from okence.meetings.models import Room
from okence.meetings.services import Phase
from okence.offices.models import Service

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=LJUBLJANA)
OPENS = START - datetime.timedelta(minutes=10)
MINUTE = datetime.timedelta(minutes=1)
SECOND = datetime.timedelta(seconds=1)
EMAIL, PHONE = "rajko.lah@example.si", "041 123 456"


def book(official, service, start=START, *, minutes=30, status=Status.CONFIRMED, name="Rajko Lah"):
    appointment, _ = make_appointment(
        official,
        service=service,
        start=start,
        minutes=minutes,
        status=status,
        name=name,
        email=EMAIL,
        phone=PHONE,
        created_at=MONDAY_MORNING - datetime.timedelta(days=3),
    )
    return appointment


def knock(appointment, name, connection, now, *, device="laptop"):
    """A knock from the citizen's browser (``device``: the digest of its cookie)."""
    return services.knock(appointment, name, connection, now, device=device)


def status_of(appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


def room(appointment) -> Room:
    return Room.objects.get(appointment=appointment)


@pytest.fixture
def appointment(ana, service):
    return book(ana, service)


@pytest.fixture
def waiting(appointment):
    knock(appointment, "Rajko", "conn-1", OPENS + MINUTE)
    return appointment


@pytest.fixture
def in_meeting(waiting, ana):
    services.admit(waiting, ana, OPENS + 2 * MINUTE)
    return waiting


# The phase.


def test_the_room_opens_ten_minutes_before_the_start(appointment):
    assert services.opens_at(appointment) == OPENS
    assert services.phase(appointment, OPENS - SECOND) == Phase.NOT_OPEN
    assert services.phase(appointment, OPENS) == Phase.OPEN
    assert services.phase(appointment, START) == Phase.OPEN
    assert services.phase(appointment, appointment.end) == Phase.OPEN


def test_an_unfinished_meeting_stops_opening_two_hours_after_its_end(appointment):
    closes = appointment.end + datetime.timedelta(minutes=120)
    assert services.closes_at(appointment) == closes
    assert services.phase(appointment, closes - SECOND) == Phase.OPEN
    assert services.phase(appointment, closes) == Phase.ENDED


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.NO_SHOW, Status.EXPIRED])
def test_a_finished_appointment_is_ended_at_any_time(appointment, status):
    appointment.status = status
    assert services.phase(appointment, OPENS - datetime.timedelta(days=1)) == Phase.ENDED
    assert services.phase(appointment, START) == Phase.ENDED


def test_a_cancelled_appointment_is_cancelled_at_any_time(appointment):
    appointment.status = Status.CANCELLED
    assert services.phase(appointment, OPENS - datetime.timedelta(days=1)) == Phase.CANCELLED
    assert services.phase(appointment, START) == Phase.CANCELLED
    assert services.phase(appointment, START + datetime.timedelta(days=1)) == Phase.CANCELLED


# Knocking.


def test_a_knock_enters_the_waiting_room(appointment):
    now = OPENS + MINUTE
    assert knock(appointment, "Rajko", "conn-1", now) == Status.WAITING
    assert status_of(appointment) == Status.WAITING
    the_room = room(appointment)
    assert the_room.knocked_at == now
    assert the_room.first_knocked_at == now
    assert the_room.display_name == "Rajko"
    assert the_room.citizen_connection == "conn-1"


def test_knocking_again_keeps_the_place_in_the_queue(waiting):
    first = room(waiting).knocked_at
    assert knock(waiting, "Rajko L.", "conn-2", START) == Status.WAITING
    the_room = room(waiting)
    assert the_room.knocked_at == first
    assert the_room.first_knocked_at == first
    assert the_room.display_name == "Rajko L."
    assert the_room.citizen_connection == "conn-2"


def test_a_knock_after_admission_goes_straight_back_into_the_meeting(in_meeting):
    assert knock(in_meeting, "Rajko", "conn-2", START) == Status.IN_MEETING
    assert status_of(in_meeting) == Status.IN_MEETING
    assert room(in_meeting).citizen_connection == "conn-2"


def test_a_knock_after_being_turned_away_waits_again_but_remembers_the_first(waiting, ana):
    first = room(waiting).first_knocked_at
    services.turn_away(waiting, ana, START)
    later = START + MINUTE
    assert knock(waiting, "Rajko", "conn-1", later) == Status.WAITING
    the_room = room(waiting)
    assert the_room.knocked_at == later
    assert the_room.first_knocked_at == first


def test_a_knock_before_the_room_opens_is_refused(appointment):
    with pytest.raises(NotOpenYet):
        knock(appointment, "Rajko", "conn-1", OPENS - SECOND)
    assert status_of(appointment) == Status.CONFIRMED
    assert not Room.objects.filter(appointment=appointment, knocked_at__isnull=False).exists()


def test_a_knock_after_the_room_closed_is_refused(appointment):
    with pytest.raises(MeetingOver):
        knock(appointment, "Rajko", "conn-1", services.closes_at(appointment))
    assert status_of(appointment) == Status.CONFIRMED


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED])
def test_a_knock_on_a_finished_appointment_is_refused(ana, service, status):
    appointment = book(ana, service, status=status)
    with pytest.raises(MeetingOver):
        knock(appointment, "Rajko", "conn-1", START)
    assert status_of(appointment) == status


def test_a_knock_with_a_stale_copy_of_an_ended_meeting_is_refused(in_meeting, ana):
    stale = Appointment.objects.get(pk=in_meeting.pk)
    services.end(in_meeting, ana, START)
    with pytest.raises(MeetingOver):
        knock(stale, "Rajko", "conn-2", START + MINUTE)
    assert status_of(in_meeting) == Status.COMPLETED


# Admission.


def test_an_official_of_the_unit_admits_from_the_waiting_room(waiting, ana):
    now = OPENS + 2 * MINUTE
    services.admit(waiting, ana, now)
    assert status_of(waiting) == Status.IN_MEETING
    assert room(waiting).admitted_at == now


def test_another_official_of_the_same_unit_may_admit(waiting, marko):
    services.admit(waiting, marko, START)
    assert status_of(waiting) == Status.IN_MEETING


@pytest.mark.parametrize("status", [Status.CONFIRMED, Status.IN_MEETING])
def test_admission_is_only_from_the_waiting_room(ana, service, status):
    appointment = book(ana, service, status=status)
    with pytest.raises(WrongState):
        services.admit(appointment, ana, START)
    assert status_of(appointment) == status


def test_admission_of_an_ended_meeting_is_refused(ana, service):
    appointment = book(ana, service, status=Status.COMPLETED)
    with pytest.raises(MeetingOver):
        services.admit(appointment, ana, START)
    assert status_of(appointment) == Status.COMPLETED


def test_an_official_of_another_unit_may_not_admit(waiting, janez):
    with pytest.raises(NotAllowed):
        services.admit(waiting, janez, START)
    assert status_of(waiting) == Status.WAITING
    assert room(waiting).admitted_at is None


def test_nobody_may_admit_without_being_an_official(waiting):
    with pytest.raises(NotAllowed):
        services.admit(waiting, None, START)
    assert status_of(waiting) == Status.WAITING


def test_an_official_of_another_unit_may_not_turn_away_or_end(waiting, janez):
    with pytest.raises(NotAllowed):
        services.turn_away(waiting, janez, START)
    with pytest.raises(NotAllowed):
        services.end(waiting, janez, START)
    with pytest.raises(NotAllowed):
        services.end(waiting, None, START)
    assert status_of(waiting) == Status.WAITING


# Turning away.


def test_turning_away_sends_the_citizen_back_to_confirmed(waiting, ana):
    services.turn_away(waiting, ana, START)
    assert status_of(waiting) == Status.CONFIRMED
    the_room = room(waiting)
    assert the_room.turned_away_at == START
    assert the_room.knocked_at is None


def test_only_a_waiting_citizen_can_be_turned_away(in_meeting, ana):
    with pytest.raises(WrongState):
        services.turn_away(in_meeting, ana, START)
    assert status_of(in_meeting) == Status.IN_MEETING


def test_admission_after_a_turn_away_clears_it(waiting, ana):
    services.turn_away(waiting, ana, START)
    knock(waiting, "Rajko", "conn-1", START + MINUTE)
    services.admit(waiting, ana, START + 2 * MINUTE)
    assert room(waiting).turned_away_at is None
    assert status_of(waiting) == Status.IN_MEETING


# The end.


def test_ending_a_meeting_completes_it_and_forgets_the_chat(in_meeting, ana):
    chat.add(in_meeting.pk, "citizen", "Dober dan", START)
    chat.add(in_meeting.pk, "official", "Dober dan, kako vam lahko pomagam?", START)
    assert len(chat.history(in_meeting.pk)) == 2
    services.end(in_meeting, ana, START + 20 * MINUTE)
    assert status_of(in_meeting) == Status.COMPLETED
    assert room(in_meeting).ended_at == START + 20 * MINUTE
    assert chat.history(in_meeting.pk) == []


def test_ending_before_admission_is_a_no_show(waiting, ana):
    chat.add(waiting.pk, "official", "Zamujam 5 minut.", START, waiting_room=True)
    services.end(waiting, ana, START + 15 * MINUTE)
    assert status_of(waiting) == Status.NO_SHOW
    assert chat.history(waiting.pk) == []


def test_ending_when_the_citizen_never_came_is_a_no_show(appointment, ana):
    services.end(appointment, ana, START + 15 * MINUTE)
    assert status_of(appointment) == Status.NO_SHOW
    assert room(appointment).ended_at == START + 15 * MINUTE


def test_an_ended_meeting_cannot_be_ended_again(in_meeting, ana):
    services.end(in_meeting, ana, START)
    with pytest.raises(MeetingOver):
        services.end(in_meeting, ana, START + MINUTE)
    assert status_of(in_meeting) == Status.COMPLETED


def test_ending_with_a_copy_loaded_before_admission_completes_the_meeting(waiting, ana, marko):
    """The official's page loaded the appointment while the citizen waited; a colleague (or the
    console) admitted since. Ending must complete the meeting that took place, not refuse."""
    loaded_while_waiting = Appointment.objects.get(pk=waiting.pk)
    services.admit(waiting, marko, START)
    services.end(loaded_while_waiting, ana, START + 20 * MINUTE)
    assert status_of(waiting) == Status.COMPLETED


# Leaving.


def test_only_the_connection_holding_the_place_leaves(waiting):
    assert services.holds_place(waiting, "conn-1")
    assert not services.leave(waiting, "conn-other")
    assert room(waiting).citizen_connection == "conn-1"
    assert services.leave(waiting, "conn-1")
    assert room(waiting).citizen_connection == ""
    assert not services.holds_place(waiting, "conn-1")
    assert status_of(waiting) == Status.WAITING  # the place is kept for a reload


def test_a_replaced_connection_no_longer_holds_the_place(waiting):
    knock(waiting, "Rajko", "conn-2", START)
    assert not services.holds_place(waiting, "conn-1")
    assert not services.leave(waiting, "conn-1")
    assert room(waiting).citizen_connection == "conn-2"


# A second device during the meeting.


def test_the_admitted_device_comes_back_in_another_waits(in_meeting, ana, announced):
    assert knock(in_meeting, "Rajko", "conn-2", START) == Status.IN_MEETING  # a reload
    assert room(in_meeting).citizen_connection == "conn-2"
    assert knock(in_meeting, "Rajko", "conn-3", START, device="phone") == services.SECOND_DEVICE
    the_room = room(in_meeting)
    assert the_room.citizen_connection == "conn-2"  # the laptop keeps its place
    assert (the_room.second_device_connection, the_room.second_device_since) == ("conn-3", START)
    assert events.summary(in_meeting)["second_device"] is True
    assert status_of(in_meeting) == Status.IN_MEETING


def test_admitting_the_second_device_moves_the_place_to_it(in_meeting, ana):
    knock(in_meeting, "Rajko", "conn-3", START, device="phone")
    services.admit(in_meeting, ana, START)
    the_room = room(in_meeting)
    assert (the_room.citizen_connection, the_room.citizen_device) == ("conn-3", "phone")
    assert the_room.second_device_connection == ""
    assert knock(in_meeting, "Rajko", "conn-4", START, device="phone") == Status.IN_MEETING
    assert knock(in_meeting, "Rajko", "conn-5", START) == services.SECOND_DEVICE  # the laptop


def test_turning_the_second_device_away_keeps_the_meeting(in_meeting, ana):
    knock(in_meeting, "Rajko", "conn-3", START, device="phone")
    services.turn_away(in_meeting, ana, START)
    the_room = room(in_meeting)
    assert (the_room.citizen_connection, the_room.second_device_connection) == ("conn-1", "")
    assert status_of(in_meeting) == Status.IN_MEETING
    with pytest.raises(WrongState):
        services.turn_away(in_meeting, ana, START)  # nobody waits any more


def test_only_an_official_of_the_unit_answers_a_second_device(in_meeting, janez):
    knock(in_meeting, "Rajko", "conn-3", START, device="phone")
    for answer in (services.admit, services.turn_away):
        with pytest.raises(NotAllowed):
            answer(in_meeting, janez, START)
    assert room(in_meeting).second_device_connection == "conn-3"


def test_a_second_device_that_leaves_or_an_end_withdraws_its_request(in_meeting, ana):
    knock(in_meeting, "Rajko", "conn-3", START, device="phone")
    assert not services.leave(in_meeting, "conn-3")  # it held no place
    assert room(in_meeting).second_device_connection == ""
    knock(in_meeting, "Rajko", "conn-4", START, device="phone")
    services.end(in_meeting, ana, START)
    assert room(in_meeting).second_device_connection == ""


def test_before_admission_another_device_takes_the_waiting_place(waiting):
    assert knock(waiting, "Rajko", "conn-2", START, device="phone") == Status.WAITING
    assert (room(waiting).citizen_connection, room(waiting).citizen_device) == ("conn-2", "phone")


# Connections that went without a word (a killed server, a socket that died uncleanly).


@pytest.fixture
def announced(monkeypatch):
    """The appointments whose change the room and the consoles were told of."""
    told = []
    monkeypatch.setattr(events, "changed", told.append)
    return told


def test_a_silent_connection_is_forgotten_and_the_consoles_told(clock, waiting, announced):
    clock.move_to(OPENS + MINUTE)  # the knock's time: its heartbeat
    services.heartbeat(waiting, "conn-1", OPENS + 2 * MINUTE)
    clock.move_to(OPENS + 2 * MINUTE + 59 * SECOND)
    assert services.forget_silent_connections(timezone.now()) == 0
    assert events.summary(waiting)["connected"] is True

    clock.move_to(OPENS + 3 * MINUTE)  # a minute without a heartbeat
    assert events.summary(waiting)["connected"] is False  # the console's list, before the job
    assert services.forget_silent_connections(timezone.now()) == 1
    assert room(waiting).citizen_connection == ""
    assert [a.pk for a in announced] == [waiting.pk]
    assert status_of(waiting) == Status.WAITING  # the place is kept, as after a reload
    assert services.forget_silent_connections(timezone.now()) == 0


def test_a_heartbeat_after_being_forgotten_takes_the_place_back_unless_taken(waiting, announced):
    Room.objects.filter(appointment=waiting).update(citizen_connection="")
    services.heartbeat(waiting, "conn-1", START)
    assert (room(waiting).citizen_connection, room(waiting).citizen_seen_at) == ("conn-1", START)
    assert len(announced) == 1
    knock(waiting, "Rajko", "conn-2", START)  # another tab
    services.heartbeat(waiting, "conn-1", START + MINUTE)
    assert room(waiting).citizen_connection == "conn-2"


def test_a_restarted_single_process_forgets_every_connection(waiting, ana, service):
    other = book(ana, service, START + datetime.timedelta(hours=1))
    knock(other, "Mojca", "conn-9", START + datetime.timedelta(minutes=55))
    assert services.forget_all_connections() == 2
    assert Room.objects.exclude(citizen_connection="").count() == 0


# The console's list.


def at(hour: int, minute: int = 0, day: int = 7) -> datetime.datetime:
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=LJUBLJANA)


def test_todays_appointments_are_the_officials_own_or_the_whole_units(
    service, ana, marko, janez, ljutomer
):
    ana_early = book(ana, service, at(0, 30))  # 23:30 UTC on Sunday, local Monday
    ana_nine = book(ana, service, at(9))
    ana_eight = book(ana, service, at(8))
    ana_late = book(ana, service, at(23, 0))  # 22:00 UTC, still local Monday
    marko_eight = book(marko, service, at(8, 30), status=Status.WAITING)
    marko_cancelled = book(marko, service, at(10), status=Status.CANCELLED)
    # Not today, or not a booking (yet, or any more).
    book(ana, service, at(0, 30, day=8))  # 23:30 UTC on Monday, but local Tuesday
    book(ana, service, at(23, 30, day=6))  # Sunday
    book(ana, service, at(10), status=Status.HELD)
    book(ana, service, at(11), status=Status.EXPIRED)
    janez_service = Service.objects.get(unit=ljutomer)
    janez_eight = book(janez, janez_service, at(8))

    now = at(7)
    assert list(services.todays_appointments(ana, now)) == [
        ana_early,
        ana_eight,
        ana_nine,
        ana_late,
    ]
    assert list(services.todays_appointments(ana, now, whole_unit=True)) == [
        ana_early,
        ana_eight,
        marko_eight,
        ana_nine,
        marko_cancelled,
        ana_late,
    ]
    assert list(services.todays_appointments(marko, now)) == [marko_eight, marko_cancelled]
    assert list(services.todays_appointments(janez, now, whole_unit=True)) == [janez_eight]
    assert janez_eight not in services.todays_appointments(ana, now, whole_unit=True)
    assert list(services.todays_appointments(ana, at(23, 59))) == [
        ana_early,
        ana_eight,
        ana_nine,
        ana_late,
    ]


def test_the_local_day_is_used_just_after_midnight(service, ana):
    """00:30 on Tuesday in Ljubljana is still Monday in UTC: the console shows Tuesday."""
    monday = book(ana, service, at(9))
    tuesday = book(ana, service, at(9, day=8))
    assert list(services.todays_appointments(ana, at(0, 30, day=8))) == [tuesday]
    assert list(services.todays_appointments(ana, at(23, 30))) == [monday]


# ICE servers.

TURN_URL = "turn:turn.example.si:3478?transport=udp"
STUN_URL = "stun:turn.example.si:3478"
SECRET = "coturn-static-auth-secret"


def expected_password(username: str) -> str:
    digest = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@pytest.fixture
def turn_settings(settings):
    settings.STUN_URLS = [STUN_URL]
    settings.TURN_URLS = [TURN_URL]
    settings.TURN_SECRET = SECRET
    return settings


@pytest.mark.parametrize(
    ("now", "valid_from"),
    [
        (OPENS, START),  # early: valid from the start for the meeting's length
        (START + 10 * MINUTE, START + 10 * MINUTE),  # late: from now for the meeting's length
    ],
)
def test_turn_credentials_last_the_meeting_and_fifteen_minutes(
    turn_settings, appointment, now, valid_from
):
    servers = services.ice_servers(appointment, "citizen", now)
    assert servers[0] == {"urls": [STUN_URL]}
    (turn,) = [server for server in servers if "username" in server]
    assert turn["urls"] == [TURN_URL]
    expiry, user = turn["username"].split(":", 1)
    expected_expiry = valid_from + datetime.timedelta(minutes=30 + 15)
    assert int(expiry) == int(expected_expiry.timestamp())
    assert user == f"{appointment.public_id.hex[:12]}-citizen"
    assert turn["credential"] == expected_password(turn["username"])


def test_each_participant_has_their_own_turn_credentials(turn_settings, appointment):
    citizen = services.ice_servers(appointment, "citizen", START)[1]
    official = services.ice_servers(appointment, "official", START)[1]
    assert official["username"].endswith("-official")
    assert citizen["username"] != official["username"]
    assert official["credential"] == expected_password(official["username"])


def test_no_turn_without_urls_or_secret(settings, appointment):
    settings.STUN_URLS = []
    settings.TURN_URLS = []
    settings.TURN_SECRET = ""
    assert services.ice_servers(appointment, "citizen", START) == []
    settings.TURN_SECRET = SECRET
    assert services.ice_servers(appointment, "citizen", START) == []
    settings.TURN_URLS = [TURN_URL]
    settings.TURN_SECRET = ""
    assert services.ice_servers(appointment, "citizen", START) == []
    settings.STUN_URLS = [STUN_URL]
    assert services.ice_servers(appointment, "citizen", START) == [{"urls": [STUN_URL]}]


# What the console is told.


def test_the_consoles_summary_has_no_contact_details(waiting):
    summary = events.summary(waiting)
    assert set(summary) == {
        "id",
        "state",
        "start",
        "end",
        "name",
        "waiting_since",
        "connected",
        "second_device",
        "official",
    }
    assert summary["id"] == str(waiting.public_id)
    assert summary["state"] == Status.WAITING
    assert summary["name"] == "Rajko"  # the name shown, once the citizen gave one
    assert datetime.datetime.fromisoformat(summary["waiting_since"]) == OPENS + MINUTE
    assert summary["connected"] is True
    assert summary["official"] == waiting.official_id
    flat = repr(summary)
    assert EMAIL not in flat
    assert PHONE not in flat


def test_the_summary_before_a_knock_shows_the_booked_name(appointment):
    summary = events.summary(appointment)
    assert summary["name"] == "Rajko Lah"
    assert summary["waiting_since"] is None
    assert summary["connected"] is False
    assert EMAIL not in repr(summary) and PHONE not in repr(summary)
