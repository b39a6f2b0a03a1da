"""A folder's files as the pages and the upload answer show them."""

from django.utils import formats

from okence.exchange.checks import extension_of
from okence.exchange.models import SharedFile


def size_label(size: int) -> str:
    """E.g. "7,4 KB", "431 KB", "3,2 MB" in the active language's number format."""
    if size >= 1024 * 1024:
        return f"{formats.number_format(size / 1024 / 1024, 1)} MB"
    return f"{formats.number_format(size / 1024, 0 if size >= 10240 else 1)} KB"


def describe(grant, file: SharedFile) -> dict:
    return {
        "id": file.pk,
        "name": file.name,
        "type": extension_of(file.name).upper(),
        "size": file.size,
        "size_label": size_label(file.size),
        "uploaded_by": file.uploaded_by,
        "uploaded_by_label": str(file.get_uploaded_by_display()),
        "created_at": file.created_at.isoformat(),
        "download_url": grant.url("download") + f"?id={file.pk}",
    }
