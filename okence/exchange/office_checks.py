"""Office documents (DOCX, XLSX, ODT, ODS) are ZIP archives of XML parts. One is refused when
unpacking it would cost more than a check may spend, when it carries macros or embedded programs
(VBA, Excel 4.0 macro sheets, StarBasic, scripts, OLE objects, ActiveX controls), or when a part
is not plain XML (a DTD, which is how entity-expansion bombs start).

The work is bounded before any member is read, from the archive's central directory (member
count, declared unpacked size, compression ratio), and while reading, by the bytes actually
unpacked. Only the parts that say what the document does are read whole (the content types and
relationships of OOXML, every XML part of ODF); of other XML parts only the prolog, where a DTD
would stand, and of other members their first bytes, to see what they really are.
"""

import io
import zipfile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from okence.exchange.refusals import Refused, damaged, macros, too_complex

MAX_MEMBERS = 5_000
# Deflated XML rarely packs tighter than 30:1; zip bombs pack 1000:1 and more. Small members are
# exempt: a part of a few kilobytes of repeated markup may pack tighter and costs nothing.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024
# A DTD stands before the root element, which real documents open within the first kilobytes.
PROLOG_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024
# Embedded documents (an XLSX behind a chart in a DOCX) are checked as documents too, once deep.
MAX_NESTING = 1
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: VBA, OLE objects, ActiveX
ZIP_SIGNATURE = b"PK\x03\x04"

# OOXML: content types and relationship types (their last path segment, lower case) by what they
# carry. Substrings of content types also catch the macro-enabled main parts (.docm, .xlsm).
MACRO_CONTENT_TYPES = ("vbaproject", "macroenabled", "macrosheet")
OBJECT_CONTENT_TYPES = ("activex", "oleobject")
MACRO_RELATIONSHIPS = {"vbaproject", "vbaprojectsignature", "wordvbadata", "xlmacrosheet"}
MACRO_RELATIONSHIPS |= {"xlintlmacrosheet"}
OBJECT_RELATIONSHIPS = {"oleobject", "control", "activexcontrolbinary"}
OOXML_MAIN_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}

# ODF: elements that bind scripts to events or run them, elements that embed programs, and the
# link schemes that call a macro when followed.
ODF_SCRIPT_ELEMENTS = {"event-listener", "execute-macro", "script"}
ODF_OBJECT_ELEMENTS = {"object-ole", "applet", "plugin"}
ODF_SCRIPT_LINKS = ("vnd.sun.star.script:", "macro:")
ODF_SCRIPT_FOLDERS = ("basic/", "scripts/")
ODF_MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def _objects(detail: str) -> Refused:
    return Refused(
        _(
            "Documents with embedded objects or controls (OLE, ActiveX) are not accepted; please "
            "remove them or send the document as PDF."
        ),
        detail,
    )


class _Stop(Exception):
    """The prolog is read: the rest of the part need not be."""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _check_bounds(archive: zipfile.ZipFile, limit: int, kind: str) -> None:
    """From the central directory alone, before any member is read."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise too_complex(f"{len(members)} members")
    total = sum(info.file_size for info in members)
    if total > limit:
        raise too_complex(f"unpacks to {total} bytes")
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise too_complex(f"{info.filename} packed {ratio:.0f}:1")
    names = [info.filename.lower() for info in members]
    if len(set(names)) != len(names):
        # Readers disagree on which of two same-named members counts: refuse the ambiguity.
        raise damaged(kind, "duplicate member names")


def _check_names(names: list[str]) -> None:
    for name in names:
        lower = name.lower()
        if (
            "vbaproject" in lower
            or "/macrosheets/" in lower
            or lower.startswith(ODF_SCRIPT_FOLDERS)
        ):
            raise macros(f"macros in {name}")
        if "/activex/" in lower:
            raise _objects(f"ActiveX in {name}")


def _ooxml_content_type(name: str, attributes: dict) -> None:
    declared = attributes.get("contenttype", "").lower()
    if any(kind in declared for kind in MACRO_CONTENT_TYPES):
        raise macros(f"content type {declared}")
    if any(kind in declared for kind in OBJECT_CONTENT_TYPES):
        raise _objects(f"content type {declared}")


def _ooxml_relationship(name: str, attributes: dict) -> None:
    kind = attributes.get("type", "").rstrip("/").rsplit("/", 1)[-1].lower()
    if kind in MACRO_RELATIONSHIPS:
        raise macros(f"relationship {kind} to {attributes.get('target')}")
    if kind in OBJECT_RELATIONSHIPS:
        raise _objects(f"relationship {kind} to {attributes.get('target')}")


def _odf_content(name: str, attributes: dict) -> None:
    if name in ODF_SCRIPT_ELEMENTS:
        raise macros(f"script element {name}")
    if name in ODF_OBJECT_ELEMENTS:
        raise _objects(f"object element {name}")
    for key, value in attributes.items():
        value = value.strip().lower()
        if value.startswith(ODF_SCRIPT_LINKS):
            raise macros(f"script link {value[:80]}")
        if key == "full-path" and value.lstrip("/").startswith(ODF_SCRIPT_FOLDERS):
            raise macros(f"script in manifest {value}")
        if key == "media-type" and "oleobject" in value:
            raise _objects(f"manifest entry {value}")


def _is_xml(info: zipfile.ZipInfo) -> bool:
    return not info.is_dir() and info.filename.lower().endswith((".xml", ".rels", ".rdf"))


class _Inspection:
    """One file's inspection: what it may still unpack, and what to call it when refused."""

    def __init__(self, kind: str, limit: int):
        self.kind = kind
        self.left = limit

    def read(self, member, size: int) -> bytes:
        """At most ``size`` bytes, counted against the limit whatever the archive declared."""
        data = member.read(min(size, self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise too_complex("unpacked more than the limit")
        return data

    def parse(self, archive, info, on_start=None) -> None:
        """Stream one XML part through a parser that refuses DTDs and entities, calling
        ``on_start`` with each element's local name and attributes; without it, stop once the
        root element opens (the prolog, where a DTD would stand, is then read)."""

        class Target:
            def start(self, tag, attrib):
                if on_start is None:
                    raise _Stop
                on_start(_local(tag), {_local(key): value for key, value in attrib.items()})

            def end(self, tag):
                pass

            def data(self, data):
                pass

            def close(self):
                pass

        parser = DefusedXMLParser(target=Target(), forbid_dtd=True)
        read = 0
        try:
            with archive.open(info) as member:
                while chunk := self.read(member, READ_CHUNK):
                    parser.feed(chunk)
                    read += len(chunk)
                    if on_start is None and read >= PROLOG_BYTES:
                        raise damaged(self.kind, f"no root element in {info.filename}")
                parser.close()
        except _Stop:
            pass
        except DefusedXmlException as error:
            raise damaged(self.kind, f"{type(error).__name__} in {info.filename}") from error
        except ParseError as error:
            raise damaged(self.kind, f"{info.filename} is not XML") from error

    def package(self, archive: zipfile.ZipFile, depth: int) -> None:
        infos = archive.infolist()
        _check_names([info.filename for info in infos])
        xml = [info for info in infos if _is_xml(info)]
        if any(info.filename == "[Content_Types].xml" for info in infos):
            # Content types and relationships first: they name a part whatever it is called.
            for info in xml:
                name = info.filename.lower()
                if name == "[content_types].xml":
                    self.parse(archive, info, _ooxml_content_type)
                elif name.endswith(".rels"):
                    self.parse(archive, info, _ooxml_relationship)
            for info in xml:
                if info.filename != "[Content_Types].xml" and not info.filename.endswith(".rels"):
                    self.parse(archive, info)
        else:
            for info in xml:
                self.parse(archive, info, _odf_content)
        for info in infos:
            if info.is_dir() or _is_xml(info):
                continue
            with archive.open(info) as member:
                start = self.read(member, len(OLE_SIGNATURE))
            if start == OLE_SIGNATURE:
                raise _objects(f"compound file {info.filename}")
            if start.startswith(ZIP_SIGNATURE):
                self.embedded(archive, info, depth)

    def embedded(self, archive, info, depth: int) -> None:
        """An archive inside the archive (an XLSX behind a chart): checked as a document."""
        if depth >= MAX_NESTING:
            raise too_complex(f"nested package {info.filename}")
        with archive.open(info) as member:
            data = self.read(member, info.file_size)
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            _check_bounds(inner, self.left, self.kind)
            self.package(inner, depth + 1)


def check_office(path: str, extension: str) -> None:
    """Refuse an office document that is not what its extension says, costs too much to unpack,
    or carries active content."""
    kind = extension.upper()
    limit = settings.EXCHANGE_MAX_UNPACKED_BYTES
    try:
        with zipfile.ZipFile(path) as archive:
            _check_bounds(archive, limit, kind)
            names = set(archive.namelist())
            if extension in OOXML_MAIN_PARTS:
                if "[Content_Types].xml" not in names or OOXML_MAIN_PARTS[extension] not in names:
                    raise damaged(kind)
            else:
                expected = ODF_MIMETYPES[extension].encode()
                if "mimetype" not in names:
                    raise damaged(kind)
                with archive.open("mimetype") as member:
                    if member.read(len(expected) + 2).strip() != expected:
                        raise damaged(kind)
            _Inspection(kind, limit).package(archive, depth=0)
    except (zipfile.BadZipFile, OSError, KeyError) as error:
        raise damaged(kind) from error
