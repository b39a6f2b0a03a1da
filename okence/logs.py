"""How log records are written: one JSON object a line in production, readable text elsewhere.

Every record gets the request id (okence.request_id) of the request it was written for. The
formatters come from settings.LOGGING; the filters that keep personal data out are in
okence.redaction. JSON lines come from python-json-logger, a plain ``logging.Formatter`` that
keeps the standard library's ``extra=`` fields (the services' structured events) and needs no
change in how the code logs, which structlog would.
"""

import logging

from pythonjsonlogger.core import RESERVED_ATTRS

from okence import request_id

NO_REQUEST = "-"

JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": ["levelname", "name", "message", "request_id"],
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",  # ISO 8601 in UTC
    # uvicorn repeats its messages with terminal colours in "color_message".
    "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
    "json_ensure_ascii": False,
}
TEXT_FORMATTER = {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}


class AddRequestId(logging.Filter):
    """Puts the current request's id on the record (or "-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.current.get() or NO_REQUEST
        return True


class AccessLogWithoutQuery(logging.Filter):
    """Drops the query string from uvicorn's access log: it may carry what a citizen typed (the
    name of an uploaded file goes in ``?name=``), and the path is what an operator needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Its arguments: client, method, path with query, HTTP version, status.
        if (
            record.name == "uvicorn.access"
            and isinstance(record.args, tuple)
            and len(record.args) == 5
        ):
            client, method, path, version, status = record.args
            path = path.partition("?")[0] if isinstance(path, str) else path
            record.args = (client, method, path, version, status)
        return True
