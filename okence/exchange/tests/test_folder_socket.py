"""The folder page's socket: open while the folder is; refused before it exists and once purged."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from okence.asgi import application
from okence.conftest import make_appointment, session_cookie
from okence.exchange.models import SharedFolder

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


async def opens(path: str, headers=()) -> bool:
    socket = WebsocketCommunicator(application, path, headers=ORIGIN + list(headers))
    connected, _ = await socket.connect(timeout=2)
    if connected:
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=2) == {"type": "pong"}
        await socket.disconnect()
    return connected


@pytest.fixture
def meeting(ana):
    appointment, token = make_appointment(ana)
    cookie = (b"cookie", session_cookie(ana.user).encode())
    return appointment, [
        (f"/ws/mapa/{token}/", []),
        (f"/ws/uradnik/mapa/{appointment.public_id}/", [cookie]),
    ]


async def test_the_folder_socket_is_open_only_while_the_folder_is(meeting, ana):
    appointment, sockets = meeting
    for path, headers in sockets:
        assert not await opens(path, headers)  # no folder yet
    folder = await sync_to_async(SharedFolder.objects.create)(
        appointment=appointment, created_at=timezone.now(), created_by=ana.user
    )
    for path, headers in sockets:
        assert await opens(path, headers)
    folder.purged_at = timezone.now()
    await sync_to_async(folder.save)()
    for path, headers in sockets:
        assert not await opens(path, headers)
