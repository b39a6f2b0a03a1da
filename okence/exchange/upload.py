"""Uploads, as a small ASGI app in front of Django: the body streams from the socket to a
temporary file on disk, counted and hashed as it comes. A file over the limit is refused at the
first chunk past it, and no upload is ever held in memory whole.

Before a byte of the body is read, the upload claims its declared size of the folder's room and
one of the few places the folder and the uploader have for uploads at once (services.reserve),
so that no more is written to disk than can enter; a body that stops coming is dropped. The
file's checks then run in a worker process (inspection), where a slow one holds up no socket or
page of other meetings and one that runs too long is killed.

The browser sends each file as the raw body of a PUT (its name in ``?name=``), which lets it show
progress and cancel. Officials are known by their session cookie: a PUT with a JSON answer cannot
be sent cross-site without a CORS preflight, which Okence never grants, and the Origin is checked.
"""

import asyncio
import hashlib
import ipaddress
import json
import tempfile
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from okence.exchange import access, checks, inspection, services
from okence.exchange.checks import Refused
from okence.exchange.listing import describe


async def respond(send, status: int, content: dict) -> None:
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _headers(scope) -> dict[str, str]:
    return {key.decode().lower(): value.decode("latin-1") for key, value in scope["headers"]}


def _same_origin(headers: dict[str, str]) -> bool:
    """The page that sends the upload is served by this site: the Origin's host and port are
    the Host the request went to, and the host is one this site serves."""
    origin = headers.get("origin")
    if origin is None:
        return False
    parts = urlsplit(origin)
    if parts.hostname is None or parts.netloc != headers.get("host"):
        return False
    return parts.hostname in settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS


def uploader_of(scope, visitor) -> str:
    """Whose uploads count together: an official by sign-in; a citizen by address, an IPv6
    address by its /64 (one household or device holds a whole /64)."""
    if visitor.user_id is not None:
        return f"user:{visitor.user_id}"
    host = (scope.get("client") or ("",))[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"address:{host[:50]}"
    if address.version == 6:
        return f"address:{ipaddress.ip_network((address, 64), strict=False)}"
    return f"address:{address}"


class Stalled(Exception):
    """The body stopped coming, or took longer than an upload may."""


class UploadApp:
    async def __call__(self, scope, receive, send):
        headers = _headers(scope)
        language = scope["url_route"]["kwargs"].get("language") or settings.LANGUAGE_CODE
        with translation.override(language):
            await self.handle(scope, receive, send, headers)

    async def handle(self, scope, receive, send, headers):
        if scope["method"] != "PUT":
            await respond(send, 405, {"error": "PUT only"})
            return
        if not _same_origin(headers):
            await respond(send, 403, {"error": _("This upload came from another site.")})
            return
        grant = await self.access(scope)
        if grant is None or not services.available(grant.folder):
            await respond(send, 404, {"error": _("This folder is not available.")})
            return
        name = parse_qs(scope.get("query_string", b"").decode()).get("name", [""])[0]
        try:
            length = int(headers.get("content-length", ""))
            if length < 0:  # (uvicorn's parsers refuse one; a negative claim would free room)
                raise ValueError(length)
        except ValueError:
            await respond(send, 411, {"error": _("The upload did not say how large it is.")})
            return
        now = timezone.now()
        uploader = uploader_of(scope, grant.visitor)
        try:
            claim = await database_sync_to_async(services.reserve)(
                grant.folder, grant.visitor, uploader, name, length, now
            )
        except Refused as refusal:
            status = {services.Busy: 429, services.Closed: 403}.get(type(refusal), 413)
            await respond(send, status, {"error": str(refusal.message)})
            return
        try:
            status, content = await self.receive_and_store(receive, grant, name, length, now)
        finally:
            # Before the answer, so that a client that uploads its next file as soon as this one
            # is answered finds the place free.
            await database_sync_to_async(services.release)(claim)
        await respond(send, status, content)

    async def receive_and_store(self, receive, grant, name, length, now) -> tuple[int, dict]:
        """Receive, check and keep the file: the status and content of the answer."""
        with tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as temporary:
            try:
                received = await self.receive_body(receive, temporary, limit=length)
            except Stalled:
                return 408, {"error": _("The upload stalled and was stopped.")}
            if received is None:
                return 400, {"error": _("The upload was interrupted.")}
            size, digest = received
            try:
                clean = checks.clean_name(name)
                content_type = await inspection.inspect(temporary.name, clean)
            except Refused as refusal:
                await database_sync_to_async(services.refuse)(
                    grant.folder, grant.visitor, name, refusal, now
                )
                return 422, {"error": str(refusal.message)}
            stored_name = await sync_to_async(services.keep, thread_sensitive=False)(
                grant.appointment.public_id.hex, temporary.name
            )
            try:
                file = await database_sync_to_async(services.store)(
                    grant.folder,
                    grant.visitor,
                    stored_name,
                    clean,
                    content_type,
                    size,
                    digest,
                    now,
                )
            except Refused as refusal:
                return 422, {"error": str(refusal.message)}
        return 201, {"file": await database_sync_to_async(describe)(grant, file)}

    async def access(self, scope):
        kwargs = scope["url_route"]["kwargs"]
        if "token" in kwargs:
            return await database_sync_to_async(access.for_citizen)(kwargs["token"])
        return await database_sync_to_async(access.for_official)(scope["user"], kwargs["public_id"])

    async def receive_body(self, receive, target, *, limit: int):
        """Write the body to ``target``; None if it ends early, runs past ``limit`` or the client
        goes away; Stalled if no chunk comes for EXCHANGE_UPLOAD_STALL_SECONDS or the whole body
        is not there after EXCHANGE_UPLOAD_SECONDS. The declared length was checked against the
        limits already, so a body that runs past it is refused at the first chunk too many."""
        size, digest = 0, hashlib.sha256()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.EXCHANGE_UPLOAD_SECONDS
        while True:
            wait = min(settings.EXCHANGE_UPLOAD_STALL_SECONDS, deadline - loop.time())
            try:
                message = await asyncio.wait_for(receive(), max(wait, 0))
            except TimeoutError:
                raise Stalled from None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            target.write(chunk)
            digest.update(chunk)
            if not message.get("more_body", False):
                break
        target.flush()
        return (size, digest.hexdigest()) if size == limit else None
