"""Agent sign-in, sign-out, throttling, preferences and the agents-only gate."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories

LOGIN = "/agent/login/"


@pytest.fixture
def agent(db):
    return factories.agent("alice", first_name="Alice")


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_it_signs_an_agent_in_and_out(client, agent):
    response = _login(client, "alice", "x")
    assert response.status_code == 302
    assert response.url == "/agent/"
    assert client.get("/agent/").status_code == 200

    assert client.get("/agent/logout/").status_code == 405  # sign-out is a POST
    assert client.post("/agent/logout/").status_code == 302
    assert client.get("/agent/").status_code == 302


def test_it_refuses_a_customer_at_the_agent_sign_in(client, db):
    factories.customer("carol")
    response = _login(client, "carol", "x")
    assert response.status_code == 200
    assert "This sign-in is for agents" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_refuses_customers_on_every_agent_page_whatever_their_flags(client, db):
    customer = factories.customer("carol")
    customer.is_staff = customer.is_superuser = True
    customer.save()
    client.force_login(customer)
    for url in ["/agent/", "/agent/queues/", "/agent/preferences/", "/agent/password/"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Agents only" in response.content.decode()


def test_it_sends_anonymous_visitors_to_the_sign_in(client, db):
    response = client.get("/agent/queues/?queue=1")
    assert response.status_code == 302
    assert response.url.startswith(f"{LOGIN}?next=/agent/queues/")


def test_it_throttles_repeated_failures_for_a_login(client, agent):
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        assert "_auth_user_id" not in _login(client, "alice", "wrong").wsgi_request.session
    # Now even the right password is refused at this address until the window passes.
    response = _login(client, "alice", "x")
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The owner at another address is not held back by someone else's guesses.
    assert _login(Client(REMOTE_ADDR="10.9.8.7"), "alice", "x").status_code == 302


def test_it_throttles_an_address_that_tries_many_logins(client, agent, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = settings.LOGIN_FAILURE_LIMIT + 2
    for attempt in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _login(client, f"nobody{attempt}", "wrong")
    response = _login(client, "alice", "x")
    assert "Too many failed sign-ins" in response.content.decode()
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert _login(other, "alice", "x").status_code == 302


def test_it_enforces_csrf_on_the_sign_in(agent):
    client = Client(enforce_csrf_checks=True)
    assert _login(client, "alice", "x").status_code == 403


def test_it_applies_the_agents_language_and_time_zone(client, agent):
    client.force_login(agent)
    response = client.post(
        "/agent/preferences/", {"language": "de", "time_zone": "Europe/Berlin", "rows_per_page": 50}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.language, agent.time_zone, agent.rows_per_page) == ("de", "Europe/Berlin", 50)
    page = client.get("/agent/preferences/")
    assert page.wsgi_request.LANGUAGE_CODE == "de"
    assert '<html lang="de"' in page.content.decode()
    assert "Einstellungen" in page.content.decode()


def test_it_rejects_an_unknown_time_zone(client, agent):
    client.force_login(agent)
    response = client.post(
        "/agent/preferences/", {"language": "", "time_zone": "Mars/Olympus", "rows_per_page": 25}
    )
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.time_zone == ""


def test_it_changes_the_password_and_keeps_the_session(client, agent):
    client.force_login(agent)
    response = client.post(
        "/agent/password/",
        {
            "old_password": "x",
            "new_password1": "a-much-Longer-one-42",
            "new_password2": "a-much-Longer-one-42",
        },
    )
    assert response.status_code == 302
    assert client.get("/agent/").status_code == 200
    agent.refresh_from_db()
    assert agent.check_password("a-much-Longer-one-42")


def _expires(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_it_renews_a_working_session_at_most_once_a_minute(client, agent, time_machine):
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    client.force_login(agent)
    client.get("/agent/")
    first = _expires(client)
    assert first == timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # Within the minute: no write at all (polling costs no session update).
    time_machine.move_to("2026-03-02 09:00:30+00:00", tick=False)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/agent/").status_code == 200
    session_sql = [q["sql"] for q in queries if "django_session" in q["sql"]]
    writes = [sql for sql in session_sql if not sql.lstrip().startswith("SELECT")]
    assert writes == []
    assert _expires(client) == first
    # A minute on: the expiry moves with the agent's work, and so does the cookie.
    time_machine.move_to("2026-03-02 09:01:00+00:00", tick=False)
    response = client.get("/agent/")
    assert _expires(client) == first + timedelta(minutes=1)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_it_signs_out_an_idle_session(client, agent, time_machine):
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    client.force_login(agent)
    assert client.get("/agent/").status_code == 200
    time_machine.move_to(
        timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1), tick=False
    )
    response = client.get("/agent/")
    assert response.status_code == 302
    assert "/agent/login/" in response["Location"]


def test_an_anonymous_visit_makes_no_session(client, db):
    client.get("/agent/login/")
    assert not Session.objects.exists()
