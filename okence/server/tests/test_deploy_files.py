"""The files of deploy/ that docs/deploy.md installs: each checked by the tool that reads it.

Runs in every test run (no server needed): the systemd units with ``systemd-analyze verify``, and
``manage.py check --deploy`` with the settings of deploy/okence.env. The whole arrangement running
is okence/server/tests/test_production.py.
"""

import os
import shutil
import subprocess
import sys

import pytest

from okence.server.tests.arrangement import DEPLOY, INSTALLED, ROOT

UNITS = (
    "okence-web@8001.service",
    "okence-worker@1.service",
    "okence-scheduler.service",
    "okence-deliveries@1.service",
)


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("needs systemd-analyze (Debian's systemd package)")
    # Installed in this checkout instead of /srv/okence: verify checks that ExecStart exists.
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text().replace(INSTALLED, str(ROOT))
        (tmp_path / unit.name).write_text(text)
    units = [*(str(tmp_path / unit) for unit in UNITS), str(tmp_path / "okence.target")]
    command = ["systemd-analyze", "verify", "--man=no", *units]
    done = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    # Unknown or misspelt options are only warnings: none may appear.
    assert (done.returncode, done.stderr.strip()) == (0, ""), done.stderr


def test_every_unit_runs_as_a_dedicated_user_with_hardening_and_restarts():
    for unit in (DEPLOY / "systemd").glob("*.service"):
        lines = set(unit.read_text().splitlines())
        for needed in (
            "User=okence",
            "Restart=on-failure",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ReadWritePaths=/var/lib/okence",
            "PrivateTmp=yes",
            "CapabilityBoundingSet=",
        ):
            assert needed in lines, f"{unit.name} lacks {needed}"


def test_exactly_one_unit_runs_the_periodic_jobs():
    jobs = {
        unit.name: unit.read_text()
        for unit in (DEPLOY / "systemd").glob("*.service")
        if "run_huey" in unit.read_text()
    }
    periodic = [name for name, text in jobs.items() if "--no-periodic" not in text]
    assert periodic == ["okence-scheduler.service"], jobs.keys()
    assert "@" not in periodic[0]  # a template could be started several times


# --- Settings ---------------------------------------------------------------------------------


def documented_settings() -> dict[str, str]:
    """The variables of deploy/okence.env, the file docs/deploy.md installs."""
    values = {}
    for line in (DEPLOY / "okence.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_check_deploy_finds_nothing_with_the_documented_settings(tmp_path):
    secret_key = tmp_path / "secret_key"
    # As docs/deploy.md makes it.
    secret_key.write_text(
        subprocess.run(
            [sys.executable, "-c", "import secrets; print(secrets.token_urlsafe(50))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "OKENCE_PROFILE"}
    }
    env |= documented_settings() | {
        "SECRET_KEY_FILE": str(secret_key),
        "OKENCE_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    # Only the two HSTS checks are silenced, in settings, with the reason there.
    assert "System check identified no issues (2 silenced)." in done.stdout, done.stdout
