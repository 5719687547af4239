"""The agent's API token page in a real browser without JavaScript (make a token, see it once,
revoke it), English and German, light and dark, 375 px and 1400 px (screenshots in
test-artifacts/); and the API documentation page rendering Swagger UI from the project's own
assets under the site's Content-Security-Policy."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS
from tests.missing import import_or_missing

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _signed_in(browser, live_server, agent, **options):
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/agent/login/")
    page.locator("input[name=username]").fill(agent.username)
    page.locator("input[name=password]").fill("x")
    page.locator("form button[type=submit]").first.click()
    return context, page


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_token_page_without_javascript(browser, live_server, support, language):
    agent = support.rw
    agent.language = language
    agent.save()
    ARTIFACTS.mkdir(exist_ok=True)
    for scheme in ("light", "dark"):
        for width in (375, 1400):
            context, page = _signed_in(
                browser,
                live_server,
                agent,
                java_script_enabled=False,
                viewport={"width": width, "height": 900},
                color_scheme=scheme,
            )
            page.goto("/agent/preferences/")
            page.locator("a[href='/agent/preferences/tokens/']").click()
            page.locator("input[name=name]").fill(f"CI {scheme} {width}")
            page.locator("select[name=scope]").select_option("read")
            page.locator("form.card button[type=submit]").click()
            expect(page.locator("#new-token code.token")).to_contain_text("otrs_")
            page.screenshot(
                path=str(ARTIFACTS / f"api-tokens-{language}-{scheme}-{width}.png"), full_page=True
            )
            page.locator("table button[type=submit]").first.click()
            expect(page.locator("table .badge.invalid").first).to_be_visible()
            context.close()


def test_the_documentation_page_renders_from_our_own_assets(browser, live_server, support):
    context, page = _signed_in(
        browser, live_server, support.rw, viewport={"width": 1400, "height": 900}
    )
    foreign = []
    page.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("OTRS-Django REST API")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "api-docs-en-light-1400.png"))
    assert foreign == []
    context.close()
