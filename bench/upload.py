"""Benchmark: a 1 GiB upload into a shared folder through one uvicorn worker: MiB/s and memory.

One uvicorn process serves ``okence.asgi:application`` as in production (``python -m uvicorn``:
uvloop and httptools), with ``OKENCE_PROFILE=test`` and ``OKENCE_VAR_DIR`` in a temporary folder,
so that the SQLite database, the exchange storage (``<var>/exchange``) and the upload's temporary
file (``FILE_UPLOAD_TEMP_DIR``) all live there; the limits are raised by the environment
(``EXCHANGE_MAX_FILE_MB`` and ``EXCHANGE_MAX_FOLDER_MB`` = 2048). No virus scanner (no
``CLAMD_ADDRESS``). The data, made with ``manage.py shell -c`` in that environment: a unit, a
service, an official, an appointment in the meeting with a known meeting token, and its folder
(``okence.exchange.services.create_folder``).

The file is a real PDF that passes the upload's checks (libmagic says application/pdf, pypdf
opens it and finds its page, and it carries no attachment): one page whose content stream
fills the size with random-ish bytes (one random MiB, numbered per MiB). The client makes it as
it sends it:
``http.client`` with a generator body and an explicit Content-Length (no chunked encoding), the
Origin of the server, as the citizen's folder page does, so the client never holds the file.

In one run:

1. Baseline: a 64 MiB upload. Then the 1 GiB upload.
   For each: wall time from the first byte sent to the answer (201) → MiB/s, also split into
   "body sent" (the last byte handed to the socket) and "after the body" (the server's checks and
   storing, until the answer). The server's resident memory (VmRSS of /proc/<pid>/status) is
   sampled every 50 ms: growth = max − the value just before the upload. Its peak (VmHWM, reset
   through /proc/<pid>/clear_refs before each upload) catches what falls between samples.
   The file's checks run in a worker process of the server (``okence/exchange/inspection.py``;
   one here, ``EXCHANGE_CHECK_WORKERS=1``, so that the same worker checks both uploads): the
   server's child processes are sampled and their peaks read the same way, their growth being
   the sum over them of the largest value minus their RSS before (a process started meanwhile
   counts whole).
   The stored file is then hashed and compared with the bytes sent.
2. The ceiling: the same 1 GiB written by this process to a file in the same folder
   (page cache, as the server writes, and then with fsync).
3. Where the time and memory go, step by step on that file, in a child process with the server's
   settings (``--profile``; it also runs whenever a target is missed).

Targets for the 1 GiB upload, judged against the disk of this run (the throughput depends on the
machine): at least --min-share (0.2) of the ceiling's page-cache write speed, and the server's
RSS growing by less than 50 MiB, and so its child processes' (--target-rss-mib). 150 MiB/s
is printed as a reference, not judged. Exits 1 when a target is missed. The temporary folder
(several GiB) is removed at the end.

    .venv/bin/python bench/upload.py
    .venv/bin/python bench/upload.py --size-mib 256 --profile
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import support

MiB = 1024 * 1024
SAMPLE_SECONDS = 0.05
SEED = 20261207


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="the measured upload (1024)")
    parser.add_argument("--baseline-mib", type=int, default=64, help="the upload before it (64)")
    parser.add_argument("--chunk-kib", type=int, default=1024, help="client send chunk (1024)")
    parser.add_argument(
        "--min-share", type=float, default=0.2, help="of the disk's page-cache speed (0.2)"
    )
    parser.add_argument(
        "--target-mibps", type=float, default=150.0, help="reference throughput (150)"
    )
    parser.add_argument("--target-rss-mib", type=float, default=50.0, help="RSS growth (< 50)")
    parser.add_argument(
        "--profile", action="store_true", help="profile the server's steps even when targets met"
    )
    parser.add_argument("--profile-runs", type=int, default=3, help="runs per profiled step (3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (debug)")
    return parser.parse_args(argv)


# --- the file: a valid PDF of an exact size, made in chunks -------------------------------------


class LargePdf:
    """A one-page PDF of exactly ``size`` bytes whose bulk is the page's content stream (an
    embedded file, as before, is refused by the upload's checks).

    The cross-reference table at the end gives every object's offset, so a reader goes from the
    trailer to the catalog and the page without scanning the stream.
    """

    HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    OBJECTS = [  # numbers 1, 2, 3; the stream is object 4, last
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
    ]
    STREAM_END = b"\nendstream\nendobj\n"

    def __init__(self, size: int, chunk: int = MiB):
        self.size = size
        self.chunk = chunk
        self.block = random.Random(SEED).randbytes(chunk)
        length = size
        for _ in range(5):  # the numbers' digits change the length: settle
            prefix = self._prefix(length)
            new_length = size - len(prefix[0]) - len(self._suffix(length, prefix))
            if new_length == length:
                break
            length = new_length
        if length <= 0:
            raise ValueError(f"{size} bytes is too small for the PDF")
        self.length = length
        self.head, self.offsets = self._prefix(length)
        self.tail = self._suffix(length, (self.head, self.offsets))
        assert len(self.head) + length + len(self.tail) == size

    def _prefix(self, length: int) -> tuple[bytes, list[int]]:
        parts, offsets, position = [self.HEADER], [], len(self.HEADER)
        for number, body in enumerate(self.OBJECTS, start=1):
            text = b"%d 0 obj\n%s\nendobj\n" % (number, body)
            offsets.append(position)
            parts.append(text)
            position += len(text)
        offsets.append(position)
        parts.append(b"4 0 obj\n<< /Length %d >>\nstream\n" % length)
        return b"".join(parts), offsets

    def _suffix(self, length: int, prefix: tuple[bytes, list[int]]) -> bytes:
        head, offsets = prefix
        xref_at = len(head) + length + len(self.STREAM_END)
        rows = b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        return (
            self.STREAM_END
            + b"xref\n0 5\n0000000000 65535 f \n"
            + rows
            + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
        )

    def chunks(self):
        yield self.head
        left, number = self.length, 0
        while left > 0:
            piece = number.to_bytes(8, "big") + self.block[8:]
            yield piece[:left] if left < len(piece) else piece
            left -= len(piece)
            number += 1
        yield self.tail

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()


def check_generator(folder: Path) -> None:
    """Once per run, on a small one: the same code makes a PDF that libmagic and pypdf accept."""
    import magic
    from pypdf import PdfReader

    path = folder / "check.pdf"
    with path.open("wb") as out:
        for chunk in LargePdf(3 * MiB + 12_345, chunk=MiB).chunks():
            out.write(chunk)
    assert path.stat().st_size == 3 * MiB + 12_345
    assert magic.from_file(str(path), mime=True) == "application/pdf"
    with path.open("rb") as source:
        reader = PdfReader(source, strict=True)
        assert len(reader.pages) == 1
        assert len(reader.pages[0]["/Contents"].get_object().get_data()) > 3 * MiB
        assert not reader.attachments
    path.unlink()


# --- the server ----------------------------------------------------------------------------------


CREATE_DATA = """
from okence.exchange.services import create_folder

unit = Unit.objects.create(name="Upravna enota Bench", slug="bench")
service = Service.objects.create(unit=unit, name="Splošne informacije", slug="splosne")
official = make_official(unit, service, "official", first_name="Official")
now = timezone.now()
first = now.replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
tokens = []
# One meeting in the meeting room, with its folder.
for number in range(1):
    start = first + number * datetime.timedelta(minutes=30)
    token = new_token()
    meeting = appointment(
        official, service, start, token, status=Status.IN_MEETING,
        name="Citizen Bench", email="citizen@example.si", phone="+386 1 000 0000",
    )
    meeting.save()
    create_folder(meeting, official, now)
    tokens.append(token)
answer({"tokens": tokens})
"""


def server_environment(folder: Path) -> dict:
    incoming = folder / "incoming"
    incoming.mkdir(exist_ok=True)
    return support.environment(
        folder,
        LOG_LEVEL="WARNING",
        EXCHANGE_MAX_FILE_MB="2048",
        EXCHANGE_MAX_FOLDER_MB="2048",
        FILE_UPLOAD_TEMP_DIR=str(incoming),
        EXCHANGE_CHECK_WORKERS="1",  # the same worker checks both uploads: its growth is read
    )


def workers_growth(now: dict, before: dict, key: str) -> float:
    """How much the server's child processes grew (``key``: VmRSS, or the peak VmHWM) over their
    RSS before, MiB; a process started meanwhile counts whole."""
    return sum(
        values.get(key, 0) - before.get(pid, {}).get("VmRSS", 0) for pid, values in now.items()
    )


class RssSampler(threading.Thread):
    """The server's VmRSS every 50 ms, with the time it was read, and the largest growth of its
    child processes (the file checks' worker, where the PDF is read)."""

    def __init__(self, server: support.Server, workers_before: dict[int, dict[str, float]]):
        super().__init__(daemon=True)
        self.server = server
        self.workers_before = workers_before
        self.samples: list[tuple[float, float]] = []
        self.workers_growth = 0.0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append((time.perf_counter(), self.server.rss_mib()))
            self.workers_growth = max(
                self.workers_growth,
                workers_growth(self.server.descendants_memory_mib(), self.workers_before, "VmRSS"),
            )
            self.stopping.wait(SAMPLE_SECONDS)

    def stop(self) -> list[tuple[float, float]]:
        self.stopping.set()
        self.join()
        return self.samples


# --- one upload ------------------------------------------------------------------------------


def upload(server: support.Server, token: str, pdf: LargePdf, name: str) -> dict:
    """PUT the PDF as the citizen's folder page does; timings and the server's memory."""
    os.sync()  # start with no dirty pages of an earlier step being written back
    time.sleep(0.5)
    peak_reset = server.reset_peak()
    server.reset_descendants_peak()
    before = server.memory_mib()
    workers_before = server.descendants_memory_mib()
    marks = {}

    def body():
        yield from pdf.chunks()
        marks["sent"] = time.perf_counter()  # the last chunk was handed to the socket

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=900)
    sampler = RssSampler(server, workers_before)
    sampler.start()
    started = time.perf_counter()
    connection.request(
        "PUT",
        f"/sestanek/{token}/mapa/nalozi/?name={quote(name)}",
        body=body(),
        headers={
            "Content-Length": str(pdf.size),
            "Content-Type": "application/pdf",
            "Origin": server.origin,
            "Accept": "application/json",
        },
    )
    response = connection.getresponse()
    answer = response.read()
    done = time.perf_counter()
    samples = sampler.stop()
    after = server.memory_mib()
    workers_after = server.descendants_memory_mib()
    connection.close()
    time.sleep(1)
    settled = server.memory_mib()["VmRSS"]
    if response.status != 201:
        sys.exit(f"the upload of {name} was answered {response.status}: {answer[:500]!r}")
    peak_sample = max(samples, key=lambda sample: sample[1])
    seconds = done - started
    return {
        "name": name,
        "mib": pdf.size / MiB,
        "seconds": seconds,
        "mibps": pdf.size / MiB / seconds,
        "send_seconds": marks["sent"] - started,
        "after_body_seconds": done - marks["sent"],
        "rss_before": before["VmRSS"],
        "rss_max": peak_sample[1],
        "rss_growth": peak_sample[1] - before["VmRSS"],
        "rss_max_at": "after the body" if peak_sample[0] > marks["sent"] else "during the body",
        "hwm_growth": (after["VmHWM"] - before["VmRSS"]) if peak_reset else None,
        "rss_after": settled,
        "workers": len(workers_after),
        "workers_growth": max(
            sampler.workers_growth, workers_growth(workers_after, workers_before, "VmHWM")
        ),
        "samples": len(samples),
        "file": json.loads(answer)["file"],
    }


def stored_file(folder: Path, size: int, verified: set[Path]) -> Path:
    """The one new file of this size in the exchange storage (added to ``verified``)."""
    found = [
        Path(root, name)
        for root, _, names in os.walk(folder / "exchange")
        for name in names
        if Path(root, name).stat().st_size == size and Path(root, name) not in verified
    ]
    if len(found) != 1:
        sys.exit(f"expected one new stored file of {size} bytes, found {found}")
    verified.add(found[0])
    return found[0]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def disk_ceiling(pdf: LargePdf, path: Path, runs: int = 3) -> dict:
    """The same bytes written by this process to a file there: to the page cache, and until
    fsync returns. The median of ``runs`` (the last file stays, for the profile)."""
    writes, synced = [], []
    for _ in range(runs):
        path.unlink(missing_ok=True)
        os.sync()
        time.sleep(0.5)
        started = time.perf_counter()
        with path.open("wb") as out:
            for chunk in pdf.chunks():
                out.write(chunk)
            out.flush()
            writes.append(time.perf_counter() - started)
            os.fsync(out.fileno())
        synced.append(time.perf_counter() - started)
    write, sync = sorted(writes)[runs // 2], sorted(synced)[runs // 2]
    return {
        "runs": runs,
        "write_seconds": write,
        "write_mibps": pdf.size / MiB / write,
        "fsync_seconds": sync,
        "fsync_mibps": pdf.size / MiB / sync,
    }


# --- where the time goes: the server's steps one by one (a child in the server's env) ---------

PROFILE_STEPS = r"""
import hashlib, json, os, sys, tempfile, time
from pathlib import Path

import magic
from django.conf import settings
from django.core.files import File
from pypdf import PdfReader

from okence.exchange import checks, pdf_checks, services

path, chunk_size, runs = sys.argv[-3], int(sys.argv[-2]), int(sys.argv[-1])
size = os.path.getsize(path)
MiB = 1024 * 1024


def memory():
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) / 1024
    return values


results = []


def step(label, action):
    times, peaks = [], []
    for _ in range(runs):
        os.sync()  # no dirty pages of the step before being written back meanwhile
        Path("/proc/self/clear_refs").write_text("5")
        before = memory()["VmRSS"]
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
        peaks.append(memory()["VmHWM"] - before)
    times.sort()
    results.append({"step": label, "min": times[0], "median": times[len(times) // 2],
                    "mibps": size / MiB / times[len(times) // 2], "peak_growth": max(peaks)})


block = os.urandom(chunk_size)
count = size // chunk_size


def sha_only():
    digest = hashlib.sha256()
    for _ in range(count):
        digest.update(block)


def receive_like():
    # What upload.receive_body does per ASGI message: write the chunk, hash it.
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as target:
        for _ in range(count):
            target.write(block)
            digest.update(block)
        target.flush()


def pypdf_by_path():
    assert len(PdfReader(path, strict=False).pages) == 1  # reads the file into a BytesIO


def pypdf_by_file():
    with open(path, "rb") as source:
        assert len(PdfReader(source, strict=False).pages) == 1


stored = []


def storage_save():
    with open(path, "rb") as content:
        stored.append(services.storage().save("profile/copy", File(content)))


def hard_link():
    name = f"profile/link-{len(stored)}"
    target = Path(services.storage().path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(path, target)
    stored.append(name)


step("sha256 alone (in memory, %d KiB chunks)" % (chunk_size // 1024), sha_only)
step("receive loop: write + sha256 (%d KiB chunks)" % (chunk_size // 1024), receive_like)
step("libmagic: magic.from_file", lambda: magic.from_file(path, mime=True))
step("checks.verify (libmagic + the PDF's checks)", lambda: checks.verify(path, "x.pdf"))
step("pdf_checks.check_pdf (pypdf by an open file, all checks)", lambda: pdf_checks.check_pdf(path))
step("pypdf by path (reads the file whole)", pypdf_by_path)
step("pypdf by an open file, the pages only", pypdf_by_file)
step("storage().save(File(...)): a copy", storage_save)
step("os.link into the storage (= the move add_file does)", hard_link)
for name in stored:
    services.storage().delete(name)
print("BENCH-PROFILE " + json.dumps(results))
"""


def profile_steps(env: dict, path: Path, chunk: int, runs: int) -> list[dict]:
    script = path.parent / "profile_steps.py"
    script.write_text(PROFILE_STEPS)
    command = [
        sys.executable,
        "-c",
        "import django, runpy, sys; django.setup(); "
        f"runpy.run_path({str(script)!r}, run_name='__main__')",
        str(path),
        str(chunk),
        str(runs),
    ]
    output = support.run_checked(command, env | {"PYTHONPATH": str(support.ROOT)}, "the profile")
    for line in output.splitlines():
        if line.startswith("BENCH-PROFILE "):
            return json.loads(line.removeprefix("BENCH-PROFILE "))
    sys.exit(f"the profile printed no BENCH-PROFILE line:\n{output}")


# --- output ----------------------------------------------------------------------------------


def verdict(result: dict, ceiling: dict, args) -> dict[str, bool]:
    """The throughput against the disk's own write speed, measured in the same run."""
    return {
        "throughput": result["mibps"] >= args.min_share * ceiling["write_mibps"],
        "memory": growth_of(result) < args.target_rss_mib,
        "workers": result["workers_growth"] < args.target_rss_mib,
    }


def growth_of(result: dict) -> float:
    """The larger of the sampled RSS growth and the peak (VmHWM) growth, MiB."""
    return max(result["rss_growth"], result["hwm_growth"] or 0)


def print_report(results: list[dict], ceiling: dict, args) -> None:
    print(
        "\nUpload into a shared folder — one uvicorn worker, SQLite, local FileSystemStorage, "
        "as the citizen (PUT, streamed)"
    )
    print(
        f"{'upload':<10} {'MiB':>6} {'wall s':>7} {'MiB/s':>7} {'body s':>7} {'after s':>8} "
        f"{'RSS before':>10} {'RSS max':>8} {'growth':>7} {'peak (HWM)':>10} {'RSS 1 s on':>10}"
        "  max seen"
    )
    for r in results:
        hwm = f"{r['hwm_growth']:>10.1f}" if r["hwm_growth"] is not None else f"{'n/a':>10}"
        print(
            f"{r['label']:<10} {r['mib']:>6.0f} {r['seconds']:>7.2f} {r['mibps']:>7.1f} "
            f"{r['send_seconds']:>7.2f} {r['after_body_seconds']:>8.2f} {r['rss_before']:>10.1f} "
            f"{r['rss_max']:>8.1f} {r['rss_growth']:>7.1f} {hwm} {r['rss_after']:>10.1f}"
            f"  {r['rss_max_at']}"
        )
    print(
        "(MiB/s over the whole PUT, first byte to the 201; body s: until the last byte was "
        "handed to the socket; after s: the server's checks and storing, until the answer; "
        f"RSS in MiB, sampled every {SAMPLE_SECONDS * 1000:.0f} ms; peak: VmHWM − RSS before; "
        "RSS 1 s on: a second after the answer)"
    )
    print(
        f"ceiling, the same {args.size_mib} MiB written by the client to a file there (median of "
        f"{ceiling['runs']}): "
        f"{ceiling['write_mibps']:.0f} MiB/s to the page cache ({ceiling['write_seconds']:.2f} s), "
        f"{ceiling['fsync_mibps']:.0f} MiB/s with fsync ({ceiling['fsync_seconds']:.2f} s)"
    )
    big = next(r for r in results if r["label"] == "measured")
    ok = verdict(big, ceiling, args)
    mark = {True: "met", False: "MISSED"}
    print(
        f"\n{args.size_mib} MiB upload: {big['mibps']:.1f} MiB/s = "
        f"{big['mibps'] / ceiling['write_mibps']:.2f} of the page-cache ceiling (target ≥ "
        f"{args.min_share:g}) -> {mark[ok['throughput']]}; reference {args.target_mibps:g} MiB/s"
        f" ({'reached' if big['mibps'] >= args.target_mibps else 'not reached'}, not judged)"
        f"\nserver RSS growth {growth_of(big):.1f} MiB (larger of sampled and peak; target < "
        f"{args.target_rss_mib:g}) -> {mark[ok['memory']]}"
        f"\nits {big['workers']} child process(es) (the checks' worker and its fork server) "
        f"grew by {big['workers_growth']:.1f} MiB (larger of sampled and peak; target < "
        f"{args.target_rss_mib:g}) -> {mark[ok['workers']]}"
        f"\nload = {os.getloadavg()[0]:.2f} (1-minute average; {os.cpu_count()} CPUs, shared with "
        "this benchmark's own client)"
    )


def print_profile(steps: list[dict], args) -> None:
    print(
        f"\nWhere the time goes: the server's steps, one by one, on the {args.size_mib} MiB PDF "
        f"(a child process with the server's settings; {args.profile_runs} runs each, MiB/s of "
        "the median; peak = largest VmHWM growth during the step)"
    )
    print(f"{'step':<48} {'min s':>7} {'median s':>8} {'MiB/s':>8} {'peak MiB':>9}")
    for s in steps:
        print(
            f"{s['step']:<48} {s['min']:>7.2f} {s['median']:>8.2f} {s['mibps']:>8.0f} "
            f"{s['peak_growth']:>9.1f}"
        )


def measure(server: support.Server, token: str, folder: Path, label: str, mib: int, args) -> dict:
    """One upload, then checks that it was stored whole and left no temporary file behind."""
    pdf = LargePdf(mib * MiB, args.chunk_kib * 1024)
    try:
        result = upload(server, token, pdf, f"bench-{mib}.pdf")
    except Exception:
        print(f"--- uvicorn log (tail):\n{server.log_tail()}", file=sys.stderr)
        raise
    result["label"] = label
    if result["file"]["size"] != pdf.size:
        sys.exit(f"the server stored {result['file']['size']} bytes, not {pdf.size}")
    if sha256_of(stored_file(folder, pdf.size, args.verified)) != pdf.sha256():
        sys.exit(f"the stored {mib} MiB file differs from the bytes sent")
    left = list((folder / "incoming").iterdir())
    if left:
        sys.exit(f"the upload left temporary files behind: {left}")
    print(f"  {label}: {mib} MiB in {result['seconds']:.2f} s, stored, same sha256", flush=True)
    return result


def serve(env: dict, folder: Path) -> support.Server:
    server = support.Server(env, folder)
    server.wait_until_it_answers()
    time.sleep(1)  # the first request's imports done, before any "before" RSS
    print(f"uvicorn pid {server.pid} on port {server.port}", flush=True)
    return server


def main(argv=None) -> int:
    args = parse_args(argv)
    args.verified = set()
    with support.temporary_folder("okence-bench-upload-", keep=args.keep) as folder:
        print(
            f"temp folder {folder}; uploads of {args.baseline_mib} and {args.size_mib} MiB, "
            f"sent in {args.chunk_kib} KiB chunks",
            flush=True,
        )
        server, ok = None, {}
        try:
            check_generator(folder)
            env = server_environment(folder)
            support.manage(env, "migrate", "--no-input", "-v", "0")
            tokens = support.shell(env, CREATE_DATA)["tokens"]
            server = serve(env, folder)
            results = [
                measure(server, tokens[0], folder, "baseline", args.baseline_mib, args),
                measure(server, tokens[0], folder, "measured", args.size_mib, args),
            ]
            server.stop()  # what follows has the machine to itself
            ceiling_path = folder / "ceiling.pdf"
            ceiling = disk_ceiling(
                LargePdf(args.size_mib * MiB, args.chunk_kib * 1024), ceiling_path
            )
            ok = verdict(results[-1], ceiling, args)
            missed = not all(ok.values())
            print_report(results, ceiling, args)
            if missed or args.profile:
                steps = profile_steps(env, ceiling_path, 64 * 1024, args.profile_runs)
                print_profile(steps, args)
        finally:
            if server is not None:
                server.stop()
    return 0 if ok and all(ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
