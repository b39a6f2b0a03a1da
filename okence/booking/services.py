"""The public API of the booking app: free times, holds, codes, confirmation and cancellation.

Every state change is a conditional UPDATE on the state it expects (or an INSERT guarded by the
database's no-overlap constraint), so two requests can never both win.
"""

import copy
import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from okence import ratelimits
from okence.booking import availability, exceptions, free_times, invites, states
from okence.booking.formatting import time_range
from okence.booking.models import Appointment, ReminderLinks, VerificationCode
from okence.booking.signals import appointment_changed, appointment_moved
from okence.booking.states import Status
from okence.offices import services as offices
from okence.offices.models import MAX_SERVICE_MINUTES, Service
from okence.outbox import services as outbox
from okence.tokens import codes_match, hash_code, hash_token, new_code, new_token

logger = logging.getLogger(__name__)
MAX_DURATION = datetime.timedelta(minutes=MAX_SERVICE_MINUTES)
CLAIM_LOCK_SPACE = 0x6F6B  # "ok": the advisory-lock namespace of claims on an official's time
CODE_LOCK_SPACE = 0x6F6C  # the advisory-lock namespace of codes to one address


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    notes: str = ""


@dataclass(frozen=True)
class Links:
    """The citizen's capabilities, known in the clear only at the moment they are made."""

    meeting: str
    manage: str


def rules_for(service: Service) -> availability.Rules:
    return availability.Rules(
        duration=service.duration,
        min_notice=datetime.timedelta(minutes=service.min_notice_minutes),
        max_advance_days=service.max_advance_days,
        zone=service.unit.zone,
    )


def occupying(now: datetime.datetime):
    """Appointments that take an official's time: active ones, less holds that have lapsed."""
    return Appointment.objects.filter(status__in=states.ACTIVE).exclude(
        status=Status.HELD, hold_expires_at__lte=now
    )


def free_slots(
    service: Service, first_day: datetime.date, last_day: datetime.date, now: datetime.datetime
) -> dict[datetime.date, list[availability.Slot]]:
    """Free slots of a service per local day; six queries, however many appointments exist."""
    officials = offices.officials_offering(service)
    window_start, window_end = states.days_bounds(service.unit, first_day, last_day)
    busy: dict[int, list] = {official.pk: [] for official in officials}
    for official_id, start, end in (
        occupying(now)
        .filter(official__in=busy.keys(), start__lt=window_end, end__gt=window_start)
        # No appointment is longer than a service may be: this bounds the index scan.
        .filter(start__gt=window_start - MAX_DURATION)
        .values_list("official_id", "start", "end")
    ):
        busy[official_id].append((start, end))
    away = offices.days_away(officials, first_day, last_day)
    changed = offices.changed_hours(officials, first_day, last_day)
    schedules = [
        availability.Schedule(
            official.pk,
            offices.weekly_hours(official),
            busy[official.pk],
            away=away[official.pk],
            changed=changed[official.pk],
        )
        for official in officials
    ]
    return availability.free_slots(
        rules_for(service),
        schedules,
        offices.closed_days(service.unit, first_day, last_day),
        first_day,
        last_day,
        now,
    )


def find_slot(
    service: Service, start: datetime.datetime, now: datetime.datetime
) -> availability.Slot | None:
    day = start.astimezone(service.unit.zone).date()
    return next(
        (slot for slot in free_slots(service, day, day, now).get(day, []) if slot.start == start),
        None,
    )


def _least_loaded_first(
    official_ids: tuple[int, ...], day: tuple[datetime.datetime, datetime.datetime], now
) -> list[int]:
    loads = dict(
        occupying(now)
        .filter(official__in=official_ids, start__gte=day[0], start__lt=day[1])
        .values("official")
        .annotate(n=Count("pk"))
        .values_list("official", "n")
    )
    return sorted(official_ids, key=lambda pk: (loads.get(pk, 0), pk))


def hold(
    service: Service,
    start: datetime.datetime,
    contact: Contact,
    *,
    language: str,
    client: str,
    now: datetime.datetime,
    replaces: str | None = None,
) -> tuple[Appointment, str]:
    """Reserve a free time for the citizen and e-mail a code; returns the hold and its token.

    ``client`` is the sender's key (``clientaddress.network``). ``replaces`` is the token of the
    citizen's own earlier hold (after "Nazaj"): once the limits allow the new hold, the earlier one
    is released, so that the same time can be taken again with corrected details. Its token gives
    no way past the address's sending limits: the new code waits its minute like any other.
    """
    _count_request(client, now)
    if replaces:
        release(replaces, now)
    slot = find_slot(service, start, now)
    if slot is None:
        raise exceptions.SlotTaken
    token = new_token()
    appointment = claim(
        service,
        slot,
        now,
        status=Status.HELD,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        notes=contact.notes,
        language=language,
        hold_token_hash=hash_token(token),
        hold_expires_at=now + datetime.timedelta(minutes=settings.BOOKING_HOLD_MINUTES),
        created_at=now,
    )
    logger.info("appointment_held", extra={"appointment": appointment.pk})
    _send_code(appointment, now)
    return appointment, token


def claim(
    service: Service,
    slot: availability.Slot,
    now: datetime.datetime,
    *,
    moving: Appointment | None = None,
    where: Q | None = None,
    **fields,
) -> Appointment:
    """Take a free time for a new appointment with ``fields``, or for ``moving``, a booked
    appointment that moves there if it still matches ``where`` (rescheduling; ``fields`` are
    written with the move): the least loaded of the officials free then, or the next one when
    another request took that official a moment ago.

    A move is one UPDATE of the appointment's official and times, so the new time is claimed
    before the old one is given up, in the same statement: the citizen never holds both times,
    nor neither. The database's no-overlap constraint decides who wins; raises SlotTaken when
    all are taken (a moving appointment keeps its old time), NotMovable when ``moving`` no
    longer matches ``where``.
    """
    day = states.day_bounds(service.unit, slot.start.astimezone(service.unit.zone).date())
    for official_id in _least_loaded_first(slot.official_ids, day, now):
        try:
            with transaction.atomic():
                _queue_claims_on(official_id)
                # A lapsed hold still holds its row until the sweeper runs; free it here.
                states.move_all(
                    Appointment.objects.filter(
                        official_id=official_id,
                        hold_expires_at__lte=now,
                        start__lt=slot.end,
                        end__gt=slot.start,
                    ),
                    to=Status.EXPIRED,
                    from_=[Status.HELD],
                )
                if moving is None:
                    return Appointment.objects.create(
                        unit_id=service.unit_id,
                        service=service,
                        official_id=official_id,
                        start=slot.start,
                        end=slot.end,
                        **fields,
                    )
                rows = Appointment.objects.filter(pk=moving.pk, service=service)
                if not rows.filter(where or Q()).update(
                    official_id=official_id, start=slot.start, end=slot.end, **fields
                ):
                    raise exceptions.NotMovable
                # An UPDATE sends no post_save: the calendars forget both officials' times here.
                free_times.forget_officials_time(
                    [moving.official_id, official_id], [service.unit_id]
                )
                moving.refresh_from_db()
                return moving
        except IntegrityError:
            continue  # someone took this official's time a moment ago; try the next one
    raise exceptions.SlotTaken


def _queue_claims_on(official_id: int) -> None:
    """Let claims on one official's time take turns (PostgreSQL; SQLite has one writer anyway).

    The exclusion constraint alone stays correct, but racing inserts wait on each other's
    uncommitted rows and PostgreSQL may break the circle with a deadlock error instead of a clean
    constraint violation. Taken as the transaction's first lock, this one has no cycle.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CLAIM_LOCK_SPACE, official_id])


def _count_request(client: str, now: datetime.datetime) -> None:
    """Holds and resent codes from one sender share one hourly limit: each sends an e-mail."""
    if not ratelimits.hit(
        f"booking:{client}",
        limit=settings.BOOKING_HOLDS_PER_IP_PER_HOUR,
        window_seconds=3600,
        now=now.timestamp(),
    ):
        raise exceptions.TooManyHolds


def hold_cap(appointment: Appointment) -> datetime.datetime:
    """The latest a hold may last, however many codes are resent or however late they arrive."""
    return appointment.created_at + datetime.timedelta(minutes=settings.BOOKING_HOLD_MAX_MINUTES)


def _code_lifetime(appointment: Appointment, start: datetime.datetime) -> datetime.datetime:
    return min(
        start + datetime.timedelta(minutes=settings.BOOKING_HOLD_MINUTES), hold_cap(appointment)
    )


def _take_turns_on_address(email: str) -> None:
    """Let codes to one address take turns, so that racing requests all see each other's codes
    (PostgreSQL; SQLite's IMMEDIATE transactions already queue)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [CODE_LOCK_SPACE, email]
            )


def _send_code(appointment: Appointment, now: datetime.datetime) -> None:
    """Make a new code for the hold and queue its e-mail within the address's limits, silently.

    One address gets at most one code a minute and BOOKING_CODE_SENDS_PER_HOUR an hour, across
    all bookings. Within the minute the e-mail waits in the outbox for the minute to pass; past the
    hourly limit the code is recorded but not sent. The citizen's page reads the same either way,
    so no-one learns from it whether an address was used: "wait 60 s" would tell a stranger.

    The code, and the hold with it, lasts BOOKING_HOLD_MINUTES, and never past the hold's cap.
    If its e-mail is delayed, the hold waits for it (``keep_hold_for_delayed_code``), up to the cap.
    """
    email = appointment.email.lower()
    code = new_code()
    expires = _code_lifetime(appointment, now)
    with transaction.atomic():
        _take_turns_on_address(email)
        sent = VerificationCode.objects.filter(
            email=email,
            sends_at__isnull=False,
            created_at__gt=now - datetime.timedelta(hours=1),
        )
        sends_at = None
        if sent.count() < settings.BOOKING_CODE_SENDS_PER_HOUR:
            last = sent.aggregate(last=Max("sends_at"))["last"]
            interval = datetime.timedelta(seconds=settings.BOOKING_CODE_RESEND_INTERVAL_SECONDS)
            sends_at = max(now, last + interval) if last else now
        message = None
        if sends_at is not None:
            with translation.override(appointment.language):
                message = outbox.queue(
                    to=[appointment.email],
                    template="booking/emails/code",
                    context={
                        "code": code,
                        "appointment": appointment,
                        "minutes": settings.BOOKING_HOLD_MINUTES,
                    },
                    reference=code_reference(appointment),
                    now=now,
                    not_before=sends_at,
                    reply_to=appointment.unit.email,
                )
        else:
            logger.info("verification_code_withheld", extra={"appointment": appointment.pk})
        VerificationCode.objects.create(
            appointment=appointment,
            email=email,
            code_hash=hash_code(code, str(appointment.public_id)),
            created_at=now,
            sends_at=sends_at,
            message=message,
            expires_at=expires,
        )
        # The hold lasts as long as its newest code; the cap bounds how long that is.
        Appointment.objects.filter(pk=appointment.pk, status=Status.HELD).update(
            hold_expires_at=Greatest("hold_expires_at", Value(expires))
        )
    appointment.refresh_from_db(fields=["hold_expires_at"])


def keep_hold_for_delayed_code(
    sender, *, email_id: int, retry_at: datetime.datetime, now: datetime.datetime, **kwargs
) -> None:
    """A code's e-mail failed and will be retried: keep the code and its hold until the retry
    could have arrived and been typed in, never past the hold's cap. A hold that has lapsed
    meanwhile stays lapsed. Connected in apps.py to the outbox's ``email_delayed``."""
    code = (
        VerificationCode.objects.select_related("appointment").filter(message_id=email_id).first()
    )
    if code is None:
        return
    expires = _code_lifetime(code.appointment, retry_at)
    with transaction.atomic():
        VerificationCode.objects.filter(pk=code.pk, expires_at__lt=expires).update(
            expires_at=expires
        )
        Appointment.objects.filter(
            pk=code.appointment_id,
            status=Status.HELD,
            hold_expires_at__gt=now,
            hold_expires_at__lt=expires,
        ).update(hold_expires_at=expires)


def code_reference(appointment: Appointment) -> str:
    return f"appointment:{appointment.pk}:code"


def confirmation_reference(appointment: Appointment) -> str:
    return f"appointment:{appointment.pk}:confirmation"


def held_by_token(token: str) -> Appointment | None:
    return (
        Appointment.objects.select_related("unit", "service", "official__user")
        .filter(hold_token_hash=hash_token(token))
        .first()
    )


def _by_link(field: str, token: str) -> Appointment | None:
    """The appointment a link opens: the confirmation's, or any reminder's (``ReminderLinks``)."""
    digest = hash_token(token)
    appointments = Appointment.objects.select_related("unit", "service", "official__user")
    return (
        appointments.filter(**{field: digest}).first()
        or appointments.filter(**{f"reminder_links__{field}": digest}).first()
    )


def by_manage_token(token: str) -> Appointment | None:
    return _by_link("manage_token_hash", token)


def by_meeting_token(token: str) -> Appointment | None:
    return _by_link("meeting_token_hash", token)


def _ensure_held(appointment: Appointment, now: datetime.datetime) -> None:
    if appointment.code_failures >= settings.BOOKING_CODE_MAX_WRONG_TRIES:
        raise exceptions.CodeLocked
    if appointment.status != Status.HELD or appointment.hold_expires_at <= now:
        raise exceptions.HoldExpired


def resend_code(appointment: Appointment, now: datetime.datetime, *, client: str) -> None:
    """Send the hold a new code, at most once a minute; the sender's hourly limit counts it.

    The wait is the hold's own (its requester knows when they asked), never its address's.
    """
    _ensure_held(appointment, now)
    last = appointment.codes.aggregate(last=Max("created_at"))["last"]
    interval = datetime.timedelta(seconds=settings.BOOKING_CODE_RESEND_INTERVAL_SECONDS)
    if last is not None and now - last < interval:
        raise exceptions.ResendTooSoon(int((last + interval - now).total_seconds()) + 1)
    _count_request(client, now)
    _send_code(appointment, now)


def confirm(appointment: Appointment, code: str, now: datetime.datetime) -> Links:
    """Check the e-mailed code; with the right one the appointment is booked and announced."""
    _ensure_held(appointment, now)
    current = (
        appointment.codes.filter(used_at=None, expires_at__gt=now, sends_at__lte=now)
        .order_by("-created_at")
        .first()
    )
    if current is None:
        raise exceptions.CodeExpired
    # A try is counted before the code is compared (and given back if it was right), so that
    # guesses sent at once cannot all be compared before any of them is counted.
    if not Appointment.objects.filter(
        pk=appointment.pk, code_failures__lt=settings.BOOKING_CODE_MAX_WRONG_TRIES
    ).update(code_failures=F("code_failures") + 1):
        raise exceptions.CodeLocked
    if not codes_match(code.strip(), str(appointment.public_id), current.code_hash):
        appointment.refresh_from_db(fields=["code_failures"])
        remaining = settings.BOOKING_CODE_MAX_WRONG_TRIES - appointment.code_failures
        if remaining <= 0:
            states.move(appointment, to=Status.EXPIRED, from_=[Status.HELD], now=now)
            logger.info("appointment_code_locked", extra={"appointment": appointment.pk})
            raise exceptions.CodeLocked
        raise exceptions.WrongCode(remaining)
    links = Links(meeting=new_token(), manage=new_token())
    with transaction.atomic():
        used = VerificationCode.objects.filter(pk=current.pk, used_at=None).update(used_at=now)
        confirmed = used and states.move(
            appointment,
            to=Status.CONFIRMED,
            from_=[Status.HELD],
            now=now,
            where=Q(hold_expires_at__gt=now),
            code_failures=F("code_failures") - 1,
            confirmed_at=now,
            hold_expires_at=None,
            meeting_token_hash=hash_token(links.meeting),
            manage_token_hash=hash_token(links.manage),
        )
        if not confirmed:
            raise exceptions.HoldExpired
        appointment.refresh_from_db()
        _announce(appointment, links, now)
    transaction.on_commit(lambda: appointment_changed.send(Appointment, appointment=appointment))
    logger.info("appointment_confirmed", extra={"appointment": appointment.pk})
    return links


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def link_urls(meeting: str, manage: str) -> dict[str, str]:
    """The addresses a citizen's e-mail carries for these tokens: the meeting, the check of the
    camera, microphone and network before it (under the meeting's token), and the manage page."""
    return {
        "meeting_url": absolute_url(reverse("meetings:room", args=[meeting])),
        "check_url": absolute_url(reverse("meetings:check", args=[meeting])),
        "manage_url": absolute_url(reverse("booking:manage", args=[manage])),
    }


def issue_links(appointment: Appointment, now: datetime.datetime) -> Links:
    """New meeting and manage links for an e-mail after the confirmation (a reminder, a move),
    kept only as hashes: the confirmation's are known in the clear only when it is made. Every
    earlier link stays valid."""
    links = Links(meeting=new_token(), manage=new_token())
    ReminderLinks.objects.create(
        appointment=appointment,
        meeting_token_hash=hash_token(links.meeting),
        manage_token_hash=hash_token(links.manage),
        created_at=now,
    )
    return links


def _invite(
    appointment: Appointment, method: str, meeting_url: str | None, now: datetime.datetime
) -> dict:
    """The appointment's calendar invite as an outbox attachment, in the active language."""
    ics = invites.invite(
        appointment,
        method=method,
        summary=f"{appointment.service.name} – {appointment.unit.name}",
        description=_("Virtual counter: %(service)s") % {"service": appointment.service.name},
        meeting_url=meeting_url,
        now=now,
    )
    return invites.attachment(ics, method)


def _announce(
    appointment: Appointment,
    links: Links | None,
    now: datetime.datetime,
    *,
    reason: str = "",
    tell_official: bool = True,
) -> None:
    """E-mail the citizen and the official about a booking (links given) or its cancellation
    (``reason``: the official's, when they cancelled; then they need no e-mail of their own)."""
    cancelled = links is None
    method = "CANCEL" if cancelled else "REQUEST"
    with translation.override(appointment.language):
        urls = link_urls(links.meeting, links.manage) if links else {}
        meeting_url = urls.get("meeting_url")
        context = {
            "appointment": appointment,
            **urls,
            "book_again_url": absolute_url(
                reverse("booking:services", args=[appointment.unit.slug])
            ),
            "reason": reason,
            "when": time_range(appointment.start, appointment.end, appointment.unit.zone),
        }
        attachment = _invite(appointment, method, meeting_url, now)
        outbox.queue(
            to=[appointment.email],
            template="booking/emails/cancelled" if cancelled else "booking/emails/confirmed",
            context=context,
            now=now,
            attachments=[attachment],
            reference=confirmation_reference(appointment),
            reply_to=appointment.unit.email,
        )
    official_email = appointment.official.user.email
    if official_email and tell_official:
        with translation.override(settings.LANGUAGE_CODE):
            context["when"] = time_range(appointment.start, appointment.end, appointment.unit.zone)
            outbox.queue(
                to=[official_email],
                template="booking/emails/official-cancelled"
                if cancelled
                else "booking/emails/official-booked",
                context=context,
                now=now,
                reference=f"appointment:{appointment.pk}:official",
                reply_to=appointment.unit.email,
            )


def _cutoff(appointment: Appointment) -> datetime.timedelta:
    """How long before the start the citizen may no longer cancel or move it online."""
    return datetime.timedelta(minutes=appointment.service.cancel_cutoff_minutes)


def cancel_deadline(appointment: Appointment) -> datetime.datetime:
    """The last moment the citizen may cancel or move the appointment online: the service's
    cut-off before the start."""
    return appointment.start - _cutoff(appointment)


def can_cancel(appointment: Appointment, now: datetime.datetime) -> bool:
    """Whether the citizen may still cancel, or move, the appointment online."""
    return appointment.status in states.CANCELLABLE and cancel_deadline(appointment) > now


def can_move(appointment: Appointment, now: datetime.datetime) -> bool:
    """Whether the citizen may still move the appointment online: as long as they may cancel
    it, while the unit still offers its service."""
    return can_cancel(appointment, now) and appointment.service.active


def past_cutoff(appointment: Appointment, now: datetime.datetime) -> bool:
    """Booked, but too late to change online: the citizen has to call or write to the unit."""
    return appointment.status in states.CANCELLABLE and cancel_deadline(appointment) <= now


def reschedule(appointment: Appointment, start: datetime.datetime, now: datetime.datetime) -> None:
    """The citizen moves a booked appointment to another free time of the same service, until
    the service's cut-off (the manage link proves the address, so no new code is asked for).

    The appointment stays one row: the same links, the same calendar UID, its old meeting link
    shows the new time. ``claim`` takes the new time before the old one is given up (one
    UPDATE); the reminders of the old time are withdrawn in the same transaction
    (``appointment_moved``), and everyone gets the updated invite (SEQUENCE + 1). Raises
    SlotTaken (the old time is kept), NotMovable past the cut-off, SameTime for its own time.
    """
    if start == appointment.start:
        raise exceptions.SameTime
    if not can_move(appointment, now):
        raise exceptions.NotMovable
    slot = find_slot(appointment.service, start, now)
    if slot is None:
        raise exceptions.SlotTaken
    previous = copy.copy(appointment)
    with transaction.atomic():
        claim(
            appointment.service,
            slot,
            now,
            moving=appointment,
            where=Q(
                status__in=states.CANCELLABLE,
                start__gt=now + _cutoff(appointment),
                service__active=True,
            ),
            invite_sequence=F("invite_sequence") + 1,
            moved_at=now,
        )
        appointment_moved.send(Appointment, appointment_id=appointment.pk, now=now)
        _announce_move(appointment, previous, now)
    transaction.on_commit(lambda: appointment_changed.send(Appointment, appointment=appointment))
    logger.info("appointment_rescheduled", extra={"appointment": appointment.pk})


def cancel(appointment: Appointment, now: datetime.datetime) -> None:
    """The citizen cancels before the service's cut-off: the time is free again and everyone is
    told."""
    _cancel(appointment, now, latest=now + _cutoff(appointment), event="appointment_cancelled")


def cancel_by_official(appointment: Appointment, reason: str, now: datetime.datetime) -> None:
    """An official cancels a booked appointment that has not started, saying why; the citizen
    is told in their language, with a CANCEL invite and a link to book again."""
    _cancel(
        appointment,
        now,
        latest=now,
        reason=reason,
        tell_official=False,
        event="appointment_cancelled_by_official",
    )


def cancel_by_office(appointment: Appointment, message: str, now: datetime.datetime) -> None:
    """The unit cancels a booked appointment (its time is withdrawn); the citizen is told why."""
    _cancel(appointment, now, latest=now, reason=message, event="appointment_cancelled_by_office")


def _cancel(
    appointment: Appointment,
    now: datetime.datetime,
    *,
    latest: datetime.datetime,
    event: str,
    reason: str = "",
    tell_official: bool = True,
) -> None:
    """Cancel an appointment that starts after ``latest``, and tell the citizen (and the
    official, unless it was their doing) with a CANCEL invite of the next SEQUENCE."""
    with transaction.atomic():
        cancelled = states.move(
            appointment,
            to=Status.CANCELLED,
            from_=states.CANCELLABLE,
            now=now,
            where=Q(start__gt=latest),
            cancelled_at=now,
            cancel_reason=reason,
            invite_sequence=F("invite_sequence") + 1,
        )
        if not cancelled:
            raise exceptions.NotCancellable
        appointment.refresh_from_db()
        _announce(appointment, None, now, reason=reason, tell_official=tell_official)
    transaction.on_commit(lambda: appointment_changed.send(Appointment, appointment=appointment))
    logger.info(event, extra={"appointment": appointment.pk})


def mark_no_show(appointment: Appointment, now: datetime.datetime) -> None:
    """The citizen did not come: a booked appointment that has started becomes a no-show."""
    marked = states.move(
        appointment,
        to=Status.NO_SHOW,
        from_=[Status.CONFIRMED],
        now=now,
        where=Q(start__lte=now),
    )
    if not marked:
        raise exceptions.NotMarkable
    transaction.on_commit(lambda: appointment_changed.send(Appointment, appointment=appointment))
    logger.info("appointment_no_show", extra={"appointment": appointment.pk})


def can_mark_no_show(appointment: Appointment, now: datetime.datetime) -> bool:
    return appointment.status == Status.CONFIRMED and appointment.start <= now


def release(hold_token: str, now: datetime.datetime) -> None:
    """Give up one's own hold (the citizen went back to change the details)."""
    states.move_all(
        Appointment.objects.filter(hold_token_hash=hash_token(hold_token)),
        to=Status.EXPIRED,
        from_=[Status.HELD],
        hold_expires_at=now,
    )


def release_lapsed_holds(now: datetime.datetime) -> int:
    return states.move_all(
        Appointment.objects.filter(hold_expires_at__lte=now), to=Status.EXPIRED, from_=[Status.HELD]
    )


def reassign(appointment: Appointment, official, now: datetime.datetime) -> None:
    """Move a booked appointment to another official at the same time. The database's no-overlap
    constraint refuses it (IntegrityError) if that official's time was taken meanwhile."""
    previous = copy.copy(appointment)
    with transaction.atomic():
        moved = Appointment.objects.filter(
            pk=appointment.pk,
            official=previous.official_id,
            status__in=states.CANCELLABLE,
            start__gt=now,
        ).update(official=official, invite_sequence=F("invite_sequence") + 1)
        if moved:
            free_times.forget_officials_time(
                [previous.official_id, official.pk], [appointment.unit_id]
            )
    if not moved:
        raise exceptions.NotCancellable
    appointment.refresh_from_db()
    _announce_move(appointment, previous, now)
    transaction.on_commit(lambda: appointment_changed.send(Appointment, appointment=appointment))
    logger.info("appointment_reassigned", extra={"appointment": appointment.pk})


def _announce_move(appointment: Appointment, previous: Appointment, now) -> None:
    """The updated invite (same UID, next SEQUENCE) to the citizen, with new links; to the
    official too, or, when the official changed, a CANCEL to the previous one and a REQUEST to
    the new one. ``previous`` is the appointment as it was before the move (another official,
    another time, or both)."""
    zone = appointment.unit.zone
    rescheduled = previous.start != appointment.start
    links = issue_links(appointment, now)
    with translation.override(appointment.language):
        urls = link_urls(links.meeting, links.manage)
        context = {
            "appointment": appointment,
            "when": time_range(appointment.start, appointment.end, zone),
            "previous_when": time_range(previous.start, previous.end, zone) if rescheduled else "",
            **urls,
        }
        outbox.queue(
            to=[appointment.email],
            template="booking/emails/moved",
            context=context,
            now=now,
            attachments=[_invite(appointment, "REQUEST", urls["meeting_url"], now)],
            reference=confirmation_reference(appointment),
            reply_to=appointment.unit.email,
        )
    # The CANCEL to the previous official is of the time they had, in the new SEQUENCE.
    previous.invite_sequence = appointment.invite_sequence
    told = [(appointment, "booking/emails/official-booked", "REQUEST")]
    if previous.official_id != appointment.official_id:
        told.insert(0, (previous, "booking/emails/official-cancelled", "CANCEL"))
    with translation.override(settings.LANGUAGE_CODE):
        if rescheduled:
            context["previous_when"] = time_range(previous.start, previous.end, zone)
        for version, template, method in told:
            official = version.official
            if not official.user.email:
                continue
            room_url = absolute_url(reverse("meetings:official_room", args=[version.public_id]))
            outbox.queue(
                to=[official.user.email],
                template=template,
                context=context
                | {"moved": True, "when": time_range(version.start, version.end, zone)},
                now=now,
                attachments=[
                    _invite(version, method, room_url if method == "REQUEST" else None, now)
                ],
                reference=f"appointment:{appointment.pk}:official:{official.pk}",
                reply_to=appointment.unit.email,
            )


def withdraw_holds(appointments: list[Appointment], now: datetime.datetime) -> None:
    """End unconfirmed holds whose time the unit withdrew; their code no longer confirms."""
    states.move_all(
        Appointment.objects.filter(pk__in=[a.pk for a in appointments]),
        to=Status.EXPIRED,
        from_=[Status.HELD],
        hold_expires_at=now,
    )
