"""Benchmark: another meeting's socket handshake while a decompression bomb is being checked.

One uvicorn process serves ``okence.asgi:application`` (``python -m uvicorn``), SQLite and
``OKENCE_VAR_DIR`` in a temporary folder, no virus scanner. Two meetings are in progress, each with
its own official and folder (made with ``manage.py shell -c``). The citizen of meeting A uploads
the bomb: an office document (DOCX: ``[Content_Types].xml``, ``word/document.xml``) with one more
member of zeros that deflates ~1000:1, so ``--bomb-mib`` MiB on the wire unpack to about as many
GiB, all of which the checks read (``zipfile.testzip``) before the file is refused or let in.

While that upload is being checked (its body sent, its answer not yet there), the citizen of
meeting B opens their meeting socket (``/ws/sestanek/<token>/``) again and again, one after the
other: the time from connect to the server's first message (the handshake plus the hello, which
needs the database) is measured, and so is the time of one page load of B's folder page
(``GET /en/sestanek/<token>/mapa/``). Before: the same with no upload under way ("idle").

In one run, on two servers one after the other: the code of ``--before`` (a commit, by default
the one this branch started from; its tree is exported with ``git archive`` to the temporary
folder and served from there with ``uvicorn --app-dir``), then this working tree. Targets (for
this tree only): the upload is answered without a server error (let in or refused), and during
the check the p95 handshake is under 250 ms and no handshake or page takes more than 1 s; a
folder page answered with an error ends the run. Exits 1 when missed.

    .venv/bin/python bench/check_isolation.py
    .venv/bin/python bench/check_isolation.py --bomb-mib 4 --before 36eda31
"""

import argparse
import http.client
import io
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import support
from websockets.sync.client import connect

MiB = 1024 * 1024
BASE_COMMIT = "36eda31"  # where this branch started: checks on the shared database thread

CREATE_DATA = """
from okence.exchange.services import create_folder
from okence.meetings import services as meetings

unit = Unit.objects.create(name="Upravna enota Bench", slug="bench")
service = Service.objects.create(unit=unit, name="Splošne informacije", slug="splosne")
now = timezone.now()
start = now.replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
tokens = []
for number in range(2):
    official = make_official(unit, service, f"official{number}", first_name=f"Official {number}")
    token = new_token()
    meeting = appointment(
        official, service, start, token, status=Status.IN_MEETING,
        name=f"Citizen {number}", email=f"citizen{number}@example.si",
    )
    meeting.save()
    room = meetings.room_of(meeting)
    room.admitted_at = start
    room.save(update_fields=["admitted_at"])
    create_folder(meeting, official, now)
    tokens.append(token)
answer({"tokens": tokens})
"""

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    "</Types>"
)


def bomb(path: Path, mib: int) -> int:
    """A DOCX of about ``mib`` MiB whose last member unpacks to about ``mib`` GiB of zeros."""
    zeros = bytes(MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/image1.bin", "w", force_zip64=True) as member:
            for _ in range(mib * 1030):
                member.write(zeros)
    return sum(info.file_size for info in zipfile.ZipFile(path).infolist())


def export(commit: str, target: Path) -> Path:
    """The tree of ``commit`` in ``target`` (git archive)."""
    archive = subprocess.run(
        ["git", "-C", str(support.ROOT), "archive", commit],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


class Okence:
    """A throwaway Okence from ``tree`` (this working tree, or an exported one) on SQLite."""

    def __init__(self, tree: Path, folder: Path, label: str):
        self.tree, self.folder, self.label = tree, folder, label
        folder.mkdir()
        self.env = support.environment(folder, LOG_LEVEL="WARNING")
        self.manage("migrate", "--no-input", "-v", "0")
        output = self.manage("shell", "-c", support.SHELL_PRELUDE + CREATE_DATA)
        line = next(line for line in output.splitlines() if line.startswith("BENCH-DATA "))
        self.tokens = __import__("json").loads(line.removeprefix("BENCH-DATA "))["tokens"]

    def manage(self, *arguments: str) -> str:
        return support.run_checked(
            [sys.executable, str(self.tree / "manage.py"), *arguments], self.env, arguments[0]
        )

    def command(self, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "okence.asgi:application",
            "--app-dir",
            str(self.tree),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ]


def handshake(port: int, token: str) -> float:
    """Seconds from connect to the first message of a citizen's meeting socket."""
    started = time.perf_counter()
    with connect(
        f"ws://127.0.0.1:{port}/ws/sestanek/{token}/",
        origin=f"http://127.0.0.1:{port}",
        open_timeout=120,
    ) as socket:
        socket.recv(timeout=120)
    return time.perf_counter() - started


def page(port: int, token: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", f"/en/sestanek/{token}/mapa/")
    answer = connection.getresponse()
    answer.read()
    connection.close()
    if answer.status != 200:
        sys.exit(f"the folder page answered {answer.status}")
    return time.perf_counter() - started


def upload(port: int, token: str, path: Path, result: dict, sent: threading.Event) -> None:
    data = path.read_bytes()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request(
        "PUT",
        f"/en/sestanek/{token}/mapa/nalozi/?name={quote('bomba.docx')}",
        body=data,
        headers={"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/octet-stream"},
    )
    sent.set()
    started = time.perf_counter()
    answer = connection.getresponse()
    result["status"], result["body"] = answer.status, answer.read()[:200]
    result["check_seconds"] = time.perf_counter() - started
    connection.close()


def measure(okence: Okence, bomb_path: Path, idle_samples: int) -> dict:
    with support.Server(okence.env, okence.folder, okence.command, name=okence.label) as server:
        server.wait_until_it_answers(120)
        a, b = okence.tokens
        handshake(server.port, b)  # the first socket's imports done
        page(server.port, b)
        idle = sorted(handshake(server.port, b) for _ in range(idle_samples))
        idle_page = page(server.port, b)
        result, sent = {}, threading.Event()
        sender = threading.Thread(
            target=upload, args=(server.port, a, bomb_path, result, sent), daemon=True
        )
        sender.start()
        sent.wait(300)
        body_sent = time.perf_counter()
        busy, pages, slowest = [], [], []  # slowest: (seconds, what, when after the body)
        while sender.is_alive():
            started = time.perf_counter() - body_sent
            busy.append(handshake(server.port, b))
            slowest.append((busy[-1], "socket", started))
            if sender.is_alive():
                started = time.perf_counter() - body_sent
                pages.append(page(server.port, b))
                slowest.append((pages[-1], "page", started))
        sender.join()
    return {
        "label": okence.label,
        "idle": idle,
        "idle_page": idle_page,
        "busy": sorted(busy),
        "pages": sorted(pages),
        "slowest": sorted(slowest, reverse=True)[:3],
        **result,
    }


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34} {'-':>5}"
    ms = [value * 1000 for value in values]
    return (
        f"{name:<34} {len(ms):>5} {ms[0]:>8.1f} {support.percentile(ms, 0.5):>8.1f} "
        f"{support.percentile(ms, 0.95):>8.1f} {ms[-1]:>9.1f}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bomb-mib", type=int, default=2, help="size on the wire, MiB (2)")
    parser.add_argument("--before", default=BASE_COMMIT, help=f"old commit ({BASE_COMMIT})")
    parser.add_argument("--idle-samples", type=int, default=20, help="idle handshakes (20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    with support.temporary_folder("okence-bench-isolation-", keep=args.keep) as folder:
        bomb_path = folder / "bomba.docx"
        unpacked = bomb(bomb_path, args.bomb_mib)
        print(
            f"bomb: {bomb_path.stat().st_size / MiB:.1f} MiB, unpacks to "
            f"{unpacked / 2**30:.1f} GiB",
            flush=True,
        )
        servers = [
            Okence(export(args.before, folder / "before-tree"), folder / "before", "before"),
            Okence(support.ROOT, folder / "after", "after"),
        ]
        results = []
        for okence in servers:
            print(f"measuring {okence.label} ...", flush=True)
            results.append(measure(okence, bomb_path, args.idle_samples))

    print(
        f"\nAnother meeting while a {args.bomb_mib} MiB bomb ({unpacked / 2**30:.1f} GiB unpacked) "
        "is checked — one uvicorn worker, SQLite; ms"
    )
    print(f"{'':<34} {'n':>5} {'min':>8} {'p50':>8} {'p95':>8} {'max':>9}")
    for r in results:
        print(f"{r['label']}: upload answered {r['status']} after {r['check_seconds']:.1f} s")
        print(row("  socket handshake, idle", r["idle"]))
        print(row("  socket handshake, during check", r["busy"]))
        print(row("  folder page, idle", [r["idle_page"]]))
        print(row("  folder page, during check", r["pages"]))
        slowest = ", ".join(
            f"{kind} {seconds * 1000:.0f} ms at {when:.2f} s"
            for seconds, kind, when in r["slowest"]
        )
        print(f"  slowest during the check (and when, after the body was sent): {slowest}")

    after = results[-1]
    # The bomb may be let in (201) or refused (4xx, with the reason); a server error is a
    # failed request, and a failure of the run.
    answered = after["status"] < 500
    met = (
        answered
        and bool(after["busy"])
        and support.percentile(after["busy"], 0.95) < 0.25
        and max(after["busy"] + after["pages"]) < 1.0
    )
    print(
        "\nafter: the upload answered without a server error, p95 handshake during the check "
        f"< 250 ms and none (nor a page) over 1 s -> {'met' if met else 'MISSED'}"
    )
    print(f"load = {__import__('os').getloadavg()[0]:.2f} (1-minute average)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
