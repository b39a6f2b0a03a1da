from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from okence import audit


@db_periodic_task(crontab(minute="53", hour="2"))
def forget_old_audit_events() -> None:
    audit.forget_old(timezone.now())
