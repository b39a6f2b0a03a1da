"""The citizen's pages after booking in Italian and Hungarian, in a real browser: the meeting's
pre-join and waiting room, the shared folder and the survey have no axe-core violation, and show
the service in the citizen's language and the untranslated unit marked as Slovenian."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from okence.booking.models import Status
from okence.booking.tests.conftest import assert_accessible
from okence.conftest import make_appointment
from okence.exchange.models import SharedFolder
from okence.meetings.tests.test_call_browser import STATE, open_meeting, people  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERVICE_NAMES = {"it": "Informazioni generali", "hu": "Általános tájékoztatás"}


@pytest.fixture
def translated(service):
    for language, name in SERVICE_NAMES.items():
        setattr(service, f"name_{language}", name)
    service.save()
    return service


def in_language(page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_contain_text(SERVICE_NAMES[language])


@pytest.mark.parametrize("language", ["it", "hu"])
def test_the_meeting_pages_have_no_axe_violation(people, asgi_server, translated, ana, language):  # noqa: F811
    appointment, token = open_meeting(ana)
    citizen = people.context().new_page()
    citizen.goto(f"{asgi_server.url}/{language}/sestanek/{token}/")
    expect(citizen.locator("#meeting")).to_have_attribute("data-state", "prejoin", timeout=STATE)
    in_language(citizen, language)
    assert_accessible(citizen, f"the pre-join in {language}")
    citizen.locator("#join").click()
    expect(citizen.locator("#meeting")).to_have_attribute("data-state", "waiting", timeout=STATE)
    assert_accessible(citizen, f"the waiting room in {language}")


@pytest.mark.parametrize("language", ["it", "hu"])
def test_the_folder_has_no_axe_violation(people, asgi_server, translated, ana, language):  # noqa: F811
    appointment, token = open_meeting(ana)
    SharedFolder.objects.create(
        appointment=appointment, created_at=timezone.now(), created_by=ana.user
    )
    folder = people.context().new_page()
    folder.goto(f"{asgi_server.url}/{language}/sestanek/{token}/mapa/")
    expect(folder.locator("#no-files")).to_be_visible()
    in_language(folder, language)
    expect(folder.locator(".folder-when span[lang=sl]")).to_have_text("Upravna enota Domžale")
    assert_accessible(folder, f"the folder in {language}")


@pytest.mark.parametrize("language", ["it", "hu"])
def test_the_survey_has_no_axe_violation(people, asgi_server, translated, ana, language):  # noqa: F811
    _, token = make_appointment(ana, status=Status.COMPLETED, language=language)
    survey = people.context().new_page()
    survey.goto(f"{asgi_server.url}/{language}/sestanek/{token}/anketa/")
    expect(survey.locator("html")).to_have_attribute("lang", language)
    expect(survey.get_by_role("radio").first).to_be_visible()
    expect(survey.locator("main")).to_contain_text(SERVICE_NAMES[language])
    assert_accessible(survey, f"the survey in {language}")
