"""Ending sessions in bulk (all agents', all customers', one user's) with a confirmation and a
history row per user, and the user's own "sign out everywhere else"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from otrs.accounts.models import AccountEvent, AccountEventKind, User, UserKind
from tests import factories
from tests.customer_portal import ticket_data as data

pytestmark = pytest.mark.django_db

END = reverse("admin:end_sessions")


def signed_in(path: str, username: str) -> Client:
    client = Client()
    response = client.post(path, {"username": username, "password": "pw"})
    assert response.status_code == 302, username
    return client


def agent_with_password(username: str) -> User:
    agent = factories.agent(username)
    agent.set_password("pw")
    agent.save()
    return agent


def customer_with_password(username: str) -> User:
    customer = data.customer(username)
    customer.set_password("pw")
    customer.save()
    return customer


@pytest.fixture
def people(db):
    User.objects.create_superuser("ends_root", "ends_root@example.test", "pw", kind=UserKind.AGENT)
    agent_with_password("ends_agent")
    customer_with_password("ends_customer")
    return {
        "admin": signed_in(reverse("admin:login"), "ends_root"),
        "agent": signed_in(reverse("agent:login"), "ends_agent"),
        "agent2": signed_in(reverse("agent:login"), "ends_agent"),
        "customer": signed_in(reverse("customer:login"), "ends_customer"),
    }


def agent_in(client: Client) -> bool:
    return client.get(reverse("agent:preferences")).status_code == 200


def customer_in(client: Client) -> bool:
    return client.get(reverse("customer:preferences")).status_code == 200


def test_ending_all_agents_sessions_asks_first_and_keeps_the_admins_own(people):
    admin = people["admin"]
    asked = admin.post(END, {"scope": "agents"})
    assert asked.status_code == 200
    page = asked.content.decode()
    # Two sessions of ends_agent (the admin's own is not counted: it stays).
    assert "This ends 2 running sessions" in page and 'name="confirm"' in page
    assert agent_in(people["agent"])  # nothing ended by the question

    done = admin.post(END, {"scope": "agents", "confirm": "1"}, follow=True)
    assert "2 sessions were ended." in done.content.decode()
    assert not agent_in(people["agent"]) and not agent_in(people["agent2"])
    assert customer_in(people["customer"])
    assert admin.get(reverse("admin:sessions")).status_code == 200  # still signed in
    event = AccountEvent.objects.get(user__username="ends_agent")
    assert event.kind == AccountEventKind.SESSIONS_ENDED
    assert event.actor.username == "ends_root"
    assert event.data == {"count": 2, "scope": "agents"}


def test_ending_all_customers_sessions(people):
    people["admin"].post(END, {"scope": "customers", "confirm": "1"})
    assert not customer_in(people["customer"])
    assert agent_in(people["agent"])
    assert AccountEvent.objects.get(user__username="ends_customer").data["scope"] == "customers"


def test_ending_one_users_sessions_by_login(people):
    asked = people["admin"].post(END, {"scope": "user", "username": "ends_customer"})
    assert "This ends 1 running session (ends_customer)" in asked.content.decode()
    people["admin"].post(END, {"scope": "user", "username": "ends_customer", "confirm": "1"})
    assert not customer_in(people["customer"]) and agent_in(people["agent"])


def test_bad_choices_get_precise_messages_and_end_nothing(people):
    admin = people["admin"]
    missing = admin.post(END, {"scope": "user", "confirm": "1"})
    assert missing.status_code == 400
    assert "Enter the login of the user whose sessions should end." in missing.content.decode()
    unknown = admin.post(END, {"scope": "user", "username": "ends_nobody", "confirm": "1"})
    assert "There is no agent or customer with the login “ends_nobody”." in (
        unknown.content.decode()
    )
    system = admin.post(END, {"scope": "user", "username": "system", "confirm": "1"})
    assert system.status_code == 400
    odd = admin.post(END, {"scope": "everyone", "confirm": "1"})
    assert odd.status_code == 400
    assert agent_in(people["agent"]) and customer_in(people["customer"])
    assert not AccountEvent.objects.exists()


def test_only_admins_with_the_permission_end_sessions(people):
    staff = factories.agent("ends_staff", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.post(END, {"scope": "agents", "confirm": "1"}).status_code == 404
    assert people["agent"].post(END, {"scope": "agents", "confirm": "1"}).status_code == 302
    assert agent_in(people["agent"])
    assert people["admin"].get(END).status_code == 405  # POST only


def test_an_agent_signs_out_everywhere_else(people):
    here, elsewhere = people["agent"], people["agent2"]
    response = here.post(reverse("agent:sign_out_elsewhere"), follow=True)
    assert "You were signed out of 1 other session." in response.content.decode()
    assert agent_in(here) and not agent_in(elsewhere)
    event = AccountEvent.objects.get(user__username="ends_agent")
    assert event.actor.username == "ends_agent" and event.data["scope"] == "others"
    assert here.get(reverse("agent:sign_out_elsewhere")).status_code == 405


def test_a_customer_signs_out_everywhere_else(people):
    other = signed_in(reverse("customer:login"), "ends_customer")
    page = people["customer"].get(reverse("customer:preferences")).content.decode()
    assert reverse("customer:sign_out_elsewhere") in page
    people["customer"].post(reverse("customer:sign_out_elsewhere"))
    assert customer_in(people["customer"]) and not customer_in(other)
    assert agent_in(people["agent"])  # other users keep theirs
