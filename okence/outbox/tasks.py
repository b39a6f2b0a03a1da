"""Background jobs of the outbox: thin wrappers that take ids and call the services."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from okence.outbox import services


@db_task()
def deliver_email(email_id: int) -> None:
    services.deliver(email_id, timezone.now())


@db_periodic_task(crontab(minute="*"))
def deliver_due_emails() -> None:
    services.deliver_due(timezone.now())


@db_periodic_task(crontab(minute="23"))
def forget_delivered_emails() -> None:
    services.forget_delivered(timezone.now())
