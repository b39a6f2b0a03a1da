"""Office documents (DOCX, XLSX, ODT, ODS) are ZIP archives of XML parts. One is refused when
unpacking it would cost more than a check may spend, when it carries macros or embedded programs
(VBA, Excel 4.0 macro sheets, StarBasic, scripts, DDE fields and links, OLE objects, ActiveX
controls), or when a part is not plain XML (a DTD, which is how entity-expansion bombs start).

The work is bounded before any member is read, from the archive's central directory (member
count, declared unpacked size, compression ratio), and while reading, by the bytes actually
unpacked. Only the parts that say what the document does are read whole: the content types and
relationships of OOXML, parsed; other XML parts, searched for what a script, field or object tag
must contain and parsed where the search finds it (or else only to the end of the prolog, where a
DTD would stand); of other members their first bytes, to see what they really are.
XML goes through expat with every DTD refused: office parts have none, entity bombs need one.
"""

import contextlib
import io
import re
import zipfile
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from okence.exchange.refusals import Refused, damaged, macros, too_complex

MAX_MEMBERS = 5_000
# Office XML packs 5-30:1; a deflate bomb packs ~1000:1 (Apache POI refuses at 100:1 too). Small
# members are exempt: a few kilobytes of repeated markup may pack tighter and cost nothing.
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
MACRO_RELATIONSHIPS = {
    "vbaproject",
    "vbaprojectsignature",
    "wordvbadata",
    "xlmacrosheet",
    "xlintlmacrosheet",
}
OBJECT_RELATIONSHIPS = {"oleobject", "control", "activexcontrolbinary"}
# Parts Word fetches when the document opens: from a server, a template may bring macros
# ("remote template injection") and a UNC path gives the reader's Windows password hash away.
FETCHED_RELATIONSHIPS = {"attachedtemplate", "frame", "subdocument"}
REMOTE_TARGET = re.compile(r"\s*([a-z][a-z0-9+.-]*://(?!/)|\\\\|//)", re.IGNORECASE)
OOXML_MAIN_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
# Other OOXML parts are parsed only when they hold fields or DDE links (element names are
# written as they are); the rest only to their prolog.
OOXML_SUSPECTS = (b"instrtext", b"fldsimple", b"ddelink")
DDE_FIELD = re.compile(r"\s*dde(auto)?\b", re.IGNORECASE)

# ODF: elements that bind scripts to events or run them, elements that embed programs, and the
# link schemes that call a macro when followed.
ODF_SCRIPT_ELEMENTS = {"event-listener", "execute-macro", "script"}
ODF_OBJECT_ELEMENTS = {"object-ole", "applet", "plugin"}
ODF_SCRIPT_LINKS = ("vnd.sun.star.script:", "macro:")
ODF_SCRIPT_FOLDERS = ("basic/", "scripts/")
# What a tag above must contain, in lower case; a character reference (&#...;) could spell any
# of it. Parts without any of it are parsed without a look at each element.
ODF_SUSPECTS = (b"listener", b"execute-macro", b"object-ole", b"applet", b"plugin", b"macro:")
ODF_SUSPECTS += (b"basic/", b"oleobject", b"&#")
# "script" alone is in every namespace declaration: an element name ends in a space, > or /.
ODF_SUSPECT_SCRIPT = re.compile(rb"[:<]script[\s>/]|star\.script|scripts/")
SUSPECT_OVERLAP = 32
PLAIN_ENCODINGS = {b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1", b"latin1"}
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


class _DTD(Exception):
    """A document type declaration: no office part has one; entity bombs need one."""


def _refuse_dtd(*args):
    raise _DTD


def _odf_suspect(window: bytes) -> bool:
    window = window.lower()
    if any(suspect in window for suspect in ODF_SUSPECTS):
        return True
    return b"script" in window and ODF_SUSPECT_SCRIPT.search(window) is not None


def _plain(start: bytes) -> bool:
    """Whether a part is in an encoding where the suspects are written as they are (UTF-8 and
    the like; not UTF-16 or EBCDIC)."""
    start = start.removeprefix(b"\xef\xbb\xbf")
    declared = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)", start)
    encoding = declared[1].lower() if declared else b"utf-8"
    return start.startswith(b"<") and b"\x00" not in start[:4] and encoding in PLAIN_ENCODINGS


def _stop(*args):
    raise _Stop


def _parser(on_start):
    """An expat parser that refuses DTDs and calls ``on_start`` (or stops) at each element."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.StartElementHandler = on_start or _stop
    return parser


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
    target = attributes.get("target", "")
    if kind in FETCHED_RELATIONSHIPS and REMOTE_TARGET.match(target):
        raise Refused(
            _(
                "Documents that fetch templates or parts from the internet when opened are not "
                "accepted; please save the document without the link, or as PDF."
            ),
            f"relationship {kind} to {target}",
        )


def _ooxml_suspect(window: bytes) -> bool:
    window = window.lower()
    return any(suspect in window for suspect in OOXML_SUSPECTS)


class _Fields:
    """The field codes of a Word part (a fldSimple's instruction, or the text of instrText runs
    between a fldChar begin and its separate or end, however many runs it is split into), and
    Excel's DDE links: DDE and DDEAUTO fields start a program when the document opens."""

    def __init__(self):
        self.codes: list[str | None] = []  # open fields; None once past their code
        self.in_code = False

    def start(self, name: str, attributes: dict) -> None:
        if name == "ddelink":
            raise macros(f"DDE link to {attributes.get('ddeservice')}")
        if name == "fldsimple":
            _check_field(attributes.get("instr", ""))
        elif name == "instrtext":
            self.in_code = True
        elif name == "fldchar":
            kind = attributes.get("fldchartype")
            if kind == "begin":
                self.codes.append("")
            elif kind in ("separate", "end") and self.codes:
                _check_field(self.codes[-1] or "")
                if kind == "end":
                    self.codes.pop()
                else:
                    self.codes[-1] = None

    def end(self, name: str) -> None:
        if name == "instrtext":
            self.in_code = False

    def data(self, text: str) -> None:
        if self.in_code and self.codes and self.codes[-1] is not None:
            self.codes[-1] += text


def _check_field(code: str) -> None:
    if DDE_FIELD.match(code):
        raise macros(f"DDE field {code.strip()[:60]}")


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

    @contextlib.contextmanager
    def _reading_xml(self, info):
        try:
            yield
        except _Stop:
            pass
        except _DTD as error:
            raise damaged(self.kind, f"DTD in {info.filename}") from error
        except expat.ExpatError as error:
            raise damaged(self.kind, f"{info.filename} is not XML") from error

    def parse(self, archive, info, on_start=None, on_end=None, on_data=None) -> None:
        """Stream one XML part through expat, refusing any DTD (where entity bombs and external
        entities start), and give each element's local name and attributes to ``on_start``
        (its local name to ``on_end``, text to ``on_data``); without ``on_start``, stop once
        the root element opens: the prolog, where a DTD stands, is read."""

        def start(tag, attributes):
            if on_start is None:
                raise _Stop
            on_start(_local(tag), {_local(key): value for key, value in attributes.items()})

        parser = _parser(start)
        if on_end:
            parser.EndElementHandler = lambda tag: on_end(_local(tag))
        if on_data:
            parser.CharacterDataHandler = on_data
        read = 0
        with self._reading_xml(info), archive.open(info) as member:
            while chunk := self.read(member, READ_CHUNK):
                parser.Parse(chunk, False)
                read += len(chunk)
                if on_start is None and read >= PROLOG_BYTES:
                    raise damaged(self.kind, f"no root element in {info.filename}")
            parser.Parse(b"", True)

    def suspected(self, archive, info, suspect) -> bool:
        """Whether ``suspect`` finds something in a part, read once: its prolog is parsed (a
        DTD refused), the rest only searched. A part in an encoding where the searched bytes
        could be written otherwise (UTF-16) is suspect as such. Parsing every element of a
        large part with Python called for each costs seconds; a search, a fraction of that."""
        parser = _parser(None)
        in_prolog, tail, read = True, b"", 0
        with archive.open(info) as member:
            while chunk := self.read(member, READ_CHUNK):
                if (read == 0 and not _plain(chunk)) or suspect(tail + chunk):
                    return True
                if in_prolog:
                    with self._reading_xml(info):
                        try:
                            parser.Parse(chunk, False)
                        except _Stop:  # the root element opened
                            in_prolog = False
                tail, read = chunk[-SUSPECT_OVERLAP:], read + len(chunk)
                if in_prolog and read >= PROLOG_BYTES:
                    raise damaged(self.kind, f"no root element in {info.filename}")
        if in_prolog:
            with self._reading_xml(info):
                parser.Parse(b"", True)
        return False

    def package(self, archive: zipfile.ZipFile, depth: int) -> None:
        infos = archive.infolist()
        _check_names([info.filename for info in infos])
        xml = [info for info in infos if _is_xml(info)]
        # OPC part names are case-insensitive. A package may pretend to be both kinds: then it
        # is checked as both.
        content_types = [info for info in xml if info.filename.lower() == "[content_types].xml"]
        odf = not content_types or any(info.filename == "mimetype" for info in infos)
        # Content types and relationships first: they name a part whatever it is called.
        declarations = {info.filename: _ooxml_content_type for info in content_types}
        if content_types:
            for info in xml:
                if info.filename.lower().endswith(".rels"):
                    declarations[info.filename] = _ooxml_relationship
        for info in sorted(xml, key=lambda info: info.filename not in declarations):
            if info.filename in declarations:
                self.parse(archive, info, declarations[info.filename])
            elif not odf:
                if self.suspected(archive, info, _ooxml_suspect):
                    fields = _Fields()
                    self.parse(archive, info, fields.start, fields.end, fields.data)
            elif self.suspected(archive, info, _odf_suspect):
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
