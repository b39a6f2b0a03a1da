"""Secrets out of logs and the administration: citizens' tokens in paths, e-mailed codes; and
personal data out of logs: e-mail addresses (an SMTP server's refusal names the recipient) and,
unless the operator opts in, the IP addresses citizens connect from.

A citizen's capability token is 32 URL-safe characters (okence.tokens) and appears as a path
segment of the hold, manage, meeting, folder and survey addresses; a verification code is six
digits. Whoever reads a log line or the outbox in the administration must not be able to open a
meeting or confirm a booking with what they read.
"""

import ipaddress
import logging
import re
from collections.abc import Callable

from okence.tokens import TOKEN_LENGTH

# A token as a whole path segment (or query value). Slugs of units and services may be as long
# (the demo's "pridobivanje-splosnih-informacij" is), so lower-case words with hyphens are left
# alone; a random token looks like that about once in 40 million (37/64 to the 32nd power).
TOKEN = re.compile(rf"(?<=[/=])[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}(?=[/?&#\s\"']|$)")
SLUG = re.compile(r"[a-z0-9-]+")
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
REDACTED = "…"
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Candidates for an address: IPv4 with an optional port; IPv6 (two colons at least), perhaps with
# a port after it as uvicorn writes it ("2001:db8::1:54321"). ipaddress decides.
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(r"(?<![0-9A-Fa-f:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,5}){2,8}(?![0-9A-Fa-f:])")

# Attributes of a log record that are the logging machinery's own, never a message's content.
_RECORD_OWN = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) - {"msg"}


_TRACEBACKS = logging.Formatter()


def redact_tokens(text: str) -> str:
    return TOKEN.sub(_unless_slug, text)


def _unless_slug(match: re.Match) -> str:
    return match.group() if SLUG.fullmatch(match.group()) else REDACTED


def redact(text: str) -> str:
    """Tokens and codes replaced: for texts that may hold both, such as an e-mail's subject."""
    return CODE.sub(REDACTED, redact_tokens(text))


def redact_email_addresses(text: str) -> str:
    return EMAIL_ADDRESS.sub(REDACTED, text)


def redact_addresses(text: str) -> str:
    """IP addresses replaced, but for loopback and unspecified ones (the server's own, such as
    the address it listens on, never a citizen's)."""
    return IPV6.sub(_unless_own_address, IPV4.sub(_unless_own_address, text))


def _unless_own_address(match: re.Match) -> str:
    text = match.group()
    for candidate in (text, text.rpartition(":")[0]):  # the latter without a port
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if address.is_loopback or address.is_unspecified:
            return text
        return REDACTED + text[len(candidate) :]
    return text


def scrub(record: logging.LogRecord, redactor: Callable[[str], str]) -> None:
    """Applies ``redactor`` to a record's message, its arguments and its extra fields (uvicorn's
    access log passes the client's address and the path as arguments; Django's 404 warnings put
    the path in the message)."""
    if isinstance(record.msg, str):
        record.msg = redactor(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_scrubbed(arg, redactor) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _scrubbed(value, redactor) for key, value in record.args.items()}
    for key, value in vars(record).items():
        if key not in _RECORD_OWN and key != "args" and isinstance(value, str):
            setattr(record, key, redactor(value))
    if record.exc_info:
        # An exception's message may quote what it failed on. The traceback is written out here
        # once, redacted, and the exception dropped, so that formatters write this text instead.
        record.exc_text = record.exc_text or _TRACEBACKS.formatException(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redactor(record.exc_text)


def _scrubbed(value, redactor: Callable[[str], str]):
    return redactor(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Removes tokens from every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub(record, redact_tokens)
        return True


class RedactEmailAddresses(logging.Filter):
    """Removes e-mail addresses from every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub(record, redact_email_addresses)
        return True


class RedactAddresses(logging.Filter):
    """Removes citizens' IP addresses from every log record (unless LOG_CLIENT_ADDRESSES)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub(record, redact_addresses)
        return True
