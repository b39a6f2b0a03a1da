"""Mailers: the development outbox folder, and SMTP with a short timeout for a silent server."""

import secrets
import ssl
from functools import cached_property
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend
from django.utils import timezone


class OutboxFolderBackend(BaseEmailBackend):
    """The development mailer: every message becomes an .eml file in the outbox folder."""

    def __init__(self, *, folder: str, **kwargs):
        super().__init__(**kwargs)
        self.folder = Path(folder)

    def send_messages(self, email_messages) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            # The name sorts by time, and the random part keeps two messages in one second apart.
            name = f"{timezone.now():%Y%m%dT%H%M%S.%f}-{secrets.token_hex(4)}.eml"
            (self.folder / name).write_bytes(message.message().as_bytes())
        return len(email_messages)


class SmtpBackend(EmailBackend):
    """Django's SMTP backend with a short timeout until the server has greeted us.

    A mail server that accepts connections and never answers would otherwise hold a delivery
    worker for the whole transfer timeout on every message; a server that has answered may take
    longer over a message (spam and virus checks), so the transfer gets the longer ``timeout``.
    """

    def __init__(self, *, connect_timeout: float = 5, ca_file: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.connect_timeout = connect_timeout
        self.ca_file = ca_file

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """The server's certificate is checked (chain and host name) for STARTTLS and implicit
        TLS alike: against ``ca_file`` (SMTP_CA_FILE) when set, else the system's CAs."""
        if self.ca_file:
            return ssl.create_default_context(cafile=self.ca_file)
        return super().ssl_context

    def open(self):
        transfer_timeout = self.timeout
        self.timeout = self.connect_timeout
        try:
            opened = super().open()  # connects, reads the greeting, says hello, STARTTLS, login
        finally:
            self.timeout = transfer_timeout
        if opened and self.connection.sock is not None:
            self.connection.sock.settimeout(transfer_timeout)
        return opened
