"""What a file must be to enter a folder: a clean name, an allowed type, content that matches the
extension and parses as that type. Anything else is refused with a message the uploader reads.
"""

import logging
import unicodedata
from pathlib import PurePosixPath

import magic
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from okence.exchange.office_checks import check_office
from okence.exchange.pdf_checks import check_pdf
from okence.exchange.refusals import Refused, damaged  # Refused: imported from here by callers

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 150

# Per extension: the content types libmagic may report, and the type a download declares.
TYPES = {
    "pdf": ({"application/pdf"}, "application/pdf"),
    "jpg": ({"image/jpeg"}, "image/jpeg"),
    "jpeg": ({"image/jpeg"}, "image/jpeg"),
    "png": ({"image/png"}, "image/png"),
    "docx": (
        {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/zip",
        },
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "odt": (
        {"application/vnd.oasis.opendocument.text", "application/zip"},
        "application/vnd.oasis.opendocument.text",
    ),
    "ods": (
        {"application/vnd.oasis.opendocument.spreadsheet", "application/zip"},
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
}


def clean_name(name: str) -> str:
    """The name to show: no folders, no control characters, a sane length; else Refused.

    Invisible format characters (e.g. U+202E, which shows "cod.pdf" for "fdp.doc") are refused
    too: a name must read as what it is."""
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        raise Refused(
            _("The file name contains characters that are not allowed."),
            "control character in name",
        )
    name = unicodedata.normalize("NFC", name.replace("\\", "/"))
    name = " ".join(PurePosixPath(name).name.split()).strip(" .")
    if not name or "." not in name:
        raise Refused(_("The file needs a name with an extension, e.g. document.pdf."), "no name")
    if len(name) > MAX_NAME_LENGTH:
        stem, extension = name.rsplit(".", 1)
        name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}"
    return name


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def allowed_extensions() -> list[str]:
    return [ext for ext in settings.EXCHANGE_ALLOWED_TYPES if ext in TYPES]


def _not_allowed() -> Refused:
    return Refused(
        _(
            "This type of file is not accepted. Please send PDF (recommended), JPEG, "
            "PNG or an office document."
        ),
        "type not allowed",
    )


def _check_image(path: str, expected: str) -> None:
    try:
        with Image.open(path) as image:
            if image.format != expected:
                raise damaged(expected)
            # Decoding the pixels below takes memory by their number, not the file's size.
            if image.width * image.height > settings.EXCHANGE_MAX_IMAGE_PIXELS:
                raise Refused(
                    _("The image is too large (at most %(mp)d megapixels).")
                    % {"mp": settings.EXCHANGE_MAX_IMAGE_PIXELS // 1_000_000},
                    "too many pixels",
                )
            image.verify()
        with Image.open(path) as image:
            image.load()  # verify() skips the pixel data; a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise damaged(expected) from error


def verify(path: str, name: str) -> str:
    """Check a received file against its name; returns the content type to serve it with."""
    extension = extension_of(name)
    if extension not in allowed_extensions():
        raise _not_allowed()
    expected_types, content_type = TYPES[extension]
    detected = magic.from_file(path, mime=True)
    if detected not in expected_types:
        raise Refused(
            _("The content of the file does not match its name (.%(extension)s).")
            % {"extension": extension},
            f"content is {detected}",
        )
    try:
        if extension == "pdf":
            check_pdf(path)
        elif extension in ("jpg", "jpeg"):
            _check_image(path, "JPEG")
        elif extension == "png":
            _check_image(path, "PNG")
        else:
            check_office(path, extension)
    except Refused:
        raise
    except Exception as error:
        # Parsers fed hostile files also fail in ways they do not document (RecursionError in
        # pypdf, IndexError or DecompressionBombError in Pillow, zlib.error, RuntimeError or
        # NotImplementedError in zipfile): each means a damaged file, refused, never a crash.
        raise damaged("JPEG" if extension in ("jpg", "jpeg") else extension.upper()) from error
    return content_type
