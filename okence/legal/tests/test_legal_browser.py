"""The legal pages and the site's header in each language, in a real browser: axe-core finds no
violation, and the feedback form works by keyboard alone on a screen 360 pixels wide."""

import re

import pytest

from okence.booking.tests.conftest import assert_accessible
from okence.legal.models import AccessibilityFeedback

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package")
pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIXES = {"sl": "", "en": "/en", "it": "/it", "hu": "/hu"}


@pytest.mark.parametrize("language", PREFIXES)
def test_the_pages_have_no_axe_violation_in_each_language(page, live_server, service, language):
    for path in ("/", "/domzale/", "/dostopnost/", "/zasebnost/"):
        page.goto(f"{live_server.url}{PREFIXES[language]}{path}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page, f"{path} in {language}")


def focus_by_tab(page, selector: str, most: int = 60) -> None:
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    pytest.fail(f"Tab never reached {selector}")


@pytest.mark.parametrize("language", ["it", "hu"])
def test_a_problem_is_reported_by_keyboard_on_a_narrow_screen(page, live_server, db, language):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/{language}/dostopnost/")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways at 360 px"
    focus_by_tab(page, "#id_email")
    page.keyboard.type("rajko@")  # not an address: the form says so and keeps it
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Il calendario non funziona con la tastiera.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#id_email")).to_have_value("rajko@")
    assert_accessible(page, f"the form with errors in {language}")
    page.locator("#id_email").focus()
    page.keyboard.press("End")
    page.keyboard.type("example.si")
    focus_by_tab(page, "button[type=submit]:not([name=language])")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/{language}/dostopnost/hvala/"))
    assert AccessibilityFeedback.objects.get().email == "rajko@example.si"
