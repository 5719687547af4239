"""Sign-in throttling through a real nginx in front of gunicorn, both run with the configs of
deploy/: clients are counted by the address nginx saw (or a trusted load balancer saw), never
all as nginx's 127.0.0.1, and a lock at one address does not block another."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from otrs.accounts.models import ThrottleCounter, ThrottleScope
from tests import factories

from .servers import Browser, web_stack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LOGIN = "/agent/login/"
PASSWORD = "Right-Password-2024"
THROTTLED = "Too many failed sign-ins"
LIMIT = 2
# A load balancer in front of nginx, at an address the operator lists as trusted.
BALANCER = "127.0.0.4"


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory):
    """One stack for the module, on the test database (each test's rows are its own: the
    transactional tests empty the tables after each)."""
    with web_stack(
        tmp_path_factory.mktemp("web"),
        database=connection.settings_dict,
        environment={
            # nginx on this host, and the load balancer: what env.example says to set.
            "TRUSTED_PROXIES": f"127.0.0.1,::1,{BALANCER}",
            "LOGIN_FAILURE_LIMIT": str(LIMIT),
        },
    ) as running:
        yield running


@pytest.fixture
def alice(db):
    # gunicorn checks passwords with the settings' own hasher, not the tests' fast one.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        agent = factories.agent("alice")
        agent.set_password(PASSWORD)
        agent.save()
    return agent


def guess_until_locked(browser: Browser) -> None:
    for _attempt in range(LIMIT):
        status, _location, page = browser.sign_in(LOGIN, "alice", "wrong")
        assert status == 200
        assert THROTTLED not in page
    status, _location, page = browser.sign_in(LOGIN, "alice", PASSWORD)
    assert (status, THROTTLED in page) == (200, True)


def signs_in(browser: Browser) -> bool:
    status, location, _page = browser.sign_in(LOGIN, "alice", PASSWORD)
    return status == 302 and location == "/agent/"


def test_clients_behind_nginx_are_counted_by_their_own_address(stack, alice):
    port = stack.nginx_ports["direct"]
    outsider = Browser(port, source="127.0.0.2")
    guess_until_locked(outsider)
    # A client that writes its own X-Forwarded-For gets nowhere: nginx replaces the header.
    disguised = Browser(port, source="127.0.0.2", headers={"X-Forwarded-For": "198.51.100.7"})
    assert not signs_in(disguised)
    # The owner, at another address, signs in.
    assert signs_in(Browser(port, source="127.0.0.3")), stack.logs()

    counters = {
        (c.login, c.address): c.attempts
        for c in ThrottleCounter.objects.filter(scope=ThrottleScope.AGENT_SIGN_IN, attempts__gt=0)
    }
    assert counters == {("alice", "127.0.0.2"): LIMIT, ("", "127.0.0.2"): LIMIT}


def test_clients_behind_a_trusted_balancer_are_counted_by_its_x_forwarded_for(stack, alice):
    port = stack.nginx_ports["behind_balancer"]

    def via_balancer(client: str) -> Browser:
        return Browser(port, source=BALANCER, headers={"X-Forwarded-For": client})

    guess_until_locked(via_balancer("203.0.113.10"))
    assert signs_in(via_balancer("203.0.113.20")), stack.logs()
    # A client that is not the balancer cannot pass for another one.
    untrusted = Browser(port, source="127.0.0.5", headers={"X-Forwarded-For": "203.0.113.20"})
    guess_until_locked(untrusted)
    assert signs_in(via_balancer("203.0.113.20"))

    locked = {c.address for c in ThrottleCounter.objects.filter(login="alice")}
    assert locked == {"203.0.113.10", "127.0.0.5"}
