"""Webhooks and search highlights in a real browser without JavaScript: an administrator
registers a hook (events, queue filter), sees its delivery log and an attempt, and an agent's
search page marks the words; English and German, light and dark, 375 and 1,400 px
(screenshots in test-artifacts/)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from otrs.accounts.models import User, UserKind
from otrs.permissions import PermissionKey
from otrs.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from tests import factories
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS, submit
from tests.missing import import_or_missing

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LOOKS = [(scheme, width) for scheme in ("light", "dark") for width in (375, 1400)]


def _page(browser, live_server, user, password, login, *, language, scheme, width):
    context = browser.new_context(
        java_script_enabled=False,
        viewport={"width": width, "height": 900},
        locale="de-DE" if language == "de" else "en-US",
        color_scheme=scheme,
        base_url=live_server.url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(login)
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    return context, page


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_webhook_admin_and_search_highlights(browser, live_server, language):
    root = User.objects.create_superuser(
        "webhook-root", "root@example.test", "pw", kind=UserKind.AGENT, language=language
    )
    queue = factories.queue("Webhook looks", group_=factories.group("webhook-looks"))
    agent = factories.agent("webhook-looks-agent", language=language)
    factories.grant(agent, queue.group, PermissionKey.RW)
    ticket = factories.ticket(queue, title="Webhook looks printer", body="The <b>toner</b> smokes.")
    ARTIFACTS.mkdir(exist_ok=True)
    for scheme, width in LOOKS:
        looks = f"{language}-{scheme}-{width}"
        context, page = _page(
            browser,
            live_server,
            root,
            "pw",
            "/admin/login/?next=/admin/",
            language=language,
            scheme=scheme,
            width=width,
        )
        page.goto("/admin/webhooks/webhook/add/")
        page.locator("#id_name").fill(f"Looks {looks}")
        page.locator("#id_url").fill("https://example.test/hook")
        page.locator("input[name=events][value=TicketCreate]").check()
        page.locator("select[name=filter__ticket__queue]").select_option(str(queue.pk))
        page.screenshot(path=str(ARTIFACTS / f"webhook-add-{looks}.png"), full_page=True)
        submit(page.locator("input[name=_continue]"))
        hook = Webhook.objects.get(name=f"Looks {looks}")
        assert hook.filters == {"ticket.queue": [str(queue.pk)]}
        expect(page.locator(".field-secret")).to_contain_text(hook.secret)
        page.screenshot(path=str(ARTIFACTS / f"webhook-change-{looks}.png"), full_page=True)
        sent = WebhookDelivery.objects.create(
            hook=hook,
            event_id=ticket.pk,
            event="TicketCreate",
            object_type="ticket",
            object_id=ticket.pk,
            body='{"event": "TicketCreate"}',
            status="failed",
            attempts=1,
            retry_until=timezone.now(),
            last_status_code=502,
            last_error="The endpoint answered 502.",
        )
        WebhookAttempt.objects.create(
            delivery=sent,
            number=1,
            started_at=timezone.now(),
            duration_ms=31,
            status_code=502,
            error="The endpoint answered 502.",
            response_excerpt="Bad gateway",
        )
        page.goto(f"/admin/webhooks/webhookdelivery/?hook__id__exact={hook.pk}")
        page.screenshot(path=str(ARTIFACTS / f"webhook-deliveries-{looks}.png"), full_page=True)
        page.goto(f"/admin/webhooks/webhookdelivery/{sent.pk}/change/")
        expect(page.locator("body")).to_contain_text("Bad gateway")
        page.screenshot(path=str(ARTIFACTS / f"webhook-delivery-{looks}.png"), full_page=True)
        context.close()

        context, page = _page(
            browser,
            live_server,
            agent,
            "x",
            "/agent/login/",
            language=language,
            scheme=scheme,
            width=width,
        )
        page.goto("/agent/search/?fulltext=toner")
        expect(page.locator(".search-highlights mark").first).to_have_text("toner")
        page.screenshot(path=str(ARTIFACTS / f"search-highlights-{looks}.png"), full_page=True)
        context.close()
