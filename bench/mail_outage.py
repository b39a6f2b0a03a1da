"""Benchmark: how late periodic jobs run while the mail server is down and 1,000 e-mails wait.

The mail server accepts connections and never answers (on loopback,
okence/outbox/tests/silent_smtp.py). Before ``manage.py serve`` starts (development profile,
``SMTP_URL`` pointing there, the background jobs as threads), 1,000 e-mails are queued with their
delivery tasks. Then, every ``--interval`` seconds for ``--duration`` seconds, a probe: a hold
that has lapsed, and the periodic job ``release_lapsed_holds`` enqueued on the jobs' queue exactly
as huey's scheduler enqueues it on the minute. A probe's delay is the time from that enqueue until
the hold is seen released (the database is polled every 0.1 s).

    .venv/bin/python bench/mail_outage.py                      # this checkout
    .venv/bin/python bench/mail_outage.py --root /tmp/before   # another checkout, e.g. older code

``--root`` serves (and queues the e-mail with) another checkout's ``manage.py``, with this
checkout's virtual environment; the probes use this checkout's code, which must share the
booking models and the huey queue's name with it. Exits 1 when a probe did not run within
``--target`` seconds.
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import support

from okence.outbox.tests.silent_smtp import SilentSmtpServer

EMAILS = 1_000

QUEUE_EMAILS = """
from django.utils import timezone
from okence.outbox import tasks
from okence.outbox.models import Email
from okence.offices.models import Service, Unit

unit = Unit.objects.create(name="Upravna enota Domžale", slug="domzale")
service = Service.objects.create(unit=unit, name="Splošne informacije", slug="splosne",
                                 duration_minutes=30)
make_official(unit, service, "ana")
now = timezone.now()
emails = Email.objects.bulk_create(
    Email(to=[f"obcan{number}@example.si"], subject="Koda", body_text="Vaša koda: 123456",
          next_attempt_at=now, created_at=now)
    for number in range(COUNT)
)
for email in emails:
    tasks.deliver_email(email.pk)
answer({"queued": len(emails)})
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=support.ROOT, help="checkout to serve")
    parser.add_argument("--emails", type=int, default=EMAILS, help="e-mails queued (1,000)")
    parser.add_argument("--duration", type=float, default=120, help="seconds of probes (120)")
    parser.add_argument("--interval", type=float, default=10, help="seconds between probes (10)")
    parser.add_argument("--target", type=float, default=15, help="max delay, seconds (15)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


def manage(root: Path, env: dict, *arguments: str) -> str:
    return support.run_checked(
        [sys.executable, str(root / "manage.py"), *arguments], env, f"manage.py {arguments[0]}"
    )


def shell(root: Path, env: dict, script: str) -> dict:
    output = manage(root, env, "shell", "-c", support.SHELL_PRELUDE + script)
    for line in output.splitlines():
        if line.startswith("BENCH-DATA "):
            return json.loads(line.removeprefix("BENCH-DATA "))
    sys.exit(f"the setup script answered nothing:\n{output}")


def probe_delays(duration: float, interval: float) -> list[float | None]:
    """Enqueues the periodic job for a lapsed hold every ``interval`` s; the delays, None if the
    hold was not released by the end (``duration`` plus one interval)."""
    from django.utils import timezone

    from okence.booking.models import Appointment, Status
    from okence.booking.tasks import release_lapsed_holds
    from okence.offices.models import Official, Service
    from okence.tokens import hash_token, new_token

    official = Official.objects.get()
    service = Service.objects.get()
    started = time.monotonic()
    waiting: dict[int, float] = {}  # appointment pk -> when its job was enqueued
    delays: dict[int, float | None] = {}
    next_probe = started
    while time.monotonic() < started + duration + interval:
        now = time.monotonic()
        if now >= next_probe and now < started + duration:
            at = timezone.now()
            hold = Appointment.objects.create(
                unit=service.unit,
                service=service,
                official=official,
                status=Status.HELD,
                start=at + datetime.timedelta(days=1, minutes=30 * len(delays)),
                end=at + datetime.timedelta(days=1, minutes=30 * len(delays) + 30),
                name="Rajko Lah",
                email="rajko.lah@example.si",
                hold_token_hash=hash_token(new_token()),
                hold_expires_at=at - datetime.timedelta(seconds=1),
                created_at=at,
            )
            release_lapsed_holds()  # what huey's scheduler does on the minute
            waiting[hold.pk] = time.monotonic()
            delays[hold.pk] = None
            next_probe += interval
        released = Appointment.objects.filter(pk__in=waiting, status=Status.EXPIRED)
        for pk in released.values_list("pk", flat=True):
            delays[pk] = time.monotonic() - waiting.pop(pk)
        if not waiting and now >= started + duration:
            break
        time.sleep(0.1)
    return list(delays.values())


def run(args, folder: Path, smtp: SilentSmtpServer) -> dict:
    """Queues the e-mail, serves ``args.root`` and probes: what ``main`` reports."""
    root = args.root.resolve()
    env = support.environment(
        folder,
        profile="development",
        SMTP_URL=f"smtp://{smtp.host}:{smtp.port}",
        LOG_LEVEL="WARNING",
    )
    manage(root, env, "migrate", "-v0")
    queued = shell(root, env, QUEUE_EMAILS.replace("COUNT", str(args.emails)))["queued"]
    os.environ.update(env)  # the probes use this process's Django, on the same files
    import django

    django.setup()
    from okence.outbox.models import Email

    def serve(port: int) -> list[str]:
        return [sys.executable, str(root / "manage.py"), "serve", "--port", str(port)]

    with support.Server(env, folder, serve, log_name="serve.log", name="serve") as server:
        server.wait_until_it_answers(60)
        delays = probe_delays(args.duration, args.interval)
        tried = smtp.connections
    pending = Email.objects.filter(status="pending").count()
    return {"root": root, "queued": queued, "delays": delays, "tried": tried, "pending": pending}


def main(argv=None) -> int:
    args = parse_args(argv)
    with (
        support.temporary_folder("okence-mail-outage-", keep=args.keep) as folder,
        SilentSmtpServer() as smtp,
    ):
        result = run(args, folder, smtp)
    root, queued, delays = result["root"], result["queued"], result["delays"]
    tried, pending = result["tried"], result["pending"]
    ran = sorted(delay for delay in delays if delay is not None)
    load = os.getloadavg()[0]
    print(f"checkout: {root}")
    print(f"e-mails queued: {queued}; the mail server accepts and never answers")
    print(f"probes: {len(delays)} every {args.interval:g} s for {args.duration:g} s")
    print("| probes run | p50 s | max s | not run | delivery tries | e-mails pending | load |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    p50 = f"{support.percentile(ran, 0.5):.1f}" if ran else "–"
    worst = f"{ran[-1]:.1f}" if ran else "–"
    not_run = len(delays) - len(ran)
    print(
        f"| {len(ran)} of {len(delays)} | {p50} | {worst} | {not_run} | {tried} | {pending} "
        f"| {load:.1f} |"
    )
    if not_run or (ran and ran[-1] > args.target):
        print(f"MISSED: every probe must run within {args.target:g} s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
