"""The development outbox: .eml files on disk, listed newest first, readable as received."""

import datetime

import pytest
from django.utils import timezone

from okence.outbox import services
from okence.outbox.models import Email


@pytest.fixture
def folder(tmp_path, settings):
    settings.OUTBOX_DIR = tmp_path
    settings.MAILERS = {
        "default": {
            "BACKEND": "okence.outbox.backends.OutboxFolderBackend",
            "OPTIONS": {"folder": str(tmp_path)},
        }
    }
    return tmp_path


def send(subject: str, when: datetime.datetime) -> None:
    email = Email.objects.create(
        to=["rajko.lah@example.si"],
        subject=subject,
        body_text=f"Besedilo: {subject}",
        body_html=f"<p>HTML: {subject}</p><script>alert(1)</script>",
        attachments=[
            {
                "filename": "invite.ics",
                "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                "mimetype": "text/calendar",
            }
        ],
        next_attempt_at=when,
        created_at=when,
    )
    assert services.deliver(email.pk, when)


@pytest.mark.django_db
def test_every_message_is_an_eml_file_listed_newest_first(client, folder):
    send("Prvo sporočilo", timezone.now())
    send("Drugo sporočilo", timezone.now())
    assert len(list(folder.glob("*.eml"))) == 2
    page = client.get("/dev/outbox/").content.decode()
    assert page.index("Drugo sporočilo") < page.index("Prvo sporočilo")
    assert "Besedilo: Prvo sporočilo" in page and "invite.ics" in page


@pytest.mark.django_db
def test_the_html_part_is_served_in_a_sandbox(client, folder):
    send("Sporočilo", timezone.now())
    name = next(folder.glob("*.eml")).name
    response = client.get(f"/dev/outbox/{name}/html/")
    assert "<p>HTML: Sporočilo</p>" in response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy


@pytest.mark.django_db
def test_attachments_download_as_sent(client, folder):
    send("Sporočilo", timezone.now())
    name = next(folder.glob("*.eml")).name
    response = client.get(f"/dev/outbox/{name}/attachment/0/")
    assert response["Content-Disposition"] == 'attachment; filename="invite.ics"'
    assert b"BEGIN:VCALENDAR" in response.content


@pytest.mark.django_db
def test_names_outside_the_outbox_are_not_found(client, folder):
    for name in ("..%2F..%2Fetc%2Fpasswd", "nope.eml", "20260101T000000.0-abcd.eml"):
        assert client.get(f"/dev/outbox/{name}/html/").status_code == 404
