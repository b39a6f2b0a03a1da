"""The public calendar page, rendered once and then served from the cache until it changes.

In a booking rush nearly every request is a calendar page, and rendering it (the month's 42 day
cells, the chosen day's times, the base template) cost more than everything else Django does for
the request. The page is the same for everyone who asks for the same address in the same
language, but for the CSRF token of the language switch, which is masked afresh for every
response. So the page is kept split at that token, and each response joins it with its own:

- under a key of the language, the service, the unit's date today and the address, with the
  free-times versions it was rendered under (``free_times.versions``: every change that can alter
  a free time replaces them, so a change shows at once);
- used only until the free times it shows stop holding by time alone
  (``free_times.month_free_times``: a hold they counted lapses, or their earliest time comes too
  close to be booked), and dropped from the cache then;
- stored only for the addresses the page itself links to (no query, ``month=…``,
  ``month=…&date=…`` written as the page writes them), so that made-up queries cannot fill the
  cache, and only when the rendering used no CSP nonce (a nonce must be new in every response).
"""

import dataclasses
import datetime
import math
import secrets
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation

from okence.booking import free_times
from okence.offices.models import Service

KEY_PREFIX = "calendar-page"


@dataclasses.dataclass(frozen=True)
class _Address:
    """What a page's address names, read under a version of everything (which any change to a
    unit or service replaces)."""

    service_pk: int
    unit_id: int
    zone: ZoneInfo
    everything: str


# (unit slug, service slug) → what they name; in this process, at most one per service.
_addresses: dict[tuple[str, str], _Address] = {}


def _key(request, service_pk: int, zone: ZoneInfo, now: datetime.datetime) -> str:
    today = now.astimezone(zone).date().isoformat()
    parts = [KEY_PREFIX, translation.get_language(), str(service_pk), today]
    return ":".join([*parts, request.get_full_path()])


def kept(request, unit: str, service: str, now: datetime.datetime) -> HttpResponse | None:
    """The kept page for this address, without asking the database: None when none holds now."""
    address = _addresses.get((unit, service))
    if address is None:
        return None
    key = _key(request, address.service_pk, address.zone, now)
    versions, entry = free_times.kept(address.unit_id, key)
    if entry is None or versions[0] != address.everything or entry["valid_until"] <= now:
        return None
    return HttpResponse(_with_token(request, entry["parts"]))


def query(month: datetime.date, day: datetime.date | None) -> str:
    """The query string of the page's own links to a month and (if chosen) a day."""
    return f"month={month:%Y-%m}" + (f"&date={day.isoformat()}" if day else "")


def render_and_keep(
    request,
    service: Service,
    template: str,
    context: dict,
    *,
    versions: list[str],
    own_queries: tuple[str, ...],
    now: datetime.datetime,
    valid_until: datetime.datetime,
) -> HttpResponse:
    """Render the page; keep it under ``versions`` (read before the database, ``service``
    included) when its address is one of ``own_queries`` or has none."""
    unit = service.unit
    _addresses[unit.slug, service.slug] = _Address(service.pk, unit.pk, unit.zone, versions[0])
    mark = secrets.token_hex(16)
    page = render_to_string(template, context | {"csrf_token": mark}, request=request)
    parts = page.split(mark)
    address_is_own = request.META.get("QUERY_STRING", "") in ("", *own_queries)
    if address_is_own and not get_nonce(request):
        seconds = math.ceil((valid_until - now).total_seconds())
        if (timeout := min(free_times.ENTRY_SECONDS, seconds)) > 0:
            entry = {"versions": versions, "parts": parts, "valid_until": valid_until}
            cache.set(_key(request, service.pk, unit.zone, now), entry, timeout)
    return HttpResponse(_with_token(request, parts))


def _with_token(request, parts: list[str]) -> str:
    return get_token(request).join(parts) if len(parts) > 1 else parts[0]
