from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "okence.meetings"
    verbose_name = _("Meetings")

    def ready(self):
        from okence.booking.signals import appointment_changed
        from okence.meetings import events

        # A new or cancelled booking appears on the consoles of its unit at once.
        appointment_changed.connect(
            lambda sender, appointment, **kwargs: events.changed(appointment),
            weak=False,
            dispatch_uid="meetings-console-feed",
        )
