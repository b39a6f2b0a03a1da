"""A folder's files as the pages and the upload answer show them."""

from django.utils import formats

from okence.exchange.checks import extension_of
from okence.exchange.models import SharedFile


def describe(grant, file: SharedFile) -> dict:
    return {
        "id": file.pk,
        "name": file.name,
        "type": extension_of(file.name).upper(),
        "size": file.size,
        "size_label": formats.number_format(file.size / 1024, 0 if file.size >= 10240 else 1)
        + " KB"
        if file.size < 1024 * 1024
        else formats.number_format(file.size / 1024 / 1024, 1) + " MB",
        "uploaded_by": file.uploaded_by,
        "uploaded_by_label": str(file.get_uploaded_by_display()),
        "created_at": file.created_at.isoformat(),
        "download_url": grant.url("download") + f"?id={file.pk}",
    }
