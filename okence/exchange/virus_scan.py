"""Scanning uploads with clamd (ClamAV's daemon) over its INSTREAM protocol, when configured.

Off by default (CLAMD_ADDRESS empty). When it is configured but cannot be reached, uploads are
refused rather than let through unscanned.
"""

import socket
import struct

from django.conf import settings

CHUNK = 64 * 1024


class Infected(Exception):
    def __init__(self, signature: str):
        super().__init__(signature)
        self.signature = signature


class ScannerUnavailable(Exception):
    pass


def enabled() -> bool:
    return bool(settings.CLAMD_ADDRESS)


def _connect() -> socket.socket:
    address = settings.CLAMD_ADDRESS
    if address.startswith("/"):
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = address
    else:
        host, _, port = address.rpartition(":")
        connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
    connection.settimeout(60)
    connection.connect(target)
    return connection


def scan(path: str) -> None:
    """Raise Infected with the signature's name, or ScannerUnavailable; return if clean."""
    try:
        with _connect() as connection, open(path, "rb") as file:
            connection.sendall(b"zINSTREAM\0")
            while chunk := file.read(CHUNK):
                connection.sendall(struct.pack("!L", len(chunk)) + chunk)
            connection.sendall(struct.pack("!L", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                part = connection.recv(4096)
                if not part:
                    break
                answer += part
    except OSError as error:
        raise ScannerUnavailable(str(error)) from error
    reply = answer.rstrip(b"\0").decode(errors="replace")
    if reply.endswith("FOUND"):
        raise Infected(reply.removeprefix("stream: ").removesuffix(" FOUND"))
    if not reply.endswith("OK"):
        raise ScannerUnavailable(reply)
