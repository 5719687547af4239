"""Escalation in the overviews: the dashboard's widget of escalated and soon escalating
tickets in the agent's queues, and the queue view sorted by escalation time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from tests import factories
from tickets.actions.escalation import recompute_escalations

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def numbers(page: str) -> list[str]:
    return re.findall(r'<td class="num"><a href="/agent/tickets/\d+/">([^<]+)</a>', page)


@pytest.fixture
def desk(support):
    """Three tickets with first-response targets of 30 min, 3 h and none, plus one in a
    queue the agent cannot read (30 min)."""
    with time_machine.travel(MONDAY, tick=False):
        fast = factories.queue("Fast", group_=support.group)
        fast.first_response_time = 30
        fast.save()
        slow = factories.queue("Slow", group_=support.group)
        slow.first_response_time = 180
        slow.save()
        hidden = factories.queue("Hidden")
        hidden.first_response_time = 30
        hidden.save()
        tickets = {
            "fast": factories.ticket(fast, title="fast"),
            "slow": factories.ticket(slow, title="slow"),
            "none": factories.ticket(support.queue, title="none"),
            "hidden": factories.ticket(hidden, title="hidden"),
        }
        recompute_escalations([t.pk for t in tickets.values()])
    return tickets


def test_the_dashboard_lists_escalated_and_soon_escalating_tickets(client, support, desk):
    client.force_login(support.rw)
    # 10:20: "fast" escalates at 10:30 (soon), "slow" at 13:00 (not yet soon).
    with time_machine.travel(MONDAY + dt.timedelta(minutes=20), tick=False):
        page = client.get(reverse("agent:dashboard")).content.decode()
    widget = page[page.index('id="widget-escalated"') :]
    widget = widget[: widget.index("</section>")]
    assert numbers(widget) == [desk["fast"].number]
    assert "escalated</span>" not in widget
    # 11:30: "fast" is escalated and "slow" escalates within two hours; earliest first.
    with time_machine.travel(MONDAY + dt.timedelta(hours=1.5), tick=False):
        page = client.get(reverse("agent:dashboard")).content.decode()
    widget = page[page.index('id="widget-escalated"') :]
    widget = widget[: widget.index("</section>")]
    assert numbers(widget) == [desk["fast"].number, desk["slow"].number]
    assert widget.count("escalated</span>") == 1


def test_the_soon_window_of_the_dashboard_is_a_setting(client, support, desk, settings):
    client.force_login(support.rw)
    settings.DASHBOARD_ESCALATION_SOON_MINUTES = 5
    # 10:20: "fast" escalates at 10:30, outside a five-minute window.
    with time_machine.travel(MONDAY + dt.timedelta(minutes=20), tick=False):
        page = client.get(reverse("agent:dashboard")).content.decode()
        settings.DASHBOARD_ESCALATION_SOON_MINUTES = 4 * 60
        wide = client.get(reverse("agent:dashboard")).content.decode()
    widget = page[page.index('id="widget-escalated"') :]
    assert numbers(widget[: widget.index("</section>")]) == []
    widget = wide[wide.index('id="widget-escalated"') :]
    assert numbers(widget[: widget.index("</section>")]) == [
        desk[k].number for k in ("fast", "slow")
    ]


def test_the_queue_view_sorts_by_escalation_time_with_none_last(client, support, desk):
    client.force_login(support.rw)
    url = reverse("agent:status")
    page = client.get(url, {"view": "open", "sort": "escalation", "order": "asc"}).content
    assert numbers(page.decode()) == [desk[k].number for k in ("fast", "slow", "none")]
    page = client.get(url, {"view": "open", "sort": "escalation", "order": "desc"}).content
    assert numbers(page.decode()) == [desk[k].number for k in ("slow", "fast", "none")]
