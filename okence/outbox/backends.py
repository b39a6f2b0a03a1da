"""The development mailer: every message becomes an .eml file in the outbox folder."""

import secrets
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class OutboxFolderBackend(BaseEmailBackend):
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
