"""Unit administrators read their units' audit log with filters; nobody edits it from the site."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from okence import audit
from okence.audit.models import Action, AuditEvent
from okence.conftest import make_appointment

MISSING = 999_999
DAY = datetime.timedelta(days=1)


@pytest.fixture
def log(clock, ana, marko, janez, unit, ljutomer):
    """Ana administers Domžale. Entries: Marko's sign-in and admission (Domžale), Janez's sign-in
    and admission (Ljutomer), an export of Ljutomer by an organisation administrator yesterday."""
    ana.administers.add(unit)
    now = timezone.now()
    domzale, _ = make_appointment(marko)
    ljutomer_appointment, _ = make_appointment(janez)
    audit.record(marko.user, Action.SIGNED_IN, now=now)
    audit.record(marko.user, Action.ADMITTED, appointment=domzale, now=now)
    audit.record(janez.user, Action.SIGNED_IN, now=now)
    audit.record(janez.user, Action.ADMITTED, appointment=ljutomer_appointment, now=now)
    audit.record(None, Action.EXPORT_DOWNLOADED, unit=ljutomer, now=now - DAY)
    return AuditEvent.objects.all()


def shown(response) -> list[tuple[str, str]]:
    return [
        (event.actor.username if event.actor else "", event.action)
        for event in response.context["page"]
    ]


def test_a_unit_administrator_reads_only_their_units_entries(client, log, ana):
    client.force_login(ana.user)
    AuditEvent.objects.filter(actor=ana.user).delete()  # her own sign-in by force_login
    response = client.get(reverse("audit:log"))
    assert response.status_code == 200
    assert sorted(shown(response)) == [("marko", Action.ADMITTED), ("marko", Action.SIGNED_IN)]
    assert "janez" not in response.content.decode().lower()


def test_an_organisation_administrator_reads_every_entry(client, log):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.si", "x")
    client.force_login(admin)
    assert client.get(reverse("audit:log")).context["page"].paginator.count == 6  # and admin's


def test_the_filters_narrow_the_log(client, log, ana, ljutomer):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.si", "x")
    client.force_login(admin)
    today = timezone.localdate()
    by_action = client.get(reverse("audit:log"), {"action": Action.ADMITTED})
    assert {action for _, action in shown(by_action)} == {Action.ADMITTED}
    by_unit = client.get(reverse("audit:log"), {"unit": ljutomer.pk})
    assert sorted(shown(by_unit)) == [("", Action.EXPORT_DOWNLOADED), ("janez", Action.ADMITTED)]
    yesterday = (today - DAY).isoformat()
    by_day = client.get(reverse("audit:log"), {"first_day": yesterday, "last_day": yesterday})
    assert shown(by_day) == [("", Action.EXPORT_DOWNLOADED)]


def test_another_units_id_in_the_filter_is_not_found_existing_or_not(client, log, ana, ljutomer):
    client.force_login(ana.user)
    for unit_id in (ljutomer.pk, MISSING):
        assert client.get(reverse("audit:log"), {"unit": unit_id}).status_code == 404


def test_plain_officials_and_anonymous_users_do_not_read_the_log(client, log, marko):
    assert client.get(reverse("audit:log")).status_code == 302
    client.force_login(marko.user)
    assert client.get(reverse("audit:log")).status_code == 404


def test_the_log_cannot_be_changed_from_the_site(client, log, ana):
    client.force_login(ana.user)
    before = AuditEvent.objects.count()
    assert client.post(reverse("audit:log")).status_code == 405
    assert AuditEvent.objects.count() == before
