"""axe-core finds no violation on any page of Okence, in each of its four languages (issue 12).

"Every page" is every URL name the resolver knows: each is either in PAGES (how to reach it,
with the state it needs: a hold, an appointment with its meeting and manage tokens, a folder, an
ended meeting's survey, a signed-in unit administrator) or in EXEMPT with the reason it renders
no HTML page of its own. A new URL name in neither fails ``test_every_url_name_is_known``, so a
new page cannot be left out. The POST-only actions among the exemptions are checked to refuse a
GET, so that an exemption cannot hide a page.

One test per language builds the data once and visits every page in three browser contexts (a
citizen's without cookies, a unit administrator's signed in, and a colleague's who still owes his
second factor), served by uvicorn as in production (the meeting pages need their WebSockets).
Pages with more than one state are checked in each listed: the calendar with a day chosen, the
manage page before and after the cut-off, the meeting's pre-join and waiting room, each form
sent empty with the server's messages, and the conflicts page of a closure over a booked day.
Every violation on every page is collected before the test fails, so one run lists them all.
"""

import dataclasses
import datetime

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from okence.booking import services as booking
from okence.booking.models import Appointment, Status
from okence.booking.tests.conftest import assert_accessible
from okence.conftest import LJUBLJANA, make_appointment, make_official, session_key
from okence.exchange.models import SharedFolder
from okence.meetings.tests.conftest import asgi_server, media_browser  # noqa: F401
from okence.meetings.tests.test_call_browser import STATE, open_meeting, people  # noqa: F401
from okence.surveys.models import Ticket
from okence.tests.test_page_headers import names  # every URL name the resolver knows
from okence.tokens import hash_token

PREFIXES = {"sl": "", "en": "/en", "it": "/it", "hu": "/hu"}

HOLD, DONE = "hold-token-for-axe", "confirmed-hold-token-for-axe"
MANAGE, LATE, SURVEY = "manage-token-for-axe", "late-manage-token-for-axe", "survey-for-axe"


@dataclasses.dataclass(frozen=True)
class Page:
    """One state of a page: who opens it, its address (``{...}`` from the data built per
    language), what shows it is ready, and optionally a button pressed for a second state."""

    who: str  # "citizen" (no cookies) or "administrator" (Ana, signed in)
    address: str
    ready: str | None = None  # a selector visible once the page's scripts have run
    lands: str | None = None  # the path it ends on when that is not the address's
    then: tuple["Then", ...] = ()  # further states of the page, each checked as well


@dataclasses.dataclass(frozen=True)
class Then:
    """A button pressed (after filling ``fill``: selector -> value) and the selector that shows
    the next state; a form is sent without the browser's own checks, so that the page shows the
    server's messages on its fields. ``lands``: the path it ends on, if not the page's."""

    button: str
    after: str
    fill: tuple[tuple[str, str], ...] = ()
    lands: str | None = None


SEND = "main button.primary[type=submit]"  # the form's main button
ERRORS = "[aria-invalid=true], [role=alert]"
EMPTY = (Then(SEND, ERRORS),)  # the form sent empty: its messages
CLOSE = "form[action$='/zaprtje/']"  # the form that closes the unit on some days


PAGES: dict[str, list[Page]] = {
    "login": [Page("citizen", "/prijava/", then=EMPTY)],
    # Public booking path
    "booking:units": [Page("citizen", "/")],
    "booking:services": [Page("citizen", "/domzale/")],
    "booking:calendar": [
        Page("citizen", "/domzale/splosne-informacije/"),
        Page("citizen", "/domzale/splosne-informacije/?date={day}"),
    ],
    "booking:details": [
        Page("citizen", "/domzale/splosne-informacije/podatki/?start={start}", then=EMPTY)
    ],
    "booking:verify": [Page("citizen", f"/rezervacija/{HOLD}/", then=EMPTY)],
    "booking:done": [Page("citizen", f"/rezervacija/{DONE}/potrjeno/")],
    "booking:manage": [Page("citizen", f"/termin/{MANAGE}/"), Page("citizen", f"/termin/{LATE}/")],
    "booking:reschedule": [
        Page("citizen", f"/termin/{MANAGE}/prestavi/"),
        Page("citizen", f"/termin/{MANAGE}/prestavi/?date={{day}}"),
        Page("citizen", f"/termin/{MANAGE}/prestavi/?start={{start}}"),  # to confirm
    ],
    # Meetings, the folder and the survey
    "meetings:room": [
        Page(
            "citizen",
            "/sestanek/{meeting}/",
            ready="#meeting[data-state=prejoin]",
            then=(Then("#join", "#meeting[data-state=waiting]"),),
        )
    ],
    "meetings:check": [Page("citizen", "/sestanek/{meeting}/preizkus/", ready="#check:visible")],
    "exchange:citizen_folder": [Page("citizen", "/sestanek/{meeting}/mapa/", ready="#no-files")],
    "surveys:from_meeting": [Page("citizen", "/sestanek/{ended}/anketa/")],
    "surveys:meeting_thanks": [Page("citizen", "/sestanek/{ended}/anketa/hvala/")],
    "surveys:answer": [Page("citizen", f"/anketa/{SURVEY}/")],
    "surveys:thanks": [Page("citizen", f"/anketa/{SURVEY}/hvala/")],
    # Legal pages
    "legal:accessibility": [Page("citizen", "/dostopnost/", then=EMPTY)],
    "legal:feedback_thanks": [Page("citizen", "/dostopnost/hvala/")],
    "legal:privacy": [Page("citizen", "/zasebnost/")],
    # Staff: the official's pages
    "meetings:console": [Page("administrator", "/uradnik/")],
    "meetings:official_room": [
        Page(
            "administrator",
            "/uradnik/sestanek/{public_id}/",
            ready="#meeting:not([data-state=loading])",
        )
    ],
    "meetings:agenda_day": [Page("administrator", "/uradnik/dnevni-red/?dan={day}")],
    "meetings:agenda_week": [Page("administrator", "/uradnik/teden/?teden={day}")],
    "meetings:cancel": [Page("administrator", "/uradnik/termin/{booked}/odpoved/")],
    "meetings:calendar_feed_settings": [Page("administrator", "/uradnik/koledar/")],
    "exchange:official_folder": [
        Page("administrator", "/uradnik/mapa/{public_id}/", ready="#no-files")
    ],
    "reports:overview": [Page("administrator", "/statistika/")],
    # Staff: the unit administrator's pages
    "offices:unit": [Page("administrator", "/uprava/{unit}/")],
    "offices:services": [Page("administrator", "/uprava/{unit}/storitve/")],
    "offices:service_new": [Page("administrator", "/uprava/{unit}/storitve/nova/", then=EMPTY)],
    "offices:service": [Page("administrator", "/uprava/{unit}/storitve/{service}/")],
    "offices:hours": [Page("administrator", "/uprava/{unit}/delovni-cas/")],
    "offices:hours_edit": [Page("administrator", "/uprava/{unit}/delovni-cas/{official}/")],
    "offices:absences": [
        Page(
            "administrator",
            "/uprava/{unit}/odsotnosti/",
            then=(
                Then(f"{CLOSE} button", ERRORS, lands="/uprava/{unit}/odsotnosti/zaprtje/"),
                # Closing the day of a booking: the page of the appointments to decide about
                # (nothing is saved until they are decided).
                Then(
                    f"{CLOSE} button",
                    "main [name=resolve]",
                    fill=(
                        (f"{CLOSE} [name=closure-first_day]", "{day}"),
                        (f"{CLOSE} [name=closure-last_day]", "{day}"),
                    ),
                    lands="/uprava/{unit}/odsotnosti/zaprtje/",
                ),
            ),
        )
    ],
    "staff:list": [Page("administrator", "/uprava/osebje/")],
    "staff:invite": [Page("administrator", "/uprava/osebje/{unit}/povabi/", then=EMPTY)],
    "staff:deactivate": [Page("administrator", "/uprava/osebje/{unit}/{colleague}/deaktiviraj/")],
    "audit:log": [Page("administrator", "/uprava/revizija/")],
    # Staff: the account
    "staff:account": [Page("administrator", "/racun/", then=EMPTY)],
    "staff:second_factor": [Page("administrator", "/racun/drugi-faktor/", then=EMPTY)],
    # Marko has the second factor on and has only given his password: the code page.
    "staff:verify": [Page("second factor", "/racun/potrditev/", then=EMPTY)],
    # Django keeps the token in the session and goes on to .../set-password/.
    "staff:set_password": [
        Page(
            "citizen",
            "/racun/nastavi-geslo/{uid}/{reset_token}/",
            lands="/racun/nastavi-geslo/{uid}/set-password/",
            then=EMPTY,
        )
    ],
}

POST_ONLY = "a POST-only action; it redirects to a page tested here"
EXEMPT: dict[str, str] = {
    "set_language": "Django's language switch: POST-only, redirects back to the page it came from",
    "logout": "Django's sign-out: POST-only, redirects to the sign-in page (tested)",
    "meetings:no_show": POST_ONLY,
    "meetings:note": POST_ONLY,
    "exchange:create": POST_ONLY,
    "offices:absence_add": POST_ONLY,
    "offices:absence_delete": POST_ONLY,
    "staff:reset_password": POST_ONLY,
    "meetings:calendar_feed": "an iCalendar (.ics) file for calendar programs",
    "exchange:citizen_files": "JSON: the folder's file list, shown by the folder page",
    "exchange:official_files": "JSON: the folder's file list, shown by the folder page",
    "exchange:citizen_download": "a file download",
    "exchange:official_download": "a file download",
    "exchange:citizen_upload": "uploads: PUT to okence.exchange.upload in front of Django",
    "exchange:official_upload": "uploads: PUT to okence.exchange.upload in front of Django",
    "reports:chart": "an SVG chart, embedded in the statistics page with its text alternative",
    "reports:csv": "a CSV export",
    "reports:xlsx": "an XLSX export",
    "reports:open_data": "JSON open data",
    "reports:open_data_schema": "JSON schema of the open data",
    "outbox:index": "the developer's mail viewer (only with DEVELOPMENT), not served in production",
    "outbox:html": "the developer's mail viewer (only with DEVELOPMENT), not served in production",
    "outbox:attachment": "the developer's mail viewer: an e-mail's attachment file",
}
# Django's own administration, with its own templates: not Okence's pages.
EXEMPT_NAMESPACES = {"admin": "Django's own administration (its templates, not Okence's)"}


def test_every_url_name_is_known():
    """A new page must be added to PAGES (so axe checks it) or exempted with a reason."""
    known = {
        name
        for name in names(get_resolver().url_patterns)
        if name.split(":")[0] not in EXEMPT_NAMESPACES
    }
    assert set(PAGES) & set(EXEMPT) == set()
    assert known - set(PAGES) - set(EXEMPT) == set(), "add each new page to PAGES or EXEMPT"
    assert set(PAGES) | set(EXEMPT) == known, "PAGES or EXEMPT names a page that is gone"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(name for name, why in EXEMPT.items() if why == POST_ONLY))
def test_the_post_only_exemptions_render_no_page(client, ana, name):
    """An exempted action answers a GET with 405, so the exemption hides no page."""
    from django.urls import reverse

    client.force_login(ana.user)
    arguments = {
        "meetings:no_show": ["00000000-0000-0000-0000-000000000000"],
        "meetings:note": ["00000000-0000-0000-0000-000000000000"],
        "exchange:create": ["00000000-0000-0000-0000-000000000000"],
        "offices:absence_add": [ana.units.get().pk, "zaprtje"],
        "offices:absence_delete": [ana.units.get().pk, "zaprtje", 1],
        "staff:reset_password": [ana.units.get().pk, ana.pk],
    }[name]
    assert client.get(reverse(name, args=arguments)).status_code == 405


def free_starts(service, count: int) -> list[datetime.datetime]:
    """The first ``count`` free times from the day after tomorrow (clear of the cut-off)."""
    now = timezone.now()
    first = timezone.localdate(now, LJUBLJANA) + datetime.timedelta(days=2)
    slots = booking.free_slots(service, first, first + datetime.timedelta(days=14), now)
    starts = [slot.start for day in sorted(slots) for slot in slots[day]]
    assert len(starts) >= count, "the unit has too few free times for the pages' data"
    return starts[:count]


def build(ana, unit, service) -> dict:
    """The state every page needs: Ana administers Domžale; Marko, her colleague, has the second
    factor on; Rajko has a hold, a booking, a meeting open now with its folder, an ended one."""
    now = timezone.now()
    ana.administers.add(unit)
    marko = make_official(unit, service, "marko", "Marko")
    TOTPDevice.objects.create(user=marko.user, name="Okence", confirmed=True)
    held_at, booked_at, done_at, chosen = free_starts(service, 4)

    held, _ = make_appointment(
        ana,
        start=held_at,
        status=Status.HELD,
        hold_expires_at=now + datetime.timedelta(minutes=10),
    )
    Appointment.objects.filter(pk=held.pk).update(hold_token_hash=hash_token(HOLD))
    done, _ = make_appointment(marko, start=done_at)
    Appointment.objects.filter(pk=done.pk).update(hold_token_hash=hash_token(DONE))
    booked, _ = make_appointment(ana, start=booked_at, manage_token_hash=hash_token(MANAGE))
    # Open now, so past the cut-off: its manage page gives the unit's contacts instead.
    meeting, token = open_meeting(ana)
    Appointment.objects.filter(pk=meeting.pk).update(manage_token_hash=hash_token(LATE))
    SharedFolder.objects.create(appointment=meeting, created_at=now, created_by=ana.user)
    ended, ended_token = make_appointment(
        ana, start=now - datetime.timedelta(hours=3), status=Status.COMPLETED
    )
    Ticket.objects.create(
        appointment=ended,
        token_hash=hash_token(SURVEY),
        created_at=now,
        expires_at=now + datetime.timedelta(days=14),
    )
    invited = make_official(unit, None, "petra", "Petra", hours=())
    return {
        "day": booked_at.astimezone(LJUBLJANA).date().isoformat(),
        "start": chosen.isoformat().replace("+00:00", "Z"),
        "meeting": token,
        "public_id": meeting.public_id,
        "booked": booked.public_id,
        "ended": ended_token,
        "unit": unit.pk,
        "service": service.pk,
        "official": ana.pk,
        "colleague": marko.pk,
        "uid": urlsafe_base64_encode(force_bytes(invited.user.pk)),
        "reset_token": default_token_generator.make_token(invited.user),
        "marko": marko,
    }


def signed_in(people, user):  # noqa: F811
    context = people.context()
    context.add_cookies(
        [{"name": "sessionid", "value": session_key(user), "domain": "127.0.0.1", "path": "/"}]
    )
    return context


def visit(page, url: str, state: Page, data: dict, language: str) -> list[str]:
    """Open one page and run axe on it (and on its second state): the problems found."""
    from urllib.parse import urlsplit

    response = page.goto(url)
    problems = []
    if response is None or not response.ok:
        return [f"{url} answered {response and response.status}"]
    expected = PREFIXES[language] + (state.lands or state.address.split("?")[0]).format(**data)
    if urlsplit(page.url).path != expected:
        return [f"{url} ended on {page.url}, not on {expected}"]
    if page.locator("html").get_attribute("lang") != language:
        problems.append(f"{url} is not marked lang={language}")
    if state.ready:
        page.locator(state.ready).first.wait_for(timeout=STATE)
    try:
        assert_accessible(page, f"{url} in {language}")
    except pytest.fail.Exception as failure:
        problems.append(str(failure))
    for then in state.then:
        for field, value in then.fill:
            page.locator(field).fill(value.format(**data))
        button = page.locator(then.button)
        button.evaluate("b => { if (b.form) b.form.noValidate = true; }")
        button.click()
        page.locator(f"{then.after} >> visible=true").first.wait_for(timeout=STATE)
        if then.lands:
            expected = PREFIXES[language] + then.lands.format(**data)
        if urlsplit(page.url).path != expected:
            return [*problems, f"{url} after {then.button} ended on {page.url}, not {expected}"]
        try:
            assert_accessible(page, f"{url} after {then.button} in {language}")
        except pytest.fail.Exception as failure:
            problems.append(str(failure))
    return problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", PREFIXES)
def test_every_page_has_no_axe_violation(people, asgi_server, ana, unit, service, language):  # noqa: F811
    data = build(ana, unit, service)
    marko = data.pop("marko")
    contexts = {
        "citizen": people.context(),
        "administrator": signed_in(people, ana.user),
        "second factor": signed_in(people, marko.user),
    }
    tabs = {who: context.new_page() for who, context in contexts.items()}
    problems, visited = [], 0
    for name, states in PAGES.items():
        for state in states:
            url = asgi_server.url + PREFIXES[language] + state.address.format(**data)
            found = visit(tabs[state.who], url, state, data, language)
            problems += [f"[{name}] {problem}" for problem in found]
            visited += 1
    assert visited >= len(PAGES)
    assert not problems, "\n\n".join(problems)
