"""The delivery queue: a huey of its own for sending e-mail, with its own workers.

huey keeps one queue per instance, and its workers take jobs in turn. On the one queue of
``huey.contrib.djhuey``, a mail server that accepts connections and never answers held every
worker in turn, and the periodic jobs (expiring holds, purging folders, retention) waited behind a
thousand deliveries. Deliveries go here instead: ``manage.py serve`` runs this queue's consumer
next to the jobs' one, and at scale ``manage.py run_deliveries`` runs it as a separate worker.
"""

from django.conf import settings
from huey.contrib.djhuey import close_db
from huey.utils import load_class


def _create_huey():
    config = dict(settings.HUEY_DELIVERIES)
    huey_class = load_class(config.pop("huey_class"))
    return huey_class(config.pop("name"), **config)


HUEY = _create_huey()


def db_task(*args, **kwargs):
    """A task on the delivery queue that uses the database (djhuey's ``db_task`` for this huey)."""

    def decorator(fn):
        wrapper = HUEY.task(*args, **kwargs)(close_db(fn))
        wrapper.call_local = fn
        return wrapper

    return decorator
