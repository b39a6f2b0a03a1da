"""Benchmark: the free times of one month of a service (``booking.services.free_slots``).

One unit, one 30-minute service, 20 officials working Mon–Fri 08:00–16:00, and confirmed
appointments spread over ±90 days around a fixed "now" (Monday 7 December 2026, 07:00 in
Ljubljana). ``free_slots`` for the bookable window (today and the next 30 days) is timed with
1,000 appointments, then again after growing the table to 10,000, in the same run. The
verdict is against that 1,000-appointment baseline, as the times depend on the machine: the
fastest call at 10,000 may take at most --max-ratio (2) times the baseline's fastest (the
quickest of many calls is the one least delayed by other work on a shared machine), and the
number of queries per call must not change. The p95 against --target-ms (100 ms, meant for an idle
machine) is reported, not judged.

    OKENCE_PROFILE=test .venv/bin/python bench/availability.py     # SQLite, a temp file
    .venv/bin/python bench/availability.py --both                  # and PostgreSQL, see below
    .venv/bin/python bench/availability.py --database-url postgres://.../bench_okence

--both runs each database in a subprocess of this script (Django's settings are fixed per
process): SQLite, then PostgreSQL at --database-url or postgres://postgres@127.0.0.1:5432/
bench_okence, skipped with a message when that server does not answer.

The PostgreSQL database is created if missing and dropped at the end; its name must start with
"bench" because it is dropped. Exits non-zero when the ratio is exceeded or the query counts differ.
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import support

LJUBLJANA = ZoneInfo("Europe/Ljubljana")
NOW = datetime.datetime(2026, 12, 7, 7, 0, tzinfo=LJUBLJANA)  # a Monday, no holiday near
OFFICIALS = 20
SPREAD_DAYS = 90  # appointments lie within ±SPREAD_DAYS around NOW
SEED = 20261207
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/bench_okence"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="run on this database (default: a temp SQLite)")
    parser.add_argument(
        "--both",
        action="store_true",
        help=f"run SQLite and PostgreSQL ({DEFAULT_PG_URL}, or --database-url), one process each",
    )
    parser.add_argument("--runs", type=int, default=50, help="timed calls per size (50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls first (5)")
    parser.add_argument("--baseline", type=int, default=1_000, help="appointments, first (1,000)")
    parser.add_argument("--appointments", type=int, default=10_000, help="then (10,000)")
    parser.add_argument(
        "--target-ms", type=float, default=100.0, help="p95 reported against (100 ms)"
    )
    parser.add_argument(
        "--max-ratio", type=float, default=2.0, help="min at 10,000 / min at 1,000 (2)"
    )
    parser.add_argument("--result-file", help=argparse.SUPPRESS)  # JSON, for the --both parent
    return parser.parse_args(argv)


# --- one database, in this process ---------------------------------------------------------------


def configure_django(database_url: str | None, temp_dir: Path) -> None:
    """Point the settings at the database before Django starts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okence.settings")
    os.environ.setdefault("OKENCE_PROFILE", "test")
    os.environ["DEBUG"] = "false"  # no query log in the timed calls
    # var/ (huey's SQLite file, outbox, media) goes to a temp dir: the run never touches var/.
    os.environ["OKENCE_VAR_DIR"] = str(temp_dir)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{temp_dir / 'bench.sqlite3'}"
    import django

    django.setup()


def pg_admin_url(database_url: str) -> tuple[str, str]:
    """The maintenance database's URL on the same server, and the bench database's name."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), name


def pg_reachable(database_url: str) -> str | None:
    """None when the server answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(pg_admin_url(database_url)[0], connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


def pg_create(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    admin_url, name = pg_admin_url(database_url)
    if not name.startswith("bench"):
        sys.exit(f"refusing to use database {name!r}: it is dropped at the end; name it bench_*")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            print(f"dropping leftover database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def pg_drop(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    admin_url, name = pg_admin_url(database_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def build_office():
    """One unit, one 30-minute service, and OFFICIALS officials offering it Mon–Fri 08–16."""
    from django.contrib.auth import get_user_model

    from okence.offices.models import Official, Service, Unit, WorkingHours

    unit = Unit.objects.create(name="Upravna enota Bench", slug="bench", timezone=LJUBLJANA.key)
    service = Service.objects.create(unit=unit, name="Splošne informacije", slug="splosne")
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(
                username=f"official{i:02}",
                email=f"official{i:02}@example.si",
                first_name="Official",
                last_name=f"{i:02}",
                is_staff=True,
                password="!",  # unusable
            )
            for i in range(OFFICIALS)
        ]
    )
    officials = Official.objects.bulk_create([Official(user=user) for user in users])
    Official.units.through.objects.bulk_create(
        [Official.units.through(official=o, unit=unit) for o in officials]
    )
    Official.services.through.objects.bulk_create(
        [Official.services.through(official=o, service=service) for o in officials]
    )
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(official=o, weekday=weekday, start=datetime.time(8), end=datetime.time(16))
            for o in officials
            for weekday in range(5)
        ]
    )
    return unit, service, [o.pk for o in officials]


def appointment_plan(official_ids: list[int], duration: datetime.timedelta, count: int):
    """``count`` distinct (official, start) pairs on the 30-minute grid of the working hours.

    Distinct grid cells of one official never overlap. The order is a seeded shuffle, so any
    prefix (the baseline) is spread over all officials and days like the whole.
    """
    from okence.offices.services import public_holidays

    today = NOW.date()
    cells = []
    for offset in range(-SPREAD_DAYS, SPREAD_DAYS + 1):
        day = today + datetime.timedelta(days=offset)
        if day.weekday() >= 5 or day in public_holidays(day.year):
            continue
        start = datetime.datetime.combine(day, datetime.time(8), tzinfo=LJUBLJANA)
        close = datetime.datetime.combine(day, datetime.time(16), tzinfo=LJUBLJANA)
        while start + duration <= close:
            cells.extend((official, start.astimezone(datetime.UTC)) for official in official_ids)
            start += duration
    if count > len(cells):
        sys.exit(f"only {len(cells)} free grid cells for {count} appointments")
    random.Random(SEED).shuffle(cells)
    return cells[:count]


def insert_appointments(unit, service, cells, first_index: int) -> None:
    from okence.booking.models import Appointment, Status

    def digest(kind: str, i: int) -> str:
        return hashlib.sha256(f"{kind}{i}".encode()).hexdigest()

    rows = []
    for i, (official_id, start) in enumerate(cells, start=first_index):
        booked = start - datetime.timedelta(days=7)
        rows.append(
            Appointment(
                unit=unit,
                service=service,
                official_id=official_id,
                start=start,
                end=start + service.duration,
                status=Status.CONFIRMED,
                name=f"Citizen {i}",
                email=f"citizen{i}@example.si",
                phone="+386 1 000 0000",
                hold_token_hash=digest("hold", i),
                meeting_token_hash=digest("meeting", i),
                manage_token_hash=digest("manage", i),
                created_at=booked,
                confirmed_at=booked,
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=1_000)
    analyze()


def analyze() -> None:
    """Fresh planner statistics, as autovacuum/ANALYZE would have after such a load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(service_pk: int, first_day, last_day, runs: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from okence.booking.models import Appointment
    from okence.booking.services import free_slots, occupying
    from okence.offices.models import Service

    # As the calendar view has it: the service with its unit, fetched once per request.
    service = Service.objects.select_related("unit").get(pk=service_pk)
    for _ in range(warmup):
        free_slots(service, first_day, last_day, NOW)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        free_slots(service, first_day, last_day, NOW)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        slots = free_slots(service, first_day, last_day, NOW)
    timings.sort()
    zone = service.unit.zone
    window_start = datetime.datetime.combine(first_day, datetime.time(0), tzinfo=zone)
    window_end = datetime.datetime.combine(
        last_day + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone
    )
    return {
        "appointments": Appointment.objects.count(),
        "in_window": occupying(NOW).filter(start__lt=window_end, end__gt=window_start).count(),
        "slot_times": sum(len(day) for day in slots.values()),
        "official_slots": sum(len(s.official_ids) for day in slots.values() for s in day),
        "queries": len(captured.captured_queries),
        "sql": [q["sql"] for q in captured.captured_queries],
        "p50": support.percentile(timings, 0.50),
        "p95": support.percentile(timings, 0.95),
        "min": timings[0],
        "max": timings[-1],
        "runs": runs,
        "load": os.getloadavg()[0],
    }


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def run_one(args) -> dict:
    postgres = bool(args.database_url) and urlsplit(args.database_url).scheme.startswith("postgres")
    if args.database_url and not postgres:
        sys.exit("--database-url must be a postgres:// URL (SQLite is the default)")
    if postgres:
        pg_create(args.database_url)
    with support.temporary_folder("okence-bench-") as temp_dir:
        configure_django(args.database_url, temp_dir)
        try:
            from django.core.management import call_command
            from django.db import connections

            from okence.booking.availability import bookable_window
            from okence.booking.services import rules_for

            call_command("migrate", verbosity=0)
            unit, service, official_ids = build_office()
            first_day = NOW.date()
            last_day = bookable_window(rules_for(service), NOW)[1]
            cells = appointment_plan(official_ids, service.duration, args.appointments)
            results = []
            inserted = 0
            for size in (args.baseline, args.appointments):
                insert_appointments(unit, service, cells[inserted:size], inserted)
                inserted = size
                results.append(measure(service.pk, first_day, last_day, args.runs, args.warmup))
            report = {
                "database": database_label(),
                "window": [first_day.isoformat(), last_day.isoformat()],
                "results": results,
            }
            connections.close_all()
        finally:
            if postgres:
                pg_drop(args.database_url)
    return report


# --- verdict and output -------------------------------------------------------------------------


def verdict(report: dict, max_ratio: float) -> tuple[bool, bool]:
    """Judged against the baseline of the same run: the fastest call (the percentiles include
    waiting for a CPU on a busy machine) and the query count."""
    baseline, full = report["results"]
    return full["min"] <= max_ratio * baseline["min"], baseline["queries"] == full["queries"]


def print_report(report: dict, target_ms: float, max_ratio: float) -> None:
    baseline, full = report["results"]
    first, last = report["window"]
    print(f"\nFree times of one month — {report['database']} — days {first}..{last}")
    print(
        f"{'appointments':>12} {'in window':>9} {'free times':>10} {'official-slots':>14} "
        f"{'queries':>7} {'min ms':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'load':>5}"
    )
    for r in report["results"]:
        print(
            f"{r['appointments']:>12,} {r['in_window']:>9,} {r['slot_times']:>10,} "
            f"{r['official_slots']:>14,} {r['queries']:>7} {r['min']:>7.1f} {r['p50']:>7.1f} "
            f"{r['p95']:>7.1f} {r['max']:>7.1f} {r['load']:>5.2f}"
        )
    fast, constant = verdict(report, max_ratio)
    print(
        f"queries with {baseline['appointments']:,} appts: {baseline['queries']}; "
        f"with {full['appointments']:,}: {full['queries']}"
        f" -> {'constant' if constant else 'NOT CONSTANT'}"
    )
    print(
        f"min with {baseline['appointments']:,} appts: {baseline['min']:.1f} ms; "
        f"with {full['appointments']:,}: {full['min']:.1f} ms = "
        f"{full['min'] / baseline['min']:.2f}x (at most {max_ratio:g}x) "
        f"-> {'met' if fast else 'MISSED'}  [{full['runs']} timed calls each]"
    )
    print(
        f"p95 with {full['appointments']:,}: {full['p95']:.1f} ms (reference for an idle "
        f"machine: <= {target_ms:g} ms; {'within' if full['p95'] <= target_ms else 'over'}, "
        "not judged)"
    )
    print(
        "load = 1-minute load average after the timed calls; on a busy machine the times"
        f" include waiting for a CPU ({os.cpu_count()} here)"
    )
    if not constant:
        for r in report["results"]:
            print(f"-- queries with {r['appointments']:,} appointments:")
            for statement in r["sql"]:
                print(f"   {statement}")


def run_both(args) -> int:
    """Each database in its own process: Django's settings are fixed once it starts."""
    pg_url = args.database_url or DEFAULT_PG_URL
    forwarded = [
        f"--runs={args.runs}",
        f"--warmup={args.warmup}",
        f"--baseline={args.baseline}",
        f"--appointments={args.appointments}",
        f"--target-ms={args.target_ms}",
        f"--max-ratio={args.max_ratio}",
    ]
    runs = [("SQLite", [])]
    reason = pg_reachable(pg_url)
    if reason is None:
        runs.append(("PostgreSQL", [f"--database-url={pg_url}"]))
    reports, failed = [], False
    with support.temporary_folder("okence-bench-") as temp:
        for name, extra in runs:
            result_file = temp / f"{name}.json"
            print(f"== {name}", flush=True)
            child = subprocess.run(
                [sys.executable, __file__, *forwarded, *extra, f"--result-file={result_file}"],
                cwd=support.ROOT,
                check=False,
            )
            failed |= child.returncode != 0
            if result_file.exists():
                reports.append(json.loads(result_file.read_text()))
            elif child.returncode:
                print(f"{name}: the run failed (exit {child.returncode})")
    if reason is not None:
        print(f"\n== PostgreSQL skipped: {pg_url} is unreachable ({reason})")
    if reports:
        print("\nSummary (free_slots for one month)")
        print(
            f"{'database':<18} {'appointments':>12} {'queries':>7} {'min ms':>7} {'p50 ms':>7} "
            f"{'p95 ms':>7} {'max ms':>7}"
        )
        for report in reports:
            fast, constant = verdict(report, args.max_ratio)
            for r in report["results"]:
                print(
                    f"{report['database']:<18} {r['appointments']:>12,} {r['queries']:>7} "
                    f"{r['min']:>7.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['max']:>7.1f}"
                )
            print(
                f"{'':<18} min at most {args.max_ratio:g}x the baseline's: "
                f"{'met' if fast else 'MISSED'};"
                f" queries constant: {'yes' if constant else 'NO'}"
            )
    return 1 if failed else 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.baseline >= args.appointments:
        sys.exit("--baseline must be smaller than --appointments")
    if args.both:
        return run_both(args)
    report = run_one(args)
    print_report(report, args.target_ms, args.max_ratio)
    if args.result_file:
        Path(args.result_file).write_text(json.dumps(report))
    fast, constant = verdict(report, args.max_ratio)
    return 0 if fast and constant else 1


if __name__ == "__main__":
    sys.exit(main())
