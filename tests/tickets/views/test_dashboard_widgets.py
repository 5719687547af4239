"""Dashboard widgets the agent adds, removes and orders (issue 18, part 7)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tickets.agent_preferences import DashboardPreferences

pytestmark = pytest.mark.django_db


def widget_keys(html: str) -> list[str]:
    return re.findall(r'<section class="card widget" aria-labelledby="widget-(\w+)"', html)


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("agent:dashboard")).status_code == 200
    return len(captured)


def test_all_widgets_by_default_then_the_agents_choice_in_order(client, support):
    client.force_login(support.rw)
    assert widget_keys(client.get(reverse("agent:dashboard")).content.decode()) == [
        "locked",
        "new",
        "reminders",
        "watched",
        "escalated",
    ]
    everything = queries(client)
    section = DashboardPreferences(
        {
            "widget_escalated": "on",
            "widget_escalated_position": "1",
            "widget_locked": "on",
            "widget_locked_position": "2",
        },
        user=support.rw,
    )
    assert section.is_valid(), section.errors
    section.save()
    client.force_login(support.rw)
    page = client.get(reverse("agent:dashboard")).content.decode()
    assert widget_keys(page) == ["escalated", "locked"]
    # Removed widgets are not read (the new tickets' widget alone takes several queries).
    assert queries(client) < everything


def test_no_widget_at_all_is_refused_and_other_forms_keep_the_choice(support):
    section = DashboardPreferences({"widget_locked_position": "1"}, user=support.rw)
    assert not section.is_valid()
    assert "at least one dashboard widget" in str(section.non_field_errors())
    support.rw.dashboard_widgets = ["watched"]
    support.rw.save()
    section = DashboardPreferences({"rows_per_page": "25"}, user=support.rw)
    assert section.is_valid()
    section.save()
    support.rw.refresh_from_db()
    assert support.rw.dashboard_widgets == ["watched"]
