"""A PDF is refused when it does not parse, when it holds more than a check may walk, or when it
carries active content: JavaScript, actions that launch programs, import or submit data or open
other files, rich media, XFA forms, or attached files (which may be executables).

Every object the file lists is looked at, not only those the page tree reaches, objects in
object streams (compressed, where a plain search would not see them) too, and names are read
with their escapes undone (``/J#53`` is ``/JS``). A stream's data is never read: only its
dictionary, read from the file where the cross-reference table says the object starts, up to
the end of the dictionary. So the time of the check grows with the number of objects and the
size of their dictionaries, not with the size of the file: a 1 GiB scan is four small
dictionaries. Links to the web (``/URI``) and moves within the document stay allowed.
Decompression, objects, pages, dictionaries and nesting are bounded."""

import io
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, read_object

from okence.exchange.refusals import Refused, damaged, too_complex

MAX_OBJECTS = 100_000
MAX_PAGES = 5_000
MAX_DEPTH = 50  # nesting of direct arrays and dictionaries inside one object
MAX_HEAD = 4 * 1024 * 1024  # one object's dictionary or array, as written in the file
HEAD_CHUNK = 64 * 1024

SCRIPT_KEYS = {"/JS", "/JavaScript", "/XFA", "/RichMediaContent", "/RichMediaSettings"}
# Actions that run code, start programs, load data into the document, send the form's data
# away, or open another file (a remote one by a network path gives the official's Windows
# password hash away); /URI, the links to the web that viewers ask before opening, stays.
SCRIPT_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/RichMediaExecute",
    "/GoToE",
    "/GoToR",
    "/SubmitForm",
}
SCRIPT_SUBTYPES = {"/RichMedia", "/3D"}
ATTACHMENT_KEYS = {"/EmbeddedFile", "/EmbeddedFiles", "/EF"}
ATTACHMENT_TYPES = {"/EmbeddedFile", "/FileAttachment"}
# An object's dictionary is parsed only when it names one of these, escapes undone.
LOOKED_FOR = {
    name.encode()
    for name in SCRIPT_KEYS | SCRIPT_ACTIONS | SCRIPT_SUBTYPES | ATTACHMENT_KEYS | ATTACHMENT_TYPES
}
NAME = re.compile(rb"/[^\s()<>\[\]{}/%]*")  # as pypdf reads a name: up to a delimiter
ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
OBJECT_HEADER = re.compile(rb"\s*\d+\s+\d+\s+obj")
SYNTAX = re.compile(rb"[()<>\[\]%\\]")
LINE_END = re.compile(rb"[\r\n]")
SPACE = re.compile(rb"(?:\s|%[^\r\n]*)*")


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


def _inspect_name(name: NameObject) -> None:
    """An object that is only a name: ``/S 7 0 R``, object 7 ``/JavaScript``, is an action too."""
    if name in SCRIPT_ACTIONS:
        raise _scripts(f"action {name}")
    if name in SCRIPT_SUBTYPES:
        raise _scripts(f"annotation {name}")
    if name in ATTACHMENT_TYPES:
        raise _attachments(f"object {name}")


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
        if depth == 0 and isinstance(value, NameObject):
            _inspect_name(value)
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
            _check_reader(PdfReader(source, strict=False), source, limit)
    except Refused:
        raise
    except LimitReachedError as error:
        raise too_complex(f"pypdf limit: {error}") from error
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as error:
        raise damaged("PDF") from error


def _check_reader(reader: PdfReader, source, limit: int) -> None:
    written = {  # objects as written in the file: where each starts
        (number, generation): offset
        for generation, table in reader.xref.items()
        for number, offset in table.items()
    }
    packed = {(number, 0) for number in reader.xref_objStm}  # objects in object streams
    if len(written.keys() | packed) > MAX_OBJECTS:
        raise too_complex(f"{len(written.keys() | packed)} objects")
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
    _walk(reader.trailer)
    for reference in sorted(packed):  # pypdf prefers these to an object of the same number
        _walk(reader.get_object(IndirectObject(*reference, reader)))
    for (number, generation), offset in sorted(written.items()):
        head = _head(source, offset)
        if head is None:  # not where the table says, or not closed within MAX_HEAD: pypdf's way
            _walk(reader.get_object(IndirectObject(number, generation, reader)))
        elif _names_looked_for(head):
            _walk(read_object(io.BytesIO(head), reader))


def _names_looked_for(head: bytes) -> bool:
    """Whether the bytes hold a name looked for, read as pypdf reads names (``#xx`` undone)."""
    for name in NAME.findall(head):
        if b"#" in name:
            name = ESCAPE.sub(lambda match: bytes([int(match[1], 16)]), name)
        if name in LOOKED_FOR:
            return True
    return False


def _head(source, offset: int) -> bytes | None:
    """The value of the object that starts at ``offset``, without a stream's data: a dictionary
    or an array up to its closing bracket, anything else up to ``endobj``. None when there is no
    object header there or the value does not end within MAX_HEAD bytes."""
    size = HEAD_CHUNK
    while True:
        source.seek(offset)
        data = source.read(size)
        header = OBJECT_HEADER.match(data)
        if header is None:
            return None
        start = SPACE.match(data, header.end()).end()
        end = _value_end(data, start)
        if end is not None:
            return data[start:end]
        if len(data) < size or size >= MAX_HEAD:
            return None
        size = min(size * 4, MAX_HEAD)


def _value_end(data: bytes, start: int) -> int | None:
    """Where the value at ``data[start]`` ends, or None when ``data`` ends first. Strings,
    comments and hexadecimal strings are skipped whole, so brackets inside them do not count;
    a closing bracket that does not match is passed over, which can only make the value read
    longer than pypdf reads it, never shorter."""
    if not data.startswith((b"<<", b"["), start):
        end = data.find(b"endobj", start)
        return None if end < 0 else end
    open_brackets = []
    position = start
    while match := SYNTAX.search(data, position):
        position = match.start()
        if data.startswith(b"<<", position):
            open_brackets.append(b">>")
            position += 2
        elif data.startswith(b">>", position):
            if open_brackets and open_brackets[-1] == b">>":
                open_brackets.pop()
            position += 2
        elif data[position] == ord("["):
            open_brackets.append(b"]")
            position += 1
        elif data[position] == ord("]"):
            if open_brackets and open_brackets[-1] == b"]":
                open_brackets.pop()
            position += 1
        elif data[position] == ord("<"):  # a hexadecimal string
            position = data.find(b">", position) + 1
            if position == 0:
                return None
        elif data[position] == ord("("):
            position = _string_end(data, position)
            if position is None:
                return None
        elif data[position] == ord("%"):
            line_end = LINE_END.search(data, position)
            if line_end is None:
                return None
            position = line_end.end()
        else:  # a stray ">" or backslash
            position += 1
        if not open_brackets:
            return position
    return None


STRING_SYNTAX = re.compile(rb"[()\\]")


def _string_end(data: bytes, start: int) -> int | None:
    """After the literal string that opens at ``data[start]``: parentheses nest, ``\\`` escapes."""
    depth, position = 0, start
    while match := STRING_SYNTAX.search(data, position):
        position = match.end()
        if match[0] == b"\\":
            position += 1
        elif match[0] == b"(":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return position
    return None
