"""The folder pages, their file lists and downloads, for the citizen and for the official."""

import os

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from okence.exchange import access, checks, services
from okence.exchange.listing import describe
from okence.meetings.exceptions import MeetingError
from okence.offices.access import official_of

CHUNK_BYTES = 1024 * 1024
# A download is never run as a page: even if a browser were asked to render it.
DOWNLOAD_POLICY = {"default-src": ["'none'"], "sandbox": True}


def _folder_page(request, grant):
    if grant is None:
        raise Http404
    files = list(grant.folder.files.all()) if services.available(grant.folder) else []
    return render(
        request,
        "exchange/folder.html",
        {
            "grant": grant,
            "appointment": grant.appointment,
            "folder": grant.folder,
            "available": services.available(grant.folder),
            "files": [describe(grant, file) for file in files],
            "role": grant.visitor.role,
            "upload_url": grant.url("upload"),
            "list_url": grant.url("files"),
            "download_url": grant.url("download"),
            "socket_path": grant.socket_path,
            "allowed": [f".{extension}" for extension in checks.allowed_extensions()],
            "limits": {
                "file_mb": settings.EXCHANGE_MAX_FILE_BYTES // 2**20,
                "folder_mb": settings.EXCHANGE_MAX_FOLDER_BYTES // 2**20,
                "files": settings.EXCHANGE_MAX_FILES,
            },
        },
        status=200 if grant.folder else 404,
    )


def _files(grant):
    if grant is None or not services.available(grant.folder):
        raise Http404
    return JsonResponse({"files": [describe(grant, file) for file in grant.folder.files.all()]})


@csp_override(DOWNLOAD_POLICY)
def _download(request, grant):
    """One chosen file downloads as itself; several as one ZIP."""
    if grant is None or not services.available(grant.folder):
        raise Http404
    # ASCII digits that fit a database integer only ("²" is a digit to isdigit(), not to int()).
    ids = [
        int(value)
        for value in request.GET.getlist("id")
        if value.isascii() and value.isdigit() and len(value) < 19
    ]
    files = list(grant.folder.files.filter(pk__in=ids))
    if not files or len(files) != len(set(ids)):
        raise Http404
    services.downloaded(grant.folder, files, grant.visitor, timezone.now())
    if len(files) == 1:
        file = files[0]
        return _attachment(
            services.storage().open(file.stored_name), file.name, file.content_type, file.size
        )
    archive = services.zip_of(files)
    return _attachment(archive, "mapa.zip", "application/zip", os.fstat(archive.fileno()).st_size)


def _attachment(source, filename: str, content_type: str, size: int) -> StreamingHttpResponse:
    """A file as a download, read in chunks from a thread: under ASGI a plain FileResponse
    would be read into memory whole before the first byte goes out."""

    async def chunks():
        try:
            while chunk := await sync_to_async(source.read)(CHUNK_BYTES):
                yield chunk
        finally:
            await sync_to_async(source.close)()

    response = StreamingHttpResponse(chunks(), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(size)
    return response


@require_GET
def citizen_folder(request, token):
    return _folder_page(request, access.for_citizen(token))


@require_GET
def citizen_files(request, token):
    return _files(access.for_citizen(token))


@require_GET
def citizen_download(request, token):
    return _download(request, access.for_citizen(token))


@login_required
@require_GET
def official_folder(request, public_id):
    return _folder_page(request, access.for_official(request.user, public_id))


@login_required
@require_GET
def official_files(request, public_id):
    return _files(access.for_official(request.user, public_id))


@login_required
@require_GET
def official_download(request, public_id):
    return _download(request, access.for_official(request.user, public_id))


@login_required
@require_POST
def create(request, public_id):
    """The official's "create shared folder" in the meeting; answers with the folder's address."""
    grant = access.for_official(request.user, public_id)
    if grant is None:
        raise Http404
    try:
        services.create_folder(grant.appointment, official_of(request.user), timezone.now())
    except MeetingError as refusal:
        return JsonResponse({"error": str(refusal)}, status=409)
    return JsonResponse({"url": grant.url("folder")}, status=201)


def upload_placeholder(request, **kwargs):
    """Uploads are served by okence.exchange.upload in front of Django; this only names the URL."""
    return JsonResponse({"error": "PUT only"}, status=405)
