"""An official's download goes into the audit log; the citizen's does not (they are not staff)."""

from django.test import Client
from django.urls import reverse

from okence.audit.models import Action, AuditEvent
from okence.exchange.tests.conftest import add, pdf_bytes


def test_an_officials_download_is_recorded_and_a_citizens_is_not(meeting, folder, ana):
    file = add(folder, pdf_bytes(), "vloga.pdf")
    citizen = Client().get(
        reverse("exchange:citizen_download", args=[meeting.token]), {"id": file.pk}
    )
    assert citizen.status_code == 200
    assert not AuditEvent.objects.exists()
    official = Client()
    official.force_login(ana.user)
    response = official.get(
        reverse("exchange:official_download", args=[meeting.appointment.public_id]),
        {"id": file.pk},
    )
    assert response.status_code == 200
    event = AuditEvent.objects.exclude(action=Action.SIGNED_IN).get()
    assert (event.actor, event.action, event.appointment) == (
        ana.user,
        Action.FILE_DOWNLOADED,
        meeting.appointment,
    )
