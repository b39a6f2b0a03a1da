"""Capability tokens for citizens: random, at least 128 bits, stored only as hashes."""

import hashlib
import hmac
import secrets

from django.conf import settings

TOKEN_BYTES = 24  # 192 bits
TOKEN_LENGTH = 32  # URL-safe characters of a token (base64 of TOKEN_BYTES)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """A digest to store and look up by; tokens have enough entropy that plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def hash_code(code: str, salt: str) -> str:
    """A keyed digest of a short code: a million codes are quick to try, so the key is secret."""
    message = f"{salt}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def codes_match(code: str, salt: str, digest: str) -> bool:
    return hmac.compare_digest(hash_code(code, salt), digest)
