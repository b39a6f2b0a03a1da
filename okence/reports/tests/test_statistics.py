"""The statistics, counted from a known set of appointments, rooms and survey answers.

Two units: Domžale (Ana and Marko; the general-information service and certificates) and
Ljutomer (Janez; identity documents). The clock stands on Monday 7 December 2026; the meetings
took place in the week before, one booking is for Tuesday 8 December, and one meeting long
before (20 November) lies outside the period. Every figure below is worked out by hand from the
table ``APPOINTMENTS``.
"""

import csv
import datetime
import io
import json
import re
from html import unescape

import jsonschema
import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation

from okence.booking.models import Appointment, Status
from okence.conftest import LJUBLJANA, make_official
from okence.meetings.models import Room
from okence.offices.models import Service, Unit
from okence.reports import statistics
from okence.reports.statistics import Filters
from okence.surveys.models import Answer
from okence.tokens import hash_token, new_token

FIRST, LAST = datetime.date(2026, 11, 30), datetime.date(2026, 12, 11)
PERIOD = {"first_day": FIRST.isoformat(), "last_day": LAST.isoformat()}
C, NS, X, E, OK, H = (
    Status.COMPLETED,
    Status.NO_SHOW,
    Status.CANCELLED,
    Status.EXPIRED,
    Status.CONFIRMED,
    Status.HELD,
)

# (key, day, "HH:MM" local, service, official, status, wait seconds, meeting seconds, rating,
#  comment). Services: "info" and "cert" at Domžale, "docs" at Ljutomer. A completed meeting's
# citizen knocks ``wait`` seconds before being admitted at the start, and the meeting lasts
# ``meeting`` seconds.
APPOINTMENTS = [
    ("old", "2026-11-20", "09:00", "info", "ana", C, 60, 300, 1, "Stara pripomba."),
    ("d1", "2026-11-30", "08:00", "info", "ana", C, 240, 1200, 5, "Vse je bilo odlično."),
    ("d2", "2026-11-30", "09:00", "cert", "marko", C, 120, 1800, 4, ""),
    ("d3", "2026-12-01", "10:00", "info", "marko", C, 600, 600, 2, "Zvok je bil slab."),
    ("d4", "2026-12-02", "08:00", "info", "ana", NS, None, None, None, None),
    ("d5", "2026-12-02", "14:00", "cert", "ana", X, None, None, None, None),
    ("d6", "2026-12-03", "11:00", "info", "ana", E, None, None, None, None),
    ("d7", "2026-12-03", "11:30", "cert", "marko", E, None, None, None, None),
    ("d8", "2026-12-08", "09:00", "info", "ana", OK, None, None, None, None),
    ("d9", "2026-12-08", "10:00", "info", "ana", H, None, None, None, None),
    ("l1", "2026-11-30", "08:00", "docs", "janez", C, 180, 2400, 3, "Ljutomerski komentar."),
    ("l2", "2026-12-01", "09:00", "docs", "janez", NS, None, None, None, None),
    ("l3", "2026-12-01", "10:00", "docs", "janez", X, None, None, None, None),
    ("l4", "2026-12-02", "08:30", "docs", "janez", C, 300, 1200, None, None),
]
COMMENTS = [row[9] for row in APPOINTMENTS if row[9]]


def personal(key: str) -> dict:
    number = [row[0] for row in APPOINTMENTS].index(key)
    return {
        "name": f"Meščan Zasebnik{number:02d}",
        "email": f"mescan.zasebnik{number:02d}@example.si",
        "phone": f"041 555 {number:03d}",
        "notes": f"Zasebna opomba številka {number:02d}.",
    }


PERSONAL_STRINGS = [value for row in APPOINTMENTS for value in personal(row[0]).values()]


def add(row, services, officials, who: dict) -> Appointment:
    """One appointment of a row like those of ``APPOINTMENTS``, its room and its survey answer."""
    _key, day, time, service_key, official, status, wait, meeting, rating, comment = row
    start = datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=LJUBLJANA)
    now = timezone.now()
    chosen = services[service_key]
    appointment = Appointment.objects.create(
        unit=chosen.unit,
        service=chosen,
        official=officials[official],
        status=status,
        start=start,
        end=start + datetime.timedelta(minutes=45),
        language="sl",
        hold_token_hash=hash_token(new_token()),
        hold_expires_at=now + datetime.timedelta(minutes=5) if status == H else None,
        meeting_token_hash=None if status in (H, E) else hash_token(new_token()),
        created_at=start - datetime.timedelta(days=2),
        **who,
    )
    if status == C:
        admitted = start
        Room.objects.create(
            appointment=appointment,
            display_name=who["name"],
            first_knocked_at=admitted - datetime.timedelta(seconds=wait),
            knocked_at=admitted - datetime.timedelta(seconds=wait),
            admitted_at=admitted,
            ended_at=admitted + datetime.timedelta(seconds=meeting),
        )
    if status == NS:  # waited a while, never admitted: no waiting time counted
        Room.objects.create(
            appointment=appointment,
            first_knocked_at=start - datetime.timedelta(minutes=2),
            ended_at=start + datetime.timedelta(minutes=20),
        )
    if rating is not None:
        Answer.objects.create(
            unit=chosen.unit,
            service=chosen,
            official=officials[official],
            meeting_day=start.date(),
            rating=rating,
            comment=comment,
        )
    return appointment


def add_more(world, rows) -> None:
    """Further rows after the table's, for tests that need a group of five."""
    for number, row in enumerate(rows, start=len(APPOINTMENTS)):
        add(
            ("more", *row),
            world["services"],
            world["officials"],
            {"name": f"Dodatni Meščan{number:02d}", "email": f"dodatni{number:02d}@example.si"},
        )


@pytest.fixture
def world(clock, unit, service, ana, marko):
    """The two units, their services and officials, and every appointment of the table."""
    ljutomer = Unit.objects.create(name="Upravna enota Ljutomer", slug="ljutomer")
    cert = Service.objects.create(unit=unit, name="Potrdila iz evidenc", slug="potrdila")
    docs = Service.objects.create(unit=ljutomer, name="Osebni dokumenti", slug="dokumenti")
    janez = make_official(ljutomer, docs, "janez", "Janez")
    services = {"info": service, "cert": cert, "docs": docs}
    officials = {"ana": ana, "marko": marko, "janez": janez}
    made = {row[0]: add(row, services, officials, personal(row[0])) for row in APPOINTMENTS}
    return {
        "domzale": unit,
        "ljutomer": ljutomer,
        "services": services,
        "officials": officials,
        "appointments": made,
    }


def days(first: datetime.date, last: datetime.date, counts: dict[str, int]):
    found = []
    day = first
    while day <= last:
        found.append((day, counts.get(day.isoformat(), 0)))
        day += datetime.timedelta(days=1)
    return found


def figures(report) -> dict:
    return {
        "booked": report.booked,
        "not_confirmed": report.not_confirmed,
        "cancelled": report.cancelled,
        "completed": report.completed,
        "no_shows": report.no_shows,
        "median_wait": report.median_wait_seconds,
        "median_meeting": report.median_meeting_seconds,
        "answers": report.answers,
        "response_rate": report.response_rate,
        "average": report.average_rating,
        "ratings": report.rating_counts,
        "by_weekday": report.by_weekday,
        "by_hour": report.by_hour,
    }


def ratings(**counts) -> dict[int, int]:
    return {value: counts.get(f"r{value}", 0) for value in range(1, 6)}


def all_units(world) -> frozenset[int]:
    return frozenset([world["domzale"].pk, world["ljutomer"].pk])


# The figures, straight from statistics.report.


def test_the_whole_period_of_both_units(world):
    report = statistics.report(Filters(FIRST, LAST, all_units(world)))

    assert figures(report) == {
        "booked": 10,  # 5 completed, 2 no-shows, 2 cancelled, 1 confirmed; not held or expired
        "not_confirmed": 2,
        "cancelled": 2,
        "completed": 5,
        "no_shows": 2,
        "median_wait": 240.0,  # 120, 180, 240, 300, 600
        "median_meeting": 1200.0,  # 600, 1200, 1200, 1800, 2400
        "answers": 4,
        "response_rate": 0.8,
        "average": 3.5,
        "ratings": ratings(r2=1, r3=1, r4=1, r5=1),
        "by_weekday": [3, 4, 3, 0, 0, 0, 0],
        "by_hour": {8: 4, 9: 3, 10: 2, 14: 1},  # local hours, not UTC
    }
    assert report.by_day == days(
        FIRST, LAST, {"2026-11-30": 3, "2026-12-01": 3, "2026-12-02": 3, "2026-12-08": 1}
    )


def test_one_unit(world):
    report = statistics.report(Filters(FIRST, LAST, frozenset([world["domzale"].pk])))

    assert figures(report) == {
        "booked": 6,
        "not_confirmed": 2,
        "cancelled": 1,
        "completed": 3,
        "no_shows": 1,
        "median_wait": 240.0,  # 120, 240, 600
        "median_meeting": 1200.0,  # 600, 1200, 1800
        "answers": 3,
        "response_rate": 1.0,
        "average": 3.67,
        "ratings": ratings(r2=1, r4=1, r5=1),
        "by_weekday": [2, 2, 2, 0, 0, 0, 0],
        "by_hour": {8: 2, 9: 2, 10: 1, 14: 1},
    }
    assert report.by_day == days(
        FIRST, LAST, {"2026-11-30": 2, "2026-12-01": 1, "2026-12-02": 2, "2026-12-08": 1}
    )


def test_one_service(world):
    info = world["services"]["info"]
    report = statistics.report(Filters(FIRST, LAST, all_units(world), service_id=info.pk))

    assert figures(report) == {
        "booked": 4,
        "not_confirmed": 1,
        "cancelled": 0,
        "completed": 2,
        "no_shows": 1,
        "median_wait": 420.0,  # 240, 600
        "median_meeting": 900.0,  # 600, 1200
        "answers": 2,
        "response_rate": 1.0,
        "average": 3.5,
        "ratings": ratings(r2=1, r5=1),
        "by_weekday": [1, 2, 1, 0, 0, 0, 0],
        "by_hour": {8: 2, 9: 1, 10: 1},
    }
    assert report.by_day == days(
        FIRST, LAST, {"2026-11-30": 1, "2026-12-01": 1, "2026-12-02": 1, "2026-12-08": 1}
    )


def test_one_official(world):
    marko = world["officials"]["marko"]
    report = statistics.report(Filters(FIRST, LAST, all_units(world), official_id=marko.pk))

    assert figures(report) == {
        "booked": 2,
        "not_confirmed": 1,
        "cancelled": 0,
        "completed": 2,
        "no_shows": 0,
        "median_wait": 360.0,  # 120, 600
        "median_meeting": 1200.0,  # 600, 1800
        "answers": 2,
        "response_rate": 1.0,
        "average": 3.0,
        "ratings": ratings(r2=1, r4=1),
        "by_weekday": [1, 1, 0, 0, 0, 0, 0],
        "by_hour": {9: 1, 10: 1},
    }


def test_a_shorter_period(world):
    first, last = datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)
    report = statistics.report(Filters(first, last, all_units(world)))

    assert figures(report) == {
        "booked": 6,
        "not_confirmed": 0,
        "cancelled": 2,
        "completed": 2,
        "no_shows": 2,
        "median_wait": 450.0,  # 300, 600
        "median_meeting": 900.0,  # 600, 1200
        "answers": 1,
        "response_rate": 0.5,
        "average": 2.0,
        "ratings": ratings(r2=1),
        "by_weekday": [0, 3, 3, 0, 0, 0, 0],
        "by_hour": {8: 2, 9: 1, 10: 2, 14: 1},
    }
    assert report.by_day == [(first, 3), (last, 3)]


def test_filters_combine(world):
    ana = world["officials"]["ana"]
    cert = world["services"]["cert"]
    report = statistics.report(
        Filters(FIRST, LAST, frozenset([world["domzale"].pk]), cert.pk, ana.pk)
    )
    assert (report.booked, report.cancelled, report.completed, report.answers) == (1, 1, 0, 0)
    assert report.response_rate is None and report.average_rating is None
    assert report.median_wait_seconds is None and report.median_meeting_seconds is None


def test_an_empty_period_has_no_averages(world):
    day = datetime.date(2026, 12, 5)  # a Saturday
    report = statistics.report(Filters(day, day, all_units(world)))
    assert figures(report) == {
        "booked": 0,
        "not_confirmed": 0,
        "cancelled": 0,
        "completed": 0,
        "no_shows": 0,
        "median_wait": None,
        "median_meeting": None,
        "answers": 0,
        "response_rate": None,
        "average": None,
        "ratings": ratings(),
        "by_weekday": [0] * 7,
        "by_hour": {},
    }
    assert report.by_day == [(day, 0)]


# Two more November answers at Domžale make a group of five there (with "old", d1 and d2).
NOVEMBER_AT_DOMZALE = [
    ("2026-11-10", "09:00", "cert", "marko", C, 200, 900, 4, "Prijazna uradnica."),
    ("2026-11-12", "09:00", "info", "ana", C, 200, 900, 3, ""),
]
# And four more at Ljutomer (with l1).
NOVEMBER_AT_LJUTOMER = [
    ("2026-11-0" + str(day), "09:00", "docs", "janez", C, 200, 900, 4, "") for day in range(2, 6)
]


def test_comments_only_of_the_given_units_and_groups_of_five(world):
    filters = Filters(FIRST, LAST, all_units(world))
    today = datetime.date(2026, 12, 7)
    assert statistics.comments(filters, frozenset([world["domzale"].pk]), today) == []

    add_more(world, NOVEMBER_AT_DOMZALE)
    own = statistics.comments(filters, frozenset([world["domzale"].pk]), today)

    assert own == [
        statistics.CommentGroup(
            "Upravna enota Domžale",
            datetime.date(2026, 11, 1),  # the whole month, also the 20th before the period
            ["Prijazna uradnica.", "Stara pripomba.", "Vse je bilo odlično."],
        )
    ]  # not December's "Zvok je bil slab.": the month is not over
    assert statistics.comments(filters, frozenset(), today) == []


def test_two_units_of_one_name_are_two_groups(world):
    add_more(world, NOVEMBER_AT_LJUTOMER[:2])  # three November answers at each unit
    world["ljutomer"].name = world["domzale"].name
    world["ljutomer"].save()
    filters = Filters(FIRST, LAST, all_units(world))
    assert statistics.comments(filters, all_units(world), datetime.date(2026, 12, 7)) == []


# Who reads what.

User = get_user_model()


def page(client, **query):
    return client.get(reverse("reports:overview"), PERIOD | query)


def shown(response) -> dict[str, str]:
    html = response.content.decode()
    return {
        name: unescape(value).strip()
        for name, value in re.findall(r'data-figure="([a-z_]+)">([^<]*)<', html)
    }


def unit_choices(response) -> set[str]:
    form = response.context["form"]
    return {str(label) for value, label in form.fields["unit"].choices if value}


@pytest.fixture
def unit_admin(world):
    """Ana also administers Domžale."""
    ana = world["officials"]["ana"]
    ana.administers.add(world["domzale"])
    return ana.user


@pytest.fixture
def organisation_admin(world):
    user = User.objects.create_user("urska", "urska@example.si", "x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_all_units"))
    return user


def test_a_unit_administrator_sees_only_their_unit(client, unit_admin):
    client.force_login(unit_admin)

    response = page(client)

    assert response.status_code == 200
    assert unit_choices(response) == {"Upravna enota Domžale"}
    assert {str(label) for _, label in response.context["form"].fields["official"].choices} == {
        "Vse",
        "Ana Test",
        "Marko Test",
    }
    assert shown(response) | {"median_wait": "", "median_meeting": "", "average_rating": ""} == {
        "booked": "6",
        "completed": "3",
        "no_shows": "1",
        "cancelled": "1",
        "not_confirmed": "2",
        "median_wait": "",
        "median_meeting": "",
        "answers": "3",
        "response_rate": "100 %",
        "average_rating": "",
    }
    assert shown(response)["median_wait"] == "4,0 min"
    assert shown(response)["median_meeting"] == "20,0 min"
    assert shown(response)["average_rating"] == "–"  # three answered: too few to show
    html = response.content.decode()
    assert 'data-withheld="ratings"' in html and "data-rating=" not in html
    assert 'class="comments"' in html
    assert not any(comment in html for comment in COMMENTS)  # November has 3 answers, not 5
    assert "Ljutomer" not in html and "Ljutomerski komentar." not in html
    assert "Osebni dokumenti" not in html and "Janez" not in html


def test_a_unit_administrator_cannot_ask_for_another_unit(client, unit_admin, world):
    client.force_login(unit_admin)
    others = {
        "unit": world["ljutomer"].pk,
        "service": world["services"]["docs"].pk,
        "official": world["officials"]["janez"].pk,
    }
    for name, value in others.items():
        response = page(client, **{name: value})
        assert response.status_code == 400, name
        assert "report" not in response.context
        assert shown(response) == {}
        assert "Ljutomerski komentar." not in response.content.decode()
        query = PERIOD | {name: value}
        assert client.get(reverse("reports:csv"), query).status_code == 404
        assert client.get(reverse("reports:xlsx"), query).status_code == 404
        chart = reverse("reports:chart", args=["outcomes"])
        assert client.get(chart, query).status_code == 404


def test_an_organisation_administrator_sees_every_unit_but_no_comments(
    client, organisation_admin, world
):
    client.force_login(organisation_admin)

    everything = page(client)
    ljutomer = page(client, unit=world["ljutomer"].pk)

    assert everything.status_code == ljutomer.status_code == 200
    assert unit_choices(everything) == {"Upravna enota Domžale", "Upravna enota Ljutomer"}
    assert shown(everything)["booked"] == "10" and shown(everything)["answers"] == "4"
    assert shown(ljutomer)["booked"] == "4" and shown(ljutomer)["answers"] == "1"
    assert shown(ljutomer)["completed"] == "2" and shown(ljutomer)["average_rating"] == "–"
    for response in (everything, ljutomer):
        html = response.content.decode()
        assert not any(comment in html for comment in COMMENTS)
        assert 'class="comments"' not in html


def test_ratings_are_shown_only_where_five_answered_whatever_the_filters(client, unit_admin, world):
    add_more(world, NOVEMBER_AT_DOMZALE)  # with the table's: six answers at Domžale
    client.force_login(unit_admin)
    five = {"first_day": "2026-11-01"}
    # One official and one day: a single answer, whose author the official can tell.
    one = {"first_day": "2026-11-10", "last_day": "2026-11-10"}

    whole = page(client, **five)
    narrowed = page(client, **one)

    assert shown(whole)["answers"] == "6" and shown(whole)["average_rating"] == "3,17 / 5"
    assert 'data-rating="4"' in whole.content.decode()
    assert shown(narrowed)["answers"] == "1" and shown(narrowed)["average_rating"] == "–"
    html = narrowed.content.decode()
    assert 'data-withheld="ratings"' in html and "data-rating=" not in html
    chart = reverse("reports:chart", args=["ratings"])
    bar = b'class="rect reactive'
    assert bar in client.get(chart, PERIOD | five).content
    assert bar not in client.get(chart, PERIOD | one).content
    for kind, table in (("csv", "Ocene"), ("xlsx", None)):
        response = export(client, kind, **one)
        assert response.status_code == 200
        if kind == "csv":
            values = {(t, c): v for t, c, v in csv_rows(response, ";")[1:]}
            assert values[("Anketa", "Odgovori")] == "1"
            assert values[("Anketa", "Povprečna ocena")] == ""
            assert not any(t == table for t, _ in values)
        else:
            workbook = openpyxl.load_workbook(io.BytesIO(response.content))
            cells = [c for row in workbook["Ocene"].iter_rows(values_only=True) for c in row]
            assert 4 not in cells and 1 not in cells[2:], cells


def test_an_organisation_administrator_reads_the_comments_of_units_they_administer(
    client, organisation_admin, world
):
    janez = world["officials"]["janez"]
    janez.administers.add(world["ljutomer"])
    janez.user.user_permissions.add(Permission.objects.get(codename="view_all_units"))
    add_more(world, NOVEMBER_AT_LJUTOMER + NOVEMBER_AT_DOMZALE)
    client.force_login(janez.user)

    html = page(client).content.decode()

    assert "Ljutomerski komentar." in html
    assert "Vse je bilo odlično." not in html and "Zvok je bil slab." not in html
    domzale = page(client, unit=world["domzale"].pk)
    assert shown(domzale)["booked"] == "6"
    assert 'class="comments"' not in domzale.content.decode()


def test_a_superuser_sees_every_unit_but_no_comments(client, world):
    admin = User.objects.create_superuser("admin", "admin@example.si", "x")
    client.force_login(admin)
    response = page(client)
    assert response.status_code == 200
    assert shown(response)["booked"] == "10"
    assert not any(comment in response.content.decode() for comment in COMMENTS)


def test_a_plain_official_and_anonymous_are_kept_out(client, world):
    urls = [
        reverse("reports:overview"),
        reverse("reports:csv"),
        reverse("reports:xlsx"),
        reverse("reports:chart", args=["ratings"]),
    ]
    for url in urls:
        response = client.get(url, PERIOD)
        assert response.status_code == 302 and "/prijava/" in response["Location"], url
    client.force_login(world["officials"]["marko"].user)  # serves Domžale, administers nothing
    for url in urls:
        assert client.get(url, PERIOD).status_code == 404, url
    inactive = world["officials"]["janez"].user
    world["officials"]["janez"].administers.add(world["ljutomer"])
    inactive.is_active = False
    inactive.save()
    client.force_login(inactive)
    # A deactivated account's session no longer signs anyone in: back to the sign-in page.
    for url in urls:
        response = client.get(url, PERIOD)
        assert response.status_code == 302 and "/prijava/" in response["Location"], url


def test_a_wrong_period_is_refused(client, unit_admin):
    client.force_login(unit_admin)
    backwards = page(client, first_day=LAST.isoformat(), last_day=FIRST.isoformat())
    assert backwards.status_code == 400 and shown(backwards) == {}
    too_long = page(client, first_day="2024-01-01")
    assert too_long.status_code == 400
    assert page(client, first_day="kmalu").status_code == 400


def comment_section(response) -> str:
    html = response.content.decode()
    return html[html.index('class="comments"') : html.index("</section>", html.index("comments"))]


def test_messages_are_shown_by_whole_finished_months_of_five_answers(client, unit_admin, world):
    client.force_login(unit_admin)
    add_more(world, NOVEMBER_AT_DOMZALE)

    section = comment_section(page(client))

    assert "Stara pripomba." in section  # the 20th: before the period, but the month is whole
    assert "Vse je bilo odlično." in section and "Prijazna uradnica." in section
    assert "Zvok je bil slab." not in section  # 1 December: the month is not over
    assert "november 2026" in section
    assert not re.search(r"\d+\. \d+\. 2026", section)  # no day
    assert "ocena" not in section and "Potrdila" not in section  # no rating, no service


# Every filter a unit administrator can choose, and periods inside, across and after November.
PERIODS = [
    ("2026-11-30", "2026-12-11"),
    ("2026-11-20", "2026-11-20"),
    ("2026-11-01", "2026-11-15"),
    ("2026-11-16", "2026-12-07"),
    ("2026-12-01", "2026-12-07"),
    ("2026-10-01", "2026-12-31"),
]


def test_no_filters_narrow_the_messages_below_five_answers(client, unit_admin, world):
    client.force_login(unit_admin)
    add_more(world, NOVEMBER_AT_DOMZALE)
    world_services = [
        None,
        *(s.pk for s in world["services"].values() if s.unit == world["domzale"]),
    ]
    world_officials = [None, world["officials"]["ana"].pk, world["officials"]["marko"].pk]
    november = Answer.objects.filter(
        unit=world["domzale"], meeting_day__year=2026, meeting_day__month=11
    )
    assert november.count() == 5
    whole_group = {answer.comment for answer in november if answer.comment}
    for first, last in PERIODS:
        for service in world_services:
            for official in world_officials:
                query = {"first_day": first, "last_day": last}
                query |= {"service": service} if service else {}
                query |= {"official": official} if official else {}
                response = client.get(reverse("reports:overview"), query)
                assert response.status_code == 200, query
                section = comment_section(response)
                shown_comments = {c for c in COMMENTS + ["Prijazna uradnica."] if c in section}
                # Either nothing, or November's group of five whole: never a part of it.
                whole = not service and not official and first <= "2026-11-30"
                assert shown_comments == (whole_group if whole else set()), query


# The page's charts and tables.


def test_the_page_has_alt_texts_tables_and_working_charts(client, unit_admin, every_rating_shown):
    client.force_login(unit_admin)
    html = page(client).content.decode()

    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 3
    for image in images:
        assert re.search(r'alt="[^"]{20,}"', image), image
        source = unescape(re.search(r'src="([^"]*)"', image).group(1))
        assert source.startswith("/statistika/grafi/"), image
        chart = client.get(source)
        assert chart.status_code == 200, source
        assert chart["Content-Type"] == "image/svg+xml"
    assert html.count("<table") >= 5
    assert html.count("<caption>") >= 4
    assert '<th scope="row">ponedeljek</th><td>2</td>' in html  # by weekday
    assert '<th scope="row">8:00</th><td>2</td>' in html  # by hour
    assert "<td>30. 11. 2026</td><td>2</td>" in html  # per day
    assert '<td data-rating="5">1</td>' in html


@pytest.mark.parametrize("name", ["over-time", "ratings", "outcomes"])
def test_charts_are_svg_without_running_scripts(client, unit_admin, name):
    client.force_login(unit_admin)
    for query in (PERIOD, {"first_day": "2026-12-05", "last_day": "2026-12-05"}):
        response = client.get(reverse("reports:chart", args=[name]), query)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        svg = response.content.decode()
        assert svg.lstrip().startswith("<svg")
        for tag in re.findall(r"<script[^>]*>", svg):
            assert "src=" not in tag and "href" not in tag, tag  # pygal js=[]: no external code
        # Opened on its own, the inline pygal config could not run either: the CSP has no
        # 'unsafe-inline' for scripts.
        policy = response["Content-Security-Policy"]
        script_src = re.search(r"script-src([^;]*)", policy).group(1)
        assert "'unsafe-inline'" not in script_src
        assert not any(comment in svg for comment in COMMENTS)


def test_an_unknown_chart_is_not_found(client, unit_admin):
    client.force_login(unit_admin)
    assert client.get(reverse("reports:chart", args=["names"]), PERIOD).status_code == 404


# Exports.


@pytest.fixture
def every_rating_shown(monkeypatch):
    """For tests of the exports' format: ratings of fewer than five are withheld, tested above."""
    monkeypatch.setattr(statistics, "MINIMUM_GROUP", 1)


def export(client, kind: str, language: str = "sl", **query):
    with translation.override(language):
        url = reverse(f"reports:{kind}")
    return client.get(url, PERIOD | query)


def csv_rows(response, delimiter: str) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))


def test_the_slovenian_csv_opens_as_columns_in_a_slovenian_excel(
    client, unit_admin, every_rating_shown
):
    client.force_login(unit_admin)

    response = export(client, "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "okence-2026-11-30-2026-12-11.csv" in response["Content-Disposition"]
    rows = csv_rows(response, ";")  # the list separator of a Slovenian Excel
    assert rows[0] == ["Preglednica", "Kategorija", "Vrednost"]
    assert all(len(row) == 3 for row in rows)
    assert rows[1:6] == [
        ["Obdobje in filtri", "Od", "2026-11-30"],
        ["Obdobje in filtri", "Do", "2026-12-11"],
        ["Obdobje in filtri", "Upravna enota", "Vse"],
        ["Obdobje in filtri", "Storitev", "Vse"],
        ["Obdobje in filtri", "Javni uslužbenec", "Vse"],
    ]
    values = {(table, category): value for table, category, value in rows[1:]}
    assert values[("Termini", "Rezerviran")] == "6"
    assert values[("Termini", "Mediana časa v čakalnici (min)")] == "4"
    assert values[("Anketa", "Povprečna ocena")] == "3,67"  # a decimal comma
    assert values[("Anketa", "Delež odgovorov (%)")] == "100"
    assert [values[("Ocene", str(n))] for n in range(1, 6)] == ["0", "1", "0", "1", "1"]
    assert values[("Rezervirani termini po dnevih", "2026-11-30")] == "2"
    assert values[("Po dnevih v tednu", "ponedeljek")] == "2"
    assert values[("Po urah", "8:00")] == "2"
    text = response.content.decode("utf-8-sig")
    for secret in PERSONAL_STRINGS + COMMENTS:
        assert secret not in text, secret
    assert "Ana" not in text and "Marko" not in text


def test_the_english_csv_has_commas_and_decimal_points(
    client, unit_admin, every_rating_shown, world
):
    client.force_login(unit_admin)

    response = export(client, "csv", "en", official=world["officials"]["ana"].pk)

    rows = csv_rows(response, ",")
    assert rows[0] == ["Table", "Category", "Value"]
    assert all(len(row) == 3 for row in rows)
    values = {(table, category): value for table, category, value in rows[1:]}
    assert values[("Period and filters", "Official")] == "Ana Test"  # the filter, not a citizen
    assert values[("Survey", "Average rating")] == "5"
    assert values[("Appointments", "Median meeting length (min)")] == "20"
    assert values[("By day of the week", "Wednesday")] == "2"
    unfiltered = {(t, c): v for t, c, v in csv_rows(export(client, "csv", "en"), ",")[1:]}
    assert unfiltered[("Survey", "Average rating")] == "3.67"  # a decimal point


def test_the_xlsx_has_a_sheet_per_table_with_the_filters_on_top(
    client, unit_admin, world, every_rating_shown
):
    client.force_login(unit_admin)

    response = export(client, "xlsx", service=world["services"]["info"].pk)

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "okence-2026-11-30-2026-12-11.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Termini",
        "Anketa",
        "Ocene",
        "Rezervirani termini po dnevih",
        "Po dnevih v tednu",
        "Po urah",
    ]
    for sheet in workbook:
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == sheet.title
        assert rows[1] == ("Od", datetime.datetime(2026, 11, 30))
        assert rows[2] == ("Do", datetime.datetime(2026, 12, 11))
        assert rows[3:6] == (
            [
                ("Upravna enota", "Vse"),
                ("Storitev", "Pridobivanje splošnih informacij (Upravna enota Domžale)"),
            ]
            + [("Javni uslužbenec", "Vse")]
        )
        assert rows[6] == (None, None)
    appointments = list(workbook["Termini"].iter_rows(values_only=True))
    assert appointments[7] == ("Podatek", "Vrednost")
    assert appointments[8:] == [
        ("Rezerviran", 4),  # numbers, not text
        ("Izvedeni", 2),
        ("Stranke ni bilo", 1),
        ("Preklican", 0),
        ("Zadržani, a nepotrjeni", 1),
        ("Mediana časa v čakalnici (min)", 7),
        ("Mediana trajanja sestanka (min)", 15),
    ]
    ratings = list(workbook["Ocene"].iter_rows(values_only=True))
    assert ratings[7:] == [("Ocena", "Odgovori"), (1, 0), (2, 1), (3, 0), (4, 0), (5, 1)]
    days = list(workbook["Rezervirani termini po dnevih"].iter_rows(values_only=True))
    assert days[8] == (datetime.datetime(2026, 11, 30), 1) and len(days) == 8 + 12


def test_the_english_xlsx_has_english_headings(client, unit_admin, every_rating_shown):
    client.force_login(unit_admin)
    workbook = openpyxl.load_workbook(io.BytesIO(export(client, "xlsx", "en").content))
    assert workbook.sheetnames[:3] == ["Appointments", "Survey", "Ratings"]
    rows = list(workbook["Survey"].iter_rows(values_only=True))
    assert rows[1][0] == "From" and rows[7] == ("Figure", "Value")
    assert rows[8:] == [("Answers", 3), ("Response rate (%)", 100), ("Average rating", 3.67)]


def test_exports_keep_a_name_like_a_formula_as_text(client, unit_admin, world):
    client.force_login(unit_admin)
    formula = Service.objects.create(
        unit=world["domzale"], name='=HYPERLINK("http://zlo.example","klik")', slug="f"
    )
    label = f"{formula.name} (Upravna enota Domžale)"

    workbook = openpyxl.load_workbook(
        io.BytesIO(export(client, "xlsx", service=formula.pk).content)
    )
    cell = workbook["Termini"]["B5"]
    assert (cell.value, cell.data_type) == (label, "s")
    rows = csv_rows(export(client, "csv", service=formula.pk), ";")
    assert ["Obdobje in filtri", "Storitev", f"'{label}"] in rows


def test_the_exports_of_an_organisation_administrator_cover_every_unit(client, organisation_admin):
    client.force_login(organisation_admin)
    response = export(client, "csv")
    values = {(t, c): v for t, c, v in csv_rows(response, ";")[1:]}
    assert values[("Termini", "Rezerviran")] == "10" and values[("Anketa", "Odgovori")] == "4"
    workbook = openpyxl.load_workbook(io.BytesIO(export(client, "xlsx").content))
    cells = [str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row]
    for secret in PERSONAL_STRINGS + COMMENTS:
        assert not any(secret in c for c in cells), secret
        assert secret not in response.content.decode("utf-8-sig"), secret


def open_data_schema() -> dict:
    from django.conf import settings

    return json.loads((settings.BASE_DIR / "docs" / "open-data.schema.json").read_text())


def validator():
    schema = open_data_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert not checker.conforms("yesterday", "date-time")  # the format is checked, not ignored
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


SUPPRESSED = {
    "median_waiting_seconds": None,
    "median_meeting_seconds": None,
    "survey_answers": None,
    "survey_response_rate": None,
    "average_rating": None,
    "ratings": None,
}


def test_the_open_data_is_public_valid_and_anonymous(client, world, settings):
    add_more(world, NOVEMBER_AT_DOMZALE)
    settings.SITE_URL = "https://okence.example.si"
    settings.ALLOWED_HOSTS = ["testserver", "drugje.example"]

    response = client.get(
        reverse("reports:open_data"), {"leto": "2026"}, HTTP_HOST="drugje.example"
    )

    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    text = response.content.decode()
    body = json.loads(text)
    assert list(validator().iter_errors(body)) == []
    assert body["year"] == 2026 and body["minimum_group"] == 5
    # The configured address, not the Host header the client sent.
    assert body["schema"] == "https://okence.example.si/odprti-podatki/shema.json"
    # Every finished month, for both units: December is still under way.
    items = {(item["unit"], item["month"]): item for item in body["items"]}
    assert len(body["items"]) == 11 * 2
    assert {month for _unit, month in items} == {f"2026-{month:02d}" for month in range(1, 12)}
    assert items[("domzale", "2026-11")] == {  # five answers and five meetings: all published
        "unit": "domzale",
        "unit_name": "Upravna enota Domžale",
        "month": "2026-11",
        "appointments_booked": 5,
        "holds_not_confirmed": 0,
        "cancelled": 0,
        "completed": 5,
        "no_shows": 0,
        "median_waiting_seconds": 200.0,  # 60, 120, 200, 200, 240
        "median_meeting_seconds": 900.0,  # 300, 900, 900, 1200, 1800
        "survey_answers": 5,
        "survey_response_rate": 1.0,
        "average_rating": 3.4,
        "ratings": {"1": 1, "2": 0, "3": 1, "4": 2, "5": 1},
    }
    assert (
        items[("ljutomer", "2026-11")]
        == {  # one answer, one meeting: counts only
            "unit": "ljutomer",
            "unit_name": "Upravna enota Ljutomer",
            "month": "2026-11",
            "appointments_booked": 1,
            "holds_not_confirmed": 0,
            "cancelled": 0,
            "completed": 1,
            "no_shows": 0,
        }
        | SUPPRESSED
    )
    assert items[("ljutomer", "2026-01")] == items[("ljutomer", "2026-01")] | SUPPRESSED
    for secret in PERSONAL_STRINGS + COMMENTS + ["Prijazna uradnica."]:
        assert secret not in text, secret
    assert "Ana" not in text and "Janez" not in text

    schema_response = client.get(reverse("reports:open_data_schema"))
    assert schema_response.status_code == 200
    assert schema_response.json() == open_data_schema()
    assert schema_response["Access-Control-Allow-Origin"] == "*"


def test_the_open_data_of_january_is_empty_until_january_ends(client, world, clock):
    clock.move_to(datetime.datetime(2026, 1, 31, 23, 0, tzinfo=LJUBLJANA))
    body = client.get(reverse("reports:open_data"), {"leto": "2026"}).json()
    assert body["items"] == []
    clock.move_to(datetime.datetime(2026, 2, 1, 0, 30, tzinfo=LJUBLJANA))
    body = client.get(reverse("reports:open_data"), {"leto": "2026"}).json()
    assert [item["month"] for item in body["items"]] == ["2026-01", "2026-01"]
    assert list(validator().iter_errors(body)) == []


VALID_ITEM = {
    "unit": "domzale",
    "unit_name": "Upravna enota Domžale",
    "month": "2026-11",
    "appointments_booked": 5,
    "holds_not_confirmed": 0,
    "cancelled": 0,
    "completed": 5,
    "no_shows": 0,
    "median_waiting_seconds": 200.0,
    "median_meeting_seconds": 900.0,
    "survey_answers": 5,
    "survey_response_rate": 1.0,
    "average_rating": 3.4,
    "ratings": {"1": 1, "2": 0, "3": 1, "4": 2, "5": 1},
}
VALID_BODY = {
    "schema": "https://okence.example.si/odprti-podatki/shema.json",
    "generated_at": "2026-12-07T06:00:00+00:00",
    "year": 2026,
    "minimum_group": 5,
    "items": [VALID_ITEM],
}


@pytest.mark.parametrize(
    "change",
    [
        {"month": "2026-13"},
        {"month": "2026-00"},
        {"survey_response_rate": 1.2},
        {"survey_answers": 3},  # below the minimum group: must be null
        {"ratings": {"1": -1, "2": 0, "3": 1, "4": 2, "5": 1}},
        {"name": "Meščan Zasebnik"},  # no extra properties
    ],
    ids=str,
)
def test_the_open_data_schema_refuses_impossible_items(change):
    assert list(validator().iter_errors(VALID_BODY)) == []
    body = VALID_BODY | {"items": [VALID_ITEM | change]}
    assert list(validator().iter_errors(body)) != []


@pytest.mark.parametrize(
    "change",
    [{"comments": []}, {"year": 1999}, {"minimum_group": 1}, {"generated_at": "včeraj"}],
    ids=str,
)
def test_the_open_data_schema_refuses_an_impossible_feed(change):
    assert list(validator().iter_errors(VALID_BODY | change)) != []


def test_the_open_data_refuses_impossible_years(client, world):
    for year in ("2027", "1999", "lani"):
        assert client.get(reverse("reports:open_data"), {"leto": year}).status_code == 404
