"""Unit administrators invite officials, send them password links and deactivate them; each page
is scoped to the units they administer (404 for any other unit or official, existing or not)."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from okence.audit.models import Action, AuditEvent
from okence.conftest import make_appointment
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


def test_deactivation_lists_the_appointments_to_reassign(client, clock, administrator, marko, unit):
    appointment, _ = make_appointment(marko)
    client.force_login(administrator.user)
    confirm = client.get(reverse("staff:deactivate", args=[unit.pk, marko.pk]))
    assert confirm.status_code == 200 and User.objects.get(pk=marko.user_id).is_active
    done = client.post(reverse("staff:deactivate", args=[unit.pk, marko.pk]))
    assert done.status_code == 200
    assert list(done.context["appointments"]) == [appointment]
    assert not User.objects.get(pk=marko.user_id).is_active
    event = AuditEvent.objects.get(action=Action.STAFF_DEACTIVATED)
    assert (event.actor, event.subject, event.unit) == (administrator.user, marko.user, unit)
    refused = Client().post(reverse("login"), {"username": "marko", "password": "x"})
    assert refused.status_code == 200  # the form again: an inactive account cannot sign in


def test_an_administrator_cannot_deactivate_themselves(client, administrator, unit):
    client.force_login(administrator.user)
    url = reverse("staff:deactivate", args=[unit.pk, administrator.pk])
    assert client.post(url).status_code == 404
    assert User.objects.get(pk=administrator.user_id).is_active
