"""Uploads under way, over real HTTP (uvicorn in a thread, as in test_upload.py): how many may run
at once, the room they claim before their bodies are read, bodies that stall, visitors whose
files keep being refused, and checks that take long while other meetings go on.
"""

import socket
import threading

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from okence.conftest import session_cookie
from okence.exchange import services
from okence.exchange.models import FileEvent, SharedFile, Upload
from okence.exchange.tests.conftest import meeting_for, pdf_bytes
from okence.exchange.tests.test_upload import (
    TIMEOUT,
    Body,
    call_application,
    citizen_url,
    get,
    json_of,
    official_url,
    put_head,
    raw_exchange,
    status_of,
    upload,
    wait_until,
)
from okence.exchange.tests.test_upload import (
    _complete as complete,
)
from okence.meetings.tests.conftest import open_socket, receive_hello

pytestmark = pytest.mark.django_db(transaction=True)


class HeldScanner:
    """A clamd that takes a file and gives no verdict until ``release`` is set; ``scanning`` is
    set once a file is in, ``hung_up`` when the scanning side closes the connection first."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.scanning, self.release, self.hung_up = (threading.Event() for _ in range(3))
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        connection, _ = self.listener.accept()
        with connection:
            stream = b""
            while not stream.endswith(b"\0\0\0\0"):  # INSTREAM ends with a chunk of length 0
                stream += connection.recv(65536)
            self.scanning.set()
            connection.settimeout(0.05)
            while not self.release.is_set():
                try:
                    if connection.recv(1) == b"":
                        self.hung_up.set()
                        return
                except TimeoutError:
                    continue
            connection.sendall(b"stream: OK\0")

    def close(self):
        self.release.set()
        self.listener.close()


@pytest.fixture
def held_scanner(settings):
    scanner = HeldScanner()
    settings.CLAMD_ADDRESS = scanner.address
    yield scanner
    scanner.close()


def other_meeting(marko, service, meeting):
    """Marko's meeting with its own folder, at the same time as Ana's."""
    other = meeting_for(marko, service, meeting.appointment.start)
    services.create_folder(other.appointment, marko, timezone.now())
    return other


# --- checks that take long -----------------------------------------------------------------------


def upload_in_background(server, meeting) -> tuple[threading.Thread, dict]:
    """A PDF upload by the citizen of ``meeting`` in a thread; its answer lands in the dict."""
    answers = {}
    path = citizen_url(meeting, "upload")
    sending = threading.Thread(
        target=lambda: answers.update(upload=upload(server, path, pdf_bytes(), "vloga.pdf"))
    )
    sending.start()
    return sending, answers


def assert_the_other_meeting_goes_on(server, other) -> None:
    """Its meeting socket and folder socket open, and its folder page loads."""
    with open_socket(server.port, f"/ws/sestanek/{other.token}/") as room:
        assert receive_hello(room)[:2] == ("hello", "citizen")
    with open_socket(server.port, f"/ws/mapa/{other.token}/"):
        pass  # the handshake completed
    assert get(server, citizen_url(other, "folder")).status == 200


def test_a_slow_check_holds_up_no_other_meeting(
    asgi_server, meeting, folder, marko, service, held_scanner
):
    """While one file's check hangs (here: the virus scanner gives no verdict), another meeting
    goes on; before, the check held the one thread that every database call of the process
    waits for."""
    other = other_meeting(marko, service, meeting)
    sending, answers = upload_in_background(asgi_server, meeting)
    assert held_scanner.scanning.wait(TIMEOUT)

    assert_the_other_meeting_goes_on(asgi_server, other)
    assert "upload" not in answers  # all of it while the check was still held

    held_scanner.release.set()
    sending.join(TIMEOUT)
    assert answers["upload"].status == 201
    assert SharedFile.objects.get().name == "vloga.pdf"


class HeldStorage(FileSystemStorage):
    """A storage that takes its time: each save waits until ``release`` is set."""

    saving = threading.Event()
    release = threading.Event()

    def _save(self, name, content):
        self.saving.set()
        self.release.wait(TIMEOUT * 3)
        return super()._save(name, content)


def test_a_slow_storage_holds_up_no_other_meeting(
    asgi_server, meeting, folder, marko, service, settings, exchange_storage
):
    """Storing takes long too with a remote storage (S3): that is no database work either."""
    HeldStorage.saving.clear()
    HeldStorage.release.clear()
    settings.STORAGES = {
        **settings.STORAGES,
        "exchange": {
            "BACKEND": f"{__name__}.HeldStorage",
            "OPTIONS": {"location": str(exchange_storage)},
        },
    }
    other = other_meeting(marko, service, meeting)
    sending, answers = upload_in_background(asgi_server, meeting)
    try:
        assert HeldStorage.saving.wait(TIMEOUT)
        assert_the_other_meeting_goes_on(asgi_server, other)
        assert "upload" not in answers
    finally:
        HeldStorage.release.set()
    sending.join(TIMEOUT)
    assert answers["upload"].status == 201


def test_a_check_that_runs_too_long_is_killed_and_the_file_refused(
    asgi_server, meeting, folder, settings, held_scanner
):
    settings.EXCHANGE_CHECK_SECONDS = 3
    answer = upload(asgi_server, citizen_url(meeting, "upload"), pdf_bytes(), "vloga.pdf")

    assert answer.status == 422
    assert answer.json()["error"] == "The file took too long to check and was refused."
    # The worker that ran it is gone: its connection to the scanner closed with it.
    assert held_scanner.hung_up.wait(TIMEOUT)
    assert FileEvent.objects.get(action=FileEvent.Action.REFUSED).detail == "check timed out"
    assert not SharedFile.objects.exists()
    assert not Upload.objects.exists()


# --- how many at once, and the room they claim ---------------------------------------------------


class Uploads:
    """``count`` uploads that each announce ``size`` bytes and send only their first 100."""

    def __init__(self, server, path: str, count: int, size: int):
        head = put_head(server, path, f"Origin: {server.url}", f"Content-Length: {size}")
        self.received: dict[socket.socket, bytes] = {}
        for _ in range(count):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
            connection.sendall(head + b"%PDF-" + b"x" * 95)
            self.received[connection] = b""

    def answers(self) -> list[bytes]:
        """The whole answers the server has sent so far (read without waiting)."""
        for connection in self.received:
            connection.setblocking(False)
            try:
                while data := connection.recv(65536):
                    self.received[connection] += data
            except BlockingIOError:
                pass
            finally:
                connection.setblocking(True)
        return [data for data in self.received.values() if data and complete(data)]

    def close(self):
        for connection in self.received:
            connection.close()


@pytest.fixture
def receiving(settings, tmp_path):
    """The folder the bodies are written to while they arrive."""
    folder = tmp_path / "receiving"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def test_thirty_uploads_at_once_into_one_folder_take_only_its_places(
    asgi_server, meeting, folder, settings, receiving
):
    settings.EXCHANGE_UPLOADS_PER_FOLDER = 3
    settings.EXCHANGE_UPLOADS_PER_ADDRESS = 30
    uploads = Uploads(asgi_server, citizen_url(meeting, "upload") + "?name=a.pdf", 30, 2**20)
    try:
        # All but three are answered at once, before their bodies; three are being received.
        assert wait_until(lambda: len(uploads.answers()) == 27), len(uploads.answers())
        refusals = uploads.answers()
        assert {status_of(answer) for answer in refusals} == {429}
        assert json_of(refusals[0])["error"] == (
            "Other uploads are under way. Please try again when they have finished."
        )
        assert wait_until(lambda: len(list(receiving.iterdir())) == 3)
        assert Upload.objects.count() == 3
    finally:
        uploads.close()
    # The clients went away: their places and temporary files are free again.
    assert wait_until(lambda: not Upload.objects.exists() and not any(receiving.iterdir()))
    assert not FileEvent.objects.filter(action=FileEvent.Action.REFUSED).exists()


def test_uploads_claim_the_room_they_announce_before_their_bodies_are_read(
    asgi_server, meeting, folder, settings, receiving
):
    """Room for five 1 MiB files: the first five announced claim it, the rest are refused at
    the door without a byte of their bodies on disk."""
    settings.EXCHANGE_MAX_FILE_BYTES = 2**20
    settings.EXCHANGE_MAX_FOLDER_BYTES = 5 * 2**20
    settings.EXCHANGE_UPLOADS_PER_FOLDER = settings.EXCHANGE_UPLOADS_PER_ADDRESS = 30
    settings.EXCHANGE_MAX_REFUSED = 30
    uploads = Uploads(asgi_server, citizen_url(meeting, "upload") + "?name=a.pdf", 30, 2**20)
    try:
        assert wait_until(lambda: len(uploads.answers()) == 25), len(uploads.answers())
        refusals = uploads.answers()
        assert {status_of(answer) for answer in refusals} == {413}
        assert json_of(refusals[0])["error"] == (
            "There is not enough room left in the folder (at most 5 MB)."
        )
        assert wait_until(lambda: len(list(receiving.iterdir())) == 5)
        assert sum(Upload.objects.values_list("size", flat=True)) == 5 * 2**20
    finally:
        uploads.close()
    assert wait_until(lambda: not Upload.objects.exists() and not any(receiving.iterdir()))


def test_one_address_has_a_few_uploads_at_once_across_folders(
    asgi_server, meeting, folder, marko, service, settings, receiving
):
    settings.EXCHANGE_UPLOADS_PER_FOLDER = 5
    settings.EXCHANGE_UPLOADS_PER_ADDRESS = 2
    other = other_meeting(marko, service, meeting)
    held = Uploads(asgi_server, citizen_url(meeting, "upload") + "?name=a.pdf", 2, 2**20)
    try:
        assert wait_until(lambda: Upload.objects.count() == 2)
        answer = upload(asgi_server, citizen_url(other, "upload"), pdf_bytes(), "b.pdf")
        assert answer.status == 429
        assert not held.answers()
    finally:
        held.close()
    assert wait_until(lambda: not Upload.objects.exists())
    assert upload(asgi_server, citizen_url(other, "upload"), pdf_bytes(), "b.pdf").status == 201


def trickle(server, head: bytes, byte: bytes) -> bytes:
    """Send ``head``, then ``byte`` five times a second until the server answers (or closes)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as client:
        client.sendall(head)
        client.settimeout(0.2)
        for _ in range(int(TIMEOUT / 0.2)):
            try:
                client.sendall(byte)
                if answer := client.recv(65536):
                    return answer
            except TimeoutError:
                continue
            except OSError:
                break
    return b""


def test_a_negative_length_claims_nothing(meeting, folder):
    """A negative claim would free room for others; the app refuses it before any claim."""
    headers = {"host": "127.0.0.1", "origin": "http://127.0.0.1", "content-length": "-1000000"}
    body = Body([b"%PDF-"])
    status, content = call_application(
        citizen_url(meeting, "upload") + "?name=a.pdf", headers, body
    )
    assert (status, content["error"]) == (411, "The upload did not say how large it is.")
    assert body.calls == 0


# --- bodies and heads that stall ------------------------------------------------------------------


def test_a_body_that_stalls_is_stopped(asgi_server, meeting, folder, settings, receiving):
    settings.EXCHANGE_UPLOAD_STALL_SECONDS = 1
    path = citizen_url(meeting, "upload") + "?name=a.pdf"
    head = put_head(asgi_server, path, f"Origin: {asgi_server.url}", "Content-Length: 5000")
    answer = raw_exchange(asgi_server, head, b"%PDF-" + b"x" * 95)

    assert status_of(answer) == 408
    assert json_of(answer)["error"] == "The upload stalled and was stopped."
    assert wait_until(lambda: not Upload.objects.exists() and not any(receiving.iterdir()))
    assert not SharedFile.objects.exists()


def test_a_body_that_trickles_past_the_time_an_upload_may_take_is_stopped(
    asgi_server, meeting, folder, settings, receiving
):
    """A byte now and then is never a stall; the whole body still has its time."""
    settings.EXCHANGE_UPLOAD_STALL_SECONDS = 5
    settings.EXCHANGE_UPLOAD_SECONDS = 1
    path = citizen_url(meeting, "upload") + "?name=a.pdf"
    head = put_head(asgi_server, path, f"Origin: {asgi_server.url}", "Content-Length: 5000")
    answer = trickle(asgi_server, head, b"x")
    assert status_of(answer) == 408
    assert json_of(answer)["error"] == "The upload stalled and was stopped."


def test_a_request_whose_head_trickles_in_is_dropped(asgi_server, meeting, folder, settings):
    settings.HTTP_HEADER_SECONDS = 1
    path = citizen_url(meeting, "upload") + "?name=a.pdf"
    head = f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode()
    answer = trickle(asgi_server, head, b"x")  # never the end of the head
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]


# --- visitors whose files keep being refused -----------------------------------------------------


def test_after_too_many_refused_files_the_visitor_may_upload_no_more(
    asgi_server, meeting, folder, ana, settings
):
    settings.EXCHANGE_MAX_REFUSED = 3
    path = citizen_url(meeting, "upload")
    for number in range(3):
        answer = upload(asgi_server, path, b"not a pdf", f"vloga {number}.pdf")
        assert answer.status == 422

    answer = upload(asgi_server, path, pdf_bytes(), "vloga.pdf")
    assert answer.status == 403
    assert answer.json()["error"] == (
        "Too many of your files were refused; you cannot upload into this folder any more."
    )
    assert not SharedFile.objects.exists()
    # Being shut out is not recorded again and again: the trail holds the three refusals.
    assert FileEvent.objects.filter(action=FileEvent.Action.REFUSED).count() == 3
    # The official of the meeting still uploads.

    answer = upload(
        asgi_server,
        official_url(meeting, "upload"),
        pdf_bytes(),
        "odločba.pdf",
        cookie=session_cookie(ana.user),
    )
    assert answer.status == 201
