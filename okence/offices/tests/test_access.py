"""Who may act for which unit, for each role: the one answer every staff page uses."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission
from django.http import Http404

from okence.offices.access import access_of, can_serve, official_of


def test_an_official_serves_their_units_and_administers_none(ana, unit, ljutomer):
    access = access_of(ana.user)
    assert access.official == ana
    assert access.serves(unit.pk) and not access.serves(ljutomer.pk)
    assert not access.administers(unit.pk) and not access.administers_any
    with pytest.raises(Http404):
        access.administered_unit(unit.pk)


def test_a_unit_administrator_administers_only_their_units(ana, unit, ljutomer):
    ana.administers.add(unit)
    access = access_of(ana.user)
    assert access.administers(unit.pk) and not access.administers(ljutomer.pk)
    assert list(access.administered_units()) == [unit]
    assert access.administered_unit(unit.pk) == unit
    for other in (ljutomer.pk, 999_999):  # another unit and none at all: the same answer
        with pytest.raises(Http404):
            access.administered_unit(other)


@pytest.mark.parametrize("how", ["superuser", "permission"])
def test_an_organisation_administrator_administers_every_unit(db, unit, ljutomer, how):
    user = get_user_model().objects.create_user("org", "org@example.si", "x", is_staff=True)
    if how == "superuser":
        user.is_superuser = True
        user.save()
    else:
        user.user_permissions.add(Permission.objects.get(codename="view_all_units"))
        user = get_user_model().objects.get(pk=user.pk)  # permissions are cached per instance
    access = access_of(user)
    assert access.official is None and access.organisation
    assert set(access.administered_units()) == {unit, ljutomer}
    assert not access.serves(unit.pk)  # serving appointments is an official's


def test_nobody_else_has_access(db, ana):
    assert access_of(AnonymousUser()) is None
    plain = get_user_model().objects.create_user("citizen", "c@example.si", "x")
    assert access_of(plain) is None
    ana.user.is_active = False
    ana.user.save()
    assert access_of(ana.user) is None and official_of(ana.user) is None


def test_an_official_serves_only_the_units_they_belong_to(ana, janez, unit, ljutomer):
    assert can_serve(ana, unit.pk) and not can_serve(ana, ljutomer.pk)
    assert can_serve(janez, ljutomer.pk) and not can_serve(None, unit.pk)
