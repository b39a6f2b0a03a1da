"""How uvicorn serves Okence, shared by ``manage.py serve`` and the tests' servers.

uvicorn reads a WebSocket message of up to 16 MiB (its default) before the consumers' own 64 KiB
check sees it: forty such frames at once cost 420 MB. Its limit is set a little above ours, so a
slightly oversized frame still gets our 4413, and anything larger is refused by uvicorn (1009)
as soon as the frame's header announces it, without reading it.
"""

import uvicorn
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from okence.booking import free_times
from okence.meetings import services as meetings


def ws_max_size() -> int:
    return 2 * settings.WEBSOCKET_MAX_MESSAGE_BYTES


def uvicorn_config(app, *, host: str, port: int, **options) -> uvicorn.Config:
    """With a time limit on each request's head (okence.server.http) and on WebSocket frames."""
    from okence.server.http import HeadTimeLimitProtocol

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        ws_max_size=ws_max_size(),
        http=HeadTimeLimitProtocol,
        # The client address and scheme from X-Forwarded-For/-Proto, believed from these proxies
        # only (okence/clientaddress.py keys the limits on it): without the proxy here every
        # citizen has its address; with any other host here anyone can claim any address.
        proxy_headers=True,
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
        **options,
    )


def forget_connections_on_start() -> int:
    """With the in-memory channel layer this process holds every socket, so none recorded
    before its start is alive (a restart, a crash). With several processes (Redis) one
    process's start says nothing about the others' sockets: the heartbeat reconciles those."""
    if not isinstance(get_channel_layer(), InMemoryChannelLayer):
        return 0
    return meetings.forget_all_connections()


def forget_kept_pages_on_start() -> None:
    """A start may follow an upgrade (kept calendar pages rendered by the older code) or a
    restore (free times of a database that is gone): nothing kept before it is used again.
    During a rolling restart an older worker may still keep pages under the new version, until
    it restarts in its turn and replaces the version once more."""
    free_times.forget_everything()
