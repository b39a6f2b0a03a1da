"""Secrets out of logs and the administration: citizens' tokens in paths, and e-mailed codes.

A citizen's capability token is 32 URL-safe characters (okence.tokens) and appears as a path
segment of the hold, manage, meeting, folder and survey addresses; a verification code is six
digits. Whoever reads a log line or the outbox in the administration must not be able to open a
meeting or confirm a booking with what they read.
"""

import logging
import re

from okence.tokens import TOKEN_LENGTH

# A token as a whole path segment (or query value). Slugs of units and services may be as long
# (the demo's "pridobivanje-splosnih-informacij" is), so lower-case words with hyphens are left
# alone; a random token looks like that about once in 40 million (37/64 to the 32nd power).
TOKEN = re.compile(rf"(?<=[/=])[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}(?=[/?&#\s\"']|$)")
SLUG = re.compile(r"[a-z0-9-]+")
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
REDACTED = "…"

# Attributes of a log record that are the logging machinery's own, never a message's content.
_RECORD_OWN = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) - {"msg"}


def redact_tokens(text: str) -> str:
    return TOKEN.sub(_unless_slug, text)


def _unless_slug(match: re.Match) -> str:
    return match.group() if SLUG.fullmatch(match.group()) else REDACTED


def redact(text: str) -> str:
    """Tokens and codes replaced: for texts that may hold both, such as an e-mail's subject."""
    return CODE.sub(REDACTED, redact_tokens(text))


class RedactTokens(logging.Filter):
    """Removes tokens from every log record: its message, its arguments and its extra fields
    (uvicorn's access log passes the path as an argument; Django's 404 warnings in the message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        for key, value in vars(record).items():
            if key not in _RECORD_OWN and key != "args" and isinstance(value, str):
                setattr(record, key, redact_tokens(value))
        return True


def _redacted(value):
    return redact_tokens(value) if isinstance(value, str) else value
