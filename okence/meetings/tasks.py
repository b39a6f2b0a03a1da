from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from okence.meetings import services


@db_periodic_task(crontab(minute="29"))
def forget_closed_chats() -> None:
    services.forget_closed_chats(timezone.now())


@db_periodic_task(crontab(minute="*"))
def forget_silent_connections() -> None:
    services.forget_silent_connections(timezone.now())
