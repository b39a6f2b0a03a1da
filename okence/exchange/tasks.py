from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from okence.exchange import services


@db_periodic_task(crontab(minute="*/5"))
def purge_folders() -> None:
    services.purge_due(timezone.now())
