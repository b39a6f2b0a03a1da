from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "okence.exchange"
    verbose_name = _("Shared folders")

    def ready(self):
        from okence.booking.signals import personal_data_forgotten
        from okence.exchange import retention

        personal_data_forgotten.connect(
            lambda sender, appointment_ids, **kwargs: retention.forget_file_names(appointment_ids),
            weak=False,
            dispatch_uid="exchange-forget-file-names",
        )
