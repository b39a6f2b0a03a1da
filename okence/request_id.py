"""One id per request, on every log line of that request and in the response's X-Request-ID.

nginx makes one (``$request_id``) and passes it on, so that its access log and ours can be
joined; when it is missing or not a plain token (it is copied into logs and headers, so it must
stay short and printable), a new one is made here. The id lives in a context variable set by an
ASGI middleware around the whole application: asyncio tasks copy the context when they are made
and asgiref's ``sync_to_async`` copies it into the thread of a sync view, so Django's own logs,
the views', the WebSocket consumers' and uvicorn's access log (written from inside ``send``) all
see it.

asgi-correlation-id does the same for Starlette, but it needs Starlette and accepts only UUIDs
by default (nginx's ids are 32 hex digits); the middleware is the few lines below.
"""

import re
import uuid
from contextvars import ContextVar

HEADER = b"x-request-id"
WELL_FORMED = re.compile(rb"[A-Za-z0-9._-]{8,64}")

current: ContextVar[str | None] = ContextVar("request_id", default=None)


def from_headers(headers) -> str:
    """The id nginx passed on, if it is well-formed; otherwise a new one."""
    for name, value in headers:
        if name.lower() == HEADER and WELL_FORMED.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id for HTTP requests and WebSocket connections; HTTP responses carry it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = from_headers(scope.get("headers", ()))
        reset = current.set(request_id)

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != HEADER]
                message = message | {"headers": [*headers, (HEADER, request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current.reset(reset)
