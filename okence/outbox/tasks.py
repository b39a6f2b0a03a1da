"""Background jobs of the outbox: thin wrappers that take ids and call the services.

Sending runs on the delivery queue; the periodic job on the jobs' queue only hands it over, so
that it returns at once however long the mail server takes.
"""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from okence.outbox import delivery_queue, services


@delivery_queue.db_task()
def deliver_email(email_id: int) -> None:
    services.deliver(email_id, timezone.now())


@delivery_queue.db_task()
def deliver_due() -> None:
    services.deliver_due(timezone.now())


@db_periodic_task(crontab(minute="*"))
def deliver_due_emails() -> None:
    deliver_due()


@db_periodic_task(crontab(minute="23"))
def forget_delivered_emails() -> None:
    services.forget_delivered(timezone.now())
