from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from okence.surveys import services


@db_periodic_task(crontab(minute="*/5"))
def send_survey_follow_ups() -> None:
    services.send_follow_ups(timezone.now())


@db_periodic_task(crontab(minute="41", hour="3"))
def forget_old_comments() -> None:
    services.forget_old_comments(timezone.now())
