"""The headers on every message, as a real SMTP server (aiosmtpd) receives them."""

import datetime

import pytest
from django.utils import timezone

from okence.booking import services as booking
from okence.booking.models import Status
from okence.conftest import make_appointment
from okence.outbox import services as outbox
from okence.outbox.models import Email
from okence.outbox.tests.test_smtp import CITIZEN, code_from, hold, parse, queued
from okence.surveys import services as surveys

SITE = "https://okence.example.si"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["okence.example.si"]


@pytest.mark.django_db
def test_every_message_of_a_booking_is_automatic_from_the_site_and_answered_by_the_unit(
    clock, site, service, ana, smtp_server
):
    appointment, _ = hold(service)
    outbox.deliver_due(timezone.now())
    code = code_from(parse(smtp_server.wait_for_message_to(CITIZEN).content))
    booking.confirm(appointment, code, timezone.now())
    booking.cancel(appointment, timezone.now())
    completed, _ = make_appointment(ana, status=Status.COMPLETED, email="mojca@example.si")
    surveys.invite(completed, timezone.now())
    clock.shift(datetime.timedelta(hours=1))
    surveys.send_follow_ups(timezone.now())
    outbox.deliver_due(timezone.now())
    received = smtp_server.wait_for(count=6)  # code, confirmed ×2, cancelled ×2, survey

    message_ids = set()
    for message in map(parse, (one.content for one in received)):
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
        assert message["Message-ID"].endswith("@okence.example.si>")
        assert message["Reply-To"] == "ue.domzale@example.si"
        message_ids.add(message["Message-ID"])
    assert len(message_ids) == 6


@pytest.mark.django_db
def test_a_message_about_nothing_in_particular_has_no_reply_to(clock, site, smtp_server):
    queued()
    outbox.deliver_due(timezone.now())
    message = parse(smtp_server.wait_for_message_to(CITIZEN).content)
    assert message["Reply-To"] is None
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@okence.example.si>")


@pytest.mark.django_db
def test_a_retried_message_keeps_its_message_id(clock, site, service, unit, ana, smtp_server):
    unit.email = ""
    unit.save()
    appointment, _ = hold(service)
    email = Email.objects.get(reference=booking.code_reference(appointment))
    smtp_server.stop()
    outbox.deliver_due(timezone.now())
    smtp_server.start()
    clock.shift(datetime.timedelta(hours=1))
    outbox.deliver_due(timezone.now())
    message = parse(smtp_server.wait_for_message_to(CITIZEN).content)
    assert message["Message-ID"] == email.message_id
    assert message["Reply-To"] is None  # the unit has no address of its own
