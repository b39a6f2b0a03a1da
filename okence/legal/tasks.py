from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from okence.legal import services


@db_periodic_task(crontab(minute="47", hour="3"))
def forget_old_feedback() -> None:
    services.forget_old_feedback(timezone.now())
