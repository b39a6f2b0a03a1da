"""The development outbox: every e-mail the app sent, newest first, as the recipient sees it.

Mounted only in the development profile. The HTML part is served on its own page under a
sandboxing CSP, so that a message's markup can neither run script nor reach the app.
"""

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csp import csp_override

NAME = re.compile(r"^[0-9T.]+-[0-9a-f]+\.eml$")


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        return BytesParser(policy=policy.default).parse(file)


def _path(name: str) -> Path:
    if not NAME.match(name):
        raise Http404
    path = Path(settings.OUTBOX_DIR) / name
    if not path.is_file():
        raise Http404
    return path


def index(request):
    folder = Path(settings.OUTBOX_DIR)
    messages = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:100] if folder.is_dir() else []:
        message = _read(path)
        text = message.get_body(preferencelist=("plain",))
        messages.append(
            {
                "name": path.name,
                "subject": message["subject"],
                "to": message["to"],
                "date": message["date"],
                "text": text.get_content() if text else "",
                "has_html": message.get_body(preferencelist=("html",)) is not None,
                "attachments": [
                    (index, part.get_filename())
                    for index, part in enumerate(message.iter_attachments())
                ],
            }
        )
    return render(request, "outbox/index.html", {"messages": messages})


@csp_override(
    {
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["data:"],
        "sandbox": True,
    }
)
def html_part(request, name: str):
    body = _read(_path(name)).get_body(preferencelist=("html",))
    if body is None:
        raise Http404
    return HttpResponse(body.get_content(), content_type="text/html; charset=utf-8")


def attachment(request, name: str, index: int):
    parts = list(_read(_path(name)).iter_attachments())
    if index >= len(parts):
        raise Http404
    part = parts[index]
    response = HttpResponse(part.get_content(), content_type=part.get_content_type())
    response["Content-Disposition"] = f'attachment; filename="{part.get_filename() or "file"}"'
    return response
