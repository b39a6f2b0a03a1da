"""Real-browser fixtures: Debian's Chromium driven by Playwright (sync API).

The browser is started once per test module; every test gets a fresh context (Slovenian locale,
Ljubljana time zone), so cookies and storage never leak between tests. Without a ``chromium``
on PATH the browser tests are skipped, never failed.

Why per module and not per session: Playwright's sync API keeps an asyncio loop registered as
running in the main thread for as long as it is started. Django then refuses plain ORM calls as
"async unsafe" (so it is allowed here, only for that time), and pytest-asyncio could not run its
own loop. Stopping Playwright when the module ends keeps every later test unaffected.
"""

import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    """Chromium for one test module; the test database exists before Playwright's loop starts."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("browser tests need Debian's chromium on PATH (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package")
    with pytest.MonkeyPatch.context() as patch:
        # The tests' own queries and pytest-django's flushes are plain sync code in this thread.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


def _new_context(browser, **options):
    context = browser.new_context(locale="sl-SI", timezone_id="Europe/Ljubljana", **options)
    context.set_default_timeout(5_000)
    return context


@pytest.fixture
def page(browser):
    """A page in a new context with JavaScript on."""
    context = _new_context(browser)
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_javascript(browser):
    """A page in a new context with JavaScript off: the plain pages must do everything."""
    context = _new_context(browser, java_script_enabled=False)
    yield context.new_page()
    context.close()
