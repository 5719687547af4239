"""States, priorities and types in the agent's selects are shown in the agent's language
(their names are English keys that the catalogue translates)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories
from tickets.models import SystemAddress

pytestmark = pytest.mark.django_db


@pytest.fixture
def german(client, support):
    agent = factories.agent("choices-de-agent", language="de")
    factories.grant(agent, support.group, factories.RW)
    client.force_login(agent)
    return client


@pytest.fixture
def ticket(support):
    support.queue.system_address = SystemAddress.objects.create(
        email="choices-support@example.test", display_name="Support", queue=support.queue
    )
    support.queue.save()
    return factories.ticket(support.queue, customer_user="choices-carol@example.com")


def options(page, name: str) -> list[str]:
    html = page.content.decode()
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_reply_composers_next_state_is_in_german(german, ticket):
    page = german.get(reverse("agent:reply", args=[ticket.pk, ticket.articles.first().pk]))
    assert page.status_code == 200
    shown = options(page, "next_state")
    assert "erfolgreich geschlossen" in shown
    assert "closed successful" not in shown


@pytest.mark.parametrize(
    ("screen", "field", "german_name", "english_name"),
    [
        ("agent:close", "state", "erfolgreich geschlossen", "closed successful"),
        ("agent:pending", "state", "warten auf Erinnerung", "pending reminder"),
        ("agent:priority", "priority", "4 hoch", "4 high"),
    ],
)
def test_the_change_screens_show_names_in_german(
    german, ticket, screen, field, german_name, english_name
):
    page = german.get(reverse(screen, args=[ticket.pk]))
    assert page.status_code == 200
    shown = options(page, field)
    assert german_name in shown
    assert english_name not in shown
