"""Okence served by a process of its own, as in production, for the tests and the benchmarks.

Plain Python, no Django: bench/support.py imports it before (and without) setting Django up.
"""

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def uvicorn_command(port: int, *options: str) -> list[str]:
    """``okence.asgi:application`` as production serves it: ``python -m uvicorn``, with the
    time limit on request heads that ``manage.py serve`` has."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "okence.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--http",
        "okence.server.http:HeadTimeLimitProtocol",
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--ws-max-size",  # as okence/server/serving.py sets it (this module has no Django)
        str(2 * 64 * 1024),
        *options,
    ]


class ServerProcess:
    """A server subprocess (``command`` of its port) on a free port of 127.0.0.1, started in the
    repository's root with ``env``; its output goes to ``log_path``."""

    def __init__(
        self, env: dict, log_path: Path, command: Callable[[int], list[str]] = uvicorn_command
    ):
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = env
        self.command = command
        self.start()

    def start(self) -> None:
        """Starts the process on its port (again, after ``stop``); its log is appended to."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                self.command(self.port), cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def why_not_serving(self, seconds: float) -> str | None:
        """Waits until it answers HTTP (with anything): None, or why it did not."""
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                return f"exited ({self.process.returncode})"
            # Any HTTP answer will do, a redirect to HTTPS too (not followed): it serves.
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/")
                connection.getresponse().read()
                return None
            except OSError:
                if time.monotonic() > deadline:
                    return f"did not answer HTTP in {seconds:g} s"
                time.sleep(0.1)
            finally:
                connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
