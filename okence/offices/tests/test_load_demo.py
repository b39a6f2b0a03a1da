import datetime
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from okence.booking.models import Appointment, Status
from okence.meetings.models import Room
from okence.offices.models import Official, Service, Unit, Weekday, WorkingHours
from okence.offices.services import closed_days
from okence.reports.scope import scope_of
from okence.surveys import services as surveys
from okence.surveys.models import Answer, Ticket


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
    assert not hasattr(admin, "official")  # a superuser sees every unit without more


def past_fingerprint() -> list[tuple]:
    return list(
        Appointment.objects.order_by("unit__slug", "start", "official__user__username").values_list(
            "unit__slug",
            "start",
            "official__user__username",
            "service__slug",
            "status",
            "name",
            "email",
            "room__first_knocked_at",
            "room__admitted_at",
            "room__ended_at",
        )
    )


@pytest.mark.django_db
def test_the_past_is_made_once_and_the_same_every_time():
    call_command("load_demo", stdout=StringIO())
    first = past_fingerprint()
    counts = (Room.objects.count(), Ticket.objects.count(), Answer.objects.count())
    answers = sorted(Answer.objects.values_list("unit__slug", "meeting_day", "rating", "comment"))

    output = StringIO()
    call_command("load_demo", stdout=output)

    assert "0 past appointments added" in output.getvalue()
    assert past_fingerprint() == first
    assert (Room.objects.count(), Ticket.objects.count(), Answer.objects.count()) == counts

    Appointment.objects.all().delete()  # rooms and tickets go with them
    Answer.objects.all().delete()
    call_command("load_demo", stdout=StringIO())
    assert past_fingerprint() == first  # seeded: the same past again
    assert (
        sorted(Answer.objects.values_list("unit__slug", "meeting_day", "rating", "comment"))
        == answers
    )


@pytest.mark.django_db
def test_a_realistic_past_of_sixty_days():
    load_twice()

    today = timezone.localdate()
    appointments = Appointment.objects.select_related("unit", "room")
    assert not appointments.filter(start__date__gte=today).exists()
    for unit in Unit.objects.all():
        past = [a for a in appointments if a.unit_id == unit.pk]
        statuses = Counter(a.status for a in past)
        assert len(past) > 200, unit
        assert set(statuses) == {
            Status.COMPLETED,
            Status.NO_SHOW,
            Status.CANCELLED,
            Status.EXPIRED,
        }
        assert statuses[Status.COMPLETED] > 0.7 * len(past)
        assert statuses[Status.EXPIRED] < statuses[Status.NO_SHOW] + statuses[Status.CANCELLED]
        closed = closed_days(unit, today - datetime.timedelta(days=60), today)
        local_days = {a.start.astimezone(unit.zone).date() for a in past}
        assert min(local_days) >= today - datetime.timedelta(days=60)
        assert all(day.weekday() < 5 and day not in closed for day in local_days)
        assert len(local_days) > 30
        for appointment in past:
            local = appointment.start.astimezone(unit.zone)
            assert datetime.time(8) <= local.time() < datetime.time(17)
            assert appointment.email.endswith("@example.si")
            assert appointment.official.units.filter(pk=unit.pk).exists()
            if appointment.status == Status.COMPLETED:
                room = appointment.room
                wait = (room.admitted_at - room.first_knocked_at).total_seconds()
                meeting = (room.ended_at - room.admitted_at).total_seconds()
                assert 60 <= wait <= 8 * 60
                assert 8 * 60 <= meeting <= 35 * 60
        completed = statuses[Status.COMPLETED]
        answers = Answer.objects.filter(unit=unit)
        assert 0.5 * completed < answers.count() < 0.7 * completed
        ratings = Counter(answers.values_list("rating", flat=True))
        assert ratings[4] + ratings[5] > 0.7 * answers.count()
        assert 0 < answers.exclude(comment="").count() < answers.count() / 2
        assert Ticket.objects.filter(appointment__unit=unit).count() == completed
        assert (
            Ticket.objects.filter(appointment__unit=unit, answered_at__isnull=False).count()
            == answers.count()
        )
    # No reminder is due for the past: each went out back then, or was not needed.
    assert surveys.send_follow_ups(timezone.now()) == 0


@pytest.mark.django_db
def test_the_first_official_of_each_unit_administers_it():
    load_twice()

    administrators = {
        official.user.username: [unit.slug for unit in official.administers.all()]
        for official in Official.objects.prefetch_related("administers").select_related("user")
        if official.administers.exists()
    }
    assert administrators == {"ana.novak": ["domzale"], "janez.horvat": ["ljutomer"]}
    scope = scope_of(get_user_model().objects.get(username="ana.novak"))
    assert [unit.slug for unit in scope.units] == ["domzale"]
    assert scope_of(get_user_model().objects.get(username="marko.kovac")) is None
    admin_scope = scope_of(get_user_model().objects.get(username="admin"))
    assert {unit.slug for unit in admin_scope.units} == {"domzale", "ljutomer"}


@pytest.mark.django_db
def test_the_statistics_of_the_demo_unit(client):
    load_twice()
    client.force_login(get_user_model().objects.get(username="janez.horvat"))

    response = client.get(reverse("reports:overview"))

    assert response.status_code == 200
    report = response.context["report"]
    assert report.booked > 50 and report.completed > 40
    assert report.no_shows > 0 and report.cancelled > 0 and report.not_confirmed > 0
    assert 60 <= report.median_wait_seconds <= 8 * 60
    assert 8 * 60 <= report.median_meeting_seconds <= 35 * 60
    assert report.answers > 0 and 0.4 < report.response_rate < 0.8
    assert 3.5 < report.average_rating < 5
    assert sum(report.by_weekday[5:]) == 0
    html = response.content.decode()
    assert 'data-figure="booked">0<' not in html
    # Messages come by whole finished month: the last 60 days always hold one.
    since = (timezone.localdate() - datetime.timedelta(days=60)).isoformat()
    groups = client.get(reverse("reports:overview"), {"first_day": since}).context["comment_groups"]
    assert groups and all(group.comments for group in groups)


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


@pytest.mark.django_db
def test_load_demo_refuses_the_production_profile_unless_forced(settings):
    settings.DEVELOPMENT = False
    with pytest.raises(CommandError, match=r"published passwords.*--force"):
        call_command("load_demo", stdout=StringIO())
    assert not get_user_model().objects.exists()

    call_command("load_demo", "--force", stdout=StringIO())
    assert get_user_model().objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_the_demo_content_is_translated_where_a_citizen_would_look(client):
    call_command("load_demo", stdout=StringIO())
    page = client.get("/en/domzale/").text
    assert "Domžale Administrative Unit" in page and "General information" in page
    # Not every text is translated: the rest is the Slovenian one, marked as such.
    assert '<p lang="sl">Izdaja potrdil' not in page
    service = Service.objects.get(unit__slug="ljutomer", slug="potrdila")
    assert (service.name_sl, service.name_it) == (
        "Pridobivanje potrdil iz uradnih evidenc",
        "Certificati dai registri ufficiali",
    )
    italian = client.get("/it/ljutomer/").text
    assert "Certificati dai registri ufficiali" in italian
    assert '<p lang="sl">Izdaja potrdil o dejstvih' in italian
