"""The staff pages' browser tests share Chromium (one per module) and a phone-sized page."""

import pytest

from okence.booking.tests.chromium import CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    from okence.booking.tests.conftest import launched_chromium

    with launched_chromium(CHROMIUM_ARGS) as browser:
        yield browser


@pytest.fixture
def phone(browser):
    """A page 360 px wide, in Slovenian."""
    context = browser.new_context(
        locale="sl-SI", timezone_id="Europe/Ljubljana", viewport={"width": 360, "height": 740}
    )
    context.set_default_timeout(5_000)
    yield context.new_page()
    context.close()


def fits(page) -> bool:
    """Nothing scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
