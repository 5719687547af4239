"""The reports in a real browser without JavaScript: the SVG chart and the table render, the
filters work as a plain GET form; English and German, light and dark, 375 px and 1400 px
(screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from otrs.accounts.models import Group
from tests import factories
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS
from tests.missing import import_or_missing
from tickets import actions
from tickets.choices import Channel, SenderType
from tickets.metrics import refresh_metrics
from tickets.models import Ticket

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def data(support):
    q = support.queue
    q.first_response_time, q.solution_time = 60, 600
    q.save()
    other = factories.queue("Sales / Germany", group_=support.group)
    stats, _created = Group.objects.get_or_create(name="stats")
    factories.grant(support.rw, stats, factories.RO)
    now = timezone.now()
    for n in range(12):
        created = now - dt.timedelta(days=n % 9, hours=n)
        ticket = factories.ticket(q if n % 3 else other, title=f"T{n}", created_at=created)
        if n % 2:
            actions.add_article(
                ticket,
                actions.ArticleInput(
                    channel=Channel.EMAIL,
                    sender_type=SenderType.AGENT,
                    body="Answer",
                    is_visible_for_customer=True,
                    created_at=created + dt.timedelta(minutes=20 * n),
                    time_units=Decimal(n),
                ),
                actor=support.rw,
            )
        if n % 4 == 1:
            actions.set_state(ticket, factories.state("closed successful"), actor=support.rw)
    refresh_metrics(Ticket.objects.values_list("pk", flat=True))
    return support


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_reports_render_without_javascript(browser, live_server, data, language):
    agent = data.rw
    agent.language = language
    agent.save()
    for scheme in ("light", "dark"):
        for width in (375, 1400):
            context = browser.new_context(
                java_script_enabled=False,
                viewport={"width": width, "height": 900},
                color_scheme=scheme,
                base_url=live_server.url,
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto("/agent/login/")
            page.locator("input[name=username]").fill(agent.username)
            page.locator("input[name=password]").fill("x")
            page.locator("form button[type=submit]").first.click()
            page.goto("/agent/reports/")
            expect(page.locator("a[data-nav=reports]")).to_be_visible() if width > 800 else None
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(
                path=str(ARTIFACTS / f"reports-index-{language}-{scheme}-{width}.png"),
                full_page=True,
            )
            for kind in ("compliance", "times", "volume", "backlog"):
                page.goto(f"/agent/reports/{kind}/")
                expect(page.locator("svg.chart")).to_be_visible()
                expect(page.locator("table.report")).to_be_visible()
                text = page.locator("body").inner_text()
                assert not re.search(r"\{[#%{]|[#%}]\}", text)
                page.screenshot(
                    path=str(ARTIFACTS / f"reports-{kind}-{language}-{scheme}-{width}.png"),
                    full_page=True,
                )
            # The filter form is a plain GET form.
            page.goto("/agent/reports/compliance/")
            page.locator("select[name=dimension]").select_option("team")
            page.locator(".report-filters button[type=submit]").click()
            expect(page.locator("table.report tbody tr")).to_have_count(1)
            context.close()
