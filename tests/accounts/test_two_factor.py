"""Two-factor sign-in through the real pages: enrolment in the preferences, the code step of
the agent, admin and customer sign-in, recovery codes used up, wrong codes throttled, the
enrolment required of admins, and an admin's reset. Codes come from django-otp's own TOTP
over the device's key, at a time fixed by time_machine."""

from __future__ import annotations

import re
from base64 import b32decode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django_celery_beat.models import PeriodicTask
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from customers.actions import CustomerUserInput, create_customer_user
from otrs.accounts import twofactor
from otrs.accounts.models import AccountEvent, AccountEventKind
from otrs.accounts.tasks import remove_unconfirmed_devices
from otrs.celery import app
from tests import factories

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIMIT = 3
AGENT_PAGE = "/agent/preferences/two-factor/"
CUSTOMER_PAGE = "/customer/preferences/two-factor/"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4 * LIMIT


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_for(user, clock) -> str:
    """The current code of the user's authenticator, after moving on one step (a code is
    accepted once)."""
    clock.shift(timedelta(seconds=30))
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrol(client: Client, user, clock, page=AGENT_PAGE) -> list[str]:
    response = client.get(page)
    assert response.status_code == 200
    # No device before the confirmation: the code comes from the key the page shows.
    key = b32decode(response.context["secret"].replace(" ", ""))
    clock.shift(timedelta(seconds=30))
    code = f"{totp(key):06d}"
    response = client.post(page, {"action": "confirm", "code": code})
    assert response.status_code == 200, response.content
    return response.context["recovery_codes"]


def signed_in_as(client: Client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def twofa_agent(db):
    return factories.agent("twofa-agent")


@pytest.fixture
def twofa_admin(db):
    return factories.agent("twofa-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def twofa_customer(db):
    return create_customer_user(
        CustomerUserInput(login="twofa-carol", email="twofa-carol@example.com", first_name="C"),
        password="Carol-Secret-2024",
        actor=factories.system(),
    ).user


def test_enrolment_shows_key_and_qr_then_ten_recovery_codes_once(twofa_agent, clock):
    client = Client()
    client.force_login(twofa_agent)
    page = client.get(AGENT_PAGE)
    body = page.content.decode()
    assert "<svg" in body and "otp-secret" in body
    secret = page.context["secret"].replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]+", secret)

    wrong = client.post(AGENT_PAGE, {"action": "confirm", "code": "000000"})
    assert wrong.status_code == 400
    assert "The code is not right" in wrong.content.decode()
    assert not twofactor.is_enrolled(twofa_agent)

    codes = enrol(client, twofa_agent, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert twofactor.is_enrolled(twofa_agent)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)
    # Shown once: the page afterwards tells how many are left, not which.
    again = client.get(AGENT_PAGE).content.decode()
    assert codes[0] not in again and "10 recovery codes left" in again


def test_agent_sign_in_asks_for_the_code_before_signing_in(twofa_agent, clock):
    enrol_client = Client()
    enrol_client.force_login(twofa_agent)
    enrol(enrol_client, twofa_agent, clock)

    client = Client()
    response = client.post(
        "/agent/login/", {"username": "twofa-agent", "password": "x", "next": "/agent/preferences/"}
    )
    assert response.status_code == 302 and response.url == "/agent/login/code/"
    assert signed_in_as(client) is None
    assert client.get("/agent/preferences/").status_code == 302  # still the sign-in

    wrong = client.post("/agent/login/code/", {"code": "123456"})
    assert wrong.status_code == 400 and signed_in_as(client) is None

    done = client.post("/agent/login/code/", {"code": code_for(twofa_agent, clock)})
    assert done.status_code == 302 and done.url == "/agent/preferences/"
    assert signed_in_as(client) == str(twofa_agent.pk)
    assert client.get("/agent/preferences/").status_code == 200


def test_recovery_code_signs_in_once(twofa_agent, clock):
    setup = Client()
    setup.force_login(twofa_agent)
    codes = enrol(setup, twofa_agent, clock)

    client = Client()
    client.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    done = client.post("/agent/login/code/", {"code": codes[3].upper()})
    assert done.status_code == 302 and signed_in_as(client) == str(twofa_agent.pk)
    assert twofactor.recovery_codes_left(twofa_agent) == 9

    again = Client()
    again.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    refused = again.post("/agent/login/code/", {"code": codes[3]})
    assert refused.status_code == 400 and signed_in_as(again) is None


def test_wrong_codes_count_against_the_sign_in_throttle(twofa_agent, clock):
    setup = Client()
    setup.force_login(twofa_agent)
    enrol(setup, twofa_agent, clock)

    client = Client(REMOTE_ADDR="198.51.100.7")
    client.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    for guess in range(LIMIT):
        response = client.post("/agent/login/code/", {"code": f"{guess:06d}"})
        assert "The code is not right" in response.content.decode()
    # Now even the right code is not checked.
    throttled = client.post("/agent/login/code/", {"code": code_for(twofa_agent, clock)})
    assert "Too many failed sign-ins" in throttled.content.decode()
    assert signed_in_as(client) is None
    # Signing in with the password again gives no guesses back.
    client.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    again = client.post("/agent/login/code/", {"code": code_for(twofa_agent, clock)})
    assert "Too many failed sign-ins" in again.content.decode()
    # Nor does another address: the login's codes are counted at any address too.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    elsewhere.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    for guess in range(LIMIT):
        elsewhere.post("/agent/login/code/", {"code": f"{guess + 10:06d}"})
    far = Client(REMOTE_ADDR="192.0.2.44")
    far.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    refused = far.post("/agent/login/code/", {"code": code_for(twofa_agent, clock)})
    assert "Too many failed sign-ins" in refused.content.decode()


def test_password_again_after_wrong_codes_gives_no_guesses_back(twofa_agent, clock):
    setup = Client()
    setup.force_login(twofa_agent)
    enrol(setup, twofa_agent, clock)
    client = Client(REMOTE_ADDR="198.51.100.8")
    for round_ in range(LIMIT):
        client.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
        client.post("/agent/login/code/", {"code": f"{round_:06d}"})
    client.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    throttled = client.post("/agent/login/code/", {"code": code_for(twofa_agent, clock)})
    assert "Too many failed sign-ins" in throttled.content.decode()


def test_a_password_at_one_portal_is_no_code_step_at_another(twofa_agent, clock):
    setup = Client()
    setup.force_login(twofa_agent)
    enrol(setup, twofa_agent, clock)
    client = Client()
    client.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    elsewhere = client.post("/admin/login/code/", {"code": code_for(twofa_agent, clock)})
    assert elsewhere.status_code == 302 and elsewhere.url == "/admin/login/"
    assert signed_in_as(client) is None


def test_code_step_without_a_password_goes_back_to_the_sign_in(db):
    client = Client()
    assert client.get("/agent/login/code/").url == "/agent/login/"
    response = client.post("/customer/login/code/", {"code": "123456"})
    assert response.status_code == 302 and response.url == "/customer/login/"


def test_a_password_waits_five_minutes_for_its_code(twofa_agent, clock):
    setup = Client()
    setup.force_login(twofa_agent)
    enrol(setup, twofa_agent, clock)
    client = Client()
    client.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    clock.shift(timedelta(minutes=5))
    late = client.post("/agent/login/code/", {"code": code_for(twofa_agent, clock)})
    assert late.status_code == 302 and late.url == "/agent/login/"
    assert signed_in_as(client) is None


def test_admins_must_enrol_when_required(twofa_admin, clock, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = True
    client = Client()
    response = client.post(
        "/admin/login/", {"username": "twofa-admin", "password": "x", "next": "/admin/"}
    )
    assert response.status_code == 302  # no device yet: the password signs in...
    for page in ("/admin/", "/agent/preferences/", "/agent/"):
        blocked = client.get(page)
        assert blocked.status_code == 302 and blocked.url == AGENT_PAGE, page
    assert "Administrators must use two-factor sign-in" in client.get(AGENT_PAGE).content.decode()

    enrol(client, twofa_admin, clock)
    assert client.get("/admin/").status_code == 200

    # ... and afterwards the admin sign-in has the code step too.
    other = Client()
    step = other.post("/admin/login/", {"username": "twofa-admin", "password": "x"})
    assert step.status_code == 302 and step.url == "/admin/login/code/"
    assert other.get("/admin/login/code/").status_code == 200
    done = other.post("/admin/login/code/", {"code": code_for(twofa_admin, clock)})
    assert done.status_code == 302 and other.get("/admin/").status_code == 200


def test_not_required_leaves_admins_alone(twofa_admin, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = False
    client = Client()
    client.force_login(twofa_admin)
    assert client.get("/admin/").status_code == 200


def test_disable_needs_a_current_code(twofa_agent, clock):
    client = Client()
    client.force_login(twofa_agent)
    enrol(client, twofa_agent, clock)
    refused = client.post(AGENT_PAGE, {"action": "disable", "code": "000000"})
    assert refused.status_code == 400 and twofactor.is_enrolled(twofa_agent)
    done = client.post(AGENT_PAGE, {"action": "disable", "code": code_for(twofa_agent, clock)})
    assert done.status_code == 302 and not twofactor.is_enrolled(twofa_agent)
    assert not StaticToken.objects.filter(device__user=twofa_agent).exists()


def test_admin_resets_a_second_factor_with_a_record(twofa_agent, twofa_admin, clock):
    agent_client = Client()
    agent_client.force_login(twofa_agent)
    enrol(agent_client, twofa_agent, clock)

    admin = Client()
    admin.force_login(twofa_admin)
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [twofa_agent.pk]},
    )
    assert response.status_code == 302
    assert not twofactor.is_enrolled(twofa_agent)
    entry = LogEntry.objects.get(object_id=str(twofa_agent.pk))
    assert entry.user_id == twofa_admin.pk and "two-factor" in entry.change_message

    # The password alone signs the agent in again.
    again = Client()
    response = again.post("/agent/login/", {"username": "twofa-agent", "password": "x"})
    assert response.status_code == 302 and signed_in_as(again) == str(twofa_agent.pk)


def test_customer_enrolment_is_optional(twofa_customer, clock):
    client = Client()
    response = client.post(
        "/customer/login/", {"username": "twofa-carol", "password": "Carol-Secret-2024"}
    )
    assert response.status_code == 302 and signed_in_as(client) == str(twofa_customer.pk)
    assert "Two-factor sign-in" in client.get("/customer/preferences/").content.decode()
    enrol(client, twofa_customer, clock, page=CUSTOMER_PAGE)

    other = Client()
    step = other.post(
        "/customer/login/", {"username": "twofa-carol", "password": "Carol-Secret-2024"}
    )
    assert step.status_code == 302 and step.url == "/customer/login/code/"
    assert signed_in_as(other) is None
    assert other.get("/customer/login/code/").status_code == 200
    done = other.post("/customer/login/code/", {"code": code_for(twofa_customer, clock)})
    assert done.status_code == 302 and signed_in_as(other) == str(twofa_customer.pk)


def test_customers_cannot_open_the_agent_enrolment(twofa_customer):
    client = Client()
    client.force_login(twofa_customer)
    assert client.get(AGENT_PAGE).status_code in (302, 403)


def test_opening_the_enrolment_page_makes_no_device(twofa_agent, clock):
    client = Client()
    client.force_login(twofa_agent)
    first = client.get(AGENT_PAGE).context["secret"]
    assert client.get(AGENT_PAGE).context["secret"] == first  # the same key until confirmed
    client.post(AGENT_PAGE, {"action": "confirm", "code": "000000"})
    assert not TOTPDevice.objects.filter(user=twofa_agent).exists()
    enrol(client, twofa_agent, clock)
    device = TOTPDevice.objects.get(user=twofa_agent)
    assert device.confirmed and secret_of(device) == first.replace(" ", "")


def secret_of(device) -> str:
    return twofactor.secret_text(device).replace(" ", "")


def kinds(user) -> list[str]:
    return list(
        AccountEvent.objects.filter(user=user).order_by("at", "pk").values_list("kind", flat=True)
    )


def test_enabling_switching_off_and_resetting_are_in_the_users_history(
    twofa_agent, twofa_admin, clock
):
    client = Client()
    client.force_login(twofa_agent)
    enrol(client, twofa_agent, clock)
    client.post(AGENT_PAGE, {"action": "disable", "code": code_for(twofa_agent, clock)})
    enrol(client, twofa_agent, clock)
    admin = Client()
    admin.force_login(twofa_admin)
    admin.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [twofa_agent.pk]},
    )
    assert kinds(twofa_agent) == [
        AccountEventKind.TWO_FACTOR_ENABLED,
        AccountEventKind.TWO_FACTOR_DISABLED,
        AccountEventKind.TWO_FACTOR_ENABLED,
        AccountEventKind.TWO_FACTOR_RESET,
    ]
    actors = AccountEvent.objects.filter(user=twofa_agent).values_list("actor__username", flat=True)
    assert sorted(set(actors)) == ["twofa-admin", "twofa-agent"]
    # The agent's admin page shows the history.
    page = admin.get(f"/admin/accounts/user/{twofa_agent.pk}/change/").content.decode()
    assert "two-factor sign-in reset" in page and "two-factor sign-in enabled" in page
    # Nothing to reset: no row, no log entry.
    admin.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [twofa_agent.pk]},
    )
    assert len(kinds(twofa_agent)) == 4


def test_an_admin_resets_a_customers_second_factor(twofa_customer, twofa_admin, clock):
    client = Client()
    client.force_login(twofa_customer)
    enrol(client, twofa_customer, clock, page=CUSTOMER_PAGE)
    profile = twofa_customer.customer_profile
    admin = Client()
    admin.force_login(twofa_admin)
    changelist = admin.get("/admin/customers/customeruser/").content.decode()
    assert 'value="reset_two_factor"' in changelist
    response = admin.post(
        "/admin/customers/customeruser/",
        {"action": "reset_two_factor", "_selected_action": [profile.pk]},
        follow=True,
    )
    assert "Two-factor sign-in reset for 1 user." in response.content.decode()
    assert not twofactor.is_enrolled(twofa_customer)
    entry = LogEntry.objects.get(object_id=str(profile.pk))
    assert entry.user_id == twofa_admin.pk
    assert kinds(twofa_customer)[-1] == AccountEventKind.TWO_FACTOR_RESET
    page = admin.get(f"/admin/customers/customeruser/{profile.pk}/change/").content.decode()
    assert "two-factor sign-in reset" in page
    # An admin without the right to change users does not get the action.
    viewer = factories.agent("twofa-viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_customeruser"))
    other = Client()
    other.force_login(viewer)
    listing = other.get("/admin/customers/customeruser/").content.decode()
    assert 'value="reset_two_factor"' not in listing


# --- the daemon's cleanup of devices the old enrolment page left unconfirmed ------------------


def test_the_daemon_removes_unconfirmed_devices_older_than_a_day(db, clock):
    old_visitor = factories.agent("twofa-old-visitor")
    recent_visitor = factories.agent("twofa-recent-visitor")
    enrolled = factories.agent("twofa-enrolled")
    # As the enrolment page of earlier releases left them: a device with a key per visit.
    TOTPDevice.objects.create(user=old_visitor, name="authenticator", confirmed=False)
    TOTPDevice.objects.create(user=enrolled, name="authenticator", confirmed=True)
    untimed = TOTPDevice.objects.create(user=old_visitor, name="authenticator", confirmed=False)
    TOTPDevice.objects.filter(pk=untimed.pk).update(created_at=None)  # django-otp before 1.2
    clock.shift(timedelta(hours=20))
    recent = TOTPDevice.objects.create(user=recent_visitor, name="authenticator", confirmed=False)
    clock.shift(timedelta(hours=5))  # the first two are 25 hours old, the recent one 5

    assert remove_unconfirmed_devices() == 2
    assert list(TOTPDevice.objects.filter(confirmed=False)) == [recent]
    assert TOTPDevice.objects.filter(user=enrolled, confirmed=True).count() == 1
    assert twofactor.is_enrolled(enrolled)
    assert remove_unconfirmed_devices() == 0  # twice is harmless
    clock.shift(timedelta(hours=20))
    assert remove_unconfirmed_devices() == 1
    assert not TOTPDevice.objects.filter(confirmed=False).exists()


def test_the_cleanup_is_scheduled_daily_for_a_task_the_worker_knows(db):
    task = PeriodicTask.objects.get(name="Unconfirmed authenticator cleanup")
    assert task.task == "otrs.accounts.tasks.remove_unconfirmed_devices" and task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("50", "3", "*")
    app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    assert task.task in app.tasks
