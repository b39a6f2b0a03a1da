"""Benchmark: the bytes a citizen downloads from opening the meeting link to the waiting room.

Okence is served as in production: ``OKENCE_PROFILE=production`` after ``collectstatic``, so
WhiteNoise serves the hashed, pre-compressed static files (``.gz``; ``.br`` too when the brotli
package is installed) with far-future caching. ``manage.py serve --no-worker`` runs on a throwaway
SQLite database in a temporary ``OKENCE_VAR_DIR``; SMTP points at a closed port and is never used.

Debian's Chromium (Playwright, fake camera and microphone, a fresh context: empty cache) opens the
citizen's meeting link, clicks "Pridruži se zdaj" and waits until the page shows the waiting room
and the network is quiet. Every response is recorded: bytes over the wire (response headers plus
the body as transferred, i.e. compressed when it was) and the body uncompressed, per resource type;
the WebSocket's messages are counted by their payload. Every request must go to the page's own
origin (no third party: no CDN, fonts, analytics).

Target: at most 100 KB (102,400 bytes) over the wire, everything included. Jitsi Meet's web client
is given for comparison as a reference figure (over 3 MB of JavaScript alone), not measured here.
Exits 1 when the target is missed or a request leaves the origin.

    .venv/bin/python bench/waiting_room_bytes.py
    .venv/bin/python bench/waiting_room_bytes.py --target-kb 100 --keep   # keep the temp dir
"""

import argparse
import collections
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
JITSI_JS_REFERENCE = 3 * 1024 * 1024  # "over 3 MB of JavaScript" (the issue); not measured
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

# Run by ``manage.py shell -c`` in the server's environment: one unit, service and official, and
# an appointment whose meeting is open now. Prints the meeting token as JSON.
SETUP = """
import datetime, json
from django.contrib.auth import get_user_model
from django.utils import timezone
from okence.booking.models import Appointment, Status
from okence.offices.models import Official, Service, Unit
from okence.tokens import hash_token, new_token

unit = Unit.objects.create(name="Upravna enota Domžale", slug="domzale")
service = Service.objects.create(
    unit=unit, name="Pridobivanje splošnih informacij", slug="splosne-informacije"
)
user = get_user_model().objects.create_user(
    "ana", "ana@example.si", None, first_name="Ana", last_name="Novak", is_staff=True
)
official = Official.objects.create(user=user)
official.units.add(unit)
official.services.add(service)
now = timezone.now()
start = now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=3)
token = new_token()
Appointment.objects.create(
    unit=unit, service=service, official=official, status=Status.CONFIRMED,
    start=start, end=start + datetime.timedelta(minutes=30),
    name="Rajko Lah", email="rajko.lah@example.si", phone="041 123 456",
    hold_token_hash=hash_token(new_token()), meeting_token_hash=hash_token(token),
    created_at=now, confirmed_at=now,
)
print(json.dumps({"token": token}))
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target-kb", type=float, default=100.0, help="over the wire (100 KB)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_environment(folder: Path) -> dict:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("OKENCE_", "DJANGO_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "SITE_URL", "DEBUG", "STUN_URLS", "TURN_URLS"):
        keep.pop(name, None)
    return keep | {
        "OKENCE_PROFILE": "production",
        "OKENCE_VAR_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "SMTP_URL": "smtp://127.0.0.1:1",  # never used: nothing is sent in this run
        "ALLOWED_HOSTS": "127.0.0.1",
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


def visit(origin: str, token: str) -> dict:
    """Open the link, join, wait in the waiting room; what was requested and received."""
    from playwright.sync_api import expect, sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("needs Debian's chromium on PATH (apt-get install chromium)")
    requests, responses, failed = [], [], []
    socket_bytes = {"received": 0, "sent": 0, "messages": 0, "urls": []}

    def on_websocket(websocket):
        socket_bytes["urls"].append(websocket.url)

        def count(direction):
            def counted(payload):
                size = len(payload.encode() if isinstance(payload, str) else payload)
                socket_bytes[direction] += size
                socket_bytes["messages"] += 1

            return counted

        websocket.on("framereceived", count("received"))
        websocket.on("framesent", count("sent"))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="sl-SI", timezone_id="Europe/Ljubljana", permissions=["camera", "microphone"]
        )
        page = context.new_page()
        # Plain functions: Playwright cannot wrap a built-in method such as list.append.
        page.on("request", lambda request: requests.append(request))
        page.on("requestfailed", lambda request: failed.append(request))
        page.on("response", lambda response: responses.append(response))
        page.on("websocket", on_websocket)
        page.goto(f"{origin}/sestanek/{token}/")
        meeting = page.locator("#meeting")
        expect(meeting).to_have_attribute("data-state", "prejoin", timeout=15_000)
        page.get_by_role("button", name="Pridruži se zdaj").click()
        expect(meeting).to_have_attribute("data-state", "waiting", timeout=15_000)
        page.wait_for_load_state("networkidle")
        expect(page.locator("h2", has_text="Čakalnica")).to_be_visible()
        page.wait_for_timeout(500)  # anything late (a favicon) is counted too
        rows = []
        for response in responses:
            request = response.request
            sizes = request.sizes()
            try:
                body = len(response.body())
            except Exception:  # noqa: BLE001 (a redirect has no body)
                body = 0
            headers = response.all_headers()
            rows.append(
                {
                    "url": response.url,
                    "type": request.resource_type,
                    "status": response.status,
                    "encoding": headers.get("content-encoding", ""),
                    "cache": headers.get("cache-control", ""),
                    "wire_body": sizes["responseBodySize"],
                    "wire_headers": sizes["responseHeadersSize"],
                    "body": body,
                    "sent": sizes["requestHeadersSize"] + max(0, sizes["requestBodySize"]),
                }
            )
        page.close()
        context.close()
        browser.close()
    return {
        "responses": rows,
        "requests": [request.url for request in requests],
        "failed": [f"{request.url} ({request.failure})" for request in failed],
        "websocket": socket_bytes,
    }


def kb(size: float) -> str:
    return f"{size / 1024:,.1f}"


def report(result: dict, origin: str, target_kb: float) -> bool:
    rows = result["responses"]
    by_type = collections.defaultdict(lambda: {"count": 0, "wire": 0, "body": 0})
    print(f"\nThe citizen's way to the waiting room, {origin} (production profile, empty cache)")
    print(f"{'status':>6} {'type':<11} {'encoding':<8} {'wire B':>8} {'body B':>8}  path")
    for row in rows:
        wire = row["wire_headers"] + row["wire_body"]
        group = by_type[row["type"]]
        group["count"] += 1
        group["wire"] += wire
        group["body"] += row["body"]
        path = urlsplit(row["url"]).path
        print(
            f"{row['status']:>6} {row['type']:<11} {row['encoding'] or '-':<8} {wire:>8,} "
            f"{row['body']:>8,}  {path}"
        )
    socket_bytes = result["websocket"]
    print(f"\n{'resource type':<14} {'count':>5} {'over the wire KB':>17} {'uncompressed KB':>16}")
    for kind, group in sorted(by_type.items(), key=lambda item: -item[1]["wire"]):
        print(f"{kind:<14} {group['count']:>5} {kb(group['wire']):>17} {kb(group['body']):>16}")
    http_wire = sum(group["wire"] for group in by_type.values())
    http_body = sum(group["body"] for group in by_type.values())
    ws = socket_bytes["received"] + socket_bytes["sent"]
    print(
        f"{'websocket':<14} {socket_bytes['messages']:>5} {kb(ws):>17} {kb(ws):>16}"
        "   (message payloads, both ways)"
    )
    total_wire = http_wire + ws
    total_body = http_body + ws
    print(f"{'total':<14} {len(rows):>5} {kb(total_wire):>17} {kb(total_body):>16}")
    sent = sum(row["sent"] for row in rows)
    print(f"request headers sent: {kb(sent)} KB (not counted in the totals)")
    script_body = by_type["script"]["body"]
    print(
        f"\nJavaScript: {kb(by_type['script']['wire'])} KB over the wire, {kb(script_body)} KB"
        f" uncompressed. Reference (not measured): Jitsi Meet's web client loads over"
        f" {JITSI_JS_REFERENCE / 1024 / 1024:g} MB of JavaScript, about"
        f" {JITSI_JS_REFERENCE / max(1, script_body):,.0f}x Okence's uncompressed JavaScript."
    )

    own = urlsplit(origin).netloc
    foreign = [
        url
        for url in result["requests"] + socket_bytes["urls"]
        if urlsplit(url).scheme not in {"data", "blob"} and urlsplit(url).netloc != own
    ]
    errors = [row for row in rows if row["status"] >= 400]
    print(
        f"requests: {len(result['requests'])}, all to {own}: {'yes' if not foreign else 'NO'}"
        + (f"; elsewhere: {foreign}" if foreign else "")
    )
    if errors:
        print("answered with an error: " + ", ".join(f"{r['status']} {r['url']}" for r in errors))
    if result["failed"]:
        print("failed requests: " + ", ".join(result["failed"]))
    met = total_wire <= target_kb * 1024
    print(
        f"over the wire: {kb(total_wire)} KB (target <= {target_kb:g} KB) ->"
        f" {'met' if met else 'MISSED'}; uncompressed: {kb(total_body)} KB"
    )
    return met and not foreign


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="okence-bench-bytes-"))
    server = None
    try:
        env = production_environment(folder)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        compressed = len(list((folder / "static").rglob("*.gz")))
        brotli = len(list((folder / "static").rglob("*.br")))
        print(f"collectstatic: {compressed} .gz and {brotli} .br files in {folder / 'static'}")
        token = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])["token"]
        server = Server(env, folder)
        server.wait_until_it_answers()
        result = visit(server.origin, token)
        ok = report(result, server.origin, args.target_kb)
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
