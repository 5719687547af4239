"""Two-factor sign-in in a real browser without JavaScript: the agent's enrolment (key and QR
code, then the recovery codes) and the sign-in's code step, English and German, light and
dark, 375 px and 1400 px (screenshots in test-artifacts/)."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from customers.actions import CustomerUserInput, create_customer_user
from tests import factories
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS, submit
from tests.missing import import_or_missing

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _context(browser, live_server, scheme, width):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _sign_in(page, username):
    page.goto("/agent/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("x")
    submit(page.locator("form button[type=submit]").first)


@pytest.mark.parametrize("language", ["en", "de"])
def test_enrolment_and_code_step_look(browser, live_server, language):
    ARTIFACTS.mkdir(exist_ok=True)
    for scheme in ("light", "dark"):
        for width in (375, 1400):
            name = f"twofa-look-{language}-{scheme}-{width}"
            agent = factories.agent(name, language=language)
            context = _context(browser, live_server, scheme, width)
            page = context.new_page()
            _sign_in(page, name)
            page.goto("/agent/preferences/")
            page.locator("a[href='/agent/preferences/two-factor/']").click()
            expect(page.locator(".qr-code svg")).to_be_visible()
            expect(page.locator("code.otp-secret")).not_to_be_empty()
            shot = f"two-factor-enrol-{language}-{scheme}-{width}.png"
            page.screenshot(path=str(ARTIFACTS / shot), full_page=True)

            # No device until a right code confirms it: the code comes from the key shown.
            assert not TOTPDevice.objects.filter(user=agent).exists()
            secret = page.locator("code.otp-secret").inner_text()
            code = totp(b32decode(secret.replace(" ", "")))
            page.locator("input[name=code]").fill(f"{code:06d}")
            page.locator("form button[type=submit]").last.click()
            expect(page.locator(".recovery-codes li")).to_have_count(10)
            shot = f"two-factor-codes-{language}-{scheme}-{width}.png"
            page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
            context.close()

            context = _context(browser, live_server, scheme, width)
            page = context.new_page()
            page.set_extra_http_headers({"Accept-Language": language})
            _sign_in(page, name)
            expect(page.locator("input[name=code]")).to_be_visible()
            assert page.url.endswith("/agent/login/code/")
            shot = f"two-factor-code-step-{language}-{scheme}-{width}.png"
            page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
            context.close()


@pytest.mark.parametrize("language", ["en", "de"])
def test_customer_enrolment_looks(browser, live_server, language):
    ARTIFACTS.mkdir(exist_ok=True)
    for scheme, width in (("light", 375), ("dark", 1400)):
        login = f"twofa-look-customer-{language}-{scheme}"
        create_customer_user(
            CustomerUserInput(login=login, email=f"{login}@example.com", first_name="Look"),
            password="Look-Secret-2024",
            actor=factories.system(),
        )
        context = _context(browser, live_server, scheme, width)
        page = context.new_page()
        page.set_extra_http_headers({"Accept-Language": language})
        page.goto("/customer/login/")
        page.locator("input[name=username]").fill(login)
        page.locator("input[name=password]").fill("Look-Secret-2024")
        page.locator("form button[type=submit]").first.click()
        page.goto("/customer/preferences/")
        page.locator("a[href='/customer/preferences/two-factor/']").click()
        expect(page.locator(".qr-code svg")).to_be_visible()
        shot = f"two-factor-customer-enrol-{language}-{scheme}-{width}.png"
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        context.close()
