from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from okence import ratelimits


@db_periodic_task(crontab(minute="41"))
def forget_spent_windows() -> None:
    ratelimits.forget_spent(timezone.now())
