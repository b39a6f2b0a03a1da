"""Uploads and downloads over real HTTP: uvicorn serving okence.asgi in a thread (``asgi_server``).

Uploads are an ASGI app in front of Django (the body streams to disk), so Django's test client
cannot reach them; everything here goes through a socket, with http.client or by hand where
the test must control exactly what is sent. Addresses carry the /en/ prefix, so that the
answers are in the language the assertions are written in.
"""

import asyncio
import hashlib
import http.client
import io
import json
import runpy
import socket
import threading
import time
import zipfile
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from okence.conftest import make_official, session_cookie
from okence.exchange import services
from okence.exchange.models import FileEvent, Role, SharedFile
from okence.exchange.tests.conftest import (
    add,
    docx_bytes,
    meeting_for,
    pdf_bytes,
    png_of_about,
    stored_files,
)
from okence.offices.models import Service, Unit

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10
NOT_AVAILABLE = "This folder is not available."


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(f"exchange:{name}", args=args)


def citizen_url(meeting, name: str) -> str:
    return url(f"citizen_{name}", meeting.token)


def official_url(meeting, name: str) -> str:
    return url(f"official_{name}", meeting.appointment.public_id)


def request(server, method, path, *, body=None, headers=None, cookie=None) -> Response:
    headers = dict(headers or {})
    if cookie:
        headers["Cookie"] = cookie
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        return Response(answer.status, answer.headers, answer.read())
    finally:
        connection.close()


def get(server, path, *, cookie=None) -> Response:
    return request(server, "GET", path, cookie=cookie)


def upload(server, path, data: bytes, name: str, *, cookie=None, origin=None, headers=None):
    """The browser's upload: a PUT of the raw file, its name in ?name=, from the page's origin."""
    sent = {"Origin": origin or server.url, "Content-Type": "application/octet-stream"}
    sent |= headers or {}
    return request(
        server, "PUT", f"{path}?name={quote(name)}", body=data, headers=sent, cookie=cookie
    )


def put_head(server, path: str, *lines: str) -> bytes:
    """The head of a PUT of ``path`` with these header lines (after Host), as sent by hand."""
    return "".join(
        [f"PUT {path} HTTP/1.1\r\n", f"Host: 127.0.0.1:{server.port}\r\n"]
        + [f"{line}\r\n" for line in lines]
        + ["\r\n"]
    ).encode()


def raw_exchange(server, head: bytes, body: bytes = b"", *, wait: float = TIMEOUT) -> bytes:
    """Send bytes as they are; everything the server answers until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as connection:
        connection.sendall(head + body)
        answer = b""
        try:
            while part := connection.recv(65536):
                answer += part
                if b"\r\n\r\n" in answer and _complete(answer):
                    break
        except TimeoutError:
            pass
    return answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def json_of(answer: bytes) -> dict:
    return json.loads(answer.partition(b"\r\n\r\n")[2])


@pytest.fixture
def other_unit():
    unit = Unit.objects.create(
        name="Upravna enota Ljutomer", slug="ljutomer", email="ue.ljutomer@example.si"
    )
    service = Service.objects.create(
        unit=unit,
        name="Pridobivanje splošnih informacij",
        slug="splosne-informacije",
        duration_minutes=30,
        description="Splošne informacije.",
        preparation="",
    )
    return unit, service


# --- uploads that go in --------------------------------------------------------------------------


def test_the_citizen_uploads_with_the_meeting_token(asgi_server, meeting, folder, exchange_storage):
    data = pdf_bytes(pages=2, text="Vloga za potni list")
    answer = upload(asgi_server, citizen_url(meeting, "upload"), data, "Vloga za potni list.pdf")

    assert answer.status == 201, answer.body
    assert answer.header("Content-Type") == "application/json"
    assert answer.header("X-Content-Type-Options") == "nosniff"
    described = answer.json()["file"]
    file = SharedFile.objects.get()
    assert described["id"] == file.pk
    assert described["name"] == file.name == "Vloga za potni list.pdf"
    assert described["type"] == "PDF"
    assert described["uploaded_by"] == file.uploaded_by == Role.CITIZEN
    assert file.uploader is None
    assert file.content_type == "application/pdf"
    assert file.size == len(data)
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_files(exchange_storage) == [file.stored_name]
    assert (exchange_storage / file.stored_name).read_bytes() == data


def test_the_official_uploads_with_the_session(asgi_server, meeting, folder, ana, exchange_storage):
    data = docx_bytes()
    answer = upload(
        asgi_server,
        official_url(meeting, "upload"),
        data,
        "odločba.docx",
        cookie=session_cookie(ana.user),
    )

    assert answer.status == 201, answer.body
    file = SharedFile.objects.get()
    assert (file.name, file.uploaded_by, file.uploader) == ("odločba.docx", Role.OFFICIAL, ana.user)
    assert (exchange_storage / file.stored_name).read_bytes() == data
    assert answer.json()["file"]["download_url"] == (
        official_url(meeting, "download") + f"?id={file.pk}"
    )


def test_the_upload_answers_in_the_language_of_its_address(asgi_server, meeting, folder):
    answer = upload(asgi_server, citizen_url(meeting, "upload"), b"<html></html>", "a.html")
    assert answer.status == 422
    assert answer.json()["error"].startswith("This type of file is not accepted.")


def test_a_name_with_a_null_byte_is_refused_over_http(asgi_server, meeting, folder):
    answer = upload(asgi_server, citizen_url(meeting, "upload"), pdf_bytes(), "vloga\x00.pdf")
    assert answer.status == 422
    assert answer.json()["error"] == "The file name contains characters that are not allowed."
    event = FileEvent.objects.get(action=FileEvent.Action.REFUSED)
    assert (event.file_name, event.detail) == ("vloga\ufffd.pdf", "control character in name")
    assert not SharedFile.objects.exists()


# --- downloads -----------------------------------------------------------------------------------


def test_one_file_downloads_as_itself_and_is_never_rendered(asgi_server, meeting, folder, ana):
    data = pdf_bytes(text="Odločba")
    file = add(folder, data, "odločba št. 5.pdf", services.Visitor(Role.OFFICIAL, ana.user))

    answer = get(asgi_server, citizen_url(meeting, "download") + f"?id={file.pk}")

    assert answer.status == 200
    assert answer.body == data
    assert hashlib.sha256(answer.body).hexdigest() == file.sha256
    assert answer.header("Content-Type") == "application/pdf"
    assert answer.header("Content-Length") == str(len(data))
    assert answer.header("Content-Disposition") == (
        "attachment; filename*=utf-8''" + quote("odločba št. 5.pdf")
    )
    assert answer.header("X-Content-Type-Options") == "nosniff"
    policy = answer.header("Content-Security-Policy")
    assert "sandbox" in policy
    assert "default-src 'none'" in policy


def test_an_ascii_name_is_quoted_in_the_disposition(asgi_server, meeting, folder, ana):
    file = add(folder, pdf_bytes(), "vloga.pdf")
    answer = get(
        asgi_server,
        official_url(meeting, "download") + f"?id={file.pk}",
        cookie=session_cookie(ana.user),
    )
    assert answer.status == 200
    assert answer.header("Content-Disposition") == 'attachment; filename="vloga.pdf"'


def test_several_files_download_as_one_zip(asgi_server, meeting, folder, ana):
    first, second, third = pdf_bytes(text="ena"), pdf_bytes(pages=2, text="dve"), docx_bytes()
    files = [
        add(folder, first, "vloga.pdf"),
        add(folder, second, "vloga.pdf"),  # the same name twice
        add(folder, third, "priloga.docx", services.Visitor(Role.OFFICIAL, ana.user)),
    ]
    query = "&".join(f"id={file.pk}" for file in files)

    answer = get(asgi_server, citizen_url(meeting, "download") + "?" + query)

    assert answer.status == 200
    assert answer.header("Content-Type") == "application/zip"
    assert answer.header("Content-Disposition") == 'attachment; filename="mapa.zip"'
    assert answer.header("X-Content-Type-Options") == "nosniff"
    assert "sandbox" in answer.header("Content-Security-Policy")
    assert int(answer.header("Content-Length")) == len(answer.body)
    with zipfile.ZipFile(io.BytesIO(answer.body)) as archive:
        assert archive.namelist() == ["vloga.pdf", "vloga (2).pdf", "priloga.docx"]
        assert archive.read("vloga.pdf") == first
        assert archive.read("vloga (2).pdf") == second
        assert archive.read("priloga.docx") == third


def test_a_download_of_a_missing_or_foreign_id_is_not_found(
    asgi_server, meeting, folder, marko, service
):
    mine = add(folder, pdf_bytes(), "vloga.pdf")
    other = meeting_for(marko, service, meeting.appointment.start)
    theirs = add(
        services.create_folder(other.appointment, marko, timezone.now()), pdf_bytes(), "tuja.pdf"
    )
    download = citizen_url(meeting, "download")

    assert get(asgi_server, download + f"?id={theirs.pk}").status == 404
    assert get(asgi_server, download + f"?id={mine.pk}&id={theirs.pk}").status == 404
    assert get(asgi_server, download + "?id=999999").status == 404
    assert get(asgi_server, download).status == 404
    assert get(asgi_server, download + "?id=x").status == 404
    # Ids that are digits to str.isdigit() but no database integer: not found, not an error.
    for value in ("%C2%B2", "9" * 30, "9" * 5000, "-1", "1.0"):
        assert get(asgi_server, download + f"?id={value}").status == 404, value[:12]
    assert not FileEvent.objects.filter(action=FileEvent.Action.DOWNLOADED).exists()


# --- who may enter -------------------------------------------------------------------------------


def test_a_wrong_or_foreign_token_finds_nothing(asgi_server, meeting, folder, marko, service):
    file = add(folder, pdf_bytes(), "vloga.pdf")
    other = meeting_for(marko, service, meeting.appointment.start)
    services.create_folder(other.appointment, marko, timezone.now())

    for token in ("x" * 32, meeting.token[:-1], meeting.token.upper()):
        stranger = type(meeting)(meeting.appointment, token)
        assert get(asgi_server, citizen_url(stranger, "folder")).status == 404
        assert get(asgi_server, citizen_url(stranger, "files")).status == 404
        download = citizen_url(stranger, "download") + f"?id={file.pk}"
        assert get(asgi_server, download).status == 404
        answer = upload(asgi_server, citizen_url(stranger, "upload"), pdf_bytes(), "a.pdf")
        assert (answer.status, answer.json()["error"]) == (404, NOT_AVAILABLE)

    # The other meeting's own token opens its own folder, and nothing of this one.
    listed = get(asgi_server, citizen_url(other, "files"))
    assert listed.status == 200 and listed.json() == {"files": []}
    assert get(asgi_server, citizen_url(other, "download") + f"?id={file.pk}").status == 404
    assert SharedFile.objects.count() == 1


def test_an_official_of_another_unit_finds_nothing(asgi_server, meeting, folder, other_unit):
    file = add(folder, pdf_bytes(), "vloga.pdf")
    janez = make_official(*other_unit, "janez", "Janez")
    cookie = session_cookie(janez.user)

    assert get(asgi_server, official_url(meeting, "folder"), cookie=cookie).status == 404
    assert get(asgi_server, official_url(meeting, "files"), cookie=cookie).status == 404
    download = official_url(meeting, "download") + f"?id={file.pk}"
    assert get(asgi_server, download, cookie=cookie).status == 404
    answer = upload(
        asgi_server, official_url(meeting, "upload"), pdf_bytes(), "a.pdf", cookie=cookie
    )
    assert (answer.status, answer.json()["error"]) == (404, NOT_AVAILABLE)
    # Creating the folder is a plain Django view: the test client reaches it.
    client = Client()
    client.force_login(janez.user)
    assert client.post(url("create", meeting.appointment.public_id)).status_code == 404
    assert SharedFile.objects.count() == 1


def test_a_colleague_of_the_same_unit_may_enter(asgi_server, meeting, folder, marko):
    cookie = session_cookie(marko.user)
    assert get(asgi_server, official_url(meeting, "folder"), cookie=cookie).status == 200
    answer = upload(
        asgi_server, official_url(meeting, "upload"), pdf_bytes(), "a.pdf", cookie=cookie
    )
    assert answer.status == 201
    assert SharedFile.objects.get().uploader == marko.user


def test_anonymous_visitors_of_the_official_addresses_are_sent_to_sign_in(
    asgi_server, meeting, folder
):
    file = add(folder, pdf_bytes(), "vloga.pdf")
    for path in (
        official_url(meeting, "folder"),
        official_url(meeting, "files"),
        official_url(meeting, "download") + f"?id={file.pk}",
    ):
        answer = get(asgi_server, path)
        assert answer.status == 302, path
        assert urlsplit(answer.header("Location")).path.endswith("/prijava/")
        assert answer.body == b""
    answer = upload(asgi_server, official_url(meeting, "upload"), pdf_bytes(), "a.pdf")
    assert (answer.status, answer.json()["error"]) == (404, NOT_AVAILABLE)
    # A session cookie that is not a session is anonymous too.
    answer = upload(
        asgi_server, official_url(meeting, "upload"), pdf_bytes(), "a.pdf", cookie="sessionid=x"
    )
    assert answer.status == 404
    assert SharedFile.objects.count() == 1


def test_an_upload_from_another_origin_is_forbidden(asgi_server, meeting, folder, ana):
    path = official_url(meeting, "upload")
    cookie = session_cookie(ana.user)
    for origin in (
        "https://evil.example",
        f"http://evil.example:{asgi_server.port}",
        "null",
    ):
        answer = upload(asgi_server, path, pdf_bytes(), "a.pdf", cookie=cookie, origin=origin)
        assert answer.status == 403, origin
        assert answer.json()["error"] == "This upload came from another site."
    # No Origin at all (not a browser's fetch): forbidden as well.
    head = put_head(
        asgi_server,
        f"{path}?name=a.pdf",
        f"Cookie: {cookie}",
        "Content-Length: 4",
        "Connection: close",
    )
    assert status_of(raw_exchange(asgi_server, head, b"%PDF")) == 403
    # Anything but PUT is refused by the upload app itself.
    assert request(asgi_server, "POST", path, cookie=cookie).status == 405
    assert not SharedFile.objects.exists()


# --- the body: its declared length and what really arrives ----------------------------------------


def test_an_upload_without_a_length_is_refused(asgi_server, meeting, folder):
    path = citizen_url(meeting, "upload") + "?name=a.pdf"
    head = put_head(
        asgi_server,
        path,
        f"Origin: {asgi_server.url}",
        "Transfer-Encoding: chunked",
        "Connection: close",
    )
    data = pdf_bytes()
    body = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
    answer = raw_exchange(asgi_server, head, body)
    assert status_of(answer) == 411
    assert json_of(answer)["error"] == "The upload did not say how large it is."
    assert not SharedFile.objects.exists()


def test_a_body_longer_than_declared_never_becomes_part_of_the_file(
    asgi_server, meeting, folder, exchange_storage
):
    """HTTP frames the body by its Content-Length: bytes after it are not the upload's."""
    data = pdf_bytes()
    path = citizen_url(meeting, "upload") + "?name=a.pdf"
    head = put_head(asgi_server, path, f"Origin: {asgi_server.url}", f"Content-Length: {len(data)}")
    answer = raw_exchange(asgi_server, head, data + b"<script>alert(1)</script>" * 40)
    # uvicorn reads exactly the declared body; what follows is no HTTP request, so it answers
    # 400 and drops the connection, and the app sees the client gone before it could finish.
    assert status_of(answer) == 400
    asgi_server.wait_until_idle()  # the app has stored what it was going to
    assert not SharedFile.objects.exists()
    assert stored_files(exchange_storage) == []


def asgi_scope(path: str, headers: dict[str, str]) -> dict:
    """An HTTP scope as uvicorn builds it, for calling the application directly."""
    path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }


class Body:
    """The ASGI receive(): hands out the given chunks and counts the bytes taken."""

    def __init__(self, chunks: list[bytes]):
        self.chunks = list(chunks)
        self.taken = 0
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        if not self.chunks:
            await asyncio.sleep(3600)  # a client that sends nothing more
        chunk = self.chunks.pop(0)
        self.taken += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}


def call_application(path: str, headers: dict[str, str], body: Body) -> tuple[int, dict]:
    from okence.asgi import application

    sent = []

    async def send(message):
        sent.append(message)

    async def run():
        await asyncio.wait_for(application(asgi_scope(path, headers), body, send), TIMEOUT)

    asyncio.run(run())
    start = next(message for message in sent if message["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(content)


def test_a_body_running_past_its_declared_length_is_refused(meeting, folder, exchange_storage):
    """Should a server hand the app more than was declared, the first chunk too many ends it."""
    data = pdf_bytes()
    headers = {"host": "127.0.0.1", "origin": "http://127.0.0.1", "content-length": "100"}
    body = Body([data[:60], data[60:120], data[120:]])
    status, content = call_application(
        citizen_url(meeting, "upload") + "?name=a.pdf", headers, body
    )
    assert status == 400
    assert content["error"] == "The upload was interrupted."
    assert body.calls == 2  # the chunk that ran past 100 bytes was the last one read
    assert stored_files(exchange_storage) == [] and not SharedFile.objects.exists()


def test_a_declared_length_over_the_limit_is_refused_before_any_body_is_read(
    meeting, folder, settings
):
    settings.EXCHANGE_MAX_FILE_BYTES = 2**20
    headers = {"host": "127.0.0.1", "origin": "http://127.0.0.1", "content-length": str(2**30)}
    body = Body([b"x" * 65536] * 4)
    status, content = call_application(
        citizen_url(meeting, "upload") + "?name=a.pdf", headers, body
    )
    assert status == 413
    assert content["error"] == "The file is larger than 1 MB."
    assert (body.calls, body.taken) == (0, 0)


def test_over_http_the_413_comes_while_the_body_is_still_unsent(
    asgi_server, meeting, folder, settings
):
    """Only the headers are sent, announcing 50 MB (over the 20 MB limit), and the client waits
    (asking for 100-continue, as curl does for large bodies): the refusal arrives at once,
    without a "100 Continue", so not one byte of the body had to travel."""
    settings.EXCHANGE_MAX_FILE_BYTES = 20 * 2**20
    path = citizen_url(meeting, "upload") + "?name=velika.pdf"
    head = put_head(
        asgi_server,
        path,
        f"Origin: {asgi_server.url}",
        f"Content-Length: {50 * 2**20}",
        "Expect: 100-continue",
    )
    answer = raw_exchange(asgi_server, head, wait=5)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:80]
    assert json_of(answer)["error"] == "The file is larger than 20 MB."
    event = FileEvent.objects.get(action=FileEvent.Action.REFUSED)
    assert (event.file_name, event.actor, event.detail) == (
        "velika.pdf",
        "citizen",
        "file too large",
    )


def wait_until(condition, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_body_streams_to_disk_and_an_abandoned_upload_leaves_nothing(
    asgi_server, meeting, folder, settings, tmp_path, exchange_storage
):
    receiving = tmp_path / "receiving"
    receiving.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(receiving)
    data = pdf_bytes()
    path = citizen_url(meeting, "upload") + "?name=a.pdf"
    head = put_head(asgi_server, path, f"Origin: {asgi_server.url}", f"Content-Length: {len(data)}")
    with socket.create_connection(("127.0.0.1", asgi_server.port), timeout=TIMEOUT) as connection:
        connection.sendall(head + data[:100])
        # The first bytes are in a temporary file while the rest is awaited.
        assert wait_until(lambda: len(list(receiving.iterdir())) == 1)
    # The client went away: the temporary file goes, and nothing enters the folder.
    assert wait_until(lambda: not any(receiving.iterdir()))
    assert not SharedFile.objects.exists()
    assert stored_files(exchange_storage) == []


# --- the folder's limits -------------------------------------------------------------------------


def test_the_folder_holds_a_limited_number_of_files(asgi_server, meeting, folder, settings):
    settings.EXCHANGE_MAX_FILES = 3
    path = citizen_url(meeting, "upload")
    for number in range(3):
        assert upload(asgi_server, path, pdf_bytes(), f"priloga {number}.pdf").status == 201
    answer = upload(asgi_server, path, pdf_bytes(), "četrta.pdf")
    assert answer.status == 413
    assert answer.json()["error"] == "The folder is full: it holds at most 3 files."
    assert SharedFile.objects.count() == 3
    assert FileEvent.objects.get(action=FileEvent.Action.REFUSED).detail == "too many files"


def test_the_folder_holds_a_limited_number_of_bytes(asgi_server, meeting, folder, settings):
    settings.EXCHANGE_MAX_FILE_BYTES = 2**20
    settings.EXCHANGE_MAX_FOLDER_BYTES = 2**20
    path = citizen_url(meeting, "upload")
    part = png_of_about(400_000)
    assert upload(asgi_server, path, part, "prva.png").status == 201
    assert upload(asgi_server, path, part, "druga.png").status == 201
    answer = upload(asgi_server, path, part, "tretja.png")
    assert answer.status == 413
    assert answer.json()["error"] == "There is not enough room left in the folder (at most 1 MB)."
    assert SharedFile.objects.count() == 2
    assert FileEvent.objects.get(action=FileEvent.Action.REFUSED).detail == "folder full"


def test_the_limits_default_to_20_files_and_100_mb(settings, monkeypatch):
    """What settings.py gives without the variables (the tests above lower them for speed)."""
    for variable in (
        "EXCHANGE_MAX_FILES",
        "EXCHANGE_MAX_FOLDER_MB",
        "EXCHANGE_MAX_FILE_MB",
        "EXCHANGE_GRACE_MINUTES",
    ):
        monkeypatch.delenv(variable, raising=False)
    defaults = runpy.run_path(str(settings.BASE_DIR / "okence" / "settings.py"))
    assert defaults["EXCHANGE_MAX_FILES"] == 20
    assert defaults["EXCHANGE_MAX_FOLDER_BYTES"] == 100 * 2**20
    assert defaults["EXCHANGE_MAX_FILE_BYTES"] == 20 * 2**20
    assert defaults["EXCHANGE_GRACE_MINUTES"] == 60


def test_two_uploads_that_fit_only_one_at_a_time_cannot_both_enter(
    asgi_server, meeting, folder, settings, exchange_storage
):
    """Each fits the empty folder, both do not: each claims its room under the folder's lock
    before its body is read, so exactly one gets it and the other is refused at the door."""
    settings.EXCHANGE_MAX_FILE_BYTES = 2**20
    settings.EXCHANGE_MAX_FOLDER_BYTES = 2**20
    path = citizen_url(meeting, "upload")
    parts = [png_of_about(600_000), png_of_about(600_000)]
    start = threading.Barrier(2)
    answers = [None, None]

    def send(index):
        start.wait(timeout=TIMEOUT)
        answers[index] = upload(asgi_server, path, parts[index], f"slika {index}.png")

    threads = [threading.Thread(target=send, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 2)

    assert sorted(answer.status for answer in answers) == [201, 413], answers
    refused = next(answer for answer in answers if answer.status == 413)
    assert refused.json()["error"] == "There is not enough room left in the folder (at most 1 MB)."
    kept = SharedFile.objects.get()
    assert stored_files(exchange_storage) == [kept.stored_name]
    assert FileEvent.objects.filter(action=FileEvent.Action.UPLOADED).count() == 1
    assert FileEvent.objects.get(action=FileEvent.Action.REFUSED).detail == "folder full"


# --- the list and the page -----------------------------------------------------------------------


def test_the_listing(asgi_server, meeting, folder, ana):
    pdf = add(folder, pdf_bytes(), "vloga.pdf")
    big = png_of_about(1_200_000)
    image = add(folder, big, "posnetek.png", services.Visitor(Role.OFFICIAL, ana.user))

    as_citizen = get(asgi_server, citizen_url(meeting, "files"))
    assert as_citizen.status == 200
    assert as_citizen.header("Content-Type") == "application/json"
    files = as_citizen.json()["files"]
    assert [file["id"] for file in files] == [pdf.pk, image.pk]
    first, second = files
    assert first == {
        "id": pdf.pk,
        "name": "vloga.pdf",
        "type": "PDF",
        "size": pdf.size,
        "size_label": f"{pdf.size / 1024:.1f} KB",
        "uploaded_by": "citizen",
        "uploaded_by_label": "citizen",
        "created_at": pdf.created_at.isoformat(),
        "download_url": citizen_url(meeting, "download") + f"?id={pdf.pk}",
    }
    assert (second["type"], second["uploaded_by"]) == ("PNG", "official")
    assert second["size_label"] == f"{len(big) / 2**20:.1f} MB"
    assert meeting.token in first["download_url"]

    as_official = get(asgi_server, official_url(meeting, "files"), cookie=session_cookie(ana.user))
    assert [file["download_url"] for file in as_official.json()["files"]] == [
        official_url(meeting, "download") + f"?id={pdf.pk}",
        official_url(meeting, "download") + f"?id={image.pk}",
    ]
    assert meeting.token not in as_official.body.decode()


def test_the_page_is_not_found_before_the_folder_exists(asgi_server, meeting, ana):
    page = get(asgi_server, citizen_url(meeting, "folder"))
    assert page.status == 404
    assert "There is no shared folder for this meeting yet." in page.body.decode()
    cookie = session_cookie(ana.user)
    assert get(asgi_server, official_url(meeting, "folder"), cookie=cookie).status == 404
    assert get(asgi_server, citizen_url(meeting, "files")).status == 404
    assert get(asgi_server, citizen_url(meeting, "download") + "?id=1").status == 404
    answer = upload(asgi_server, citizen_url(meeting, "upload"), pdf_bytes(), "a.pdf")
    assert (answer.status, answer.json()["error"]) == (404, NOT_AVAILABLE)


def test_the_page_lists_the_files(asgi_server, meeting, folder, ana):
    add(folder, pdf_bytes(), "<img src=x onerror=alert(1)>.pdf")
    page = get(asgi_server, citizen_url(meeting, "folder"))
    assert page.status == 200
    html = page.body.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in html
    assert "<img src=x" not in html
    assert "sandbox" not in page.header("Content-Security-Policy")


def test_after_the_purge_the_page_says_so_and_nothing_downloads(
    asgi_server, meeting, folder, ana, exchange_storage
):
    file = add(folder, pdf_bytes(), "vloga.pdf")
    services.purge(folder, timezone.now())
    assert stored_files(exchange_storage) == []

    page = get(asgi_server, citizen_url(meeting, "folder"))
    assert page.status == 200
    assert "The files of this meeting are no longer available." in page.body.decode()
    cookie = session_cookie(ana.user)
    official_page = get(asgi_server, official_url(meeting, "folder"), cookie=cookie)
    assert "no longer available" in official_page.body.decode()
    assert get(asgi_server, citizen_url(meeting, "files")).status == 404
    assert get(asgi_server, citizen_url(meeting, "download") + f"?id={file.pk}").status == 404
    download = official_url(meeting, "download") + f"?id={file.pk}"
    assert get(asgi_server, download, cookie=cookie).status == 404
    answer = upload(asgi_server, citizen_url(meeting, "upload"), pdf_bytes(), "a.pdf")
    assert (answer.status, answer.json()["error"]) == (404, NOT_AVAILABLE)


# --- the audit trail -----------------------------------------------------------------------------


def test_the_audit_trail_names_who_did_what_and_holds_no_content(asgi_server, meeting, ana, clock):
    secret = "EMŠO 0101990500123, davčna 12345678"
    folder = services.create_folder(meeting.appointment, ana, timezone.now())
    cookie = session_cookie(ana.user)
    document = pdf_bytes(text=secret)

    assert upload(asgi_server, citizen_url(meeting, "upload"), document, "izjava.pdf").status == 201
    assert (
        upload(
            asgi_server,
            official_url(meeting, "upload"),
            docx_bytes(),
            "odločba.docx",
            cookie=cookie,
        ).status
        == 201
    )
    refused = upload(
        asgi_server, citizen_url(meeting, "upload"), secret.encode() * 3, "podatki.pdf"
    )
    assert refused.status == 422
    files = list(SharedFile.objects.all())
    query = "&".join(f"id={file.pk}" for file in files)
    assert (
        get(asgi_server, official_url(meeting, "download") + "?" + query, cookie=cookie).status
        == 200
    )
    assert get(asgi_server, citizen_url(meeting, "download") + f"?id={files[1].pk}").status == 200
    services.purge(folder, timezone.now())

    events = [
        (event.action, event.file_name, event.actor, event.user, event.detail)
        for event in FileEvent.objects.filter(appointment=meeting.appointment)
    ]
    assert events == [
        ("folder_created", "", "official", ana.user, ""),
        ("uploaded", "izjava.pdf", "citizen", None, ""),
        ("uploaded", "odločba.docx", "official", ana.user, ""),
        ("refused", "podatki.pdf", "citizen", None, "content is text/plain"),
        ("downloaded", "izjava.pdf", "official", ana.user, ""),
        ("downloaded", "odločba.docx", "official", ana.user, ""),
        ("downloaded", "odločba.docx", "citizen", None, ""),
        ("purged", "", "", None, "2 files"),
    ]
    assert all(event.at == timezone.now() for event in FileEvent.objects.all())
    # Metadata only: neither the content nor the token ever reaches the trail.
    trail = str(list(FileEvent.objects.values()))
    assert "EMŠO" not in trail and "12345678" not in trail
    assert meeting.token not in trail
    assert {field.name for field in FileEvent._meta.get_fields()} == {
        "id",
        "appointment",
        "action",
        "file_name",
        "actor",
        "user",
        "detail",
        "at",
    }
