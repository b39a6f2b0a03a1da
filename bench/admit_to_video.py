"""Benchmark: from the official's "Admit" click to the first video frame on the citizen's screen.

``manage.py serve --no-worker`` (uvicorn, the in-memory channel layer) runs on a throwaway SQLite
database in a temporary ``OKENCE_VAR_DIR``, ``OKENCE_PROFILE=test``. The data: one unit and
service, and per run an official with a signed-in session and an appointment open now. One Debian
Chromium (Playwright; fake camera and microphone) holds two fresh contexts per run: the
official's, with the session cookie, and the citizen's.

One run: the official opens the meeting page, the citizen opens the link and clicks "Pridruži se
zdaj"; when both pages show the waiting room, hooks are put into both pages, and the official's
``#admit`` is clicked. Times are taken inside the pages, on the browser's shared wall clock
(``performance.timeOrigin + performance.now()``, comparable between pages of one browser):

- admit: the click on ``#admit`` (a capturing listener on the official's document);
- admitted: the citizen's page switches to the call (``#meeting[data-state="call"]``);
- offer, connected: the citizen's peer connection exists (the official's offer arrived) and
  reaches ``connectionState == "connected"`` (polled every 5 ms);
- frame: the first frame of the official's video presented in the citizen's ``#remote-video``
  (``requestVideoFrameCallback``); likewise the official's first frame of the citizen's video.

The test side also times click → first citizen frame with ``time.monotonic`` as a cross-check
(that includes Playwright's round trips). The official then ends the meeting; both calls are
hung up before the citizen's context closes.

Target: median admit → first citizen frame under 1 s on loopback (p90 is reported too).
Exits 1 when the target is missed or a run does not connect.

    .venv/bin/python bench/admit_to_video.py            # 20 runs
    .venv/bin/python bench/admit_to_video.py --runs 50 --target-ms 1000
"""

import argparse
import contextlib
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
STATE_TIMEOUT = 15_000  # ms for a page to reach a state
FRAME_TIMEOUT = 15_000  # ms for the first frame after the admit

# Run by ``manage.py shell -c`` in the server's environment (RUNS replaced): one official per run
# (an official's appointments may not overlap), each with an open appointment and a signed-in
# session. Prints JSON: the meeting tokens, public ids and session cookies.
SETUP = """
import datetime, json
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from okence.booking.models import Appointment, Status
from okence.offices.models import Official, Service, Unit
from okence.tokens import hash_token, new_token

unit = Unit.objects.create(name="Upravna enota Domžale", slug="domzale")
service = Service.objects.create(
    unit=unit, name="Pridobivanje splošnih informacij", slug="splosne-informacije"
)
now = timezone.now()
start = now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=3)
meetings = []
for i in range(RUNS):
    user = get_user_model().objects.create_user(
        f"official{i}", f"official{i}@example.si", None, first_name="Official", last_name=str(i),
        is_staff=True,
    )
    official = Official.objects.create(user=user)
    official.units.add(unit)
    official.services.add(service)
    token = new_token()
    appointment = Appointment.objects.create(
        unit=unit, service=service, official=official, status=Status.CONFIRMED,
        start=start, end=start + datetime.timedelta(minutes=30),
        name=f"Citizen {i}", email=f"citizen{i}@example.si", phone="041 123 456",
        hold_token_hash=hash_token(new_token()), meeting_token_hash=hash_token(token),
        created_at=now, confirmed_at=now,
    )
    client = Client()
    client.force_login(user)
    meetings.append({
        "token": token,
        "public_id": str(appointment.public_id),
        "session": client.cookies["sessionid"].value,
    })
print(json.dumps({"meetings": meetings}))
"""

# In the official's page: the time of the click on #admit, on the browser's shared clock.
OFFICIAL_HOOK = """
() => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = (window.benchMarks = {});
  document.addEventListener("click", (event) => {
    if (event.target.closest("#admit") && !marks.admit) marks.admit = now();
  }, { capture: true });
  const video = document.getElementById("remote-video");
  video.requestVideoFrameCallback((time) => { marks.frame = performance.timeOrigin + time; });
}
"""

# In the citizen's page: when the call view appears and when the first remote frame is presented.
CITIZEN_HOOK = """
() => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = (window.benchMarks = {});
  const root = document.getElementById("meeting");
  new MutationObserver(() => {
    if (root.dataset.state === "call" && !marks.admitted) marks.admitted = now();
  }).observe(root, { attributes: true, attributeFilter: ["data-state"] });
  // The peer connection's milestones, by polling (the page keeps it private): the offer arrived
  // (a connection exists) and ICE+DTLS are done ("connected").
  const poll = setInterval(() => {
    const pc = window.okence.pc();
    if (pc && !marks.offer) marks.offer = now();
    if (pc?.connectionState === "connected" && !marks.connected) marks.connected = now();
    if (marks.connected || (marks.frame && now() - marks.frame > 5000)) clearInterval(poll);
  }, 5);
  const video = document.getElementById("remote-video");
  window.benchFrame = new Promise((resolve) => {
    video.requestVideoFrameCallback((time) => {
      marks.frame = performance.timeOrigin + time;
      resolve(marks.frame);
    });
  });
}
"""

WAIT_FRAME = """
async (timeout) => {
  const late = new Promise((resolve) => setTimeout(() => resolve(null), timeout));
  return Promise.race([window.benchFrame, late]);
}
"""

HANG_UP = "() => { try { window.okence?.pc()?.close(); } catch {} }"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="admissions measured (20)")
    parser.add_argument("--target-ms", type=float, default=1000.0, help="median target (1000)")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_environment(folder: Path) -> dict:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("OKENCE_", "DJANGO_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "SITE_URL", "STUN_URLS", "TURN_URLS"):
        keep.pop(name, None)
    return keep | {
        "OKENCE_PROFILE": "test",
        "OKENCE_VAR_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "okence.settings",
    }


def manage(env: dict, *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(
            f"manage.py {arguments[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


class Server:
    """``manage.py serve --no-worker`` as a subprocess, its output in a log file."""

    def __init__(self, env: dict, folder: Path):
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "serve.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_it_answers(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                sys.exit(f"the server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.origin}/", timeout=2):
                    return
            except urllib.error.HTTPError:  # any HTTP answer: it serves
                return
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"the server did not answer in {seconds:g} s:\n{self.log_tail()}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def new_context(browser):
    return browser.new_context(
        locale="sl-SI", timezone_id="Europe/Ljubljana", permissions=["camera", "microphone"]
    )


def one_run(browser, origin: str, meeting: dict) -> dict:
    """One admission, measured; the meeting is ended and both calls hung up afterwards."""
    from playwright.sync_api import expect

    official_context = new_context(browser)
    official_context.add_cookies(
        [{"name": "sessionid", "value": meeting["session"], "domain": "127.0.0.1", "path": "/"}]
    )
    official = official_context.new_page()
    citizen_context = new_context(browser)
    citizen = citizen_context.new_page()
    try:
        official.goto(f"{origin}/uradnik/sestanek/{meeting['public_id']}/")
        citizen.goto(f"{origin}/sestanek/{meeting['token']}/")
        citizen_state = citizen.locator("#meeting")
        official_state = official.locator("#meeting")
        expect(citizen_state).to_have_attribute("data-state", "prejoin", timeout=STATE_TIMEOUT)
        expect(official_state).to_have_attribute("data-state", "prejoin", timeout=STATE_TIMEOUT)
        citizen.get_by_role("button", name="Pridruži se zdaj").click()
        expect(citizen_state).to_have_attribute("data-state", "waiting", timeout=STATE_TIMEOUT)
        expect(official_state).to_have_attribute("data-state", "waiting", timeout=STATE_TIMEOUT)
        official.evaluate(OFFICIAL_HOOK)
        citizen.evaluate(CITIZEN_HOOK)
        admit = official.locator("#admit")
        expect(admit).to_be_enabled()
        clicked = time.monotonic()
        admit.click()
        frame_at = citizen.evaluate(WAIT_FRAME, FRAME_TIMEOUT)
        seen = time.monotonic()
        if frame_at is None:
            return {"ok": False, "why": "no frame within the time limit"}
        expect(official_state).to_have_attribute("data-state", "call", timeout=STATE_TIMEOUT)
        official_marks = official.evaluate(
            """async () => {
              for (let i = 0; i < 150 && !window.benchMarks.frame; i += 1) {
                await new Promise((resolve) => setTimeout(resolve, 20));
              }
              return window.benchMarks;
            }"""
        )
        citizen_marks = citizen.evaluate("() => window.benchMarks")
        admit_at = official_marks.get("admit")
        if admit_at is None:
            return {"ok": False, "why": "the click on #admit was not seen"}
        official.locator("#end").click()
        official.locator("#end-confirm").click()
        expect(citizen_state).to_have_attribute("data-state", "ended", timeout=STATE_TIMEOUT)
        return {
            "ok": True,
            "frame_ms": frame_at - admit_at,
            "admitted_ms": citizen_marks["admitted"] - admit_at,
            "offer_ms": citizen_marks["offer"] - admit_at if citizen_marks.get("offer") else None,
            "connected_ms": (
                citizen_marks["connected"] - admit_at if citizen_marks.get("connected") else None
            ),
            "official_frame_ms": (
                official_marks["frame"] - admit_at if official_marks.get("frame") else None
            ),
            "outside_ms": (seen - clicked) * 1000,
        }
    finally:
        for page in (citizen, official):
            with contextlib.suppress(Exception):  # a page that is gone has no call left
                page.evaluate(HANG_UP)
        citizen_context.close()
        official_context.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def measure(origin: str, data: dict, runs: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("needs Debian's chromium on PATH (apt-get install chromium)")
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for index, meeting in enumerate(data["meetings"][:runs], start=1):
            result = one_run(browser, origin, meeting)
            results.append(result)
            if result["ok"]:
                official_frame = result["official_frame_ms"]
                print(
                    f"run {index:>3}: admit -> citizen: call view {result['admitted_ms']:6.1f},"
                    f" offer {optional(result['offer_ms'])},"
                    f" connected {optional(result['connected_ms'])},"
                    f" first frame {result['frame_ms']:6.1f} ms;"
                    f" official's first frame {optional(official_frame)} ms;"
                    f" test side {result['outside_ms']:6.1f} ms",
                    flush=True,
                )
            else:
                print(f"run {index:>3}: FAILED: {result['why']}", flush=True)
        browser.close()
    return results


def optional(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.1f}"


def summary_line(name: str, values: list[float]) -> str:
    values = sorted(values)
    return (
        f"{name:<38} {values[0]:>7.1f} {statistics.median(values):>7.1f} "
        f"{percentile(values, 0.9):>7.1f} {values[-1]:>7.1f}"
    )


def report(results: list[dict], target_ms: float) -> bool:
    good = [result for result in results if result["ok"]]
    print(
        f"\nAdmit -> first video frame, {len(good)} of {len(results)} runs connected "
        f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
    )
    if not good:
        print("no run connected -> MISSED")
        return False
    print(f"{'ms':<38} {'min':>7} {'median':>7} {'p90':>7} {'max':>7}")
    print(summary_line("admit -> citizen's call view", [r["admitted_ms"] for r in good]))
    for key, name in (("offer_ms", "offer at the citizen"), ("connected_ms", "citizen connected")):
        values = [r[key] for r in good if r[key] is not None]
        if values:
            print(summary_line(f"admit -> {name}", values))
    print(summary_line("admit -> citizen's first frame", [r["frame_ms"] for r in good]))
    official = [r["official_frame_ms"] for r in good if r["official_frame_ms"] is not None]
    if official:
        print(summary_line("admit -> official's first frame", official))
    print(summary_line("test side: click -> citizen's frame", [r["outside_ms"] for r in good]))
    median = statistics.median(r["frame_ms"] for r in good)
    met = median < target_ms and len(good) == len(results)
    print(
        f"median admit -> citizen's first frame: {median:.1f} ms (target < {target_ms:g} ms)"
        f"{'' if len(good) == len(results) else f'; {len(results) - len(good)} run(s) failed'}"
        f" -> {'met' if met else 'MISSED'}"
    )
    return met


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="okence-bench-admit-"))
    server = None
    try:
        env = test_environment(folder)
        manage(env, "migrate", "--noinput")
        setup = SETUP.replace("RUNS", str(args.runs))
        data = json.loads(manage(env, "shell", "-c", setup).strip().splitlines()[-1])
        server = Server(env, folder)
        server.wait_until_it_answers()
        results = measure(server.origin, data, args.runs)
        ok = report(results, args.target_ms)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
