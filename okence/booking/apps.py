from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "okence.booking"
    verbose_name = _("Booking")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from okence.booking import free_times, reminders, services
        from okence.booking.models import Appointment
        from okence.booking.signals import appointment_moved, status_moved
        from okence.offices import models as offices
        from okence.outbox.signals import email_delayed

        # The calendar's kept free times are forgotten on every change that shapes them.
        for signal in (post_save, post_delete):
            signal.connect(
                free_times.appointment_saved,
                sender=Appointment,
                dispatch_uid=f"booking.free_times.appointment.{signal is post_save}",
            )
            for model in (
                offices.Unit,
                offices.Service,
                offices.Official,
                offices.WorkingHours,
                offices.ChangedHours,
                offices.Leave,
                offices.Closure,
            ):
                signal.connect(
                    free_times.offices_changed,
                    sender=model,
                    dispatch_uid=f"booking.free_times.{model.__name__}.{signal is post_save}",
                )
        for through in (offices.Official.units.through, offices.Official.services.through):
            m2m_changed.connect(
                free_times.offices_changed,
                sender=through,
                dispatch_uid=f"booking.free_times.{through.__name__}",
            )

        email_delayed.connect(
            services.keep_hold_for_delayed_code, dispatch_uid="booking.code_delayed"
        )
        status_moved.connect(
            reminders.withdraw_when_cancelled, dispatch_uid="booking.reminders_withdrawn"
        )
        appointment_moved.connect(
            reminders.withdraw_when_moved, dispatch_uid="booking.reminders_withdrawn_when_moved"
        )
