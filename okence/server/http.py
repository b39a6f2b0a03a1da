"""uvicorn's HTTP protocol with a time limit on the head of each request.

uvicorn limits how long a kept-alive connection may sit idle, but not how long a client may take
to send a request line and its headers: one that sends a byte every few seconds holds its
connection (and a file descriptor) for as long as it likes, and a few thousand such clients hold
them all. Here a request whose head is not all there ``HTTP_HEADER_SECONDS`` after the connection
opened, or after the answer to the request before it, is answered 408 and its connection closed.

Served as uvicorn's ``http`` protocol: ``manage.py serve`` uses it, and so can
``uvicorn --http okence.server.http:HeadTimeLimitProtocol``.
"""

import asyncio

from django.conf import settings
from uvicorn.protocols.http.auto import AutoHTTPProtocol

TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class HeadTimeLimitProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.expect_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.expect_head()

    def connection_lost(self, exc) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
        super().connection_lost(exc)

    def expect_head(self) -> None:
        """The next request's head is due; a new ``cycle`` is made when it has all come."""
        if self.head_timer is not None:
            self.head_timer.cancel()
        self.head_timer = self.loop.call_later(
            settings.HTTP_HEADER_SECONDS, self.head_overdue, self.cycle
        )

    def head_overdue(self, cycle) -> None:
        # Not when a request began meanwhile, nor once the connection became a WebSocket's.
        if self.cycle is not cycle or self.transport.get_protocol() is not self:
            return
        if not self.transport.is_closing():
            self.transport.write(TIMED_OUT)
            self.transport.close()
