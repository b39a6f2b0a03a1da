"""The production arrangement of docs/deploy.md, on loopback, from the repository's own files.

nginx (Debian's) runs deploy/nginx/okence.conf with its placeholders filled by the same ``sed`` the
document gives the operator, in front of web workers and a huey worker started with the command
lines of deploy/systemd/ (no systemd runs here), in the production profile, with e-mail going to
an aiosmtpd server. coturn runs deploy/coturn/turnserver.conf.

Plain Python, no Django, like okence/meetings/tests/server_process.py: the benchmarks in bench/
start the same arrangement. The caller gives the database and Redis (``DATABASE_URL``,
``REDIS_URL``) and the ``SECRET_KEY`` in ``env``.
"""

import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from okence.meetings.tests.server_process import ROOT, ServerProcess, free_port
from okence.outbox.tests.conftest import SmtpServer

DEPLOY = ROOT / "deploy"
# Where docs/deploy.md installs Okence; the units' command lines name it.
INSTALLED = "/srv/okence"
START_TIMEOUT = 90  # s: an upper bound; a loaded 2-core machine imports slowly


def fill(template: Path, values: dict[str, str]) -> str:
    """The template with its ``@PLACEHOLDERS@`` filled, by the ``sed`` command of docs/deploy.md."""
    command = ["sed"]
    for name, value in values.items():
        command += ["-e", f"s|@{name}@|{value}|g"]
    text = subprocess.run(  # noqa: S603
        [*command, str(template)], check=True, capture_output=True, text=True
    ).stdout
    left = set(re.findall(r"^[^#\n]*?(@[A-Z_]+@)", text, re.MULTILINE))
    if left:
        raise ValueError(f"{template.name}: placeholders left unfilled: {sorted(left)}")
    return text


def unit_command(unit: str, instance: str = "") -> list[str]:
    """The ``ExecStart`` line of deploy/systemd/``unit`` for this checkout: what systemd runs."""
    for line in (DEPLOY / "systemd" / unit).read_text().splitlines():
        if line.startswith("ExecStart="):
            words = shlex.split(line.removeprefix("ExecStart=").replace("%i", instance))
            break
    else:
        raise ValueError(f"{unit} has no ExecStart")
    if words[0] != f"{INSTALLED}/.venv/bin/python":
        raise ValueError(f"{unit} runs {words[0]}, not the virtual environment's python")
    return [sys.executable, *words[1:]]


def self_signed_certificate(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate for ``host`` and its key, made now with openssl: (certificate, key)."""
    certificate, key = folder / "okence.crt", folder / "okence.key"
    subprocess.run(  # noqa: S603
        [  # noqa: S607 - Debian's openssl from PATH
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", f"/CN={host}", "-addext",
            f"subjectAltName=IP:{host}", "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate, key


def insecure_tls() -> ssl.SSLContext:
    """TLS that accepts the self-signed certificate (the test's own, on loopback)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Nginx:
    """Debian's nginx in the foreground on a configuration of its own: deploy/nginx/okence.conf,
    filled, inside a minimal nginx.conf like Debian's (its mime.types, temp files in ``folder``)."""

    def __init__(self, folder: Path, port: int, upstream_ports: list[int], static_root: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.origin = f"https://127.0.0.1:{self.port}"
        certificate, key = self_signed_certificate(folder)
        site = fill(
            DEPLOY / "nginx" / "okence.conf",
            {
                "SERVER_NAME": "127.0.0.1",
                "HTTPS_LISTEN": f"127.0.0.1:{self.port}",
                "HTTP_LISTEN": f"127.0.0.1:{free_port()}",
                "CERTIFICATE": str(certificate),
                "CERTIFICATE_KEY": str(key),
                "STATIC_ROOT": str(static_root),
                "UPSTREAM_SERVERS": " ".join(f"server 127.0.0.1:{p};" for p in upstream_ports),
            },
        )
        (folder / "okence.conf").write_text(site)
        # As root, nginx's workers would drop to nobody, who cannot read the test's folders.
        user = "user root;" if os.geteuid() == 0 else ""
        temp = " ".join(
            f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
        )
        self.config = folder / "nginx.conf"
        self.config.write_text(
            f"""{user}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
    {temp} uwsgi_temp_path {folder / "uwsgi"}; scgi_temp_path {folder / "scgi"};
    include {folder / "okence.conf"};
}}
"""
        )
        self.command = ["nginx", "-c", str(self.config), "-p", str(folder), "-e", "stderr"]
        checked = subprocess.run(  # noqa: S603
            [*self.command, "-t"], capture_output=True, text=True
        )
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
        with (folder / "nginx.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [*self.command, "-g", "daemon off;"], stdout=log, stderr=log
            )

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for path in (self.folder / "nginx.log", self.folder / "error.log")
            if path.exists()
        )

    def wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited ({self.process.returncode}):\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen:\n{self.log()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # nginx: fast shutdown
            self.process.wait(timeout=15)


class Arrangement:
    """nginx with TLS in front of ``web_workers`` web workers, one huey worker of the jobs' queue
    (the one with the periodic jobs) and one of the e-mail delivery queue, in the production
    profile, sharing ``OKENCE_VAR_DIR`` (uploads, static files), the database and Redis of
    ``env``; e-mail goes to ``self.smtp``."""

    def __init__(self, folder: Path, env: dict[str, str], web_workers: int = 2):
        self.folder = folder
        self.var = folder / "var"
        self.var.mkdir(parents=True, exist_ok=True)
        self.smtp = SmtpServer()
        self.smtp.start()
        self.web: list[ServerProcess] = []
        self.jobs: ServerProcess | None = None
        self.deliveries: ServerProcess | None = None
        self.nginx: Nginx | None = None
        self.port = free_port()  # nginx's: the workers' SITE_URL names it
        self.origin = f"https://127.0.0.1:{self.port}"
        self.env = (
            dict(os.environ)
            | {
                "OKENCE_PROFILE": "production",
                "OKENCE_VAR_DIR": str(self.var),
                "FORWARDED_ALLOW_IPS": "127.0.0.1",
                "SMTP_URL": f"smtp://127.0.0.1:{self.smtp.port}",
                "LOG_LEVEL": "INFO",
                "SITE_URL": self.origin,
                "ALLOWED_HOSTS": "127.0.0.1",
            }
            | env
        )
        try:
            self.manage("collectstatic", "--no-input")
            for number in range(web_workers):
                self.web.append(
                    ServerProcess(
                        self.env,
                        folder / f"web-{number + 1}.log",
                        lambda port: unit_command("okence-web@.service", str(port)),
                    )
                )
            self.jobs = ServerProcess(
                self.env, folder / "jobs.log", lambda port: unit_command("okence-scheduler.service")
            )
            self.deliveries = ServerProcess(
                self.env,
                folder / "deliveries.log",
                lambda port: unit_command("okence-deliveries@.service", "1"),
            )
            self.nginx = Nginx(
                folder / "nginx", self.port, [w.port for w in self.web], self.var / "static"
            )
            for worker in self.web:
                self.wait_for(worker)
            self.nginx.wait_until_it_answers()
        except BaseException:
            self.stop()
            raise

    def manage(self, *arguments: str) -> str:
        """``manage.py`` with the workers' settings; its output."""
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{done.stderr}")
        return done.stdout + done.stderr

    def wait_for(self, worker: ServerProcess) -> None:
        why_not = worker.why_not_serving(START_TIMEOUT)
        if why_not:
            raise RuntimeError(f"web worker on {worker.port} {why_not}:\n{worker.log()}")

    def restart_web(self, number: int) -> None:
        """Stops web worker ``number`` (SIGTERM, as systemd does) and starts it again."""
        worker = self.web[number]
        worker.stop()
        worker.start()
        self.wait_for(worker)

    def reconfigure(self, **settings: str) -> None:
        """New settings for the web workers, restarted one by one as an upgrade does."""
        self.env.update(settings)  # the dict every worker starts with
        for number in range(len(self.web)):
            self.restart_web(number)

    def restart_jobs(self) -> None:
        self.jobs.stop()
        self.jobs.start()

    def restart_deliveries(self) -> None:
        self.deliveries.stop()
        self.deliveries.start()

    def get(self, path: str, *, headers: dict | None = None):
        """A GET through nginx: the response (status, headers, body read)."""
        request = urllib.request.Request(self.origin + path, headers=headers or {})  # noqa: S310
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=insecure_tls()), NoRedirects
        )
        try:
            response = opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        response.body = response.read()
        return response

    def logs(self) -> str:
        parts = [f"--- web worker {w.port}:\n{w.log()}" for w in self.web]
        if self.jobs:
            parts.append(f"--- huey worker:\n{self.jobs.log()}")
        if self.deliveries:
            parts.append(f"--- delivery worker:\n{self.deliveries.log()}")
        if self.nginx:
            parts.append(f"--- nginx:\n{self.nginx.log()}")
        return "\n".join(parts)

    def stop(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for process in [*self.web, self.jobs, self.deliveries]:
            if process:
                process.stop()
        if self.smtp.running:
            self.smtp.stop()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Coturn:
    """Debian's coturn running deploy/coturn/turnserver.conf, filled, on loopback ports.

    On loopback only the listening and relay addresses and ports are given on the command line,
    with files it may write in ``folder``; ``extra`` adds options (the relay call needs
    ``--allow-loopback-peers``, which production must never have).
    """

    def __init__(self, folder: Path, *extra: str):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.secret = secrets.token_hex(16)
        self.url = f"turn:127.0.0.1:{self.port}?transport=udp"
        config = folder / "turnserver.conf"
        config.write_text(
            fill(
                DEPLOY / "coturn" / "turnserver.conf",
                {"REALM": "okence.test", "TURN_SECRET": self.secret},
            )
        )
        relay_low = 49152 + secrets.randbelow(10000)
        self.command = [
            shutil.which("turnserver") or "turnserver",
            "-c",
            str(config),
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={self.port}",
            f"--min-port={relay_low}",
            f"--max-port={relay_low + 200}",
            "--no-tls",
            "--no-dtls",
            f"--userdb={folder / 'turn.db'}",
            f"--pidfile={folder / 'turn.pid'}",
            f"--log-file={folder / 'turn.log'}",
            "--no-stdout-log",
            *extra,
        ]
        self.process = subprocess.Popen(  # noqa: S603
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not self.answers_binding():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"coturn did not start:\n{self.log()}")
            time.sleep(0.05)

    def answers_binding(self) -> bool:
        request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + secrets.token_bytes(12)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.settimeout(0.2)
            probe.sendto(request, ("127.0.0.1", self.port))
            try:
                answer, _ = probe.recvfrom(2048)
            except OSError:
                return False
        return answer[:2] == b"\x01\x01"

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.folder.glob("turn*.log"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
