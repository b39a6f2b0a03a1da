"""Which pages may open the sockets: the site's origin in full (scheme, host and port)."""

import pytest

from okence.websocket_origin import allowed


def handshake(origin: str | None, host: str = "okence.example.si", scheme: str = "wss") -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers}


@pytest.fixture
def production(settings):
    settings.DEVELOPMENT = False
    settings.SITE_URL = "https://okence.example.si"
    settings.ALLOWED_HOSTS = ["okence.example.si"]


@pytest.mark.parametrize("origin", ["https://okence.example.si", "https://okence.example.si:443"])
def test_the_sites_own_origin_is_allowed(production, origin):
    assert allowed(handshake(origin))


@pytest.mark.parametrize(
    "origin",
    [
        "http://okence.example.si",
        "https://okence.example.si:8443",
        "https://evil.example.si",
        "https://okence.example.si.evil.example",
        "null",
        "",
        None,
    ],
)
def test_another_scheme_port_or_host_is_refused_in_production(production, origin):
    assert not allowed(handshake(origin))
    # Nor does the Host header the request names make its origin ours in production.
    assert not allowed(handshake(origin, host="okence.example.si:8443", scheme="ws"))


def test_in_development_the_served_origin_is_allowed_on_its_port_and_scheme(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    served = {"host": "127.0.0.1:8123", "scheme": "ws"}
    assert allowed(handshake("http://127.0.0.1:8123", **served))
    assert allowed(handshake("http://localhost:8123", **served))
    assert allowed(handshake("http://127.0.0.1:8000", **served))  # SITE_URL's
    assert not allowed(handshake("https://127.0.0.1:8123", **served))
    assert not allowed(handshake("http://127.0.0.1:8124", **served))
    assert not allowed(handshake("http://evil.example:8123", **served))
