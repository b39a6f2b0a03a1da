from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "okence.surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from okence.meetings.signals import meeting_ended
        from okence.surveys import services

        # A meeting that took place invites its citizen to the survey.
        meeting_ended.connect(
            lambda sender, appointment, **kwargs: services.invite(appointment),
            weak=False,
            dispatch_uid="surveys-invite-after-meeting",
        )
