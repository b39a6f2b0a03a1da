"""What the benchmarks share: a throwaway Okence in a temporary folder, served by a subprocess.

Not a benchmark itself (``make bench`` skips it). The scripts import it as ``support``: run as
``python bench/<name>.py``, bench/ is first on ``sys.path``.

- ``temporary_folder`` and ``environment``: the folder that holds ``OKENCE_VAR_DIR`` and the
  SQLite database, and an environment that points there and nowhere else.
- ``manage`` and ``shell``: ``manage.py`` commands in that environment; ``shell`` runs setup code
  (after ``SHELL_PRELUDE``) and returns what it printed with ``answer(...)``.
- ``Server``: uvicorn (``uvicorn_command``) or ``manage.py serve`` (``serve_command``) on a free
  port, waited for until it answers HTTP, with its memory and CPU time read from /proc; the
  tests' ``ServerProcess`` (okence/meetings/tests/server_process.py) with what a benchmark needs.
- ``chromium`` and ``new_context``: Debian's Chromium with a fake camera and microphone.
- ``percentile``: nearest rank.
"""

import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The browser and the server process of the tests (plain modules, no Django needed).
from okence.booking.tests.chromium import CHROMIUM_ARGS as _BROWSER_ARGS  # noqa: E402
from okence.booking.tests.chromium import MEDIA_ARGS  # noqa: E402
from okence.meetings.tests.server_process import ServerProcess, uvicorn_command  # noqa: E402

CHROMIUM_ARGS = _BROWSER_ARGS + MEDIA_ARGS

# Settings in this process's environment that would point a throwaway server at real data or at
# other services; ``environment`` leaves them out (and every OKENCE_ and DJANGO_ variable).
OUTSIDE = (
    "DATABASE_URL",
    "REDIS_URL",
    "SITE_URL",
    "STUN_URLS",
    "TURN_URLS",
    "EXCHANGE_S3_BUCKET",
    "CLAMD_ADDRESS",
    "FILE_UPLOAD_TEMP_DIR",
    "DEBUG",
)


@contextlib.contextmanager
def temporary_folder(prefix: str, *, keep: bool = False) -> Iterator[Path]:
    """A new folder under the system's temporary directory, removed at the end unless ``keep``."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def environment(folder: Path, profile: str = "test", **settings: str) -> dict:
    """This process's environment for an Okence whose data all lives in ``folder``.

    The profile, ``OKENCE_VAR_DIR`` and a SQLite database in ``folder``, ``DEBUG`` off, only
    127.0.0.1 served; ``settings`` on top (e.g. ``REDIS_URL``, ``LOG_LEVEL``).
    """
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OKENCE_", "DJANGO_")) and key not in OUTSIDE
    }
    return (
        kept
        | {
            "OKENCE_PROFILE": profile,
            "OKENCE_VAR_DIR": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "okence.settings",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DEBUG": "false",
        }
        | settings
    )


def run_checked(command: list[str], env: dict, what: str) -> str:
    """Runs ``command`` in ROOT; its output, or the benchmark stops with it when it fails."""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{what} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def manage(env: dict, *arguments: str) -> str:
    return run_checked(
        [sys.executable, str(ROOT / "manage.py"), *arguments], env, f"manage.py {arguments[0]}"
    )


# Run before every ``shell`` script: the imports they use, an official of a unit and a service,
# a confirmed appointment with a known meeting token (unsaved), a signed-in session, and
# ``answer``, which prints what ``shell`` returns.
SHELL_PRELUDE = """
import datetime, json
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from okence.booking.models import Appointment, Status
from okence.offices.models import Official, Service, Unit
from okence.tokens import hash_token, new_token


def make_official(unit, service, username, **names):
    user = get_user_model().objects.create_user(
        username, f"{username}@example.si", None, is_staff=True, **names
    )
    official = Official.objects.create(user=user)
    official.units.add(unit)
    official.services.add(service)
    return official


def appointment(official, service, start, token, *, name, email, phone="041 123 456",
                status=Status.CONFIRMED):
    now = timezone.now()
    return Appointment(
        unit=service.unit, service=service, official=official, status=status,
        start=start, end=start + datetime.timedelta(minutes=30),
        name=name, email=email, phone=phone,
        hold_token_hash=hash_token(new_token()), meeting_token_hash=hash_token(token),
        created_at=now, confirmed_at=now,
    )


def session_of(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def answer(data):
    print("BENCH-DATA " + json.dumps(data))
"""


def shell(env: dict, script: str) -> dict:
    """Runs ``script`` with ``manage.py shell -c`` in ``env``; the data it gave to ``answer``."""
    output = manage(env, "shell", "-c", SHELL_PRELUDE + script)
    for line in output.splitlines():
        if line.startswith("BENCH-DATA "):
            return json.loads(line.removeprefix("BENCH-DATA "))
    sys.exit(f"the setup script answered nothing:\n{output}")


def serve_command(port: int) -> list[str]:
    """``manage.py serve`` without the background worker."""
    return [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(port)]


class Server(ServerProcess):
    """A server subprocess on a free port of 127.0.0.1 (uvicorn unless ``command`` says), its
    output in ``folder/log_name``, its memory and CPU time read from /proc; ``name`` in errors."""

    def __init__(
        self,
        env: dict,
        folder: Path,
        command: Callable[[int], list[str]] = uvicorn_command,
        *,
        log_name: str = "uvicorn.log",
        name: str = "uvicorn",
    ):
        super().__init__(env, folder / log_name, command)
        self.name = name

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_until_it_answers(self, seconds: float = 30) -> None:
        why_not = self.why_not_serving(seconds)
        if why_not:
            sys.exit(f"{self.name} {why_not}:\n{self.log_tail()}")

    def memory_mib(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak RSS since start or the last ``reset_peak``), MiB."""
        values = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in {"VmRSS", "VmHWM"}:
                values[key] = int(rest.split()[0]) / 1024
        return values

    def rss_mib(self) -> float:
        return self.memory_mib()["VmRSS"]

    def reset_peak(self) -> bool:
        """Sets VmHWM to the current RSS (Linux ≥ 4.0: "5" to clear_refs); False if refused."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def descendants(self) -> list[int]:
        """The processes the server started, and theirs (e.g. the file checks' workers)."""
        found, waiting = [], [self.pid]
        while waiting:
            pid = waiting.pop()
            try:
                tasks = list(Path(f"/proc/{pid}/task").iterdir())
            except OSError:
                continue  # gone meanwhile
            for task in tasks:
                with contextlib.suppress(OSError):
                    children = [int(child) for child in (task / "children").read_text().split()]
                    found += children
                    waiting += children
        return found

    def descendants_memory_mib(self) -> dict[int, dict[str, float]]:
        """VmRSS and VmHWM of each of ``descendants()``, MiB, by process id."""
        memory = {}
        for pid in self.descendants():
            with contextlib.suppress(OSError):
                values = {}
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    key, _, rest = line.partition(":")
                    if key in {"VmRSS", "VmHWM"}:
                        values[key] = int(rest.split()[0]) / 1024
                memory[pid] = values
        return memory

    def reset_descendants_peak(self) -> None:
        for pid in self.descendants():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def cpu_seconds(self) -> float:
        """utime + stime of the whole process (all threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of stat

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, driven by Playwright, with a fake camera and microphone."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("needs Debian's chromium on PATH (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser):
    """A fresh context (empty cache, no cookies) that may use the camera and microphone."""
    return browser.new_context(
        locale="sl-SI", timezone_id="Europe/Ljubljana", permissions=["camera", "microphone"]
    )


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]
