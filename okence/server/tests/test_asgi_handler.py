"""The ASGI handler Okence serves Django with: each request crosses into its thread once.

Under ASGI each crossing from the event loop into the request's thread is a handoff between
threads, and on a kept calendar page the handoffs cost more than the page.
"""

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.urls import reverse

from okence.server.asgi_handler import SyncChainHandler

pytestmark = pytest.mark.django_db


def crossings_and_response(handler, monkeypatch, path: str) -> tuple[list[str], dict]:
    """What crossed into the request's thread while ``handler`` answered a GET of ``path``."""
    crossed = []
    cross = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        crossed.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await cross(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def get():
        communicator = ApplicationCommunicator(handler, scope)
        await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await communicator.receive_output(5)
        body = b""
        while True:
            message = await communicator.receive_output(5)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.wait()
        return {"status": start["status"], "body": body}

    response = async_to_sync(get)()
    monkeypatch.undo()
    return crossed, response


def test_a_request_crosses_into_its_thread_once_for_the_middleware_and_view(monkeypatch):
    """Caught: Django's own handler crossed for the chain, CSRF's process_view and the view
    apart (5 crossings a request, and 8 with a sync-only middleware above async-capable ones)."""
    path = reverse("legal:privacy")
    crossed, response = crossings_and_response(SyncChainHandler(), monkeypatch, path)
    assert response["status"] == 200 and b"<html" in response["body"]
    # request_started, the middleware chain with the view, and the response's close
    # (request_finished).
    assert len(crossed) == 3, crossed
    djangos, same = crossings_and_response(ASGIHandler(), monkeypatch, path)
    assert same["body"].count(b"<") == response["body"].count(b"<")
    assert len(djangos) > len(crossed)


def test_the_served_application_is_this_handler():
    from okence import asgi

    assert isinstance(asgi.django_application, SyncChainHandler)
