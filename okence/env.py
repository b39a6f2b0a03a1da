"""Small typed readers for environment variables, in the manner of healthchecks.

A secret may also come from a file: ``NAME_FILE=/run/secrets/name`` wins over ``NAME``.
"""

import os
from pathlib import Path


def envstr(name: str, default: str | None = None) -> str | None:
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def smtp_options(url: str, *, ca_file: str | None = None) -> dict:
    """The SMTP mailer's options from ``SMTP_URL``: ``smtp://`` (plain, for a relay on the same
    host), ``smtp+tls://`` (STARTTLS, usually port 587) or ``smtp+ssl://`` (implicit TLS, usually
    465), with ``user:password@`` if the server wants them. ``ca_file`` (``SMTP_CA_FILE``): the
    certificates the server's must chain to, instead of the system's (a server of one's own with
    a private CA, or a self-signed certificate); the host name is checked either way.
    """
    import environ
    from django.core.exceptions import ImproperlyConfigured

    scheme = url.split("://", 1)[0].lower()
    if scheme not in {"smtp", "smtp+tls", "smtp+ssl"}:
        # django-environ reads smtps:// as STARTTLS, which a port-465 server never answers.
        raise ImproperlyConfigured(
            f"SMTP_URL: use smtp+tls:// (STARTTLS) or smtp+ssl:// (implicit TLS), not {scheme}://"
        )
    parsed = environ.Env.email_url_config(url)
    return {
        "host": parsed["EMAIL_HOST"],
        "port": parsed["EMAIL_PORT"],
        "username": parsed.get("EMAIL_HOST_USER") or None,
        "password": parsed.get("EMAIL_HOST_PASSWORD") or None,
        "use_tls": bool(parsed.get("EMAIL_USE_TLS")),
        "use_ssl": bool(parsed.get("EMAIL_USE_SSL")),
        "ca_file": ca_file or None,
    }
