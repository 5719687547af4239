"""System configuration in the admin: policy settings stored in the database, read through
one accessor that falls back to settings.py, with validation, reset and history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django import forms
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otrs import policy
from otrs.accounts import throttle
from otrs.accounts.models import ThrottleScope, User, UserKind
from otrs.api.tokens import create_token
from otrs.errors import DomainError
from otrs.policy import actions
from otrs.policy.models import PolicyChange, PolicyValue
from tests import factories
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
