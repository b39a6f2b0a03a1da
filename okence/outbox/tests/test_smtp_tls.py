"""E-mail over TLS to a real server (aiosmtpd with a certificate made for the test): STARTTLS
(``SMTP_URL=smtp+tls://``) and implicit TLS (``smtp+ssl://``), configured as settings.py does
from the URL and ``SMTP_CA_FILE``. The server's certificate is checked: one that does not chain
to the configured CAs (the system's, unless ``SMTP_CA_FILE`` names others) is refused and
nothing is sent.
"""

import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from okence.env import smtp_options
from okence.outbox import services as outbox
from okence.outbox.models import Email
from okence.outbox.tests.conftest import HOST, Collector, free_port
from okence.server.tests.arrangement import self_signed_certificate

CITIZEN = "rajko.lah@example.si"


class TlsCollector(Collector):
    """Keeps each message, whether it came over TLS, and the credentials given (any accepted)."""

    def __init__(self):
        super().__init__()
        self.over_tls: list[bool] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return await super().handle_DATA(server, session, envelope)

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)


@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    """The server's certificate for 127.0.0.1 (self-signed) and its key."""
    folder = tmp_path / "server"
    folder.mkdir()
    return self_signed_certificate(folder, HOST)


@pytest.fixture
def other_certificate(tmp_path) -> Path:
    """Another self-signed certificate for the same address: not the server's."""
    folder = tmp_path / "other"
    folder.mkdir()
    return self_signed_certificate(folder, HOST)[0]


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture(params=["starttls", "implicit"])
def tls_server(request, certificate):
    """(scheme of SMTP_URL, port, collector): STARTTLS required before MAIL, or TLS from the
    first byte."""
    collector = TlsCollector()
    port = free_port()
    if request.param == "starttls":
        controller = Controller(
            collector,
            hostname=HOST,
            port=port,
            tls_context=server_context(certificate),
            require_starttls=True,
            authenticator=collector.authenticate,
        )
        scheme = "smtp+tls"
    else:
        controller = Controller(
            collector,
            hostname=HOST,
            port=port,
            ssl_context=server_context(certificate),
            authenticator=collector.authenticate,
            auth_require_tls=False,  # the whole connection is TLS; aiosmtpd checks STARTTLS only
        )
        scheme = "smtp+ssl"
    controller.start()
    yield scheme, port, collector
    controller.stop()


def send_one(settings, url: str, ca_file: Path | None) -> Email:
    """A message queued and delivered once through the mailer that SMTP_URL configures."""
    options = smtp_options(url, ca_file=str(ca_file) if ca_file else None)
    settings.MAILERS = {
        "default": {
            "BACKEND": "okence.outbox.backends.SmtpBackend",
            "OPTIONS": options | {"connect_timeout": 5, "timeout": 5},
        }
    }
    now = timezone.now()
    email = Email.objects.create(
        to=[CITIZEN], subject="Preizkus", body_text="Besedilo.", next_attempt_at=now, created_at=now
    )
    outbox.deliver(email.pk, now)
    email.refresh_from_db()
    return email


@pytest.mark.django_db
def test_the_message_goes_over_tls_to_a_server_whose_certificate_is_trusted(
    settings, tls_server, certificate
):
    scheme, port, collector = tls_server
    email = send_one(settings, f"{scheme}://okence:secret@{HOST}:{port}", ca_file=certificate[0])
    assert email.status == Email.Status.SENT, email.last_error
    assert [message.rcpt_tos for message in collector.messages] == [[CITIZEN]]
    assert collector.over_tls == [True]
    assert collector.logins == [(b"okence", b"secret")]


@pytest.mark.django_db
def test_a_certificate_the_system_does_not_trust_is_refused(settings, tls_server):
    scheme, port, collector = tls_server
    email = send_one(settings, f"{scheme}://{HOST}:{port}", ca_file=None)
    assert email.status == Email.Status.PENDING  # retried later, as for a server that is down
    assert "CERTIFICATE_VERIFY_FAILED" in email.last_error
    assert collector.messages == []


@pytest.mark.django_db
def test_a_certificate_other_than_the_configured_ones_is_refused(
    settings, tls_server, other_certificate
):
    scheme, port, collector = tls_server
    email = send_one(settings, f"{scheme}://{HOST}:{port}", ca_file=other_certificate)
    assert "CERTIFICATE_VERIFY_FAILED" in email.last_error
    assert collector.messages == []


def test_the_smtp_url_says_which_tls():
    assert smtp_options("smtp+tls://u:p@mail.example.si:587") == {
        "host": "mail.example.si",
        "port": 587,
        "username": "u",
        "password": "p",
        "use_tls": True,
        "use_ssl": False,
        "ca_file": None,
    }
    implicit = smtp_options("smtp+ssl://mail.example.si:465", ca_file="/etc/okence/smtp-ca.pem")
    assert (implicit["use_tls"], implicit["use_ssl"]) == (False, True)
    assert implicit["ca_file"] == "/etc/okence/smtp-ca.pem"
    plain = smtp_options("smtp://127.0.0.1:25")
    assert (plain["use_tls"], plain["use_ssl"], plain["username"]) == (False, False, None)


def test_smtps_is_refused_as_ambiguous():
    """django-environ reads smtps:// as STARTTLS, which a port-465 server never answers."""
    with pytest.raises(ImproperlyConfigured, match=r"smtp\+ssl://"):
        smtp_options("smtps://mail.example.si:465")
