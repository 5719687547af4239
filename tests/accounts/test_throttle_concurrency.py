"""Parallel wrong passwords, each in its own OS process on its own database connection: no
more passwords are checked than the limit allows (the counters used to be read, then
written, and let 7 of 40 parallel guesses through against a limit of 5). The same for
password reset mails to one account."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory

from customer_portal.forms.accounts import PasswordResetForm
from customers.actions import CustomerUserInput, create_customer_user
from otrs.accounts.forms import AgentLoginForm
from otrs.accounts.models import ThrottleCounter
from otrs.mail.models import OutboundMessage
from tests import factories

PARALLEL = 12
LIMIT = 4

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = LIMIT + 1


def try_password(username: str, password: str, address: str) -> str:
    """One sign-in through the agents' form; the error code of its answer ("invalid_login"
    means the password was checked, "throttled" that it was not), or "signed-in"."""
    request = RequestFactory().post("/agent/login/", REMOTE_ADDR=address)
    form = AgentLoginForm(request, data={"username": username, "password": password})
    if form.is_valid():
        return "signed-in"
    (error,) = form.non_field_errors().as_data()
    return error.code


def test_parallel_guesses_for_one_login_check_no_more_than_the_limit(run_in_processes):
    factories.agent("alice")
    codes = run_in_processes(try_password, [("alice", "wrong", "203.0.113.5")] * PARALLEL)
    assert codes.count("invalid_login") == LIMIT, codes
    assert codes.count("throttled") == PARALLEL - LIMIT, codes
    counter = ThrottleCounter.objects.get(login="alice", address="203.0.113.5")
    assert counter.attempts == LIMIT
    # The right password from there waits too; from elsewhere it works.
    assert try_password("alice", "x", "203.0.113.5") == "throttled"
    assert try_password("alice", "x", "192.0.2.1") == "signed-in"


def test_parallel_guesses_for_many_logins_check_no_more_than_the_address_allows(
    run_in_processes,
):
    factories.agent("alice")
    guesses = [(f"guess{n}", "wrong", "203.0.113.5") for n in range(PARALLEL)]
    codes = run_in_processes(try_password, guesses)
    assert codes.count("invalid_login") == LIMIT + 1, codes
    assert codes.count("throttled") == PARALLEL - LIMIT - 1, codes
    assert ThrottleCounter.objects.get(login="", address="203.0.113.5").attempts == LIMIT + 1
    assert try_password("alice", "x", "203.0.113.5") == "throttled"
    assert try_password("alice", "x", "192.0.2.1") == "signed-in"


def ask_for_reset(login: str, address: str) -> bool:
    """One password reset request through the portal's form; whether it was accepted."""
    request = RequestFactory().post("/customer/password-reset/", REMOTE_ADDR=address)
    form = PasswordResetForm(data={"login": login}, request=request)
    if not form.is_valid():
        return False
    with transaction.atomic():
        form.save()
    return True


def test_parallel_reset_requests_mail_an_account_no_more_than_the_limit(run_in_processes, settings):
    settings.EMAIL_BACKEND = "otrs.mail.backend.QueueBackend"
    settings.PASSWORD_RESET_LIMIT = 2
    create_customer_user(
        CustomerUserInput(login="carol", email="carol@example.com", first_name="Carol"),
        password="Carol-Secret-2024",
        actor=factories.system(),
    )
    requests = [("carol", f"192.0.2.{n}") for n in range(1, PARALLEL + 1)]
    # Every request is answered alike; only two mails go out.
    assert run_in_processes(ask_for_reset, requests) == [True] * PARALLEL
    assert OutboundMessage.objects.count() == 2
