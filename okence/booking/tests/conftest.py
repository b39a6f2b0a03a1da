"""Real-browser fixtures: Debian's Chromium driven by Playwright (sync API), and axe-core.

The browser is started once per test module; every test gets a fresh context (Slovenian locale,
Ljubljana time zone), so cookies and storage never leak between tests. Without a ``chromium``
on PATH the browser tests are skipped, never failed.

Why per module and not per session: Playwright's sync API keeps an asyncio loop registered as
running in the main thread for as long as it is started. Django then refuses plain ORM calls as
"async unsafe" (so it is allowed here, only for that time), and pytest-asyncio could not run its
own loop. Stopping Playwright when the module ends keeps every later test unaffected.

The meeting and folder browser tests use the same launch (``launched_chromium``) and the same
accessibility check (``assert_accessible``).
"""

import contextlib
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright import sync_api

from okence.booking.tests.chromium import CHROMIUM_ARGS

# Playwright and axe-playwright are declared dev dependencies: without them these tests fail to
# import (an error, not a silent skip); only a missing chromium binary skips them.
_axe = None


@contextlib.contextmanager
def launched_chromium(args: list[str]):
    """Debian's Chromium with these arguments, for as long as the block runs; skips the test
    without it. The test database must exist before (``django_db_setup``)."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("browser tests need Debian's chromium on PATH (apt-get install chromium)")
    with pytest.MonkeyPatch.context() as patch:
        # The tests' own queries and pytest-django's flushes are plain sync code in this thread.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=args)
            yield browser
            browser.close()


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    """Chromium for one test module; the test database exists before Playwright's loop starts."""
    with launched_chromium(CHROMIUM_ARGS) as browser:
        yield browser


def assert_accessible(page, where: str, options: dict | None = None) -> None:
    """axe-core finds no violation on the page as it stands (``options``: axe.run's options,
    e.g. only the WCAG rules for an e-mail, which has no page landmarks)."""
    global _axe
    if _axe is None:
        _axe = Axe()
    extra = {"options": options} if options else {}
    violations = _axe.run(page, **extra).response["violations"]
    if violations:
        lines = [f"axe found {len(violations)} violation(s) on {where} ({page.url}):"]
        for violation in violations:
            lines.append(
                f"- {violation['id']} [{violation['impact']}]: {violation['help']}"
                f" ({violation['helpUrl']})"
            )
            for node in violation["nodes"][:5]:
                lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
                summary = (node.get("failureSummary") or "").replace("\n", " / ")
                lines.append(f"       {summary}")
        pytest.fail("\n".join(lines), pytrace=False)


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
