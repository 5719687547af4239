"""System configuration in the admin: policy settings stored in the database, read through
one accessor that falls back to settings.py, with validation, reset and history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django import forms
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otrs import policy
from otrs.accounts import throttle
from otrs.accounts.models import ThrottleScope, User, UserKind
from otrs.api.tokens import create_token
from otrs.errors import DomainError
from otrs.fields.actions import set_field_values
from otrs.fields.selectors import definitions, values_for
from otrs.policy import actions
from otrs.policy.models import PolicyChange, PolicyValue
from tests import factories
from tests.fields.helpers import define
from tickets import actions as ticket_actions
from tickets import search
from tickets.forms.common import add_time_units_field

pytestmark = pytest.mark.django_db

URL = "admin:configuration_setting"


@pytest.fixture
def root(db):
    return User.objects.create_superuser(
        "cfg_root", "cfg_root@example.test", "pw", kind=UserKind.AGENT
    )


@pytest.fixture
def as_root(client, root):
    client.force_login(root)
    return client


def test_the_accessor_falls_back_to_settings(settings):
    settings.LOGIN_FAILURE_LIMIT = 7
    settings.LOGIN_FAILURE_WINDOW = 20 * 60
    assert policy.value("login_failure_limit") == 7
    assert policy.value("login_failure_window_minutes") == 20
    assert throttle.limits(ThrottleScope.AGENT_SIGN_IN).per_login == 7


def test_a_stored_value_wins_and_the_code_reads_it(root, settings):
    settings.LOGIN_FAILURE_LIMIT = 7
    actions.set_value("login_failure_limit", "3", actor=root)
    assert policy.value("login_failure_limit") == 3
    assert throttle.limits(ThrottleScope.AGENT_SIGN_IN).per_login == 3
    actions.reset("login_failure_limit", actor=root)
    assert policy.value("login_failure_limit") == 7


def test_the_limit_set_in_the_admin_throttles_sign_ins(as_root):
    agent = factories.agent("cfg_throttled")
    agent.set_password("right")
    agent.save()
    as_root.post(reverse(URL, args=["login_failure_limit"]), {"value": "2"})
    client = Client()
    for _attempt in range(2):
        client.post(reverse("agent:login"), {"username": "cfg_throttled", "password": "wrong"})
    response = client.post(
        reverse("agent:login"), {"username": "cfg_throttled", "password": "right"}
    )
    assert "Too many failed sign-ins" in response.content.decode()


def test_it_lists_the_settings_with_value_and_default(as_root, root, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    actions.set_value("login_failure_limit", 9, actor=root)
    response = as_root.get(reverse("admin:configuration"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="setting-login_failure_limit"' in page and "<strong>9</strong>" in page
    assert 'id="setting-password_reset_window_minutes"' in page
    found = as_root.get(reverse("admin:configuration"), {"q": "reset window"}).content.decode()
    assert "setting-password_reset_window_minutes" in found
    assert "setting-login_failure_limit" not in found


def test_it_validates_and_keeps_nothing_half_written(as_root):
    url = reverse(URL, args=["login_failure_limit"])
    for bad in ("0", "-3", "many", "", "99999999999999999999"):
        response = as_root.post(url, {"value": bad})
        assert response.status_code == 200, bad
        assert 'class="errorlist' in response.content.decode(), bad
    assert not PolicyValue.objects.exists() and not PolicyChange.objects.exists()


def test_it_saves_resets_and_keeps_the_history(as_root, root, settings):
    settings.LOGIN_FAILURE_WINDOW = 15 * 60
    url = reverse(URL, args=["login_failure_window_minutes"])
    saved = as_root.post(url, {"value": "30"}, follow=True)
    assert "The setting was saved." in saved.content.decode()
    as_root.post(url, {"value": "45"})
    same = as_root.post(url, {"value": "45"}, follow=True)
    assert "Nothing changed." in same.content.decode()
    reset = as_root.post(url, {"reset": "1"}, follow=True)
    assert "The setting is back to its default." in reset.content.decode()
    assert policy.value("login_failure_window_minutes") == 15
    history = list(PolicyChange.objects.filter(key="login_failure_window_minutes"))
    assert [(c.old, c.new) for c in reversed(history)] == [(None, 30), (30, 45), (45, None)]
    assert all(c.changed_by == root for c in history)
    page = as_root.get(url).content.decode()
    assert "default (15 minutes)" in page and "45 minutes" in page
    assert "(from the environment variable LOGIN_FAILURE_WINDOW_MINUTES)" in page
    # Revert to an earlier value: the history's buttons post the old value.
    as_root.post(url, {"value": "45"})
    assert policy.value("login_failure_window_minutes") == 45


def test_an_unknown_setting_is_not_found(as_root):
    assert as_root.get(reverse(URL, args=["no_such_setting"])).status_code == 404


def test_viewers_cannot_change(client, root):
    staff = factories.agent("cfg_viewer", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:configuration")).status_code == 404
    staff.user_permissions.add(Permission.objects.get(codename="view_policyvalue"))
    client.force_login(User.objects.get(pk=staff.pk))
    url = reverse(URL, args=["login_failure_limit"])
    page = client.get(url).content.decode()
    assert "Reset to default" not in page and 'value="Save"' not in page
    assert client.post(url, {"value": "3"}).status_code == 404
    assert not PolicyValue.objects.exists()


def test_the_time_units_field_follows_the_policy(root, settings):

    settings.TICKET_TIME_UNITS = "optional"

    def field():
        form = forms.Form()
        add_time_units_field(form)
        return form.fields.get("time_units")

    assert field() is not None and not field().required
    actions.set_value("ticket_time_units", "required", actor=root)
    assert field().required
    actions.set_value("ticket_time_units", "off", actor=root)
    assert field() is None
    with pytest.raises(actions.ValidationError):
        actions.set_value("ticket_time_units", "sometimes", actor=root)


def test_the_token_lifetime_follows_the_policy(root, settings):

    settings.API_TOKEN_MAX_DAYS = 365
    actions.set_value("api_token_max_days", 30, actor=root)
    later = timezone.now() + timedelta(days=60)
    with pytest.raises(DomainError, match="within 30 days"):
        create_token(root, name="cfg", scope="read", expires_at=later, actor=root)
    actions.reset("api_token_max_days", actor=root)
    token, _secret = create_token(root, name="cfg", scope="read", expires_at=later, actor=root)
    assert token.pk


# --- settings that other code paths read (sessions, search, merge) -----------------------------


def test_the_session_idle_time_follows_the_policy_without_a_restart(as_root, time_machine):
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    agent = factories.agent("cfg_idle")
    client = Client()
    client.force_login(agent)
    response = as_root.post(
        reverse(URL, args=["session_idle_minutes"]), {"value": "30"}, follow=True
    )
    assert "The setting was saved." in response.content.decode()
    # The agent's next renewal (a minute on) takes the new lifetime, row and cookie alike.
    time_machine.move_to("2026-03-02 09:01:00+00:00", tick=False)
    response = client.get("/agent/")
    assert response.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60
    key = client.session.session_key
    assert Session.objects.get(session_key=key).expire_date == timezone.now() + timedelta(
        minutes=30
    )
    # Idle for 31 minutes: signed out.
    time_machine.move_to("2026-03-02 09:32:00+00:00", tick=False)
    assert client.get("/agent/").status_code == 302


def test_bad_session_idle_times_are_refused_precisely(as_root):
    url = reverse(URL, args=["session_idle_minutes"])
    too_short = as_root.post(url, {"value": "4"}).content.decode()
    assert "Ensure this value is greater than or equal to 5." in too_short
    too_long = as_root.post(url, {"value": str(31 * 24 * 60)}).content.decode()
    assert "Ensure this value is less than or equal to 43200." in too_long
    assert "Enter a whole number." in as_root.post(url, {"value": "1.5"}).content.decode()
    assert not PolicyValue.objects.filter(key="session_idle_minutes").exists()


def test_the_search_count_cap_follows_the_policy(support, root):
    for _n in range(101):
        factories.ticket(support.queue, title="cfg cap")
    criteria = search.Criteria(title="cfg cap")
    page = search.search_page(support.rw, criteria, per_page=10)
    assert page.total == 101  # under the default cap of 1,000: counted
    actions.set_value("search_count_cap", 100, actor=root)
    page = search.search_page(support.rw, criteria, per_page=10)
    assert page.total is None and page.cap == 100  # "more than 100"
    with pytest.raises(actions.ValidationError, match="greater than or equal to 100"):
        actions.set_value("search_count_cap", 99, actor=root)


@pytest.mark.parametrize(
    ("which", "copied"),
    [
        ("off", {"Level": 9}),
        ("marked", {"Product": "alpha", "Level": 9}),
        ("all", {"Product": "alpha", "Seats": 4, "Level": 9}),
    ],
)
def test_what_a_merge_copies_follows_the_policy(support, root, which, copied):
    product = define("Product", "dropdown", options=["alpha", "beta"])
    product.copy_on_merge = True
    product.save()
    define("Seats", "integer")  # not marked
    define("Level", "integer")
    source = factories.ticket(support.queue)
    target = factories.ticket(support.queue)
    set_field_values(source, {"Product": "alpha", "Seats": 4, "Level": 1}, actor=support.rw)
    set_field_values(target, {"Level": 9}, actor=support.rw)
    actions.set_value("ticket_merge_field_values", which, actor=root)

    ticket_actions.merge_tickets(source, target, actor=support.rw)

    assert values_for("ticket", [target], definitions("ticket"))[target.pk] == copied


def test_a_merge_choice_outside_the_list_is_refused(as_root):
    url = reverse(URL, args=["ticket_merge_field_values"])
    page = as_root.post(url, {"value": "some"}).content.decode()
    assert "Select a valid choice. some is not one of the available choices." in page
    assert not PolicyValue.objects.exists()
