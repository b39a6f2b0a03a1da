"""Virus scanning with clamd, when CLAMD_ADDRESS names one.

The tests marked ``clamd`` talk to a real clamd (the CI's ClamAV leg starts one with a test
signature for EICAR) and are skipped without CLAMD_ADDRESS in the environment. The others need
no scanner: they show that a configured scanner that cannot be reached refuses every upload.
"""

import hashlib
import os
import socket
import threading

import pytest
from django.utils import translation

from okence.exchange import virus_scan
from okence.exchange.checks import Refused
from okence.exchange.models import FileEvent, SharedFile
from okence.exchange.tests.conftest import add, docx_bytes, pdf_bytes, stored_files
from okence.meetings.tests.conftest import free_port

# The EICAR anti-virus test file, put together here so that this source is not itself flagged.
EICAR = (r"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()
VIRUS = "The file contains a virus and was refused."
UNCHECKED = "The file cannot be checked for viruses at the moment. Please try again later."

# Run by the CI's ClamAV leg (pytest -m clamd); skipped wherever no clamd is configured.
needs_clamd = pytest.mark.skipif(
    not os.environ.get("CLAMD_ADDRESS"), reason="needs a running clamd (CLAMD_ADDRESS)"
)


@pytest.fixture(autouse=True)
def _english(_default_language):
    with translation.override("en"):
        yield


def test_the_eicar_string_is_the_standard_one():
    """The well-known MD5 of the 68-byte EICAR file (the CI's test signature is this hash)."""
    assert len(EICAR) == 68
    digest = hashlib.md5(EICAR, usedforsecurity=False).hexdigest()
    assert digest == "44d88612fea8a8f36de82e1278abb02f"


# --- with a real clamd ---------------------------------------------------------------------------


@pytest.fixture
def clamd(settings):
    settings.CLAMD_ADDRESS = os.environ["CLAMD_ADDRESS"]
    assert virus_scan.enabled()


@pytest.mark.clamd
@needs_clamd
@pytest.mark.usefixtures("clamd")
def test_clamd_finds_the_eicar_file(tmp_path):
    infected = tmp_path / "eicar.com"
    infected.write_bytes(EICAR)
    with pytest.raises(virus_scan.Infected) as found:
        virus_scan.scan(str(infected))
    assert "EICAR" in found.value.signature.upper()

    clean = tmp_path / "vloga.pdf"
    clean.write_bytes(pdf_bytes())
    virus_scan.scan(str(clean))  # no exception: clean


@pytest.mark.clamd
@needs_clamd
@pytest.mark.usefixtures("clamd")
def test_an_upload_carrying_eicar_is_refused_and_a_clean_one_passes(folder, exchange_storage):
    # The content checks come first, so the EICAR file travels inside an office document (a
    # ZIP archive, which clamd unpacks): only a file of an allowed type reaches the scanner.
    carrier = docx_bytes(extra=[("word/embeddings/eicar.com", EICAR)])
    with pytest.raises(Refused) as refused:
        add(folder, carrier, "pooblastilo.docx")
    assert str(refused.value.message) == VIRUS
    event = FileEvent.objects.get(action=FileEvent.Action.REFUSED)
    assert event.file_name == "pooblastilo.docx"
    assert event.actor == "citizen"
    signature = event.detail.removeprefix("infected: ")
    assert event.detail.startswith("infected: ") and signature
    assert "EICAR" in signature.upper()
    assert signature == refused.value.detail.removeprefix("infected: ")
    assert not SharedFile.objects.exists()
    assert stored_files(exchange_storage) == []

    clean = pdf_bytes(text="Vloga")
    file = add(folder, clean, "vloga.pdf")
    assert (exchange_storage / file.stored_name).read_bytes() == clean
    assert FileEvent.objects.filter(action=FileEvent.Action.UPLOADED).count() == 1


# --- fail closed ---------------------------------------------------------------------------------


def refused_unchecked(folder, exchange_storage) -> None:
    with pytest.raises(Refused) as refused:
        add(folder, pdf_bytes(), "vloga.pdf")
    assert str(refused.value.message) == UNCHECKED
    assert FileEvent.objects.get(action=FileEvent.Action.REFUSED).detail == "scanner unavailable"
    assert not SharedFile.objects.exists()
    assert stored_files(exchange_storage) == []


def test_a_scanner_on_a_closed_port_refuses_every_upload(folder, settings, exchange_storage):
    settings.CLAMD_ADDRESS = f"127.0.0.1:{free_port()}"  # nothing listens there
    refused_unchecked(folder, exchange_storage)


def test_a_missing_scanner_socket_refuses_every_upload(
    folder, settings, tmp_path, exchange_storage
):
    settings.CLAMD_ADDRESS = str(tmp_path / "clamd.sock")  # no such socket
    refused_unchecked(folder, exchange_storage)


def test_a_scanner_that_hangs_up_without_a_verdict_refuses_the_upload(
    folder, settings, exchange_storage
):
    """A peer that takes the file and closes without answering is no "OK"."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up():
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(5)
            received = b""
            while part := connection.recv(65536):  # the whole stream, to its zero length
                received = (received + part)[-4:]
                if received == bytes(4):
                    break

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    settings.CLAMD_ADDRESS = f"127.0.0.1:{port}"
    try:
        refused_unchecked(folder, exchange_storage)
    finally:
        thread.join(timeout=5)
        listener.close()


def test_without_an_address_nothing_is_scanned(folder, settings, monkeypatch, exchange_storage):
    settings.CLAMD_ADDRESS = ""
    monkeypatch.setattr(virus_scan, "scan", lambda path: pytest.fail("scanned"))
    file = add(folder, pdf_bytes(), "vloga.pdf")
    assert stored_files(exchange_storage) == [file.stored_name]
