"""A PDF is refused when it does not parse, when it holds more than a check may walk, or when it
carries active content: JavaScript, actions that launch programs or import data, rich media,
XFA forms, or attached files (which may be executables).

Every object the file contains is looked at, not only those the page tree reaches: objects in
object streams (compressed, where a plain search would not see them) as well, and pypdf reads
names with their escapes undone (``/J#53`` is ``/JS``). A file whose bytes name none of it, hold
no object stream and escape no name is spared that walk. Decompression, objects, pages and
nesting are bounded.
"""

import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from okence.exchange.refusals import Refused, damaged, too_complex

MAX_OBJECTS = 100_000
MAX_PAGES = 5_000
MAX_DEPTH = 50  # nesting of direct arrays and dictionaries inside one object

SCRIPT_KEYS = {"/JS", "/JavaScript", "/XFA", "/RichMediaContent", "/RichMediaSettings"}
SCRIPT_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/GoToE"}
SCRIPT_SUBTYPES = {"/RichMedia", "/3D"}
ATTACHMENT_KEYS = {"/EmbeddedFile", "/EmbeddedFiles", "/EF"}
ATTACHMENT_TYPES = {"/EmbeddedFile", "/FileAttachment"}
# Outside object streams, names stand in the file as written; /ObjStm and #xx escapes send the
# check through every object.
SUSPECT_NAMES = tuple(
    name.encode()
    for name in {*SCRIPT_KEYS, *SCRIPT_ACTIONS, *SCRIPT_SUBTYPES, *ATTACHMENT_KEYS}
    | {*ATTACHMENT_TYPES, "/ObjStm"}
)
ESCAPED_NAME = re.compile(rb"/[^\s/<>\[\]()%{}#]*#[0-9A-Fa-f]{2}")
SCAN_CHUNK = 1024 * 1024
SCAN_OVERLAP = 32


def _scripts(detail: str) -> Refused:
    return Refused(
        _(
            "PDF files with scripts or automatic actions are not accepted; please print the "
            "document to a new PDF and send that."
        ),
        detail,
    )


def _attachments(detail: str) -> Refused:
    return Refused(
        _("PDF files with attached files are not accepted; please send each file separately."),
        detail,
    )


def _inspect(dictionary: DictionaryObject) -> None:
    keys = set(dictionary.keys())
    if found := keys & SCRIPT_KEYS:
        raise _scripts(f"key {sorted(found)[0]}")
    if found := keys & ATTACHMENT_KEYS:
        raise _attachments(f"key {sorted(found)[0]}")
    action, kind, subtype = (dictionary.get(key) for key in ("/S", "/Type", "/Subtype"))
    if action in SCRIPT_ACTIONS:
        raise _scripts(f"action {action}")
    if subtype in SCRIPT_SUBTYPES:
        raise _scripts(f"annotation {subtype}")
    if kind in ATTACHMENT_TYPES or subtype in ATTACHMENT_TYPES:
        raise _attachments(f"object {kind or subtype}")


def _walk(value, depth: int = 0) -> None:
    """Look at one object and what it holds directly; what it refers to is looked at in turn."""
    if depth > MAX_DEPTH:
        raise too_complex("objects nest too deep")
    if isinstance(value, DictionaryObject):  # streams too: their dictionary
        _inspect(value)
        children = dict.values(value)
    elif isinstance(value, ArrayObject):
        children = list.__iter__(value)
    else:
        return
    for child in children:
        if not isinstance(child, IndirectObject):
            _walk(child, depth + 1)


def check_pdf(path: str) -> None:
    limit = settings.EXCHANGE_MAX_UNPACKED_BYTES
    bounds = {
        f"{codec}_maximum_output_length": limit
        for codec in ("zlib", "lzw", "run_length", "brotli", "jbig2")
    }
    try:
        # Given a path, pypdf reads the whole file into memory; given a file, it seeks.
        with (
            apply_configuration(**bounds, page_tree_maximum_entries=MAX_PAGES * 2),
            open(path, "rb") as source,
        ):
            _check_reader(PdfReader(source, strict=False), limit, walk=_suspect(path))
    except Refused:
        raise
    except LimitReachedError as error:
        raise too_complex(f"pypdf limit: {error}") from error
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise damaged("PDF") from error


def _suspect(path: str) -> bool:
    """Whether the bytes of the file name anything looked for, escape a name, or hide objects
    in object streams: if not, walking every object (pypdf parses some thousands a second)
    would find nothing."""
    tail = b""
    with open(path, "rb") as source:
        while chunk := source.read(SCAN_CHUNK):
            window, tail = tail + chunk, chunk[-SCAN_OVERLAP:]
            if any(name in window for name in SUSPECT_NAMES):
                return True
            if b"#" in window and ESCAPED_NAME.search(window):
                return True
    return False


def _check_reader(reader: PdfReader, limit: int, *, walk: bool) -> None:
    references = {
        (number, generation) for generation, table in reader.xref.items() for number in table
    }
    references |= {(number, 0) for number in reader.xref_objStm}
    if len(references) > MAX_OBJECTS:
        raise too_complex(f"{len(references)} objects")
    pages = len(reader.pages)
    if pages < 1:
        raise damaged("PDF")
    if pages > MAX_PAGES:
        raise too_complex(f"{pages} pages")
    # Object streams are unpacked once each (pypdf keeps them); their sum is bounded too.
    unpacked = 0
    for number in {stream for stream, _index in reader.xref_objStm.values()}:
        unpacked += len(reader.get_object(number).get_data())
        if unpacked > limit:
            raise too_complex("object streams unpack to more than the limit")
    if not walk:
        return
    _walk(reader.trailer)
    for number, generation in sorted(references):
        _walk(reader.get_object(IndirectObject(number, generation, reader)))
