"""Lists say where the agent is: "1-2 of 3" (en dash) on status view and search (issue 18)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

DASH = "\N{EN DASH}"


@pytest.fixture
def agent(support):
    support.rw.rows_per_page = 2
    support.rw.save()
    for n in range(3):
        factories.ticket(support.queue, title=f"Printer {n}")
    client = Client()
    client.force_login(support.rw)
    return client


@pytest.mark.parametrize(
    ("name", "params"),
    [("status", {}), ("search", {"q": ""}), ("queues", {})],
)
def test_lists_show_the_rows_shown_and_the_total(agent, name, params):
    first = agent.get(reverse(f"agent:{name}"), params).content.decode()
    second = agent.get(reverse(f"agent:{name}"), {**params, "page": 2}).content.decode()

    assert f'<span class="page-summary">1{DASH}2 of 3</span>' in first
    assert f'<span class="page-summary">3{DASH}3 of 3</span>' in second
