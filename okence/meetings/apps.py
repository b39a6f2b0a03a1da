from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "okence.meetings"
    verbose_name = _("Meetings")

    def ready(self):
        from okence.booking.signals import appointment_changed, personal_data_forgotten
        from okence.meetings import events, retention

        # A new or cancelled booking appears on the consoles of its unit at once.
        appointment_changed.connect(
            lambda sender, appointment, **kwargs: events.changed(appointment),
            weak=False,
            dispatch_uid="meetings-console-feed",
        )
        # The name shown in the room goes with the appointment's contact details.
        personal_data_forgotten.connect(
            lambda sender, appointment_ids, **kwargs: retention.forget_display_names(
                appointment_ids
            ),
            weak=False,
            dispatch_uid="meetings-forget-display-names",
        )
