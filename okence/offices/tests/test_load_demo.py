import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from okence.offices.models import Official, Service, Unit, Weekday, WorkingHours


def load_twice():
    for _ in range(2):
        call_command("load_demo", stdout=StringIO())


@pytest.mark.django_db
def test_load_demo_twice_creates_everything_once():
    load_twice()

    assert set(Unit.objects.values_list("slug", flat=True)) == {"domzale", "ljutomer"}
    assert Service.objects.count() == 8
    assert Official.objects.count() == 6
    User = get_user_model()
    assert User.objects.filter(is_superuser=True).count() == 1
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("okence-admin")


@pytest.mark.django_db
def test_units_and_services():
    load_twice()

    domzale = Unit.objects.get(slug="domzale")
    assert domzale.name == "Upravna enota Domžale"
    assert domzale.email == "ue.domzale@example.si"
    assert domzale.timezone == "Europe/Ljubljana"
    for unit in Unit.objects.all():
        services = list(unit.services.order_by("position"))
        assert [s.slug for s in services] == [
            "splosne-informacije",
            "potrdila",
            "poizvedba",
            "smrtovnica",
        ]
        assert [s.position for s in services] == [1, 2, 3, 4]
        assert [s.duration_minutes for s in services] == [30, 30, 30, 45]
        assert all(s.active and s.description and s.preparation for s in services)


@pytest.mark.django_db
def test_officials_are_staff_with_demo_password():
    load_twice()

    for official in Official.objects.select_related("user"):
        user = official.user
        assert user.is_staff and not user.is_superuser
        assert user.email == f"{user.username}@example.si"
        assert user.first_name and user.last_name
        assert user.check_password("okence-demo")
    assert set(
        Official.objects.filter(units__slug="ljutomer").values_list("user__username", flat=True)
    ) == {"janez.horvat", "maja.krajnc", "luka.vidmar"}


@pytest.mark.django_db
def test_password_changed_since_is_kept():
    call_command("load_demo", stdout=StringIO())
    user = get_user_model().objects.get(username="ana.novak")
    user.set_password("something-else-entirely")
    user.save()

    call_command("load_demo", stdout=StringIO())

    user.refresh_from_db()
    assert user.check_password("something-else-entirely")


@pytest.mark.django_db
def test_working_hours():
    load_twice()

    morning = (datetime.time(8), datetime.time(12))
    first_officials = {"ana.novak", "janez.horvat"}
    for official in Official.objects.select_related("user"):
        blocks = sorted(official.hours.values_list("weekday", "start", "end"))
        expected = [(day, *morning) for day in range(Weekday.MONDAY, Weekday.FRIDAY + 1)]
        if official.user.username in first_officials:
            expected.append((Weekday.WEDNESDAY, datetime.time(14), datetime.time(17)))
        assert blocks == sorted(expected), official.user.username
    assert WorkingHours.objects.count() == 6 * 5 + 2


@pytest.mark.django_db
def test_every_official_offers_only_and_all_services_of_their_unit():
    load_twice()

    for official in Official.objects.all():
        units = list(official.units.all())
        assert len(units) == 1
        offered = set(official.services.all())
        assert offered == set(units[0].services.all())
        assert all(service.unit_id == units[0].id for service in offered)
