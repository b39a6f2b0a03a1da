from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from okence.booking import reminders, retention, services


@db_periodic_task(crontab(minute="*"))
def release_lapsed_holds() -> None:
    services.release_lapsed_holds(timezone.now())


@db_periodic_task(crontab(minute="*"))
def send_reminders() -> None:
    reminders.send_due(timezone.now())


@db_periodic_task(crontab(minute="17"))
def forget_personal_data() -> None:
    retention.forget_personal_data(timezone.now())
