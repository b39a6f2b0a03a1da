"""The optional TOTP second factor: turned on with a code, asked after the password on every page
(the administration included), and compulsory for administrators when the operator says so."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from okence.audit.models import Action, AuditEvent

PASSWORD = "Okence-geslo-2026!"


def code(device) -> str:
    return f"{totp(device.bin_key):06d}"


def signed_in(user) -> Client:
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    return client


def turn_on(client, user, clock) -> TOTPDevice:
    page = client.get(reverse("staff:second_factor"))
    assert page.status_code == 200 and page.context["secret"]
    device = TOTPDevice.objects.get(user=user)
    wrong = client.post(
        reverse("staff:second_factor"), {"code": "000000" if code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and not TOTPDevice.objects.get(user=user).confirmed
    clock.shift(2)  # django-otp makes one wait a second after a wrong code
    assert client.post(reverse("staff:second_factor"), {"code": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_an_official_turns_it_on_and_is_asked_for_a_code_at_the_next_sign_in(clock, ana):
    first = signed_in(ana.user)
    device = turn_on(first, ana.user, clock)
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_CHANGED, actor=ana.user).exists()
    assert first.get(reverse("meetings:console")).status_code == 200  # this session confirmed it

    second = signed_in(ana.user)
    for url in (reverse("meetings:console"), reverse("staff:account"), "/admin/"):
        response = second.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:verify")), url
    assert second.post(reverse("staff:verify"), {"code": "12345x"}).status_code == 400
    clock.shift(60)  # past the wait after a wrong code; a new time step
    done = second.post(reverse("staff:verify") + "?next=/uradnik/", {"code": code(device)})
    assert done.status_code == 302 and done["Location"] == "/uradnik/"
    assert second.get(reverse("meetings:console")).status_code == 200


def test_the_administration_cannot_be_entered_without_the_code(clock, ana):
    ana.user.is_superuser = True
    ana.user.save()
    first = signed_in(ana.user)
    turn_on(first, ana.user, clock)
    other = Client()
    response = other.post("/admin/login/?next=/admin/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    assert other.get("/admin/")["Location"].startswith(reverse("staff:verify"))


def test_the_verify_page_goes_nowhere_else(clock, ana):
    client = signed_in(ana.user)
    device = turn_on(client, ana.user, clock)
    second = signed_in(ana.user)
    clock.shift(60)
    done = second.post(
        reverse("staff:verify") + "?next=https://evil.example/", {"code": code(device)}
    )
    assert done["Location"] == reverse("meetings:console")


def test_administrators_must_turn_it_on_when_the_operator_requires_it(
    clock, ana, marko, unit, settings
):
    settings.STAFF_REQUIRE_SECOND_FACTOR_FOR_ADMINISTRATORS = True
    ana.administers.add(unit)
    administrator = signed_in(ana.user)
    response = administrator.get(reverse("staff:list"))
    assert response.status_code == 302 and response["Location"] == reverse("staff:second_factor")
    official = signed_in(marko.user)  # not an administrator: not required
    assert official.get(reverse("meetings:console")).status_code == 200
    turn_on(administrator, ana.user, clock)
    assert administrator.get(reverse("staff:list")).status_code == 200
    # Required: it cannot be turned off.
    administrator.post(reverse("staff:second_factor"))
    assert TOTPDevice.objects.filter(user=ana.user, confirmed=True).exists()


def test_without_the_requirement_it_can_be_turned_off(clock, ana):
    client = signed_in(ana.user)
    turn_on(client, ana.user, clock)
    client.post(reverse("staff:second_factor"))
    assert not TOTPDevice.objects.filter(user=ana.user).exists()
    assert signed_in(ana.user).get(reverse("meetings:console")).status_code == 200


@pytest.mark.parametrize("user", ["anonymous", "citizen-like"])
def test_the_second_factor_page_is_for_staff(client, db, user):
    if user == "citizen-like":
        client.force_login(get_user_model().objects.create_user("nobody", "n@example.si", "x"))
    response = client.get(reverse("staff:second_factor"))
    assert response.status_code in (302, 404)
    assert not TOTPDevice.objects.exists()
