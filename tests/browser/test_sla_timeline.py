"""The SLA timeline on the zoom and the escalation widget in a real browser: readable without
JavaScript, the "how this was computed" details open with a click, in English and German,
light and dark, 375 px and 1400 px wide (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from otrs.calendars.models import Calendar, WorkingSlot
from tests import factories
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS
from tests.missing import import_or_missing
from tickets import actions
from tickets.actions.escalation import recompute_escalations
from tickets.choices import Channel, SenderType

sync_api = import_or_missing("playwright.sync_api")
expect = sync_api.expect

# As in test_agent_portal: the live server sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def escalated(support):
    """A ticket answered late (first response breached), updated since, still running."""
    always = Calendar.objects.create(name="Always", time_zone="Europe/Berlin")
    for day in range(7):
        WorkingSlot.objects.create(calendar=always, weekday=day, start=dt.time(0), end=dt.time(0))
    q = support.queue
    q.calendar = always
    q.first_response_time, q.update_time, q.solution_time = 60, 120, 24 * 60
    q.first_response_notify = q.update_notify = q.solution_notify = 80
    q.save()
    created = timezone.now() - dt.timedelta(hours=3)
    ticket = factories.ticket(q, title="Server room too hot", created_at=created)
    actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.AGENT,
            subject="Re: Server room too hot",
            body="We are on it.",
            is_visible_for_customer=True,
            created_at=created + dt.timedelta(minutes=90),
        ),
        actor=support.rw,
    )
    recompute_escalations([ticket.pk])
    return ticket


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_zoom_explains_the_sla_clocks(browser, live_server, support, escalated, language):
    agent = support.rw
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
            page.goto(f"/agent/tickets/{escalated.pk}/")
            timeline = page.locator("#sla")
            expect(timeline).to_be_visible()
            heading = "SLA timeline" if language == "en" else "SLA-Zeitleiste"
            expect(timeline.get_by_role("heading", name=heading)).to_be_visible()
            expect(timeline.locator(".badge.sla-breached")).to_have_count(1)
            expect(timeline.locator(".badge.sla-met")).to_have_count(0)
            summary = timeline.locator("summary").first
            summary.click()
            expect(timeline.locator("details").first).to_have_attribute("open", "")
            expect(timeline.locator("text=/Europe\\/Berlin/")).to_be_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            name = f"sla-timeline-{language}-{scheme}-{width}"
            timeline.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            page.screenshot(path=str(ARTIFACTS / f"{name}-page.png"), full_page=True)
            text = page.locator("body").inner_text()
            assert not re.search(r"\{[#%{]|[#%}]\}", text)
            if language == "en":
                page.goto("/agent/")
                widget = page.locator("section[aria-labelledby=widget-escalated]")
                expect(widget.get_by_role("link", name="Server room too hot")).to_be_visible()
                page.screenshot(
                    path=str(ARTIFACTS / f"sla-dashboard-{scheme}-{width}.png"), full_page=True
                )
            context.close()
