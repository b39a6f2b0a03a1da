from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServerConfig(AppConfig):
    """The embedded server: ``manage.py serve`` runs web, WebSockets and background jobs at once."""

    name = "okence.server"
    verbose_name = _("Embedded server")
