"""The public API of the meetings app: when a room opens, the waiting room, admission, the end.

Each step moves the appointment's status through ``booking.states.move`` (a conditional UPDATE on
the state it expects), so that two officials (or an official and a disconnecting citizen, on
different workers) can never both win; this app keeps the room's own record. After a change
the participants and the unit's consoles are told through ``events``.
"""

import datetime
import enum

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from okence import audit
from okence.audit.models import Action
from okence.booking import states
from okence.booking.models import Appointment
from okence.booking.states import Status
from okence.meetings import chat, events, turn
from okence.meetings.exceptions import MeetingOver, NotAllowed, NotOpenYet, WrongState
from okence.meetings.models import SILENT_AFTER, Room
from okence.meetings.signals import meeting_ended
from okence.offices.access import can_serve
from okence.offices.models import Official


class Phase(enum.StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    ENDED = "ended"
    CANCELLED = "cancelled"


def opens_at(appointment: Appointment) -> datetime.datetime:
    return appointment.start - datetime.timedelta(minutes=settings.MEETING_OPENS_MINUTES_BEFORE)


def closes_at(appointment: Appointment) -> datetime.datetime:
    """When an unfinished meeting stops opening by itself (the official normally ends it)."""
    return appointment.end + datetime.timedelta(minutes=settings.MEETING_CLOSES_MINUTES_AFTER_END)


def phase(appointment: Appointment, now: datetime.datetime) -> Phase:
    if appointment.status == Status.CANCELLED:
        return Phase.CANCELLED
    if appointment.status not in states.LIVE or now >= closes_at(appointment):
        return Phase.ENDED
    if now < opens_at(appointment):
        return Phase.NOT_OPEN
    return Phase.OPEN


def room_of(appointment: Appointment) -> Room:
    room, _ = Room.objects.get_or_create(appointment=appointment)
    return room


def appointment_for_official(official: Official | None, public_id) -> Appointment:
    appointment = (
        Appointment.objects.select_related("unit", "service", "official__user")
        .filter(public_id=public_id, unit__in=official.units.all() if official else [])
        .first()
    )
    if appointment is None:
        raise NotAllowed
    return appointment


def ice_servers(appointment: Appointment, participant: str, now: datetime.datetime) -> list[dict]:
    """ICE servers for one participant, with TURN credentials for the meeting's length + 15 min."""
    expires = max(now, appointment.start) + (appointment.end - appointment.start)
    expires += datetime.timedelta(minutes=settings.TURN_CREDENTIAL_GRACE_MINUTES)
    return turn.ice_servers(f"{appointment.public_id.hex[:12]}-{participant}", expires)


# How long the check page's TURN credentials last: long enough to check again a few times, short
# enough that a copied credential soon stops relaying. The page is no-store; a reload gets new ones.
CHECK_CREDENTIAL_MINUTES = 30


def check_probes(appointment: Appointment, now: datetime.datetime) -> dict:
    """What the camera, microphone and network check of this meeting's link tries (see
    ``turn.check_probes``), with TURN credentials of its own ("-check" in coturn's log)."""
    expires = now + datetime.timedelta(minutes=CHECK_CREDENTIAL_MINUTES)
    return turn.check_probes(f"{appointment.public_id.hex[:12]}-check", expires)


# What a knock from another device during the meeting gets: it waits for the official.
SECOND_DEVICE = "second_device"
NO_SECOND_DEVICE = {
    "second_device": "",
    "second_device_connection": "",
    "second_device_since": None,
}


def knock(
    appointment: Appointment,
    display_name: str,
    connection: str,
    now: datetime.datetime,
    *,
    device: str,
) -> Status | str:
    """The citizen clicks "Pridruži se zdaj": into the waiting room, or back into the meeting.

    Returns WAITING, or IN_MEETING for a citizen who was admitted already and comes back from
    the same device (``device``: the digest of its secret cookie), e.g. after a reload. The
    connection becomes the citizen's one place in the room; another tab loses it. During the
    meeting another device does not: it is SECOND_DEVICE, waiting for the official to admit it
    (which moves the place to it) or turn it away, and it learns nothing meanwhile.
    """
    current = phase(appointment, now)
    if current == Phase.NOT_OPEN:
        raise NotOpenYet
    if current != Phase.OPEN:
        raise MeetingOver
    room = room_of(appointment)
    if (
        Room.objects.filter(pk=room.pk, appointment__status=Status.IN_MEETING)
        .exclude(citizen_device=device)
        .update(second_device=device, second_device_connection=connection, second_device_since=now)
    ):
        events.changed(appointment)
        return SECOND_DEVICE
    fresh = states.move(appointment, to=Status.WAITING, from_=[Status.CONFIRMED], now=now)
    changes = {
        "display_name": display_name,
        "citizen_connection": connection,
        "citizen_seen_at": now,
        "citizen_device": device,
    }
    if fresh:
        changes |= {"knocked_at": now, "first_knocked_at": room.first_knocked_at or now}
    Room.objects.filter(pk=room.pk).update(**changes)
    appointment.refresh_from_db(fields=["status"])
    if appointment.status not in (Status.WAITING, Status.IN_MEETING):
        raise MeetingOver
    events.changed(appointment)
    return Status(appointment.status)


def post(
    appointment: Appointment,
    sender: str,
    text: str,
    now: datetime.datetime,
    *,
    waiting_room: bool = False,
    kind: str = "text",
) -> dict:
    """Keep a chat message and deliver it to the room; each socket decides whether its side
    may see it (a citizen in the waiting room sees only waiting-room messages)."""
    message = chat.add(appointment.pk, sender, text, now, waiting_room=waiting_room, kind=kind)
    events.send(
        events.room_group(appointment.pk), {"type": "room.chat", "role": sender, "message": message}
    )
    return message


def leave(appointment: Appointment, connection: str) -> bool:
    """The citizen's socket closed. They keep their place (waiting or admitted) for a reload;
    the console shows them as not connected; a second device's request goes with its socket.
    True if this connection held the place."""
    left = Room.objects.filter(appointment=appointment, citizen_connection=connection).update(
        citizen_connection=""
    )
    gave_up = Room.objects.filter(appointment=appointment, second_device_connection=connection)
    if left or gave_up.update(**NO_SECOND_DEVICE):
        appointment.refresh_from_db(fields=["status"])  # the socket's copy may be stale
        events.changed(appointment)
    return bool(left)


def heartbeat(appointment: Appointment, connection: str, now: datetime.datetime) -> None:
    """The citizen's socket is alive. Had it been taken for gone (a missed heartbeat), it takes
    its place back unless another tab holds it now."""
    if Room.objects.filter(appointment=appointment, citizen_connection=connection).update(
        citizen_seen_at=now
    ):
        return
    if Room.objects.filter(appointment=appointment, citizen_connection="").update(
        citizen_connection=connection, citizen_seen_at=now
    ):
        appointment.refresh_from_db(fields=["status"])
        events.changed(appointment)


def forget_silent_connections(now: datetime.datetime) -> int:
    """Connections without a heartbeat for a while are gone (their server was killed, or the
    socket died without closing): the consoles stop showing those citizens as connected."""
    silent = Room.objects.exclude(citizen_connection="").filter(
        Q(citizen_seen_at=None) | Q(citizen_seen_at__lte=now - SILENT_AFTER)
    )
    forgotten = 0
    for room in silent.select_related("appointment"):
        # Unless a heartbeat came in the meantime.
        if Room.objects.filter(
            pk=room.pk,
            citizen_connection=room.citizen_connection,
            citizen_seen_at=room.citizen_seen_at,
        ).update(citizen_connection=""):
            events.changed(room.appointment)
            forgotten += 1
    return forgotten


def forget_all_connections() -> int:
    """On the start of the one process that holds every socket: none of them survived."""
    return Room.objects.exclude(citizen_connection="", second_device_connection="").update(
        citizen_connection="", **NO_SECOND_DEVICE
    )


def refuses_sockets(appointment: Appointment, now: datetime.datetime) -> bool:
    """Cancelled, or over for good (past closing): the meeting link's socket has nothing to do."""
    return appointment.status == Status.CANCELLED or now >= closes_at(appointment)


def holds_place(appointment: Appointment, connection: str) -> bool:
    return Room.objects.filter(appointment=appointment, citizen_connection=connection).exists()


def _check_may_act(
    appointment: Appointment, official: Official | None, now: datetime.datetime
) -> None:
    if not can_serve(official, appointment.unit_id):
        raise NotAllowed
    if phase(appointment, now) in (Phase.ENDED, Phase.CANCELLED):
        raise MeetingOver


def _transition(
    appointment: Appointment,
    official: Official | None,
    source: list[Status],
    target: Status,
    now: datetime.datetime,
    **room_changes,
) -> None:
    _check_may_act(appointment, official, now)
    if not states.move(appointment, to=target, from_=source, now=now):
        raise WrongState
    room = room_of(appointment)
    Room.objects.filter(pk=room.pk).update(**room_changes)
    events.changed(appointment)


def _answer_second_device(
    appointment: Appointment, official: Official | None, now: datetime.datetime, *, admit: bool
) -> bool:
    """Admit or turn away the second device waiting during the meeting; False if there is none.

    Admitted, it takes the citizen's place: the device in the meeting is replaced (4409)."""
    _check_may_act(appointment, official, now)
    room = (
        Room.objects.filter(appointment=appointment, appointment__status=Status.IN_MEETING)
        .exclude(second_device_connection="")
        .first()
    )
    if room is None:
        return False
    connection = room.second_device_connection
    changes = dict(NO_SECOND_DEVICE)
    if admit:
        changes |= {
            "citizen_device": room.second_device,
            "citizen_connection": connection,
            "citizen_seen_at": now,
        }
    if not Room.objects.filter(pk=room.pk, second_device_connection=connection).update(**changes):
        raise WrongState  # answered meanwhile, or the device left
    if admit:
        events.send(
            events.room_group(appointment.pk),
            {"type": "room.replaced", "sender": connection, "role": "citizen"},
        )
    events.send_to(connection, {"type": "room.second_device", "admitted": admit})
    appointment.refresh_from_db(fields=["status"])
    events.changed(appointment)
    return True


def admit(appointment: Appointment, official: Official | None, now: datetime.datetime) -> None:
    """From the waiting room into the meeting; during it, a second device in place of the first."""
    if not _answer_second_device(appointment, official, now, admit=True):
        _transition(
            appointment,
            official,
            [Status.WAITING],
            Status.IN_MEETING,
            now,
            admitted_at=now,
            turned_away_at=None,
        )
    audit.record(official.user, Action.ADMITTED, appointment=appointment, now=now)


def turn_away(appointment: Appointment, official: Official | None, now: datetime.datetime) -> None:
    """Not now: the citizen leaves the waiting room and needs a new admission to come in; during
    the meeting, a second device's request is refused and the meeting goes on."""
    if not _answer_second_device(appointment, official, now, admit=False):
        _transition(
            appointment,
            official,
            [Status.WAITING],
            Status.CONFIRMED,
            now,
            turned_away_at=now,
            knocked_at=None,
        )
    audit.record(official.user, Action.TURNED_AWAY, appointment=appointment, now=now)


def end(appointment: Appointment, official: Official | None, now: datetime.datetime) -> None:
    """The official ends the meeting: completed if it took place, otherwise a no-show.

    The chat is deleted and the link no longer opens a call.
    """
    # The caller's copy may predate an admission made elsewhere (the console, a colleague).
    appointment.refresh_from_db(fields=["status"])
    if appointment.status == Status.IN_MEETING:
        _transition(
            appointment,
            official,
            [Status.IN_MEETING],
            Status.COMPLETED,
            now,
            ended_at=now,
            **NO_SECOND_DEVICE,
        )
    else:
        _transition(
            appointment,
            official,
            [Status.CONFIRMED, Status.WAITING],
            Status.NO_SHOW,
            now,
            ended_at=now,
        )
    chat.forget(appointment.pk)
    audit.record(official.user, Action.ENDED, appointment=appointment, now=now)
    transaction.on_commit(lambda: meeting_ended.send(Appointment, appointment=appointment))


def forget_closed_chats(now: datetime.datetime) -> int:
    """Delete the chats of meetings that closed without the official ending them (cancelled, or
    past their closing time); how many messages."""
    closing = now - datetime.timedelta(minutes=settings.MEETING_CLOSES_MINUTES_AFTER_END)
    closed = Appointment.objects.filter(Q(end__lte=closing) | ~Q(status__in=states.LIVE))
    return chat.forget_all(closed)


def todays_appointments(official: Official, now: datetime.datetime, *, whole_unit: bool = False):
    """The console's list: today's appointments (local day) in time order, with their rooms."""
    appointments = Appointment.objects.filter(
        states.starting_today(official.units.all(), now)
    ).exclude(status__in=states.UNBOOKED)
    if not whole_unit:
        appointments = appointments.filter(official=official)
    return appointments.select_related("service", "unit", "official__user", "room").order_by(
        "start"
    )
