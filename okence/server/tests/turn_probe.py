"""A minimal TURN client (RFC 5766 over UDP) that asks a relay for permission to reach a peer.

Enough to probe a TURN server's peer deny list as an attacker would: Allocate with the long-term
credential that Okence hands out (TURN REST API: user "<expiry>:<id>", password
base64(HMAC-SHA1(secret, user))), then CreatePermission for a peer. A relay that denies the peer
answers 403 (Forbidden); no packet goes to the peer either way.

Hand-written because the STUN libraries on PyPI that speak TURN (aioice) keep their client
internal to ICE; these are the few message formats RFC 5389/5766 define.
"""

import base64
import hashlib
import hmac
import ipaddress
import os
import socket
import struct
import time

MAGIC = 0x2112A442
ALLOCATE, CREATE_PERMISSION = 0x0003, 0x0008
SUCCESS, ERROR = 0x0100, 0x0110  # added to a method: its success or error response
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
XOR_PEER_ADDRESS, REALM, NONCE, REQUESTED_TRANSPORT = 0x0012, 0x0014, 0x0015, 0x0019
REQUESTED_ADDRESS_FAMILY = 0x0017  # RFC 6156: an IPv6 relay address
UDP = 17


def rest_credentials(secret: str, name: str = "probe", seconds: int = 600) -> tuple[str, str]:
    """A user name and password as Okence makes them for coturn's use-auth-secret."""
    user = f"{int(time.time()) + seconds}:{name}"
    digest = hmac.new(secret.encode(), user.encode(), hashlib.sha1).digest()
    return user, base64.b64encode(digest).decode()


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _xor_address(address: str, port: int, transaction: bytes) -> bytes:
    ip = ipaddress.ip_address(address)
    port ^= MAGIC >> 16
    if ip.version == 4:
        return struct.pack("!BBH", 0, 1, port) + struct.pack("!I", int(ip) ^ MAGIC)
    mask = int.from_bytes(struct.pack("!I", MAGIC) + transaction, "big")
    return struct.pack("!BBH", 0, 2, port) + (int(ip) ^ mask).to_bytes(16, "big")


class TurnError(Exception):
    def __init__(self, code: int, reason: str, attributes: dict[int, bytes]):
        super().__init__(f"{code} {reason}")
        self.code = code
        self.attributes = attributes


class TurnProbe:
    """One UDP allocation on the TURN server at ``host``:``port``."""

    def __init__(self, host: str, port: int, user: str, password: str, timeout: float = 2.0):
        self.server = (host, port)
        self.user, self.password = user, password
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.settimeout(timeout)
        self.realm = self.nonce = b""

    def _key(self) -> bytes:
        return hashlib.md5(  # noqa: S324 - RFC 5389's long-term credential key is MD5
            f"{self.user}:{self.realm.decode()}:{self.password}".encode()
        ).digest()

    def _request(self, method: int, attributes: list[tuple[int, bytes]]) -> dict[int, bytes]:
        """Sends the request (signed once the realm is known); the response's attributes, or
        TurnError for an error response."""
        transaction = os.urandom(12)
        body = b"".join(
            _attribute(kind, value(transaction) if callable(value) else value)
            for kind, value in attributes
        )
        if self.nonce:
            body += _attribute(USERNAME, self.user.encode())
            body += _attribute(REALM, self.realm) + _attribute(NONCE, self.nonce)
            # The integrity covers the header with a length that already counts itself (24).
            header = struct.pack("!HHI", method, len(body) + 24, MAGIC) + transaction
            mac = hmac.new(self._key(), header + body, hashlib.sha1).digest()
            body += _attribute(MESSAGE_INTEGRITY, mac)
        self.socket.sendto(struct.pack("!HHI", method, len(body), MAGIC) + transaction + body,
                           self.server)  # fmt: skip
        while True:
            answer, _ = self.socket.recvfrom(4096)
            if answer[8:20] == transaction:
                break
        kind, length = struct.unpack("!HH", answer[:4])
        found, offset = {}, 20
        while offset < 20 + length:
            attribute, size = struct.unpack("!HH", answer[offset : offset + 4])
            found[attribute] = answer[offset + 4 : offset + 4 + size]
            offset += 4 + size + (-size % 4)
        if kind == method | ERROR:
            value = found.get(ERROR_CODE, b"\0\0\0\0")
            reason = value[4:].decode(errors="replace")
            raise TurnError(value[2] * 100 + value[3], reason, found)
        assert kind == method | SUCCESS, hex(kind)
        return found

    def allocate(self, family: int = 4) -> None:
        """An allocation (an IPv4 relay address, or IPv6 for ``family=6``) with the long-term
        credential, after the challenge that names the realm and nonce (an unsigned request must
        be refused with 401). A relay only permits peers of its own address family."""
        transport = [(REQUESTED_TRANSPORT, struct.pack("!B3x", UDP))]
        if family == 6:
            transport.append((REQUESTED_ADDRESS_FAMILY, struct.pack("!B3x", 2)))
        try:
            self._request(ALLOCATE, transport)
        except TurnError as error:
            if error.code != 401:
                raise
            self.realm, self.nonce = error.attributes[REALM], error.attributes[NONCE]
        else:
            raise AssertionError("the TURN server allocated without credentials")
        self._request(ALLOCATE, transport)

    def permit(self, peer: str, port: int = 9) -> None:
        """CreatePermission for ``peer``; TurnError (403 when denied) if the relay refuses."""
        self._request(
            CREATE_PERMISSION,
            [(XOR_PEER_ADDRESS, lambda transaction: _xor_address(peer, port, transaction))],
        )

    def close(self) -> None:
        self.socket.close()
