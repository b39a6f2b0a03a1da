"""A message that no mail server will ever take is not retried forever."""

import pytest
from django.utils import timezone

from okence.outbox import services
from okence.outbox.models import Email


@pytest.mark.django_db
def test_a_message_no_server_will_take_fails_at_once_and_is_reported(smtp_server):
    now = timezone.now()
    email = Email.objects.create(
        to=["Rajko <rajko@example.si>, x@@"],
        subject="Potrditev",
        body_text="x",
        next_attempt_at=now,
        created_at=now,
        reference="appointment:1:confirmation",
    )
    assert not services.deliver(email.pk, now)
    email.refresh_from_db()
    assert email.status == Email.Status.FAILED and email.attempts == 1
    assert services.gave_up("appointment:1:confirmation")
    assert not services.is_delayed("appointment:1:confirmation")
