"""Run the e-mail delivery queue's worker on its own (at scale; ``serve`` runs it by default).

The jobs' queue, with the periodic scheduler, runs with huey's ``manage.py run_huey``; this is its
counterpart for the delivery queue, which has no periodic jobs of its own.
"""

from django.core.management.base import BaseCommand
from django.utils.module_loading import autodiscover_modules

from okence.outbox import delivery_queue


class Command(BaseCommand):
    help = "Run the worker of the e-mail delivery queue (SIGINT or SIGTERM stops it)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2, help="Worker threads (2).")

    def handle(self, *args, workers, **options):
        if delivery_queue.HUEY.immediate:
            self.stderr.write("huey runs tasks immediately in this profile; nothing to run.")
            return
        autodiscover_modules("tasks")  # registers the delivery tasks, as run_huey does
        consumer = delivery_queue.HUEY.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=False,
            shutdown_timeout=20,
            # systemd (and every process manager) stops with SIGTERM: let the deliveries in hand
            # finish rather than cut one off between the server's acceptance and its record.
            graceful_signal="TERM",
        )
        consumer.run()
