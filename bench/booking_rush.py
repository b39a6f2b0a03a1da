"""Benchmark: a booking rush, one process on SQLite against two workers behind nginx on PostgreSQL.

Simulated citizens (locust, bench/locustfiles/booking_rush.py) browse the unit list, a unit's
services, a calendar month and a day's free times, then book: details form, hold, code page,
the code from the e-mail, confirm, booked page. In one run, with the same load on each:

(a) **single**: ``manage.py serve`` as ``make run`` starts it (development profile, SQLite, the
    in-memory channel layer, huey's consumer as threads in the same process);
(b) **scaled**: nginx (Debian's package) running the repository's own site,
    deploy/nginx/okence.conf (TLS with a self-signed certificate, least_conn, keepalive), filled
    and run as the production test does (okence/server/tests/arrangement.py), on a loopback
    port, in front of two ``manage.py serve --no-worker`` processes, production profile, on
    PostgreSQL and Redis (channel layer, cache, huey), with ``manage.py run_huey`` for the jobs
    and ``manage.py run_deliveries`` sending the e-mail.

Both start from ``manage.py load_demo`` (2 units, 4 services each, 3 officials each) and a busy
calendar: ``--fill`` (60 %) of every official's free times in the bookable window are taken by
confirmed appointments (bench/availability.py's ``insert_appointments``). E-mail goes to an SMTP
sink (aiosmtpd) in this process, which writes each code to a file the locust users read; both
configurations send through SMTP, so (a) differs from ``make run`` only there. Every request
comes from 127.0.0.1, so the per-address hold limit is raised for the run by its setting
(``BOOKING_HOLDS_PER_IP_PER_HOUR``); each citizen has an address of its own, so the per-address
code limits are not reached and stay as they are.

After each run the database is checked: no official may have two active appointments that
overlap (zero double bookings); bookings made are counted. Fails (exit 1) on any failed request,
any double booking, no booking at all, or when (b) serves fewer calendar pages a second than (a)
in the same run (judged on 4 CPUs or more: with fewer, locust, nginx, PostgreSQL, Redis, huey and
the workers share them and scaling out has no core to gain; the ratio is printed). The issue's
absolute targets (≥ 200 calendar pages a second per worker, p95 ≤ 100 ms with 50 clients on two
workers) are printed beside the figures and judged only with ``--judge-targets``, for the same
reason.

    .venv/bin/python bench/booking_rush.py                       # -u 50 -r 50 -t 60s each
    .venv/bin/python bench/booking_rush.py --users 20 --run-time 30s --only single
    .venv/bin/python bench/booking_rush.py --browse-only    # calendar pages only, no booking

PostgreSQL at --database-url (default postgres://postgres@127.0.0.1:5432/bench_booking_rush,
created and dropped; its name must start with "bench") and Redis at --redis-url (default
redis://127.0.0.1:6379/12, flushed before and after); (b) is skipped with a message when either
does not answer, or when nginx is not installed.
"""

import argparse
import contextlib
import csv
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import availability
import support

from okence.meetings.tests.server_process import free_port
from okence.server.tests.arrangement import Nginx, insecure_tls

LOCUSTFILE = Path(__file__).resolve().parent / "locustfiles" / "booking_rush.py"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/bench_booking_rush"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
CALENDAR_STEPS = ("3 calendar month", "4 day")
# Scaling out gains only with cores to spare: locust, nginx, PostgreSQL, Redis, huey and the two
# workers all run here. With fewer CPUs the gain is printed, not judged.
MIN_CPUS_FOR_GAIN = 4
START_SECONDS = 120  # for a server to answer: imports take long on a busy machine
HOLDS_PER_HOUR = "1000000"  # BOOKING_HOLDS_PER_IP_PER_HOUR for the run: every citizen is 127.0.0.1

# Run by ``manage.py shell -c`` (after support.SHELL_PRELUDE; FILL replaced): takes FILL of the
# officials' free time in the bookable window with confirmed appointments of the active services,
# never two at once for one official; answers the [unit, service] slugs to browse.
BUSY = """
import random, sys
sys.path.insert(0, "bench")
import availability
from okence.booking import services as booking
from okence.booking.availability import bookable_window

rng = random.Random(20261207)
now = timezone.now()
decided, made, paths = {}, 0, []
services = Service.objects.select_related("unit").filter(active=True)
for service in services.order_by("unit__slug", "slug"):
    paths.append([service.unit.slug, service.slug])
    first = now.astimezone(service.unit.zone).date()
    last = bookable_window(booking.rules_for(service), now)[1]
    cells = []
    for day, slots in booking.free_slots(service, first, last, now).items():
        for slot in slots:
            for official_id in slot.official_ids:
                # Each stretch of an official's time is decided once, by the first service
                # whose slot covers it: taken with the chance FILL, else left free for all.
                spans = decided.setdefault(official_id, [])
                if any(s < slot.end and slot.start < e for s, e in spans):
                    continue
                spans.append((slot.start, slot.end))
                if rng.random() < FILL:
                    cells.append((official_id, slot.start))
    availability.insert_appointments(service.unit, service, cells, made)
    made += len(cells)
answer({"paths": paths, "busy": made})
"""

# Double bookings and bookings made, in the database after the run.
CHECK = """
from okence.booking.states import ACTIVE as ACTIVE_STATES
spans = {}
for official_id, start, end in Appointment.objects.filter(status__in=ACTIVE_STATES).values_list(
    "official_id", "start", "end"
).order_by("official_id", "start"):
    spans.setdefault(official_id, []).append((start, end))
overlaps = sum(
    1
    for rows in spans.values()
    for (_, end), (start, _) in zip(rows, rows[1:])
    if start < end
)
rush = Appointment.objects.filter(email__endswith="@rush.example.si")
answer({
    "double_bookings": overlaps,
    "booked": rush.filter(status=Status.CONFIRMED).count(),
    "held": rush.filter(status=Status.HELD).count(),
    "active": sum(len(rows) for rows in spans.values()),
})
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", "-u", type=int, default=50, help="concurrent citizens (50)")
    parser.add_argument("--spawn-rate", "-r", type=float, default=50, help="users started/s (50)")
    parser.add_argument("--run-time", "-t", default="60s", help="locust's -t per setup (60s)")
    parser.add_argument("--fill", type=float, default=0.6, help="share of free times taken (0.6)")
    parser.add_argument("--only", choices=["single", "scaled"], help="run one setup only")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL, help="PostgreSQL for (b)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="Redis for (b); flushed")
    parser.add_argument(
        "--pool-size",
        type=int,
        nargs="+",
        default=[8],
        help="DATABASE_POOL_SIZE of each worker in (b) (8; 0: a connection per request); "
        "several values run (b) once with each",
    )
    parser.add_argument(
        "--judge-targets",
        action="store_true",
        help="also fail when (b) misses the issue's absolute targets",
    )
    parser.add_argument(
        "--browse-only",
        action="store_true",
        help="users only browse calendars (a month, then a free day), no booking",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


# --- the SMTP sink ------------------------------------------------------------------------------


class CodeSink:
    """aiosmtpd handler: each message whose subject carries a 6-digit code becomes
    ``<recipient>.code`` in ``folder`` (written whole, then renamed: a reader never sees half)."""

    CODE = re.compile(r"\b(\d{6})\b")

    def __init__(self, folder: Path):
        self.folder = folder
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received += 1
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        found = self.CODE.search(str(message["Subject"] or ""))
        if found:
            for recipient in envelope.rcpt_tos:
                partial = self.folder / f"{recipient}.partial"
                partial.write_text(found[1])
                partial.rename(self.folder / f"{recipient}.code")
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_sink(folder: Path):
    from aiosmtpd.controller import Controller

    folder.mkdir(parents=True, exist_ok=True)
    sink = CodeSink(folder)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


# --- the two setups -----------------------------------------------------------------------------


def serve_with_worker(port: int) -> list[str]:
    """As ``make run``: HTTP and the huey consumer in one process."""
    return [sys.executable, "manage.py", "serve", "--port", str(port)]


def prepare(env: dict, fill: float, *, production: bool = False) -> dict:
    support.manage(env, "migrate", "--no-input", "-v", "0")
    if production:
        support.manage(env, "collectstatic", "--no-input", "-v", "0")
    # In the production profile load_demo wants --force: its published passwords are harmless on
    # a throwaway database on loopback.
    support.manage(env, "load_demo", *(["--force"] if production else []))
    return support.shell(env, BUSY.replace("FILL", repr(fill)))


def pg_or_redis_missing(args) -> str | None:
    reason = availability.pg_reachable(args.database_url)
    if reason:
        return f"PostgreSQL at {args.database_url} does not answer ({reason})"
    import redis

    try:
        redis.Redis.from_url(args.redis_url, socket_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis at {args.redis_url} does not answer ({error})"
    if shutil.which("nginx") is None:
        return "nginx is not installed (apt-get install nginx-light)"
    return None


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


# --- the load -----------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / support.CLOCK_TICKS
    return total


def run_locust(args, url: str, folder: Path, mail: Path, paths: list, servers: list[int]) -> dict:
    prefix = folder / "locust"
    env = os.environ | {
        "RUSH_PATHS": json.dumps(paths),
        "RUSH_MAIL_DIR": str(mail),
        "RUSH_RUN": folder.name,
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        args.run_time,
        "--csv",
        str(prefix),
        "--host",
        url,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "CalendarBrowser" if args.browse_only else "Citizen",
    ]
    cpu_before, started = cpu_seconds(servers), time.monotonic()
    with (folder / "locust.log").open("wb") as log:
        done = subprocess.run(
            command, cwd=support.ROOT, env=env, stdout=log, stderr=log, check=False
        )
    wall = time.monotonic() - started
    load = os.getloadavg()[0]
    server_cpu = cpu_seconds(servers) - cpu_before
    with (folder / "locust_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    failures = []
    failures_csv = folder / "locust_failures.csv"
    if failures_csv.exists():
        with failures_csv.open() as lines:
            failures = [
                f"{row['Occurrences']}× {row['Name']}: {row['Error']}"
                for row in csv.DictReader(lines)
            ]
    return {
        "exit": done.returncode,
        "rows": rows,
        "failures": failures,
        "load": load,
        "wall": wall,
        "server_cpu_percent": 100 * server_cpu / wall,
    }


def warm_up(origin: str, paths: list) -> None:
    """Each page once per worker before the clock runs: the first request of a process imports
    and compiles templates for about a second, which is start-up, not load."""
    # nginx's certificate is the benchmark's own, self-signed, on loopback.
    context = insecure_tls() if origin.startswith("https:") else None
    for _ in range(2):  # nginx takes turns between the two workers
        for unit, service in paths:
            for path in ("/", f"/{unit}/", f"/{unit}/{service}/"):
                with urllib.request.urlopen(  # noqa: S310
                    origin + path, timeout=60, context=context
                ) as response:
                    response.read()


def calendar_rate(result: dict) -> float:
    return sum(float(result["rows"].get(step, {}).get("Requests/s", 0)) for step in CALENDAR_STEPS)


def calendar_p95(result: dict) -> float:
    return max(float(result["rows"].get(step, {}).get("95%", 0) or 0) for step in CALENDAR_STEPS)


def run_single(args, folder: Path) -> dict:
    with smtp_sink(folder / "mail") as (sink, smtp_url):
        env = support.environment(
            folder,
            profile="development",
            SMTP_URL=smtp_url,
            BOOKING_HOLDS_PER_IP_PER_HOUR=HOLDS_PER_HOUR,
            LOG_LEVEL="WARNING",
        )
        data = prepare(env, args.fill)
        print(f"(a) single: {data['busy']:,} busy appointments; serving", flush=True)
        with support.Server(
            env, folder, serve_with_worker, log_name="serve.log", name="serve"
        ) as server:
            server.wait_until_it_answers(START_SECONDS)
            warm_up(server.origin, data["paths"])
            result = run_locust(
                args, server.origin, folder, sink.folder, data["paths"], [server.pid]
            )
        result["check"] = support.shell(env, CHECK)
        result["busy"], result["mails"] = data["busy"], sink.received
    return result


def run_scaled(args, folder: Path, pool_size: int) -> dict:
    availability.pg_create(args.database_url)
    flush_redis(args.redis_url)
    nginx_port = free_port()
    origin = f"https://127.0.0.1:{nginx_port}"
    try:
        with smtp_sink(folder / "mail") as (sink, smtp_url):
            env = support.environment(
                folder,
                profile="production",
                SECRET_KEY="bench-only-not-secret",
                SITE_URL=origin,
                FORWARDED_ALLOW_IPS="127.0.0.1",
                DATABASE_URL=args.database_url,
                REDIS_URL=args.redis_url,
                DATABASE_POOL_SIZE=str(pool_size),
                SMTP_URL=smtp_url,
                BOOKING_HOLDS_PER_IP_PER_HOUR=HOLDS_PER_HOUR,
                LOG_LEVEL="WARNING",
            )
            data = prepare(env, args.fill, production=True)
            print(f"(b) pool {pool_size}: {data['busy']:,} busy appointments; serving", flush=True)
            with contextlib.ExitStack() as stack:
                workers = [
                    stack.enter_context(
                        support.Server(
                            env,
                            folder,
                            support.serve_command,
                            log_name=f"worker-{n}.log",
                            name=f"worker {n}",
                        )
                    )
                    for n in (1, 2)
                ]
                # The jobs' queue (with the periodic jobs) and the e-mail delivery queue, each
                # with its own worker, as deploy/systemd runs them.
                background = [
                    stack.enter_context(
                        support.Server(
                            env,
                            folder,
                            lambda port, command=command: [sys.executable, "manage.py", *command],
                            log_name=f"{command[0]}.log",
                            name=command[0],
                        )
                    )
                    for command in (
                        ["run_huey", "--workers", "2", "--worker-type", "thread"],
                        ["run_deliveries", "--workers", "2"],
                    )
                ]
                for worker in workers:
                    worker.wait_until_it_answers(START_SECONDS)
                for process in background:
                    if process.process.poll() is not None:
                        sys.exit(f"{process.name} exited:\n{process.log_tail()}")
                # The repository's own nginx site (deploy/nginx/okence.conf: TLS, least_conn,
                # keepalive), filled and run as the production test runs it.
                nginx = Nginx(
                    folder / "nginx", nginx_port, [w.port for w in workers], folder / "static"
                )
                stack.callback(nginx.stop)
                nginx.wait_until_it_answers()
                warm_up(origin, data["paths"])
                result = run_locust(
                    args, origin, folder, sink.folder, data["paths"], [w.pid for w in workers]
                )
            result["check"] = support.shell(env, CHECK)
            result["busy"], result["mails"] = data["busy"], sink.received
    finally:
        availability.pg_drop(args.database_url)
        flush_redis(args.redis_url)
    return result


# --- verdict and output -------------------------------------------------------------------------


def failed_requests(result: dict) -> int:
    return int(result["rows"].get("Aggregated", {}).get("Failure Count", 0) or 0)


def step_order(item: tuple[str, dict]) -> tuple[int, str]:
    """By the step's number; the Aggregated row last."""
    number = item[0].split()[0]
    return (int(number) if number.isdigit() else 99, item[0])


def print_setup(label: str, result: dict) -> None:
    check = result["check"]
    print(f"\n{label}")
    print(
        f"{'step':<22} {'requests':>8} {'failed':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7}"
    )
    for name, row in sorted(result["rows"].items(), key=step_order):
        print(
            f"{name[:22]:<22} {int(row['Request Count']):>8,} {int(row['Failure Count']):>6} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
            f"{float(row['Max Response Time']):>7.0f}"
        )
    print(
        f"calendar pages (month + day): {calendar_rate(result):.1f}/s, worst p95 "
        f"{calendar_p95(result):.0f} ms; booked {check['booked']:,}, still held "
        f"{check['held']:,}, double bookings {check['double_bookings']} (over {check['active']:,} "
        f"active appointments, {result['busy']:,} made busy first); e-mails to the sink "
        f"{result['mails']:,}"
    )
    requests = int(result["rows"].get("Aggregated", {}).get("Request Count", 0) or 0)
    cpu_ms = 10 * result["server_cpu_percent"] * result["wall"] / max(1, requests)
    print(
        f"server CPU {result['server_cpu_percent']:.0f} % of one core over {result['wall']:.0f} s"
        f" ({cpu_ms:.1f} ms of Okence's CPU per request, PostgreSQL's and nginx's not counted);"
        f" load average (1 min) at the end {result['load']:.2f} on {os.cpu_count()} CPUs; "
        f"locust exit {result['exit']}"
    )
    for line in result["failures"][:10]:
        print(f"  failure: {line}")


def verdict(results: dict, args) -> dict[str, bool]:
    ok = {}
    for name, result in results.items():
        ok[f"{name}: no failed request"] = failed_requests(result) == 0 and result["exit"] in (0, 1)
        ok[f"{name}: no double booking"] = result["check"]["double_bookings"] == 0
        if not args.browse_only:
            ok[f"{name}: bookings made"] = result["check"]["booked"] > 0
    single = results.get("single")
    for name, result in results.items():
        if name == "single":
            continue
        if single and (os.cpu_count() or 1) >= MIN_CPUS_FOR_GAIN:
            ok[f"{name} serves more calendar pages a second than single"] = calendar_rate(
                result
            ) > calendar_rate(single)
        if args.judge_targets:
            ok[f"{name}: >= 200 calendar pages/s per worker"] = calendar_rate(result) >= 400
            ok[f"{name}: calendar p95 <= 100 ms"] = calendar_p95(result) <= 100
    return ok


def setups(args) -> list[tuple[str, str, Callable[[Path], dict]]]:
    """(name, label, run in a folder) of each setup to measure, in order."""
    chosen = []
    if args.only != "scaled":
        chosen.append(
            (
                "single",
                "(a) single: manage.py serve (development profile), SQLite, huey in process",
                lambda folder: run_single(args, folder),
            )
        )
    if args.only != "single":
        for size in args.pool_size:
            name = "scaled" if len(args.pool_size) == 1 else f"scaled, pool {size}"
            label = (
                f"(b) {name}: nginx -> 2 x serve --no-worker, PostgreSQL "
                f"(DATABASE_POOL_SIZE={size}), Redis, run_huey, run_deliveries"
            )
            chosen.append((name, label, lambda folder, size=size: run_scaled(args, folder, size)))
    return chosen


def main(argv=None) -> int:
    args = parse_args(argv)
    print(
        f"Booking rush — {args.users} citizens, spawned at {args.spawn_rate:g}/s, "
        f"{args.run_time} per setup, no pause; busy calendar: {args.fill:.0%} of free times taken",
        flush=True,
    )
    results = {}
    with support.temporary_folder("okence-bench-rush-", keep=args.keep) as folder:
        for index, (name, label, run) in enumerate(setups(args)):
            if name != "single" and (reason := pg_or_redis_missing(args)):
                print(f"{label} skipped: {reason}")
                continue
            (folder / str(index)).mkdir()
            results[name] = run(folder / str(index))
            print_setup(label, results[name])
    judged = (os.cpu_count() or 1) >= MIN_CPUS_FOR_GAIN
    for name, result in results.items():
        if name != "single" and "single" in results:
            gain = calendar_rate(result) / max(calendar_rate(results["single"]), 1e-9)
            print(
                f"\ncalendar pages a second, {name} / single: {gain:.2f}×"
                + ("" if judged else f" (not judged on {os.cpu_count()} CPUs: needs 4)")
            )
    print(
        "issue 9 targets (judged with --judge-targets): >= 200 calendar pages/s per worker "
        "(400/s on two), p95 <= 100 ms with 50 clients on two workers"
    )
    ok = verdict(results, args)
    for what, good in ok.items():
        print(f"{what}: {'yes' if good else 'NO'}")
    return 0 if results and all(ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
