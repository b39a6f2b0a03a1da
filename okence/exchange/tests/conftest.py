"""Shared-folder fixtures: a meeting in progress, its folder, files built in code, and a storage
folder of each test's own (never var/exchange).

The files are made here, not kept in the repository: a real PDF (pypdf), JPEG and PNG (Pillow),
and office documents as the ZIP archives they are (OOXML parts, the ODF ``mimetype`` entry).
"""

import datetime
import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass

import pytest
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from okence.booking.models import Appointment, Status
from okence.conftest import make_appointment
from okence.exchange import services
from okence.meetings import services as meetings
from okence.meetings.tests.conftest import asgi_server  # noqa: F401  (a fixture, re-exported)

# --- files built in code ---------------------------------------------------------------------


def pdf_bytes(pages: int = 1, text: str = "") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(kind: str, size: tuple[int, int] = (40, 30), *, noise: bool = False) -> bytes:
    """A JPEG or PNG; with ``noise`` its pixels are random, so that it hardly compresses."""
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def png_of_about(size: int) -> bytes:
    """A valid PNG of roughly ``size`` bytes (random pixels do not compress)."""
    side = int((size / 3) ** 0.5)
    return image_bytes("PNG", (side, side), noise=True)


def zip_bytes(entries: list[tuple[str, bytes | str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            # ODF wants its mimetype entry first and uncompressed, which is how libmagic knows it.
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=method)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{type}"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{part}"/></Relationships>'
)
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def docx_bytes(extra: list[tuple[str, bytes | str]] = ()) -> bytes:
    part = "word/document.xml"
    return zip_bytes(
        [
            ("[Content_Types].xml", CONTENT_TYPES.format(part=part, type=WORD_MAIN)),
            ("_rels/.rels", RELS.format(part=part)),
            (
                part,
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body><w:p><w:r><w:t>Vloga</w:t></w:r></w:p></w:body></w:document>',
            ),
            *extra,
        ]
    )


def xlsx_bytes() -> bytes:
    part = "xl/workbook.xml"
    return zip_bytes(
        [
            ("[Content_Types].xml", CONTENT_TYPES.format(part=part, type=SHEET_MAIN)),
            ("_rels/.rels", RELS.format(part=part)),
            (
                part,
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheets><sheet name="List1" sheetId="1"/></sheets></workbook>',
            ),
        ]
    )


def odf_bytes(mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    return zip_bytes(
        [
            ("mimetype", mimetype),
            (
                "META-INF/manifest.xml",
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                'manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                f'manifest:media-type="{mimetype}"/></manifest:manifest>',
            ),
            (
                "content.xml",
                '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                'office:1.0"><office:body/></office:document-content>',
            ),
        ]
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the meeting and its folder ----------------------------------------------------------------


@dataclass
class Meeting:
    appointment: Appointment
    token: str


def meeting_for(official, service, start: datetime.datetime) -> Meeting:
    """An appointment in the meeting (the citizen admitted), created directly: (row, token)."""
    appointment, token = make_appointment(
        official,
        service=service,
        start=start,
        status=Status.IN_MEETING,
        created_at=start - datetime.timedelta(days=2),
    )
    room = meetings.room_of(appointment)
    room.admitted_at = start
    room.save(update_fields=["admitted_at"])
    return Meeting(appointment, token)


@pytest.fixture(autouse=True)
def exchange_storage(settings, tmp_path):
    """Each test's files go to a folder of its own; the path is returned."""
    location = tmp_path / "exchange"
    settings.STORAGES = {
        **settings.STORAGES,
        "exchange": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture
def meeting(clock, service, ana) -> Meeting:
    """Ana's meeting with Rajko, started five minutes ago (Monday 07:00 on the frozen clock)."""
    return meeting_for(ana, service, timezone.now() - datetime.timedelta(minutes=5))


@pytest.fixture
def folder(meeting, ana):
    return services.create_folder(meeting.appointment, ana, timezone.now())


def stored_files(location) -> list[str]:
    """Every file under a FileSystemStorage location (empty folders do not count)."""
    return sorted(
        os.path.relpath(os.path.join(root, name), location)
        for root, _, names in os.walk(location)
        for name in names
    )


CITIZEN = services.Visitor("citizen")


def add(folder, data: bytes, name: str, visitor=CITIZEN, *, tmp_dir=None):
    """Put ``data`` into the folder as the upload would: from a temporary file on disk."""
    with tempfile.NamedTemporaryFile(dir=tmp_dir) as received:
        received.write(data)
        received.flush()
        return services.add_file(
            folder, visitor, received.name, name, len(data), sha256(data), timezone.now()
        )
