"""The calendar page kept whole between requests: the same page, with each response's own token.

``test_free_times.py`` shows that every change to the free times, and the clock, reach the page at
once; these tests show what is kept and what is new in every response.
"""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from okence.booking import calendar_page, free_times
from okence.conftest import LJUBLJANA, make_appointment

TUESDAY = datetime.date(2026, 12, 8)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def calendar_url(service, language="sl"):
    with translation.override(language):
        return reverse("booking:calendar", args=[service.unit.slug, service.slug])


def day_query(day=TUESDAY) -> dict:
    return {"month": f"{day:%Y-%m}", "date": day.isoformat()}


def without_token(response) -> str:
    return TOKEN.sub("", response.content.decode())


@pytest.mark.parametrize("query", [{}, {"month": "2026-12"}, day_query()])
def test_a_second_view_is_the_same_page_rendered_once(client, clock, service, ana, query):
    """Caught: every view rendered the page (a third of its cost under load)."""
    first = client.get(calendar_url(service), query)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(calendar_url(service), query)
    assert [t.name for t in first.templates][:1] == ["booking/calendar.html"]
    assert second.templates == []
    assert queries.captured_queries == []
    assert without_token(second) == without_token(first)
    assert second["Content-Type"] == "text/html; charset=utf-8"


def test_each_kept_page_carries_a_token_of_its_own_that_works(clock, service, ana):
    """The language switch posts a CSRF token: a kept page must not carry another's."""
    browser = Client(enforce_csrf_checks=True)
    someone_else = Client(enforce_csrf_checks=True)
    someone_else.get(calendar_url(service))  # kept now, with someone else's token
    page = browser.get(calendar_url(service))
    assert page.templates == []
    token = TOKEN.search(page.content.decode()).group(1)
    assert token not in someone_else.get(calendar_url(service)).content.decode()
    switched = browser.post(
        reverse("set_language"),
        {"csrfmiddlewaretoken": token, "language": "en", "next": calendar_url(service)},
    )
    assert switched.status_code == 302
    assert "Choose a date and time" in browser.get(calendar_url(service, "en")).content.decode()


def test_each_language_has_its_page(client, clock, service, ana):
    client.get(calendar_url(service))
    english = client.get(calendar_url(service, "en"))
    assert "Choose a date and time" in english.content.decode()
    again = client.get(calendar_url(service, "en"))
    assert again.templates == [] and "Choose a date and time" in again.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-12&date=2026-12-08&x=1",  # something added
        "date=2026-12-08&month=2026-12",  # in another order than the page writes
        "month=2026-1",  # a month written otherwise
        "month=1999-01",  # a month outside the bookable window
        "month=2026-12&date=2026-12-06",  # a Sunday: no free times
    ],
)
def test_made_up_addresses_are_shown_and_never_kept(client, clock, service, ana, query):
    """Caught: any query string kept a page, so made-up ones could fill the cache."""
    url = f"{calendar_url(service)}?{query}"
    assert client.get(url).status_code == 200
    assert client.get(url).templates != []


NONCE_PAGE = "<script nonce='{{ csp_nonce }}'></script>{% csrf_token %}"


@override_settings(
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", {"n.html": NONCE_PAGE})],
                "context_processors": ["django.template.context_processors.csp"],
            },
        }
    ]
)
def test_a_page_that_uses_the_nonce_is_not_kept(rf, clock, service):
    """A nonce must be new in every response; a kept page would carry an old one."""
    from django.middleware.csp import ContentSecurityPolicyMiddleware
    from django.utils import timezone

    request = rf.get("/")
    ContentSecurityPolicyMiddleware(lambda r: None).process_request(request)
    now = timezone.now()
    later = now + datetime.timedelta(hours=1)
    versions = free_times.versions(service)
    keep = {"versions": versions, "own_queries": (), "now": now, "valid_until": later}
    calendar_page.render_and_keep(request, service, "n.html", {}, **keep)
    assert calendar_page.kept(rf.get("/"), service.unit.slug, service.slug, now) is None


def kept_entries() -> list[str]:
    """The keys of kept pages and free times in the local-memory cache the tests use."""
    return [key for key in cache._cache if "calendar-page:" in key or "free-times:" in key]


def test_a_change_replaces_the_kept_page_instead_of_adding_one(client, clock, service, ana):
    """Caught: entries kept under each version's key stayed beside the new ones for a day."""
    client.get(calendar_url(service), day_query())
    before = kept_entries()
    make_appointment(ana, start=datetime.datetime(2026, 12, 8, 8, 30, tzinfo=LJUBLJANA))
    page = client.get(calendar_url(service), day_query())
    assert page.templates != []  # the change shows
    assert ">08:30<" not in page.content.decode()
    assert sorted(kept_entries()) == sorted(before)


def test_a_page_names_what_its_address_names_now(client, clock, service, ana):
    """Kept pages are found without the database, by the address: a renamed unit, a service
    moved to another address or taken off shows at once."""
    client.get(calendar_url(service))
    service.unit.name = "Upravna enota Kamnik"
    service.unit.save()
    assert "Upravna enota Kamnik" in client.get(calendar_url(service)).content.decode()
    old_url = calendar_url(service)
    service.slug = "informacije"
    service.save()
    assert client.get(old_url).status_code == 404
    assert client.get(calendar_url(service)).status_code == 200
    service.active = False
    service.save()
    assert client.get(calendar_url(service)).status_code == 404


def test_a_change_committed_while_the_page_is_read_is_not_kept(
    client, clock, service, ana, monkeypatch
):
    """Caught: the service read before the versions, so a rename committed between the two was
    rendered under the versions that came after it, and kept so until the next change."""
    read_versions = free_times.versions

    def renamed_just_before(found):
        monkeypatch.setattr(free_times, "versions", read_versions)
        service.name = "Potrdila o državljanstvu"
        service.save()  # replaces the version of everything, as its commit would
        return read_versions(found)

    monkeypatch.setattr(free_times, "versions", renamed_just_before)
    client.get(calendar_url(service))
    assert "Potrdila o državljanstvu" in client.get(calendar_url(service)).content.decode()
