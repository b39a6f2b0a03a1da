"""Okence served by a process of its own, as in production, for the tests and the benchmarks.

Plain Python, no Django: bench/support.py imports it before (and without) setting Django up.
"""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command(self.port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
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
            try:
                with urllib.request.urlopen(f"{self.origin}/", timeout=2):  # noqa: S310
                    return None
            except urllib.error.HTTPError:  # any HTTP answer will do: it serves
                return None
            except OSError:
                if time.monotonic() > deadline:
                    return f"did not answer HTTP in {seconds:g} s"
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
