"""Staff accounts managed by unit administrators: invite, deactivate, send a password link.

An invited official gets an unusable password and an e-mail with a one-time link to set one
(Django's password-reset token: it covers the password hash and the last sign-in, so it stops
working once used, and expires after PASSWORD_RESET_TIMEOUT). The same link resets a password.
"""

import datetime
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from okence import audit
from okence.audit.models import Action
from okence.booking import conflicts, states
from okence.booking import services as booking
from okence.booking.conflicts import Conflict
from okence.booking.models import Appointment
from okence.offices.access import StaffAccess
from okence.offices.models import Official, Unit
from okence.outbox import services as outbox

User = get_user_model()


def password_link(user) -> str:
    """The one-time link at which ``user`` sets a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("staff:set_password", args=[uid, token])


def _send_link(user, unit: Unit, template: str, now: datetime.datetime) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        outbox.queue(
            to=[user.email],
            template=template,
            context={
                "user": user,
                "unit": unit,
                "link": password_link(user),
                "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
            now=now,
            reply_to=unit.email,
        )


@transaction.atomic
def invite(
    actor, unit: Unit, *, email: str, first_name: str, last_name: str, now: datetime.datetime
) -> Official:
    """A new official of ``unit`` without a password, and the e-mail to set one."""
    user = User.objects.create_user(
        username=email, email=email, first_name=first_name, last_name=last_name, password=None
    )
    official = Official.objects.create(user=user)
    official.units.add(unit)
    _send_link(user, unit, "staff/emails/invited", now)
    audit.record(actor, Action.STAFF_INVITED, unit=unit, subject=user, now=now)
    return official


def send_password_reset(actor, official: Official, unit: Unit, now: datetime.datetime) -> None:
    _send_link(official.user, unit, "staff/emails/password-reset", now)
    audit.record(actor, Action.PASSWORD_RESET, unit=unit, subject=official.user, now=now)


class NotDecided(Exception):
    """Not every appointment of the official has a decision (or their list changed meanwhile),
    or some are in units the administrator does not administer."""


def appointments_to_hand_over(
    access: StaffAccess, official: Official, now: datetime.datetime
) -> tuple[list[Conflict], list[Appointment]]:
    """The official's booked appointments to come: those of units ``access`` administers, each
    with the colleagues free to take it, and those of other units (their administrators decide)."""
    mine, others = [], []
    for conflict in conflicts.of_official(official, now):
        if access.administers(conflict.appointment.unit_id):
            mine.append(conflict)
        else:
            others.append(conflict.appointment)
    return mine, others


@transaction.atomic
def deactivate(
    access: StaffAccess,
    official: Official,
    unit: Unit,
    data: Mapping[str, str],
    now: datetime.datetime,
) -> None:
    """The account can no longer sign in (its sessions end at their next request: Django checks
    is_active on every request), and every booked appointment to come is moved to a colleague
    or cancelled as ``data`` (the form) chose; the citizens are told. Raises NotDecided, with
    nothing changed, unless each appointment has a decision; IntegrityError when a colleague's
    time was taken meanwhile. Unconfirmed holds of the official are withdrawn. For an account
    already deactivated (before its appointments were decided here) it decides them."""
    mine, others = appointments_to_hand_over(access, official, now)
    choices = conflicts.chosen(mine, data)
    if choices is None or others:
        raise NotDecided
    actor = access.user
    newly = User.objects.filter(pk=official.user_id, is_active=True).update(is_active=False)
    official.user.is_active = False
    conflicts.carry_out(choices, actor, now)
    booking.withdraw_holds(
        list(Appointment.objects.filter(official=official, status=states.Status.HELD, end__gt=now)),
        now,
    )
    if newly:
        audit.record(actor, Action.STAFF_DEACTIVATED, unit=unit, subject=official.user, now=now)
