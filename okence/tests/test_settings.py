"""Settings are safe for production unless the development profile is chosen."""

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

READ = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({name: getattr(settings, name) for name in "
    "['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', "
    "'SECURE_HSTS_SECONDS', 'ALLOWED_HOSTS']}))"
)


def load(**environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"OKENCE_PROFILE", "SECRET_KEY", "SMTP_URL", "DEBUG", "SITE_URL"}
    }
    env |= {"DJANGO_SETTINGS_MODULE": "okence.settings"} | environment
    return subprocess.run(
        [sys.executable, "-c", READ], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load(SMTP_URL="smtp://127.0.0.1:25")
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr


def test_production_refuses_to_start_without_a_mail_server():
    result = load(SECRET_KEY="s" * 50)
    assert result.returncode != 0 and "SMTP_URL is required" in result.stderr


def test_production_over_https_has_debug_off_and_secure_cookies():
    result = load(
        SECRET_KEY="s" * 50,
        SMTP_URL="smtp://127.0.0.1:25",
        SITE_URL="https://okence.example.si",
        ALLOWED_HOSTS="okence.example.si",
    )
    values = json.loads(result.stdout)
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "ALLOWED_HOSTS": ["okence.example.si"],
    }


def test_the_development_profile_needs_nothing():
    result = load(OKENCE_PROFILE="development")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["SESSION_COOKIE_SECURE"] is False


# Each iteration ends as a request does (``close_old_connections`` on request_finished).
SERVER_PROCESSES = (
    "import django; django.setup(); from django.db import close_old_connections, connection; "
    "pids = set()\n"
    "for _ in range(5):\n"
    "    with connection.cursor() as cursor:\n"
    "        cursor.execute('SELECT pg_backend_pid()'); pids.add(cursor.fetchone()[0])\n"
    "    close_old_connections()\n"
    "print(len(pids))"
)


@pytest.mark.postgres
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (DATABASE_URL=postgres://...)",
)
@pytest.mark.django_db
@pytest.mark.parametrize(("pool_size", "most_connections"), [("", 5), ("2", 2)])
def test_a_database_pool_keeps_postgresql_connections_across_requests(pool_size, most_connections):
    test_database = urlsplit(settings.DATABASE_URL)._replace(
        path="/" + connection.settings_dict["NAME"]
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"OKENCE_PROFILE", "DATABASE_POOL_SIZE"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "okence.settings",
        "OKENCE_PROFILE": "development",
        "DATABASE_URL": urlunsplit(test_database),
        "DATABASE_POOL_SIZE": pool_size,
    }
    result = subprocess.run(
        [sys.executable, "-c", SERVER_PROCESSES],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    # Without a pool every request starts a new PostgreSQL server process; with one they share.
    assert int(result.stdout) <= most_connections
    if not pool_size:
        assert int(result.stdout) == 5
