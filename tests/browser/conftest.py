"""Real-browser tests: Debian's Chromium driven by Playwright against pytest-django's live
server. One browser for the whole package, a fresh context (cookies, JavaScript setting) per
test; every test runs twice, with JavaScript on and off.

Never ``playwright install``: the browser is the Debian package at /usr/bin/chromium.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from tests.missing import import_or_missing, missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Long enough for a slow shared machine, short enough that a missing element fails quickly.
TIMEOUT_MS = 10_000
# The narrow (a phone) and wide (a desktop) widths every new screen is looked at in.
WIDTHS = (375, 1400)


def new_context(browser, live_server, *, js: bool = True, width: int = WIDTHS[-1], scheme="light"):
    """A browser context of its own (cookies, English) on the live server, ``width`` px wide
    in the ``scheme`` colour scheme, with or without JavaScript, and the suite's timeout (page
    loads get three times as long: a first request on a busy machine renders cold)."""
    context = browser.new_context(
        java_script_enabled=js,
        viewport={"width": width, "height": 900},
        locale="en-US",
        color_scheme=scheme,
        base_url=live_server.url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)
    return context


def submit(locator) -> None:
    """Click ``locator`` (a submit button or a link) and wait until the page it leads to has
    loaded. A bare ``click()`` returns once the click is dispatched, so a check right after it
    can read the old page, or a half-parsed new one, or the database before the POST ran."""
    with locator.page.expect_navigation():
        locator.click()


def shoot_widths(page, stem: str, widths=WIDTHS, height: int = 900) -> None:
    """Full-page screenshots of ``page`` at each width, as test-artifacts/<stem>-<width>.png;
    the page is left at the last width."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in widths:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"{stem}-{width}.png"), full_page=True)


def pytest_collection_modifyitems(items):
    """Every test in this package is a browser test (``-m "not browser"`` skips them)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser(django_db_setup):
    """Chromium, launched once for the browser tests and closed after the last of them.

    Playwright's sync API marks an asyncio loop as running in this thread between its calls.
    Django reacts in two ways, both handled here for exactly as long as the browser lives:

    - it refuses database calls from the thread as "async unsafe" (the test's factories, the
      flush after each test); the tests are synchronous, so the guard is lifted;
    - with a loop running, ``connections[alias]`` is a different connection object (a
      context-local one), which lacks the snapshot of the migrations' rows that
      pytest-django took when it created the test database. Without it, serialized_rollback
      silently does nothing and the flush re-creates content types under new ids, which breaks
      every later serialized_rollback test of the suite. The snapshot is handed over.
    """
    sync_api = import_or_missing("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is missing: apt-get install chromium")

    snapshots = {
        connection.alias: connection._test_serialized_contents
        for connection in connections.all()
        if hasattr(connection, "_test_serialized_contents")
    }
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        for alias, contents in snapshots.items():
            connections[alias]._test_serialized_contents = contents
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        # The context-local connections end with the loop: close them now, or PostgreSQL
        # refuses to drop the test database at the end of the run.
        connections.close_all()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(params=["js", "nojs"])
def js_mode(request) -> str:
    """Every browser test runs once with JavaScript on ("js") and once off ("nojs")."""
    return request.param


@pytest.fixture
def page(browser, js_mode, live_server):
    """A page in a new browser context: its own cookies, English, 1280 px wide."""
    context = browser.new_context(
        java_script_enabled=js_mode == "js",
        viewport=VIEWPORT,
        locale="en-US",
        base_url=live_server.url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # Whatever the Content-Security-Policy refuses (an inline script or style, a foreign
    # source) is an error: the pages are built to need none of it.
    opened.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    # A stylesheet or script the pages link to must exist (the browser asks for a favicon
    # on its own: that one is not ours to judge).
    opened.on(
        "response",
        lambda response: (
            response.status >= 400
            and "/static/" in response.url
            and errors.append(f"{response.status} {response.url}")
        ),
    )
    yield opened
    context.close()
    assert not errors, f"errors on the page: {errors}"


@pytest.fixture
def screenshot(request, js_mode):
    """``screenshot(page, "dashboard")`` saves the full page as
    test-artifacts/<test>-<js|nojs>-dashboard.png and returns the path."""
    test = re.sub(r"[^\w.-]+", "_", request.node.originalname)

    def save(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{test}-{js_mode}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
