"""ICE servers for a meeting: STUN as configured, TURN with time-limited credentials.

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
