"""Run the whole embedded service in one process: uvicorn plus the huey consumer.

The consumers run as threads next to uvicorn's event loop, so one process serves HTTP, WebSockets
(the in-memory channel layer needs exactly one process) and background jobs. There are two queues,
each with its own worker threads: the jobs (periodic ones such as expiring holds and purges, and
the rest) and the e-mail deliveries (okence/outbox/delivery_queue.py), so that a mail server that
does not answer never holds up the jobs. At scale, run several ``serve --no-worker`` processes
behind a proxy with ``REDIS_URL`` set, and the queues' workers separately: ``manage.py run_huey``
for the jobs and ``manage.py run_deliveries`` for the e-mail.

Signals belong to uvicorn: SIGINT and SIGTERM make it close connections gracefully; then the
consumers are told to stop and finish the jobs they are running (up to ``SHUTDOWN_TIMEOUT``).
"""

import ipaddress
import os
import signal
import threading

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import autodiscover_modules

from okence.server.serving import (
    forget_connections_on_start,
    forget_kept_pages_on_start,
    uvicorn_config,
)
from okence.staticstorage import not_collected

ASGI_APP = "okence.asgi:application"
WORKERS = 2  # the jobs' queue
DELIVERY_WORKERS = 2  # the e-mail delivery queue
SHUTDOWN_TIMEOUT = 20  # seconds the consumer's running jobs get to finish on exit


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def site_url_for(host: str, port: int) -> str:
    """The address served, as a link in an e-mail names it."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}"  # a host name
    if ip.is_unspecified:  # bound to every interface: this machine is one of them
        return f"http://localhost:{port}"
    return f"http://[{ip}]:{port}" if ip.version == 6 else f"http://{ip}:{port}"


def server_config(app, host: str, port: int) -> uvicorn.Config:
    """uvicorn as ``serve`` runs it (the tests of the logs run it so too)."""
    # Logging as configured in settings.LOGGING, where tokens and addresses are redacted.
    return uvicorn_config(app, host=host, port=port, log_config=None)


def forget_process_metrics() -> None:
    """In prometheus-client's multiprocess mode, this process's live gauges (open WebSockets)
    stop counting once it is gone."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


class Command(BaseCommand):
    help = "Serve Okence (HTTP, WebSockets and background jobs) from one process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to bind (8000).")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the huey consumer here (it runs as separate workers).",
        )

    def handle(self, *args, host, port, no_worker, **options):
        missing = not_collected()
        if missing:
            # Refuse rather than serve HTTP 500 on every page that names a missing file.
            raise CommandError(
                f"{len(missing)} static files are not collected (e.g. {missing[0]}): run "
                "`manage.py collectstatic --no-input` after every install or upgrade, then start "
                "serve again."
            )
        if settings.SITE_URL_FOLLOWS_SERVE:
            # Development without SITE_URL: e-mailed links name the port actually served. The
            # jobs that send e-mail run in this process, so they read the same setting.
            settings.SITE_URL = site_url_for(host, port)
        previous_sigterm = None
        if threading.current_thread() is threading.main_thread():
            # uvicorn restores this handler after its graceful shutdown and raises the signal
            # again; the default SIGTERM action would end the process before the consumer stops.
            previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
        forget_connections_on_start()
        forget_kept_pages_on_start()
        consumers = [] if no_worker else self.start_consumers()
        server = uvicorn.Server(server_config(ASGI_APP, host, port))
        try:
            server.run()  # returns after a graceful shutdown; exits if it cannot bind
        except KeyboardInterrupt:
            pass
        finally:
            if consumers:
                self.stderr.write("Stopping background jobs...")
                stop_consumers(consumers)
            forget_process_metrics()
            if previous_sigterm is not None:
                signal.signal(signal.SIGTERM, previous_sigterm)

    def start_consumers(self) -> list:
        consumers = start_consumers()
        if not consumers:
            self.stderr.write("huey runs tasks immediately in this profile; no consumer started.")
        return consumers


def start_consumers() -> list:
    """The jobs' consumer (with the periodic scheduler) and the delivery queue's, started as
    threads of this process; none when huey runs tasks immediately (the test profile)."""
    from huey.contrib.djhuey import HUEY

    from okence.outbox import delivery_queue

    if HUEY.immediate:
        return []
    # Register every app's tasks.py (as huey's run_huey does), so that queued and periodic
    # tasks are known before the workers start.
    autodiscover_modules("tasks")
    consumers = [
        HUEY.create_consumer(
            workers=WORKERS,
            worker_type="thread",
            periodic=True,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
        ),
        delivery_queue.HUEY.create_consumer(
            workers=DELIVERY_WORKERS,
            worker_type="thread",
            periodic=False,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
        ),
    ]
    for consumer in consumers:
        # Consumer.start() ends by installing its own SIGINT/SIGTERM/SIGHUP handlers, which only
        # the main thread may do and which would take the signals from uvicorn; skip that step.
        consumer._set_signal_handlers = lambda: None
        consumer.start()
    return consumers


def stop_consumers(consumers: list) -> None:
    for consumer in consumers:  # both stop at once, then each finishes its running jobs
        consumer.stop_flag.set()
    for consumer in consumers:
        consumer.stop(graceful=True)
        consumer.huey.notify_interrupted_tasks()
