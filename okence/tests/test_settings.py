"""Settings are safe for production unless the development profile is chosen."""

import json
import os
import subprocess
import sys

from django.conf import settings

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
