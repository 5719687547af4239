"""The admin's mail-health page in a real browser: light and dark, English and German,
narrow (375 px) and wide (1400 px), with and without JavaScript; screenshots go to
test-artifacts/. The page must need no script or inline style (the page fixture's CSP check)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from otrs.accounts.models import User, UserKind
from otrs.mail import pipe, spool
from otrs.mail.models import (
    AuthMethod,
    MailAccount,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
    Protocol,
    TokenState,
)
from tests.browser.conftest import ARTIFACTS, CHROMIUM, TIMEOUT_MS  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def moved_aside(settings, tmp_path):
    """A spool with one message moved aside (an unknown queue on its last try)."""

    settings.MAIL_SPOOL_DIR = tmp_path
    options = pipe.spool_options(queue="Sales::Later", trusted=True, source="pipe")
    pipe.write_spool(tmp_path, b"From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n", options)
    assert spool.drain(tmp_path, max_attempts=1).failed == 1


def _data() -> User:
    now = timezone.now()
    MailAccount.objects.create(
        name="Sales (Microsoft 365)",
        protocol=Protocol.IMAPS,
        host="outlook.office365.com",
        login="sales@example.com",
        auth_method=AuthMethod.OAUTH2,
        oauth_state=TokenState.NEEDS_RECONNECT,
        oauth_error="invalid_grant: AADSTS70008: The refresh token has expired.",
        last_fetch_at=now - timedelta(minutes=3),
        last_error="The OAuth2 token can no longer be refreshed: connect the account again.",
        last_error_at=now - timedelta(minutes=3),
        consecutive_failures=4,
        fetched_total=1523,
    )
    MailAccount.objects.create(
        name="Support",
        protocol=Protocol.IMAPS,
        host="mail.example.com",
        login="support@example.com",
        password="x",
        last_fetch_at=now - timedelta(minutes=1),
        fetched_total=98211,
        fetched_last_run=12,
    )
    for minutes, status, kind in [
        (95, OutboundStatus.QUEUED, OutboundKind.ARTICLE),
        (2, OutboundStatus.SENDING, OutboundKind.ARTICLE),
        (600, OutboundStatus.FAILED, OutboundKind.AGENT_NOTIFICATION),
    ]:
        OutboundMessage.objects.create(
            kind=kind,
            envelope_from="desk@example.com",
            recipients=["a@example.com"],
            raw=b"x",
            status=status,
            created_at=now - timedelta(minutes=minutes),
        )
    return User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_mail_health_page(browser, js_mode, live_server, scheme, language):
    admin = _data()
    client = Client()
    client.force_login(admin)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    for width in (375, 1400):
        context = browser.new_context(
            java_script_enabled=js_mode == "js",
            viewport={"width": width, "height": 900},
            locale="de-DE" if language == "de" else "en-US",
            color_scheme=scheme,
            base_url=live_server.url,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        blocked: list[str] = []
        page.on(
            "console",
            lambda message, blocked=blocked: (
                "Content Security Policy" in message.text and blocked.append(message.text)
            ),
        )
        page.goto("/admin/mail/mailaccount/health/")
        heading = "Mail-Zustand" if language == "de" else "Mail health"
        assert page.locator("h1").first.inner_text() == heading
        assert page.get_by_text("Sales (Microsoft 365)").count() >= 1
        assert page.get_by_text("AADSTS70008", exact=False).count() == 1
        spool_heading = "Spool des Mailservers" if language == "de" else "Mail server spool"
        assert page.get_by_role("heading", name=spool_heading).count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"mail-health-{js_mode}-{language}-{scheme}-{width}.png"),
            full_page=True,
        )
        context.close()
        assert not blocked, blocked
