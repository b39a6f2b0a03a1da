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
Exits 1 when the target is missed, a request leaves the origin, or any request fails or is
answered with an error (4xx/5xx): the bytes of an error page are not the page, so a broken
page must never pass for a light one.

    .venv/bin/python bench/waiting_room_bytes.py
    .venv/bin/python bench/waiting_room_bytes.py --target-kb 100 --keep   # keep the temp dir
"""

import argparse
import collections
import secrets
import sys
from urllib.parse import urlsplit

import support

JITSI_JS_REFERENCE = 3 * 1024 * 1024  # "over 3 MB of JavaScript" (the issue); not measured

# Run by ``manage.py shell -c`` in the server's environment (after support.SHELL_PRELUDE): one
# unit, service and official, and an appointment whose meeting is open now. Answers its token.
SETUP = """
unit = Unit.objects.create(name="Upravna enota Domžale", slug="domzale")
service = Service.objects.create(
    unit=unit, name="Pridobivanje splošnih informacij", slug="splosne-informacije"
)
official = make_official(unit, service, "ana", first_name="Ana", last_name="Novak")
start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=3)
token = new_token()
appointment(
    official, service, start, token, name="Rajko Lah", email="rajko.lah@example.si"
).save()
answer({"token": token})
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target-kb", type=float, default=100.0, help="over the wire (100 KB)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


def visit(origin: str, token: str) -> dict:
    """Open the link, join, wait in the waiting room; what was requested and received."""
    from playwright.sync_api import expect

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

    with support.chromium() as browser:
        context = support.new_context(browser)
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
    whole = not errors and not result["failed"]
    met = whole and total_wire <= target_kb * 1024
    print(
        f"over the wire: {kb(total_wire)} KB (target <= {target_kb:g} KB) ->"
        f" {'met' if met else 'MISSED'}; uncompressed: {kb(total_body)} KB"
        + ("" if whole else " (FAILED: requests failed or were answered with an error)")
    )
    return met and not foreign


def main(argv=None) -> int:
    args = parse_args(argv)
    with support.temporary_folder("okence-bench-bytes-", keep=args.keep) as folder:
        env = support.environment(
            folder,
            "production",
            SECRET_KEY=secrets.token_urlsafe(40),
            SMTP_URL="smtp://127.0.0.1:1",  # never used: nothing is sent in this run
        )
        support.manage(env, "migrate", "--noinput")
        support.manage(env, "collectstatic", "--noinput")
        compressed = len(list((folder / "static").rglob("*.gz")))
        brotli = len(list((folder / "static").rglob("*.br")))
        print(f"collectstatic: {compressed} .gz and {brotli} .br files in {folder / 'static'}")
        token = support.shell(env, SETUP)["token"]
        with support.Server(
            env, folder, support.serve_command, log_name="serve.log", name="the server"
        ) as server:
            server.wait_until_it_answers()
            result = visit(server.origin, token)
            ok = report(result, server.origin, args.target_kb)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
