"""ICE servers for a meeting: STUN as configured, TURN with time-limited credentials; and what
the check page (camera, microphone and network, before the day) tries.

The TURN REST API convention that coturn implements with ``use-auth-secret``: the username is
"<expiry unix time>:<id>" and the password is base64(HMAC-SHA1(secret, username)), so coturn can
check a credential without asking Okence, and it stops working when it expires.
"""

import base64
import datetime
import hashlib
import hmac

from django.conf import settings


def credentials(secret: str, user_id: str, expires: datetime.datetime) -> tuple[str, str]:
    username = f"{int(expires.timestamp())}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(user_id: str, expires: datetime.datetime) -> list[dict]:
    """The RTCPeerConnection iceServers for one participant, valid until ``expires``."""
    servers: list[dict] = []
    if settings.STUN_URLS:
        servers.append({"urls": settings.STUN_URLS})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, password = credentials(settings.TURN_SECRET, user_id, expires)
        servers.append({"urls": settings.TURN_URLS, "username": username, "credential": password})
    return servers


TRANSPORTS = ("udp", "tcp", "tls")  # the check page's order: the best first


def transport(url: str) -> str:
    """How a TURN URL is reached (RFC 7065): "tls" for turns:, else its ?transport= ("udp" when
    none, as browsers take it)."""
    scheme, _, rest = url.partition(":")
    if scheme == "turns":
        return "tls"
    return "tcp" if "transport=tcp" in rest.partition("?")[2] else "udp"


def host(url: str) -> str:
    """The server's name in a STUN or TURN URL, e.g. "turn.example.si" (an IPv6 address stays in
    its brackets)."""
    address = url.partition(":")[2].partition("?")[0]
    return address if address.endswith("]") else address.rsplit(":", 1)[0]


def check_probes(user_id: str, expires: datetime.datetime) -> dict:
    """What the check page tries. ``relays``: each TURN URL on its own, with its transport, for a
    relay-only gathering (empty without TURN); ``direct``: the STUN servers for the direct route
    (empty in the embedded default, where the browser's own addresses are all there is)."""
    relays = []
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, password = credentials(settings.TURN_SECRET, user_id, expires)
        relays = [
            {
                "transport": transport(url),
                "iceServers": [{"urls": url, "username": username, "credential": password}],
            }
            for url in settings.TURN_URLS
        ]
    direct = [{"urls": settings.STUN_URLS}] if settings.STUN_URLS else []
    return {"relays": relays, "direct": {"iceServers": direct}}
