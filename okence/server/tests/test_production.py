"""The production arrangement of docs/deploy.md, served through nginx with TLS on loopback.

``arrangement`` (okence/server/tests/arrangement.py) starts nginx from deploy/nginx/okence.conf in
front of two web workers and one huey worker started with deploy/systemd/'s command lines, in the
production profile, on PostgreSQL and Redis, with e-mail to an aiosmtpd server. Everything here
goes through nginx, as a citizen's browser does.

Runs with ``-m production`` (the production leg of .ci/run): needs PostgreSQL (DATABASE_URL),
Redis (REDIS_URL, a database of its own: it is flushed) and Debian's nginx.
"""

import http.client
import re
import shutil
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from okence.conftest import make_appointment, session_cookie
from okence.meetings.tests.test_across_workers import worker_database_url
from okence.outbox.models import Email
from okence.ratelimits.models import Counter
from okence.server.tests.arrangement import ROOT, insecure_tls
from okence.server.tests.conftest import PRODUCTION

pytestmark = PRODUCTION


# --- Headers --------------------------------------------------------------------------------


def pages(ana, arrangement):
    """One address of each kind of page, and the cookies to ask for it with."""
    appointment, token = make_appointment(ana)
    signed_in = {"Cookie": session_cookie(ana.user)}
    unit, service = appointment.unit, appointment.service
    return {
        "units": ("/", {}),
        "calendar": (f"/{unit.slug}/{service.slug}/", {}),
        "sign-in": ("/prijava/", {}),
        "admin sign-in": ("/admin/login/", {}),
        "meeting (citizen)": (f"/sestanek/{token}/", {}),
        "meeting (official)": (f"/uradnik/sestanek/{appointment.public_id}/", signed_in),
        "console": ("/uradnik/", signed_in),
        "statistics": ("/statistika/", signed_in),
        "not found": ("/ni-take-strani/", {}),
    }


MEDIA_ALLOWED = "camera=(self), microphone=(self), display-capture=(self)"
MEDIA_DENIED = "camera=(), microphone=(), display-capture=()"
MEETING_PAGES = {"meeting (citizen)", "meeting (official)"}
PUBLIC_PAGES = {"units", "calendar"}


def test_every_kind_of_page_carries_the_security_headers_once(arrangement, ana):
    for kind, (path, headers) in pages(ana, arrangement).items():
        response = arrangement.get(path, headers=headers)
        assert response.status in (200, 302, 403, 404), (kind, response.status)
        single = {name: response.headers.get_all(name) or [] for name in SECURITY_HEADERS}
        for name, values in single.items():
            assert len(values) == 1, (
                f"{kind}: {name} is {values}"
            )  # nginx neither drops nor doubles
        csp = single["Content-Security-Policy"][0]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (kind, csp)
        assert "frame-ancestors 'none'" in csp, (kind, csp)
        assert single["Strict-Transport-Security"] == ["max-age=31536000"], kind
        assert single["X-Content-Type-Options"] == ["nosniff"], kind
        assert single["Referrer-Policy"] == ["same-origin"], kind
        # Camera, microphone and the screen only on the meeting pages.
        media = MEDIA_ALLOWED if kind in MEETING_PAGES else MEDIA_DENIED
        assert single["Permissions-Policy"] == [media], kind
        # Private pages are never stored, by the browser or by a proxy in between.
        # (A 404 has no page and no content of anyone's: its caching is left alone.)
        cache = response.headers.get_all("Cache-Control") or []
        if kind != "not found":
            private = any("no-store" in value for value in cache)
            assert private == (kind not in PUBLIC_PAGES), (kind, cache)


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
)


def test_static_files_come_from_nginx_cached_for_a_year(arrangement):
    page = arrangement.get("/").body.decode()
    hashed = re.search(r'/static/[^"]+\.[0-9a-f]{12}\.(?:js|css)', page)
    assert hashed, "the page names no hashed static file"
    response = arrangement.get(hashed[0], headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Encoding"] == "gzip"  # whitenoise's copy, sent as it is
    assert response.headers["Server"] == "nginx"  # not a worker's answer


# --- The client address -----------------------------------------------------------------------


def sign_in_from(arrangement, source: str, *, forged: str | None = None) -> int:
    """A wrong password for ana at /prijava/, sent from ``source`` (a loopback address other than
    nginx's own) with a forged X-Forwarded-For if given; the answer's status."""

    def connection():
        return http.client.HTTPSConnection(
            "127.0.0.1",
            arrangement.port,
            context=insecure_tls(),
            source_address=(source, 0),
            timeout=10,
        )

    extra = {"X-Forwarded-For": forged} if forged else {}
    get = connection()
    get.request("GET", "/prijava/", headers=extra)
    form = get.getresponse()
    body = form.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", form.headers["Set-Cookie"])[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]
    get.close()
    post = connection()
    post.request(
        "POST",
        "/prijava/",
        body=f"csrfmiddlewaretoken={token}&username=ana&password=wrong",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Origin": arrangement.origin,
            "Referer": f"{arrangement.origin}/prijava/",
            **extra,
        },
    )
    status = post.getresponse().status
    post.close()
    return status


def test_the_limits_count_the_citizens_address_not_nginxs_nor_a_forged_one(arrangement, ana):
    assert sign_in_from(arrangement, "127.0.0.2") == 200  # the form again, with its error
    assert sign_in_from(arrangement, "127.0.0.3", forged="203.0.113.9") == 200
    buckets = list(Counter.objects.values_list("bucket", flat=True))
    assert any(bucket.startswith("signin:127.0.0.2:") for bucket in buckets), buckets
    assert any(bucket.startswith("signin:127.0.0.3:") for bucket in buckets), buckets
    # Not nginx's address (every citizen would share one limit), not the forged one.
    assert not any("127.0.0.1" in bucket or "203.0.113.9" in bucket for bucket in buckets)


# --- Background jobs ------------------------------------------------------------------------

QUEUE_EMAILS = """
from django.utils import timezone
from okence.outbox import tasks
from okence.outbox.models import Email
now = timezone.now()
for number in range({count}):
    email = Email.objects.create(
        to=["citizen{{}}@example.si".format(number)], subject="Queued {{}}".format(number),
        body_text="Queued while the worker restarts.", next_attempt_at=now, created_at=now,
    )
    tasks.deliver_email(email.pk)
"""
QUEUED = 40
MAIL_TIMEOUT = 60  # s: an upper bound for 40 deliveries on a loaded machine


def delivered(arrangement) -> list[str]:
    subjects = []
    for received in arrangement.smtp.messages:
        subject = re.search(rb"^Subject: (Queued \d+)", received.content, re.MULTILINE)
        if subject:
            subjects.append(subject[1].decode())
    return subjects


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.1)


def test_e_mails_queued_across_a_delivery_worker_restart_go_out_exactly_once(arrangement, db):
    # Queued in Redis while no delivery worker runs, as during a restart.
    arrangement.deliveries.stop()
    arrangement.manage("shell", "-c", QUEUE_EMAILS.format(count=QUEUED))
    arrangement.deliveries.start()
    # Restarted again (SIGTERM, as its unit stops it) while it delivers them.
    wait_until(lambda: delivered(arrangement), MAIL_TIMEOUT, "the first delivery")
    arrangement.restart_deliveries()
    wait_until(
        lambda: not Email.objects.exclude(status=Email.Status.SENT).exists(),
        MAIL_TIMEOUT,
        "every e-mail sent",
    )
    subjects = delivered(arrangement)
    assert sorted(subjects) == sorted(f"Queued {number}" for number in range(QUEUED))


# --- Backups ----------------------------------------------------------------------------------


def test_a_backup_restores_as_docs_deploy_md_says(arrangement, ana, tmp_path):
    """pg_dump and pg_restore with the document's options, and the uploads with tar."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("needs PostgreSQL's client programs (pg_dump, pg_restore)")
    appointment, _ = make_appointment(ana)
    (arrangement.var / "exchange" / "backup-test").mkdir(parents=True)
    (arrangement.var / "exchange" / "backup-test" / "vloga.pdf").write_bytes(b"%PDF-1.7 test")

    source = urlsplit(worker_database_url())
    database = source.path.lstrip("/")
    restored = f"{database}_restored"
    server = ["--host", source.hostname, "--port", str(source.port or 5432)]
    server += ["--username", source.username or "postgres"]
    dump, uploads = tmp_path / "okence.dump", tmp_path / "okence-exchange.tar.gz"
    run(["pg_dump", *server, "--format=custom", f"--file={dump}", database])
    run(["tar", "-C", str(arrangement.var), "-czf", str(uploads), "exchange"])

    run(["dropdb", *server, "--if-exists", restored])
    run(["createdb", *server, restored])
    try:
        run(["pg_restore", *server, f"--dbname={restored}", "--no-owner", "--exit-on-error",
             str(dump)])  # fmt: skip
        counts = "select count(*), max(public_id::text) from booking_appointment"
        copy = run(["psql", *server, "-d", restored, "-Atc", counts])
        assert copy.strip() == f"1|{appointment.public_id}"
        # Every migration is there: the restored database needs none.
        check = arrangement.env | {"DATABASE_URL": source._replace(path=f"/{restored}").geturl()}
        run([sys.executable, "manage.py", "migrate", "--check"], env=check, cwd=ROOT)
    finally:
        run(["dropdb", *server, "--if-exists", restored])
    back = tmp_path / "restored"
    back.mkdir()
    run(["tar", "-C", str(back), "-xzf", str(uploads)])
    assert (back / "exchange" / "backup-test" / "vloga.pdf").read_bytes() == b"%PDF-1.7 test"


def run(command: list[str], **options) -> str:
    done = subprocess.run(command, capture_output=True, text=True, **options)  # noqa: S603
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stderr}"
    return done.stdout
