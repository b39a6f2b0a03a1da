"""Only the site's own pages may open its sockets: the Origin must be the site's, in full.

A browser sends the official's cookies with any page's WebSocket handshake, so the socket itself
checks where the page came from. Channels' AllowedHostsOriginValidator compares the host name
only; another port or plain http on the same host (a different origin, perhaps another service)
would pass. Here scheme, host and port must be SITE_URL's; in development and tests, also the
origin the server is reached at (any ``ALLOWED_HOSTS`` name with the served scheme and port).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the port made explicit; None if it is not http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def served_origins(scope) -> set[tuple[str, str, int]]:
    """Where this socket's page is served in development: the Host header's port and scheme."""
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin1")
    served = origin_of(f"{scheme}://{host}")
    if served is None:
        return set()
    return {(scheme, name, served[2]) for name in settings.ALLOWED_HOSTS if name != "*"}


def allowed(scope) -> bool:
    header = dict(scope.get("headers", [])).get(b"origin")
    origin = origin_of(header.decode("latin1")) if header else None
    if origin is None:
        return False
    if origin == origin_of(settings.SITE_URL):
        return True
    return settings.DEVELOPMENT and origin in served_origins(scope)


class SameOriginValidator:
    """ASGI middleware: a WebSocket handshake from another origin is refused (403)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if not allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
