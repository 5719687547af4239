"""API tokens and the maintenance window: during a window (only admins sign in), calls with
an agent's or customer's token are refused with a 503 problem and Retry-After until the
window ends; an admin's token works; before and after the window everyone's does. Calls
made with a browser session (signed in before the window) get the same answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from otrs.ops.models import MaintenanceWindow
from tests import factories
from tests.customer_portal import ticket_data as data
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


@pytest.fixture
def window(db):
    admin = factories.agent("apim_planner", is_staff=True)
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=25),
        message="Database move.",
        created_by=admin,
    )


def test_an_agents_token_gets_a_precise_503_during_the_window(api, window):
    client = api(factories.agent("apim_agent"))
    response = client.get(URL)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "maintenance" and body["status"] == 503
    assert "in maintenance until" in body["detail"]
    assert body["until"] == window.ends_at.isoformat()
    assert 24 * 60 < int(response["Retry-After"]) <= 25 * 60
    # Writes too, before anything is read or changed.
    assert client.post(URL, {"title": "x"}).status_code == 503


def test_an_admins_token_passes(api, window):
    admin = factories.agent("apim_admin", is_staff=True)
    assert api(admin).get(URL).status_code == 200


def test_a_customers_token_is_refused_too(api, window, settings):
    settings.API_CUSTOMER_ACCESS = True
    customer = data.customer("apim_customer")
    response = api(customer).get(URL)
    assert response.status_code == 503 and response.json()["code"] == "maintenance"


def test_before_and_after_the_window_tokens_work(api, window):
    client = api(factories.agent("apim_later"))
    with time_machine.travel(window.starts_at - timedelta(minutes=1)):
        assert client.get(URL).status_code == 200
    with time_machine.travel(window.ends_at + timedelta(seconds=1)):
        assert client.get(URL).status_code == 200


def test_a_refused_call_does_not_mark_the_token_used(api, window):
    agent = factories.agent("apim_unused")
    api(agent).get(URL)
    assert not agent.api_tokens.filter(last_used_at__isnull=False).exists()


# --- calls authenticated by a browser session (signed in before the window began) ---------


def session_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_agents_session_gets_the_same_503_as_a_token(window):
    client = session_client(factories.agent("apim_session_agent"))
    response = client.get(URL)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "maintenance" and body["until"] == window.ends_at.isoformat()
    assert 24 * 60 < int(response["Retry-After"]) <= 25 * 60


def test_a_sessions_write_is_refused_before_anything_is_written(window):
    agent = factories.agent("apim_session_writer")
    queue = factories.queue("apim_session_queue")
    factories.grant(agent, queue.group, "rw")
    client = session_client(agent)
    body = {"title": "apim session write", "queue": queue.pk, "article": {"body": "x"}}
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 503 and response.json()["code"] == "maintenance"
    assert not Ticket.objects.filter(title="apim session write").exists()
    # The same call once the window is over creates the ticket.
    with time_machine.travel(window.ends_at + timedelta(seconds=1)):
        assert client.post(URL, body, content_type="application/json").status_code == 201
    assert Ticket.objects.filter(title="apim session write").count() == 1


def test_a_customers_session_is_refused_too(window, settings):
    settings.API_CUSTOMER_ACCESS = True
    response = session_client(data.customer("apim_session_customer")).get(URL)
    assert response.status_code == 503 and response.json()["code"] == "maintenance"


def test_an_admins_session_passes(window):
    admin = factories.agent("apim_session_admin", is_staff=True)
    assert session_client(admin).get(URL).status_code == 200


def test_a_session_works_before_and_after_the_window(window):
    client = session_client(factories.agent("apim_session_later"))
    with time_machine.travel(window.starts_at - timedelta(minutes=1)):
        assert client.get(URL).status_code == 200
    with time_machine.travel(window.ends_at + timedelta(seconds=1)):
        assert client.get(URL).status_code == 200
