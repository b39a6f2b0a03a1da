"""Background jobs of the process as a whole."""

from importlib import import_module

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="29"))
def clear_expired_sessions() -> None:
    """Delete expired staff sessions (Django leaves them in the table until told to)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
