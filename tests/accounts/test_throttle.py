"""Sign-in throttling that cannot be turned against users: counted per login at an address
and per address, in a scope per sign-in form; password reset limited per address and per
account; locks an admin can see and lift. (Parallel attempts: test_throttle_concurrency.py;
through a real nginx: tests/deploy/test_proxy_throttling.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from customers.actions import CustomerUserInput, create_customer_user
from otrs.accounts.models import ThrottleCounter, ThrottleScope
from otrs.mail.models import OutboundMessage
from tests import factories

AGENT_LOGIN = "/agent/login/"
CUSTOMER_LOGIN = "/customer/login/"
ADMIN_LOGIN = "/admin/login/"
RESET = "/customer/password-reset/"
THROTTLED = "Too many failed sign-ins"
LIMIT = 3


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2 * LIMIT + 1
    settings.PASSWORD_RESET_LIMIT = 2
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 4
    settings.EMAIL_BACKEND = "otrs.mail.backend.QueueBackend"


@pytest.fixture
def alice(db):
    """An agent who is also an admin."""
    return factories.agent("alice", is_staff=True, is_superuser=True)


@pytest.fixture
def carol(db):
    return create_customer_user(
        CustomerUserInput(login="carol", email="carol@example.com", first_name="Carol"),
        password="Carol-Secret-2024",
        actor=factories.system(),
    ).user


def at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def sign_in(client: Client, url: str, username: str, password: str):
    return client.post(url, {"username": username, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302


def fail(client: Client, url: str, username: str, times: int = LIMIT) -> None:
    for _attempt in range(times):
        response = sign_in(client, url, username, "wrong")
        assert response.status_code == 200
        assert THROTTLED not in response.content.decode()


# --- who is held back --------------------------------------------------------------------------


def test_wrong_passwords_for_one_login_never_block_another(alice):
    factories.agent("bob")
    fail(at("192.0.2.1"), AGENT_LOGIN, "bob")
    assert THROTTLED in sign_in(at("192.0.2.1"), AGENT_LOGIN, "bob", "x").content.decode()
    assert signed_in(sign_in(at("192.0.2.1"), AGENT_LOGIN, "alice", "x"))


def test_an_outsiders_guesses_do_not_lock_the_owner_out_elsewhere(alice):
    fail(at("203.0.113.66"), AGENT_LOGIN, "alice")
    assert THROTTLED in sign_in(at("203.0.113.66"), AGENT_LOGIN, "alice", "x").content.decode()
    assert signed_in(sign_in(at("192.0.2.1"), AGENT_LOGIN, "alice", "x"))


def test_an_address_trying_many_logins_is_held_back_alone(alice, settings):
    attacker = at("203.0.113.66")
    for number in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        fail(attacker, AGENT_LOGIN, f"guess{number}", times=1)
    # Every login from that address now waits, even one never tried and the right password.
    page = sign_in(attacker, AGENT_LOGIN, "alice", "x")
    assert THROTTLED in page.content.decode()
    assert signed_in(sign_in(at("192.0.2.1"), AGENT_LOGIN, "alice", "x"))


def test_an_ipv6_subscriber_counts_as_one_address(alice):
    for host in range(1, LIMIT + 1):
        fail(at(f"2001:db8:1:2::{host}"), AGENT_LOGIN, "alice", times=1)
    held_back = sign_in(at("2001:db8:1:2::99"), AGENT_LOGIN, "alice", "x")
    assert THROTTLED in held_back.content.decode()
    assert signed_in(sign_in(at("2001:db8:1:3::1"), AGENT_LOGIN, "alice", "x"))


def test_a_success_clears_the_count_for_its_login(alice):
    client = at("192.0.2.1")
    fail(client, AGENT_LOGIN, "alice", times=LIMIT - 1)
    assert signed_in(sign_in(client, AGENT_LOGIN, "alice", "x"))
    # The next mistakes start from nothing again.
    fail(at("192.0.2.1"), AGENT_LOGIN, "alice", times=LIMIT - 1)
    assert signed_in(sign_in(at("192.0.2.1"), AGENT_LOGIN, "alice", "x"))


def test_the_window_passing_lets_the_login_in_again(alice):
    client = at("192.0.2.1")
    fail(client, AGENT_LOGIN, "alice")
    assert not signed_in(sign_in(client, AGENT_LOGIN, "alice", "x"))
    ThrottleCounter.objects.update(window_ends=timezone.now() - timedelta(seconds=1))
    assert signed_in(sign_in(client, AGENT_LOGIN, "alice", "x"))


def test_a_throttled_answer_does_not_tell_whether_the_login_exists(alice):
    client = at("192.0.2.1")
    fail(client, AGENT_LOGIN, "alice")
    fail(client, AGENT_LOGIN, "nobody")
    known = sign_in(client, AGENT_LOGIN, "alice", "x")
    unknown = sign_in(client, AGENT_LOGIN, "nobody", "x")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert THROTTLED in str(known.context["form"].non_field_errors())
    # Counted alike, as typed and in lower case.
    assert {(c.login, c.attempts) for c in ThrottleCounter.objects.exclude(login="")} == {
        ("alice", LIMIT),
        ("nobody", LIMIT),
    }


def test_the_message_is_translated(alice):
    client = Client(REMOTE_ADDR="192.0.2.1", HTTP_ACCEPT_LANGUAGE="de")
    fail(client, AGENT_LOGIN, "alice")
    page = sign_in(client, AGENT_LOGIN, "alice", "x").content.decode()
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in page


# --- each sign-in in its own scope -------------------------------------------------------------


def test_the_customer_portal_does_not_count_against_agents(alice, carol):
    client = at("192.0.2.1")
    fail(client, CUSTOMER_LOGIN, "alice")  # an agent's login at the portal always fails
    assert THROTTLED in sign_in(client, CUSTOMER_LOGIN, "alice", "x").content.decode()
    assert signed_in(sign_in(at("192.0.2.1"), AGENT_LOGIN, "alice", "x"))
    assert signed_in(sign_in(at("192.0.2.1"), ADMIN_LOGIN, "alice", "x"))
    # ... nor the agents' sign-in against customers.
    fail(client, AGENT_LOGIN, "carol")
    assert signed_in(sign_in(at("192.0.2.1"), CUSTOMER_LOGIN, "carol", "Carol-Secret-2024"))


def test_the_admin_sign_in_is_throttled(alice):
    client = at("192.0.2.1")
    fail(client, ADMIN_LOGIN, "alice")
    response = sign_in(client, ADMIN_LOGIN, "alice", "x")
    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
    assert client.get("/admin/").status_code == 302  # not signed in
    assert {c.scope for c in ThrottleCounter.objects.all()} == {ThrottleScope.ADMIN_SIGN_IN}
    # Elsewhere the admin gets in, and into the agent portal from here.
    assert signed_in(sign_in(at("192.0.2.2"), ADMIN_LOGIN, "alice", "x"))
    assert signed_in(sign_in(at("192.0.2.1"), AGENT_LOGIN, "alice", "x"))


# --- password reset ----------------------------------------------------------------------------


def test_reset_mails_are_limited_per_account_without_telling(carol, settings):
    answers = [at(f"192.0.2.{n}").post(RESET, {"login": "carol"}) for n in range(1, 6)]
    # Every request gets the same answer; only the first few mail the account.
    assert {(r.status_code, r.url) for r in answers} == {(302, "/customer/password-reset/sent/")}
    assert OutboundMessage.objects.count() == settings.PASSWORD_RESET_LIMIT
    unknown = at("192.0.2.9").post(RESET, {"login": "nobody@example.com"})
    assert (unknown.status_code, unknown.url) == (302, "/customer/password-reset/sent/")


def test_reset_requests_are_limited_per_address(carol, settings):
    client = at("192.0.2.1")
    for value in ["a", "b", "c", "carol"][: settings.PASSWORD_RESET_ADDRESS_LIMIT]:
        assert client.post(RESET, {"login": value}).status_code == 302
    for value in ("carol", "nobody"):
        page = client.post(RESET, {"login": value})
        assert page.status_code == 200
        assert "Too many password reset requests" in page.content.decode()
    assert OutboundMessage.objects.count() == 1
    german = Client(REMOTE_ADDR="192.0.2.1", HTTP_ACCEPT_LANGUAGE="de")
    assert "Zu viele Anfragen" in german.post(RESET, {"login": "carol"}).content.decode()
    # Another address asks for the same account and gets its mail.
    assert at("192.0.2.2").post(RESET, {"login": "carol"}).status_code == 302
    assert OutboundMessage.objects.count() == 2


# --- the admin's list of locks -----------------------------------------------------------------


def test_an_admin_sees_the_locks_and_lifts_one(alice, carol):
    fail(at("203.0.113.66"), CUSTOMER_LOGIN, "carol")
    fail(at("203.0.113.77"), CUSTOMER_LOGIN, "carol")
    fail(at("203.0.113.88"), CUSTOMER_LOGIN, "carol", times=1)  # not locked
    admin = Client()
    admin.force_login(alice)
    url = "/admin/accounts/throttlecounter/"

    page = admin.get(url, {"locked": "yes"}).content.decode()
    assert "203.0.113.66" in page and "203.0.113.77" in page
    assert "203.0.113.88" not in page
    assert "203.0.113.88" in admin.get(url, {"locked": "no"}).content.decode()

    lock = ThrottleCounter.objects.get(login="carol", address="203.0.113.66")
    response = admin.post(url, {"action": "lift_locks", "_selected_action": [lock.pk]}, follow=True)
    assert "1 lock lifted." in response.content.decode()
    assert signed_in(sign_in(at("203.0.113.66"), CUSTOMER_LOGIN, "carol", "Carol-Secret-2024"))
    held_back = sign_in(at("203.0.113.77"), CUSTOMER_LOGIN, "carol", "Carol-Secret-2024")
    assert THROTTLED in held_back.content.decode()


def test_the_admin_cannot_add_or_edit_a_counter(alice):
    fail(at("203.0.113.66"), AGENT_LOGIN, "alice", times=1)
    admin = Client()
    admin.force_login(alice)
    counter = ThrottleCounter.objects.exclude(login="").get()
    assert admin.get("/admin/accounts/throttlecounter/add/").status_code == 403
    response = admin.post(
        f"/admin/accounts/throttlecounter/{counter.pk}/change/",
        {"attempts": 0, "scope": counter.scope},
    )
    assert response.status_code == 403
    counter.refresh_from_db()
    assert counter.attempts == 1
