from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "okence.booking"
    verbose_name = _("Booking")

    def ready(self):
        from okence.booking import reminders, services
        from okence.booking.signals import appointment_moved, status_moved
        from okence.outbox.signals import email_delayed

        email_delayed.connect(
            services.keep_hold_for_delayed_code, dispatch_uid="booking.code_delayed"
        )
        status_moved.connect(
            reminders.withdraw_when_cancelled, dispatch_uid="booking.reminders_withdrawn"
        )
        appointment_moved.connect(
            reminders.withdraw_when_moved, dispatch_uid="booking.reminders_withdrawn_when_moved"
        )
