"""Citizens' tokens and codes stay out of the logs and out of the administration's pages."""

import datetime
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.utils import timezone

from okence.meetings.tests.server_process import ROOT, ServerProcess
from okence.outbox.models import Email
from okence.redaction import RedactTokens, redact
from okence.tokens import new_token


def test_a_served_process_logs_no_token_of_a_path(tmp_path):
    """``manage.py serve`` as an operator runs it: uvicorn's access log and Django's warnings."""
    token = new_token()
    (tmp_path / "var").mkdir()
    env = dict(os.environ, OKENCE_PROFILE="test", OKENCE_VAR_DIR=str(tmp_path / "var"))
    env.pop("DATABASE_URL", None)  # a database of its own, under the temporary var/
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT
    )
    server = ServerProcess(
        env,
        tmp_path / "serve.log",
        command=lambda port: [
            sys.executable,
            "manage.py",
            "serve",
            "--no-worker",
            "--port",
            str(port),
        ],
    )
    try:
        assert server.why_not_serving(120) is None, server.log()
        # A path that no view takes (answered without a database): Django warns "Not Found".
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.origin}/static/okence/{token}/?t={token}")  # noqa: S310
        assert refused.value.code == 404
    finally:
        server.stop()
    log = server.log()
    assert '"GET /static/okence/…/ HTTP/1.1" 404' in log  # uvicorn's access log, no query
    assert "Not Found: /static/okence/…/" in log  # Django's warning
    assert token not in log


def test_tokens_in_a_records_message_arguments_and_extra_fields_are_redacted():
    token = new_token()
    record = logging.LogRecord(
        "okence.meetings.consumers",
        logging.INFO,
        __file__,
        1,
        "websocket refused at %s",
        None,
        None,
    )
    record.args = (f"/ws/sestanek/{token}/",)
    record.path = f"/ws/sestanek/{token}/"
    assert RedactTokens().filter(record)
    assert token not in record.getMessage() and record.getMessage().endswith("/ws/sestanek/…/")
    assert record.path == "/ws/sestanek/…/"


def test_slugs_and_short_values_are_left_alone():
    assert redact("/domzale/pridobivanje-splosnih-informacij/") == (
        "/domzale/pridobivanje-splosnih-informacij/"
    )
    assert redact("Vaša koda: 123456") == "Vaša koda: …"
    assert redact("041 123 4567") == "041 123 4567"


@pytest.fixture
def code_email(db):
    token = new_token()
    return token, Email.objects.create(
        to=["rajko.lah@example.si"],
        subject="Koda za potrditev rezervacije: 482913",
        body_text=f"Koda: 482913\nhttps://okence.example.si/termin/{token}/",
        body_html=f'<p>Koda: <b>482913</b> <a href="/sestanek/{token}/">x</a></p>',
        attachments=[{"filename": "invite.ics", "content": f"URL:/sestanek/{token}/"}],
        next_attempt_at=timezone.now(),
        created_at=timezone.now() - datetime.timedelta(minutes=5),
    )


def test_the_outbox_in_the_administration_shows_no_code_and_no_link(admin_client, code_email):
    token, email = code_email
    listing = admin_client.get("/admin/outbox/email/").content.decode()
    page = admin_client.get(f"/admin/outbox/email/{email.pk}/change/").content.decode()
    for content in (listing, page):
        assert "Koda za potrditev rezervacije: …" in content
        assert "482913" not in content and token not in content
    assert "rajko.lah@example.si" in page  # whom it went to is still there to diagnose delivery
