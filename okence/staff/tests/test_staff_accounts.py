"""Unit administrators invite officials, send them password links and deactivate them; each page
is scoped to the units they administer (404 for any other unit or official, existing or not)."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from okence.audit.models import Action, AuditEvent
from okence.booking import conflicts
from okence.booking import services as booking
from okence.booking.models import Status
from okence.conftest import LJUBLJANA, make_appointment, make_official
from okence.outbox import services as outbox
from okence.outbox.models import Email

User = get_user_model()
MISSING = 999_999
STRONG = "Okence-geslo-2026!"


@pytest.fixture
def administrator(ana, unit):
    ana.administers.add(unit)
    return ana


def link_in(email: Email) -> str:
    return re.search(r"http://\S+/racun/nastavi-geslo/\S+/", email.body_text).group(0)


def path_of(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def urls_for(unit_id, official_id):
    return [
        ("get", reverse("staff:invite", args=[unit_id])),
        ("post", reverse("staff:reset_password", args=[unit_id, official_id])),
        ("get", reverse("staff:deactivate", args=[unit_id, official_id])),
        ("post", reverse("staff:deactivate", args=[unit_id, official_id])),
    ]


# Scope: every new URL, for each role.


def test_anonymous_users_are_sent_to_sign_in(client, administrator, marko, unit):
    pages = [("get", reverse("staff:list")), ("get", reverse("audit:log"))]
    for method, url in pages + urls_for(unit.pk, marko.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/prijava/" in response["Location"], url


def test_a_plain_official_finds_no_staff_pages(client, administrator, marko, unit):
    client.force_login(marko.user)  # serves Domžale, administers nothing
    pages = [("get", reverse("staff:list")), ("get", reverse("audit:log"))]
    for method, url in pages + urls_for(unit.pk, administrator.pk):
        assert getattr(client, method)(url).status_code == 404, url
    assert not Email.objects.exists()


def test_a_unit_administrator_finds_no_other_unit_existing_or_not(
    client, administrator, marko, janez, ljutomer
):
    client.force_login(administrator.user)
    for unit_id, official_id in [(ljutomer.pk, janez.pk), (MISSING, janez.pk)]:
        for method, url in urls_for(unit_id, official_id):
            assert getattr(client, method)(url).status_code == 404, url
    # Their own unit in the address, with an official of another unit (or none): not found.
    for official_id in (janez.pk, MISSING):
        for method, url in urls_for(administrator.units.first().pk, official_id)[1:]:
            assert getattr(client, method)(url).status_code == 404, url
    assert User.objects.get(pk=janez.user_id).is_active
    assert not Email.objects.exists()
    page = client.get(reverse("staff:list")).content.decode()
    assert "Marko" in page and "Janez" not in page


def test_an_organisation_administrator_manages_every_unit(client, janez, ljutomer):
    admin = User.objects.create_superuser("admin", "admin@example.si", "x")
    client.force_login(admin)
    assert client.get(reverse("staff:invite", args=[ljutomer.pk])).status_code == 200
    assert client.get(reverse("staff:invite", args=[MISSING])).status_code == 404
    page = client.get(reverse("staff:list")).content.decode()
    assert "Janez" in page


# Invitations.


def invite(client, unit, email="petra.novak@example.si"):
    return client.post(
        reverse("staff:invite", args=[unit.pk]),
        {"first_name": "Petra", "last_name": "Novak", "email": email},
    )


def test_an_invited_official_sets_a_password_once_and_signs_in(client, clock, administrator, unit):
    client.force_login(administrator.user)
    assert invite(client, unit).status_code == 302
    petra = User.objects.get(email="petra.novak@example.si")
    assert not petra.has_usable_password() and petra.official.units.get() == unit
    email = Email.objects.get(to=["petra.novak@example.si"])
    assert "Upravna enota Domžale" in email.subject
    event = AuditEvent.objects.get(action=Action.STAFF_INVITED)
    assert (event.actor, event.unit, event.subject) == (administrator.user, unit, petra)

    guest = Client()
    form = guest.get(path_of(link_in(email)), follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    weak = guest.post(
        form.redirect_chain[-1][0], {"new_password1": "12345", "new_password2": "12345"}
    )
    assert weak.status_code == 200 and weak.context["form"].errors
    done = guest.post(
        form.redirect_chain[-1][0], {"new_password1": STRONG, "new_password2": STRONG}
    )
    assert done.status_code == 302 and done["Location"] == reverse("login")
    signed_in = Client().post(
        reverse("login"), {"username": "petra.novak@example.si", "password": STRONG}
    )
    assert signed_in.status_code == 302
    # Used once: the link no longer sets a password.
    again = Client().get(path_of(link_in(email)), follow=True)
    assert not again.context["validlink"]


def test_an_invitation_expires(client, clock, administrator, unit, settings):
    client.force_login(administrator.user)
    invite(client, unit)
    clock.shift(datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
    page = Client().get(path_of(link_in(Email.objects.get())), follow=True)
    assert not page.context["validlink"]


def test_an_address_already_in_use_is_refused(client, administrator, unit):
    client.force_login(administrator.user)
    response = invite(client, unit, email="ANA@Example.si")
    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert not Email.objects.exists()


# Password links and deactivation.


def test_a_password_link_is_sent_and_recorded(client, clock, administrator, marko, unit):
    client.force_login(administrator.user)
    response = client.post(reverse("staff:reset_password", args=[unit.pk, marko.pk]))
    assert response.status_code == 302
    assert Email.objects.get().to == ["marko@example.si"]
    assert AuditEvent.objects.filter(action=Action.PASSWORD_RESET, subject=marko.user).exists()


def at(hour, minute=0):
    """Tuesday 8 December 2026 (the clock stands on the Monday before), in Ljubljana."""
    return datetime.datetime(2026, 12, 8, hour, minute, tzinfo=LJUBLJANA)


def test_deactivation_without_appointments_to_come(client, clock, administrator, marko, unit):
    client.force_login(administrator.user)
    url = reverse("staff:deactivate", args=[unit.pk, marko.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and confirm.context["rows"] == []
    assert User.objects.get(pk=marko.user_id).is_active

    done = client.post(url)

    assert done.status_code == 302 and done.url == reverse("staff:list")
    assert not User.objects.get(pk=marko.user_id).is_active
    event = AuditEvent.objects.get(action=Action.STAFF_DEACTIVATED)
    assert (event.actor, event.subject, event.unit) == (administrator.user, marko.user, unit)
    refused = Client().post(reverse("login"), {"username": "marko", "password": "x"})
    assert refused.status_code == 200  # the form again: an inactive account cannot sign in
    assert client.get(url).context["rows"] == []  # the page still answers, with nothing to do


def test_deactivation_lists_each_appointment_with_the_colleagues_free_then(
    client, clock, administrator, marko, unit
):
    free, _ = make_appointment(marko, start=at(9))
    busy, _ = make_appointment(marko, start=at(10))
    make_appointment(administrator, start=at(10, 15), minutes=30)  # Ana is busy then
    make_appointment(marko, start=at(9) - datetime.timedelta(days=2))  # past: not listed
    client.force_login(administrator.user)

    response = client.get(reverse("staff:deactivate", args=[unit.pk, marko.pk]))

    rows = {conflict.appointment: options for conflict, options, _c, _m in response.context["rows"]}
    assert rows == {free: [(f"move-{administrator.pk}", administrator)], busy: []}
    page = response.content.decode()
    assert "Prestavi k: Ana Test, ob istem času" in page
    assert "Ob tem času ni prost noben drug javni uslužbenec." in page


def test_deactivation_moves_and_cancels_as_chosen_and_tells_the_citizens(
    client, clock, administrator, marko, unit
):
    moved, _ = make_appointment(marko, start=at(9), email="moved@example.si", language="sl")
    cancelled, _ = make_appointment(marko, start=at(10), email="cancelled@example.si")
    client.force_login(administrator.user)

    response = client.post(
        reverse("staff:deactivate", args=[unit.pk, marko.pk]),
        {
            f"choice-{moved.pk}": f"move-{administrator.pk}",
            f"choice-{cancelled.pk}": "cancel",
            f"message-{cancelled.pk}": "Uradnik ne dela več pri nas.",
            f"message-{moved.pk}": "not sent: this one is moved",
        },
    )

    assert response.status_code == 302
    assert not User.objects.get(pk=marko.user_id).is_active
    moved.refresh_from_db()
    cancelled.refresh_from_db()
    assert (moved.official, moved.status, moved.invite_sequence) == (
        administrator,
        Status.CONFIRMED,
        1,
    )
    assert (cancelled.status, cancelled.invite_sequence) == (Status.CANCELLED, 1)
    assert cancelled.cancel_reason == "Uradnik ne dela več pri nas."
    actions = set(AuditEvent.objects.values_list("action", "appointment", "actor"))
    assert {
        (Action.MOVED, moved.pk, administrator.user_id),
        (Action.CANCELLED, cancelled.pk, administrator.user_id),
        (Action.STAFF_DEACTIVATED, None, administrator.user_id),
    } <= actions
    outbox.deliver_due(timezone.now())
    to_citizens = {message.to[0]: message for message in mail.outbox}
    invite = to_citizens["moved@example.si"].attachments[0].content
    assert "METHOD:REQUEST" in invite and "SEQUENCE:1" in invite
    assert f"UID:{moved.public_id}@okence" in invite
    cancel = to_citizens["cancelled@example.si"]
    assert "METHOD:CANCEL" in cancel.attachments[0].content
    assert "SEQUENCE:1" in cancel.attachments[0].content
    assert "Uradnik ne dela več pri nas." in cancel.body


def test_nothing_changes_without_a_decision_for_every_appointment(
    client, clock, administrator, marko, unit
):
    first, _ = make_appointment(marko, start=at(9))
    second, _ = make_appointment(marko, start=at(10))
    client.force_login(administrator.user)
    data = {f"choice-{first.pk}": "cancel", f"message-{first.pk}": "Kept when shown again."}

    response = client.post(reverse("staff:deactivate", args=[unit.pk, marko.pk]), data)

    assert response.status_code == 400
    assert "Izberite, kaj naj se zgodi z vsakim terminom." in response.content.decode()
    assert "Kept when shown again." in response.content.decode()
    assert User.objects.get(pk=marko.user_id).is_active
    for appointment in (first, second):
        appointment.refresh_from_db()
        assert appointment.status == Status.CONFIRMED and appointment.official == marko
    assert not Email.objects.exists()
    assert not AuditEvent.objects.exclude(action=Action.SIGNED_IN).exists()


def test_an_account_deactivated_earlier_still_gets_its_appointments_decided(
    client, clock, administrator, marko, unit
):
    appointment, _ = make_appointment(marko, start=at(9))
    User.objects.filter(pk=marko.user_id).update(is_active=False)  # before this page decided
    client.force_login(administrator.user)
    url = reverse("staff:deactivate", args=[unit.pk, marko.pk])

    shown = client.get(url)
    done = client.post(url, {f"choice-{appointment.pk}": f"move-{administrator.pk}"})

    assert "Izvedi izbrano" in shown.content.decode()
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert appointment.official == administrator
    assert AuditEvent.objects.filter(action=Action.MOVED, appointment=appointment).exists()
    assert not AuditEvent.objects.filter(action=Action.STAFF_DEACTIVATED).exists()


def test_a_colleague_taken_meanwhile_is_not_a_choice_any_more(
    client, clock, administrator, marko, unit
):
    appointment, _ = make_appointment(marko, start=at(9))
    client.force_login(administrator.user)
    make_appointment(administrator, start=at(9))  # booked after the page was shown

    response = client.post(
        reverse("staff:deactivate", args=[unit.pk, marko.pk]),
        {f"choice-{appointment.pk}": f"move-{administrator.pk}"},
    )

    assert response.status_code == 400
    assert User.objects.get(pk=marko.user_id).is_active
    appointment.refresh_from_db()
    assert appointment.official == marko


def test_a_colleague_taken_at_the_last_moment_changes_nothing(
    client, clock, administrator, marko, unit, monkeypatch
):
    appointment, _ = make_appointment(marko, start=at(9))
    make_appointment(administrator, start=at(9))
    # Ana looks free when the choices are read, as if her time were taken a moment later:
    # the database refuses the move, and the whole deactivation is undone.
    monkeypatch.setattr(conflicts, "_is_free", lambda official, appointment, now: True)
    client.force_login(administrator.user)

    response = client.post(
        reverse("staff:deactivate", args=[unit.pk, marko.pk]),
        {f"choice-{appointment.pk}": f"move-{administrator.pk}"},
    )

    assert response.status_code == 409
    assert "je pravkar nekdo rezerviral" in response.content.decode()
    assert User.objects.get(pk=marko.user_id).is_active
    appointment.refresh_from_db()
    assert appointment.official == marko and appointment.invite_sequence == 0
    assert not Email.objects.exists()
    assert not AuditEvent.objects.exclude(action=Action.SIGNED_IN).exists()


def test_a_deactivated_colleague_is_never_offered(
    client, clock, administrator, marko, unit, service
):
    petra = make_official(unit, service, "petra", "Petra")
    get_user_model().objects.filter(pk=petra.user_id).update(is_active=False)
    appointment, _ = make_appointment(marko, start=at(9))
    client.force_login(administrator.user)

    response = client.get(reverse("staff:deactivate", args=[unit.pk, marko.pk]))

    [(conflict, options, _c, _m)] = response.context["rows"]
    assert [official for _value, official in options] == [administrator]
    assert conflict.appointment == appointment


def test_appointments_in_another_unit_wait_for_its_administrators(
    client, clock, administrator, marko, unit, janez
):
    elsewhere, _ = make_appointment(janez, start=at(9))
    janez.units.add(unit)  # Janez serves Domžale too; Ana does not administer Ljutomer
    client.force_login(administrator.user)
    url = reverse("staff:deactivate", args=[unit.pk, janez.pk])

    shown = client.get(url)
    refused = client.post(url, {f"choice-{elsewhere.pk}": "cancel"})

    assert shown.context["elsewhere"] == [elsewhere] and shown.context["rows"] == []
    assert refused.status_code == 400
    assert User.objects.get(pk=janez.user_id).is_active
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.CONFIRMED


def test_a_deactivated_official_is_no_longer_offered_to_citizens(
    client, clock, administrator, marko, unit, service
):
    held, _ = make_appointment(marko, start=at(11), status=Status.HELD)
    day = at(9).date()

    def officials_at_nine():
        slots = booking.free_slots(service, day, day, timezone.now())[day]
        return next(slot.official_ids for slot in slots if slot.start == at(9))

    assert set(officials_at_nine()) == {administrator.pk, marko.pk}
    client.force_login(administrator.user)
    client.post(reverse("staff:deactivate", args=[unit.pk, marko.pk]))

    assert set(officials_at_nine()) == {administrator.pk}
    held.refresh_from_db()
    assert held.status == Status.EXPIRED  # its code no longer books the deactivated official


def test_an_administrator_cannot_deactivate_themselves(client, administrator, unit):
    client.force_login(administrator.user)
    url = reverse("staff:deactivate", args=[unit.pk, administrator.pk])
    assert client.post(url).status_code == 404
    assert User.objects.get(pk=administrator.user_id).is_active
